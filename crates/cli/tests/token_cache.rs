//! The token cache end to end: `fstack` against a private mock cloud, whose request journal
//! says exactly which calls reached Keystone.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use common::{TestCloud, run, stdout};
use serde_json::Value;

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

/// `POST /auth/tokens` so far.
fn token_requests(t: &TestCloud) -> usize {
    t.cloud
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/auth/tokens"))
        .count()
}

/// Requests to Keystone so far, of any kind.
fn keystone_requests(t: &TestCloud) -> usize {
    t.cloud
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/identity"))
        .count()
}

/// The cache files of this test's home (not the cache's key), sorted.
fn cache_files(t: &TestCloud) -> Vec<PathBuf> {
    let dir = t.path().join("cache/fstack");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// The only cache file, parsed.
fn cache_entry(t: &TestCloud) -> (PathBuf, Value) {
    let files = cache_files(t);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    (files[0].clone(), serde_json::from_str(&text).unwrap())
}

fn flavor_list(t: &TestCloud, extra: &[&str]) -> String {
    stdout(
        t.fstack("mock-admin")
            .args(extra)
            .args(["flavor", "list", "-f", "value", "-c", "Name"]),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_command_makes_no_keystone_request() {
    let t = TestCloud::start().await;
    let first = flavor_list(&t, &[]);
    assert_eq!(token_requests(&t), 1);
    let before = keystone_requests(&t);
    let second = flavor_list(&t, &[]);
    assert_eq!(first, second);
    assert_eq!(token_requests(&t), 1, "the cached token was used");
    assert_eq!(
        keystone_requests(&t),
        before,
        "not even discovery: the catalog is cached"
    );
    // Another user (another scope) has a cache file of its own.
    stdout(t.fstack("mock-demo").args(["flavor", "list"]));
    assert_eq!(token_requests(&t), 2);
    assert_eq!(cache_files(&t).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_is_private_and_holds_no_password() {
    let t = cloud_with_carol().await;
    stdout(t.fstack("mock-carol").args(["flavor", "list"]));
    let (file, entry) = cache_entry(&t);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    assert_eq!(entry["format"], "fstack-token-cache/2");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(CAROL_PASSWORD), "{text}");
    // The file is named by a hash, not by the cloud or the user.
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        !name.contains("carol") && name.len() == 64 + ".json".len(),
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_fails_even_with_a_token_cached() {
    let t = cloud_with_carol().await;
    stdout(t.fstack("mock-carol").args(["flavor", "list"]));
    assert_eq!(token_requests(&t), 1);
    let wrong = run(t
        .fstack("mock-carol")
        .args(["--os-password", "not-carols", "flavor", "list"]));
    assert!(
        !wrong.status.success(),
        "a wrong password rode on the cached token: {}",
        String::from_utf8_lossy(&wrong.stdout)
    );
    assert_eq!(
        token_requests(&t),
        2,
        "it authenticated, and Keystone said no"
    );
    // The cached token of the right password is still there, and still used.
    stdout(t.fstack("mock-carol").args(["flavor", "list"]));
    assert_eq!(token_requests(&t), 2);
    let (_, entry) = cache_entry(&t);
    let text = entry.to_string();
    assert!(
        !text.contains(CAROL_PASSWORD) && !text.contains("not-carols"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_cache_neither_reads_nor_writes() {
    let t = TestCloud::start().await;
    flavor_list(&t, &["--no-cache"]);
    assert_eq!(token_requests(&t), 1);
    assert!(cache_files(&t).is_empty(), "--no-cache wrote a cache");
    flavor_list(&t, &[]);
    let (_, written) = cache_entry(&t);
    flavor_list(&t, &["--no-cache"]);
    assert_eq!(token_requests(&t), 3, "--no-cache authenticated again");
    let (_, after) = cache_entry(&t);
    assert_eq!(written, after, "--no-cache left the cache alone");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_cache_is_replaced() {
    let t = TestCloud::start().await;
    flavor_list(&t, &[]);
    let (file, mut entry) = cache_entry(&t);
    let old_id = entry["token_id"].clone();
    entry["token"]["expires_at"] = Value::String("2020-01-01T00:00:00.000000Z".into());
    std::fs::write(&file, entry.to_string()).unwrap();
    flavor_list(&t, &[]);
    assert_eq!(token_requests(&t), 2, "an expired token is not used");
    let (_, replaced) = cache_entry(&t);
    assert_ne!(replaced["token_id"], old_id);
    flavor_list(&t, &[]);
    assert_eq!(token_requests(&t), 2, "the replacement is used");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_or_foreign_cache_is_ignored_and_replaced() {
    let t = TestCloud::start().await;
    flavor_list(&t, &[]);
    let (file, entry) = cache_entry(&t);
    std::fs::write(&file, b"{\"format\": \"fstack-token-cache/2\", \"tok").unwrap();
    flavor_list(&t, &[]);
    assert_eq!(token_requests(&t), 2);
    let (_, replaced) = cache_entry(&t);
    assert_eq!(replaced["format"], "fstack-token-cache/2");

    // A file of another key (copied, or renamed by hand) is not taken for this one.
    let mut foreign = entry.clone();
    foreign["key"] = Value::String("0".repeat(64));
    std::fs::write(&file, foreign.to_string()).unwrap();
    flavor_list(&t, &[]);
    assert_eq!(token_requests(&t), 3);
    let (_, replaced) = cache_entry(&t);
    assert_ne!(replaced["key"], foreign["key"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_cached_token_costs_one_authentication() {
    let t = TestCloud::start().await;
    flavor_list(&t, &[]);
    let (_, entry) = cache_entry(&t);
    let cached = entry["token_id"].as_str().unwrap().to_owned();
    stdout(t.fstack("mock-admin").args(["token", "revoke", &cached]));
    let before = token_requests(&t);
    let names = flavor_list(&t, &[]);
    assert!(names.contains("m1.tiny"), "{names}");
    assert_eq!(
        token_requests(&t),
        before + 1,
        "one re-authentication after the 401"
    );
    let (_, rewritten) = cache_entry(&t);
    assert_ne!(rewritten["token_id"].as_str(), Some(cached.as_str()));
    flavor_list(&t, &[]);
    assert_eq!(
        token_requests(&t),
        before + 1,
        "and the new token is cached"
    );
}
