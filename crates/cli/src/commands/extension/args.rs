//! The flags of `fstack extension ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::ListOutput;

/// `fstack extension ...`.
#[derive(Debug, Subcommand)]
pub enum ExtensionCommand {
    /// List API extensions.
    List(ExtensionList),
}

/// `extension list`: without a service flag, every service's (here Compute's and Network's,
/// as osc asks for Identity's only on Keystone v2 and Volume's only with a volume endpoint).
#[derive(Debug, Args)]
pub struct ExtensionList {
    /// Compute's extensions.
    #[arg(long)]
    pub compute: bool,
    /// Network's extensions.
    #[arg(long)]
    pub network: bool,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    #[test]
    fn the_service_flags_parse() {
        let cli =
            Cli::try_parse_from(["fstack", "extension", "list", "--network", "--long"]).unwrap();
        let Command::Extension {
            command: ExtensionCommand::List(l),
        } = cli.command
        else {
            panic!("not extension list");
        };
        assert!(l.network && l.long && !l.compute);
        assert!(Cli::try_parse_from(["fstack", "extension", "list", "--nova"]).is_err());
    }
}
