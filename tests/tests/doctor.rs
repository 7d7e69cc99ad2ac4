//! `denytrace doctor` on this kernel: it loads and attaches the programs for real and says what
//! the kernel offers (fentry refused here, Landlock ABI, every tracepoint usable).

use std::process::Command;

use denytrace_tests::{bin, require_root};
use serde_json::Value;

#[test]
fn doctor_reports_this_kernel() {
    if !require_root() {
        return;
    }
    let out = Command::new(bin("denytrace")).arg("doctor").output().expect("denytrace doctor");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "doctor:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("denytrace can trace on this machine."), "{text}");
    // This kernel refuses trampoline programs: doctor must say so, not claim them.
    let fentry = text.lines().find(|l| l.contains("fentry/LSM programs:")).expect("an fentry line");
    assert!(fentry.contains("refused (EPERM)"), "{fentry}");
    let abi = kernel_landlock_abi();
    let landlock = text.lines().find(|l| l.contains("] Landlock:")).expect("a Landlock line");
    assert!(landlock.contains(&format!("ABI {abi}")), "{landlock} (kernel ABI {abi})");
    let tracepoints: Vec<&str> = text.lines().filter(|l| l.contains("tracepoint ")).collect();
    for name in ["sys_enter", "sys_exit", "cap_capable", "sched_process_exec", "sched_process_exit", "signal_generate"] {
        let line = tracepoints
            .iter()
            .find(|l| l.ends_with(&format!("tracepoint {name}: prototype matches")))
            .unwrap_or_else(|| panic!("no ok line for tracepoint {name}:\n{text}"));
        assert!(line.starts_with("[ok     ]"), "{line}");
    }
    assert!(tracepoints.iter().all(|l| l.starts_with("[ok     ]")), "every tracepoint ok:\n{}", tracepoints.join("\n"));
    assert!(!text.contains("[missing]"), "nothing missing on this kernel:\n{text}");
}

#[test]
fn doctor_json_parses_and_agrees() {
    if !require_root() {
        return;
    }
    let out = Command::new(bin("denytrace")).args(["doctor", "--json"]).output().expect("denytrace doctor --json");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    assert_eq!(v["works"].as_bool(), Some(true));
    let findings = v["findings"].as_array().expect("findings");
    let get = |check: &str| findings.iter().find(|f| f["check"].as_str() == Some(check)).unwrap_or_else(|| panic!("no finding {check}"));
    assert_eq!(get("Landlock")["found"].as_str(), Some(format!("ABI {}", kernel_landlock_abi()).as_str()));
    assert_eq!(get("fentry/LSM programs")["found"].as_str(), Some("refused (EPERM)"));
    assert_eq!(get("tracepoint sys_exit")["status"].as_str(), Some("ok"));
    assert_eq!(get("load raw_tracepoint:sys_exit")["status"].as_str(), Some("ok"));
    for f in findings {
        assert!(["ok", "note"].contains(&f["status"].as_str().unwrap_or("")), "finding not ok: {f}");
        for key in ["check", "status", "found", "meaning"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }
}

/// The kernel's Landlock ABI, asked directly.
fn kernel_landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    let abi = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32) };
    assert!(abi > 0, "Landlock is enabled on this machine");
    abi
}
