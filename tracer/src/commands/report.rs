//! `denytrace report FILE [--format human|markdown|json]`: re-renders a saved report.
//!
//! The report is read with the schema's strict types (unknown fields are refused), so a file of
//! another schema fails with a clear message instead of rendering half. Every rendering is a
//! function of the file alone: the same file gives the same bytes, and reports of two runs of the
//! same command differ only where the runs did. `--format json` re-serialises the report in the
//! schema's field order, two-space indented, with one trailing newline.

use std::{io::Write as _, path::Path};

use anyhow::{Context as _, Result, bail};

use crate::{
    cli::{ReportArgs, ReportFormat},
    model::{REPORT_SCHEMA, Report},
};

/// Reads a saved report.
pub fn load(path: &Path) -> Result<Report> {
    let text = std::fs::read(path).with_context(|| format!("reading the report {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    match value.get("schema").and_then(serde_json::Value::as_str) {
        Some(REPORT_SCHEMA) => {}
        Some(other) => bail!("{}: schema {other:?}, expected {REPORT_SCHEMA:?}", path.display()),
        None => bail!("{}: not a denytrace report (no \"schema\" field)", path.display()),
    }
    serde_json::from_value(value).with_context(|| format!("{}: not a valid {REPORT_SCHEMA} report", path.display()))
}

/// The normalised JSON form of a report.
pub fn json(report: &Report) -> Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}

/// Runs `denytrace report`.
pub fn report(args: &ReportArgs) -> Result<u8> {
    let report = load(&args.file)?;
    let text = match args.format {
        ReportFormat::Human => crate::render::summary(&report),
        ReportFormat::Markdown => crate::markdown::summary(&report),
        ReportFormat::Json => json(&report)?,
    };
    print(&text)?;
    Ok(0)
}
