//! Suggestions on real denials, against real policy files (docs/suggestions.md):
//!
//! - the `OpenShell` policy of docs/examples patched for a pseudo-terminal gets exactly the
//!   `read_write` lines this machine's `/dev` needs (device-node `/dev/ptmx`: `/dev/ptmx` and
//!   `/dev/pts`), and the same in a container-style `/dev` (symlink `/dev/ptmx`: `/dev/pts` only),
//!   made in a private mount namespace; the patch keeps the comments, applies with `patch(1)`, parses
//!   and validates; and it is proven: `dt-landlock` given the patched policy's paths runs the same
//!   workload to success, while the grant without the anticipated `/dev/pts` does not;
//! - `run --suggest openshell --policy FILE` prints the patch;
//! - the seccomp profile of docs/examples (Docker's default style) gains the refused syscall;
//! - docker and systemd outputs for a capability, `RLIMIT_NOFILE` and a cgroup's pids.max, the last
//!   two proven by rerunning the workload with the suggested values; a systemd unit patch;
//! - a hostile directory name (newline, `: `, `#`, quotes) is one quoted YAML line that parses back
//!   to exactly that name, and the workload then succeeds.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use denytrace_tests::{
    CgroupV1, TempDir, assert_cause, bin, denials, find_denial, nobody_bin, require, require_root, run, run_clean, s,
};
use serde_json::Value;

const POLICY: &str = include_str!("../../docs/examples/openshell-policy.yaml");
const PROFILE: &str = include_str!("../../docs/examples/seccomp-docker-default.json");

/// A parsed `OpenShell` policy as JSON values.
fn yaml(text: &str) -> Value {
    let v: serde_norway::Value = serde_norway::from_str(text).unwrap_or_else(|e| panic!("the policy does not parse: {e}\n{text}"));
    serde_json::to_value(v).expect("YAML as JSON")
}

fn list(policy: &Value, key: &str) -> Vec<String> {
    policy["filesystem_policy"][key].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// `OpenShell`'s own checks on the parts denytrace touches: version, known fields, absolute paths
/// without `..`, `/` never read-write, at most 256 paths.
fn assert_valid(policy: &Value) {
    assert_eq!(policy["version"].as_u64(), Some(1));
    let known = ["version", "filesystem_policy", "landlock", "process", "network_policies", "network_middlewares"];
    for k in policy.as_object().expect("a mapping").keys() {
        assert!(known.contains(&k.as_str()), "unknown field {k}");
    }
    for k in policy["filesystem_policy"].as_object().expect("filesystem_policy").keys() {
        assert!(["include_workdir", "read_only", "read_write"].contains(&k.as_str()), "unknown field {k}");
    }
    let (ro, rw) = (list(policy, "read_only"), list(policy, "read_write"));
    assert!(ro.len() + rw.len() <= 256);
    for p in ro.iter().chain(&rw) {
        assert!(p.starts_with('/') && !p.split('/').any(|c| c == ".."), "bad path {p:?}");
    }
    assert!(rw.iter().all(|p| !p.trim_end_matches('/').is_empty()), "/ is read_write");
}

/// The dt-landlock flags that mean what an `OpenShell` policy means (`read_only`: read rights,
/// `read_write`: every right, missing paths skipped as `best_effort` does), plus the test binaries'
/// directory read-only so the workload can be executed.
fn landlock_flags(policy: &Value) -> Vec<String> {
    let mut flags = Vec::new();
    for p in list(policy, "read_only") {
        flags.extend(["--ro-opt".to_owned(), p]);
    }
    for p in list(policy, "read_write") {
        flags.extend(["--rw-opt".to_owned(), p]);
    }
    let dir = bin("dt-workload").parent().expect("target dir").to_path_buf();
    flags.extend(["--ro".to_owned(), s(&dir).to_owned()]);
    flags
}

/// `dt-landlock FLAGS -- CMD...` as a command line.
fn sandboxed(flags: &[String], cmd: &[&str]) -> Vec<String> {
    let mut v = vec![s(&bin("dt-landlock")).to_owned()];
    v.extend(flags.iter().cloned());
    v.push("--".into());
    v.extend(cmd.iter().map(|c| (*c).to_owned()));
    v
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Runs `denytrace suggest` on a report.
fn suggest(report: &Value, formats: &str, policy: Option<&Path>) -> std::process::Output {
    let dir = TempDir::new("suggest-report");
    let path = dir.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(report).expect("report")).expect("writing the report");
    let mut cmd = Command::new(bin("denytrace"));
    cmd.args(["suggest", "--report", s(&path), "--format", formats]);
    if let Some(p) = policy {
        cmd.args(["--policy", s(p)]);
    }
    cmd.output().expect("running denytrace suggest")
}

/// The suggestion of a format on a denial.
fn suggestion<'a>(d: &'a Value, format: &str) -> &'a Value {
    d["suggestions"].as_array().and_then(|a| a.iter().find(|s| s["format"] == format)).unwrap_or_else(|| panic!("no {format} suggestion: {d:#}"))
}

fn text(s: &Value) -> &str {
    s["text"].as_str().expect("text")
}

/// The lines a unified diff adds.
fn added(diff: &str) -> Vec<&str> {
    diff.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect()
}

/// Applies a diff (or `denytrace suggest` output holding one) to `file` with `patch(1)`.
fn patch(file: &Path, diff: &str) {
    let p = file.with_extension("diff");
    std::fs::write(&p, diff).expect("writing the diff");
    let out = Command::new("patch").args(["--no-backup-if-mismatch", "-s", s(file), "-i", s(&p)]).output().expect("running patch");
    assert!(out.status.success(), "patch failed: {}{}\n{diff}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// Runs a command (not traced) and returns its stdout's first line.
fn outcome(cmd: &[String]) -> String {
    let out = Command::new(&cmd[0]).args(&cmd[1..]).output().expect("running the workload");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn comments(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains('#')).collect()
}

/// Whether `/dev/ptmx` is a symlink here (container-style `/dev`) rather than a devtmpfs node.
fn ptmx_is_symlink() -> bool {
    std::fs::symlink_metadata("/dev/ptmx").expect("/dev/ptmx").file_type().is_symlink()
}

/// Checks the suggested `OpenShell` patch for a pty in `policy_file`, applies it with `patch(1)` from
/// `denytrace suggest`'s output, and returns the patched policy.
fn check_pty_patch(r: &denytrace_tests::Run, policy_file: &Path, expected: &[&str]) -> Value {
    let d = find_denial(&r.report, &["openat", "open"], Some("/dev/ptmx")).unwrap_or_else(|| panic!("no /dev/ptmx denial: {:#?}", denials(&r.report)));
    assert_cause(&d, "landlock", "certain", r);
    let sug = suggestion(&d, "openshell");
    let diff = text(sug);
    assert!(diff.starts_with(&format!("--- {}\n+++ {}\n", s(policy_file), s(policy_file))), "{diff}");
    let want: Vec<String> = expected.iter().map(|p| format!("+    - {p}")).collect();
    assert_eq!(added(diff), refs(&want), "{diff}");
    assert!(diff.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count() == 0, "nothing removed: {diff}");
    let why = sug["why"].as_str().expect("why");
    assert!(why.contains("/dev/pts/N"), "the anticipated slave is named: {why}");
    assert!(["low", "medium", "high"].contains(&sug["risk"].as_str().unwrap_or("")));
    assert!(!sug["risk_why"].as_str().unwrap_or("").is_empty());
    // The run printed it too, and did not touch the file.
    assert!(r.stderr.contains(&format!("       +    - {}", expected[0])), "summary:\n{}", r.stderr);
    assert_eq!(std::fs::read_to_string(policy_file).expect("policy"), POLICY);

    let out = suggest(&r.report, "openshell", Some(policy_file));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    patch(policy_file, &String::from_utf8_lossy(&out.stdout));
    let patched = std::fs::read_to_string(policy_file).expect("patched policy");
    assert_eq!(comments(&patched), comments(POLICY), "comments kept");
    let new_lines: Vec<&str> = patched.lines().filter(|l| !POLICY.lines().any(|o| o == *l)).collect();
    assert_eq!(new_lines.len(), expected.len(), "{patched}");
    let v = yaml(&patched);
    assert_valid(&v);
    let original = yaml(POLICY);
    let mut rw = list(&original, "read_write");
    rw.extend(expected.iter().map(|p| (*p).to_owned()));
    assert_eq!(list(&v, "read_write"), rw);
    let mut same = v.clone();
    same["filesystem_policy"]["read_write"] = original["filesystem_policy"]["read_write"].clone();
    assert_eq!(same, original, "nothing else changed");
    v
}

#[test]
fn openshell_pty_patch_for_this_machines_dev_is_exact_and_sufficient() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("suggest-pty");
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, POLICY).expect("writing the policy");
    let original = yaml(POLICY);
    let workload = s(&bin("dt-workload")).to_owned();
    let cmd = sandboxed(&landlock_flags(&original), &[&workload, "openpty"]);
    assert_eq!(outcome(&cmd), "failed: EACCES (13)", "the policy refuses a pty");

    let r = run(&["--suggest", "openshell", "--policy", s(&policy_file)], &refs(&cmd));
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    let expected: &[&str] = if ptmx_is_symlink() { &["/dev/pts"] } else { &["/dev/ptmx", "/dev/pts"] };
    let patched = check_pty_patch(&r, &policy_file, expected);

    // The proof: the patched policy's paths let the same workload open a pty.
    assert_eq!(outcome(&sandboxed(&landlock_flags(&patched), &[&workload, "openpty"])), "ok");
    // The refused object alone gets one step further only: the slave is refused next.
    if !ptmx_is_symlink() {
        let mut flags = landlock_flags(&original);
        flags.extend(["--rw".into(), "/dev/ptmx".into()]);
        assert_eq!(outcome(&sandboxed(&flags, &[&workload, "openpty"])), "failed: EACCES (13)");
    }
}

/// A container-style `/dev` in a private mount namespace: a tmpfs with the standard nodes, a
/// private devpts instance on `/dev/pts`, and `/dev/ptmx` a symlink to `pts/ptmx`. Nothing of it
/// is visible outside the namespace, and it disappears with its last process.
const CONTAINER_DEV: &str = "set -e
mount -t tmpfs -o mode=0755,nosuid denytrace-test-dev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/urandom c 1 9
mkdir /dev/pts
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
exec \"$@\"";

fn in_container_dev(cmd: &[String]) -> Vec<String> {
    let mut v: Vec<String> = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", CONTAINER_DEV, "sh"].iter().map(|s| (*s).to_owned()).collect();
    v.extend(cmd.iter().cloned());
    v
}

#[test]
fn openshell_pty_patch_for_a_container_style_dev_is_pts_alone() {
    if !require_root() || !require(Path::new("/usr/bin/unshare").exists() && Path::new("/usr/bin/python3").exists(), "unshare and python3") {
        return;
    }
    let host_layout = ptmx_is_symlink();
    let dir = TempDir::new("suggest-pty-ns");
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, POLICY).expect("writing the policy");
    let original = yaml(POLICY);
    // Python keeps the process alive a moment after the refusal, so denytrace resolves the path in
    // its mount namespace (to /dev/pts/ptmx).
    let program = "import os, sys, time\ntry:\n    os.openpty()\nexcept OSError:\n    time.sleep(1)\n    sys.exit(1)\n";
    let cmd = in_container_dev(&sandboxed(&landlock_flags(&original), &["/usr/bin/python3", "-c", program]));
    let r = run(&["--suggest", "openshell", "--policy", s(&policy_file)], &refs(&cmd));
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat", "open"], Some("/dev/ptmx")).expect("the /dev/ptmx denial");
    assert_eq!(d["cause"]["detail"]["resolved"].as_str(), Some("/dev/pts/ptmx"), "{d:#}");
    let patched = check_pty_patch(&r, &policy_file, &["/dev/pts"]);

    let workload = s(&bin("dt-workload")).to_owned();
    assert_eq!(outcome(&in_container_dev(&sandboxed(&landlock_flags(&patched), &[&workload, "openpty"]))), "ok");
    // Here /dev/ptmx would not help: the master opens, the slave is refused.
    let mut flags = landlock_flags(&original);
    flags.extend(["--rw".into(), "/dev/ptmx".into()]);
    assert_eq!(outcome(&in_container_dev(&sandboxed(&flags, &[&workload, "openpty"]))), "failed: EACCES (13)");
    assert_eq!(ptmx_is_symlink(), host_layout, "the machine's own /dev is untouched");
}

#[test]
fn docker_style_seccomp_profile_gains_the_refused_syscall() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("suggest-seccomp");
    let profile = dir.join("seccomp.json");
    std::fs::write(&profile, PROFILE).expect("writing the profile");
    let workload = s(&bin("dt-workload")).to_owned();
    let seccomp = s(&bin("dt-seccomp")).to_owned();
    // In a new UTS namespace, so that nothing could change the machine's host name.
    let cmd = [seccomp.as_str(), "--errno", "sethostname=EPERM", "--", "/usr/bin/unshare", "--uts", &workload, "sethostname", "denytrace-test"];
    let r = run(&["--suggest", "oci-seccomp,docker,systemd,openshell", "--policy", s(&profile)], &cmd);
    assert_eq!(r.stdout.trim(), "failed: EPERM (1)", "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["sethostname"], None).expect("the sethostname denial");
    assert_cause(&d, "seccomp", "certain", &r);

    let sug = suggestion(&d, "oci-seccomp");
    assert_eq!(added(text(sug)), vec!["+\t\t\t\t\"sethostname\","], "{}", text(sug));
    assert!(sug["why"].as_str().unwrap_or("").contains("CAP_SYS_ADMIN"), "the capability-gated rule is named: {sug:#}");
    assert_eq!(sug["risk"], "medium");
    patch(&profile, text(sug));
    let patched: Value = serde_json::from_str(&std::fs::read_to_string(&profile).expect("profile")).expect("the patched profile parses");
    let original: Value = serde_json::from_str(PROFILE).expect("profile");
    let names = |v: &Value| -> Vec<String> { v["syscalls"][0]["names"].as_array().expect("names").iter().filter_map(|n| n.as_str().map(str::to_owned)).collect() };
    let got = names(&patched);
    let at = got.iter().position(|n| n == "sethostname").expect("sethostname allowed");
    assert!(got[at - 1].replace('_', "") < "sethostname".into() && got[at + 1].replace('_', "") > "sethostname".into(), "in sorted place");
    assert_eq!(patched["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
    assert!(patched["syscalls"][0].get("includes").is_none() && patched["syscalls"][0].get("args").is_none());
    let mut back = patched.clone();
    back["syscalls"][0]["names"] = original["syscalls"][0]["names"].clone();
    assert_eq!(back, original, "nothing else changed");

    assert_eq!(text(suggestion(&d, "docker")), "--security-opt seccomp=seccomp-profile.json\n");
    assert_eq!(text(suggestion(&d, "systemd")), "[Service]\nSystemCallFilter=sethostname\n");
    assert!(text(suggestion(&d, "openshell")).starts_with("not expressible in openshell: the seccomp filter refused sethostname"));
}

#[test]
fn capability_in_docker_systemd_and_a_unit_patch() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("suggest-cap");
    let workload = nobody_bin("dt-workload", &dir);
    let r = run_clean(&["--user", "65534", "--suggest", "docker,systemd,kubernetes,bwrap,openshell"], &[s(&workload), "sethostname", "denytrace-test"]);
    assert_eq!(r.stdout.trim(), "failed: EPERM (1)", "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["sethostname"], None).expect("the sethostname denial");
    assert_cause(&d, "capability", "certain", &r);
    let docker = suggestion(&d, "docker");
    assert_eq!(text(docker), "--cap-add SYS_ADMIN\n");
    assert_eq!((docker["risk"].as_str(), docker["risk_why"].as_str().is_some_and(|w| w.contains("CAP_SYS_ADMIN"))), (Some("high"), true));
    assert_eq!(text(suggestion(&d, "systemd")), "[Service]\nAmbientCapabilities=CAP_SYS_ADMIN\nCapabilityBoundingSet=CAP_SYS_ADMIN\n");
    assert!(text(suggestion(&d, "kubernetes")).contains("  capabilities:\n    add: [\"SYS_ADMIN\"]\n"));
    assert_eq!(text(suggestion(&d, "bwrap")), "--cap-add CAP_SYS_ADMIN\n");
    assert!(text(suggestion(&d, "openshell")).starts_with("not expressible in openshell:"));
    assert!(r.stderr.contains("fix (docker, risk high): add the capability SYS_ADMIN"), "{}", r.stderr);

    // Against a unit that restricts its bounding set: both lines go after their kind.
    let unit = dir.join("demo.service");
    let unit_text = "[Unit]\nDescription=demo\n\n[Service]\n# Runs as nobody.\nUser=nobody\nExecStart=/usr/bin/demo\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n\n[Install]\nWantedBy=multi-user.target\n";
    std::fs::write(&unit, unit_text).expect("writing the unit");
    let out = suggest(&r.report, "systemd", Some(&unit));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(added(&stdout), vec!["+CapabilityBoundingSet=CAP_SYS_ADMIN", "+AmbientCapabilities=CAP_SYS_ADMIN"], "{stdout}");
    patch(&unit, &stdout);
    let patched = std::fs::read_to_string(&unit).expect("unit");
    assert_eq!(
        patched,
        unit_text.replace(
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_SYS_ADMIN\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_SYS_ADMIN\n"
        )
    );
}

/// The first number after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> u64 {
    let rest = &text[text.find(prefix).unwrap_or_else(|| panic!("{prefix:?} in {text:?}")) + prefix.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
}

#[test]
fn rlimit_nofile_in_docker_and_systemd_is_enough_for_the_workload() {
    if !require_root() || !require(Path::new("/usr/bin/prlimit").exists(), "/usr/bin/prlimit") {
        return;
    }
    let dir = TempDir::new("suggest-nofile");
    let workload = nobody_bin("dt-workload", &dir);
    let r = run_clean(&["--suggest", "docker,systemd,kubernetes"], &["/usr/bin/prlimit", "--nofile=10", s(&workload), "openfiles", "40"]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat", "open"], None).expect("the EMFILE denial");
    assert_cause(&d, "rlimit", "certain", &r);
    assert_eq!(d["cause"]["detail"]["soft"].as_u64(), Some(10));
    let docker = text(suggestion(&d, "docker"));
    let n = number_after(docker, "--ulimit nofile=");
    assert!(n >= 20, "at least twice the limit that was reached: {docker}");
    assert_eq!(docker, format!("--ulimit nofile={n}:{n}\n"));
    assert_eq!(text(suggestion(&d, "systemd")), format!("[Service]\nLimitNOFILE={n}\n"));
    assert!(text(suggestion(&d, "kubernetes")).starts_with("not expressible in kubernetes:"));
    // The proof: with the suggested limit the workload gets through.
    let proof = Command::new("/usr/bin/prlimit").arg(format!("--nofile={n}")).args([s(&workload), "openfiles", "40"]).output().expect("prlimit");
    assert_eq!(String::from_utf8_lossy(&proof.stdout).trim(), "ok");
}

#[test]
fn cgroup_pids_max_in_docker_and_systemd_is_enough_for_the_workload() {
    if !require_root() {
        return;
    }
    let Some(cgroup) = CgroupV1::new("pids", "suggest-pids") else {
        let _ = require(false, "the cgroup v1 pids controller at /sys/fs/cgroup/pids");
        return;
    };
    cgroup.write("pids.max", "3");
    let dir = TempDir::new("suggest-pids");
    let workload = nobody_bin("dt-workload", &dir);
    let script = format!("echo $$ > {}/cgroup.procs && exec {} fork 6", s(&cgroup.dir), s(&workload));
    let r = run(&["--suggest", "docker,systemd,kubernetes"], &["/bin/sh", "-c", &script]);
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["clone", "clone3", "fork", "vfork"], None).expect("the refused fork");
    assert_cause(&d, "cgroup_pids", "certain", &r);
    let docker = text(suggestion(&d, "docker"));
    let n = number_after(docker, "--pids-limit ");
    assert!(n >= 6, "{docker}");
    assert_eq!(text(suggestion(&d, "systemd")), format!("[Service]\nTasksMax={n}\n"));
    assert!(text(suggestion(&d, "kubernetes")).contains("podPidsLimit"));
    // The proof: with the suggested pids.max the same workload gets through.
    cgroup.write("pids.max", &n.to_string());
    let out = Command::new("/bin/sh").args(["-c", &script]).output().expect("sh");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn hostile_directory_name_is_one_quoted_line_and_works() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("suggest-hostile");
    let hostile: PathBuf = dir.join("a: b #c\n- etc: \"q\" 'x'");
    std::fs::create_dir(&hostile).expect("making the directory");
    let hostile_s = s(&hostile).to_owned();
    // The example policy without /tmp, so that the directory is outside every grant.
    let policy_text = POLICY.replace("    - /tmp        # scratch space, cleaned when the sandbox stops\n", "");
    assert_ne!(policy_text, POLICY);
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, &policy_text).expect("writing the policy");
    let original = yaml(&policy_text);
    let workload = s(&bin("dt-workload")).to_owned();
    let target = format!("{hostile_s}/f");
    let cmd = sandboxed(&landlock_flags(&original), &[&workload, "open", &target, "wo", "creat"]);
    let r = run(&["--suggest", "openshell,landlock", "--policy", s(&policy_file)], &refs(&cmd));
    assert_eq!(r.stdout.trim(), "failed: EACCES (13)", "stderr:\n{}", r.stderr);
    let d = find_denial(&r.report, &["openat", "open", "creat"], Some(&target)).unwrap_or_else(|| panic!("{:#?}", denials(&r.report)));
    assert_cause(&d, "landlock", "certain", &r);

    let diff = text(suggestion(&d, "openshell"));
    let lines = added(diff);
    assert_eq!(lines.len(), 1, "{diff}");
    assert!(lines[0].starts_with("+    - \"") && lines[0].ends_with('"') && lines[0].is_ascii(), "{diff}");
    patch(&policy_file, diff);
    let patched_text = std::fs::read_to_string(&policy_file).expect("policy");
    let patched = yaml(&patched_text);
    assert_valid(&patched);
    let mut rw = list(&original, "read_write");
    rw.push(hostile_s.clone());
    assert_eq!(list(&patched, "read_write"), rw, "the name parses back exactly");
    let mut same = patched.clone();
    same["filesystem_policy"]["read_write"] = original["filesystem_policy"]["read_write"].clone();
    assert_eq!(same, original, "no key was added or changed");
    // The Landlock rules: three lines per rule, the path one quoted line.
    let toml = text(suggestion(&d, "landlock"));
    for l in toml.lines().filter(|l| !l.is_empty()) {
        assert!(l == "[[path_beneath]]" || l.starts_with("path = \"") || l.starts_with("allowed_access = ["), "{toml}");
    }
    // The proof: the workload creates its file once the patched policy's paths are granted.
    assert_eq!(outcome(&sandboxed(&landlock_flags(&patched), &[&workload, "open", &target, "wo", "creat"])), "ok");
    assert!(Path::new(&target).exists());
}

#[test]
fn bad_formats_and_policies_are_refused() {
    if !require_root() {
        return;
    }
    let workload = s(&bin("dt-workload")).to_owned();
    let r = run(&[], &[&workload, "open", "/nonexistent-denytrace-test", "ro"]);
    let out = suggest(&r.report, "nope", None);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format \"nope\""));
    let dir = TempDir::new("suggest-bad");
    let f = dir.join("p.yaml");
    std::fs::write(&f, "hello: world\n").expect("write");
    let out = suggest(&r.report, "openshell", Some(&f));
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a recognised policy"));
    std::fs::write(&f, PROFILE).expect("write");
    let out = suggest(&r.report, "openshell", Some(&f));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a oci-seccomp policy, but --format does not include oci-seccomp"));
}
