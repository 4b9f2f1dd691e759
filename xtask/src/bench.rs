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

/// The packages of the bench's one release build.
const RELEASE_PACKAGES: [&str; 3] = ["ferrostack-devtools", "mock-cloud", "ferrostack-cli"];

/// `cargo build --release -p ...` of what the bench measures.
pub fn release_build() -> Command {
    let mut cargo = cargo();
    cargo.args(["build", "--release"]);
    for package in RELEASE_PACKAGES {
        cargo.args(["-p", package]);
    }
    cargo
}

/// Builds the measured binaries in release mode, then becomes the bench with `args` (Ctrl-C
/// reaches it alone).
pub fn run(args: &[String]) -> Result<()> {
    step(
        "building what the bench measures, in one release build: cargo build --release \
         -p ferrostack-devtools -p mock-cloud -p ferrostack-cli (the probes, mock-cloud, fstack)",
    );
    let started = Instant::now();
    xtask::run(&mut release_build())?;
    let built = started.elapsed().as_secs_f64();
    Err(bench_command(args, built).exec()).context("could not run the release devtools")
}

/// Runs the bench with `args` after a [`BackgroundBuild`] that took `built` seconds of wall
/// time beside other work (the report says so).
pub fn run_after_background(args: &[String], built: f64) -> Result<()> {
    xtask::run(bench_command(args, built).arg("--built-in-background"))
}

/// The release devtools' `bench` with `args`, told how long the build took.
fn bench_command(args: &[String], built: f64) -> Command {
    let mut bench = Command::new(target_dir().join("release").join("devtools"));
    bench
        .arg("bench")
        .args(args)
        .args(["--build-seconds", &format!("{built:.3}")]);
    bench
}

/// The bench's release build running in the background at the lowest priority (`nice -n
/// 19`), so that it takes only the CPU the steps in the foreground leave idle. Dropped
/// before it finishes, it is killed with everything it started.
#[derive(Debug)]
pub struct BackgroundBuild {
    child: Option<std::process::Child>,
    log: std::path::PathBuf,
    started: Instant,
}

impl BackgroundBuild {
    /// Starts the build, its output into `target/bench/release-build.log`.
    pub fn start() -> Result<BackgroundBuild> {
        let dir = target_dir().join("bench");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let log = dir.join("release-build.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let build = release_build();
        let mut nice = Command::new("nice");
        nice.args(["-n", "19"])
            .arg(build.get_program())
            .args(build.get_args())
            .current_dir(xtask::workspace_root())
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            // Its own process group, so that dropping it stops rustc too.
            .process_group(0);
        let child = nice
            .spawn()
            .context("could not start `nice -n 19 cargo build --release` (coreutils' nice)")?;
        Ok(BackgroundBuild {
            child: Some(child),
            log,
            started: Instant::now(),
        })
    }

    /// Waits for the build; its wall time in seconds, or its failure with the log's end.
    pub fn finish(mut self) -> Result<f64> {
        let mut child = self.child.take().expect("finished once");
        let status = child.wait().context("waiting for the release build")?;
        let took = self.started.elapsed().as_secs_f64();
        if !status.success() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            anyhow::bail!(
                "the release build failed with {status} ({}):\n{}",
                self.log.display(),
                tail.join("\n")
            );
        }
        Ok(took)
    }
}

impl Drop for BackgroundBuild {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole group: cargo and the rustc processes it started.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}
