//! Capability and resource-limit verdicts: `sethostname` and `socket(AF_PACKET)` as uid 65534
//! (`CAP_SYS_ADMIN`, `CAP_NET_RAW`), `RLIMIT_NPROC` (fork EAGAIN as uid 65534, which is not
//! exempt), and `RLIMIT_NOFILE` (EMFILE), both when the process is already gone at the verdict and
//! when it is still alive.

use denytrace_tests::{TempDir, assert_cause, denials, find_denial, nobody_bin, require, require_root, run_clean, s};
use serde_json::Value;

fn capability_case(args: &[&str], syscall: &str, capability: &str) {
    let dir = TempDir::new("cap");
    let workload = nobody_bin("dt-workload", &dir);
    let mut cmd = vec![s(&workload)];
    cmd.extend(args);
    let r = run_clean(&["--user", "65534"], &cmd);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EPERM (1)");
    let d = find_denial(&r.report, &[syscall], None).unwrap_or_else(|| panic!("no {syscall} denial: {:#?}", denials(&r.report)));
    assert_eq!(d["errno"].as_str(), Some("EPERM"));
    assert_eq!(d["syscall"]["entered"].as_bool(), Some(true));
    assert_cause(&d, "capability", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["capability"].as_str(), Some(capability));
    assert_eq!(detail["refused"], serde_json::json!([capability]));
    assert_eq!(detail["effective"].as_str(), Some("0x0"), "uid 65534 holds no capability");
    assert!(d["cause"]["summary"].as_str().is_some_and(|t| t.contains(capability)));
}

#[test]
fn sethostname_needs_cap_sys_admin() {
    if !require_root() {
        return;
    }
    capability_case(&["sethostname", "denytrace-test"], "sethostname", "CAP_SYS_ADMIN");
}

#[test]
fn a_packet_socket_needs_cap_net_raw() {
    if !require_root() {
        return;
    }
    capability_case(&["socket", "packet"], "socket", "CAP_NET_RAW");
}

fn prlimit_exists() -> bool {
    require(std::path::Path::new("/usr/bin/prlimit").exists(), "/usr/bin/prlimit (util-linux)")
}

/// `RLIMIT_NPROC` counts every process of the uid, so other tests' uid-65534 processes only make
/// the fork fail sooner; the limit named and its soft value do not change.
#[test]
fn fork_over_rlimit_nproc_is_rlimit() {
    if !require_root() || !prlimit_exists() {
        return;
    }
    let dir = TempDir::new("nproc");
    let workload = nobody_bin("dt-workload", &dir);
    let r = run_clean(&["--user", "65534"], &["/usr/bin/prlimit", "--nproc=3", s(&workload), "fork", "5"]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EAGAIN (11)");
    let d = find_denial(&r.report, &["clone", "clone3", "fork", "vfork"], None).expect("the refused fork");
    assert_eq!(d["errno"].as_str(), Some("EAGAIN"));
    assert_cause(&d, "rlimit", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["limit"].as_str(), Some("RLIMIT_NPROC"));
    assert_eq!(detail["soft"].as_u64(), Some(3));
    assert_eq!(detail["uid"].as_u64(), Some(65534));
    let evidence: Vec<&str> = d["cause"]["evidence"].as_array().expect("evidence").iter().filter_map(Value::as_str).collect();
    assert!(evidence.iter().any(|e| e.contains("CAP_SYS_RESOURCE and CAP_SYS_ADMIN")), "{evidence:#?}");
}

/// `dt-workload openfiles 20` under a limit of 10: EMFILE; the workload exits at once, so the
/// limit must come from the kernel program, which reads it at the refusal.
#[test]
fn emfile_is_rlimit_nofile_with_the_soft_limit() {
    if !require_root() || !prlimit_exists() {
        return;
    }
    let dir = TempDir::new("nofile");
    let workload = nobody_bin("dt-workload", &dir);
    let r = run_clean(&[], &["/usr/bin/prlimit", "--nofile=10", s(&workload), "openfiles", "20"]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EMFILE (24)");
    let d = find_denial(&r.report, &["openat"], Some("/dev/null")).expect("the EMFILE open");
    assert_eq!(d["errno"].as_str(), Some("EMFILE"));
    assert_eq!(d["count"].as_u64(), Some(1), "it stops at the first failure");
    assert_cause(&d, "rlimit", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["limit"].as_str(), Some("RLIMIT_NOFILE"));
    assert_eq!(detail["soft"].as_u64(), Some(10), "{detail:#}");
    assert_eq!(detail["hard"].as_u64(), Some(10));
    assert_eq!(detail["limits_read"].as_str(), Some("kernel"), "{detail:#}");
}

/// A program that handles EMFILE and goes on: the limit read at the refusal, and its usage live.
#[test]
fn emfile_of_a_live_process_reads_its_limit_live() {
    if !require_root() || !prlimit_exists() || !require(std::path::Path::new("/usr/bin/python3").exists(), "/usr/bin/python3") {
        return;
    }
    let script = "import os, time\nfds = []\ntry:\n    while True: fds.append(os.open('/dev/null', os.O_RDONLY))\nexcept OSError:\n    time.sleep(1)\n";
    let r = run_clean(&[], &["/usr/bin/prlimit", "--nofile=12:40", "/usr/bin/python3", "-c", script]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat"], Some("/dev/null")).expect("the EMFILE open");
    assert_eq!(d["errno"].as_str(), Some("EMFILE"));
    assert_cause(&d, "rlimit", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["soft"].as_u64(), Some(12));
    assert_eq!(detail["hard"].as_u64(), Some(40));
    assert_eq!(detail["limits_read"].as_str(), Some("kernel"));
    assert!(detail["usage"].as_u64().is_some_and(|n| n >= 12), "every descriptor up to the limit is open: {detail:#}");
}
