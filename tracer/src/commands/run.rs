//! `denytrace run -- CMD`: trace a command and its descendants from their first syscall.
//!
//! The child is forked held on a pipe, added to the traced set, and only then released to exec,
//! so nothing it does escapes tracing.

use std::{
    ffi::{CStr, CString, OsString},
    os::{
        fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
        unix::{ffi::OsStrExt as _, fs::PermissionsExt as _},
    },
    path::{Path, PathBuf},
};

use anyhow::{Context as _, Result, anyhow};
use tokio::signal::unix::{SignalKind, signal};

use super::{Failure, child, session::{self, Session}};
use crate::{
    cli::{EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, RunArgs},
    clock::Clock,
    fate::signal_name,
    loader::{Scope, Settings},
    model::{ExitStatus, Target},
    text::Text,
};

/// Finds the command like execvp would, so a missing command is reported before tracing starts.
fn resolve(program: &OsString) -> Result<PathBuf> {
    let p = Path::new(program);
    let check = |path: &Path| -> Option<Result<PathBuf>> {
        let meta = std::fs::metadata(path).ok()?;
        if meta.is_dir() || meta.permissions().mode() & 0o111 == 0 {
            return Some(Err(Failure { code: EXIT_CANNOT_EXECUTE, message: format!("{}: not executable", Text::from_bytes(path.as_os_str().as_bytes())) }.into()));
        }
        Some(Ok(path.to_path_buf()))
    };
    if p.as_os_str().as_bytes().contains(&b'/') {
        return check(p).unwrap_or_else(|| Err(not_found(program)));
    }
    let path_var = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path_var) {
        if let Some(found) = check(&dir.join(p)) {
            if found.is_ok() {
                return found;
            }
        }
    }
    Err(not_found(program))
}

fn not_found(program: &OsString) -> anyhow::Error {
    Failure { code: EXIT_NOT_FOUND, message: format!("{}: command not found", Text::from_bytes(program.as_bytes())) }.into()
}

/// A passwd entry: what `--user-groups` needs to list a user's groups.
struct Passwd {
    name: CString,
    uid: u32,
    gid: u32,
}

/// Copies the entry `pw` points to (null: no entry).
///
/// # Safety
/// `pw` is null or the fresh result of `getpwnam`/`getpwuid`, read before any other lookup.
unsafe fn passwd(pw: *const libc::passwd) -> Option<Passwd> {
    // SAFETY: non-null results point to a valid passwd entry with a NUL-terminated name.
    (!pw.is_null()).then(|| unsafe {
        Passwd { name: CStr::from_ptr((*pw).pw_name).to_owned(), uid: (*pw).pw_uid, gid: (*pw).pw_gid }
    })
}

/// The groups `initgroups(name, gid)` would set: `gid` and every group the group database lists
/// `name` in; sorted and without duplicates, as the kernel keeps them.
fn group_list(name: &CStr, gid: u32) -> Result<Vec<libc::gid_t>> {
    let mut room: libc::c_int = 32;
    loop {
        let mut groups: Vec<libc::gid_t> = vec![0; usize::try_from(room)?];
        let mut count = room;
        // SAFETY: `groups` has room for `count` entries; the name is NUL-terminated.
        let rc = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &raw mut count) };
        if rc >= 0 {
            groups.truncate(usize::try_from(count)?);
            groups.sort_unstable();
            groups.dedup();
            return Ok(groups);
        }
        // Too small: glibc has set `count` to the number needed.
        room = if count > room { count } else { room.saturating_mul(2) };
        if room > 1 << 20 {
            anyhow::bail!("listing the groups of {name:?}: more than {} groups", 1 << 20);
        }
    }
}

/// `--user UID[:GID]` (names resolved through the user database) and, with `--user-groups`, the
/// user's supplementary groups: all resolved here, before the fork.
fn parse_user(spec: &str, with_groups: bool) -> Result<child::Credentials> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let (uid, default_gid, entry) = if let Ok(uid) = user.parse::<u32>() {
        (uid, uid, None)
    } else {
        let c = CString::new(user).map_err(|_| anyhow!("unknown user {user:?} in --user"))?;
        // SAFETY: getpwnam with a NUL-terminated name; `passwd` copies the result at once.
        let pw = unsafe { passwd(libc::getpwnam(c.as_ptr())) }.ok_or_else(|| anyhow!("unknown user {user:?} in --user"))?;
        (pw.uid, pw.gid, Some(pw))
    };
    let gid = match group {
        None => default_gid,
        Some(g) => {
            if let Ok(gid) = g.parse::<u32>() {
                gid
            } else {
                let c = CString::new(g)?;
                // SAFETY: getgrnam with a NUL-terminated name; the result is read immediately.
                let gr = unsafe { libc::getgrnam(c.as_ptr()) };
                if gr.is_null() {
                    anyhow::bail!("unknown group {g:?} in --user");
                }
                // SAFETY: non-null result.
                unsafe { (*gr).gr_gid }
            }
        }
    };
    let groups = if with_groups {
        let entry = match entry {
            Some(pw) => pw,
            // SAFETY: getpwuid has no preconditions; `passwd` copies the result at once.
            None => unsafe { passwd(libc::getpwuid(uid)) }.ok_or_else(|| {
                anyhow!(
                    "--user-groups needs a user known to the system: uid {uid} has no entry in the \
                     user database"
                )
            })?,
        };
        group_list(&entry.name, entry.gid)?
    } else {
        Vec::new()
    };
    Ok(child::Credentials { uid, gid, groups })
}

/// Runs `denytrace run`.
pub async fn run(mut args: RunArgs) -> Result<u8> {
    let program = resolve(&args.command[0])?;
    // Bad --suggest formats or --policy files are refused before the command runs.
    crate::suggest::parse_formats(&args.suggest)?;
    if let Some(policy) = args.policy.as_deref() {
        crate::suggest::load_policy(policy)?;
    }
    let artifacts = crate::artifacts::prepare(&mut args)?;
    let user = args.user.as_deref().map(|spec| parse_user(spec, args.user_groups)).transpose()?;
    if let Some(user) = &user {
        // The report's `target.user` is `--user` as given; the groups each refused process really
        // had are in the evidence of its DAC verdicts.
        let groups = if user.groups.is_empty() {
            "no supplementary group".to_owned()
        } else {
            format!("supplementary groups {:?}", user.groups)
        };
        let how = if args.user_groups { "the user's, --user-groups" } else { "cleared" };
        tracing::info!("the command runs as uid {}, gid {}, {groups} ({how})", user.uid, user.gid);
    }
    let mut settings = Settings::new(Scope::Pids);
    if let Some(errnos) = super::parse_errnos(&args.output.errnos)? {
        settings.errnos = errnos;
    }
    let clock = Clock::start();
    // Handlers first, so a signal while the programs load is not fatal.
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut session = Session::start(&settings, &args.output, clock)?;

    let held = child::spawn_held(&program, &args.command, user.as_ref())?;
    let pid = held.pid;
    if let Err(err) = session.tracer_mut().mark_pid(pid, true) {
        // Never let the command run untraced: it is still held, so stop it.
        held.abandon();
        return Err(err.context("adding the command to the traced set"));
    }
    let pidfd = pidfd_open(pid);
    if let Err(e) = held.release() {
        let _ = child::wait(pid);
        let code = if e.kind() == std::io::ErrorKind::NotFound { EXIT_NOT_FOUND } else { EXIT_CANNOT_EXECUTE };
        return Err(Failure { code, message: format!("{}: {e}", program.display()) }.into());
    }
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child::wait(pid));
    });
    let mut sighup = signal(SignalKind::hangup())?;
    let mut interrupts = 0;
    let status = loop {
        tokio::select! {
            res = session.readable() => {
                res?;
                session.drain(|_, _| {})?;
            }
            status = &mut rx => break Some(status.context("waiting for the command")??),
            _ = sigterm.recv() => forward(pidfd.as_ref(), libc::SIGTERM),
            _ = sighup.recv() => forward(pidfd.as_ref(), libc::SIGHUP),
            _ = sigint.recv() => {
                // The terminal sent SIGINT to the command too; a second one stops tracing.
                interrupts += 1;
                if interrupts >= 2 {
                    eprintln!("denytrace: second interrupt: detaching; the command goes on untraced");
                    break None;
                }
            }
        }
    };
    // Records of the last moments are still in flight on other CPUs: give them a moment.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let exit = status.map(|s| match (libc::WIFEXITED(s).then(|| libc::WEXITSTATUS(s)), libc::WIFSIGNALED(s).then(|| libc::WTERMSIG(s))) {
        (Some(code), _) => ExitStatus { code: Some(code), signal: None, status: code },
        (None, Some(sig)) => ExitStatus {
            code: None,
            signal: Some(signal_name(u32::try_from(sig).unwrap_or(0))),
            status: 128 + sig,
        },
        _ => ExitStatus { code: None, signal: None, status: 1 },
    });
    let target = Target {
        mode: "run".into(),
        command: Some(args.command.iter().map(|a| Text::from_bytes(a.as_bytes())).collect()),
        pid: Some(pid),
        cgroup: None,
        user: args.user.clone(),
    };
    let status_code = exit.as_ref().map_or(EXIT_FAILURE_U8, |e| u8::try_from(e.status & 0xff).unwrap_or(1));
    let mut report = session.finish(target, exit)?;
    crate::suggest::for_run(&mut report, &args.suggest, args.policy.as_deref());
    // Artifacts hold the final report: keep this after anything that adds to it (suggestions).
    crate::artifacts::finish(artifacts, &report, &args);
    session::emit(&report, &args.output)?;
    Ok(status_code)
}

const EXIT_FAILURE_U8: u8 = crate::cli::EXIT_FAILURE;

/// A pidfd for the command, so forwarded signals can never reach a reused pid.
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open(pid, 0) returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0u32) };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: a fresh descriptor we own.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn forward(pidfd: Option<&OwnedFd>, sig: i32) {
    if let Some(fd) = pidfd {
        // SAFETY: pidfd_send_signal on our own live pidfd, no siginfo.
        unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), sig, std::ptr::null::<u8>(), 0u32) };
    }
}
