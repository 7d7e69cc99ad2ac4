//! The object a refused call named, looked up the way the process sees it: resolved inside its root
//! (`/proc/PID/root`, `openat2(RESOLVE_IN_ROOT)`), with the owner, group and mode of the object and
//! of every directory on the way, and the mount it lives on.

use std::{
    ffi::CString,
    fs,
    os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
    path::Path,
};

/// `stat` facts that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Type and permission bits.
    pub mode: u32,
    /// Device number of a device node.
    pub rdev: u64,
    /// Mount id (`statx` `STATX_MNT_ID`).
    pub mnt_id: u64,
    /// A POSIX ACL is set (then mode bits alone do not decide).
    pub has_acl: bool,
    /// Inode change time (ns since the epoch): when the owner or mode last changed.
    pub ctime_ns: i128,
}

impl Meta {
    /// Is a directory.
    #[must_use]
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
    /// Is a character or block device.
    #[must_use]
    pub fn is_device(&self) -> bool {
        matches!(self.mode & libc::S_IFMT, libc::S_IFCHR | libc::S_IFBLK)
    }
}

/// A looked-up path.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The path as the program passed it, made absolute in the process's view when possible.
    pub absolute: Option<Vec<u8>>,
    /// Where it led, in the process's view (symlinks followed), when it exists.
    pub resolved: Option<Vec<u8>>,
    /// The object, when it exists.
    pub target: Option<Meta>,
    /// Every existing directory on the way, from the root down, with its path.
    pub dirs: Vec<(Vec<u8>, Meta)>,
    /// The nearest existing parent directory of the object.
    pub parent: Option<(Vec<u8>, Meta)>,
    /// Why the lookup could not be done (process gone...).
    pub problem: Option<String>,
    /// How it was done when not from the process's own view.
    pub note: Option<String>,
}

fn cstring(bytes: &[u8]) -> Option<CString> {
    CString::new(bytes).ok()
}

fn open_path(path: &Path) -> Option<OwnedFd> {
    let c = cstring(path.as_os_str().as_encoded_bytes())?;
    // SAFETY: open with a valid NUL-terminated path; the returned fd is owned below.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC | libc::O_DIRECTORY) };
    // SAFETY: fd is a fresh descriptor we own when non-negative.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `openat2(dirfd, path, O_PATH, resolve)`.
fn openat2(dirfd: &OwnedFd, path: &[u8], resolve: u64, nofollow: bool) -> Option<OwnedFd> {
    // struct open_how (include/uapi/linux/openat2.h); libc's is non-exhaustive.
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }
    let c = cstring(if path.is_empty() { b"." } else { path })?;
    let flags = libc::O_PATH | libc::O_CLOEXEC | if nofollow { libc::O_NOFOLLOW } else { 0 };
    let how = OpenHow { flags: u64::from(flags.unsigned_abs()), mode: 0, resolve };
    // SAFETY: openat2 reads `how` (size passed) and the NUL-terminated path; both live.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd.as_raw_fd(),
            c.as_ptr(),
            &raw const how,
            std::mem::size_of::<OpenHow>(),
        )
    };
    let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: a fresh descriptor we own.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Facts about an open `O_PATH` descriptor.
fn meta(fd: &OwnedFd) -> Option<Meta> {
    // SAFETY: statx.zeroed is a valid all-integer struct.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    let empty = c"";
    // SAFETY: statx with AT_EMPTY_PATH on a live fd writes into the live `stx`.
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            libc::STATX_BASIC_STATS | libc::STATX_MNT_ID,
            &raw mut stx,
        )
    };
    if rc != 0 {
        return None;
    }
    let proc_link = format!("/proc/self/fd/{}\0", fd.as_raw_fd());
    // SAFETY: getxattr with a NUL-terminated path and name and a null buffer of size 0 only asks
    // for the size.
    let acl = unsafe {
        libc::getxattr(
            proc_link.as_ptr().cast(),
            c"system.posix_acl_access".as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    Some(Meta {
        uid: stx.stx_uid,
        gid: stx.stx_gid,
        mode: u32::from(stx.stx_mode),
        rdev: libc::makedev(stx.stx_rdev_major, stx.stx_rdev_minor),
        mnt_id: stx.stx_mnt_id,
        has_acl: acl > 0,
        ctime_ns: i128::from(stx.stx_ctime.tv_sec) * 1_000_000_000 + i128::from(stx.stx_ctime.tv_nsec),
    })
}

fn fd_path(fd: &OwnedFd) -> Option<Vec<u8>> {
    fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .ok()
        .map(|p| p.into_os_string().into_encoded_bytes())
}

/// Strips the process's root (as we see it) from a path we resolved, giving its own view.
fn in_process_view(ours: Vec<u8>, root_prefix: &[u8]) -> Vec<u8> {
    if root_prefix == b"/" || root_prefix.is_empty() {
        return ours;
    }
    match ours.strip_prefix(root_prefix) {
        Some([]) => b"/".to_vec(),
        Some(rest) if rest.starts_with(b"/") => rest.to_vec(),
        _ => ours,
    }
}

/// The inode number of our own mount namespace (what a record's `mnt_ns` is compared with).
#[must_use]
pub fn own_mnt_ns() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata("/proc/self/ns/mnt").ok().and_then(|m| u32::try_from(m.ino()).ok())
}

/// Looks `path` up as process `pid` would, relative to `dirfd` (`AT_FDCWD` or a descriptor number).
/// When the process is gone and `same_mount_ns` says it shared denytrace's mount namespace, an
/// absolute path is looked up from denytrace's own root instead (noted in [`Lookup::note`]).
#[must_use]
pub fn lookup(pid: u32, dirfd: Option<i32>, path: &[u8], follow_last: bool, same_mount_ns: bool) -> Lookup {
    let mut out = Lookup::default();
    let root_link = crate::procinfo::root_dir(pid);
    let (root, root_prefix) = match open_path(&root_link) {
        Some(root) => {
            let prefix = fs::read_link(&root_link).map(|p| p.into_os_string().into_encoded_bytes()).unwrap_or_default();
            (root, prefix)
        }
        None if same_mount_ns && path.starts_with(b"/") => {
            let Some(root) = open_path(Path::new("/")) else {
                out.problem = Some("the root directory could not be opened".to_owned());
                return out;
            };
            out.note = Some(format!(
                "process {pid} was gone; its path was looked up in the same mount namespace from denytrace's root"
            ));
            (root, b"/".to_vec())
        }
        None => {
            out.problem = Some(format!("process {pid} was gone before its files could be checked"));
            return out;
        }
    };
    // The base directory and the path below it, both in the process's view.
    let absolute: Vec<u8> = if path.starts_with(b"/") {
        path.to_vec()
    } else {
        let base = match dirfd {
            Some(fd) if fd != libc::AT_FDCWD => crate::procinfo::fd_target(pid, fd),
            _ => crate::procinfo::cwd(pid),
        };
        let Some(base) = base else {
            out.problem = Some(format!("the directory of process {pid} could not be read"));
            return out;
        };
        let base = in_process_view(base, &root_prefix);
        let mut joined = base;
        if !joined.ends_with(b"/") {
            joined.push(b'/');
        }
        joined.extend_from_slice(path);
        joined
    };
    out.absolute = Some(absolute.clone());
    let components: Vec<&[u8]> = absolute.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect();
    // Every directory on the way, root first.
    let mut prefix = b"/".to_vec();
    if let Some(fd) = openat2(&root, b"/", libc::RESOLVE_IN_ROOT, false) {
        if let Some(m) = meta(&fd) {
            out.dirs.push((prefix.clone(), m));
            out.parent = Some((prefix.clone(), m));
        }
    }
    for (i, comp) in components.iter().enumerate() {
        if prefix.len() > 1 {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(comp);
        let last = i + 1 == components.len();
        let Some(fd) = openat2(&root, &prefix, libc::RESOLVE_IN_ROOT, last && !follow_last) else {
            break;
        };
        let Some(m) = meta(&fd) else {
            break;
        };
        if last {
            out.target = Some(m);
            out.resolved = fd_path(&fd).map(|p| in_process_view(p, &root_prefix));
        } else if m.is_dir() {
            out.dirs.push((prefix.clone(), m));
            out.parent = Some((prefix.clone(), m));
        }
    }
    if components.is_empty() {
        out.target = out.dirs.first().map(|(_, m)| *m);
        out.resolved = Some(b"/".to_vec());
    }
    out
}

/// One mount, from `/proc/PID/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Mount id.
    pub id: u64,
    /// Mount point in the process's view.
    pub point: String,
    /// Per-mount options (`rw`, `ro`, `noexec`...).
    pub options: Vec<String>,
    /// Filesystem type.
    pub fstype: String,
    /// Superblock options.
    pub super_options: Vec<String>,
}

impl Mount {
    /// Mounted read-only (per mount or per superblock).
    #[must_use]
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro") || self.super_options.iter().any(|o| o == "ro")
    }
    /// Has a mount option.
    #[must_use]
    pub fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// Parses mountinfo text.
#[must_use]
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            Some(Mount {
                id: f.first()?.parse().ok()?,
                point: unescape_octal(f.get(4)?),
                options: f.get(5)?.split(',').map(str::to_owned).collect(),
                fstype: (*r.first()?).to_owned(),
                super_options: r.get(2).map(|o| o.split(',').map(str::to_owned).collect()).unwrap_or_default(),
            })
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount with id `mnt_id` as process `pid` sees it (or as we do, when it is gone).
#[must_use]
pub fn mount_by_id(pid: u32, mnt_id: u64) -> Option<Mount> {
    let text = fs::read_to_string(format!("/proc/{pid}/mountinfo"))
        .or_else(|_| fs::read_to_string("/proc/self/mountinfo"))
        .ok()?;
    parse_mountinfo(&text).into_iter().find(|m| m.id == mnt_id)
}

/// Access wanted, as permission bits (`MAY_READ` 4, `MAY_WRITE` 2, `MAY_EXEC` 1).
pub mod may {
    /// Read.
    pub const READ: u32 = 4;
    /// Write.
    pub const WRITE: u32 = 2;
    /// Execute, or search for a directory.
    pub const EXEC: u32 = 1;
}

/// A caller's credentials for DAC checks.
#[derive(Debug, Clone, Default)]
pub struct Creds {
    /// Filesystem uid.
    pub fsuid: u32,
    /// Filesystem gid.
    pub fsgid: u32,
    /// Supplementary groups (None when the process was gone).
    pub groups: Option<Vec<u32>>,
    /// Effective capabilities.
    pub cap_eff: u64,
}

/// Which permission class applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The caller owns it.
    Owner,
    /// The caller is in its group.
    Group,
    /// Neither.
    Other,
}

/// The outcome of a mode-bit check (`generic_permission`, fs/namei.c, 6.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DacCheck {
    /// Allowed by the mode bits of the class.
    pub bits_allow: bool,
    /// Allowed thanks to `CAP_DAC_OVERRIDE` / `CAP_DAC_READ_SEARCH`.
    pub cap_allow: bool,
    /// The class used.
    pub class: Class,
}

impl DacCheck {
    /// Allowed at all.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.bits_allow || self.cap_allow
    }
}

const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;

/// Checks `want` (bits of [`may`]) against an object's owner, group and mode.
#[must_use]
pub fn dac(meta: &Meta, creds: &Creds, want: u32) -> DacCheck {
    let class = if creds.fsuid == meta.uid {
        Class::Owner
    } else if creds.fsgid == meta.gid || creds.groups.as_ref().is_some_and(|g| g.contains(&meta.gid)) {
        Class::Group
    } else {
        Class::Other
    };
    let bits = match class {
        Class::Owner => (meta.mode >> 6) & 7,
        Class::Group => (meta.mode >> 3) & 7,
        Class::Other => meta.mode & 7,
    };
    let bits_allow = bits & want == want;
    let has = |cap: u32| creds.cap_eff & (1 << cap) != 0;
    let cap_allow = if has(CAP_DAC_OVERRIDE) {
        // Read and write always; execute when a directory or any execute bit is set.
        want & may::EXEC == 0 || meta.is_dir() || meta.mode & 0o111 != 0
    } else if has(CAP_DAC_READ_SEARCH) {
        want & may::WRITE == 0 && (meta.is_dir() || want & may::EXEC == 0)
    } else {
        false
    };
    DacCheck { bits_allow, cap_allow, class }
}

/// Describes a mode like `ls -l` (`drwx------`).
#[must_use]
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFLNK => 'l',
        libc::S_IFIFO => 'p',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(uid: u32, gid: u32, mode: u32) -> Meta {
        Meta { uid, gid, mode, rdev: 0, mnt_id: 0, has_acl: false, ctime_ns: 0 }
    }

    #[test]
    fn dac_follows_owner_group_other() {
        let nobody = Creds { fsuid: 65534, fsgid: 65534, groups: Some(vec![]), cap_eff: 0 };
        let secret = m(0, 0, libc::S_IFREG | 0o600);
        assert!(!dac(&secret, &nobody, may::READ).allowed());
        assert_eq!(dac(&secret, &nobody, may::READ).class, Class::Other);
        let root = Creds { fsuid: 0, fsgid: 0, groups: Some(vec![]), cap_eff: 1 << CAP_DAC_OVERRIDE };
        assert!(dac(&m(1000, 1000, libc::S_IFREG | 0o600), &root, may::READ | may::WRITE).allowed());
        // CAP_DAC_OVERRIDE does not make a file with no execute bit executable.
        assert!(!dac(&m(1000, 1000, libc::S_IFREG | 0o600), &root, may::EXEC).allowed());
        let grouped = Creds { fsuid: 5, fsgid: 5, groups: Some(vec![5, 24]), cap_eff: 0 };
        assert!(dac(&m(0, 24, libc::S_IFDIR | 0o770), &grouped, may::WRITE | may::EXEC).allowed());
        // The owner class applies even when "other" would allow.
        assert!(!dac(&m(5, 0, libc::S_IFREG | 0o066), &grouped, may::READ).allowed());
    }

    #[test]
    fn mountinfo_is_parsed() {
        let text = "36 25 0:32 / /ro\\040dir ro,nosuid shared:1 - tmpfs tmpfs rw,size=4k\n\
                    22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[0].point, "/ro dir");
        assert!(mounts[0].read_only());
        assert!(!mounts[1].read_only());
        assert_eq!(mounts[1].fstype, "ext4");
    }

    #[test]
    fn looks_up_as_this_process() {
        let me = std::process::id();
        let l = lookup(me, None, b"/etc/passwd", true, true);
        assert!(l.target.is_some(), "{l:?}");
        assert_eq!(l.dirs.first().map(|(p, _)| p.clone()), Some(b"/".to_vec()));
        assert!(l.dirs.iter().any(|(p, _)| p == b"/etc"));
        let missing = lookup(me, None, b"/etc/no-such-denytrace-file", true, true);
        assert!(missing.target.is_none());
        assert_eq!(missing.parent.map(|(p, _)| p), Some(b"/etc".to_vec()));
        // A process that is gone, in our mount namespace: looked up from our root.
        let gone = lookup(u32::MAX, None, b"/etc/passwd", true, true);
        assert!(gone.target.is_some() && gone.note.is_some(), "{gone:?}");
        let unknown = lookup(u32::MAX, None, b"/etc/passwd", true, false);
        assert!(unknown.target.is_none() && unknown.problem.is_some());
    }

    #[test]
    fn mode_strings() {
        assert_eq!(mode_string(libc::S_IFDIR | 0o700), "drwx------");
        assert_eq!(mode_string(libc::S_IFCHR | 0o666), "crw-rw-rw-");
    }
}
