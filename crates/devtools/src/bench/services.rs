//! The mock cloud against real Keystone 30 + Glance 33 (gunicorn, sqlite, file store): cold
//! start to the first token and image list, idle memory, and a closed-loop load of token
//! issues and image lists with 1 and 8 concurrent clients.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::measure::Tools;
use super::mock::{Endpoints, MockProcess, rss_of_processes_in};
use super::report::{Cell, Section, Unit, median};
use super::{Plan, scratch};
use crate::real_cloud::{self, RealCloud};
use xtask::step;

/// The load cells: what is requested, and by how many clients at once.
const LOADS: &[(&str, &str, usize)] = &[
    ("token", "token issue", 1),
    ("token", "token issue", 8),
    ("images", "GET /v2/images", 1),
    ("images", "GET /v2/images", 8),
];

/// Measures the section; hands back the real services, still running, for the transfers.
pub fn run(tools: &Tools, plan: &Plan) -> Result<(Section, Option<RealCloud>)> {
    let mut section = Section::new(
        "services",
        "Mock cloud vs real Keystone + Glance",
        "mock-cloud",
        "Keystone 30 + Glance 33",
    );
    step(format!(
        "services: mock-cloud cold start to first token and image list, {} times",
        plan.cold_starts
    ));
    let dir = scratch(tools, "services")?;
    let mut cold = Vec::new();
    let mut mock = None;
    for _ in 0..plan.cold_starts {
        drop(mock.take());
        let started = Instant::now();
        let started_mock = MockProcess::start(tools, &dir)?;
        started_mock.endpoints().first_token_and_list()?;
        cold.push(started.elapsed().as_secs_f64());
        mock = Some(started_mock);
    }
    let mock = mock.context("no cold start ran")?;
    let mock_rss = mock.rss_kib()?;

    step("services: real Keystone + Glance cold start (fresh databases) to first token and list");
    let (real_cloud, real_cold, real_rss) = match start_real(tools) {
        Ok((cloud, seconds, rss)) => (Some(cloud), Cell::Value(seconds), Cell::Value(rss)),
        Err(e) => {
            let text = format!("{e:#}");
            let why = format!("did not start: {}", text.lines().next().unwrap_or(""));
            eprintln!("real Keystone + Glance {why}");
            (None, Cell::Absent(why.clone()), Cell::Absent(why))
        }
    };
    section.row(
        "cold start to first token + image list",
        Unit::Seconds,
        median(&cold).into(),
        real_cold,
    );
    section.row(
        "idle RSS (all processes)",
        Unit::Kib,
        mock_rss.into(),
        real_rss,
    );

    let mock_endpoints = mock.endpoints();
    let real_endpoints = real_cloud.as_ref().map(|r| Endpoints {
        auth_url: format!("{}/v3", r.keystone_url),
        image_url: r.glance_url.clone(),
    });
    for (kind, label, clients) in LOADS {
        step(format!(
            "services: {label}, {clients} client(s), {:.0} s each side",
            plan.load_seconds
        ));
        let ours = load(tools, &mock_endpoints, kind, *clients, plan.load_seconds)?;
        let peer = match &real_endpoints {
            Some(endpoints) => load(tools, endpoints, kind, *clients, plan.load_seconds)
                .map_err(|e| format!("failed: {e:#}")),
            None => Err("did not start".to_owned()),
        };
        let theirs = |key: &str| match &peer {
            Ok(v) => Cell::Value(v[key].as_f64().unwrap_or(f64::NAN)),
            Err(why) => Cell::Absent(why.clone()),
        };
        let ours = |key: &str| Cell::Value(ours[key].as_f64().unwrap_or(f64::NAN));
        let who = format!(
            "{label}, {clients} client{}",
            if *clients == 1 { "" } else { "s" }
        );
        section.row(
            format!("{who}: requests/s"),
            Unit::PerSecond,
            ours("per_second"),
            theirs("per_second"),
        );
        section.row(
            format!("{who}: p50"),
            Unit::Millis,
            ours("p50_ms"),
            theirs("p50_ms"),
        );
        section.row(
            format!("{who}: p99"),
            Unit::Millis,
            ours("p99_ms"),
            theirs("p99_ms"),
        );
    }
    section.note(format!(
        "Cold start: from spawning the server(s) with fresh state to the first answered token \
         and image list (mock: median of {}; real: once, including keystone-manage and \
         glance-manage db_sync, bootstrap and registration over HTTP). Idle RSS after that \
         first list (real: every gunicorn master and worker of both services).",
        plan.cold_starts
    ));
    section.note(format!(
        "Load: a release-built Rust client (tokio + reqwest, keep-alive), N clients each \
         sending the next request when the last answered, {:.0} s per cell after one warm-up \
         request each; it shares the machine's 2 cores with the server. The real services run \
         as shared/REAL-OPENSTACK.md says: one gunicorn gthread worker with 4 threads each, \
         in-memory token cache.",
        plan.load_seconds
    ));
    Ok((section, real_cloud))
}

/// Starts the real pair; its cold-start seconds and idle RSS (KiB).
fn start_real(tools: &Tools) -> Result<(RealCloud, f64, f64)> {
    let venv = real_cloud::services_venv()?;
    let dir = scratch(tools, "real-cloud")?;
    let started = Instant::now();
    let cloud = RealCloud::start(&venv, &dir)?;
    let endpoints = Endpoints {
        auth_url: format!("{}/v3", cloud.keystone_url),
        image_url: cloud.glance_url.clone(),
    };
    endpoints.first_token_and_list()?;
    let seconds = started.elapsed().as_secs_f64();
    let (rss, processes) = rss_of_processes_in(&dir)?;
    // Two gunicorn masters, each with its worker.
    if processes < 4 {
        bail!(
            "found {processes} processes working in {}, expected the 4 of two gunicorns",
            dir.display()
        );
    }
    Ok((cloud, seconds, rss))
}

/// The load probe's figures for `clients` of one kind against one cloud.
fn load(tools: &Tools, e: &Endpoints, kind: &str, clients: usize, seconds: f64) -> Result<Value> {
    let args = [
        "--mix".to_owned(),
        format!("{kind}={clients}"),
        "--seconds".to_owned(),
        seconds.to_string(),
    ];
    Ok(super::load::spawn(tools, e, "load", &args)?["kinds"][kind].clone())
}
