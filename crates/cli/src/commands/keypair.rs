//! `fstack keypair ...`.

use anyhow::{Result, bail};

use crate::args::KeypairCommand;
use crate::context::Context;

/// Runs one `keypair` command.
pub async fn run(_ctx: &Context, command: KeypairCommand) -> Result<()> {
    bail!("fstack keypair: not implemented yet ({command:?})")
}
