//! Human-readable output: the summary printed after a run or a watch, and the one-line form of a
//! denial for live output. Everything the traced side chose is escaped (see `text.rs`).

use std::fmt::Write as _;

use crate::{
    model::{DenialEntry, Report},
    text::{Text, prose, quoted, term_str},
};

/// `openat(AT_FDCWD, "/dev/ptmx", O_RDWR|O_NOCTTY)`.
#[must_use]
pub fn call(e: &DenialEntry) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &e.path {
        parts.push(quoted(&p.to_bytes()));
    }
    if let Some(p) = &e.path2 {
        parts.push(quoted(&p.to_bytes()));
    }
    for (k, v) in &e.syscall.args {
        if v == "AT_FDCWD" {
            continue;
        }
        // Values are denytrace's own rendering (a socket path inside is already escaped).
        parts.push(format!("{}={}", term_str(k), prose(v)));
    }
    format!("{}({})", term_str(&e.syscall.name), parts.join(", "))
}

fn process(e: &DenialEntry) -> String {
    let exe = e.process.exe.as_ref().map_or_else(String::new, |x| format!(" {}", x.term()));
    format!("{} (pid {}, uid {}{exe})", e.process.comm.term(), e.process.pid, e.process.uid)
}

/// One line for live output.
#[must_use]
pub fn line(e: &DenialEntry) -> String {
    let cause = e.cause.as_ref().map_or_else(String::new, |c| {
        format!("  [{} {}] {}", kind_name(c.kind), conf_name(c.confidence), prose(&c.summary))
    });
    format!("{} {} by {}{cause}", term_str(&e.errno), call(e), process(e))
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
        (_, Some(sig)) => format!(", killed by {}", term_str(sig)),
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
        let _ = writeln!(out, "  {}. {} {}  x{}", i + 1, term_str(&e.errno), call(e), e.count);
        let _ = writeln!(out, "     by {} at +{} ms", process(e), e.t_ms);
        if let Some(c) = &e.cause {
            let _ = writeln!(out, "     cause: {} ({}): {}", kind_name(c.kind), conf_name(c.confidence), prose(&c.summary));
            for ev in &c.evidence {
                let _ = writeln!(out, "       - {}", prose(ev));
            }
        }
        for s in &e.suggestions {
            let _ = writeln!(out, "     fix ({}, risk {}): {}", term_str(&s.format), term_str(&s.risk), prose(&s.change));
            for l in s.text.lines() {
                let _ = writeln!(out, "       {}", prose(l));
            }
        }
    }
    out.push_str(&crate::fate::summary::section(r));
    let u = &r.stats.unlisted;
    if u.processes > 0 || u.signals > 0 {
        let _ = writeln!(
            out,
            "\nnot listed (the report's caps, docs/fate.md): {} ended process(es), {} signal(s); counted, and in --events",
            u.processes, u.signals
        );
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
        let _ = writeln!(out, "note: {} unavailable: {}", term_str(&m.name), prose(&m.detail));
    }
    out
}
