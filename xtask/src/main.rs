//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `test`: formatting, clippy and the whole test suite, prerequisites included.
//! - `smoke [--cloud NAME] [--keep]`: build a tiny image, upload it, boot it, prove it booted.
//! - `bench [--quick]`: the benchmarks, side by side with their peers.
//! - `conformance`: the SDK against real Keystone + Glance, real clients against the mock.
//! - `fuzz [--seconds N]`: the format inspector's fuzz target.

mod bench;
mod conformance;
mod differential;
mod fuzz;
mod prerequisites;
mod real_cloud;
mod real_nova;
mod signal;
mod smoke;
mod test;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    // reqwest is built without a default TLS provider; ring is the one this project uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        print_usage();
        bail!("no task given");
    };
    match task.as_str() {
        "test" => test::all(rest),
        "smoke" => smoke::run(rest),
        "bench" => bench::run(rest),
        "conformance" => conformance::run(rest),
        "fuzz" => {
            let seconds = flag_value(rest, "--seconds")?.unwrap_or(60);
            fuzz::run(seconds)
        }
        "-h" | "--help" | "help" => {
            print_usage();
            Ok(())
        }
        other => {
            print_usage();
            bail!("unknown task `{other}`")
        }
    }
}

fn print_usage() {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         test                      fmt, clippy and every test (installs prerequisites)\n  \
         smoke [--cloud NAME] [--keep]\n                            \
         build a tiny image, upload it, boot it, prove it booted\n  \
         bench [--quick]           every speed claim beside its peer (quick: under 2 min)\n  \
         conformance               real Keystone + Glance from PyPI, side by side with the mock\n  \
         fuzz [--seconds N]        fuzz the format inspector for N seconds (default 60)"
    );
}

/// The value of `--flag N` in `args`, parsed.
fn flag_value<T: std::str::FromStr>(args: &[String], flag: &str) -> Result<Option<T>>
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

/// The workspace root (the folder above xtask/).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Prints a step heading, so a newcomer sees what is happening and why.
pub fn step(message: impl std::fmt::Display) {
    eprintln!("\n==> {message}");
}
