//! `cargo xtask test [--full]`: the whole test suite, as CI runs it, ending with a table of
//! each step's wall time.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use xtask::{cargo, prerequisites, run, step};

use crate::{bench, devtools};

const USAGE: &str = "usage: cargo xtask test [--full]";

/// Runs formatting, clippy, every test, the docs, smoke, conformance, openstackclient's
/// functional tests and the quick bench (whose release build runs in the background from the
/// debug build on). Installs the prerequisites first. `--full` adds
/// what does not fit in CI (real Nova and real Neutron, openstackclient's server tests).
pub fn all(args: &[String]) -> Result<()> {
    let mut full = false;
    for arg in args {
        match arg.as_str() {
            "--full" => full = true,
            other => bail!("test: unknown argument `{other}` ({USAGE})"),
        }
    }
    let mut times = Times::default();
    let outcome = steps(full, &mut times);
    println!("\n{}", times.table());
    outcome?;
    step("all checks passed");
    Ok(())
}

fn steps(full: bool, times: &mut Times) -> Result<()> {
    let venv = times.time("prerequisites", || {
        step("checking prerequisites");
        let venv = prerequisites::client_venv()?;
        // The testbed's and mock-cloud's boot tests need qemu and the image tools.
        prerequisites::host_packages()?;
        Ok(venv)
    })?;

    times.time("fmt", || {
        step("cargo fmt --all -- --check");
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;

    times.time("clippy", || {
        step("cargo clippy --workspace --all-targets -- -D warnings");
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;

    // One build of every target with the features `cargo test --workspace` resolves, so the
    // tests, smoke and conformance share it (the devtools binary included).
    times.time("build", || {
        step("cargo build --workspace --all-targets");
        run(cargo().args(["build", "--workspace", "--all-targets"]))
    })?;

    // The bench's release build shares nothing with the debug one: it runs from here on in
    // the background at the lowest priority, on the CPU the tests leave idle (waiting on
    // guests and on python), instead of after them.
    let release = bench::BackgroundBuild::start()?;
    step(
        "the bench's release build runs in the background from now on (nice -n 19; its \
         output in target/bench/release-build.log)",
    );

    times.time("test", || {
        step("cargo test --workspace");
        run(cargo()
            .args(["test", "--workspace"])
            .env("FERROSTACK_CLIENT_VENV", venv.root()))
    })?;

    times.time("doc", || {
        step("cargo doc --workspace --no-deps (RUSTDOCFLAGS=-D warnings)");
        run(cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"))
    })?;

    times.time("smoke", || {
        step("cargo xtask smoke: build, upload and boot the tiny image on an embedded cloud");
        devtools::run_built("smoke", &[])
    })?;

    times.time("conformance", || {
        let with_all = ["--with-nova".to_owned(), "--with-neutron".to_owned()];
        if full {
            step(
                "cargo xtask conformance --with-nova --with-neutron (--full): real Keystone + \
                 Glance + Nova + Neutron and the mock",
            );
            devtools::run_built("conformance", &with_all)
        } else {
            step("cargo xtask conformance: the SDK suite against real Keystone + Glance and the mock");
            devtools::run_built("conformance", &[])
        }
    })?;

    times.time("osc functional", || {
        if full {
            step(
                "cargo xtask osc-functional --full: python-openstackclient's own functional \
                 tests, server tests included, with openstack and with fstack",
            );
            devtools::run_built("osc-functional", &["--full".to_owned()])
        } else {
            step(
                "cargo xtask osc-functional: python-openstackclient's own functional tests \
                 (image, compute, identity) with openstack and with fstack",
            );
            devtools::run_built("osc-functional", &[])
        }
    })?;

    let built = times.time("release build (what was left)", || {
        step("waiting for the bench's release build");
        let built = release.finish()?;
        step(format!(
            "the release build took {built:.0} s in the background"
        ));
        Ok(built)
    })?;
    // A report, never a pass/fail on speed: it fails only if the bench itself cannot run.
    times.time("bench", || {
        step("cargo xtask bench --quick: the speed report (never fails on speed)");
        bench::run_after_background(&["--quick".to_owned()], built)
    })?;
    Ok(())
}

/// The wall time of each step, in order.
#[derive(Default)]
struct Times {
    steps: Vec<(&'static str, Duration, bool)>,
}

impl Times {
    /// Runs `work` as the step `name`, recording its wall time and whether it passed.
    fn time<T>(&mut self, name: &'static str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let result = work();
        self.steps.push((name, started.elapsed(), result.is_ok()));
        result
    }

    /// A markdown table: one row per step that ran, then the total.
    fn table(&self) -> String {
        let mut table = String::from("| step | wall time | |\n|---|---:|---|\n");
        for (name, took, passed) in &self.steps {
            let mark = if *passed { "ok" } else { "FAILED" };
            table.push_str(&format!("| {name} | {} | {mark} |\n", seconds(*took)));
        }
        let total: Duration = self.steps.iter().map(|(_, took, _)| *took).sum();
        table.push_str(&format!("| total | {} | |", seconds(total)));
        table
    }
}

/// `12.3 s`, or `4 min 05 s` from a minute on.
fn seconds(took: Duration) -> String {
    let secs = took.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let whole = took.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_step_and_the_total() {
        let mut times = Times::default();
        times.steps.push(("fmt", Duration::from_millis(1500), true));
        times.steps.push(("test", Duration::from_secs(125), false));
        assert_eq!(
            times.table(),
            "| step | wall time | |\n|---|---:|---|\n\
             | fmt | 1.5 s | ok |\n\
             | test | 2 min 05 s | FAILED |\n\
             | total | 2 min 06 s | |"
        );
    }

    #[test]
    fn unknown_arguments_are_named() {
        let err = all(&["--ful".to_owned()]).unwrap_err().to_string();
        assert_eq!(
            err,
            "test: unknown argument `--ful` (usage: cargo xtask test [--full])"
        );
    }
}
