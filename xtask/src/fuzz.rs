//! `cargo xtask fuzz [--target NAME] [--seconds N]`: one cargo-fuzz target, for N seconds.
//!
//! - `inspect` (the default): the format inspector over any image bytes.
//! - `responses`: the SDK's decoding of service answers (discovery documents, images,
//!   servers, tokens, error pages), seeded with the recorded answers in `testdata/responses`.
//! - `mock-json`: every JSON handler of the mock cloud, in process (no 5xx allowed).
//!
//! cargo-fuzz needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain
//! accept them, so no other toolchain is installed. The targets run without a sanitizer
//! (neither crate has unsafe code) but with debug assertions, so an arithmetic overflow
//! is a crash too.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One fuzz target: where its cargo-fuzz crate is and how to run it.
struct Target {
    name: &'static str,
    /// What it fuzzes, for messages.
    what: &'static str,
    /// The cargo-fuzz crate, from the repository root.
    dir: &'static str,
    /// The fuzz target (binary) in that crate.
    bin: &'static str,
    /// The largest input tried.
    max_len: u32,
    /// libFuzzer's dictionary, in the crate's folder.
    dict: &'static str,
    /// Inputs to start from (read, never written), from the repository root.
    seeds: Option<&'static str>,
}

const TARGETS: &[Target] = &[
    Target {
        name: "inspect",
        what: "the format inspector",
        dir: "crates/format-inspector/fuzz",
        bin: "inspect",
        // Enough to reach the vhdx region table (192 KiB + 64 KiB) and a little past, with
        // room for the two bytes that choose the chunk size.
        max_len: 300 * 1024,
        dict: "inspect.dict",
        seeds: None,
    },
    Target {
        name: "responses",
        what: "the SDK's decoding of service answers",
        dir: "crates/ferrostack/fuzz",
        bin: "responses",
        // Larger than any recorded answer (a page of servers in detail is about 10 KiB).
        max_len: 64 * 1024,
        dict: "responses.dict",
        seeds: Some("testdata/responses"),
    },
    Target {
        name: "mock-json",
        what: "the mock cloud's JSON handlers",
        dir: "mock-cloud/fuzz",
        bin: "json_bodies",
        // Past Keystone's and Nova's 112 KiB body limit.
        max_len: 128 * 1024,
        dict: "json.dict",
        seeds: None,
    },
];

/// The names `--target` accepts.
fn names() -> Vec<&'static str> {
    TARGETS.iter().map(|t| t.name).collect()
}

/// Runs the fuzz target `name` for `seconds`, installing cargo-fuzz first if it is missing.
/// Fails if the target crashes (libFuzzer leaves the input under `fuzz/artifacts/`).
pub fn run(name: &str, seconds: u64) -> Result<()> {
    let Some(target) = TARGETS.iter().find(|t| t.name == name) else {
        bail!(
            "--target {name}: no such fuzz target (choose from {})",
            names().join(", ")
        );
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fuzz_dir = root.join(target.dir);
    ensure_cargo_fuzz()?;
    let corpus = fuzz_dir.join("corpus").join(target.bin);
    std::fs::create_dir_all(&corpus)
        .with_context(|| format!("cannot create the fuzz corpus {}", corpus.display()))?;
    println!(
        "fuzzing {} for {seconds} s (corpus {})",
        target.what,
        corpus.display()
    );
    let mut command = Command::new("cargo");
    command
        .current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            "run",
            "--sanitizer=none",
            "--debug-assertions",
            target.bin,
        ])
        .arg(&corpus);
    if let Some(seeds) = target.seeds {
        command.arg(root.join(seeds));
    }
    let status = command
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={}", target.max_len))
        .arg(format!("-dict={}", target.dict))
        .arg("-print_final_stats=1")
        .status()
        .context("cannot run cargo fuzz")?;
    if !status.success() {
        bail!(
            "the fuzz target {} failed ({status}); the crashing input is in {}",
            target.name,
            artifacts(&fuzz_dir, target.bin).display()
        );
    }
    Ok(())
}

fn artifacts(fuzz_dir: &Path, name: &str) -> PathBuf {
    fuzz_dir.join("artifacts").join(name)
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
