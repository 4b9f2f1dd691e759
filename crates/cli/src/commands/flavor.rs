//! `fstack flavor ...`.

use anyhow::{Result, bail};

use crate::args::FlavorCommand;
use crate::context::Context;

/// Runs one `flavor` command.
pub async fn run(_ctx: &Context, command: FlavorCommand) -> Result<()> {
    bail!("fstack flavor: not implemented yet ({command:?})")
}
