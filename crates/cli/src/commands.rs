//! One module per command group; each turns its parsed arguments into SDK calls and prints
//! the result the way openstackclient does.

pub(crate) mod aggregate;
mod build;
pub(crate) mod catalog;
pub(crate) mod console;
pub(crate) mod disk;
pub(crate) mod extension;
pub(crate) mod flavor;
pub(crate) mod floating_ip;
pub(crate) mod identity;
pub(crate) mod image;
pub(crate) mod keypair;
pub(crate) mod network;
mod neutron;
pub(crate) mod port;
pub(crate) mod router;
pub(crate) mod security_group;
pub(crate) mod server;
pub(crate) mod subnet;
pub(crate) mod token;
pub(crate) mod versions;
pub(crate) mod vm;

use anyhow::Result;
use clap::CommandFactory;

use crate::args::{Cli, Command, CompletionShell};
use crate::context::Context;

/// Runs one command.
pub async fn run(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Image { command } => image::run(ctx, command).await,
        Command::Server { command } => server::run(ctx, command).await,
        Command::Console { command } => console::run(ctx, command).await,
        Command::Flavor { command } => flavor::run(ctx, command).await,
        Command::Aggregate { command } => aggregate::run(ctx, command).await,
        Command::Keypair { command } => keypair::run(ctx, command).await,
        Command::Network { command } => network::run(ctx, command).await,
        Command::Subnet { command } => subnet::run(ctx, command).await,
        Command::Port { command } => port::run(ctx, command).await,
        Command::Router { command } => router::run(ctx, command).await,
        Command::Extension { command } => extension::run(ctx, command).await,
        Command::Security { command } => security_group::run(ctx, command).await,
        Command::Floating { command } => floating_ip::run(ctx, command).await,
        Command::Token { command } => token::run(ctx, command).await,
        Command::Catalog { command } => catalog::run(ctx, command).await,
        Command::Domain { command } => identity::domain::run(ctx, command).await,
        Command::Project { command } => identity::project::run(ctx, command).await,
        Command::User { command } => identity::user::run(ctx, command).await,
        Command::Group { command } => identity::group::run(ctx, command).await,
        Command::Role { command } => identity::role::run(ctx, command).await,
        Command::Implied { command } => identity::role::run_implied(ctx, command).await,
        Command::Region { command } => identity::catalog::run_region(ctx, command).await,
        Command::Service { command } => identity::catalog::run_service(ctx, command).await,
        Command::Endpoint { command } => identity::catalog::run_endpoint(ctx, command).await,
        Command::Versions { command } => versions::run(ctx, command).await,
        Command::Disk { command } => disk::run(ctx, command).await,
        Command::Vm { command } => vm::run(ctx, command).await,
        Command::Completion { shell } => completion(shell),
    }
}

/// `fstack completion bash|zsh|fish`: the script on stdout.
fn completion(shell: CompletionShell) -> Result<()> {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "fstack", &mut script);
    crate::print::write_stdout(&String::from_utf8_lossy(&script))
}
