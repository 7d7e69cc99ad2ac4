//! Shared helpers for denytrace's integration tests: locating the built binaries, running
//! `denytrace` for real, reading its report, and saying loudly when the machine lacks something
//! (under `CI=true` a missing requirement fails instead of skipping).

use std::{
    path::PathBuf,
    process::{Command, Output},
};

use serde_json::Value;

/// `target/debug` (or wherever the test binary was built).
#[must_use]
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test>-<hash>
    exe.parent().and_then(|p| p.parent()).expect("target dir").to_path_buf()
}

/// A binary built from this workspace (`denytrace`, `dt-landlock`, `dt-seccomp`, `dt-workload`).
#[must_use]
pub fn bin(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo xtask test` does)",
        path.display()
    );
    path
}

/// Whether the tests run in CI, where a missing requirement is a failure.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Returns false (and says so loudly) when `ok` is false outside CI; panics in CI.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    assert!(!in_ci(), "REQUIRED BUT MISSING under CI=true: {what}");
    eprintln!("\n*** SKIPPED (not in CI): {what} ***\n");
    false
}

/// Whether this process is root.
#[must_use]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Requires root (denytrace loads eBPF programs).
pub fn require_root() -> bool {
    require(is_root(), "root (CAP_BPF, CAP_PERFMON) to load eBPF programs")
}

/// Result of a `denytrace run`.
#[derive(Debug)]
pub struct Run {
    /// denytrace's exit code (None when killed).
    pub code: Option<i32>,
    /// Its stderr (the human summary).
    pub stderr: String,
    /// Its stdout.
    pub stdout: String,
    /// The JSON report.
    pub report: Value,
}

/// Runs `denytrace run --report FILE <extra> -- <command>` and reads the report.
pub fn run(extra: &[&str], command: &[&str]) -> Run {
    let dir = tempdir("run");
    let report_path = dir.join("report.json");
    let out = Command::new(bin("denytrace"))
        .arg("run")
        .arg("--report")
        .arg(&report_path)
        .args(extra)
        .arg("--")
        .args(command)
        .output()
        .expect("running denytrace");
    let report = std::fs::read_to_string(&report_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let _ = std::fs::remove_dir_all(&dir);
    finish(&out, report)
}

fn finish(out: &Output, report: Value) -> Run {
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        report,
    }
}

/// A fresh directory under /tmp, removed by the caller.
#[must_use]
pub fn tempdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "denytrace-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("creating a temp dir");
    dir
}

/// The report's denials.
#[must_use]
pub fn denials(report: &Value) -> Vec<Value> {
    report["denials"].as_array().cloned().unwrap_or_default()
}

/// The first denial whose syscall name is in `names` and whose path is `path` (when given).
#[must_use]
pub fn find_denial(report: &Value, names: &[&str], path: Option<&str>) -> Option<Value> {
    denials(report).into_iter().find(|d| {
        names.contains(&d["syscall"]["name"].as_str().unwrap_or(""))
            && path.is_none_or(|p| d["path"].as_str() == Some(p))
    })
}

/// Asserts a denial's cause kind and confidence, printing the report when they differ.
pub fn assert_cause(d: &Value, kind: &str, confidence: &str, report: &Run) {
    assert_eq!(
        (d["cause"]["kind"].as_str(), d["cause"]["confidence"].as_str()),
        (Some(kind), Some(confidence)),
        "denial: {d:#}\nsummary:\n{}",
        report.stderr
    );
}

/// Number of eBPF programs of denytrace (named `dt_*`) loaded on the machine right now.
#[must_use]
pub fn loaded_denytrace_programs() -> usize {
    // Program names are visible through bpftool; fall back to /proc fdinfo of nobody: use bpftool.
    let out = Command::new("bpftool").args(["prog", "show"]).output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).lines().filter(|l| l.contains(" name dt_")).count(),
        Err(e) => panic!("bpftool is needed to check that nothing stays attached: {e}"),
    }
}
