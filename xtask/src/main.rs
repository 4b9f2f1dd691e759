//! Project tasks, run as `cargo xtask <task>`. xtask itself is small (std, anyhow,
//! serde_json): it prints what it does at once, installs the prerequisites, and builds what
//! a task needs when the task runs (the heavy tasks live in `crates/devtools`).
//!
//! - `test [--full]`: fmt, clippy, every test, docs, smoke, conformance and the quick bench,
//!   then a table of each step's wall time. `--full` adds what does not fit in CI.
//! - `smoke [--cloud NAME] [--keep] [--distro debian]`: build a tiny image, upload it, boot
//!   it, prove it booted; with `--distro debian`, a Debian image logged in to over SSH.
//! - `bench [--quick]`: the benchmarks, side by side with their peers.
//! - `conformance`: the SDK against real Keystone + Glance, real clients against the mock.
//! - `osc-functional [--full]`: python-openstackclient's own functional tests against the
//!   mock, with `openstack` and with `fstack` in its place.
//! - `fuzz [--target NAME] [--seconds N]`: a fuzz target (the format inspector's, the SDK's
//!   response decoding, or the mock's JSON handlers).
//! - `public-api`: the public surface of the SDK and the mock, and its diff to the baseline.

mod bench;
mod devtools;
mod fuzz;
mod public_api;
mod test;

use anyhow::{Result, bail};
use xtask::flag_value;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        print_usage();
        bail!("no task given");
    };
    match task.as_str() {
        "test" => test::all(rest),
        "smoke" => devtools::exec("smoke", rest),
        "bench" => bench::run(rest),
        "conformance" => devtools::exec("conformance", rest),
        "osc-functional" => {
            // The tests run the fstack binary as `openstack`.
            xtask::run(xtask::cargo().args(["build", "-p", "ferrostack-cli", "--bin", "fstack"]))?;
            devtools::exec("osc-functional", rest)
        }
        "fuzz" => {
            let seconds = flag_value(rest, "--seconds")?.unwrap_or(60);
            let target: Option<String> = flag_value(rest, "--target")?;
            fuzz::run(target.as_deref().unwrap_or("inspect"), seconds)
        }
        "public-api" => public_api::run(rest),
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
         test [--full]             fmt, clippy, every test, docs, smoke, conformance, quick bench\n                            \
         (installs prerequisites; ends with each step's wall time).\n                            \
         --full adds what cannot fit in CI: conformance --with-nova --with-neutron\n  \
         smoke [--cloud NAME] [--keep] [--distro debian]\n                            \
         build a tiny image, upload it, boot it, prove it booted;\n                            \
         --distro debian: a Debian image, keypair, floating IP, SSH login\n  \
         bench [--quick] [--only KEYS]\n                            \
         every speed claim beside its peer (quick: under 2 min);\n                            \
         --only throughput,growth runs just those sections\n  \
         conformance [--case TEXT] [--with-nova] [--with-neutron]\n                            \
         real Keystone + Glance (+ Nova, + Neutron) from PyPI, side by side with the mock\n  \
         osc-functional [--full] [--tests PATH,...] [-k EXPR]\n                            \
         python-openstackclient's own functional tests with openstack, then fstack\n  \
         fuzz [--target NAME] [--seconds N]\n                            \
         fuzz for N seconds (default 60): inspect (the format inspector, the default),\n                            \
         responses (the SDK's decoding of service answers) or mock-json (the mock's handlers)\n  \
         public-api                the public API of ferrostack and mock-cloud, and its diff\n                            \
         to the committed baseline (a report; --bless rewrites the baseline)\n\n\
         smoke, bench and conformance build crates/devtools first (minutes the first time)."
    );
}
