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

/// Runs the task with the `devtools` binary that `cargo build --workspace --all-targets`
/// made (for `cargo xtask test`): `cargo run -p` would resolve features for that one package
/// and rebuild tokio and everything above it a second time.
pub fn run_built(task: &str, args: &[String]) -> Result<()> {
    let binary = xtask::target_dir().join("debug").join("devtools");
    if !binary.is_file() {
        anyhow::bail!(
            "{} is missing: the workspace build step makes it",
            binary.display()
        );
    }
    run(Command::new(&binary)
        .current_dir(xtask::workspace_root())
        .arg(task)
        .args(args))
}

/// Becomes the task: Ctrl-C and SIGTERM then reach it alone, and it cleans up before the
/// shell prompt comes back.
pub fn exec(task: &str, args: &[String]) -> Result<()> {
    let err = command(task, args).exec();
    Err(err).context("could not run cargo")
}
