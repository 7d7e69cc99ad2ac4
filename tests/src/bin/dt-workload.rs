//! `dt-workload`: small workloads that denytrace's integration tests run inside
//! sandboxes (`dt-landlock`, `dt-seccomp`, `prlimit`, `setpriv`, cgroups, ...), each
//! making one well-known syscall that the sandbox may refuse.
//!
//! ```text
//! dt-workload SUBCOMMAND [ARGS...]
//! ```
//!
//! Each subcommand prints one line, `ok` or `failed: <errno name> (<n>)` (e.g.
//! `failed: EACCES (13)`), and exits 0 or 1; a usage error exits 2. Extra context, such
//! as which step of a multi-step workload failed, goes to stderr. The syscalls named
//! below are the ones glibc 2.36 on x86-64 makes (checked with strace):
//!
//! | subcommand | syscalls |
//! | --- | --- |
//! | `open PATH [ro\|wo\|rw] [creat]` | `openat(AT_FDCWD, PATH, O_RDONLY\|O_WRONLY\|O_RDWR [\|O_CREAT], 0644)`; default `ro` |
//! | `openpty` | `openat("/dev/ptmx", O_RDWR\|O_NOCTTY)` (`posix_openpt`), `ioctl(TIOCGPTN)` (`grantpt`, `ptsname_r`), `ioctl(TIOCSPTLCK)` (`unlockpt`), `openat("/dev/pts/N", O_RDWR\|O_NOCTTY)` |
//! | `mkdir PATH` | `mkdir(PATH, 0755)` |
//! | `unlink PATH` | `unlink(PATH)` |
//! | `fork N` | `clone(CLONE_CHILD_SETTID\|CLONE_CHILD_CLEARTID\|SIGCHLD)` (glibc's `fork`) N times; each child sleeps 2 s (`clock_nanosleep`) and exits; stops at the first failure, then reaps every child with `wait4` |
//! | `openfiles N` | `openat("/dev/null", O_RDONLY)` N times, keeping every fd open; reports the first failure |
//! | `write-big PATH BYTES` | `openat(PATH, O_WRONLY\|O_CREAT\|O_TRUNC, 0644)`, then `write` in 64 KiB chunks until BYTES are written. SIGXFSZ is left as inherited (not blocked): with its default action an `RLIMIT_FSIZE` overrun kills the process; if ignored, `EFBIG` is reported |
//! | `connect HOST:PORT` | `socket(AF_INET, SOCK_STREAM)`, `connect` (HOST is an IPv4 address) |
//! | `socket FAMILY` | `socket`: `unix` = `AF_UNIX/SOCK_STREAM`, `inet` = `AF_INET/SOCK_STREAM`, `inet6` = `AF_INET6/SOCK_STREAM`, `netlink` = `AF_NETLINK/SOCK_RAW/NETLINK_ROUTE`, `packet` = `AF_PACKET/SOCK_RAW/ETH_P_ALL` |
//! | `sethostname NAME` | `sethostname` (changes the hostname of the caller's UTS namespace) |
//! | `mount-tmpfs DIR` | `mount("tmpfs", DIR, "tmpfs", 0, NULL)`, then on success `umount2(DIR, MNT_DETACH)` so no mount is left behind |
//! | `chown PATH UID` | `chown(PATH, UID, -1)` (group unchanged) |
//! | `kill PID SIG` | `kill(PID, SIG)`; SIG is a number or a name (`TERM`, `SIGTERM`, ...) |
//! | `getppid-loop N` | `getppid` N times (for benchmarks) |
//! | `fail-open-loop N PATH` | `openat(PATH, O_RDONLY)` N times, expecting failure; prints `ok K` with K the number that failed, exits 0 only if all N failed |
//! | `sleep MS` | `clock_nanosleep(CLOCK_MONOTONIC)` (through `std::thread::sleep`) |
//! | `fork-storm N PATH` | N times `fork`, without waiting: child `i` makes `openat(PATH, O_RDONLY)` when `i` is even, `openat("/dev/null", O_RDONLY)` when odd, and `_exit`s 1 if that failed; then every child is reaped (`wait4`); prints `ok K` with K the children whose open failed |
//! | `exec PATH [ARGS...]` | `execve(PATH, [PATH, ARGS...])` without a `PATH` search; prints nothing on success |
//!
//! Every fd is opened with `O_CLOEXEC` (`SOCK_CLOEXEC` for sockets) except the two of
//! `openpty`, which use the flags given above.

use std::ffi::{CString, OsStr, OsString};
use std::net::SocketAddrV4;
use std::os::unix::ffi::OsStrExt;
use std::process::exit;
use std::str::FromStr;

const PROG: &str = "dt-workload";

const USAGE: &str = "usage: dt-workload SUBCOMMAND [ARGS...]
  open PATH [ro|wo|rw] [creat]   openpty              mkdir PATH
  unlink PATH                    fork N               openfiles N
  write-big PATH BYTES           connect IPV4:PORT    socket unix|inet|inet6|netlink|packet
  sethostname NAME               mount-tmpfs DIR      chown PATH UID
  kill PID SIG                   getppid-loop N       fail-open-loop N PATH
  sleep MS                       exec PATH [ARGS...]
  fork-storm N PATH";

/// Errno names for the `failed:` line.
const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("ENXIO", libc::ENXIO),
    ("E2BIG", libc::E2BIG),
    ("ENOEXEC", libc::ENOEXEC),
    ("EBADF", libc::EBADF),
    ("ECHILD", libc::ECHILD),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("ENOTBLK", libc::ENOTBLK),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EXDEV", libc::EXDEV),
    ("ENODEV", libc::ENODEV),
    ("ENOTDIR", libc::ENOTDIR),
    ("EISDIR", libc::EISDIR),
    ("EINVAL", libc::EINVAL),
    ("ENFILE", libc::ENFILE),
    ("EMFILE", libc::EMFILE),
    ("ENOTTY", libc::ENOTTY),
    ("ETXTBSY", libc::ETXTBSY),
    ("EFBIG", libc::EFBIG),
    ("ENOSPC", libc::ENOSPC),
    ("ESPIPE", libc::ESPIPE),
    ("EROFS", libc::EROFS),
    ("EMLINK", libc::EMLINK),
    ("EPIPE", libc::EPIPE),
    ("EDOM", libc::EDOM),
    ("ERANGE", libc::ERANGE),
    ("EDEADLK", libc::EDEADLK),
    ("ENAMETOOLONG", libc::ENAMETOOLONG),
    ("ENOLCK", libc::ENOLCK),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTEMPTY", libc::ENOTEMPTY),
    ("ELOOP", libc::ELOOP),
    ("ENOMSG", libc::ENOMSG),
    ("EIDRM", libc::EIDRM),
    ("ENODATA", libc::ENODATA),
    ("ETIME", libc::ETIME),
    ("EPROTO", libc::EPROTO),
    ("EBADMSG", libc::EBADMSG),
    ("EOVERFLOW", libc::EOVERFLOW),
    ("EILSEQ", libc::EILSEQ),
    ("EUSERS", libc::EUSERS),
    ("ENOTSOCK", libc::ENOTSOCK),
    ("EDESTADDRREQ", libc::EDESTADDRREQ),
    ("EMSGSIZE", libc::EMSGSIZE),
    ("EPROTOTYPE", libc::EPROTOTYPE),
    ("ENOPROTOOPT", libc::ENOPROTOOPT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("ESOCKTNOSUPPORT", libc::ESOCKTNOSUPPORT),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EPFNOSUPPORT", libc::EPFNOSUPPORT),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EADDRINUSE", libc::EADDRINUSE),
    ("EADDRNOTAVAIL", libc::EADDRNOTAVAIL),
    ("ENETDOWN", libc::ENETDOWN),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ENETRESET", libc::ENETRESET),
    ("ECONNABORTED", libc::ECONNABORTED),
    ("ECONNRESET", libc::ECONNRESET),
    ("ENOBUFS", libc::ENOBUFS),
    ("EISCONN", libc::EISCONN),
    ("ENOTCONN", libc::ENOTCONN),
    ("ESHUTDOWN", libc::ESHUTDOWN),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("EHOSTDOWN", libc::EHOSTDOWN),
    ("EHOSTUNREACH", libc::EHOSTUNREACH),
    ("EALREADY", libc::EALREADY),
    ("EINPROGRESS", libc::EINPROGRESS),
    ("ESTALE", libc::ESTALE),
    ("EDQUOT", libc::EDQUOT),
    ("ECANCELED", libc::ECANCELED),
    ("ENOKEY", libc::ENOKEY),
    ("EKEYEXPIRED", libc::EKEYEXPIRED),
    ("EKEYREVOKED", libc::EKEYREVOKED),
    ("EKEYREJECTED", libc::EKEYREJECTED),
    ("EOWNERDEAD", libc::EOWNERDEAD),
    ("ENOTRECOVERABLE", libc::ENOTRECOVERABLE),
];

/// Signal names accepted by `kill` (with or without the `SIG` prefix).
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("XFSZ", libc::SIGXFSZ),
    ("SYS", libc::SIGSYS),
];

/// What a workload did: `Ok(())`, or `Err(errno)` of the syscall that failed.
type Outcome = Result<(), i32>;

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(Ok(())) => {
            println!("ok");
            exit(0);
        }
        Ok(Err(errnum)) => {
            println!("failed: {} ({errnum})", errno_name(errnum));
            exit(1);
        }
        Err(msg) => {
            eprintln!("{PROG}: {msg}\n{USAGE}");
            exit(2);
        }
    }
}

/// A subcommand's arguments, with accessors that turn bad input into usage errors.
struct Args<'a> {
    cmd: &'a str,
    rest: &'a [OsString],
}

impl Args<'_> {
    /// Fails unless there are at most `n` arguments after the subcommand.
    fn at_most(&self, n: usize) -> Result<(), String> {
        match self.rest.get(n) {
            Some(extra) => Err(format!(
                "{}: unexpected argument '{}'",
                self.cmd,
                extra.to_string_lossy()
            )),
            None => Ok(()),
        }
    }

    fn get(&self, i: usize, what: &str) -> Result<&OsStr, String> {
        self.rest
            .get(i)
            .map(OsString::as_os_str)
            .ok_or_else(|| format!("{}: missing {what}", self.cmd))
    }

    fn text(&self, i: usize, what: &str) -> Result<String, String> {
        Ok(self.get(i, what)?.to_string_lossy().into_owned())
    }

    fn path(&self, i: usize, what: &str) -> Result<CString, String> {
        cpath(self.get(i, what)?)
    }

    fn number<T: FromStr>(&self, i: usize, what: &str) -> Result<T, String> {
        let text = self.text(i, what)?;
        text.parse().map_err(|_| {
            format!(
                "{}: {what} must be a number in range, got '{text}'",
                self.cmd
            )
        })
    }
}

/// Runs the subcommand; `Err` is a usage error.
fn run(argv: &[OsString]) -> Result<Outcome, String> {
    let Some((cmd, rest)) = argv.split_first() else {
        return Err("no subcommand given".to_owned());
    };
    let cmd = cmd.to_string_lossy();
    let a = Args { cmd: &cmd, rest };
    a.at_most(match a.cmd {
        "openpty" => 0,
        "write-big" | "chown" | "kill" | "fail-open-loop" | "fork-storm" => 2,
        "open" => 3,
        "mkdir" | "unlink" | "fork" | "openfiles" | "connect" | "socket" | "sethostname"
        | "mount-tmpfs" | "getppid-loop" | "sleep" => 1,
        _ => usize::MAX,
    })?;
    Ok(match a.cmd {
        "open" => open_cmd(&a.path(0, "PATH")?, &rest[1..])?,
        "openpty" => openpty(),
        "mkdir" => mkdir(&a.path(0, "PATH")?),
        "unlink" => unlink(&a.path(0, "PATH")?),
        "fork" => fork_children(a.number(0, "N")?),
        "openfiles" => open_files(a.number(0, "N")?),
        "write-big" => write_big(&a.path(0, "PATH")?, a.number(1, "BYTES")?),
        "connect" => {
            let addr = a.text(0, "HOST:PORT")?;
            let addr = SocketAddrV4::from_str(&addr).map_err(|_| {
                format!("connect: '{addr}' is not an IPv4 address and port like 127.0.0.1:80")
            })?;
            connect(addr)
        }
        "socket" => socket(&a.text(0, "FAMILY")?)?,
        "sethostname" => sethostname(a.get(0, "NAME")?.as_bytes()),
        "mount-tmpfs" => mount_tmpfs(&a.path(0, "DIR")?),
        "chown" => chown(&a.path(0, "PATH")?, a.number(1, "UID")?),
        "kill" => kill(a.number(0, "PID")?, signal(&a.text(1, "SIG")?)?),
        "getppid-loop" => {
            getppid_loop(a.number(0, "N")?);
            Ok(())
        }
        "fail-open-loop" => fail_open_loop(a.number(0, "N")?, &a.path(1, "PATH")?),
        "fork-storm" => fork_storm(a.number(0, "N")?, &a.path(1, "PATH")?),
        "sleep" => {
            let ms = a.number(0, "MS")?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(())
        }
        "exec" => {
            a.get(0, "PATH")?;
            let strings = rest
                .iter()
                .map(|arg| cpath(arg))
                .collect::<Result<Vec<_>, _>>()?;
            exec(&strings)
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            exit(0);
        }
        other => return Err(format!("unknown subcommand '{other}'")),
    })
}

fn open_cmd(path: &CString, opts: &[OsString]) -> Result<Outcome, String> {
    let mut flags = libc::O_RDONLY;
    for opt in opts {
        match opt.to_string_lossy().as_ref() {
            "ro" => flags = (flags & !libc::O_ACCMODE) | libc::O_RDONLY,
            "wo" => flags = (flags & !libc::O_ACCMODE) | libc::O_WRONLY,
            "rw" => flags = (flags & !libc::O_ACCMODE) | libc::O_RDWR,
            "creat" => flags |= libc::O_CREAT,
            other => return Err(format!("open: expected ro, wo, rw or creat, got '{other}'")),
        }
    }
    Ok(open(path, flags).map(close))
}

fn mkdir(path: &CString) -> Outcome {
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    check(unsafe { libc::mkdir(path.as_ptr(), 0o755) }).map(drop)
}

fn unlink(path: &CString) -> Outcome {
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    check(unsafe { libc::unlink(path.as_ptr()) }).map(drop)
}

fn socket(family: &str) -> Result<Outcome, String> {
    let (domain, kind, protocol) = match family {
        "unix" => (libc::AF_UNIX, libc::SOCK_STREAM, 0),
        "inet" => (libc::AF_INET, libc::SOCK_STREAM, 0),
        "inet6" => (libc::AF_INET6, libc::SOCK_STREAM, 0),
        "netlink" => (libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE),
        // ETH_P_ALL (0x0003) in network byte order.
        "packet" => (
            libc::AF_PACKET,
            libc::SOCK_RAW,
            i32::from(0x0003_u16.to_be()),
        ),
        other => {
            return Err(format!(
                "socket: unknown family '{other}' (unix, inet, inet6, netlink, packet)"
            ))
        }
    };
    // SAFETY: socket takes integer arguments only.
    Ok(check(unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, protocol) }).map(close))
}

fn sethostname(name: &[u8]) -> Outcome {
    // SAFETY: `name` is valid for reads of `name.len()` bytes during the call.
    check(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) }).map(drop)
}

fn chown(path: &CString, uid: libc::uid_t) -> Outcome {
    // SAFETY: `path` is a NUL-terminated string that outlives the call; a gid of -1
    // leaves the group unchanged.
    check(unsafe { libc::chown(path.as_ptr(), uid, libc::gid_t::MAX) }).map(drop)
}

fn kill(pid: libc::pid_t, sig: libc::c_int) -> Outcome {
    // SAFETY: kill takes integer arguments only.
    check(unsafe { libc::kill(pid, sig) }).map(drop)
}

fn getppid_loop(n: u64) {
    for _ in 0..n {
        // SAFETY: getppid has no arguments and cannot fail.
        unsafe { libc::getppid() };
    }
}

/// `execv(PATH, [PATH, ARGS...])`; only returns on failure.
fn exec(strings: &[CString]) -> Outcome {
    let mut ptrs: Vec<*const libc::c_char> = strings.iter().map(|arg| arg.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `ptrs` is a NULL-terminated array of pointers to NUL-terminated strings
    // that outlive the call; execv only returns on failure.
    unsafe { libc::execv(ptrs[0], ptrs.as_ptr()) };
    Err(errno())
}

fn openpty() -> Outcome {
    let step = |what: &str, ret: libc::c_int| {
        check(ret).inspect_err(|_| eprintln!("{PROG}: openpty: {what} failed"))
    };
    // SAFETY: posix_openpt takes integer flags only.
    let master = step("posix_openpt", unsafe {
        libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY)
    })?;
    // SAFETY: grantpt and unlockpt take an fd we own.
    step("grantpt", unsafe { libc::grantpt(master) })?;
    // SAFETY: as above.
    step("unlockpt", unsafe { libc::unlockpt(master) })?;
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `name` is writable for the length passed; ptsname_r NUL-terminates it.
    let err = unsafe { libc::ptsname_r(master, name.as_mut_ptr(), name.len()) };
    if err != 0 {
        eprintln!("{PROG}: openpty: ptsname_r failed");
        return Err(err);
    }
    // SAFETY: `name` now holds a NUL-terminated path.
    let slave = step("open slave", unsafe {
        libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY)
    })?;
    close(slave);
    close(master);
    Ok(())
}

fn fork_children(n: u64) -> Outcome {
    let mut children = Vec::new();
    let mut result = Ok(());
    for _ in 0..n {
        // SAFETY: this program is single-threaded; the child only calls the
        // async-signal-safe nanosleep and _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            result = Err(errno());
            break;
        }
        if pid == 0 {
            let two_seconds = libc::timespec {
                tv_sec: 2,
                tv_nsec: 0,
            };
            // SAFETY: `two_seconds` is a valid timespec and the remainder pointer may be
            // NULL; _exit takes a status only and skips the parent's atexit handlers.
            unsafe {
                libc::nanosleep(&raw const two_seconds, std::ptr::null_mut());
                libc::_exit(0)
            }
        }
        children.push(pid);
    }
    for pid in children {
        let mut status = 0;
        // SAFETY: `pid` is our child and `status` is writable.
        while unsafe { libc::waitpid(pid, &raw mut status, 0) } < 0 && errno() == libc::EINTR {}
    }
    result
}

fn open_files(n: u64) -> Outcome {
    let mut fds = Vec::new();
    let mut result = Ok(());
    for _ in 0..n {
        match open(c"/dev/null", libc::O_RDONLY) {
            Ok(fd) => fds.push(fd),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    fds.into_iter().for_each(close);
    result
}

fn write_big(path: &CString, bytes: u64) -> Outcome {
    let fd = open(path, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC)?;
    let chunk = vec![0_u8; 64 * 1024];
    let mut left = bytes;
    let result = loop {
        if left == 0 {
            break Ok(());
        }
        let len = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
        // SAFETY: `chunk` is valid for reads of `len <= chunk.len()` bytes.
        let written = unsafe { libc::write(fd, chunk.as_ptr().cast(), len) };
        match u64::try_from(written) {
            Ok(0) => break Err(libc::EIO),
            Ok(written) => left -= written,
            Err(_) if errno() == libc::EINTR => {}
            Err(_) => break Err(errno()),
        }
    };
    close(fd);
    result
}

fn connect(addr: SocketAddrV4) -> Outcome {
    // SAFETY: socket takes integer arguments only.
    let fd =
        check(unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })?;
    let sin = libc::sockaddr_in {
        sin_family: libc::sa_family_t::try_from(libc::AF_INET).unwrap_or_default(),
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*addr.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len =
        libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_in>()).unwrap_or_default();
    // SAFETY: `sin` is a valid sockaddr_in of `len` bytes that outlives the call.
    let ret = unsafe { libc::connect(fd, (&raw const sin).cast(), len) };
    let result = check(ret).map(drop);
    close(fd);
    result
}

fn mount_tmpfs(dir: &CString) -> Outcome {
    // SAFETY: every pointer is a NUL-terminated string that outlives the call, and
    // tmpfs accepts NULL data.
    check(unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            dir.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    })?;
    // SAFETY: `dir` is a NUL-terminated string that outlives the call.
    if unsafe { libc::umount2(dir.as_ptr(), libc::MNT_DETACH) } != 0 {
        eprintln!(
            "{PROG}: mount-tmpfs: mounted, but umount2 failed: {}",
            errno_name(errno())
        );
    }
    Ok(())
}

/// Opens PATH N times expecting failure; prints `ok K` and exits.
fn fail_open_loop(n: u64, path: &CString) -> ! {
    let mut failed = 0_u64;
    for _ in 0..n {
        match open(path, libc::O_RDONLY) {
            Ok(fd) => close(fd),
            Err(_) => failed += 1,
        }
    }
    println!("ok {failed}");
    if failed != n {
        eprintln!(
            "{PROG}: fail-open-loop: {} of {n} opens succeeded",
            n - failed
        );
        exit(1);
    }
    exit(0);
}

/// Forks N children at once (even ones open PATH, odd ones /dev/null), reaps them, prints
/// `ok K` with K the children whose open failed, and exits 0.
fn fork_storm(n: u64, path: &CString) -> ! {
    let mut children = Vec::new();
    for i in 0..n {
        let target: &std::ffi::CStr = if i % 2 == 0 { path } else { c"/dev/null" };
        // SAFETY: this program is single-threaded; the child only calls the async-signal-safe
        // open, close and _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            eprintln!("{PROG}: fork-storm: fork {i} failed: {}", errno_name(errno()));
            break;
        }
        if pid == 0 {
            // SAFETY: as above; `target` was made before the fork.
            unsafe {
                let fd = libc::open(target.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
                if fd < 0 {
                    libc::_exit(1);
                }
                libc::close(fd);
                libc::_exit(0)
            }
        }
        children.push(pid);
    }
    let mut failed = 0_u64;
    for pid in children {
        let mut status = 0;
        // SAFETY: `pid` is our child and `status` is writable.
        while unsafe { libc::waitpid(pid, &raw mut status, 0) } < 0 && errno() == libc::EINTR {}
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1 {
            failed += 1;
        }
    }
    println!("ok {failed}");
    exit(0);
}

/// `open(path, flags | O_CLOEXEC, 0644)`, which glibc makes as `openat(AT_FDCWD, ...)`.
fn open(path: &std::ffi::CStr, flags: libc::c_int) -> Result<libc::c_int, i32> {
    // SAFETY: `path` is a NUL-terminated string that outlives the call; the mode is
    // only read with O_CREAT.
    check(unsafe {
        libc::open(
            path.as_ptr(),
            flags | libc::O_CLOEXEC,
            0o644 as libc::c_uint,
        )
    })
}

fn close(fd: libc::c_int) {
    // SAFETY: `fd` is an fd this process opened and no longer uses.
    unsafe { libc::close(fd) };
}

fn check(ret: libc::c_int) -> Result<libc::c_int, i32> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn errno_name(errnum: i32) -> String {
    ERRNOS
        .iter()
        .find(|&&(_, n)| n == errnum)
        .map_or_else(|| format!("E{errnum}"), |&(name, _)| name.to_owned())
}

fn cpath(arg: &OsStr) -> Result<CString, String> {
    CString::new(arg.as_bytes())
        .map_err(|_| format!("'{}' contains a NUL byte", arg.to_string_lossy()))
}

fn signal(text: &str) -> Result<i32, String> {
    if let Ok(n) = text.parse() {
        return Ok(n);
    }
    let name = text.strip_prefix("SIG").unwrap_or(text);
    SIGNALS
        .iter()
        .find(|&&(known, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, n)| n)
        .ok_or_else(|| format!("kill: unknown signal '{text}'"))
}
