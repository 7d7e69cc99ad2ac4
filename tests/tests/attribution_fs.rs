//! File verdicts beside Landlock: a read-only bind mount (EROFS, also for a caller whom DAC
//! would refuse too) and DAC inside a Landlock sandbox (the kernel checks DAC first).

use denytrace_tests::{
    Mount, TempDir, assert_cause, denials, find_denial, nobody_bin, open_dir, require, require_root, root_secret, run_clean,
    s,
};

fn read_only_area(dir: &TempDir) -> (std::path::PathBuf, Mount) {
    let source = dir.join("source");
    let ro = dir.join("ro");
    std::fs::create_dir(&source).expect("source dir");
    std::fs::create_dir(&ro).expect("mount point");
    let mount = Mount::read_only_bind(&source, &ro);
    (ro, mount)
}

#[test]
fn creating_on_a_read_only_bind_mount_is_readonly_fs() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("rofs");
    let workload = nobody_bin("dt-workload", &dir);
    let (ro, _mount) = read_only_area(&dir);
    let file = ro.join("new-file");
    let r = run_clean(&[], &[s(&workload), "open", s(&file), "wo", "creat"]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EROFS (30)");
    let d = find_denial(&r.report, &["openat"], Some(s(&file))).expect("the creating open");
    assert_eq!(d["errno"].as_str(), Some("EROFS"));
    assert_eq!(d["ret"].as_i64(), Some(-30));
    assert_cause(&d, "readonly_fs", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["mount_point"].as_str(), Some(s(&ro)));
    assert!(detail["options"].as_array().is_some_and(|o| o.first().and_then(|v| v.as_str()) == Some("ro")), "{detail:#}");
}

/// uid 65534 making a directory in a root-owned 0755 directory on a read-only mount: DAC would
/// refuse it too, but the kernel refused with EROFS, which only the mount gives (`mnt_want_write`
/// runs before the permission check). Regression: this was blamed on DAC.
#[test]
fn erofs_is_the_mount_even_when_dac_would_refuse_too() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("rofsdac");
    let workload = nobody_bin("dt-workload", &dir);
    let (ro, _mount) = read_only_area(&dir);
    let sub = ro.join("x");
    let r = run_clean(&["--user", "65534"], &[s(&workload), "mkdir", s(&sub)]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EROFS (30)");
    let d = find_denial(&r.report, &["mkdir"], Some(s(&sub))).expect("the mkdir");
    assert_eq!(d["errno"].as_str(), Some("EROFS"));
    assert_cause(&d, "readonly_fs", "certain", &r);
    assert_eq!(d["cause"]["detail"]["mount_point"].as_str(), Some(s(&ro)));
    assert_eq!(d["cause"]["detail"]["fstype"].as_str().map(str::is_empty), Some(false));
}

/// A Landlock domain that grants read-write on a directory holding a root-owned 0600 file, run as
/// uid 65534: DAC, not Landlock. A file outside the rules in the same run is Landlock's, which
/// shows the sandbox is in force.
#[test]
fn dac_inside_a_landlock_sandbox_is_dac() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let dir = TempDir::new("dacll");
    let landlock = nobody_bin("dt-landlock", &dir);
    let workload = nobody_bin("dt-workload", &dir);
    let area = dir.join("area");
    std::fs::create_dir(&area).expect("area");
    open_dir(&area);
    let secret = area.join("secret");
    root_secret(&secret);
    let outside = TempDir::new("dacll-outside");
    let public = outside.join("public");
    std::fs::write(&public, "hello\n").expect("public file");
    let bins = workload.parent().expect("the workload's directory");
    let script = format!("{w} open {secret} ro; {w} open {public} ro; true", w = s(&workload), secret = s(&secret), public = s(&public));
    let cmd = [
        s(&landlock), "--rw", s(&area), "--ro", s(bins), "--ro", "/proc", "--ro-opt", "/usr", "--ro-opt", "/lib", "--ro-opt",
        "/lib64", "--ro-opt", "/bin", "--ro-opt", "/etc", "--", "/bin/sh", "-c", &script,
    ];
    let r = run_clean(&["--user", "65534"], &cmd);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(denials(&r.report).len(), 2, "{:#?}", denials(&r.report));
    let d = find_denial(&r.report, &["openat"], Some(s(&secret))).expect("the secret");
    assert_cause(&d, "dac", "certain", &r);
    assert_eq!(d["cause"]["detail"]["mode"].as_str(), Some("0600"));
    assert_eq!(d["cause"]["detail"]["owner"].as_u64(), Some(0));
    let evidence = d["cause"]["evidence"].as_array().expect("evidence");
    assert!(
        evidence.iter().any(|e| e.as_str().is_some_and(|e| e.contains("also in a Landlock domain"))),
        "the evidence says why Landlock is not blamed: {evidence:#?}"
    );
    let p = find_denial(&r.report, &["openat"], Some(s(&public))).expect("the file outside the rules");
    assert_cause(&p, "landlock", "certain", &r);
}

fn landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32) }
}
