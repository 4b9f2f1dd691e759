//! The mock cloud under 16 concurrent clients (uploading, listing, and both at once), and as
//! its image store fills to 10,000 images: with a state directory, where every change is
//! written durably as for a user's `--state-dir`, beside the same cloud in memory.

use anyhow::Result;
use serde_json::Value;

use super::load::spawn;
use super::mock::MockProcess;
use super::report::{Cell, Section, Unit};
use super::{Plan, scratch};
use xtask::step;

/// Clients at once in every cell.
const CLIENTS: usize = 16;
/// Bytes of each upload.
const UPLOAD_BYTES: usize = 4 << 20;
/// Images stored before the concurrent cells, so that every list is a full first page.
const STORED: usize = 100;

/// The cells: a label, and the probe's mix of clients.
const CELLS: &[(&str, &str)] = &[
    ("16 uploading", "upload=16"),
    ("16 listing", "images=16"),
    ("8 uploading + 8 listing", "upload=8,images=8"),
];

/// The two clouds compared: ours = persistent, peer = in memory.
fn clouds(plan_dir: &str, tools: &super::measure::Tools) -> Result<(MockProcess, MockProcess)> {
    let persistent = MockProcess::start_persistent(tools, &scratch(tools, plan_dir)?)?;
    let memory = MockProcess::start(tools, &scratch(tools, &format!("{plan_dir}-memory"))?)?;
    Ok((persistent, memory))
}

/// The figure `key` of `kind` in a load probe's answer.
fn figure(answer: &Value, kind: &str, key: &str) -> Cell {
    Cell::Value(answer["kinds"][kind][key].as_f64().unwrap_or(f64::NAN))
}

/// Errors the probe counted, for the notes.
fn errors(answer: &Value) -> u64 {
    answer["kinds"].as_object().map_or(0, |kinds| {
        kinds.values().filter_map(|k| k["errors"].as_u64()).sum()
    })
}

/// Measures the concurrent section.
pub fn concurrent(tools: &super::measure::Tools, plan: &Plan) -> Result<Section> {
    let (persistent, memory) = clouds("throughput", tools)?;
    persistent.seed_images(STORED, "bench")?;
    memory.seed_images(STORED, "bench")?;
    let mut section = Section::new(
        "throughput",
        &format!("Mock cloud under {CLIENTS} concurrent clients"),
        "mock-cloud --state-dir",
        "mock-cloud in memory",
    );
    let mut failed = Vec::new();
    for (label, mix) in CELLS {
        step(format!(
            "throughput: {label} ({mix}), {:.0} s each, --state-dir and in memory",
            plan.load_seconds
        ));
        let args = [
            "--mix".to_owned(),
            (*mix).to_owned(),
            "--seconds".to_owned(),
            plan.load_seconds.to_string(),
            "--bytes".to_owned(),
            UPLOAD_BYTES.to_string(),
        ];
        let ours = spawn(tools, &persistent.endpoints(), "load", &args)?;
        let peer = spawn(tools, &memory.endpoints(), "load", &args)?;
        for (side, answer) in [("--state-dir", &ours), ("in memory", &peer)] {
            if errors(answer) > 0 {
                failed.push(format!(
                    "{label} ({side}): {} failed requests",
                    errors(answer)
                ));
            }
        }
        let rows: &[(&str, &str, &str, Unit)] = &[
            ("upload", "per_second", "uploads/s", Unit::PerSecond),
            (
                "upload",
                "megabytes_per_second",
                "upload MB/s",
                Unit::MegabytesPerSecond,
            ),
            ("upload", "p99_ms", "upload p99", Unit::Millis),
            ("images", "per_second", "list requests/s", Unit::PerSecond),
            ("images", "p99_ms", "list p99", Unit::Millis),
        ];
        for (kind, key, name, unit) in rows {
            if ours["kinds"].get(kind).is_some() {
                section.row(
                    format!("{label}: {name}"),
                    *unit,
                    figure(&ours, kind, key),
                    figure(&peer, kind, key),
                );
            }
        }
    }
    section.note(format!(
        "Each client sends its next request when the last answered, {:.0} s per cell after one \
         warm-up request each (all at once); a release-built Rust client (tokio + reqwest, keep-alive) on the \
         same 2 cores as the server. An upload is POST /v2/images, PUT of {} MiB of random \
         data (the request counted and timed), DELETE. A list is GET /v2/images, the first \
         page of {STORED} stored images (default limit 25). Ratio = --state-dir / in memory.",
        plan.load_seconds,
        UPLOAD_BYTES >> 20
    ));
    for failure in failed {
        section.note(failure);
    }
    Ok(section)
}

/// Measures the section of a filling store.
pub fn growth(tools: &super::measure::Tools, plan: &Plan) -> Result<Section> {
    let levels = plan
        .growth_levels
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let largest = plan.growth_levels.last().copied().unwrap_or(0);
    let mut section = Section::new(
        "growth",
        &format!("Mock cloud as it fills to {largest} images"),
        "mock-cloud --state-dir",
        "mock-cloud in memory",
    );
    let (persistent, memory) = clouds("growth", tools)?;
    let args = [
        "--levels".to_owned(),
        levels.clone(),
        "--clients".to_owned(),
        CLIENTS.to_string(),
        "--window".to_owned(),
        plan.growth_window.to_string(),
        "--list-seconds".to_owned(),
        plan.load_seconds.to_string(),
    ];
    step(format!(
        "growth: creates and lists at {levels} images, {CLIENTS} clients, --state-dir"
    ));
    let ours = spawn(tools, &persistent.endpoints(), "growth", &args)?;
    drop(persistent);
    step(format!(
        "growth: creates and lists at {levels} images, {CLIENTS} clients, in memory"
    ));
    let peer = spawn(tools, &memory.endpoints(), "growth", &args)?;
    let level = |answer: &Value, i: usize, key: &str| {
        Cell::Value(answer["levels"][i][key].as_f64().unwrap_or(f64::NAN))
    };
    let rows: &[(&str, &str, Unit)] = &[
        ("creates_per_second", "creates/s", Unit::PerSecond),
        ("create_p99_ms", "create p99", Unit::Millis),
        ("list_per_second", "list requests/s", Unit::PerSecond),
        ("list_p99_ms", "list p99", Unit::Millis),
    ];
    for (key, name, unit) in rows {
        for (i, count) in plan.growth_levels.iter().enumerate() {
            section.row(
                format!("{name} at {count} images"),
                *unit,
                level(&ours, i, key),
                level(&peer, i, key),
            );
        }
    }
    // Whether the rates hold as the store fills: the largest level's against the empty one.
    let last = plan.growth_levels.len().saturating_sub(1);
    for (key, name) in [
        ("creates_per_second", "creates/s"),
        ("list_per_second", "list requests/s"),
    ] {
        let held = |answer: &Value| {
            let at = |i: usize| answer["levels"][i][key].as_f64().unwrap_or(f64::NAN);
            Cell::Value(at(last) / at(0))
        };
        section.row(
            format!("{name} at {largest} images / at 0"),
            Unit::Share,
            held(&ours),
            held(&peer),
        );
    }
    section.note(format!(
        "{CLIENTS} clients create images (POST /v2/images) until each level, then {} more \
         creates are timed there, then {:.0} s of first-page lists (GET /v2/images, limit 25) \
         with {CLIENTS} clients. Ratio = --state-dir / in memory; the last two rows say how \
         much of its rate each cloud keeps at {largest} images (100 % = none lost).",
        plan.growth_window, plan.load_seconds
    ));
    for (side, answer) in [("--state-dir", &ours), ("in memory", &peer)] {
        let failed: u64 = answer["levels"]
            .as_array()
            .map_or(0, |l| l.iter().filter_map(|r| r["errors"].as_u64()).sum());
        if failed > 0 {
            section.note(format!("{side}: {failed} requests failed"));
        }
    }
    Ok(section)
}
