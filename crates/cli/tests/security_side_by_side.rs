//! `security group`, `security group rule`, `floating ip`, the server's network actions
//! and `server ssh`, run with `openstack` (python-openstackclient 10.5) and with `fstack`
//! against one mock cloud: the same output in every format, and for bad input the same
//! message, the same exit code, and nothing left half-made.

mod common;

use std::process::Output;

use common::{TestCloud, both, run, same_json, same_text, stdout};
use mock_cloud::{MockCloud, Seed};
use serde_json::Value;

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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `args` fail with both clients as `user`: the same exit code and the same stderr.
fn same_failure(t: &TestCloud, user: &str, args: &[&str]) -> String {
    let osc = run(t.openstack(user).args(args));
    let ours = run(t.fstack(user).args(args));
    assert!(!osc.status.success(), "{args:?}: openstack succeeded");
    assert_eq!(
        ours.status.code(),
        osc.status.code(),
        "{args:?}: exit code\n--- openstack\n{}--- fstack\n{}",
        text(&osc.stderr),
        text(&ours.stderr)
    );
    assert_eq!(text(&ours.stderr), text(&osc.stderr), "{args:?}: stderr");
    assert_eq!(text(&ours.stdout), text(&osc.stdout), "{args:?}: stdout");
    text(&osc.stderr)
}

/// A usage error (exit 2) with osc's own words in both clients' messages (the usage text
/// around it is each parser's own).
fn same_usage_error(t: &TestCloud, args: &[&str], words: &str) {
    let osc = run(t.openstack("mock-admin").args(args));
    let ours = run(t.fstack("mock-admin").args(args));
    for (who, out) in [("openstack", &osc), ("fstack", &ours)] {
        assert_eq!(out.status.code(), Some(2), "{who} {args:?}");
        assert!(
            text(&out.stderr).contains(words),
            "{who} {args:?}: no {words:?} in\n{}",
            text(&out.stderr)
        );
    }
}

/// The JSON of a command, as data.
fn json_of(out: String) -> Value {
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The ports of the cloud, as admin sees them (osc's `port list`, ids only).
fn ports(t: &TestCloud) -> Vec<String> {
    let mut ids: Vec<String> = stdout(
        t.openstack("mock-admin")
            .args(["port", "list", "-f", "value", "-c", "ID"]),
    )
    .lines()
    .map(str::to_owned)
    .collect();
    ids.sort();
    ids
}

/// A created resource's JSON with what differs between two creates (ids, times, the
/// address Neutron picked) masked, to compare what osc made with what fstack made.
fn masked(mut v: Value, keys: &[&str]) -> Value {
    if let Value::Object(map) = &mut v {
        for key in keys {
            if let Some(slot) = map.get_mut(*key) {
                *slot = Value::String("[masked]".into());
            }
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn security_groups_and_rules_print_what_openstack_prints() {
    let t = cloud().await;
    // Each client makes one group; both print the same fields, told apart only by id/time.
    let osc = json_of(stdout(t.openstack("mock-admin").args([
        "security",
        "group",
        "create",
        "web",
        "--description",
        "Web servers",
        "--tag",
        "a",
        "--tag",
        "b",
        "-f",
        "json",
    ])));
    let ours = json_of(stdout(t.fstack("mock-admin").args([
        "security",
        "group",
        "create",
        "web2",
        "--description",
        "Web servers",
        "--tag",
        "a",
        "--tag",
        "b",
        "-f",
        "json",
    ])));
    let keys = ["id", "name", "created_at", "updated_at", "rules"];
    assert_eq!(masked(ours.clone(), &keys), masked(osc, &keys));
    assert_eq!(ours["rules"].as_array().map(Vec::len), Some(2));
    // The description defaults to the name, as osc sets it.
    let plain = json_of(stdout(
        t.fstack("mock-demo")
            .args(["security", "group", "create", "db", "-f", "json"]),
    ));
    assert_eq!(plain["description"], "db");

    for user in ["mock-admin", "mock-demo"] {
        let (osc, ours) = (
            stdout(t.openstack(user).args(["security", "group", "list"])),
            stdout(t.fstack(user).args(["security", "group", "list"])),
        );
        assert_eq!(ours, osc, "{user}: security group list");
        let (osc, ours) = (
            stdout(
                t.openstack(user)
                    .args(["security", "group", "rule", "list"]),
            ),
            stdout(t.fstack(user).args(["security", "group", "rule", "list"])),
        );
        assert_eq!(ours, osc, "{user}: security group rule list");
    }
    // The member sees its own groups only, the admin every project's.
    let demo = stdout(
        t.fstack("mock-demo")
            .args(["security", "group", "list", "-f", "value", "-c", "Name"]),
    );
    assert!(!demo.contains("web"), "{demo}");

    t.checks("mock-admin")
        .json(&["security", "group", "list", "-f", "json"])
        .text(&["security", "group", "list", "-f", "value"])
        .text(&["security", "group", "list", "-f", "csv"])
        .text(&["security", "group", "list", "-f", "yaml"])
        .text(&[
            "security",
            "group",
            "list",
            "--project",
            "demo",
            "--sort-column",
            "Name",
        ])
        .text(&["security", "group", "list", "--tags", "a", "-c", "Name"])
        .text(&["security", "group", "show", "web"])
        .json(&["security", "group", "show", "web", "-f", "json"])
        .text(&["security", "group", "show", "web", "-f", "value"])
        .text(&["security", "group", "show", "web", "-f", "yaml"])
        .run();

    // Rules: each client adds the same rules, to a group of its own.
    for (who, group) in [("openstack", "web"), ("fstack", "web2")] {
        for rule in [
            &["--protocol", "tcp", "--dst-port", "22"][..],
            &[
                "--protocol",
                "TCP",
                "--dst-port",
                "8000:8080",
                "--remote-ip",
                "10.0.0.0/8",
            ],
            &["--protocol", "icmp", "--icmp-type", "8", "--icmp-code", "0"],
            &[
                "--protocol",
                "ipv6-icmp",
                "--egress",
                "--description",
                "pings out",
            ],
            &[
                "--protocol",
                "udp",
                "--dst-port",
                "53",
                "--remote-group",
                "web",
            ],
        ] {
            let mut cmd = if who == "openstack" {
                t.openstack("mock-admin")
            } else {
                t.fstack("mock-admin")
            };
            stdout(
                cmd.args(["security", "group", "rule", "create", group])
                    .args(rule),
            );
        }
    }
    let rules = |group: &str| -> Value {
        let mut v =
            json_of(stdout(t.openstack("mock-admin").args([
                "security", "group", "rule", "list", group, "-f", "json",
            ])));
        for rule in v.as_array_mut().into_iter().flatten() {
            rule["ID"] = Value::Null;
        }
        v
    };
    assert_eq!(rules("web2"), rules("web"), "the rules fstack made");
    for args in [
        &["security", "group", "rule", "list", "web"][..],
        &["security", "group", "rule", "list", "web", "-f", "value"],
        &[
            "security",
            "group",
            "rule",
            "list",
            "--protocol",
            "tcp",
            "--ingress",
        ],
        &["security", "group", "rule", "list", "--egress", "-f", "csv"],
        &["security", "group", "rule", "list", "web2", "-f", "yaml"],
        &[
            "security",
            "group",
            "rule",
            "list",
            "--sort-column",
            "Port Range",
        ],
    ] {
        same_text(&t, args);
    }
    same_json(&t, &["security", "group", "rule", "list", "-f", "json"]);
    // --long is deprecated in osc: the same rows, and its warning.
    let (osc, ours) = both(&t, &["security", "group", "rule", "list", "web", "--long"]);
    assert_eq!(ours, osc);
    let warned = run(t
        .fstack("mock-admin")
        .args(["security", "group", "rule", "list", "--long"]));
    assert!(text(&warned.stderr).contains("The --long option has been deprecated"));

    let rule_ids = stdout(t.fstack("mock-admin").args([
        "security", "group", "rule", "list", "web2", "-f", "value", "-c", "ID",
    ]));
    for id in rule_ids.lines().take(7) {
        t.checks("mock-admin")
            .text(&["security", "group", "rule", "show", id])
            .json(&["security", "group", "rule", "show", id, "-f", "json"])
            .run();
    }
    same_text(&t, &["security", "group", "show", "web2", "-f", "json"]);

    // Delete: a rule, then the groups; both clients end where the other does.
    let first = rule_ids.lines().next().expect("a rule");
    stdout(
        t.fstack("mock-admin")
            .args(["security", "group", "rule", "delete", first]),
    );
    let gone = run(t
        .openstack("mock-admin")
        .args(["security", "group", "rule", "show", first]));
    assert_eq!(gone.status.code(), Some(1));
    stdout(
        t.fstack("mock-admin")
            .args(["security", "group", "delete", "web2"]),
    );
    stdout(
        t.openstack("mock-admin")
            .args(["security", "group", "delete", "web"]),
    );
    same_text(
        &t,
        &[
            "security",
            "group",
            "list",
            "-c",
            "Name",
            "--sort-column",
            "Name",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_groups_and_rules_fail_as_openstack_fails() {
    let t = cloud().await;
    stdout(
        t.openstack("mock-admin")
            .args(["security", "group", "create", "web"]),
    );
    stdout(t.openstack("mock-admin").args([
        "security",
        "group",
        "rule",
        "create",
        "--protocol",
        "tcp",
        "--dst-port",
        "22",
        "web",
    ]));
    let before = stdout(
        t.openstack("mock-admin")
            .args(["security", "group", "rule", "list", "web", "-f", "value"]),
    );

    // osc's own checks, before anything is sent.
    same_usage_error(
        &t,
        &[
            "security",
            "group",
            "rule",
            "create",
            "--dst-port",
            "24:22",
            "web",
        ],
        "Invalid range, 24 is not less than 22",
    );
    same_usage_error(
        &t,
        &[
            "security",
            "group",
            "rule",
            "create",
            "--dst-port",
            "1:2:3",
            "web",
        ],
        "Invalid range, too many values",
    );
    for args in [
        &["--protocol", "icmp", "--dst-port", "5", "--icmp-type", "3"][..],
        &["--protocol", "icmp", "--icmp-code", "3"],
        &["--protocol", "udp", "--icmp-type", "3"],
    ] {
        let mut all = vec!["security", "group", "rule", "create", "web"];
        all.extend_from_slice(args);
        let said = same_failure(&t, "mock-admin", &all);
        assert!(said.contains("Argument") || said.contains("ICMP"), "{said}");
    }
    // Neutron's refusals, in openstacksdk's words: a protocol it does not know, a rule
    // that exists already.
    let said = same_failure(
        &t,
        "mock-admin",
        &[
            "security",
            "group",
            "rule",
            "create",
            "--protocol",
            "foo",
            "web",
        ],
    );
    assert!(
        said.contains("BadRequestException: 400") && said.contains("foo"),
        "{said}"
    );
    let said = same_failure(
        &t,
        "mock-admin",
        &[
            "security",
            "group",
            "rule",
            "create",
            "--protocol",
            "tcp",
            "--dst-port",
            "22",
            "web",
        ],
    );
    assert!(
        said.contains("ConflictException: 409") && said.contains("already exists"),
        "{said}"
    );
    // Nothing was added by any of them.
    let after = stdout(
        t.openstack("mock-admin")
            .args(["security", "group", "rule", "list", "web", "-f", "value"]),
    );
    assert_eq!(after, before);

    // Lookups that find nothing, deletes that half fail.
    same_failure(&t, "mock-admin", &["security", "group", "show", "nope"]);
    same_failure(
        &t,
        "mock-admin",
        &["security", "group", "rule", "show", "nope"],
    );
    same_failure(
        &t,
        "mock-admin",
        &["security", "group", "rule", "create", "nope"],
    );
    same_failure(&t, "mock-demo", &["security", "group", "show", "web"]);
    same_failure(&t, "mock-admin", &["security", "group", "delete", "nope"]);
    same_failure(
        &t,
        "mock-admin",
        &["security", "group", "rule", "delete", "nope"],
    );
    // A second `default` in the member's project: Neutron refuses it.
    same_failure(&t, "mock-demo", &["security", "group", "create", "default"]);
    same_usage_error(
        &t,
        &["security", "group", "list", "--all-projects"],
        "--all-projects",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn floating_ips_print_what_openstack_prints() {
    let t = cloud().await;
    let osc = json_of(stdout(t.openstack("mock-admin").args([
        "floating",
        "ip",
        "create",
        "public",
        "--description",
        "front",
        "--tag",
        "web",
        "-f",
        "json",
    ])));
    let ours = json_of(stdout(t.fstack("mock-admin").args([
        "floating",
        "ip",
        "create",
        "public",
        "--description",
        "front",
        "--tag",
        "web",
        "-f",
        "json",
    ])));
    let keys = [
        "id",
        "name",
        "floating_ip_address",
        "created_at",
        "updated_at",
    ];
    assert_eq!(masked(ours.clone(), &keys), masked(osc.clone(), &keys));
    let ours_ip = ours["floating_ip_address"].as_str().unwrap().to_owned();
    let osc_ip = osc["floating_ip_address"].as_str().unwrap().to_owned();
    // Choosing the address is the admin's (Neutron's policy, as the mock keeps it).
    stdout(t.fstack("mock-admin").args([
        "floating",
        "ip",
        "create",
        "public",
        "--floating-ip-address",
        "127.42.0.200",
    ]));

    for user in ["mock-admin", "mock-demo"] {
        let (osc, ours) = (
            stdout(t.openstack(user).args(["floating", "ip", "list"])),
            stdout(t.fstack(user).args(["floating", "ip", "list"])),
        );
        assert_eq!(ours, osc, "{user}: floating ip list");
    }
    t.checks("mock-admin")
        .json(&["floating", "ip", "list", "-f", "json", "--long"])
        .text(&["floating", "ip", "list", "--long"])
        .text(&["floating", "ip", "list", "-f", "value"])
        .text(&["floating", "ip", "list", "-f", "csv", "--long"])
        .text(&["floating", "ip", "list", "-f", "yaml"])
        .text(&[
            "floating",
            "ip",
            "list",
            "--network",
            "public",
            "--status",
            "DOWN",
        ])
        .text(&[
            "floating",
            "ip",
            "list",
            "--project",
            "demo",
            "-c",
            "Floating IP Address",
        ])
        .text(&[
            "floating",
            "ip",
            "list",
            "--sort-column",
            "Floating IP Address",
        ])
        .run();
    for ip in [&ours_ip, &osc_ip] {
        t.checks("mock-admin")
            .text(&["floating", "ip", "show", ip])
            .json(&["floating", "ip", "show", ip, "-f", "json"])
            .text(&["floating", "ip", "show", ip, "-f", "value"])
            .text(&["floating", "ip", "show", ip, "-f", "yaml"])
            .run();
    }

    // Set --port on a server's port, show it (port details), unset it. The admin sees the
    // member's `private` too: its own is named by id.
    let private = stdout(t.openstack("mock-admin").args([
        "network",
        "list",
        "--name",
        "private",
        "--project",
        "admin",
        "-f",
        "value",
        "-c",
        "ID",
    ]));
    stdout(t.fstack("mock-admin").args([
        "server",
        "create",
        "--image",
        "cirros",
        "--flavor",
        "m1.tiny",
        "--network",
        private.trim(),
        "--wait",
        "web",
    ]));
    let server = json_of(stdout(
        t.fstack("mock-admin")
            .args(["server", "show", "web", "-f", "json"]),
    ));
    let id = server["id"].as_str().unwrap().to_owned();
    let port = stdout(t.openstack("mock-admin").args([
        "port",
        "list",
        "--device-id",
        &id,
        "-f",
        "value",
        "-c",
        "ID",
    ]));
    let port = port.trim();
    stdout(
        t.fstack("mock-admin")
            .args(["floating", "ip", "set", "--port", port, &ours_ip]),
    );
    t.checks("mock-admin")
        .text(&["floating", "ip", "show", &ours_ip])
        .json(&["floating", "ip", "show", &ours_ip, "-f", "json"])
        .text(&["floating", "ip", "show", &ours_ip, "-f", "value"])
        .text(&["floating", "ip", "list", "--port", port, "--long"])
        .text(&["server", "show", "web", "-c", "addresses"])
        .run();
    // A second floating IP for the same fixed IP: Neutron refuses, nothing changes.
    let said = same_failure(
        &t,
        "mock-admin",
        &["floating", "ip", "set", "--port", port, &osc_ip],
    );
    assert!(said.contains("ConflictException: 409"), "{said}");
    stdout(
        t.fstack("mock-admin")
            .args(["floating", "ip", "unset", "--port", &ours_ip]),
    );
    let shown = json_of(stdout(
        t.openstack("mock-admin")
            .args(["floating", "ip", "show", &ours_ip, "-f", "json"]),
    ));
    assert_eq!(shown["port_id"], Value::Null);
    same_text(&t, &["floating", "ip", "show", &ours_ip]);

    // Bad input.
    let said = same_failure(
        &t,
        "mock-admin",
        &["floating", "ip", "create", private.trim()],
    );
    assert!(said.contains("is not a valid external network"), "{said}");
    same_failure(&t, "mock-admin", &["floating", "ip", "create", "nope"]);
    // The name two projects' networks share: osc's "More than one" words.
    same_failure(&t, "mock-admin", &["floating", "ip", "create", "private"]);
    same_failure(&t, "mock-admin", &["floating", "ip", "show", "nope"]);
    same_failure(&t, "mock-admin", &["floating", "ip", "delete", "nope"]);
    // Half a delete: the one found goes, the other is named, exit 1 (as osc).
    let half = run(t
        .fstack("mock-admin")
        .args(["floating", "ip", "delete", "nope", &osc_ip]));
    assert_eq!(half.status.code(), Some(1));
    assert_eq!(
        text(&half.stderr),
        "Failed to delete floating IP with name or ID 'nope': No FloatingIP found for nope\n\
         1 of 2 floating IPs failed to delete.\n"
    );
    same_failure(&t, "mock-demo", &["floating", "ip", "show", &ours_ip]);
    let (_, ours) = both(
        &t,
        &[
            "floating",
            "ip",
            "list",
            "-f",
            "value",
            "-c",
            "Floating IP Address",
        ],
    );
    assert!(
        !ours.contains(&osc_ip),
        "deleted, by the half-failed delete: {ours}"
    );
    stdout(
        t.fstack("mock-admin")
            .args(["floating", "ip", "delete", &ours_ip]),
    );
    same_text(&t, &["floating", "ip", "list"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_get_networks_groups_and_floating_ips_as_openstack_gives_them() {
    let t = cloud().await;
    stdout(
        t.openstack("mock-demo")
            .args(["security", "group", "create", "web"]),
    );
    // The same server made by each client: the same addresses shape and groups.
    for (who, name) in [("openstack", "a"), ("fstack", "b")] {
        let mut cmd = if who == "openstack" {
            t.openstack("mock-demo")
        } else {
            t.fstack("mock-demo")
        };
        stdout(cmd.args([
            "server",
            "create",
            "--image",
            "cirros",
            "--flavor",
            "m1.tiny",
            "--network",
            "private",
            "--security-group",
            "web",
            "--security-group",
            "default",
            "--wait",
            name,
        ]));
    }
    let shape = |name: &str| -> Value {
        json_of(stdout(t.openstack("mock-demo").args([
            "server",
            "show",
            name,
            "-f",
            "json",
            "-c",
            "security_groups",
            "-c",
            "status",
        ])))
    };
    assert_eq!(shape("b"), shape("a"));
    for name in ["a", "b"] {
        let out = run(t
            .openstack("mock-demo")
            .args(["server", "show", name, "-f", "json"]));
        let osc = text(&out.stdout);
        let ours = stdout(
            t.fstack("mock-demo")
                .args(["server", "show", name, "-f", "json"]),
        );
        assert_eq!(json_of(ours), json_of(osc), "server show {name}");
    }
    // --nic with a name and a fixed IP, --port with a port made beforehand.
    stdout(t.fstack("mock-demo").args([
        "server",
        "create",
        "--image",
        "cirros",
        "--flavor",
        "m1.tiny",
        "--nic",
        "net-id=private,v4-fixed-ip=10.0.0.50",
        "--wait",
        "fixed",
    ]));
    let addresses = stdout(t.fstack("mock-demo").args([
        "server",
        "show",
        "fixed",
        "-f",
        "value",
        "-c",
        "addresses",
    ]));
    assert_eq!(addresses, "{'private': ['10.0.0.50']}\n");
    stdout(
        t.openstack("mock-demo")
            .args(["port", "create", "--network", "private", "spare"]),
    );
    stdout(t.fstack("mock-demo").args([
        "server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--port", "spare",
        "--wait", "on-port",
    ]));
    let spare = json_of(stdout(
        t.openstack("mock-demo")
            .args(["port", "show", "spare", "-f", "json"]),
    ));
    let on_port = json_of(stdout(
        t.fstack("mock-demo")
            .args(["server", "show", "on-port", "-f", "json"]),
    ));
    assert_eq!(spare["device_id"], on_port["id"]);

    // Two servers on one fixed IP, a network of another project, a group that is not
    // there: the same refusal, and no server or port left behind.
    let ports_before = ports(&t);
    let servers_before = stdout(t.openstack("mock-admin").args([
        "server",
        "list",
        "--all-projects",
        "-f",
        "value",
        "-c",
        "ID",
    ]));
    same_failure(
        &t,
        "mock-demo",
        &[
            "server",
            "create",
            "--image",
            "cirros",
            "--flavor",
            "m1.tiny",
            "--nic",
            "net-id=private,v4-fixed-ip=10.0.0.50",
            "twin",
        ],
    );
    let admin_private = stdout(
        t.openstack("mock-admin")
            .args(["network", "list", "--name", "private", "-f", "json"]),
    );
    let admin_net = json_of(admin_private)
        .as_array()
        .and_then(|nets| {
            nets.iter()
                .map(|n| n["ID"].as_str().unwrap_or_default().to_owned())
                .find(|id| {
                    !stdout(
                        t.openstack("mock-demo")
                            .args(["network", "list", "-f", "value", "-c", "ID"]),
                    )
                    .contains(id.as_str())
                })
        })
        .expect("admin's private network");
    same_failure(
        &t,
        "mock-demo",
        &[
            "server",
            "create",
            "--image",
            "cirros",
            "--flavor",
            "m1.tiny",
            "--network",
            &admin_net,
            "x",
        ],
    );
    same_failure(
        &t,
        "mock-demo",
        &[
            "server",
            "create",
            "--image",
            "cirros",
            "--flavor",
            "m1.tiny",
            "--security-group",
            "nope",
            "x",
        ],
    );
    same_failure(
        &t,
        "mock-demo",
        &[
            "server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--port", "nope", "x",
        ],
    );
    assert_eq!(ports(&t), ports_before, "a port left behind");
    let servers_after = stdout(t.openstack("mock-admin").args([
        "server",
        "list",
        "--all-projects",
        "-f",
        "value",
        "-c",
        "ID",
    ]));
    assert_eq!(servers_after, servers_before, "a server left behind");

    // Floating IPs through Neutron, as osc does them.
    let fip = json_of(stdout(
        t.openstack("mock-demo")
            .args(["floating", "ip", "create", "public", "-f", "json"]),
    ));
    let fip = fip["floating_ip_address"].as_str().unwrap().to_owned();
    stdout(
        t.fstack("mock-demo")
            .args(["server", "add", "floating", "ip", "b", &fip]),
    );
    let (osc, ours) = (
        stdout(
            t.openstack("mock-demo")
                .args(["server", "show", "b", "-c", "addresses"]),
        ),
        stdout(
            t.fstack("mock-demo")
                .args(["server", "show", "b", "-c", "addresses"]),
        ),
    );
    assert_eq!(ours, osc);
    assert!(ours.contains(&fip), "{ours}");
    same_failure(
        &t,
        "mock-demo",
        &["server", "add", "floating", "ip", "a", "127.42.0.250"],
    );
    same_failure(
        &t,
        "mock-demo",
        &["server", "add", "floating", "ip", "nope", &fip],
    );
    same_failure(
        &t,
        "mock-demo",
        &[
            "server",
            "add",
            "floating",
            "ip",
            "a",
            &fip,
            "--fixed-ip-address",
            "10.9.9.9",
        ],
    );
    stdout(
        t.fstack("mock-demo")
            .args(["server", "remove", "floating", "ip", "b", &fip]),
    );
    let shown = json_of(stdout(
        t.openstack("mock-demo")
            .args(["floating", "ip", "show", &fip, "-f", "json"]),
    ));
    assert_eq!(shown["port_id"], Value::Null);
    let fixed = json_of(stdout(
        t.openstack("mock-demo")
            .args(["server", "show", "a", "-f", "json"]),
    ));
    let fixed_ip = fixed["addresses"]["private"][0]
        .as_str()
        .unwrap()
        .to_owned();
    stdout(t.fstack("mock-demo").args([
        "server",
        "add",
        "floating",
        "ip",
        "a",
        &fip,
        "--fixed-ip-address",
        &fixed_ip,
    ]));
    same_text(&t, &["floating", "ip", "list", "--long"]);

    // Security groups on and off.
    stdout(
        t.fstack("mock-demo")
            .args(["server", "remove", "security", "group", "b", "web"]),
    );
    let groups = stdout(t.openstack("mock-demo").args([
        "server",
        "show",
        "b",
        "-c",
        "security_groups",
        "-f",
        "value",
    ]));
    assert!(!groups.contains("'web'"), "{groups}");
    stdout(
        t.fstack("mock-demo")
            .args(["server", "add", "security", "group", "b", "web"]),
    );
    let groups = stdout(t.openstack("mock-demo").args([
        "server",
        "show",
        "b",
        "-c",
        "security_groups",
        "-f",
        "value",
    ]));
    assert!(groups.contains("'web'"), "{groups}");
    same_failure(
        &t,
        "mock-demo",
        &["server", "add", "security", "group", "b", "nope", "web"],
    );
    same_failure(
        &t,
        "mock-demo",
        &["server", "remove", "security", "group", "b", "nope"],
    );

    // Ports and networks through os-interface.
    stdout(
        t.openstack("mock-demo")
            .args(["port", "create", "--network", "private", "extra"]),
    );
    stdout(
        t.fstack("mock-demo")
            .args(["server", "add", "port", "b", "extra"]),
    );
    let extra = json_of(stdout(
        t.openstack("mock-demo")
            .args(["port", "show", "extra", "-f", "json"]),
    ));
    let b = json_of(stdout(
        t.openstack("mock-demo")
            .args(["server", "show", "b", "-f", "json"]),
    ));
    assert_eq!(extra["device_id"], b["id"]);
    stdout(
        t.fstack("mock-demo")
            .args(["server", "remove", "port", "b", "extra"]),
    );
    let extra = json_of(stdout(
        t.openstack("mock-demo")
            .args(["port", "show", "extra", "-f", "json"]),
    ));
    assert_eq!(extra["device_id"], "");
    let before = ports(&t).len();
    stdout(
        t.fstack("mock-demo")
            .args(["server", "add", "network", "fixed", "private"]),
    );
    assert_eq!(ports(&t).len(), before + 1);
    stdout(
        t.fstack("mock-demo")
            .args(["server", "remove", "network", "fixed", "private"]),
    );
    let left = stdout(t.openstack("mock-demo").args([
        "server",
        "show",
        "fixed",
        "-f",
        "value",
        "-c",
        "addresses",
    ]));
    assert_eq!(left, "{}\n");
    same_failure(&t, "mock-demo", &["server", "add", "port", "b", "nope"]);
    same_failure(
        &t,
        "mock-demo",
        &["server", "add", "network", "b", &admin_net],
    );
    same_failure(
        &t,
        "mock-demo",
        &["server", "remove", "port", "nope", "extra"],
    );
}

/// What a fake `ssh` on PATH was given, one argument a line.
fn ssh_argv(t: &TestCloud, client: &str, args: &[&str]) -> (Output, String) {
    let bin = t.path().join("fakebin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let fake = bin.join("ssh");
    std::fs::write(
        &fake,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$SSH_RECORD\"\n",
    )
    .expect("fake ssh");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let record = t.path().join(format!("argv.{client}"));
    let _ = std::fs::remove_file(&record);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = if client == "openstack" {
        t.openstack("mock-demo")
    } else {
        t.fstack("mock-demo")
    };
    let out = run(cmd.env("PATH", path).env("SSH_RECORD", &record).args(args));
    (out, std::fs::read_to_string(&record).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn server_ssh_runs_ssh_as_openstack_runs_it() {
    let t = cloud().await;
    stdout(t.fstack("mock-demo").args([
        "server",
        "create",
        "--image",
        "cirros",
        "--flavor",
        "m1.tiny",
        "--network",
        "private",
        "--wait",
        "web",
    ]));
    let server = json_of(stdout(
        t.fstack("mock-demo")
            .args(["server", "show", "web", "-f", "json"]),
    ));
    let fixed = server["addresses"]["private"][0]
        .as_str()
        .unwrap()
        .to_owned();

    let same = |args: &[&str]| -> String {
        let (osc, osc_argv) = ssh_argv(&t, "openstack", args);
        let (ours, our_argv) = ssh_argv(&t, "fstack", args);
        assert_eq!(ours.status.code(), osc.status.code(), "{args:?}");
        assert_eq!(text(&ours.stderr), text(&osc.stderr), "{args:?}: stderr");
        assert_eq!(our_argv, osc_argv, "{args:?}: ssh's argv");
        our_argv
    };
    // No floating IP yet: osc's error, and ssh never run.
    assert_eq!(same(&["server", "ssh", "web"]), "");
    assert_eq!(
        same(&["server", "ssh", "web", "--private"]),
        format!("{fixed}\n-l\ndemo\n")
    );
    same(&["server", "ssh", "web", "--address-type", "private", "-4"]);
    same(&["server", "ssh", "web", "--address-type", "fixed"]);
    assert_eq!(same(&["server", "ssh", "web", "--private", "-6"]), "");
    let argv = same(&[
        "server",
        "ssh",
        "web",
        "--private",
        "-l",
        "cirros",
        "-p",
        "2222",
        "-i",
        "key",
        "-o",
        "StrictHostKeyChecking=no",
    ]);
    assert_eq!(
        argv,
        format!("{fixed}\n-p\n2222\n-i\nkey\n-o\nStrictHostKeyChecking=no\n-l\ncirros\n")
    );
    same(&["server", "ssh", "nope"]);

    let fip = json_of(stdout(
        t.fstack("mock-demo")
            .args(["floating", "ip", "create", "public", "-f", "json"]),
    ));
    let fip = fip["floating_ip_address"].as_str().unwrap().to_owned();
    stdout(
        t.fstack("mock-demo")
            .args(["server", "add", "floating", "ip", "web", &fip]),
    );
    assert_eq!(
        same(&["server", "ssh", "web"]),
        format!("{fip}\n-l\ndemo\n")
    );
    assert_eq!(
        same(&[
            "server",
            "ssh",
            "web",
            "--address-type",
            "floating",
            "--login",
            "root"
        ]),
        format!("{fip}\n-l\nroot\n")
    );

    // After `--`, ssh's own arguments (osc 10.5 on Python 3.11 refuses `--` here; fstack
    // passes them on, the login last as osc puts it).
    let (out, argv) = ssh_argv(
        &t,
        "fstack",
        &["server", "ssh", "web", "--", "-v", "uptime"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(argv, format!("{fip}\n-v\nuptime\n-l\ndemo\n"));
    let (_, argv) = ssh_argv(&t, "fstack", &["server", "ssh", "web", "--", "-l", "me"]);
    assert_eq!(argv, format!("{fip}\n-l\nme\n"));
}
