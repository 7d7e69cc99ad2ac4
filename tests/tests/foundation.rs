//! Issue 2, the foundation, proved with the real programs: a DAC denial reported exactly, denials
//! of grandchildren, nothing reported from outside the traced set, exit code passthrough, and the
//! command-line errors.

use std::process::{Command, Stdio};

use denytrace_tests::{
    TempDir, assert_cause, bin, denials, find_denial, nobody_bin, nobody_shell, open_dir, require_root,
    root_secret, run, run_clean, s, wait_for,
};

/// `run --user 65534 -- dt-workload open SECRET ro` on a root-owned 0600 file: one denial, exact
/// in every field the issue names.
#[test]
fn dac_denial_is_reported_exactly() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("dac");
    let workload = nobody_bin("dt-workload", &dir);
    let secret = dir.join("secret");
    root_secret(&secret);
    let r = run_clean(&["--user", "65534"], &[s(&workload), "open", s(&secret), "ro"]);
    assert_eq!(r.code, Some(1), "dt-workload exits 1 on failure; stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EACCES (13)", "the workload's own output passes through");
    let all = denials(&r.report);
    assert_eq!(all.len(), 1, "exactly one distinct denial: {all:#?}");
    let d = &all[0];
    assert_eq!(d["path"].as_str(), Some(s(&secret)));
    assert_eq!(d["syscall"]["name"].as_str(), Some("openat"));
    assert_eq!(d["syscall"]["nr"].as_i64(), Some(257));
    assert_eq!(d["syscall"]["entered"].as_bool(), Some(true));
    assert_eq!(d["syscall"]["args"]["flags"].as_str(), Some("O_RDONLY|O_CLOEXEC"));
    assert_eq!(d["errno"].as_str(), Some("EACCES"));
    assert_eq!(d["ret"].as_i64(), Some(-13));
    assert_eq!(d["count"].as_u64(), Some(1));
    assert_eq!(d["process"]["uid"].as_u64(), Some(65534));
    assert_eq!(d["process"]["fsuid"].as_u64(), Some(65534));
    assert_eq!(d["process"]["exe"].as_str(), Some(s(&workload)));
    assert_eq!(d["process"]["comm"].as_str(), Some("dt-workload"));
    assert_eq!(d["process"]["pid"], r.report["target"]["pid"], "the command itself made the call");
    assert_cause(d, "dac", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["owner"].as_u64(), Some(0));
    assert_eq!(detail["group"].as_u64(), Some(0));
    assert_eq!(detail["mode"].as_str(), Some("0600"));
    assert_eq!(detail["needed"].as_str(), Some("read"));
    assert_eq!(detail["object"].as_str(), Some(s(&secret)));
    assert_eq!(detail["cap_dac_override"].as_bool(), Some(false));
    assert_eq!(r.report["stats"]["denials"].as_u64(), Some(1));
    assert_eq!(r.report["stats"]["distinct"].as_u64(), Some(1));
    assert_eq!(r.report["stats"]["lost"].as_u64(), Some(0));
    assert_eq!(r.report["target"]["user"].as_str(), Some("65534"));
    assert_eq!(r.report["exit"]["code"].as_i64(), Some(1));
    // The human summary names the call, the errno and the cause.
    assert!(r.stderr.contains("EACCES openat(") && r.stderr.contains("cause: dac (certain)"), "summary:\n{}", r.stderr);
}

/// A denial two forks down (`sh` -> `sh` -> `dt-workload`) carries the grandchild's identity.
#[test]
fn grandchild_denial_has_its_own_pid_and_exe() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("grandchild");
    let workload = nobody_bin("dt-workload", &dir);
    let secret = dir.join("secret");
    root_secret(&secret);
    // `; true` keeps each shell from exec'ing its last command, so there really are two forks.
    let script = format!("sh -c '{} open {} ro; true'; true", s(&workload), s(&secret));
    let r = run_clean(&["--user", "65534"], &["/bin/sh", "-c", &script]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(denials(&r.report).len(), 1, "only the grandchild's denial: {:#?}", denials(&r.report));
    let d = find_denial(&r.report, &["openat"], Some(s(&secret))).expect("the grandchild's denial");
    assert_cause(&d, "dac", "certain", &r);
    let root_pid = r.report["target"]["pid"].as_u64().expect("the command's pid");
    let pid = d["process"]["pid"].as_u64().expect("pid");
    let parent_pid = d["process"]["ppid"].as_u64().expect("ppid");
    assert_eq!(d["process"]["exe"].as_str(), Some(s(&workload)));
    assert_eq!(d["process"]["comm"].as_str(), Some("dt-workload"));
    assert_ne!(pid, root_pid, "not the command itself");
    assert_ne!(parent_pid, root_pid, "not a child of the command either: a grandchild");
    // Its parent is the inner shell, which the report saw end.
    let fates = r.report["processes"].as_array().expect("processes");
    let parent = fates.iter().find(|f| f["pid"].as_u64() == Some(parent_pid)).expect("the inner shell's fate");
    assert_eq!(parent["comm"].as_str(), Some("sh"));
    assert!(fates.iter().any(|f| f["pid"].as_u64() == Some(pid) && f["code"].as_i64() == Some(1)), "{fates:#?}");
}

/// A process outside the traced set that keeps failing the same way during the whole run is not
/// reported; the traced command's own denial is.
#[test]
fn denials_outside_the_traced_set_are_not_reported() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("untraced");
    open_dir(&dir.0);
    let workload = nobody_bin("dt-workload", &dir);
    let theirs = dir.join("theirs");
    let ours = dir.join("ours");
    root_secret(&theirs);
    root_secret(&ours);
    let log = dir.join("untraced.log");
    // The untraced loop: uid 65534 opening `theirs` every 20 ms, one output line per attempt.
    let untraced = nobody_shell(&format!("while :; do {} open {} ro; sleep 0.02; done", s(&workload), s(&theirs)))
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the untraced loop");
    let untraced = denytrace_tests::Child(untraced);
    let attempts = || std::fs::read_to_string(&log).unwrap_or_default().lines().filter(|l| *l == "failed: EACCES (13)").count();
    assert!(wait_for(5, || attempts() > 0), "the untraced loop never failed its open");
    let before = attempts();
    // The traced command runs long enough to overlap many untraced attempts.
    let script = format!("{w} open {o} ro; sleep 0.5; {w} open {o} ro; true", w = s(&workload), o = s(&ours));
    let r = run_clean(&["--user", "65534"], &["/bin/sh", "-c", &script]);
    let after = attempts();
    drop(untraced);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(after > before + 5, "the untraced loop must have been failing during the run ({before} -> {after})");
    let all = denials(&r.report);
    assert!(all.iter().all(|d| d["path"].as_str() != Some(s(&theirs))), "an untraced denial was reported: {all:#?}");
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["path"].as_str(), Some(s(&ours)));
    assert_eq!(all[0]["count"].as_u64(), Some(2), "both traced attempts, exactly");
    assert_eq!(r.report["stats"]["denials"].as_u64(), Some(2));
}

#[test]
fn exit_code_passes_through() {
    if !require_root() {
        return;
    }
    let r = run(&[], &["/bin/sh", "-c", "exit 7"]);
    assert_eq!(r.code, Some(7), "stderr:\n{}", r.stderr);
    assert_eq!(r.report["exit"]["code"].as_i64(), Some(7));
    assert_eq!(r.report["exit"]["status"].as_i64(), Some(7));
    assert!(r.report["exit"]["signal"].is_null());
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_n() {
    if !require_root() {
        return;
    }
    let r = run(&[], &["/bin/sh", "-c", "kill -TERM $$"]);
    assert_eq!(r.code, Some(143), "stderr:\n{}", r.stderr);
    assert_eq!(r.report["exit"]["signal"].as_str(), Some("SIGTERM"));
    assert!(r.report["exit"]["code"].is_null());
    assert_eq!(r.report["exit"]["status"].as_i64(), Some(143));
    // The fate of the shell names who sent it: itself.
    let fate = r.report["processes"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["pid"] == r.report["target"]["pid"]).cloned())
        .expect("the shell's fate");
    assert_eq!(fate["signal"].as_str(), Some("SIGTERM"));
    let killed_by = fate["killed_by"].as_str().unwrap_or("");
    assert!(killed_by.contains("SIGTERM") && killed_by.contains("self"), "killed_by: {killed_by}");
}

#[test]
fn a_missing_command_exits_127_and_a_non_executable_one_126() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("exec");
    let r = run(&[], &["denytrace-test-no-such-command"]);
    assert_eq!(r.code, Some(127), "stderr:\n{}", r.stderr);
    assert!(r.stderr.contains("denytrace-test-no-such-command: command not found"), "{}", r.stderr);
    let plain = dir.join("plain-file");
    std::fs::write(&plain, "#!/bin/sh\n").expect("writing a file");
    let r = run(&[], &[s(&plain)]);
    assert_eq!(r.code, Some(126), "stderr:\n{}", r.stderr);
    assert!(r.stderr.contains("not executable"), "{}", r.stderr);
}

#[test]
fn an_unknown_flag_exits_2_with_clap_s_message() {
    let out = Command::new(bin("denytrace")).args(["run", "--no-such-flag", "--", "true"]).output().expect("denytrace");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unexpected argument '--no-such-flag' found"), "{err}");
    assert!(err.contains("Usage: denytrace run"), "{err}");
    let out = Command::new(bin("denytrace")).args(["watch"]).output().expect("denytrace");
    assert_eq!(out.status.code(), Some(2), "watch needs one of --pid, --cgroup, --all");
}

#[test]
fn an_unknown_errno_is_a_clear_error() {
    if !require_root() {
        return;
    }
    let out = Command::new(bin("denytrace"))
        .args(["run", "--errnos", "EACCES,ENOTANERRNO", "--", "true"])
        .output()
        .expect("denytrace");
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown errno \"ENOTANERRNO\" in --errnos"), "{err}");
}

/// `--errnos ENOENT` reports what the default list leaves out, and only that.
#[test]
fn errnos_choose_what_is_reported() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("errnos");
    let missing = dir.join("missing");
    let secret = dir.join("secret");
    root_secret(&secret);
    let workload = nobody_bin("dt-workload", &dir);
    let script = format!("{w} open {m} ro; {w} open {s} ro; true", w = s(&workload), m = s(&missing), s = s(&secret));
    let r = run_clean(&["--user", "65534", "--errnos", "ENOENT"], &["/bin/sh", "-c", &script]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat"], Some(s(&missing))).expect("the ENOENT open");
    assert_eq!(d["errno"].as_str(), Some("ENOENT"));
    assert!(find_denial(&r.report, &["openat"], Some(s(&secret))).is_none(), "EACCES is not in --errnos ENOENT");
    // The default list reports EACCES and not ENOENT.
    let r = run_clean(&["--user", "65534"], &["/bin/sh", "-c", &script]);
    assert!(find_denial(&r.report, &["openat"], Some(s(&secret))).is_some());
    assert!(find_denial(&r.report, &["openat"], Some(s(&missing))).is_none());
}
