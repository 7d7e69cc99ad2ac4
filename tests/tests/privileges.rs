//! Privileges: `run --user` drops to that user for the command only (uid and gid set, no
//! supplementary group unless `--user-groups` asks for the user's own, no capability, no
//! descriptor beyond stdio even when denytrace itself inherited one), and denytrace refuses to run
//! set-user-ID, set-group-ID or with file capabilities.

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

/// The gid of group `name` from the group database.
fn gid_of(name: &str) -> u32 {
    let out = Command::new("getent").args(["group", name]).output().expect("running getent");
    let line = String::from_utf8_lossy(&out.stdout);
    line.split(':').nth(2).and_then(|g| g.trim().parse().ok()).unwrap_or_else(|| panic!("no gid for group {name}: {line:?}"))
}

/// Runs a user or group administration command; panics when it fails.
fn admin(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A temporary user `dt-usr-PID` whose primary group is `dt-pri-PID` and whom the group database
/// lists in `dt-grp-PID`. What was created is removed on drop, even after a failed assertion.
struct TempUser {
    name: String,
    primary: String,
    extra: String,
    made: [bool; 3],
}

impl TempUser {
    fn new() -> Self {
        let pid = std::process::id();
        let mut user = Self {
            name: format!("dt-usr-{pid}"),
            primary: format!("dt-pri-{pid}"),
            extra: format!("dt-grp-{pid}"),
            made: [false; 3],
        };
        admin("groupadd", &[&user.primary]);
        user.made[0] = true;
        admin("groupadd", &[&user.extra]);
        user.made[1] = true;
        admin(
            "useradd",
            &[
                "--no-create-home",
                "--no-user-group",
                "--gid",
                &user.primary,
                "--groups",
                &user.extra,
                "--shell",
                "/usr/sbin/nologin",
                &user.name,
            ],
        );
        user.made[2] = true;
        user
    }

    fn uid(&self) -> u32 {
        let out = Command::new("id").args(["-u", &self.name]).output().expect("running id");
        String::from_utf8_lossy(&out.stdout).trim().parse().expect("a uid")
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        let quiet = |program: &str, name: &str| {
            let _ = Command::new(program).arg(name).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
        };
        if self.made[2] {
            quiet("userdel", &self.name);
        }
        if self.made[1] {
            quiet("groupdel", &self.extra);
        }
        if self.made[0] {
            quiet("groupdel", &self.primary);
        }
    }
}

/// Runs `denytrace -v run --user USER [--user-groups] -- sh -c SHOW_SELF`; returns stdout and
/// stderr, after checking it succeeded.
fn show_self_as(user: &str, user_groups: bool) -> (String, String) {
    let mut args = vec!["-v", "run", "--user", user];
    if user_groups {
        args.push("--user-groups");
    }
    args.extend(["--", "/bin/sh", "-c", SHOW_SELF]);
    let out = Command::new(bin("denytrace"))
        .args(&args)
        .env("PATH", PLAIN_PATH)
        .stdin(Stdio::null())
        .output()
        .expect("running denytrace");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: stdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

/// The `Groups:` of a status, sorted.
fn groups(status: &str) -> Vec<u32> {
    let mut groups: Vec<u32> = field(status, "Groups").split_whitespace().map(|g| g.parse().expect("a gid")).collect();
    groups.sort_unstable();
    groups
}

#[test]
fn run_user_groups_gives_the_users_own_groups_and_only_when_asked() {
    if !require_root() {
        return;
    }
    let user = TempUser::new();
    let (uid, primary, extra) = (user.uid(), gid_of(&user.primary), gid_of(&user.extra));
    assert_ne!(primary, extra);
    let mut expected = vec![primary, extra];
    expected.sort_unstable();

    // By name: gid from the passwd entry, groups as initgroups(3) would set them.
    let (stdout, stderr) = show_self_as(&user.name, true);
    assert_eq!(field(&stdout, "Uid"), format!("{uid}\t{uid}\t{uid}\t{uid}"), "{stdout}");
    assert_eq!(field(&stdout, "Gid"), format!("{primary}\t{primary}\t{primary}\t{primary}"), "{stdout}");
    assert_eq!(groups(&stdout), expected, "the user's groups with --user-groups:\n{stdout}");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(field(&stdout, caps), "0000000000000000", "{caps} in:\n{stdout}");
    }
    let said = format!("the command runs as uid {uid}, gid {primary}, supplementary groups {expected:?} (the user's, --user-groups)");
    assert!(stderr.contains(&said), "-v says which groups were kept: {stderr}");

    // By uid: the name comes from the passwd entry of that uid (the gid, as always for a bare
    // uid, is the uid).
    let (stdout, _) = show_self_as(&uid.to_string(), true);
    assert_eq!(field(&stdout, "Gid"), format!("{uid}\t{uid}\t{uid}\t{uid}"), "{stdout}");
    assert_eq!(groups(&stdout), expected, "the user's groups for a bare uid:\n{stdout}");

    // The same user without --user-groups: none.
    let (stdout, stderr) = show_self_as(&user.name, false);
    assert_eq!(field(&stdout, "Gid"), format!("{primary}\t{primary}\t{primary}\t{primary}"), "{stdout}");
    assert_eq!(field(&stdout, "Groups"), "", "no supplementary group without --user-groups: {stdout}");
    assert!(stderr.contains(&format!("gid {primary}, no supplementary group (cleared)")), "{stderr}");
}

#[test]
fn user_groups_without_user_is_a_usage_error() {
    let out = Command::new(bin("denytrace"))
        .args(["run", "--user-groups", "--", "/bin/echo", "RAN"])
        .stdin(Stdio::null())
        .output()
        .expect("running denytrace");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the following required arguments were not provided") && stderr.contains("--user <UID[:GID]>"), "{stderr}");
    assert!(out.stdout.is_empty(), "the command did not run");
}

#[test]
fn user_groups_for_a_uid_unknown_to_the_system_is_refused_clearly() {
    // A uid without a passwd entry (the first free one from an arbitrary high start).
    // SAFETY: getpwuid has no preconditions; only the null test reads its result.
    let uid = (3_900_000_000u32..4_000_000_000).find(|&u| unsafe { libc::getpwuid(u) }.is_null()).expect("a free uid");
    let out = Command::new(bin("denytrace"))
        .args(["run", "--user", &uid.to_string(), "--user-groups", "--", "/bin/echo", "RAN"])
        .env("PATH", PLAIN_PATH)
        .stdin(Stdio::null())
        .output()
        .expect("running denytrace");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert_eq!(
        stderr,
        format!("denytrace: --user-groups needs a user known to the system: uid {uid} has no entry in the user database\n")
    );
    assert!(out.stdout.is_empty(), "the command did not run");
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
