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
    /// Show a keypair.
    Show(KeypairShow),
}

/// `keypair create`.
#[derive(Debug, Args)]
pub struct KeypairCreate {
    /// The keypair's name.
    pub name: String,
    /// Import this public key instead of generating an Ed25519 key pair here.
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

/// `keypair show`.
#[derive(Debug, Args)]
pub struct KeypairShow {
    /// The keypair's name.
    #[arg(value_name = "key")]
    pub name: String,
    /// Print only the bare public key.
    #[arg(long = "public-key")]
    pub public_key: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}
