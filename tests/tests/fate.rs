//! Process fate, for real: a parent that kills its child 150 ms after starting it, seccomp kill and
//! trap actions, OOM kills in a memory cgroup (the victim allocating, and another process
//! allocating), `RLIMIT_FSIZE` and `RLIMIT_CPU`, a kill from outside the traced set, a kill the kernel
//! refused, a cascade of deaths ordered first death first, and `watch` printing deaths as they
//! happen. Every test loads denytrace's real programs and checks the report's `signals` and
//! `processes` and the human summary.

use std::{
    io::{BufRead as _, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use denytrace_tests::{
    CgroupV1, Child, Defer, Run, TempDir, bin, exit_within, nobody_bin, require, require_root, run, run_clean, s, wait_for,
};
use serde_json::Value;

fn signals(r: &Run) -> Vec<Value> {
    r.report["signals"].as_array().cloned().unwrap_or_default()
}

fn processes(r: &Run) -> Vec<Value> {
    r.report["processes"].as_array().cloned().unwrap_or_default()
}

/// The only signal entry named `sig` (the test fails when there are none or several).
fn only_signal(r: &Run, sig: &str) -> (usize, Value) {
    let found: Vec<(usize, Value)> =
        signals(r).into_iter().enumerate().filter(|(_, s)| s["signal"] == sig).collect();
    assert_eq!(found.len(), 1, "expected one {sig} entry: {:#}\n{}", r.report["signals"], r.stderr);
    found.into_iter().next().expect("one")
}

/// The process fate of `pid`.
fn fate_of(r: &Run, pid: u64) -> (usize, Value) {
    processes(r)
        .into_iter()
        .enumerate()
        .find(|(_, p)| p["pid"].as_u64() == Some(pid))
        .unwrap_or_else(|| panic!("no process fate for pid {pid}: {:#}\n{}", r.report["processes"], r.stderr))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The root of the run (the command's pid).
fn root_pid(r: &Run) -> u64 {
    r.report["target"]["pid"].as_u64().expect("target.pid")
}

/// The line of the summary that contains `needle`, by index.
fn line_index(stderr: &str, needle: &str) -> usize {
    stderr
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in the summary:\n{stderr}"))
}

#[test]
fn a_parent_that_kills_its_child_after_150_ms_is_named() {
    if !require_root() {
        return;
    }
    let r = run(&[], &["sh", "-c", "sleep 30 & sleep 0.15; kill -TERM $!; wait $!; exit $?"]);
    let sh = root_pid(&r);
    let (index, sig) = only_signal(&r, "SIGTERM");
    assert_eq!(sig["target_comm"], "sleep", "{sig:#}");
    assert_eq!(sig["sender"]["pid"].as_u64(), Some(sh), "the sender is the parent sh: {sig:#}");
    assert_eq!(sig["sender"]["comm"], "sh", "{sig:#}");
    assert_eq!(sig["sender"]["relation"], "parent", "{sig:#}");
    assert_eq!(sig["sender"]["traced"], true, "{sig:#}");
    assert_eq!(sig["sender"]["uid"].as_u64(), Some(0), "{sig:#}");
    assert!(sig["kernel_reason"].is_null(), "a process sent it: {sig:#}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    assert_eq!(sig["result"], "delivered", "{sig:#}");

    let sleep_pid = sig["target_pid"].as_u64().expect("target_pid");
    let (sleep_index, sleep) = fate_of(&r, sleep_pid);
    assert_eq!(sleep["signal"], "SIGTERM", "{sleep:#}");
    assert_eq!(sleep["signal_index"].as_u64(), Some(index as u64), "{sleep:#}");
    assert_eq!(sleep["ppid"].as_u64(), Some(sh), "{sleep:#}");
    assert!(sleep["follows"].is_null(), "the first death follows nothing: {sleep:#}");
    let lifetime = sleep["lifetime_ms"].as_u64().expect("the sleep's exec was seen");
    assert!((100..10_000).contains(&lifetime), "killed about 150 ms after it started, not {lifetime} ms: {sleep:#}");
    let by = text(&sleep["killed_by"]);
    assert!(by.contains("its parent sh") && by.contains(&format!("pid {sh}")) && by.contains("; traced)"), "{by}");

    // The shell then exits 143 because of that death: a cascade whose first death is the sleep.
    let (_, shell) = fate_of(&r, sh);
    assert_eq!(shell["code"].as_i64(), Some(143), "{shell:#}");
    assert_eq!(shell["follows"].as_u64(), Some(sleep_index as u64), "{shell:#}");
    assert_eq!(r.code, Some(143));
    let first = line_index(&r.stderr, &format!("1. +{} ms  sleep (pid {sleep_pid}): SIGTERM sent by its parent sh", sleep["t_ms"]));
    let then = line_index(&r.stderr, &format!("then +{} ms  sh (pid {sh}): exited with code 143", shell["t_ms"]));
    assert!(line_index(&r.stderr, "processes that died (first death first):") < first && first < then, "{}", r.stderr);
    assert!(r.stderr.lines().nth(then).is_some_and(|l| l.contains(&format!("(after sleep (pid {sleep_pid}) died)"))), "{}", r.stderr);
}

#[test]
fn a_cascade_is_shown_from_its_first_death() {
    if !require_root() {
        return;
    }
    // A worker dies first (it kills itself); the supervisor then kills the other worker and gives
    // up. The first death is the interesting one, even though the later SIGTERM looks like it.
    // The supervisor waits until the background child has become `sleep` (under load the fork
    // may not have exec'd yet when it is killed).
    let r = run(
        &[],
        &[
            "sh",
            "-c",
            "sleep 30 & b=$!; until [ \"$(cat /proc/$b/comm)\" = sleep ]; do :; done; sh -c 'kill -KILL $$'; kill -TERM $b; wait $b; exit 3",
        ],
    );
    let sh = root_pid(&r);
    let procs = processes(&r);
    let (first_index, first) = procs
        .iter()
        .cloned()
        .enumerate()
        .find(|(_, p)| p["signal"] == "SIGKILL")
        .unwrap_or_else(|| panic!("no SIGKILL death: {:#}", r.report["processes"]));
    assert_eq!(first["comm"], "sh", "{first:#}");
    assert!(text(&first["killed_by"]).starts_with("SIGKILL sent by itself, sh"), "{first:#}");
    assert!(first["follows"].is_null(), "{first:#}");
    let (_, second) = procs.iter().cloned().enumerate().find(|(_, p)| p["signal"] == "SIGTERM").expect("the SIGTERM death");
    assert_eq!(second["comm"], "sleep", "{second:#}");
    assert_eq!(second["follows"].as_u64(), Some(first_index as u64), "the supervisor killed it after the first death: {second:#}");
    let (_, shell) = fate_of(&r, sh);
    assert_eq!(shell["code"].as_i64(), Some(3), "{shell:#}");
    assert_eq!(shell["follows"].as_u64(), Some(first_index as u64), "{shell:#}");

    let first_line = line_index(&r.stderr, &format!("1. +{} ms  sh (pid {}): SIGKILL", first["t_ms"], first["pid"]));
    let second_line = line_index(&r.stderr, &format!("then +{} ms  sleep (pid {}): SIGTERM", second["t_ms"], second["pid"]));
    let shell_line = line_index(&r.stderr, &format!("then +{} ms  sh (pid {sh}): exited with code 3", shell["t_ms"]));
    assert!(first_line < second_line && second_line < shell_line, "{}", r.stderr);
    assert!(!r.stderr.contains("\n  2. +"), "one cascade only: {}", r.stderr);
}

#[test]
fn a_seccomp_kill_action_is_sigsys_with_the_syscall() {
    if !require_root() {
        return;
    }
    let seccomp = bin("dt-seccomp");
    let workload = bin("dt-workload");
    let r = run(&[], &[s(&seccomp), "--kill-process", "getppid", "--", s(&workload), "getppid-loop", "1"]);
    let (index, sig) = only_signal(&r, "SIGSYS");
    assert!(sig["sender"].is_null(), "the kernel sent it: {sig:#}");
    let reason = text(&sig["kernel_reason"]);
    assert!(reason.contains("seccomp") && reason.contains("kill action") && reason.contains("syscall getppid (110)"), "{reason}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    assert_eq!(sig["target_comm"], "dt-workload", "{sig:#}");
    let (_, p) = fate_of(&r, sig["target_pid"].as_u64().expect("pid"));
    assert_eq!(p["signal"], "SIGSYS", "{p:#}");
    assert_eq!(p["signal_index"].as_u64(), Some(index as u64), "{p:#}");
    assert!(text(&p["killed_by"]).contains("syscall getppid"), "{p:#}");
    assert_eq!(r.code, Some(128 + 31));
    assert!(r.stderr.contains("kill action of its filter (SECCOMP_RET_KILL_PROCESS or SECCOMP_RET_KILL_THREAD) refused syscall getppid (110)"), "{}", r.stderr);
}

#[test]
fn a_seccomp_trap_is_told_apart_from_a_kill() {
    if !require_root() {
        return;
    }
    let seccomp = bin("dt-seccomp");
    let workload = bin("dt-workload");
    let r = run(&[], &[s(&seccomp), "--trap", "getppid", "--", s(&workload), "getppid-loop", "1"]);
    let (_, sig) = only_signal(&r, "SIGSYS");
    let reason = text(&sig["kernel_reason"]);
    assert!(reason.contains("trap action") && reason.contains("getppid (110)") && !reason.contains("kill action"), "{reason}");
    assert_eq!(sig["fatal"], true, "dt-workload has no SIGSYS handler: {sig:#}");
}

#[test]
fn rlimit_fsize_gives_sigxfsz_with_the_limit() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("fate-fsize");
    let file = dir.join("big");
    let workload = bin("dt-workload");
    let r = run(&[], &["prlimit", "--fsize=100000", s(&workload), "write-big", s(&file), "200000"]);
    let (_, sig) = only_signal(&r, "SIGXFSZ");
    assert!(sig["sender"].is_null(), "{sig:#}");
    let reason = text(&sig["kernel_reason"]);
    assert!(reason.starts_with("RLIMIT_FSIZE") && reason.contains("file size limit of 100000 bytes"), "{reason}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    let (_, p) = fate_of(&r, sig["target_pid"].as_u64().expect("pid"));
    assert_eq!(p["signal"], "SIGXFSZ", "{p:#}");
    assert!(text(&p["killed_by"]).contains("100000 bytes"), "{p:#}");
    assert_eq!(r.code, Some(128 + 25));
    assert_eq!(std::fs::metadata(&file).map(|m| m.len()).ok(), Some(100_000), "the kernel stopped the file at the limit");
}

#[test]
fn rlimit_cpu_gives_sigxcpu_then_sigkill_with_the_limits() {
    if !require_root() {
        return;
    }
    // Soft 1 s, hard 2 s: SIGXCPU at 1 s of CPU time, whose default action kills.
    let r = run(&[], &["prlimit", "--cpu=1:2", "sh", "-c", "while :; do :; done"]);
    let (_, sig) = only_signal(&r, "SIGXCPU");
    assert!(sig["sender"].is_null(), "{sig:#}");
    let reason = text(&sig["kernel_reason"]);
    assert!(reason.starts_with("RLIMIT_CPU") && reason.contains("limit of 1 s") && reason.contains("hard limit 2 s"), "{reason}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    // Soft = hard = 1 s: the kernel sends SIGKILL at once.
    let r = run(&[], &["prlimit", "--cpu=1", "sh", "-c", "while :; do :; done"]);
    let (_, sig) = only_signal(&r, "SIGKILL");
    assert!(sig["sender"].is_null(), "the kernel sent it, not the process: {sig:#}");
    assert!(text(&sig["kernel_reason"]).contains("RLIMIT_CPU: it used its hard CPU time limit of 1 s"), "{sig:#}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
}

#[test]
fn sigpipe_ends_a_writer_whose_reader_left() {
    if !require_root() {
        return;
    }
    // Also checks that `run` hands the command SIGPIPE's default action (denytrace itself ignores it).
    let r = run(&[], &["sh", "-c", "yes | head -c 1 >/dev/null"]);
    let (index, sig) = only_signal(&r, "SIGPIPE");
    assert_eq!(sig["target_comm"], "yes", "{sig:#}");
    assert!(sig["sender"].is_null(), "{sig:#}");
    assert_eq!(sig["kernel_reason"], "it wrote to a pipe or socket whose reading end was closed", "{sig:#}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    let (_, p) = fate_of(&r, sig["target_pid"].as_u64().expect("pid"));
    assert_eq!(p["signal_index"].as_u64(), Some(index as u64), "{p:#}");
    assert_eq!(r.code, Some(0), "the pipeline's status is head's");
    assert!(!r.stderr.contains("Broken pipe"), "yes must not see EPIPE: {}", r.stderr);
}

#[test]
fn a_stop_is_recorded_and_not_fatal() {
    if !require_root() {
        return;
    }
    let r = run(&[], &["sh", "-c", "sleep 30 & p=$!; kill -STOP $p; sleep 0.1; kill -KILL $p; wait $p; exit 0"]);
    let sh = root_pid(&r);
    let (_, stop) = only_signal(&r, "SIGSTOP");
    assert_eq!(stop["fatal"], false, "{stop:#}");
    assert_eq!(stop["sender"]["pid"].as_u64(), Some(sh), "{stop:#}");
    let (_, kill) = only_signal(&r, "SIGKILL");
    assert_eq!(kill["fatal"], true, "{kill:#}");
    assert_eq!(kill["sender"]["pid"].as_u64(), Some(sh), "the parent, not the kernel: {kill:#}");
    let section = line_index(&r.stderr, "stop signals (the process stops unless it handles the signal");
    let line = line_index(&r.stderr, &format!("(pid {}): SIGSTOP: sent by its parent sh (pid {sh}", stop["target_pid"]));
    assert!(section < line, "{}", r.stderr);
}

/// A memory cgroup (v1) with a limit, and a guard that ends whatever is left in it (processes this
/// test started, by pid) before the directory is removed.
fn memory_cgroup(tag: &str, limit: u64) -> Option<(CgroupV1, Defer<impl FnMut()>)> {
    let python = PathBuf::from("/usr/bin/python3");
    if !require(python.exists(), "/usr/bin/python3 for the memory workloads") {
        return None;
    }
    let cg = CgroupV1::new("memory", tag);
    if !require(cg.is_some(), "the cgroup v1 memory controller at /sys/fs/cgroup/memory") {
        return None;
    }
    let cg = cg.expect("checked");
    cg.write("memory.limit_in_bytes", &limit.to_string());
    if cg.dir.join("memory.memsw.limit_in_bytes").exists() {
        // No swapping out of the limit (when the machine has swap).
        cg.write("memory.memsw.limit_in_bytes", &limit.to_string());
    }
    let procs = cg.dir.join("cgroup.procs");
    let guard = Defer(move || {
        for pid in std::fs::read_to_string(&procs).unwrap_or_default().split_whitespace() {
            if let Ok(pid) = pid.parse::<i32>() {
                // SAFETY: kill(2) with a pid read from this test's own cgroup.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    });
    Some((cg, guard))
}

#[test]
fn an_oom_kill_names_the_cgroup_and_its_limit() {
    if !require_root() {
        return;
    }
    let Some((cg, _guard)) = memory_cgroup("oom", 32 << 20) else { return };
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec /usr/bin/python3 -c 'x = b\"x\" * 10**9'",
        s(&cg.dir)
    );
    let r = run(&[], &["sh", "-c", &script]);
    let root = root_pid(&r);
    let (index, sig) = only_signal(&r, "SIGKILL");
    assert_eq!(sig["target_pid"].as_u64(), Some(root), "{sig:#}");
    assert!(sig["sender"].is_null(), "the kernel killed it, not the process itself: {sig:#}");
    let reason = text(&sig["kernel_reason"]);
    let name = cg.dir.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(reason.starts_with("the OOM killer chose it"), "{reason}");
    assert!(reason.contains(&format!("memory cgroup /{name}")), "{reason}");
    assert!(reason.contains("memory.limit_in_bytes = 33554432 bytes (32 MiB)"), "{reason}");
    assert!(!reason.contains("allocation that failed was made by"), "the victim itself was allocating: {reason}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    let (_, p) = fate_of(&r, root);
    assert_eq!(p["signal"], "SIGKILL", "{p:#}");
    assert_eq!(p["signal_index"].as_u64(), Some(index as u64), "{p:#}");
    assert!(text(&p["killed_by"]).contains("33554432"), "{p:#}");
    assert_eq!(r.code, Some(128 + 9));
    assert!(r.stderr.contains("SIGKILL: the OOM killer chose it: memory cgroup"), "{}", r.stderr);
}

#[test]
fn an_oom_kill_triggered_by_another_process_blames_neither() {
    if !require_root() {
        return;
    }
    // A hog holds 40 MiB of a 64 MiB cgroup; then another process allocates. The kernel kills the
    // hog (the largest) from the allocator's context: the verdict must be the OOM killer, with the
    // allocator named as the trigger, never as the sender.
    let Some((cg, _guard)) = memory_cgroup("oom2", 64 << 20) else { return };
    let dir = TempDir::new("fate-oom2");
    let ready = dir.join("ready");
    let script = format!(
        "echo $$ > {cg}/cgroup.procs || exit 99
/usr/bin/python3 -c 'import sys, time; x = b\"x\" * (40 << 20); open(sys.argv[1], \"w\").close(); time.sleep(30)' {ready} &
while [ ! -e {ready} ]; do sleep 0.05; done
exec /usr/bin/python3 -c 'import time
y = []
for _ in range(30):
    y.append(b\"y\" * (1 << 20)); time.sleep(0.005)'",
        cg = s(&cg.dir),
        ready = s(&ready)
    );
    let r = run(&[], &["sh", "-c", &script]);
    let allocator = root_pid(&r);
    assert_eq!(r.report["exit"]["code"].as_i64(), Some(0), "the allocator survived: {}", r.stderr);
    let (_, sig) = only_signal(&r, "SIGKILL");
    let victim = sig["target_pid"].as_u64().expect("pid");
    assert_ne!(victim, allocator, "{sig:#}");
    assert!(sig["sender"].is_null(), "the allocator's context is not a sender: {sig:#}");
    let reason = text(&sig["kernel_reason"]);
    assert!(reason.starts_with("the OOM killer chose it") && reason.contains("67108864 bytes (64 MiB)"), "{reason}");
    assert!(reason.contains(&format!("the allocation that failed was made by python3 (pid {allocator})")), "{reason}");
    let (_, p) = fate_of(&r, victim);
    assert_eq!(p["signal"], "SIGKILL", "{p:#}");
    assert!(text(&p["killed_by"]).starts_with("SIGKILL: the OOM killer chose it"), "{p:#}");
}

/// The children of `pid` (every thread's).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(text.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    out
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned()
}

#[test]
fn a_kill_from_outside_the_traced_set_names_the_sender() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("fate-outside");
    let report = dir.join("report.json");
    let denytrace = Child(
        Command::new(bin("denytrace"))
            .args(["run", "--report", s(&report), "--", "sleep", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting denytrace"),
    );
    let mut target = None;
    assert!(
        wait_for(20, || {
            target = children(denytrace.pid()).into_iter().find(|&c| comm(c) == "sleep");
            target.is_some()
        }),
        "denytrace never started sleep"
    );
    let target = target.expect("found");
    let _reap = Defer(move || {
        if comm(target) == "sleep" {
            // SAFETY: kill(2) on the sleep this test started, should the test fail before its kill.
            unsafe { libc::kill(i32::try_from(target).expect("pid"), libc::SIGKILL) };
        }
    });
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let my_comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).expect("own comm");
    // SAFETY: kill(2) on the sleep this test started through denytrace.
    assert_eq!(unsafe { libc::kill(i32::try_from(target).expect("pid"), libc::SIGTERM) }, 0);
    let mut denytrace = denytrace;
    let status = exit_within(&mut denytrace, 20);
    assert!(status.is_some(), "denytrace did not end after its command was killed");
    assert_eq!(status.and_then(|s| s.code()), Some(128 + 15));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut denytrace.0.stderr.take().expect("piped"), &mut stderr).expect("stderr");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON report");
    let sigs = r["signals"].as_array().cloned().unwrap_or_default();
    let sig = sigs.iter().find(|s| s["signal"] == "SIGTERM").unwrap_or_else(|| panic!("no SIGTERM: {:#}\n{stderr}", r["signals"]));
    assert_eq!(sig["target_pid"].as_u64(), Some(u64::from(target)), "{sig:#}");
    assert_eq!(sig["sender"]["pid"].as_u64(), Some(u64::from(std::process::id())), "{sig:#}");
    assert_eq!(sig["sender"]["comm"].as_str(), Some(my_comm.trim()), "{sig:#}");
    // SAFETY: getuid has no preconditions.
    assert_eq!(sig["sender"]["uid"].as_u64(), Some(u64::from(unsafe { libc::getuid() })), "{sig:#}");
    assert_eq!(sig["sender"]["traced"], false, "{sig:#}");
    assert_eq!(sig["sender"]["relation"], "other", "{sig:#}");
    let exe = std::env::current_exe().expect("own exe");
    assert_eq!(sig["sender"]["exe"].as_str(), exe.to_str(), "{sig:#}");
    assert_eq!(sig["fatal"], true, "{sig:#}");
    let fate = r["processes"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["pid"].as_u64() == Some(u64::from(target))).cloned())
        .expect("the sleep's fate");
    let by = text(&fate["killed_by"]);
    assert!(by.contains(&format!("(pid {}, uid", std::process::id())) && by.ends_with("outside the traced set)"), "{by}");
    assert!(stderr.contains("outside the traced set)"), "{stderr}");
}

#[test]
fn a_refused_kill_is_a_capability_denial_with_its_target() {
    if !require_root() {
        return;
    }
    let victim = Child(Command::new("sleep").arg("30").spawn().expect("starting sleep"));
    let dir = TempDir::new("fate-refused");
    let workload = nobody_bin("dt-workload", &dir);
    let pid = victim.pid().to_string();
    let r = run_clean(&["--user", "65534"], &[s(&workload), "kill", &pid, "TERM"]);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let d = denytrace_tests::find_denial(&r.report, &["kill"], None).unwrap_or_else(|| panic!("no kill denial: {}", r.stderr));
    assert_eq!(d["errno"], "EPERM", "{d:#}");
    assert_eq!(d["syscall"]["args"]["pid"].as_str(), Some(pid.as_str()), "the target is visible: {d:#}");
    assert_eq!(d["syscall"]["args"]["sig"], "SIGTERM", "{d:#}");
    assert_eq!(d["cause"]["kind"], "capability", "{d:#}");
    assert_eq!(d["cause"]["detail"]["capability"], "CAP_KILL", "{d:#}");
    assert!(signals(&r).iter().all(|s| s["target_pid"].as_u64() != Some(u64::from(victim.pid()))), "no signal was generated");
    let section = line_index(&r.stderr, "refused signals (denials above):");
    let line = line_index(&r.stderr, &format!("kill(pid={pid}, sig=SIGTERM) by dt-workload"));
    assert!(section < line && r.stderr.lines().nth(line).is_some_and(|l| l.contains("CAP_KILL")), "{}", r.stderr);
    assert!(comm(victim.pid()) == "sleep", "the victim lives on");
}

#[test]
fn watch_prints_deaths_as_they_happen() {
    if !require_root() {
        return;
    }
    // The target kills a fresh child every 200 ms until told to stop, so the watch sees one
    // whenever it is ready; the test stops it once a death was printed.
    let dir = TempDir::new("fate-watch");
    let stop = dir.join("stop");
    let script = format!(
        "while [ ! -e {stop} ]; do sleep 30 & sleep 0.2; kill -TERM $!; wait $!; done",
        stop = s(&stop)
    );
    let target = Child(Command::new("sh").args(["-c", &script]).stderr(Stdio::null()).spawn().expect("starting the target"));
    let sh = target.pid();
    let mut watch = Child(
        Command::new(bin("denytrace"))
            .args(["watch", "--pid", &sh.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting denytrace watch"),
    );
    let stdout = watch.0.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let want = format!("SIGTERM sent by its parent sh (pid {sh}, uid 0");
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let died = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let hit = line.starts_with("died: sleep (pid ") && line.contains(&want);
                seen.push(line);
                if hit {
                    break true;
                }
            }
            Err(_) => break false,
        }
    };
    std::fs::write(&stop, b"").expect("stop file");
    assert!(died, "no live death line with {want:?}; stdout: {seen:#?}");
    let status = exit_within(&mut watch, 20);
    assert!(status.is_some(), "watch did not end with its process");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut watch.0.stderr.take().expect("piped"), &mut stderr).expect("stderr");
    assert!(stderr.contains("processes that died (first death first):"), "{stderr}");
}
