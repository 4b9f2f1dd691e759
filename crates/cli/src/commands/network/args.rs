//! The flags of `fstack network ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};

/// `fstack network ...`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// List networks.
    List(NetworkList),
    /// Show one network.
    Show(NetworkShow),
    /// Create a network.
    Create(NetworkCreate),
    /// Delete networks.
    Delete(NetworkDelete),
    /// Change a network.
    Set(NetworkSet),
}

/// `network list`.
#[derive(Debug, Args)]
pub struct NetworkList {
    /// Only external networks.
    #[arg(long, conflicts_with = "internal")]
    pub external: bool,
    /// Only internal networks.
    #[arg(long)]
    pub internal: bool,
    /// Only networks with this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only shared networks.
    #[arg(long, conflicts_with = "no_share")]
    pub share: bool,
    /// Only networks that are not shared.
    #[arg(long = "no-share")]
    pub no_share: bool,
    /// Only enabled networks.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Only disabled networks.
    #[arg(long)]
    pub disable: bool,
    /// Only networks with this status (ACTIVE, BUILD, DOWN, ERROR).
    #[arg(long, value_parser = ["ACTIVE", "BUILD", "DOWN", "ERROR"])]
    pub status: Option<String>,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `network show`.
#[derive(Debug, Args)]
pub struct NetworkShow {
    /// The network (name or ID).
    #[arg(value_name = "network")]
    pub network: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// The flags `network create` and `network set` share.
#[derive(Debug, Clone, Default, Args)]
pub struct NetworkFlags {
    /// Share the network between projects.
    #[arg(long, conflicts_with = "no_share")]
    pub share: bool,
    /// Do not share the network between projects.
    #[arg(long = "no-share")]
    pub no_share: bool,
    /// Enable the network.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the network.
    #[arg(long)]
    pub disable: bool,
    /// The network has an external routing facility (external-net extension).
    #[arg(long, conflicts_with = "internal")]
    pub external: bool,
    /// Opposite of --external.
    #[arg(long)]
    pub internal: bool,
    /// Enable port security by default for its ports.
    #[arg(
        long = "enable-port-security",
        conflicts_with = "disable_port_security"
    )]
    pub enable_port_security: bool,
    /// Disable port security by default for its ports.
    #[arg(long = "disable-port-security")]
    pub disable_port_security: bool,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// The MTU.
    #[arg(long, value_name = "mtu")]
    pub mtu: Option<u32>,
}

/// `network create`.
#[derive(Debug, Args)]
pub struct NetworkCreate {
    /// The new network's name.
    #[arg(value_name = "name")]
    pub name: String,
    #[command(flatten)]
    pub flags: NetworkFlags,
    /// Owner's project (name or ID).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    #[command(flatten)]
    pub tags: TagsForCreate,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `network set`.
#[derive(Debug, Args)]
pub struct NetworkSet {
    /// The network to change (name or ID).
    #[arg(value_name = "network")]
    pub network: String,
    /// A new name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    #[command(flatten)]
    pub flags: NetworkFlags,
    #[command(flatten)]
    pub tags: TagsForSet,
}

/// `network delete`.
#[derive(Debug, Args)]
pub struct NetworkDelete {
    /// The networks to delete (names or IDs).
    #[arg(value_name = "network", required = true)]
    pub networks: Vec<String>,
}

/// `--tag`/`--no-tag` of a create command: tags are set after the create, as osc does.
#[derive(Debug, Clone, Default, Args)]
pub struct TagsForCreate {
    /// A tag (repeatable).
    #[arg(long = "tag", value_name = "tag", conflicts_with = "no_tag")]
    pub tags: Vec<String>,
    /// No tags.
    #[arg(long = "no-tag")]
    pub no_tag: bool,
}

/// `--tag`/`--no-tag` of a set command: `--no-tag` clears the tags, `--tag` adds to them.
#[derive(Debug, Clone, Default, Args)]
pub struct TagsForSet {
    /// A tag to add (repeatable).
    #[arg(long = "tag", value_name = "tag")]
    pub tags: Vec<String>,
    /// Clear the tags (with --tag: replace them).
    #[arg(long = "no-tag")]
    pub no_tag: bool,
}

/// `Some(true)` for the first of a pair of flags, `Some(false)` for the second.
pub fn either(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn network(line: &str) -> Result<NetworkCommand, clap::Error> {
        let cli = Cli::try_parse_from(
            ["fstack", "network"]
                .into_iter()
                .chain(line.split_whitespace()),
        )?;
        match cli.command {
            Command::Network { command } => Ok(command),
            _ => unreachable!(),
        }
    }

    #[test]
    fn create_takes_osc_flags() {
        let NetworkCommand::Create(c) = network(
            "create n1 --share --disable --external --description d --mtu 1400 --tag a --tag b",
        )
        .unwrap() else {
            panic!("not create");
        };
        assert_eq!(c.name, "n1");
        assert_eq!(either(c.flags.share, c.flags.no_share), Some(true));
        assert_eq!(either(c.flags.enable, c.flags.disable), Some(false));
        assert_eq!(c.flags.mtu, Some(1400));
        assert_eq!(c.tags.tags, ["a", "b"]);
    }

    #[test]
    fn contradictions_are_refused() {
        for line in [
            "create n --share --no-share",
            "create n --enable --disable",
            "create n --external --internal",
            "create n --tag a --no-tag",
            "set n --enable --disable",
            "create n --mtu big",
            "delete",
        ] {
            assert!(network(line).is_err(), "{line} parsed");
        }
    }

    #[test]
    fn delete_takes_several_and_set_its_flags() {
        let NetworkCommand::Delete(d) = network("delete a b c").unwrap() else {
            panic!("not delete");
        };
        assert_eq!(d.networks, ["a", "b", "c"]);
        let NetworkCommand::Set(s) = network("set a --name b --no-tag --tag x --internal").unwrap()
        else {
            panic!("not set");
        };
        assert_eq!(s.name.as_deref(), Some("b"));
        assert!(s.tags.no_tag && s.flags.internal);
    }
}
