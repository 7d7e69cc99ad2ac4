//! Reading a process's state from /proc at the time of an event: executable, directories, file
//! descriptors, credentials, seccomp state, limits and cgroup. The process may already be gone:
//! every reader returns `None` then, and callers say so.

use std::{
    ffi::OsStr,
    fs,
    os::unix::ffi::OsStrExt as _,
    path::{Path, PathBuf},
};

/// `/proc/PID/...`.
fn proc_path(pid: u32, rest: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{rest}"))
}

fn readlink_bytes(path: &Path) -> Option<Vec<u8>> {
    fs::read_link(path).ok().map(|p| p.as_os_str().as_bytes().to_vec())
}

/// The executable (`/proc/PID/exe`).
#[must_use]
pub fn exe(pid: u32) -> Option<Vec<u8>> {
    readlink_bytes(&proc_path(pid, "exe"))
}

/// The working directory.
#[must_use]
pub fn cwd(pid: u32) -> Option<Vec<u8>> {
    readlink_bytes(&proc_path(pid, "cwd"))
}

/// What file descriptor `fd` refers to.
#[must_use]
pub fn fd_target(pid: u32, fd: i32) -> Option<Vec<u8>> {
    readlink_bytes(&proc_path(pid, &format!("fd/{fd}")))
}

/// The process's root directory as a path usable from here (`/proc/PID/root`), for resolving its
/// paths in its own mount namespace and chroot.
#[must_use]
pub fn root_dir(pid: u32) -> PathBuf {
    proc_path(pid, "root")
}

/// Fields of `/proc/PID/status` that matter for attribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Real, effective, saved, filesystem uid.
    pub uids: [u32; 4],
    /// Real, effective, saved, filesystem gid.
    pub gids: [u32; 4],
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Effective capabilities.
    pub cap_eff: u64,
    /// Bounding set.
    pub cap_bnd: u64,
    /// `Seccomp:` 0 off, 1 strict, 2 filter.
    pub seccomp: u32,
    /// `Seccomp_filters:`.
    pub seccomp_filters: u32,
    /// `NoNewPrivs:`.
    pub no_new_privs: bool,
    /// `PPid:`.
    pub ppid: u32,
    /// `Name:`.
    pub name: String,
}

/// Parses `/proc/PID/status`.
#[must_use]
pub fn status(pid: u32) -> Option<Status> {
    let text = fs::read_to_string(proc_path(pid, "status")).ok()?;
    Some(parse_status(&text))
}

/// This process's peak resident set size in KiB (`VmHWM`), for the start-up logs.
#[must_use]
pub fn own_peak_rss_kib() -> Option<u64> {
    let text = fs::read_to_string("/proc/self/status").ok()?;
    text.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn ids(value: &str) -> [u32; 4] {
    let mut out = [u32::MAX; 4];
    for (slot, v) in out.iter_mut().zip(value.split_whitespace()) {
        *slot = v.parse().unwrap_or(u32::MAX);
    }
    out
}

/// Parses the text of a status file.
#[must_use]
pub fn parse_status(text: &str) -> Status {
    let mut s = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Name" => value.clone_into(&mut s.name),
            "PPid" => s.ppid = value.parse().unwrap_or(0),
            "Uid" => s.uids = ids(value),
            "Gid" => s.gids = ids(value),
            "Groups" => s.groups = value.split_whitespace().filter_map(|g| g.parse().ok()).collect(),
            "CapEff" => s.cap_eff = u64::from_str_radix(value, 16).unwrap_or(0),
            "CapBnd" => s.cap_bnd = u64::from_str_radix(value, 16).unwrap_or(0),
            "Seccomp" => s.seccomp = value.parse().unwrap_or(0),
            "Seccomp_filters" => s.seccomp_filters = value.parse().unwrap_or(0),
            "NoNewPrivs" => s.no_new_privs = value == "1",
            _ => {}
        }
    }
    s
}

/// One row of `/proc/PID/limits`; `None` is "unlimited".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Soft limit.
    pub soft: Option<u64>,
    /// Hard limit.
    pub hard: Option<u64>,
}

/// The limit labelled `label` ("Max processes", "Max open files"...) of a process.
#[must_use]
pub fn limit(pid: u32, label: &str) -> Option<Limit> {
    let text = fs::read_to_string(proc_path(pid, "limits")).ok()?;
    parse_limit(&text, label)
}

/// Finds one row in the text of a limits file.
#[must_use]
pub fn parse_limit(text: &str, label: &str) -> Option<Limit> {
    let line = text.lines().find(|l| l.starts_with(label))?;
    let mut fields = line[label.len()..].split_whitespace();
    let parse = |v: Option<&str>| -> Option<Option<u64>> {
        let v = v?;
        if v == "unlimited" { Some(None) } else { v.parse().ok().map(Some) }
    };
    Some(Limit { soft: parse(fields.next())?, hard: parse(fields.next())? })
}

/// The process's cgroup v2 path (the `0::` line of `/proc/PID/cgroup`), when it is UTF-8.
#[must_use]
pub fn cgroup_v2(pid: u32) -> Option<String> {
    String::from_utf8(cgroup_v2_bytes(pid)?).ok()
}

/// The process's cgroup v2 path as bytes: cgroup names are chosen by whoever may create cgroups
/// (a delegated sandbox too) and need not be UTF-8.
#[must_use]
pub fn cgroup_v2_bytes(pid: u32) -> Option<Vec<u8>> {
    let raw = fs::read(proc_path(pid, "cgroup")).ok()?;
    raw.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"0::")).map(<[u8]>::to_vec)
}

/// The process's cgroup v1 path for a controller (`devices`, `pids`, `memory`).
#[must_use]
pub fn cgroup_v1(pid: u32, controller: &str) -> Option<String> {
    // Lossy: a v2 path that is not UTF-8 must not hide the v1 lines.
    let text = String::from_utf8_lossy(&fs::read(proc_path(pid, "cgroup")).ok()?).into_owned();
    parse_cgroup_v1(&text, controller)
}

/// Finds a v1 controller's path in the text of a cgroup file.
#[must_use]
pub fn parse_cgroup_v1(text: &str, controller: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        controllers.split(',').any(|c| c == controller).then(|| path.to_owned())
    })
}

/// Number of threads of a user, counted from /proc (what `RLIMIT_NPROC` compares against).
#[must_use]
pub fn threads_of_uid(uid: u32) -> u64 {
    let Ok(dir) = fs::read_dir("/proc") else {
        return 0;
    };
    let mut count = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = pid_of(&name) else {
            continue;
        };
        if let Some(st) = status(pid) {
            if st.uids[0] == uid {
                count += fs::read_dir(proc_path(pid, "task")).map_or(1, Iterator::count) as u64;
            }
        }
    }
    count
}

/// Parses a /proc directory entry name as a pid.
#[must_use]
pub fn pid_of(name: &OsStr) -> Option<u32> {
    std::str::from_utf8(name.as_bytes()).ok()?.parse().ok()
}

/// Thread ids of a process.
#[must_use]
pub fn threads(pid: u32) -> Vec<u32> {
    fs::read_dir(proc_path(pid, "task"))
        .map(|d| d.flatten().filter_map(|e| pid_of(&e.file_name())).collect())
        .unwrap_or_default()
}

/// A process and all its descendants (pids), from the parent links in /proc.
#[must_use]
pub fn descendants(root: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return vec![root];
    };
    let mut parent_of = Vec::new();
    for entry in dir.flatten() {
        if let Some(pid) = pid_of(&entry.file_name()) {
            if let Some(st) = status(pid) {
                parent_of.push((pid, st.ppid));
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// Whether process `pid` exists.
#[must_use]
pub fn alive(pid: u32) -> bool {
    proc_path(pid, "stat").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_fields() {
        let s = parse_status(
            "Name:\tpython3\nPPid:\t12\nUid:\t65534\t65534\t65534\t65534\nGid:\t0\t0\t0\t0\n\
             Groups:\t4 24 \nCapEff:\t000001ffffffffff\nSeccomp:\t2\nSeccomp_filters:\t1\nNoNewPrivs:\t1\n",
        );
        assert_eq!(s.name, "python3");
        assert_eq!(s.ppid, 12);
        assert_eq!(s.uids, [65534; 4]);
        assert_eq!(s.groups, vec![4, 24]);
        assert_eq!(s.cap_eff, 0x1ff_ffff_ffff);
        assert_eq!((s.seccomp, s.seccomp_filters, s.no_new_privs), (2, 1, true));
    }

    #[test]
    fn parses_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             2                    unlimited            processes \n\
                    Max open files            1024                 1048576              files     \n";
        assert_eq!(parse_limit(text, "Max processes"), Some(Limit { soft: Some(2), hard: None }));
        assert_eq!(
            parse_limit(text, "Max open files"),
            Some(Limit { soft: Some(1024), hard: Some(1_048_576) })
        );
        assert_eq!(parse_limit(text, "Max file size"), None);
    }

    #[test]
    fn parses_cgroup_lines() {
        let text = "12:pids:/user.slice\n5:devices:/sandbox\n1:name=systemd:/x\n0::/unified/path\n";
        assert_eq!(parse_cgroup_v1(text, "devices").as_deref(), Some("/sandbox"));
        assert_eq!(parse_cgroup_v1(text, "pids").as_deref(), Some("/user.slice"));
        assert_eq!(parse_cgroup_v1(text, "memory"), None);
    }

    #[test]
    fn this_process_is_visible() {
        let me = std::process::id();
        assert!(alive(me));
        assert!(exe(me).is_some());
        assert!(threads(me).contains(&me));
        assert!(descendants(me).contains(&me));
    }
}
