//! `fstack`: the openstack command line that starts in milliseconds.
//!
//! The same command names, flags, columns and exit codes as python-openstackclient 10,
//! on the ferrostack SDK: `fstack image list`, `fstack server create --wait`, ... Local work
//! (`disk`, `vm`, `image build`) runs qemu through the ferrostack-qemu crate.
//!
//! Layout: [`args`] is the top of the clap definition (the global flags and the ones several
//! commands share), [`context`] turns the global flags into a cloud, [`output`] renders
//! cliff's formats, [`mod@print`] applies the list/show flags to it, and each command group has
//! its module under `commands/`, with its own flags beside it in `commands/<group>/args.rs`.

pub mod args;
pub mod context;
pub mod output;
pub mod print;
pub mod progress;
pub mod token_cache;

mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;
use crate::context::Context;

/// Runs `fstack` with the process's arguments and environment; the exit code follows
/// openstackclient: 0 on success, 1 when a command fails, 2 for a usage error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // reqwest is built without a default TLS provider; ring is the one this project uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if cli.global.debug {
        init_debug_logging();
    }
    // One thread: a command does one thing at a time, and starting a thread pool costs
    // more than it saves.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fstack: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let context = Context::new(cli.global);
    let outcome = runtime.block_on(async {
        let outcome = commands::run(&context, cli.command).await;
        // Even after a failed command: the token it got is as good as any.
        context.save_token().await;
        outcome
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

/// One clear line, then the causes that add something.
fn report(error: &anyhow::Error) {
    eprintln!("{error}");
    let mut previous = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        // Errors that repeat their source in their own message add nothing the second time.
        if !previous.contains(&text) {
            eprintln!("  caused by: {text}");
        }
        previous = text;
    }
}

/// `--debug`: every request on stderr, with tokens and passwords already redacted by the SDK.
fn init_debug_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FSTACK_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("debug,hyper=info,h2=info,rustls=info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person: a trace piped into a file or a bug report stays plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
