//! `cargo xtask conformance`: real Keystone + Glance side by side with the mock cloud.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::differential::{self, Backend};
use crate::real_cloud::{self, ADMIN_PASSWORD, DEMO_PASSWORD, RealCloud, issue_token};
use crate::{step, workspace_root};

/// Brings up the real services and a mock cloud, runs the checks, and stops both.
pub fn run(_args: &[String]) -> Result<()> {
    let venv = real_cloud::services_venv()?;
    let dir = workspace_root().join("target/conformance");
    let cloud = RealCloud::start(&venv, &dir.join("real"))?;
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

    step("differential check: the same raw requests to real Keystone + Glance and to the mock");
    let runtime = tokio::runtime::Runtime::new()?;
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
    let cases = differential::cases(ADMIN_PASSWORD);
    let rows = differential::run(&cases, &mut real, &mut fake)?;
    println!("\n| case | real | mock | |\n|---|---|---|---|");
    for row in &rows {
        let mark = if row.difference.is_some() {
            "DIFFERS"
        } else {
            "ok"
        };
        println!("| {} | {} | {} | {mark} |", row.name, row.real, row.mock);
    }
    let differing: Vec<_> = rows.iter().filter(|r| r.difference.is_some()).collect();
    for row in &differing {
        println!(
            "\n{}: {}",
            row.name,
            row.difference.as_deref().unwrap_or_default()
        );
    }
    drop(mock);
    drop(cloud);
    if !differing.is_empty() {
        bail!(
            "{} of {} differential cases differ between real services and the mock",
            differing.len(),
            rows.len()
        );
    }
    step(format!(
        "conformance passed ({} differential cases)",
        rows.len()
    ));
    Ok(())
}
