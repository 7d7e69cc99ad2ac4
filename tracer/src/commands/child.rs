//! Starting the traced command: forked and held before exec until denytrace has added it to the
//! traced set, then released. (`std::process::Command::spawn` cannot do this: it returns only after
//! the exec.)

use std::{
    ffi::{CString, OsString},
    os::{
        fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
        unix::ffi::OsStrExt as _,
    },
    path::Path,
};

use anyhow::{Context as _, Result, anyhow};

/// A forked child waiting for [`Held::release`] before it executes the command.
pub struct Held {
    /// Its pid.
    pub pid: u32,
    release: OwnedFd,
    errors: OwnedFd,
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into the live array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    // SAFETY: both descriptors are fresh and owned here.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn cstring(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| anyhow!("an argument contains a NUL byte"))
}

/// Who the command runs as with `--user`, resolved before the fork (the child makes no user or
/// group database lookup).
#[derive(Debug)]
pub struct Credentials {
    /// Real, effective and saved uid.
    pub uid: u32,
    /// Real, effective and saved gid.
    pub gid: u32,
    /// Supplementary groups; empty for none.
    pub groups: Vec<libc::gid_t>,
}

/// Forks a child that will exec `program` with `args` (argv\[0\] included), optionally as
/// `user` (its supplementary groups, gid, then uid) with only stdio passed on.
pub fn spawn_held(program: &Path, args: &[OsString], user: Option<&Credentials>) -> Result<Held> {
    // Everything the child needs is allocated before fork: after it only async-signal-safe calls.
    let path = cstring(program.as_os_str().as_bytes())?;
    let argv_owned = args.iter().map(|a| cstring(a.as_bytes())).collect::<Result<Vec<_>>>()?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv_owned.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let (hold_r, hold_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    // SAFETY: fork has no preconditions; the child branch below only makes async-signal-safe
    // calls on memory allocated before the fork, and always ends in execv or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error()).context("fork");
    }
    if pid == 0 {
        // SAFETY: child side, see above.
        unsafe { child(&path, &argv_ptrs, hold_r.as_raw_fd(), hold_w.as_raw_fd(), err_w.as_raw_fd(), user) }
    }
    drop(hold_r);
    drop(err_w);
    Ok(Held { pid: u32::try_from(pid)?, release: hold_w, errors: err_r })
}

/// The child's side; never returns.
///
/// # Safety
/// Only to be called in a freshly forked child.
unsafe fn child(
    path: &CString,
    argv: &[*const libc::c_char],
    hold_r: i32,
    hold_w: i32,
    err_w: i32,
    user: Option<&Credentials>,
) -> ! {
    let fail = |step: u8| -> ! {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut msg = [0u8; 5];
        msg[0] = step;
        msg[1..].copy_from_slice(&errno.to_ne_bytes());
        // SAFETY: write and _exit are async-signal-safe; msg is live.
        unsafe {
            libc::write(err_w, msg.as_ptr().cast(), msg.len());
            libc::_exit(127)
        }
    };
    // SAFETY: plain syscalls on descriptors this process owns.
    unsafe {
        // Our copy of the write end would keep us waiting if denytrace died.
        libc::close(hold_w);
        let mut byte = 0u8;
        // Wait until the parent has added this process to the traced set. EOF means it failed.
        if libc::read(hold_r, (&raw mut byte).cast(), 1) != 1 {
            libc::_exit(125);
        }
        if let Some(user) = user {
            // Groups first, while still privileged to change them; the list was prepared before
            // the fork.
            let groups = if user.groups.is_empty() { std::ptr::null() } else { user.groups.as_ptr() };
            if libc::setgroups(user.groups.len(), groups) != 0 {
                fail(1);
            }
            if libc::setgid(user.gid) != 0 {
                fail(2);
            }
            if libc::setuid(user.uid) != 0 {
                fail(3);
            }
            // No descriptor beyond stdio crosses into the command (the error pipe is CLOEXEC
            // already and stays open until exec).
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
        }
        // Rust's runtime makes denytrace ignore SIGPIPE, and an ignored signal stays ignored across
        // exec: the command would never die of SIGPIPE. Give it the default disposition and an
        // empty signal mask, as a shell would.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
        libc::execv(path.as_ptr(), argv.as_ptr());
        fail(4)
    }
}

impl Held {
    /// Lets the child exec. Returns an error when the exec (or the user switch) failed, with the
    /// errno's kind so callers can tell "not found" from "cannot execute".
    pub fn release(self) -> Result<(), std::io::Error> {
        // SAFETY: write one byte from a live buffer to our pipe end.
        unsafe { libc::write(self.release.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        drop(self.release);
        let mut msg = [0u8; 5];
        let mut got = 0;
        while got < msg.len() {
            // SAFETY: read into the live remainder of `msg`.
            let n = unsafe { libc::read(self.errors.as_raw_fd(), msg[got..].as_mut_ptr().cast(), msg.len() - got) };
            match n {
                0 => break,
                n if n > 0 => got += usize::try_from(n).unwrap_or(0),
                _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        if got == 0 {
            return Ok(());
        }
        let errno = i32::from_ne_bytes([msg[1], msg[2], msg[3], msg[4]]);
        let err = std::io::Error::from_raw_os_error(errno);
        let step = match msg[0] {
            1 => "setgroups",
            2 => "setgid",
            3 => "setuid",
            _ => "exec",
        };
        Err(std::io::Error::new(err.kind(), format!("{step}: {err}")))
    }

    /// Stops a child that must not run (it is still held).
    pub fn abandon(self) {
        drop(self.release);
        let _ = wait(self.pid);
    }
}

/// Waits for `pid` and returns its wait status.
pub fn wait(pid: u32) -> std::io::Result<i32> {
    let pid = i32::try_from(pid).map_err(std::io::Error::other)?;
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child, writing into the live `status`.
        let rc = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if rc == pid {
            return Ok(status);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
