//! `fstack image ...`.

use anyhow::{Result, bail};

use crate::args::ImageCommand;
use crate::context::Context;

/// Runs one `image` command.
pub async fn run(_ctx: &Context, command: ImageCommand) -> Result<()> {
    bail!("fstack image: not implemented yet ({command:?})")
}
