//! The flags of `fstack flavor ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};

/// `fstack flavor ...`.
#[derive(Debug, Subcommand)]
pub enum FlavorCommand {
    /// List flavors.
    List(FlavorList),
    /// Show a flavor.
    Show(FlavorShow),
}

/// `flavor list`.
#[derive(Debug, Args)]
pub struct FlavorList {
    /// More columns.
    #[arg(long)]
    pub long: bool,
    /// Only public flavors (the default).
    #[arg(long, conflicts_with_all = ["private", "all"])]
    pub public: bool,
    /// Only private flavors.
    #[arg(long, conflicts_with = "all")]
    pub private: bool,
    /// Public and private flavors.
    #[arg(long)]
    pub all: bool,
    /// Only flavors with at least this much disk, in GiB.
    #[arg(long = "min-disk", value_name = "min-disk")]
    pub min_disk: Option<u64>,
    /// Only flavors with at least this much RAM, in MiB.
    #[arg(long = "min-ram", value_name = "min-ram")]
    pub min_ram: Option<u64>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `flavor show`.
#[derive(Debug, Args)]
pub struct FlavorShow {
    /// Flavor (name or id).
    pub flavor: String,
    #[command(flatten)]
    pub output: ShowOutput,
}
