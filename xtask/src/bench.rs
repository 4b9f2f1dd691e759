//! `cargo xtask bench [--quick]`: ONE release build of everything the bench measures, then
//! the release `devtools bench` (crates/devtools/src/bench.rs) runs the sections.
//!
//! One `cargo build --release -p ferrostack-devtools -p mock-cloud -p ferrostack-cli` builds
//! the probes (the devtools binary), the mock cloud and fstack with one feature resolution,
//! so every shared dependency is compiled once; the bench's report says how long it took.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use xtask::{cargo, step, target_dir};

/// What to do once the binaries are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Become the bench (`cargo xtask bench`: Ctrl-C reaches it alone).
    Exec,
    /// Run it and wait (`cargo xtask test`).
    Wait,
}

/// Builds the measured binaries in release mode, then runs the bench with `args`.
pub fn run(args: &[String], then: Then) -> Result<()> {
    step(
        "building what the bench measures, in one release build: cargo build --release \
         -p ferrostack-devtools -p mock-cloud -p ferrostack-cli (the probes, mock-cloud, fstack)",
    );
    let started = Instant::now();
    xtask::run(cargo().args([
        "build",
        "--release",
        "-p",
        "ferrostack-devtools",
        "-p",
        "mock-cloud",
        "-p",
        "ferrostack-cli",
    ]))?;
    let built = started.elapsed().as_secs_f64();
    let mut bench = Command::new(target_dir().join("release").join("devtools"));
    bench
        .arg("bench")
        .args(args)
        .args(["--build-seconds", &format!("{built:.3}")]);
    match then {
        Then::Exec => Err(bench.exec()).context("could not run the release devtools"),
        Then::Wait => xtask::run(&mut bench),
    }
}
