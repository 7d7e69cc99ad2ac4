//! What /proc said about a process when it exec'd: its cgroups and resource limits, kept so that a
//! denial explained after the process is gone (a short-lived program that fails and exits at once)
//! can still be checked against its devices cgroup, its pids cgroup and its limits.
//!
//! Every reader here asks the live process first and falls back to the snapshot, and says which
//! one answered ([`Source`]), so the verdict's evidence can tell. A process that is exiting (or a
//! zombie) counts as gone for its v1 cgroups: the kernel shows `/` for every v1 hierarchy of an
//! exiting task (`proc_cgroup_show`), which would be wrong, not merely unknown.

use crate::procinfo::{self, Limit};

/// The texts of `/proc/PID/cgroup` and `/proc/PID/limits` at exec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Milliseconds from the start of tracing to the exec.
    pub t_ms: u64,
    /// `/proc/PID/cgroup` (lossy where not UTF-8: only its v1 lines are read from it).
    pub cgroup: Option<String>,
    /// The exact cgroup v2 path (its `0::` line): cgroup names need not be UTF-8.
    pub cgroup_v2: Option<Vec<u8>>,
    /// `/proc/PID/limits`.
    pub limits: Option<String>,
}

impl Snapshot {
    /// Reads a process's cgroups and limits now; `None` when it is already gone.
    #[must_use]
    pub fn take(pid: u32, t_ms: u64) -> Option<Self> {
        let raw = if exiting(pid) { None } else { std::fs::read(format!("/proc/{pid}/cgroup")).ok() };
        let cgroup_v2 = raw.as_ref().and_then(|r| r.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"0::")).map(<[u8]>::to_vec));
        let cgroup = raw.map(|r| String::from_utf8_lossy(&r).into_owned());
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok();
        (cgroup.is_some() || limits.is_some()).then_some(Self { t_ms, cgroup, cgroup_v2, limits })
    }
}

/// Where a fact about a process came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Read by the kernel program at the moment of the refusal.
    Kernel,
    /// Read from the live process while explaining the denial.
    Live,
    /// The process was gone: read when it exec'd, this many ms after tracing started.
    AtExec(u64),
}

impl Source {
    /// A clause for evidence, empty for live reads.
    #[must_use]
    pub fn note(self, pid: u32, what: &str) -> Option<String> {
        match self {
            Self::Kernel | Self::Live => None,
            Self::AtExec(t) => Some(format!(
                "process {pid} was gone before its {what} could be read: they are as read when it exec'd (+{t} ms)"
            )),
        }
    }

    /// `"live"` or `"at_exec"`, for a verdict's detail.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Kernel => "kernel",
            Self::Live => "live",
            Self::AtExec(_) => "at_exec",
        }
    }
}

/// `PF_EXITING` in the flags of `/proc/PID/stat` (include/linux/sched.h).
const PF_EXITING: u64 = 0x4;

/// Whether a process is exiting or a zombie (or gone).
#[must_use]
pub fn exiting(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    parse_exiting(&stat)
}

/// From the text of `/proc/PID/stat`: the state (zombie, dead) or `PF_EXITING` in the flags.
/// The fields after the `comm`'s closing parenthesis: state, ppid, pgrp, session, tty, tpgid,
/// flags.
#[must_use]
pub fn parse_exiting(stat: &str) -> bool {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return true;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first().copied().unwrap_or("X");
    let flags = fields.get(6).and_then(|f| f.parse::<u64>().ok()).unwrap_or(PF_EXITING);
    matches!(state, "Z" | "X" | "x") || flags & PF_EXITING != 0
}

/// The process's v1 cgroup path for `controller` (never read live from an exiting process).
#[must_use]
pub fn cgroup_v1(pid: u32, controller: &str, snap: Option<&Snapshot>) -> Option<(String, Source)> {
    if !exiting(pid) {
        if let Some(path) = procinfo::cgroup_v1(pid, controller) {
            return Some((path, Source::Live));
        }
    }
    let snap = snap?;
    procinfo::parse_cgroup_v1(snap.cgroup.as_deref()?, controller).map(|p| (p, Source::AtExec(snap.t_ms)))
}

/// The process's cgroup v2 path.
#[must_use]
pub fn cgroup_v2(pid: u32, snap: Option<&Snapshot>) -> Option<(String, Source)> {
    if let Some(path) = procinfo::cgroup_v2(pid) {
        return Some((path, Source::Live));
    }
    let snap = snap?;
    let path = String::from_utf8(snap.cgroup_v2.clone()?).ok()?;
    Some((path, Source::AtExec(snap.t_ms)))
}

/// One row of the process's limits ("Max open files", "Max processes"...).
#[must_use]
pub fn limit(pid: u32, label: &str, snap: Option<&Snapshot>, kernel: Option<Limit>) -> Option<(Limit, Source)> {
    if let Some(l) = kernel {
        return Some((l, Source::Kernel));
    }
    if let Some(l) = procinfo::limit(pid, label) {
        return Some((l, Source::Live));
    }
    let snap = snap?;
    procinfo::parse_limit(snap.limits.as_deref()?, label).map(|l| (l, Source::AtExec(snap.t_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CGROUP: &str = "9:name=systemd:/\n8:pids:/sandbox\n5:devices:/sandbox\n0::/unified-sandbox\n";
    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
                          Max processes             5                    5                    processes \n\
                          Max open files            10                   4096                 files     \n";

    fn snap() -> Snapshot {
        Snapshot {
            t_ms: 42,
            cgroup: Some(CGROUP.to_owned()),
            cgroup_v2: Some(b"/unified-sandbox".to_vec()),
            limits: Some(LIMITS.to_owned()),
        }
    }

    #[test]
    fn a_gone_process_falls_back_to_its_snapshot() {
        let s = snap();
        assert_eq!(cgroup_v1(u32::MAX, "devices", Some(&s)), Some(("/sandbox".to_owned(), Source::AtExec(42))));
        assert_eq!(cgroup_v1(u32::MAX, "pids", Some(&s)), Some(("/sandbox".to_owned(), Source::AtExec(42))));
        assert_eq!(cgroup_v2(u32::MAX, Some(&s)), Some(("/unified-sandbox".to_owned(), Source::AtExec(42))));
        assert_eq!(
            limit(u32::MAX, "Max open files", Some(&s), None),
            Some((Limit { soft: Some(10), hard: Some(4096) }, Source::AtExec(42)))
        );
        assert_eq!(cgroup_v1(u32::MAX, "devices", None), None);
        assert!(Source::AtExec(42).note(7, "limits").is_some_and(|n| n.contains("+42 ms")));
    }

    #[test]
    fn zombies_and_exiting_tasks_are_told_apart() {
        // pid (comm) state ppid pgrp session tty tpgid flags ...
        assert!(!parse_exiting("42 (sh) S 1 42 42 0 -1 4194560 100 0"));
        assert!(parse_exiting("42 (sh) Z 1 42 42 0 -1 4194564 100 0"));
        assert!(parse_exiting("42 (a) b) R 1 42 42 0 -1 4194564 100 0"), "PF_EXITING, with a ')' in comm");
        assert!(!parse_exiting("42 (a) b) R 1 42 42 0 -1 4194560 100 0"));
        assert!(parse_exiting("garbage"));
        assert!(!exiting(std::process::id()));
        assert!(exiting(u32::MAX));
    }

    #[test]
    fn a_live_process_is_read_live() {
        let me = std::process::id();
        let s = Snapshot { t_ms: 1, cgroup: None, cgroup_v2: None, limits: Some(LIMITS.replace("10  ", "77  ")) };
        let (l, source) = limit(me, "Max open files", Some(&s), None).expect("our own limits");
        assert_eq!(source, Source::Live);
        assert_eq!(l, procinfo::limit(me, "Max open files").expect("our own limits"));
        assert!(Snapshot::take(me, 0).is_some_and(|s| s.limits.is_some()));
        assert_eq!(Snapshot::take(u32::MAX, 0), None);
    }
}
