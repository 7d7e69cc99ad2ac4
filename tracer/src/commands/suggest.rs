//! `denytrace suggest`: being written (see the issue tracker).

use anyhow::{Result, bail};

/// Runs `denytrace suggest`.
pub fn suggest(_args: &crate::cli::SuggestArgs) -> Result<u8> {
    bail!("denytrace suggest is not available yet")
}
