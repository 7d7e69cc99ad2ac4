//! cgroup verdicts on cgroups the tests make (v1 controllers, as mounted on this machine): a
//! `pids.max` that refuses a fork (not `RLIMIT_NPROC`, even for a non-root uid), and the devices
//! controller refusing /dev/null, both with a deny-by-default list (certain) and with a
//! `devices.deny` entry, which the kernel does not list back (likely).
//!
//! Each workload moves itself into the cgroup and then execs (`sh -c 'echo $$ > cgroup.procs;
//! exec ...'`); the cgroup is removed after its processes have exited.
//!
//! The devices workloads stay alive for a moment after their refused open (a small Python
//! program), so that denytrace reads their cgroup while they run: the kernel shows the v1 cgroups
//! of an exiting task as `/`, and a program that fails and exits within a millisecond may be gone
//! before even its exec was processed (then the verdict is at most `possible`; see
//! `docs/causes/device_cgroup.md`).

use denytrace_tests::{CgroupV1, TempDir, assert_cause, find_denial, nobody_bin, require, require_root, run_clean, s};

/// Opens /dev/null read-write; on failure prints the errno and lingers half a second.
const OPEN_DEV_NULL: &str = "/usr/bin/python3 -c 'import os, time\ntry:\n    os.open(\"/dev/null\", os.O_RDWR)\n    print(\"ok\")\nexcept OSError as e:\n    print(\"failed:\", e.errno)\n    time.sleep(0.5)'";

fn python_exists() -> bool {
    require(std::path::Path::new("/usr/bin/python3").exists(), "/usr/bin/python3 (Debian package python3)")
}

/// Runs `cmd` inside `cgroup` under `denytrace run`, as root (the move needs it) and then as
/// `then_user` when given (through setpriv).
fn run_inside(cgroup: &CgroupV1, then_user: Option<u32>, cmd: &str) -> denytrace_tests::Run {
    let drop_to = then_user.map_or_else(String::new, |uid| format!("setpriv --reuid={uid} --regid={uid} --clear-groups "));
    let script = format!("echo $$ > {}/cgroup.procs && exec {drop_to}{cmd}", s(&cgroup.dir));
    run_clean(&[], &["/bin/sh", "-c", &script])
}

#[test]
fn pids_max_refusing_a_fork_is_cgroup_pids_not_rlimit() {
    if !require_root() {
        return;
    }
    let Some(cgroup) = CgroupV1::new("pids", "pids") else {
        let _ = require(false, "the cgroup v1 pids controller at /sys/fs/cgroup/pids");
        return;
    };
    cgroup.write("pids.max", "3");
    let dir = TempDir::new("pids");
    let workload = nobody_bin("dt-workload", &dir);
    // uid 65534 is subject to RLIMIT_NPROC (root is not), whose default here is far away: the
    // verdict must tell the two apart.
    let r = run_inside(&cgroup, Some(65534), &format!("{} fork 5", s(&workload)));
    assert_eq!(r.code, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: EAGAIN (11)");
    let d = find_denial(&r.report, &["clone", "clone3", "fork", "vfork"], None).expect("the refused fork");
    assert_eq!(d["errno"].as_str(), Some("EAGAIN"));
    assert_eq!(d["process"]["uid"].as_u64(), Some(65534));
    assert_cause(&d, "cgroup_pids", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["pids_max"].as_u64(), Some(3));
    assert_eq!(detail["cgroup"].as_str(), Some(s(&cgroup.dir)));
    assert!(detail["refused_forks"].as_u64().is_some_and(|n| n >= 1), "{detail:#}");
    assert!(cgroup.read("pids.events").contains("max "), "the kernel counted the refusal");
}

#[test]
fn a_deny_by_default_devices_list_is_device_cgroup_certain() {
    if !require_root() || !python_exists() {
        return;
    }
    let Some(cgroup) = CgroupV1::new("devices", "devices") else {
        let _ = require(false, "the cgroup v1 devices controller at /sys/fs/cgroup/devices");
        return;
    };
    // Deny everything, then allow /dev/zero fully and /dev/null for reading only.
    cgroup.write("devices.deny", "a");
    cgroup.write("devices.allow", "c 1:5 rwm");
    cgroup.write("devices.allow", "c 1:3 r");
    let r = run_inside(&cgroup, None, OPEN_DEV_NULL);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: 1", "EPERM");
    let d = find_denial(&r.report, &["openat"], Some("/dev/null")).expect("the /dev/null open");
    assert_eq!(d["errno"].as_str(), Some("EPERM"));
    assert_cause(&d, "device_cgroup", "certain", &r);
    let detail = &d["cause"]["detail"];
    assert_eq!(detail["device"].as_str(), Some("c 1:3"));
    assert_eq!(detail["access"].as_str(), Some("rw"));
    assert_eq!(detail["controller"].as_str(), Some("v1"));
    assert_eq!(detail["cgroup"].as_str(), Some(s(&cgroup.dir)));
}

/// `devices.deny "c 1:3 rwm"` on a cgroup that allows by default: the kernel lists only
/// `a *:* rwm` back, so the refusal cannot be proved from the list; EPERM on a device open with
/// nothing else to explain it makes it likely.
#[test]
fn a_hidden_devices_deny_entry_is_device_cgroup_likely() {
    if !require_root() || !python_exists() {
        return;
    }
    let Some(cgroup) = CgroupV1::new("devices", "devdeny") else {
        let _ = require(false, "the cgroup v1 devices controller at /sys/fs/cgroup/devices");
        return;
    };
    cgroup.write("devices.deny", "c 1:3 rwm");
    assert_eq!(cgroup.read("devices.list").trim(), "a *:* rwm", "the kernel hides the deny entry");
    let r = run_inside(&cgroup, None, OPEN_DEV_NULL);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout.trim(), "failed: 1", "EPERM");
    let d = find_denial(&r.report, &["openat"], Some("/dev/null")).expect("the /dev/null open");
    assert_cause(&d, "device_cgroup", "likely", &r);
    assert_eq!(d["cause"]["detail"]["device"].as_str(), Some("c 1:3"));
    assert_eq!(d["cause"]["detail"]["cgroup"].as_str(), Some(s(&cgroup.dir)));
}
