//! Running the heavy tasks: `crates/devtools` (binary `devtools`), built with cargo when a
//! task needs it, so that xtask itself stays small.

use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context, Result};
use xtask::{cargo, run, step};

/// `cargo run -p ferrostack-devtools -- <task> <args>` as a command.
fn command(task: &str, args: &[String]) -> Command {
    step(format!(
        "cargo xtask {task}: building and running crates/devtools (cargo run -p \
         ferrostack-devtools; it links the SDK, the mock cloud and the testbed, so the first \
         build takes minutes)"
    ));
    let mut cmd = cargo();
    cmd.args([
        "run",
        "-p",
        "ferrostack-devtools",
        "--bin",
        "devtools",
        "--",
    ])
    .arg(task)
    .args(args);
    cmd
}

/// Runs the task and waits for it (for `cargo xtask test`, which runs several).
pub fn run_task(task: &str, args: &[String]) -> Result<()> {
    run(&mut command(task, args))
}

/// Becomes the task: Ctrl-C and SIGTERM then reach it alone, and it cleans up before the
/// shell prompt comes back.
pub fn exec(task: &str, args: &[String]) -> Result<()> {
    let err = command(task, args).exec();
    Err(err).context("could not run cargo")
}
