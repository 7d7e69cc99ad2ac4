//! `denytrace watch (--pid PID | --cgroup PATH | --all)`: trace running processes, one line per new
//! distinct denial as it happens, and the summary at the end.

use std::{
    os::fd::{FromRawFd as _, OwnedFd},
    time::Duration,
};

use anyhow::{Result, bail};
use tokio::signal::unix::{SignalKind, signal};

use super::session::{self, Session};
use crate::{
    cli::WatchArgs,
    clock::Clock,
    collect::Update,
    kernel::cgroup,
    loader::{Scope, Settings},
    model::Target,
    procinfo, render,
    text::Text,
};

/// Runs `denytrace watch`.
pub async fn watch(args: WatchArgs) -> Result<u8> {
    let (scope, target, cgroup_dir) = if let Some(pid) = args.pid {
        if !procinfo::alive(pid) {
            bail!("no process {pid}");
        }
        (Scope::Pids, Target { mode: "pid".into(), command: None, pid: Some(pid), cgroup: None, user: None }, None)
    } else if let Some(dir) = &args.cgroup {
        let cg = cgroup::target(dir)?;
        let shown = Text::from_bytes(dir.as_os_str().as_encoded_bytes());
        (
            Scope::Cgroup { id: cg.id, level: cg.level },
            Target { mode: "cgroup".into(), command: None, pid: None, cgroup: Some(shown), user: None },
            Some(dir.clone()),
        )
    } else {
        (Scope::All, Target { mode: "all".into(), command: None, pid: None, cgroup: None, user: None }, None)
    };
    let mut settings = Settings::new(scope);
    if let Some(errnos) = super::parse_errnos(&args.output.errnos)? {
        settings.errnos = errnos;
    }
    let clock = Clock::start();
    // Handlers first: a Ctrl-C while the programs load still ends with a summary.
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut session = Session::start(&settings, &args.output, clock)?;
    let mut pidfd = None;
    if let Some(pid) = args.pid {
        // Mark the tree, then look again for children forked while the first pass ran.
        for _ in 0..2 {
            for p in procinfo::descendants(pid) {
                for tid in procinfo::threads(p) {
                    session.tracer_mut().mark_pid(tid, false)?;
                }
            }
        }
        pidfd = pidfd_open(pid).map(session::async_fd).transpose()?;
        if pidfd.is_none() {
            bail!("no process {pid}");
        }
    }
    eprintln!("denytrace: watching {} (Ctrl-C or SIGTERM to stop)", describe_target(&target));
    let live_json = args.output.json;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let print = |c: &crate::collect::Collector, u: Update| match u {
        Update::NewDenial(i) => {
            let e = c.entry(i);
            if live_json {
                crate::out::line(&serde_json::to_string(e).unwrap_or_default());
            } else {
                crate::out::line(&render::line(e));
            }
        }
        Update::Count(i) if !live_json => {
            let e = c.running(i);
            crate::out::line(&format!("  x{} so far: {}", e.count, render::line(&e)));
        }
        Update::Exit => {
            if let Some(f) = &c.fates.last_exit {
                if let Some(by) = &f.killed_by {
                    if !live_json {
                        crate::out::line(&format!("died: {} (pid {}): {}", f.comm.term(), f.pid, crate::text::prose(by)));
                    }
                }
            }
        }
        _ => {}
    };
    let reason = loop {
        tokio::select! {
            res = session.readable() => {
                res?;
                session.drain(print)?;
            }
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "interrupt",
            res = async { pidfd.as_ref().expect("guarded").readable().await }, if pidfd.is_some() => {
                drop(res?);
                break "the watched process exited";
            }
            _ = tick.tick() => {
                if let Some(dir) = &cgroup_dir {
                    if !dir.join("cgroup.procs").exists() {
                        break "the watched cgroup was removed";
                    }
                }
            }
        }
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    session.drain(print)?;
    eprintln!("denytrace: watch ended: {reason}");
    let report = session.finish(target, None)?;
    session::emit(&report, &args.output)?;
    Ok(0)
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open(pid, 0) returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0u32) };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: a fresh descriptor we own.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn describe_target(t: &Target) -> String {
    match (t.pid, &t.cgroup) {
        (Some(pid), _) => format!("pid {pid} and its descendants"),
        (None, Some(cg)) => format!("cgroup {}", cg.term()),
        _ => "every process".to_owned(),
    }
}
