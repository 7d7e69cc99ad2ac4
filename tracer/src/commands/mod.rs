//! The subcommands, and what they share: privilege checks, the tracing session and output files.

pub mod child;
pub mod diff;
pub mod doctor;
pub mod report;
pub mod suggest;
pub mod run;
pub mod session;
pub mod watch;

use std::fmt;

/// An error with a specific exit code (126, 127...).
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Capabilities denytrace needs, by number (include/uapi/linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Fails with a clear message naming the missing capability when this process cannot load and
/// attach tracing programs.
pub fn check_privileges() -> anyhow::Result<()> {
    let Some(status) = crate::procinfo::status(std::process::id()) else {
        return Ok(());
    };
    let has = |c: u32| status.cap_eff & (1 << c) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return Ok(());
    }
    let missing: Vec<&str> = [(CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON")]
        .iter()
        .filter(|(c, _)| !has(*c))
        .map(|(_, n)| *n)
        .collect();
    anyhow::bail!(
        "missing privilege {}: denytrace loads eBPF programs and needs CAP_BPF and CAP_PERFMON \
         (or CAP_SYS_ADMIN); run it as root",
        missing.join(" and ")
    )
}

/// Parses `--errnos`.
pub fn parse_errnos(list: &[String]) -> anyhow::Result<Option<Vec<i32>>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for item in list {
        let item = item.trim();
        let value = item
            .parse::<i32>()
            .ok()
            .or_else(|| crate::names::errno_by_name(item))
            .filter(|e| (1..192).contains(e))
            .ok_or_else(|| anyhow::anyhow!("unknown errno {item:?} in --errnos"))?;
        out.push(value);
    }
    Ok(Some(out))
}
