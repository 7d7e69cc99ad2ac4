//! cgroup v2 mounts, and a cgroup directory's id and depth (what the `watch --cgroup` filter
//! compares with `bpf_get_current_ancestor_cgroup_id`).

use std::{fs, os::unix::fs::MetadataExt as _, path::Path};

use anyhow::{Context as _, Result, bail};

/// Mount points of cgroup2 file systems, from /proc/self/mountinfo.
#[must_use]
pub fn v2_mounts() -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    crate::attribution::fs::parse_mountinfo(&text)
        .into_iter()
        .filter(|m| m.fstype == "cgroup2")
        .map(|m| m.point)
        .collect()
}

/// A cgroup v2 directory to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupTarget {
    /// Its id (the directory's inode number).
    pub id: u64,
    /// Depth below its hierarchy's root (the root is 0).
    pub level: u32,
    /// Its path relative to the hierarchy's root, as /proc/PID/cgroup writes it.
    pub relative: String,
}

/// Resolves a cgroup v2 directory given by the user.
pub fn target(dir: &Path) -> Result<CgroupTarget> {
    let canonical = fs::canonicalize(dir).with_context(|| format!("no cgroup directory {}", dir.display()))?;
    if !canonical.join("cgroup.procs").exists() {
        bail!("{} is not a cgroup directory (no cgroup.procs)", canonical.display());
    }
    let mounts = v2_mounts();
    let Some(root) = mounts
        .iter()
        .filter(|m| canonical.starts_with(m))
        .max_by_key(|m| m.len())
    else {
        bail!("{} is not under a cgroup v2 mount ({})", canonical.display(), if mounts.is_empty() { "none is mounted".to_owned() } else { mounts.join(", ") });
    };
    let relative = canonical.strip_prefix(root).context("path outside its mount")?;
    let level = u32::try_from(relative.components().count())?;
    let id = fs::metadata(&canonical)?.ino();
    Ok(CgroupTarget { id, level, relative: format!("/{}", relative.display()) })
}
