//! `fstack catalog list|show` and `--debug` end to end against a private mock cloud.

mod common;

use std::process::Output;

use common::{TestCloud, run, stdout};

/// Exit code, stdout and stderr, for a snapshot.
fn transcript(out: Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

fn fstack(t: &TestCloud, args: &str) -> String {
    transcript(run(t.fstack("mock-admin").args(args.split_whitespace())))
}

/// A password no name or id could contain, so finding it anywhere means it leaked.
const CAROL_PASSWORD: &str = "Tr0ub4dor-and-3";

/// A cloud with user carol (member of demo), reachable as the cloud `mock-carol`.
async fn cloud_with_carol() -> TestCloud {
    let seed: mock_cloud::Seed = serde_json::from_value(serde_json::json!({
        "users": [{"name": "carol", "password": CAROL_PASSWORD,
                   "roles": [{"role": "member", "project": "demo"}]}],
    }))
    .expect("seed");
    let cloud = mock_cloud::MockCloud::builder()
        .seed(seed)
        .start()
        .await
        .expect("mock cloud starts");
    let t = TestCloud::with(cloud).await;
    let carol = t.cloud.credentials("carol").expect("carol is seeded");
    let yaml = mock_cloud::clouds_yaml(&t.cloud.auth_url(), &[("mock-carol", &carol)]);
    std::fs::write(t.path().join("clouds.yaml"), yaml).unwrap();
    t
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => common::filters()}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalog_in_every_format() {
    let t = TestCloud::start().await;
    for (name, args) in [
        ("catalog_list_table", "catalog list"),
        ("catalog_list_json", "catalog list -f json"),
        ("catalog_list_yaml", "catalog list -f yaml -c Name -c Type"),
        (
            "catalog_list_value",
            "catalog list -f value -c Name -c Type",
        ),
        ("catalog_list_csv", "catalog list -f csv -c Name -c Type"),
        ("catalog_show_by_type", "catalog show compute"),
        ("catalog_show_by_name_json", "catalog show glance -f json"),
        (
            "catalog_show_value",
            "catalog show identity -f value -c name -c type",
        ),
        (
            "catalog_show_shell",
            "catalog show identity -f shell -c name -c type",
        ),
        ("catalog_show_unknown", "catalog show volume"),
    ] {
        snap!(name, fstack(&t, args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_traces_requests_without_secrets() {
    let t = TestCloud::start().await;
    // --no-cache: the token must come from Keystone in this very run, so its request is traced.
    let out = run(t.fstack("mock-admin").args([
        "--debug",
        "--no-cache",
        "token",
        "issue",
        "-f",
        "value",
        "-c",
        "id",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.len() > 16, "a token id: {token:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/auth/tokens"),
        "requests are traced:\n{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "colours in a pipe:\n{stderr}");
    assert!(
        !stderr.contains(&token),
        "the token id is in the trace:\n{stderr}"
    );
    // And with a password no name could contain: not in the trace either.
    let t2 = cloud_with_carol().await;
    let out = run(t2.fstack("mock-carol").args(["--debug", "flavor", "list"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/auth/tokens"), "{stderr}");
    assert!(
        !stderr.contains(CAROL_PASSWORD),
        "the password is in the trace:\n{stderr}"
    );

    // A second command with the session's own (cached) token: not in the trace either.
    stdout(t.fstack("mock-admin").args(["flavor", "list"]));
    let out = run(t.fstack("mock-admin").args(["--debug", "server", "list"]));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cached = common_cached_token(&t);
    assert!(stderr.contains("/servers/detail"), "{stderr}");
    assert!(
        !stderr.contains(&cached),
        "the cached token is in the trace:\n{stderr}"
    );
}

/// The token id in this test's (only) cache file.
fn common_cached_token(t: &TestCloud) -> String {
    let dir = t.path().join("cache/fstack");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a cache file");
    let entry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    entry["token_id"].as_str().unwrap().to_owned()
}
