//! The flags of `fstack token ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};
use ferrostack::Secret;

use crate::args::{ShowOutput, secret};

/// `fstack token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token.
    Issue(TokenIssue),
    /// Revoke a token.
    Revoke(TokenRevoke),
}

/// `token issue`.
#[derive(Debug, Args)]
pub struct TokenIssue {
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevoke {
    /// The token to revoke.
    #[arg(value_parser = secret)]
    pub token: Secret,
}
