//! Running one command as the bench measures it: the whole process's wall time and peak RSS.
//!
//! The release-built `devtools bench probe measure -- CMD...` spawns the command as its only
//! child, times it from spawn to exit and reads `getrusage(RUSAGE_CHILDREN)`, whose
//! `ru_maxrss` is then the peak RSS of that child (and of anything it waited for). Its answer
//! is one JSON line; the command's own output comes back inside it.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::report::median;

/// The binaries the bench runs.
pub struct Tools {
    /// The release-built devtools (probes and the measuring wrapper).
    pub devtools: PathBuf,
    /// The release-built mock cloud.
    pub mock_cloud: PathBuf,
    /// The release-built `fstack`, or why there is none yet.
    pub fstack: Result<PathBuf, String>,
    /// python-openstackclient's `openstack`.
    pub openstack: PathBuf,
    /// The Python of the client venv (openstacksdk).
    pub python: PathBuf,
    /// Scratch files.
    pub work: PathBuf,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Wall time from spawn to exit.
    pub seconds: f64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: f64,
    /// User + system CPU time of the process.
    pub cpu_seconds: f64,
    /// What the command printed on stdout.
    pub stdout: String,
}

impl Sample {
    /// The command's stdout as JSON (the probes print one JSON document).
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(self.stdout.trim())
            .with_context(|| format!("the probe printed no JSON: {}", self.stdout.trim()))
    }
}

/// Runs `cmd` under the measuring wrapper; fails, with its stderr, if it fails.
pub fn measure(tools: &Tools, cmd: &Command) -> Result<Sample> {
    let mut wrapper = Command::new(&tools.devtools);
    wrapper.args(["bench", "probe", "measure", "--"]);
    wrapper.arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapper.env(key, value),
            None => wrapper.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapper.current_dir(dir);
    }
    let out = wrapper
        .output()
        .with_context(|| format!("could not start {}", tools.devtools.display()))?;
    if !out.status.success() {
        bail!(
            "the measuring wrapper failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let report: Value = serde_json::from_slice(&out.stdout).context("the wrapper's answer")?;
    let text = |key: &str| report[key].as_str().unwrap_or_default().to_owned();
    if report["code"] != 0 {
        bail!(
            "{} exited with {}: {}{}",
            describe(cmd),
            report["code"],
            text("stderr").trim(),
            text("stdout").trim()
        );
    }
    Ok(Sample {
        seconds: report["seconds"].as_f64().unwrap_or(f64::NAN),
        peak_rss_kib: report["max_rss_kib"].as_f64().unwrap_or(f64::NAN),
        cpu_seconds: report["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
        stdout: text("stdout"),
    })
}

/// Median wall time and median peak RSS of some samples.
pub fn medians(samples: &[Sample]) -> (f64, f64) {
    let wall: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
    let rss: Vec<f64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    (median(&wall), median(&rss))
}

/// `program arg arg`, for error messages.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
