//! Privileges: `run --user` drops to that user for the command only (uid and gid set, no
//! supplementary group, no capability, no descriptor beyond stdio even when denytrace itself
//! inherited one), and denytrace refuses to run set-user-ID, set-group-ID or with file
//! capabilities.

use std::{
    os::unix::{fs::PermissionsExt as _, process::CommandExt as _},
    process::{Command, Stdio},
};

use denytrace_tests::{PLAIN_PATH, TempDir, bin, open_dir, require, require_root, s};

/// The value of a `/proc/PID/status` field as the command printed it.
fn field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
        .map_or_else(|| panic!("no {name}: line in:\n{status}"), str::trim)
}

/// The shell prints its own status and descriptors: `$$` is the command denytrace started (no
/// redirection or command substitution, which would open descriptors in the shell itself).
const SHOW_SELF: &str = "cat /proc/$$/status; echo FDS; ls -1 /proc/$$/fd";

#[test]
fn run_user_drops_uid_groups_capabilities_and_descriptors() {
    if !require_root() {
        return;
    }
    // denytrace is started with descriptor 9 open and inheritable (as a careless parent might
    // leave it): the command must not get it.
    let inherited = std::fs::File::open("/etc/hostname").expect("opening a file to leak");
    let raw = std::os::fd::AsRawFd::as_raw_fd(&inherited);
    let mut cmd = Command::new(bin("denytrace"));
    cmd.args(["run", "--user", "65534", "--", "/bin/sh", "-c", SHOW_SELF])
        .env("PATH", PLAIN_PATH)
        .stdin(Stdio::null());
    // SAFETY: dup2 is async-signal-safe; it only touches descriptors of the forked child.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(raw, 9) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("running denytrace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(field(&stdout, "Uid"), "65534\t65534\t65534\t65534", "{stdout}");
    assert_eq!(field(&stdout, "Gid"), "65534\t65534\t65534\t65534", "{stdout}");
    assert_eq!(field(&stdout, "Groups"), "", "no supplementary group: {stdout}");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(field(&stdout, caps), "0000000000000000", "{caps} in:\n{stdout}");
    }
    let mut fds: Vec<u32> = stdout
        .lines()
        .skip_while(|l| *l != "FDS")
        .skip(1)
        .map(|l| l.trim().parse().expect("a descriptor number"))
        .collect();
    fds.sort_unstable();
    assert_eq!(fds, [0, 1, 2], "only stdin, stdout and stderr reach the command:\n{stdout}");
    // denytrace itself kept its privileges to the end: it traced and wrote its summary.
    assert!(stderr.contains("refused syscall"), "the summary is printed: {stderr}");
}

#[test]
fn run_user_with_a_group_sets_that_gid_only() {
    if !require_root() {
        return;
    }
    let out = Command::new(bin("denytrace"))
        .args(["run", "--user", "65534:100", "--", "/bin/sh", "-c", SHOW_SELF])
        .env("PATH", PLAIN_PATH)
        .stdin(Stdio::null())
        .output()
        .expect("running denytrace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(field(&stdout, "Uid"), "65534\t65534\t65534\t65534");
    assert_eq!(field(&stdout, "Gid"), "100\t100\t100\t100");
    assert_eq!(field(&stdout, "Groups"), "");
}

/// Whether `dir` is on a file system mounted `nosuid` (where the set-user-ID bit means nothing).
fn nosuid(dir: &std::path::Path) -> bool {
    let c = std::ffi::CString::new(s(dir)).expect("a path");
    // SAFETY: statvfs is plain data, filled by the call from a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &raw mut st) }, 0, "statvfs {}", dir.display());
    st.f_flag & libc::ST_NOSUID != 0
}

/// Runs a privileged copy of denytrace as uid 65534 and expects the refusal.
fn assert_refused(copy: &std::path::Path, what: &str) {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", s(copy), "doctor"])
        .stdin(Stdio::null())
        .output()
        .expect("running setpriv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{what}: stderr:\n{stderr}");
    assert!(
        stderr.contains("denytrace: refusing to run setuid, setgid or with file capabilities"),
        "{what}: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{what}: nothing else ran");
}

#[test]
fn refuses_to_run_setuid_setgid_or_with_file_capabilities() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("setuid");
    open_dir(&dir.0);
    if !require(!nosuid(&dir.0), "a temp directory on a file system without nosuid") {
        return;
    }
    let copy = dir.join("denytrace");
    std::fs::copy(bin("denytrace"), &copy).expect("copying denytrace");
    std::os::unix::fs::chown(&copy, Some(0), Some(0)).expect("chown root");

    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).expect("chmod u+s");
    assert_refused(&copy, "set-user-ID root");

    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o2755)).expect("chmod g+s");
    assert_refused(&copy, "set-group-ID root");

    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod 0755");
    let setcap = Command::new("setcap").args(["cap_bpf,cap_perfmon+ep", s(&copy)]).status();
    if require(setcap.is_ok_and(|st| st.success()), "setcap (libcap2-bin) to give the copy file capabilities") {
        assert_refused(&copy, "file capabilities");
    }

    // Without any of them, the same copy runs as 65534 and fails for want of privilege instead.
    let _ = Command::new("setcap").args(["-r", s(&copy)]).status();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", s(&copy), "run", "--", "/bin/true"])
        .stdin(Stdio::null())
        .output()
        .expect("running setpriv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains("missing privilege"), "{stderr}");
    assert!(!stderr.contains("refusing to run setuid"), "{stderr}");
}
