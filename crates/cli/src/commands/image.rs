//! `fstack image ...`.

use anyhow::{Result, bail};

use crate::args::ImageCommand;
use crate::context::Context;

/// Runs one `image` command.
pub async fn run(ctx: &Context, command: ImageCommand) -> Result<()> {
    match command {
        // Local work, not Glance: its own module.
        ImageCommand::Build(args) => super::build::run(ctx, args).await,
        command => bail!("fstack image: not implemented yet ({command:?})"),
    }
}
