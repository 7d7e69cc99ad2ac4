//! `denytrace suggest --report r.json --format F [--policy FILE]`: the narrowest policy change
//! for each denial of a saved report (see docs/suggestions.md). Commentary lines start with `#`;
//! fragments and diffs are printed as they are, so the output can be fed to `patch` directly.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};

use crate::{
    model::Report,
    suggest,
    text::{prose, term},
};

/// Runs `denytrace suggest`.
pub fn suggest(args: &crate::cli::SuggestArgs) -> Result<u8> {
    let text = std::fs::read_to_string(&args.report).with_context(|| format!("reading the report {}", args.report.display()))?;
    let mut report: Report = serde_json::from_str(&text).with_context(|| format!("{} is not a denytrace report", args.report.display()))?;
    suggest::apply(&mut report, &args.format, args.policy.as_deref())?;
    print!("{}", listing(&report));
    Ok(0)
}

/// A text as is when it cannot disturb a terminal, else escaped line by line.
#[must_use]
pub fn shown(text: &str) -> String {
    let safe = text.chars().all(|c| c == '\n' || c == '\t' || !(c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')));
    if safe {
        return text.to_owned();
    }
    text.lines().map(|l| term(l.as_bytes()) + "\n").collect()
}

/// The suggestions of a report for people (and `patch`).
#[must_use]
pub fn listing(report: &Report) -> String {
    let mut out = String::new();
    let attributed = report.denials.iter().filter(|d| d.cause.is_some()).count();
    let _ = writeln!(out, "# denytrace suggest: {} denial(s), {attributed} attributed", report.denials.len());
    for (i, d) in report.denials.iter().enumerate() {
        let Some(cause) = &d.cause else {
            continue;
        };
        let kind = serde_json::to_value(cause.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let conf = serde_json::to_value(cause.confidence).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let _ = writeln!(out, "#\n# {}: {kind} ({conf}): {}", suggest::label(i, d), prose(&cause.summary));
        for s in &d.suggestions {
            let _ = writeln!(out, "# {} (risk {}: {}): {}", s.format, s.risk, prose(&s.risk_why), prose(&s.change));
            let _ = writeln!(out, "#   why: {}", prose(&s.why));
            if s.text.starts_with(suggest::MERGED_PREFIX) {
                let _ = writeln!(out, "#   {}", prose(&s.text));
                continue;
            }
            let body = shown(&s.text);
            if suggest::is_change(&s.text) {
                out.push_str(&body);
                if !body.ends_with('\n') {
                    out.push('\n');
                }
            } else {
                for l in body.lines() {
                    let _ = writeln!(out, "#   {l}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_keeps_plain_text_and_escapes_controls() {
        assert_eq!(shown("--- a\n+\tb\n"), "--- a\n+\tb\n");
        assert_eq!(shown("a\u{1b}[2J\n"), "a\\x1b[2J\n");
        assert_eq!(shown("x\u{202e}y"), "x\\u{202e}y\n");
    }
}
