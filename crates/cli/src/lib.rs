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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
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

/// A command line clap refuses: an unknown command as cliff words it (`fstack: 'image frob
/// -f json' is not an fstack command. See 'fstack --help'.`), anything else as clap does;
/// exit code 2 either way, help and version 0.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() == ErrorKind::InvalidSubcommand
        && let Some(ContextValue::String(word)) = err.get(ContextKind::InvalidSubcommand)
    {
        let args: Vec<String> = std::env::args().skip(1).collect();
        eprintln!(
            "fstack: '{}' is not an fstack command. See 'fstack --help'.",
            unknown_command(err, word, &args)
        );
        return ExitCode::from(2);
    }
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The words cliff names for an unknown command: the known command path clap's usage shows
/// (`image`), then everything from the unknown word on.
fn unknown_command(err: &clap::Error, word: &str, args: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue};
    let usage = match err.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(usage)) => usage.to_string(),
        _ => String::new(),
    };
    command_words(&usage, word, args)
}

fn command_words(usage: &str, word: &str, args: &[String]) -> String {
    let path: Vec<&str> = usage
        .trim()
        .trim_start_matches("Usage:")
        .split_whitespace()
        .skip(1)
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect();
    let rest = args
        .iter()
        .rposition(|a| a == word)
        .map_or_else(|| vec![word.to_owned()], |at| args[at..].to_vec());
    path.iter()
        .map(|w| (*w).to_owned())
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &str) -> Vec<String> {
        args.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn an_unknown_command_is_named_as_cliff_names_it() {
        assert_eq!(
            command_words(
                "Usage: fstack image [OPTIONS] <COMMAND>",
                "frob",
                &words("--os-cloud c image frob -f json x")
            ),
            "image frob -f json x"
        );
        assert_eq!(
            command_words(
                "Usage: fstack [OPTIONS] <COMMAND>",
                "frobnicate",
                &words("frobnicate list")
            ),
            "frobnicate list"
        );
        assert_eq!(
            command_words(
                "Usage: fstack server add <COMMAND>",
                "fixd",
                &words("server add fixd")
            ),
            "server add fixd"
        );
    }
}
