//! The smoke run's report: one line per step with its time, printed for people and written as
//! JSON (`target/bench/smoke.json`) for the bench task to reprint.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It did what it had to.
    Ok,
    /// It failed; the run fails.
    Failed,
    /// It was not run (an earlier step failed, or `--keep`).
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One timed step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// What the step is (`build image`, `boot qcow2 to marker`).
    pub name: String,
    /// Wall-clock seconds it took.
    pub seconds: f64,
    /// How it ended.
    pub outcome: Outcome,
    /// A short word on what it did or why it failed (one line).
    pub detail: String,
}

/// The whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The run's name (also its folder under `target/smoke/`).
    pub run: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// Which cloud it ran against.
    pub cloud: String,
    /// The per-run token the guests had to print.
    pub token: String,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// Whether every step passed.
    pub passed: bool,
    /// Seconds from start to end.
    pub total_seconds: f64,
}

impl Report {
    /// An empty report for `run` against `cloud`.
    pub fn new(run: &str, started_at: &str, cloud: &str, token: &str) -> Self {
        Report {
            run: run.to_owned(),
            started_at: started_at.to_owned(),
            cloud: cloud.to_owned(),
            token: token.to_owned(),
            steps: Vec::new(),
            passed: false,
            total_seconds: 0.0,
        }
    }

    /// Adds a step that took `took`, and says it on stderr as it happens.
    pub fn record(&mut self, name: &str, took: Duration, outcome: Outcome, detail: &str) {
        let step = Step {
            name: name.to_owned(),
            seconds: round_tenths(took),
            outcome,
            // A multi-line error keeps its first line here; the rest is printed with it.
            detail: detail.lines().next().unwrap_or_default().to_owned(),
        };
        eprintln!("    {}", step_line(&step));
        self.steps.push(step);
    }

    /// Seals the report: the total time, and passed when no step failed.
    pub fn finish(&mut self, total: Duration, flow_ok: bool) {
        self.total_seconds = round_tenths(total);
        self.passed = flow_ok && self.steps.iter().all(|s| s.outcome != Outcome::Failed);
    }

    /// Writes the report as pretty JSON to `path`, creating its folder.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

/// Tenths of a second are what a person reads; more digits are noise for a boot.
fn round_tenths(took: Duration) -> f64 {
    (took.as_secs_f64() * 10.0).round() / 10.0
}

/// The width of the step name column: the longest step name the smoke run uses.
const NAME_WIDTH: usize = 22;

fn step_line(step: &Step) -> String {
    let line = format!(
        "{:<NAME_WIDTH$} {:>7.1} s  {:<7} {}",
        step.name,
        step.seconds,
        step.outcome.as_str(),
        step.detail
    );
    line.trim_end().to_owned()
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "smoke run {} against {}", self.run, self.cloud)?;
        for step in &self.steps {
            writeln!(f, "  {}", step_line(step))?;
        }
        let verdict = if self.passed { "PASSED" } else { "FAILED" };
        write!(
            f,
            "  {:<NAME_WIDTH$} {:>7.1} s  {verdict}",
            "total", self.total_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut report = Report::new(
            "20261128-180000-0123ab",
            "2026-11-28T18:00:00Z",
            "an embedded mock-cloud (qemu driver)",
            "0123abcd0123abcd",
        );
        report.record(
            "build image",
            Duration::from_millis(4_249),
            Outcome::Ok,
            "kernel 6.1.0-41-cloud-amd64",
        );
        report.record(
            "boot qcow2 to marker",
            Duration::from_millis(12_051),
            Outcome::Failed,
            "no marker within 180 s\n--- console tail ---\nKernel panic",
        );
        report.record("cleanup", Duration::from_millis(30), Outcome::Ok, "");
        report
    }

    #[test]
    fn the_report_is_one_aligned_line_per_step_and_a_verdict() {
        let mut report = report();
        report.finish(Duration::from_millis(16_330), true);
        assert_eq!(
            report.to_string(),
            "smoke run 20261128-180000-0123ab against an embedded mock-cloud (qemu driver)\n\
             \x20 build image                4.2 s  ok      kernel 6.1.0-41-cloud-amd64\n\
             \x20 boot qcow2 to marker      12.1 s  FAILED  no marker within 180 s\n\
             \x20 cleanup                    0.0 s  ok\n\
             \x20 total                     16.3 s  FAILED"
        );
    }

    #[test]
    fn a_run_passes_only_when_the_flow_and_every_step_did() {
        let mut clean = Report::new("r", "t", "c", "k");
        clean.record("build image", Duration::ZERO, Outcome::Ok, "");
        clean.record("cleanup", Duration::ZERO, Outcome::Skipped, "--keep");
        clean.finish(Duration::ZERO, true);
        assert!(clean.passed);
        clean.finish(Duration::ZERO, false);
        assert!(!clean.passed, "a failed flow fails the run");
        let mut failed = report();
        failed.finish(Duration::ZERO, true);
        assert!(!failed.passed, "a failed step fails the run");
    }

    #[test]
    fn the_json_names_every_step_with_its_seconds() {
        let mut report = report();
        report.finish(Duration::from_millis(16_330), false);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench/smoke.json");
        report.write_json(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(json["total_seconds"], 16.3);
        assert_eq!(json["token"], "0123abcd0123abcd");
        assert_eq!(
            json["steps"][1],
            serde_json::json!({
                "name": "boot qcow2 to marker",
                "seconds": 12.1,
                "outcome": "failed",
                "detail": "no marker within 180 s"
            })
        );
    }
}
