//! The programs, their maps and the read-only settings the loader fills in.

use core::{
    arch::asm,
    ptr::{addr_of, read_volatile, write_volatile},
};

use aya_ebpf::{
    helpers::{
        bpf_get_current_ancestor_cgroup_id, bpf_get_current_cgroup_id, bpf_get_current_comm,
        bpf_get_current_pid_tgid, bpf_get_current_task, bpf_ktime_get_ns, bpf_probe_read_kernel,
        bpf_probe_read_kernel_str_bytes, bpf_probe_read_user, bpf_probe_read_user_buf,
        bpf_probe_read_user_str_bytes,
    },
    macros::{map, raw_tracepoint},
    maps::{Array, HashMap, PerCpuArray, RingBuf},
    programs::RawTracePointContext,
};
use denytrace_common::{
    AggKey, AggValue, BUF_CAP, COMM_LEN, Count, GROUPS_CAP, Denial, Exec, Exit, KernelOffsets, LANDLOCK_MAX_LAYERS,
    NO_ARG, OomVictim, SYSCALL_SLOTS, Setup, Signal, SyscallSpec,
    TaskIdentity, TaskState, denial_flag, kind, loss, mode, offset_valid, setup_kind, signal_info,
    spec_flag, task_flag,
};

// ---- Settings written by the loader before load (read-only data, constant for the verifier). ----

/// Kernel struct offsets from BTF.
#[unsafe(no_mangle)]
static OFFSETS: KernelOffsets = KernelOffsets {
    valid: 0,
    task_pid: 0,
    task_tgid: 0,
    task_real_parent: 0,
    task_cred: 0,
    task_seccomp_mode: 0,
    task_exit_code: 0,
    task_comm: 0,
    cred_uid: 0,
    cred_gid: 0,
    cred_euid: 0,
    cred_egid: 0,
    cred_fsuid: 0,
    cred_fsgid: 0,
    cred_cap_effective: 0,
    cred_security: 0,
    landlock_cred_blob: 0,
    landlock_cred_domain: 0,
    landlock_ruleset_num_layers: 0,
    landlock_ruleset_access_masks: 0,
    regs_orig_ax: 0,
    regs_args: [0; 6],
    binprm_filename: 0,
    siginfo_code: 0,
    siginfo_pid: 0,
    siginfo_syscall: 0,
    landlock_fs_mask: 0,
    task_nsproxy: 0,
    nsproxy_mnt_ns: 0,
    mnt_ns_inum: 0,
    cred_group_info: 0,
    group_info_ngroups: 0,
    group_info_gid: 0,
    task_signal: 0,
    signal_rlim: 0,
    _pad: 0,
};
/// Which tasks are traced: a `denytrace_common::mode` value.
#[unsafe(no_mangle)]
static MODE: u32 = 0;
/// cgroup v2 id of the watched cgroup (cgroup mode).
#[unsafe(no_mangle)]
static CGROUP_ID: u64 = 0;
/// Level of the watched cgroup in the v2 hierarchy (root is 0).
#[unsafe(no_mangle)]
static CGROUP_LEVEL: u32 = 0;
/// Errnos (bit n = errno n) reported from any syscall.
#[unsafe(no_mangle)]
static ERRNO_ALWAYS: [u64; 3] = [0; 3];
/// Errnos reported only from fork-like syscalls.
#[unsafe(no_mangle)]
static ERRNO_FORK_ONLY: [u64; 3] = [0; 3];
/// Syscall numbers whose success is a sandbox being made.
#[unsafe(no_mangle)]
static NR_LANDLOCK_RESTRICT_SELF: u32 = u32::MAX;
#[unsafe(no_mangle)]
static NR_SECCOMP: u32 = u32::MAX;
#[unsafe(no_mangle)]
static NR_PRCTL: u32 = u32::MAX;
/// Least time between two running counts of one aggregated denial (0: none are sent).
#[unsafe(no_mangle)]
static COUNT_PERIOD_NS: u64 = 0;
/// 1 when the cgroup membership cache may be used: cgroup mode, with `dt_cgroup_move` attached.
#[unsafe(no_mangle)]
static CGROUP_CACHE_ON: u32 = 0;
/// 1 when `sched_process_exit`'s prototype has the `group_dead` argument (6.13+).
#[unsafe(no_mangle)]
static EXIT_HAS_GROUP_DEAD: u32 = 0;

#[inline(always)]
fn settings() -> &'static KernelOffsets {
    // SAFETY: OFFSETS is a plain static; reading through a volatile pointer stops the compiler
    // from folding the zero initialiser the loader overrides.
    unsafe { &*read_volatile(&addr_of!(OFFSETS)) }
}

/// Reads a loader-written global; volatile so the compiler cannot fold the placeholder value.
#[inline(always)]
fn read_setting<T: Copy>(ptr: *const T) -> T {
    // SAFETY: `ptr` comes from `addr_of!` on one of the plain integer statics above.
    unsafe { read_volatile(ptr) }
}

macro_rules! setting {
    ($name:ident) => {
        read_setting(addr_of!($name))
    };
}

// ---- Maps. ----

/// Records for the user side. Size set by the loader.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(8 << 20, 0);
/// Bitmap of traced thread ids (pids mode): bit `tid % 64` of word `tid / 64`. Sized by the loader
/// from `pid_max`.
#[map]
static TRACED: Array<u64> = Array::with_max_entries(1 << 16, 0);
/// Per-thread state of traced threads.
/// Cgroup mode: each thread's membership as last asked of the kernel. Word `tid / 16` holds in bit
/// `2 * (tid % 16)` "known" and in the next bit "member", and in its upper 32 bits the generation
/// (`CGROUP_GEN`) they were asked under; a word of another generation is not trusted. Sized by the
/// loader from `pid_max`.
#[map]
static CGROUP_CACHE: Array<u64> = Array::with_max_entries(1 << 18, 0);
/// `[0]`: the generation of `CGROUP_CACHE`, bumped at every fork (the child may reuse the thread
/// id of a task that was asked under the current generation) and after any task changed cgroup.
#[map]
static CGROUP_GEN: Array<u64> = Array::with_max_entries(1, 0);

#[map]
static TASKS: HashMap<u32, TaskState> = HashMap::with_max_entries(65536, 0);
/// Which arguments each syscall has that name objects.
#[map]
static SYSCALL_SPECS: Array<SyscallSpec> = Array::with_max_entries(SYSCALL_SLOTS, 0);
/// Identical denials counted in the kernel.
#[map]
static AGG: HashMap<AggKey, AggValue> = HashMap::with_max_entries(16384, 0);
/// Loss counters, indexed by `denytrace_common::loss`.
#[map]
static LOSSES: PerCpuArray<u64> = PerCpuArray::with_max_entries(loss::COUNT, 0);
/// Scratch space to build a denial record (too large for the 512-byte stack).
#[map]
static SCRATCH: PerCpuArray<Denial> = PerCpuArray::with_max_entries(1, 0);

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

// ---- Small helpers. ----

#[inline(always)]
fn count_loss(index: u32) {
    if let Some(counter) = LOSSES.get_ptr_mut(index) {
        // SAFETY: per-CPU slot, only this CPU writes it while this program runs.
        unsafe { *counter += 1 };
    }
}

/// Reads a `T` at `base + offset` in kernel memory, or `None` when the read faults.
#[inline(always)]
fn kread<T: Copy>(base: u64, offset: u32) -> Option<T> {
    if base == 0 {
        return None;
    }
    // SAFETY: bpf_probe_read_kernel copies with fault handling; a bad address yields Err.
    unsafe { bpf_probe_read_kernel((base + u64::from(offset)) as *const T).ok() }
}

#[inline(always)]
fn bit_set(mask: &[u64; 3], bit: u32) -> bool {
    let word = (bit / 64) as usize;
    word < 3 && mask[word] & (1 << (bit % 64)) != 0
}

/// Whether thread `tid`, the current one, is in the traced set.
#[inline(always)]
fn is_traced(tid: u32) -> bool {
    match setting!(MODE) {
        mode::ALL => true,
        mode::CGROUP => in_watched_cgroup(tid),
        _ => pid_marked(tid),
    }
}

/// Asks the kernel whether the current task is in the watched cgroup or below it.
#[inline(always)]
fn ask_cgroup() -> bool {
    // SAFETY: helper without pointer arguments.
    let id = unsafe { bpf_get_current_ancestor_cgroup_id(setting!(CGROUP_LEVEL) as i32) };
    id == setting!(CGROUP_ID)
}

/// Whether the current thread `tid` is in the watched cgroup: from `CGROUP_CACHE` when its bits
/// there are of the current generation (an inlined array read, no helper), else asked of the
/// kernel and noted.
///
/// Why a noted answer stays right: bits are only trusted under the generation read *before* they
/// were asked, and the generation changes after every cgroup move (`cgroup_attach_task` fires once
/// the move is done), at every fork before the child first runs (so a reused thread id never
/// inherits its predecessor's bits), and at every exec (a thread that executes takes its leader's
/// thread id). Writes are plain stores of the whole word: a concurrent
/// writer can only lose another thread's bits (asked again next time), never make stale ones
/// current, since every word carries the generation its bits were asked under.
#[inline(always)]
fn in_watched_cgroup(tid: u32) -> bool {
    if setting!(CGROUP_CACHE_ON) == 0 {
        return ask_cgroup();
    }
    let Some(generation) = CGROUP_GEN.get_ptr(0) else {
        return ask_cgroup();
    };
    // SAFETY: points into the array map's value; read before asking (see above).
    let generation = unsafe { read_volatile(generation) } as u32;
    let Some(word) = CGROUP_CACHE.get_ptr_mut(tid / 16) else {
        return ask_cgroup();
    };
    // SAFETY: points into the array map's value, valid and 8-byte aligned.
    let bits = unsafe { read_volatile(word) };
    let shift = (tid % 16) * 2;
    let current = (bits >> 32) as u32 == generation;
    if current && (bits >> shift) & 1 != 0 {
        return (bits >> shift) & 2 != 0;
    }
    let member = ask_cgroup();
    let others = if current { bits & 0xffff_ffff & !(3u64 << shift) } else { 0 };
    let mine = (1u64 | (u64::from(member) << 1)) << shift;
    // SAFETY: as above; a plain store (see the function's comment on concurrent writers).
    unsafe { write_volatile(word, (u64::from(generation) << 32) | others | mine) };
    member
}

/// Invalidates every noted cgroup membership.
#[inline(always)]
fn new_cgroup_generation() {
    if let Some(generation) = CGROUP_GEN.get_ptr_mut(0) {
        atomic_add(generation, 1);
    }
}

#[inline(always)]
fn pid_marked(tid: u32) -> bool {
    TRACED.get(tid / 64).is_some_and(|word| word & (1 << (tid % 64)) != 0)
}

/// The current thread's id when it is in the traced set: [`is_traced`] for the syscall hooks,
/// which run on every syscall of the machine. Outside pids mode the thread id is not even asked
/// for unless the thread is traced.
#[inline(always)]
fn current_traced_tid() -> Option<u32> {
    match setting!(MODE) {
        mode::ALL => Some(bpf_get_current_pid_tgid() as u32),
        mode::CGROUP => {
            let tid = bpf_get_current_pid_tgid() as u32;
            in_watched_cgroup(tid).then_some(tid)
        }
        _ => {
            let tid = bpf_get_current_pid_tgid() as u32;
            pid_marked(tid).then_some(tid)
        }
    }
}

/// Sets or clears `tid`'s bit. The bit is set by the parent during fork (the child is not running
/// yet) and cleared by the thread itself at exit, so for one tid the two never race; other tids in
/// the same word change concurrently, hence an atomic add of ±bit rather than a store.
#[inline(always)]
fn mark_pid(tid: u32, traced: bool) {
    let Some(word) = TRACED.get_ptr_mut(tid / 64) else {
        return;
    };
    let bit = 1u64 << (tid % 64);
    // SAFETY: `word` points into the array map's value, valid and 8-byte aligned.
    let set = unsafe { read_volatile(word) } & bit != 0;
    if traced && !set {
        atomic_add(word, bit);
    } else if !traced && set {
        atomic_add(word, bit.wrapping_neg());
    }
}

/// `lock *(u64 *)(ptr + 0) += value` (BPF_ATOMIC | BPF_ADD, every eBPF kernel): the bpf target has
/// no compare-and-swap, so `core::sync::atomic` offers no `fetch_add` here.
#[inline(always)]
fn atomic_add(ptr: *mut u64, value: u64) {
    // SAFETY: callers pass pointers into map values (valid, 8-byte aligned, writable); the
    // instruction only adds to that word.
    unsafe {
        asm!("lock *(u64 *)({ptr} + 0) += {value}", ptr = in(reg) ptr, value = in(reg) value, options(nostack));
    }
}

#[inline(always)]
fn current_task() -> u64 {
    // SAFETY: helper without arguments.
    unsafe { bpf_get_current_task() }
}

/// Fills `id` for the current task.
#[inline(always)]
fn current_identity(id: &mut TaskIdentity) {
    let off = settings();
    let pid_tgid = bpf_get_current_pid_tgid();
    id.pid = (pid_tgid >> 32) as u32;
    id.tid = pid_tgid as u32;
    // SAFETY: helper without pointer arguments.
    id.cgroup_id = unsafe { bpf_get_current_cgroup_id() };
    id.comm = bpf_get_current_comm().unwrap_or([0; COMM_LEN]);
    let task = current_task();
    fill_creds(id, task, off);
    let parent: u64 = kread(task, off.task_real_parent).unwrap_or(0);
    id.ppid = kread(parent, off.task_tgid).unwrap_or(0);
}

#[inline(always)]
fn fill_creds(id: &mut TaskIdentity, task: u64, off: &KernelOffsets) {
    if off.valid & offset_valid::TASK_CORE == 0 {
        return;
    }
    let cred: u64 = kread(task, off.task_cred).unwrap_or(0);
    id.uid = kread(cred, off.cred_uid).unwrap_or(u32::MAX);
    id.gid = kread(cred, off.cred_gid).unwrap_or(u32::MAX);
    id.euid = kread(cred, off.cred_euid).unwrap_or(u32::MAX);
    id.egid = kread(cred, off.cred_egid).unwrap_or(u32::MAX);
    id.fsuid = kread(cred, off.cred_fsuid).unwrap_or(u32::MAX);
    id.fsgid = kread(cred, off.cred_fsgid).unwrap_or(u32::MAX);
    if off.valid & offset_valid::CAPS != 0 {
        id.cap_effective = kread(cred, off.cred_cap_effective).unwrap_or(0);
    }
}

/// The current task's Landlock domain pointer, its layer count and handled filesystem rights.
#[inline(always)]
fn landlock_domain() -> Option<(u64, u32, u32)> {
    let off = settings();
    if off.valid & offset_valid::LANDLOCK == 0 {
        return None;
    }
    let cred: u64 = kread(current_task(), off.task_cred)?;
    let blob: u64 = kread(cred, off.cred_security)?;
    let domain: u64 = kread(blob, off.landlock_cred_blob + off.landlock_cred_domain)?;
    if domain == 0 {
        return Some((0, 0, 0));
    }
    let layers: u32 = kread(domain, off.landlock_ruleset_num_layers).unwrap_or(0);
    let mut handled = 0u32;
    let mut layer = 0u32;
    while layer < LANDLOCK_MAX_LAYERS && layer < layers {
        let mask: u32 = kread(domain, off.landlock_ruleset_access_masks + layer * 4).unwrap_or(0);
        handled |= mask & off.landlock_fs_mask;
        layer += 1;
    }
    Some((domain, layers, handled))
}

#[inline(always)]
fn syscall_args(regs: u64, off: &KernelOffsets) -> [u64; 6] {
    let mut args = [0u64; 6];
    let mut i = 0;
    while i < 6 {
        args[i] = kread(regs, off.regs_args[i]).unwrap_or(0);
        i += 1;
    }
    args
}

/// Argument register `index` (< 6) of the syscall in flight; only the ones naming the object are
/// read before the aggregation lookup, the six for the record of a first denial.
#[inline(always)]
fn syscall_arg(regs: u64, off: &KernelOffsets, index: u8) -> u64 {
    let i = index as usize;
    if i < 6 { kread(regs, off.regs_args[i]).unwrap_or(0) } else { 0 }
}

/// Zeroes a buffer with word stores (volatile, so LLVM emits no `memset` call, which eBPF lacks).
#[inline(always)]
fn zero<const N: usize>(bytes: &mut [u8; N]) {
    let words = bytes.as_mut_ptr().cast::<u64>();
    let mut i = 0;
    while i < N / 8 {
        // SAFETY: `i < N / 8`, so the word lies inside `bytes`; unaligned writes are allowed.
        unsafe { words.add(i).write_volatile(0) };
        i += 1;
    }
}

/// FNV-1a over the words of a zero-padded buffer that hold its first `len` bytes and the NUL after
/// them (so identical names hash alike whatever the buffer held before), a word at a time. The
/// loop's bound is a constant, so the verifier's work stays linear.
#[inline(always)]
fn fnv1a<const N: usize>(mut hash: u64, bytes: &[u8; N], len: u16) -> u64 {
    let words = bytes.as_ptr().cast::<u64>();
    let used = (len as usize + 8) / 8;
    hash ^= u64::from(len);
    hash = hash.wrapping_mul(0x0100_0000_01b3);
    let mut i = 0;
    while i < N / 8 {
        if i >= used {
            break;
        }
        // SAFETY: `i < N / 8`, so the word lies inside `bytes`, which starts 8-aligned in `Denial`.
        hash ^= unsafe { words.add(i).read_volatile() };
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Copies a user string into `dst`, its length (without the NUL) into `len_out`, and adds the
/// `truncated` or `fault` flag to `flags` when that happened. The outputs are in the scratch
/// record: see [`emit_denial`].
#[inline(always)]
fn read_user_path(
    ptr: u64,
    dst: &mut [u8],
    len_out: &mut u16,
    flags: &mut u32,
    truncated: u32,
    fault: u32,
) {
    if ptr == 0 {
        return;
    }
    // SAFETY: bpf_probe_read_user_str copies at most dst.len() bytes with fault handling.
    match unsafe { bpf_probe_read_user_str_bytes(ptr as *const u8, dst) } {
        Ok(bytes) => {
            let len = bytes.len();
            *len_out = len as u16;
            if len + 1 >= dst.len() {
                // SAFETY: one byte of user memory, fault-handled.
                let next: u8 =
                    unsafe { bpf_probe_read_user((ptr + len as u64) as *const u8) }.unwrap_or(0);
                if next != 0 {
                    *flags |= truncated;
                }
            }
        }
        Err(_) => *flags |= fault,
    }
}

// ---- Programs. ----

/// `sys_enter(struct pt_regs *regs, long id)`: marks that the traced thread entered syscall `id`.
///
/// Cost: an untraced thread pays the membership test only (in pids mode one inlined array read);
/// a traced one a `TASKS` lookup and three stores into its own slot (no map update).
#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn dt_sys_enter(ctx: RawTracePointContext) -> i32 {
    let Some(tid) = current_traced_tid() else {
        return 0;
    };
    let nr: i64 = ctx.arg(1);
    let entered = (nr as u32).wrapping_add(1);
    if let Some(state) = TASKS.get_ptr_mut(&tid) {
        // SAFETY: the value belongs to this thread; only this thread's programs write it.
        unsafe {
            (*state).entered = entered;
            (*state).flags |= task_flag::ENTER_EVER;
            (*state).failed_caps = 0;
        }
    } else {
        let state = TaskState { entered, flags: task_flag::ENTER_EVER, failed_caps: 0 };
        if TASKS.insert(&tid, &state, 0).is_err() {
            count_loss(loss::TASK_MAP_FULL);
        }
    }
    0
}

/// `cap_capable(const struct cred *, struct user_namespace *target_ns, const struct
/// user_namespace *capable_ns, int cap, int ret)`: remembers refused capability checks of the
/// syscall in flight.
#[raw_tracepoint(tracepoint = "cap_capable")]
pub fn dt_cap_capable(ctx: RawTracePointContext) -> i32 {
    let ret: i64 = ctx.arg(4);
    if ret as i32 == 0 {
        return 0;
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    if !is_traced(tid) {
        return 0;
    }
    let cap: i64 = ctx.arg(3);
    let cap = cap as u32;
    if cap >= 64 {
        return 0;
    }
    if let Some(state) = TASKS.get_ptr_mut(&tid) {
        // SAFETY: this thread's own slot.
        unsafe { (*state).failed_caps |= 1 << cap };
    }
    0
}

/// `sys_exit(struct pt_regs *regs, long ret)`: the heart: report failing syscalls.
///
/// Cost, cheapest first: an untraced thread pays the membership test only; a traced one a `TASKS`
/// lookup (its slot is reset for the next syscall), then returns on success (the overwhelming
/// majority) and on errnos outside the reported set, before reading anything else. Only refused
/// syscalls reach [`emit_denial`].
#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn dt_sys_exit(ctx: RawTracePointContext) -> i32 {
    let Some(tid) = current_traced_tid() else {
        return 0;
    };
    let ret: i64 = ctx.arg(1);
    let mut flags = 0u32;
    let mut entered = 0u32;
    let mut failed_caps = 0u64;
    if let Some(state) = TASKS.get_ptr_mut(&tid) {
        // SAFETY: this thread's own slot.
        unsafe {
            entered = (*state).entered;
            failed_caps = (*state).failed_caps;
            if (*state).flags & task_flag::ENTER_EVER != 0 {
                flags |= denial_flag::ENTER_EVER;
            }
            (*state).entered = 0;
            (*state).failed_caps = 0;
        }
    } else {
        flags |= denial_flag::NO_TASK_SLOT;
    }
    let regs: u64 = ctx.arg(0);
    if ret >= 0 {
        if entered != 0 {
            on_success(regs, entered - 1, ret);
        }
        return 0;
    }
    if ret < -4095 {
        return 0;
    }
    let errno = (-ret) as u32;
    let always = setting!(ERRNO_ALWAYS);
    let always = bit_set(&always, errno);
    if !always {
        // Most failures (ENOENT, EAGAIN from non-blocking I/O...) end here, before any read.
        let fork_only = setting!(ERRNO_FORK_ONLY);
        if !bit_set(&fork_only, errno) {
            return 0;
        }
    }
    let off = settings();
    let Some(nr) = kread::<i64>(regs, off.regs_orig_ax) else {
        return 0;
    };
    let spec = if (0..i64::from(SYSCALL_SLOTS)).contains(&nr) {
        SYSCALL_SPECS.get(nr as u32).copied().unwrap_or(SyscallSpec::NONE)
    } else {
        SyscallSpec::NONE
    };
    if !always && spec.flags & spec_flag::FORKLIKE == 0 {
        return 0;
    }
    if entered == 0 && flags & denial_flag::NO_TASK_SLOT == 0 {
        flags |= denial_flag::NO_ENTER;
    }
    emit_denial(regs, nr, ret, flags, failed_caps, &spec);
    0
}

/// A traced syscall succeeded: note the ones that make a sandbox.
#[inline(always)]
fn on_success(regs: u64, nr: u32, ret: i64) {
    let what = if nr == setting!(NR_LANDLOCK_RESTRICT_SELF) {
        setup_kind::LANDLOCK_RESTRICT
    } else if nr == setting!(NR_SECCOMP) || nr == setting!(NR_PRCTL) {
        setup_kind::SECCOMP_FILTER
    } else {
        return;
    };
    let off = settings();
    let args = syscall_args(regs, off);
    // seccomp(SECCOMP_SET_MODE_FILTER = 1, ...) or prctl(PR_SET_SECCOMP = 22, SECCOMP_MODE_FILTER = 2).
    if nr == setting!(NR_SECCOMP) && args[0] != 1 {
        return;
    }
    if nr == setting!(NR_PRCTL) && (args[0] != 22 || args[1] != 2) {
        return;
    }
    let _ = ret;
    let Some(mut entry) = EVENTS.reserve::<Setup>(0) else {
        count_loss(loss::RING_OTHER);
        return;
    };
    let record = entry.as_mut_ptr();
    // SAFETY: `record` points to reserved ring-buffer space of the right size; every field is
    // written before submit.
    unsafe {
        (*record).kind = kind::SETUP;
        (*record).what = what;
        (*record).ts_ns = bpf_ktime_get_ns();
        current_identity(&mut (*record).task);
        (*record).args = args;
        let (domain, layers, handled) = landlock_domain().unwrap_or((0, 0, 0));
        (*record).landlock_domain = domain;
        (*record).landlock_layers = layers;
        (*record).landlock_handled_fs = handled;
    }
    entry.submit(0);
}

/// The mount namespace and the supplementary groups: what DAC checks need once the process is gone.
#[inline(always)]
fn read_ns_and_groups(event: &mut Denial, off: &KernelOffsets) {
    let task = current_task();
    event.mnt_ns = 0;
    if off.valid & offset_valid::MNT_NS != 0 {
        let nsproxy: u64 = kread(task, off.task_nsproxy).unwrap_or(0);
        let mnt_ns: u64 = kread(nsproxy, off.nsproxy_mnt_ns).unwrap_or(0);
        event.mnt_ns = kread(mnt_ns, off.mnt_ns_inum).unwrap_or(0);
    }
    event.ngroups = u32::MAX;
    event.groups = [0; GROUPS_CAP];
    if off.valid & offset_valid::GROUPS != 0 {
        let cred: u64 = kread(task, off.task_cred).unwrap_or(0);
        let info: u64 = kread(cred, off.cred_group_info).unwrap_or(0);
        if let Some(n) = kread::<u32>(info, off.group_info_ngroups) {
            event.ngroups = n;
            let mut i = 0u32;
            while i < GROUPS_CAP as u32 && i < n {
                event.groups[i as usize] = kread(info, off.group_info_gid + i * 4).unwrap_or(0);
                i += 1;
            }
        }
    }
}

/// Counts a refused syscall, and sends the first of each kind to user space.
///
/// The object (paths, small buffer, through only the argument registers naming it) is read and
/// hashed first, so that a repeat (the common case in a storm of identical denials) costs those
/// reads and one `AGG` lookup with an atomic add; only the first of its kind reads the task's
/// identity, credentials, sandbox state and groups, and crosses the ring buffer.
///
/// Values that differ from path to path (flags, lengths) are kept in the scratch record (map
/// memory, which the verifier does not track) rather than in registers, so the verifier's states
/// converge after each branch instead of multiplying: this keeps loading fast.
#[inline(always)]
fn emit_denial(regs: u64, nr: i64, ret: i64, flags: u32, failed_caps: u64, spec: &SyscallSpec) {
    let Some(event) = SCRATCH.get_ptr_mut(0) else {
        return;
    };
    let off = settings();
    // SAFETY: per-CPU scratch, exclusively ours while this program runs on this CPU.
    let event = unsafe { &mut *event };
    // SAFETY: helper without arguments.
    event.ts_ns = unsafe { bpf_ktime_get_ns() };
    event.flags = flags;
    event.nr = nr;
    event.ret = ret;
    event.path0_len = 0;
    event.path1_len = 0;
    event.buf_len = 0;
    // Stale bytes of an earlier record would change the hash of identical names.
    zero(&mut event.path0);
    zero(&mut event.path1);
    zero(&mut event.buf);
    if (spec.path0_arg as usize) < 6 {
        let ptr = syscall_arg(regs, off, spec.path0_arg);
        read_user_path(
            ptr,
            &mut event.path0,
            &mut event.path0_len,
            &mut event.flags,
            denial_flag::PATH0_TRUNCATED,
            denial_flag::PATH0_FAULT,
        );
    }
    if (spec.path1_arg as usize) < 6 {
        let ptr = syscall_arg(regs, off, spec.path1_arg);
        read_user_path(
            ptr,
            &mut event.path1,
            &mut event.path1_len,
            &mut event.flags,
            denial_flag::PATH1_TRUNCATED,
            denial_flag::PATH1_FAULT,
        );
    }
    if (spec.buf_arg as usize) < 6 {
        let mut len = BUF_CAP as u64;
        if (spec.buf_len_arg as usize) < 6 && spec.buf_len_arg != NO_ARG {
            let wanted = syscall_arg(regs, off, spec.buf_len_arg);
            if wanted < len {
                len = wanted;
            }
        }
        let ptr = syscall_arg(regs, off, spec.buf_arg);
        if ptr != 0 && len > 0 && len <= BUF_CAP as u64 {
            // SAFETY: fault-handled copy of at most BUF_CAP bytes into the scratch record.
            if unsafe { bpf_probe_read_user_buf(ptr as *const u8, &mut event.buf[..len as usize]) }
                .is_ok()
            {
                event.buf_len = len as u32;
                event.flags |= denial_flag::BUF_READ;
            }
        }
    }
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    hash = fnv1a(hash, &event.path0, event.path0_len);
    hash = fnv1a(hash ^ 0xff, &event.path1, event.path1_len);
    hash = fnv1a(hash ^ 0xfe, &event.buf, event.buf_len as u16);
    let key = AggKey {
        object_hash: hash,
        failed_caps,
        tgid: (bpf_get_current_pid_tgid() >> 32) as u32,
        nr: nr as u32,
        ret: ret as i32,
        // Read back from the record, not from `flags`: see above.
        flags: event.flags & (denial_flag::NO_ENTER | denial_flag::ENTER_EVER),
    };
    let now = event.ts_ns;
    if let Some(value) = AGG.get_ptr_mut(&key) {
        // Several threads of one process can hit the same key at once: add atomically.
        // SAFETY: `value` points into the hash map's element.
        atomic_add(unsafe { &raw mut (*value).count }, 1);
        // SAFETY: as above; a racy store of a timestamp is harmless.
        unsafe { (*value).last_ns = now };
        report_count(&key, value, now);
        return;
    }
    // The first of its kind: the rest of the record.
    event.kind = kind::DENIAL;
    event.args = syscall_args(regs, off);
    current_identity(&mut event.task);
    event.failed_caps = failed_caps;
    event.seccomp_mode = if off.valid & offset_valid::SECCOMP_MODE != 0 {
        kread(current_task(), off.task_seccomp_mode).unwrap_or(0)
    } else {
        0
    };
    if let Some((domain, layers, handled)) = landlock_domain() {
        event.flags |= denial_flag::LANDLOCK_READ;
        event.landlock_domain = domain;
        event.landlock_layers = layers;
        event.landlock_handled_fs = handled;
    } else {
        event.landlock_domain = 0;
        event.landlock_layers = 0;
        event.landlock_handled_fs = 0;
    }
    read_ns_and_groups(event, off);
    // The limit behind the errno, read now: the process may be gone before anyone looks.
    let resource: u32 = match -ret {
        24 => 7,  // EMFILE: RLIMIT_NOFILE
        11 => 6,  // EAGAIN (fork-like only reach here): RLIMIT_NPROC
        27 => 1,  // EFBIG: RLIMIT_FSIZE
        _ => u32::MAX,
    };
    event.rlim_cur = u64::MAX;
    event.rlim_max = u64::MAX;
    if resource != u32::MAX && off.valid & offset_valid::RLIMITS != 0 {
        let signal: u64 = kread(current_task(), off.task_signal).unwrap_or(0);
        let rlim = off.signal_rlim + resource * 16;
        if let (Some(cur), Some(max)) = (kread::<u64>(signal, rlim), kread::<u64>(signal, rlim + 8)) {
            event.rlim_cur = cur;
            event.rlim_max = max;
            event.flags |= denial_flag::RLIMIT_READ;
        }
    }
    event.agg = key;
    // BPF_NOEXIST: if another CPU inserted the same key meanwhile, count there instead.
    let aggregated = match AGG.insert(&key, &AggValue { count: 1, last_ns: now, reported_ns: now }, 1) {
        Ok(()) => {
            event.flags |= denial_flag::AGGREGATED;
            true
        }
        Err(_) => {
            if let Some(value) = AGG.get_ptr_mut(&key) {
                // SAFETY: `value` points into the hash map's element.
                atomic_add(unsafe { &raw mut (*value).count }, 1);
                return;
            }
            count_loss(loss::AGG_MAP_FULL);
            false
        }
    };
    if EVENTS.output::<Denial>(&*event, 0).is_err() {
        count_loss(loss::RING_DENIAL);
        if aggregated {
            // The details are gone; keep the count out of the map so totals stay exact: the user
            // side adds LOSSES[RING_DENIAL] to the totals as "denials without details".
            let _ = AGG.remove(&key);
        }
    }
}

/// Sends the running count of `key` when it was last sent a period or more ago. Two CPUs may both
/// send one (the store of `reported_ns` is not atomic): the user side keeps the larger count.
#[inline(always)]
fn report_count(key: &AggKey, value: *mut AggValue, now: u64) {
    let period = setting!(COUNT_PERIOD_NS);
    // SAFETY: `value` points into the hash map's element.
    let reported = unsafe { read_volatile(&raw const (*value).reported_ns) };
    if period == 0 || now.wrapping_sub(reported) < period {
        return;
    }
    // SAFETY: as above.
    unsafe { (*value).reported_ns = now };
    let Some(mut entry) = EVENTS.reserve::<Count>(0) else {
        count_loss(loss::RING_OTHER);
        return;
    };
    let record = entry.as_mut_ptr();
    // SAFETY: reserved space of the right size; every field written before submit; `value` as
    // above.
    unsafe {
        (*record).kind = kind::COUNT;
        (*record)._pad = 0;
        (*record).agg = *key;
        (*record).count = read_volatile(&raw const (*value).count);
        (*record).last_ns = now;
    }
    entry.submit(0);
}

/// `sched_process_fork(struct task_struct *parent, struct task_struct *child)`: children of traced
/// tasks are traced, from birth.
#[raw_tracepoint(tracepoint = "sched_process_fork")]
pub fn dt_fork(ctx: RawTracePointContext) -> i32 {
    if setting!(CGROUP_CACHE_ON) == 1 {
        // Before the child first runs: it may reuse a thread id noted in CGROUP_CACHE.
        new_cgroup_generation();
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    if !is_traced(tid) {
        return 0;
    }
    let child: u64 = ctx.arg(1);
    let Some(child_tid) = kread::<u32>(child, settings().task_pid) else {
        return 0;
    };
    if setting!(MODE) == mode::PIDS {
        mark_pid(child_tid, true);
    }
    let state = TaskState { entered: 0, flags: task_flag::ENTER_EVER, failed_caps: 0 };
    if TASKS.insert(&child_tid, &state, 0).is_err() {
        count_loss(loss::TASK_MAP_FULL);
    }
    0
}

/// `cgroup_attach_task(struct cgroup *dst_cgrp, const char *path, struct task_struct *task, bool
/// threadgroup)`, fired once a task (or a whole thread group) has moved to another cgroup
/// (kernel/cgroup/cgroup.c, `cgroup_attach_task`, 4.x onwards): every noted membership is
/// invalidated. Attached in cgroup mode only.
#[raw_tracepoint(tracepoint = "cgroup_attach_task")]
pub fn dt_cgroup_move(_ctx: RawTracePointContext) -> i32 {
    new_cgroup_generation();
    0
}

/// `sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)`.
#[raw_tracepoint(tracepoint = "sched_process_exec")]
pub fn dt_exec(ctx: RawTracePointContext) -> i32 {
    if setting!(CGROUP_CACHE_ON) == 1 {
        // A thread that is not the leader takes the leader's thread id when it executes a file
        // (de_thread); in a threaded cgroup subtree the two may be in different cgroups.
        new_cgroup_generation();
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    if !is_traced(tid) {
        return 0;
    }
    let off = settings();
    if off.valid & offset_valid::BINPRM == 0 {
        return 0;
    }
    let bprm: u64 = ctx.arg(2);
    let Some(mut entry) = EVENTS.reserve::<Exec>(0) else {
        count_loss(loss::RING_OTHER);
        return 0;
    };
    let record = entry.as_mut_ptr();
    // SAFETY: reserved space of the right size; every field written before submit.
    unsafe {
        (*record).kind = kind::EXEC;
        (*record).ts_ns = bpf_ktime_get_ns();
        current_identity(&mut (*record).task);
        let name: u64 = kread(bprm, off.binprm_filename).unwrap_or(0);
        (*record).filename_len = 0;
        if name != 0 {
            if let Ok(bytes) = bpf_probe_read_kernel_str_bytes(name as *const u8, &mut (*record).filename) {
                (*record).filename_len = bytes.len() as u32;
            }
        }
    }
    entry.submit(0);
    0
}

/// `sched_process_exit(struct task_struct *p[, bool group_dead])`: the thread is gone; report the
/// group's end once, and forget the thread.
#[raw_tracepoint(tracepoint = "sched_process_exit")]
pub fn dt_exit(ctx: RawTracePointContext) -> i32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tid = pid_tgid as u32;
    if !is_traced(tid) {
        return 0;
    }
    let group_dead = if setting!(EXIT_HAS_GROUP_DEAD) == 1 {
        let dead: u64 = ctx.arg(1);
        dead & 0xff != 0
    } else {
        tid == (pid_tgid >> 32) as u32
    };
    if group_dead {
        if let Some(mut entry) = EVENTS.reserve::<Exit>(0) {
            let record = entry.as_mut_ptr();
            let off = settings();
            // SAFETY: reserved space of the right size; every field written before submit.
            unsafe {
                (*record).kind = kind::EXIT;
                (*record).ts_ns = bpf_ktime_get_ns();
                current_identity(&mut (*record).task);
                (*record).exit_code = if off.valid & offset_valid::EXIT_CODE != 0 {
                    kread(current_task(), off.task_exit_code).unwrap_or(u32::MAX)
                } else {
                    u32::MAX
                };
            }
            entry.submit(0);
        } else {
            count_loss(loss::RING_OTHER);
        }
    }
    let _ = TASKS.remove(&tid);
    if setting!(MODE) == mode::PIDS {
        mark_pid(tid, false);
    }
    0
}

/// `signal_generate(int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
/// int result)`: a signal for a traced task. The tracepoint runs in the context that caused the
/// signal (the sender for kill(), the task itself for faults, seccomp and limits, an arbitrary task
/// for timers and the OOM killer); the user side tells them apart with `info` and `si_code`.
#[raw_tracepoint(tracepoint = "signal_generate")]
pub fn dt_signal(ctx: RawTracePointContext) -> i32 {
    let sig: i64 = ctx.arg(0);
    let sig = sig as u32;
    // SIGCHLD is a notification, not a fate.
    if sig == 17 || sig == 0 {
        return 0;
    }
    let task: u64 = ctx.arg(2);
    let off = settings();
    let Some(target_tid) = kread::<u32>(task, off.task_pid) else {
        return 0;
    };
    let traced = match setting!(MODE) {
        mode::PIDS => pid_marked(target_tid),
        _ => TASKS.get_ptr(&target_tid).is_some(),
    };
    if !traced {
        return 0;
    }
    let info: u64 = ctx.arg(1);
    let group: i64 = ctx.arg(3);
    let result: i64 = ctx.arg(4);
    let Some(mut entry) = EVENTS.reserve::<Signal>(0) else {
        count_loss(loss::RING_OTHER);
        return 0;
    };
    let record = entry.as_mut_ptr();
    let sender_tid = bpf_get_current_pid_tgid() as u32;
    // SAFETY: reserved space of the right size; every field written before submit.
    unsafe {
        (*record).kind = kind::SIGNAL;
        (*record).sig = sig;
        (*record).ts_ns = bpf_ktime_get_ns();
        current_identity(&mut (*record).sender);
        (*record).sender_traced = u32::from(is_traced(sender_tid));
        (*record).sender_seccomp_mode = if off.valid & offset_valid::SECCOMP_MODE != 0 {
            kread(current_task(), off.task_seccomp_mode).unwrap_or(u32::MAX)
        } else {
            u32::MAX
        };
        (*record).target_tid = target_tid;
        (*record).target_pid = kread(task, off.task_tgid).unwrap_or(0);
        let parent: u64 = kread(task, off.task_real_parent).unwrap_or(0);
        (*record).target_ppid = kread(parent, off.task_tgid).unwrap_or(0);
        (*record).target_comm = kread(task, off.task_comm).unwrap_or([0; COMM_LEN]);
        (*record).group = u32::from(group as i32 != 0);
        (*record).result = result as i32;
        (*record).code = 0;
        (*record).si_pid = 0;
        (*record).si_syscall = -1;
        // info is 0 for SEND_SIG_NOINFO and 1 for SEND_SIG_PRIV (include/linux/sched/signal.h).
        (*record).info = match info {
            0 => signal_info::NOINFO,
            1 => signal_info::PRIV,
            _ if off.valid & offset_valid::SIGINFO != 0 => {
                (*record).code = kread(info, off.siginfo_code).unwrap_or(0);
                (*record).si_pid = kread(info, off.siginfo_pid).unwrap_or(0);
                (*record).si_syscall = kread(info, off.siginfo_syscall).unwrap_or(-1);
                signal_info::READ
            }
            _ => signal_info::UNREAD,
        };
        // The limit behind a limit signal: SIGXFSZ is RLIMIT_FSIZE (1); SIGXCPU, and SIGKILL at the
        // hard limit, are RLIMIT_CPU (0).
        let resource: u32 = match sig {
            25 => 1,
            24 | 9 => 0,
            _ => u32::MAX,
        };
        (*record).rlim_resource = u32::MAX;
        (*record).rlim_cur = u64::MAX;
        (*record).rlim_max = u64::MAX;
        if resource != u32::MAX && off.valid & offset_valid::RLIMITS != 0 {
            let signal: u64 = kread(task, off.task_signal).unwrap_or(0);
            let rlim = off.signal_rlim + resource * 16;
            if let (Some(cur), Some(max)) = (kread::<u64>(signal, rlim), kread::<u64>(signal, rlim + 8)) {
                (*record).rlim_resource = resource;
                (*record).rlim_cur = cur;
                (*record).rlim_max = max;
            }
        }
    }
    entry.submit(0);
    0
}

/// `mark_victim(struct task_struct *task[, uid_t uid])`: the OOM killer chose a task. It runs right
/// after the kernel sent the victim SIGKILL, in the same context (the task whose allocation failed).
#[raw_tracepoint(tracepoint = "mark_victim")]
pub fn dt_oom(ctx: RawTracePointContext) -> i32 {
    let task: u64 = ctx.arg(0);
    let off = settings();
    let Some(tid) = kread::<u32>(task, off.task_pid) else {
        return 0;
    };
    let traced = match setting!(MODE) {
        mode::PIDS => pid_marked(tid),
        _ => TASKS.get_ptr(&tid).is_some(),
    };
    if !traced {
        return 0;
    }
    let cred: u64 = kread(task, off.task_cred).unwrap_or(0);
    let uid = kread(cred, off.cred_uid).unwrap_or(u32::MAX);
    let record = OomVictim {
        kind: kind::OOM_VICTIM,
        pid: kread(task, off.task_tgid).unwrap_or(tid),
        // SAFETY: helper without arguments.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        trigger_pid: (bpf_get_current_pid_tgid() >> 32) as u32,
        uid,
        comm: kread(task, off.task_comm).unwrap_or([0; COMM_LEN]),
        trigger_comm: bpf_get_current_comm().unwrap_or([0; COMM_LEN]),
    };
    if EVENTS.output::<OomVictim>(&record, 0).is_err() {
        count_loss(loss::RING_OTHER);
    }
    0
}
