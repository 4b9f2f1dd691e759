//! `fstack image build`: the tiny bootable test image, made locally with qemu's tools.

use anyhow::{Result, bail};

use crate::args::ImageBuild;
use crate::context::Context;

/// Builds the tiny image.
pub async fn run(_ctx: &Context, args: ImageBuild) -> Result<()> {
    bail!("fstack image build: not implemented yet ({args:?})")
}
