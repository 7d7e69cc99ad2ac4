//! Decoding of ring-buffer records: length-checked, by kind, into owned values. Malformed input
//! (any bytes) gives an error, never a panic.

use std::mem::size_of;

use anyhow::{Result, bail};
use denytrace_common::{Count, Denial, Exec, Exit, OomVictim, Setup, Signal, TaskIdentity, kind};

/// One record from the kernel.
#[derive(Debug, Clone)]
pub enum Record {
    /// A refused syscall.
    Denial(Box<Denial>),
    /// A file was executed.
    Exec(Box<Exec>),
    /// A thread group ended.
    Exit(Box<Exit>),
    /// A signal was generated.
    Signal(Box<Signal>),
    /// A sandbox was made.
    Setup(Box<Setup>),
    /// An OOM victim was chosen.
    OomVictim(OomVictim),
    /// The running count of an aggregated denial.
    Count(Count),
}

/// Marker for the plain-data record types that may be copied out of bytes.
///
/// # Safety
/// Implementors must be `#[repr(C)]`, made only of integers and arrays of integers, so that every
/// bit pattern is a valid value.
unsafe trait Plain: Copy {}
// SAFETY: all of these are #[repr(C)] integer-only structs from denytrace-common.
unsafe impl Plain for Denial {}
// SAFETY: as above.
unsafe impl Plain for Exec {}
// SAFETY: as above.
unsafe impl Plain for Exit {}
// SAFETY: as above.
unsafe impl Plain for Signal {}
// SAFETY: as above.
unsafe impl Plain for Setup {}
// SAFETY: as above.
unsafe impl Plain for OomVictim {}
// SAFETY: as above.
unsafe impl Plain for Count {}

fn read<T: Plain>(bytes: &[u8]) -> Result<T> {
    if bytes.len() < size_of::<T>() {
        bail!("record too short: {} bytes, need {}", bytes.len(), size_of::<T>());
    }
    // SAFETY: the length was checked above, `read_unaligned` has no alignment requirement, and
    // `T: Plain` guarantees every bit pattern is a valid `T`.
    Ok(unsafe { bytes.as_ptr().cast::<T>().read_unaligned() })
}

impl TryFrom<&[u8]> for Record {
    type Error = anyhow::Error;

    fn try_from(bytes: &[u8]) -> Result<Self> {
        let Some(head) = bytes.get(..4) else {
            bail!("record too short: {} bytes", bytes.len());
        };
        let record_kind = u32::from_ne_bytes([head[0], head[1], head[2], head[3]]);
        Ok(match record_kind {
            kind::DENIAL => {
                let d: Denial = read(bytes)?;
                check_len("path0", d.path0_len.into(), d.path0.len())?;
                check_len("path1", d.path1_len.into(), d.path1.len())?;
                check_len("buf", d.buf_len as usize, d.buf.len())?;
                Self::Denial(Box::new(d))
            }
            kind::EXEC => {
                let e: Exec = read(bytes)?;
                check_len("filename", e.filename_len as usize, e.filename.len())?;
                Self::Exec(Box::new(e))
            }
            kind::EXIT => Self::Exit(Box::new(read(bytes)?)),
            kind::SIGNAL => Self::Signal(Box::new(read(bytes)?)),
            kind::SETUP => Self::Setup(Box::new(read(bytes)?)),
            kind::OOM_VICTIM => Self::OomVictim(read(bytes)?),
            kind::COUNT => Self::Count(read(bytes)?),
            other => bail!("unknown record kind {other}"),
        })
    }
}

fn check_len(what: &str, len: usize, cap: usize) -> Result<()> {
    if len > cap {
        bail!("{what} length {len} exceeds its buffer ({cap})");
    }
    Ok(())
}

/// The bytes of a NUL-padded kernel string (`comm`).
#[must_use]
pub fn c_bytes(raw: &[u8]) -> &[u8] {
    raw.iter().position(|&b| b == 0).map_or(raw, |end| &raw[..end])
}

/// `comm` of an identity, as bytes.
#[must_use]
pub fn comm(id: &TaskIdentity) -> &[u8] {
    c_bytes(&id.comm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeroed<T: Plain>() -> Vec<u8> {
        vec![0u8; size_of::<T>()]
    }

    #[test]
    fn every_prefix_of_a_denial_is_rejected_or_decoded_without_panic() {
        let mut bytes = zeroed::<Denial>();
        bytes[..4].copy_from_slice(&kind::DENIAL.to_ne_bytes());
        for len in 0..bytes.len() {
            assert!(Record::try_from(&bytes[..len]).is_err(), "prefix {len} accepted");
        }
        assert!(matches!(Record::try_from(&bytes[..]), Ok(Record::Denial(_))));
    }

    #[test]
    fn lengths_beyond_buffers_are_rejected() {
        let mut bytes = zeroed::<Denial>();
        bytes[..4].copy_from_slice(&kind::DENIAL.to_ne_bytes());
        let mut d: Denial = read(&bytes).unwrap();
        d.path0_len = u16::MAX;
        // SAFETY: Denial is plain data; viewing it as bytes of its own size is sound.
        let raw = unsafe {
            std::slice::from_raw_parts((&raw const d).cast::<u8>(), size_of::<Denial>())
        };
        let err = Record::try_from(raw).unwrap_err();
        assert!(err.to_string().contains("path0 length"), "{err}");
    }

    #[test]
    fn unknown_kinds_are_errors() {
        let mut bytes = zeroed::<Exit>();
        bytes[..4].copy_from_slice(&999u32.to_ne_bytes());
        assert!(Record::try_from(&bytes[..]).unwrap_err().to_string().contains("unknown record kind 999"));
    }

    #[test]
    fn comm_stops_at_nul() {
        assert_eq!(c_bytes(b"tmux\0\0\0"), b"tmux");
        assert_eq!(c_bytes(b"sixteen-bytes-xx"), b"sixteen-bytes-xx");
    }
}
