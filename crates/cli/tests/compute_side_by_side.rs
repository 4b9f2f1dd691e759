//! The same commands run with `openstack` (python-openstackclient 10, from the test venv) and
//! with `fstack` against one mock cloud print the same columns and values.
//!
//! JSON is compared as data (key order inside nested objects is not part of the contract);
//! `-f value` is compared as text, since that is what shell scripts read.

mod common;

use common::{TestCloud, same_json, same_text, stdout};
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

    same_json(&t, &["flavor", "list", "-f", "json"]);
    same_text(&t, &["flavor", "list", "-f", "value"]);
    same_text(&t, &["flavor", "list", "-f", "csv"]);
    same_text(&t, &["flavor", "list", "-f", "yaml"]);
    same_text(&t, &["flavor", "list", "--long"]);
    same_text(&t, &["flavor", "show", "m1.tiny"]);
    same_json(&t, &["flavor", "show", "m1.small", "-f", "json"]);

    for server in ["web", "db"] {
        same_json(&t, &["server", "show", server, "-f", "json"]);
        same_text(&t, &["server", "show", server, "-f", "value"]);
        same_text(&t, &["server", "show", server, "-f", "shell"]);
        // Timestamps quoted as PyYAML quotes them.
        same_text(&t, &["server", "show", server, "-f", "yaml"]);
    }
    same_json(
        &t,
        &["server", "list", "-f", "json", "--sort-column", "Name"],
    );
    same_json(
        &t,
        &[
            "server",
            "list",
            "-f",
            "json",
            "--long",
            "--sort-column",
            "Name",
        ],
    );
    same_text(
        &t,
        &["server", "list", "-f", "value", "--sort-column", "Name"],
    );
    same_text(&t, &["server", "list", "--sort-column", "Name"]);
    same_json(&t, &["catalog", "list", "-f", "json"]);
    same_text(&t, &["catalog", "show", "compute"]);
    same_text(&t, &["versions", "show"]);
    same_json(&t, &["versions", "show", "--all-interfaces", "-f", "json"]);
    same_text(
        &t,
        &[
            "versions",
            "show",
            "--service",
            "network",
            "-f",
            "value",
            "-c",
            "Version",
        ],
    );
    same_text(
        &t,
        &["versions", "show", "--status", "current", "-f", "csv"],
    );
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
    same_json(&t, &["network", "list", "-f", "json"]);
    same_text(&t, &["network", "list", "-f", "value"]);
    same_text(&t, &["network", "list", "-f", "csv"]);
    same_text(&t, &["network", "list", "-f", "yaml"]);
    same_text(&t, &["network", "list", "--external", "-c", "Name"]);
    same_text(&t, &["network", "list", "--internal", "-f", "value"]);
    same_text(&t, &["network", "list", "--name", "public", "-f", "value"]);
    same_text(
        &t,
        &["network", "list", "--no-share", "--sort-column", "Name"],
    );
}
