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
    /// Add a floating IP, security groups, a port or a network to a server.
    Add {
        #[command(subcommand)]
        command: ServerAdd,
    },
    /// Remove a floating IP, security groups, a port or a network from a server.
    Remove {
        #[command(subcommand)]
        command: ServerRemove,
    },
    /// SSH to a server (runs the system `ssh`).
    Ssh(ServerSsh),
    /// Set a server's name or properties.
    Set(ServerSet),
    /// Unset a server's properties.
    Unset(ServerUnset),
    /// A server's events (instance actions).
    Event {
        #[command(subcommand)]
        command: super::event::ServerEventCommand,
    },
    /// Server groups.
    Group {
        #[command(subcommand)]
        command: super::group::ServerGroupCommand,
    },
}

/// `server set`.
#[derive(Debug, Args)]
pub struct ServerSet {
    /// Server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// New server name.
    #[arg(long, value_name = "new-name")]
    pub name: Option<String>,
    /// A property to add or change (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
}

/// `server unset`.
#[derive(Debug, Args)]
pub struct ServerUnset {
    /// Server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// A property key to remove (repeatable).
    #[arg(long, value_name = "key")]
    pub property: Vec<String>,
}

/// `server add ...`.
#[derive(Debug, Subcommand)]
pub enum ServerAdd {
    /// `server add floating ip`.
    Floating {
        #[command(subcommand)]
        command: AddFloating,
    },
    /// `server add security group`.
    Security {
        #[command(subcommand)]
        command: SecurityGroupWord,
    },
    /// Add a port to a server.
    Port(ServerPort),
    /// Add a network to a server (a new port on it).
    Network(ServerNetwork),
    /// `server add fixed ip`.
    Fixed {
        #[command(subcommand)]
        command: AddFixed,
    },
}

/// `server add fixed ip`.
#[derive(Debug, Subcommand)]
pub enum AddFixed {
    /// Attach a new port on a network to the server, with this address if given.
    Ip(AddFixedIp),
}

/// `server add fixed ip SERVER NETWORK [--fixed-ip-address IP]`.
#[derive(Debug, Args)]
pub struct AddFixedIp {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The network to allocate the address from (name or id).
    #[arg(value_name = "network")]
    pub network: String,
    /// The address to ask for.
    #[arg(long = "fixed-ip-address", value_name = "ip-address")]
    pub fixed_ip_address: Option<std::net::IpAddr>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server remove ...`.
#[derive(Debug, Subcommand)]
pub enum ServerRemove {
    /// `server remove floating ip`.
    Floating {
        #[command(subcommand)]
        command: RemoveFloating,
    },
    /// `server remove security group`.
    Security {
        #[command(subcommand)]
        command: SecurityGroupWord,
    },
    /// Remove a port from a server.
    Port(ServerPort),
    /// Remove every port of a network from a server.
    Network(ServerNetwork),
}

/// `server add floating ip`.
#[derive(Debug, Subcommand)]
pub enum AddFloating {
    /// Forward a floating IP to the server's first port that can have it.
    Ip(AddFloatingIp),
}

/// `server remove floating ip`.
#[derive(Debug, Subcommand)]
pub enum RemoveFloating {
    /// Stop forwarding a floating IP to the server.
    Ip(RemoveFloatingIp),
}

/// `server add|remove security group`.
#[derive(Debug, Subcommand)]
pub enum SecurityGroupWord {
    /// Put the server's ports in (or take them out of) security groups.
    Group(ServerSecurityGroups),
}

/// `server add floating ip SERVER IP`.
#[derive(Debug, Args)]
pub struct AddFloatingIp {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The floating IP (address or id).
    #[arg(value_name = "ip-address")]
    pub ip_address: String,
    /// Forward to this fixed IP (the first port that has it).
    #[arg(long = "fixed-ip-address", value_name = "ip-address")]
    pub fixed_ip_address: Option<String>,
}

/// `server remove floating ip SERVER IP`.
#[derive(Debug, Args)]
pub struct RemoveFloatingIp {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The floating IP (address or id).
    #[arg(value_name = "ip-address")]
    pub ip_address: String,
}

/// `server add|remove security group SERVER GROUP...`.
#[derive(Debug, Args)]
pub struct ServerSecurityGroups {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The security groups (names or ids).
    #[arg(required = true, value_name = "security-group")]
    pub security_groups: Vec<String>,
}

/// `server add|remove port SERVER PORT`.
#[derive(Debug, Args)]
pub struct ServerPort {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The port (name or id).
    #[arg(value_name = "port")]
    pub port: String,
}

/// `server add|remove network SERVER NETWORK`.
#[derive(Debug, Args)]
pub struct ServerNetwork {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The network (name or id).
    #[arg(value_name = "network")]
    pub network: String,
}

/// `server ssh`: osc 10's flags; what follows `--` goes to `ssh` as it is.
#[derive(Debug, Args)]
pub struct ServerSsh {
    /// The server (name or id).
    #[arg(value_name = "server")]
    pub server: String,
    /// The login name (default: the cloud's user name).
    #[arg(short = 'l', long, value_name = "login-name")]
    pub login: Option<String>,
    /// The port on the server.
    #[arg(short = 'p', long, value_name = "port")]
    pub port: Option<u16>,
    /// The private key file.
    #[arg(short = 'i', long, value_name = "keyfile")]
    pub identity: Option<String>,
    /// An ssh option (`-o`).
    #[arg(short = 'o', long, value_name = "config-options")]
    pub option: Option<String>,
    /// IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// The public (floating) address (the default).
    #[arg(long, conflicts_with_all = ["private", "address_type"])]
    pub public: bool,
    /// The private (fixed) address.
    #[arg(long, conflicts_with = "address_type")]
    pub private: bool,
    /// `public`, `private`, `floating`, `fixed`, or a network's name.
    #[arg(long = "address-type", value_name = "address-type")]
    pub address_type: Option<String>,
    /// Accepted and not passed on, as with osc (whose own `-v` takes it): use `-- -v`.
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Arguments for ssh, after `--`.
    #[arg(last = true, value_name = "standard ssh args")]
    pub ssh_args: Vec<String>,
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
    /// A network (name or id) to plug a new port of into the server (repeatable): the
    /// same as `--nic net-id=NETWORK`.
    #[arg(long, value_name = "network")]
    pub network: Vec<String>,
    /// A port (name or id) to plug into the server (repeatable): the same as
    /// `--nic port-id=PORT`.
    #[arg(long, value_name = "port")]
    pub port: Vec<String>,
    /// A security group (name or id) for the server's new ports (repeatable).
    #[arg(long = "security-group", value_name = "security-group")]
    pub security_group: Vec<String>,
    /// Same as `--nic none`.
    #[arg(long = "no-network", conflicts_with_all = ["nic", "network", "port"])]
    pub no_network: bool,
    /// Same as `--nic auto`.
    #[arg(long = "auto-network", conflicts_with_all = ["nic", "network", "port", "no_network"])]
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
