//! `cargo xtask fuzz --seconds N`: the format inspector's cargo-fuzz target, for N seconds.
//!
//! cargo-fuzz needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain
//! accept them, so no other toolchain is installed. The target runs without a sanitizer
//! (the inspector has no unsafe code) but with debug assertions, so an arithmetic overflow
//! is a crash too.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The fuzz target's name in `crates/format-inspector/fuzz`.
const TARGET: &str = "inspect";
/// The largest input tried: enough to reach the vhdx region table (192 KiB + 64 KiB) and
/// a little past, with room for the two bytes that choose the chunk size.
const MAX_LEN: u32 = 300 * 1024;

/// Runs the fuzz target for `seconds`, installing cargo-fuzz first if it is missing.
/// Fails if the target crashes (libFuzzer leaves the input under `fuzz/artifacts/`).
pub fn run(seconds: u64) -> Result<()> {
    let fuzz_dir = fuzz_dir();
    ensure_cargo_fuzz()?;
    let corpus = fuzz_dir.join("corpus").join(TARGET);
    std::fs::create_dir_all(&corpus)
        .with_context(|| format!("cannot create the fuzz corpus {}", corpus.display()))?;
    println!(
        "fuzzing the format inspector for {seconds} s (corpus {})",
        corpus.display()
    );
    let status = Command::new("cargo")
        .current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            "run",
            "--sanitizer=none",
            "--debug-assertions",
            TARGET,
        ])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={MAX_LEN}"))
        .arg("-dict=inspect.dict")
        .arg("-print_final_stats=1")
        .status()
        .context("cannot run cargo fuzz")?;
    if !status.success() {
        bail!(
            "the format inspector's fuzz target failed ({status}); the crashing input is in {}",
            fuzz_dir.join("artifacts").join(TARGET).display()
        );
    }
    Ok(())
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("crates/format-inspector/fuzz")
}

fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if installed {
        return Ok(());
    }
    println!("cargo-fuzz is missing: installing it with `cargo install cargo-fuzz --locked`");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("`cargo install cargo-fuzz --locked` failed ({status})");
    }
    Ok(())
}
