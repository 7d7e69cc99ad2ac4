//! Human-readable output: the summary printed after a run or a watch, and the one-line form of a
//! denial for live output. Everything the traced side chose is escaped (see `text.rs`).

use std::fmt::Write as _;

use crate::{
    model::{DenialEntry, Report},
    text::{Text, term_str},
};

/// `openat(AT_FDCWD, "/dev/ptmx", O_RDWR|O_NOCTTY)`.
#[must_use]
pub fn call(e: &DenialEntry) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &e.path {
        parts.push(format!("\"{}\"", p.term()));
    }
    if let Some(p) = &e.path2 {
        parts.push(format!("\"{}\"", p.term()));
    }
    for (k, v) in &e.syscall.args {
        if v == "AT_FDCWD" {
            continue;
        }
        parts.push(format!("{k}={}", term_str(v)));
    }
    format!("{}({})", e.syscall.name, parts.join(", "))
}

fn process(e: &DenialEntry) -> String {
    let exe = e.process.exe.as_ref().map_or_else(String::new, |x| format!(" {}", x.term()));
    format!("{} (pid {}, uid {}{exe})", e.process.comm.term(), e.process.pid, e.process.uid)
}

/// One line for live output.
#[must_use]
pub fn line(e: &DenialEntry) -> String {
    let cause = e.cause.as_ref().map_or_else(String::new, |c| {
        format!("  [{} {}] {}", kind_name(c.kind), conf_name(c.confidence), term_str(&c.summary))
    });
    format!("{} {} by {}{cause}", e.errno, call(e), process(e))
}

fn kind_name(k: crate::model::CauseKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn conf_name(c: crate::model::Confidence) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn command_text(r: &Report) -> String {
    r.target.command.as_ref().map_or_else(
        || match (&r.target.pid, &r.target.cgroup) {
            (Some(pid), _) => format!("pid {pid}"),
            (None, Some(cg)) => format!("cgroup {}", cg.term()),
            _ => "all processes".to_owned(),
        },
        |c| c.iter().map(Text::term).collect::<Vec<_>>().join(" "),
    )
}

/// The summary: verdicts first, grouped and counted; then deaths; then losses.
#[must_use]
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let exit = r.exit.as_ref().map_or_else(String::new, |x| match (&x.code, &x.signal) {
        (_, Some(sig)) => format!(", killed by {sig}"),
        (Some(code), None) => format!(", exit {code}"),
        _ => String::new(),
    });
    let _ = writeln!(
        out,
        "denytrace: {} refused syscall{} ({} distinct) in {}{exit}",
        r.stats.denials,
        if r.stats.denials == 1 { "" } else { "s" },
        r.stats.distinct,
        command_text(r)
    );
    for (i, e) in r.denials.iter().enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(out, "  {}. {} {}  x{}", i + 1, e.errno, call(e), e.count);
        let _ = writeln!(out, "     by {} at +{} ms", process(e), e.t_ms);
        if let Some(c) = &e.cause {
            let _ = writeln!(out, "     cause: {} ({}): {}", kind_name(c.kind), conf_name(c.confidence), term_str(&c.summary));
            for ev in &c.evidence {
                let _ = writeln!(out, "       - {}", term_str(ev));
            }
        }
        for s in &e.suggestions {
            let _ = writeln!(out, "     fix ({}, risk {}): {}", s.format, s.risk, term_str(&s.change));
            for l in s.text.lines() {
                let _ = writeln!(out, "       {}", term_str(l));
            }
        }
    }
    let died: Vec<_> = r.processes.iter().filter(|p| p.signal.is_some()).collect();
    if !died.is_empty() {
        let _ = writeln!(out, "\nprocesses that died (first death first):");
        for p in died {
            let _ = writeln!(
                out,
                "  +{} ms  {} (pid {}): {}{}",
                p.t_ms,
                p.comm.term(),
                p.pid,
                term_str(p.killed_by.as_deref().unwrap_or("killed")),
                p.lifetime_ms.map_or_else(String::new, |l| format!(", {l} ms after it started"))
            );
        }
    }
    let l = &r.stats.losses;
    if r.stats.lost > 0 || l.task_map_full > 0 {
        let _ = writeln!(
            out,
            "\nLOST: {} record(s) (ring buffer: {} denials, {} others; malformed {}); {} threads untracked",
            r.stats.lost, l.ring_denials, l.ring_other, l.malformed, l.task_map_full
        );
    } else {
        let _ = writeln!(out, "\nlost events: 0");
    }
    for m in r.host.mechanisms.iter().filter(|m| !m.used) {
        let _ = writeln!(out, "note: {} unavailable: {}", m.name, term_str(&m.detail));
    }
    out
}
