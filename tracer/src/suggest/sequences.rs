//! What a program does right after the access that was refused. The first refusal stops it, so
//! the accesses that follow are never observed: a grant that only covers the one refusal seen
//! gets the program one step further, to the next refusal. These are the well-known sequences,
//! decided from what the kernel actually opened (the resolved path) and from this machine's
//! layout:
//!
//! - a pseudo-terminal: `posix_openpt` opens `/dev/ptmx`, then `grantpt`/`unlockpt` ioctl it and
//!   the slave `/dev/pts/N` is opened. Where `/dev/ptmx` is a device node of devtmpfs (most hosts)
//!   both `/dev/ptmx` and `/dev/pts` are needed; where it is a symlink to `pts/ptmx` (the
//!   container-style `/dev`) the kernel opened `/dev/pts/ptmx` and `/dev/pts` alone is the fix;
//! - `/dev/pts/N`, `/proc/PID/...`: the number changes every time, so the directory;
//! - `/dev/shm/NAME`: POSIX shared memory and semaphores create and remove files there;
//! - executing a file: the kernel opens its interpreter next (`#!` line or ELF `PT_INTERP`);
//! - character devices are driven through ioctl (Landlock's `ioctl_dev`).

use std::{io::Read as _, os::unix::fs::FileTypeExt as _};

use crate::attribution::landlock::bit_of;

use super::need::PathGrant;

/// What sequences need to know about the machine (a trait so tests can fake it).
pub trait Probe {
    /// The target of a symlink, or None when the path is not one.
    fn symlink_target(&self, path: &str) -> Option<String>;
    /// Whether the path is a character device.
    fn is_char_device(&self, path: &str) -> bool;
    /// The first bytes of a file.
    fn head(&self, path: &str, len: usize) -> Option<Vec<u8>>;
    /// The path with every symlink resolved.
    fn canonical(&self, path: &str) -> Option<String>;
}

/// This machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Host;

impl Probe for Host {
    fn symlink_target(&self, path: &str) -> Option<String> {
        std::fs::read_link(path).ok().map(|p| p.to_string_lossy().into_owned())
    }

    fn is_char_device(&self, path: &str) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
    }

    fn head(&self, path: &str, len: usize) -> Option<Vec<u8>> {
        let mut buf = Vec::with_capacity(len);
        std::fs::File::open(path).ok()?.take(len as u64).read_to_end(&mut buf).ok()?;
        Some(buf)
    }

    fn canonical(&self, path: &str) -> Option<String> {
        std::fs::canonicalize(path).ok().map(|p| p.to_string_lossy().into_owned())
    }
}

fn right(name: &str) -> u32 {
    bit_of(name).unwrap_or(0)
}

/// Rights for using a terminal or device: read, write and ioctl.
fn device_rights() -> u32 {
    right("read_file") | right("write_file") | right("ioctl_dev")
}

/// Whether `path` is `dir` or beneath it.
#[must_use]
pub fn beneath(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// How `/dev/ptmx` is made on the machine that ran the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtyLayout {
    /// `/dev/ptmx` is a device node of devtmpfs (char 5:2).
    DeviceNode,
    /// `/dev/ptmx` is a symlink to `pts/ptmx` (container-style `/dev`).
    Symlink,
}

/// Decides the layout from what the kernel opened, or from this machine when that is unknown.
#[must_use]
pub fn pty_layout(resolved: Option<&str>, probe: &dyn Probe) -> PtyLayout {
    match resolved {
        Some("/dev/pts/ptmx") => PtyLayout::Symlink,
        Some("/dev/ptmx") => PtyLayout::DeviceNode,
        _ => match probe.symlink_target("/dev/ptmx") {
            Some(t) if t.ends_with("pts/ptmx") => PtyLayout::Symlink,
            _ => PtyLayout::DeviceNode,
        },
    }
}

/// What the denial was about, for the sequences.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The path as the program named it.
    pub requested: Option<&'a str>,
    /// What the kernel opened.
    pub resolved: Option<&'a str>,
}

/// Replaces and extends the grants for one denial with what the next steps need.
#[must_use]
pub fn expand(grants: Vec<PathGrant>, seen: Seen<'_>, probe: &dyn Probe) -> Vec<PathGrant> {
    let mut out: Vec<PathGrant> = Vec::new();
    for g in grants {
        for e in expand_one(g, seen, probe) {
            push_unique(&mut out, e);
        }
    }
    out
}

fn push_unique(out: &mut Vec<PathGrant>, g: PathGrant) {
    if let Some(existing) = out.iter_mut().find(|e| e.path == g.path) {
        existing.write |= g.write;
        existing.rights |= g.rights;
        existing.anticipated &= g.anticipated;
        return;
    }
    out.push(g);
}

fn expand_one(g: PathGrant, seen: Seen<'_>, probe: &dyn Probe) -> Vec<PathGrant> {
    let path = g.path.clone();
    if matches!(path.as_str(), "/dev/ptmx" | "/dev/pts/ptmx") && !g.dir {
        let resolved = seen.resolved.or_else(|| (path == "/dev/pts/ptmx").then_some(path.as_str()));
        return pty(pty_layout(resolved, probe));
    }
    if let Some(rest) = path.strip_prefix("/dev/pts/") {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return vec![PathGrant {
                path: "/dev/pts".into(),
                write: g.write,
                rights: g.rights | if g.write { device_rights() } else { 0 },
                dir: true,
                anticipated: false,
                why: format!("{path} is a pseudo-terminal whose number changes every time: the grant is on /dev/pts"),
            }];
        }
    }
    if let Some(rest) = path.strip_prefix("/proc/") {
        let first = rest.split('/').next().unwrap_or("");
        if first == "self" || first == "thread-self" || (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit())) {
            return vec![PathGrant {
                path: "/proc".into(),
                write: g.write,
                rights: g.rights | if g.write { 0 } else { right("read_dir") },
                dir: true,
                anticipated: false,
                why: format!(
                    "{path} is under a process's own /proc directory, whose number changes with every run: the grant is on /proc"
                ),
            }];
        }
    }
    if path.starts_with("/dev/shm/") && !g.dir {
        return vec![PathGrant {
            path: "/dev/shm".into(),
            write: true,
            rights: g.rights | right("make_reg") | right("remove_file") | right("write_file") | right("read_file"),
            dir: true,
            anticipated: true,
            why: format!("{path}: POSIX shared memory and semaphores create, open and remove files in /dev/shm"),
        }];
    }
    let mut out = Vec::new();
    let mut g = g;
    if !g.dir && g.write && probe.is_char_device(seen.resolved.unwrap_or(&path)) {
        g.rights |= right("ioctl_dev");
        g.why.push_str("; with ioctl_dev, as devices are driven through ioctl");
    }
    let executes = g.rights & right("execute") != 0 && !g.dir;
    let grant_path = g.path.clone();
    out.push(g);
    if executes {
        if let Some(interp) = interpreter(&grant_path, probe) {
            let resolved = probe.canonical(&interp).unwrap_or(interp.clone());
            if !beneath(&resolved, &grant_path) {
                out.push(PathGrant {
                    path: resolved.clone(),
                    write: false,
                    rights: right("execute") | right("read_file"),
                    dir: false,
                    anticipated: true,
                    why: format!(
                        "anticipated: executing {grant_path} makes the kernel open its interpreter {interp} next{}; skip it \
                         if the policy already grants it",
                        if resolved == interp { String::new() } else { format!(" ({resolved})") }
                    ),
                });
            }
        }
    }
    out
}

/// The grants for opening a pseudo-terminal master, by layout.
fn pty(layout: PtyLayout) -> Vec<PathGrant> {
    match layout {
        PtyLayout::Symlink => vec![PathGrant {
            path: "/dev/pts".into(),
            write: true,
            rights: device_rights(),
            dir: true,
            anticipated: false,
            why: "/dev/ptmx is a symlink to pts/ptmx (container-style /dev): the kernel opened /dev/pts/ptmx, and \
                  the slave /dev/pts/N is opened next (grantpt, unlockpt, open); /dev/pts covers both, while a grant \
                  on /dev/ptmx alone would not get past this step"
                .into(),
        }],
        PtyLayout::DeviceNode => vec![
            PathGrant {
                path: "/dev/ptmx".into(),
                write: true,
                rights: device_rights(),
                dir: false,
                anticipated: false,
                why: "/dev/ptmx is a device node of devtmpfs (char 5:2) here, outside /dev/pts: the master needs its own \
                      grant, with ioctl for grantpt/unlockpt"
                    .into(),
            },
            PathGrant {
                path: "/dev/pts".into(),
                write: true,
                rights: device_rights(),
                dir: true,
                anticipated: true,
                why: "anticipated: the slave /dev/pts/N is opened right after /dev/ptmx (grantpt, unlockpt, open); \
                      N changes with every terminal, so the directory"
                    .into(),
            },
        ],
    }
}

/// The interpreter the kernel opens to run a file: the `#!` line's, or the ELF `PT_INTERP`.
#[must_use]
pub fn interpreter(path: &str, probe: &dyn Probe) -> Option<String> {
    let head = probe.head(path, 4096)?;
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line).ok()?.trim();
        let interp = line.split([' ', '\t']).next()?;
        return interp.starts_with('/').then(|| interp.to_owned());
    }
    elf_interp(&head)
}

fn elf_interp(b: &[u8]) -> Option<String> {
    // ELF64, little-endian only (the machines denytrace runs on).
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| -> Option<usize> { Some(usize::from(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))) };
    let u32_at = |o: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?)) };
    let u64_at = |o: usize| -> Option<usize> { usize::try_from(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?)).ok() };
    let phoff = u64_at(0x20)?;
    let phentsize = u16_at(0x36)?;
    let phnum = u16_at(0x38)?;
    for i in 0..phnum.min(64) {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(ph)? == 3 {
            let off = u64_at(ph + 8)?;
            let size = u64_at(ph + 32)?;
            let raw = b.get(off..off.checked_add(size)?)?;
            let raw = raw.split(|&c| c == 0).next()?;
            return std::str::from_utf8(raw).ok().map(str::to_owned);
        }
    }
    None
}

#[cfg(test)]
pub mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A machine made up for tests.
    #[derive(Default)]
    pub struct Fake {
        /// Symlinks.
        pub links: HashMap<String, String>,
        /// Character devices.
        pub chars: Vec<String>,
        /// File contents.
        pub files: HashMap<String, Vec<u8>>,
    }

    impl Probe for Fake {
        fn symlink_target(&self, path: &str) -> Option<String> {
            self.links.get(path).cloned()
        }
        fn is_char_device(&self, path: &str) -> bool {
            self.chars.iter().any(|c| c == path)
        }
        fn head(&self, path: &str, len: usize) -> Option<Vec<u8>> {
            self.files.get(path).map(|f| f[..f.len().min(len)].to_vec())
        }
        fn canonical(&self, path: &str) -> Option<String> {
            Some(path.to_owned())
        }
    }

    fn grant(path: &str, write: bool, rights: &[&str]) -> PathGrant {
        PathGrant {
            path: path.into(),
            write,
            rights: rights.iter().map(|r| right(r)).fold(0, |a, b| a | b),
            dir: false,
            anticipated: false,
            why: "seen".into(),
        }
    }

    fn paths(g: &[PathGrant]) -> Vec<(&str, bool)> {
        g.iter().map(|g| (g.path.as_str(), g.anticipated)).collect()
    }

    #[test]
    fn ptmx_device_node_needs_ptmx_and_pts() {
        let fake = Fake { chars: vec!["/dev/ptmx".into()], ..Fake::default() };
        let seen = Seen { requested: Some("/dev/ptmx"), resolved: Some("/dev/ptmx") };
        let out = expand(vec![grant("/dev/ptmx", true, &["read_file", "write_file"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/dev/ptmx", false), ("/dev/pts", true)]);
        assert!(out.iter().all(|g| g.rights & right("ioctl_dev") != 0));
        assert!(out[1].why.contains("/dev/pts/N"));
    }

    #[test]
    fn ptmx_symlink_needs_pts_only() {
        let fake = Fake::default();
        let seen = Seen { requested: Some("/dev/ptmx"), resolved: Some("/dev/pts/ptmx") };
        let out = expand(vec![grant("/dev/pts/ptmx", true, &["read_file", "write_file"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/dev/pts", false)]);
        assert!(out[0].dir && out[0].why.contains("symlink"));
    }

    #[test]
    fn layout_falls_back_to_this_machine() {
        let mut fake = Fake::default();
        assert_eq!(pty_layout(None, &fake), PtyLayout::DeviceNode);
        fake.links.insert("/dev/ptmx".into(), "pts/ptmx".into());
        assert_eq!(pty_layout(None, &fake), PtyLayout::Symlink);
    }

    #[test]
    fn numbered_entries_become_their_directory() {
        let fake = Fake::default();
        let seen = Seen { requested: None, resolved: None };
        let out = expand(vec![grant("/dev/pts/7", true, &["read_file", "write_file"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/dev/pts", false)]);
        let out = expand(vec![grant("/proc/1234/status", false, &["read_file"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/proc", false)]);
        assert!(!out[0].write);
        let out = expand(vec![grant("/dev/shm/sem.x", true, &["write_file"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/dev/shm", true)]);
    }

    #[test]
    fn executing_a_script_anticipates_its_interpreter() {
        let mut fake = Fake::default();
        fake.files.insert("/opt/x/run".into(), b"#!/usr/bin/python3 -u\nprint(1)\n".to_vec());
        let seen = Seen { requested: Some("/opt/x/run"), resolved: Some("/opt/x/run") };
        let out = expand(vec![grant("/opt/x/run", false, &["execute"])], seen, &fake);
        assert_eq!(paths(&out), vec![("/opt/x/run", false), ("/usr/bin/python3", true)]);
    }

    #[test]
    fn elf_interpreter_is_read_from_the_program_headers() {
        let exe = std::fs::read("/proc/self/exe").unwrap();
        let interp = elf_interp(&exe[..exe.len().min(4096)]);
        // Test binaries are dynamically linked on the machines denytrace runs on.
        assert!(interp.as_deref().is_some_and(|i| i.starts_with('/') && i.contains("ld-")), "{interp:?}");
        assert_eq!(elf_interp(b"\x7fELF\x01\x01"), None);
    }
}
