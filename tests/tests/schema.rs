//! The JSON schema pinned: this file's own copy of docs/schema.md (every object refuses unknown
//! fields; every key must be present, checked by writing the parsed value back and comparing), read
//! against a real report and real `--events` lines that hold denials of several kinds, a signal,
//! process fates and a non-UTF-8 path. A change to the format without a change to the docs and
//! this file fails here.

use std::{
    collections::BTreeMap,
    ffi::OsStr,
    os::unix::ffi::OsStrExt as _,
    process::Command,
};

use denytrace_tests::{PLAIN_PATH, TempDir, bin, nobody_bin, require_root, root_secret, s};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    schema: String,
    tool: Tool,
    host: Host,
    target: Target,
    started_at: String,
    duration_ms: u64,
    exit: Option<Exit>,
    stats: Stats,
    denials: Vec<Denial>,
    signals: Vec<Signal>,
    processes: Vec<Fate>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    version: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Host {
    kernel: String,
    arch: String,
    lsms: Vec<String>,
    landlock_abi: Option<u32>,
    mechanisms: Vec<Mechanism>,
    limitations: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mechanism {
    name: String,
    used: bool,
    detail: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    mode: String,
    command: Option<Vec<Text>>,
    pid: Option<u32>,
    cgroup: Option<Text>,
    user: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exit {
    code: Option<i32>,
    signal: Option<String>,
    status: i32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stats {
    records: u64,
    denials: u64,
    distinct: u64,
    lost: u64,
    losses: Losses,
    unlisted: Unlisted,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unlisted {
    processes: u64,
    signals: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Losses {
    ring_denials: u64,
    ring_other: u64,
    task_map_full: u64,
    agg_map_full: u64,
    malformed: u64,
    events_capped: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Denial {
    count: u64,
    first_seen: String,
    last_seen: String,
    t_ms: u64,
    process: Process,
    syscall: Syscall,
    path: Option<Text>,
    path2: Option<Text>,
    errno: String,
    ret: i64,
    cause: Option<Cause>,
    suggestions: Vec<Suggestion>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Process {
    pid: u32,
    tid: u32,
    ppid: u32,
    comm: Text,
    exe: Option<Text>,
    uid: u32,
    gid: u32,
    euid: u32,
    fsuid: u32,
    fsgid: u32,
    cgroup: Option<Text>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Syscall {
    nr: i64,
    name: String,
    args: BTreeMap<String, String>,
    entered: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cause {
    kind: Kind,
    confidence: Confidence,
    summary: String,
    evidence: Vec<String>,
    detail: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Landlock,
    Seccomp,
    Capability,
    Rlimit,
    CgroupPids,
    DeviceCgroup,
    Dac,
    ReadonlyFs,
    Lsm,
    Unknown,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Confidence {
    Certain,
    Likely,
    Possible,
}

/// docs/schema.md's table of `detail` keys by kind.
fn detail_keys(kind: Kind) -> &'static [&'static str] {
    const OBJECT: [&str; 2] = ["path", "resolved"];
    match kind {
        Kind::Landlock => &[
            "missing_rights", "handled_rights", "layers", "needed_on", "parent", "object_type", "domain_creator", OBJECT[0],
            OBJECT[1],
        ],
        Kind::Seccomp => &["syscall", "nr", "action", "errno", "filter_owner"],
        Kind::Capability => &["capability", "refused", "effective", OBJECT[0], OBJECT[1]],
        Kind::Rlimit => &["limit", "soft", "hard", "usage", "uid", "limits_read"],
        Kind::CgroupPids => &["cgroup", "pids_max", "pids_current", "refused_forks"],
        Kind::DeviceCgroup => &["device", "access", "cgroup", "controller", OBJECT[0], OBJECT[1]],
        Kind::Dac => &[
            "object", "owner", "group", "mode", "type", "needed", "fsuid", "fsgid", "groups", "cap_dac_override",
            "cap_dac_read_search", "changed_ms_before", OBJECT[0], OBJECT[1],
        ],
        Kind::ReadonlyFs => &["mount_point", "options", "fstype", OBJECT[0], OBJECT[1]],
        Kind::Lsm => &["lsms", OBJECT[0], OBJECT[1]],
        Kind::Unknown => &OBJECT,
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suggestion {
    format: String,
    change: String,
    text: String,
    risk: String,
    risk_why: String,
    why: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(clippy::struct_field_names, reason = "`signal` is the JSON key")]
struct Signal {
    time: String,
    t_ms: u64,
    signal: String,
    target_pid: u32,
    target_comm: Text,
    sender: Option<Sender>,
    kernel_reason: Option<String>,
    fatal: bool,
    result: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sender {
    pid: u32,
    comm: Text,
    exe: Option<Text>,
    uid: u32,
    traced: bool,
    relation: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fate {
    time: String,
    t_ms: u64,
    pid: u32,
    ppid: u32,
    comm: Text,
    exe: Option<Text>,
    code: Option<i32>,
    signal: Option<String>,
    killed_by: Option<String>,
    signal_index: Option<usize>,
    follows: Option<usize>,
    lifetime_ms: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    schema: String,
    event: String,
    denial: Option<Denial>,
    signal: Option<Signal>,
    exit: Option<Fate>,
}

/// Text: a plain string, or the exact bytes with a lossy rendering.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Text {
    Utf8(String),
    Bytes(Bytes),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bytes {
    bytes_hex: String,
    lossy: String,
}

/// Parses `value` as `T` and checks that writing it back gives the same JSON: no key missing,
/// none unknown.
fn pinned<T: DeserializeOwned + Serialize>(value: &Value, what: &str) -> T {
    let parsed: T = serde_json::from_value(value.clone()).unwrap_or_exact(what, value);
    let back = serde_json::to_value(&parsed).expect("serializing the mirror");
    assert_eq!(&back, value, "{what}: a key is missing or differs from docs/schema.md");
    parsed
}

trait UnwrapExact<T> {
    fn unwrap_or_exact(self, what: &str, value: &Value) -> T;
}

impl<T> UnwrapExact<T> for Result<T, serde_json::Error> {
    fn unwrap_or_exact(self, what: &str, value: &Value) -> T {
        self.unwrap_or_else(|e| panic!("{what} does not match docs/schema.md: {e}\n{value:#}"))
    }
}

fn check_causes(denials: &[Denial]) {
    for d in denials {
        let cause = d.cause.as_ref().expect("every denial has a cause");
        let allowed = detail_keys(cause.kind);
        for key in cause.detail.keys() {
            assert!(allowed.contains(&key.as_str()), "detail key {key:?} of {:?} is not in docs/schema.md", cause.kind);
        }
        assert!(!cause.summary.is_empty() && !cause.evidence.is_empty());
    }
}

/// A session that makes a DAC denial, a seccomp denial, a Landlock-free signal death and a
/// non-UTF-8 path, with `--events` and `--report`.
#[test]
fn real_reports_and_event_lines_match_the_documented_schema() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("schema");
    denytrace_tests::open_dir(&dir.0);
    let workload = nobody_bin("dt-workload", &dir);
    let seccomp = nobody_bin("dt-seccomp", &dir);
    let secret = dir.join("secret");
    root_secret(&secret);
    // A file name that is not UTF-8: "\xff-secret".
    let mut odd = dir.0.as_os_str().as_bytes().to_vec();
    odd.extend_from_slice(b"/\xff-secret");
    let odd = std::path::PathBuf::from(OsStr::from_bytes(&odd));
    root_secret(&odd);
    let report_path = dir.join("report.json");
    let events_path = dir.join("events.jsonl");
    let script = format!(
        "{w} open {secret} ro; {w} open \"$1\" ro; {w} mkdir {made}; sh -c 'kill -TERM $$'; true",
        w = s(&workload),
        secret = s(&secret),
        made = s(&dir.join("made")),
    );
    let out = Command::new(bin("denytrace"))
        .args(["run", "--user", "65534", "--report", s(&report_path), "--events", s(&events_path), "--"])
        .args([s(&seccomp), "--errno", "mkdir=EPERM", "--", "/bin/sh", "-c", &script, "sh"])
        .arg(&odd)
        .env("PATH", PLAIN_PATH)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("denytrace run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");

    let value: Value = serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report")).expect("JSON");
    let report: Report = pinned(&value, "the report");
    assert_eq!(report.schema, "denytrace.report/v1");
    assert_eq!(report.tool.name, "denytrace");
    let kinds: Vec<Kind> = report.denials.iter().filter_map(|d| d.cause.as_ref().map(|c| c.kind)).collect();
    assert!(kinds.contains(&Kind::Dac) && kinds.contains(&Kind::Seccomp), "kinds {kinds:?}");
    check_causes(&report.denials);
    assert!(report.signals.iter().any(|s| s.signal == "SIGTERM" && s.fatal), "{:#?}", report.signals);
    assert!(report.processes.iter().any(|f| f.signal.as_deref() == Some("SIGTERM")));
    // The non-UTF-8 path keeps its exact bytes.
    let odd_hex = odd.as_os_str().as_bytes().iter().fold(String::new(), |mut acc, b| {
        use std::fmt::Write as _;
        let _ = write!(acc, "{b:02x}");
        acc
    });
    assert!(
        report.denials.iter().any(|d| matches!(&d.path, Some(Text::Bytes(b)) if b.bytes_hex == odd_hex && b.lossy.contains('\u{fffd}'))),
        "the non-UTF-8 path as bytes_hex {odd_hex}"
    );

    let events = std::fs::read_to_string(&events_path).expect("events file");
    let mut seen = BTreeMap::new();
    for (i, line) in events.lines().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("event line {i} is not JSON: {e}\n{line}"));
        let event: EventLine = pinned(&value, &format!("event line {i}"));
        assert_eq!(event.schema, "denytrace.event/v1");
        let set = [event.denial.is_some(), event.signal.is_some(), event.exit.is_some()];
        assert_eq!(set.iter().filter(|b| **b).count(), 1, "exactly one payload: {line}");
        match event.event.as_str() {
            "denial" => {
                let d = event.denial.expect("denial payload");
                assert_eq!(d.count, 1, "a denial line is the first occurrence");
                check_causes(std::slice::from_ref(&d));
            }
            "count" => {
                let d = event.denial.expect("count payload");
                assert!(d.count >= 2, "a running count comes after a repeat: {line}");
            }
            "signal" => assert!(event.signal.is_some()),
            "exit" => assert!(event.exit.is_some()),
            other => panic!("unknown event {other:?}"),
        }
        *seen.entry(value["event"].as_str().unwrap_or("").to_owned()).or_insert(0) += 1;
    }
    assert_eq!(seen.get("denial").copied(), Some(report.denials.len()), "one line per distinct denial");
    assert!(seen.get("signal").copied().unwrap_or(0) >= 1 && seen.get("exit").copied().unwrap_or(0) >= 1, "{seen:?}");
}
