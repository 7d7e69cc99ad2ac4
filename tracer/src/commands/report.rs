//! `denytrace report`: being written (see the issue tracker).

use anyhow::{Result, bail};

/// Runs `denytrace report`.
pub fn report(_args: &crate::cli::ReportArgs) -> Result<u8> {
    bail!("denytrace report is not available yet")
}
