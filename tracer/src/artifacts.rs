//! `run --artifacts DIR [--on-failure]`: the evidence a CI job keeps when a wrapped command fails.
//!
//! DIR receives `report.json` (the JSON report), `events.jsonl` (the `--events` lines, capped at
//! [`EVENTS_CAP`] lines: the report's `stats.losses.events_capped` says how many were left out),
//! `summary.md` (the Markdown summary a person reads first, see [`crate::markdown`]) and, for each
//! `--suggest` format with suggestions, `<format>.patch` (unified diffs against `--policy`) or
//! `<format>.txt` (fragments to paste). With `GITHUB_STEP_SUMMARY` set, `summary.md` is appended
//! to that file too. With `--on-failure` and a command that exited 0, nothing is kept: the events
//! file written during the run is removed, and DIR too when this run created it.
//!
//! Nothing here changes denytrace's exit code, which stays the command's: a failure to write an
//! artifact is reported on stderr.

use std::{
    fs,
    io::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{Context as _, Result, bail};

use crate::{
    cli::RunArgs,
    commands::session::EVENTS_CAP,
    model::{EVENT_SCHEMA, EventLine, Report},
};

/// The JSON report.
pub const REPORT: &str = "report.json";
/// The event lines.
pub const EVENTS: &str = "events.jsonl";
/// The Markdown summary.
pub const SUMMARY: &str = "summary.md";
/// The environment variable naming GitHub Actions' step summary file.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// The artifact directory of one run, between [`prepare`] and [`finish`].
#[derive(Debug)]
pub struct Artifacts {
    dir: PathBuf,
    /// Whether this run created `dir` (then `--on-failure` removes it again).
    created: bool,
    /// Whether the session writes `events.jsonl` itself (no `--events` of the user's own).
    events_direct: bool,
}

/// Creates DIR before the command starts (a bad DIR fails before anything runs) and, unless the
/// user chose `--events`, points the session's events output at `DIR/events.jsonl`.
pub fn prepare(args: &mut RunArgs) -> Result<Option<Artifacts>> {
    let Some(dir) = args.artifacts.clone() else {
        return Ok(None);
    };
    let created = !dir.exists();
    fs::create_dir_all(&dir).with_context(|| format!("creating the artifacts directory {}", dir.display()))?;
    if !dir.is_dir() {
        bail!("--artifacts {}: not a directory", dir.display());
    }
    let events_direct = args.output.events.is_none();
    if events_direct {
        let path = dir.join(EVENTS);
        let Some(path) = path.to_str() else {
            bail!("--artifacts {}: the path is not valid UTF-8", dir.display());
        };
        args.output.events = Some(path.to_owned());
    }
    Ok(Some(Artifacts { dir, created, events_direct }))
}

/// Writes the artifacts of a finished run (or, with `--on-failure` after a success, removes what
/// the run wrote). Errors are printed, never returned: denytrace exits with the command's code.
pub fn finish(artifacts: Option<Artifacts>, report: &Report, args: &RunArgs) {
    let Some(a) = artifacts else { return };
    let succeeded = report.exit.as_ref().is_some_and(|x| x.code == Some(0));
    if args.on_failure && succeeded {
        a.discard();
        return;
    }
    match a.write(report, args) {
        Ok(files) => eprintln!("denytrace: artifacts in {}: {}", a.dir.display(), files.join(", ")),
        Err(err) => eprintln!("denytrace: writing the artifacts in {}: {err:#}", a.dir.display()),
    }
}

impl Artifacts {
    /// Removes what this run wrote.
    fn discard(&self) {
        if self.events_direct {
            let path = self.dir.join(EVENTS);
            if let Err(err) = fs::remove_file(&path) {
                if err.kind() != std::io::ErrorKind::NotFound {
                    eprintln!("denytrace: removing {}: {err}", path.display());
                }
            }
        }
        if self.created {
            // Only if empty: anything else in it is not ours.
            let _ = fs::remove_dir(&self.dir);
        }
    }

    /// Writes every file; returns their names.
    fn write(&self, report: &Report, args: &RunArgs) -> Result<Vec<String>> {
        let mut files = Vec::new();
        let text = serde_json::to_string_pretty(report)? + "\n";
        self.put(REPORT, text.as_bytes())?;
        files.push(REPORT.to_owned());

        if !self.events_direct {
            match args.output.events.as_deref() {
                Some("-") | None => self.put(EVENTS, events_from_report(report)?.as_bytes())?,
                Some(path) => {
                    let target = self.dir.join(EVENTS);
                    // `--events DIR/events.jsonl` is already in place (copying a file onto itself
                    // would empty it).
                    let same = fs::canonicalize(path).ok().zip(fs::canonicalize(&target).ok()).is_some_and(|(a, b)| a == b);
                    if !same {
                        fs::copy(path, &target).with_context(|| format!("copying the events file {path}"))?;
                    }
                }
            }
        }
        files.push(EVENTS.to_owned());

        let summary = crate::markdown::summary(report);
        self.put(SUMMARY, summary.as_bytes())?;
        files.push(SUMMARY.to_owned());

        let mut formats: Vec<&str> = Vec::new();
        for f in args.suggest.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
            if !formats.contains(&f) {
                formats.push(f);
            }
        }
        for format in formats {
            if let Some((name, body)) = patch(report, format) {
                self.put(&name, body.as_bytes())?;
                files.push(name);
            }
        }

        if let Some(path) = std::env::var_os(GITHUB_STEP_SUMMARY).filter(|p| !p.is_empty()) {
            append(Path::new(&path), &summary)
                .with_context(|| format!("appending to {GITHUB_STEP_SUMMARY} ({})", Path::new(&path).display()))?;
        }
        Ok(files)
    }

    fn put(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    }
}

/// The file for one `--suggest` format: `<format>.patch` when every suggestion of that format is a
/// unified diff (a `--policy` was given), else `<format>.txt`; distinct texts in report order,
/// separated by a blank line. None when the report has no suggestion in that format, or when the
/// format's name is not a plain word (it becomes a file name).
#[must_use]
pub fn patch(report: &Report, format: &str) -> Option<(String, String)> {
    if !format.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return None;
    }
    let mut texts: Vec<&str> = Vec::new();
    for e in &report.denials {
        for s in e.suggestions.iter().filter(|s| s.format == format) {
            if !texts.contains(&s.text.as_str()) {
                texts.push(&s.text);
            }
        }
    }
    if texts.is_empty() {
        return None;
    }
    let is_diff = texts.iter().all(|t| t.starts_with("--- "));
    let mut body = String::new();
    for t in texts {
        if !body.is_empty() && !is_diff {
            body.push('\n');
        }
        body.push_str(t);
        if !t.ends_with('\n') {
            body.push('\n');
        }
    }
    Some((format!("{format}.{}", if is_diff { "patch" } else { "txt" }), body))
}

/// Event lines rebuilt from the report when the session's own went to stdout (`--events -`): the
/// first occurrence of each denial (count 1), the signals and the exits, in time order.
fn events_from_report(report: &Report) -> Result<String> {
    let mut lines: Vec<(u64, EventLine)> = Vec::new();
    for d in &report.denials {
        let mut first = d.clone();
        first.count = 1;
        first.last_seen.clone_from(&first.first_seen);
        first.suggestions.clear();
        lines.push((d.t_ms, EventLine { schema: EVENT_SCHEMA.into(), event: "denial".into(), denial: Some(first), signal: None, exit: None }));
    }
    for s in &report.signals {
        lines.push((s.t_ms, EventLine { schema: EVENT_SCHEMA.into(), event: "signal".into(), denial: None, signal: Some(s.clone()), exit: None }));
    }
    for p in &report.processes {
        lines.push((p.t_ms, EventLine { schema: EVENT_SCHEMA.into(), event: "exit".into(), denial: None, signal: None, exit: Some(p.clone()) }));
    }
    lines.sort_by_key(|(t, _)| *t);
    let mut out = String::new();
    for (_, line) in lines.iter().take(usize::try_from(EVENTS_CAP).unwrap_or(usize::MAX)) {
        out.push_str(&serde_json::to_string(line)?);
        out.push('\n');
    }
    Ok(out)
}

/// Appends `text` to a file (GitHub's step summary), creating it if needed.
fn append(path: &Path, text: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new().append(true).create(true).open(path)?;
    f.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        f.write_all(b"\n")?;
    }
    Ok(())
}
