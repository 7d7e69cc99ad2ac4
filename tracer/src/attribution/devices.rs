//! The device controller: cgroup v1 `devices.list`, and cgroup v2 `BPF_CGROUP_DEVICE` programs
//! (which can refuse, but whose logic cannot be read back, so they only make a verdict likely).
//! Both refuse with EPERM, never EACCES (`devcgroup_check_permission`, `security/device_cgroup.c`).

use std::fs;

/// A `devices.list` decision for one device access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V1 {
    /// The list allows it (the matching entry).
    Allowed(String),
    /// The cgroup allows every device by default (`a *:* rwm`). Its deny exceptions, if any, are
    /// not shown by the kernel (`devcgroup_seq_show` prints only the default then), so a
    /// `devices.deny` entry may still refuse this device.
    DefaultAllow {
        /// The cgroup's directory.
        dir: String,
    },
    /// No entry of a deny-by-default list allows it.
    Refused {
        /// The cgroup's directory.
        dir: String,
        /// The whole list, for evidence.
        list: Vec<String>,
    },
}

/// The directory of a v1 devices cgroup path (as in `/proc/PID/cgroup`).
#[must_use]
pub fn v1_dir(path: &str) -> String {
    format!("/sys/fs/cgroup/devices{}", path.trim_end_matches('/'))
}

/// Checks `devices.list` of a v1 devices cgroup directory. `access` is letters of "rwm".
#[must_use]
pub fn check_v1(dir: &str, kind: char, major: u32, minor: u32, access: &str) -> Option<V1> {
    let text = fs::read_to_string(format!("{dir}/devices.list")).ok()?;
    Some(decide(&text, dir, kind, major, minor, access))
}

/// Decides from the text of a `devices.list`.
#[must_use]
pub fn decide(text: &str, dir: &str, kind: char, major: u32, minor: u32, access: &str) -> V1 {
    let list: Vec<String> = text.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect();
    if list.len() == 1 && list[0].split_whitespace().collect::<Vec<_>>() == ["a", "*:*", "rwm"] {
        return V1::DefaultAllow { dir: dir.to_owned() };
    }
    for entry in &list {
        let mut f = entry.split_whitespace();
        let (Some(t), Some(numbers), Some(acc)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Some((maj, min)) = numbers.split_once(':') else {
            continue;
        };
        let type_ok = t == "a" || t.starts_with(kind);
        let num_ok = |spec: &str, n: u32| spec == "*" || spec.parse::<u32>().ok() == Some(n);
        if type_ok && num_ok(maj, major) && num_ok(min, minor) && access.chars().all(|c| acc.contains(c)) {
            return V1::Allowed(entry.clone());
        }
    }
    V1::Refused { dir: dir.to_owned(), list }
}

/// Number of effective `BPF_CGROUP_DEVICE` programs on a cgroup v2 path (as in `/proc/PID/cgroup`).
#[must_use]
pub fn v2_programs(path: &str) -> Option<(String, u32)> {
    for mount in crate::kernel::cgroup::v2_mounts() {
        let dir = format!("{mount}{}", path.trim_end_matches('/'));
        if let Some(n) = query_device_programs(&dir) {
            return Some((dir, n));
        }
    }
    None
}

/// `BPF_PROG_QUERY` with `BPF_F_QUERY_EFFECTIVE` for `BPF_CGROUP_DEVICE` on a cgroup directory.
fn query_device_programs(dir: &str) -> Option<u32> {
    // union bpf_attr, query part: target_fd, attach_type, query_flags, attach_flags, prog_ids,
    // prog_cnt (include/uapi/linux/bpf.h).
    #[repr(C)]
    struct Query {
        target_fd: u32,
        attach_type: u32,
        flags: u32,
        attach_flags: u32,
        prog_ids: u64,
        prog_cnt: u32,
        _pad: [u32; 9],
    }
    const BPF_PROG_QUERY: libc::c_long = 16;
    const BPF_CGROUP_DEVICE: u32 = 6;
    const BPF_F_QUERY_EFFECTIVE: u32 = 1;
    let c = std::ffi::CString::new(dir).ok()?;
    // SAFETY: open with a valid NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut attr = Query {
        target_fd: u32::try_from(fd).ok()?,
        attach_type: BPF_CGROUP_DEVICE,
        flags: BPF_F_QUERY_EFFECTIVE,
        attach_flags: 0,
        prog_ids: 0,
        prog_cnt: 0,
        _pad: [0; 9],
    };
    // SAFETY: bpf(BPF_PROG_QUERY) reads and writes `attr` of the given size; prog_ids is null with
    // prog_cnt 0, so only the count is written.
    let rc = unsafe {
        libc::syscall(libc::SYS_bpf, BPF_PROG_QUERY, &raw mut attr, std::mem::size_of::<Query>())
    };
    // SAFETY: fd was opened above and is closed once.
    unsafe { libc::close(fd) };
    (rc == 0).then_some(attr.prog_cnt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_all_is_only_a_default() {
        // With deny exceptions (`echo "c 1:3 rwm" > devices.deny`) the kernel still lists only this.
        assert_eq!(decide("a *:* rwm\n", "/x", 'c', 1, 3, "rw"), V1::DefaultAllow { dir: "/x".to_owned() });
    }

    #[test]
    fn a_whitelist_refuses_what_it_lacks() {
        let list = "c 1:3 rwm\nc 5:2 r\n";
        assert!(matches!(decide(list, "/x", 'c', 1, 3, "rw"), V1::Allowed(_)));
        assert!(matches!(decide(list, "/x", 'c', 5, 2, "rw"), V1::Refused { .. }));
        assert!(matches!(decide(list, "/x", 'c', 5, 2, "r"), V1::Allowed(_)));
        assert!(matches!(decide(list, "/x", 'b', 1, 3, "r"), V1::Refused { .. }));
        assert!(matches!(decide("", "/x", 'c', 1, 3, "r"), V1::Refused { .. }));
    }
}
