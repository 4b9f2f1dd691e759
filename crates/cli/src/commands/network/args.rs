//! The flags of `fstack network ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::ListOutput;

/// `fstack network ...`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// List networks.
    List(NetworkList),
}

/// `network list`.
#[derive(Debug, Args)]
pub struct NetworkList {
    /// Only external networks.
    #[arg(long, conflicts_with = "internal")]
    pub external: bool,
    /// Only internal networks.
    #[arg(long)]
    pub internal: bool,
    /// Only networks with this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only shared networks.
    #[arg(long, conflicts_with = "no_share")]
    pub share: bool,
    /// Only networks that are not shared.
    #[arg(long = "no-share")]
    pub no_share: bool,
    #[command(flatten)]
    pub output: ListOutput,
}
