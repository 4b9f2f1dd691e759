//! `fstack console ...`.

use anyhow::{Result, bail};

use crate::args::ConsoleCommand;
use crate::context::Context;

/// Runs one `console` command.
pub async fn run(_ctx: &Context, command: ConsoleCommand) -> Result<()> {
    bail!("fstack console: not implemented yet ({command:?})")
}
