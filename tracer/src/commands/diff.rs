//! `denytrace diff`: being written (see the issue tracker).

use anyhow::{Result, bail};

/// Runs `denytrace diff`.
pub fn diff(_args: &crate::cli::DiffArgs) -> Result<u8> {
    bail!("denytrace diff is not available yet")
}
