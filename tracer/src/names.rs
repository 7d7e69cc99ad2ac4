//! Names of the numbers users see: errnos, capabilities, signals, resource limits, `si_code`s,
//! socket families and the flag words of `open`, `*at`, `clone`, `unshare`, `renameat2`, `mount`
//! and `socket`, plus `ptrace` requests and `prctl` options.
//!
//! Numbers come from the `libc` crate's constants wherever it has them (x86-64, glibc); the few it
//! lacks are typed here from the kernel's UAPI headers and marked so. Errno texts are glibc's
//! `strerror` wording (the tests compare them with the C library's on glibc targets).
//!
//! Flag words render as `NAME|NAME|0x...`: known bits by name, leftover bits in hex, and `0` for
//! no bits at all.

use libc::c_int;

/// Reinterprets a C `int` flag constant as the bits of a 64-bit register argument.
const fn bits(v: c_int) -> u64 {
    v.cast_unsigned() as u64
}

/// Appends the names of the bits of `flags` listed in `table` (entries may cover several bits;
/// the first match wins) and then any bits left over, in hex.
fn push_flags(parts: &mut Vec<String>, flags: u64, table: &[(u64, &str)]) {
    let mut rest = flags;
    for &(mask, name) in table {
        if mask != 0 && rest & mask == mask {
            parts.push(name.to_owned());
            rest &= !mask;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
}

/// Renders `flags` by `table`, `0` when there are none.
fn flag_string(flags: u64, table: &[(u64, &str)]) -> String {
    let mut parts = Vec::new();
    push_flags(&mut parts, flags, table);
    join(&parts)
}

/// Joins flag names with `|`; `0` for an empty list.
fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join("|")
    }
}

/// `name` without `prefix`, comparing the prefix without regard to case.
fn strip_prefix_ignore_case<'a>(name: &'a str, prefix: &str) -> &'a str {
    match name.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &name[prefix.len()..],
        _ => name,
    }
}

// ---------------------------------------------------------------------------------------------
// errno

/// Every x86-64 errno (41 and 58 are unused): number, name, glibc `strerror` text.
/// `EWOULDBLOCK` is `EAGAIN`, `EDEADLOCK` is `EDEADLK` and `ENOTSUP` is `EOPNOTSUPP`.
static ERRNOS: [(c_int, &str, &str); 131] = [
    (libc::EPERM, "EPERM", "Operation not permitted"),
    (libc::ENOENT, "ENOENT", "No such file or directory"),
    (libc::ESRCH, "ESRCH", "No such process"),
    (libc::EINTR, "EINTR", "Interrupted system call"),
    (libc::EIO, "EIO", "Input/output error"),
    (libc::ENXIO, "ENXIO", "No such device or address"),
    (libc::E2BIG, "E2BIG", "Argument list too long"),
    (libc::ENOEXEC, "ENOEXEC", "Exec format error"),
    (libc::EBADF, "EBADF", "Bad file descriptor"),
    (libc::ECHILD, "ECHILD", "No child processes"),
    (libc::EAGAIN, "EAGAIN", "Resource temporarily unavailable"),
    (libc::ENOMEM, "ENOMEM", "Cannot allocate memory"),
    (libc::EACCES, "EACCES", "Permission denied"),
    (libc::EFAULT, "EFAULT", "Bad address"),
    (libc::ENOTBLK, "ENOTBLK", "Block device required"),
    (libc::EBUSY, "EBUSY", "Device or resource busy"),
    (libc::EEXIST, "EEXIST", "File exists"),
    (libc::EXDEV, "EXDEV", "Invalid cross-device link"),
    (libc::ENODEV, "ENODEV", "No such device"),
    (libc::ENOTDIR, "ENOTDIR", "Not a directory"),
    (libc::EISDIR, "EISDIR", "Is a directory"),
    (libc::EINVAL, "EINVAL", "Invalid argument"),
    (libc::ENFILE, "ENFILE", "Too many open files in system"),
    (libc::EMFILE, "EMFILE", "Too many open files"),
    (libc::ENOTTY, "ENOTTY", "Inappropriate ioctl for device"),
    (libc::ETXTBSY, "ETXTBSY", "Text file busy"),
    (libc::EFBIG, "EFBIG", "File too large"),
    (libc::ENOSPC, "ENOSPC", "No space left on device"),
    (libc::ESPIPE, "ESPIPE", "Illegal seek"),
    (libc::EROFS, "EROFS", "Read-only file system"),
    (libc::EMLINK, "EMLINK", "Too many links"),
    (libc::EPIPE, "EPIPE", "Broken pipe"),
    (libc::EDOM, "EDOM", "Numerical argument out of domain"),
    (libc::ERANGE, "ERANGE", "Numerical result out of range"),
    (libc::EDEADLK, "EDEADLK", "Resource deadlock avoided"),
    (libc::ENAMETOOLONG, "ENAMETOOLONG", "File name too long"),
    (libc::ENOLCK, "ENOLCK", "No locks available"),
    (libc::ENOSYS, "ENOSYS", "Function not implemented"),
    (libc::ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    (libc::ELOOP, "ELOOP", "Too many levels of symbolic links"),
    (libc::ENOMSG, "ENOMSG", "No message of desired type"),
    (libc::EIDRM, "EIDRM", "Identifier removed"),
    (libc::ECHRNG, "ECHRNG", "Channel number out of range"),
    (libc::EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized"),
    (libc::EL3HLT, "EL3HLT", "Level 3 halted"),
    (libc::EL3RST, "EL3RST", "Level 3 reset"),
    (libc::ELNRNG, "ELNRNG", "Link number out of range"),
    (libc::EUNATCH, "EUNATCH", "Protocol driver not attached"),
    (libc::ENOCSI, "ENOCSI", "No CSI structure available"),
    (libc::EL2HLT, "EL2HLT", "Level 2 halted"),
    (libc::EBADE, "EBADE", "Invalid exchange"),
    (libc::EBADR, "EBADR", "Invalid request descriptor"),
    (libc::EXFULL, "EXFULL", "Exchange full"),
    (libc::ENOANO, "ENOANO", "No anode"),
    (libc::EBADRQC, "EBADRQC", "Invalid request code"),
    (libc::EBADSLT, "EBADSLT", "Invalid slot"),
    (libc::EBFONT, "EBFONT", "Bad font file format"),
    (libc::ENOSTR, "ENOSTR", "Device not a stream"),
    (libc::ENODATA, "ENODATA", "No data available"),
    (libc::ETIME, "ETIME", "Timer expired"),
    (libc::ENOSR, "ENOSR", "Out of streams resources"),
    (libc::ENONET, "ENONET", "Machine is not on the network"),
    (libc::ENOPKG, "ENOPKG", "Package not installed"),
    (libc::EREMOTE, "EREMOTE", "Object is remote"),
    (libc::ENOLINK, "ENOLINK", "Link has been severed"),
    (libc::EADV, "EADV", "Advertise error"),
    (libc::ESRMNT, "ESRMNT", "Srmount error"),
    (libc::ECOMM, "ECOMM", "Communication error on send"),
    (libc::EPROTO, "EPROTO", "Protocol error"),
    (libc::EMULTIHOP, "EMULTIHOP", "Multihop attempted"),
    (libc::EDOTDOT, "EDOTDOT", "RFS specific error"),
    (libc::EBADMSG, "EBADMSG", "Bad message"),
    (
        libc::EOVERFLOW,
        "EOVERFLOW",
        "Value too large for defined data type",
    ),
    (libc::ENOTUNIQ, "ENOTUNIQ", "Name not unique on network"),
    (libc::EBADFD, "EBADFD", "File descriptor in bad state"),
    (libc::EREMCHG, "EREMCHG", "Remote address changed"),
    (
        libc::ELIBACC,
        "ELIBACC",
        "Can not access a needed shared library",
    ),
    (
        libc::ELIBBAD,
        "ELIBBAD",
        "Accessing a corrupted shared library",
    ),
    (libc::ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted"),
    (
        libc::ELIBMAX,
        "ELIBMAX",
        "Attempting to link in too many shared libraries",
    ),
    (
        libc::ELIBEXEC,
        "ELIBEXEC",
        "Cannot exec a shared library directly",
    ),
    (
        libc::EILSEQ,
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    (
        libc::ERESTART,
        "ERESTART",
        "Interrupted system call should be restarted",
    ),
    (libc::ESTRPIPE, "ESTRPIPE", "Streams pipe error"),
    (libc::EUSERS, "EUSERS", "Too many users"),
    (libc::ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"),
    (
        libc::EDESTADDRREQ,
        "EDESTADDRREQ",
        "Destination address required",
    ),
    (libc::EMSGSIZE, "EMSGSIZE", "Message too long"),
    (
        libc::EPROTOTYPE,
        "EPROTOTYPE",
        "Protocol wrong type for socket",
    ),
    (libc::ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"),
    (
        libc::EPROTONOSUPPORT,
        "EPROTONOSUPPORT",
        "Protocol not supported",
    ),
    (
        libc::ESOCKTNOSUPPORT,
        "ESOCKTNOSUPPORT",
        "Socket type not supported",
    ),
    (libc::EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"),
    (
        libc::EPFNOSUPPORT,
        "EPFNOSUPPORT",
        "Protocol family not supported",
    ),
    (
        libc::EAFNOSUPPORT,
        "EAFNOSUPPORT",
        "Address family not supported by protocol",
    ),
    (libc::EADDRINUSE, "EADDRINUSE", "Address already in use"),
    (
        libc::EADDRNOTAVAIL,
        "EADDRNOTAVAIL",
        "Cannot assign requested address",
    ),
    (libc::ENETDOWN, "ENETDOWN", "Network is down"),
    (libc::ENETUNREACH, "ENETUNREACH", "Network is unreachable"),
    (
        libc::ENETRESET,
        "ENETRESET",
        "Network dropped connection on reset",
    ),
    (
        libc::ECONNABORTED,
        "ECONNABORTED",
        "Software caused connection abort",
    ),
    (libc::ECONNRESET, "ECONNRESET", "Connection reset by peer"),
    (libc::ENOBUFS, "ENOBUFS", "No buffer space available"),
    (
        libc::EISCONN,
        "EISCONN",
        "Transport endpoint is already connected",
    ),
    (
        libc::ENOTCONN,
        "ENOTCONN",
        "Transport endpoint is not connected",
    ),
    (
        libc::ESHUTDOWN,
        "ESHUTDOWN",
        "Cannot send after transport endpoint shutdown",
    ),
    (
        libc::ETOOMANYREFS,
        "ETOOMANYREFS",
        "Too many references: cannot splice",
    ),
    (libc::ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    (libc::ECONNREFUSED, "ECONNREFUSED", "Connection refused"),
    (libc::EHOSTDOWN, "EHOSTDOWN", "Host is down"),
    (libc::EHOSTUNREACH, "EHOSTUNREACH", "No route to host"),
    (libc::EALREADY, "EALREADY", "Operation already in progress"),
    (
        libc::EINPROGRESS,
        "EINPROGRESS",
        "Operation now in progress",
    ),
    (libc::ESTALE, "ESTALE", "Stale file handle"),
    (libc::EUCLEAN, "EUCLEAN", "Structure needs cleaning"),
    (libc::ENOTNAM, "ENOTNAM", "Not a XENIX named type file"),
    (libc::ENAVAIL, "ENAVAIL", "No XENIX semaphores available"),
    (libc::EISNAM, "EISNAM", "Is a named type file"),
    (libc::EREMOTEIO, "EREMOTEIO", "Remote I/O error"),
    (libc::EDQUOT, "EDQUOT", "Disk quota exceeded"),
    (libc::ENOMEDIUM, "ENOMEDIUM", "No medium found"),
    (libc::EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type"),
    (libc::ECANCELED, "ECANCELED", "Operation canceled"),
    (libc::ENOKEY, "ENOKEY", "Required key not available"),
    (libc::EKEYEXPIRED, "EKEYEXPIRED", "Key has expired"),
    (libc::EKEYREVOKED, "EKEYREVOKED", "Key has been revoked"),
    (
        libc::EKEYREJECTED,
        "EKEYREJECTED",
        "Key was rejected by service",
    ),
    (libc::EOWNERDEAD, "EOWNERDEAD", "Owner died"),
    (
        libc::ENOTRECOVERABLE,
        "ENOTRECOVERABLE",
        "State not recoverable",
    ),
    (
        libc::ERFKILL,
        "ERFKILL",
        "Operation not possible due to RF-kill",
    ),
    (
        libc::EHWPOISON,
        "EHWPOISON",
        "Memory page has hardware error",
    ),
];

/// Other names of the same numbers, accepted by [`errno_by_name`].
static ERRNO_ALIASES: [(c_int, &str); 3] = [
    (libc::EWOULDBLOCK, "EWOULDBLOCK"),
    (libc::EDEADLOCK, "EDEADLOCK"),
    (libc::ENOTSUP, "ENOTSUP"),
];

fn errno_entry(errno: i32) -> Option<&'static (c_int, &'static str, &'static str)> {
    ERRNOS.iter().find(|e| e.0 == errno)
}

/// The name of an errno: 13 -> `"EACCES"`. `EAGAIN` for 11 and `EDEADLK` for 35.
#[must_use]
pub fn errno_name(errno: i32) -> Option<&'static str> {
    errno_entry(errno).map(|e| e.1)
}

/// The number of an errno name, in any case: `"EACCES"` or `"eacces"` -> 13. Also accepts
/// `EWOULDBLOCK`, `EDEADLOCK` and `ENOTSUP`.
#[must_use]
pub fn errno_by_name(name: &str) -> Option<i32> {
    ERRNOS
        .iter()
        .map(|e| (e.0, e.1))
        .chain(ERRNO_ALIASES.iter().copied())
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(nr, _)| nr)
}

/// glibc's `strerror` text for an errno: 13 -> `"Permission denied"`.
#[must_use]
pub fn errno_text(errno: i32) -> Option<&'static str> {
    errno_entry(errno).map(|e| e.2)
}

// ---------------------------------------------------------------------------------------------
// capabilities

/// Capability names by number (`linux/capability.h`; `libc` has none of these).
static CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The name of a capability: 21 -> `"CAP_SYS_ADMIN"`; 0 to 40.
#[must_use]
pub fn cap_name(cap: u32) -> Option<&'static str> {
    CAPS.get(usize::try_from(cap).ok()?).copied()
}

/// The number of a capability, with or without `CAP_`, in any case: `"sys_admin"` -> 21.
#[must_use]
pub fn cap_by_name(name: &str) -> Option<u32> {
    let bare = strip_prefix_ignore_case(name, "CAP_");
    let index = CAPS
        .iter()
        .position(|c| c["CAP_".len()..].eq_ignore_ascii_case(bare))?;
    u32::try_from(index).ok()
}

// ---------------------------------------------------------------------------------------------
// signals

/// The standard signals, 1 to 31.
static SIGNALS: [(c_int, &str); 31] = [
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGTRAP, "SIGTRAP"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGKILL, "SIGKILL"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGPIPE, "SIGPIPE"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGSTKFLT, "SIGSTKFLT"),
    (libc::SIGCHLD, "SIGCHLD"),
    (libc::SIGCONT, "SIGCONT"),
    (libc::SIGSTOP, "SIGSTOP"),
    (libc::SIGTSTP, "SIGTSTP"),
    (libc::SIGTTIN, "SIGTTIN"),
    (libc::SIGTTOU, "SIGTTOU"),
    (libc::SIGURG, "SIGURG"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGWINCH, "SIGWINCH"),
    (libc::SIGIO, "SIGIO"),
    (libc::SIGPWR, "SIGPWR"),
    (libc::SIGSYS, "SIGSYS"),
];

/// Other names of standard signals, accepted by [`signal_by_name`] (`SIGCLD` is not in `libc`).
static SIGNAL_ALIASES: [(c_int, &str); 3] = [
    (libc::SIGIOT, "SIGIOT"),
    (libc::SIGPOLL, "SIGPOLL"),
    (libc::SIGCHLD, "SIGCLD"),
];

/// The kernel's first real-time signal (glibc reserves 32 and 33 and calls 34 `SIGRTMIN`).
const KERNEL_SIGRTMIN: u32 = 32;
/// The last signal number.
const SIGRTMAX: u32 = 64;

/// The name of a standard signal: 9 -> `"SIGKILL"`, 1 to 31. Real-time signals (32 to 64) and
/// anything else give `None`; see [`signal_label`].
#[must_use]
pub fn signal_name(sig: u32) -> Option<&'static str> {
    let sig = c_int::try_from(sig).ok()?;
    SIGNALS.iter().find(|s| s.0 == sig).map(|s| s.1)
}

/// A signal as users should read it: the name for 1 to 31, `SIGRT+n` for 32 + n up to 64, the
/// number otherwise.
#[must_use]
pub fn signal_label(sig: u32) -> String {
    match signal_name(sig) {
        Some(name) => name.to_owned(),
        None if (KERNEL_SIGRTMIN..=SIGRTMAX).contains(&sig) => {
            format!("SIGRT+{}", sig - KERNEL_SIGRTMIN)
        }
        None => sig.to_string(),
    }
}

/// The number of a standard signal, with or without `SIG`, in any case: `"kill"` -> 9. Also
/// accepts `SIGIOT`, `SIGPOLL` and `SIGCLD`.
#[must_use]
pub fn signal_by_name(name: &str) -> Option<u32> {
    let bare = strip_prefix_ignore_case(name, "SIG");
    SIGNALS
        .iter()
        .chain(SIGNAL_ALIASES.iter())
        .find(|s| s.1["SIG".len()..].eq_ignore_ascii_case(bare))
        .and_then(|s| u32::try_from(s.0).ok())
}

// ---------------------------------------------------------------------------------------------
// resource limits

/// Resource limits: number, name, and the row label of `/proc/PID/limits` (`fs/proc/base.c`).
static RLIMITS: [(i64, &str, &str); 16] = [
    (libc::RLIMIT_CPU as i64, "RLIMIT_CPU", "Max cpu time"),
    (libc::RLIMIT_FSIZE as i64, "RLIMIT_FSIZE", "Max file size"),
    (libc::RLIMIT_DATA as i64, "RLIMIT_DATA", "Max data size"),
    (libc::RLIMIT_STACK as i64, "RLIMIT_STACK", "Max stack size"),
    (
        libc::RLIMIT_CORE as i64,
        "RLIMIT_CORE",
        "Max core file size",
    ),
    (libc::RLIMIT_RSS as i64, "RLIMIT_RSS", "Max resident set"),
    (libc::RLIMIT_NPROC as i64, "RLIMIT_NPROC", "Max processes"),
    (
        libc::RLIMIT_NOFILE as i64,
        "RLIMIT_NOFILE",
        "Max open files",
    ),
    (
        libc::RLIMIT_MEMLOCK as i64,
        "RLIMIT_MEMLOCK",
        "Max locked memory",
    ),
    (libc::RLIMIT_AS as i64, "RLIMIT_AS", "Max address space"),
    (libc::RLIMIT_LOCKS as i64, "RLIMIT_LOCKS", "Max file locks"),
    (
        libc::RLIMIT_SIGPENDING as i64,
        "RLIMIT_SIGPENDING",
        "Max pending signals",
    ),
    (
        libc::RLIMIT_MSGQUEUE as i64,
        "RLIMIT_MSGQUEUE",
        "Max msgqueue size",
    ),
    (libc::RLIMIT_NICE as i64, "RLIMIT_NICE", "Max nice priority"),
    (
        libc::RLIMIT_RTPRIO as i64,
        "RLIMIT_RTPRIO",
        "Max realtime priority",
    ),
    (
        libc::RLIMIT_RTTIME as i64,
        "RLIMIT_RTTIME",
        "Max realtime timeout",
    ),
];

fn rlimit_entry(resource: u32) -> Option<&'static (i64, &'static str, &'static str)> {
    RLIMITS.iter().find(|r| r.0 == i64::from(resource))
}

/// The name of a resource limit: 7 -> `"RLIMIT_NOFILE"`; 0 to 15.
#[must_use]
pub fn rlimit_name(resource: u32) -> Option<&'static str> {
    rlimit_entry(resource).map(|r| r.1)
}

/// The row label of a resource limit in `/proc/PID/limits`: 7 -> `"Max open files"`.
#[must_use]
pub fn rlimit_proc_label(resource: u32) -> Option<&'static str> {
    rlimit_entry(resource).map(|r| r.2)
}

// ---------------------------------------------------------------------------------------------
// open flags

/// `open` flags other than the access mode, in bit order. Composite flags (`O_SYNC`, `O_TMPFILE`)
/// come before their parts; a lone `__O_SYNC` or `__O_TMPFILE` bit keeps the kernel's name.
static OPEN_FLAGS: [(u64, &str); 19] = [
    (bits(libc::O_CREAT), "O_CREAT"),
    (bits(libc::O_EXCL), "O_EXCL"),
    (bits(libc::O_NOCTTY), "O_NOCTTY"),
    (bits(libc::O_TRUNC), "O_TRUNC"),
    (bits(libc::O_APPEND), "O_APPEND"),
    (bits(libc::O_NONBLOCK), "O_NONBLOCK"),
    (bits(libc::O_SYNC), "O_SYNC"),
    (bits(libc::O_DSYNC), "O_DSYNC"),
    (bits(libc::O_ASYNC), "O_ASYNC"),
    (bits(libc::O_DIRECT), "O_DIRECT"),
    // glibc's O_LARGEFILE is 0 on 64-bit targets; this is the kernel's bit.
    (0o100_000, "O_LARGEFILE"),
    (bits(libc::O_TMPFILE), "O_TMPFILE"),
    (bits(libc::O_DIRECTORY), "O_DIRECTORY"),
    (bits(libc::O_NOFOLLOW), "O_NOFOLLOW"),
    (bits(libc::O_NOATIME), "O_NOATIME"),
    (bits(libc::O_CLOEXEC), "O_CLOEXEC"),
    (bits(libc::O_SYNC & !libc::O_DSYNC), "__O_SYNC"),
    (bits(libc::O_PATH), "O_PATH"),
    (bits(libc::O_TMPFILE & !libc::O_DIRECTORY), "__O_TMPFILE"),
];

/// `open` flags: `"O_RDWR|O_NOCTTY|O_CLOEXEC"`. The access mode always comes first (`O_RDONLY`
/// for 0, `O_ACCMODE` for the special 3); unknown bits follow in hex.
#[must_use]
pub fn open_flags(flags: u64) -> String {
    let accmode = flags & bits(libc::O_ACCMODE);
    let access = match accmode {
        a if a == bits(libc::O_RDONLY) => "O_RDONLY",
        a if a == bits(libc::O_WRONLY) => "O_WRONLY",
        a if a == bits(libc::O_RDWR) => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let mut parts = vec![access.to_owned()];
    push_flags(&mut parts, flags & !bits(libc::O_ACCMODE), &OPEN_FLAGS);
    parts.join("|")
}

/// What an `open` asks to do with the file, as the kernel checks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Read permission is needed.
    pub read: bool,
    /// Write permission is needed.
    pub write: bool,
}

/// The permissions an `open` with `flags` needs: from `O_ACCMODE` (the special mode 3 needs both),
/// plus write for `O_TRUNC`, as the kernel's `build_open_flags` computes them. `O_PATH` needs
/// neither.
#[must_use]
pub fn open_access(flags: u64) -> Access {
    if flags & bits(libc::O_PATH) != 0 {
        return Access::default();
    }
    let accmode = flags & bits(libc::O_ACCMODE);
    Access {
        read: accmode != bits(libc::O_WRONLY),
        write: accmode != bits(libc::O_RDONLY) || flags & bits(libc::O_TRUNC) != 0,
    }
}

// ---------------------------------------------------------------------------------------------
// *at flags

/// `AT_*` flags. 0x200 is `AT_REMOVEDIR` here; see [`at_flags_for`].
static AT_FLAGS: [(u64, &str); 9] = [
    (bits(libc::AT_SYMLINK_NOFOLLOW), "AT_SYMLINK_NOFOLLOW"),
    (bits(libc::AT_REMOVEDIR), "AT_REMOVEDIR"),
    (bits(libc::AT_SYMLINK_FOLLOW), "AT_SYMLINK_FOLLOW"),
    (bits(libc::AT_NO_AUTOMOUNT), "AT_NO_AUTOMOUNT"),
    (bits(libc::AT_EMPTY_PATH), "AT_EMPTY_PATH"),
    (bits(libc::AT_STATX_FORCE_SYNC), "AT_STATX_FORCE_SYNC"),
    (bits(libc::AT_STATX_DONT_SYNC), "AT_STATX_DONT_SYNC"),
    (bits(libc::AT_RECURSIVE), "AT_RECURSIVE"),
    (bits(libc::AT_EXECVE_CHECK), "AT_EXECVE_CHECK"),
];

/// `AT_*` flags: `"AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH"`. The bit 0x200 is named `AT_REMOVEDIR`
/// (its meaning for `unlinkat`); use [`at_flags_for`] when the syscall is known.
#[must_use]
pub fn at_flags(flags: u64) -> String {
    flag_string(flags, &AT_FLAGS)
}

/// `AT_*` flags of a given syscall: as [`at_flags`], except that 0x200 is `AT_EACCESS` for
/// `faccessat`/`faccessat2` and `AT_HANDLE_FID` for `name_to_handle_at`.
#[must_use]
pub fn at_flags_for(syscall: &str, flags: u64) -> String {
    let shared = match syscall {
        "faccessat" | "faccessat2" => "AT_EACCESS",
        "name_to_handle_at" => "AT_HANDLE_FID",
        _ => return at_flags(flags),
    };
    let mut table = AT_FLAGS;
    for entry in &mut table {
        if entry.0 == bits(libc::AT_REMOVEDIR) {
            entry.1 = shared;
        }
    }
    flag_string(flags, &table)
}

// ---------------------------------------------------------------------------------------------
// clone and unshare

/// `CLONE_*` flags above the exit-signal byte, in bit order.
static CLONE_FLAGS: [(u64, &str); 26] = [
    (bits(libc::CLONE_VM), "CLONE_VM"),
    (bits(libc::CLONE_FS), "CLONE_FS"),
    (bits(libc::CLONE_FILES), "CLONE_FILES"),
    (bits(libc::CLONE_SIGHAND), "CLONE_SIGHAND"),
    (bits(libc::CLONE_PIDFD), "CLONE_PIDFD"),
    (bits(libc::CLONE_PTRACE), "CLONE_PTRACE"),
    (bits(libc::CLONE_VFORK), "CLONE_VFORK"),
    (bits(libc::CLONE_PARENT), "CLONE_PARENT"),
    (bits(libc::CLONE_THREAD), "CLONE_THREAD"),
    (bits(libc::CLONE_NEWNS), "CLONE_NEWNS"),
    (bits(libc::CLONE_SYSVSEM), "CLONE_SYSVSEM"),
    (bits(libc::CLONE_SETTLS), "CLONE_SETTLS"),
    (bits(libc::CLONE_PARENT_SETTID), "CLONE_PARENT_SETTID"),
    (bits(libc::CLONE_CHILD_CLEARTID), "CLONE_CHILD_CLEARTID"),
    (bits(libc::CLONE_DETACHED), "CLONE_DETACHED"),
    (bits(libc::CLONE_UNTRACED), "CLONE_UNTRACED"),
    (bits(libc::CLONE_CHILD_SETTID), "CLONE_CHILD_SETTID"),
    (bits(libc::CLONE_NEWCGROUP), "CLONE_NEWCGROUP"),
    (bits(libc::CLONE_NEWUTS), "CLONE_NEWUTS"),
    (bits(libc::CLONE_NEWIPC), "CLONE_NEWIPC"),
    (bits(libc::CLONE_NEWUSER), "CLONE_NEWUSER"),
    (bits(libc::CLONE_NEWPID), "CLONE_NEWPID"),
    (bits(libc::CLONE_NEWNET), "CLONE_NEWNET"),
    (bits(libc::CLONE_IO), "CLONE_IO"),
    // clone3 only; libc's constants for these are deprecated (they overflow its c_int).
    (0x1_0000_0000, "CLONE_CLEAR_SIGHAND"),
    (0x2_0000_0000, "CLONE_INTO_CGROUP"),
];

/// `clone`'s exit-signal byte (`CSIGNAL`).
const CSIGNAL: u64 = 0xff;

/// `clone` flags: `"CLONE_VM|CLONE_NEWUSER|SIGCHLD"`, with the exit signal of the low byte last.
/// A low byte of 0x80 is named `CLONE_NEWTIME` (its meaning in `clone3` flags, where there is no
/// signal byte); another byte that is not a signal is shown in hex.
#[must_use]
pub fn clone_flags(flags: u64) -> String {
    let mut parts = Vec::new();
    push_flags(&mut parts, flags & !CSIGNAL, &CLONE_FLAGS);
    let low = flags & CSIGNAL;
    if low == bits(libc::CLONE_NEWTIME) {
        parts.push("CLONE_NEWTIME".to_owned());
    } else if low != 0 {
        match u32::try_from(low) {
            Ok(sig) if sig <= SIGRTMAX => parts.push(signal_label(sig)),
            _ => parts.push(format!("{low:#x}")),
        }
    }
    join(&parts)
}

/// The flags `unshare` accepts (and `setns`'s namespace types), in bit order.
static UNSHARE_FLAGS: [(u64, &str); 14] = [
    (bits(libc::CLONE_NEWTIME), "CLONE_NEWTIME"),
    (bits(libc::CLONE_VM), "CLONE_VM"),
    (bits(libc::CLONE_FS), "CLONE_FS"),
    (bits(libc::CLONE_FILES), "CLONE_FILES"),
    (bits(libc::CLONE_SIGHAND), "CLONE_SIGHAND"),
    (bits(libc::CLONE_THREAD), "CLONE_THREAD"),
    (bits(libc::CLONE_NEWNS), "CLONE_NEWNS"),
    (bits(libc::CLONE_SYSVSEM), "CLONE_SYSVSEM"),
    (bits(libc::CLONE_NEWCGROUP), "CLONE_NEWCGROUP"),
    (bits(libc::CLONE_NEWUTS), "CLONE_NEWUTS"),
    (bits(libc::CLONE_NEWIPC), "CLONE_NEWIPC"),
    (bits(libc::CLONE_NEWUSER), "CLONE_NEWUSER"),
    (bits(libc::CLONE_NEWPID), "CLONE_NEWPID"),
    (bits(libc::CLONE_NEWNET), "CLONE_NEWNET"),
];

/// `unshare` flags (or a `setns` namespace type): `"CLONE_NEWNS|CLONE_NEWUSER"`; `0` for none.
#[must_use]
pub fn unshare_flags(flags: u64) -> String {
    flag_string(flags, &UNSHARE_FLAGS)
}

// ---------------------------------------------------------------------------------------------
// rename, mount and socket flags

/// `renameat2` flags.
static RENAME_FLAGS: [(u64, &str); 3] = [
    (libc::RENAME_NOREPLACE as u64, "RENAME_NOREPLACE"),
    (libc::RENAME_EXCHANGE as u64, "RENAME_EXCHANGE"),
    (libc::RENAME_WHITEOUT as u64, "RENAME_WHITEOUT"),
];

/// `renameat2` flags: `"RENAME_NOREPLACE"`; `0` for none.
#[must_use]
pub fn rename_flags(flags: u64) -> String {
    flag_string(flags, &RENAME_FLAGS)
}

/// `mount` flags, in bit order.
static MOUNT_FLAGS: [(u64, &str); 27] = [
    (libc::MS_RDONLY, "MS_RDONLY"),
    (libc::MS_NOSUID, "MS_NOSUID"),
    (libc::MS_NODEV, "MS_NODEV"),
    (libc::MS_NOEXEC, "MS_NOEXEC"),
    (libc::MS_SYNCHRONOUS, "MS_SYNCHRONOUS"),
    (libc::MS_REMOUNT, "MS_REMOUNT"),
    (libc::MS_MANDLOCK, "MS_MANDLOCK"),
    (libc::MS_DIRSYNC, "MS_DIRSYNC"),
    (libc::MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"),
    (libc::MS_NOATIME, "MS_NOATIME"),
    (libc::MS_NODIRATIME, "MS_NODIRATIME"),
    (libc::MS_BIND, "MS_BIND"),
    (libc::MS_MOVE, "MS_MOVE"),
    (libc::MS_REC, "MS_REC"),
    (libc::MS_SILENT, "MS_SILENT"),
    (libc::MS_POSIXACL, "MS_POSIXACL"),
    (libc::MS_UNBINDABLE, "MS_UNBINDABLE"),
    (libc::MS_PRIVATE, "MS_PRIVATE"),
    (libc::MS_SLAVE, "MS_SLAVE"),
    (libc::MS_SHARED, "MS_SHARED"),
    (libc::MS_RELATIME, "MS_RELATIME"),
    (libc::MS_KERNMOUNT, "MS_KERNMOUNT"),
    (libc::MS_I_VERSION, "MS_I_VERSION"),
    (libc::MS_STRICTATIME, "MS_STRICTATIME"),
    (libc::MS_LAZYTIME, "MS_LAZYTIME"),
    (libc::MS_ACTIVE, "MS_ACTIVE"),
    (libc::MS_NOUSER, "MS_NOUSER"),
];

/// `mount` flags: `"MS_BIND|MS_REC"`; `0` for none. The old magic `MS_MGC_VAL` in the top 16
/// bits is named as such.
#[must_use]
pub fn mount_flags(flags: u64) -> String {
    let mut parts = Vec::new();
    let mut rest = flags;
    if rest & libc::MS_MGC_MSK == libc::MS_MGC_VAL {
        parts.push("MS_MGC_VAL".to_owned());
        rest &= !libc::MS_MGC_MSK;
    }
    push_flags(&mut parts, rest, &MOUNT_FLAGS);
    join(&parts)
}

/// Socket types.
static SOCKET_TYPES: [(c_int, &str); 7] = [
    (libc::SOCK_STREAM, "SOCK_STREAM"),
    (libc::SOCK_DGRAM, "SOCK_DGRAM"),
    (libc::SOCK_RAW, "SOCK_RAW"),
    (libc::SOCK_RDM, "SOCK_RDM"),
    (libc::SOCK_SEQPACKET, "SOCK_SEQPACKET"),
    (libc::SOCK_DCCP, "SOCK_DCCP"),
    // Typed: `libc` deprecates its constant (the type is obsolete, but programs still pass it).
    (10, "SOCK_PACKET"),
];

/// Flags `socket` accepts in its type argument.
static SOCKET_TYPE_FLAGS: [(u64, &str); 2] = [
    (bits(libc::SOCK_NONBLOCK), "SOCK_NONBLOCK"),
    (bits(libc::SOCK_CLOEXEC), "SOCK_CLOEXEC"),
];

/// `socket`'s type argument: `"SOCK_STREAM|SOCK_CLOEXEC"`. The type is the low 4 bits
/// (`SOCK_TYPE_MASK`), shown in decimal when unknown.
#[must_use]
pub fn socket_type(ty: u64) -> String {
    const SOCK_TYPE_MASK: u64 = 0xf;
    let kind = ty & SOCK_TYPE_MASK;
    let name = SOCKET_TYPES
        .iter()
        .find(|t| bits(t.0) == kind)
        .map_or_else(|| kind.to_string(), |t| t.1.to_owned());
    let mut parts = vec![name];
    push_flags(&mut parts, ty & !SOCK_TYPE_MASK, &SOCKET_TYPE_FLAGS);
    parts.join("|")
}

// ---------------------------------------------------------------------------------------------
// modes

/// The permission and set-id bits of a mode as four octal digits: `0o100644` -> `"0644"`.
#[must_use]
pub fn mode_octal(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// File types by their `S_IFMT` bits.
static FILE_TYPES: [(libc::mode_t, &str); 7] = [
    (libc::S_IFREG, "regular file"),
    (libc::S_IFDIR, "directory"),
    (libc::S_IFCHR, "character device"),
    (libc::S_IFBLK, "block device"),
    (libc::S_IFIFO, "fifo"),
    (libc::S_IFSOCK, "socket"),
    (libc::S_IFLNK, "symlink"),
];

/// The file type of a mode's `S_IFMT` bits: `0o100644` -> `"regular file"`; `None` when the mode
/// has no (or an unknown) type.
#[must_use]
pub fn file_type_name(mode: u32) -> Option<&'static str> {
    let kind = mode & libc::S_IFMT;
    FILE_TYPES.iter().find(|t| t.0 == kind).map(|t| t.1)
}

// ---------------------------------------------------------------------------------------------
// si_code

/// `si_code`s any signal may carry.
static SI_CODES: [(c_int, &str); 10] = [
    (libc::SI_USER, "SI_USER"),
    (libc::SI_KERNEL, "SI_KERNEL"),
    (libc::SI_QUEUE, "SI_QUEUE"),
    (libc::SI_TIMER, "SI_TIMER"),
    (libc::SI_MESGQ, "SI_MESGQ"),
    (libc::SI_ASYNCIO, "SI_ASYNCIO"),
    (libc::SI_SIGIO, "SI_SIGIO"),
    (libc::SI_TKILL, "SI_TKILL"),
    (libc::SI_DETHREAD, "SI_DETHREAD"),
    (libc::SI_ASYNCNL, "SI_ASYNCNL"),
];

/// `SIGILL` codes (typed: not in `libc`).
static ILL_CODES: [(c_int, &str); 9] = [
    (1, "ILL_ILLOPC"),
    (2, "ILL_ILLOPN"),
    (3, "ILL_ILLADR"),
    (4, "ILL_ILLTRP"),
    (5, "ILL_PRVOPC"),
    (6, "ILL_PRVREG"),
    (7, "ILL_COPROC"),
    (8, "ILL_BADSTK"),
    (9, "ILL_BADIADDR"),
];

/// `SIGFPE` codes (typed: not in `libc`).
static FPE_CODES: [(c_int, &str); 10] = [
    (1, "FPE_INTDIV"),
    (2, "FPE_INTOVF"),
    (3, "FPE_FLTDIV"),
    (4, "FPE_FLTOVF"),
    (5, "FPE_FLTUND"),
    (6, "FPE_FLTRES"),
    (7, "FPE_FLTINV"),
    (8, "FPE_FLTSUB"),
    (14, "FPE_FLTUNK"),
    (15, "FPE_CONDTRAP"),
];

/// `SIGSEGV` codes (typed: not in `libc`).
static SEGV_CODES: [(c_int, &str); 10] = [
    (1, "SEGV_MAPERR"),
    (2, "SEGV_ACCERR"),
    (3, "SEGV_BNDERR"),
    (4, "SEGV_PKUERR"),
    (5, "SEGV_ACCADI"),
    (6, "SEGV_ADIDERR"),
    (7, "SEGV_ADIPERR"),
    (8, "SEGV_MTEAERR"),
    (9, "SEGV_MTESERR"),
    (10, "SEGV_CPERR"),
];

/// `SIGBUS` codes.
static BUS_CODES: [(c_int, &str); 5] = [
    (libc::BUS_ADRALN, "BUS_ADRALN"),
    (libc::BUS_ADRERR, "BUS_ADRERR"),
    (libc::BUS_OBJERR, "BUS_OBJERR"),
    (libc::BUS_MCEERR_AR, "BUS_MCEERR_AR"),
    (libc::BUS_MCEERR_AO, "BUS_MCEERR_AO"),
];

/// `SIGTRAP` codes.
static TRAP_CODES: [(c_int, &str); 6] = [
    (libc::TRAP_BRKPT, "TRAP_BRKPT"),
    (libc::TRAP_TRACE, "TRAP_TRACE"),
    (libc::TRAP_BRANCH, "TRAP_BRANCH"),
    (libc::TRAP_HWBKPT, "TRAP_HWBKPT"),
    (libc::TRAP_UNK, "TRAP_UNK"),
    (libc::TRAP_PERF, "TRAP_PERF"),
];

/// `SIGCHLD` codes.
static CLD_CODES: [(c_int, &str); 6] = [
    (libc::CLD_EXITED, "CLD_EXITED"),
    (libc::CLD_KILLED, "CLD_KILLED"),
    (libc::CLD_DUMPED, "CLD_DUMPED"),
    (libc::CLD_TRAPPED, "CLD_TRAPPED"),
    (libc::CLD_STOPPED, "CLD_STOPPED"),
    (libc::CLD_CONTINUED, "CLD_CONTINUED"),
];

/// `SIGIO` codes (typed: not in `libc`).
static POLL_CODES: [(c_int, &str); 6] = [
    (1, "POLL_IN"),
    (2, "POLL_OUT"),
    (3, "POLL_MSG"),
    (4, "POLL_ERR"),
    (5, "POLL_PRI"),
    (6, "POLL_HUP"),
];

/// `SIGSYS` codes (typed: not in `libc`).
static SYS_CODES: [(c_int, &str); 2] = [(1, "SYS_SECCOMP"), (2, "SYS_USER_DISPATCH")];

/// The name of a signal's `si_code`: `SI_USER` (0), `SI_KERNEL` (0x80), `SI_QUEUE` (-1),
/// `SI_TKILL` (-6)... for any signal, and the signal's own positive codes: `SYS_SECCOMP` for
/// `SIGSYS` 1, `CLD_*` for `SIGCHLD`, `SEGV_*`, `BUS_*`, `ILL_*`, `FPE_*`, `TRAP_*`, `POLL_*`.
#[must_use]
pub fn si_code_name(sig: u32, code: i32) -> Option<&'static str> {
    let find =
        |table: &'static [(c_int, &'static str)]| table.iter().find(|c| c.0 == code).map(|c| c.1);
    if code <= 0 || code == libc::SI_KERNEL {
        return find(&SI_CODES);
    }
    let table: &'static [(c_int, &'static str)] = match c_int::try_from(sig).ok()? {
        libc::SIGILL => &ILL_CODES,
        libc::SIGFPE => &FPE_CODES,
        libc::SIGSEGV => &SEGV_CODES,
        libc::SIGBUS => &BUS_CODES,
        libc::SIGTRAP => &TRAP_CODES,
        libc::SIGCHLD => &CLD_CODES,
        libc::SIGIO => &POLL_CODES,
        libc::SIGSYS => &SYS_CODES,
        _ => return None,
    };
    find(table)
}

// ---------------------------------------------------------------------------------------------
// socket families

/// Address families (`AF_*`), 0 to 45.
static FAMILIES: [(c_int, &str); 46] = [
    (libc::AF_UNSPEC, "AF_UNSPEC"),
    (libc::AF_UNIX, "AF_UNIX"),
    (libc::AF_INET, "AF_INET"),
    (libc::AF_AX25, "AF_AX25"),
    (libc::AF_IPX, "AF_IPX"),
    (libc::AF_APPLETALK, "AF_APPLETALK"),
    (libc::AF_NETROM, "AF_NETROM"),
    (libc::AF_BRIDGE, "AF_BRIDGE"),
    (libc::AF_ATMPVC, "AF_ATMPVC"),
    (libc::AF_X25, "AF_X25"),
    (libc::AF_INET6, "AF_INET6"),
    (libc::AF_ROSE, "AF_ROSE"),
    (libc::AF_DECnet, "AF_DECnet"),
    (libc::AF_NETBEUI, "AF_NETBEUI"),
    (libc::AF_SECURITY, "AF_SECURITY"),
    (libc::AF_KEY, "AF_KEY"),
    (libc::AF_NETLINK, "AF_NETLINK"),
    (libc::AF_PACKET, "AF_PACKET"),
    (libc::AF_ASH, "AF_ASH"),
    (libc::AF_ECONET, "AF_ECONET"),
    (libc::AF_ATMSVC, "AF_ATMSVC"),
    (libc::AF_RDS, "AF_RDS"),
    (libc::AF_SNA, "AF_SNA"),
    (libc::AF_IRDA, "AF_IRDA"),
    (libc::AF_PPPOX, "AF_PPPOX"),
    (libc::AF_WANPIPE, "AF_WANPIPE"),
    (libc::AF_LLC, "AF_LLC"),
    (libc::AF_IB, "AF_IB"),
    (libc::AF_MPLS, "AF_MPLS"),
    (libc::AF_CAN, "AF_CAN"),
    (libc::AF_TIPC, "AF_TIPC"),
    (libc::AF_BLUETOOTH, "AF_BLUETOOTH"),
    (libc::AF_IUCV, "AF_IUCV"),
    (libc::AF_RXRPC, "AF_RXRPC"),
    (libc::AF_ISDN, "AF_ISDN"),
    (libc::AF_PHONET, "AF_PHONET"),
    (libc::AF_IEEE802154, "AF_IEEE802154"),
    (libc::AF_CAIF, "AF_CAIF"),
    (libc::AF_ALG, "AF_ALG"),
    (libc::AF_NFC, "AF_NFC"),
    (libc::AF_VSOCK, "AF_VSOCK"),
    // Typed: not in `libc` (glibc's bits/socket.h).
    (41, "AF_KCM"),
    (42, "AF_QIPCRTR"),
    (43, "AF_SMC"),
    (libc::AF_XDP, "AF_XDP"),
    (45, "AF_MCTP"),
];

/// The name of an address family: 1 -> `"AF_UNIX"`, 10 -> `"AF_INET6"`.
#[must_use]
pub fn socket_family(family: u32) -> Option<&'static str> {
    let family = c_int::try_from(family).ok()?;
    FAMILIES.iter().find(|f| f.0 == family).map(|f| f.1)
}

// ---------------------------------------------------------------------------------------------
// ptrace and prctl

/// `ptrace` requests (x86-64).
static PTRACE_REQUESTS: [(u64, &str); 42] = [
    (libc::PTRACE_TRACEME as u64, "PTRACE_TRACEME"),
    (libc::PTRACE_PEEKTEXT as u64, "PTRACE_PEEKTEXT"),
    (libc::PTRACE_PEEKDATA as u64, "PTRACE_PEEKDATA"),
    (libc::PTRACE_PEEKUSER as u64, "PTRACE_PEEKUSER"),
    (libc::PTRACE_POKETEXT as u64, "PTRACE_POKETEXT"),
    (libc::PTRACE_POKEDATA as u64, "PTRACE_POKEDATA"),
    (libc::PTRACE_POKEUSER as u64, "PTRACE_POKEUSER"),
    (libc::PTRACE_CONT as u64, "PTRACE_CONT"),
    (libc::PTRACE_KILL as u64, "PTRACE_KILL"),
    (libc::PTRACE_SINGLESTEP as u64, "PTRACE_SINGLESTEP"),
    (libc::PTRACE_GETREGS as u64, "PTRACE_GETREGS"),
    (libc::PTRACE_SETREGS as u64, "PTRACE_SETREGS"),
    (libc::PTRACE_GETFPREGS as u64, "PTRACE_GETFPREGS"),
    (libc::PTRACE_SETFPREGS as u64, "PTRACE_SETFPREGS"),
    (libc::PTRACE_ATTACH as u64, "PTRACE_ATTACH"),
    (libc::PTRACE_DETACH as u64, "PTRACE_DETACH"),
    (libc::PTRACE_GETFPXREGS as u64, "PTRACE_GETFPXREGS"),
    (libc::PTRACE_SETFPXREGS as u64, "PTRACE_SETFPXREGS"),
    (libc::PTRACE_SYSCALL as u64, "PTRACE_SYSCALL"),
    // Typed: not in `libc` (asm/ptrace-abi.h).
    (30, "PTRACE_ARCH_PRCTL"),
    (libc::PTRACE_SYSEMU as u64, "PTRACE_SYSEMU"),
    (
        libc::PTRACE_SYSEMU_SINGLESTEP as u64,
        "PTRACE_SYSEMU_SINGLESTEP",
    ),
    (33, "PTRACE_SINGLEBLOCK"),
    (libc::PTRACE_SETOPTIONS as u64, "PTRACE_SETOPTIONS"),
    (libc::PTRACE_GETEVENTMSG as u64, "PTRACE_GETEVENTMSG"),
    (libc::PTRACE_GETSIGINFO as u64, "PTRACE_GETSIGINFO"),
    (libc::PTRACE_SETSIGINFO as u64, "PTRACE_SETSIGINFO"),
    (libc::PTRACE_GETREGSET as u64, "PTRACE_GETREGSET"),
    (libc::PTRACE_SETREGSET as u64, "PTRACE_SETREGSET"),
    (libc::PTRACE_SEIZE as u64, "PTRACE_SEIZE"),
    (libc::PTRACE_INTERRUPT as u64, "PTRACE_INTERRUPT"),
    (libc::PTRACE_LISTEN as u64, "PTRACE_LISTEN"),
    (libc::PTRACE_PEEKSIGINFO as u64, "PTRACE_PEEKSIGINFO"),
    (libc::PTRACE_GETSIGMASK as u64, "PTRACE_GETSIGMASK"),
    (libc::PTRACE_SETSIGMASK as u64, "PTRACE_SETSIGMASK"),
    // Typed: not in `libc`, or only in its glibc part (linux/ptrace.h).
    (0x420c, "PTRACE_SECCOMP_GET_FILTER"),
    (0x420d, "PTRACE_SECCOMP_GET_METADATA"),
    (0x420e, "PTRACE_GET_SYSCALL_INFO"),
    (0x420f, "PTRACE_GET_RSEQ_CONFIGURATION"),
    (0x4210, "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG"),
    (0x4211, "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG"),
    (0x4212, "PTRACE_SET_SYSCALL_INFO"),
];

/// The name of a `ptrace` request: 16 -> `"PTRACE_ATTACH"`, 0x4206 -> `"PTRACE_SEIZE"`.
#[must_use]
pub fn ptrace_request_name(request: u64) -> Option<&'static str> {
    PTRACE_REQUESTS.iter().find(|r| r.0 == request).map(|r| r.1)
}

/// `prctl` options.
static PRCTL_OPTIONS: [(u64, &str); 66] = [
    (bits(libc::PR_SET_PDEATHSIG), "PR_SET_PDEATHSIG"),
    (bits(libc::PR_GET_PDEATHSIG), "PR_GET_PDEATHSIG"),
    (bits(libc::PR_GET_DUMPABLE), "PR_GET_DUMPABLE"),
    (bits(libc::PR_SET_DUMPABLE), "PR_SET_DUMPABLE"),
    (bits(libc::PR_GET_UNALIGN), "PR_GET_UNALIGN"),
    (bits(libc::PR_SET_UNALIGN), "PR_SET_UNALIGN"),
    (bits(libc::PR_GET_KEEPCAPS), "PR_GET_KEEPCAPS"),
    (bits(libc::PR_SET_KEEPCAPS), "PR_SET_KEEPCAPS"),
    (bits(libc::PR_GET_FPEMU), "PR_GET_FPEMU"),
    (bits(libc::PR_SET_FPEMU), "PR_SET_FPEMU"),
    (bits(libc::PR_GET_FPEXC), "PR_GET_FPEXC"),
    (bits(libc::PR_SET_FPEXC), "PR_SET_FPEXC"),
    (bits(libc::PR_GET_TIMING), "PR_GET_TIMING"),
    (bits(libc::PR_SET_TIMING), "PR_SET_TIMING"),
    (bits(libc::PR_SET_NAME), "PR_SET_NAME"),
    (bits(libc::PR_GET_NAME), "PR_GET_NAME"),
    (bits(libc::PR_GET_ENDIAN), "PR_GET_ENDIAN"),
    (bits(libc::PR_SET_ENDIAN), "PR_SET_ENDIAN"),
    (bits(libc::PR_GET_SECCOMP), "PR_GET_SECCOMP"),
    (bits(libc::PR_SET_SECCOMP), "PR_SET_SECCOMP"),
    (bits(libc::PR_CAPBSET_READ), "PR_CAPBSET_READ"),
    (bits(libc::PR_CAPBSET_DROP), "PR_CAPBSET_DROP"),
    (bits(libc::PR_GET_TSC), "PR_GET_TSC"),
    (bits(libc::PR_SET_TSC), "PR_SET_TSC"),
    (bits(libc::PR_GET_SECUREBITS), "PR_GET_SECUREBITS"),
    (bits(libc::PR_SET_SECUREBITS), "PR_SET_SECUREBITS"),
    (bits(libc::PR_SET_TIMERSLACK), "PR_SET_TIMERSLACK"),
    (bits(libc::PR_GET_TIMERSLACK), "PR_GET_TIMERSLACK"),
    (
        bits(libc::PR_TASK_PERF_EVENTS_DISABLE),
        "PR_TASK_PERF_EVENTS_DISABLE",
    ),
    (
        bits(libc::PR_TASK_PERF_EVENTS_ENABLE),
        "PR_TASK_PERF_EVENTS_ENABLE",
    ),
    (bits(libc::PR_MCE_KILL), "PR_MCE_KILL"),
    (bits(libc::PR_MCE_KILL_GET), "PR_MCE_KILL_GET"),
    (bits(libc::PR_SET_MM), "PR_SET_MM"),
    (bits(libc::PR_SET_CHILD_SUBREAPER), "PR_SET_CHILD_SUBREAPER"),
    (bits(libc::PR_GET_CHILD_SUBREAPER), "PR_GET_CHILD_SUBREAPER"),
    (bits(libc::PR_SET_NO_NEW_PRIVS), "PR_SET_NO_NEW_PRIVS"),
    (bits(libc::PR_GET_NO_NEW_PRIVS), "PR_GET_NO_NEW_PRIVS"),
    (bits(libc::PR_GET_TID_ADDRESS), "PR_GET_TID_ADDRESS"),
    (bits(libc::PR_SET_THP_DISABLE), "PR_SET_THP_DISABLE"),
    (bits(libc::PR_GET_THP_DISABLE), "PR_GET_THP_DISABLE"),
    (
        bits(libc::PR_MPX_ENABLE_MANAGEMENT),
        "PR_MPX_ENABLE_MANAGEMENT",
    ),
    (
        bits(libc::PR_MPX_DISABLE_MANAGEMENT),
        "PR_MPX_DISABLE_MANAGEMENT",
    ),
    (bits(libc::PR_SET_FP_MODE), "PR_SET_FP_MODE"),
    (bits(libc::PR_GET_FP_MODE), "PR_GET_FP_MODE"),
    (bits(libc::PR_CAP_AMBIENT), "PR_CAP_AMBIENT"),
    // Typed from here to PR_SME_GET_VL where `libc` lacks them, or has them only for glibc
    // (linux/prctl.h).
    (50, "PR_SVE_SET_VL"),
    (51, "PR_SVE_GET_VL"),
    (52, "PR_GET_SPECULATION_CTRL"),
    (53, "PR_SET_SPECULATION_CTRL"),
    (54, "PR_PAC_RESET_KEYS"),
    (55, "PR_SET_TAGGED_ADDR_CTRL"),
    (56, "PR_GET_TAGGED_ADDR_CTRL"),
    (57, "PR_SET_IO_FLUSHER"),
    (58, "PR_GET_IO_FLUSHER"),
    (59, "PR_SET_SYSCALL_USER_DISPATCH"),
    (60, "PR_PAC_SET_ENABLED_KEYS"),
    (61, "PR_PAC_GET_ENABLED_KEYS"),
    (bits(libc::PR_SCHED_CORE), "PR_SCHED_CORE"),
    (63, "PR_SME_SET_VL"),
    (64, "PR_SME_GET_VL"),
    (bits(libc::PR_SET_MDWE), "PR_SET_MDWE"),
    (bits(libc::PR_GET_MDWE), "PR_GET_MDWE"),
    (bits(libc::PR_SET_MEMORY_MERGE), "PR_SET_MEMORY_MERGE"),
    (bits(libc::PR_GET_MEMORY_MERGE), "PR_GET_MEMORY_MERGE"),
    (bits(libc::PR_SET_VMA), "PR_SET_VMA"),
    (bits(libc::PR_SET_PTRACER), "PR_SET_PTRACER"),
];

/// The name of a `prctl` option: 38 -> `"PR_SET_NO_NEW_PRIVS"`, 22 -> `"PR_SET_SECCOMP"`.
#[must_use]
pub fn prctl_option_name(option: u64) -> Option<&'static str> {
    PRCTL_OPTIONS.iter().find(|o| o.0 == option).map(|o| o.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(v: c_int) -> u64 {
        u64::try_from(v).unwrap()
    }

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(13), Some("EACCES"));
        assert_eq!(errno_name(libc::EPERM), Some("EPERM"));
        assert_eq!(errno_name(11), Some("EAGAIN"));
        assert_eq!(errno_name(35), Some("EDEADLK"));
        assert_eq!(errno_name(95), Some("EOPNOTSUPP"));
        assert_eq!(errno_name(133), Some("EHWPOISON"));
        for missing in [0, 41, 58, 134, -1, i32::MAX] {
            assert_eq!(errno_name(missing), None, "{missing}");
            assert_eq!(errno_text(missing), None, "{missing}");
        }
        assert_eq!(errno_by_name("EACCES"), Some(13));
        assert_eq!(errno_by_name("eacces"), Some(13));
        assert_eq!(errno_by_name("EWOULDBLOCK"), Some(libc::EAGAIN));
        assert_eq!(errno_by_name("EDEADLOCK"), Some(libc::EDEADLK));
        assert_eq!(errno_by_name("enotsup"), Some(libc::EOPNOTSUPP));
        assert_eq!(errno_by_name("EACCESS"), None);
        assert_eq!(errno_by_name(""), None);
        assert_eq!(errno_text(13), Some("Permission denied"));
        assert_eq!(errno_text(libc::ENOENT), Some("No such file or directory"));
        assert_eq!(errno_text(libc::EPERM), Some("Operation not permitted"));
    }

    #[test]
    fn errno_table_round_trips() {
        let mut count = 0;
        for errno in 1..=133 {
            let Some(name) = errno_name(errno) else {
                assert!(errno == 41 || errno == 58, "{errno} has no name");
                continue;
            };
            count += 1;
            assert_eq!(errno_by_name(name), Some(errno), "{name}");
            assert_eq!(errno_by_name(&name.to_lowercase()), Some(errno), "{name}");
            assert!(errno_text(errno).is_some_and(|t| !t.is_empty()), "{name}");
        }
        assert_eq!(count, 131);
    }

    /// The texts are the C library's own (`std::io::Error` asks glibc's `strerror_r`).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn errno_texts_are_glibc_wording() {
        for &(errno, name, text) in &ERRNOS {
            let from_libc = std::io::Error::from_raw_os_error(errno).to_string();
            assert_eq!(from_libc, format!("{text} (os error {errno})"), "{name}");
        }
    }

    #[test]
    fn capabilities() {
        assert_eq!(cap_name(0), Some("CAP_CHOWN"));
        assert_eq!(cap_name(21), Some("CAP_SYS_ADMIN"));
        assert_eq!(cap_name(31), Some("CAP_SETFCAP"));
        assert_eq!(cap_name(40), Some("CAP_CHECKPOINT_RESTORE"));
        assert_eq!(cap_name(41), None);
        assert_eq!(cap_name(u32::MAX), None);
        for cap in 0..=40 {
            let name = cap_name(cap).unwrap();
            assert!(name.starts_with("CAP_"));
            assert_eq!(cap_by_name(name), Some(cap));
            assert_eq!(cap_by_name(&name[4..]), Some(cap));
            assert_eq!(cap_by_name(&name.to_lowercase()), Some(cap));
        }
        assert_eq!(cap_by_name("sys_admin"), Some(21));
        assert_eq!(cap_by_name("Cap_Net_Raw"), Some(13));
        assert_eq!(cap_by_name("CAP_"), None);
        assert_eq!(cap_by_name("CAP_NOPE"), None);
    }

    #[test]
    fn signals() {
        assert_eq!(signal_name(1), Some("SIGHUP"));
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(16), Some("SIGSTKFLT"));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        for sig in [0, 32, 34, 64, 65] {
            assert_eq!(signal_name(sig), None, "{sig}");
        }
        for sig in 1..=31 {
            let name = signal_name(sig).unwrap();
            assert_eq!(signal_by_name(name), Some(sig));
            assert_eq!(signal_by_name(&name[3..]), Some(sig));
            assert_eq!(signal_by_name(&name.to_lowercase()), Some(sig));
        }
        assert_eq!(signal_by_name("kill"), Some(9));
        assert_eq!(signal_by_name("SIGIOT"), Some(6));
        assert_eq!(signal_by_name("poll"), Some(29));
        assert_eq!(signal_by_name("SIGCLD"), Some(17));
        assert_eq!(signal_by_name("SIGRTMIN"), None);
        assert_eq!(signal_label(15), "SIGTERM");
        assert_eq!(signal_label(34), "SIGRT+2");
        assert_eq!(signal_label(64), "SIGRT+32");
        assert_eq!(signal_label(65), "65");
    }

    #[test]
    fn rlimits() {
        assert_eq!(rlimit_name(0), Some("RLIMIT_CPU"));
        assert_eq!(rlimit_name(7), Some("RLIMIT_NOFILE"));
        assert_eq!(rlimit_name(15), Some("RLIMIT_RTTIME"));
        assert_eq!(rlimit_name(16), None);
        assert_eq!(rlimit_proc_label(1), Some("Max file size"));
        assert_eq!(rlimit_proc_label(6), Some("Max processes"));
        assert_eq!(rlimit_proc_label(7), Some("Max open files"));
        assert_eq!(rlimit_proc_label(8), Some("Max locked memory"));
        assert_eq!(rlimit_proc_label(9), Some("Max address space"));
        assert_eq!(rlimit_proc_label(16), None);
        for (i, r) in RLIMITS.iter().enumerate() {
            assert_eq!(r.0, i64::try_from(i).unwrap(), "{}", r.1);
        }
    }

    /// The labels are the rows of this process's own `/proc/self/limits`, in order.
    #[cfg(target_os = "linux")]
    #[test]
    fn rlimit_labels_match_proc() {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let rows: Vec<&str> = limits.lines().skip(1).collect();
        assert_eq!(rows.len(), RLIMITS.len());
        for (row, r) in rows.iter().zip(&RLIMITS) {
            assert!(row.starts_with(&format!("{}  ", r.2)), "{row:?} vs {}", r.2);
        }
    }

    #[test]
    fn open_flag_strings() {
        assert_eq!(
            open_flags(flag(libc::O_RDWR | libc::O_NOCTTY)),
            "O_RDWR|O_NOCTTY"
        );
        assert_eq!(open_flags(0), "O_RDONLY");
        assert_eq!(
            open_flags(flag(
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC
            )),
            "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
        );
        assert_eq!(
            open_flags(flag(libc::O_RDWR | libc::O_TMPFILE)),
            "O_RDWR|O_TMPFILE"
        );
        assert_eq!(open_flags(flag(libc::O_DIRECTORY)), "O_RDONLY|O_DIRECTORY");
        assert_eq!(
            open_flags(flag(libc::O_WRONLY | libc::O_SYNC)),
            "O_WRONLY|O_SYNC"
        );
        assert_eq!(
            open_flags(flag(libc::O_WRONLY | libc::O_DSYNC)),
            "O_WRONLY|O_DSYNC"
        );
        assert_eq!(
            open_flags(flag(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)),
            "O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_PATH"
        );
        assert_eq!(open_flags(0o100_000), "O_RDONLY|O_LARGEFILE");
        assert_eq!(open_flags(3), "O_ACCMODE");
        assert_eq!(open_flags(0x4000_0002), "O_RDWR|0x40000000");
        assert_eq!(open_flags(1 << 40), "O_RDONLY|0x10000000000");
    }

    #[test]
    fn open_access_modes() {
        let access = |read, write| Access { read, write };
        assert_eq!(open_access(flag(libc::O_RDONLY)), access(true, false));
        assert_eq!(open_access(flag(libc::O_WRONLY)), access(false, true));
        assert_eq!(
            open_access(flag(libc::O_RDWR | libc::O_CREAT)),
            access(true, true)
        );
        assert_eq!(open_access(3), access(true, true));
        assert_eq!(
            open_access(flag(libc::O_RDONLY | libc::O_TRUNC)),
            access(true, true)
        );
        assert_eq!(open_access(flag(libc::O_PATH)), access(false, false));
        assert_eq!(
            open_access(flag(libc::O_PATH | libc::O_RDWR)),
            access(false, false)
        );
    }

    #[test]
    fn at_flag_strings() {
        assert_eq!(at_flags(0), "0");
        assert_eq!(
            at_flags(flag(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH)),
            "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH"
        );
        assert_eq!(at_flags(flag(libc::AT_REMOVEDIR)), "AT_REMOVEDIR");
        assert_eq!(at_flags(flag(libc::AT_SYMLINK_FOLLOW)), "AT_SYMLINK_FOLLOW");
        assert_eq!(at_flags(flag(libc::AT_RECURSIVE) | 1), "AT_RECURSIVE|0x1");
        assert_eq!(
            at_flags_for("faccessat2", flag(libc::AT_EACCESS)),
            "AT_EACCESS"
        );
        assert_eq!(
            at_flags_for("unlinkat", flag(libc::AT_REMOVEDIR)),
            "AT_REMOVEDIR"
        );
        assert_eq!(
            at_flags_for("name_to_handle_at", flag(libc::AT_HANDLE_FID)),
            "AT_HANDLE_FID"
        );
        assert_eq!(
            at_flags_for(
                "faccessat",
                flag(libc::AT_EACCESS | libc::AT_SYMLINK_NOFOLLOW)
            ),
            "AT_SYMLINK_NOFOLLOW|AT_EACCESS"
        );
    }

    #[test]
    fn clone_flag_strings() {
        let fork = flag(libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID | libc::SIGCHLD);
        assert_eq!(
            clone_flags(fork),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
        );
        let thread = flag(
            libc::CLONE_VM
                | libc::CLONE_FS
                | libc::CLONE_FILES
                | libc::CLONE_SIGHAND
                | libc::CLONE_THREAD
                | libc::CLONE_SYSVSEM,
        );
        assert_eq!(
            clone_flags(thread),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM"
        );
        assert_eq!(
            clone_flags(flag(
                libc::CLONE_NEWUSER | libc::CLONE_NEWPID | libc::SIGCHLD
            )),
            "CLONE_NEWUSER|CLONE_NEWPID|SIGCHLD"
        );
        assert_eq!(clone_flags(0x8000_0000), "CLONE_IO");
        assert_eq!(clone_flags(0x2_0000_0000), "CLONE_INTO_CGROUP");
        assert_eq!(clone_flags(flag(libc::CLONE_NEWTIME)), "CLONE_NEWTIME");
        assert_eq!(clone_flags(34), "SIGRT+2");
        assert_eq!(clone_flags(0x45), "0x45");
        assert_eq!(clone_flags(0), "0");
        assert_eq!(clone_flags(1 << 40), "0x10000000000");
    }

    #[test]
    fn unshare_flag_strings() {
        assert_eq!(unshare_flags(0), "0");
        assert_eq!(
            unshare_flags(flag(libc::CLONE_NEWUSER | libc::CLONE_NEWNS)),
            "CLONE_NEWNS|CLONE_NEWUSER"
        );
        assert_eq!(unshare_flags(flag(libc::CLONE_NEWNET)), "CLONE_NEWNET");
        assert_eq!(unshare_flags(flag(libc::CLONE_NEWTIME)), "CLONE_NEWTIME");
        assert_eq!(
            unshare_flags(flag(libc::CLONE_FILES | libc::CLONE_NEWCGROUP)),
            "CLONE_FILES|CLONE_NEWCGROUP"
        );
        assert_eq!(unshare_flags(flag(libc::CLONE_SETTLS)), "0x80000");
    }

    #[test]
    fn rename_mount_socket_flags() {
        assert_eq!(rename_flags(0), "0");
        assert_eq!(
            rename_flags(u64::from(libc::RENAME_NOREPLACE)),
            "RENAME_NOREPLACE"
        );
        assert_eq!(
            rename_flags(u64::from(libc::RENAME_EXCHANGE | libc::RENAME_WHITEOUT)),
            "RENAME_EXCHANGE|RENAME_WHITEOUT"
        );
        assert_eq!(mount_flags(libc::MS_BIND | libc::MS_REC), "MS_BIND|MS_REC");
        assert_eq!(
            mount_flags(libc::MS_MGC_VAL | libc::MS_RDONLY),
            "MS_MGC_VAL|MS_RDONLY"
        );
        assert_eq!(mount_flags(0), "0");
        assert_eq!(
            mount_flags(libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID),
            "MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND"
        );
        assert_eq!(socket_type(flag(libc::SOCK_STREAM)), "SOCK_STREAM");
        assert_eq!(
            socket_type(flag(
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK
            )),
            "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC"
        );
        assert_eq!(socket_type(flag(libc::SOCK_RAW) | 0x10), "SOCK_RAW|0x10");
        assert_eq!(socket_type(9), "9");
    }

    #[test]
    fn modes() {
        assert_eq!(mode_octal(0o644), "0644");
        assert_eq!(mode_octal(0o100_644), "0644");
        assert_eq!(mode_octal(0o4755), "4755");
        assert_eq!(mode_octal(0o41_777), "1777");
        assert_eq!(mode_octal(0), "0000");
        assert_eq!(file_type_name(0o100_644), Some("regular file"));
        assert_eq!(file_type_name(libc::S_IFDIR | 0o755), Some("directory"));
        assert_eq!(file_type_name(libc::S_IFCHR), Some("character device"));
        assert_eq!(file_type_name(libc::S_IFBLK), Some("block device"));
        assert_eq!(file_type_name(libc::S_IFIFO), Some("fifo"));
        assert_eq!(file_type_name(libc::S_IFSOCK), Some("socket"));
        assert_eq!(file_type_name(libc::S_IFLNK | 0o777), Some("symlink"));
        assert_eq!(file_type_name(0o644), None);
        assert_eq!(file_type_name(0o030_000), None);
    }

    #[test]
    fn si_codes() {
        let sig = |s: c_int| u32::try_from(s).unwrap();
        assert_eq!(si_code_name(sig(libc::SIGSYS), 1), Some("SYS_SECCOMP"));
        assert_eq!(
            si_code_name(sig(libc::SIGSYS), 2),
            Some("SYS_USER_DISPATCH")
        );
        assert_eq!(
            si_code_name(sig(libc::SIGCHLD), libc::CLD_EXITED),
            Some("CLD_EXITED")
        );
        assert_eq!(
            si_code_name(sig(libc::SIGCHLD), libc::CLD_KILLED),
            Some("CLD_KILLED")
        );
        assert_eq!(si_code_name(sig(libc::SIGSEGV), 1), Some("SEGV_MAPERR"));
        assert_eq!(si_code_name(sig(libc::SIGSEGV), 2), Some("SEGV_ACCERR"));
        assert_eq!(
            si_code_name(sig(libc::SIGBUS), libc::BUS_ADRERR),
            Some("BUS_ADRERR")
        );
        assert_eq!(
            si_code_name(sig(libc::SIGTRAP), libc::TRAP_BRKPT),
            Some("TRAP_BRKPT")
        );
        assert_eq!(si_code_name(sig(libc::SIGILL), 1), Some("ILL_ILLOPC"));
        assert_eq!(si_code_name(sig(libc::SIGFPE), 1), Some("FPE_INTDIV"));
        assert_eq!(si_code_name(sig(libc::SIGIO), 1), Some("POLL_IN"));
        assert_eq!(si_code_name(sig(libc::SIGKILL), 0), Some("SI_USER"));
        assert_eq!(si_code_name(sig(libc::SIGSEGV), 0x80), Some("SI_KERNEL"));
        assert_eq!(si_code_name(sig(libc::SIGTERM), -1), Some("SI_QUEUE"));
        assert_eq!(si_code_name(sig(libc::SIGALRM), -2), Some("SI_TIMER"));
        assert_eq!(si_code_name(sig(libc::SIGTERM), -6), Some("SI_TKILL"));
        assert_eq!(si_code_name(sig(libc::SIGKILL), 1), None);
        assert_eq!(si_code_name(sig(libc::SIGSYS), 3), None);
        assert_eq!(si_code_name(sig(libc::SIGTERM), -100), None);
        assert_eq!(libc::SI_USER, 0);
        assert_eq!(libc::SI_KERNEL, 0x80);
        assert_eq!(libc::SI_QUEUE, -1);
        assert_eq!(libc::SI_TKILL, -6);
    }

    #[test]
    fn socket_families() {
        assert_eq!(socket_family(0), Some("AF_UNSPEC"));
        assert_eq!(socket_family(1), Some("AF_UNIX"));
        assert_eq!(socket_family(2), Some("AF_INET"));
        assert_eq!(socket_family(10), Some("AF_INET6"));
        assert_eq!(socket_family(16), Some("AF_NETLINK"));
        assert_eq!(socket_family(17), Some("AF_PACKET"));
        assert_eq!(socket_family(40), Some("AF_VSOCK"));
        assert_eq!(socket_family(45), Some("AF_MCTP"));
        assert_eq!(socket_family(46), None);
        assert_eq!(socket_family(u32::MAX), None);
        for (i, f) in FAMILIES.iter().enumerate() {
            assert_eq!(usize::try_from(f.0).unwrap(), i, "{}", f.1);
        }
        assert_eq!(libc::AF_XDP + 1, 45);
    }

    #[test]
    fn ptrace_and_prctl() {
        assert_eq!(ptrace_request_name(0), Some("PTRACE_TRACEME"));
        assert_eq!(ptrace_request_name(16), Some("PTRACE_ATTACH"));
        assert_eq!(ptrace_request_name(0x4206), Some("PTRACE_SEIZE"));
        assert_eq!(
            ptrace_request_name(0x420c),
            Some("PTRACE_SECCOMP_GET_FILTER")
        );
        assert_eq!(ptrace_request_name(1000), None);
        assert_eq!(prctl_option_name(38), Some("PR_SET_NO_NEW_PRIVS"));
        assert_eq!(prctl_option_name(22), Some("PR_SET_SECCOMP"));
        assert_eq!(prctl_option_name(0x5961_6d61), Some("PR_SET_PTRACER"));
        assert_eq!(prctl_option_name(0), None);
        for table in [&PTRACE_REQUESTS[..], &PRCTL_OPTIONS[..]] {
            let mut seen = std::collections::HashSet::new();
            for &(nr, name) in table {
                assert!(seen.insert(nr), "{name} shares its number");
            }
        }
    }

    #[test]
    fn tables_have_unique_names_and_numbers() {
        fn unique<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>(rows: &[(T, &str)]) {
            let mut numbers = std::collections::HashSet::new();
            let mut names = std::collections::HashSet::new();
            for &(nr, name) in rows {
                assert!(numbers.insert(nr), "{nr:?} twice ({name})");
                assert!(names.insert(name), "{name} twice");
            }
        }
        let errnos: Vec<(c_int, &str)> = ERRNOS.iter().map(|e| (e.0, e.1)).collect();
        unique(&errnos);
        unique(&SIGNALS);
        unique(&FAMILIES);
        unique(&OPEN_FLAGS);
        unique(&AT_FLAGS);
        unique(&CLONE_FLAGS);
        unique(&UNSHARE_FLAGS);
        unique(&MOUNT_FLAGS);
        unique(&SI_CODES);
        // Single-bit flag tables name each bit once.
        for table in [
            &AT_FLAGS[..],
            &CLONE_FLAGS[..],
            &UNSHARE_FLAGS[..],
            &MOUNT_FLAGS[..],
        ] {
            for &(bit, name) in table {
                assert_eq!(bit.count_ones(), 1, "{name}");
            }
        }
    }
}
