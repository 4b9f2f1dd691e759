//! Listing many images: the SDK's stream (which follows Glance's `next` links) against
//! openstacksdk's `list_images()`, same mock cloud: wall time and peak memory of each process.

use anyhow::{Result, bail};

use super::cli::client_command;
use super::measure::{Sample, Tools, measure, medians};
use super::mock::MockProcess;
use super::report::{Section, Unit};
use super::{Plan, scratch};
use xtask::step;

const PEER_SCRIPT: &str = "import openstack\n\
    conn = openstack.connect()\n\
    print(len(conn.list_images()))\n";

/// Measures the section.
pub fn run(tools: &Tools, plan: &Plan) -> Result<Section> {
    let n = plan.list_images;
    step(format!(
        "listing: SDK stream vs openstacksdk list_images, {n} images, {} runs each",
        plan.list_runs
    ));
    let mock = MockProcess::start(tools, &scratch(tools, "listing")?)?;
    mock.seed_images(n, "bench")?;
    let mut ours_cmd = client_command(&tools.devtools, &[], &mock.clouds_yaml, "mock-admin");
    ours_cmd.args(["bench", "probe", "list", "--cloud", "mock-admin"]);
    let peer_cmd = client_command(
        &tools.python,
        &["-c", PEER_SCRIPT],
        &mock.clouds_yaml,
        "mock-admin",
    );

    let mut ours: Vec<Sample> = Vec::new();
    let mut peer: Vec<Sample> = Vec::new();
    let mut requests = (0, 0);
    let mut counts = (0, 0);
    for run in 0..plan.list_runs {
        mock.clear_journal()?;
        let sample = measure(tools, &ours_cmd)?;
        let listed = mock
            .journal()?
            .iter()
            .filter(|e| e.1.ends_with("/v2/images"))
            .count();
        counts.0 = sample.json()?["count"].as_u64().unwrap_or(0);
        ours.push(sample);
        mock.clear_journal()?;
        let sample = measure(tools, &peer_cmd)?;
        let peer_listed = mock
            .journal()?
            .iter()
            .filter(|e| e.1.ends_with("/v2/images"))
            .count();
        counts.1 = sample.stdout.trim().parse().unwrap_or(0);
        peer.push(sample);
        if run == 0 {
            requests = (listed, peer_listed);
        }
    }
    if counts.0 < n as u64 || counts.1 < n as u64 {
        bail!(
            "listing: expected at least {n} images, the SDK saw {} and openstacksdk {}",
            counts.0,
            counts.1
        );
    }
    let (ours_wall, ours_rss) = medians(&ours);
    let (peer_wall, peer_rss) = medians(&peer);
    let mut section = Section::new(
        "listing",
        &format!("Listing {n} images"),
        "SDK stream",
        "openstacksdk list_images()",
    );
    section.row(
        "wall time",
        Unit::Seconds,
        ours_wall.into(),
        peer_wall.into(),
    );
    section.row("peak RSS", Unit::Kib, ours_rss.into(), peer_rss.into());
    section.row(
        "images listed",
        Unit::Count,
        (counts.0 as f64).into(),
        (counts.1 as f64).into(),
    );
    section.row(
        "GET /v2/images requests",
        Unit::Count,
        (requests.0 as f64).into(),
        (requests.1 as f64).into(),
    );
    section.note(format!(
        "Median of {} runs each, interleaved; whole process, authentication included. Both \
         use the server's default page size (25) and follow its `next` links; the SDK counts \
         the images as they stream, openstacksdk builds the list.",
        plan.list_runs
    ));
    Ok(section)
}
