//! The human "processes that died" section of the summary: every cascade of deaths under its first
//! death (the root cause first, cascades in time order), then processes stopped by a signal, then
//! kill attempts the kernel refused. Names from the traced side are escaped; sentences denytrace
//! wrote (which embed escaped names) go through [`prose`].

use std::{collections::BTreeMap, fmt::Write as _};

use crate::{
    model::{ProcessFate, Report},
    text::{prose, term_str},
};

/// Cascades shown at most; the rest are counted.
const MAX_CASCADES: usize = 20;
/// Later deaths shown per cascade at most.
const MAX_FOLLOWERS: usize = 10;
/// Stops and refused kills shown at most.
const MAX_OTHERS: usize = 10;
/// Syscalls that send signals.
const KILL_CALLS: &[&str] = &["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"];

/// Whether a process fate is a death worth showing: killed by a signal, or ended because of an
/// earlier death.
#[must_use]
pub fn is_death(p: &ProcessFate) -> bool {
    p.signal.is_some() || p.follows.is_some()
}

/// The first death of the cascade `i` belongs to.
#[must_use]
pub fn root(processes: &[ProcessFate], mut i: usize) -> usize {
    for _ in 0..processes.len() {
        match processes[i].follows {
            Some(up) if up < processes.len() && up != i => i = up,
            _ => break,
        }
    }
    i
}

fn how(p: &ProcessFate) -> String {
    let lifetime = p.lifetime_ms.map_or_else(String::new, |l| format!(", {l} ms after it started"));
    match (&p.killed_by, &p.signal, p.code) {
        (Some(by), _, _) => format!("{}{lifetime}", prose(by)),
        (None, Some(sig), _) => format!("{}{lifetime}", term_str(sig)),
        (None, None, Some(code)) => format!("exited with code {code}{lifetime}"),
        (None, None, None) => format!("ended{lifetime}"),
    }
}

fn name(p: &ProcessFate) -> String {
    format!("{} (pid {})", p.comm.term(), p.pid)
}

/// The section, or an empty string when no traced process died, stopped or had a kill refused.
#[must_use]
pub fn section(r: &Report) -> String {
    let mut out = String::new();
    let procs = &r.processes;
    let mut cascades: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, p) in procs.iter().enumerate() {
        if is_death(p) {
            cascades.entry(root(procs, i)).or_default().push(i);
        }
    }
    if !cascades.is_empty() {
        let _ = writeln!(out, "\nprocesses that died (first death first):");
        for (n, (&first, members)) in cascades.iter().take(MAX_CASCADES).enumerate() {
            let p = &procs[first];
            let _ = writeln!(out, "  {}. +{} ms  {}: {}", n + 1, p.t_ms, name(p), how(p));
            let followers: Vec<usize> = members.iter().copied().filter(|&i| i != first).collect();
            for &i in followers.iter().take(MAX_FOLLOWERS) {
                let f = &procs[i];
                let after = f.follows.and_then(|j| procs.get(j)).map_or_else(String::new, |c| {
                    format!(" (after {} died)", name(c))
                });
                let _ = writeln!(out, "     then +{} ms  {}: {}{after}", f.t_ms, name(f), how(f));
            }
            if followers.len() > MAX_FOLLOWERS {
                let _ = writeln!(out, "     ... and {} more deaths in this cascade", followers.len() - MAX_FOLLOWERS);
            }
        }
        if cascades.len() > MAX_CASCADES {
            let _ = writeln!(out, "  ... and {} more (see `processes` in the JSON report)", cascades.len() - MAX_CASCADES);
        }
    }
    let stops: Vec<_> = r
        .signals
        .iter()
        .filter(|s| crate::fate::is_stop(&s.signal) && s.result == "delivered" && !s.fatal)
        .collect();
    if !stops.is_empty() {
        let _ = writeln!(out, "\nstop signals (the process stops unless it handles the signal; SIGSTOP cannot be handled):");
        for s in stops.iter().take(MAX_OTHERS) {
            let from = match (&s.sender, &s.kernel_reason) {
                (_, Some(reason)) => prose(reason),
                (Some(sender), None) => format!("sent by {}", crate::fate::sender_text(sender)),
                (None, None) => "from the kernel".to_owned(),
            };
            let _ = writeln!(
                out,
                "  +{} ms  {} (pid {}): {}: {from}",
                s.t_ms,
                s.target_comm.term(),
                s.target_pid,
                term_str(&s.signal)
            );
        }
        if stops.len() > MAX_OTHERS {
            let _ = writeln!(out, "  ... and {} more", stops.len() - MAX_OTHERS);
        }
    }
    let refused: Vec<_> = r
        .denials
        .iter()
        .enumerate()
        .filter(|(_, d)| KILL_CALLS.contains(&d.syscall.name.as_str()))
        .collect();
    if !refused.is_empty() {
        let _ = writeln!(out, "\nrefused signals (denials above):");
        for (i, d) in refused.iter().take(MAX_OTHERS) {
            let cause = d.cause.as_ref().map_or_else(String::new, |c| format!(": {}", prose(&c.summary)));
            let _ = writeln!(
                out,
                "  {}. {} by {} (pid {}, uid {}) x{}{cause}",
                i + 1,
                crate::render::call(d),
                d.process.comm.term(),
                d.process.pid,
                d.process.uid,
                d.count
            );
        }
        if refused.len() > MAX_OTHERS {
            let _ = writeln!(out, "  ... and {} more", refused.len() - MAX_OTHERS);
        }
    }
    out
}
