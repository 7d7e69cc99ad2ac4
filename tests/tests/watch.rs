//! `denytrace watch`: live lines for a watched pid and its children, the end when the pid exits,
//! and a clean detach: after SIGINT, and after SIGKILL of denytrace itself (the kernel drops
//! everything). Programs are told apart by the ids denytrace's own descriptors hold, since other
//! tests load `dt_*` programs at the same time.

use std::{
    io::Read as _,
    process::{Command, Stdio},
};

use denytrace_tests::{
    Child, TempDir, bin, catches_signal, bpf_ids_of, bpf_link_exists, bpf_prog_exists, nobody_shell, open_dir,
    require_root, root_secret, s, wait_for,
};

/// Raw tracepoints denytrace attaches on this kernel (fork, exit, exec, `cap_capable`,
/// `signal_generate`, `mark_victim`, `sys_enter`, `sys_exit`).
const ATTACHMENTS: usize = 8;

/// Starts `denytrace watch ARGS`, with stdout and stderr to files in `dir`.
fn start_watch(args: &[&str], dir: &TempDir) -> Child {
    let child = Command::new(bin("denytrace"))
        .arg("watch")
        .args(args)
        .stdout(std::fs::File::create(dir.join("watch.out")).expect("stdout file"))
        .stderr(std::fs::File::create(dir.join("watch.err")).expect("stderr file"))
        .spawn()
        .expect("starting denytrace watch");
    Child(child)
}

/// Waits until `pid` holds all its attachments; returns its program and link ids.
fn attached(pid: u32) -> (Vec<u32>, Vec<u32>) {
    assert!(wait_for(20, || bpf_ids_of(pid).1.len() >= ATTACHMENTS), "denytrace (pid {pid}) never attached its programs");
    let (progs, links) = bpf_ids_of(pid);
    assert!(progs.len() >= ATTACHMENTS, "programs {progs:?}");
    for &id in &progs {
        assert!(bpf_prog_exists(id), "program {id} is loaded");
    }
    for &id in &links {
        assert!(bpf_link_exists(id), "link {id} exists");
    }
    (progs, links)
}

/// Waits until none of the ids exists any more (the kernel frees them after the last reference).
fn assert_all_gone(progs: &[u32], links: &[u32], what: &str) {
    let gone = wait_for(10, || progs.iter().all(|&id| !bpf_prog_exists(id)) && links.iter().all(|&id| !bpf_link_exists(id)));
    let left: Vec<u32> = progs.iter().copied().filter(|&id| bpf_prog_exists(id)).collect();
    let left_links: Vec<u32> = links.iter().copied().filter(|&id| bpf_link_exists(id)).collect();
    assert!(gone, "{what}: programs {left:?} and links {left_links:?} are still in the kernel");
}

fn wait_exit(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    denytrace_tests::exit_within(child, secs).unwrap_or_else(|| panic!("denytrace did not exit within {secs} s"))
}

fn read(dir: &TempDir, name: &str) -> String {
    let mut text = String::new();
    std::fs::File::open(dir.join(name)).and_then(|mut f| f.read_to_string(&mut text)).expect("reading output");
    text
}

fn sleeper() -> Child {
    Child(Command::new("/bin/sleep").arg("30").stdin(Stdio::null()).spawn().expect("starting sleep"))
}

#[test]
fn sigint_detaches_cleanly_and_prints_the_summary() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("sigint");
    let target = sleeper();
    let mut watch = start_watch(&["--pid", &target.pid().to_string()], &dir);
    let (progs, links) = attached(watch.pid());
    // denytrace installs its SIGINT handler after attaching: before that, SIGINT kills it.
    assert!(wait_for(10, || catches_signal(watch.pid(), libc::SIGINT)), "denytrace never handled SIGINT");
    // SAFETY: kill on the pid of a child we started and have not reaped.
    assert_eq!(unsafe { libc::kill(i32::try_from(watch.pid()).expect("pid"), libc::SIGINT) }, 0);
    let status = wait_exit(&mut watch, 10);
    let err = read(&dir, "watch.err");
    assert_eq!(status.code(), Some(0), "stderr:\n{err}");
    assert!(err.contains("denytrace: watch ended: interrupt"), "{err}");
    assert!(err.contains("0 refused syscalls (0 distinct)"), "the summary: {err}");
    assert_all_gone(&progs, &links, "after SIGINT");
}

#[test]
fn sigkill_of_denytrace_leaves_nothing_attached() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("sigkill");
    let target = sleeper();
    let mut watch = start_watch(&["--pid", &target.pid().to_string()], &dir);
    let (progs, links) = attached(watch.pid());
    watch.0.kill().expect("SIGKILL denytrace");
    let status = wait_exit(&mut watch, 10);
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGKILL));
    assert_all_gone(&progs, &links, "after SIGKILL");
    assert!(bpf_ids_of(target.pid()).0.is_empty(), "the watched process holds none of them");
}

/// `watch --pid`: one line per distinct denial of the pid and of its child, printed while they
/// happen; watch ends by itself when the pid exits.
#[test]
fn watch_pid_prints_live_lines_and_ends_with_the_pid() {
    let Some((dir, workload, [first, second])) = denytrace_tests::scratch_with_secrets("watchpid", ["first", "second"]) else {
        return;
    };
    let stop = dir.join("stop");
    // Fails on `first` until told to stop (so the test knows tracing is live once a line shows),
    // then a child shell fails once on `second`, then the watched shell exits.
    let script = format!(
        "while [ ! -e {stop} ]; do {w} open {first} ro; sleep 0.05; done; sh -c '{w} open {second} ro; true'; exit 0",
        stop = s(&stop),
        w = s(&workload),
        first = s(&first),
        second = s(&second),
    );
    let target = Child(
        nobody_shell(&script)
            .stdout(Stdio::null())
            .spawn()
            .expect("starting the watched shell"),
    );
    let report = dir.join("report.json");
    let mut watch = start_watch(&["--pid", &target.pid().to_string(), "--report", s(&report)], &dir);
    let line_for = |path: &str| read(&dir, "watch.out").lines().filter(|l| l.contains(path)).count();
    assert!(wait_for(20, || line_for(s(&first)) > 0), "no live line for the first denial: {}", read(&dir, "watch.err"));
    // The loop is still running: the line was printed live, not at the end.
    assert!(watch.0.try_wait().expect("try_wait").is_none(), "watch still runs");
    std::fs::write(&stop, "").expect("stop file");
    let status = wait_exit(&mut watch, 20);
    let out = read(&dir, "watch.out");
    let err = read(&dir, "watch.err");
    assert_eq!(status.code(), Some(0), "stderr:\n{err}");
    assert!(err.contains("denytrace: watch ended: the watched process exited"), "{err}");
    assert_eq!(line_for(s(&first)), 1, "repeats of one distinct denial make one line:\n{out}");
    assert_eq!(line_for(s(&second)), 1, "the child's denial has its line:\n{out}");
    let first_line = out.lines().find(|l| l.contains(s(&first))).expect("first line");
    assert!(first_line.contains("EACCES") && first_line.contains("openat"), "{first_line}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(r["target"]["mode"].as_str(), Some("pid"));
    assert_eq!(r["target"]["pid"].as_u64(), Some(u64::from(target.pid())));
    let d1 = denytrace_tests::find_denial(&r, &["openat"], Some(s(&first))).expect("first in the report");
    let d2 = denytrace_tests::find_denial(&r, &["openat"], Some(s(&second))).expect("second in the report");
    assert!(d1["count"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(d2["count"].as_u64(), Some(1));
    assert_ne!(d2["process"]["ppid"].as_u64(), Some(u64::from(target.pid())), "second came from a grandchild");
    for d in [&d1, &d2] {
        assert_eq!(d["cause"]["kind"].as_str(), Some("dac"), "{d:#}");
    }
    drop(target);
}

/// `watch --cgroup` follows a process that moves into the watched cgroup and out again, though
/// each of its threads' membership is noted between syscalls: the shell's refused open before the
/// move and after it moved out are not reported, the one while inside is. The shell makes the
/// refused opens itself (`true < FILE`: a regular builtin, so the failed redirection does not end
/// the shell) and waits with builtins only, so nothing but the move tells
/// the programs it changed cgroup. The report says the membership cache was used.
#[test]
fn watch_cgroup_follows_a_process_moving_in_and_out() {
    let Some(root) = denytrace_tests::require_root_and_cgroup2() else {
        return;
    };
    let cg = root.join(format!("denytrace-test-move-{}", std::process::id()));
    std::fs::create_dir(&cg).expect("mkdir");
    let dir = TempDir::new("cg-move");
    open_dir(&dir.0);
    let (before, inside, after) = (dir.join("before"), dir.join("inside"), dir.join("after"));
    for f in [&before, &inside, &after] {
        root_secret(f);
    }
    let report = dir.join("report.json");
    let mut watch = start_watch(&["--report", s(&report), "--cgroup", s(&cg)], &dir);
    attached(watch.pid());
    let script = format!(
        "true 2>/dev/null < {b}; : > {d}/step1; while [ ! -e {d}/go1 ]; do :; done; \
         true 2>/dev/null < {i}; : > {d}/step2; while [ ! -e {d}/go2 ]; do :; done; \
         true 2>/dev/null < {a}; : > {d}/step3",
        b = s(&before),
        i = s(&inside),
        a = s(&after),
        d = s(&dir.0),
    );
    let mut shell = Child(
        nobody_shell(&script)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the shell"),
    );
    let leave = |pid: u32| std::fs::write(root.join("cgroup.procs"), pid.to_string());
    let cleanup = denytrace_tests::Defer(|| {
        let _ = std::fs::remove_dir(&cg);
    });
    assert!(wait_for(20, || dir.join("step1").exists()), "the shell's first open");
    std::fs::write(cg.join("cgroup.procs"), shell.pid().to_string()).expect("moving the shell in");
    std::fs::write(dir.join("go1"), "").expect("go1");
    assert!(wait_for(20, || dir.join("step2").exists()), "the shell's second open");
    leave(shell.pid()).expect("moving the shell out");
    std::fs::write(dir.join("go2"), "").expect("go2");
    assert!(wait_for(20, || dir.join("step3").exists()), "the shell's third open");
    assert!(shell.0.wait().expect("reaping the shell").success());
    // SAFETY: signalling the denytrace this test started, by its pid.
    unsafe { libc::kill(i32::try_from(watch.pid()).expect("pid"), libc::SIGTERM) };
    assert!(wait_exit(&mut watch, 20).success(), "{}", read(&dir, "watch.err"));
    drop(cleanup);
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    let paths: Vec<(&str, u64)> = r["denials"]
        .as_array()
        .expect("denials")
        .iter()
        .map(|d| (d["path"].as_str().unwrap_or(""), d["count"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(paths, vec![(s(&inside), 1)], "only the open made inside the cgroup: {:#}", r["denials"]);
    let cache = r["host"]["mechanisms"].as_array().expect("mechanisms").iter().find(|m| m["name"] == "raw_tracepoint:cgroup_attach_task").cloned();
    assert_eq!(cache.map(|m| m["used"].clone()), Some(serde_json::Value::Bool(true)), "{:#}", r["host"]["mechanisms"]);
}
