//! The same commands run with `openstack` (python-openstackclient 10, from the test venv) and
//! with `fstack` against one mock cloud print the same columns and values.
//!
//! JSON is compared as data (key order inside nested objects is not part of the contract);
//! `-f value` is compared as text, since that is what shell scripts read.

mod common;

use common::{TestCloud, same_text, stdout};
use mock_cloud::{MockCloud, Seed};

async fn cloud() -> TestCloud {
    let seed: Seed = serde_json::from_value(serde_json::json!({
        "images": [{
            "name": "cirros",
            "visibility": "public",
            "disk_format": "raw",
            "container_format": "bare",
            "content": "not much of a disk",
        }],
    }))
    .expect("seed");
    TestCloud::with(
        MockCloud::builder()
            .seed(seed)
            .start()
            .await
            .expect("mock cloud starts"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn flavor_list_and_server_show_print_what_openstack_prints() {
    let t = cloud().await;
    stdout(t.fstack("mock-admin").args([
        "server",
        "create",
        "--image",
        "cirros",
        "--flavor",
        "m1.tiny",
        "--nic",
        "none",
        "--property",
        "role=web",
        "--wait",
        "web",
    ]));
    stdout(t.fstack("mock-admin").args([
        "server", "create", "--image", "cirros", "--flavor", "m1.small", "--nic", "auto", "--wait",
        "db",
    ]));

    t.checks("mock-admin")
        .json(&["flavor", "list", "-f", "json"])
        .text(&["flavor", "list", "-f", "value"])
        .text(&["flavor", "list", "-f", "csv"])
        .text(&["flavor", "list", "-f", "yaml"])
        .text(&["flavor", "list", "--long"])
        .text(&["flavor", "show", "m1.tiny"])
        .json(&["flavor", "show", "m1.small", "-f", "json"])
        .run();

    for server in ["web", "db"] {
        t.checks("mock-admin")
            .json(&["server", "show", server, "-f", "json"])
            .text(&["server", "show", server, "-f", "value"])
            .text(&["server", "show", server, "-f", "shell"])
            .run();
        // Timestamps quoted as PyYAML quotes them.
        same_text(&t, &["server", "show", server, "-f", "yaml"]);
    }
    t.checks("mock-admin")
        .json(&["server", "list", "-f", "json", "--sort-column", "Name"])
        .json(&[
            "server",
            "list",
            "-f",
            "json",
            "--long",
            "--sort-column",
            "Name",
        ])
        .text(&["server", "list", "-f", "value", "--sort-column", "Name"])
        .text(&["server", "list", "--sort-column", "Name"])
        .json(&["catalog", "list", "-f", "json"])
        .text(&["catalog", "show", "compute"])
        .text(&["versions", "show"])
        .json(&["versions", "show", "--all-interfaces", "-f", "json"])
        .text(&[
            "versions",
            "show",
            "--service",
            "network",
            "-f",
            "value",
            "-c",
            "Version",
        ])
        .text(&["versions", "show", "--status", "current", "-f", "csv"])
        .run();
}

#[tokio::test(flavor = "multi_thread")]
async fn network_list_prints_what_openstack_prints() {
    let t = cloud().await;
    // The member's first Neutron call makes its project's private network, as on devstack.
    for user in ["mock-admin", "mock-demo"] {
        let osc = stdout(t.openstack(user).args(["network", "list"]));
        let ours = stdout(t.fstack(user).args(["network", "list"]));
        assert_eq!(ours, osc, "{user}: network list");
        assert!(
            ours.contains("public"),
            "{user}: no public network in\n{ours}"
        );
    }
    t.checks("mock-admin")
        .json(&["network", "list", "-f", "json"])
        .text(&["network", "list", "-f", "value"])
        .text(&["network", "list", "-f", "csv"])
        .text(&["network", "list", "-f", "yaml"])
        .text(&["network", "list", "--external", "-c", "Name"])
        .text(&["network", "list", "--internal", "-f", "value"])
        .text(&["network", "list", "--name", "public", "-f", "value"])
        .text(&["network", "list", "--no-share", "--sort-column", "Name"])
        .run();
}

/// `server set/unset` and `server add fixed ip`: each client changes a server of its own,
/// and what they print (and what the servers show after) is the same but for ids.
#[tokio::test(flavor = "multi_thread")]
async fn server_set_unset_and_add_fixed_ip_print_what_openstack_prints() {
    let t = cloud().await;
    let create = |name: &str| {
        stdout(t.fstack("mock-admin").args([
            "server",
            "create",
            "--image",
            "cirros",
            "--flavor",
            "m1.tiny",
            "--network",
            "private",
            "--wait",
            name,
        ]))
    };
    create("by-osc");
    create("by-fstack");
    let (osc, ours) = (
        |args: &[&str]| stdout(t.openstack("mock-admin").args(args)),
        |args: &[&str]| stdout(t.fstack("mock-admin").args(args)),
    );
    for (client, server) in [
        (&osc as &dyn Fn(&[&str]) -> String, "by-osc"),
        (&ours, "by-fstack"),
    ] {
        assert_eq!(
            client(&[
                "server",
                "set",
                "--property",
                "a=b",
                "--property",
                "c=d",
                server
            ]),
            ""
        );
        assert_eq!(client(&["server", "unset", "--property", "a", server]), "");
    }
    let properties =
        |server: &str| ours(&["server", "show", server, "-f", "json", "-c", "properties"]);
    assert_eq!(properties("by-fstack"), properties("by-osc"));
    assert!(properties("by-osc").contains("\"c\": \"d\""));

    // Ids, MAC addresses and the address asked for differ; the rest is byte for byte.
    let scrub = |text: String| {
        let uuid =
            regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
                .unwrap();
        let mac = regex::Regex::new(r"([0-9a-f]{2}:){5}[0-9a-f]{2}").unwrap();
        let text = uuid.replace_all(&text, "UUID").into_owned();
        let text = mac.replace_all(&text, "MAC").into_owned();
        text.replace("10.0.0.50", "IP").replace("10.0.0.51", "IP")
    };
    for format in ["json", "value", "table"] {
        let by_osc = osc(&[
            "server",
            "add",
            "fixed",
            "ip",
            "--fixed-ip-address",
            "10.0.0.50",
            "by-osc",
            "private",
            "-f",
            format,
        ]);
        let by_fstack = ours(&[
            "server",
            "add",
            "fixed",
            "ip",
            "--fixed-ip-address",
            "10.0.0.51",
            "by-fstack",
            "private",
            "-f",
            format,
        ]);
        assert_eq!(scrub(by_fstack), scrub(by_osc.clone()), "-f {format}");
        assert!(by_osc.contains("10.0.0.50"), "{by_osc}");
        for (server, ip) in [("by-osc", "10.0.0.50"), ("by-fstack", "10.0.0.51")] {
            ours(&["server", "remove", "port", server, &port_of(&t, ip)]);
        }
    }
}

/// The port holding `ip`.
fn port_of(t: &TestCloud, ip: &str) -> String {
    let filter = format!("ip-address={ip}");
    stdout(t.fstack("mock-admin").args([
        "port",
        "list",
        "--fixed-ip",
        &filter,
        "-f",
        "value",
        "-c",
        "ID",
    ]))
    .trim()
    .to_owned()
}
