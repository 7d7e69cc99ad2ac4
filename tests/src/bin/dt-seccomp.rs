//! `dt-seccomp`: a minimal seccomp-filter launcher for denytrace's integration tests.
//!
//! It installs a classic-BPF seccomp filter, then runs a command, so the tests can
//! produce real seccomp denials for the tracer to explain:
//!
//! ```text
//! dt-seccomp [--errno SYSCALL=ERRNO]... [--kill SYSCALL]... [--kill-process SYSCALL]...
//!            [--trap SYSCALL]... [--log] -- CMD [ARGS...]
//! ```
//!
//! * SYSCALL is a name from [`SYSCALLS`] (mapped through `libc::SYS_*`) or a decimal
//!   syscall number. ERRNO is a name from [`ERRNOS`] (`EPERM`, `EACCES`, ...) or a
//!   number from 0 to 4095.
//! * `--errno` returns `SECCOMP_RET_ERRNO | ERRNO`, `--kill` `SECCOMP_RET_KILL_THREAD`,
//!   `--kill-process` `SECCOMP_RET_KILL_PROCESS`, `--trap` `SECCOMP_RET_TRAP` (SIGSYS).
//!   Rules are checked in command-line order; the first match wins. Every other
//!   syscall is allowed, and a syscall made with another audit arch (e.g. i386
//!   through `int 0x80`) kills the process. x32 syscalls are not singled out.
//! * `--log` installs the filter with `SECCOMP_FILTER_FLAG_LOG`, so every action but
//!   ALLOW is logged by the kernel.
//! * Then `prctl(PR_SET_NO_NEW_PRIVS, 1)`,
//!   `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`, and `execvp(CMD)`. The filter
//!   applies to the `execve` of CMD too.
//!
//! The program is, for rules `r1..rn`:
//!
//! ```text
//!       ld  [4]                      ; seccomp_data.arch
//!       jeq #AUDIT_ARCH, 1, 0
//!       ret #KILL_PROCESS
//!       ld  [0]                      ; seccomp_data.nr
//!       jeq #r1.nr, 0, 1
//!       ret #r1.action
//!       ...
//!       ret #ALLOW
//! ```
//!
//! Exit status: 125 if the filter cannot be set up (including usage errors), 127 if
//! CMD is not found, 126 if it cannot be executed; otherwise CMD's own status.
//! Errors are printed as `dt-seccomp: <what failed>: <strerror>`.

use std::ffi::{CStr, CString, OsString};
use std::os::unix::ffi::OsStringExt;
use std::process::exit;

const PROG: &str = "dt-seccomp";

/// `AUDIT_ARCH_*` from <linux/audit.h> for the architecture this was built for.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("dt-seccomp knows the audit arch of x86_64 and aarch64 only");

/// Offsets in `struct seccomp_data`.
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;

/// Largest errno `SECCOMP_RET_ERRNO` can return (the kernel's `MAX_ERRNO`).
const MAX_ERRNO: u32 = 4095;

/// Syscall names accepted for SYSCALL.
const SYSCALLS: &[(&str, libc::c_long)] = &[
    #[cfg(target_arch = "x86_64")]
    ("open", libc::SYS_open),
    ("openat", libc::SYS_openat),
    ("openat2", libc::SYS_openat2),
    #[cfg(target_arch = "x86_64")]
    ("creat", libc::SYS_creat),
    ("read", libc::SYS_read),
    ("write", libc::SYS_write),
    ("close", libc::SYS_close),
    #[cfg(target_arch = "x86_64")]
    ("mkdir", libc::SYS_mkdir),
    ("mkdirat", libc::SYS_mkdirat),
    #[cfg(target_arch = "x86_64")]
    ("rmdir", libc::SYS_rmdir),
    #[cfg(target_arch = "x86_64")]
    ("unlink", libc::SYS_unlink),
    ("unlinkat", libc::SYS_unlinkat),
    #[cfg(target_arch = "x86_64")]
    ("rename", libc::SYS_rename),
    ("renameat2", libc::SYS_renameat2),
    #[cfg(target_arch = "x86_64")]
    ("symlink", libc::SYS_symlink),
    #[cfg(target_arch = "x86_64")]
    ("link", libc::SYS_link),
    ("linkat", libc::SYS_linkat),
    ("truncate", libc::SYS_truncate),
    ("ftruncate", libc::SYS_ftruncate),
    ("socket", libc::SYS_socket),
    ("socketpair", libc::SYS_socketpair),
    ("connect", libc::SYS_connect),
    ("bind", libc::SYS_bind),
    ("listen", libc::SYS_listen),
    ("accept4", libc::SYS_accept4),
    ("sendto", libc::SYS_sendto),
    ("ptrace", libc::SYS_ptrace),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("unshare", libc::SYS_unshare),
    ("setns", libc::SYS_setns),
    ("clone", libc::SYS_clone),
    ("clone3", libc::SYS_clone3),
    #[cfg(target_arch = "x86_64")]
    ("fork", libc::SYS_fork),
    #[cfg(target_arch = "x86_64")]
    ("vfork", libc::SYS_vfork),
    ("execve", libc::SYS_execve),
    ("execveat", libc::SYS_execveat),
    ("kill", libc::SYS_kill),
    ("tkill", libc::SYS_tkill),
    ("tgkill", libc::SYS_tgkill),
    #[cfg(target_arch = "x86_64")]
    ("chmod", libc::SYS_chmod),
    ("fchmod", libc::SYS_fchmod),
    ("fchmodat", libc::SYS_fchmodat),
    #[cfg(target_arch = "x86_64")]
    ("chown", libc::SYS_chown),
    ("fchown", libc::SYS_fchown),
    ("fchownat", libc::SYS_fchownat),
    ("getpid", libc::SYS_getpid),
    ("getppid", libc::SYS_getppid),
    ("uname", libc::SYS_uname),
    ("sethostname", libc::SYS_sethostname),
    ("personality", libc::SYS_personality),
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("bpf", libc::SYS_bpf),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("io_uring_setup", libc::SYS_io_uring_setup),
    ("ioctl", libc::SYS_ioctl),
    ("statx", libc::SYS_statx),
    ("newfstatat", libc::SYS_newfstatat),
    #[cfg(target_arch = "x86_64")]
    ("stat", libc::SYS_stat),
    ("setuid", libc::SYS_setuid),
    ("setgid", libc::SYS_setgid),
    ("setresuid", libc::SYS_setresuid),
    ("prctl", libc::SYS_prctl),
    ("seccomp", libc::SYS_seccomp),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("memfd_create", libc::SYS_memfd_create),
    ("mprotect", libc::SYS_mprotect),
    ("chroot", libc::SYS_chroot),
    ("pivot_root", libc::SYS_pivot_root),
    ("setrlimit", libc::SYS_setrlimit),
    ("prlimit64", libc::SYS_prlimit64),
    ("nanosleep", libc::SYS_nanosleep),
    ("clock_nanosleep", libc::SYS_clock_nanosleep),
];

/// Errno names accepted for ERRNO.
const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("E2BIG", libc::E2BIG),
    ("ENOEXEC", libc::ENOEXEC),
    ("EBADF", libc::EBADF),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
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
    ("EFBIG", libc::EFBIG),
    ("ENOSPC", libc::ENOSPC),
    ("EROFS", libc::EROFS),
    ("EMLINK", libc::EMLINK),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTSUP", libc::ENOTSUP),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("EADDRINUSE", libc::EADDRINUSE),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("EDQUOT", libc::EDQUOT),
];

struct Rule {
    nr: u32,
    action: u32,
}

struct Options {
    rules: Vec<Rule>,
    log: bool,
    command: Vec<OsString>,
}

const USAGE: &str = "usage: dt-seccomp [--errno SYSCALL=ERRNO]... [--kill SYSCALL]... \
[--kill-process SYSCALL]... [--trap SYSCALL]... [--log] -- CMD [ARGS...]";

fn main() {
    let opts = match parse_args(std::env::args_os().skip(1).collect()) {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("{PROG}: {msg}\n{USAGE}");
            exit(125);
        }
    };
    if let Err(msg) = install_filter(&opts) {
        eprintln!("{PROG}: {msg}");
        exit(125);
    }
    let (status, msg) = exec(&opts.command);
    eprintln!("{PROG}: {msg}");
    exit(status);
}

fn parse_args(args: Vec<OsString>) -> Result<Options, String> {
    let mut opts = Options {
        rules: Vec::new(),
        log: false,
        command: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str() else {
            return Err(format!("unexpected argument {}", arg.to_string_lossy()));
        };
        let action = match flag {
            "--" => break,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            "--log" => {
                opts.log = true;
                continue;
            }
            "--errno" | "--kill" | "--kill-process" | "--trap" => flag,
            other if other.starts_with('-') => return Err(format!("unknown option '{other}'")),
            _ => {
                // The command starts here even without a `--`.
                opts.command.push(arg);
                break;
            }
        };
        let value = args
            .next()
            .ok_or_else(|| format!("{action} needs a value"))?;
        let value = value.to_string_lossy();
        let rule = match action {
            "--errno" => {
                let (name, errno) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--errno: expected SYSCALL=ERRNO, got '{value}'"))?;
                Rule {
                    nr: parse_syscall(name)?,
                    action: libc::SECCOMP_RET_ERRNO | parse_errno(errno)?,
                }
            }
            "--kill" => Rule {
                nr: parse_syscall(&value)?,
                action: libc::SECCOMP_RET_KILL_THREAD,
            },
            "--kill-process" => Rule {
                nr: parse_syscall(&value)?,
                action: libc::SECCOMP_RET_KILL_PROCESS,
            },
            _ => Rule {
                nr: parse_syscall(&value)?,
                action: libc::SECCOMP_RET_TRAP,
            },
        };
        opts.rules.push(rule);
    }
    opts.command.extend(args);
    if opts.command.is_empty() {
        return Err("no command given".to_owned());
    }
    Ok(opts)
}

fn parse_syscall(name: &str) -> Result<u32, String> {
    if let Ok(nr) = name.parse::<u32>() {
        return Ok(nr);
    }
    SYSCALLS
        .iter()
        .find(|(known, _)| *known == name)
        .and_then(|&(_, nr)| u32::try_from(nr).ok())
        .ok_or_else(|| format!("unknown syscall '{name}' (use a name this tool knows or a number)"))
}

fn parse_errno(name: &str) -> Result<u32, String> {
    let errno = match name.parse::<u32>() {
        Ok(n) => n,
        Err(_) => ERRNOS
            .iter()
            .find(|(known, _)| *known == name)
            .and_then(|&(_, n)| u32::try_from(n).ok())
            .ok_or_else(|| format!("unknown errno '{name}' (use a name like EPERM or a number)"))?,
    };
    if errno > MAX_ERRNO {
        return Err(format!("errno {errno} is out of range (0..={MAX_ERRNO})"));
    }
    Ok(errno)
}

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    jump(code, k, 0, 0)
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        // BPF opcodes all fit in 16 bits.
        code: u16::try_from(code).unwrap_or(u16::MAX),
        jt,
        jf,
        k,
    }
}

fn build_program(rules: &[Rule]) -> Vec<libc::sock_filter> {
    let mut prog = vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, OFFSET_ARCH),
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            AUDIT_ARCH,
            1,
            0,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, OFFSET_NR),
    ];
    for rule in rules {
        prog.push(jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            rule.nr,
            0,
            1,
        ));
        prog.push(stmt(libc::BPF_RET | libc::BPF_K, rule.action));
    }
    prog.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    prog
}

fn install_filter(opts: &Options) -> Result<(), String> {
    let mut prog = build_program(&opts.rules);
    let fprog = libc::sock_fprog {
        len: u16::try_from(prog.len())
            .map_err(|_| "too many rules for one BPF program".to_owned())?,
        filter: prog.as_mut_ptr(),
    };
    let flags = if opts.log {
        libc::SECCOMP_FILTER_FLAG_LOG
    } else {
        0
    };
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS) takes plain integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1_u64, 0_u64, 0_u64, 0_u64) } != 0 {
        return Err(format!("prctl(PR_SET_NO_NEW_PRIVS): {}", strerror(errno())));
    }
    // SAFETY: `fprog` points at `prog`, which is live and `len` entries long; the
    // kernel copies the program and keeps no pointer to it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &raw const fprog,
        )
    };
    if ret != 0 {
        return Err(format!(
            "seccomp(SECCOMP_SET_MODE_FILTER): {}",
            strerror(errno())
        ));
    }
    Ok(())
}

/// execvp(CMD); returns the exit status and message for the failure.
fn exec(command: &[OsString]) -> (i32, String) {
    let shown = command[0].to_string_lossy().into_owned();
    // Arguments come from argv, so they cannot contain a NUL byte.
    let strings: Vec<CString> = command
        .iter()
        .map(|arg| CString::new(arg.clone().into_vec()).unwrap_or_default())
        .collect();
    let mut argv: Vec<*const libc::c_char> = strings.iter().map(|arg| arg.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: `argv` is a NULL-terminated array of pointers to NUL-terminated strings
    // that outlive the call; execvp only returns on failure.
    unsafe { libc::execvp(argv[0], argv.as_ptr()) };
    let e = errno();
    let status = if e == libc::ENOENT { 127 } else { 126 };
    (status, format!("exec {shown}: {}", strerror(e)))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn strerror(errnum: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: `buf` is writable for its whole length, which is what we pass; the XSI
    // strerror_r always NUL-terminates what it writes.
    let ret = unsafe { libc::strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if ret != 0 {
        return format!("error {errnum}");
    }
    // SAFETY: strerror_r succeeded, so `buf` holds a NUL-terminated string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
