//! fstack's Neutron commands (`network`, `subnet`, `port`, `router`, `extension list`) beside
//! python-openstackclient 10 (from the test venv), against one mock cloud: the same columns,
//! order, values, messages and exit codes.
//!
//! What one tool shows of what the other made is compared as text; what each creates is
//! compared as JSON with the fields that differ by nature (ids, names, times, addresses
//! Neutron picks) masked. Bad input is compared on stderr and the exit code.

mod common;

use std::process::Output;

use common::{Checks, TestCloud, both, run, same_json, same_text, stdout};
use serde_json::Value;

const USERS: [&str; 2] = ["mock-admin", "mock-demo"];

/// Every list format, as `user`.
fn every_format(t: &TestCloud, user: &'static str, args: &[&str]) {
    let mut checks = t.checks(user);
    every_format_into(&mut checks, args);
    checks.run();
}

/// Every list format of `args`, added to `checks`.
fn every_format_into(checks: &mut Checks<'_>, args: &[&str]) {
    for format in [
        &["-f", "json"][..],
        &["-f", "value"],
        &["-f", "csv"],
        &["-f", "yaml"],
        &[],
    ] {
        let line: Vec<&str> = args.iter().chain(format).copied().collect();
        checks.text(&line);
    }
}

/// What a failed command leaves: its exit code and stderr.
fn failure(out: Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// The same bad command fails the same way with both tools (openstack first, so what it
/// did is what fstack meets: run each failing command on its own).
fn same_failure(t: &TestCloud, args: &[&str]) -> String {
    let osc = failure(run(t.openstack("mock-admin").args(args)));
    let ours = failure(run(t.fstack("mock-admin").args(args)));
    assert_eq!(ours, osc, "{args:?}");
    assert_eq!(ours.0, Some(1), "{args:?}: {}", ours.1);
    ours.1
}

/// `-f json` of a create, with `masked` fields' values replaced.
fn created(out: &str, masked: &[&str]) -> Value {
    let mut value: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    if let Some(map) = value.as_object_mut() {
        // Neutron picks a segmentation id per network at random (admins see it).
        for key in masked.iter().chain(&["provider:segmentation_id"]) {
            if let Some(v) = map.get_mut(*key) {
                *v = Value::String("<masked>".into());
            }
        }
    }
    value
}

/// Creates with both tools (`{name}` in `args` becomes `o-<name>` and `f-<name>`); the two
/// results must agree but for `masked`. Answers the two names.
fn create_both(t: &TestCloud, args: &[&str], name: &str, masked: &[&str]) -> (String, String) {
    let names = (format!("o-{name}"), format!("f-{name}"));
    let line = |n: &str| -> Vec<String> {
        args.iter()
            .map(|a| a.replace("{name}", n))
            .chain(["-f", "json"].map(String::from))
            .collect()
    };
    let osc = stdout(t.openstack("mock-admin").args(line(&names.0)));
    let ours = stdout(t.fstack("mock-admin").args(line(&names.1)));
    let mut masked = masked.to_vec();
    masked.extend(["id", "name", "created_at", "updated_at"]);
    assert_eq!(
        created(&ours, &masked),
        created(&osc, &masked),
        "{args:?}\n--- openstack\n{osc}\n--- fstack\n{ours}"
    );
    names
}

/// `show` of one object prints the same in every show format.
fn show_everyway(t: &TestCloud, what: &str, name: &str) {
    let mut checks = t.checks("mock-admin");
    checks.json(&[what, "show", name, "-f", "json"]);
    for format in ["table", "value", "shell", "yaml"] {
        checks.text(&[what, "show", name, "-f", format]);
    }
    checks.run();
}

#[tokio::test(flavor = "multi_thread")]
async fn networks_print_what_openstack_prints() {
    let t = TestCloud::start().await;
    t.checks("mock-admin")
        .json(&["network", "list", "--long", "-f", "json"])
        .text(&["network", "list", "--long", "-c", "Router Type", "-c", "ID"])
        .text(&[
            "network",
            "list",
            "--sort-column",
            "Name",
            "--sort-descending",
            "-f",
            "value",
        ])
        .text(&["network", "list", "--external", "-f", "value"])
        .run();
    show_everyway(&t, "network", "private");

    let (osc, ours) = create_both(
        &t,
        &[
            "network",
            "create",
            "{name}",
            "--share",
            "--disable",
            "--internal",
            "--description",
            "made twice",
            "--tag",
            "blue",
        ],
        "net",
        &[],
    );
    // What either made, both show alike.
    show_everyway(&t, "network", &osc);
    show_everyway(&t, "network", &ours);
    same_text(&t, &["network", "list", "--long", "--sort-column", "Name"]);

    for name in [&osc, &ours] {
        let tool = if name == &osc {
            t.openstack("mock-admin")
        } else {
            t.fstack("mock-admin")
        };
        let mut tool = tool;
        stdout(tool.args([
            "network",
            "set",
            name,
            "--enable",
            "--no-share",
            "--description",
            "changed",
            "--no-tag",
            "--tag",
            "green",
            "--name",
            &format!("{name}-2"),
        ]));
    }
    let masked = ["id", "name", "created_at", "updated_at"];
    let show = |tool: &mut std::process::Command, name: &str| {
        created(
            &stdout(tool.args(["network", "show", name, "-f", "json"])),
            &masked,
        )
    };
    assert_eq!(
        show(&mut t.fstack("mock-admin"), &format!("{ours}-2")),
        show(&mut t.fstack("mock-admin"), &format!("{osc}-2")),
        "network set changes the same things"
    );

    // Unknown names, one by one and among others; then both delete what they made.
    let err = same_failure(&t, &["network", "show", "no-such-net"]);
    assert_eq!(err, "No Network found for no-such-net\n");
    let err = same_failure(&t, &["network", "delete", "no-such-net", "nor-this"]);
    assert!(
        err.ends_with("2 of 2 networks failed to delete.\n"),
        "{err}"
    );
    stdout(
        t.openstack("mock-admin")
            .args(["network", "delete", &format!("{osc}-2")]),
    );
    stdout(
        t.fstack("mock-admin")
            .args(["network", "delete", &format!("{ours}-2")]),
    );
    // A network with ports: Neutron's 409 as openstacksdk prints it.
    let err = same_failure(&t, &["network", "delete", "public"]);
    assert!(err.contains("ConflictException: 409"), "{err}");
    // Last: a member's first Neutron call makes its own private network and router,
    // whose names would make the admin's lookups ambiguous.
    for user in USERS {
        let mut checks = t.checks(user);
        every_format_into(&mut checks, &["network", "list"]);
        checks
            .text(&["network", "list", "--long"])
            .text(&["network", "show", "public"])
            .run();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subnets_print_what_openstack_prints() {
    let t = TestCloud::start().await;
    t.checks("mock-admin")
        .text(&["subnet", "list", "--ip-version", "4", "-f", "value"])
        .text(&["subnet", "list", "--name", "private-subnet", "-f", "value"])
        .run();
    show_everyway(&t, "subnet", "private-subnet");

    stdout(t.fstack("mock-admin").args(["network", "create", "both"]));
    let flags = |range: &'static str| {
        vec![
            "subnet",
            "create",
            "{name}",
            "--network",
            "both",
            "--subnet-range",
            range,
            "--gateway",
            "none",
            "--no-dhcp",
            "--allocation-pool",
            if range.starts_with("10.70") {
                "start=10.70.0.10,end=10.70.0.20"
            } else {
                "start=10.71.0.10,end=10.71.0.20"
            },
            "--dns-nameserver",
            "10.0.0.53",
            "--dns-nameserver",
            "10.0.0.2",
            "--host-route",
            "destination=10.99.0.0/24,gateway=10.0.0.1",
            "--description",
            "twice",
            "--tag",
            "red",
        ]
    };
    // Each subnet has its own range: mask what follows from it.
    let masked = ["cidr", "allocation_pools"];
    let osc = stdout(
        t.openstack("mock-admin").args(
            flags("10.70.0.0/24")
                .iter()
                .map(|a| a.replace("{name}", "o-sub"))
                .chain(["-f".into(), "json".into()]),
        ),
    );
    let ours = stdout(
        t.fstack("mock-admin").args(
            flags("10.71.0.0/24")
                .iter()
                .map(|a| a.replace("{name}", "f-sub"))
                .chain(["-f".into(), "json".into()]),
        ),
    );
    let mut all_masked = masked.to_vec();
    all_masked.extend(["id", "name", "created_at", "updated_at"]);
    assert_eq!(created(&ours, &all_masked), created(&osc, &all_masked));
    show_everyway(&t, "subnet", "o-sub");
    show_everyway(&t, "subnet", "f-sub");
    same_text(&t, &["subnet", "list", "--long", "--network", "both"]);

    let err = same_failure(
        &t,
        &[
            "subnet",
            "create",
            "bad",
            "--network",
            "both",
            "--subnet-range",
            "10.9.0.0/33",
        ],
    );
    assert!(
        err.contains("BadRequestException: 400") && err.contains("10.9.0.0/33"),
        "{err}"
    );
    let err = same_failure(
        &t,
        &[
            "subnet",
            "create",
            "bad",
            "--network",
            "no-such-net",
            "--subnet-range",
            "10.9.0.0/24",
        ],
    );
    assert_eq!(err, "No Network found for no-such-net\n");
    same_failure(&t, &["subnet", "show", "no-such-subnet"]);
    // Delete o-sub twice in one command: the second is already gone.
    let osc = failure(run(t
        .openstack("mock-admin")
        .args(["subnet", "delete", "o-sub", "o-sub"])));
    let ours = failure(run(t
        .fstack("mock-admin")
        .args(["subnet", "delete", "f-sub", "f-sub"])));
    assert_eq!(ours.0, osc.0);
    assert_eq!(ours.1.replace("f-sub", "X"), osc.1.replace("o-sub", "X"));
    assert!(
        ours.1.ends_with("1 of 2 subnets failed to delete.\n"),
        "{}",
        ours.1
    );
    // Last: a member's first Neutron call makes its own private network and router,
    // whose names would make the admin's lookups ambiguous.
    for user in USERS {
        let mut checks = t.checks(user);
        every_format_into(&mut checks, &["subnet", "list"]);
        every_format_into(&mut checks, &["subnet", "list", "--long"]);
        checks
            .text(&["subnet", "list", "--network", "public"])
            .run();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ports_print_what_openstack_prints() {
    let t = TestCloud::start().await;
    t.checks("mock-admin")
        .text(&["port", "list", "--network", "private", "-f", "value"])
        .text(&["port", "list", "--device-owner", "network:router_interface"])
        .text(&[
            "port",
            "list",
            "--fixed-ip",
            "subnet=private-subnet",
            "-f",
            "value",
        ])
        .text(&[
            "port",
            "list",
            "--fixed-ip",
            "ip-address=10.0.0.1",
            "-f",
            "value",
        ])
        .run();
    let router_port = stdout(t.fstack("mock-admin").args([
        "port",
        "list",
        "--device-owner",
        "network:router_gateway",
        "-f",
        "value",
        "-c",
        "ID",
    ]));
    show_everyway(&t, "port", router_port.trim());

    let masked = ["mac_address", "fixed_ips"];
    let (osc, ours) = create_both(
        &t,
        &[
            "port",
            "create",
            "{name}",
            "--network",
            "private",
            "--disable",
            "--device",
            "some-device",
            "--device-owner",
            "compute:nova",
            "--description",
            "twice",
            "--tag",
            "red",
        ],
        "port",
        &masked,
    );
    show_everyway(&t, "port", &osc);
    show_everyway(&t, "port", &ours);
    // A chosen address: the second asker finds it in use.
    let (o, f) = create_both(
        &t,
        &[
            "port",
            "create",
            "{name}",
            "--network",
            "private",
            "--no-security-group",
            "--disable-port-security",
            "--fixed-ip",
            "subnet=private-subnet",
        ],
        "bare",
        &masked,
    );
    stdout(t.fstack("mock-admin").args([
        "port",
        "create",
        "taken",
        "--network",
        "private",
        "--fixed-ip",
        "subnet=private-subnet,ip-address=10.0.1.50",
    ]));
    let err = same_failure(
        &t,
        &[
            "port",
            "create",
            "again",
            "--network",
            "private",
            "--fixed-ip",
            "ip-address=10.0.1.50",
        ],
    );
    assert!(
        err.contains("ConflictException: 409") && err.contains("10.0.1.50 already allocated"),
        "{err}"
    );
    same_failure(&t, &["port", "create", "x", "--network", "no-such-net"]);

    for (tool, name) in [
        (t.openstack("mock-admin"), &osc),
        (t.fstack("mock-admin"), &ours),
    ] {
        let mut tool = tool;
        stdout(tool.args([
            "port",
            "set",
            name,
            "--enable",
            "--description",
            "changed",
            "--no-security-group",
            "--name",
            &format!("{name}-2"),
        ]));
    }
    let show = |name: &str| {
        let mut masked = masked.to_vec();
        masked.extend(["id", "name", "created_at", "updated_at"]);
        created(
            &stdout(
                t.fstack("mock-admin")
                    .args(["port", "show", name, "-f", "json"]),
            ),
            &masked,
        )
    };
    assert_eq!(show(&format!("{ours}-2")), show(&format!("{osc}-2")));
    show_everyway(&t, "port", &format!("{ours}-2"));

    let osc_out = failure(run(t
        .openstack("mock-admin")
        .args(["port", "delete", &o, &o])));
    let our_out = failure(run(t.fstack("mock-admin").args(["port", "delete", &f, &f])));
    assert_eq!(our_out.0, osc_out.0);
    assert_eq!(our_out.1.replace(&f, "X"), osc_out.1.replace(&o, "X"));
    assert!(
        our_out.1.ends_with("1 of 2 ports failed to delete.\n"),
        "{}",
        our_out.1
    );
    // Last: a member's first Neutron call makes its own private network and router,
    // whose names would make the admin's lookups ambiguous.
    for user in USERS {
        let mut checks = t.checks(user);
        every_format_into(&mut checks, &["port", "list"]);
        every_format_into(&mut checks, &["port", "list", "--long"]);
        checks.run();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn routers_print_what_openstack_prints() {
    let t = TestCloud::start().await;
    same_json(&t, &["router", "list", "--long", "-f", "json"]);
    show_everyway(&t, "router", "router1");

    let (osc, ours) = create_both(
        &t,
        &[
            "router",
            "create",
            "{name}",
            "--description",
            "twice",
            "--tag",
            "red",
        ],
        "router",
        &[],
    );
    stdout(t.fstack("mock-admin").args(["network", "create", "inside"]));
    for (range, name) in [("10.80.0.0/24", "in-o"), ("10.81.0.0/24", "in-f")] {
        stdout(t.fstack("mock-admin").args([
            "subnet",
            "create",
            name,
            "--network",
            "inside",
            "--subnet-range",
            range,
        ]));
    }
    for (tool, router) in [
        (t.openstack("mock-admin"), &osc),
        (t.fstack("mock-admin"), &ours),
    ] {
        let mut tool = tool;
        stdout(tool.args([
            "router",
            "set",
            router,
            "--external-gateway",
            "public",
            "--disable-snat",
            "--name",
            &format!("{router}-2"),
        ]));
    }
    let (osc, ours) = (format!("{osc}-2"), format!("{ours}-2"));
    stdout(
        t.openstack("mock-admin")
            .args(["router", "add", "subnet", &osc, "in-o"]),
    );
    stdout(
        t.fstack("mock-admin")
            .args(["router", "add", "subnet", &ours, "in-f"]),
    );
    show_everyway(&t, "router", &osc);
    show_everyway(&t, "router", &ours);
    same_text(&t, &["router", "list", "--long", "--sort-column", "Name"]);

    let err = same_failure(&t, &["router", "add", "subnet", &osc, "in-o"]);
    assert!(err.contains("BadRequestException: 400"), "{err}");
    same_failure(&t, &["router", "add", "subnet", &osc, "no-such-subnet"]);
    same_failure(&t, &["router", "set", &osc, "--disable-snat"]);
    let err = same_failure(&t, &["router", "delete", &osc]);
    assert!(err.contains("1 of 1 routers failed to delete."), "{err}");

    // Each takes its own router apart; then both look the same again.
    for (tool, router, subnet) in [
        (t.openstack("mock-admin"), &osc, "in-o"),
        (t.fstack("mock-admin"), &ours, "in-f"),
    ] {
        let mut tool = tool;
        stdout(tool.args(["router", "remove", "subnet", router, subnet]));
    }
    for (tool, router) in [
        (t.openstack("mock-admin"), &osc),
        (t.fstack("mock-admin"), &ours),
    ] {
        let mut tool = tool;
        stdout(tool.args(["router", "unset", "--external-gateway", router]));
    }
    let masked = ["id", "name", "created_at", "updated_at", "revision_number"];
    let show = |name: &str| {
        created(
            &stdout(
                t.fstack("mock-admin")
                    .args(["router", "show", name, "-f", "json"]),
            ),
            &masked,
        )
    };
    assert_eq!(show(&ours), show(&osc));
    // A port as an interface, added and removed by fstack, seen by both.
    stdout(
        t.fstack("mock-admin")
            .args(["port", "create", "rport", "--network", "inside"]),
    );
    stdout(
        t.fstack("mock-admin")
            .args(["router", "add", "port", &ours, "rport"]),
    );
    show_everyway(&t, "router", &ours);
    stdout(
        t.fstack("mock-admin")
            .args(["router", "remove", "port", &ours, "rport"]),
    );
    stdout(t.fstack("mock-admin").args(["router", "delete", &ours]));
    same_failure(&t, &["router", "show", &ours]);
    // Last: a member's first Neutron call makes its own private network and router,
    // whose names would make the admin's lookups ambiguous.
    for user in USERS {
        let mut checks = t.checks(user);
        every_format_into(&mut checks, &["router", "list"]);
        checks.text(&["router", "list", "--long"]).run();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn extension_list_prints_what_openstack_prints() {
    let t = TestCloud::start().await;
    for user in USERS {
        every_format(&t, user, &["extension", "list", "--network"]);
    }
    t.checks("mock-admin")
        .json(&["extension", "list", "--network", "--long", "-f", "json"])
        .text(&["extension", "list", "--network", "--long"])
        .run();
    // Without a service flag osc asks Compute too, warns that it cannot, and lists Neutron's.
    let osc = run(t.openstack("mock-admin").args(["extension", "list"]));
    let ours = run(t.fstack("mock-admin").args(["extension", "list"]));
    assert_eq!(ours.stdout, osc.stdout);
    assert_eq!(ours.stderr, osc.stderr);
    let (osc, ours) = both(&t, &["extension", "list", "--compute", "-f", "value"]);
    assert_eq!(ours, osc);
}
