//! `cargo xtask soak --minutes N`: a long run of `denytrace run` over a mixed workload that causes
//! denials of every cause this machine can produce, periodically, for N minutes; then checks that
//! denytrace's memory stayed flat, that its counts equal the workload's own tally exactly, and
//! that nothing was lost. Figures go to stderr (and `--json FILE`); docs/reliability.md keeps them.
//!
//! Two halves: the orchestrator (`soak`) makes the fixtures (files, a read-only tmpfs, v1 pids
//! and devices cgroups), starts `denytrace run -- xtask soak-worker ...` and samples denytrace's
//! RSS; the worker (`soak-worker`, traced) runs the workloads and tallies every denial it saw.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};

use crate::{build, cmd::Cmd, setup, workspace};

/// Fixture binaries the workloads use (copied where uid 65534 can execute them).
const BINARIES: &[&str] = &["dt-workload", "dt-landlock", "dt-seccomp"];

/// Failing calls per workload step that loops (`fail-open-loop N`, `getppid-loop N`).
const PER_STEP: u32 = 20;

/// Pause between iterations: denials arrive periodically, not in one burst.
const PAUSE: Duration = Duration::from_millis(100);

/// RSS may grow by at most this much (KiB) from the end of the warm-up to the end of the
/// workload.
const RSS_SLACK_KIB: u64 = 2048;

/// `soak-worker` arguments (passed by the orchestrator).
#[derive(clap::Args)]
pub struct WorkerArgs {
    /// How long to run.
    #[arg(long)]
    seconds: u64,
    /// The fixture directory (binaries in `bin/`, `secret`, `landlocked`, read-only `ro/`).
    #[arg(long)]
    dir: PathBuf,
    /// A v1 pids cgroup whose pids.max is 2.
    #[arg(long)]
    pids_cgroup: PathBuf,
    /// A v1 devices cgroup that denies /dev/zero.
    #[arg(long)]
    devices_cgroup: PathBuf,
}

// ---------------------------------------------------------------------------------------------
// The worker (traced).

/// What the worker expects denytrace to report for one step: which cause, and how to find it.
#[derive(Clone, Copy)]
struct Step {
    /// The report's `cause.kind`.
    cause: &'static str,
    /// Syscall names that may carry it (glibc's fork is `clone`).
    syscalls: &'static [&'static str],
    errno: &'static str,
}

const DAC: Step = Step { cause: "dac", syscalls: &["openat"], errno: "EACCES" };
const LANDLOCK: Step = Step { cause: "landlock", syscalls: &["openat"], errno: "EACCES" };
const SECCOMP: Step = Step { cause: "seccomp", syscalls: &["getppid"], errno: "EPERM" };
const CAPABILITY: Step = Step { cause: "capability", syscalls: &["sethostname"], errno: "EPERM" };
const RLIMIT: Step = Step { cause: "rlimit", syscalls: &["openat"], errno: "EMFILE" };
const CGROUP_PIDS: Step = Step { cause: "cgroup_pids", syscalls: &["clone", "clone3", "fork"], errno: "EAGAIN" };
const DEVICE_CGROUP: Step = Step { cause: "device_cgroup", syscalls: &["openat"], errno: "EPERM" };
const READONLY_FS: Step = Step { cause: "readonly_fs", syscalls: &["mkdir"], errno: "EROFS" };

/// The worker's tally: per step, the path (if any) and how many times the workload saw it fail.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, (Step, Option<String>, u64)>,
    iterations: u64,
    unexpected: Vec<String>,
    processes: u64,
}

impl Tally {
    fn add(&mut self, step: Step, path: Option<&Path>, n: u64) {
        let entry = self
            .counts
            .entry(step.cause)
            .or_insert_with(|| (step, path.map(|p| p.display().to_string()), 0));
        entry.2 += n;
    }

    fn to_json(&self) -> Value {
        let steps: Vec<Value> = self
            .counts
            .values()
            .map(|(step, path, n)| {
                json!({
                    "cause": step.cause, "syscalls": step.syscalls, "errno": step.errno,
                    "path": path, "count": n,
                })
            })
            .collect();
        json!({
            "iterations": self.iterations, "processes": self.processes,
            "steps": steps, "unexpected": self.unexpected,
        })
    }
}

/// Runs a workload and returns its stdout's first line.
fn out(cmd: &mut Command) -> Result<String> {
    let o = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output().with_context(|| format!("running {cmd:?}"))?;
    Ok(String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned())
}

/// `setpriv` to uid/gid 65534 without supplementary groups.
fn as_nobody() -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    c
}

/// Expects `ok K` from `fail-open-loop`/`getppid-loop` and tallies K (or `PER_STEP` for `ok`).
fn tally_loop(t: &mut Tally, step: Step, path: Option<&Path>, line: &str) {
    match line.strip_prefix("ok") {
        Some(rest) if rest.trim().is_empty() => t.add(step, path, u64::from(PER_STEP)),
        Some(rest) if rest.trim().parse::<u64>().is_ok() => t.add(step, path, rest.trim().parse().unwrap_or(0)),
        _ => t.unexpected.push(format!("{}: {line:?}", step.cause)),
    }
}

/// Expects `failed: ERRNO (n)` and tallies one.
fn tally_one(t: &mut Tally, step: Step, path: Option<&Path>, line: &str) {
    if line.starts_with(&format!("failed: {} ", step.errno)) {
        t.add(step, path, 1);
    } else {
        t.unexpected.push(format!("{}: {line:?}", step.cause));
    }
}

/// `soak-worker`: loops over every step until the time is up, then prints the tally as JSON on
/// stdout (the orchestrator reads it).
pub fn worker(args: &WorkerArgs) -> Result<()> {
    let bin = |name: &str| args.dir.join("bin").join(name);
    let workload = bin("dt-workload");
    let secret = args.dir.join("secret");
    let landlocked = args.dir.join("landlocked");
    let ro_target = args.dir.join("ro/new-dir");
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let mut t = Tally::default();
    let mut pids_child: Option<Child> = None;
    let n = PER_STEP.to_string();
    while Instant::now() < end {
        t.iterations += 1;
        // cgroup pids: forks refused by pids.max = 2; its children sleep 2 s, so it runs beside
        // the other steps and is collected when done.
        let finished = match pids_child.as_mut() {
            None => true,
            Some(c) => c.try_wait()?.is_some(),
        };
        if finished {
            if let Some(c) = pids_child.take() {
                let o = c.wait_with_output()?;
                let line = String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned();
                tally_one(&mut t, CGROUP_PIDS, None, &line);
            }
            let script = format!(
                "echo $$ > {}/cgroup.procs && exec {} fork 4",
                args.pids_cgroup.display(),
                workload.display()
            );
            pids_child = Some(
                Command::new("/bin/sh")
                    .args(["-c", &script])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()?,
            );
            t.processes += 4;
        }
        let line = out(as_nobody().arg(&workload).args(["fail-open-loop", &n]).arg(&secret))?;
        tally_loop(&mut t, DAC, Some(&secret), &line);
        let line = out(Command::new(bin("dt-landlock"))
            .args(["--ro", "/usr", "--ro-opt", "/lib", "--ro-opt", "/lib64", "--ro-opt", "/bin", "--ro-opt", "/etc"])
            .arg("--ro")
            .arg(args.dir.join("bin"))
            .arg("--")
            .arg(&workload)
            .args(["fail-open-loop", &n])
            .arg(&landlocked))?;
        tally_loop(&mut t, LANDLOCK, Some(&landlocked), &line);
        let line = out(Command::new(bin("dt-seccomp"))
            .args(["--errno", "getppid=EPERM", "--"])
            .arg(&workload)
            .args(["getppid-loop", &n]))?;
        tally_loop(&mut t, SECCOMP, None, &line);
        let line = out(as_nobody().arg(&workload).args(["sethostname", "denytrace-soak"]))?;
        tally_one(&mut t, CAPABILITY, None, &line);
        let line = out(Command::new("prlimit").arg("--nofile=8").arg(&workload).args(["openfiles", "16"]))?;
        tally_one(&mut t, RLIMIT, Some(Path::new("/dev/null")), &line);
        let script = format!(
            "echo $$ > {}/cgroup.procs && exec {} fail-open-loop {n} /dev/zero",
            args.devices_cgroup.display(),
            workload.display()
        );
        let line = out(Command::new("/bin/sh").args(["-c", &script]))?;
        tally_loop(&mut t, DEVICE_CGROUP, Some(Path::new("/dev/zero")), &line);
        let line = out(Command::new(&workload).arg("mkdir").arg(&ro_target))?;
        tally_one(&mut t, READONLY_FS, Some(&ro_target), &line);
        // Work that succeeds, and a process killed by a signal.
        let line = out(Command::new(&workload).args(["getppid-loop", "10000"]))?;
        if line != "ok" {
            t.unexpected.push(format!("getppid-loop: {line:?}"));
        }
        let mut sleeper = Command::new(&workload).args(["sleep", "10000"]).stdout(Stdio::null()).spawn()?;
        thread::sleep(Duration::from_millis(5));
        sleeper.kill()?;
        sleeper.wait()?;
        t.processes += 11;
        thread::sleep(PAUSE);
    }
    if let Some(c) = pids_child.take() {
        let o = c.wait_with_output()?;
        let line = String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned();
        tally_one(&mut t, CGROUP_PIDS, None, &line);
    }
    println!("{}", t.to_json());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The orchestrator.

/// What the soak makes and removes: its directory, a read-only tmpfs, two v1 cgroups.
struct Fixtures {
    dir: PathBuf,
    ro: PathBuf,
    pids: PathBuf,
    devices: PathBuf,
}

impl Fixtures {
    fn make() -> Result<Self> {
        let tag = format!("denytrace-soak-{}", std::process::id());
        let dir = std::env::temp_dir().join(&tag);
        let f = Self {
            ro: dir.join("ro"),
            dir,
            pids: PathBuf::from("/sys/fs/cgroup/pids").join(&tag),
            devices: PathBuf::from("/sys/fs/cgroup/devices").join(&tag),
        };
        fs::create_dir_all(f.dir.join("bin"))?;
        fs::set_permissions(&f.dir, fs::Permissions::from_mode(0o755))?;
        fs::set_permissions(f.dir.join("bin"), fs::Permissions::from_mode(0o755))?;
        let release = workspace::target_dir().join("release");
        for name in BINARIES {
            let to = f.dir.join("bin").join(name);
            fs::copy(release.join(name), &to).with_context(|| format!("copying {name}"))?;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o755))?;
        }
        let secret = f.dir.join("secret");
        fs::write(&secret, "secret\n")?;
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o600))?;
        fs::write(f.dir.join("landlocked"), "outside the Landlock rules\n")?;
        fs::set_permissions(f.dir.join("landlocked"), fs::Permissions::from_mode(0o644))?;
        fs::create_dir_all(&f.ro)?;
        Cmd::new("mount").args(["-t", "tmpfs", "-o", "ro,size=64k", "denytrace-soak"]).arg(&f.ro).run()?;
        for (cg, file, value) in [(&f.pids, "pids.max", "2"), (&f.devices, "devices.deny", "c 1:5 rwm")] {
            if !cg.parent().is_some_and(|p| p.join("cgroup.procs").exists()) {
                bail!("{} is not a mounted v1 hierarchy: the soak needs the pids and devices controllers", workspace::display(cg));
            }
            fs::create_dir(cg).with_context(|| format!("creating {}", cg.display()))?;
            fs::write(cg.join(file), value).with_context(|| format!("writing {value:?} to {}/{file}", cg.display()))?;
        }
        Ok(f)
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.ro).status();
        for cg in [&self.pids, &self.devices] {
            for _ in 0..100 {
                if fs::remove_dir(cg).is_ok() || !cg.exists() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// One comparison of a step's count.
struct Compared {
    cause: String,
    expected: u64,
    reported: u64,
    kind_ok: bool,
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// Sums the report's entries for a tallied step: same syscall, errno and path, made by
/// dt-workload; and whether all of them carry the expected cause.
fn compare(report: &Value, step: &Value) -> Compared {
    let cause = str_of(step, "cause").to_owned();
    let syscalls: Vec<&str> = step["syscalls"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut reported = 0;
    let mut kind_ok = true;
    for d in report["denials"].as_array().into_iter().flatten() {
        let exe_ok = str_of(&d["process"], "exe").ends_with("/dt-workload");
        let path_ok = step["path"].is_null() || d["path"] == step["path"];
        if exe_ok
            && path_ok
            && syscalls.contains(&str_of(&d["syscall"], "name"))
            && str_of(d, "errno") == str_of(step, "errno")
        {
            reported += d["count"].as_u64().unwrap_or(0);
            kind_ok &= str_of(&d["cause"], "kind") == cause;
        }
    }
    Compared { cause, expected: step["count"].as_u64().unwrap_or(0), reported, kind_ok }
}

/// `cargo xtask soak`.
pub fn run(minutes: u64, json_out: Option<&Path>) -> Result<()> {
    if minutes == 0 {
        bail!("--minutes must be at least 1");
    }
    let env = setup::run()?;
    build::cargo_build(&env, true)?;
    let fixtures = Fixtures::make()?;
    let denytrace = workspace::target_dir().join("release/denytrace");
    let report_path = fixtures.dir.join("report.json");
    let summary_path = fixtures.dir.join("summary.txt");
    let seconds = minutes * 60;
    let worker = std::env::current_exe().context("locating xtask")?;
    let mut cmd = Command::new(&denytrace);
    cmd.arg("run")
        .arg("--report")
        .arg(&report_path)
        .arg("--")
        .arg(&worker)
        .arg("soak-worker")
        .args(["--seconds", &seconds.to_string()])
        .arg("--dir")
        .arg(&fixtures.dir)
        .arg("--pids-cgroup")
        .arg(&fixtures.pids)
        .arg("--devices-cgroup")
        .arg(&fixtures.devices)
        // The environment of a plain system: cargo's LD_LIBRARY_PATH (root's toolchain) would
        // make every uid-65534 process fail to search /root, denials the tally does not expect.
        .env_remove("LD_LIBRARY_PATH")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(fs::File::create(&summary_path)?);
    eprintln!("+ {cmd:?}");
    eprintln!("soak: {minutes} minute(s); RSS sampled every 5 s");
    let started = Instant::now();
    let mut child = cmd.spawn().context("starting denytrace")?;
    let pid = child.id();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let mut hwm = 0;
    // The first sample once denytrace has started (before, the pid is still the forked xtask).
    let mut next = Instant::now() + Duration::from_secs(5);
    let stdout = loop {
        if let Some(status) = child.try_wait()? {
            let mut text = String::new();
            if let Some(mut s) = child.stdout.take() {
                std::io::Read::read_to_string(&mut s, &mut text)?;
            }
            if !status.success() && !text.contains("\"steps\"") {
                bail!("denytrace exited with {status}; its stderr:\n{}", fs::read_to_string(&summary_path)?);
            }
            break text;
        }
        if Instant::now() >= next {
            if let Some((rss, peak)) = memory(pid) {
                samples.push((started.elapsed().as_secs(), rss));
                hwm = hwm.max(peak);
                if samples.len().is_multiple_of(12) {
                    eprintln!("soak: +{} s: denytrace RSS {rss} KiB", started.elapsed().as_secs());
                }
            }
            next += Duration::from_secs(5);
        }
        thread::sleep(Duration::from_millis(200));
    };
    let tally: Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).context("reading the worker's tally")?;
    let report: Value = serde_json::from_str(&fs::read_to_string(&report_path)?).context("reading the report")?;
    let summary = fs::read_to_string(&summary_path)?;
    // Kept for a look at the details (the fixtures go).
    let kept = workspace::target_dir().join("xtask");
    fs::create_dir_all(&kept)?;
    fs::copy(&report_path, kept.join("soak-report.json"))?;
    fs::write(kept.join("soak-summary.txt"), &summary)?;
    eprintln!("soak: report and summary kept in {}", workspace::display(&kept));
    drop(fixtures);
    judge(minutes, &samples, hwm, &tally, &report, &summary, json_out)
}

/// RSS figures: the samples taken while the workload ran (denytrace's steady state), and what
/// building the report at the end added (it holds every process's fate, so it grows with them).
struct Rss {
    first: u64,
    warm: u64,
    warm_up: u64,
    steady_end: u64,
    steady_max: u64,
    end: u64,
}

fn rss_figures(minutes: u64, samples: &[(u64, u64)]) -> Rss {
    let run = minutes * 60;
    let warm_up = (run / 10).max(30);
    let steady: Vec<&(u64, u64)> = samples.iter().filter(|s| s.0 < run).collect();
    let first = samples.first().map_or(0, |s| s.1);
    Rss {
        first,
        warm: steady.iter().find(|s| s.0 >= warm_up).map_or(first, |s| s.1),
        warm_up,
        steady_end: steady.last().map_or(0, |s| s.1),
        steady_max: steady.iter().map(|s| s.1).max().unwrap_or(0),
        end: samples.last().map_or(0, |s| s.1),
    }
}

/// Checks and prints the figures.
fn judge(
    minutes: u64,
    samples: &[(u64, u64)],
    hwm: u64,
    tally: &Value,
    report: &Value,
    summary: &str,
    json_out: Option<&Path>,
) -> Result<()> {
    let mut problems = Vec::new();
    let rss = rss_figures(minutes, samples);
    if rss.steady_max > rss.warm + RSS_SLACK_KIB {
        problems.push(format!(
            "RSS grew from {} KiB (at +{} s) to {} KiB while the workload ran",
            rss.warm, rss.warm_up, rss.steady_max
        ));
    }
    let stats = &report["stats"];
    let lost = stats["lost"].as_u64().unwrap_or(u64::MAX);
    if lost != 0 {
        problems.push(format!("{lost} record(s) lost: {}", stats["losses"]));
    }
    for u in tally["unexpected"].as_array().into_iter().flatten() {
        problems.push(format!("the workload saw an unexpected outcome: {u}"));
    }
    let mut table = String::from("| cause | workload's tally | denytrace's count | cause kind |\n| --- | --- | --- | --- |\n");
    let mut tallied = 0;
    for step in tally["steps"].as_array().into_iter().flatten() {
        let c = compare(report, step);
        tallied += c.expected;
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} |",
            c.cause,
            c.expected,
            c.reported,
            if c.kind_ok { "as expected" } else { "WRONG" }
        );
        if c.expected != c.reported {
            problems.push(format!("{}: the workload tallied {}, denytrace counted {}", c.cause, c.expected, c.reported));
        }
        if !c.kind_ok {
            problems.push(format!("{}: some entries carry another cause", c.cause));
        }
        if c.expected == 0 {
            problems.push(format!("{}: the workload never produced it", c.cause));
        }
    }
    let figures = json!({
        "minutes": minutes,
        "iterations": tally["iterations"],
        "processes": tally["processes"],
        "rss_kib": {
            "first": rss.first, "after_warm_up": rss.warm, "warm_up_s": rss.warm_up,
            "end_of_workload": rss.steady_end, "max_while_running": rss.steady_max,
            "after_report_built": rss.end, "peak_hwm": hwm, "samples": samples.len(),
        },
        "denials_total": stats["denials"],
        "denials_tallied": tallied,
        "distinct": stats["distinct"],
        "records": stats["records"],
        "lost": stats["lost"],
        "losses": stats["losses"],
        "processes_in_report": report["processes"].as_array().map_or(0, Vec::len),
        "ok": problems.is_empty(),
        "problems": problems,
    });
    eprintln!("\nsoak: figures\n{}\n\n{table}", serde_json::to_string_pretty(&figures)?);
    eprintln!("soak: the summary's last lines:\n{}", summary.lines().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"));
    if let Some(path) = json_out {
        let mut with_table = figures.clone();
        with_table["table"] = Value::String(table);
        with_table["rss_samples"] = samples.iter().map(|s| json!([s.0, s.1])).collect();
        fs::write(path, serde_json::to_string_pretty(&with_table)? + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if !problems.is_empty() {
        bail!("soak failed:\n  {}", problems.join("\n  "));
    }
    eprintln!("soak: ok: RSS flat, counts exact, nothing lost");
    Ok(())
}
