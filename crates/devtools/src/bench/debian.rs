//! Debian: `fstack image build --distro debian-12` with the root cached (every run) and cold
//! (the full bench: a fresh cache, so mmdebstrap downloads and installs everything), the
//! image's sizes, and boot to a working SSH login from the last
//! `cargo xtask smoke --distro debian` (`target/bench/smoke-debian.json`, which that run
//! writes; reprinted, not rerun, as the smoke section is).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::Plan;
use super::measure::Tools;
use super::report::{Cell, Section, Unit};
use xtask::workspace_root;

/// Runs the section; a build that fails is reported in it (the e2e test is what fails on
/// a broken build, not the speed report).
pub fn run_or_note(tools: &Tools, plan: &Plan, out_dir: &Path) -> Section {
    run(tools, plan, out_dir).unwrap_or_else(|err| {
        let mut section = Section::new(
            "debian",
            "Debian image (`fstack image build --distro debian-12`) and boot to SSH",
            "ferrostack",
            "none",
        );
        section.note(format!("Not measured: {err:#}"));
        section
    })
}

/// Runs the section.
pub fn run(tools: &Tools, plan: &Plan, out_dir: &Path) -> Result<Section> {
    let mut section = Section::new(
        "debian",
        "Debian image (`fstack image build --distro debian-12`) and boot to SSH",
        "ferrostack",
        "none",
    );
    let no_peer = || Cell::Absent("—".into());
    let fstack = tools
        .fstack
        .as_ref()
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let cache = workspace_root().join("target/ferrostack-cache");
    let work = tools.work.join("debian");

    if plan.debian_cold {
        let cold_cache = tools.work.join("debian-cold-cache");
        let _ = std::fs::remove_dir_all(&cold_cache);
        // The apt state of the host packages is not the image's: share it.
        std::fs::create_dir_all(&cold_cache)?;
        let (seconds, _) = build(fstack, &cold_cache, &work)?;
        section.row(
            "build, cold (mmdebstrap)",
            Unit::Seconds,
            seconds.into(),
            no_peer(),
        );
        let _ = std::fs::remove_dir_all(&cold_cache);
    } else {
        section.row(
            "build, cold (mmdebstrap)",
            Unit::Seconds,
            Cell::Absent("full bench only".into()),
            no_peer(),
        );
    }
    // Twice: the first may bootstrap the shared cache; the second is always cached.
    let (first, built) = build(fstack, &cache, &work)?;
    let cached = if built["root_cached"] == true {
        first
    } else {
        section.note(format!(
            "The shared cache had no root: the first build bootstrapped it in {first:.0} s."
        ));
        build(fstack, &cache, &work)?.0
    };
    section.row(
        "build, root cached",
        Unit::Seconds,
        cached.into(),
        no_peer(),
    );
    let path = |field: &str| built[field].as_str().unwrap_or_default().to_owned();
    section.row(
        "qcow2 file",
        Unit::Kib,
        kib(&path("bootable_qcow2"), false).into(),
        no_peer(),
    );
    section.row(
        "ami (raw root), allocated",
        Unit::Kib,
        kib(&path("root_raw"), true).into(),
        no_peer(),
    );
    let _ = std::fs::remove_dir_all(&work);

    let smoke = out_dir.join("smoke-debian.json");
    match std::fs::read_to_string(&smoke) {
        Ok(text) => {
            let doc: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", smoke.display()))?;
            for step in doc["steps"].as_array().into_iter().flatten() {
                let name = step["name"].as_str().unwrap_or("?");
                if name.starts_with("boot ")
                    && step["outcome"] == "ok"
                    && let Some(seconds) = step["seconds"].as_f64()
                {
                    section.row(
                        format!("{name} (smoke)"),
                        Unit::Seconds,
                        seconds.into(),
                        no_peer(),
                    );
                }
            }
            section.note(format!(
                "Boot rows from {} (run {}): from the server create (both servers created at \
                 once, under TCG) until `ssh -i` with the keypair runs a command.",
                smoke.display(),
                doc["run"].as_str().unwrap_or("?")
            ));
        }
        Err(_) => section.note(format!(
            "{} is missing: run `cargo xtask smoke --distro debian` for the boot-to-SSH rows.",
            smoke.display()
        )),
    }
    Ok(section)
}

/// One build into `work` with `cache`: its wall time and its JSON.
fn build(fstack: &Path, cache: &Path, work: &Path) -> Result<(f64, Value)> {
    let _ = std::fs::remove_dir_all(work);
    let started = Instant::now();
    let out = Command::new(fstack)
        .args(["image", "build", "--distro", "debian-12", "-f", "json"])
        .arg("--cache-dir")
        .arg(cache)
        .arg("--output")
        .arg(work)
        .output()
        .context("running fstack image build")?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "fstack image build --distro debian-12 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json = serde_json::from_slice(&out.stdout).context("fstack image build's JSON")?;
    Ok((seconds, json))
}

/// A file's size in KiB: its length, or the blocks it really takes.
fn kib(path: &str, allocated: bool) -> f64 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).map_or(0.0, |m| {
        if allocated {
            (m.blocks() * 512) as f64 / 1024.0
        } else {
            m.len() as f64 / 1024.0
        }
    })
}
