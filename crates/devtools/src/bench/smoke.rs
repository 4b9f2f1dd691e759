//! Smoke: the step timings of the last `cargo xtask smoke`, from `target/bench/smoke.json`
//! (which the smoke task writes). Reprinted, not rerun: a smoke run boots real VMs.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::report::{Cell, Section, Unit};

/// Reads the smoke report into a section (saying how to make it when it is missing).
pub fn run(out_dir: &Path) -> Result<Section> {
    let path = out_dir.join("smoke.json");
    let mut section = Section::new(
        "smoke",
        "Smoke (`cargo xtask smoke`): build, upload, boot, cleanup",
        "ferrostack",
        "none",
    );
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            section.note(format!(
                "{} is missing: run `cargo xtask smoke` first, it writes its step timings there.",
                path.display()
            ));
            return Ok(section);
        }
    };
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    fill(&mut section, &doc);
    section.note(format!(
        "From {} (run {}, started {}, against {}; passed: {}). No peer: the same story by hand \
         with qemu-img, openstack and virsh has no single command to time.",
        path.display(),
        doc["run"].as_str().unwrap_or("?"),
        doc["started_at"].as_str().unwrap_or("?"),
        doc["cloud"].as_str().unwrap_or("?"),
        doc["passed"]
    ));
    Ok(section)
}

/// One row per step (its outcome beside its name unless ok), and the total.
fn fill(section: &mut Section, doc: &Value) {
    let no_peer = || Cell::Absent("—".into());
    for step in doc["steps"].as_array().into_iter().flatten() {
        let name = step["name"].as_str().unwrap_or("?");
        let outcome = step["outcome"].as_str().unwrap_or("?");
        let figure = if outcome == "ok" {
            name.to_owned()
        } else {
            format!("{name} ({outcome})")
        };
        let seconds = step["seconds"]
            .as_f64()
            .map_or_else(|| Cell::Absent("no time".into()), Cell::Value);
        section.row(figure, Unit::Seconds, seconds, no_peer());
    }
    if let Some(total) = doc["total_seconds"].as_f64() {
        section.row("total", Unit::Seconds, total.into(), no_peer());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_become_rows_and_a_missing_file_says_how_to_make_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = run(dir.path()).unwrap();
        assert!(missing.rows.is_empty());
        assert!(missing.notes[0].contains("run `cargo xtask smoke` first"));
        std::fs::write(
            dir.path().join("smoke.json"),
            r#"{"run": "r1", "steps": [
                {"name": "build image", "seconds": 1.5, "outcome": "ok"},
                {"name": "boot", "seconds": 0.0, "outcome": "failed"}],
                "passed": false, "total_seconds": 1.5}"#,
        )
        .unwrap();
        let s = run(dir.path()).unwrap();
        let md = s.markdown();
        assert!(md.contains("| build image | 1.50 s | — | — |"), "{md}");
        assert!(md.contains("| boot (failed) |"), "{md}");
        assert!(md.contains("| total | 1.50 s |"), "{md}");
        std::fs::write(dir.path().join("smoke.json"), "not json").unwrap();
        let err = run(dir.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains("smoke.json is not JSON"),
            "{err:#}"
        );
    }
}
