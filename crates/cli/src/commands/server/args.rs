//! The flags of `fstack server ...`, as openstackclient 10 spells them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::{KeyValue, ListOutput, ShowOutput};

/// `fstack server ...`.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Create a server.
    Create(Box<ServerCreate>),
    /// List servers.
    List(ServerList),
    /// Show a server.
    Show(ServerShow),
    /// Delete servers.
    Delete(ServerDelete),
    /// Start servers.
    Start(ServerNames),
    /// Stop servers.
    Stop(ServerNames),
    /// Reboot a server.
    Reboot(ServerReboot),
}

/// `server create`.
#[derive(Debug, Args)]
pub struct ServerCreate {
    /// The new server's name.
    #[arg(value_name = "server-name")]
    pub name: String,
    /// Flavor (name or id).
    #[arg(long, required = true)]
    pub flavor: String,
    /// Image (name or id).
    #[arg(long, required = true)]
    pub image: String,
    /// Network: `none`, `auto`, or `net-id=ID[,v4-fixed-ip=IP][,port-id=ID]` (repeatable).
    #[arg(long, value_name = "net-id=net-uuid,...|none|auto")]
    pub nic: Vec<String>,
    /// Same as `--nic none`.
    #[arg(long = "no-network", conflicts_with = "nic")]
    pub no_network: bool,
    /// Same as `--nic auto`.
    #[arg(long = "auto-network", conflicts_with_all = ["nic", "no_network"])]
    pub auto_network: bool,
    /// Keypair to inject.
    #[arg(long = "key-name")]
    pub key_name: Option<String>,
    /// A file of user data (cloud-init).
    #[arg(long = "user-data")]
    pub user_data: Option<PathBuf>,
    /// Metadata (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Availability zone.
    #[arg(long = "availability-zone", value_name = "zone-name")]
    pub availability_zone: Option<String>,
    /// Enable the config drive.
    #[arg(long = "use-config-drive")]
    pub use_config_drive: bool,
    /// Wait until the server is ACTIVE.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server list`.
#[derive(Debug, Args)]
pub struct ServerList {
    /// Filter on the name (a regular expression, on the server).
    #[arg(long)]
    pub name: Option<String>,
    /// Filter on the status.
    #[arg(long)]
    pub status: Option<String>,
    /// Filter on the flavor (name or id).
    #[arg(long)]
    pub flavor: Option<String>,
    /// Filter on the image (name or id).
    #[arg(long)]
    pub image: Option<String>,
    /// Every project's servers (admin).
    #[arg(long = "all-projects")]
    pub all_projects: bool,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    /// Show ids instead of looking up image and flavor names.
    #[arg(short = 'n', long = "no-name-lookup")]
    pub no_name_lookup: bool,
    /// The most servers to show.
    #[arg(long, value_name = "num-servers")]
    pub limit: Option<u32>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `server show`.
#[derive(Debug, Args)]
pub struct ServerShow {
    /// Server (name or id).
    pub server: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server delete`.
#[derive(Debug, Args)]
pub struct ServerDelete {
    /// Servers (names or ids).
    #[arg(required = true)]
    pub servers: Vec<String>,
    /// Wait until they are gone.
    #[arg(long)]
    pub wait: bool,
}

/// `server start` / `server stop`.
#[derive(Debug, Args)]
pub struct ServerNames {
    /// Servers (names or ids).
    #[arg(required = true)]
    pub servers: Vec<String>,
}

/// `server reboot`.
#[derive(Debug, Args)]
pub struct ServerReboot {
    /// Server (name or id).
    pub server: String,
    /// Hard reboot.
    #[arg(long, conflicts_with = "soft")]
    pub hard: bool,
    /// Soft reboot (the default).
    #[arg(long)]
    pub soft: bool,
    /// Wait until the server is ACTIVE again.
    #[arg(long)]
    pub wait: bool,
}
