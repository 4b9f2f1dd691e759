//! The flags of `fstack console ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::ShowOutput;

/// `fstack console ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// The console log.
    Log {
        #[command(subcommand)]
        command: ConsoleLogCommand,
    },
    /// The remote console URL.
    Url {
        #[command(subcommand)]
        command: ConsoleUrlCommand,
    },
}

/// `console log ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleLogCommand {
    /// Show a server's console log.
    Show(ConsoleLogShow),
}

/// `console log show`.
#[derive(Debug, Args)]
pub struct ConsoleLogShow {
    /// Server (name or id).
    pub server: String,
    /// Only the last N lines.
    #[arg(long, value_name = "num-lines")]
    pub lines: Option<u32>,
}

/// `console url ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleUrlCommand {
    /// Show a server's remote console URL.
    Show(ConsoleUrlShow),
}

/// `console url show`.
#[derive(Debug, Args)]
pub struct ConsoleUrlShow {
    /// Server (name or id).
    pub server: String,
    /// noVNC (the default).
    #[arg(long, conflicts_with_all = ["xvpvnc", "spice", "serial"])]
    pub novnc: bool,
    /// The XVP VNC proxy.
    #[arg(long, conflicts_with_all = ["spice", "serial"])]
    pub xvpvnc: bool,
    /// SPICE HTML5 (refused: fstack opens VNC consoles only).
    #[arg(long, conflicts_with = "serial")]
    pub spice: bool,
    /// Serial (refused: fstack opens VNC consoles only).
    #[arg(long)]
    pub serial: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}
