//! Resource limits and cgroup counts: `RLIMIT_NPROC` against a cgroup's `pids.max` against the
//! system-wide thread and pid limits for a fork that failed with EAGAIN; `RLIMIT_NOFILE`,
//! `file-max` and `RLIMIT_FSIZE` for EMFILE, ENFILE and EFBIG.

use std::fs;

use serde_json::json;

use super::{
    Verdict,
    snapshot::{self, Snapshot, Source},
};
use crate::{
    model::{CauseKind, Confidence},
    procinfo,
};

const CAP_SYS_ADMIN: u32 = 21;
const CAP_SYS_RESOURCE: u32 = 24;

fn read_trim(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

/// A pids controller's state for one cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidsState {
    /// The cgroup directory.
    pub dir: String,
    /// `pids.max` (None is "max").
    pub max: Option<u64>,
    /// `pids.current`.
    pub current: u64,
    /// The `max` counter of `pids.events`: forks refused by this limit.
    pub refused: u64,
}

/// Reads a pids cgroup directory.
#[must_use]
pub fn pids_state(dir: &str) -> Option<PidsState> {
    let max = read_trim(&format!("{dir}/pids.max"))?;
    let current = read_trim(&format!("{dir}/pids.current"))?.parse().ok()?;
    let events = read_trim(&format!("{dir}/pids.events")).unwrap_or_default();
    let refused = events
        .lines()
        .find_map(|l| l.strip_prefix("max ").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0);
    Some(PidsState { dir: dir.to_owned(), max: max.parse().ok(), current, refused })
}

/// Where the pids controller of a process is, and every limited cgroup from it up to the root;
/// with where its membership was read.
fn pids_chain(pid: u32, snap: Option<&Snapshot>) -> (Vec<PidsState>, Option<Source>) {
    let mut dirs = Vec::new();
    let mut source = None;
    if let Some((path, from)) = snapshot::cgroup_v1(pid, "pids", snap) {
        dirs.push(("/sys/fs/cgroup/pids".to_owned(), path));
        source = Some(from);
    }
    if let Some((path, from)) = snapshot::cgroup_v2(pid, snap) {
        for mount in crate::kernel::cgroup::v2_mounts() {
            dirs.push((mount, path.clone()));
        }
        source = source.or(Some(from));
    }
    let mut out = Vec::new();
    for (root, path) in dirs {
        let mut rel = path.trim_end_matches('/').to_owned();
        loop {
            if let Some(state) = pids_state(&format!("{root}{rel}")) {
                out.push(state);
            }
            if rel.is_empty() {
                break;
            }
            let parent = rel.rfind('/').unwrap_or(0);
            rel.truncate(parent);
        }
    }
    (out, source)
}

fn count_threads() -> Option<u64> {
    // The fourth field of /proc/loadavg is "running/total" scheduling entities (threads).
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().nth(3)?.split('/').nth(1)?.parse().ok()
}

/// A fork-like call failed with EAGAIN.
#[must_use]
#[expect(clippy::too_many_lines, reason = "one decision procedure, in the kernel's order: RLIMIT_NPROC, pids cgroups, system limits")]
pub fn fork_eagain(pid: u32, uid: u32, failed_caps: u64, caps_seen: bool, snap: Option<&Snapshot>, kernel: Option<procinfo::Limit>) -> Verdict {
    let mut evidence = Vec::new();
    let nproc_read = snapshot::limit(pid, "Max processes", snap, kernel);
    let nproc = nproc_read.as_ref().map(|(l, _)| l.clone());
    let nproc_note = nproc_read.as_ref().and_then(|(_, s)| s.note(pid, "limits"));
    let nproc_caps = failed_caps & (1 << CAP_SYS_RESOURCE) != 0 && failed_caps & (1 << CAP_SYS_ADMIN) != 0;
    if uid != 0 && nproc_caps {
        evidence.push(
            "the kernel checked CAP_SYS_RESOURCE and CAP_SYS_ADMIN during the fork and both were refused: \
             copy_process() does that only when the user is over RLIMIT_NPROC"
                .to_owned(),
        );
        let usage = procinfo::threads_of_uid(uid);
        let mut detail = serde_json::Map::new();
        detail.insert("limit".into(), json!("RLIMIT_NPROC"));
        if let Some(l) = &nproc {
            detail.insert("soft".into(), json!(l.soft));
            detail.insert("hard".into(), json!(l.hard));
            if let Some(note) = &nproc_note {
                evidence.push(note.clone());
            }
            evidence.push(format!(
                "RLIMIT_NPROC of pid {pid}: soft {}, hard {}",
                limit_text(l.soft),
                limit_text(l.hard)
            ));
        } else {
            evidence.push(format!("pid {pid} was gone before its limits could be read"));
        }
        detail.insert("usage".into(), json!(usage));
        detail.insert("uid".into(), json!(uid));
        evidence.push(format!("uid {uid} has {usage} threads now (RLIMIT_NPROC counts every thread of the user)"));
        return Verdict {
            kind: CauseKind::Rlimit,
            confidence: Confidence::Certain,
            summary: format!(
                "RLIMIT_NPROC: uid {uid} is at its limit of {} processes",
                nproc.as_ref().map_or_else(|| "?".to_owned(), |l| limit_text(l.soft))
            ),
            evidence,
            detail,
        };
    }
    let (chain, chain_source) = pids_chain(pid, snap);
    if let Some(hit) = chain.iter().find(|s| s.max.is_some_and(|m| s.refused > 0 && s.current + 1 >= m))
        .or_else(|| chain.iter().find(|s| s.max.is_some() && s.refused > 0))
    {
        evidence.push(format!(
            "{}/pids.events counts {} refused fork(s); pids.current {} of pids.max {}",
            hit.dir,
            hit.refused,
            hit.current,
            limit_text(hit.max)
        ));
        if let Some(note) = chain_source.and_then(|s| s.note(pid, "cgroups")) {
            evidence.push(note);
        }
        if caps_seen && !nproc_caps {
            evidence.push("no RLIMIT_NPROC capability check was refused during the fork".to_owned());
        }
        let mut detail = serde_json::Map::new();
        detail.insert("cgroup".into(), json!(hit.dir));
        detail.insert("pids_max".into(), json!(hit.max));
        detail.insert("pids_current".into(), json!(hit.current));
        detail.insert("refused_forks".into(), json!(hit.refused));
        return Verdict {
            kind: CauseKind::CgroupPids,
            confidence: if caps_seen { Confidence::Certain } else { Confidence::Likely },
            summary: format!("cgroup pids.max ({}) reached in {}", limit_text(hit.max), hit.dir),
            evidence,
            detail,
        };
    }
    let threads_max: Option<u64> = read_trim("/proc/sys/kernel/threads-max").and_then(|s| s.parse().ok());
    let pid_max: Option<u64> = read_trim("/proc/sys/kernel/pid_max").and_then(|s| s.parse().ok());
    let threads = count_threads();
    if let (Some(max), Some(n)) = (threads_max, threads) {
        if n + 16 >= max {
            evidence.push(format!("{n} threads exist; kernel.threads-max is {max}"));
            return Verdict::simple(CauseKind::Rlimit, Confidence::Likely, "kernel.threads-max reached", evidence)
                .with("limit", json!("kernel.threads-max"))
                .with("usage", json!(n))
                .with("soft", json!(max));
        }
    }
    if let (Some(max), Some(n)) = (pid_max, threads) {
        if n + 16 >= max {
            evidence.push(format!("{n} threads exist; kernel.pid_max is {max}"));
            return Verdict::simple(CauseKind::Rlimit, Confidence::Likely, "kernel.pid_max reached", evidence)
                .with("limit", json!("kernel.pid_max"))
                .with("usage", json!(n))
                .with("soft", json!(max));
        }
    }
    if uid != 0 {
        if let Some(l) = &nproc {
            let usage = procinfo::threads_of_uid(uid);
            if l.soft.is_some_and(|s| usage + 2 >= s) {
                evidence.push(format!(
                    "uid {uid} has {usage} threads; RLIMIT_NPROC soft limit {}",
                    limit_text(l.soft)
                ));
                if !caps_seen {
                    evidence.push("capability checks are not observable on this kernel".to_owned());
                }
                return Verdict::simple(
                    CauseKind::Rlimit,
                    Confidence::Likely,
                    &format!("RLIMIT_NPROC: uid {uid} is near its limit of {}", limit_text(l.soft)),
                    evidence,
                )
                .with("limit", json!("RLIMIT_NPROC"))
                .with("soft", json!(l.soft))
                .with("hard", json!(l.hard))
                .with("usage", json!(usage));
            }
        }
    }
    evidence.push("no pids cgroup limit was hit, RLIMIT_NPROC was not reached, threads-max and pid_max are far".to_owned());
    Verdict::simple(CauseKind::Unknown, Confidence::Possible, "fork refused with EAGAIN for an unknown reason", evidence)
}

fn limit_text(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
}

/// EMFILE: `RLIMIT_NOFILE`.
#[must_use]
pub fn emfile(pid: u32, snap: Option<&Snapshot>, kernel: Option<procinfo::Limit>) -> Verdict {
    let mut evidence = vec!["EMFILE is returned only when a descriptor number would reach RLIMIT_NOFILE".to_owned()];
    let read = snapshot::limit(pid, "Max open files", snap, kernel);
    let limit = read.as_ref().map(|(l, _)| l.clone());
    let open = fs::read_dir(format!("/proc/{pid}/fd")).map(Iterator::count).ok();
    match &read {
        Some((l, source)) => {
            if let Some(note) = source.note(pid, "limits") {
                evidence.push(format!("{note}; a program may change its own limits after exec"));
            }
            evidence.push(format!("RLIMIT_NOFILE of pid {pid}: soft {}, hard {}", limit_text(l.soft), limit_text(l.hard)));
        }
        None => evidence.push(format!("pid {pid} was gone before its limits could be read")),
    }
    if let Some(n) = open {
        evidence.push(format!("pid {pid} has {n} descriptors open now"));
    }
    Verdict::simple(
        CauseKind::Rlimit,
        Confidence::Certain,
        &format!("RLIMIT_NOFILE: out of file descriptors (limit {})", limit.as_ref().map_or_else(|| "?".into(), |l| limit_text(l.soft))),
        evidence,
    )
    .with("limit", json!("RLIMIT_NOFILE"))
    .with("soft", json!(limit.as_ref().and_then(|l| l.soft)))
    .with("hard", json!(limit.as_ref().and_then(|l| l.hard)))
    .with("usage", json!(open))
    .with("limits_read", json!(read.as_ref().map(|(_, s)| s.name())))
}

/// ENFILE: the system-wide file table (fs.file-max).
#[must_use]
pub fn enfile() -> Verdict {
    let nr = read_trim("/proc/sys/fs/file-nr").unwrap_or_default();
    let fields: Vec<&str> = nr.split_whitespace().collect();
    Verdict::simple(
        CauseKind::Rlimit,
        Confidence::Likely,
        "fs.file-max: the system-wide open file table is full",
        vec![format!("/proc/sys/fs/file-nr: {nr}")],
    )
    .with("limit", json!("fs.file-max"))
    .with("usage", json!(fields.first().and_then(|v| v.parse::<u64>().ok())))
    .with("soft", json!(fields.get(2).and_then(|v| v.parse::<u64>().ok())))
}

/// EFBIG: `RLIMIT_FSIZE`.
#[must_use]
pub fn efbig(pid: u32, snap: Option<&Snapshot>, kernel: Option<procinfo::Limit>) -> Verdict {
    let read = snapshot::limit(pid, "Max file size", snap, kernel);
    let limit = read.as_ref().map(|(l, _)| l.clone());
    let mut evidence = Vec::new();
    if let Some(note) = read.as_ref().and_then(|(_, s)| s.note(pid, "limits")) {
        evidence.push(note);
    }
    if let Some(l) = &limit {
        evidence.push(format!("RLIMIT_FSIZE of pid {pid}: soft {}", limit_text(l.soft)));
    }
    let limited = limit.as_ref().is_some_and(|l| l.soft.is_some());
    Verdict::simple(
        if limited { CauseKind::Rlimit } else { CauseKind::Unknown },
        if limited { Confidence::Likely } else { Confidence::Possible },
        if limited { "RLIMIT_FSIZE: the file would grow past the file size limit" } else { "file too large for the filesystem" },
        evidence,
    )
    .with("limit", json!("RLIMIT_FSIZE"))
    .with("soft", json!(limit.as_ref().and_then(|l| l.soft)))
    .with("hard", json!(limit.as_ref().and_then(|l| l.hard)))
}
