//! Shared helpers for denytrace's integration tests: locating the built binaries, running
//! `denytrace` for real, reading its report, and saying loudly when the machine lacks something
//! (under `CI=true` a missing requirement fails instead of skipping).

use std::{
    path::PathBuf,
    process::{Command, Output},
};

use serde_json::Value;

/// `target/debug` (or wherever the test binary was built).
#[must_use]
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test>-<hash>
    exe.parent().and_then(|p| p.parent()).expect("target dir").to_path_buf()
}

/// A binary built from this workspace (`denytrace`, `dt-landlock`, `dt-seccomp`, `dt-workload`).
#[must_use]
pub fn bin(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo xtask test` does)",
        path.display()
    );
    path
}

/// Whether the tests run in CI, where a missing requirement is a failure.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Returns false (and says so loudly) when `ok` is false outside CI; panics in CI.
#[must_use]
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    assert!(!in_ci(), "REQUIRED BUT MISSING under CI=true: {what}");
    eprintln!("\n*** SKIPPED (not in CI): {what} ***\n");
    false
}

/// Whether this process is root.
#[must_use]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Requires root (denytrace loads eBPF programs).
#[must_use]
pub fn require_root() -> bool {
    require(is_root(), "root (CAP_BPF, CAP_PERFMON) to load eBPF programs")
}

/// Result of a `denytrace run`.
#[derive(Debug)]
pub struct Run {
    /// denytrace's exit code (None when killed).
    pub code: Option<i32>,
    /// Its stderr (the human summary).
    pub stderr: String,
    /// Its stdout.
    pub stdout: String,
    /// The JSON report.
    pub report: Value,
}

/// Runs `denytrace run --report FILE <extra> -- <command>` and reads the report (see [`run_env`]).
#[must_use]
pub fn run(extra: &[&str], command: &[&str]) -> Run {
    run_env(extra, command, &[])
}

fn finish(out: &Output, report: Value) -> Run {
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        report,
    }
}

/// A fresh directory under /tmp, removed by the caller.
#[must_use]
pub fn tempdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "denytrace-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("creating a temp dir");
    dir
}

/// The report's denials.
#[must_use]
pub fn denials(report: &Value) -> Vec<Value> {
    report["denials"].as_array().cloned().unwrap_or_default()
}

/// The first denial whose syscall name is in `names` and whose path is `path` (when given).
#[must_use]
pub fn find_denial(report: &Value, names: &[&str], path: Option<&str>) -> Option<Value> {
    denials(report).into_iter().find(|d| {
        names.contains(&d["syscall"]["name"].as_str().unwrap_or(""))
            && path.is_none_or(|p| d["path"].as_str() == Some(p))
    })
}

/// Asserts a denial's cause kind and confidence, printing the report when they differ.
pub fn assert_cause(d: &Value, kind: &str, confidence: &str, report: &Run) {
    assert_eq!(
        (d["cause"]["kind"].as_str(), d["cause"]["confidence"].as_str()),
        (Some(kind), Some(confidence)),
        "denial: {d:#}\nsummary:\n{}",
        report.stderr
    );
}

/// Runs `denytrace run --report FILE <extra> -- <command>` with extra environment variables
/// (e.g. a `PATH` without root's home directories, which uid 65534 cannot search), and without
/// `LD_LIBRARY_PATH` (cargo points it into root's toolchain, which the loader of every program
/// run as uid 65534 would then fail to search).
#[must_use]
pub fn run_env(extra: &[&str], command: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempdir("run");
    let report_path = dir.join("report.json");
    let out = Command::new(bin("denytrace"))
        .arg("run")
        .arg("--report")
        .arg(&report_path)
        .args(extra)
        .arg("--")
        .args(command)
        .env_remove("LD_LIBRARY_PATH")
        .envs(env.iter().copied())
        .output()
        .expect("running denytrace");
    let report = std::fs::read_to_string(&report_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let _ = std::fs::remove_dir_all(&dir);
    finish(&out, report)
}

/// A `PATH` that uid 65534 can search (root's is full of /root/... entries it cannot).
pub const PLAIN_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// [`run_env`] with [`PLAIN_PATH`]: the environment of a plain system, for commands run as uid 65534.
#[must_use]
pub fn run_clean(extra: &[&str], command: &[&str]) -> Run {
    run_env(extra, command, &[("PATH", PLAIN_PATH)])
}

/// A command with the environment of [`run_clean`] (for processes a test starts itself).
#[must_use]
pub fn clean_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("LD_LIBRARY_PATH").env("PATH", PLAIN_PATH);
    cmd
}

/// As root: a scratch directory others can enter, `dt-workload` where uid 65534 can run it, and
/// a root-only file of each name in the directory. `None` (after saying so loudly, or failing
/// under CI) when not root.
#[must_use]
pub fn scratch_with_secrets<const N: usize>(tag: &str, names: [&str; N]) -> Option<(TempDir, PathBuf, [PathBuf; N])> {
    if !require_root() {
        return None;
    }
    let dir = TempDir::new(tag);
    open_dir(&dir.0);
    let workload = nobody_bin("dt-workload", &dir);
    let secrets = names.map(|name| dir.join(name));
    for secret in &secrets {
        root_secret(secret);
    }
    Some((dir, workload, secrets))
}

/// `/bin/sh -c SCRIPT` as uid and gid 65534 with no supplementary group (`setpriv`), in the
/// environment of [`clean_command`].
#[must_use]
pub fn nobody_shell(script: &str) -> Command {
    let mut cmd = clean_command("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script]);
    cmd
}

/// Waits up to `secs` seconds for `child` to exit; its status, or `None` if it still runs.
pub fn exit_within(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let mut status = None;
    wait_for(secs, || {
        status = child.0.try_wait().ok().flatten();
        status.is_some()
    });
    status
}

/// Runs a closure when dropped: cleans up mounts, cgroups, files and processes even when an
/// assertion fails first.
pub struct Defer<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for Defer<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// A path as a `&str` (every path the tests make is UTF-8).
#[must_use]
pub fn s(path: &std::path::Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// A temporary directory removed (recursively) when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under /tmp whose name has `tag`, this test process's pid and a counter.
    #[must_use]
    pub fn new(tag: &str) -> Self {
        Self(tempdir(tag))
    }

    /// A path inside it.
    #[must_use]
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a file owned by root with mode 0600 that uid 65534 cannot read.
pub fn root_secret(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, "secret\n").expect("writing the secret");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 0600");
    std::os::unix::fs::chown(path, Some(0), Some(0)).expect("chown root");
}

/// Makes a directory world-writable and searchable (mode 0777), e.g. a temp dir that uid 65534
/// works in.
pub fn open_dir(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod 0777");
}

/// A cgroup v1 directory made by a test under `/sys/fs/cgroup/<controller>/`, removed when
/// dropped (retrying for a few seconds while its processes exit).
pub struct CgroupV1 {
    /// Its directory.
    pub dir: PathBuf,
}

impl CgroupV1 {
    /// Makes `/sys/fs/cgroup/<controller>/denytrace-test-<tag>-<pid>-<n>`; `None` when the
    /// controller is not mounted as v1 here.
    #[must_use]
    pub fn new(controller: &str, tag: &str) -> Option<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let root = PathBuf::from("/sys/fs/cgroup").join(controller);
        if !root.join("cgroup.procs").exists() {
            return None;
        }
        let dir = root.join(format!("denytrace-test-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        Some(Self { dir })
    }

    /// Writes a control file.
    pub fn write(&self, file: &str, value: &str) {
        std::fs::write(self.dir.join(file), value).unwrap_or_else(|e| panic!("writing {value:?} to {}/{file}: {e}", self.dir.display()));
    }

    /// Reads a control file.
    #[must_use]
    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_else(|e| panic!("reading {}/{file}: {e}", self.dir.display()))
    }
}

impl Drop for CgroupV1 {
    fn drop(&mut self) {
        for _ in 0..100 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("warning: could not remove {}", self.dir.display());
    }
}

/// A mount made by a test, unmounted (lazily, so a failure cannot leave it) when dropped.
pub struct Mount(pub PathBuf);

impl Mount {
    /// Bind-mounts `source` on `target` and makes the bind read-only.
    #[must_use]
    pub fn read_only_bind(source: &std::path::Path, target: &std::path::Path) -> Self {
        let sh = |args: &[&str]| {
            let st = Command::new("mount").args(args).status().expect("running mount");
            assert!(st.success(), "mount {args:?} failed");
        };
        sh(&["--bind", s(source), s(target)]);
        let guard = Self(target.to_path_buf());
        sh(&["-o", "remount,bind,ro", s(target)]);
        guard
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A process the test started, killed (SIGKILL) and reaped when dropped, by its pid only.
pub struct Child(pub std::process::Child);

impl Child {
    /// Its pid.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The eBPF program ids and link ids that process `pid` holds open (from `/proc/PID/fdinfo`).
#[must_use]
pub fn bpf_ids_of(pid: u32) -> (Vec<u32>, Vec<u32>) {
    let mut progs = Vec::new();
    let mut links = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return (progs, links);
    };
    for entry in dir.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        if let Some(link) = field("link_id:") {
            links.push(link);
        } else if let Some(prog) = field("prog_id:") {
            progs.push(prog);
        }
    }
    progs.sort_unstable();
    progs.dedup();
    links.sort_unstable();
    links.dedup();
    (progs, links)
}

/// Whether an eBPF object with this id still exists in the kernel: `cmd` is
/// `BPF_PROG_GET_FD_BY_ID` (13) or `BPF_LINK_GET_FD_BY_ID` (30).
fn bpf_id_exists(cmd: libc::c_long, id: u32) -> bool {
    // union bpf_attr for *_GET_FD_BY_ID: the id first, then next_id and open_flags.
    let mut attr = [0u32; 8];
    attr[0] = id;
    // SAFETY: bpf() reads `attr` of the size given; a descriptor it returns is closed at once.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), std::mem::size_of_val(&attr)) };
    if fd >= 0 {
        // SAFETY: a descriptor bpf() just returned to us.
        unsafe { libc::close(i32::try_from(fd).expect("an fd")) };
        return true;
    }
    let err = std::io::Error::last_os_error().raw_os_error();
    assert_eq!(err, Some(libc::ENOENT), "bpf GET_FD_BY_ID({id}) failed unexpectedly");
    false
}

/// Whether the eBPF program with this id is still loaded.
#[must_use]
pub fn bpf_prog_exists(id: u32) -> bool {
    bpf_id_exists(13, id)
}

/// Whether the eBPF link (an attachment) with this id still exists.
#[must_use]
pub fn bpf_link_exists(id: u32) -> bool {
    bpf_id_exists(30, id)
}

/// Polls `cond` every 20 ms for up to `secs` seconds.
pub fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

/// The denials whose process executable is `exe`.
#[must_use]
pub fn denials_of_exe(report: &Value, exe: &std::path::Path) -> Vec<Value> {
    denials(report).into_iter().filter(|d| d["process"]["exe"].as_str() == Some(s(exe))).collect()
}

/// A workspace binary that uid 65534 can execute: the built one when every directory above it is
/// searchable by others, else a copy in `dir` (a checkout under /root, say).
#[must_use]
pub fn nobody_bin(name: &str, dir: &TempDir) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let built = bin(name);
    let reachable = built
        .ancestors()
        .skip(1)
        .all(|a| std::fs::metadata(a).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if reachable {
        return built;
    }
    open_dir(&dir.0);
    let copy = dir.join(name);
    std::fs::copy(&built, &copy).expect("copying a test binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod 0755");
    copy
}

/// Whether process `pid` has a handler for signal `sig` (the `SigCgt` mask of its status).
#[must_use]
pub fn catches_signal(pid: u32, sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (sig - 1)) != 0)
}

/// The cgroup v2 mount this machine has (`/sys/fs/cgroup/unified`), when running as root; `None`
/// (after saying so loudly, or failing under CI) otherwise.
#[must_use]
pub fn require_root_and_cgroup2() -> Option<&'static std::path::Path> {
    let root = std::path::Path::new("/sys/fs/cgroup/unified");
    (require_root() && require(root.join("cgroup.procs").exists(), "cgroup v2 mounted at /sys/fs/cgroup/unified"))
        .then_some(root)
}
