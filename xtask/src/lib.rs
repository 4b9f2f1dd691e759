//! What `cargo xtask` and the `ferrostack-devtools` runner it builds share: the workspace's
//! paths, step headings, flags, running commands, and the prerequisites xtask installs
//! itself (Python venvs, host packages). Small on purpose: std and anyhow only, so that
//! `cargo xtask` prints its first line seconds after a clean clone.

pub mod prerequisites;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace root (the folder above xtask/).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// The workspace's `target/` folder (where every build and every report goes).
pub fn target_dir() -> PathBuf {
    workspace_root().join("target")
}

/// Prints a step heading, so a newcomer sees what is happening and why.
pub fn step(message: impl std::fmt::Display) {
    eprintln!("\n==> {message}");
}

/// `cargo` (the one running xtask, when known), in the workspace root.
pub fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(workspace_root());
    cargo
}

/// Runs a command, failing with its command line when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// The value of `--flag N` in `args`, parsed.
pub fn flag_value<T: std::str::FromStr>(args: &[String], flag: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let Some(pos) = args.iter().position(|a| a == flag) else {
        return Ok(None);
    };
    let raw = args
        .get(pos + 1)
        .with_context(|| format!("{flag} needs a value"))?;
    raw.parse()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{flag} {raw}: {e}"))
}
