//! Kernel structure offsets for the programs, read from the running kernel's BTF, and the checks
//! that each raw tracepoint has the prototype the programs expect.
//!
//! aya has no CO-RE for Rust programs, so this is how the programs stay correct across kernels:
//! every offset they use is looked up here by name and passed in `OFFSETS`.

use anyhow::{Context as _, Result, bail};
use denytrace_common::{KernelOffsets, offset_valid};

use crate::btf::Btf;
use crate::kernel::lsm;

/// The offsets plus what could not be found (each a sentence for `doctor` and the report).
#[derive(Debug, Clone)]
pub struct Offsets {
    /// Handed to the programs.
    pub kernel: KernelOffsets,
    /// Optional fields that were not found, and what that costs.
    pub missing: Vec<String>,
}

/// Reads every offset. Fails only when the required ones (task identity, syscall registers) are
/// missing; optional ones are reported in [`Offsets::missing`].
#[expect(clippy::too_many_lines, reason = "one lookup per field, in struct order")]
pub fn from_btf(btf: &Btf, lsms: &[String]) -> Result<Offsets> {
    let mut k = KernelOffsets::default();
    let mut missing = Vec::new();
    let off = |s: &str, p: &str| btf.member_offset(s, p);

    // Required: who is calling, and which syscall with which arguments.
    k.task_pid = off("task_struct", "pid")?;
    k.task_tgid = off("task_struct", "tgid")?;
    k.task_real_parent = off("task_struct", "real_parent")?;
    k.task_cred = off("task_struct", "cred")?;
    k.task_comm = off("task_struct", "comm")?;
    k.cred_uid = off("cred", "uid")?;
    k.cred_gid = off("cred", "gid")?;
    k.cred_euid = off("cred", "euid")?;
    k.cred_egid = off("cred", "egid")?;
    k.cred_fsuid = off("cred", "fsuid")?;
    k.cred_fsgid = off("cred", "fsgid")?;
    k.valid |= offset_valid::TASK_CORE;
    k.regs_orig_ax = off("pt_regs", "orig_ax").context("x86-64 pt_regs expected")?;
    for (slot, reg) in k.regs_args.iter_mut().zip(["di", "si", "dx", "r10", "r8", "r9"]) {
        *slot = off("pt_regs", reg)?;
    }
    k.valid |= offset_valid::REGS;

    match off("cred", "cap_effective") {
        Ok(o) => {
            k.cred_cap_effective = o;
            k.valid |= offset_valid::CAPS;
        }
        Err(e) => missing.push(format!("capability sets unreadable ({e:#})")),
    }
    match off("task_struct", "seccomp.mode") {
        Ok(o) => {
            k.task_seccomp_mode = o;
            k.valid |= offset_valid::SECCOMP_MODE;
        }
        Err(e) => missing.push(format!(
            "seccomp mode unreadable: seccomp denials only from the missing sys_enter ({e:#})"
        )),
    }
    match off("task_struct", "exit_code") {
        Ok(o) => {
            k.task_exit_code = o;
            k.valid |= offset_valid::EXIT_CODE;
        }
        Err(e) => missing.push(format!("exit codes unreadable ({e:#})")),
    }
    match off("linux_binprm", "filename") {
        Ok(o) => {
            k.binprm_filename = o;
            k.valid |= offset_valid::BINPRM;
        }
        Err(e) => missing.push(format!("executed file names unreadable ({e:#})")),
    }
    match (|| -> Result<(u32, u32, u32)> {
        Ok((
            off("task_struct", "nsproxy")?,
            off("nsproxy", "mnt_ns")?,
            off("mnt_namespace", "ns.inum")?,
        ))
    })() {
        Ok((a, b, c)) => {
            k.task_nsproxy = a;
            k.nsproxy_mnt_ns = b;
            k.mnt_ns_inum = c;
            k.valid |= offset_valid::MNT_NS;
        }
        Err(e) => missing.push(format!("mount namespaces unreadable ({e:#})")),
    }
    match (|| -> Result<(u32, u32, u32)> {
        Ok((off("cred", "group_info")?, off("group_info", "ngroups")?, off("group_info", "gid")?))
    })() {
        Ok((a, b, c)) => {
            k.cred_group_info = a;
            k.group_info_ngroups = b;
            k.group_info_gid = c;
            k.valid |= offset_valid::GROUPS;
        }
        Err(e) => missing.push(format!("supplementary groups unreadable ({e:#})")),
    }
    if let Err(e) = rlimits(btf, &mut k) {
        missing.push(format!("resource limits unreadable: SIGXFSZ/SIGXCPU come without the limit's value ({e:#})"));
    }
    match siginfo(btf) {
        Ok((code, pid, syscall)) => {
            k.siginfo_code = code;
            k.siginfo_pid = pid;
            k.siginfo_syscall = syscall;
            k.valid |= offset_valid::SIGINFO;
        }
        Err(e) => missing.push(format!("signal details unreadable ({e:#})")),
    }
    match landlock(btf, lsms) {
        Ok(Some(l)) => {
            k.cred_security = l.cred_security;
            k.landlock_cred_blob = l.blob;
            k.landlock_cred_domain = l.domain;
            k.landlock_ruleset_num_layers = l.num_layers;
            k.landlock_ruleset_access_masks = l.access_masks;
            k.landlock_fs_mask = l.fs_mask;
            k.valid |= offset_valid::LANDLOCK;
        }
        Ok(None) => {}
        Err(e) => missing.push(format!(
            "Landlock domains unreadable: Landlock denials found by elimination only ({e:#})"
        )),
    }
    Ok(Offsets { kernel: k, missing })
}

/// `task_struct.signal` and `signal_struct.rlim`; the programs index `rlim` in steps of 16 bytes, so
/// `struct rlimit` must be two 64-bit words.
fn rlimits(btf: &Btf, k: &mut KernelOffsets) -> Result<()> {
    if btf.struct_size("rlimit")? != 16 {
        bail!("struct rlimit is not 16 bytes");
    }
    k.task_signal = btf.member_offset("task_struct", "signal")?;
    k.signal_rlim = btf.member_offset("signal_struct", "rlim")?;
    k.valid |= offset_valid::RLIMITS;
    Ok(())
}

fn siginfo(btf: &Btf) -> Result<(u32, u32, u32)> {
    Ok((
        btf.member_offset("kernel_siginfo", "si_code")?,
        btf.member_offset("kernel_siginfo", "_sifields._kill._pid")?,
        btf.member_offset("kernel_siginfo", "_sifields._sigsys._syscall")?,
    ))
}

struct LandlockOffsets {
    cred_security: u32,
    blob: u32,
    domain: u32,
    num_layers: u32,
    access_masks: u32,
    fs_mask: u32,
}

/// Landlock's fields, or `None` when Landlock is not an active LSM.
fn landlock(btf: &Btf, lsms: &[String]) -> Result<Option<LandlockOffsets>> {
    if !lsms.iter().any(|l| l == "landlock") {
        return Ok(None);
    }
    let fs = btf.member("access_masks", "fs")?;
    if fs.bit_offset != 0 || fs.bitfield_size == 0 || fs.bitfield_size > 32 {
        bail!("unexpected layout of struct access_masks (fs at bit {})", fs.bit_offset);
    }
    let fs_mask = if fs.bitfield_size == 32 { u32::MAX } else { (1u32 << fs.bitfield_size) - 1 };
    if btf.struct_size("access_masks")? != 4 {
        bail!("struct access_masks is not 4 bytes");
    }
    Ok(Some(LandlockOffsets {
        cred_security: btf.member_offset("cred", "security")?,
        blob: lsm::landlock_cred_blob_offset(btf, lsms)?,
        domain: btf.member_offset("landlock_cred_security", "domain")?,
        num_layers: btf.member_offset("landlock_ruleset", "num_layers")?,
        access_masks: btf.member_offset("landlock_ruleset", "access_masks")?,
        fs_mask,
    }))
}

/// A raw tracepoint the programs attach to, with the prototype they were written for.
pub struct Hook {
    /// Program (function) name in the object.
    pub program: &'static str,
    /// Tracepoint name.
    pub tracepoint: &'static str,
    /// Accepted parameter lists (after the context pointer), as BTF renders them.
    pub prototypes: &'static [&'static [&'static str]],
    /// Whether tracing can work at all without it.
    pub required: bool,
    /// What is lost without it.
    pub without: &'static str,
}

/// Every hook, in attach order (fork tracking before the syscall hooks so no child is missed).
/// `dt_cgroup_move` is attached in cgroup mode only.
pub const HOOKS: &[Hook] = &[
    Hook {
        program: "dt_fork",
        tracepoint: "sched_process_fork",
        prototypes: &[&["struct task_struct *", "struct task_struct *"]],
        required: true,
        without: "children of traced processes would not be traced",
    },
    Hook {
        program: "dt_exit",
        tracepoint: "sched_process_exit",
        prototypes: &[&["struct task_struct *", "bool"], &["struct task_struct *"]],
        required: true,
        without: "exits would not be seen",
    },
    Hook {
        program: "dt_cgroup_move",
        tracepoint: "cgroup_attach_task",
        prototypes: &[&["struct cgroup *", "const char *", "struct task_struct *", "bool"]],
        required: false,
        without: "cgroup membership is asked of the kernel on every syscall (a helper call more per syscall outside the traced set)",
    },
    Hook {
        program: "dt_exec",
        tracepoint: "sched_process_exec",
        prototypes: &[&["struct task_struct *", "pid_t", "struct linux_binprm *"]],
        required: false,
        without: "executed file names come from /proc only",
    },
    Hook {
        program: "dt_cap_capable",
        tracepoint: "cap_capable",
        prototypes: &[&[
            "const struct cred *",
            "struct user_namespace *",
            "const struct user_namespace *",
            "int",
            "int",
        ]],
        required: false,
        without: "refused capability checks are not seen (kernels before 6.10 lack this tracepoint)",
    },
    Hook {
        program: "dt_signal",
        tracepoint: "signal_generate",
        prototypes: &[&["int", "struct kernel_siginfo *", "struct task_struct *", "int", "int"]],
        required: false,
        without: "signal senders are not known",
    },
    Hook {
        program: "dt_oom",
        tracepoint: "mark_victim",
        prototypes: &[&["struct task_struct *", "uid_t"], &["struct task_struct *"]],
        required: false,
        without: "OOM kills are inferred from SIGKILL only",
    },
    Hook {
        program: "dt_sys_enter",
        tracepoint: "sys_enter",
        prototypes: &[&["struct pt_regs *", "long int"]],
        required: true,
        without: "seccomp refusals could not be told apart",
    },
    Hook {
        program: "dt_sys_exit",
        tracepoint: "sys_exit",
        prototypes: &[&["struct pt_regs *", "long int"]],
        required: true,
        without: "no refused syscall would be seen",
    },
];

/// Checks a hook's prototype in BTF. `Ok(Some(n))` gives the number of parameters that matched.
pub fn check_prototype(btf: &Btf, hook: &Hook) -> Result<usize> {
    let params = btf
        .tracepoint_params(hook.tracepoint)
        .with_context(|| format!("tracepoint {} not in this kernel's BTF", hook.tracepoint))?;
    for proto in hook.prototypes {
        if params.len() == proto.len() && params.iter().zip(proto.iter()).all(|(a, b)| a == b) {
            return Ok(params.len());
        }
    }
    bail!(
        "tracepoint {} has prototype ({}), not the one denytrace was written for",
        hook.tracepoint,
        params.join(", ")
    )
}
