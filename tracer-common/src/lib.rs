//! Records and settings shared by denytrace's kernel side (`tracer-ebpf`) and its user side.
//!
//! Everything here is plain `#[repr(C)]` data with explicit padding: no `bool`, no enums in data the
//! kernel writes. Kinds and flags are integers; the user side decodes them with length checks and
//! `TryFrom` (see `tracer/src/decode.rs`), never by transmuting.
#![no_std]
#![expect(clippy::pub_underscore_fields, reason = "explicit padding is named `_pad`, kunai-style")]

/// Bytes kept of the first path argument of a syscall (`PATH_MAX` is 4096; longer names are flagged
/// as truncated).
pub const PATH0_CAP: usize = 512;
/// Bytes kept of the second path argument (rename, link, symlink, mount target).
pub const PATH1_CAP: usize = 256;
/// Bytes kept of a small user buffer: a `sockaddr` (connect, bind) or an `open_how` (openat2).
pub const BUF_CAP: usize = 32;
/// Supplementary groups kept in a denial record (the count is kept whole).
pub const GROUPS_CAP: usize = 16;
/// Bytes kept of an executed file's name.
pub const EXEC_CAP: usize = 256;
/// `TASK_COMM_LEN`.
pub const COMM_LEN: usize = 16;
/// Number of syscall slots in the per-syscall argument table (x86-64 numbers are below 512).
pub const SYSCALL_SLOTS: u32 = 512;
/// Landlock keeps at most this many layers (`LANDLOCK_MAX_NUM_LAYERS`, kernel 5.13+).
pub const LANDLOCK_MAX_LAYERS: u32 = 16;

/// What a ring-buffer record is; the first `u32` of every record.
pub mod kind {
    /// A syscall failed with a traced errno: [`super::Denial`].
    pub const DENIAL: u32 = 1;
    /// A traced task executed a file: [`super::Exec`].
    pub const EXEC: u32 = 2;
    /// A traced thread group ended: [`super::Exit`].
    pub const EXIT: u32 = 3;
    /// A signal was generated for a traced task: [`super::Signal`].
    pub const SIGNAL: u32 = 4;
    /// A traced task installed a sandbox (Landlock domain, seccomp filter): [`super::Setup`].
    pub const SETUP: u32 = 5;
    /// The OOM killer chose a traced task: [`super::OomVictim`].
    pub const OOM_VICTIM: u32 = 6;
    /// The running count of an aggregated denial, sent at most once per period: [`super::Count`].
    pub const COUNT: u32 = 7;
}

/// Bits of [`Denial::flags`].
pub mod denial_flag {
    /// `raw_syscalls:sys_enter` did not run for this syscall (seccomp refused it before, on x86-64).
    pub const NO_ENTER: u32 = 1 << 0;
    /// `sys_enter` has run for this thread at least once since it was tracked, so `NO_ENTER` means
    /// something (a thread already inside a syscall when tracing began has no entry mark).
    pub const ENTER_EVER: u32 = 1 << 1;
    /// The first path was longer than [`super::PATH0_CAP`].
    pub const PATH0_TRUNCATED: u32 = 1 << 2;
    /// The second path was longer than [`super::PATH1_CAP`].
    pub const PATH1_TRUNCATED: u32 = 1 << 3;
    /// Reading the first path from user memory faulted.
    pub const PATH0_FAULT: u32 = 1 << 4;
    /// Reading the second path from user memory faulted.
    pub const PATH1_FAULT: u32 = 1 << 5;
    /// The task's Landlock domain pointer could be read (see [`super::Denial::landlock_domain`]).
    pub const LANDLOCK_READ: u32 = 1 << 6;
    /// Later identical denials are counted in the aggregation map under [`super::Denial::agg`].
    pub const AGGREGATED: u32 = 1 << 7;
    /// The thread had no tracking slot (map full), so entry and capability marks are unknown.
    pub const NO_TASK_SLOT: u32 = 1 << 8;
    /// The small buffer (`sockaddr` / `open_how`) was read.
    pub const BUF_READ: u32 = 1 << 9;
    /// `rlim_cur`/`rlim_max` hold the limit behind the errno, read in the kernel at the refusal.
    pub const RLIMIT_READ: u32 = 1 << 10;
}

/// Indexes of the per-CPU loss counters (`LOSSES` map).
pub mod loss {
    /// A denial record did not fit in the ring buffer.
    pub const RING_DENIAL: u32 = 0;
    /// Another record (exec, exit, signal, setup) did not fit in the ring buffer.
    pub const RING_OTHER: u32 = 1;
    /// A thread could not get a tracking slot (task map full).
    pub const TASK_MAP_FULL: u32 = 2;
    /// A new distinct denial could not enter the aggregation map; it was sent on its own instead.
    pub const AGG_MAP_FULL: u32 = 3;
    /// Number of counters.
    pub const COUNT: u32 = 4;
}

/// Values of the `MODE` global: which tasks are traced.
pub mod mode {
    /// Tasks marked in the `TRACED` array (a command and its descendants, or a pid and its).
    pub const PIDS: u32 = 1;
    /// Tasks whose cgroup v2 ancestor at `CGROUP_LEVEL` is `CGROUP_ID`.
    pub const CGROUP: u32 = 2;
    /// Every task.
    pub const ALL: u32 = 3;
}

/// Bits of [`SyscallSpec::flags`].
pub mod spec_flag {
    /// fork, vfork, clone, clone3: errnos in `ERRNO_FORK_ONLY` count for these only.
    pub const FORKLIKE: u8 = 1 << 0;
    /// The small buffer is an `open_how` whose size is in `buf_len_arg`.
    pub const BUF_OPEN_HOW: u8 = 1 << 1;
    /// The small buffer is a `sockaddr` whose length is in `buf_len_arg`.
    pub const BUF_SOCKADDR: u8 = 1 << 2;
}

/// Marks "no such argument" in [`SyscallSpec`].
pub const NO_ARG: u8 = 0xff;

/// Which arguments of one syscall the kernel side dereferences. Filled by the user side from its
/// syscall table (`tracer/src/syscalls.rs`) into the `SYSCALL_SPECS` array, indexed by number.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallSpec {
    /// Argument index (0-5) holding the first path, or [`NO_ARG`].
    pub path0_arg: u8,
    /// Argument index holding the second path, or [`NO_ARG`].
    pub path1_arg: u8,
    /// Argument index of a small buffer to copy (see [`spec_flag`]), or [`NO_ARG`].
    pub buf_arg: u8,
    /// Argument index holding that buffer's length, or [`NO_ARG`] for a fixed size.
    pub buf_len_arg: u8,
    /// [`spec_flag`] bits.
    pub flags: u8,
    /// Explicit padding.
    pub _pad: [u8; 3],
}

impl SyscallSpec {
    /// A syscall whose arguments are all plain values.
    pub const NONE: Self = Self {
        path0_arg: NO_ARG,
        path1_arg: NO_ARG,
        buf_arg: NO_ARG,
        buf_len_arg: NO_ARG,
        flags: 0,
        _pad: [0; 3],
    };
}

/// Kernel structure offsets (in bytes) read by the user side from the running kernel's BTF
/// (`/sys/kernel/btf/vmlinux`) and handed to the programs as the `OFFSETS` global. Nothing here is
/// hard-coded; a zero `valid` bit means the field was not found and the program skips that read.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelOffsets {
    /// [`offset_valid`] bits.
    pub valid: u64,
    /// `struct task_struct`: `pid`.
    pub task_pid: u32,
    /// `struct task_struct`: `tgid`.
    pub task_tgid: u32,
    /// `struct task_struct`: `real_parent`.
    pub task_real_parent: u32,
    /// `struct task_struct`: `cred`.
    pub task_cred: u32,
    /// `struct task_struct`: `seccomp.mode`.
    pub task_seccomp_mode: u32,
    /// `struct task_struct`: `exit_code`.
    pub task_exit_code: u32,
    /// `struct task_struct`: `comm`.
    pub task_comm: u32,
    /// `struct cred`: `uid`.
    pub cred_uid: u32,
    /// `struct cred`: `gid`.
    pub cred_gid: u32,
    /// `struct cred`: `euid`.
    pub cred_euid: u32,
    /// `struct cred`: `egid`.
    pub cred_egid: u32,
    /// `struct cred`: `fsuid`.
    pub cred_fsuid: u32,
    /// `struct cred`: `fsgid`.
    pub cred_fsgid: u32,
    /// `struct cred`: `cap_effective`.
    pub cred_cap_effective: u32,
    /// `struct cred`: `security` (the LSM blob pointer).
    pub cred_security: u32,
    /// Offset of Landlock's part inside the cred blob (sum of the blobs of the LSMs before it).
    pub landlock_cred_blob: u32,
    /// `struct landlock_cred_security`: `domain`.
    pub landlock_cred_domain: u32,
    /// `struct landlock_ruleset`: `num_layers`.
    pub landlock_ruleset_num_layers: u32,
    /// `struct landlock_ruleset`: `access_masks` (flexible array of 4-byte masks).
    pub landlock_ruleset_access_masks: u32,
    /// `struct pt_regs`: `orig_ax` (the syscall number).
    pub regs_orig_ax: u32,
    /// `struct pt_regs`: the six argument registers in syscall order (di, si, dx, r10, r8, r9).
    pub regs_args: [u32; 6],
    /// `struct linux_binprm`: `filename`.
    pub binprm_filename: u32,
    /// `struct kernel_siginfo`: `si_code`.
    pub siginfo_code: u32,
    /// `struct kernel_siginfo`: `_sifields._kill._pid` (sender pid for kill-type signals).
    pub siginfo_pid: u32,
    /// `struct kernel_siginfo`: `_sifields._sigsys._syscall`.
    pub siginfo_syscall: u32,
    /// Mask of the filesystem bits (`fs` bitfield) in one Landlock `struct access_masks`.
    pub landlock_fs_mask: u32,
    /// `struct task_struct`: `nsproxy`.
    pub task_nsproxy: u32,
    /// `struct nsproxy`: `mnt_ns`.
    pub nsproxy_mnt_ns: u32,
    /// `struct mnt_namespace`: `ns.inum`.
    pub mnt_ns_inum: u32,
    /// `struct cred`: `group_info`.
    pub cred_group_info: u32,
    /// `struct group_info`: `ngroups`.
    pub group_info_ngroups: u32,
    /// `struct group_info`: `gid` (flexible array of gids).
    pub group_info_gid: u32,
    /// `struct task_struct`: `signal`.
    pub task_signal: u32,
    /// `struct signal_struct`: `rlim` (array of `struct rlimit`, 16 bytes each on 64-bit).
    pub signal_rlim: u32,
    /// Explicit padding.
    pub _pad: u32,
}

/// Bits of [`KernelOffsets::valid`].
pub mod offset_valid {
    /// Task identity and credentials (`pid`, `tgid`, `real_parent`, `cred` and its ids): required.
    pub const TASK_CORE: u64 = 1 << 0;
    /// `task_struct.seccomp.mode`.
    pub const SECCOMP_MODE: u64 = 1 << 1;
    /// Landlock's cred blob and ruleset fields.
    pub const LANDLOCK: u64 = 1 << 2;
    /// `pt_regs` syscall number and argument registers: required.
    pub const REGS: u64 = 1 << 3;
    /// `linux_binprm.filename`.
    pub const BINPRM: u64 = 1 << 4;
    /// `kernel_siginfo` fields.
    pub const SIGINFO: u64 = 1 << 5;
    /// `task_struct.exit_code`.
    pub const EXIT_CODE: u64 = 1 << 6;
    /// `cred.cap_effective`.
    pub const CAPS: u64 = 1 << 7;
    /// The mount namespace number.
    pub const MNT_NS: u64 = 1 << 8;
    /// Supplementary groups.
    pub const GROUPS: u64 = 1 << 9;
    /// Resource limits (`task_struct.signal->rlim`).
    pub const RLIMITS: u64 = 1 << 10;
}

/// Per-thread tracking state (`TASKS` map, keyed by thread id).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskState {
    /// Syscall number + 1 seen at `sys_enter` and not yet matched by `sys_exit`; 0 when none.
    pub entered: u32,
    /// [`task_flag`] bits.
    pub flags: u32,
    /// Bit `n` set: capability `n` was checked and refused during the current syscall.
    pub failed_caps: u64,
}

/// Bits of [`TaskState::flags`].
pub mod task_flag {
    /// `sys_enter` has run for this thread since it was tracked.
    pub const ENTER_EVER: u32 = 1 << 0;
}

/// Key of an in-kernel aggregation slot: identical denials share one.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AggKey {
    /// FNV-1a of both paths and the buffer.
    pub object_hash: u64,
    /// Bit `n` set: capability `n` was refused during the call.
    pub failed_caps: u64,
    /// Thread group id.
    pub tgid: u32,
    /// Syscall number.
    pub nr: u32,
    /// Return value (a negative errno).
    pub ret: i32,
    /// The cause-relevant flags ([`denial_flag::NO_ENTER`], [`denial_flag::ENTER_EVER`]).
    pub flags: u32,
}

/// Value of an aggregation slot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AggValue {
    /// How many denials had this key (including the first, which was sent in full).
    pub count: u64,
    /// Monotonic time of the latest one.
    pub last_ns: u64,
    /// Monotonic time the count last crossed the ring buffer (the first record, or a [`Count`]).
    pub reported_ns: u64,
}

/// The running count of an aggregated denial (`AGG`), sent when a repeat comes a period or more
/// after the count was last sent: a storm shows as a few counts, not a million records. The exact
/// total is read from `AGG` at the end (or when the process ends).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// [`kind::COUNT`].
    pub kind: u32,
    /// Explicit padding.
    pub _pad: u32,
    /// The aggregation key (as in the denial's first record).
    pub agg: AggKey,
    /// The count so far.
    pub count: u64,
    /// Monotonic time of the latest denial.
    pub last_ns: u64,
}

/// Identity of the task a record is about, as the kernel saw it when the record was made.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskIdentity {
    /// Thread group id (the "pid" users see).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent's thread group id.
    pub ppid: u32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Effective gid.
    pub egid: u32,
    /// Filesystem uid (what DAC checks use).
    pub fsuid: u32,
    /// Filesystem gid.
    pub fsgid: u32,
    /// Explicit padding.
    pub _pad: u32,
    /// cgroup v2 id (`bpf_get_current_cgroup_id`).
    pub cgroup_id: u64,
    /// Effective capability set.
    pub cap_effective: u64,
    /// `comm`, NUL-padded.
    pub comm: [u8; COMM_LEN],
}

/// A syscall that failed with a traced errno.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Denial {
    /// [`kind::DENIAL`].
    pub kind: u32,
    /// [`denial_flag`] bits.
    pub flags: u32,
    /// `bpf_ktime_get_ns` (`CLOCK_MONOTONIC`) at `sys_exit`.
    pub ts_ns: u64,
    /// Who made the call.
    pub task: TaskIdentity,
    /// Syscall number (`pt_regs.orig_ax`).
    pub nr: i64,
    /// Return value (a negative errno).
    pub ret: i64,
    /// The six raw argument registers.
    pub args: [u64; 6],
    /// The task's Landlock domain (a kernel pointer used as an id), 0 when none.
    pub landlock_domain: u64,
    /// Bit `n` set: capability `n` was checked and refused during this syscall.
    pub failed_caps: u64,
    /// `task_struct.seccomp.mode` (0 off, 1 strict, 2 filter).
    pub seccomp_mode: u32,
    /// Number of Landlock layers of the domain, when read.
    pub landlock_layers: u32,
    /// Union of the filesystem access rights handled by the domain's layers (Landlock bits).
    pub landlock_handled_fs: u32,
    /// Bytes of `path0` used (without the NUL).
    pub path0_len: u16,
    /// Bytes of `path1` used.
    pub path1_len: u16,
    /// Bytes of `buf` used.
    pub buf_len: u32,
    /// Mount namespace number (`/proc/PID/ns/mnt` inode), 0 when unread.
    pub mnt_ns: u32,
    /// Number of supplementary groups (may exceed [`GROUPS_CAP`]); `u32::MAX` when unread.
    pub ngroups: u32,
    /// The first supplementary groups.
    pub groups: [u32; GROUPS_CAP],
    /// Soft limit of the resource behind the errno (EMFILE: `RLIMIT_NOFILE`, fork EAGAIN:
    /// `RLIMIT_NPROC`, EFBIG: `RLIMIT_FSIZE`) at the refusal, when [`denial_flag::RLIMIT_READ`].
    pub rlim_cur: u64,
    /// Its hard limit.
    pub rlim_max: u64,
    /// The aggregation key under which later identical denials are counted.
    pub agg: AggKey,
    /// Small user buffer (`sockaddr` / `open_how`).
    pub buf: [u8; BUF_CAP],
    /// First path argument, as the program passed it.
    pub path0: [u8; PATH0_CAP],
    /// Second path argument.
    pub path1: [u8; PATH1_CAP],
}

/// A traced task executed a file (`sched:sched_process_exec`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Exec {
    /// [`kind::EXEC`].
    pub kind: u32,
    /// Bytes of `filename` used.
    pub filename_len: u32,
    /// Monotonic time.
    pub ts_ns: u64,
    /// Who executed.
    pub task: TaskIdentity,
    /// `linux_binprm.filename`.
    pub filename: [u8; EXEC_CAP],
}

/// A traced thread group ended (`sched:sched_process_exit` with the group dead).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Exit {
    /// [`kind::EXIT`].
    pub kind: u32,
    /// `task_struct.exit_code` (wait status: exit code << 8, or the signal number).
    pub exit_code: u32,
    /// Monotonic time.
    pub ts_ns: u64,
    /// Who ended.
    pub task: TaskIdentity,
}

/// A signal generated for a traced task (`signal:signal_generate`). The kernel runs the tracepoint
/// in the context of whoever caused the signal: the sending process for `kill()`, the faulting task
/// for a fault or a seccomp kill, and an arbitrary interrupted task for timers. `info` tells which.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Signal {
    /// [`kind::SIGNAL`].
    pub kind: u32,
    /// Signal number.
    pub sig: u32,
    /// Monotonic time.
    pub ts_ns: u64,
    /// The task the tracepoint ran in (current): the sender unless `info` is [`signal_info::PRIV`].
    pub sender: TaskIdentity,
    /// Target thread group id.
    pub target_pid: u32,
    /// Target thread id.
    pub target_tid: u32,
    /// Target's parent's thread group id (0 when unread).
    pub target_ppid: u32,
    /// `si_code` (`SI_USER`, `SI_KERNEL`, `SYS_SECCOMP`...), when `info` is [`signal_info::READ`].
    pub code: i32,
    /// `_sifields._kill._pid` (for `SI_USER`/`SI_TKILL`), when read.
    pub si_pid: i32,
    /// `_sifields._sigsys._syscall` (for SIGSYS from seccomp), when read; -1 otherwise.
    pub si_syscall: i32,
    /// Tracepoint result: 0 delivered, 1 ignored, 2 already pending, 3 overflow, 4 lost info.
    pub result: i32,
    /// 1 when sent to the whole group.
    pub group: u32,
    /// What the siginfo argument was: a [`signal_info`] value.
    pub info: u32,
    /// 1 when the sending context (current) is itself in the traced set.
    pub sender_traced: u32,
    /// `seccomp.mode` of current (3, `SECCOMP_MODE_DEAD`, after a seccomp kill action); `u32::MAX`
    /// when unread.
    pub sender_seccomp_mode: u32,
    /// Which resource limit `rlim_cur`/`rlim_max` hold (`RLIMIT_FSIZE` for SIGXFSZ, `RLIMIT_CPU`
    /// for SIGXCPU and SIGKILL), read from the target; `u32::MAX` when none was read.
    pub rlim_resource: u32,
    /// Soft limit of `rlim_resource` (`u64::MAX` is unlimited).
    pub rlim_cur: u64,
    /// Hard limit of `rlim_resource`.
    pub rlim_max: u64,
    /// Target's comm.
    pub target_comm: [u8; COMM_LEN],
}

/// Values of [`Signal::info`]: the `struct kernel_siginfo *` argument of `signal_generate`.
pub mod signal_info {
    /// `SEND_SIG_NOINFO` (0): sent by current as if by `kill()`; the kernel fills `SI_USER` and
    /// current's pid (`send_sig(sig, task, 0)`, e.g. SIGPIPE, SIGXFSZ, a parent-death signal).
    pub const NOINFO: u32 = 0;
    /// `SEND_SIG_PRIV` (1): generated by the kernel itself (OOM killer, CPU limits, timers, the
    /// terminal); current is only the context it ran in.
    pub const PRIV: u32 = 1;
    /// A real siginfo whose `si_code`, `si_pid` and `si_syscall` were read.
    pub const READ: u32 = 2;
    /// A real siginfo that could not be read (no offsets).
    pub const UNREAD: u32 = 3;
}

/// Values of [`Setup::what`].
pub mod setup_kind {
    /// `landlock_restrict_self` succeeded.
    pub const LANDLOCK_RESTRICT: u32 = 1;
    /// `seccomp(SECCOMP_SET_MODE_FILTER, ...)` or `prctl(PR_SET_SECCOMP, ...)` succeeded.
    pub const SECCOMP_FILTER: u32 = 2;
}

/// A traced task made itself a sandbox.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    /// [`kind::SETUP`].
    pub kind: u32,
    /// [`setup_kind`] value.
    pub what: u32,
    /// Monotonic time.
    pub ts_ns: u64,
    /// Who.
    pub task: TaskIdentity,
    /// The syscall's raw arguments.
    pub args: [u64; 6],
    /// The Landlock domain after the call (0 when unread).
    pub landlock_domain: u64,
    /// Number of layers of that domain.
    pub landlock_layers: u32,
    /// Handled filesystem rights of that domain.
    pub landlock_handled_fs: u32,
}

/// The OOM killer marked a traced task as its victim (`oom:mark_victim`). The kernel sends the
/// victim SIGKILL just before, from the same context: the task whose allocation failed.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OomVictim {
    /// [`kind::OOM_VICTIM`].
    pub kind: u32,
    /// Victim thread group id.
    pub pid: u32,
    /// Monotonic time.
    pub ts_ns: u64,
    /// Thread group id of the task the OOM killer ran in (whose allocation triggered it).
    pub trigger_pid: u32,
    /// The victim's real uid (`u32::MAX` when unread).
    pub uid: u32,
    /// The victim's comm.
    pub comm: [u8; COMM_LEN],
    /// The triggering task's comm.
    pub trigger_comm: [u8; COMM_LEN],
}

// No implicit padding anywhere: each size is the sum of the fields.
const _: () = assert!(core::mem::size_of::<SyscallSpec>() == 8);
const _: () = assert!(core::mem::size_of::<KernelOffsets>() == 8 + 4 * 40);
const _: () = assert!(core::mem::size_of::<TaskState>() == 16);
const _: () = assert!(core::mem::size_of::<AggKey>() == 32);
const _: () = assert!(core::mem::size_of::<AggValue>() == 24);
const _: () = assert!(core::mem::size_of::<Count>() == 8 + 32 + 16);
const _: () = assert!(core::mem::size_of::<TaskIdentity>() == 40 + 16 + COMM_LEN);
const _: () = assert!(
    core::mem::size_of::<Denial>()
        == 16 + 72 + 16 + 48 + 16 + 12 + 4 + 8 + 8 + 4 * GROUPS_CAP + 16 + 32 + BUF_CAP + PATH0_CAP + PATH1_CAP
);
const _: () = assert!(core::mem::size_of::<Exec>() == 16 + 72 + EXEC_CAP);
const _: () = assert!(core::mem::size_of::<Exit>() == 16 + 72);
const _: () = assert!(core::mem::size_of::<Signal>() == 16 + 72 + 48 + 16 + COMM_LEN);
const _: () = assert!(core::mem::size_of::<Setup>() == 16 + 72 + 48 + 16);
const _: () = assert!(core::mem::size_of::<OomVictim>() == 16 + 8 + 2 * COMM_LEN);

#[cfg(feature = "user")]
mod pod {
    //! `aya::Pod` for the types the user side passes to or reads from maps and globals.
    // SAFETY: all of these are `#[repr(C)]`, `Copy`, made of integers and integer arrays with
    // explicit padding, so every bit pattern is valid and there are no uninitialised bytes.
    unsafe impl aya::Pod for super::SyscallSpec {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::KernelOffsets {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::TaskState {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::AggKey {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::AggValue {}
}
