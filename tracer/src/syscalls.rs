//! The x86-64 syscall table: number, name and the arguments that matter for explaining a denial.
//!
//! The table ([`all`]) is committed Rust source, not generated at build time. It was made by
//! `gen_syscalls.py` (a throw-away script, not kept in the repository):
//!
//! - numbers and names: every `#define __NR_<name> <nr>` of Debian 12's
//!   `/usr/include/x86_64-linux-gnu/asm/unistd_64.h` (Linux 6.1 headers, 0-450), plus by hand
//!   the calls added since, up to Linux 6.18, from `arch/x86/entry/syscalls/syscall_64.tbl`:
//!   451 `cachestat` to 469 `file_setattr`;
//! - arguments: by hand, with the parameter names of `include/linux/syscalls.h`, for the calls a
//!   sandbox commonly refuses (files, mounts, sockets, signals, processes, credentials,
//!   privileged kernel facilities). Other calls have an empty argument list.
//!
//! The tests check the numbers against the `libc` crate's `SYS_*` constants wherever it has one.
//! To add a syscall, add a row to `table::SYSCALLS` in number order; a duplicate number or one of
//! 512 or more fails to compile.

use std::collections::HashMap;
use std::sync::OnceLock;

use denytrace_common::{spec_flag, SyscallSpec, NO_ARG, SYSCALL_SLOTS};

/// What an argument means, for decoding and for choosing which ones the kernel side dereferences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A file descriptor.
    Fd,
    /// A directory file descriptor for an `*at` call (`AT_FDCWD` is -100).
    DirFd,
    /// A NUL-terminated file name the kernel resolves; the kernel side copies it.
    Path,
    /// `O_*` flags of `open` (`names::open_flags`).
    OpenFlags,
    /// A file mode (permission bits, and file type bits for `mknod`).
    Mode,
    /// `AT_*` flags.
    AtFlags,
    /// `RENAME_*` flags of `renameat2`.
    RenameFlags,
    /// A process or thread id (0, -1 and negative process groups have their `kill` meanings).
    Pid,
    /// A signal number.
    Signal,
    /// `CLONE_*` flags of `clone`, with the exit signal in the low byte.
    CloneFlags,
    /// A pointer to `clone3`'s `struct clone_args`.
    Clone3Args,
    /// A pointer to a `struct sockaddr` the call reads; the kernel side copies it.
    SockAddr,
    /// The length of the preceding [`Arg::SockAddr`].
    SockLen,
    /// A pointer to `openat2`'s `struct open_how`; the kernel side copies it.
    OpenHow,
    /// The size of the preceding [`Arg::OpenHow`].
    OpenHowSize,
    /// A user id (-1 as `u32::MAX` means "unchanged" for the `setre*`/`setres*` calls).
    Uid,
    /// A group id.
    Gid,
    /// A socket address family (`AF_*`).
    Domain,
    /// A socket type (`SOCK_*`), with `SOCK_NONBLOCK`/`SOCK_CLOEXEC` or-ed in.
    SockType,
    /// A resource limit number (`RLIMIT_*`).
    Resource,
    /// `MS_*` flags of `mount`.
    MountFlags,
    /// `CLONE_NEW*` (and other `unshare`) flags; also `setns`'s namespace type.
    UnshareFlags,
    /// `prctl`'s option (`PR_*`).
    PrctlOption,
    /// `ptrace`'s request (`PTRACE_*`).
    PtraceRequest,
    /// Any other integer.
    Int,
    /// Any other pointer, not dereferenced.
    Ptr,
}

/// One syscall of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// The x86-64 number.
    pub nr: u32,
    /// The name, as in `__NR_<name>` (so `umount2`, `newfstatat`, `prlimit64`).
    pub name: &'static str,
    /// The named arguments, in order from the first; may stop before the last real argument, and
    /// is empty for calls whose arguments need no explaining.
    pub args: &'static [(&'static str, Arg)],
}

/// Makes a table row.
const fn sc(nr: u32, name: &'static str, args: &'static [(&'static str, Arg)]) -> Syscall {
    Syscall { nr, name, args }
}

/// Number of slots of the by-number index: every x86-64 number is below this.
const SLOTS: usize = SYSCALL_SLOTS as usize;

/// The by-number index, built at compile time.
static BY_NR: [Option<&Syscall>; SLOTS] = index_by_nr(&table::SYSCALLS);

/// Builds [`BY_NR`]; a number out of range or used twice stops the build.
const fn index_by_nr(table: &'static [Syscall]) -> [Option<&'static Syscall>; SLOTS] {
    let mut index: [Option<&'static Syscall>; SLOTS] = [None; SLOTS];
    let mut i = 0;
    while i < table.len() {
        let nr = table[i].nr as usize;
        assert!(nr < SLOTS, "syscall number out of range");
        assert!(index[nr].is_none(), "two syscalls have the same number");
        index[nr] = Some(&table[i]);
        i += 1;
    }
    index
}

/// The syscall with number `nr`, if the table has one (x86-64 numbers; 335-423 are unused).
#[must_use]
pub fn by_nr(nr: i64) -> Option<&'static Syscall> {
    BY_NR.get(usize::try_from(nr).ok()?).copied().flatten()
}

/// The syscall named `name` (exactly as in the table, e.g. `"openat"`).
#[must_use]
pub fn by_name(name: &str) -> Option<&'static Syscall> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static Syscall>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| table::SYSCALLS.iter().map(|sc| (sc.name, sc)).collect())
        .get(name)
        .copied()
}

/// Every syscall of the table, in number order.
#[must_use]
pub fn all() -> &'static [Syscall] {
    &table::SYSCALLS
}

/// Whether `nr` is `fork`, `vfork`, `clone` or `clone3`.
#[must_use]
pub fn is_forklike(nr: i64) -> bool {
    by_nr(nr).is_some_and(forklike)
}

/// Whether `sc` creates a process or thread.
fn forklike(sc: &Syscall) -> bool {
    matches!(sc.name, "fork" | "vfork" | "clone" | "clone3")
}

/// Which arguments the kernel side must copy from user memory, for the `SYSCALL_SPECS` map.
///
/// `path0_arg` and `path1_arg` are the first and second [`Arg::Path`]; the small buffer is a
/// [`Arg::SockAddr`] with its [`Arg::SockLen`] (`BUF_SOCKADDR`) or an [`Arg::OpenHow`] with its
/// [`Arg::OpenHowSize`] (`BUF_OPEN_HOW`); fork-like calls get `FORKLIKE`.
#[must_use]
pub fn kernel_spec(sc: &Syscall) -> SyscallSpec {
    let position = |kind: Arg| sc.args.iter().position(|&(_, k)| k == kind);
    let mut paths = sc
        .args
        .iter()
        .enumerate()
        .filter(|&(_, &(_, k))| k == Arg::Path)
        .map(|(i, _)| i);
    let mut spec = SyscallSpec::NONE;
    spec.path0_arg = paths.next().map_or(NO_ARG, arg_index);
    spec.path1_arg = paths.next().map_or(NO_ARG, arg_index);
    let buffers = [
        (Arg::SockAddr, Arg::SockLen, spec_flag::BUF_SOCKADDR),
        (Arg::OpenHow, Arg::OpenHowSize, spec_flag::BUF_OPEN_HOW),
    ];
    for (buf, len, flag) in buffers {
        if let Some(b) = position(buf) {
            spec.buf_arg = arg_index(b);
            spec.buf_len_arg = position(len).map_or(NO_ARG, arg_index);
            spec.flags |= flag;
            break;
        }
    }
    if forklike(sc) {
        spec.flags |= spec_flag::FORKLIKE;
    }
    spec
}

/// An argument position as the kernel side stores it (the table has at most six arguments).
fn arg_index(i: usize) -> u8 {
    u8::try_from(i).expect("argument index fits in u8")
}

/// The table itself, generated (see the module documentation).
#[rustfmt::skip]
mod table {
    use super::Arg::{
        AtFlags, Clone3Args, CloneFlags, DirFd, Domain, Fd, Gid, Int, Mode, MountFlags, OpenFlags,
        OpenHow, OpenHowSize, Path, Pid, PrctlOption, Ptr, PtraceRequest, RenameFlags, Resource,
        Signal, SockAddr, SockLen, SockType, Uid, UnshareFlags,
    };
    use super::{sc, Syscall};

    /// Every syscall of the x86-64 (64-bit) ABI up to Linux 6.18, in number order.
    pub(super) static SYSCALLS: [Syscall; 381] = [
        sc(0, "read", &[("fd", Fd), ("buf", Ptr), ("count", Int)]),
        sc(1, "write", &[("fd", Fd), ("buf", Ptr), ("count", Int)]),
        sc(2, "open", &[("filename", Path), ("flags", OpenFlags), ("mode", Mode)]),
        sc(3, "close", &[("fd", Fd)]),
        sc(4, "stat", &[("filename", Path), ("statbuf", Ptr)]),
        sc(5, "fstat", &[("fd", Fd), ("statbuf", Ptr)]),
        sc(6, "lstat", &[("filename", Path), ("statbuf", Ptr)]),
        sc(7, "poll", &[]),
        sc(8, "lseek", &[("fd", Fd), ("offset", Int), ("whence", Int)]),
        sc(9, "mmap", &[("addr", Ptr), ("len", Int), ("prot", Int), ("flags", Int), ("fd", Fd), ("off", Int)]),
        sc(10, "mprotect", &[("start", Ptr), ("len", Int), ("prot", Int)]),
        sc(11, "munmap", &[]),
        sc(12, "brk", &[]),
        sc(13, "rt_sigaction", &[("sig", Signal), ("act", Ptr), ("oact", Ptr), ("sigsetsize", Int)]),
        sc(14, "rt_sigprocmask", &[]),
        sc(15, "rt_sigreturn", &[]),
        sc(16, "ioctl", &[("fd", Fd), ("cmd", Int), ("arg", Ptr)]),
        sc(17, "pread64", &[("fd", Fd), ("buf", Ptr), ("count", Int), ("pos", Int)]),
        sc(18, "pwrite64", &[("fd", Fd), ("buf", Ptr), ("count", Int), ("pos", Int)]),
        sc(19, "readv", &[("fd", Fd), ("vec", Ptr), ("vlen", Int)]),
        sc(20, "writev", &[("fd", Fd), ("vec", Ptr), ("vlen", Int)]),
        sc(21, "access", &[("filename", Path), ("mode", Int)]),
        sc(22, "pipe", &[]),
        sc(23, "select", &[]),
        sc(24, "sched_yield", &[]),
        sc(25, "mremap", &[]),
        sc(26, "msync", &[]),
        sc(27, "mincore", &[]),
        sc(28, "madvise", &[]),
        sc(29, "shmget", &[]),
        sc(30, "shmat", &[]),
        sc(31, "shmctl", &[]),
        sc(32, "dup", &[("fildes", Fd)]),
        sc(33, "dup2", &[("oldfd", Fd), ("newfd", Fd)]),
        sc(34, "pause", &[]),
        sc(35, "nanosleep", &[]),
        sc(36, "getitimer", &[]),
        sc(37, "alarm", &[]),
        sc(38, "setitimer", &[]),
        sc(39, "getpid", &[]),
        sc(40, "sendfile", &[("out_fd", Fd), ("in_fd", Fd), ("offset", Ptr), ("count", Int)]),
        sc(41, "socket", &[("family", Domain), ("type", SockType), ("protocol", Int)]),
        sc(42, "connect", &[("fd", Fd), ("uservaddr", SockAddr), ("addrlen", SockLen)]),
        sc(43, "accept", &[("fd", Fd), ("upeer_sockaddr", Ptr), ("upeer_addrlen", Ptr)]),
        sc(44, "sendto", &[("fd", Fd), ("buff", Ptr), ("len", Int), ("flags", Int), ("addr", SockAddr), ("addr_len", SockLen)]),
        sc(45, "recvfrom", &[("fd", Fd), ("ubuf", Ptr), ("size", Int), ("flags", Int), ("addr", Ptr), ("addr_len", Ptr)]),
        sc(46, "sendmsg", &[("fd", Fd), ("msg", Ptr), ("flags", Int)]),
        sc(47, "recvmsg", &[("fd", Fd), ("msg", Ptr), ("flags", Int)]),
        sc(48, "shutdown", &[("fd", Fd), ("how", Int)]),
        sc(49, "bind", &[("fd", Fd), ("umyaddr", SockAddr), ("addrlen", SockLen)]),
        sc(50, "listen", &[("fd", Fd), ("backlog", Int)]),
        sc(51, "getsockname", &[("fd", Fd), ("usockaddr", Ptr), ("usockaddr_len", Ptr)]),
        sc(52, "getpeername", &[("fd", Fd), ("usockaddr", Ptr), ("usockaddr_len", Ptr)]),
        sc(53, "socketpair", &[("family", Domain), ("type", SockType), ("protocol", Int), ("usockvec", Ptr)]),
        sc(54, "setsockopt", &[("fd", Fd), ("level", Int), ("optname", Int), ("optval", Ptr), ("optlen", Int)]),
        sc(55, "getsockopt", &[("fd", Fd), ("level", Int), ("optname", Int), ("optval", Ptr), ("optlen", Ptr)]),
        sc(56, "clone", &[("clone_flags", CloneFlags), ("newsp", Ptr), ("parent_tidptr", Ptr), ("child_tidptr", Ptr), ("tls", Int)]),
        sc(57, "fork", &[]),
        sc(58, "vfork", &[]),
        sc(59, "execve", &[("filename", Path), ("argv", Ptr), ("envp", Ptr)]),
        sc(60, "exit", &[("error_code", Int)]),
        sc(61, "wait4", &[("upid", Pid), ("stat_addr", Ptr), ("options", Int), ("ru", Ptr)]),
        sc(62, "kill", &[("pid", Pid), ("sig", Signal)]),
        sc(63, "uname", &[]),
        sc(64, "semget", &[]),
        sc(65, "semop", &[]),
        sc(66, "semctl", &[]),
        sc(67, "shmdt", &[]),
        sc(68, "msgget", &[]),
        sc(69, "msgsnd", &[]),
        sc(70, "msgrcv", &[]),
        sc(71, "msgctl", &[]),
        sc(72, "fcntl", &[("fd", Fd), ("cmd", Int), ("arg", Int)]),
        sc(73, "flock", &[("fd", Fd), ("cmd", Int)]),
        sc(74, "fsync", &[("fd", Fd)]),
        sc(75, "fdatasync", &[("fd", Fd)]),
        sc(76, "truncate", &[("path", Path), ("length", Int)]),
        sc(77, "ftruncate", &[("fd", Fd), ("length", Int)]),
        sc(78, "getdents", &[("fd", Fd), ("dirent", Ptr), ("count", Int)]),
        sc(79, "getcwd", &[("buf", Ptr), ("size", Int)]),
        sc(80, "chdir", &[("filename", Path)]),
        sc(81, "fchdir", &[("fd", Fd)]),
        sc(82, "rename", &[("oldname", Path), ("newname", Path)]),
        sc(83, "mkdir", &[("pathname", Path), ("mode", Mode)]),
        sc(84, "rmdir", &[("pathname", Path)]),
        sc(85, "creat", &[("pathname", Path), ("mode", Mode)]),
        sc(86, "link", &[("oldname", Path), ("newname", Path)]),
        sc(87, "unlink", &[("pathname", Path)]),
        sc(88, "symlink", &[("oldname", Path), ("newname", Path)]),
        sc(89, "readlink", &[("path", Path), ("buf", Ptr), ("bufsiz", Int)]),
        sc(90, "chmod", &[("filename", Path), ("mode", Mode)]),
        sc(91, "fchmod", &[("fd", Fd), ("mode", Mode)]),
        sc(92, "chown", &[("filename", Path), ("user", Uid), ("group", Gid)]),
        sc(93, "fchown", &[("fd", Fd), ("user", Uid), ("group", Gid)]),
        sc(94, "lchown", &[("filename", Path), ("user", Uid), ("group", Gid)]),
        sc(95, "umask", &[("mask", Mode)]),
        sc(96, "gettimeofday", &[]),
        sc(97, "getrlimit", &[("resource", Resource), ("rlim", Ptr)]),
        sc(98, "getrusage", &[]),
        sc(99, "sysinfo", &[]),
        sc(100, "times", &[]),
        sc(101, "ptrace", &[("request", PtraceRequest), ("pid", Pid), ("addr", Ptr), ("data", Ptr)]),
        sc(102, "getuid", &[]),
        sc(103, "syslog", &[("type", Int), ("buf", Ptr), ("len", Int)]),
        sc(104, "getgid", &[]),
        sc(105, "setuid", &[("uid", Uid)]),
        sc(106, "setgid", &[("gid", Gid)]),
        sc(107, "geteuid", &[]),
        sc(108, "getegid", &[]),
        sc(109, "setpgid", &[("pid", Pid), ("pgid", Pid)]),
        sc(110, "getppid", &[]),
        sc(111, "getpgrp", &[]),
        sc(112, "setsid", &[]),
        sc(113, "setreuid", &[("ruid", Uid), ("euid", Uid)]),
        sc(114, "setregid", &[("rgid", Gid), ("egid", Gid)]),
        sc(115, "getgroups", &[("gidsetsize", Int), ("grouplist", Ptr)]),
        sc(116, "setgroups", &[("gidsetsize", Int), ("grouplist", Ptr)]),
        sc(117, "setresuid", &[("ruid", Uid), ("euid", Uid), ("suid", Uid)]),
        sc(118, "getresuid", &[]),
        sc(119, "setresgid", &[("rgid", Gid), ("egid", Gid), ("sgid", Gid)]),
        sc(120, "getresgid", &[]),
        sc(121, "getpgid", &[("pid", Pid)]),
        sc(122, "setfsuid", &[("uid", Uid)]),
        sc(123, "setfsgid", &[("gid", Gid)]),
        sc(124, "getsid", &[("pid", Pid)]),
        sc(125, "capget", &[("header", Ptr), ("dataptr", Ptr)]),
        sc(126, "capset", &[("header", Ptr), ("data", Ptr)]),
        sc(127, "rt_sigpending", &[]),
        sc(128, "rt_sigtimedwait", &[]),
        sc(129, "rt_sigqueueinfo", &[("pid", Pid), ("sig", Signal), ("uinfo", Ptr)]),
        sc(130, "rt_sigsuspend", &[]),
        sc(131, "sigaltstack", &[]),
        sc(132, "utime", &[("filename", Path), ("times", Ptr)]),
        sc(133, "mknod", &[("filename", Path), ("mode", Mode), ("dev", Int)]),
        sc(134, "uselib", &[("library", Path)]),
        sc(135, "personality", &[("personality", Int)]),
        sc(136, "ustat", &[]),
        sc(137, "statfs", &[("pathname", Path), ("buf", Ptr)]),
        sc(138, "fstatfs", &[("fd", Fd), ("buf", Ptr)]),
        sc(139, "sysfs", &[]),
        sc(140, "getpriority", &[("which", Int), ("who", Int)]),
        sc(141, "setpriority", &[("which", Int), ("who", Int), ("niceval", Int)]),
        sc(142, "sched_setparam", &[("pid", Pid), ("param", Ptr)]),
        sc(143, "sched_getparam", &[("pid", Pid), ("param", Ptr)]),
        sc(144, "sched_setscheduler", &[("pid", Pid), ("policy", Int), ("param", Ptr)]),
        sc(145, "sched_getscheduler", &[("pid", Pid)]),
        sc(146, "sched_get_priority_max", &[]),
        sc(147, "sched_get_priority_min", &[]),
        sc(148, "sched_rr_get_interval", &[]),
        sc(149, "mlock", &[("start", Ptr), ("len", Int)]),
        sc(150, "munlock", &[("start", Ptr), ("len", Int)]),
        sc(151, "mlockall", &[("flags", Int)]),
        sc(152, "munlockall", &[]),
        sc(153, "vhangup", &[]),
        sc(154, "modify_ldt", &[]),
        sc(155, "pivot_root", &[("new_root", Path), ("put_old", Path)]),
        sc(156, "_sysctl", &[]),
        sc(157, "prctl", &[("option", PrctlOption), ("arg2", Int), ("arg3", Int), ("arg4", Int), ("arg5", Int)]),
        sc(158, "arch_prctl", &[("option", Int), ("arg2", Int)]),
        sc(159, "adjtimex", &[("txc_p", Ptr)]),
        sc(160, "setrlimit", &[("resource", Resource), ("rlim", Ptr)]),
        sc(161, "chroot", &[("filename", Path)]),
        sc(162, "sync", &[]),
        sc(163, "acct", &[("name", Path)]),
        sc(164, "settimeofday", &[("tv", Ptr), ("tz", Ptr)]),
        sc(165, "mount", &[("dev_name", Path), ("dir_name", Path), ("type", Ptr), ("flags", MountFlags), ("data", Ptr)]),
        sc(166, "umount2", &[("name", Path), ("flags", Int)]),
        sc(167, "swapon", &[("specialfile", Path), ("swap_flags", Int)]),
        sc(168, "swapoff", &[("specialfile", Path)]),
        sc(169, "reboot", &[("magic1", Int), ("magic2", Int), ("cmd", Int), ("arg", Ptr)]),
        sc(170, "sethostname", &[("name", Ptr), ("len", Int)]),
        sc(171, "setdomainname", &[("name", Ptr), ("len", Int)]),
        sc(172, "iopl", &[("level", Int)]),
        sc(173, "ioperm", &[("from", Int), ("num", Int), ("turn_on", Int)]),
        sc(174, "create_module", &[]),
        sc(175, "init_module", &[("umod", Ptr), ("len", Int), ("uargs", Ptr)]),
        sc(176, "delete_module", &[("name_user", Ptr), ("flags", Int)]),
        sc(177, "get_kernel_syms", &[]),
        sc(178, "query_module", &[]),
        sc(179, "quotactl", &[("cmd", Int), ("special", Path), ("id", Int), ("addr", Ptr)]),
        sc(180, "nfsservctl", &[]),
        sc(181, "getpmsg", &[]),
        sc(182, "putpmsg", &[]),
        sc(183, "afs_syscall", &[]),
        sc(184, "tuxcall", &[]),
        sc(185, "security", &[]),
        sc(186, "gettid", &[]),
        sc(187, "readahead", &[]),
        sc(188, "setxattr", &[("pathname", Path), ("name", Ptr), ("value", Ptr), ("size", Int), ("flags", Int)]),
        sc(189, "lsetxattr", &[("pathname", Path), ("name", Ptr), ("value", Ptr), ("size", Int), ("flags", Int)]),
        sc(190, "fsetxattr", &[("fd", Fd), ("name", Ptr), ("value", Ptr), ("size", Int), ("flags", Int)]),
        sc(191, "getxattr", &[("pathname", Path), ("name", Ptr), ("value", Ptr), ("size", Int)]),
        sc(192, "lgetxattr", &[("pathname", Path), ("name", Ptr), ("value", Ptr), ("size", Int)]),
        sc(193, "fgetxattr", &[("fd", Fd), ("name", Ptr), ("value", Ptr), ("size", Int)]),
        sc(194, "listxattr", &[("pathname", Path), ("list", Ptr), ("size", Int)]),
        sc(195, "llistxattr", &[("pathname", Path), ("list", Ptr), ("size", Int)]),
        sc(196, "flistxattr", &[("fd", Fd), ("list", Ptr), ("size", Int)]),
        sc(197, "removexattr", &[("pathname", Path), ("name", Ptr)]),
        sc(198, "lremovexattr", &[("pathname", Path), ("name", Ptr)]),
        sc(199, "fremovexattr", &[("fd", Fd), ("name", Ptr)]),
        sc(200, "tkill", &[("pid", Pid), ("sig", Signal)]),
        sc(201, "time", &[]),
        sc(202, "futex", &[]),
        sc(203, "sched_setaffinity", &[("pid", Pid), ("len", Int), ("user_mask_ptr", Ptr)]),
        sc(204, "sched_getaffinity", &[("pid", Pid), ("len", Int), ("user_mask_ptr", Ptr)]),
        sc(205, "set_thread_area", &[]),
        sc(206, "io_setup", &[]),
        sc(207, "io_destroy", &[]),
        sc(208, "io_getevents", &[]),
        sc(209, "io_submit", &[]),
        sc(210, "io_cancel", &[]),
        sc(211, "get_thread_area", &[]),
        sc(212, "lookup_dcookie", &[]),
        sc(213, "epoll_create", &[]),
        sc(214, "epoll_ctl_old", &[]),
        sc(215, "epoll_wait_old", &[]),
        sc(216, "remap_file_pages", &[]),
        sc(217, "getdents64", &[("fd", Fd), ("dirent", Ptr), ("count", Int)]),
        sc(218, "set_tid_address", &[]),
        sc(219, "restart_syscall", &[]),
        sc(220, "semtimedop", &[]),
        sc(221, "fadvise64", &[]),
        sc(222, "timer_create", &[]),
        sc(223, "timer_settime", &[]),
        sc(224, "timer_gettime", &[]),
        sc(225, "timer_getoverrun", &[]),
        sc(226, "timer_delete", &[]),
        sc(227, "clock_settime", &[("which_clock", Int), ("tp", Ptr)]),
        sc(228, "clock_gettime", &[]),
        sc(229, "clock_getres", &[]),
        sc(230, "clock_nanosleep", &[]),
        sc(231, "exit_group", &[("error_code", Int)]),
        sc(232, "epoll_wait", &[]),
        sc(233, "epoll_ctl", &[("epfd", Fd), ("op", Int), ("fd", Fd), ("event", Ptr)]),
        sc(234, "tgkill", &[("tgid", Pid), ("pid", Pid), ("sig", Signal)]),
        sc(235, "utimes", &[("filename", Path), ("utimes", Ptr)]),
        sc(236, "vserver", &[]),
        sc(237, "mbind", &[]),
        sc(238, "set_mempolicy", &[]),
        sc(239, "get_mempolicy", &[]),
        sc(240, "mq_open", &[("u_name", Ptr), ("oflag", OpenFlags), ("mode", Mode), ("u_attr", Ptr)]),
        sc(241, "mq_unlink", &[("u_name", Ptr)]),
        sc(242, "mq_timedsend", &[]),
        sc(243, "mq_timedreceive", &[]),
        sc(244, "mq_notify", &[]),
        sc(245, "mq_getsetattr", &[]),
        sc(246, "kexec_load", &[("entry", Int), ("nr_segments", Int), ("segments", Ptr), ("flags", Int)]),
        sc(247, "waitid", &[("which", Int), ("upid", Pid), ("infop", Ptr), ("options", Int), ("ru", Ptr)]),
        sc(248, "add_key", &[("_type", Ptr), ("_description", Ptr), ("_payload", Ptr), ("plen", Int), ("ringid", Int)]),
        sc(249, "request_key", &[("_type", Ptr), ("_description", Ptr), ("_callout_info", Ptr), ("destringid", Int)]),
        sc(250, "keyctl", &[("option", Int), ("arg2", Int), ("arg3", Int), ("arg4", Int), ("arg5", Int)]),
        sc(251, "ioprio_set", &[("which", Int), ("who", Int), ("ioprio", Int)]),
        sc(252, "ioprio_get", &[("which", Int), ("who", Int)]),
        sc(253, "inotify_init", &[]),
        sc(254, "inotify_add_watch", &[("fd", Fd), ("pathname", Path), ("mask", Int)]),
        sc(255, "inotify_rm_watch", &[("fd", Fd), ("wd", Int)]),
        sc(256, "migrate_pages", &[("pid", Pid), ("maxnode", Int), ("old_nodes", Ptr), ("new_nodes", Ptr)]),
        sc(257, "openat", &[("dfd", DirFd), ("filename", Path), ("flags", OpenFlags), ("mode", Mode)]),
        sc(258, "mkdirat", &[("dfd", DirFd), ("pathname", Path), ("mode", Mode)]),
        sc(259, "mknodat", &[("dfd", DirFd), ("filename", Path), ("mode", Mode), ("dev", Int)]),
        sc(260, "fchownat", &[("dfd", DirFd), ("filename", Path), ("user", Uid), ("group", Gid), ("flag", AtFlags)]),
        sc(261, "futimesat", &[("dfd", DirFd), ("filename", Path), ("utimes", Ptr)]),
        sc(262, "newfstatat", &[("dfd", DirFd), ("filename", Path), ("statbuf", Ptr), ("flag", AtFlags)]),
        sc(263, "unlinkat", &[("dfd", DirFd), ("pathname", Path), ("flag", AtFlags)]),
        sc(264, "renameat", &[("olddfd", DirFd), ("oldname", Path), ("newdfd", DirFd), ("newname", Path)]),
        sc(265, "linkat", &[("olddfd", DirFd), ("oldname", Path), ("newdfd", DirFd), ("newname", Path), ("flags", AtFlags)]),
        sc(266, "symlinkat", &[("oldname", Path), ("newdfd", DirFd), ("newname", Path)]),
        sc(267, "readlinkat", &[("dfd", DirFd), ("pathname", Path), ("buf", Ptr), ("bufsiz", Int)]),
        sc(268, "fchmodat", &[("dfd", DirFd), ("filename", Path), ("mode", Mode)]),
        sc(269, "faccessat", &[("dfd", DirFd), ("filename", Path), ("mode", Int)]),
        sc(270, "pselect6", &[]),
        sc(271, "ppoll", &[]),
        sc(272, "unshare", &[("unshare_flags", UnshareFlags)]),
        sc(273, "set_robust_list", &[]),
        sc(274, "get_robust_list", &[]),
        sc(275, "splice", &[("fd_in", Fd), ("off_in", Ptr), ("fd_out", Fd), ("off_out", Ptr), ("len", Int), ("flags", Int)]),
        sc(276, "tee", &[("fdin", Fd), ("fdout", Fd), ("len", Int), ("flags", Int)]),
        sc(277, "sync_file_range", &[]),
        sc(278, "vmsplice", &[]),
        sc(279, "move_pages", &[("pid", Pid), ("nr_pages", Int), ("pages", Ptr), ("nodes", Ptr), ("status", Ptr), ("flags", Int)]),
        sc(280, "utimensat", &[("dfd", DirFd), ("filename", Path), ("utimes", Ptr), ("flags", AtFlags)]),
        sc(281, "epoll_pwait", &[]),
        sc(282, "signalfd", &[]),
        sc(283, "timerfd_create", &[]),
        sc(284, "eventfd", &[]),
        sc(285, "fallocate", &[("fd", Fd), ("mode", Int), ("offset", Int), ("len", Int)]),
        sc(286, "timerfd_settime", &[]),
        sc(287, "timerfd_gettime", &[]),
        sc(288, "accept4", &[("fd", Fd), ("upeer_sockaddr", Ptr), ("upeer_addrlen", Ptr), ("flags", Int)]),
        sc(289, "signalfd4", &[]),
        sc(290, "eventfd2", &[]),
        sc(291, "epoll_create1", &[]),
        sc(292, "dup3", &[("oldfd", Fd), ("newfd", Fd), ("flags", Int)]),
        sc(293, "pipe2", &[]),
        sc(294, "inotify_init1", &[]),
        sc(295, "preadv", &[]),
        sc(296, "pwritev", &[]),
        sc(297, "rt_tgsigqueueinfo", &[("tgid", Pid), ("pid", Pid), ("sig", Signal), ("uinfo", Ptr)]),
        sc(298, "perf_event_open", &[("attr_uptr", Ptr), ("pid", Pid), ("cpu", Int), ("group_fd", Fd), ("flags", Int)]),
        sc(299, "recvmmsg", &[("fd", Fd), ("mmsg", Ptr), ("vlen", Int), ("flags", Int), ("timeout", Ptr)]),
        sc(300, "fanotify_init", &[("flags", Int), ("event_f_flags", OpenFlags)]),
        sc(301, "fanotify_mark", &[("fanotify_fd", Fd), ("flags", Int), ("mask", Int), ("dfd", DirFd), ("pathname", Path)]),
        sc(302, "prlimit64", &[("pid", Pid), ("resource", Resource), ("new_rlim", Ptr), ("old_rlim", Ptr)]),
        sc(303, "name_to_handle_at", &[("dfd", DirFd), ("name", Path), ("handle", Ptr), ("mnt_id", Ptr), ("flag", AtFlags)]),
        sc(304, "open_by_handle_at", &[("mountdirfd", Fd), ("handle", Ptr), ("flags", OpenFlags)]),
        sc(305, "clock_adjtime", &[("which_clock", Int), ("utx", Ptr)]),
        sc(306, "syncfs", &[("fd", Fd)]),
        sc(307, "sendmmsg", &[("fd", Fd), ("mmsg", Ptr), ("vlen", Int), ("flags", Int)]),
        sc(308, "setns", &[("fd", Fd), ("flags", UnshareFlags)]),
        sc(309, "getcpu", &[]),
        sc(310, "process_vm_readv", &[("pid", Pid), ("lvec", Ptr), ("liovcnt", Int), ("rvec", Ptr), ("riovcnt", Int), ("flags", Int)]),
        sc(311, "process_vm_writev", &[("pid", Pid), ("lvec", Ptr), ("liovcnt", Int), ("rvec", Ptr), ("riovcnt", Int), ("flags", Int)]),
        sc(312, "kcmp", &[("pid1", Pid), ("pid2", Pid), ("type", Int), ("idx1", Int), ("idx2", Int)]),
        sc(313, "finit_module", &[("fd", Fd), ("uargs", Ptr), ("flags", Int)]),
        sc(314, "sched_setattr", &[("pid", Pid), ("uattr", Ptr), ("flags", Int)]),
        sc(315, "sched_getattr", &[("pid", Pid), ("uattr", Ptr), ("usize", Int), ("flags", Int)]),
        sc(316, "renameat2", &[("olddfd", DirFd), ("oldname", Path), ("newdfd", DirFd), ("newname", Path), ("flags", RenameFlags)]),
        sc(317, "seccomp", &[("op", Int), ("flags", Int), ("uargs", Ptr)]),
        sc(318, "getrandom", &[]),
        sc(319, "memfd_create", &[("uname", Ptr), ("flags", Int)]),
        sc(320, "kexec_file_load", &[("kernel_fd", Fd), ("initrd_fd", Fd), ("cmdline_len", Int), ("cmdline_ptr", Ptr), ("flags", Int)]),
        sc(321, "bpf", &[("cmd", Int), ("uattr", Ptr), ("size", Int)]),
        sc(322, "execveat", &[("fd", DirFd), ("filename", Path), ("argv", Ptr), ("envp", Ptr), ("flags", AtFlags)]),
        sc(323, "userfaultfd", &[("flags", Int)]),
        sc(324, "membarrier", &[]),
        sc(325, "mlock2", &[("start", Ptr), ("len", Int), ("flags", Int)]),
        sc(326, "copy_file_range", &[("fd_in", Fd), ("off_in", Ptr), ("fd_out", Fd), ("off_out", Ptr), ("len", Int), ("flags", Int)]),
        sc(327, "preadv2", &[]),
        sc(328, "pwritev2", &[]),
        sc(329, "pkey_mprotect", &[]),
        sc(330, "pkey_alloc", &[]),
        sc(331, "pkey_free", &[]),
        sc(332, "statx", &[("dfd", DirFd), ("filename", Path), ("flags", AtFlags), ("mask", Int), ("buffer", Ptr)]),
        sc(333, "io_pgetevents", &[]),
        sc(334, "rseq", &[]),
        sc(424, "pidfd_send_signal", &[("pidfd", Fd), ("sig", Signal), ("info", Ptr), ("flags", Int)]),
        sc(425, "io_uring_setup", &[("entries", Int), ("params", Ptr)]),
        sc(426, "io_uring_enter", &[("fd", Fd), ("to_submit", Int), ("min_complete", Int), ("flags", Int), ("argp", Ptr), ("argsz", Int)]),
        sc(427, "io_uring_register", &[("fd", Fd), ("opcode", Int), ("arg", Ptr), ("nr_args", Int)]),
        sc(428, "open_tree", &[("dfd", DirFd), ("filename", Path), ("flags", AtFlags)]),
        sc(429, "move_mount", &[("from_dfd", DirFd), ("from_pathname", Path), ("to_dfd", DirFd), ("to_pathname", Path), ("flags", Int)]),
        sc(430, "fsopen", &[("fs_name", Ptr), ("flags", Int)]),
        sc(431, "fsconfig", &[("fd", Fd), ("cmd", Int), ("key", Ptr), ("value", Ptr), ("aux", Int)]),
        sc(432, "fsmount", &[("fs_fd", Fd), ("flags", Int), ("attr_flags", Int)]),
        sc(433, "fspick", &[("dfd", DirFd), ("path", Path), ("flags", Int)]),
        sc(434, "pidfd_open", &[("pid", Pid), ("flags", Int)]),
        sc(435, "clone3", &[("uargs", Clone3Args), ("size", Int)]),
        sc(436, "close_range", &[]),
        sc(437, "openat2", &[("dfd", DirFd), ("filename", Path), ("how", OpenHow), ("usize", OpenHowSize)]),
        sc(438, "pidfd_getfd", &[("pidfd", Fd), ("fd", Int), ("flags", Int)]),
        sc(439, "faccessat2", &[("dfd", DirFd), ("filename", Path), ("mode", Int), ("flags", AtFlags)]),
        sc(440, "process_madvise", &[("pidfd", Fd), ("vec", Ptr), ("vlen", Int), ("behavior", Int), ("flags", Int)]),
        sc(441, "epoll_pwait2", &[]),
        sc(442, "mount_setattr", &[("dfd", DirFd), ("path", Path), ("flags", AtFlags), ("uattr", Ptr), ("usize", Int)]),
        sc(443, "quotactl_fd", &[("fd", Fd), ("cmd", Int), ("id", Int), ("addr", Ptr)]),
        sc(444, "landlock_create_ruleset", &[("attr", Ptr), ("size", Int), ("flags", Int)]),
        sc(445, "landlock_add_rule", &[("ruleset_fd", Fd), ("rule_type", Int), ("rule_attr", Ptr), ("flags", Int)]),
        sc(446, "landlock_restrict_self", &[("ruleset_fd", Fd), ("flags", Int)]),
        sc(447, "memfd_secret", &[("flags", Int)]),
        sc(448, "process_mrelease", &[("pidfd", Fd), ("flags", Int)]),
        sc(449, "futex_waitv", &[]),
        sc(450, "set_mempolicy_home_node", &[]),
        sc(451, "cachestat", &[("fd", Fd), ("cstat_range", Ptr), ("cstat", Ptr), ("flags", Int)]),
        sc(452, "fchmodat2", &[("dfd", DirFd), ("filename", Path), ("mode", Mode), ("flags", AtFlags)]),
        sc(453, "map_shadow_stack", &[("addr", Ptr), ("size", Int), ("flags", Int)]),
        sc(454, "futex_wake", &[("uaddr", Ptr), ("mask", Int), ("nr", Int), ("flags", Int)]),
        sc(455, "futex_wait", &[("uaddr", Ptr), ("val", Int), ("mask", Int), ("flags", Int), ("timeout", Ptr), ("clockid", Int)]),
        sc(456, "futex_requeue", &[("waiters", Ptr), ("flags", Int), ("nr_wake", Int), ("nr_requeue", Int)]),
        sc(457, "statmount", &[("req", Ptr), ("buf", Ptr), ("bufsize", Int), ("flags", Int)]),
        sc(458, "listmount", &[("req", Ptr), ("mnt_ids", Ptr), ("nr_mnt_ids", Int), ("flags", Int)]),
        sc(459, "lsm_get_self_attr", &[("attr", Int), ("ctx", Ptr), ("size", Ptr), ("flags", Int)]),
        sc(460, "lsm_set_self_attr", &[("attr", Int), ("ctx", Ptr), ("size", Int), ("flags", Int)]),
        sc(461, "lsm_list_modules", &[("ids", Ptr), ("size", Ptr), ("flags", Int)]),
        sc(462, "mseal", &[("start", Ptr), ("len", Int), ("flags", Int)]),
        sc(463, "setxattrat", &[("dfd", DirFd), ("pathname", Path), ("at_flags", AtFlags), ("name", Ptr), ("uargs", Ptr), ("usize", Int)]),
        sc(464, "getxattrat", &[("dfd", DirFd), ("pathname", Path), ("at_flags", AtFlags), ("name", Ptr), ("uargs", Ptr), ("usize", Int)]),
        sc(465, "listxattrat", &[("dfd", DirFd), ("pathname", Path), ("at_flags", AtFlags), ("list", Ptr), ("size", Int)]),
        sc(466, "removexattrat", &[("dfd", DirFd), ("pathname", Path), ("at_flags", AtFlags), ("name", Ptr)]),
        sc(467, "open_tree_attr", &[("dfd", DirFd), ("filename", Path), ("flags", AtFlags), ("uattr", Ptr), ("usize", Int)]),
        sc(468, "file_getattr", &[("dfd", DirFd), ("filename", Path), ("ufattr", Ptr), ("usize", Int), ("at_flags", AtFlags)]),
        sc(469, "file_setattr", &[("dfd", DirFd), ("filename", Path), ("ufattr", Ptr), ("usize", Int), ("at_flags", AtFlags)]),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> SyscallSpec {
        kernel_spec(by_name(name).unwrap_or_else(|| panic!("{name} is in the table")))
    }

    #[test]
    fn open_family_paths() {
        let openat = by_name("openat").unwrap();
        assert_eq!(openat.nr, 257);
        assert_eq!(spec("openat").path0_arg, 1);
        assert_eq!(spec("openat").path1_arg, NO_ARG);
        let open = by_name("open").unwrap();
        assert_eq!(open.nr, 2);
        assert_eq!(spec("open").path0_arg, 0);
        assert_eq!(open.args[1], ("flags", Arg::OpenFlags));
        assert_eq!(open.args[2], ("mode", Arg::Mode));
        assert_eq!(openat.args[0].1, Arg::DirFd);
    }

    #[test]
    fn two_path_calls() {
        let cases = [
            ("rename", 0, 1),
            ("renameat", 1, 3),
            ("renameat2", 1, 3),
            ("link", 0, 1),
            ("linkat", 1, 3),
            ("symlink", 0, 1),
            ("symlinkat", 0, 2),
            ("mount", 0, 1),
            ("pivot_root", 0, 1),
            ("move_mount", 1, 3),
        ];
        for (name, p0, p1) in cases {
            let s = spec(name);
            assert_eq!((s.path0_arg, s.path1_arg), (p0, p1), "{name}");
        }
        assert_eq!(by_name("renameat2").unwrap().args[4].1, Arg::RenameFlags);
    }

    #[test]
    fn one_path_calls() {
        let cases = [
            ("creat", 0),
            ("stat", 0),
            ("lstat", 0),
            ("newfstatat", 1),
            ("statx", 1),
            ("access", 0),
            ("faccessat", 1),
            ("faccessat2", 1),
            ("mkdir", 0),
            ("mkdirat", 1),
            ("mknod", 0),
            ("mknodat", 1),
            ("unlink", 0),
            ("unlinkat", 1),
            ("rmdir", 0),
            ("readlink", 0),
            ("readlinkat", 1),
            ("execve", 0),
            ("execveat", 1),
            ("umount2", 0),
            ("chroot", 0),
            ("chdir", 0),
            ("chmod", 0),
            ("fchmodat", 1),
            ("fchmodat2", 1),
            ("chown", 0),
            ("lchown", 0),
            ("fchownat", 1),
            ("truncate", 0),
            ("utimensat", 1),
            ("setxattr", 0),
            ("lsetxattr", 0),
            ("getxattr", 0),
            ("lgetxattr", 0),
            ("listxattr", 0),
            ("llistxattr", 0),
            ("removexattr", 0),
            ("lremovexattr", 0),
            ("setxattrat", 1),
            ("removexattrat", 1),
            ("mount_setattr", 1),
            ("open_tree", 1),
            ("fspick", 1),
            ("inotify_add_watch", 1),
            ("quotactl", 1),
            ("swapon", 0),
            ("swapoff", 0),
            ("acct", 0),
            ("openat2", 1),
            ("file_getattr", 1),
        ];
        for (name, p0) in cases {
            let s = spec(name);
            assert_eq!((s.path0_arg, s.path1_arg), (p0, NO_ARG), "{name}");
        }
    }

    #[test]
    fn calls_without_paths() {
        for name in [
            "read",
            "fchdir",
            "fchmod",
            "fchown",
            "ftruncate",
            "fsetxattr",
            "ioctl",
            "kill",
            "socket",
            "bpf",
            "memfd_create",
            "fsopen",
            "delete_module",
            "reboot",
            "getpid",
        ] {
            let s = spec(name);
            assert_eq!(
                (s.path0_arg, s.path1_arg, s.buf_arg),
                (NO_ARG, NO_ARG, NO_ARG),
                "{name}"
            );
        }
        assert_eq!(spec("read"), SyscallSpec::NONE);
        assert_eq!(spec("getpid"), SyscallSpec::NONE);
    }

    #[test]
    fn buffers() {
        for (name, buf, len) in [("connect", 1, 2), ("bind", 1, 2), ("sendto", 4, 5)] {
            let s = spec(name);
            assert_eq!(s.flags, spec_flag::BUF_SOCKADDR, "{name}");
            assert_eq!((s.buf_arg, s.buf_len_arg), (buf, len), "{name}");
            assert_eq!(s.path0_arg, NO_ARG, "{name}");
        }
        let s = spec("openat2");
        assert_eq!(s.flags, spec_flag::BUF_OPEN_HOW);
        assert_eq!((s.buf_arg, s.buf_len_arg), (2, 3));
        // Output buffers are not copied.
        assert_eq!(spec("accept").buf_arg, NO_ARG);
        assert_eq!(spec("recvfrom").buf_arg, NO_ARG);
    }

    #[test]
    fn forklike_calls() {
        for name in ["fork", "vfork", "clone", "clone3"] {
            let sc = by_name(name).unwrap();
            assert!(is_forklike(i64::from(sc.nr)), "{name}");
            assert_eq!(kernel_spec(sc).flags, spec_flag::FORKLIKE, "{name}");
        }
        assert_eq!(by_name("clone3").unwrap().nr, 435);
        assert!(is_forklike(435));
        assert!(is_forklike(libc::SYS_clone));
        assert!(!is_forklike(libc::SYS_execve));
        assert!(!is_forklike(libc::SYS_unshare));
        assert!(!is_forklike(-1));
        assert!(!is_forklike(100_000));
        assert_eq!(by_name("clone").unwrap().args[0].1, Arg::CloneFlags);
        assert_eq!(by_name("clone3").unwrap().args[0].1, Arg::Clone3Args);
    }

    #[test]
    fn argument_kinds() {
        let kinds = |name: &str| -> Vec<Arg> {
            by_name(name)
                .unwrap()
                .args
                .iter()
                .map(|&(_, k)| k)
                .collect()
        };
        assert_eq!(kinds("kill"), [Arg::Pid, Arg::Signal]);
        assert_eq!(kinds("tgkill"), [Arg::Pid, Arg::Pid, Arg::Signal]);
        assert_eq!(kinds("socket"), [Arg::Domain, Arg::SockType, Arg::Int]);
        assert_eq!(kinds("ptrace")[..2], [Arg::PtraceRequest, Arg::Pid]);
        assert_eq!(kinds("prctl")[0], Arg::PrctlOption);
        assert_eq!(kinds("setrlimit")[0], Arg::Resource);
        assert_eq!(kinds("prlimit64")[..2], [Arg::Pid, Arg::Resource]);
        assert_eq!(kinds("setresuid"), [Arg::Uid, Arg::Uid, Arg::Uid]);
        assert_eq!(kinds("setresgid"), [Arg::Gid, Arg::Gid, Arg::Gid]);
        assert_eq!(
            kinds("fchownat"),
            [Arg::DirFd, Arg::Path, Arg::Uid, Arg::Gid, Arg::AtFlags]
        );
        assert_eq!(kinds("unshare"), [Arg::UnshareFlags]);
        assert_eq!(kinds("mount")[3], Arg::MountFlags);
        assert_eq!(kinds("ioctl"), [Arg::Fd, Arg::Int, Arg::Ptr]);
        assert_eq!(kinds("unlinkat")[2], Arg::AtFlags);
        assert_eq!(kinds("linkat")[4], Arg::AtFlags);
    }

    #[test]
    fn table_is_consistent() {
        let table = all();
        assert!(table.len() > 370);
        let mut names = std::collections::HashSet::new();
        for (i, sc) in table.iter().enumerate() {
            assert!(names.insert(sc.name), "{} appears twice", sc.name);
            assert!(sc.nr < SYSCALL_SLOTS, "{}", sc.name);
            if i > 0 {
                assert!(table[i - 1].nr < sc.nr, "{} is out of order", sc.name);
            }
            assert!(sc.args.len() <= 6, "{}", sc.name);
            let mut arg_names = std::collections::HashSet::new();
            for (arg, _) in sc.args {
                assert!(
                    arg_names.insert(arg),
                    "{} has two arguments named {arg}",
                    sc.name
                );
            }
            let nr = i64::from(sc.nr);
            assert_eq!(by_nr(nr), Some(sc));
            assert_eq!(by_name(by_nr(nr).unwrap().name), Some(sc));
            // A size or length always follows its buffer.
            let kinds: Vec<Arg> = sc.args.iter().map(|&(_, k)| k).collect();
            for (buf, len) in [
                (Arg::SockAddr, Arg::SockLen),
                (Arg::OpenHow, Arg::OpenHowSize),
            ] {
                if let Some(b) = kinds.iter().position(|&k| k == buf) {
                    assert_eq!(kinds.get(b + 1), Some(&len), "{}", sc.name);
                }
            }
        }
        let slots = (0..i64::from(SYSCALL_SLOTS))
            .filter(|&nr| by_nr(nr).is_some())
            .count();
        assert_eq!(slots, table.len());
        assert_eq!(by_nr(-1), None);
        assert_eq!(by_nr(335), None);
        assert_eq!(by_nr(i64::from(SYSCALL_SLOTS)), None);
        assert_eq!(by_nr(i64::MAX), None);
        assert_eq!(by_name("no_such_call"), None);
        assert_eq!(by_name("OPENAT"), None);
    }

    #[test]
    fn calls_after_the_debian_header() {
        let later = [
            (451, "cachestat"),
            (452, "fchmodat2"),
            (453, "map_shadow_stack"),
            (454, "futex_wake"),
            (455, "futex_wait"),
            (456, "futex_requeue"),
            (457, "statmount"),
            (458, "listmount"),
            (459, "lsm_get_self_attr"),
            (460, "lsm_set_self_attr"),
            (461, "lsm_list_modules"),
            (462, "mseal"),
            (463, "setxattrat"),
            (464, "getxattrat"),
            (465, "listxattrat"),
            (466, "removexattrat"),
            (467, "open_tree_attr"),
            (468, "file_getattr"),
            (469, "file_setattr"),
        ];
        for (nr, name) in later {
            assert_eq!(by_nr(nr).map(|sc| sc.name), Some(name));
        }
        assert_eq!(all().last().unwrap().nr, 469);
    }

    /// Every x86-64 syscall number the `libc` crate knows, with its name.
    const LIBC_NUMBERS: &[(libc::c_long, &str)] = &[
        (libc::SYS_read, "read"),
        (libc::SYS_write, "write"),
        (libc::SYS_open, "open"),
        (libc::SYS_close, "close"),
        (libc::SYS_stat, "stat"),
        (libc::SYS_fstat, "fstat"),
        (libc::SYS_lstat, "lstat"),
        (libc::SYS_poll, "poll"),
        (libc::SYS_lseek, "lseek"),
        (libc::SYS_mmap, "mmap"),
        (libc::SYS_mprotect, "mprotect"),
        (libc::SYS_munmap, "munmap"),
        (libc::SYS_brk, "brk"),
        (libc::SYS_rt_sigaction, "rt_sigaction"),
        (libc::SYS_rt_sigprocmask, "rt_sigprocmask"),
        (libc::SYS_rt_sigreturn, "rt_sigreturn"),
        (libc::SYS_ioctl, "ioctl"),
        (libc::SYS_pread64, "pread64"),
        (libc::SYS_pwrite64, "pwrite64"),
        (libc::SYS_readv, "readv"),
        (libc::SYS_writev, "writev"),
        (libc::SYS_access, "access"),
        (libc::SYS_pipe, "pipe"),
        (libc::SYS_select, "select"),
        (libc::SYS_sched_yield, "sched_yield"),
        (libc::SYS_mremap, "mremap"),
        (libc::SYS_msync, "msync"),
        (libc::SYS_mincore, "mincore"),
        (libc::SYS_madvise, "madvise"),
        (libc::SYS_shmget, "shmget"),
        (libc::SYS_shmat, "shmat"),
        (libc::SYS_shmctl, "shmctl"),
        (libc::SYS_dup, "dup"),
        (libc::SYS_dup2, "dup2"),
        (libc::SYS_pause, "pause"),
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_getitimer, "getitimer"),
        (libc::SYS_alarm, "alarm"),
        (libc::SYS_setitimer, "setitimer"),
        (libc::SYS_getpid, "getpid"),
        (libc::SYS_sendfile, "sendfile"),
        (libc::SYS_socket, "socket"),
        (libc::SYS_connect, "connect"),
        (libc::SYS_accept, "accept"),
        (libc::SYS_sendto, "sendto"),
        (libc::SYS_recvfrom, "recvfrom"),
        (libc::SYS_sendmsg, "sendmsg"),
        (libc::SYS_recvmsg, "recvmsg"),
        (libc::SYS_shutdown, "shutdown"),
        (libc::SYS_bind, "bind"),
        (libc::SYS_listen, "listen"),
        (libc::SYS_getsockname, "getsockname"),
        (libc::SYS_getpeername, "getpeername"),
        (libc::SYS_socketpair, "socketpair"),
        (libc::SYS_setsockopt, "setsockopt"),
        (libc::SYS_getsockopt, "getsockopt"),
        (libc::SYS_clone, "clone"),
        (libc::SYS_fork, "fork"),
        (libc::SYS_vfork, "vfork"),
        (libc::SYS_execve, "execve"),
        (libc::SYS_exit, "exit"),
        (libc::SYS_wait4, "wait4"),
        (libc::SYS_kill, "kill"),
        (libc::SYS_uname, "uname"),
        (libc::SYS_semget, "semget"),
        (libc::SYS_semop, "semop"),
        (libc::SYS_semctl, "semctl"),
        (libc::SYS_shmdt, "shmdt"),
        (libc::SYS_msgget, "msgget"),
        (libc::SYS_msgsnd, "msgsnd"),
        (libc::SYS_msgrcv, "msgrcv"),
        (libc::SYS_msgctl, "msgctl"),
        (libc::SYS_fcntl, "fcntl"),
        (libc::SYS_flock, "flock"),
        (libc::SYS_fsync, "fsync"),
        (libc::SYS_fdatasync, "fdatasync"),
        (libc::SYS_truncate, "truncate"),
        (libc::SYS_ftruncate, "ftruncate"),
        (libc::SYS_getdents, "getdents"),
        (libc::SYS_getcwd, "getcwd"),
        (libc::SYS_chdir, "chdir"),
        (libc::SYS_fchdir, "fchdir"),
        (libc::SYS_rename, "rename"),
        (libc::SYS_mkdir, "mkdir"),
        (libc::SYS_rmdir, "rmdir"),
        (libc::SYS_creat, "creat"),
        (libc::SYS_link, "link"),
        (libc::SYS_unlink, "unlink"),
        (libc::SYS_symlink, "symlink"),
        (libc::SYS_readlink, "readlink"),
        (libc::SYS_chmod, "chmod"),
        (libc::SYS_fchmod, "fchmod"),
        (libc::SYS_chown, "chown"),
        (libc::SYS_fchown, "fchown"),
        (libc::SYS_lchown, "lchown"),
        (libc::SYS_umask, "umask"),
        (libc::SYS_gettimeofday, "gettimeofday"),
        (libc::SYS_getrlimit, "getrlimit"),
        (libc::SYS_getrusage, "getrusage"),
        (libc::SYS_sysinfo, "sysinfo"),
        (libc::SYS_times, "times"),
        (libc::SYS_ptrace, "ptrace"),
        (libc::SYS_getuid, "getuid"),
        (libc::SYS_syslog, "syslog"),
        (libc::SYS_getgid, "getgid"),
        (libc::SYS_setuid, "setuid"),
        (libc::SYS_setgid, "setgid"),
        (libc::SYS_geteuid, "geteuid"),
        (libc::SYS_getegid, "getegid"),
        (libc::SYS_setpgid, "setpgid"),
        (libc::SYS_getppid, "getppid"),
        (libc::SYS_getpgrp, "getpgrp"),
        (libc::SYS_setsid, "setsid"),
        (libc::SYS_setreuid, "setreuid"),
        (libc::SYS_setregid, "setregid"),
        (libc::SYS_getgroups, "getgroups"),
        (libc::SYS_setgroups, "setgroups"),
        (libc::SYS_setresuid, "setresuid"),
        (libc::SYS_getresuid, "getresuid"),
        (libc::SYS_setresgid, "setresgid"),
        (libc::SYS_getresgid, "getresgid"),
        (libc::SYS_getpgid, "getpgid"),
        (libc::SYS_setfsuid, "setfsuid"),
        (libc::SYS_setfsgid, "setfsgid"),
        (libc::SYS_getsid, "getsid"),
        (libc::SYS_capget, "capget"),
        (libc::SYS_capset, "capset"),
        (libc::SYS_rt_sigpending, "rt_sigpending"),
        (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
        (libc::SYS_rt_sigqueueinfo, "rt_sigqueueinfo"),
        (libc::SYS_rt_sigsuspend, "rt_sigsuspend"),
        (libc::SYS_sigaltstack, "sigaltstack"),
        (libc::SYS_utime, "utime"),
        (libc::SYS_mknod, "mknod"),
        (libc::SYS_uselib, "uselib"),
        (libc::SYS_personality, "personality"),
        (libc::SYS_ustat, "ustat"),
        (libc::SYS_statfs, "statfs"),
        (libc::SYS_fstatfs, "fstatfs"),
        (libc::SYS_sysfs, "sysfs"),
        (libc::SYS_getpriority, "getpriority"),
        (libc::SYS_setpriority, "setpriority"),
        (libc::SYS_sched_setparam, "sched_setparam"),
        (libc::SYS_sched_getparam, "sched_getparam"),
        (libc::SYS_sched_setscheduler, "sched_setscheduler"),
        (libc::SYS_sched_getscheduler, "sched_getscheduler"),
        (libc::SYS_sched_get_priority_max, "sched_get_priority_max"),
        (libc::SYS_sched_get_priority_min, "sched_get_priority_min"),
        (libc::SYS_sched_rr_get_interval, "sched_rr_get_interval"),
        (libc::SYS_mlock, "mlock"),
        (libc::SYS_munlock, "munlock"),
        (libc::SYS_mlockall, "mlockall"),
        (libc::SYS_munlockall, "munlockall"),
        (libc::SYS_vhangup, "vhangup"),
        (libc::SYS_modify_ldt, "modify_ldt"),
        (libc::SYS_pivot_root, "pivot_root"),
        (libc::SYS__sysctl, "_sysctl"),
        (libc::SYS_prctl, "prctl"),
        (libc::SYS_arch_prctl, "arch_prctl"),
        (libc::SYS_adjtimex, "adjtimex"),
        (libc::SYS_setrlimit, "setrlimit"),
        (libc::SYS_chroot, "chroot"),
        (libc::SYS_sync, "sync"),
        (libc::SYS_acct, "acct"),
        (libc::SYS_settimeofday, "settimeofday"),
        (libc::SYS_mount, "mount"),
        (libc::SYS_umount2, "umount2"),
        (libc::SYS_swapon, "swapon"),
        (libc::SYS_swapoff, "swapoff"),
        (libc::SYS_reboot, "reboot"),
        (libc::SYS_sethostname, "sethostname"),
        (libc::SYS_setdomainname, "setdomainname"),
        (libc::SYS_iopl, "iopl"),
        (libc::SYS_ioperm, "ioperm"),
        (libc::SYS_init_module, "init_module"),
        (libc::SYS_delete_module, "delete_module"),
        (libc::SYS_quotactl, "quotactl"),
        (libc::SYS_nfsservctl, "nfsservctl"),
        (libc::SYS_getpmsg, "getpmsg"),
        (libc::SYS_putpmsg, "putpmsg"),
        (libc::SYS_afs_syscall, "afs_syscall"),
        (libc::SYS_tuxcall, "tuxcall"),
        (libc::SYS_security, "security"),
        (libc::SYS_gettid, "gettid"),
        (libc::SYS_readahead, "readahead"),
        (libc::SYS_setxattr, "setxattr"),
        (libc::SYS_lsetxattr, "lsetxattr"),
        (libc::SYS_fsetxattr, "fsetxattr"),
        (libc::SYS_getxattr, "getxattr"),
        (libc::SYS_lgetxattr, "lgetxattr"),
        (libc::SYS_fgetxattr, "fgetxattr"),
        (libc::SYS_listxattr, "listxattr"),
        (libc::SYS_llistxattr, "llistxattr"),
        (libc::SYS_flistxattr, "flistxattr"),
        (libc::SYS_removexattr, "removexattr"),
        (libc::SYS_lremovexattr, "lremovexattr"),
        (libc::SYS_fremovexattr, "fremovexattr"),
        (libc::SYS_tkill, "tkill"),
        (libc::SYS_time, "time"),
        (libc::SYS_futex, "futex"),
        (libc::SYS_sched_setaffinity, "sched_setaffinity"),
        (libc::SYS_sched_getaffinity, "sched_getaffinity"),
        (libc::SYS_set_thread_area, "set_thread_area"),
        (libc::SYS_io_setup, "io_setup"),
        (libc::SYS_io_destroy, "io_destroy"),
        (libc::SYS_io_getevents, "io_getevents"),
        (libc::SYS_io_submit, "io_submit"),
        (libc::SYS_io_cancel, "io_cancel"),
        (libc::SYS_get_thread_area, "get_thread_area"),
        (libc::SYS_lookup_dcookie, "lookup_dcookie"),
        (libc::SYS_epoll_create, "epoll_create"),
        (libc::SYS_epoll_ctl_old, "epoll_ctl_old"),
        (libc::SYS_epoll_wait_old, "epoll_wait_old"),
        (libc::SYS_remap_file_pages, "remap_file_pages"),
        (libc::SYS_getdents64, "getdents64"),
        (libc::SYS_set_tid_address, "set_tid_address"),
        (libc::SYS_restart_syscall, "restart_syscall"),
        (libc::SYS_semtimedop, "semtimedop"),
        (libc::SYS_fadvise64, "fadvise64"),
        (libc::SYS_timer_create, "timer_create"),
        (libc::SYS_timer_settime, "timer_settime"),
        (libc::SYS_timer_gettime, "timer_gettime"),
        (libc::SYS_timer_getoverrun, "timer_getoverrun"),
        (libc::SYS_timer_delete, "timer_delete"),
        (libc::SYS_clock_settime, "clock_settime"),
        (libc::SYS_clock_gettime, "clock_gettime"),
        (libc::SYS_clock_getres, "clock_getres"),
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_exit_group, "exit_group"),
        (libc::SYS_epoll_wait, "epoll_wait"),
        (libc::SYS_epoll_ctl, "epoll_ctl"),
        (libc::SYS_tgkill, "tgkill"),
        (libc::SYS_utimes, "utimes"),
        (libc::SYS_vserver, "vserver"),
        (libc::SYS_mbind, "mbind"),
        (libc::SYS_set_mempolicy, "set_mempolicy"),
        (libc::SYS_get_mempolicy, "get_mempolicy"),
        (libc::SYS_mq_open, "mq_open"),
        (libc::SYS_mq_unlink, "mq_unlink"),
        (libc::SYS_mq_timedsend, "mq_timedsend"),
        (libc::SYS_mq_timedreceive, "mq_timedreceive"),
        (libc::SYS_mq_notify, "mq_notify"),
        (libc::SYS_mq_getsetattr, "mq_getsetattr"),
        (libc::SYS_kexec_load, "kexec_load"),
        (libc::SYS_waitid, "waitid"),
        (libc::SYS_add_key, "add_key"),
        (libc::SYS_request_key, "request_key"),
        (libc::SYS_keyctl, "keyctl"),
        (libc::SYS_ioprio_set, "ioprio_set"),
        (libc::SYS_ioprio_get, "ioprio_get"),
        (libc::SYS_inotify_init, "inotify_init"),
        (libc::SYS_inotify_add_watch, "inotify_add_watch"),
        (libc::SYS_inotify_rm_watch, "inotify_rm_watch"),
        (libc::SYS_migrate_pages, "migrate_pages"),
        (libc::SYS_openat, "openat"),
        (libc::SYS_mkdirat, "mkdirat"),
        (libc::SYS_mknodat, "mknodat"),
        (libc::SYS_fchownat, "fchownat"),
        (libc::SYS_futimesat, "futimesat"),
        (libc::SYS_newfstatat, "newfstatat"),
        (libc::SYS_unlinkat, "unlinkat"),
        (libc::SYS_renameat, "renameat"),
        (libc::SYS_linkat, "linkat"),
        (libc::SYS_symlinkat, "symlinkat"),
        (libc::SYS_readlinkat, "readlinkat"),
        (libc::SYS_fchmodat, "fchmodat"),
        (libc::SYS_faccessat, "faccessat"),
        (libc::SYS_pselect6, "pselect6"),
        (libc::SYS_ppoll, "ppoll"),
        (libc::SYS_unshare, "unshare"),
        (libc::SYS_set_robust_list, "set_robust_list"),
        (libc::SYS_get_robust_list, "get_robust_list"),
        (libc::SYS_splice, "splice"),
        (libc::SYS_tee, "tee"),
        (libc::SYS_sync_file_range, "sync_file_range"),
        (libc::SYS_vmsplice, "vmsplice"),
        (libc::SYS_move_pages, "move_pages"),
        (libc::SYS_utimensat, "utimensat"),
        (libc::SYS_epoll_pwait, "epoll_pwait"),
        (libc::SYS_signalfd, "signalfd"),
        (libc::SYS_timerfd_create, "timerfd_create"),
        (libc::SYS_eventfd, "eventfd"),
        (libc::SYS_fallocate, "fallocate"),
        (libc::SYS_timerfd_settime, "timerfd_settime"),
        (libc::SYS_timerfd_gettime, "timerfd_gettime"),
        (libc::SYS_accept4, "accept4"),
        (libc::SYS_signalfd4, "signalfd4"),
        (libc::SYS_eventfd2, "eventfd2"),
        (libc::SYS_epoll_create1, "epoll_create1"),
        (libc::SYS_dup3, "dup3"),
        (libc::SYS_pipe2, "pipe2"),
        (libc::SYS_inotify_init1, "inotify_init1"),
        (libc::SYS_preadv, "preadv"),
        (libc::SYS_pwritev, "pwritev"),
        (libc::SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo"),
        (libc::SYS_perf_event_open, "perf_event_open"),
        (libc::SYS_recvmmsg, "recvmmsg"),
        (libc::SYS_fanotify_init, "fanotify_init"),
        (libc::SYS_fanotify_mark, "fanotify_mark"),
        (libc::SYS_prlimit64, "prlimit64"),
        (libc::SYS_name_to_handle_at, "name_to_handle_at"),
        (libc::SYS_open_by_handle_at, "open_by_handle_at"),
        (libc::SYS_clock_adjtime, "clock_adjtime"),
        (libc::SYS_syncfs, "syncfs"),
        (libc::SYS_sendmmsg, "sendmmsg"),
        (libc::SYS_setns, "setns"),
        (libc::SYS_getcpu, "getcpu"),
        (libc::SYS_process_vm_readv, "process_vm_readv"),
        (libc::SYS_process_vm_writev, "process_vm_writev"),
        (libc::SYS_kcmp, "kcmp"),
        (libc::SYS_finit_module, "finit_module"),
        (libc::SYS_sched_setattr, "sched_setattr"),
        (libc::SYS_sched_getattr, "sched_getattr"),
        (libc::SYS_renameat2, "renameat2"),
        (libc::SYS_seccomp, "seccomp"),
        (libc::SYS_getrandom, "getrandom"),
        (libc::SYS_memfd_create, "memfd_create"),
        (libc::SYS_kexec_file_load, "kexec_file_load"),
        (libc::SYS_bpf, "bpf"),
        (libc::SYS_execveat, "execveat"),
        (libc::SYS_userfaultfd, "userfaultfd"),
        (libc::SYS_membarrier, "membarrier"),
        (libc::SYS_mlock2, "mlock2"),
        (libc::SYS_copy_file_range, "copy_file_range"),
        (libc::SYS_preadv2, "preadv2"),
        (libc::SYS_pwritev2, "pwritev2"),
        (libc::SYS_pkey_mprotect, "pkey_mprotect"),
        (libc::SYS_pkey_alloc, "pkey_alloc"),
        (libc::SYS_pkey_free, "pkey_free"),
        (libc::SYS_statx, "statx"),
        (libc::SYS_rseq, "rseq"),
        (libc::SYS_pidfd_send_signal, "pidfd_send_signal"),
        (libc::SYS_io_uring_setup, "io_uring_setup"),
        (libc::SYS_io_uring_enter, "io_uring_enter"),
        (libc::SYS_io_uring_register, "io_uring_register"),
        (libc::SYS_open_tree, "open_tree"),
        (libc::SYS_move_mount, "move_mount"),
        (libc::SYS_fsopen, "fsopen"),
        (libc::SYS_fsconfig, "fsconfig"),
        (libc::SYS_fsmount, "fsmount"),
        (libc::SYS_fspick, "fspick"),
        (libc::SYS_pidfd_open, "pidfd_open"),
        (libc::SYS_clone3, "clone3"),
        (libc::SYS_close_range, "close_range"),
        (libc::SYS_openat2, "openat2"),
        (libc::SYS_pidfd_getfd, "pidfd_getfd"),
        (libc::SYS_faccessat2, "faccessat2"),
        (libc::SYS_process_madvise, "process_madvise"),
        (libc::SYS_epoll_pwait2, "epoll_pwait2"),
        (libc::SYS_mount_setattr, "mount_setattr"),
        (libc::SYS_quotactl_fd, "quotactl_fd"),
        (libc::SYS_landlock_create_ruleset, "landlock_create_ruleset"),
        (libc::SYS_landlock_add_rule, "landlock_add_rule"),
        (libc::SYS_landlock_restrict_self, "landlock_restrict_self"),
        (libc::SYS_memfd_secret, "memfd_secret"),
        (libc::SYS_process_mrelease, "process_mrelease"),
        (libc::SYS_futex_waitv, "futex_waitv"),
        (libc::SYS_set_mempolicy_home_node, "set_mempolicy_home_node"),
        (libc::SYS_fchmodat2, "fchmodat2"),
        (libc::SYS_mseal, "mseal"),
    ];

    /// Every syscall number the `libc` crate knows for x86-64 agrees with the table.
    #[test]
    fn numbers_match_libc() {
        assert!(LIBC_NUMBERS.len() >= 360);
        for &(nr, name) in LIBC_NUMBERS {
            let sc = by_name(name).unwrap_or_else(|| panic!("{name} is missing"));
            assert_eq!(i64::from(sc.nr), nr, "{name}");
        }
    }
}
