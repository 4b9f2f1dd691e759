//! `fstack disk ...`.

use anyhow::{Result, bail};

use crate::args::DiskCommand;
use crate::context::Context;

/// Runs one `disk` command.
pub async fn run(_ctx: &Context, command: DiskCommand) -> Result<()> {
    bail!("fstack disk: not implemented yet ({command:?})")
}
