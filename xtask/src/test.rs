//! `cargo xtask test`: the whole test suite, as CI runs it.

use std::process::Command;

use anyhow::Result;

use crate::prerequisites::{self, run};
use crate::smoke;

use crate::{step, workspace_root};

/// Runs formatting, clippy and every test. Installs the prerequisites first.
pub fn all(_args: &[String]) -> Result<()> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    step("checking prerequisites");
    let venv = prerequisites::client_venv()?;
    // The qemu crate's and mock-cloud's boot tests need qemu and the image tools.
    smoke::ensure_host_packages()?;

    step("cargo fmt --all -- --check");
    run(Command::new(&cargo)
        .current_dir(&root)
        .args(["fmt", "--all", "--", "--check"]))?;

    step("cargo clippy --workspace --all-targets -- -D warnings");
    run(Command::new(&cargo).current_dir(&root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("cargo test --workspace");
    run(Command::new(&cargo)
        .current_dir(&root)
        .args(["test", "--workspace"])
        .env("FERROSTACK_CLIENT_VENV", venv.root()))?;

    step("cargo xtask smoke: build, upload and boot the tiny image on an embedded cloud");
    smoke::run(&[])?;

    step("cargo xtask conformance: the SDK suite against real Keystone + Glance and the mock");
    crate::conformance::run(&[])?;

    // A report, never a pass/fail on speed: it fails only if the bench itself cannot run.
    step("cargo xtask bench --quick: the speed report (never fails on speed)");
    crate::bench::run(&["--quick".to_owned()])?;

    step("all checks passed");
    Ok(())
}
