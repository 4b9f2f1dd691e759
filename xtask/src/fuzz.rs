//! `cargo xtask fuzz [--target NAME] --seconds N`: a cargo-fuzz target for N seconds:
//! `inspector` (the format inspector, the default) or `mock-json` (every JSON handler of the
//! mock cloud, in process).
//!
//! cargo-fuzz needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain
//! accept them, so no other toolchain is installed. The targets run without a sanitizer
//! (neither crate has unsafe code) but with debug assertions, so an arithmetic overflow is
//! a crash too.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A cargo-fuzz target.
struct Target {
    /// Its name for `--target`.
    name: &'static str,
    /// What it fuzzes, for the messages.
    what: &'static str,
    /// Its cargo-fuzz crate, from the workspace root.
    dir: &'static str,
    /// The fuzz target (binary) in that crate.
    bin: &'static str,
    /// The largest input tried.
    max_len: u32,
    /// Its libFuzzer dictionary, in `dir`.
    dict: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        name: "inspector",
        what: "the format inspector",
        dir: "crates/format-inspector/fuzz",
        bin: "inspect",
        // Enough to reach the vhdx region table (192 KiB + 64 KiB) and a little past, with
        // room for the two bytes that choose the chunk size.
        max_len: 300 * 1024,
        dict: "inspect.dict",
    },
    Target {
        name: "mock-json",
        what: "the mock cloud's JSON handlers",
        dir: "mock-cloud/fuzz",
        bin: "json_bodies",
        // Past Keystone's and Nova's 112 KiB body limit.
        max_len: 128 * 1024,
        dict: "json.dict",
    },
];

/// Runs the fuzz target named `target` for `seconds`, installing cargo-fuzz first if it is
/// missing. Fails if the target crashes (libFuzzer leaves the input under `fuzz/artifacts/`).
pub fn run(target: &str, seconds: u64) -> Result<()> {
    let Some(target) = TARGETS.iter().find(|t| t.name == target) else {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        bail!(
            "no fuzz target `{target}` (there are: {})",
            names.join(", ")
        );
    };
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(target.dir);
    ensure_cargo_fuzz()?;
    let corpus = fuzz_dir.join("corpus").join(target.bin);
    std::fs::create_dir_all(&corpus)
        .with_context(|| format!("cannot create the fuzz corpus {}", corpus.display()))?;
    println!(
        "fuzzing {} for {seconds} s (corpus {})",
        target.what,
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
            target.bin,
        ])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={}", target.max_len))
        .arg(format!("-dict={}", target.dict))
        .arg("-print_final_stats=1")
        .status()
        .context("cannot run cargo fuzz")?;
    if !status.success() {
        bail!(
            "the fuzz target over {} failed ({status}); the crashing input is in {}",
            target.what,
            artifacts(&fuzz_dir, target.bin).display()
        );
    }
    Ok(())
}

fn artifacts(fuzz_dir: &Path, bin: &str) -> PathBuf {
    fuzz_dir.join("artifacts").join(bin)
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
