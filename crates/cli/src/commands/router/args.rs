//! The flags of `fstack router ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};
use crate::commands::network::args::{TagsForCreate, TagsForSet};

/// `fstack router ...`.
#[derive(Debug, Subcommand)]
pub enum RouterCommand {
    /// List routers.
    List(RouterList),
    /// Show one router.
    Show(RouterShow),
    /// Create a router.
    Create(RouterCreate),
    /// Delete routers.
    Delete(RouterDelete),
    /// Change a router.
    Set(RouterSet),
    /// Clear a router's properties.
    Unset(RouterUnset),
    /// Connect a router to a subnet or port.
    Add {
        #[command(subcommand)]
        what: RouterInterface,
    },
    /// Disconnect a router from a subnet or port.
    Remove {
        #[command(subcommand)]
        what: RouterInterface,
    },
}

/// `router add|remove subnet|port ROUTER TARGET`.
#[derive(Debug, Subcommand)]
pub enum RouterInterface {
    /// A subnet.
    Subnet {
        /// The router (name or ID).
        #[arg(value_name = "router")]
        router: String,
        /// The subnet (name or ID).
        #[arg(value_name = "subnet")]
        subnet: String,
    },
    /// A port.
    Port {
        /// The router (name or ID).
        #[arg(value_name = "router")]
        router: String,
        /// The port (name or ID).
        #[arg(value_name = "port")]
        port: String,
    },
}

/// `router list`.
#[derive(Debug, Args)]
pub struct RouterList {
    /// Only routers with this name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Only enabled routers.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Only disabled routers.
    #[arg(long)]
    pub disable: bool,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `router show`.
#[derive(Debug, Args)]
pub struct RouterShow {
    /// The router (name or ID).
    #[arg(value_name = "router")]
    pub router: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// The gateway flags of `router create` and `router set`.
#[derive(Debug, Clone, Default, Args)]
pub struct GatewayFlags {
    /// The external network of the router's gateway (name or ID).
    #[arg(long = "external-gateway", value_name = "network")]
    pub external_gateway: Option<String>,
    /// A gateway address, `subnet=<subnet>,ip-address=<ip-address>` (repeatable; needs
    /// --external-gateway).
    #[arg(
        long = "fixed-ip",
        value_name = "subnet=<subnet>,ip-address=<ip-address>"
    )]
    pub fixed_ips: Vec<String>,
    /// SNAT on the gateway (needs --external-gateway).
    #[arg(long = "enable-snat", conflicts_with = "disable_snat")]
    pub enable_snat: bool,
    /// No SNAT on the gateway (needs --external-gateway).
    #[arg(long = "disable-snat")]
    pub disable_snat: bool,
}

/// `router create`.
#[derive(Debug, Args)]
pub struct RouterCreate {
    /// The new router's name.
    #[arg(value_name = "name")]
    pub name: String,
    /// Enable the router (default).
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the router.
    #[arg(long)]
    pub disable: bool,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub gateway: GatewayFlags,
    #[command(flatten)]
    pub tags: TagsForCreate,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `router set`.
#[derive(Debug, Args)]
pub struct RouterSet {
    /// The router to change (name or ID).
    #[arg(value_name = "router")]
    pub router: String,
    /// A new name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// Enable the router.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the router.
    #[arg(long)]
    pub disable: bool,
    #[command(flatten)]
    pub gateway: GatewayFlags,
    #[command(flatten)]
    pub tags: TagsForSet,
}

/// `router unset`.
#[derive(Debug, Args)]
pub struct RouterUnset {
    /// The router to change (name or ID).
    #[arg(value_name = "router")]
    pub router: String,
    /// Remove the external gateway.
    #[arg(long = "external-gateway")]
    pub external_gateway: bool,
}

/// `router delete`.
#[derive(Debug, Args)]
pub struct RouterDelete {
    /// The routers to delete (names or IDs).
    #[arg(value_name = "router", required = true)]
    pub routers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn router(line: &str) -> Result<RouterCommand, clap::Error> {
        let cli = Cli::try_parse_from(
            ["fstack", "router"]
                .into_iter()
                .chain(line.split_whitespace()),
        )?;
        match cli.command {
            Command::Router { command } => Ok(command),
            _ => unreachable!(),
        }
    }

    #[test]
    fn set_add_and_unset_parse() {
        let RouterCommand::Set(s) = router(
            "set r --external-gateway public --fixed-ip subnet=public-subnet,ip-address=127.42.0.9 \
             --disable-snat --name r2 --disable",
        )
        .unwrap() else {
            panic!("not set");
        };
        assert_eq!(s.gateway.external_gateway.as_deref(), Some("public"));
        assert!(s.gateway.disable_snat && s.disable);
        let RouterCommand::Add {
            what: RouterInterface::Subnet { router: r, subnet },
        } = router("add subnet r1 private-subnet").unwrap()
        else {
            panic!("not add subnet");
        };
        assert_eq!((r.as_str(), subnet.as_str()), ("r1", "private-subnet"));
        let RouterCommand::Unset(u) = router("unset --external-gateway r1").unwrap() else {
            panic!("not unset");
        };
        assert!(u.external_gateway);
    }

    #[test]
    fn bad_flags_are_refused() {
        for line in [
            "set r --enable --disable",
            "set r --enable-snat --disable-snat",
            "add subnet r",
            "add network r n",
            "delete",
        ] {
            assert!(router(line).is_err(), "{line} parsed");
        }
    }
}
