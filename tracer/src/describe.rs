//! Turns a raw denial record into the report's description of the call: syscall name, decoded
//! arguments, the object it named and the process that made it.

use std::collections::BTreeMap;

use denytrace_common::{Denial, TaskIdentity, denial_flag};

use crate::{
    decode,
    model::{Process, Syscall},
    names,
    syscalls::{self, Arg},
    text::Text,
};

/// The paths a denial named, as bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paths {
    /// First path argument.
    pub path: Option<Vec<u8>>,
    /// Second path argument.
    pub path2: Option<Vec<u8>>,
}

/// The path arguments of a denial (with a `…[truncated]` marker kept out of the bytes; see
/// `truncated`).
#[must_use]
pub fn paths(d: &Denial) -> Paths {
    let take = |buf: &[u8], len: u16, fault: u32| {
        (len > 0 || d.flags & fault != 0).then(|| buf[..usize::from(len).min(buf.len())].to_vec())
    };
    Paths {
        path: take(&d.path0, d.path0_len, denial_flag::PATH0_FAULT),
        path2: take(&d.path1, d.path1_len, denial_flag::PATH1_FAULT),
    }
}

/// Whether a path was cut at the capture limit.
#[must_use]
pub fn truncated(d: &Denial) -> bool {
    d.flags & (denial_flag::PATH0_TRUNCATED | denial_flag::PATH1_TRUNCATED) != 0
}

/// The syscall's name (or `syscall_N`).
#[must_use]
pub fn syscall_name(nr: i64) -> String {
    syscalls::by_nr(nr).map_or_else(|| format!("syscall_{nr}"), |s| s.name.to_owned())
}

/// The errno name of a negative return value.
#[must_use]
pub fn errno_name(ret: i64) -> String {
    i32::try_from(-ret)
        .ok()
        .and_then(names::errno_name)
        .map_or_else(|| format!("E{}", -ret), str::to_owned)
}

/// Decoded arguments by name (paths excluded: they are separate fields).
#[must_use]
pub fn syscall(d: &Denial) -> Syscall {
    let mut args = BTreeMap::new();
    if let Some(sc) = syscalls::by_nr(d.nr) {
        for (i, (name, kind)) in sc.args.iter().enumerate() {
            let Some(&raw) = d.args.get(i) else {
                break;
            };
            if let Some(value) = decode_arg(*kind, raw, d) {
                args.insert((*name).to_owned(), value);
            }
        }
    }
    // open's mode only matters when it creates.
    if let Some(flags) = open_flags(d) {
        if flags & (libc::O_CREAT | libc::O_TMPFILE) as u64 == 0 {
            args.remove("mode");
        }
    }
    Syscall {
        nr: d.nr,
        name: syscall_name(d.nr),
        args,
        entered: d.flags & denial_flag::NO_ENTER == 0,
    }
}

#[expect(clippy::cast_possible_truncation, reason = "registers hold C ints")]
fn decode_arg(kind: Arg, raw: u64, d: &Denial) -> Option<String> {
    let int = raw as i32;
    Some(match kind {
        Arg::Path | Arg::Ptr => return None,
        Arg::DirFd if int == libc::AT_FDCWD => "AT_FDCWD".to_owned(),
        Arg::Fd | Arg::DirFd | Arg::Pid | Arg::Int | Arg::Uid | Arg::Gid => int.to_string(),
        Arg::OpenFlags => names::open_flags(raw),
        Arg::Mode => names::mode_octal(raw as u32),
        Arg::AtFlags => names::at_flags(raw),
        Arg::Signal => names::signal_name(raw as u32).map_or_else(|| int.to_string(), str::to_owned),
        Arg::CloneFlags => names::clone_flags(raw),
        Arg::UnshareFlags => names::unshare_flags(raw),
        Arg::Domain => names::socket_family(raw as u32).map_or_else(|| int.to_string(), str::to_owned),
        Arg::Resource => names::rlimit_name(raw as u32).map_or_else(|| int.to_string(), str::to_owned),
        Arg::SockAddr => sockaddr(d).unwrap_or_else(|| format!("{raw:#x}")),
        Arg::OpenHow => open_how(d).unwrap_or_else(|| format!("{raw:#x}")),
        Arg::SockLen | Arg::OpenHowSize | Arg::SockType | Arg::MountFlags | Arg::PrctlOption
        | Arg::PtraceRequest | Arg::RenameFlags | Arg::Clone3Args => format!("{raw:#x}"),
    })
}

/// `family:address` of a captured sockaddr.
fn sockaddr(d: &Denial) -> Option<String> {
    if d.flags & denial_flag::BUF_READ == 0 || d.buf_len < 2 {
        return None;
    }
    let buf = &d.buf[..d.buf_len as usize];
    let family = u16::from_ne_bytes([buf[0], buf[1]]);
    let name = names::socket_family(u32::from(family)).unwrap_or("AF_?");
    match i32::from(family) {
        libc::AF_INET if buf.len() >= 8 => {
            let port = u16::from_be_bytes([buf[2], buf[3]]);
            Some(format!("{name} {}.{}.{}.{}:{port}", buf[4], buf[5], buf[6], buf[7]))
        }
        libc::AF_INET6 if buf.len() >= 24 => {
            let port = u16::from_be_bytes([buf[2], buf[3]]);
            let addr: [u8; 16] = buf[8..24].try_into().ok()?;
            Some(format!("{name} [{}]:{port}", std::net::Ipv6Addr::from(addr)))
        }
        libc::AF_UNIX => {
            let path = &buf[2..];
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            if path.first() == Some(&0) {
                Some(format!("{name} @{}", Text::from_bytes(&path[1..]).term()))
            } else {
                Some(format!("{name} {}", Text::from_bytes(&path[..end]).term()))
            }
        }
        _ => Some(name.to_owned()),
    }
}

/// The flags of a captured `open_how`.
fn open_how(d: &Denial) -> Option<String> {
    if d.flags & denial_flag::BUF_READ == 0 || d.buf_len < 8 {
        return None;
    }
    let flags = u64::from_ne_bytes(d.buf[..8].try_into().ok()?);
    Some(names::open_flags(flags))
}

/// The open flags of an open-family call, when it has them (open/openat/openat2/creat).
#[must_use]
pub fn open_flags(d: &Denial) -> Option<u64> {
    let sc = syscalls::by_nr(d.nr)?;
    if sc.name == "creat" {
        return Some((libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64);
    }
    if sc.name == "openat2" {
        return (d.flags & denial_flag::BUF_READ != 0 && d.buf_len >= 8)
            .then(|| u64::from_ne_bytes(d.buf[..8].try_into().unwrap_or_default()));
    }
    let index = sc.args.iter().position(|(_, k)| *k == Arg::OpenFlags)?;
    d.args.get(index).copied()
}

/// The report's process description from a record's identity.
#[must_use]
pub fn process(id: &TaskIdentity, exe: Option<&[u8]>, cgroup: Option<&[u8]>) -> Process {
    Process {
        pid: id.pid,
        tid: id.tid,
        ppid: id.ppid,
        comm: Text::from_bytes(decode::comm(id)),
        exe: exe.map(Text::from_bytes),
        uid: id.uid,
        gid: id.gid,
        euid: id.euid,
        fsuid: id.fsuid,
        fsgid: id.fsgid,
        cgroup: Some(cgroup.map_or_else(|| Text::Utf8(format!("id:{}", id.cgroup_id)), Text::from_bytes)),
    }
}
