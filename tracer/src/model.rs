//! The report and event schema (`denytrace.report/v1`, `denytrace.event/v1`), documented in
//! docs/schema.md. Every type refuses unknown fields when read back, so the schema is pinned by
//! tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{loader::Mechanism, text::Text};

/// Value of [`Report::schema`].
pub const REPORT_SCHEMA: &str = "denytrace.report/v1";
/// Value of [`EventLine::schema`].
pub const EVENT_SCHEMA: &str = "denytrace.event/v1";

/// A whole run's report (`--report FILE`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// [`REPORT_SCHEMA`].
    pub schema: String,
    /// Which denytrace wrote it.
    pub tool: Tool,
    /// The machine and how it was observed.
    pub host: Host,
    /// What was traced.
    pub target: Target,
    /// Wall-clock start (RFC 3339, UTC).
    pub started_at: String,
    /// How long tracing lasted.
    pub duration_ms: u64,
    /// How the traced command ended (`run` only).
    pub exit: Option<ExitStatus>,
    /// Counts, including losses.
    pub stats: Stats,
    /// One entry per distinct denial, in order of first occurrence.
    pub denials: Vec<DenialEntry>,
    /// Signals sent to traced processes, in time order.
    pub signals: Vec<SignalEntry>,
    /// Traced processes that ended, in time order.
    pub processes: Vec<ProcessFate>,
}

/// Tool name and version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// "denytrace".
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// The machine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// `uname -r`.
    pub kernel: String,
    /// `uname -m`.
    pub arch: String,
    /// Active LSMs in init order.
    pub lsms: Vec<String>,
    /// Landlock ABI version, when Landlock is enabled.
    pub landlock_abi: Option<u32>,
    /// Capture mechanisms and whether each was used.
    pub mechanisms: Vec<Mechanism>,
    /// What this kernel could not give and what that costs.
    pub limitations: Vec<String>,
}

/// What was traced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// "run", "pid", "cgroup" or "all".
    pub mode: String,
    /// The command (`run`).
    pub command: Option<Vec<Text>>,
    /// The root process: the command's pid (`run`) or the watched pid.
    pub pid: Option<u32>,
    /// The watched cgroup directory.
    pub cgroup: Option<Text>,
    /// `--user` of `run`.
    pub user: Option<String>,
}

/// How the command ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExitStatus {
    /// Exit code when it exited.
    pub code: Option<i32>,
    /// Signal name when a signal killed it.
    pub signal: Option<String>,
    /// What denytrace exits with: the code, or 128 + the signal number.
    pub status: i32,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// Denial records received from the kernel (the first of each distinct denial).
    pub records: u64,
    /// Refused syscalls in all (sum of the counts, exact).
    pub denials: u64,
    /// Distinct denials (entries in `denials`).
    pub distinct: u64,
    /// Records lost; see `losses`.
    pub lost: u64,
    /// Losses by reason.
    pub losses: Losses,
    /// Signals and ended processes seen but not listed (beyond the caps of docs/fate.md). Absent
    /// from reports written before it existed, read as zeros.
    #[serde(default)]
    pub unlisted: Unlisted,
}

/// What the report counts but does not list, so that a long session's memory stays bounded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Unlisted {
    /// Ended processes not in `processes`.
    pub processes: u64,
    /// Signals not in `signals`.
    pub signals: u64,
}

/// Loss counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Losses {
    /// Denials whose details did not fit in the ring buffer (counted, not described).
    pub ring_denials: u64,
    /// Other records (exec, exit, signal) that did not fit.
    pub ring_other: u64,
    /// Threads that could not be tracked (map full): their seccomp and capability evidence is
    /// missing.
    pub task_map_full: u64,
    /// Distinct denials beyond the in-kernel aggregation map, each sent on its own (no loss).
    pub agg_map_full: u64,
    /// Records that could not be decoded.
    pub malformed: u64,
    /// Lines not written to the events file after its cap was reached.
    pub events_capped: u64,
}

/// One distinct refused syscall: same process image, syscall, object and errno.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DenialEntry {
    /// How many times (exact).
    pub count: u64,
    /// First occurrence (RFC 3339, UTC, microseconds).
    pub first_seen: String,
    /// Latest occurrence.
    pub last_seen: String,
    /// Milliseconds from the start of tracing to the first occurrence.
    pub t_ms: u64,
    /// Who made the call (at its first occurrence).
    pub process: Process,
    /// The call.
    pub syscall: Syscall,
    /// The object as the program named it.
    pub path: Option<Text>,
    /// The second object (rename, link, mount target).
    pub path2: Option<Text>,
    /// The errno name, e.g. "EACCES".
    pub errno: String,
    /// The raw return value.
    pub ret: i64,
    /// What refused it.
    pub cause: Option<Cause>,
    /// What would allow it.
    pub suggestions: Vec<Suggestion>,
}

/// A process as seen at an event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// Thread group id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent pid.
    pub ppid: u32,
    /// `comm`.
    pub comm: Text,
    /// Executable, when known.
    pub exe: Option<Text>,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Filesystem uid.
    pub fsuid: u32,
    /// Filesystem gid.
    pub fsgid: u32,
    /// cgroup v2 path when known, else its id.
    pub cgroup: Option<Text>,
}

/// The syscall.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Syscall {
    /// Number (x86-64).
    pub nr: i64,
    /// Name.
    pub name: String,
    /// Decoded arguments by name (paths are in `path`/`path2`).
    pub args: BTreeMap<String, String>,
    /// Whether the call never reached the syscall entry tracepoint.
    pub entered: bool,
}

/// Which mechanism refused.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// Landlock.
    Landlock,
    /// A seccomp filter.
    Seccomp,
    /// A missing capability.
    Capability,
    /// A resource limit.
    Rlimit,
    /// A cgroup's pids.max.
    CgroupPids,
    /// The devices cgroup (v1) or a v2 device program.
    DeviceCgroup,
    /// Owner/group/mode permissions.
    Dac,
    /// A read-only mount.
    ReadonlyFs,
    /// Another LSM (`AppArmor`, `SELinux`, BPF-LSM...).
    Lsm,
    /// Not determined.
    Unknown,
}

/// How sure.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Every other mechanism was ruled out, or the kernel said so.
    Certain,
    /// Strong evidence, one alternative not ruled out.
    Likely,
    /// Consistent with the evidence, not proven.
    Possible,
}

/// The verdict on one denial.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Mechanism.
    pub kind: CauseKind,
    /// How sure.
    pub confidence: Confidence,
    /// One line for people.
    pub summary: String,
    /// Short factual sentences: what was observed or checked.
    pub evidence: Vec<String>,
    /// Kind-specific facts.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// A policy change that would allow a denial (filled by `suggest`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    /// Target format (openshell, oci-seccomp, docker, kubernetes, systemd, bwrap, landlock).
    pub format: String,
    /// Short description of the change.
    pub change: String,
    /// Text to paste, or a unified diff when a policy file was given.
    pub text: String,
    /// "low", "medium" or "high".
    pub risk: String,
    /// Why this risk.
    pub risk_why: String,
    /// Which denial it fixes and which later access it anticipates.
    pub why: String,
}

/// A signal for a traced process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SignalEntry {
    /// RFC 3339 time.
    pub time: String,
    /// Milliseconds from the start of tracing.
    pub t_ms: u64,
    /// Signal name.
    pub signal: String,
    /// Target pid.
    pub target_pid: u32,
    /// Target comm.
    pub target_comm: Text,
    /// Sender, when a process sent it.
    pub sender: Option<Sender>,
    /// Kernel reason, when the kernel generated it (seccomp, a resource limit, the OOM killer, a
    /// fault, a timer, the terminal); then `sender` is null.
    pub kernel_reason: Option<String>,
    /// Whether it ended the target.
    pub fatal: bool,
    /// Delivery result: `delivered`, `ignored`, `already_pending`, `overflow`, `lost_info`.
    pub result: String,
}

/// Who sent a signal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// pid.
    pub pid: u32,
    /// comm.
    pub comm: Text,
    /// Executable, when known.
    pub exe: Option<Text>,
    /// Real uid.
    pub uid: u32,
    /// Whether the sender is itself traced.
    pub traced: bool,
    /// Relationship to the target: "self", "parent", "child", "ancestor", "descendant" or "other"
    /// (as far as the traced processes' parents are known).
    pub relation: String,
}

/// How a traced process ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProcessFate {
    /// RFC 3339 time.
    pub time: String,
    /// Milliseconds from the start of tracing.
    pub t_ms: u64,
    /// pid.
    pub pid: u32,
    /// Parent pid when it ended.
    pub ppid: u32,
    /// comm.
    pub comm: Text,
    /// Executable, when known.
    pub exe: Option<Text>,
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Fatal signal name, when killed.
    pub signal: Option<String>,
    /// Who or what killed it, as one line.
    pub killed_by: Option<String>,
    /// The signal entry that killed it (index in `signals`).
    pub signal_index: Option<usize>,
    /// The earlier death (index in `processes`) this one followed from: the child whose death made
    /// it exit with an error, the death that made its sender kill it, or the parent whose exit sent
    /// its parent-death signal. Following these links leads to the first death of a cascade.
    pub follows: Option<usize>,
    /// Lifetime in milliseconds, when its start was seen.
    pub lifetime_ms: Option<u64>,
}

/// One line of `--events` output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventLine {
    /// [`EVENT_SCHEMA`].
    pub schema: String,
    /// "denial", "signal", "exit".
    pub event: String,
    /// For "denial": the entry at its first occurrence (count 1).
    pub denial: Option<DenialEntry>,
    /// For "signal".
    pub signal: Option<SignalEntry>,
    /// For "exit".
    pub exit: Option<ProcessFate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `stats.unlisted` was added to v1: a report written before it still reads, as zeros, and an
    /// unknown key is still refused.
    #[test]
    fn stats_without_unlisted_read_as_zeros() {
        let losses = r#""losses": {"ring_denials": 0, "ring_other": 0, "task_map_full": 0, "agg_map_full": 0, "malformed": 0, "events_capped": 0}"#;
        let old = format!(r#"{{"records": 1, "denials": 2, "distinct": 1, "lost": 0, {losses}}}"#);
        let stats: Stats = serde_json::from_str(&old).expect("an older report's stats");
        assert_eq!((stats.denials, stats.unlisted), (2, Unlisted::default()));
        let unknown = format!(r#"{{"records": 1, "denials": 2, "distinct": 1, "lost": 0, {losses}, "extra": 1}}"#);
        assert!(serde_json::from_str::<Stats>(&unknown).is_err());
    }
}
