//! How risky a grant is: low, medium or high, each with a one-line reason. Granting
//! `CAP_SYS_ADMIN`, allowing ptrace or mount, and write access to `/dev`, `/proc` or `/sys` are
//! high; read access to secrets is high too.

use std::fmt;

/// Risk levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Hardly widens what the sandbox allows.
    Low,
    /// Widens it noticeably.
    Medium,
    /// Opens a known way out of the sandbox or into the host.
    High,
}

impl Level {
    /// "low", "medium", "high".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// The level.
    pub level: Level,
    /// One line.
    pub why: String,
}

impl Risk {
    /// A risk.
    #[must_use]
    pub fn new(level: Level, why: impl Into<String>) -> Self {
        Self { level, why: why.into() }
    }

    /// The larger of two risks (the first on a tie).
    #[must_use]
    pub fn max(self, other: Self) -> Self {
        if other.level > self.level { other } else { self }
    }
}

/// Capabilities and their risk when granted to a sandboxed program.
#[must_use]
pub fn capability(cap: &str) -> Risk {
    let cap = cap.to_ascii_uppercase();
    let cap = cap.strip_prefix("CAP_").unwrap_or(&cap);
    let (level, why) = match cap {
        "SYS_ADMIN" => (Level::High, "CAP_SYS_ADMIN allows mount, namespaces, BPF and much else: close to full root"),
        "SYS_PTRACE" => (Level::High, "CAP_SYS_PTRACE allows tracing and reading the memory of other processes"),
        "SYS_MODULE" => (Level::High, "CAP_SYS_MODULE loads kernel modules: full control of the kernel"),
        "SYS_RAWIO" => (Level::High, "CAP_SYS_RAWIO gives raw I/O port and device access"),
        "DAC_READ_SEARCH" => (Level::High, "CAP_DAC_READ_SEARCH reads any file and allows open_by_handle_at, a known container escape"),
        "DAC_OVERRIDE" => (Level::High, "CAP_DAC_OVERRIDE bypasses every file permission check"),
        "SYS_BOOT" => (Level::High, "CAP_SYS_BOOT reboots the machine"),
        "MAC_ADMIN" | "MAC_OVERRIDE" => (Level::High, "it changes or bypasses the mandatory access control policy"),
        "BPF" => (Level::High, "CAP_BPF loads BPF programs into the kernel"),
        "PERFMON" => (Level::High, "CAP_PERFMON observes the whole system through perf and BPF"),
        "SETUID" | "SETGID" | "SETFCAP" | "SETPCAP" => (Level::High, "it changes identities or capabilities: a way to any other user"),
        "SYS_TIME" => (Level::High, "CAP_SYS_TIME sets the host clock (the clock is not namespaced)"),
        "AUDIT_CONTROL" => (Level::High, "CAP_AUDIT_CONTROL changes the audit rules of the host"),
        "CHECKPOINT_RESTORE" => (Level::High, "CAP_CHECKPOINT_RESTORE reads other processes' state"),
        "NET_ADMIN" => (Level::High, "CAP_NET_ADMIN reconfigures the network of its namespace (the host's, outside a network namespace)"),
        "FOWNER" | "CHOWN" | "FSETID" => (Level::Medium, "it bypasses ownership checks on files the sandbox can reach"),
        "KILL" => (Level::Medium, "CAP_KILL signals processes of other users"),
        "NET_RAW" => (Level::Medium, "CAP_NET_RAW crafts raw packets (spoofing inside the network namespace)"),
        "SYS_CHROOT" => (Level::Medium, "CAP_SYS_CHROOT changes the root directory (one step of known escapes)"),
        "MKNOD" => (Level::Medium, "CAP_MKNOD creates device nodes (the device cgroup still applies)"),
        "SYS_RESOURCE" => (Level::Medium, "CAP_SYS_RESOURCE overrides resource limits"),
        "SYSLOG" => (Level::Medium, "CAP_SYSLOG reads the kernel log, which leaks kernel addresses"),
        "SYS_PACCT" | "SYS_TTY_CONFIG" | "IPC_OWNER" | "LINUX_IMMUTABLE" | "AUDIT_READ" | "SYS_NICE" => {
            (Level::Medium, "it bypasses a system-wide restriction")
        }
        "NET_BIND_SERVICE" => (Level::Low, "CAP_NET_BIND_SERVICE only binds ports below 1024"),
        "IPC_LOCK" | "LEASE" | "AUDIT_WRITE" | "WAKE_ALARM" | "BLOCK_SUSPEND" | "NET_BROADCAST" => {
            (Level::Low, "a narrow capability")
        }
        _ => (Level::Medium, "an unfamiliar capability: review it"),
    };
    Risk::new(level, why)
}

/// Syscalls and their risk when a seccomp filter lets them through.
#[must_use]
pub fn syscall(name: &str) -> Risk {
    let (level, why) = match name {
        "mount" | "umount" | "umount2" | "pivot_root" | "fsopen" | "fsmount" | "fsconfig" | "fspick" | "move_mount"
        | "open_tree" | "mount_setattr" => (Level::High, "mounting is a classic way out of a sandbox"),
        "ptrace" | "process_vm_readv" | "process_vm_writev" | "pidfd_getfd" | "kcmp" => {
            (Level::High, "it reads or controls other processes (ptrace family)")
        }
        "kexec_load" | "kexec_file_load" | "init_module" | "finit_module" | "delete_module" | "reboot" => {
            (Level::High, "it changes the running kernel")
        }
        "bpf" | "perf_event_open" => (Level::High, "it loads code into the kernel or observes the whole system"),
        "open_by_handle_at" => (Level::High, "open_by_handle_at opens files outside the sandbox's root (a known container escape)"),
        "setns" | "unshare" => (Level::High, "new or other namespaces widen the kernel attack surface (user namespaces especially)"),
        "iopl" | "ioperm" | "swapon" | "swapoff" | "acct" | "settimeofday" | "stime" | "clock_settime" | "clock_settime64" => {
            (Level::High, "it acts on the whole machine")
        }
        "keyctl" | "add_key" | "request_key" => (Level::Medium, "the kernel keyring is shared and not namespaced"),
        "userfaultfd" | "io_uring_setup" | "io_uring_enter" | "io_uring_register" => {
            (Level::Medium, "a large kernel attack surface often used in exploits")
        }
        "name_to_handle_at" | "personality" | "chroot" | "vhangup" | "syslog" | "quotactl" | "quotactl_fd"
        | "lookup_dcookie" | "process_madvise" | "fanotify_init" => (Level::Medium, "a sensitive syscall: review the need"),
        "sethostname" | "setdomainname" => (Level::Medium, "changes the host name of its UTS namespace (the host's, without one)"),
        _ => (Level::Low, "an ordinary syscall"),
    };
    Risk::new(level, why)
}

/// Path prefixes whose contents are secrets: reading them is high risk.
const SECRET: &[&str] = &["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private", "/proc/kcore", "/sys/kernel/debug"];

/// Directory names that hold credentials wherever they are.
const SECRET_DIRS: &[&str] = &[".ssh", ".gnupg", ".aws", ".kube", ".docker", ".netrc", ".git-credentials"];

/// Whole home directories (they hold credentials).
fn is_home(path: &str) -> bool {
    path == "/root" || path == "/home" || path.strip_prefix("/home/").is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// Top-level trees whose write access is high risk.
const SYSTEM: &[&str] = &["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/var", "/opt", "/srv", "/home", "/root", "/run", "/snap", "/mnt", "/media"];

fn beneath(path: &str, top: &str) -> bool {
    path == top || path.strip_prefix(top).is_some_and(|rest| rest.starts_with('/'))
}

/// Filesystem grants.
#[must_use]
pub fn path(path: &str, write: bool) -> Risk {
    if path == "/" {
        return Risk::new(Level::High, "the whole filesystem");
    }
    if SECRET.iter().any(|s| beneath(path, s)) || path.split('/').any(|c| SECRET_DIRS.contains(&c)) {
        return Risk::new(Level::High, "it exposes secrets (keys, password hashes or kernel memory)");
    }
    if is_home(path) {
        return Risk::new(Level::High, "a whole home directory, with its keys and tokens");
    }
    for (top, what) in [("/proc", "/proc"), ("/sys", "/sys"), ("/dev", "/dev")] {
        if !beneath(path, top) {
            continue;
        }
        if path == top {
            return if write {
                Risk::new(Level::High, format!("write access to all of {what}"))
            } else {
                Risk::new(Level::Medium, format!("reads all of {what}: other processes' and the kernel's details"))
            };
        }
        if top == "/dev" {
            return device_path(path, write);
        }
        return if write {
            Risk::new(Level::High, format!("write access under {what} changes kernel or process settings"))
        } else {
            Risk::new(Level::Low, format!("reads part of {what}"))
        };
    }
    if beneath(path, "/tmp") || beneath(path, "/var/tmp") || beneath(path, "/dev/shm") {
        return Risk::new(Level::Low, "a scratch directory");
    }
    if let Some(top) = SYSTEM.iter().find(|t| beneath(path, t)) {
        if write {
            let level = if path == *top || path.matches('/').count() <= 2 { Level::High } else { Level::Medium };
            return Risk::new(level, format!("write access to system files under {top}"));
        }
        return Risk::new(Level::Low, "read access to installed files");
    }
    if write {
        Risk::new(Level::Medium, "write access outside the sandbox's usual scratch space")
    } else {
        Risk::new(Level::Low, "read access")
    }
}

fn device_path(path: &str, write: bool) -> Risk {
    let name = path.trim_start_matches("/dev/");
    match name {
        "null" | "zero" | "full" | "random" | "urandom" | "tty" => Risk::new(Level::Low, "a harmless standard device"),
        "ptmx" => Risk::new(Level::Low, "/dev/ptmx only creates new pseudo-terminals"),
        "pts" => Risk::new(
            Level::Medium,
            "every pseudo-terminal of this devpts instance, including other sessions' (their owner and mode still apply)",
        ),
        "shm" | "mqueue" => Risk::new(Level::Low, "shared memory scratch space"),
        "mem" | "kmem" | "port" => Risk::new(Level::High, "raw access to physical or kernel memory"),
        _ if name.starts_with("sd") || name.starts_with("nvme") || name.starts_with("vd") || name.starts_with("dm-")
            || name.starts_with("loop") || name.starts_with("mapper") =>
        {
            Risk::new(Level::High, "a block device: its whole filesystem, bypassing file permissions")
        }
        _ if name.starts_with("pts/") => Risk::new(Level::Medium, "another session's terminal"),
        _ if write => Risk::new(Level::Medium, "read-write access to a device"),
        _ => Risk::new(Level::Low, "read access to a device"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_rules() {
        assert_eq!(capability("CAP_SYS_ADMIN").level, Level::High);
        assert_eq!(capability("NET_BIND_SERVICE").level, Level::Low);
        assert_eq!(syscall("mount").level, Level::High);
        assert_eq!(syscall("ptrace").level, Level::High);
        assert_eq!(syscall("getpid").level, Level::Low);
        assert_eq!(path("/dev", true).level, Level::High);
        assert_eq!(path("/proc", true).level, Level::High);
        assert_eq!(path("/proc/sys/kernel", true).level, Level::High);
        assert_eq!(path("/dev/ptmx", true).level, Level::Low);
        assert_eq!(path("/dev/pts", true).level, Level::Medium);
        assert_eq!(path("/etc/shadow", false).level, Level::High);
        assert_eq!(path("/home/u/.ssh/id_ed25519", false).level, Level::High);
        assert_eq!(path("/root", false).level, Level::High);
        assert_eq!(path("/root/.pyenv/shims/python3", false).level, Level::Low);
        assert_eq!(path("/etc", false).level, Level::Low);
        assert_eq!(path("/etc", true).level, Level::High);
        assert_eq!(path("/tmp/x", true).level, Level::Low);
        assert_eq!(path("/usr/share/zoneinfo", false).level, Level::Low);
    }

    #[test]
    fn max_keeps_the_higher() {
        let a = Risk::new(Level::Low, "a");
        let b = Risk::new(Level::High, "b");
        assert_eq!(a.clone().max(b.clone()), b);
        assert_eq!(b.clone().max(a), b);
    }
}
