//! `fstack server ...`.

use anyhow::{Result, bail};

use crate::args::ServerCommand;
use crate::context::Context;

/// Runs one `server` command.
pub async fn run(_ctx: &Context, command: ServerCommand) -> Result<()> {
    bail!("fstack server: not implemented yet ({command:?})")
}
