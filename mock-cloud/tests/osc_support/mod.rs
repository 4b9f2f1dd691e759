//! What the tests that run the real python-openstackclient share: the `openstack` of the test
//! venv, and a clouds.yaml naming a mock cloud as the `demo` user.
//!
//! `cargo xtask test` installs the client into `target/venv/clients` (pinned versions) and
//! points `FERROSTACK_CLIENT_VENV` at it. Without it these tests FAIL, naming the fix.

// Each test crate uses its own part of this.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mock_cloud::MockCloud;
use serde_json::Value;

/// The `openstack` executable from the test venv.
pub fn openstack_bin() -> PathBuf {
    let venv = std::env::var_os("FERROSTACK_CLIENT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/clients"));
    let bin = venv.join("bin/openstack");
    assert!(
        bin.exists(),
        "python-openstackclient is not installed at {}: run `cargo xtask test`, which \
         creates that venv, or set FERROSTACK_CLIENT_VENV to a venv that has it",
        bin.display()
    );
    bin
}

/// `openstack --os-cloud mock-demo` against one cloud, from a folder of its own.
pub struct Osc {
    /// Holds clouds.yaml; also the client's HOME and working folder.
    pub dir: tempfile::TempDir,
}

impl Osc {
    /// A clouds.yaml whose `mock-demo` entry is `cloud`'s demo user in project demo.
    pub fn demo(cloud: &MockCloud) -> Osc {
        let dir = tempfile::tempdir().unwrap();
        let env = cloud.env("demo").unwrap();
        let clouds_yaml = format!(
            "clouds:\n  mock-demo:\n    auth:\n      auth_url: {}\n      username: demo\n      password: demo\n      project_name: demo\n      user_domain_id: default\n      project_domain_id: default\n    region_name: RegionOne\n    identity_api_version: 3\n",
            env["OS_AUTH_URL"]
        );
        std::fs::write(dir.path().join("clouds.yaml"), clouds_yaml).unwrap();
        Osc { dir }
    }

    /// `openstack --os-cloud mock-demo ARGS...`: stdout, or a panic with stderr.
    pub async fn run(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(openstack_bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("OS_CLIENT_CONFIG_FILE", self.dir.path().join("clouds.yaml"))
            .current_dir(self.dir.path())
            .args(["--os-cloud", "mock-demo"])
            .args(args);
        let output = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .expect("openstack runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "openstack {} failed:\n{}\n{stdout}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// [`Osc::run`] with `-f json`, parsed.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.run(&all).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}
