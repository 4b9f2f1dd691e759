//! `fstack vm ...`.

use anyhow::{Result, bail};

use crate::args::VmCommand;
use crate::context::Context;

/// Runs one `vm` command.
pub async fn run(_ctx: &Context, command: VmCommand) -> Result<()> {
    bail!("fstack vm: not implemented yet ({command:?})")
}
