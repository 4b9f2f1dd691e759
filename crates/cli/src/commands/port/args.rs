//! The flags of `fstack port ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};
use crate::commands::network::args::{TagsForCreate, TagsForSet};

/// `fstack port ...`.
#[derive(Debug, Subcommand)]
pub enum PortCommand {
    /// List ports.
    List(PortList),
    /// Show one port.
    Show(PortShow),
    /// Create a port.
    Create(PortCreate),
    /// Delete ports.
    Delete(PortDelete),
    /// Change a port.
    Set(PortSet),
}

/// `port list`.
#[derive(Debug, Args)]
pub struct PortList {
    /// Only ports on this network (name or ID).
    #[arg(long, value_name = "network")]
    pub network: Option<String>,
    /// Only ports of this server (name or ID).
    #[arg(long, value_name = "server", conflicts_with_all = ["router", "device_id"])]
    pub server: Option<String>,
    /// Only ports of this router (name or ID).
    #[arg(long, value_name = "router", conflicts_with = "device_id")]
    pub router: Option<String>,
    /// Only ports of this device.
    #[arg(long = "device-id", value_name = "device-id")]
    pub device_id: Option<String>,
    /// Only ports with this device owner (`network:dhcp`, ...).
    #[arg(long = "device-owner", value_name = "device-owner")]
    pub device_owner: Option<String>,
    /// Only ports with this MAC address.
    #[arg(long = "mac-address", value_name = "mac-address")]
    pub mac_address: Option<String>,
    /// Only ports with this name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Only ports with this fixed IP: `subnet=<subnet>,ip-address=<ip-address>,
    /// ip-substring=<ip-substring>` (repeatable).
    #[arg(
        long = "fixed-ip",
        value_name = "subnet=<subnet>,ip-address=<ip-address>,ip-substring=<ip-substring>"
    )]
    pub fixed_ips: Vec<String>,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `port show`.
#[derive(Debug, Args)]
pub struct PortShow {
    /// The port (name or ID).
    #[arg(value_name = "port")]
    pub port: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// The flags `port create` and `port set` share.
#[derive(Debug, Clone, Default, Args)]
pub struct PortFlags {
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// The device id.
    #[arg(long, value_name = "device-id")]
    pub device: Option<String>,
    /// The device owner (`network:dhcp`, `compute:nova`, ...).
    #[arg(long = "device-owner", value_name = "device-owner")]
    pub device_owner: Option<String>,
    /// Enable the port.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the port.
    #[arg(long)]
    pub disable: bool,
    /// Enable port security.
    #[arg(
        long = "enable-port-security",
        conflicts_with = "disable_port_security"
    )]
    pub enable_port_security: bool,
    /// Disable port security.
    #[arg(long = "disable-port-security")]
    pub disable_port_security: bool,
    /// A fixed IP, `subnet=<subnet>,ip-address=<ip-address>` (repeatable).
    #[arg(
        long = "fixed-ip",
        value_name = "subnet=<subnet>,ip-address=<ip-address>"
    )]
    pub fixed_ips: Vec<String>,
    /// No fixed IP (with --fixed-ip on set: replace them).
    #[arg(long = "no-fixed-ip")]
    pub no_fixed_ip: bool,
    /// A security group (name or ID; repeatable).
    #[arg(long = "security-group", value_name = "security-group")]
    pub security_groups: Vec<String>,
    /// No security group (with --security-group on set: replace them).
    #[arg(long = "no-security-group")]
    pub no_security_group: bool,
}

/// `port create`.
#[derive(Debug, Args)]
pub struct PortCreate {
    /// The new port's name.
    #[arg(value_name = "name")]
    pub name: String,
    /// The network it is on (name or ID).
    #[arg(long, value_name = "network", required = true)]
    pub network: String,
    /// Its MAC address.
    #[arg(long = "mac-address", value_name = "mac-address")]
    pub mac_address: Option<String>,
    #[command(flatten)]
    pub flags: PortFlags,
    #[command(flatten)]
    pub tags: TagsForCreate,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `port set`.
#[derive(Debug, Args)]
pub struct PortSet {
    /// The port to change (name or ID).
    #[arg(value_name = "port")]
    pub port: String,
    /// A new name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    #[command(flatten)]
    pub flags: PortFlags,
    #[command(flatten)]
    pub tags: TagsForSet,
}

/// `port delete`.
#[derive(Debug, Args)]
pub struct PortDelete {
    /// The ports to delete (names or IDs).
    #[arg(value_name = "port", required = true)]
    pub ports: Vec<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn port(line: &str) -> Result<PortCommand, clap::Error> {
        let cli = Cli::try_parse_from(
            ["fstack", "port"]
                .into_iter()
                .chain(line.split_whitespace()),
        )?;
        match cli.command {
            Command::Port { command } => Ok(command),
            _ => unreachable!(),
        }
    }

    #[test]
    fn create_takes_osc_flags() {
        let PortCommand::Create(c) = port(
            "create p --network n --fixed-ip subnet=s,ip-address=10.0.0.9 --fixed-ip subnet=s \
             --mac-address fa:16:3e:00:00:01 --no-security-group --disable \
             --disable-port-security --device d --device-owner o --description x --tag t",
        )
        .unwrap() else {
            panic!("not create");
        };
        assert_eq!(c.flags.fixed_ips.len(), 2);
        assert!(c.flags.no_security_group && c.flags.disable && c.flags.disable_port_security);
        assert_eq!(c.tags.tags, ["t"]);
    }

    #[test]
    fn bad_flags_are_refused() {
        for line in [
            "create p",
            "create p --network n --enable --disable",
            "list --server s --router r",
            "set p --enable-port-security --disable-port-security",
            "delete",
        ] {
            assert!(port(line).is_err(), "{line} parsed");
        }
        let PortCommand::Set(s) =
            port("set p --no-fixed-ip --fixed-ip ip-address=10.0.0.4").unwrap()
        else {
            panic!("not set");
        };
        assert!(s.flags.no_fixed_ip);
    }
}
