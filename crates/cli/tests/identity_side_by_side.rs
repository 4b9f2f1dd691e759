//! The identity commands run with `openstack` (python-openstackclient 10.5, from the test
//! venv) and with `fstack` against one mock cloud print the same bytes.

mod common;

use common::{TestCloud, run, stdout};

/// Every run of 32 hex digits (a Keystone id) as `x`s: the two tools' creations differ only
/// in their ids, and in the tag of their names (`osc1` and `fst1`, the same length).
fn masked(text: &str, tag: &str) -> String {
    let text = text.replace(tag, "TAG1");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            .count();
        let bounded = |at: usize| at >= chars.len() || !chars[at].is_ascii_alphanumeric();
        if run == 32 && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) && bounded(i + 32) {
            out.push_str(&"x".repeat(32));
            i += 32;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A command that changes the cloud, run by each tool on its own things: `TAG1` in the
/// words becomes `osc1` for openstack and `fst1` for fstack; their stdouts must match
/// but for ids and that tag. Returns fstack's stdout.
fn same_change(t: &TestCloud, words: &[&str]) -> String {
    let with =
        |tag: &str| -> Vec<String> { words.iter().map(|w| w.replace("TAG1", tag)).collect() };
    let osc = stdout(t.openstack("mock-admin").args(with("osc1")));
    let ours = stdout(t.fstack("mock-admin").args(with("fst1")));
    assert_eq!(
        masked(&ours, "fst1"),
        masked(&osc, "osc1"),
        "{words:?}\n--- openstack\n{osc}\n--- fstack\n{ours}"
    );
    ours
}

/// Both tools' exit code and stderr for a command that must fail the same way.
fn same_failure(t: &TestCloud, args: &[&str]) -> String {
    let osc = run(t.openstack("mock-admin").args(args));
    let ours = run(t.fstack("mock-admin").args(args));
    assert_eq!(
        ours.status.code(),
        osc.status.code(),
        "{args:?}: exit code\n--- openstack\n{}\n--- fstack\n{}",
        String::from_utf8_lossy(&osc.stderr),
        String::from_utf8_lossy(&ours.stderr)
    );
    let (osc_err, our_err) = (
        String::from_utf8_lossy(&osc.stderr).into_owned(),
        String::from_utf8_lossy(&ours.stderr).into_owned(),
    );
    // Ids Keystone makes up for the refused request (a 409 names one) differ.
    assert_eq!(
        masked(&our_err, "\0"),
        masked(&osc_err, "\0"),
        "{args:?}: stderr"
    );
    our_err
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_domains_projects_users_and_roles_print_what_openstack_prints() {
    let t = TestCloud::start().await;
    let mut checks = t.checks("mock-admin");
    for args in [
        &["domain", "list"][..],
        &["domain", "show", "default"],
        &["project", "list"],
        &["project", "list", "--long"],
        &["project", "show", "demo"],
        &["project", "show", "admin", "--domain", "default"],
        &["user", "list"],
        &["user", "list", "--long"],
        &["user", "show", "demo"],
        &["role", "list"],
    ] {
        checks.text(args);
        for format in ["json", "value", "yaml"] {
            let with: Vec<&str> = args.iter().copied().chain(["-f", format]).collect();
            if format == "json" {
                checks.json(&with);
            } else {
                checks.text(&with);
            }
        }
    }
    checks
        .text(&["domain", "show", "default", "-f", "shell"])
        .text(&["project", "show", "demo", "-f", "shell"])
        .text(&["user", "show", "admin", "-f", "shell"])
        .text(&["project", "list", "-f", "csv"])
        .text(&["user", "list", "-f", "csv", "--long"])
        .run();
    let _ = stdout;
}

#[tokio::test(flavor = "multi_thread")]
async fn lookups_that_miss_fail_as_openstack_fails() {
    let t = TestCloud::start().await;
    for args in [
        &["domain", "show", "nowhere"][..],
        &["project", "show", "nothing"],
        &["user", "show", "nobody"],
        &["role", "show", "norole"],
    ] {
        same_failure(&t, args);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_fail_as_openstack_fails_and_name_what_is_wrong() {
    let t = TestCloud::start().await;
    let err = same_failure(&t, &["role", "add", "member"]);
    assert!(
        err.contains("Role not added, incorrect set of arguments"),
        "{err}"
    );
    let err = same_failure(&t, &["role", "remove", "member"]);
    assert!(err.contains("Incorrect set of arguments provided"), "{err}");
    let err = same_failure(&t, &["project", "list", "--sort", "name:sideways"]);
    assert!(
        err.contains("'sideways' is not a valid sort direction for sort key name"),
        "{err}"
    );
    let err = same_failure(&t, &["project", "list", "--sort", ":asc"]);
    assert!(err.contains("is not a valid sort key"), "{err}");
    // No terminal to read a password from: said before anything is created.
    let out = run(t
        .fstack("mock-admin")
        .args(["user", "create", "--password-prompt", "carol"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No terminal detected attempting to read password"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn project_list_sorts_as_openstack_sorts() {
    let t = TestCloud::start().await;
    t.checks("mock-admin")
        .text(&["project", "list", "--sort", "name:desc"])
        .text(&["project", "list", "--sort", "name"])
        .text(&[
            "project",
            "list",
            "--long",
            "--sort",
            "domain_id:asc,name:desc",
        ])
        .run();
}

#[tokio::test(flavor = "multi_thread")]
async fn domains_and_projects_from_create_to_delete() {
    let t = TestCloud::start().await;
    for format in ["table", "json", "value", "shell", "yaml"] {
        let name = format!("TAG1-dom-{format}");
        same_change(
            &t,
            &[
                "domain",
                "create",
                "--description",
                "a domain",
                &name,
                "-f",
                format,
            ],
        );
    }
    same_change(&t, &["domain", "create", "--disable", "TAG1-off"]);
    same_change(&t, &["domain", "create", "--or-show", "TAG1-off"]);
    same_change(
        &t,
        &[
            "domain",
            "set",
            "--description",
            "changed",
            "--disable",
            "TAG1-dom-json",
        ],
    );
    same_change(
        &t,
        &["domain", "set", "--name", "TAG1-renamed", "TAG1-dom-yaml"],
    );
    same_change(&t, &["domain", "show", "TAG1-renamed"]);

    same_change(
        &t,
        &[
            "project",
            "create",
            "--domain",
            "TAG1-dom-table",
            "--description",
            "web tier",
            "--property",
            "team=blue",
            "--tag",
            "a",
            "TAG1-web",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "create",
            "--domain",
            "TAG1-dom-table",
            "--parent",
            "TAG1-web",
            "--disable",
            "TAG1-child",
            "-f",
            "json",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "create",
            "--or-show",
            "--domain",
            "TAG1-dom-table",
            "TAG1-web",
            "-f",
            "yaml",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "set",
            "--domain",
            "TAG1-dom-table",
            "--description",
            "changed",
            "--enable",
            "--tag",
            "b",
            "TAG1-child",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "set",
            "--domain",
            "TAG1-dom-table",
            "--name",
            "TAG1-grown",
            "TAG1-child",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "show",
            "--domain",
            "TAG1-dom-table",
            "TAG1-grown",
            "-f",
            "json",
        ],
    );
    same_change(
        &t,
        &[
            "project",
            "show",
            "--domain",
            "TAG1-dom-table",
            "TAG1-web",
            "-f",
            "value",
        ],
    );
    same_change(
        &t,
        &["project", "list", "--domain", "TAG1-dom-table", "--long"],
    );
    same_change(
        &t,
        &[
            "project",
            "list",
            "--parent",
            "TAG1-web",
            "--domain",
            "TAG1-dom-table",
        ],
    );
    t.checks("mock-admin")
        .text(&["domain", "list"])
        .json(&["domain", "list", "-f", "json"])
        .text(&["project", "list", "--long", "-f", "csv"])
        .text(&["project", "list", "--enabled"])
        .text(&["project", "list", "--disabled", "--long"])
        .run();
    let err = same_failure(&t, &["project", "create", "--domain", "default", "demo"]);
    assert!(err.contains("ConflictException: 409"), "{err}");
    same_failure(&t, &["domain", "delete", "osc1-dom-table", "nowhere"]);
    same_change(
        &t,
        &[
            "project",
            "delete",
            "--domain",
            "TAG1-dom-table",
            "TAG1-grown",
            "TAG1-web",
        ],
    );
    same_change(&t, &["domain", "set", "--disable", "TAG1-dom-table"]);
    same_change(&t, &["domain", "delete", "TAG1-dom-table", "TAG1-off"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn users_from_create_to_delete() {
    let t = TestCloud::start().await;
    same_change(&t, &["domain", "create", "TAG1-dom"]);
    same_change(
        &t,
        &["project", "create", "--domain", "TAG1-dom", "TAG1-proj"],
    );
    same_change(
        &t,
        &[
            "user",
            "create",
            "--domain",
            "TAG1-dom",
            "--project",
            "TAG1-proj",
            "--project-domain",
            "TAG1-dom",
            "--password",
            "Sekr1t-pw",
            "--email",
            "u@example.com",
            "--description",
            "a user",
            "TAG1-alice",
        ],
    );
    same_change(
        &t,
        &[
            "user",
            "create",
            "--domain",
            "TAG1-dom",
            "--password",
            "x",
            "--disable",
            "TAG1-bob",
            "-f",
            "json",
        ],
    );
    same_change(
        &t,
        &[
            "user",
            "create",
            "--domain",
            "TAG1-dom",
            "--or-show",
            "--password",
            "x",
            "TAG1-bob",
            "-f",
            "yaml",
        ],
    );
    same_change(
        &t,
        &[
            "user",
            "set",
            "--domain",
            "TAG1-dom",
            "--email",
            "b@example.com",
            "--enable",
            "--description",
            "bob",
            "TAG1-bob",
        ],
    );
    same_change(
        &t,
        &[
            "user", "set", "--domain", "TAG1-dom", "--name", "TAG1-rob", "TAG1-bob",
        ],
    );
    same_change(
        &t,
        &[
            "user", "show", "--domain", "TAG1-dom", "TAG1-rob", "-f", "json",
        ],
    );
    same_change(
        &t,
        &[
            "user",
            "show",
            "--domain",
            "TAG1-dom",
            "TAG1-alice",
            "-f",
            "shell",
        ],
    );
    same_change(&t, &["user", "list", "--domain", "TAG1-dom", "--long"]);
    same_change(&t, &["user", "list", "--domain", "TAG1-dom", "-f", "json"]);
    // No password: osc warns on stderr; fstack too.
    let osc = run(t.openstack("mock-admin").args([
        "user",
        "create",
        "--domain",
        "osc1-dom",
        "osc1-nopw",
    ]));
    let ours =
        run(t
            .fstack("mock-admin")
            .args(["user", "create", "--domain", "fst1-dom", "fst1-nopw"]));
    assert_eq!(ours.stderr, osc.stderr);
    // The password never shows, not even with --debug.
    let debug = run(t.fstack("mock-admin").args([
        "--debug",
        "user",
        "set",
        "--password",
        "Sekr1t-pw2",
        "--domain",
        "fst1-dom",
        "fst1-alice",
    ]));
    assert!(debug.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&debug.stdout),
        String::from_utf8_lossy(&debug.stderr)
    );
    assert!(!text.contains("Sekr1t"), "{text}");
    same_failure(&t, &["user", "show", "--domain", "osc1-dom", "nobody"]);
    same_change(
        &t,
        &[
            "user",
            "delete",
            "--domain",
            "TAG1-dom",
            "TAG1-rob",
            "TAG1-alice",
        ],
    );
    let err = same_failure(&t, &["user", "delete", "nobody"]);
    assert!(err.contains("1 of 1 users failed to delete."), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_grants_implied_roles_and_assignments() {
    let t = TestCloud::start().await;
    same_change(&t, &["domain", "create", "TAG1-dom"]);
    same_change(
        &t,
        &["project", "create", "--domain", "TAG1-dom", "TAG1-proj"],
    );
    same_change(
        &t,
        &[
            "user",
            "create",
            "--domain",
            "TAG1-dom",
            "--password",
            "pw",
            "TAG1-user",
        ],
    );
    same_change(&t, &["group", "create", "--domain", "TAG1-dom", "TAG1-grp"]);
    same_change(
        &t,
        &["role", "create", "--description", "a role", "TAG1-role"],
    );
    same_change(
        &t,
        &[
            "role",
            "create",
            "--domain",
            "TAG1-dom",
            "TAG1-drole",
            "-f",
            "json",
        ],
    );
    same_change(
        &t,
        &["role", "create", "--or-show", "TAG1-role", "-f", "yaml"],
    );
    same_change(
        &t,
        &["role", "set", "--description", "changed", "TAG1-role"],
    );
    same_change(&t, &["role", "show", "TAG1-role"]);
    same_change(
        &t,
        &[
            "role",
            "show",
            "--domain",
            "TAG1-dom",
            "TAG1-drole",
            "-f",
            "shell",
        ],
    );
    same_change(&t, &["role", "list", "--domain", "TAG1-dom"]);
    for grant in [
        &[
            "--project",
            "TAG1-proj",
            "--project-domain",
            "TAG1-dom",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
        ][..],
        &[
            "--domain",
            "TAG1-dom",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
        ],
        &[
            "--domain",
            "TAG1-dom",
            "--group",
            "TAG1-grp",
            "--group-domain",
            "TAG1-dom",
            "--inherited",
        ],
        &[
            "--project",
            "TAG1-proj",
            "--project-domain",
            "TAG1-dom",
            "--group",
            "TAG1-grp",
            "--group-domain",
            "TAG1-dom",
        ],
        &[
            "--system",
            "all",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
        ],
    ] {
        let words: Vec<&str> = ["role", "add"]
            .into_iter()
            .chain(grant.iter().copied())
            .chain(["TAG1-role"])
            .collect();
        same_change(&t, &words);
    }
    for query in [
        &["--user", "TAG1-user", "--user-domain", "TAG1-dom"][..],
        &[
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
            "--names",
        ],
        &[
            "--group",
            "TAG1-grp",
            "--group-domain",
            "TAG1-dom",
            "--names",
        ],
        &["--project", "TAG1-proj", "--project-domain", "TAG1-dom"],
        &["--domain", "TAG1-dom", "--names"],
        &["--domain", "TAG1-dom", "--inherited"],
        &["--role", "TAG1-role", "--names", "-f", "json"],
        &[
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
            "--effective",
            "--names",
        ],
        &["--system", "all", "--role", "TAG1-role"],
    ] {
        let words: Vec<&str> = ["role", "assignment", "list"]
            .into_iter()
            .chain(query.iter().copied())
            .collect();
        same_change(&t, &words);
    }
    t.checks("mock-admin")
        .text(&["role", "assignment", "list", "--names"])
        .text(&[
            "role",
            "assignment",
            "list",
            "--auth-user",
            "--auth-project",
        ])
        .text(&["role", "assignment", "list", "--effective", "-f", "value"])
        .run();
    same_change(
        &t,
        &[
            "implied",
            "role",
            "create",
            "--implied-role",
            "reader",
            "TAG1-role",
        ],
    );
    t.checks("mock-admin")
        .text(&["implied", "role", "list"])
        .json(&["implied", "role", "list", "-f", "json"])
        .run();
    same_change(
        &t,
        &[
            "implied",
            "role",
            "delete",
            "--implied-role",
            "reader",
            "TAG1-role",
        ],
    );
    for grant in [
        &[
            "--project",
            "TAG1-proj",
            "--project-domain",
            "TAG1-dom",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
        ][..],
        &[
            "--domain",
            "TAG1-dom",
            "--group",
            "TAG1-grp",
            "--group-domain",
            "TAG1-dom",
            "--inherited",
        ],
        &[
            "--system",
            "all",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
        ],
    ] {
        let words: Vec<&str> = ["role", "remove"]
            .into_iter()
            .chain(grant.iter().copied())
            .chain(["TAG1-role"])
            .collect();
        same_change(&t, &words);
    }
    same_change(
        &t,
        &[
            "role",
            "assignment",
            "list",
            "--user",
            "TAG1-user",
            "--user-domain",
            "TAG1-dom",
            "--names",
        ],
    );
    same_failure(
        &t,
        &[
            "role",
            "add",
            "--project",
            "demo",
            "--user",
            "nobody",
            "member",
        ],
    );
    same_change(&t, &["role", "delete", "TAG1-role"]);
    same_change(
        &t,
        &["role", "delete", "--domain", "TAG1-dom", "TAG1-drole"],
    );
    let err = same_failure(&t, &["role", "delete", "norole"]);
    assert!(err.contains("1 of 1 roles failed to delete."), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_and_their_members() {
    let t = TestCloud::start().await;
    same_change(&t, &["user", "create", "--password", "pw", "TAG1-u1"]);
    same_change(&t, &["user", "create", "--password", "pw", "TAG1-u2"]);
    same_change(&t, &["group", "create", "--description", "ops", "TAG1-grp"]);
    same_change(
        &t,
        &["group", "create", "--or-show", "TAG1-grp", "-f", "json"],
    );
    same_change(
        &t,
        &["group", "add", "user", "TAG1-grp", "TAG1-u1", "TAG1-u2"],
    );
    same_change(&t, &["group", "contains", "user", "TAG1-grp", "TAG1-u1"]);
    same_change(&t, &["user", "list", "--group", "TAG1-grp"]);
    same_change(&t, &["group", "list", "--user", "TAG1-u1", "--long"]);
    same_change(&t, &["group", "remove", "user", "TAG1-grp", "TAG1-u2"]);
    let osc = run(t
        .openstack("mock-admin")
        .args(["group", "contains", "user", "osc1-grp", "osc1-u2"]));
    let ours = run(t
        .fstack("mock-admin")
        .args(["group", "contains", "user", "fst1-grp", "fst1-u2"]));
    assert_eq!(ours.status.code(), osc.status.code());
    assert_eq!(
        masked(&String::from_utf8_lossy(&ours.stderr), "fst1"),
        masked(&String::from_utf8_lossy(&osc.stderr), "osc1")
    );
    same_change(
        &t,
        &[
            "group",
            "set",
            "--name",
            "TAG1-ops",
            "--description",
            "changed",
            "TAG1-grp",
        ],
    );
    same_change(&t, &["group", "show", "TAG1-ops", "-f", "yaml"]);
    t.checks("mock-admin")
        .text(&["group", "list", "--long"])
        .run();
    same_change(&t, &["group", "delete", "TAG1-ops"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn regions_services_and_endpoints() {
    let t = TestCloud::start().await;
    same_change(
        &t,
        &["region", "create", "--description", "two", "TAG1-region"],
    );
    same_change(
        &t,
        &[
            "region",
            "create",
            "--parent-region",
            "TAG1-region",
            "TAG1-child",
            "-f",
            "json",
        ],
    );
    same_change(
        &t,
        &["region", "set", "--description", "changed", "TAG1-child"],
    );
    same_change(&t, &["region", "show", "TAG1-child"]);
    same_change(&t, &["region", "list", "--parent-region", "TAG1-region"]);
    same_change(
        &t,
        &[
            "service",
            "create",
            "--name",
            "TAG1-svc",
            "--description",
            "a service",
            "TAG1-type",
        ],
    );
    same_change(
        &t,
        &[
            "service",
            "set",
            "--description",
            "changed",
            "--disable",
            "TAG1-svc",
        ],
    );
    same_change(&t, &["service", "show", "TAG1-type", "-f", "json"]);
    same_change(
        &t,
        &[
            "endpoint",
            "create",
            "--region",
            "TAG1-region",
            "TAG1-svc",
            "public",
            "http://TAG1.example/v1",
        ],
    );
    same_change(&t, &["endpoint", "list", "--service", "TAG1-svc"]);
    same_change(
        &t,
        &[
            "endpoint",
            "list",
            "--service",
            "TAG1-type",
            "--interface",
            "public",
            "--region",
            "TAG1-region",
            "-f",
            "json",
        ],
    );
    t.checks("mock-admin")
        .text(&["region", "list"])
        .text(&["service", "list"])
        .text(&["service", "list", "--long"])
        .text(&["endpoint", "list"])
        .json(&["endpoint", "list", "-f", "json"])
        .run();
    same_failure(&t, &["service", "show", "noservice"]);
    same_failure(&t, &["region", "show", "noregion"]);
    same_change(&t, &["service", "delete", "TAG1-svc"]);
    same_change(&t, &["region", "delete", "TAG1-child", "TAG1-region"]);
}
