//! The flags of `fstack keypair ...`, as openstackclient 10 spells them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};

/// `fstack keypair ...`.
#[derive(Debug, Subcommand)]
pub enum KeypairCommand {
    /// Create or import a keypair.
    Create(KeypairCreate),
    /// List keypairs.
    List(KeypairList),
    /// Delete keypairs.
    Delete(KeypairDelete),
}

/// `keypair create`.
#[derive(Debug, Args)]
pub struct KeypairCreate {
    /// The keypair's name.
    pub name: String,
    /// Import this public key instead of generating one.
    #[arg(
        long = "public-key",
        value_name = "file",
        conflicts_with = "private_key"
    )]
    pub public_key: Option<PathBuf>,
    /// Where to write the generated private key (default: printed).
    #[arg(long = "private-key", value_name = "file")]
    pub private_key: Option<PathBuf>,
    /// Keypair type: ssh (default) or x509.
    #[arg(long = "type", value_name = "type")]
    pub kind: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `keypair list`.
#[derive(Debug, Args)]
pub struct KeypairList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// `keypair delete`.
#[derive(Debug, Args)]
pub struct KeypairDelete {
    /// Keypairs.
    #[arg(required = true)]
    pub names: Vec<String>,
}
