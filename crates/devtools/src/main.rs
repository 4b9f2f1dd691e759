//! The heavy half of `cargo xtask`: the commands that link the SDK, the mock cloud, the
//! testbed and the conformance suite. `cargo xtask` (small, quick to build) builds this
//! binary when one of them is asked for and runs it:
//!
//! - `smoke [--cloud NAME] [--keep]`: build a tiny image, upload it, boot it, prove it booted.
//! - `bench [--quick] [--build-seconds S]`: the benchmarks, side by side with their peers,
//!   from a release build of this binary, mock-cloud and fstack (`cargo xtask bench` makes
//!   it, in one `cargo build --release`); `bench probe ...` are its measured probes.
//! - `conformance [--case TEXT] [--with-nova] [--with-neutron]`: the SDK against real
//!   Keystone + Glance (+ Nova, + Neutron), real clients against the mock, and the raw-HTTP
//!   differential check.
//! - `osc-functional [--tests PATH,...] [-k EXPR]`: python-openstackclient's own functional
//!   tests against the mock cloud, with `openstack` and then with `fstack` in its place.
//!
//! Run it through `cargo xtask <command>`, which installs the prerequisites first.

mod bench;
mod conformance;
mod differential;
mod osc_functional;
mod real_cloud;
mod real_neutron;
mod real_nova;
mod signal;
mod smoke;
mod supervisor;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    // reqwest is built without a default TLS provider; ring is the one this project uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        bail!(
            "usage: devtools smoke|bench|conformance|osc-functional [args] (run it as \
             `cargo xtask <task>`)"
        );
    };
    match task.as_str() {
        "smoke" => smoke::run(rest),
        "bench" => bench::run(rest),
        "conformance" => conformance::run(rest),
        "osc-functional" => osc_functional::run(rest),
        other => {
            bail!("devtools: unknown task `{other}` (smoke, bench, conformance or osc-functional)")
        }
    }
}
