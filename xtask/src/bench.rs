//! `cargo xtask bench`: what denytrace costs, measured in one session against the physical floor
//! (empty eBPF programs on the same hooks), a bpftrace one-liner and `strace -f -Z`.
//!
//! Method (docs/performance.md explains it at length):
//! - Every workload runs behind a start gate: `bash -c 'read go < FIFO; "$@"; times; echo
//!   dt-bench-done $?'`. The clock starts when this process opens the FIFO for writing (only
//!   possible once the shell has opened it for reading, that is once any tracer in front of it has
//!   finished setting up and released it) and stops when the `dt-bench-done` line arrives; `times`
//!   gives the CPU time of the workload's processes. So set-up and tear-down of the tracers are
//!   never timed, and every configuration times exactly the same thing.
//! - Configurations are interleaved: each repetition runs every workload under every configuration,
//!   in an order rotated per repetition; the tables show medians over the repetitions.
//! - The storm, the start-up and the peak RSS are measured after the interleaved part.
//!
//! Set-up (idempotent): `cargo xtask setup`, `apt-get install bpftrace strace ...` when missing, a
//! release build. Scratch files live in a fresh directory under /tmp and cgroups under the cgroup2
//! root; both are removed at the end, and every process started is stopped by its pid.

use std::{
    collections::HashMap,
    ffi::{CString, OsStr, OsString},
    fmt::Write as _,
    fs,
    io::{BufRead as _, BufReader, Read, Write as _},
    os::{
        fd::{FromRawFd as _, OwnedFd},
        unix::{
            ffi::OsStrExt as _,
            fs::{OpenOptionsExt as _, PermissionsExt as _},
            process::CommandExt as _,
        },
    },
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context as _, Result};

use crate::{apt::Apt, build, setup, workspace};

/// What the benchmark needs besides set-up's packages.
const BENCH_PACKAGES: &[&str] = &["bpftrace", "strace", "util-linux", "make", "gcc", "bash", "tar", "findutils"];

/// The hooks denytrace attaches to (`tracer/src/kernel/offsets.rs`, `HOOKS`; `cgroup_attach_task`
/// in cgroup mode only): the floor attaches an empty program to each.
const HOOKS: &[&str] = &[
    "sys_enter",
    "sys_exit",
    "cap_capable",
    "sched_process_fork",
    "sched_process_exec",
    "sched_process_exit",
    "signal_generate",
    "mark_victim",
    "cgroup_attach_task",
];

/// The bpftrace one-liner of the comparison (the issue's, verbatim).
const BPFTRACE_PROGRAM: &str = "tracepoint:raw_syscalls:sys_exit /args->ret == -13 || args->ret == -1/ \
                                { @[comm, args->id] = count(); }";

/// The start gate in front of every workload (`$0` is the FIFO), run by bash, whose `times` prints
/// the CPU time of the shell, then of its reaped children (the workload and its descendants), in
/// milliseconds (dash's has only clock ticks).
const GATE: &str = r#"read go < "$0"; "$@"; s=$?; times; echo "dt-bench-done $s""#;
/// The line the gate prints when the workload is done.
const DONE: &str = "dt-bench-done ";
/// What denytrace logs (at info level, `-v`) once every program is attached.
const ATTACHED: &str = "programs attached";
/// Longest any single measured step may take before the benchmark gives up on it.
const STEP_LIMIT: Duration = Duration::from_secs(600);
/// Failing opens in the storm.
const STORM: u64 = 1_000_000;

/// Command-line options of `cargo xtask bench`.
pub struct Options {
    /// Repetitions of the interleaved part.
    pub reps: usize,
    /// Smaller loops and fewer repetitions: for checking the harness, not for numbers.
    pub quick: bool,
}

/// One way of running a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Config {
    /// Nothing attached.
    Untraced,
    /// Empty programs on denytrace's hooks: the cost of having any program there at all.
    Floor,
    /// `denytrace watch --cgroup` on another (empty) cgroup: what everything else pays.
    Other,
    /// `denytrace run -- WORKLOAD`: the workload itself is traced.
    Traced,
    /// The bpftrace one-liner, system-wide.
    Bpftrace,
    /// `strace -f -Z -o /dev/null WORKLOAD`.
    Strace,
}

impl Config {
    const ALL: [Self; 6] = [Self::Untraced, Self::Floor, Self::Other, Self::Traced, Self::Bpftrace, Self::Strace];

    fn label(self) -> &'static str {
        match self {
            Self::Untraced => "untraced",
            Self::Floor => "empty programs (floor)",
            Self::Other => "denytrace, other cgroup",
            Self::Traced => "denytrace run (traced)",
            Self::Bpftrace => "bpftrace one-liner",
            Self::Strace => "strace -f -Z",
        }
    }
}

/// A workload: a command line, and how many syscalls its loop makes (micro workloads).
struct Workload {
    name: String,
    argv: Vec<OsString>,
    loop_syscalls: Option<u64>,
    /// Micro workloads are compared per syscall; realistic ones against the 5 % target.
    realistic: bool,
    /// For the failing-open loop: every one must be in denytrace's report.
    expected_denials: Option<(PathBuf, u64)>,
}

/// Paths of the programs used.
struct Tools {
    denytrace: PathBuf,
    workload: PathBuf,
    bpftrace: PathBuf,
    strace: PathBuf,
}

/// The benchmark's scratch directory, FIFO, refused file, C project and cgroups; removed on drop.
struct Scratch {
    dir: PathBuf,
    fifo: PathBuf,
    secret: PathBuf,
    cproject: PathBuf,
    cgroup_root: PathBuf,
    cgroups: Vec<PathBuf>,
}

impl Scratch {
    fn new() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("dt-bench-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("removing a stale {}", dir.display()))?;
        }
        fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
        let fifo = dir.join("gate");
        let c_fifo = cstring(fifo.as_os_str())?;
        // SAFETY: mkfifo with a NUL-terminated path.
        if unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) } != 0 {
            return Err(std::io::Error::last_os_error()).context("creating the start gate FIFO");
        }
        // Root-owned, mode 0600: opening it as uid 65534 fails with EACCES (DAC).
        let secret = dir.join("secret");
        fs::write(&secret, b"not for nobody\n")?;
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o600))?;
        let cproject = dir.join("cproject");
        write_c_project(&cproject)?;
        let cgroup_root = cgroup2_root()?;
        Ok(Self { dir, fifo, secret, cproject, cgroup_root, cgroups: Vec::new() })
    }

    /// Creates an empty cgroup v2 named `dt-bench-PID-NAME`; removed on drop.
    fn cgroup(&mut self, name: &str) -> Result<PathBuf> {
        let path = self.cgroup_root.join(format!("dt-bench-{}-{name}", std::process::id()));
        if !path.exists() {
            fs::create_dir(&path).with_context(|| format!("creating the cgroup {}", path.display()))?;
            self.cgroups.push(path.clone());
        }
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for cg in self.cgroups.iter().rev() {
            // A cgroup whose last process just exited can stay busy for a moment.
            for _ in 0..50 {
                if fs::remove_dir(cg).is_ok() || !cg.exists() {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            if cg.exists() {
                eprintln!("bench: warning: could not remove the cgroup {}", cg.display());
            }
        }
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            eprintln!("bench: warning: could not remove {}: {e}", self.dir.display());
        }
    }
}

fn cstring(s: &OsStr) -> Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| anyhow!("{} contains a NUL byte", s.to_string_lossy()))
}

/// Where cgroup v2 is mounted (`/sys/fs/cgroup` or, in hybrid set-ups, `/sys/fs/cgroup/unified`).
fn cgroup2_root() -> Result<PathBuf> {
    let mounts = fs::read_to_string("/proc/self/mounts").context("reading /proc/self/mounts")?;
    mounts
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, kind) = (f.next()?, f.next()?, f.next()?);
            (kind == "cgroup2").then(|| PathBuf::from(dir))
        })
        .ok_or_else(|| anyhow!("no cgroup2 file system is mounted: the benchmark needs one for `watch --cgroup`"))
}

/// A small C project: 16 translation units and a Makefile (`make -B` rebuilds all of it).
fn write_c_project(dir: &Path) -> Result<()> {
    fs::create_dir(dir)?;
    let mut objects = String::new();
    let mut decls = String::new();
    let mut calls = String::new();
    for i in 0..16 {
        let mut unit = String::from("#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n\n");
        for j in 0..8 {
            let _ = writeln!(
                unit,
                "static unsigned long f{i}_{j}(const char *s) {{\n    unsigned long h = {j}u;\n    \
                 for (size_t k = 0; k < strlen(s); k++) h = h * 31u + (unsigned char)s[k];\n    \
                 return h ^ (h >> {j});\n}}\n"
            );
        }
        let _ = writeln!(unit, "unsigned long unit{i}(const char *s) {{\n    unsigned long h = 0;");
        for j in 0..8 {
            let _ = writeln!(unit, "    h += f{i}_{j}(s);");
        }
        unit.push_str("    return h;\n}\n");
        fs::write(dir.join(format!("unit{i}.c")), unit)?;
        let _ = write!(objects, " unit{i}.o");
        let _ = writeln!(decls, "unsigned long unit{i}(const char *s);");
        let _ = writeln!(calls, "    h += unit{i}(argc > 1 ? argv[1] : \"x\");");
    }
    fs::write(
        dir.join("main.c"),
        format!(
            "#include <stdio.h>\n{decls}\nint main(int argc, char **argv) {{\n    unsigned long h = 0;\n{calls}    \
             printf(\"%lu\\n\", h);\n    return 0;\n}}\n"
        ),
    )?;
    fs::write(
        dir.join("Makefile"),
        format!("CFLAGS = -O2 -Wall\nprog: main.o{objects}\n\t$(CC) -o $@ $^\n"),
    )?;
    Ok(())
}

/// Runs the benchmark; fails when the storm's count is not exact (a correctness failure), and only
/// reports the performance targets.
pub fn run(opts: &Options) -> Result<ExitCode> {
    // `cargo run` points LD_LIBRARY_PATH at the toolchain and target directories: every program
    // the bench starts would search them first, and as uid 65534 be refused there (extra denials
    // in the storm). Nothing here needs it. (Single-threaded still: no thread has been started.)
    std::env::remove_var("LD_LIBRARY_PATH");
    let env = setup::run()?;
    let mut apt = Apt::default();
    apt.install(BENCH_PACKAGES)?;
    build::cargo_build(&env, true)?;
    let release = workspace::target_dir().join("release");
    let tools = Tools {
        denytrace: release.join("denytrace"),
        workload: release.join("dt-workload"),
        bpftrace: workspace::which("bpftrace").ok_or_else(|| anyhow!("bpftrace is not on PATH"))?,
        strace: workspace::which("strace").ok_or_else(|| anyhow!("strace is not on PATH"))?,
    };
    for p in [&tools.denytrace, &tools.workload] {
        if !p.is_file() {
            bail!("{} was not built", workspace::display(p));
        }
    }
    let mut scratch = Scratch::new()?;
    let other = scratch.cgroup("other")?;
    let storm_cg = scratch.cgroup("storm")?;
    let machine = Machine::describe(&tools);
    eprintln!("bench: machine: {}", machine.summary());
    let (micro_getppid, micro_open, startup_runs) =
        if opts.quick { (200_000, 50_000, 5usize) } else { (1_000_000, 200_000, 20) };
    let workloads = workloads(&tools, &scratch, micro_getppid, micro_open);
    let reps = if opts.quick { opts.reps.min(2) } else { opts.reps }.max(1);

    eprintln!("bench: warming the page cache (one untimed run of each workload)");
    for w in &workloads {
        measure(&tools, &scratch, w, Config::Untraced)?;
    }

    let mut samples: HashMap<(usize, Config), Vec<Sample>> = HashMap::new();
    // Start-up runs are spread over the repetitions, so that one busy moment cannot skew them all.
    let mut startup = Startup { attach_ms: Vec::new(), total_ms: Vec::new() };
    let startups_per_rep = startup_runs.div_ceil(reps);
    for rep in 0..reps {
        for _ in 0..startups_per_rep {
            if startup.attach_ms.len() < startup_runs {
                startup_once(&tools, &mut startup, startup_runs)?;
            }
        }
        for (wi, w) in workloads.iter().enumerate() {
            // The cheap configurations in an order rotated per repetition and workload, back to back
            // so that their differences are taken close in time; strace (tens of seconds) last.
            let cheap = &Config::ALL[..Config::ALL.len() - 1];
            let order = (0..cheap.len()).map(|k| cheap[(k + rep + wi) % cheap.len()]).chain([Config::Strace]);
            for config in order {
                let guard = start_config(&tools, config, &other)?;
                let sample = measure(&tools, &scratch, w, config)
                    .with_context(|| format!("{} under {}", w.name, config.label()))?;
                guard.stop()?;
                eprintln!(
                    "bench: rep {}/{reps}: {:<38} {:<24} {:8.3} s wall {:8.3} s CPU",
                    rep + 1,
                    w.name,
                    config.label(),
                    sample.wall,
                    sample.cpu
                );
                samples.entry((wi, config)).or_default().push(sample);
            }
        }
    }

    // The floor target compares two small differences: measure them again, many times.
    let rounds = if opts.quick { 3 } else { 15 };
    let getppid = &workloads[0];
    let floor_check = floor_rounds(&tools, &scratch, &other, getppid, rounds)?;

    eprintln!("bench: storm: {STORM} failing opens under `denytrace run` and under `denytrace watch --cgroup`");
    let storm_run = storm_run(&tools, &scratch)?;
    let storm_watch = storm_watch(&tools, &scratch, &storm_cg)?;
    let load_after = loadavg();

    let table = render(&RenderInput {
        machine: &machine,
        load_after: &load_after,
        reps,
        workloads: &workloads,
        samples: &samples,
        startup: &startup,
        storms: [&storm_run, &storm_watch],
        floor_check: &floor_check,
        floor_check_loop: getppid.loop_syscalls.unwrap_or(1),
    });
    println!("{table}");
    let out = workspace::target_dir().join("xtask").join("bench-latest.md");
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&out, &table).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("bench: table written to {}", workspace::display(&out));
    drop(scratch);
    let exact = [&storm_run, &storm_watch].iter().all(|s| s.exact());
    if !exact {
        eprintln!("bench: FAILED: the storm's count was not exact or records were lost (see the table)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Rounds of `getppid` under untraced, floor and other cgroup only, in rotated order.
fn floor_rounds(
    tools: &Tools,
    scratch: &Scratch,
    other: &Path,
    getppid: &Workload,
    rounds: usize,
) -> Result<HashMap<Config, Vec<Sample>>> {
    eprintln!("bench: outside the traced set: {rounds} rounds of getppid untraced / floor / other cgroup");
    let mut samples: HashMap<Config, Vec<Sample>> = HashMap::new();
    let trio = [Config::Untraced, Config::Floor, Config::Other];
    for round in 0..rounds {
        for k in 0..trio.len() {
            let config = trio[(k + round) % trio.len()];
            let guard = start_config(tools, config, other)?;
            let sample = measure(tools, scratch, getppid, config)?;
            guard.stop()?;
            samples.entry(config).or_default().push(sample);
        }
    }
    Ok(samples)
}

fn workloads(tools: &Tools, scratch: &Scratch, getppid: u64, opens: u64) -> Vec<Workload> {
    let os = |s: &str| OsString::from(s);
    let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
    let mut fail_open: Vec<OsString> = nobody.iter().map(|s| os(s)).collect();
    fail_open.extend([
        tools.workload.clone().into_os_string(),
        os("fail-open-loop"),
        os(&opens.to_string()),
        scratch.secret.clone().into_os_string(),
    ]);
    vec![
        Workload {
            name: format!("getppid x{getppid}"),
            argv: vec![tools.workload.clone().into_os_string(), os("getppid-loop"), os(&getppid.to_string())],
            loop_syscalls: Some(getppid),
            realistic: false,
            expected_denials: None,
        },
        Workload {
            name: format!("failing open x{opens}"),
            argv: fail_open,
            loop_syscalls: Some(opens),
            realistic: false,
            expected_denials: Some((scratch.secret.clone(), opens)),
        },
        Workload {
            name: "tar /usr/include, /usr/share/doc to wc".into(),
            argv: ["sh", "-c", "tar cf - /usr/include /usr/share/doc 2>/dev/null | wc -c"].map(os).to_vec(),
            loop_syscalls: None,
            realistic: true,
            expected_denials: None,
        },
        Workload {
            name: "find + cat 3000 .py".into(),
            argv: [
                "sh",
                "-c",
                "find /usr -name '*.py' -type f 2>/dev/null | sort | sed -n 1,3000p | xargs cat | wc -c",
            ]
            .map(os)
            .to_vec(),
            loop_syscalls: None,
            realistic: true,
            expected_denials: None,
        },
        Workload {
            name: "make: 17 C files".into(),
            argv: vec![os("make"), os("-B"), os("-s"), os("-C"), scratch.cproject.clone().into_os_string()],
            loop_syscalls: None,
            realistic: true,
            expected_denials: None,
        },
    ]
}

// ---- Processes. ----

/// Lines of a child's stream, each with the moment it was read.
type Lines = mpsc::Receiver<(Instant, String)>;

/// Reads `stream` to its end on a thread of its own.
fn read_lines(stream: impl Read + Send + 'static) -> Lines {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).into_owned();
            // Once nobody listens, keep reading anyway: a writer whose pipe closed would get
            // EPIPE (and Rust's eprintln! panics on that).
            let _ = tx.send((Instant::now(), line));
        }
    });
    rx
}

/// Waits for a line containing `marker`; returns when it was read. Other lines are kept in `seen`.
fn wait_line(lines: &Lines, marker: &str, limit: Duration, seen: &mut Vec<String>) -> Result<(Instant, String)> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok((at, line)) if line.contains(marker) => return Ok((at, line)),
            Ok((_, line)) => seen.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => bail!("no `{marker}` line within {} s", limit.as_secs()),
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the stream ended before a `{marker}` line"),
        }
    }
}

/// Sends `sig` to a process this benchmark started.
fn signal(child: &Child, sig: i32) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill() on the pid of our own unreaped child (it cannot have been reused).
        unsafe { libc::kill(pid, sig) };
    }
}

/// Makes a background helper die with this process (no tracer is left attached if xtask dies).
/// SIGKILL, because strace, for one, outlives a SIGTERM while it detaches; the kernel detaches
/// the BPF programs of a killed process when its descriptors close.
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; the closure runs in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Waits for `child` with a time limit, returning its raw wait status and resource usage (its own
/// and that of the children it reaped).
fn wait_rusage(child: &mut Child, limit: Duration) -> Result<(i32, libc::rusage)> {
    wait_sampling(child, limit, &mut || {})
}

/// [`wait_rusage`], calling `sample` every few milliseconds while the child runs.
fn wait_sampling(child: &mut Child, limit: Duration, sample: &mut dyn FnMut()) -> Result<(i32, libc::rusage)> {
    let pid = i32::try_from(child.id())?;
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: rusage is plain data.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child with live out-parameters.
        let got = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut usage) };
        if got == pid {
            return Ok((status, usage));
        }
        if got < 0 {
            return Err(std::io::Error::last_os_error()).context("wait4");
        }
        if Instant::now() > deadline {
            signal(child, libc::SIGKILL);
            let _ = child.wait();
            bail!("pid {pid} did not exit within {} s and was killed", limit.as_secs());
        }
        sample();
        thread::sleep(Duration::from_millis(2));
    }
}

fn exit_code(status: i32) -> Option<i32> {
    libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status))
}

fn cpu_secs(u: &libc::rusage) -> f64 {
    let tv = |t: libc::timeval| float(t.tv_sec) + float(t.tv_usec) / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// A tracer running in the background for one measurement.
enum Guard {
    None,
    Floor(Floor),
    Daemon { child: Child, name: &'static str, stop_signal: i32 },
}

impl Guard {
    /// Detaches: closes the floor's descriptors, or stops the daemon and waits for it.
    fn stop(self) -> Result<()> {
        match self {
            Self::None => Ok(()),
            Self::Floor(floor) => {
                drop(floor);
                Ok(())
            }
            Self::Daemon { mut child, name, stop_signal } => {
                signal(&child, stop_signal);
                // Detaching waits for RCU grace periods, which a busy machine can stretch.
                let stopped = wait_rusage(&mut child, Duration::from_secs(120));
                match stopped {
                    Ok((status, _)) if exit_code(status) == Some(0) => Ok(()),
                    Ok((status, _)) => bail!("{name} ended with wait status {status:#x}"),
                    // Its exit is not what is measured: say so, and go on.
                    Err(e) if name == "bpftrace" => {
                        eprintln!("bench: warning: {name} did not stop on its signal: {e:#}");
                        Ok(())
                    }
                    Err(e) => Err(e.context(format!("stopping {name}"))),
                }
            }
        }
    }
}

/// Starts `denytrace -v watch --cgroup CGROUP EXTRA...` and waits until its programs are
/// attached. Its stderr is read to the end on a thread of its own.
fn start_watch(tools: &Tools, cgroup: &Path, extra: &[&OsStr]) -> Result<Child> {
    let mut cmd = Command::new(&tools.denytrace);
    cmd.args(["-v", "watch", "--cgroup"])
        .arg(cgroup)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().context("starting denytrace watch")?;
    let lines = read_lines(child.stderr.take().expect("piped"));
    let mut seen = Vec::new();
    if let Err(e) = wait_line(&lines, ATTACHED, Duration::from_secs(60), &mut seen) {
        signal(&child, libc::SIGKILL);
        let _ = child.wait();
        bail!("denytrace watch did not attach: {e:#}; it said: {}", seen.join(" / "));
    }
    Ok(child)
}

fn start_config(tools: &Tools, config: Config, other: &Path) -> Result<Guard> {
    match config {
        Config::Untraced | Config::Traced | Config::Strace => Ok(Guard::None),
        Config::Floor => Ok(Guard::Floor(Floor::attach()?)),
        Config::Other => Ok(Guard::Daemon {
            child: start_watch(tools, other, &[])?,
            name: "denytrace watch",
            stop_signal: libc::SIGTERM,
        }),
        Config::Bpftrace => {
            let mut cmd = Command::new(&tools.bpftrace);
            cmd.args(["-e", BPFTRACE_PROGRAM]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
            die_with_parent(&mut cmd);
            let mut child = cmd.spawn().context("starting bpftrace")?;
            let lines = read_lines(child.stdout.take().expect("piped"));
            let mut seen = Vec::new();
            if let Err(e) = wait_line(&lines, "Attaching", Duration::from_secs(120), &mut seen) {
                signal(&child, libc::SIGKILL);
                let _ = child.wait();
                bail!("bpftrace did not start: {e:#}");
            }
            // "Attaching 1 probe..." comes before the program is loaded and attached: wait until
            // the process holds its perf event, then a little more.
            let fds = PathBuf::from(format!("/proc/{}/fd", child.id()));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !holds_perf_event(&fds) {
                if Instant::now() > deadline {
                    signal(&child, libc::SIGKILL);
                    let _ = child.wait();
                    bail!("bpftrace did not attach within 30 s");
                }
                thread::sleep(Duration::from_millis(5));
            }
            thread::sleep(Duration::from_millis(100));
            Ok(Guard::Daemon { child, name: "bpftrace", stop_signal: libc::SIGINT })
        }
    }
}

fn holds_perf_event(fd_dir: &Path) -> bool {
    fs::read_dir(fd_dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| fs::read_link(e.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:[perf_event]"))
    })
}

/// One timed run of a workload.
#[derive(Clone, Copy)]
struct Sample {
    /// Seconds from the release of the gate to the done line.
    wall: f64,
    /// User + system CPU seconds of the workload's processes (as the shell's `times` reports for
    /// its children): in-kernel program time is in it, the tracer processes' own time is not.
    cpu: f64,
}

/// Runs `w` under `config` behind the start gate.
fn measure(tools: &Tools, scratch: &Scratch, w: &Workload, config: Config) -> Result<Sample> {
    let report = scratch.dir.join("report.json");
    let mut cmd = match config {
        Config::Traced => {
            let mut c = Command::new(&tools.denytrace);
            c.args(["run", "--report"]).arg(&report).arg("--");
            c.arg("bash");
            c
        }
        Config::Strace => {
            let mut c = Command::new(&tools.strace);
            c.args(["-f", "-Z", "-o", "/dev/null", "bash"]);
            c
        }
        _ => Command::new("bash"),
    };
    cmd.arg("-c").arg(GATE).arg(&scratch.fifo).args(&w.argv);
    let log = scratch.dir.join("stderr.log");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(fs::File::create(&log)?);
    die_with_parent(&mut cmd);
    let _ = fs::remove_file(&report);
    let mut child = cmd.spawn().with_context(|| format!("starting {}", w.name))?;
    let lines = read_lines(child.stdout.take().expect("piped"));
    let tail = |log: &Path| {
        let text = fs::read_to_string(log).unwrap_or_default();
        text.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    };
    let start = match release_gate(&scratch.fifo, &mut child) {
        Ok(t) => t,
        Err(e) => {
            signal(&child, libc::SIGKILL);
            let _ = child.wait();
            bail!("{e:#}\n{}", tail(&log));
        }
    };
    let mut seen = Vec::new();
    let (done_at, line) = match wait_line(&lines, DONE, STEP_LIMIT, &mut seen) {
        Ok(x) => x,
        Err(e) => {
            signal(&child, libc::SIGKILL);
            let _ = child.wait();
            bail!("{e:#}\n{}", tail(&log));
        }
    };
    let (status, _) = wait_rusage(&mut child, STEP_LIMIT)?;
    let code = line.trim().rsplit(' ').next().unwrap_or("?");
    if code != "0" || exit_code(status) != Some(0) {
        bail!(
            "the workload exited with {code} (runner wait status {status:#x}); output: {}\n{}",
            seen.join(" / "),
            tail(&log)
        );
    }
    if config == Config::Traced {
        check_traced_report(&report, w)?;
    }
    let cpu = seen
        .iter()
        .rev()
        .find_map(|l| children_cpu(l))
        .ok_or_else(|| anyhow!("no `times` line from the gate in: {}", seen.join(" / ")))?;
    Ok(Sample { wall: done_at.duration_since(start).as_secs_f64(), cpu })
}

/// Seconds of a `times` line, `0m0.120s 0m0.300s` (user, system), summed.
fn children_cpu(line: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut parts = 0;
    for part in line.split_whitespace() {
        let (min, sec) = part.strip_suffix('s')?.split_once('m')?;
        total += min.parse::<f64>().ok()? * 60.0 + sec.parse::<f64>().ok()?;
        parts += 1;
    }
    (parts == 2).then_some(total)
}

/// Opens the gate: the open succeeds only once the shell behind it waits on the FIFO.
fn release_gate(fifo: &Path, child: &mut Child) -> Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(fifo) {
            Ok(mut f) => {
                let start = Instant::now();
                f.write_all(b"go\n").context("opening the start gate")?;
                return Ok(start);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                if let Some(status) = child.try_wait()? {
                    bail!("the runner exited ({status}) before opening the start gate");
                }
                if Instant::now() > deadline {
                    bail!("the workload did not reach the start gate within 120 s");
                }
                thread::sleep(Duration::from_micros(200));
            }
            Err(e) => return Err(e).context("opening the start gate"),
        }
    }
}

/// A `denytrace run` report of a benchmark workload: nothing lost, and for the failing-open loop
/// exactly one denial per open.
fn check_traced_report(report: &Path, w: &Workload) -> Result<()> {
    let text = fs::read_to_string(report).with_context(|| format!("reading {}", report.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).context("parsing the report")?;
    let lost = json["stats"]["lost"].as_u64().ok_or_else(|| anyhow!("report without stats.lost"))?;
    if lost != 0 {
        bail!("denytrace lost {lost} records during {}", w.name);
    }
    if let Some((path, n)) = &w.expected_denials {
        let counted = denials_of(&json, path);
        if counted != *n {
            bail!("denytrace counted {counted} refused opens of {} in {}, expected {n}", path.display(), w.name);
        }
    }
    Ok(())
}

/// Sum of the counts of the report's denials of `path`.
fn denials_of(json: &serde_json::Value, path: &Path) -> u64 {
    json["denials"].as_array().map_or(0, |ds| {
        ds.iter()
            .filter(|d| d["path"].as_str() == path.to_str())
            .filter_map(|d| d["count"].as_u64())
            .sum()
    })
}

// ---- The floor: empty programs on the same hooks, loaded with the bpf() system call. ----

/// Empty raw tracepoint programs attached to each of [`HOOKS`]; detached on drop.
struct Floor {
    _program: OwnedFd,
    _links: Vec<OwnedFd>,
}

impl Floor {
    fn attach() -> Result<Self> {
        const BPF_PROG_LOAD: libc::c_long = 5;
        const BPF_RAW_TRACEPOINT_OPEN: libc::c_long = 17;
        const BPF_PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
        // mov64 r0, 0 ; exit
        let insns: [u8; 16] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
        let license = b"GPL\0";
        // union bpf_attr for BPF_PROG_LOAD (include/uapi/linux/bpf.h), laid out by offset.
        let mut attr = [0u8; 144];
        attr[0..4].copy_from_slice(&BPF_PROG_TYPE_RAW_TRACEPOINT.to_ne_bytes());
        attr[4..8].copy_from_slice(&2u32.to_ne_bytes());
        attr[8..16].copy_from_slice(&(insns.as_ptr() as u64).to_ne_bytes());
        attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_ne_bytes());
        attr[48..56].copy_from_slice(b"dt_floor");
        let program = bpf(BPF_PROG_LOAD, &mut attr).context("loading the empty floor program")?;
        let prog_fd = std::os::fd::AsRawFd::as_raw_fd(&program);
        let mut links = Vec::new();
        for hook in HOOKS {
            let name = CString::new(*hook)?;
            let mut attr = [0u8; 144];
            attr[0..8].copy_from_slice(&(name.as_ptr() as u64).to_ne_bytes());
            attr[8..12].copy_from_slice(&prog_fd.to_ne_bytes());
            links.push(
                bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr)
                    .with_context(|| format!("attaching the floor program to {hook}"))?,
            );
        }
        Ok(Self { _program: program, _links: links })
    }
}

fn bpf(cmd: libc::c_long, attr: &mut [u8; 144]) -> Result<OwnedFd> {
    // SAFETY: bpf() reads `attr` (its size is passed) and what its pointers point to, all alive for
    // the call; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len()) };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0).ok_or_else(std::io::Error::last_os_error)?;
    // SAFETY: a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

// ---- Start-up and storm. ----

struct Startup {
    attach_ms: Vec<f64>,
    total_ms: Vec<f64>,
}

/// One `denytrace -v run -- true`: from just before spawning it to its `programs attached` line,
/// and to its exit.
fn startup_once(tools: &Tools, out: &mut Startup, runs: usize) -> Result<()> {
    let mut cmd = Command::new(&tools.denytrace);
    cmd.args(["-v", "run", "--", "true"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd.spawn().context("starting denytrace run -- true")?;
    let lines = read_lines(child.stderr.take().expect("piped"));
    let mut seen = Vec::new();
    let attached = wait_line(&lines, ATTACHED, Duration::from_secs(60), &mut seen);
    let (status, _) = wait_rusage(&mut child, Duration::from_secs(60))?;
    let t2 = Instant::now();
    let (t1, _) = attached.with_context(|| format!("denytrace said: {}", seen.join(" / ")))?;
    if exit_code(status) != Some(0) {
        bail!("denytrace run -- true failed (wait status {status:#x}): {}", seen.join(" / "));
    }
    out.attach_ms.push(t1.duration_since(t0).as_secs_f64() * 1e3);
    out.total_ms.push(t2.duration_since(t0).as_secs_f64() * 1e3);
    let i = out.attach_ms.len();
    eprintln!(
        "bench: start-up {i}/{runs}: attached {:.1} ms, whole run {:.1} ms",
        out.attach_ms[i - 1],
        out.total_ms[i - 1]
    );
    Ok(())
}

struct Storm {
    how: &'static str,
    counted: u64,
    lost: u64,
    losses: String,
    records: u64,
    wall_s: f64,
    /// denytrace's own CPU time (only when the workload is not its child).
    cpu_s: Option<f64>,
    peak_rss_kib: i64,
}

impl Storm {
    fn exact(&self) -> bool {
        self.counted == STORM && self.lost == 0
    }

    fn from_report(how: &'static str, report: &Path, secret: &Path) -> Result<Self> {
        let text = fs::read_to_string(report).with_context(|| format!("reading {}", report.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text).context("parsing the storm report")?;
        Ok(Self {
            how,
            counted: denials_of(&json, secret),
            lost: json["stats"]["lost"].as_u64().unwrap_or(u64::MAX),
            losses: json["stats"]["losses"].to_string(),
            records: json["stats"]["records"].as_u64().unwrap_or(0),
            wall_s: 0.0,
            cpu_s: None,
            peak_rss_kib: 0,
        })
    }
}

/// `denytrace run --user 65534 -- dt-workload fail-open-loop 1000000 SECRET`.
fn storm_run(tools: &Tools, scratch: &Scratch) -> Result<Storm> {
    let report = scratch.dir.join("storm-run.json");
    let mut cmd = Command::new(&tools.denytrace);
    cmd.args(["run", "--user", "65534", "--report"])
        .arg(&report)
        .arg("--")
        .arg(&tools.workload)
        .args(["fail-open-loop", &STORM.to_string()])
        .arg(&scratch.secret)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut cmd);
    let t0 = Instant::now();
    let mut child = cmd.spawn().context("starting the storm")?;
    // The workload is denytrace's child, so wait4's figures would mix the two (and count the
    // pre-exec copy of denytrace's memory in the child): sample denytrace's own peak RSS and CPU
    // time from /proc instead. The last sample misses at most the final few milliseconds.
    let (status_path, stat_path) = (format!("/proc/{}/status", child.id()), format!("/proc/{}/stat", child.id()));
    let (mut hwm_kib, mut cpu_ticks) = (0i64, 0u64);
    let (status, _) = wait_sampling(&mut child, STEP_LIMIT, &mut || {
        if let Some(kib) = fs::read_to_string(&status_path).ok().and_then(|s| vm_hwm_kib(&s)) {
            hwm_kib = hwm_kib.max(kib);
        }
        if let Some(ticks) = fs::read_to_string(&stat_path).ok().and_then(|s| own_cpu_ticks(&s)) {
            cpu_ticks = cpu_ticks.max(ticks);
        }
    })?;
    let wall = t0.elapsed().as_secs_f64();
    if exit_code(status) != Some(0) {
        bail!("the storm under denytrace run failed (wait status {status:#x})");
    }
    let mut storm = Storm::from_report("denytrace run --user 65534", &report, &scratch.secret)?;
    storm.wall_s = wall;
    storm.peak_rss_kib = hwm_kib;
    // SAFETY: sysconf without side effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    storm.cpu_s = Some(float(cpu_ticks) / float(hz));
    Ok(storm)
}

/// `VmHWM` (peak RSS) in KiB from /proc/PID/status.
fn vm_hwm_kib(status: &str) -> Option<i64> {
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()
}

/// utime + stime (clock ticks) of the process itself from /proc/PID/stat (fields 14 and 15,
/// counted after the parenthesised command name, which may contain spaces).
fn own_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The storm in a cgroup watched by `denytrace watch --cgroup`: denytrace's own CPU time and peak
/// RSS, since the workload is not its child.
fn storm_watch(tools: &Tools, scratch: &Scratch, cgroup: &Path) -> Result<Storm> {
    let report = scratch.dir.join("storm-watch.json");
    let t0 = Instant::now();
    let mut watcher = start_watch(tools, cgroup, &[OsStr::new("--report"), report.as_os_str()])?;
    let procs = cstring(cgroup.join("cgroup.procs").as_os_str())?;
    let mut storm = Command::new("setpriv");
    storm
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&tools.workload)
        .args(["fail-open-loop", &STORM.to_string()])
        .arg(&scratch.secret)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: open/write/close are async-signal-safe; `procs` is alive in the parent's copy of the
    // address space the child runs in.
    unsafe {
        storm.pre_exec(move || {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let ok = libc::write(fd, b"0".as_ptr().cast(), 1) == 1;
            libc::close(fd);
            if ok { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
    let result = storm.status().context("running the storm in its cgroup");
    // Records of the last moments may still be in flight: give the watcher a moment.
    thread::sleep(Duration::from_millis(100));
    signal(&watcher, libc::SIGTERM);
    let (status, usage) = wait_rusage(&mut watcher, Duration::from_secs(120))?;
    let wall = t0.elapsed().as_secs_f64();
    if !result?.success() {
        bail!("the storm workload failed under denytrace watch");
    }
    if exit_code(status) != Some(0) {
        bail!("denytrace watch ended with wait status {status:#x}");
    }
    let mut storm = Storm::from_report("denytrace watch --cgroup", &report, &scratch.secret)?;
    storm.wall_s = wall;
    storm.cpu_s = Some(cpu_secs(&usage));
    storm.peak_rss_kib = usage.ru_maxrss;
    Ok(storm)
}

// ---- The machine. ----

struct Machine {
    kernel: String,
    cpu: String,
    cores: usize,
    mem_gib: f64,
    load_before: String,
    bpftrace: String,
    strace: String,
}

impl Machine {
    fn describe(tools: &Tools) -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let version = |program: &Path, arg: &str| {
            Command::new(program)
                .arg(arg)
                .output()
                .ok()
                .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_owned))
                .unwrap_or_default()
        };
        Self {
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            cpu,
            cores: thread::available_parallelism().map_or(0, std::num::NonZero::get),
            mem_gib: mem_kib / (1024.0 * 1024.0),
            load_before: loadavg(),
            bpftrace: version(&tools.bpftrace, "--version"),
            strace: version(&tools.strace, "-V"),
        }
    }

    fn summary(&self) -> String {
        format!(
            "Linux {}, {} x {}, {:.0} GiB, load average {}",
            self.kernel, self.cores, self.cpu, self.mem_gib, self.load_before
        )
    }
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- The table. ----

/// Counts, sizes and times as floating point, for ratios: all are far below 2^52.
#[expect(clippy::cast_precision_loss, reason = "counts, sizes and times far below 2^52")]
fn float(x: impl Into<i128>) -> f64 {
    x.into() as f64
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => f64::midpoint(v[n / 2 - 1], v[n / 2]),
    }
}

/// Half the range of `values` relative to their median, in percent: how noisy a cell was.
fn spread(values: &[f64]) -> f64 {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (hi - lo) / 2.0 / median(values) * 100.0
}

struct RenderInput<'a> {
    machine: &'a Machine,
    load_after: &'a str,
    reps: usize,
    workloads: &'a [Workload],
    samples: &'a HashMap<(usize, Config), Vec<Sample>>,
    startup: &'a Startup,
    storms: [&'a Storm; 2],
    /// Rounds of getppid under untraced, floor and other cgroup only.
    floor_check: &'a HashMap<Config, Vec<Sample>>,
    floor_check_loop: u64,
}

/// One target: what it is, what was measured, whether it was met.
struct Target {
    what: String,
    measured: String,
    met: bool,
}

#[expect(clippy::too_many_lines, reason = "one table after the other, in the order they are printed")]
fn render(input: &RenderInput<'_>) -> String {
    let RenderInput { machine, load_after, reps, workloads, samples, startup, storms, floor_check, floor_check_loop } =
        input;
    let mut out = String::new();
    let mut targets: Vec<Target> = Vec::new();
    let _ = writeln!(out, "### Machine\n");
    let _ = writeln!(out, "- Linux {} ({} cores: {}), {:.0} GiB", machine.kernel, machine.cores, machine.cpu, machine.mem_gib);
    let _ = writeln!(out, "- load average before: {}, after: {load_after}", machine.load_before);
    let _ = writeln!(out, "- {}; {}", machine.bpftrace, machine.strace);
    let _ = writeln!(out, "- {reps} interleaved repetitions; medians; `±` is half the range over the repetitions, relative to the median\n");

    let cell = |wi: usize, c: Config, pick: fn(&Sample) -> f64| -> Vec<f64> {
        samples.get(&(wi, c)).map_or_else(Vec::new, |v| v.iter().map(pick).collect())
    };
    let wall: fn(&Sample) -> f64 = |s| s.wall;
    let cpu: fn(&Sample) -> f64 = |s| s.cpu;
    for (title, pick) in [
        ("Wall time, as a ratio to untraced", wall),
        ("CPU time of the workload's processes (user + system), as a ratio to untraced", cpu),
    ] {
        let _ = writeln!(out, "### {title}\n");
        let mut header = String::from("| workload |");
        let mut rule = String::from("| --- |");
        for c in Config::ALL {
            let _ = write!(header, " {} |", c.label());
            rule.push_str(" ---: |");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for (wi, w) in workloads.iter().enumerate() {
            let base = median(&cell(wi, Config::Untraced, pick));
            let mut row = format!("| {} |", w.name);
            for c in Config::ALL {
                let v = cell(wi, c, pick);
                if c == Config::Untraced {
                    let _ = write!(row, " {base:.3} s ±{:.0}% |", spread(&v));
                } else {
                    let _ = write!(row, " {:.2}x ±{:.0}% |", median(&v) / base, spread(&v));
                }
            }
            let _ = writeln!(out, "{row}");
        }
        let _ = writeln!(out);
    }
    for (wi, w) in workloads.iter().enumerate().filter(|(_, w)| w.realistic) {
        let ratio = |pick| median(&cell(wi, Config::Traced, pick)) / median(&cell(wi, Config::Untraced, pick));
        let (by_wall, by_cpu) = (ratio(wall), ratio(cpu));
        targets.push(Target {
            what: format!("{}: traced at most 5% slower than untraced", w.name),
            measured: format!(
                "wall {:+.1}% (CPU {:+.1}%; floor: wall {:+.1}%)",
                (by_wall - 1.0) * 100.0,
                (by_cpu - 1.0) * 100.0,
                (median(&cell(wi, Config::Floor, wall)) / median(&cell(wi, Config::Untraced, wall)) - 1.0) * 100.0
            ),
            met: by_wall <= 1.05,
        });
    }

    let _ = writeln!(
        out,
        "### Added cost per syscall of the micro loops\n\nMedian over the repetitions of (time under the \
         configuration - untraced time of the same repetition) / loop count; CPU time is the robust \
         measure of what runs in the task's context (the tracer processes' own time is not in it).\n"
    );
    let _ = writeln!(out, "| workload | {} |", Config::ALL[1..].iter().map(|c| c.label()).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(out, "| --- |{}", " ---: |".repeat(Config::ALL.len() - 1));
    for (wi, w) in workloads.iter().enumerate() {
        let Some(n) = w.loop_syscalls else { continue };
        for (what, pick) in [("wall", wall), ("CPU", cpu)] {
            let base = cell(wi, Config::Untraced, pick);
            let added = |c: Config| {
                let diffs: Vec<f64> =
                    cell(wi, c, pick).iter().zip(&base).map(|(t, b)| (t - b) / float(n) * 1e9).collect();
                median(&diffs)
            };
            let floor = added(Config::Floor);
            let mut row = format!("| {}, {what} ({:.0} ns each untraced) |", w.name, median(&base) / float(n) * 1e9);
            for c in &Config::ALL[1..] {
                let a = added(*c);
                if *c == Config::Floor {
                    let _ = write!(row, " {a:+.0} ns |");
                } else {
                    let _ = write!(row, " {a:+.0} ns ({:.1}x floor) |", a / floor);
                }
            }
            let _ = writeln!(out, "{row}");
        }
    }

    let rounds = floor_check.get(&Config::Untraced).map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "\n### Outside the traced set: {rounds} more rounds of getppid x{floor_check_loop}, untraced / floor / \
         other cgroup only\n\nAdded cost per syscall, median over the rounds of the difference to the untraced run \
         of the same round.\n"
    );
    let _ = writeln!(out, "| measure | empty programs (floor) | denytrace, other cgroup | ratio |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for (what, pick) in [("wall", wall), ("CPU", cpu)] {
        let added = |c: Config| {
            let base = floor_check.get(&Config::Untraced).map_or(&[][..], Vec::as_slice);
            let diffs: Vec<f64> = floor_check
                .get(&c)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .zip(base)
                .map(|(t, b)| (pick(t) - pick(b)) / float(*floor_check_loop) * 1e9)
                .collect();
            median(&diffs)
        };
        let (floor, other) = (added(Config::Floor), added(Config::Other));
        let _ = writeln!(out, "| {what} | {floor:+.0} ns | {other:+.0} ns | {:.2}x |", other / floor);
        if what == "CPU" {
            targets.push(Target {
                what: "added cost per syscall outside the traced set at most 1.5x the empty-program floor \
                       (getppid, CPU)"
                    .into(),
                measured: format!("{other:+.0} ns vs {floor:+.0} ns: {:.2}x", other / floor),
                met: other <= 1.5 * floor,
            });
        }
    }

    let _ = writeln!(out, "\n### Storm: {STORM} failing opens (EACCES) as fast as one core issues them\n");
    let _ = writeln!(out, "| how | counted | lost | records | wall | denytrace CPU | peak RSS |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for s in storms {
        let cpu = s.cpu_s.unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} s | {cpu:.2} s ({:.0}% of a core) | {:.1} MiB |",
            s.how,
            s.counted,
            s.lost,
            s.records,
            s.wall_s,
            cpu / s.wall_s * 100.0,
            float(s.peak_rss_kib) / 1024.0
        );
        targets.push(Target {
            what: format!("storm under {}: count exactly {STORM}, 0 lost", s.how),
            measured: format!("{} counted, {} lost (losses {})", s.counted, s.lost, s.losses),
            met: s.exact(),
        });
        targets.push(Target {
            what: format!("storm under {}: denytrace's own CPU under one core", s.how),
            measured: format!("{cpu:.2} s in {:.2} s", s.wall_s),
            met: cpu < s.wall_s,
        });
        targets.push(Target {
            what: format!("storm under {}: peak RSS of denytrace at most 32 MiB", s.how),
            measured: format!("{:.1} MiB", float(s.peak_rss_kib) / 1024.0),
            met: s.peak_rss_kib <= 32 * 1024,
        });
    }

    let attach = median(&startup.attach_ms);
    let total = median(&startup.total_ms);
    let _ = writeln!(out, "\n### Start-up: `denytrace run -- true`, {} runs\n", startup.attach_ms.len());
    let _ = writeln!(out, "| from exec to | median | min | max |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for (what, v) in [("programs attached", &startup.attach_ms), ("exit (whole run)", &startup.total_ms)] {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let _ = writeln!(out, "| {what} | {:.1} ms | {lo:.1} ms | {hi:.1} ms |", median(v));
    }
    targets.push(Target {
        what: "start-up to programs attached at most 150 ms (median)".into(),
        measured: format!("{attach:.1} ms (whole run {total:.1} ms)"),
        met: attach <= 150.0,
    });

    let _ = writeln!(out, "\n### Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for t in &targets {
        let _ = writeln!(out, "| {} | {} | {} |", t.what, t.measured, if t.met { "yes" } else { "**no**" });
    }
    out
}
