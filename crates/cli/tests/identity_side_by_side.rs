//! The identity commands run with `openstack` (python-openstackclient 10.5, from the test
//! venv) and with `fstack` against one mock cloud print the same bytes.

mod common;

use common::{TestCloud, run, stdout};

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
    assert_eq!(our_err, osc_err, "{args:?}: stderr");
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
