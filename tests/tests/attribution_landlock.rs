//! Landlock verdicts on real Landlock sandboxes (`dt-landlock`): the `OpenShell` `os.openpty()`
//! case exactly, rights on a directory (`make_reg`, `make_dir`), and a file outside every rule.

use denytrace_tests::{TempDir, assert_cause, denials, find_denial, nobody_bin, require, require_root, run_clean, s};
use serde_json::Value;

/// Read-only system directories a dynamically linked program needs, as `--ro-opt` arguments.
const SYSTEM_RO: [&str; 10] = ["--ro-opt", "/usr", "--ro-opt", "/lib", "--ro-opt", "/lib64", "--ro-opt", "/bin", "--ro-opt", "/etc"];

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32) }
}

/// NVIDIA `OpenShell`'s case: /dev/null and /dev/urandom granted read-write, system directories
/// read-only, /dev/pts not at all; Python's `os.openpty()` opens /dev/ptmx read-write.
#[test]
fn openshell_openpty_is_landlock_missing_read_and_write_file() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let python = "/usr/bin/python3";
    if !require(std::path::Path::new(python).exists(), "/usr/bin/python3 (Debian package python3)") {
        return;
    }
    let dir = TempDir::new("openshell");
    let landlock = nobody_bin("dt-landlock", &dir);
    let mut cmd = vec![s(&landlock), "--rw", "/dev/null", "--rw", "/dev/urandom"];
    cmd.extend(SYSTEM_RO);
    cmd.extend(["--", python, "-c", "import os; os.openpty()"]);
    let r = run_clean(&[], &cmd);
    assert_eq!(r.code, Some(1), "python exits 1 on the PermissionError; stderr:\n{}", r.stderr);
    assert!(r.stderr.contains("PermissionError: [Errno 13] Permission denied"), "{}", r.stderr);
    let d = find_denial(&r.report, &["openat"], Some("/dev/ptmx")).expect("the /dev/ptmx denial");
    assert_eq!(d["errno"].as_str(), Some("EACCES"));
    assert_eq!(d["ret"].as_i64(), Some(-13));
    assert_eq!(d["syscall"]["args"]["flags"].as_str(), Some("O_RDWR"), "glibc's openpty opens /dev/ptmx O_RDWR");
    assert_eq!(d["count"].as_u64(), Some(1));
    assert!(d["process"]["comm"].as_str().is_some_and(|c| c.starts_with("python3")), "{d:#}");
    assert_cause(&d, "landlock", "certain", &r);
    let detail = &d["cause"]["detail"];
    let missing = strings(&detail["missing_rights"]);
    assert!(missing.contains(&"read_file") && missing.contains(&"write_file"), "missing_rights {missing:?}");
    assert_eq!(missing.len(), 2, "exactly read_file and write_file: {missing:?}");
    assert_eq!(detail["layers"].as_u64(), Some(1));
    assert_eq!(detail["object_type"].as_str(), Some("character device"));
    assert_eq!(detail["domain_creator"]["comm"].as_str(), Some("dt-landlock"));
    assert_eq!(detail["domain_creator"]["pid"], r.report["target"]["pid"], "dt-landlock made the domain, then exec'd python");
    if landlock_abi() >= 5 {
        assert!(strings(&detail["handled_rights"]).contains(&"ioctl_dev"), "ABI 5+ handles ioctl_dev: {detail:#}");
    }
    let evidence = d["cause"]["evidence"].as_array().expect("evidence");
    assert!(evidence.iter().any(|e| e.as_str().is_some_and(|e| e.starts_with("ruled out: DAC allows it"))), "{evidence:#?}");
    // Nothing here is seccomp's or a limit's.
    for d in denials(&r.report) {
        let kind = d["cause"]["kind"].as_str().unwrap_or("");
        assert!(kind != "seccomp" && kind != "rlimit", "no denial blames {kind}: {d:#}");
    }
}

/// Creating a file and a directory where only read access was granted: `make_reg` and `make_dir`
/// on the directory, named as such.
#[test]
fn creating_in_a_read_only_directory_needs_make_rights_on_it() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let dir = TempDir::new("llmake");
    let landlock = nobody_bin("dt-landlock", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let area = dir.join("area");
    std::fs::create_dir(&area).expect("area");
    let file = area.join("new-file");
    let sub = area.join("new-dir");
    let script = format!("{w} open {f} wo creat; {w} mkdir {d}; true", w = s(&workload), f = s(&file), d = s(&sub));
    let bins = workload.parent().expect("the workload's directory");
    let mut cmd = vec![s(&landlock), "--ro", s(&area), "--ro", "/proc", "--ro", s(bins)];
    cmd.extend(SYSTEM_RO);
    cmd.extend(["--", "/bin/sh", "-c", &script]);
    let r = run_clean(&[], &cmd);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let open = find_denial(&r.report, &["openat"], Some(s(&file))).expect("the creating open");
    assert_cause(&open, "landlock", "certain", &r);
    // The call needs make_reg on the directory, then write_file on the new file; the domain
    // handles both and its rules cannot be read back, so both are named (bit order).
    assert_eq!(strings(&open["cause"]["detail"]["missing_rights"]), vec!["write_file", "make_reg"]);
    assert_eq!(open["cause"]["detail"]["parent"].as_str(), Some(s(&area)));
    let on = strings(&open["cause"]["detail"]["needed_on"]).join("; ");
    assert!(on.contains(&format!("make_reg on its directory {}", s(&area))), "needed_on: {on}");
    let mkdir = find_denial(&r.report, &["mkdir"], Some(s(&sub))).expect("the mkdir");
    assert_eq!(mkdir["errno"].as_str(), Some("EACCES"));
    assert_cause(&mkdir, "landlock", "certain", &r);
    assert_eq!(strings(&mkdir["cause"]["detail"]["missing_rights"]), vec!["make_dir"]);
    assert!(!std::path::Path::new(&file).exists() && !std::path::Path::new(&sub).exists());
}

/// A readable file outside every rule: `read_file` on the object.
#[test]
fn reading_outside_the_rules_needs_read_file() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let dir = TempDir::new("llread");
    let landlock = nobody_bin("dt-landlock", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let outside = TempDir::new("lloutside");
    let public = outside.join("public");
    std::fs::write(&public, "hello\n").expect("public file");
    let bins = workload.parent().expect("the workload's directory");
    let mut cmd = vec![s(&landlock), "--ro", "/proc", "--ro", s(bins)];
    cmd.extend(SYSTEM_RO);
    cmd.extend(["--", s(&workload), "open", s(&public), "ro"]);
    let r = run_clean(&["--user", "65534"], &cmd);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(denials(&r.report).len(), 1, "{:#?}", denials(&r.report));
    let d = find_denial(&r.report, &["openat"], Some(s(&public))).expect("the open");
    assert_cause(&d, "landlock", "certain", &r);
    assert_eq!(strings(&d["cause"]["detail"]["missing_rights"]), vec!["read_file"]);
    assert_eq!(d["cause"]["detail"]["object_type"].as_str(), Some("regular file"));
}
