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
            .text(&["server", "show", server])
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

/// What a command left behind: its exit code, stdout and stderr.
type Outcome = (Option<i32>, String, String);

fn outcome(cmd: &mut std::process::Command) -> Outcome {
    let out = common::run(cmd);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A command that changes the cloud, run by both clients from the same state: `setup`
/// (fstack commands, checked alike by these tests; python starts slowly) makes that state, `args` runs with openstack, `reset` undoes both,
/// `setup` again, then `args` with fstack. Exit code, stdout and stderr must be the same.
fn same_write(t: &TestCloud, cloud: &str, setup: &[&[&str]], args: &[&str], reset: &[&[&str]]) {
    let quietly = |commands: &[&[&str]]| {
        for command in commands {
            common::run(t.fstack("mock-admin").args(*command));
        }
    };
    quietly(setup);
    let osc = outcome(t.openstack(cloud).args(args));
    quietly(reset);
    quietly(setup);
    let ours = outcome(t.fstack(cloud).args(args));
    quietly(reset);
    assert_eq!(ours, osc, "{cloud}: {args:?} (exit code, stdout, stderr)");
}

#[tokio::test(flavor = "multi_thread")]
async fn flavor_create_delete_set_unset_do_what_openstack_does() {
    let t = cloud().await;
    let drop_f1: &[&[&str]] = &[&["flavor", "delete", "f1"]];
    let none: &[&[&str]] = &[];
    let private_f1: &[&[&str]] = &[&[
        "flavor",
        "create",
        "--id",
        "f1",
        "--private",
        "--ram",
        "64",
        "--property",
        "a=b",
        "--property",
        "c=d",
        "flavor-one",
    ]];
    let full = [
        "flavor",
        "create",
        "--id",
        "f1",
        "--ram",
        "128",
        "--disk",
        "1",
        "--ephemeral",
        "2",
        "--swap",
        "16",
        "--vcpus",
        "2",
        "--rxtx-factor",
        "1.5",
        "--description",
        "for tests",
        "--property",
        "k1=v1",
        "--property",
        "k2=v2",
        "flavor-one",
    ];
    for format in ["table", "json", "yaml", "value", "shell"] {
        let mut args = full.to_vec();
        args.extend(["-f", format]);
        same_write(&t, "mock-admin", none, &args, drop_f1);
    }
    let private = [
        "flavor",
        "create",
        "--id",
        "f1",
        "--private",
        "--project",
        "demo",
        "--ram",
        "64",
        "flavor-one",
    ];
    same_write(&t, "mock-admin", none, &private, drop_f1);
    // Refused before or by Nova, and partial failures, in openstack's words.
    for bad in [
        &[
            "flavor",
            "create",
            "--id",
            "f1",
            "--project",
            "demo",
            "flavor-one",
        ][..],
        &["flavor", "create", "--id", "f1", "--ram", "0", "flavor-one"],
        &["flavor", "create", "--id", "a/b", "flavor-one"],
        &[
            "flavor",
            "create",
            "--id",
            "f1",
            "--rxtx-factor",
            "-1",
            "flavor-one",
        ],
        &["flavor", "create", "--id", "f1", "m1.tiny"],
        &["flavor", "create", "--id", "1", "flavor-one"],
        &[
            "flavor",
            "create",
            "--id",
            "f1",
            "--private",
            "--project",
            "nosuch",
            "flavor-one",
        ],
        &[
            "flavor",
            "create",
            "--id",
            "f1",
            "--property",
            "a/b=c",
            "flavor-one",
        ],
    ] {
        same_write(&t, "mock-admin", none, bad, drop_f1);
    }
    same_write(&t, "mock-demo", none, &full, drop_f1);

    // Delete: by name, several, some missing; a member may not.
    same_write(
        &t,
        "mock-admin",
        private_f1,
        &["flavor", "delete", "flavor-one"],
        drop_f1,
    );
    same_write(
        &t,
        "mock-admin",
        private_f1,
        &["flavor", "delete", "f1", "nope", "also-nope"],
        drop_f1,
    );
    same_write(
        &t,
        "mock-demo",
        private_f1,
        &["flavor", "delete", "m1.tiny"],
        drop_f1,
    );

    // Set and unset: properties, description, access; public flavors refuse access.
    for args in [
        &[
            "flavor",
            "set",
            "flavor-one",
            "--no-property",
            "--property",
            "e=f",
            "--description",
            "changed",
            "--project",
            "demo",
        ][..],
        &["flavor", "set", "flavor-one", "--project", "nosuch"],
        &["flavor", "set", "m1.tiny", "--project", "demo"],
        &["flavor", "set", "nope", "--property", "a=b"],
        &["flavor", "set", "f1", "--property", "a/b=c"],
        &[
            "flavor",
            "unset",
            "f1",
            "--property",
            "a",
            "--property",
            "zz",
        ],
        &["flavor", "unset", "f1", "--project", "demo"],
        &["flavor", "unset", "f1", "--project", "nosuch"],
        &["flavor", "unset", "m1.tiny", "--project", "demo"],
        &["flavor", "unset", "nope", "--property", "a"],
    ] {
        same_write(&t, "mock-admin", private_f1, args, drop_f1);
    }
    let with_access: &[&[&str]] = &[private_f1[0], &["flavor", "set", "f1", "--project", "demo"]];
    same_write(
        &t,
        "mock-admin",
        with_access,
        &["flavor", "set", "f1", "--project", "demo"],
        drop_f1,
    );
    same_write(
        &t,
        "mock-admin",
        with_access,
        &[
            "flavor",
            "unset",
            "f1",
            "--project",
            "demo",
            "--property",
            "c",
        ],
        drop_f1,
    );
    same_write(
        &t,
        "mock-demo",
        with_access,
        &["flavor", "set", "f1", "--property", "x=y"],
        drop_f1,
    );

    // What the writes leave is shown alike, to admins and to the project given access.
    for command in with_access {
        stdout(t.openstack("mock-admin").args(*command));
    }
    stdout(
        t.openstack("mock-admin")
            .args(["flavor", "set", "f1", "--description", "d"]),
    );
    for format in ["table", "json", "yaml", "value", "shell"] {
        same_text(&t, &["flavor", "show", "flavor-one", "-f", format]);
    }
    t.checks("mock-admin")
        .text(&["flavor", "list", "--all", "--long"])
        .text(&["flavor", "list", "--private", "-f", "csv"])
        .json(&["flavor", "list", "--all", "-f", "json"])
        .run();
    for args in [
        &["flavor", "show", "f1"][..],
        &["flavor", "list"],
        &["flavor", "show", "nope"],
    ] {
        same_write(&t, "mock-demo", none, args, none);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_groups_print_what_openstack_prints() {
    let t = cloud().await;
    for args in [
        &[
            "server",
            "group",
            "create",
            "--policy",
            "anti-affinity",
            "--rule",
            "max_server_per_host=2",
            "spread",
        ][..],
        &["server", "group", "create", "packed"],
        &[
            "server",
            "group",
            "create",
            "--policy",
            "soft-affinity",
            "soft",
        ],
    ] {
        stdout(t.fstack("mock-admin").args(args));
    }
    t.checks("mock-admin")
        .text(&["server", "group", "list"])
        .text(&["server", "group", "list", "--long", "-f", "value"])
        .json(&[
            "server",
            "group",
            "list",
            "--long",
            "--all-projects",
            "-f",
            "json",
        ])
        .text(&["server", "group", "list", "-f", "csv"])
        .text(&["server", "group", "list", "-f", "yaml"])
        .text(&["server", "group", "show", "spread"])
        .json(&["server", "group", "show", "packed", "-f", "json"])
        .text(&["server", "group", "show", "spread", "-f", "yaml"])
        .text(&["server", "group", "show", "spread", "-f", "value"])
        .text(&["server", "group", "show", "spread", "-f", "shell"])
        .run();

    let none: &[&[&str]] = &[];
    let drop_new: &[&[&str]] = &[&["server", "group", "delete", "new"]];
    // Ids are Nova's own, so the written group is compared without its id.
    let create = [
        "server",
        "group",
        "create",
        "--policy",
        "anti-affinity",
        "--rule",
        "max_server_per_host=3",
        "-c",
        "name",
        "-c",
        "policy",
        "-c",
        "rules",
        "-c",
        "members",
        "new",
    ];
    for format in ["table", "json", "yaml", "value", "shell"] {
        let mut args = create.to_vec();
        args.extend(["-f", format]);
        same_write(&t, "mock-admin", none, &args, drop_new);
    }
    let refused: &[&[&str]] = &[
        &[
            "--os-compute-api-version",
            "2.14",
            "server",
            "group",
            "create",
            "--policy",
            "soft-affinity",
            "x",
        ],
        &[
            "--os-compute-api-version",
            "2.63",
            "server",
            "group",
            "create",
            "--rule",
            "max_server_per_host=1",
            "x",
        ],
        &["server", "group", "show", "nothing"],
        &["server", "group", "delete", "nothing", "nobody"],
    ];
    let older: &[&[&str]] = &[
        &[
            "--os-compute-api-version",
            "2.1",
            "server",
            "group",
            "show",
            "spread",
        ],
        &[
            "--os-compute-api-version",
            "2.13",
            "server",
            "group",
            "list",
            "--long",
        ],
    ];
    for args in older.iter().chain(refused) {
        same_write(&t, "mock-admin", none, args, none);
    }
    // Usage errors are clap's, not argparse's: the same exit code, and the choices named.
    let bad = common::run(
        t.fstack("mock-admin")
            .args(["server", "group", "create", "--policy", "sideways", "x"]),
    );
    let said = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{said}");
    assert!(said.contains("--policy") && said.contains("invalid choice: 'sideways' (choose from 'affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity')"), "{said}");
    for (rule, fault) in [
        ("size=2", "max_server_per_host"),
        ("max_server_per_host=0", "not a positive whole number"),
    ] {
        let bad = common::run(t.fstack("mock-admin").args([
            "server",
            "group",
            "create",
            "--policy",
            "anti-affinity",
            "--rule",
            rule,
            "x",
        ]));
        let said = String::from_utf8_lossy(&bad.stderr);
        assert_eq!(bad.status.code(), Some(1), "{said}");
        assert!(said.contains(rule) && said.contains(fault), "{said}");
    }
    same_write(
        &t,
        "mock-admin",
        none,
        &["server", "group", "delete", "packed", "nothing"],
        &[&["server", "group", "create", "packed"]],
    );
}

/// `args` leave the cloud as `openstack`'s `args` leave it, as `look` (run by fstack) shows.
fn same_effect(t: &TestCloud, args: &[&str], look: &[&str], reset: &[&[&str]]) {
    let reset_all = || {
        for command in reset {
            common::run(t.fstack("mock-admin").args(*command));
        }
    };
    common::run(t.openstack("mock-admin").args(args));
    let osc = stdout(t.fstack("mock-admin").args(look));
    reset_all();
    common::run(t.fstack("mock-admin").args(args));
    let ours = stdout(t.fstack("mock-admin").args(look));
    reset_all();
    assert_eq!(ours, osc, "what {args:?} leaves");
}

#[tokio::test(flavor = "multi_thread")]
async fn aggregates_print_what_openstack_prints() {
    let t = cloud().await;
    for args in [
        &[
            "aggregate",
            "create",
            "--zone",
            "nova-east",
            "--property",
            "ssd=true",
            "--property",
            "gpu=no",
            "east",
        ][..],
        &["aggregate", "create", "plain"],
        &["aggregate", "add", "host", "east", "mock-compute"],
    ] {
        stdout(t.fstack("mock-admin").args(args));
    }
    t.checks("mock-admin")
        .text(&["aggregate", "list"])
        .text(&["aggregate", "list", "--long"])
        .text(&["aggregate", "list", "--long", "-f", "value"])
        .json(&["aggregate", "list", "--long", "-f", "json"])
        .text(&["aggregate", "list", "--long", "-f", "csv"])
        .text(&["aggregate", "list", "-f", "yaml", "--host", "mock-compute"])
        .text(&["aggregate", "list", "--availability-zone", "nova-east"])
        .text(&["aggregate", "show", "east"])
        .json(&["aggregate", "show", "east", "-f", "json"])
        .text(&["aggregate", "show", "plain", "-f", "yaml"])
        .text(&["aggregate", "show", "east", "-f", "value"])
        .text(&["aggregate", "show", "east", "-f", "shell"])
        .run();

    let none: &[&[&str]] = &[];
    let show_east: &[&str] = &[
        "aggregate",
        "show",
        "east",
        "-c",
        "name",
        "-c",
        "properties",
        "-c",
        "availability_zone",
        "-c",
        "hosts",
        "-f",
        "json",
    ];
    // Each write, then what it left (timestamps and ids are the mock's, so left out).
    let writes: &[(&[&str], &[&[&str]])] = &[
        (
            &[
                "aggregate",
                "set",
                "--property",
                "ssd=false",
                "--property",
                "new=1",
                "east",
            ],
            &[&[
                "aggregate",
                "set",
                "--no-property",
                "--property",
                "ssd=true",
                "--property",
                "gpu=no",
                "east",
            ]],
        ),
        (
            &[
                "aggregate",
                "set",
                "--no-property",
                "--property",
                "kept=yes",
                "east",
            ],
            &[&[
                "aggregate",
                "set",
                "--no-property",
                "--property",
                "ssd=true",
                "--property",
                "gpu=no",
                "east",
            ]],
        ),
        (
            &[
                "aggregate",
                "unset",
                "--property",
                "gpu",
                "--property",
                "gpu",
                "east",
            ],
            &[&["aggregate", "set", "--property", "gpu=no", "east"]],
        ),
        (
            &["aggregate", "set", "--zone", "nova-west", "east"],
            &[&["aggregate", "set", "--zone", "nova-east", "east"]],
        ),
        (
            &[
                "aggregate",
                "remove",
                "host",
                "east",
                "mock-compute",
                "-c",
                "hosts",
                "-c",
                "name",
            ],
            &[&["aggregate", "add", "host", "east", "mock-compute"]],
        ),
        (
            &[
                "aggregate",
                "add",
                "host",
                "plain",
                "mock-compute",
                "-c",
                "hosts",
                "-c",
                "properties",
                "-f",
                "json",
            ],
            &[&["aggregate", "remove", "host", "plain", "mock-compute"]],
        ),
        (
            &[
                "aggregate",
                "create",
                "--zone",
                "z",
                "--property",
                "a=b",
                "-c",
                "name",
                "-c",
                "properties",
                "-c",
                "availability_zone",
                "-c",
                "hosts",
                "-c",
                "is_deleted",
                "-c",
                "deleted_at",
                "-f",
                "yaml",
                "new",
            ],
            &[&["aggregate", "delete", "new"]],
        ),
        (
            &["aggregate", "set", "--name", "renamed", "plain"],
            &[&["aggregate", "set", "--name", "plain", "renamed"]],
        ),
    ];
    for (args, reset) in writes {
        same_write(&t, "mock-admin", none, args, reset);
        same_effect(&t, args, show_east, reset);
    }
    let refused: &[&[&str]] = &[
        &["aggregate", "show", "nothing"],
        &["aggregate", "set", "--property", "a=b", "nothing"],
        &["aggregate", "unset", "--property", "a", "nothing"],
        &["aggregate", "add", "host", "east", "no-such-host"],
        &["aggregate", "remove", "host", "plain", "mock-compute"],
        &["aggregate", "add", "host", "nothing", "mock-compute"],
        &["aggregate", "create", "east"],
        &["aggregate", "delete", "nothing", "east"],
    ];
    for args in refused {
        same_write(&t, "mock-admin", none, args, none);
    }
    same_write(
        &t,
        "mock-admin",
        none,
        &["aggregate", "delete", "plain", "nothing"],
        &[&["aggregate", "create", "plain"]],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_events_print_what_openstack_prints() {
    let t = cloud().await;
    for name in ["ev", "gone"] {
        stdout(t.fstack("mock-admin").args([
            "server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none",
            "--wait", name,
        ]));
    }
    stdout(
        t.fstack("mock-admin")
            .args(["server", "reboot", "--wait", "ev"]),
    );
    let id_of = |name: &str| {
        stdout(
            t.fstack("mock-admin")
                .args(["server", "show", name, "-f", "value", "-c", "id"]),
        )
        .trim()
        .to_owned()
    };
    let gone = id_of("gone");
    stdout(
        t.fstack("mock-admin")
            .args(["server", "delete", "--wait", "gone"]),
    );
    let listed = stdout(t.fstack("mock-admin").args([
        "server",
        "event",
        "list",
        "ev",
        "-f",
        "value",
        "-c",
        "Request ID",
    ]));
    let requests: Vec<&str> = listed.lines().collect();
    assert_eq!(requests.len(), 2, "{listed}");
    t.checks("mock-admin")
        .text(&["server", "event", "list", "ev"])
        .text(&["server", "event", "list", "ev", "--long"])
        .json(&["server", "event", "list", "ev", "--long", "-f", "json"])
        .text(&["server", "event", "list", "ev", "-f", "csv"])
        .text(&["server", "event", "list", "ev", "-f", "yaml"])
        .text(&["server", "event", "show", "ev", requests[0]])
        .json(&["server", "event", "show", "ev", requests[1], "-f", "json"])
        .text(&["server", "event", "show", "ev", requests[1], "-f", "yaml"])
        .text(&["server", "event", "show", "ev", requests[1], "-f", "value"])
        .text(&["server", "event", "show", "ev", requests[1], "-f", "shell"])
        .run();
    let none: &[&[&str]] = &[];
    let gone_request = stdout(t.fstack("mock-admin").args([
        "--os-compute-api-version",
        "2.21",
        "server",
        "event",
        "list",
        &gone,
        "-f",
        "value",
        "-c",
        "Request ID",
    ]));
    let gone_request = gone_request
        .lines()
        .next()
        .expect("a deleted server's action")
        .to_owned();
    let cases: &[&[&str]] = &[
        &[
            "--os-compute-api-version",
            "2.21",
            "server",
            "event",
            "list",
            &gone,
            "--long",
        ],
        &[
            "--os-compute-api-version",
            "2.21",
            "server",
            "event",
            "show",
            &gone,
            &gone_request,
        ],
        &[
            "--os-compute-api-version",
            "2.57",
            "server",
            "event",
            "show",
            "ev",
            requests[0],
        ],
        &["server", "event", "list", &gone],
        &["server", "event", "list", "nothing"],
        &["server", "event", "show", "ev", "req-nothing"],
        &["server", "event", "show", "nothing", "req-nothing"],
    ];
    for args in cases {
        same_write(&t, "mock-admin", none, args, none);
    }
}
