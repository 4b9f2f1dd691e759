//! The real python-openstackclient's network commands against the mock cloud: with a
//! `network` service in the catalog, OSC takes every `--network`, security-group and
//! floating-IP path through Neutron.
//!
//! Needs `FERROSTACK_CLIENT_VENV` (or `target/venv/clients`), as `openstackclient.rs` does.

mod osc_support;

use std::process::Command;

use mock_cloud::MockCloud;
use osc_support::Osc;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn networks_a_server_on_private_a_floating_ip_and_a_rule() {
    let cloud = MockCloud::start().await.expect("mock cloud starts");
    let h = Osc::demo(&cloud);
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
