//! The flags of `fstack versions ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::ListOutput;

/// `fstack versions ...`.
#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// Show available versions of services.
    Show(VersionsShow),
}

/// `versions show`.
#[derive(Debug, Args)]
pub struct VersionsShow {
    /// Show values for all interfaces.
    #[arg(long = "all-interfaces", conflicts_with = "interface")]
    pub all_interfaces: bool,
    /// Show versions for a specific interface.
    #[arg(long, value_name = "interface", default_value = "public")]
    pub interface: String,
    /// Show versions for a specific region.
    #[arg(long = "region-name", value_name = "region_name")]
    pub region_name: Option<String>,
    /// Show versions for a specific service (catalog type or alias).
    #[arg(long, value_name = "service")]
    pub service: Option<String>,
    /// Show versions for a specific status: SUPPORTED, CURRENT, DEPRECATED, EXPERIMENTAL.
    #[arg(long, value_name = "status")]
    pub status: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}
