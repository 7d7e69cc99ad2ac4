//! Faults: a traced command that forks thousands of processes, exits at once, executes a
//! set-user-ID binary or is killed; a watched cgroup that is removed; a ring buffer that
//! overflows and tracking maps that fill (shrunk with the testing knobs of docs/reliability.md:
//! losses are counted and reported, never silent, and totals stay exact); two denytrace instances
//! at once; a kernel without BTF or without a tracepoint (simulated with knobs: a clear message
//! and exit code 125, and the command never runs untraced).
//!
//! The watched pid exiting and denytrace itself being killed (nothing stays attached) are in
//! watch.rs.

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use denytrace_tests::{
    Child, PLAIN_PATH, TempDir, bin, bpf_ids_of, exit_within, nobody_bin, nobody_shell, open_dir, require_root, s, scratch_with_secrets,
    wait_for,
};
use serde_json::Value;

/// Raw tracepoints denytrace attaches on this kernel (see watch.rs).
const ATTACHMENTS: usize = 8;

/// As root: a scratch directory, a runnable `dt-workload` and a root-only file `secret`.
fn setup(tag: &str) -> Option<(TempDir, PathBuf, PathBuf)> {
    let (dir, workload, [secret]) = scratch_with_secrets(tag, ["secret"])?;
    Some((dir, workload, secret))
}

/// `denytrace run --report FILE ARGS -- COMMAND` with extra environment; returns the output and
/// the report (Null when none was written).
fn run_with(env: &[(&str, &str)], args: &[&str], command: &[&str], dir: &TempDir) -> (Output, Value) {
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let out = Command::new(bin("denytrace"))
        .args(["run", "--report", s(&report)])
        .args(args)
        .arg("--")
        .args(command)
        .env("PATH", PLAIN_PATH)
        .env_remove("LD_LIBRARY_PATH")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("running denytrace");
    let r = std::fs::read_to_string(&report).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
    (out, r)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `ok K` count a workload printed.
fn ok_count(out: &Output) -> u64 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("ok "))
        .and_then(|k| k.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `ok K` line in {stdout:?}; stderr:\n{}", stderr(out)))
}

/// Sum of the counts of the denials on `path`.
fn count_on(report: &Value, path: &Path) -> u64 {
    report["denials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["path"].as_str() == Some(s(path)))
        .map(|d| d["count"].as_u64().expect("count"))
        .sum()
}

fn stat(report: &Value, key: &str) -> u64 {
    report["stats"][key].as_u64().unwrap_or_else(|| panic!("stats.{key} in {:#}", report["stats"]))
}

fn loss(report: &Value, key: &str) -> u64 {
    report["stats"]["losses"][key].as_u64().unwrap_or_else(|| panic!("stats.losses.{key}"))
}

/// A fork storm as uid 65534: 2000 children, half failing to open a root-only file. Every
/// refusal is counted, exactly, and nothing is lost with the default map sizes.
#[test]
fn fork_storm_counts_are_exact() {
    let Some((dir, workload, secret)) = setup("storm") else {
        return;
    };
    let (out, r) = run_with(&[], &["--user", "65534"], &[s(&workload), "fork-storm", "2000", s(&secret)], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failed = ok_count(&out);
    assert_eq!(failed, 1000, "every even child failed");
    assert_eq!(count_on(&r, &secret), failed, "denytrace counted each refusal: {:#}", r["stats"]);
    assert_eq!(stat(&r, "lost"), 0, "{:#}", r["stats"]);
    assert_eq!(loss(&r, "task_map_full"), 0);
    // One distinct denial: children that ended before /proc was read share their parent's image.
    assert_eq!(r["denials"].as_array().map(Vec::len), Some(1), "{:#}", r["denials"]);
    assert_eq!(r["denials"][0]["cause"]["kind"], "dac");
    // Every child's end was seen: listed up to the caps (1000 failed children are deaths, listed;
    // of the 1000 that exited with 0, 500 are listed), the rest counted.
    let listed = r["processes"].as_array().map_or(0, Vec::len) as u64;
    let unlisted = r["stats"]["unlisted"]["processes"].as_u64().expect("stats.unlisted.processes");
    assert!(listed + unlisted >= 2000, "{listed} process ends listed, {unlisted} not");
    assert!(listed <= 2000 + 500 && unlisted >= 500, "{listed} listed, {unlisted} not");
}

/// A command that fails once and exits at once, twenty times: the last records are never lost
/// to the exit.
#[test]
fn a_command_that_exits_at_once_keeps_its_last_denial() {
    let Some((dir, workload, secret)) = setup("instant") else {
        return;
    };
    for round in 0..20 {
        let (out, r) = run_with(&[], &["--user", "65534"], &[s(&workload), "open", s(&secret), "ro"], &dir);
        assert_eq!(out.status.code(), Some(1), "round {round}: {}", stderr(&out));
        assert_eq!(count_on(&r, &secret), 1, "round {round}: {:#}", r["denials"]);
        assert_eq!(stat(&r, "lost"), 0, "round {round}");
    }
    let (out, r) = run_with(&[], &[], &["/bin/true"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stat(&r, "denials"), 0);
    assert!(stderr(&out).contains("0 refused syscalls"), "{}", stderr(&out));
}

/// A traced uid-65534 process executes a set-user-ID binary (owned by uid 4242): tracing goes on
/// across the exec, and the refusal inside is judged with the new effective and filesystem ids.
#[test]
fn a_setuid_exec_is_followed_with_its_new_ids() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("setuid-exec");
    open_dir(&dir.0);
    let suid = dir.join("dt-workload-suid");
    std::fs::copy(nobody_bin("dt-workload", &dir), &suid).expect("copy");
    std::os::unix::fs::chown(&suid, Some(4242), Some(4242)).expect("chown 4242");
    std::fs::set_permissions(&suid, std::fs::Permissions::from_mode(0o4755)).expect("chmod u+s");
    // Owned by 65534 and private: the real uid could open it, the set-user-ID process cannot.
    let own = dir.join("nobodys");
    std::fs::write(&own, "x").expect("write");
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::os::unix::fs::chown(&own, Some(65534), Some(65534)).expect("chown");
    let (out, r) = run_with(&[], &["--user", "65534"], &["/bin/sh", "-c", &format!("exec {} open {} ro", s(&suid), s(&own))], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "failed: EACCES (13)");
    let d = r["denials"].as_array().and_then(|a| a.iter().find(|d| d["path"].as_str() == Some(s(&own)))).expect("the denial");
    assert_eq!(d["process"]["uid"], 65534, "{d:#}");
    assert_eq!(d["process"]["euid"], 4242, "{d:#}");
    assert_eq!(d["process"]["fsuid"], 4242, "{d:#}");
    assert_eq!(d["process"]["exe"].as_str(), Some(s(&suid)));
    assert_eq!(d["cause"]["kind"], "dac", "{d:#}");
    assert_eq!(d["cause"]["confidence"], "certain", "{d:#}");
    assert!(d["cause"]["summary"].as_str().is_some_and(|t| t.contains("permission bits")), "{d:#}");
}

/// The command is killed from outside by SIGKILL: denytrace reports who killed it, exits 137,
/// and prints the summary.
#[test]
fn a_command_killed_from_outside() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("killed");
    open_dir(&dir.0);
    let pidfile = dir.join("pid");
    let report = dir.join("report.json");
    let mut denytrace = Child(
        Command::new(bin("denytrace"))
            .args(["run", "--report", s(&report), "--", "/bin/sh", "-c"])
            .arg(format!("echo $$ > {}; exec /bin/sleep 30", s(&pidfile)))
            .env("PATH", PLAIN_PATH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("err")).expect("err"))
            .spawn()
            .expect("denytrace"),
    );
    assert!(wait_for(20, || std::fs::read_to_string(&pidfile).is_ok_and(|t| t.ends_with('\n'))), "the command started");
    let pid: i32 = std::fs::read_to_string(&pidfile).expect("pid").trim().parse().expect("a pid");
    // SAFETY: kill on the pid the traced shell wrote (our child's child, still alive: it sleeps).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let status = exit_within(&mut denytrace, 20);
    assert!(status.is_some(), "denytrace ended after its command was killed");
    let err = std::fs::read_to_string(dir.join("err")).expect("stderr");
    assert_eq!(status.and_then(|s| s.code()), Some(137), "{err}");
    assert!(err.contains("killed by SIGKILL"), "{err}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(r["exit"]["signal"], "SIGKILL");
    let fate = r["processes"].as_array().and_then(|a| a.iter().find(|p| p["pid"] == pid)).expect("the command's fate");
    let by = fate["killed_by"].as_str().unwrap_or("");
    assert!(by.contains(&format!("pid {}", std::process::id())), "the sender is this test process: {fate:#}");
}

/// `watch --cgroup`: the cgroup is emptied and removed while watched; watch ends with its
/// summary and exit code 0.
#[test]
fn watch_ends_when_its_cgroup_is_removed() {
    let Some(root) = denytrace_tests::require_root_and_cgroup2() else {
        return;
    };
    let cg = root.join(format!("denytrace-test-removed-{}", std::process::id()));
    std::fs::create_dir(&cg).expect("mkdir");
    let cleanup = denytrace_tests::Defer(|| {
        let _ = std::fs::remove_dir(&cg);
    });
    let mut sleeper = Child(Command::new("/bin/sleep").arg("60").stdin(Stdio::null()).spawn().expect("sleep"));
    std::fs::write(cg.join("cgroup.procs"), sleeper.pid().to_string()).expect("moving the sleep into the cgroup");
    let dir = TempDir::new("cg-removed");
    let mut watch = Child(
        Command::new(bin("denytrace"))
            .args(["watch", "--cgroup", s(&cg)])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("err")).expect("err"))
            .spawn()
            .expect("watch"),
    );
    assert!(wait_for(20, || bpf_ids_of(watch.pid()).1.len() >= ATTACHMENTS), "watch attached");
    sleeper.0.kill().expect("kill the sleep");
    sleeper.0.wait().expect("reap the sleep");
    assert!(wait_for(10, || std::fs::remove_dir(&cg).is_ok()), "rmdir");
    let status = exit_within(&mut watch, 10);
    assert!(status.is_some(), "watch did not end when its cgroup was removed");
    drop(cleanup);
    let err = std::fs::read_to_string(dir.join("err")).expect("stderr");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{err}");
    assert!(err.contains("denytrace: watch ended: the watched cgroup was removed"), "{err}");
    assert!(err.contains("refused syscalls (0 distinct) in cgroup"), "the summary: {err}");
}

/// A 4 KiB ring buffer (three denial records) and a storm of 400 distinct denials: records are
/// lost, and the loss is counted, reported as LOST in the summary, and the total stays exact.
#[test]
fn ring_buffer_overflow_is_counted_and_reported() {
    let Some((dir, workload, secret)) = setup("ring") else {
        return;
    };
    let (out, r) = run_with(
        &[("DENYTRACE_RING_BYTES", "4096")],
        &["--user", "65534"],
        &[s(&workload), "fork-storm", "800", s(&secret)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failed = ok_count(&out);
    assert_eq!(failed, 400);
    let err = stderr(&out);
    assert!(stat(&r, "lost") > 0, "a 4 KiB ring loses records: {:#}", r["stats"]);
    assert!(loss(&r, "ring_denials") > 0, "{:#}", r["stats"]);
    assert!(err.contains("\nLOST: "), "the summary says so:\n{err}");
    assert!(err.contains("testing knob DENYTRACE_RING_BYTES=4096 in effect"), "{err}");
    // Denials whose details were lost are still counted: the total is exact.
    assert_eq!(stat(&r, "denials"), failed, "{:#}", r["stats"]);
    assert_eq!(count_on(&r, &secret) + loss(&r, "ring_denials"), failed, "{:#}", r["stats"]);
}

/// A task map of 8 slots and 300 processes: threads without a slot are counted and reported,
/// and their denials are still counted exactly.
#[test]
fn a_full_task_map_is_counted_and_reported() {
    let Some((dir, workload, secret)) = setup("tasks") else {
        return;
    };
    let (out, r) = run_with(
        &[("DENYTRACE_TASK_ENTRIES", "8")],
        &["--user", "65534"],
        &[s(&workload), "fork-storm", "300", s(&secret)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failed = ok_count(&out);
    assert_eq!(failed, 150);
    assert!(loss(&r, "task_map_full") > 0, "{:#}", r["stats"]);
    assert!(stderr(&out).contains("threads untracked"), "{}", stderr(&out));
    assert_eq!(stat(&r, "denials"), failed, "{:#}", r["stats"]);
    assert_eq!(count_on(&r, &secret), failed);
}

/// An aggregation map of 2 entries: distinct denials beyond it are sent one by one, counted as
/// such, and nothing is lost.
#[test]
fn a_full_aggregation_map_loses_nothing() {
    let Some((dir, workload, secret)) = setup("agg") else {
        return;
    };
    let (out, r) = run_with(
        &[("DENYTRACE_AGG_ENTRIES", "2")],
        &["--user", "65534"],
        &[s(&workload), "fork-storm", "200", s(&secret)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failed = ok_count(&out);
    assert!(loss(&r, "agg_map_full") > 0, "{:#}", r["stats"]);
    assert_eq!(stat(&r, "lost"), 0, "{:#}", r["stats"]);
    assert_eq!(count_on(&r, &secret), failed);
}

/// The in-kernel counters of a process are taken out of the aggregation map when it ends: 30
/// processes one after the other, each with its own counter, fit in a map of 4 entries, and every
/// count stays exact. Without that, the map fills after 4 processes and every later denial crosses
/// the ring buffer on its own (counted in `agg_map_full`).
#[test]
fn ended_processes_leave_the_aggregation_map() {
    let Some((dir, workload, secret)) = setup("agg-fold") else {
        return;
    };
    let script = format!("for i in $(seq 30); do {} fail-open-loop 40 {} || exit 1; done", s(&workload), s(&secret));
    let (out, r) = run_with(&[("DENYTRACE_AGG_ENTRIES", "4")], &["--user", "65534"], &["/bin/sh", "-c", &script], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count_on(&r, &secret), 30 * 40, "{:#}", r["denials"]);
    assert_eq!(loss(&r, "agg_map_full"), 0, "{:#}", r["stats"]);
    assert_eq!(stat(&r, "lost"), 0, "{:#}", r["stats"]);
    // One record per process (its first denial), not one per denial.
    assert!(stat(&r, "records") <= 30 + 5, "{:#}", r["stats"]);
}

/// A storm of identical refusals crosses the ring buffer as one record and a few running counts
/// (one per period at most; 50 ms here, 1 s by default), in `--events` as `count` lines that only
/// grow; the report's total is exact.
#[test]
fn a_storm_sends_running_counts_and_an_exact_total() {
    let Some((dir, workload, secret)) = setup("counts") else {
        return;
    };
    let events = dir.join("events.jsonl");
    let (out, r) = run_with(
        &[("DENYTRACE_COUNT_PERIOD_MS", "50")],
        &["--user", "65534", "--events", s(&events)],
        &[s(&workload), "fail-open-loop", "300000", s(&secret)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count_on(&r, &secret), 300_000, "{:#}", r["stats"]);
    assert_eq!((stat(&r, "records"), stat(&r, "lost")), (1, 0), "{:#}", r["stats"]);
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .expect("events file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let counts: Vec<u64> = lines
        .iter()
        .filter(|l| l["event"] == "count")
        .inspect(|l| assert_eq!(l["denial"]["path"].as_str(), Some(s(&secret)), "{l:#}"))
        .map(|l| l["denial"]["count"].as_u64().expect("count"))
        .collect();
    assert!(counts.len() >= 2, "running counts {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]) && counts.iter().all(|&c| c > 1 && c <= 300_000), "{counts:?}");
    let first = lines.iter().position(|l| l["event"] == "denial").expect("the first record's line");
    let first_count = lines.iter().position(|l| l["event"] == "count").expect("a count line");
    assert!(first < first_count, "the denial's line comes before its counts");
}

/// Two `watch --pid` on the same process at once: both see the same denials.
#[test]
fn two_instances_see_the_same_denials() {
    let Some((dir, workload, [first, second])) = scratch_with_secrets("two", ["first", "second"]) else {
        return;
    };
    let go = dir.join("go");
    // Fails on `first` until told to go on, then fails exactly 25 times on `second` and exits.
    let script = format!(
        "while [ ! -e {go} ]; do {w} open {first} ro; sleep 0.05; done; {w} fail-open-loop 25 {second}; exit 0",
        go = s(&go),
        w = s(&workload),
        first = s(&first),
        second = s(&second),
    );
    let target = Child(
        nobody_shell(&script)
            .stdout(Stdio::null())
            .spawn()
            .expect("the watched shell"),
    );
    let start = |n: u32| {
        Child(
            Command::new(bin("denytrace"))
                .args(["watch", "--pid", &target.pid().to_string(), "--report", s(&dir.join(&format!("r{n}.json")))])
                .stdout(std::fs::File::create(dir.join(&format!("out{n}"))).expect("out"))
                .stderr(std::fs::File::create(dir.join(&format!("err{n}"))).expect("err"))
                .spawn()
                .expect("watch"),
        )
    };
    let mut a = start(1);
    let mut b = start(2);
    let live = |n: u32| std::fs::read_to_string(dir.join(&format!("out{n}"))).is_ok_and(|o| o.contains(s(&first)));
    assert!(wait_for(30, || live(1) && live(2)), "both instances print the live line");
    std::fs::write(&go, "").expect("go");
    for (n, w) in [(1, &mut a), (2, &mut b)] {
        let status = exit_within(w, 30);
        assert!(status.is_some(), "instance {n} ended with the pid");
        let err = std::fs::read_to_string(dir.join(&format!("err{n}"))).unwrap_or_default();
        assert_eq!(status.and_then(|s| s.code()), Some(0), "instance {n}: {err}");
        let r: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(&format!("r{n}.json"))).expect("report")).expect("JSON");
        assert_eq!(count_on(&r, &second), 25, "instance {n}: {:#}", r["denials"]);
        assert!(count_on(&r, &first) >= 1, "instance {n}");
        assert_eq!(stat(&r, "lost"), 0, "instance {n}");
    }
}

/// A kernel without BTF (simulated: `DENYTRACE_BTF_PATH` names a missing file): a clear message,
/// exit 125, and the command is never run untraced; `doctor` says so and exits 1.
#[test]
fn no_btf_is_a_clear_error_and_the_command_does_not_run() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("nobtf");
    let marker = dir.join("ran");
    let missing = dir.join("no-such-btf");
    let env = [("DENYTRACE_BTF_PATH", s(&missing))];
    let (out, _) = run_with(&env, &[], &["/bin/sh", "-c", &format!("touch {}", s(&marker))], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains(&format!("kernel has no BTF ({} missing): denytrace needs CONFIG_DEBUG_INFO_BTF=y", s(&missing))),
        "{err}"
    );
    assert!(!marker.exists(), "the command must not run untraced");
    let watch = Command::new(bin("denytrace")).args(["watch", "--all"]).envs(env).stdin(Stdio::null()).output().expect("watch");
    assert_eq!(watch.status.code(), Some(125), "{}", stderr(&watch));
    let doctor = Command::new(bin("denytrace")).arg("doctor").envs(env).stdin(Stdio::null()).output().expect("doctor");
    let text = format!("{}{}", String::from_utf8_lossy(&doctor.stdout), stderr(&doctor));
    assert_eq!(doctor.status.code(), Some(1), "{text}");
    assert!(text.contains("BTF"), "{text}");
}

/// A kernel without a required tracepoint (simulated with `DENYTRACE_HIDE_TRACEPOINTS`): a clear
/// message and exit 125; without an optional one, tracing goes on and says what is missing.
#[test]
fn missing_tracepoints_are_clear() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("notp");
    let marker = dir.join("ran");
    let (out, _) = run_with(
        &[("DENYTRACE_HIDE_TRACEPOINTS", "sys_exit")],
        &[],
        &["/bin/sh", "-c", &format!("touch {}", s(&marker))],
        &dir,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("a required tracepoint is missing: tracepoint sys_exit not in this kernel's BTF"), "{err}");
    assert!(!marker.exists(), "the command must not run untraced");

    let (out, r) = run_with(&[("DENYTRACE_HIDE_TRACEPOINTS", "cap_capable")], &[], &["/bin/true"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let m = r["host"]["mechanisms"]
        .as_array()
        .and_then(|a| a.iter().find(|m| m["name"] == "raw_tracepoint:cap_capable"))
        .expect("the mechanism is listed");
    assert_eq!(m["used"], false, "{m:#}");
    assert!(m["detail"].as_str().is_some_and(|d| d.contains("refused capability checks are not seen")), "{m:#}");
    assert!(err.contains("note: raw_tracepoint:cap_capable unavailable"), "{err}");
}

/// A testing knob with a bad value is an error, not ignored.
#[test]
fn a_bad_knob_value_is_refused() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("knob");
    let (out, _) = run_with(&[("DENYTRACE_RING_BYTES", "1000")], &[], &["/bin/true"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("DENYTRACE_RING_BYTES=1000 is not a valid value"), "{err}");
}
