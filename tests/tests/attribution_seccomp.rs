//! Seccomp verdicts on real filters (`dt-seccomp`): an EPERM action on mkdir, an EACCES action
//! on openat (which must not pass for DAC or Landlock), and a filter inherited by a grandchild.

use denytrace_tests::{TempDir, assert_cause, denials, find_denial, nobody_bin, require_root, run_clean, s};

#[test]
fn errno_eperm_on_mkdir_is_seccomp_with_the_filter_owner() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("secmkdir");
    let seccomp = nobody_bin("dt-seccomp", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let target = dir.join("made");
    let r = run_clean(&[], &[s(&seccomp), "--errno", "mkdir=EPERM", "--", s(&workload), "mkdir", s(&target)]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EPERM (1)");
    assert!(!target.exists());
    assert_eq!(denials(&r.report).len(), 1, "{:#?}", denials(&r.report));
    let d = find_denial(&r.report, &["mkdir"], Some(s(&target))).expect("the mkdir");
    assert_eq!(d["errno"].as_str(), Some("EPERM"));
    assert_eq!(d["syscall"]["entered"].as_bool(), Some(false), "seccomp refused it before sys_enter");
    assert_cause(&d, "seccomp", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["syscall"].as_str(), Some("mkdir"));
    assert_eq!(detail["nr"].as_i64(), Some(83));
    assert_eq!(detail["action"].as_str(), Some("errno"));
    assert_eq!(detail["errno"].as_i64(), Some(1));
    // dt-seccomp installed the filter, then exec'd the workload in the same process.
    assert_eq!(detail["filter_owner"]["comm"].as_str(), Some("dt-seccomp"));
    assert_eq!(detail["filter_owner"]["pid"], r.report["target"]["pid"]);
    assert_eq!(d["process"]["pid"], r.report["target"]["pid"]);
}

/// An EACCES action on openat: the dynamic loader's first open (`/etc/ld.so.cache`, readable by
/// everyone) is refused. EACCES is also what DAC and Landlock return; the verdict must still be
/// seccomp's, because the call never ran.
#[test]
fn errno_eacces_on_openat_is_seccomp_not_dac() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("secopen");
    let seccomp = nobody_bin("dt-seccomp", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let r = run_clean(&["--user", "65534"], &[s(&seccomp), "--errno", "openat=EACCES", "--", s(&workload), "open", "/etc/hostname", "ro"]);
    assert_ne!(r.code, Some(0), "the workload cannot even load its libraries; stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat"], Some("/etc/ld.so.cache")).expect("the loader's first open");
    assert_eq!(d["errno"].as_str(), Some("EACCES"));
    assert_eq!(d["syscall"]["entered"].as_bool(), Some(false));
    assert_cause(&d, "seccomp", "certain", &r);
    assert_eq!(d["cause"]["detail"]["errno"].as_i64(), Some(13));
    assert_eq!(d["cause"]["detail"]["syscall"].as_str(), Some("openat"));
    assert_eq!(d["cause"]["detail"]["filter_owner"]["comm"].as_str(), Some("dt-seccomp"));
    // Every refused openat of that run is the filter's.
    let all = denials(&r.report);
    assert!(all.len() > 1, "the loader tries several library paths");
    for d in &all {
        assert_eq!(d["syscall"]["name"].as_str(), Some("openat"), "{d:#}");
        assert_eq!(d["cause"]["kind"].as_str(), Some("seccomp"), "{d:#}");
    }
}

/// The filter is inherited across fork and exec: a grandchild's refused mkdir names the ancestor
/// that installed it.
#[test]
fn an_inherited_filter_names_the_ancestor_that_installed_it() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("secgrand");
    let seccomp = nobody_bin("dt-seccomp", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let target = dir.join("made");
    let script = format!("sh -c '{} mkdir {}; true'; true", s(&workload), s(&target));
    let r = run_clean(&[], &[s(&seccomp), "--errno", "mkdir=EPERM", "--", "/bin/sh", "-c", &script]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["mkdir"], Some(s(&target))).expect("the grandchild's mkdir");
    assert_cause(&d, "seccomp", "certain", &r);
    assert_ne!(d["process"]["pid"], r.report["target"]["pid"]);
    assert_ne!(d["process"]["ppid"], r.report["target"]["pid"], "a grandchild");
    let owner = &d["cause"]["detail"]["filter_owner"];
    assert_eq!(owner["pid"], r.report["target"]["pid"], "the filter came from the command's own process: {owner}");
    assert_eq!(owner["comm"].as_str(), Some("dt-seccomp"));
}
