//! The active Linux security modules, in initialisation order, and where Landlock's part of the
//! credentials' security blob starts.

use anyhow::{Result, bail};

use crate::btf::Btf;

/// LSM ids of `include/uapi/linux/lsm.h` (kernel 6.8+), for `lsm_list_modules`.
const LSM_IDS: &[(u64, &str)] = &[
    (100, "capability"),
    (101, "selinux"),
    (102, "smack"),
    (103, "tomoyo"),
    (104, "apparmor"),
    (105, "yama"),
    (106, "loadpin"),
    (107, "safesetid"),
    (108, "lockdown"),
    (109, "bpf"),
    (110, "landlock"),
    (111, "ima"),
    (112, "evm"),
    (113, "ipe"),
];

/// Active LSMs in the order the kernel initialised them (which is the order blob offsets were
/// handed out). Asks the `lsm_list_modules` syscall (6.8+), then `/sys/kernel/security/lsm`.
pub fn active() -> Result<Vec<String>> {
    if let Some(list) = from_syscall() {
        return Ok(list);
    }
    match std::fs::read_to_string("/sys/kernel/security/lsm") {
        Ok(s) => Ok(s.trim().split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()),
        Err(e) => bail!(
            "cannot list LSMs: lsm_list_modules is missing and /sys/kernel/security/lsm is \
             unreadable ({e}); mount securityfs on /sys/kernel/security"
        ),
    }
}

fn from_syscall() -> Option<Vec<String>> {
    let nr = crate::syscalls::by_name("lsm_list_modules")?.nr;
    let mut ids = [0u64; 32];
    let mut size: u32 = u32::try_from(std::mem::size_of_val(&ids)).ok()?;
    // SAFETY: lsm_list_modules(u64 *ids, u32 *size, u32 flags) writes at most `size` bytes to `ids`
    // and the used size to `size`; both point to live locals of those sizes.
    let count = unsafe {
        libc::syscall(libc::c_long::from(nr), ids.as_mut_ptr(), &raw mut size, 0u32)
    };
    let count = usize::try_from(count).ok()?;
    Some(
        ids.iter()
            .take(count.min(ids.len()))
            .map(|id| {
                LSM_IDS
                    .iter()
                    .find(|(n, _)| n == id)
                    .map_or_else(|| format!("lsm-id-{id}"), |(_, name)| (*name).to_owned())
            })
            .collect(),
    )
}

/// LSMs that can refuse file, capability or process operations on their own policy (beyond DAC and
/// capabilities), other than Landlock. `bpf` counts only when BPF-LSM programs are attached.
pub const RESTRICTING: &[&str] = &["selinux", "smack", "tomoyo", "apparmor", "ipe", "bpf", "yama", "loadpin", "safesetid", "lockdown"];

/// Offset of Landlock's `struct landlock_cred_security` in `cred->security`: the LSMs before it in
/// init order each took `ALIGN(size, sizeof(void *))` bytes (`lsm_set_blob_size`,
/// security/security.c). Sizes come from BTF; an LSM whose cred blob is not known fails the lookup
/// rather than guessing.
pub fn landlock_cred_blob_offset(btf: &Btf, lsms: &[String]) -> Result<u32> {
    let mut offset = 0u32;
    for lsm in lsms {
        let size = match lsm.as_str() {
            "landlock" => return Ok(offset.next_multiple_of(8)),
            "capability" | "lockdown" | "yama" | "loadpin" | "safesetid" | "bpf" | "ima" | "evm"
            | "ipe" | "tomoyo" => 0,
            "apparmor" => 8, // sizeof(struct aa_label *)
            "selinux" => btf
                .struct_size("cred_security_struct")
                .or_else(|_| btf.struct_size("task_security_struct"))?,
            "smack" => btf.struct_size("task_smack")?,
            other => bail!("unknown LSM {other} before landlock: its cred blob size is not known"),
        };
        if size > 0 {
            offset = offset.next_multiple_of(8) + size;
        }
    }
    bail!("landlock is not an active LSM")
}
