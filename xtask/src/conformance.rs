//! `cargo xtask conformance`: real Keystone + Glance side by side with the mock cloud.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::real_cloud::{self, RealCloud};
use crate::{step, workspace_root};

/// Brings up the real services, checks them with the real client, and stops them.
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
    step("conformance passed");
    drop(cloud);
    Ok(())
}
