//! `cargo xtask conformance [--case TEXT] [--with-nova] [--with-neutron]`: real Keystone +
//! Glance (and Nova, Neutron) side by side with the mock cloud.
//!
//! 1. python-openstackclient against the real services (the venv and the setup work);
//! 2. the differential check: the same raw requests to both, answers compared;
//! 3. the SDK conformance suite (crates/conformance) against the real services and against
//!    a mock cloud at the same time, as a `case | real | mock` table. Real Keystone + Glance
//!    have no network service, so the network cases run against the mock alone (`skipped`
//!    on real); with `--with-neutron` they run again, against real Neutron and a fresh mock,
//!    in a table of their own.
//!
//! It fails if any case fails on either backend. The real services are stopped when it ends,
//! fails, or is interrupted (Ctrl-C or SIGTERM).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ferrostack_conformance::{Case, DOMAIN_ADMIN, MOCK_SEED, Report, Target};
use serde_json::{Value, json};

use crate::differential::{self, Backend};
use crate::real_cloud::{self, ADMIN_PASSWORD, DEMO_PASSWORD, RealCloud, issue_token};
use xtask::{flag_value, step, workspace_root};

/// Brings up the real services and mock clouds, runs the checks, and stops them all.
pub fn run(args: &[String]) -> Result<()> {
    let filter: Option<String> = flag_value(args, "--case")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let venv = real_cloud::services_venv()?;
    // A folder per run: two runs at once (two engineers, one target folder) must not wipe
    // each other's databases.
    let dir = workspace_root()
        .join("target/conformance")
        .join(format!("run-{}", std::process::id()));
    let cloud = RealCloud::start(&venv, &dir.join("real"))?;
    stop_on_interrupt(&runtime, cloud.pids());
    let clouds_yaml = dir.join("clouds.yaml");
    std::fs::write(&clouds_yaml, cloud.clouds_yaml())?;

    step("python-openstackclient against real Keystone + Glance");
    for args in [
        &["token", "issue", "-f", "value", "-c", "project_id"][..],
        &["image", "list", "-f", "value"][..],
    ] {
        let out = Command::new(venv.bin().join("openstack"))
            .env("OS_CLIENT_CONFIG_FILE", &clouds_yaml)
            .args(["--os-cloud", "real-admin"])
            .args(args)
            .output()
            .context("running openstack")?;
        if !out.status.success() {
            bail!(
                "openstack {} against real services failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // The differential check first: it expects the clouds as they start, and the suite
    // (whose cases each find their own images by a tag of their own) does not care.
    let differing = if filter.is_none() {
        differential_check(&runtime, &cloud)?
    } else {
        step("differential check skipped: --case runs only the suite's matching cases");
        0
    };
    add_domain_admin(&cloud)?;
    step("the SDK conformance suite against real Keystone + Glance and the mock cloud");
    let mut suite = run_suite(
        &runtime,
        &Suite {
            cloud: &cloud,
            dir: &dir,
            filter: filter.as_deref(),
            cases: &ferrostack_conformance::cases(),
            real_network: false,
            scratch: "keystone-glance",
        },
    )?;
    let differing = differing + crate::real_nova::check_if_asked(args, &cloud, &dir)?;
    let (network_differing, network_suite) =
        crate::real_neutron::check_if_asked(args, &cloud, &dir, filter.as_deref())?;
    let differing = differing + network_differing;
    suite.extend(network_suite);
    drop(cloud);

    let failed: Vec<String> = suite
        .iter()
        .flat_map(|r| {
            r.outcomes
                .iter()
                .filter(|o| o.error.is_some())
                .map(move |o| format!("{} on {}", o.case, r.target))
        })
        .collect();
    if !failed.is_empty() || differing > 0 {
        step(format!(
            "logs and databases of the real services kept in {}",
            dir.display()
        ));
        bail!(
            "conformance failed: {} suite case runs failed ({}), {differing} differential cases differ",
            failed.len(),
            failed.join(", ")
        );
    }
    // Passed: nothing to look at (the stored images alone are tens of MiB).
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    // A case skipped on real Keystone + Glance may have run later against real Neutron.
    let ran_on_real: std::collections::BTreeSet<&str> = suite
        .iter()
        .filter(|r| r.target == "real")
        .flat_map(|r| r.outcomes.iter().map(|o| o.case.as_str()))
        .collect();
    let mock_alone: std::collections::BTreeSet<&str> = suite
        .iter()
        .filter(|r| r.target == "real")
        .flat_map(|r| r.skipped.iter().map(String::as_str))
        .filter(|case| !ran_on_real.contains(case))
        .collect();
    step(format!(
        "conformance passed ({} suite cases on both backends, {} on the mock alone: \
         no real Neutron without --with-neutron)",
        ran_on_real.len(),
        mock_alone.len()
    ));
    Ok(())
}

/// One run of (part of) the SDK suite against the real services and a mock cloud.
pub(crate) struct Suite<'a> {
    /// The real Keystone (and Glance; Neutron when registered in its catalog).
    pub cloud: &'a RealCloud,
    /// The run's folder (scratch space goes under `scratch/`).
    pub dir: &'a Path,
    /// `--case`: only the cases whose name contains it.
    pub filter: Option<&'a str>,
    /// The cases to run.
    pub cases: &'a [Case],
    /// Whether the real target has a network service (real Neutron in its catalog); the
    /// network cases are skipped on it otherwise.
    pub real_network: bool,
    /// The scratch folders' name, distinct for each run.
    pub scratch: &'a str,
}

/// The SDK suite against the real services and a seeded mock cloud, concurrently; prints
/// the table and every failure. The real Keystone must have [`DOMAIN_ADMIN`] already.
pub(crate) fn run_suite(runtime: &tokio::runtime::Runtime, run: &Suite<'_>) -> Result<Vec<Report>> {
    let seed = mock_cloud::Seed::parse(MOCK_SEED, false)?;
    let mock = runtime.block_on(mock_cloud::MockCloud::builder().seed(seed).start())?;
    let scratch = |name: &str| -> Result<std::path::PathBuf> {
        let path = run.dir.join("scratch").join(run.scratch).join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(path)
    };
    let mut real = Target::standard(
        "real",
        &format!("{}/v3", run.cloud.keystone_url),
        &scratch("real")?,
    );
    if !run.real_network {
        real = real.without_network();
    }
    let fake = Target::standard("mock", &mock.auth_url(), &scratch("mock")?);
    let started = Instant::now();
    let reports = runtime.block_on(async {
        let (real, fake) = tokio::join!(
            ferrostack_conformance::run_cases(&real, run.cases, run.filter),
            ferrostack_conformance::run_cases(&fake, run.cases, run.filter)
        );
        vec![real, fake]
    });
    let wall = started.elapsed();
    drop(mock);
    println!(
        "\n{}",
        ferrostack_conformance::table(&[&reports[0], &reports[1]])
    );
    for report in &reports {
        let failures = report.failures();
        if !failures.is_empty() {
            println!("{failures}");
        }
    }
    step(format!(
        "suite: {:.1} s wall (real {:.1} s, mock {:.1} s, side by side)",
        wall.as_secs_f64(),
        reports[0].elapsed().as_secs_f64(),
        reports[1].elapsed().as_secs_f64()
    ));
    Ok(reports)
}

/// Gives the real Keystone the account the mock seeds from [`MOCK_SEED`]: a user whose only
/// role is admin on domain `default` (what a domain-scoped token needs).
fn add_domain_admin(cloud: &RealCloud) -> Result<()> {
    let keystone = format!("{}/v3", cloud.keystone_url);
    let http = reqwest::blocking::Client::new();
    let token = issue_token(&http, &keystone, "admin", ADMIN_PASSWORD, "admin")?;
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| -> Result<Value> {
        let mut request = http
            .request(method.clone(), format!("{keystone}{path}"))
            .header("X-Auth-Token", &token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            bail!("keystone {method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let user = call(
        reqwest::Method::POST,
        "/users",
        Some(json!({"user": {"name": DOMAIN_ADMIN.user,
            "password": DOMAIN_ADMIN.password, "domain_id": "default"}})),
    )?;
    let user_id = user["user"]["id"]
        .as_str()
        .context("no user.id")?
        .to_owned();
    let roles = call(reqwest::Method::GET, "/roles?name=admin", None)?;
    let role_id = roles["roles"][0]["id"]
        .as_str()
        .context("keystone has no admin role")?
        .to_owned();
    call(
        reqwest::Method::PUT,
        &format!("/domains/default/users/{user_id}/roles/{role_id}"),
        None,
    )?;
    Ok(())
}

/// On Ctrl-C or SIGTERM, stops the real services (SIGTERM to each gunicorn master) and
/// exits: the main thread may be blocked in a synchronous step that cannot be cancelled.
/// A terminal's Ctrl-C during start-up reaches gunicorn directly (same process group).
fn stop_on_interrupt(runtime: &tokio::runtime::Runtime, pids: Vec<u32>) {
    use tokio::signal::unix::{SignalKind, signal};
    runtime.spawn(async move {
        let Ok(mut interrupt) = signal(SignalKind::interrupt()) else {
            return;
        };
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        eprintln!("\ninterrupted: stopping the real Keystone and Glance");
        for pid in &pids {
            crate::signal::send(*pid, crate::signal::Signal::TERM);
        }
        std::process::exit(130);
    });
}

/// The raw-HTTP differential check; returns how many cases differ.
fn differential_check(runtime: &tokio::runtime::Runtime, cloud: &RealCloud) -> Result<usize> {
    step("differential check: the same raw requests to real Keystone + Glance and to the mock");
    let mock = runtime.block_on(mock_cloud::MockCloud::start())?;
    let http = reqwest::blocking::Client::new();
    let backend = |name, identity: String, image: String| -> Result<Backend> {
        let admin = issue_token(
            &http,
            &format!("{identity}/v3"),
            "admin",
            ADMIN_PASSWORD,
            "admin",
        )
        .with_context(|| format!("admin token from {name}"))?;
        let demo = issue_token(
            &http,
            &format!("{identity}/v3"),
            "demo",
            DEMO_PASSWORD,
            "demo",
        )
        .with_context(|| format!("demo token from {name}"))?;
        Ok(Backend::new(name, identity, image, admin, demo))
    };
    let mut real = backend("real", cloud.keystone_url.clone(), cloud.glance_url.clone())?;
    let mut fake = backend(
        "mock",
        format!("{}/identity", mock.base_url()),
        format!("{}/image", mock.base_url()),
    )?;
    let cases = differential::cases(ADMIN_PASSWORD)?;
    let started = Instant::now();
    let rows = differential::run(&cases, &mut real, &mut fake)?;
    let elapsed = started.elapsed();
    let differing = differential::print_rows("identity and image", &rows);
    step(format!(
        "differential check: {} cases, {differing} differ ({:.1} s)",
        rows.len(),
        elapsed.as_secs_f64()
    ));
    Ok(differing)
}
