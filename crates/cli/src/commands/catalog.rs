//! `fstack catalog ...`.

use anyhow::{Result, bail};

use crate::args::CatalogCommand;
use crate::context::Context;

/// Runs one `catalog` command.
pub async fn run(_ctx: &Context, command: CatalogCommand) -> Result<()> {
    bail!("fstack catalog: not implemented yet ({command:?})")
}
