//! The memory cgroup behind an OOM kill: which cgroup a process is in (v1 `memory` controller or the
//! unified hierarchy), and which cgroup on its path reached its limit, with that limit as the
//! kernel enforces it (`memory.limit_in_bytes` in v1, `memory.max` in v2) and the counters that
//! show it was hit (`memory.failcnt` / `memory.events`, and the OOM kill count).

use std::{fs, path::PathBuf};

use crate::attribution::fs::parse_mountinfo;

/// v1 `memory.limit_in_bytes` reads this (`PAGE_COUNTER_MAX` pages, rounded) or more when unlimited.
const V1_UNLIMITED: u64 = 0x7fff_ffff_ffff_f000;

/// Which hierarchy the memory controller is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// A cgroup v1 hierarchy with the `memory` controller.
    V1,
    /// The unified (v2) hierarchy.
    V2,
}

/// A process's memory cgroup, as `/proc/PID/cgroup` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memcg {
    /// The hierarchy.
    pub hierarchy: Hierarchy,
    /// Path from the hierarchy's root ("/" for the root).
    pub path: String,
}

/// A cgroup that reached its memory limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitHit {
    /// Path from the hierarchy's root.
    pub path: String,
    /// The directory.
    pub dir: PathBuf,
    /// Which file holds the limit.
    pub file: &'static str,
    /// The limit in bytes.
    pub limit: u64,
    /// Times usage hit the limit (v1 `memory.failcnt`, v2 `max` in `memory.events`), when read.
    pub hits: Option<u64>,
    /// OOM kills counted in this cgroup (`oom_kill` of `memory.oom_control` / `memory.events`).
    pub oom_kills: Option<u64>,
    /// Whether it is an ancestor of the process's own cgroup rather than that cgroup.
    pub ancestor: bool,
}

/// The memory cgroup in the text of a `/proc/PID/cgroup` file: the v1 `memory` line when there is
/// one, else the unified `0::` line.
#[must_use]
pub fn parse(text: &str) -> Option<Memcg> {
    if let Some(path) = crate::procinfo::parse_cgroup_v1(text, "memory") {
        return Some(Memcg { hierarchy: Hierarchy::V1, path });
    }
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|path| Memcg { hierarchy: Hierarchy::V2, path: path.to_owned() })
}

/// A live process's memory cgroup.
#[must_use]
pub fn of_pid(pid: u32) -> Option<Memcg> {
    parse(&fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?)
}

/// Where the hierarchy is mounted here: a v1 `cgroup` mount with the `memory` option, or a
/// `cgroup2` mount whose root enables the memory controller.
fn mount_point(h: Hierarchy) -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    parse_mountinfo(&text).into_iter().find_map(|m| {
        let point = PathBuf::from(&m.point);
        let fits = match h {
            Hierarchy::V1 => m.fstype == "cgroup" && m.super_options.iter().any(|o| o == "memory"),
            Hierarchy::V2 => {
                m.fstype == "cgroup2"
                    && fs::read_to_string(point.join("cgroup.controllers"))
                        .is_ok_and(|c| c.split_whitespace().any(|w| w == "memory"))
            }
        };
        fits.then_some(point)
    })
}

fn read_u64(dir: &std::path::Path, file: &str) -> Option<u64> {
    fs::read_to_string(dir.join(file)).ok()?.trim().parse().ok()
}

/// The value of `key` in a flat keyed file (`memory.events`, `memory.oom_control`).
fn keyed(dir: &std::path::Path, file: &str, key: &str) -> Option<u64> {
    let text = fs::read_to_string(dir.join(file)).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The limit a cgroup directory enforces, `None` when unlimited or unreadable.
fn limit(h: Hierarchy, dir: &std::path::Path) -> Option<u64> {
    match h {
        Hierarchy::V1 => read_u64(dir, "memory.limit_in_bytes").filter(|&l| l < V1_UNLIMITED),
        Hierarchy::V2 => read_u64(dir, "memory.max"),
    }
}

/// The cgroup on `m`'s path (itself, then its ancestors) that reached its limit: the nearest with a
/// limit whose counters show it was hit, else the nearest with a limit at all. `None` when no
/// cgroup on the path has a limit (a system-wide OOM) or the hierarchy is not mounted here.
#[must_use]
pub fn limit_hit(m: &Memcg) -> Option<LimitHit> {
    let root = mount_point(m.hierarchy)?;
    let mut rel = m.path.trim_end_matches('/').to_owned();
    let mut candidates = Vec::new();
    loop {
        let dir = root.join(rel.trim_start_matches('/'));
        if let Some(limit) = limit(m.hierarchy, &dir) {
            let (file, hits, oom_kills) = match m.hierarchy {
                Hierarchy::V1 => (
                    "memory.limit_in_bytes",
                    read_u64(&dir, "memory.failcnt"),
                    keyed(&dir, "memory.oom_control", "oom_kill"),
                ),
                Hierarchy::V2 => (
                    "memory.max",
                    keyed(&dir, "memory.events", "max"),
                    keyed(&dir, "memory.events", "oom_kill"),
                ),
            };
            candidates.push(LimitHit {
                path: if rel.is_empty() { "/".to_owned() } else { rel.clone() },
                dir,
                file,
                limit,
                hits,
                oom_kills,
                ancestor: rel.trim_end_matches('/') != m.path.trim_end_matches('/'),
            });
        }
        let Some(cut) = rel.rfind('/') else { break };
        if rel.is_empty() {
            break;
        }
        rel.truncate(cut);
    }
    let first_hit = candidates.iter().position(|c| c.hits.is_some_and(|h| h > 0));
    match first_hit {
        Some(i) => Some(candidates.swap_remove(i)),
        None => candidates.into_iter().next(),
    }
}

/// `33554432 bytes (32 MiB)`.
#[must_use]
pub fn bytes_text(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let whole = n / size;
            let tenth = (n % size) * 10 / size;
            return if tenth == 0 {
                format!("{n} bytes ({whole} {unit})")
            } else {
                format!("{n} bytes ({whole}.{tenth} {unit})")
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_memory_line_wins_over_unified() {
        let text = "9:name=systemd:/\n4:memory:/box/job\n0::/user.slice\n";
        assert_eq!(parse(text), Some(Memcg { hierarchy: Hierarchy::V1, path: "/box/job".into() }));
        assert_eq!(
            parse("0::/system.slice/x.service\n"),
            Some(Memcg { hierarchy: Hierarchy::V2, path: "/system.slice/x.service".into() })
        );
        assert_eq!(parse("5:devices:/\n"), None);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(bytes_text(33_554_432), "33554432 bytes (32 MiB)");
        assert_eq!(bytes_text(1536), "1536 bytes (1.5 KiB)");
        assert_eq!(bytes_text(100), "100 bytes");
    }
}
