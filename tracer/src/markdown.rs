//! The Markdown summary (`summary.md` of `run --artifacts`, `report --format markdown`, the GitHub
//! step summary): a verdict line, one table row per distinct denial with its cause, confidence,
//! count and suggested change, the processes that died, and what was lost.
//!
//! Everything the sandbox chose (paths, command names, arguments) is first made terminal-safe
//! ([`text::term`](crate::text::term): no control or format character survives, so no line break
//! either), then either put in a code span whose fence is longer than any backtick run inside it,
//! or escaped character by character; inside table cells `|` is always escaped. A hostile file
//! name can therefore neither end a table row nor a cell, nor open a link, an HTML tag or a code
//! span. The output is a function of the report alone, so re-rendering a saved report gives the
//! same bytes.

use std::fmt::Write as _;

use crate::{
    model::{Confidence, DenialEntry, Report},
    render,
    text::{Text, prose, term_str},
};

/// Table rows at most; the rest are counted and left to report.json.
pub const MAX_ROWS: usize = 200;

/// Inline text, escaped for Markdown: ASCII punctuation that could start emphasis, a link, an
/// HTML tag, an entity, a code span, a heading or a table cell is backslash-escaped. `s` must
/// already be free of control characters (rendered by `term`/`prose`).
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An underscore between two letters or digits cannot start or end emphasis: left as is,
        // so that names like write_file stay readable in the raw file.
        let intraword = c == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if !intraword && matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span holding `s` (already free of control characters) outside a table.
#[must_use]
pub fn code(s: &str) -> String {
    code_span(s, false)
}

/// A code span for a table cell: as [`code`], with `|` escaped (GFM reads the escape even
/// inside code spans of a table and shows a plain `|`).
#[must_use]
pub fn code_cell(s: &str) -> String {
    code_span(s, true)
}

fn code_span(s: &str, cell: bool) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let body = if cell { s.replace('|', "\\|") } else { s.to_owned() };
    // A leading or trailing backtick (or space) needs a space between it and the fence; CommonMark
    // strips one space on each side.
    if s.is_empty() {
        return format!("{fence} {fence}");
    }
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// A fenced code block of `text`: every line made free of control characters (backslashes are
/// kept, the text is meant to be pasted), and a fence longer than any backtick run inside.
#[must_use]
pub fn block(text: &str, info: &str) -> String {
    let lines: Vec<String> = text.lines().map(prose).collect();
    let mut longest = 0;
    for l in &lines {
        let mut run = 0;
        for c in l.chars() {
            run = if c == '`' { run + 1 } else { 0 };
            longest = longest.max(run);
        }
    }
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("{fence}{info}\n");
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn name(t: &Text) -> String {
    t.term()
}

/// The cause kind as in the report (`landlock`, `dac`...).
fn kind_name(e: &DenialEntry) -> String {
    e.cause
        .as_ref()
        .and_then(|c| serde_json::to_value(c.kind).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "certain",
        Confidence::Likely => "likely",
        Confidence::Possible => "possible",
    }
}

/// `python3` `/usr/bin/python3.11` (uid 0), as code spans for a cell.
fn process_cell(e: &DenialEntry) -> String {
    let mut out = code_cell(&name(&e.process.comm));
    if let Some(exe) = &e.process.exe {
        let _ = write!(out, " {}", code_cell(&name(exe)));
    }
    let _ = write!(out, " (uid {})", e.process.uid);
    out
}

fn command(r: &Report) -> String {
    r.target.command.as_ref().map_or_else(
        || match (&r.target.pid, &r.target.cgroup) {
            (Some(pid), _) => format!("pid {pid}"),
            (None, Some(cg)) => format!("cgroup {}", code(&name(cg))),
            _ => "all processes".to_owned(),
        },
        |c| code(&c.iter().map(|a| shell_word(&a.term())).collect::<Vec<_>>().join(" ")),
    )
}

/// A command-line word as a shell would need it: as is when plain, else in single quotes.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '=' | ':' | ',' | '+' | '@' | '%'));
    if plain { w.to_owned() } else { format!("'{}'", w.replace('\'', "'\\''")) }
}

/// How the command ended, in words.
fn outcome(r: &Report) -> String {
    match &r.exit {
        None => "was traced".to_owned(),
        Some(x) => match (&x.code, &x.signal) {
            (_, Some(sig)) => format!("was killed by {}", escape(&term_str(sig))),
            (Some(0), None) => "succeeded (exit 0)".to_owned(),
            (Some(code), None) => format!("failed (exit {code})"),
            (None, None) => format!("ended (status {})", x.status),
        },
    }
}

/// The suggested changes of a denial, for its cell.
fn changes_cell(e: &DenialEntry) -> String {
    if e.suggestions.is_empty() {
        return "-".to_owned();
    }
    e.suggestions
        .iter()
        .map(|s| {
            format!(
                "{}: {} (risk {})",
                escape(&term_str(&s.format)),
                escape(&prose(&s.change)),
                escape(&term_str(&s.risk))
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The verdict: how the command ended, then the first denial with its cause and its fix.
fn verdict(r: &Report) -> String {
    let mut out = format!("**Verdict:** {} {}", command(r), outcome(r));
    let Some(first) = r.denials.first() else {
        out.push_str("; no refused syscall was seen");
        if r.stats.lost > 0 {
            let _ = write!(out, ", but {} event(s) were lost", r.stats.lost);
        }
        out.push('.');
        return out;
    };
    let _ = write!(
        out,
        "; {} refused syscall{} ({} distinct). First: {} {} by {}",
        r.stats.denials,
        if r.stats.denials == 1 { "" } else { "s" },
        r.stats.distinct,
        escape(&term_str(&first.errno)),
        code(&render::call(first)),
        code(&name(&first.process.comm)),
    );
    match &first.cause {
        Some(c) => {
            let _ = write!(
                out,
                ", refused by **{}** ({}): {}.",
                kind_name(first),
                confidence_name(c.confidence),
                escape(prose(&c.summary).trim_end_matches('.'))
            );
        }
        None => out.push_str(", cause unknown."),
    }
    for s in &first.suggestions {
        let _ = write!(
            out,
            " **Fix** ({}, risk {}): {}.",
            escape(&term_str(&s.format)),
            escape(&term_str(&s.risk)),
            escape(prose(&s.change).trim_end_matches('.'))
        );
    }
    out
}

fn denials_table(out: &mut String, r: &Report) {
    let _ = writeln!(out, "## Refused syscalls\n");
    if r.denials.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let _ = writeln!(out, "| # | Call | Process | Cause | Confidence | Count | Suggested change |");
    let _ = writeln!(out, "|---:|---|---|---|---|---:|---|");
    for (i, e) in r.denials.iter().take(MAX_ROWS).enumerate() {
        let (cause, confidence) = e.cause.as_ref().map_or_else(
            || ("unknown".to_owned(), "-"),
            |c| (format!("**{}**: {}", kind_name(e), escape(&prose(&c.summary))), confidence_name(c.confidence)),
        );
        let _ = writeln!(
            out,
            "| {} | {} {} | {} | {} | {} | {} | {} |",
            i + 1,
            escape(&term_str(&e.errno)),
            code_cell(&render::call(e)),
            process_cell(e),
            cause,
            confidence,
            e.count,
            changes_cell(e)
        );
    }
    if r.denials.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n{} more distinct denial(s) are not shown here: see report.json.",
            r.denials.len() - MAX_ROWS
        );
    }
    out.push('\n');
}

fn evidence(out: &mut String, r: &Report) {
    let explained: Vec<_> = r.denials.iter().take(MAX_ROWS).enumerate().filter(|(_, e)| e.cause.is_some()).collect();
    if explained.is_empty() {
        return;
    }
    let _ = writeln!(out, "<details><summary>Evidence</summary>\n");
    for (i, e) in explained {
        let Some(c) = &e.cause else { continue };
        let _ = writeln!(out, "**{}.** {} {}, x{}, first at +{} ms\n", i + 1, escape(&term_str(&e.errno)), code(&render::call(e)), e.count, e.t_ms);
        for ev in &c.evidence {
            let _ = writeln!(out, "- {}", escape(&prose(ev)));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "</details>\n");
}

/// The suggested texts, one block per format and distinct text, in report order.
fn suggestions(out: &mut String, r: &Report) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for e in r.denials.iter().take(MAX_ROWS) {
        for s in &e.suggestions {
            if !seen.contains(&(s.format.as_str(), s.text.as_str())) {
                seen.push((s.format.as_str(), s.text.as_str()));
            }
        }
    }
    if seen.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Suggested changes\n");
    for (format, text) in seen {
        let info = if text.starts_with("--- ") { "diff" } else { "" };
        let _ = writeln!(out, "{}:\n", code(&term_str(format)));
        out.push_str(&block(text, info));
        out.push('\n');
    }
}

/// Who killed a process, without the signal's name that the previous cell already shows.
fn killed_by(p: &crate::model::ProcessFate) -> &str {
    let by = p.killed_by.as_deref().unwrap_or("-");
    p.signal.as_deref().and_then(|sig| by.strip_prefix(sig)).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(by)
}

fn deaths(out: &mut String, r: &Report) {
    let _ = writeln!(out, "## Processes that died\n");
    let died: Vec<_> = r.processes.iter().filter(|p| p.signal.is_some()).collect();
    if died.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let _ = writeln!(out, "| Process | pid | Signal | Killed by | At |");
    let _ = writeln!(out, "|---|---:|---|---|---:|");
    for p in died {
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | +{} ms |",
            code_cell(&name(&p.comm)),
            p.exe.as_ref().map_or_else(String::new, |x| format!(" {}", code_cell(&name(x)))),
            p.pid,
            escape(&term_str(p.signal.as_deref().unwrap_or("-"))),
            escape(&prose(killed_by(p))),
            p.t_ms
        );
    }
    out.push('\n');
}

fn losses(out: &mut String, r: &Report) {
    let l = &r.stats.losses;
    let _ = writeln!(out, "## Losses\n");
    let _ = writeln!(
        out,
        "Lost events: {} (ring buffer: {} denial(s), {} other record(s); malformed: {}); threads not tracked: {}.",
        r.stats.lost, l.ring_denials, l.ring_other, l.malformed, l.task_map_full
    );
    if l.events_capped > 0 {
        let _ = writeln!(
            out,
            "\nThe events file reached its cap of {} lines: {} further line(s) were not written (the counts \
             above and report.json are complete).",
            crate::commands::session::EVENTS_CAP,
            l.events_capped
        );
    }
    for m in r.host.mechanisms.iter().filter(|m| !m.used) {
        let _ = writeln!(out, "\nUnavailable: {}: {}", code(&term_str(&m.name)), escape(&prose(&m.detail)));
    }
    out.push('\n');
}

/// The whole Markdown summary of a report.
#[must_use]
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# denytrace report\n");
    let _ = writeln!(out, "{}\n", verdict(r));
    let _ = writeln!(
        out,
        "Traced for {} ms from {} on Linux {} ({}), denytrace {}.\n",
        r.duration_ms,
        escape(&term_str(&r.started_at)),
        escape(&term_str(&r.host.kernel)),
        escape(&term_str(&r.host.arch)),
        escape(&term_str(&r.tool.version))
    );
    denials_table(&mut out, r);
    evidence(&mut out, r);
    suggestions(&mut out, r);
    deaths(&mut out, r);
    losses(&mut out, r);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::term;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(code(""), "` `");
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("a|b*c_<x>[l](u)`&#"), "a\\|b\\*c\\_\\<x\\>\\[l\\](u)\\`\\&\\#");
        assert_eq!(escape("write_file _x_ a__b"), "write_file \\_x\\_ a\\_\\_b");
        assert_eq!(escape(&term(b"x\n| y \x1b[1m")), "x\\\\x0a\\| y \\\\x1b\\[1m");
    }

    #[test]
    fn command_words_are_quoted_when_needed() {
        assert_eq!(shell_word("/usr/bin/python3"), "/usr/bin/python3");
        assert_eq!(shell_word("import os; os.openpty()"), "'import os; os.openpty()'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn blocks_are_fenced_beyond_their_content() {
        let b = block("a\n````\nb\x1b", "");
        assert!(b.starts_with("`````\n"), "{b}");
        assert!(b.ends_with("\n`````\n"), "{b}");
        assert!(b.contains("b\\x1b"), "{b}");
    }
}
