//! Map operations aya 0.14 does not offer for hash maps, made with the `bpf(2)` syscall directly.

use std::{io, mem::MaybeUninit, os::fd::{AsRawFd as _, BorrowedFd}};

use aya::Pod;

/// `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (include/uapi/linux/bpf.h; hash maps since 5.14).
const BPF_MAP_LOOKUP_AND_DELETE_ELEM: libc::c_long = 21;

/// The map-element member of `union bpf_attr`.
#[repr(C)]
struct MapElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

/// Looks `key` up and deletes it in one step: nothing can be added to the value between the two.
/// `Ok(None)` when the key is absent.
///
/// # Errors
/// The syscall's error other than `ENOENT` (the kernel is older than 5.14, the key or value size
/// does not match the map).
pub fn lookup_and_delete<K: Pod, V: Pod>(map: BorrowedFd<'_>, key: &K) -> io::Result<Option<V>> {
    let mut value = MaybeUninit::<V>::uninit();
    let attr = MapElemAttr {
        map_fd: u32::try_from(map.as_raw_fd()).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?,
        _pad: 0,
        key: std::ptr::from_ref(key) as u64,
        value: value.as_mut_ptr() as u64,
        flags: 0,
    };
    // SAFETY: `attr` is a valid bpf_attr prefix of the size given; `key` points to a live K and
    // `value` to writable space for a V, the sizes the map was created with (aya checked them when
    // it built the typed map the descriptor came from).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_MAP_LOOKUP_AND_DELETE_ELEM,
            std::ptr::from_ref(&attr),
            std::mem::size_of::<MapElemAttr>(),
        )
    };
    if ret == 0 {
        // SAFETY: the kernel wrote the whole value on success; V is Pod (any bytes are valid).
        return Ok(Some(unsafe { value.assume_init() }));
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ENOENT) { Ok(None) } else { Err(err) }
}
