//! The flags of `fstack catalog ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};

/// `fstack catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the catalog.
    List(CatalogList),
    /// Show one service of the catalog.
    Show(CatalogShow),
}

/// `catalog list`.
#[derive(Debug, Args)]
pub struct CatalogList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// `catalog show`.
#[derive(Debug, Args)]
pub struct CatalogShow {
    /// Service type or name.
    pub service: String,
    #[command(flatten)]
    pub output: ShowOutput,
}
