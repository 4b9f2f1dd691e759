//! The flags of `fstack image build` (ours).

use std::path::PathBuf;

use clap::Args;

use crate::args::ShowOutput;

/// `image build` (ours).
#[derive(Debug, Args)]
pub struct ImageBuild {
    /// Folder to write the kernel, initramfs and disks into (made when missing).
    #[arg(
        long,
        visible_alias = "output-dir",
        value_name = "DIR",
        default_value = "tiny-image"
    )]
    pub output: PathBuf,
    /// The token the guest prints as `SMOKE-BOOT-OK <token>` (default: a fresh random one).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Where downloads (apt lists, the kernel package) are kept between builds (env:
    /// FSTACK_CACHE_DIR; default: $XDG_CACHE_HOME/ferrostack or ~/.cache/ferrostack).
    #[arg(long = "cache-dir", value_name = "DIR", env = "FSTACK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output_format: ShowOutput,
}
