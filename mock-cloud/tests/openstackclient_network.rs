//! The real python-openstackclient's network commands against the mock cloud: with a
//! `network` service in the catalog, OSC takes every `--network`, security-group and
//! floating-IP path through Neutron.
//!
//! Needs `FERROSTACK_CLIENT_VENV` (or `target/venv/clients`), as `openstackclient.rs` does.

use std::path::{Path, PathBuf};
use std::process::Command;

use mock_cloud::MockCloud;
use serde_json::Value;

fn openstack_bin() -> PathBuf {
    let venv = std::env::var_os("FERROSTACK_CLIENT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/clients"));
    let bin = venv.join("bin/openstack");
    assert!(
        bin.exists(),
        "python-openstackclient is not installed at {}: run `cargo xtask test`, or set \
         FERROSTACK_CLIENT_VENV to a venv that has it",
        bin.display()
    );
    bin
}

/// A cloud and a clouds.yaml with its `mock-demo` entry.
struct Harness {
    _cloud: MockCloud,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let cloud = MockCloud::start().await.expect("mock cloud starts");
        let dir = tempfile::tempdir().unwrap();
        let env = cloud.env("demo").unwrap();
        let clouds_yaml = format!(
            "clouds:\n  mock-demo:\n    auth:\n      auth_url: {}\n      username: demo\n      password: demo\n      project_name: demo\n      user_domain_id: default\n      project_domain_id: default\n    region_name: RegionOne\n    identity_api_version: 3\n",
            env["OS_AUTH_URL"]
        );
        std::fs::write(dir.path().join("clouds.yaml"), clouds_yaml).unwrap();
        Harness { _cloud: cloud, dir }
    }

    /// `openstack --os-cloud mock-demo ARGS...`: stdout, or a panic with stderr.
    async fn run(&self, args: &[&str]) -> String {
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

    async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.run(&all).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn networks_a_server_on_private_a_floating_ip_and_a_rule() {
    let h = Harness::start().await;
    let networks = h.json(&["network", "list"]).await;
    let mut names: Vec<&str> = networks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["Name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["private", "public"], "{networks}");

    let disk = h.dir.path().join("disk.qcow2");
    let made = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&disk)
        .arg("1M")
        .status()
        .expect("qemu-img runs");
    assert!(made.success());
    h.run(&[
        "image",
        "create",
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--file",
        disk.to_str().unwrap(),
        "boot-me",
    ])
    .await;
    let server = h
        .json(&[
            "server",
            "create",
            "--image",
            "boot-me",
            "--flavor",
            "m1.tiny",
            "--network",
            "private",
            "--security-group",
            "default",
            "--wait",
            "vm1",
        ])
        .await;
    assert_eq!(server["status"], "ACTIVE", "{server}");

    let fip = h.json(&["floating", "ip", "create", "public"]).await;
    let address = fip["floating_ip_address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("127.42.0."), "{fip}");
    h.run(&["server", "add", "floating", "ip", "vm1", &address])
        .await;
    let shown = h.json(&["server", "show", "vm1"]).await;
    let addresses = shown["addresses"].to_string();
    assert!(
        addresses.contains(&address) && addresses.contains("10.0."),
        "{shown}"
    );
    let fip = h.json(&["floating", "ip", "show", &address]).await;
    assert_eq!(fip["status"], "ACTIVE", "{fip}");

    let rule = h
        .json(&[
            "security",
            "group",
            "rule",
            "create",
            "--protocol",
            "tcp",
            "--dst-port",
            "80",
            "default",
        ])
        .await;
    assert_eq!(rule["port_range_min"], 80, "{rule}");
    assert_eq!(rule["remote_ip_prefix"], "0.0.0.0/0", "{rule}");
    let rules = h
        .json(&["security", "group", "rule", "list", "default"])
        .await;
    assert_eq!(rules.as_array().unwrap().len(), 5, "{rules}");

    h.run(&["server", "remove", "floating", "ip", "vm1", &address])
        .await;
    let fip = h.json(&["floating", "ip", "show", &address]).await;
    assert_eq!(fip["port_id"], Value::Null, "{fip}");
    let ports = h.json(&["port", "list", "--server", "vm1"]).await;
    assert_eq!(ports.as_array().unwrap().len(), 1, "{ports}");
    h.run(&["server", "delete", "--wait", "vm1"]).await;
    let ports = h
        .json(&["port", "list", "--device-owner", "compute:nova"])
        .await;
    assert_eq!(
        ports,
        serde_json::json!([]),
        "the server's port went with it"
    );
}
