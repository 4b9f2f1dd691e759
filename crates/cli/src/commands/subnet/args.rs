//! The flags of `fstack subnet ...`, as openstackclient 10 spells them.

use clap::builder::TypedValueParser as _;
use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};
use crate::commands::network::args::TagsForCreate;

/// `fstack subnet ...`.
#[derive(Debug, Subcommand)]
pub enum SubnetCommand {
    /// List subnets.
    List(SubnetList),
    /// Show one subnet.
    Show(SubnetShow),
    /// Create a subnet.
    Create(SubnetCreate),
    /// Delete subnets.
    Delete(SubnetDelete),
}

/// `subnet list`.
#[derive(Debug, Args)]
pub struct SubnetList {
    /// Only subnets of this network (name or ID).
    #[arg(long, value_name = "network")]
    pub network: Option<String>,
    /// Only subnets of this IP version.
    #[arg(long = "ip-version", value_name = "ip-version", value_parser = ["4", "6"])]
    pub ip_version: Option<String>,
    /// Only subnets with this name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Only subnets with DHCP enabled.
    #[arg(long, conflicts_with = "no_dhcp")]
    pub dhcp: bool,
    /// Only subnets with DHCP disabled.
    #[arg(long = "no-dhcp")]
    pub no_dhcp: bool,
    /// Only subnets with this range (CIDR).
    #[arg(long = "subnet-range", value_name = "subnet-range")]
    pub subnet_range: Option<String>,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `subnet show`.
#[derive(Debug, Args)]
pub struct SubnetShow {
    /// The subnet (name or ID).
    #[arg(value_name = "subnet")]
    pub subnet: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `subnet create`.
#[derive(Debug, Args)]
pub struct SubnetCreate {
    /// The new subnet's name.
    #[arg(value_name = "name")]
    pub name: String,
    /// The network it belongs to (name or ID).
    #[arg(long, value_name = "network", required = true)]
    pub network: String,
    /// Its range, in CIDR notation.
    #[arg(long = "subnet-range", value_name = "subnet-range")]
    pub subnet_range: Option<String>,
    /// IP version (default 4).
    #[arg(
        long = "ip-version",
        default_value = "4",
        value_parser = clap::builder::PossibleValuesParser::new(["4", "6"])
            .map(|v| if v == "6" { 6u8 } else { 4u8 })
    )]
    pub ip_version: u8,
    /// The gateway: an address, `auto` (the first address, default) or `none`.
    #[arg(long, value_name = "gateway", default_value = "auto")]
    pub gateway: String,
    /// Enable DHCP (default).
    #[arg(long, conflicts_with = "no_dhcp")]
    pub dhcp: bool,
    /// Disable DHCP.
    #[arg(long = "no-dhcp")]
    pub no_dhcp: bool,
    /// An allocation pool, `start=<ip-address>,end=<ip-address>` (repeatable).
    #[arg(
        long = "allocation-pool",
        value_name = "start=<ip-address>,end=<ip-address>"
    )]
    pub allocation_pools: Vec<String>,
    /// A DNS server (repeatable).
    #[arg(long = "dns-nameserver", value_name = "dns-nameserver")]
    pub dns_nameservers: Vec<String>,
    /// A route, `destination=<subnet>,gateway=<ip-address>` (repeatable).
    #[arg(
        long = "host-route",
        value_name = "destination=<subnet>,gateway=<ip-address>"
    )]
    pub host_routes: Vec<String>,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub tags: TagsForCreate,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `subnet delete`.
#[derive(Debug, Args)]
pub struct SubnetDelete {
    /// The subnets to delete (names or IDs).
    #[arg(value_name = "subnet", required = true)]
    pub subnets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn subnet(line: &str) -> Result<SubnetCommand, clap::Error> {
        let cli = Cli::try_parse_from(
            ["fstack", "subnet"]
                .into_iter()
                .chain(line.split_whitespace()),
        )?;
        match cli.command {
            Command::Subnet { command } => Ok(command),
            _ => unreachable!(),
        }
    }

    #[test]
    fn create_takes_osc_flags() {
        let SubnetCommand::Create(c) = subnet(
            "create s --network n --subnet-range 10.1.0.0/24 --gateway none --no-dhcp \
             --allocation-pool start=10.1.0.10,end=10.1.0.20 --dns-nameserver 10.1.0.53 \
             --host-route destination=10.2.0.0/24,gateway=10.1.0.1 --tag t",
        )
        .unwrap() else {
            panic!("not create");
        };
        assert_eq!(c.ip_version, 4);
        assert_eq!(c.gateway, "none");
        assert!(c.no_dhcp);
        assert_eq!(c.allocation_pools.len(), 1);
        assert_eq!(c.host_routes.len(), 1);
    }

    #[test]
    fn bad_flags_are_refused() {
        for line in [
            "create s --subnet-range 10.1.0.0/24",
            "create s --network n --ip-version 5",
            "create s --network n --dhcp --no-dhcp",
            "list --ip-version 5",
            "delete",
        ] {
            assert!(subnet(line).is_err(), "{line} parsed");
        }
    }
}
