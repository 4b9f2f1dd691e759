//! CLI: `fstack` against `openstack` (python-openstackclient 10.5), same commands, same mock
//! cloud with 50 images: median wall time and peak RSS of the whole process.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use super::measure::{Sample, Tools, measure, medians};
use super::mock::MockProcess;
use super::report::{Cell, Section, Unit};
use super::{Plan, scratch};
use xtask::step;

/// The commands compared, as both tools spell them.
const COMMANDS: &[&[&str]] = &[
    &["image", "list"],
    &["image", "show", "bench-00007"],
    &["token", "issue"],
    &["server", "list"],
    &["network", "list"],
];

/// A command of either tool against the cloud, with nothing of the caller's `OS_*` leaking in.
pub fn client_command(program: &Path, args: &[&str], clouds_yaml: &Path, cloud: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("OS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("OS_CLIENT_CONFIG_FILE", clouds_yaml)
        .env("OS_CLOUD", cloud);
    cmd
}

/// Measures the section.
pub fn run(tools: &Tools, plan: &Plan) -> Result<Section> {
    step(format!(
        "CLI: fstack vs openstack, {} runs each, mock cloud with 50 images",
        plan.cli_runs
    ));
    let mock = MockProcess::start(tools, &scratch(tools, "cli")?)?;
    mock.seed_images(50, "bench")?;
    let mut section = Section::new(
        "cli",
        "CLI against the mock cloud (50 images)",
        "fstack",
        "openstack",
    );
    for args in COMMANDS {
        let name = args.join(" ");
        let peer_cmd = client_command(&tools.openstack, args, &mock.clouds_yaml, "mock-admin");
        let ours_cmd = tools
            .fstack
            .as_ref()
            .map(|fstack| client_command(fstack, args, &mock.clouds_yaml, "mock-admin"));
        // One unmeasured run each warms the page cache (Python imports above all).
        measure(tools, &peer_cmd)?;
        let mut ours_failed = None;
        if let Ok(cmd) = &ours_cmd
            && let Err(e) = measure(tools, cmd)
        {
            ours_failed = Some(format!("fstack failed: {}", first_line(&e)));
        }
        let mut ours: Vec<Sample> = Vec::new();
        let mut peer: Vec<Sample> = Vec::new();
        // Interleaved, so that drift in the machine's load hits both sides alike.
        for _ in 0..plan.cli_runs {
            if let (Ok(cmd), None) = (&ours_cmd, &ours_failed) {
                match measure(tools, cmd) {
                    Ok(s) => ours.push(s),
                    Err(e) => ours_failed = Some(format!("fstack failed: {}", first_line(&e))),
                }
            }
            peer.push(measure(tools, &peer_cmd)?);
        }
        let (peer_wall, peer_rss) = medians(&peer);
        let (ours_wall, ours_rss) = match (&ours_cmd, &ours_failed) {
            (Err(why), _) => (
                Cell::Absent(format!("fstack not built yet ({why})")),
                Cell::Absent("fstack not built yet".into()),
            ),
            (_, Some(why)) => (Cell::Absent(why.clone()), Cell::Absent(why.clone())),
            _ => {
                let (w, r) = medians(&ours);
                (w.into(), r.into())
            }
        };
        section.row(
            format!("`{name}`: wall time"),
            Unit::Seconds,
            ours_wall,
            peer_wall.into(),
        );
        section.row(
            format!("`{name}`: peak RSS"),
            Unit::Kib,
            ours_rss,
            peer_rss.into(),
        );
    }
    section.note(format!(
        "Median of {} runs per command and tool after one warm-up run, interleaved; whole \
         process (start-up, auth, request, output); OS_CLOUD=mock-admin from the same clouds.yaml.",
        plan.cli_runs
    ));
    if let Err(why) = &tools.fstack {
        section.note(format!(
            "fstack not built yet: `cargo build --release -p ferrostack-cli` said: {why}"
        ));
    }
    Ok(section)
}

/// The first line of an error chain, short enough for a table cell.
fn first_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}
