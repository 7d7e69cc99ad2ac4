//! `denytrace diff BEFORE.json AFTER.json [--json]`: which distinct denials disappeared, appeared
//! or remained between two saved reports ("did my policy change fix it?").
//!
//! A denial is identified as the report groups it, by what stays the same from one run to the
//! next: the process image (executable, or `comm` when unknown), the syscall's name, the path, the
//! second path and the errno. Times, pids and counts are not part of it (counts are shown).
//! Disappeared denials are listed in the earlier report's order, the others in the later one's,
//! so the output is a function of the two files.
//!
//! Exit code, as diff(1): 0 when no denial appeared or disappeared, 1 when some did, 125 when a
//! report cannot be read. The JSON form has the schema `denytrace.diff/v1` (docs/ci.md).

use std::{collections::HashMap, fmt::Write as _, path::Path};

use anyhow::Result;
use serde::Serialize;

use super::report::{load, print};
use crate::{
    cli::DiffArgs,
    model::{Cause, DenialEntry, Report},
    render,
    text::{Text, prose, term, term_str},
};

/// Value of [`DiffOutput::schema`].
pub const DIFF_SCHEMA: &str = "denytrace.diff/v1";

/// What identifies a denial across runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DenialKey {
    /// Executable, or `comm` when the executable is unknown.
    pub image: Text,
    /// Syscall name.
    pub syscall: String,
    /// The object.
    pub path: Option<Text>,
    /// The second object.
    pub path2: Option<Text>,
    /// Errno name.
    pub errno: String,
}

impl DenialKey {
    /// The key of a report entry.
    #[must_use]
    pub fn of(e: &DenialEntry) -> Self {
        Self {
            image: e.process.exe.clone().unwrap_or_else(|| e.process.comm.clone()),
            syscall: e.syscall.name.clone(),
            path: e.path.clone(),
            path2: e.path2.clone(),
            errno: e.errno.clone(),
        }
    }
}

/// The verdict on a denial, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseBrief {
    /// Mechanism (`landlock`, `dac`...).
    pub kind: crate::model::CauseKind,
    /// How sure.
    pub confidence: crate::model::Confidence,
    /// One line.
    pub summary: String,
}

impl From<&Cause> for CauseBrief {
    fn from(c: &Cause) -> Self {
        Self { kind: c.kind, confidence: c.confidence, summary: c.summary.clone() }
    }
}

/// One distinct denial in the diff.
#[derive(Debug, Clone, Serialize)]
pub struct DiffItem {
    /// Its identity.
    pub key: DenialKey,
    /// Occurrences in the earlier report (null when absent).
    pub count_before: Option<u64>,
    /// Occurrences in the later report (null when absent).
    pub count_after: Option<u64>,
    /// Verdict in the earlier report.
    pub cause_before: Option<CauseBrief>,
    /// Verdict in the later report.
    pub cause_after: Option<CauseBrief>,
    /// The call as printed (from the later report when present there).
    pub call: String,
}

/// One side of the diff.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The file as named on the command line.
    pub file: String,
    /// The command's exit status (`run` reports).
    pub status: Option<i32>,
    /// Distinct denials.
    pub distinct: u64,
    /// Refused syscalls in all.
    pub denials: u64,
    /// Lost records: a denial may be missing from this side because it was lost.
    pub lost: u64,
}

/// `diff --json`.
#[derive(Debug, Clone, Serialize)]
pub struct DiffOutput {
    /// [`DIFF_SCHEMA`].
    pub schema: String,
    /// The earlier report.
    pub before: Side,
    /// The later report.
    pub after: Side,
    /// Refused before, not after.
    pub disappeared: Vec<DiffItem>,
    /// Refused after, not before.
    pub appeared: Vec<DiffItem>,
    /// Refused in both.
    pub remained: Vec<DiffItem>,
}

/// Entries by key (first entry of each key, summed count), in report order.
fn index(r: &Report) -> (Vec<DenialKey>, HashMap<DenialKey, (u64, &DenialEntry)>) {
    let mut order = Vec::new();
    let mut map: HashMap<DenialKey, (u64, &DenialEntry)> = HashMap::new();
    for e in &r.denials {
        let key = DenialKey::of(e);
        if let Some(slot) = map.get_mut(&key) {
            slot.0 += e.count;
        } else {
            order.push(key.clone());
            map.insert(key, (e.count, e));
        }
    }
    (order, map)
}

fn side(file: &Path, r: &Report) -> Side {
    Side {
        file: file.to_string_lossy().into_owned(),
        status: r.exit.as_ref().map(|x| x.status),
        distinct: r.stats.distinct,
        denials: r.stats.denials,
        lost: r.stats.lost,
    }
}

/// Compares two reports.
#[must_use]
pub fn compare(before_file: &Path, before: &Report, after_file: &Path, after: &Report) -> DiffOutput {
    let (b_order, b_map) = index(before);
    let (a_order, a_map) = index(after);
    let item = |key: &DenialKey| {
        let b = b_map.get(key);
        let a = a_map.get(key);
        let shown = a.or(b).map(|(_, e)| render::call(e)).unwrap_or_default();
        DiffItem {
            key: key.clone(),
            count_before: b.map(|(n, _)| *n),
            count_after: a.map(|(n, _)| *n),
            cause_before: b.and_then(|(_, e)| e.cause.as_ref()).map(CauseBrief::from),
            cause_after: a.and_then(|(_, e)| e.cause.as_ref()).map(CauseBrief::from),
            call: shown,
        }
    };
    DiffOutput {
        schema: DIFF_SCHEMA.into(),
        before: side(before_file, before),
        after: side(after_file, after),
        disappeared: b_order.iter().filter(|k| !a_map.contains_key(*k)).map(item).collect(),
        appeared: a_order.iter().filter(|k| !b_map.contains_key(*k)).map(item).collect(),
        remained: a_order.iter().filter(|k| b_map.contains_key(*k)).map(item).collect(),
    }
}

fn cause_text(c: Option<&CauseBrief>) -> String {
    c.map_or_else(
        || "unexplained".to_owned(),
        |c| {
            let v = |x: serde_json::Value| x.as_str().map(str::to_owned).unwrap_or_default();
            format!(
                "{} {}",
                v(serde_json::to_value(c.kind).unwrap_or_default()),
                v(serde_json::to_value(c.confidence).unwrap_or_default())
            )
        },
    )
}

fn line(out: &mut String, mark: char, item: &DiffItem) {
    let counts = match (item.count_before, item.count_after) {
        (Some(b), Some(a)) if a == b => format!("x{a}"),
        (Some(b), Some(a)) => format!("x{b} -> x{a}"),
        (Some(n), None) | (None, Some(n)) => format!("x{n}"),
        (None, None) => String::new(),
    };
    let cause = match (&item.cause_before, &item.cause_after) {
        (Some(b), Some(a)) if (b.kind, b.confidence) != (a.kind, a.confidence) => {
            format!("{} -> {}", cause_text(Some(b)), cause_text(Some(a)))
        }
        (b, a) => cause_text(a.as_ref().or(b.as_ref())),
    };
    let _ = writeln!(
        out,
        "  {mark} {} {} by {}  {counts}  [{cause}]",
        term_str(&item.key.errno),
        prose(&item.call),
        term(&item.key.image.to_bytes())
    );
}

/// The human form.
#[must_use]
pub fn human(d: &DiffOutput) -> String {
    let mut out = String::new();
    let status = |s: &Side| s.status.map_or_else(String::new, |st| format!(", exit {st}"));
    let _ = writeln!(
        out,
        "denytrace diff: {} disappeared, {} appeared, {} remained\n  before: {} ({} distinct{})\n  after:  {} ({} distinct{})",
        d.disappeared.len(),
        d.appeared.len(),
        d.remained.len(),
        term_str(&d.before.file),
        d.before.distinct,
        status(&d.before),
        term_str(&d.after.file),
        d.after.distinct,
        status(&d.after),
    );
    for (title, mark, items) in [
        ("disappeared (refused before, not after)", '-', &d.disappeared),
        ("appeared (refused after, not before)", '+', &d.appeared),
        ("remained (refused in both)", '=', &d.remained),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}:");
        for item in items {
            line(&mut out, mark, item);
        }
    }
    for (name, s) in [("before", &d.before), ("after", &d.after)] {
        if s.lost > 0 {
            let _ = writeln!(out, "\nnote: {} event(s) were lost in the {name} report: a denial may be missing from it", s.lost);
        }
    }
    out
}

/// Runs `denytrace diff`.
pub fn diff(args: &DiffArgs) -> Result<u8> {
    let before = load(&args.before)?;
    let after = load(&args.after)?;
    let d = compare(&args.before, &before, &args.after, &after);
    let text = if args.json { serde_json::to_string_pretty(&d)? + "\n" } else { human(&d) };
    print(&text)?;
    Ok(u8::from(!d.appeared.is_empty() || !d.disappeared.is_empty()))
}
