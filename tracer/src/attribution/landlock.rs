//! Landlock access rights: which ones a refused call needed (include/uapi/linux/landlock.h), and
//! their names as Landlock and its users write them.

use crate::names;

/// `LANDLOCK_ACCESS_FS_*` bits with their names, in bit order.
pub const FS_RIGHTS: &[(u32, &str)] = &[
    (1 << 0, "execute"),
    (1 << 1, "write_file"),
    (1 << 2, "read_file"),
    (1 << 3, "read_dir"),
    (1 << 4, "remove_dir"),
    (1 << 5, "remove_file"),
    (1 << 6, "make_char"),
    (1 << 7, "make_dir"),
    (1 << 8, "make_reg"),
    (1 << 9, "make_sock"),
    (1 << 10, "make_fifo"),
    (1 << 11, "make_block"),
    (1 << 12, "make_sym"),
    (1 << 13, "refer"),
    (1 << 14, "truncate"),
    (1 << 15, "ioctl_dev"),
];

/// Named rights of a mask, in bit order.
#[must_use]
pub fn names_of(mask: u32) -> Vec<&'static str> {
    FS_RIGHTS.iter().filter(|(bit, _)| mask & bit != 0).map(|(_, n)| *n).collect()
}

/// The bit of a right's name.
#[must_use]
pub fn bit_of(name: &str) -> Option<u32> {
    FS_RIGHTS.iter().find(|(_, n)| *n == name).map(|(b, _)| *b)
}

/// Rights that apply to a file itself (the rest apply to directories' contents).
pub const FILE_RIGHTS: u32 = 1 | (1 << 1) | (1 << 2) | (1 << 14) | (1 << 15);

/// Where a needed right is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// On the object itself.
    Object,
    /// On the directory that holds (or will hold) it.
    Parent,
}

/// The rights a call needs, with where: empty when Landlock does not control the call (stat,
/// chmod, chown, access... are not Landlock rights).
#[must_use]
pub fn needed(syscall: &str, open_flags: Option<u64>, object_mode: Option<u32>, creating: bool, extra: u64) -> Vec<(u32, On)> {
    let make_for = |mode: u32| -> u32 {
        match mode & libc::S_IFMT {
            libc::S_IFDIR => 1 << 7,
            libc::S_IFCHR => 1 << 6,
            libc::S_IFBLK => 1 << 11,
            libc::S_IFIFO => 1 << 10,
            libc::S_IFSOCK => 1 << 9,
            libc::S_IFLNK => 1 << 12,
            _ => 1 << 8,
        }
    };
    let remove_for = |mode: Option<u32>| -> u32 {
        if mode.is_some_and(|m| m & libc::S_IFMT == libc::S_IFDIR) { 1 << 4 } else { 1 << 5 }
    };
    match syscall {
        "open" | "openat" | "openat2" | "creat" => {
            let flags = open_flags.unwrap_or(0);
            let access = names::open_access(flags);
            let mut rights = Vec::new();
            if creating {
                rights.push((1 << 8, On::Parent));
            }
            let is_dir = object_mode.is_some_and(|m| m & libc::S_IFMT == libc::S_IFDIR);
            if flags & libc::O_PATH as u64 != 0 {
                return rights;
            }
            let mut own = 0;
            if access.read {
                own |= if is_dir { 1 << 3 } else { 1 << 2 };
            }
            if access.write && flags & libc::O_ACCMODE as u64 != 0 {
                own |= 1 << 1;
            }
            if flags & libc::O_TRUNC as u64 != 0 && !creating {
                own |= 1 << 14;
            }
            if own != 0 {
                rights.push((own, On::Object));
            }
            rights
        }
        "execve" | "execveat" | "uselib" => vec![(1, On::Object)],
        "mkdir" | "mkdirat" => vec![(1 << 7, On::Parent)],
        "mknod" | "mknodat" => {
            let mode = u32::try_from(extra).unwrap_or(0);
            vec![(make_for(mode), On::Parent)]
        }
        "symlink" | "symlinkat" => vec![(1 << 12, On::Parent)],
        "unlink" => vec![(1 << 5, On::Parent)],
        "rmdir" => vec![(1 << 4, On::Parent)],
        "unlinkat" => {
            let removedir = extra & libc::AT_REMOVEDIR as u64 != 0;
            vec![(if removedir { 1 << 4 } else { 1 << 5 }, On::Parent)]
        }
        "rename" | "renameat" | "renameat2" => {
            vec![(remove_for(object_mode) | object_mode.map_or(1 << 8, make_for), On::Parent)]
        }
        "link" | "linkat" => vec![(object_mode.map_or(1 << 8, make_for), On::Parent)],
        "truncate" | "ftruncate" => vec![(1 << 14, On::Object)],
        "ioctl" => vec![(1 << 15, On::Object)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptmx_open_needs_read_and_write_file() {
        let flags = (libc::O_RDWR | libc::O_NOCTTY) as u64;
        let n = needed("openat", Some(flags), Some(libc::S_IFCHR | 0o666), false, 0);
        assert_eq!(n, vec![((1 << 1) | (1 << 2), On::Object)]);
        assert_eq!(names_of(n[0].0), vec!["write_file", "read_file"]);
    }

    #[test]
    fn creating_needs_make_reg_on_the_parent() {
        let flags = (libc::O_WRONLY | libc::O_CREAT) as u64;
        let n = needed("openat", Some(flags), None, true, 0);
        assert_eq!(n, vec![(1 << 8, On::Parent), (1 << 1, On::Object)]);
    }

    #[test]
    fn uncontrolled_calls_need_nothing() {
        assert!(needed("stat", None, None, false, 0).is_empty());
        assert!(needed("chmod", None, None, false, 0).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for (bit, name) in FS_RIGHTS {
            assert_eq!(bit_of(name), Some(*bit));
        }
    }
}
