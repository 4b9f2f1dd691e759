//! The flags of `fstack floating ip ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};
use crate::commands::security_group::args::ProjectOption;

/// `fstack floating ...`.
#[derive(Debug, Subcommand)]
pub enum FloatingCommand {
    /// Floating IPs.
    Ip {
        #[command(subcommand)]
        command: FloatingIpCommand,
    },
}

/// `fstack floating ip ...`.
#[derive(Debug, Subcommand)]
pub enum FloatingIpCommand {
    /// List floating IPs.
    List(FipList),
    /// Show a floating IP.
    Show(FipShow),
    /// Create a floating IP.
    Create(FipCreate),
    /// Delete floating IPs.
    Delete(FipDelete),
    /// Set floating IP properties (forward it to a port).
    Set(FipSet),
    /// Unset floating IP properties (stop forwarding it).
    Unset(FipUnset),
}

/// `floating ip list`.
#[derive(Debug, Args)]
pub struct FipList {
    /// Only those of this external network (name or id; repeatable).
    #[arg(long = "network", value_name = "network")]
    pub networks: Vec<String>,
    /// Only those forwarded to this port (name or id; repeatable).
    #[arg(long = "port", value_name = "port")]
    pub ports: Vec<String>,
    /// Only those forwarded to this fixed IP.
    #[arg(long = "fixed-ip-address", value_name = "ip-address")]
    pub fixed_ip_address: Option<String>,
    /// Only this address.
    #[arg(long = "floating-ip-address", value_name = "ip-address")]
    pub floating_ip_address: Option<String>,
    /// Only those in this status.
    #[arg(long, value_name = "status", value_parser = ["ACTIVE", "DOWN"])]
    pub status: Option<String>,
    #[command(flatten)]
    pub project: ProjectOption,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `floating ip show`.
#[derive(Debug, Args)]
pub struct FipShow {
    /// The floating IP (address or id).
    #[arg(value_name = "floating-ip")]
    pub floating_ip: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `floating ip create`.
#[derive(Debug, Args)]
pub struct FipCreate {
    /// The external network to take the address from (name or id).
    #[arg(value_name = "network")]
    pub network: String,
    /// Forward it to this port (name or id).
    #[arg(long, value_name = "port")]
    pub port: Option<String>,
    /// This address of the external network.
    #[arg(long = "floating-ip-address", value_name = "ip-address")]
    pub floating_ip_address: Option<String>,
    /// The port's address to forward to.
    #[arg(long = "fixed-ip-address", value_name = "ip-address")]
    pub fixed_ip_address: Option<String>,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub project: ProjectOption,
    /// A tag (repeatable).
    #[arg(long, value_name = "tag", conflicts_with = "no_tag")]
    pub tag: Vec<String>,
    /// No tags.
    #[arg(long = "no-tag")]
    pub no_tag: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `floating ip delete`.
#[derive(Debug, Args)]
pub struct FipDelete {
    /// The floating IPs (addresses or ids).
    #[arg(required = true, value_name = "floating-ip")]
    pub floating_ips: Vec<String>,
}

/// `floating ip set`.
#[derive(Debug, Args)]
pub struct FipSet {
    /// The floating IP (address or id).
    #[arg(value_name = "floating-ip")]
    pub floating_ip: String,
    /// Forward it to this port (name or id).
    #[arg(long, value_name = "port")]
    pub port: Option<String>,
    /// The port's address to forward to.
    #[arg(long = "fixed-ip-address", value_name = "ip-address")]
    pub fixed_ip_address: Option<String>,
    /// A new description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
}

/// `floating ip unset`.
#[derive(Debug, Args)]
pub struct FipUnset {
    /// The floating IP (address or id).
    #[arg(value_name = "floating-ip")]
    pub floating_ip: String,
    /// Stop forwarding it to its port.
    #[arg(long)]
    pub port: bool,
}
