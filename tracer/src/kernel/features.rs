//! Probes of what the running kernel offers: trampoline programs (fentry/LSM), BPF-LSM programs in
//! use, lockdown, audit. Each probe is a real request to the kernel, not a guess from its version.

use std::os::fd::{FromRawFd as _, OwnedFd};

use crate::btf::Btf;

/// Number of BPF-LSM programs loaded on the machine (they can refuse file access).
#[must_use]
pub fn bpf_lsm_programs() -> usize {
    aya::programs::loaded_programs()
        .filter_map(Result::ok)
        // BPF_PROG_TYPE_LSM is 29 in include/uapi/linux/bpf.h (5.7+).
        .filter(|p| p.program_type() as u32 == 29)
        .count()
}

/// The lockdown LSM's state (`none`, `integrity`, `confidentiality`), when securityfs shows it.
#[must_use]
pub fn lockdown() -> Option<String> {
    let text = std::fs::read_to_string("/sys/kernel/security/lockdown").ok()?;
    let start = text.find('[')? + 1;
    let end = text[start..].find(']')? + start;
    Some(text[start..end].to_owned())
}

/// Outcome of loading a trivial fentry program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trampolines {
    /// The kernel loaded it.
    Allowed,
    /// The kernel refused it with this errno.
    Refused(i32),
    /// The probe could not be made (no BTF function to attach to).
    Unknown(String),
}

/// Tries to load `mov r0, 0; exit` as an fentry program on a kernel function.
#[must_use]
pub fn probe_trampolines(btf: &Btf) -> Trampolines {
    let Some(func) = ["landlock_log_denial", "security_file_open", "do_sys_openat2"]
        .iter()
        .find_map(|f| btf.func_id(f))
    else {
        return Trampolines::Unknown("no kernel function found in BTF to probe fentry on".into());
    };
    // mov64 r0, 0 ; exit
    let insns: [u8; 16] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    let license = b"GPL\0";
    // union bpf_attr for BPF_PROG_LOAD (include/uapi/linux/bpf.h), laid out by offset.
    let mut attr = [0u8; 144];
    let put32 = |a: &mut [u8; 144], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    let put64 = |a: &mut [u8; 144], off: usize, v: u64| a[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    put32(&mut attr, 0, 26); // prog_type = BPF_PROG_TYPE_TRACING
    put32(&mut attr, 4, 2); // insn_cnt
    put64(&mut attr, 8, insns.as_ptr() as u64);
    put64(&mut attr, 16, license.as_ptr() as u64);
    put32(&mut attr, 68, 24); // expected_attach_type = BPF_TRACE_FENTRY
    put32(&mut attr, 108, func); // attach_btf_id (in vmlinux)
    // SAFETY: bpf(BPF_PROG_LOAD) reads `attr` (size passed), the instructions and the license,
    // all alive for the call; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_mut_ptr(), attr.len()) };
    if let Ok(fd) = i32::try_from(fd) {
        if fd >= 0 {
            // SAFETY: a fresh descriptor we own; dropping it unloads the probe.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
            return Trampolines::Allowed;
        }
    }
    Trampolines::Refused(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// A line for the report's limitations about trampoline programs.
#[must_use]
pub fn trampoline_note() -> String {
    match Btf::from_sys() {
        Ok(btf) => trampoline_note_for(&btf),
        Err(e) => format!("fentry availability unknown: {e:#}"),
    }
}

/// [`trampoline_note`] with the kernel's BTF already parsed (parsing it costs tens of ms and MiB).
#[must_use]
pub fn trampoline_note_for(btf: &Btf) -> String {
    match probe_trampolines(btf) {
        Trampolines::Allowed => "fentry/LSM programs load on this kernel, but this denytrace uses tracepoints only: \
             Landlock and other LSM verdicts come from elimination"
            .into(),
        Trampolines::Refused(e) => format!(
            "fentry/fexit/LSM programs are refused by this kernel ({}): tracepoint-only attribution",
            crate::names::errno_name(e).unwrap_or("error")
        ),
        Trampolines::Unknown(why) => format!("fentry availability unknown: {why}"),
    }
}

/// Whether kernel auditing is enabled (`AUDIT_GET` over netlink); None when it cannot be asked.
#[must_use]
pub fn audit_enabled() -> Option<bool> {
    const NETLINK_AUDIT: i32 = 9;
    const AUDIT_GET: u16 = 1000;
    // SAFETY: socket() returns a new descriptor or -1.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, NETLINK_AUDIT) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor we own.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&sock);
    let tv = libc::timeval { tv_sec: 1, tv_usec: 0 };
    // SAFETY: setsockopt with a live timeval of the size passed.
    unsafe {
        libc::setsockopt(raw, libc::SOL_SOCKET, libc::SO_RCVTIMEO, (&raw const tv).cast(), u32::try_from(std::mem::size_of::<libc::timeval>()).unwrap_or(16));
    }
    let mut msg = [0u8; 16];
    msg[0..4].copy_from_slice(&16u32.to_ne_bytes());
    msg[4..6].copy_from_slice(&AUDIT_GET.to_ne_bytes());
    msg[6..8].copy_from_slice(&u16::try_from(libc::NLM_F_REQUEST).unwrap_or(1).to_ne_bytes());
    msg[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // SAFETY: send a live 16-byte buffer.
    if unsafe { libc::send(raw, msg.as_ptr().cast(), msg.len(), 0) } < 0 {
        return None;
    }
    let mut buf = [0u8; 8192];
    for _ in 0..4 {
        // SAFETY: recv into a live buffer of the size passed.
        let n = unsafe { libc::recv(raw, buf.as_mut_ptr().cast(), buf.len(), 0) };
        let n = usize::try_from(n).ok()?;
        if n < 24 {
            return None;
        }
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        if kind == AUDIT_GET {
            // struct audit_status { u32 mask; u32 enabled; ... } after the 16-byte header.
            return Some(u32::from_ne_bytes([buf[20], buf[21], buf[22], buf[23]]) != 0);
        }
    }
    None
}
