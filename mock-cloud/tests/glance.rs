//! Glance v2 over HTTP: every call, every 4xx of WIRE.md, policy, pagination, filters and
//! sorting, the data plane (hashes, Range, the format gate, stage + import) and persistence
//! across a restart.

use std::collections::BTreeSet;

use md5::Md5;
use mock_cloud::{MockCloud, Seed};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

const PATCH: &str = "application/openstack-images-v2.1-json-patch";

/// One cloud, its HTTP client and tokens for: admin (admin on admin), demo (member on demo),
/// alice (member on `other`) and rita (reader on demo).
struct Glance {
    cloud: MockCloud,
    http: reqwest::Client,
    admin: String,
    demo: String,
    alice: String,
    rita: String,
}

/// An answer: status, headers, body (JSON when it parses, else the text as a JSON string).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

fn test_seed() -> Seed {
    Seed::parse(
        r#"
projects:
  - {name: other}
users:
  - name: alice
    password: alice
    roles: [{role: member, project: other}]
  - name: rita
    password: rita
    roles: [{role: reader, project: demo}]
"#,
        false,
    )
    .unwrap()
}

impl Glance {
    async fn start() -> Glance {
        Glance::start_with(MockCloud::builder()).await
    }

    async fn start_with(builder: mock_cloud::MockCloudBuilder) -> Glance {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cloud = builder.seed(test_seed()).start().await.unwrap();
        Glance {
            http: reqwest::Client::new(),
            admin: cloud.token("admin", "admin").unwrap(),
            demo: cloud.token("demo", "demo").unwrap(),
            alice: cloud.token("alice", "other").unwrap(),
            rita: cloud.token("rita", "demo").unwrap(),
            cloud,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/image{path}", self.cloud.base_url())
    }

    fn project(&self, name: &str) -> String {
        self.cloud.project_id(name).unwrap()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    fn request(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("x-auth-token", token)
            .header("accept", "application/json")
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(self.request(token, Method::GET, path)).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.request(token, Method::POST, path).json(&body))
            .await
    }

    async fn put_json(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.request(token, Method::PUT, path).json(&body))
            .await
    }

    async fn delete(&self, token: &str, path: &str) -> Answer {
        self.send(self.request(token, Method::DELETE, path)).await
    }

    async fn patch(&self, token: &str, id: &str, ops: Value) -> Answer {
        self.send(
            self.request(token, Method::PATCH, &format!("/v2/images/{id}"))
                .header("content-type", PATCH)
                .body(ops.to_string()),
        )
        .await
    }

    /// Creates an image; asserts 201 and returns it.
    async fn create(&self, token: &str, body: Value) -> Value {
        let answer = self.post(token, "/v2/images", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body
    }

    async fn upload(&self, token: &str, id: &str, bytes: Vec<u8>) -> Answer {
        self.send(
            self.request(token, Method::PUT, &format!("/v2/images/{id}/file"))
                .header("content-type", "application/octet-stream")
                .body(bytes),
        )
        .await
    }

    async fn image(&self, token: &str, id: &str) -> Value {
        let answer = self.get(token, &format!("/v2/images/{id}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body
    }

    async fn names(&self, token: &str, query: &str) -> Vec<String> {
        let answer = self.get(token, &format!("/v2/images{query}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
        names_of(&answer.body)
    }
}

fn names_of(body: &Value) -> Vec<String> {
    body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn id_of(image: &Value) -> String {
    image["id"].as_str().unwrap().to_owned()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn assert_error(answer: &Answer, status: StatusCode, message: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["message"], message, "{}", answer.body);
    let reason = status.canonical_reason().unwrap();
    assert_eq!(answer.body["code"], format!("{} {reason}", status.as_u16()));
    assert_eq!(answer.body["title"], reason);
}

/// Glance's 415 for an upload: WebOb's sentence, then Glance's detail.
fn assert_refused(answer: &Answer, detail: &str) {
    assert_error(
        answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &format!(
            "The request media type application/octet-stream is not supported by this \
             server.\n<br /><br />\n{detail}"
        ),
    );
}

/// Bytes that are no disk format (a fixed pseudo-random pattern).
fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as u8
        })
        .collect()
}

/// A minimal qcow2 v3 header (1 GiB virtual), optionally naming a backing file.
fn qcow2(backing_file: Option<&str>) -> Vec<u8> {
    let mut h = vec![0u8; 64 * 1024];
    h[0..4].copy_from_slice(b"QFI\xfb");
    h[4..8].copy_from_slice(&3u32.to_be_bytes());
    if let Some(name) = backing_file {
        h[8..16].copy_from_slice(&512u64.to_be_bytes());
        h[16..20].copy_from_slice(&(name.len() as u32).to_be_bytes());
        h[512..512 + name.len()].copy_from_slice(name.as_bytes());
    }
    h[20..24].copy_from_slice(&16u32.to_be_bytes());
    h[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    h[100..104].copy_from_slice(&104u32.to_be_bytes());
    h
}

#[tokio::test]
async fn discovery_lists_versions_as_glance_33_does() {
    let g = Glance::start().await;
    // `/image/` (trailing slash) is the outer router's business (app.rs), not Glance's.
    // `/versions` is an explicit request: 200; the others offer a choice: 300.
    for (path, status) in [
        ("", StatusCode::MULTIPLE_CHOICES),
        ("/versions", StatusCode::OK),
    ] {
        let answer = g.send(g.http.get(g.url(path))).await;
        assert_eq!(answer.status, status, "{path}");
        let versions = answer.body["versions"].as_array().unwrap();
        // Glance 33's order with a multi-store backend and no cache: CURRENT is not first.
        assert_eq!(versions[0]["id"], "v2.15");
        let current: Vec<_> = versions
            .iter()
            .filter(|v| v["status"] == "CURRENT")
            .collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["id"], "v2.17");
        assert_eq!(
            current[0]["links"][0]["href"],
            format!("{}/image/v2/", g.cloud.base_url())
        );
        assert!(!versions.iter().any(|v| v["id"] == "v2.16"));
        assert_eq!(versions.last().unwrap()["id"], "v2.0");
    }
    // No version document under /v2: a token is needed, then a redirect to /v2/, a 404.
    let answer = g.send(g.http.get(g.url("/v2"))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(g.url("/v2"))
        .header("X-Auth-Token", &g.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        format!("{}/image/v2/", g.cloud.base_url()).as_str()
    );
    let answer = g
        .send(g.http.get(g.url("/v2/")).header("X-Auth-Token", &g.admin))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn calls_need_a_token_and_errors_follow_the_accept_header() {
    let g = Glance::start().await;
    let answer = g.send(g.http.get(g.url("/v2/images"))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let missing = format!("/v2/images/{}", uuid::Uuid::new_v4());
    let json = g.get(&g.demo, &missing).await;
    assert_eq!(json.headers["content-type"], "application/json");
    // No usable Accept header: WebOb's plain text.
    let text = g
        .send(
            g.http
                .get(g.url(&missing))
                .header("x-auth-token", &g.demo)
                .header("accept", ""),
        )
        .await;
    assert_eq!(text.status, StatusCode::NOT_FOUND);
    assert!(
        text.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = text.body.as_str().unwrap();
    assert!(body.starts_with("404 Not Found\n\n"), "{body}");
    assert!(body.contains("No image found with ID"), "{body}");
    // `Accept: */*` (python-requests' default): WebOb's HTML page, which openstacksdk reads
    // the message from.
    let html = g
        .send(
            g.http
                .get(g.url(&missing))
                .header("x-auth-token", &g.demo)
                .header("accept", "*/*"),
        )
        .await;
    assert_eq!(html.headers["content-type"], "text/html; charset=UTF-8");
    let body = html.body.as_str().unwrap();
    assert!(body.contains("<h1>404 Not Found</h1>"), "{body}");
    assert!(
        body.contains(&format!("No image found with ID {}", &missing[11..])),
        "{body}"
    );
    let unauthorized = g
        .send(g.http.get(g.url("/v2/images")).header("accept", "*/*"))
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert!(unauthorized.headers.contains_key("www-authenticate"));
    assert!(
        unauthorized
            .body
            .as_str()
            .unwrap()
            .contains("requires authentication"),
        "{}",
        unauthorized.body
    );
}

#[tokio::test]
async fn create_fills_glance_defaults_and_headers() {
    let g = Glance::start().await;
    let answer = g
        .post(
            &g.demo,
            "/v2/images",
            json!({"name": "cirros", "os_distro": "cirros"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let image = &answer.body;
    let id = id_of(image);
    assert_eq!(
        answer.headers["location"],
        format!("{}/image/v2/images/{id}", g.cloud.base_url()).as_str()
    );
    assert_eq!(
        answer.headers["openstack-image-import-methods"],
        "glance-direct"
    );
    assert_eq!(answer.headers["openstack-image-store-ids"], "fs");
    assert!(image.get("stores").is_none(), "no data, no stores");
    assert_eq!(image["status"], "queued");
    assert_eq!(image["visibility"], "shared");
    assert_eq!(image["protected"], false);
    assert_eq!(image["os_hidden"], false);
    assert_eq!(image["min_disk"], 0);
    assert_eq!(image["min_ram"], 0);
    assert_eq!(image["owner"], g.project("demo"));
    assert_eq!(image["os_distro"], "cirros");
    assert_eq!(image["tags"], json!([]));
    for null in [
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "size",
        "virtual_size",
        "disk_format",
        "container_format",
    ] {
        assert!(image[null].is_null(), "{null}");
    }
    assert_eq!(image["self"], format!("/v2/images/{id}"));
    assert_eq!(image["file"], format!("/v2/images/{id}/file"));
    assert_eq!(image["schema"], "/v2/schemas/image");
    let created = image["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2026-01-01T00:00:00Z".len(), "{created}");
    assert!(created.ends_with('Z'));

    // A client-chosen id, then the same id again.
    let fixed = uuid::Uuid::new_v4().to_string();
    g.create(&g.demo, json!({"id": fixed, "name": "fixed"}))
        .await;
    let again = g
        .post(&g.demo, "/v2/images", json!({"id": fixed, "name": "again"}))
        .await;
    assert_error(
        &again,
        StatusCode::CONFLICT,
        &format!("Image with identifier {fixed} already exists!"),
    );
}

#[tokio::test]
async fn create_refuses_what_glance_refuses() {
    let g = Glance::start().await;
    let cases: Vec<(Value, StatusCode, String)> = vec![
        (
            json!({"self": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'self' is read-only.".into(),
        ),
        (
            json!({"file": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'file' is read-only.".into(),
        ),
        (
            json!({"schema": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'schema' is read-only.".into(),
        ),
        (
            json!({"direct_url": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'direct_url' is read-only.".into(),
        ),
        (
            json!({"stores": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'stores' is read-only.".into(),
        ),
        (
            json!({"status": "active"}),
            StatusCode::FORBIDDEN,
            "Attribute 'status' is read-only.".into(),
        ),
        (
            json!({"checksum": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'checksum' is read-only.".into(),
        ),
        (
            json!({"location": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'location' is reserved.".into(),
        ),
        (
            json!({"deleted": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'deleted' is reserved.".into(),
        ),
        (
            json!({"deleted_at": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'deleted_at' is reserved.".into(),
        ),
        (
            json!({"os_glance_import_task": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'os_glance_import_task' is reserved.".into(),
        ),
        (
            json!({"k".repeat(256): "v"}),
            StatusCode::BAD_REQUEST,
            "Custom property should not be greater than 255 characters.".into(),
        ),
        (
            json!({"visibility": "public"}),
            StatusCode::FORBIDDEN,
            "You are not authorized to complete publicize_image action.".into(),
        ),
        (
            json!({"owner": "someone-else"}),
            StatusCode::FORBIDDEN,
            "You are not permitted to create images owned by 'someone-else'".into(),
        ),
    ];
    for (body, status, message) in cases {
        let answer = g.post(&g.demo, "/v2/images", body.clone()).await;
        assert_error(&answer, status, &message);
    }
    // Schema violations are 400s that name the value.
    for body in [
        json!({"id": "not-a-uuid"}),
        json!({"disk_format": "floppy"}),
        json!({"visibility": "everyone"}),
        json!({"min_ram": "lots"}),
        json!({"protected": "yes"}),
        json!({"os_distro": 7}),
        json!({"name": "n".repeat(256)}),
    ] {
        let answer = g.post(&g.demo, "/v2/images", body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer.body["message"].as_str().unwrap();
        assert!(
            message.starts_with("Provided object does not match schema 'image'"),
            "{message}"
        );
    }
    let malformed = g
        .send(
            g.request(&g.demo, Method::POST, "/v2/images")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_error(
        &malformed,
        StatusCode::BAD_REQUEST,
        "Malformed JSON in request body.",
    );
    // A reader may not create; an admin may publicize and set any owner.
    let reader = g.post(&g.rita, "/v2/images", json!({"name": "r"})).await;
    assert_error(
        &reader,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete add_image action.",
    );
    let public = g
        .create(
            &g.admin,
            json!({"name": "pub", "visibility": "public", "owner": g.project("demo")}),
        )
        .await;
    assert_eq!(public["visibility"], "public");
    assert_eq!(public["owner"], g.project("demo"));
    // Empty listing for a fresh cloud except what was made here.
    assert_eq!(g.names(&g.demo, "").await, vec!["pub"]);
}

#[tokio::test]
async fn show_is_404_for_unknown_ids_and_other_projects_private_images() {
    let g = Glance::start().await;
    let missing = uuid::Uuid::new_v4().to_string();
    assert_error(
        &g.get(&g.demo, &format!("/v2/images/{missing}")).await,
        StatusCode::NOT_FOUND,
        &format!("No image found with ID {missing}"),
    );
    assert_error(
        &g.get(&g.demo, "/v2/images/cirros").await,
        StatusCode::NOT_FOUND,
        "No image found with ID cirros",
    );
    let private = id_of(
        &g.create(&g.admin, json!({"name": "p", "visibility": "private"}))
            .await,
    );
    let shared = id_of(&g.create(&g.admin, json!({"name": "s"})).await);
    let public = id_of(
        &g.create(&g.admin, json!({"name": "u", "visibility": "public"}))
            .await,
    );
    let community = id_of(
        &g.create(&g.admin, json!({"name": "c", "visibility": "community"}))
            .await,
    );
    for hidden in [&private, &shared] {
        let answer = g.get(&g.demo, &format!("/v2/images/{hidden}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
    g.image(&g.demo, &public).await;
    g.image(&g.demo, &community).await;
    g.image(&g.admin, &private).await;
    // Seeing is not changing.
    let answer = g
        .patch(
            &g.demo,
            &public,
            json!([{"op": "replace", "path": "/name", "value": "x"}]),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete modify_image action.",
    );
    let answer = g.delete(&g.demo, &format!("/v2/images/{public}")).await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete delete_image action.",
    );
    let answer = g.delete(&g.demo, &format!("/v2/images/{private}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn patch_adds_replaces_and_removes_like_glance() {
    let g = Glance::start().await;
    let id = id_of(&g.create(&g.demo, json!({"name": "img", "a": "1"})).await);

    // Wrong media type: 415 with Accept-Patch.
    let wrong = g
        .send(
            g.request(&g.demo, Method::PATCH, &format!("/v2/images/{id}"))
                .json(&json!([{"op": "add", "path": "/b", "value": "2"}])),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let accept_patch = wrong.headers["accept-patch"].to_str().unwrap();
    assert!(accept_patch.contains(PATCH), "{accept_patch}");

    let answer = g
        .patch(
            &g.demo,
            &id,
            json!([
                {"op": "add", "path": "/b", "value": "2"},
                {"op": "replace", "path": "/a", "value": "one"},
                {"op": "replace", "path": "/name", "value": "renamed"},
                {"op": "add", "path": "/min_ram", "value": 512},
                {"op": "add", "path": "/tags", "value": ["x", "y", "x"]},
                {"op": "replace", "path": "/disk_format", "value": "qcow2"},
            ]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let image = &answer.body;
    assert_eq!(image["a"], "one");
    assert_eq!(image["b"], "2");
    assert_eq!(image["name"], "renamed");
    assert_eq!(image["min_ram"], 512);
    assert_eq!(image["tags"], json!(["x", "y"]));
    assert_eq!(image["disk_format"], "qcow2");

    let answer = g
        .patch(&g.demo, &id, json!([{"op": "remove", "path": "/b"}]))
        .await;
    assert!(answer.body.get("b").is_none());

    let cases = [
        (
            json!([{"op": "replace", "path": "/missing", "value": "v"}]),
            StatusCode::CONFLICT,
            "Property missing does not exist.",
        ),
        (
            json!([{"op": "remove", "path": "/missing"}]),
            StatusCode::CONFLICT,
            "Property missing does not exist.",
        ),
        (
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'status' is read-only.",
        ),
        (
            json!([{"op": "replace", "path": "/id", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'id' is read-only.",
        ),
        (
            json!([{"op": "add", "path": "/os_hash_value", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'os_hash_value' is read-only.",
        ),
        (
            json!([{"op": "add", "path": "/deleted", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'deleted' is reserved.",
        ),
        (
            json!([{"op": "add", "path": "/os_glance_x", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'os_glance_x' is reserved.",
        ),
        (
            json!([{"op": "remove", "path": "/name"}]),
            StatusCode::FORBIDDEN,
            "Property name may not be removed.",
        ),
        (
            json!([{"op": "add", "path": "/visibility", "value": "public"}]),
            StatusCode::FORBIDDEN,
            "You are not authorized to complete publicize_image action.",
        ),
        (
            json!([{"op": "add", "path": "/owner", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "Owner can't be updated by non admin.",
        ),
        (
            json!([{"op": "move", "path": "/a"}]),
            StatusCode::BAD_REQUEST,
            "Invalid operation: `move`. It must be one of the following: add, remove, replace.",
        ),
        (
            json!([{"op": "add", "path": "/a"}]),
            StatusCode::BAD_REQUEST,
            "Operation \"add\" requires a member named \"value\".",
        ),
        (
            json!([{"op": "add", "path": "a", "value": "v"}]),
            StatusCode::BAD_REQUEST,
            "Pointer `a` does not start with \"/\".",
        ),
        (
            json!({"op": "add"}),
            StatusCode::BAD_REQUEST,
            "Request body must be a JSON array of operation objects.",
        ),
    ];
    for (ops, status, message) in cases {
        let answer = g.patch(&g.demo, &id, ops.clone()).await;
        assert_error(&answer, status, message);
    }
    let answer = g
        .patch(
            &g.demo,
            &id,
            json!([{"op": "add", "path": "/c", "value": 3}]),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "extra properties are strings"
    );
    // A failed document changes nothing (all or nothing).
    let answer = g
        .patch(
            &g.demo,
            &id,
            json!([{"op": "add", "path": "/z", "value": "z"},
                   {"op": "remove", "path": "/missing"}]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(g.image(&g.demo, &id).await.get("z").is_none());
    // A reader of the project may look but not change.
    g.image(&g.rita, &id).await;
    let answer = g
        .patch(
            &g.rita,
            &id,
            json!([{"op": "add", "path": "/r", "value": "r"}]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // The admin may publicize.
    let answer = g
        .patch(
            &g.admin,
            &id,
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(answer.body["visibility"], "public");
}

#[tokio::test]
async fn delete_tags_and_protection() {
    let g = Glance::start().await;
    let id = id_of(
        &g.create(&g.demo, json!({"name": "img", "protected": true}))
            .await,
    );
    let path = format!("/v2/images/{id}");
    assert_error(
        &g.delete(&g.demo, &path).await,
        StatusCode::FORBIDDEN,
        &format!("Image {id} is protected and cannot be deleted."),
    );
    assert_eq!(
        g.send(g.request(&g.demo, Method::PUT, &format!("{path}/tags/blue")))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        g.send(g.request(&g.demo, Method::PUT, &format!("{path}/tags/blue")))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.image(&g.demo, &id).await["tags"], json!(["blue"]));
    assert_eq!(
        g.delete(&g.demo, &format!("{path}/tags/blue")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        g.delete(&g.demo, &format!("{path}/tags/blue")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        g.send(g.request(&g.rita, Method::PUT, &format!("{path}/tags/red")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    g.patch(
        &g.demo,
        &id,
        json!([{"op": "replace", "path": "/protected", "value": false}]),
    )
    .await;
    assert_eq!(
        g.delete(&g.demo, &path).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.get(&g.demo, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(g.delete(&g.demo, &path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_share_an_image_once_accepted() {
    let g = Glance::start().await;
    let demo = g.project("demo");
    let other = g.project("other");
    let private = id_of(
        &g.create(&g.demo, json!({"name": "priv", "visibility": "private"}))
            .await,
    );
    let answer = g
        .post(
            &g.demo,
            &format!("/v2/images/{private}/members"),
            json!({"member": other}),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        &format!("Not allowed to create members for image {private}."),
    );
    let answer = g
        .get(&g.demo, &format!("/v2/images/{private}/members"))
        .await;
    assert_error(
        &answer,
        StatusCode::FORBIDDEN,
        &format!(
            "Not allowed to list members for image {private}: Only shared images have members."
        ),
    );

    let id = id_of(&g.create(&g.demo, json!({"name": "shared-img"})).await);
    let members = format!("/v2/images/{id}/members");
    assert_eq!(
        g.get(&g.alice, &format!("/v2/images/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let answer = g.post(&g.demo, &members, json!({"member": other})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "pending");
    assert_eq!(answer.body["member_id"], other);
    assert_eq!(answer.body["image_id"], id);
    assert_eq!(answer.body["schema"], "/v2/schemas/member");
    let duplicate = g.post(&g.demo, &members, json!({"member": other})).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let missing = g.post(&g.demo, &members, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    g.post(&g.demo, &members, json!({"member": "third-project"}))
        .await;

    // A pending member sees the image but not in its default list.
    g.image(&g.alice, &id).await;
    assert!(g.names(&g.alice, "").await.is_empty());
    assert_eq!(
        g.names(&g.alice, "?member_status=pending").await,
        vec!["shared-img"]
    );
    // Only the member decides its status.
    let mine = format!("{members}/{other}");
    let answer = g
        .put_json(&g.demo, &mine, json!({"status": "accepted"}))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = g
        .put_json(&g.alice, &mine, json!({"status": "maybe"}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = g
        .put_json(&g.alice, &mine, json!({"status": "accepted"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], "accepted");
    assert_eq!(g.names(&g.alice, "").await, vec!["shared-img"]);
    assert_eq!(
        g.names(&g.alice, "?visibility=shared").await,
        vec!["shared-img"]
    );
    // The owner sees every member, a member only itself.
    let all = g.get(&g.demo, &members).await;
    assert_eq!(all.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(all.body["schema"], "/v2/schemas/members");
    let own = g.get(&g.alice, &members).await;
    assert_eq!(own.body["members"].as_array().unwrap().len(), 1);
    assert_eq!(g.get(&g.alice, &mine).await.body["status"], "accepted");
    assert_eq!(
        g.get(&g.alice, &format!("{members}/third-project"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A member may not change the image, nor remove members.
    assert_eq!(
        g.delete(&g.alice, &mine).await.status,
        StatusCode::FORBIDDEN
    );
    // The owner removes the member: the image is gone for it.
    assert_eq!(
        g.delete(&g.demo, &mine).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.delete(&g.demo, &mine).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        g.get(&g.alice, &format!("/v2/images/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(demo, g.image(&g.demo, &id).await["owner"]);
}

#[tokio::test]
async fn list_pages_follow_next_until_it_is_absent() {
    let g = Glance::start().await;
    for i in 0..5 {
        g.create(&g.demo, json!({"name": format!("img-{i}")})).await;
    }
    // Default order: newest first.
    assert_eq!(
        g.names(&g.demo, "").await,
        vec!["img-4", "img-3", "img-2", "img-1", "img-0"]
    );
    let mut seen = Vec::new();
    let mut path = "/v2/images?limit=2&sort=name:asc".to_owned();
    let mut pages = 0;
    loop {
        let answer = g.get(&g.demo, &path).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["schema"], "/v2/schemas/images");
        assert_eq!(answer.body["first"], "/v2/images?limit=2&sort=name%3Aasc");
        seen.extend(names_of(&answer.body));
        pages += 1;
        match answer.body.get("next").and_then(Value::as_str) {
            Some(next) => {
                assert!(next.starts_with("/v2/images?"), "{next}");
                path = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, vec!["img-0", "img-1", "img-2", "img-3", "img-4"]);
    assert_eq!(pages, 3);
    // Four images in pages of two: the third page is empty and has no next.
    g.create(&g.demo, json!({"name": "img-5"})).await;
    let mut path = "/v2/images?limit=3".to_owned();
    let mut sizes = Vec::new();
    loop {
        let answer = g.get(&g.demo, &path).await;
        sizes.push(answer.body["images"].as_array().unwrap().len());
        match answer.body.get("next").and_then(Value::as_str) {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(sizes, vec![3, 3, 0]);

    let marker = uuid::Uuid::new_v4();
    let answer = g.get(&g.demo, &format!("/v2/images?marker={marker}")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        &format!("No image found with ID {marker}"),
    );
    assert_error(
        &g.get(&g.demo, "/v2/images?limit=abc").await,
        StatusCode::BAD_REQUEST,
        "limit param must be an integer",
    );
}

#[tokio::test]
async fn list_default_limit_is_25() {
    let g = Glance::start().await;
    for i in 0..26 {
        g.create(&g.demo, json!({"name": format!("n{i:02}")})).await;
    }
    let answer = g.get(&g.demo, "/v2/images").await;
    assert_eq!(answer.body["images"].as_array().unwrap().len(), 25);
    let next = answer.body["next"].as_str().unwrap();
    let rest = g.get(&g.demo, next).await;
    assert_eq!(names_of(&rest.body), vec!["n00"]);
    assert!(rest.body.get("next").is_none());
    assert_eq!(
        g.get(&g.demo, "/v2/images?limit=5000").await.body["images"]
            .as_array()
            .unwrap()
            .len(),
        26
    );
}

#[tokio::test]
async fn list_filters_and_sorting() {
    let g = Glance::start().await;
    let a = g
        .create(
            &g.demo,
            json!({"name": "alpha", "disk_format": "qcow2", "container_format": "bare",
                                "os_distro": "cirros", "tags": ["x", "y"], "protected": true}),
        )
        .await;
    g.create(
        &g.demo,
        json!({"name": "beta", "disk_format": "raw", "container_format": "bare",
                             "tags": ["x"], "visibility": "private"}),
    )
    .await;
    g.create(&g.demo, json!({"name": "gamma", "os_hidden": true}))
        .await;
    g.create(&g.demo, json!({"name": "delta", "visibility": "community"}))
        .await;
    g.create(
        &g.admin,
        json!({"name": "admin-public", "visibility": "public"}),
    )
    .await;
    g.create(
        &g.admin,
        json!({"name": "admin-community", "visibility": "community"}),
    )
    .await;
    g.create(
        &g.admin,
        json!({"name": "admin-private", "visibility": "private"}),
    )
    .await;
    let b = g.names(&g.demo, "?name=beta").await;
    assert_eq!(b, vec!["beta"]);
    let raw_id = id_of(&g.get(&g.demo, "/v2/images?name=beta").await.body["images"][0]);
    g.upload(&g.demo, &raw_id, vec![1u8; 1000]).await;

    let as_set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        as_set(g.names(&g.demo, "").await),
        set(&["alpha", "beta", "delta", "admin-public"])
    );
    assert_eq!(
        as_set(g.names(&g.demo, "?os_hidden=true").await),
        set(&["gamma"])
    );
    assert_eq!(
        as_set(g.names(&g.demo, "?name=in:alpha,gamma,beta").await),
        set(&["alpha", "beta"])
    );
    assert_eq!(
        as_set(g.names(&g.demo, "?tag=x").await),
        set(&["alpha", "beta"])
    );
    assert_eq!(g.names(&g.demo, "?tag=x&tag=y").await, vec!["alpha"]);
    assert_eq!(g.names(&g.demo, "?os_distro=cirros").await, vec!["alpha"]);
    assert_eq!(g.names(&g.demo, "?protected=true").await, vec!["alpha"]);
    assert_eq!(g.names(&g.demo, "?disk_format=raw").await, vec!["beta"]);
    assert_eq!(
        as_set(g.names(&g.demo, "?container_format=bare").await),
        set(&["alpha", "beta"])
    );
    assert_eq!(g.names(&g.demo, "?status=active").await, vec!["beta"]);
    assert_eq!(
        g.names(&g.demo, "?size_min=999&size_max=1000").await,
        vec!["beta"]
    );
    assert!(g.names(&g.demo, "?size_min=1001").await.is_empty());
    assert_eq!(g.names(&g.demo, "?visibility=private").await, vec!["beta"]);
    assert_eq!(
        g.names(&g.demo, "?visibility=public").await,
        vec!["admin-public"]
    );
    assert_eq!(
        as_set(g.names(&g.demo, "?visibility=community").await),
        set(&["delta", "admin-community"])
    );
    assert_eq!(
        as_set(g.names(&g.demo, "?visibility=all").await),
        set(&["alpha", "beta", "delta", "admin-public", "admin-community"])
    );
    assert_eq!(
        as_set(
            g.names(&g.demo, &format!("?owner={}", g.project("admin")))
                .await
        ),
        set(&["admin-public"])
    );
    assert_eq!(
        g.names(&g.demo, &format!("?id={}", id_of(&a))).await,
        vec!["alpha"]
    );
    // Admin sees every project's images, but another project's community images only when
    // asked for (Glance's community rule applies to admins too).
    assert!(!g.names(&g.admin, "").await.contains(&"delta".to_owned()));
    assert!(
        g.names(&g.admin, "?visibility=all")
            .await
            .contains(&"delta".to_owned())
    );
    assert_error(
        &g.get(&g.demo, "/v2/images?protected=yes").await,
        StatusCode::BAD_REQUEST,
        "Invalid value 'yes' for 'protected' filter. Valid values are 'true' or 'false'.",
    );
    assert!(g.names(&g.admin, "").await.contains(&"beta".to_owned()));
    assert!(
        g.names(&g.admin, "")
            .await
            .contains(&"admin-private".to_owned())
    );
    // Time comparisons.
    let created = a["created_at"].as_str().unwrap();
    assert!(
        g.names(&g.demo, &format!("?created_at=lt:{created}"))
            .await
            .is_empty()
    );
    assert_eq!(
        g.names(&g.demo, &format!("?created_at=gte:{created}"))
            .await
            .len(),
        4
    );
    assert_eq!(
        g.names(&g.demo, "?created_at=gt:2000-01-01T00:00:00Z")
            .await
            .len(),
        4
    );
    assert_eq!(
        g.names(&g.demo, "?updated_at=lt:2000-01-01T00:00:00Z")
            .await
            .len(),
        0
    );
    assert_eq!(
        g.get(&g.demo, "/v2/images?created_at=about:2000-01-01T00:00:00Z")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Sorting.
    assert_eq!(
        g.names(&g.demo, "?sort_key=name&sort_dir=asc").await,
        vec!["admin-public", "alpha", "beta", "delta"]
    );
    assert_eq!(
        g.names(&g.demo, "?sort=name:desc").await,
        vec!["delta", "beta", "alpha", "admin-public"]
    );
    assert_eq!(
        g.names(
            &g.demo,
            "?sort_key=disk_format&sort_key=name&sort_dir=desc&sort_dir=asc"
        )
        .await,
        vec!["beta", "alpha", "admin-public", "delta"]
    );
    assert_error(
        &g.get(&g.demo, "/v2/images?sort=name&sort_key=size").await,
        StatusCode::BAD_REQUEST,
        "Old and new sorting syntax cannot be combined",
    );
    assert_eq!(
        g.get(&g.demo, "/v2/images?sort_key=owner").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        g.get(&g.demo, "/v2/images?sort_dir=up").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        g.get(&g.demo, "/v2/images?visibility=mine").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn upload_stores_bytes_with_correct_hashes_and_serves_ranges() {
    let g = Glance::start().await;
    let image = g
        .create(
            &g.demo,
            json!({"name": "raw", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = id_of(&image);
    let file = format!("/v2/images/{id}/file");
    // Nothing yet: 204.
    assert_eq!(g.get(&g.demo, &file).await.status, StatusCode::NO_CONTENT);
    let bytes = random_bytes(300_000);

    let wrong_type = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/json")
                .body(bytes.clone()),
        )
        .await;
    assert_error(
        &wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "The request media type application/json is not supported by this server.\n<br /><br />\n\
         Invalid content type application/json",
    );
    // Chunked (no Content-Length), in uneven chunks.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(7919).map(|c| Ok(c.to_vec())).collect();
    let answer = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/octet-stream")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], bytes.len());
    assert_eq!(image["virtual_size"], bytes.len());
    assert_eq!(image["checksum"], hex::encode(Md5::digest(&bytes)));
    assert_eq!(image["os_hash_algo"], "sha512");
    assert_eq!(image["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    assert_eq!(image["stores"], "fs");

    // Again: 409, the status machine forbids active -> saving.
    assert_error(
        &g.upload(&g.demo, &id, vec![1, 2, 3]).await,
        StatusCode::CONFLICT,
        "Image status transition from active to saving is not allowed",
    );

    let whole = g
        .http
        .get(g.url(&file))
        .header("x-auth-token", &g.demo)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        whole.headers()["content-md5"],
        hex::encode(Md5::digest(&bytes)).as_str()
    );
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let ranged = |range: &'static str| {
        g.http
            .get(g.url(&file))
            .header("x-auth-token", &g.demo)
            .header("range", range)
            .send()
    };
    let part = ranged("bytes=100-199").await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/300000");
    assert_eq!(part.headers()["content-length"], "100");
    assert_eq!(
        part.headers()["content-md5"],
        hex::encode(Md5::digest(&bytes)).as_str(),
        "Glance sends the whole image's md5 with a range too"
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let tail = ranged("bytes=-10").await.unwrap();
    assert_eq!(
        tail.headers()["content-range"],
        "bytes 299990-299999/300000"
    );
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[299_990..]);
    let open = ranged("bytes=299000-").await.unwrap();
    assert_eq!(open.bytes().await.unwrap().len(), 1000);
    let beyond = ranged("bytes=300000-").await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(
        !beyond.headers().contains_key("content-range"),
        "Glance's 416 carries no Content-Range"
    );
}

#[tokio::test]
async fn upload_preconditions() {
    let g = Glance::start().await;
    let bare = id_of(&g.create(&g.demo, json!({"name": "no-formats"})).await);
    assert_error(
        &g.upload(&g.demo, &bare, vec![0; 10]).await,
        StatusCode::BAD_REQUEST,
        "Properties disk_format and container_format must be set prior to saving data.",
    );
    let id = id_of(
        &g.create(
            &g.demo,
            json!({"name": "i", "disk_format": "raw", "container_format": "bare"}),
        )
        .await,
    );
    let file = format!("/v2/images/{id}/file");
    // A size promise that the body breaks: 400, and the image is queued again.
    let answer = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/octet-stream")
                .header("x-openstack-image-size", "11")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "Size mismatch: expected 11 bytes, got 10 bytes",
    );
    assert_eq!(g.image(&g.demo, &id).await["status"], "queued");
    let answer = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/octet-stream")
                .header("x-openstack-image-size", "ten")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "Invalid or missing image size in request headers.",
    );
    // The one store is `fs`; naming another is refused.
    let answer = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/octet-stream")
                .header("x-image-meta-store", "ceph")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "Unknown scheme 'ceph' found in URI",
    );
    // Readers and other projects may not upload.
    assert_error(
        &g.upload(&g.rita, &id, vec![0; 10]).await,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete upload_image action.",
    );
    assert_eq!(
        g.upload(&g.alice, &id, vec![0; 10]).await.status,
        StatusCode::NOT_FOUND
    );
    let answer = g
        .send(
            g.request(&g.demo, Method::PUT, &file)
                .header("content-type", "application/octet-stream")
                .header("x-openstack-image-size", "10")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(g.image(&g.demo, &id).await["status"], "active");
    // A reader sees the image but may not download it (download_image needs a member role).
    g.image(&g.rita, &id).await;
    assert_error(
        &g.get(&g.rita, &file).await,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete download_image action.",
    );
}

#[tokio::test]
async fn format_gate_refuses_mismatches_and_unsafe_images() {
    let g = Glance::start().await;
    let make = |disk: &'static str| {
        let body = json!({"name": disk, "disk_format": disk, "container_format": "bare"});
        let g = &g;
        async move { id_of(&g.create(&g.demo, body).await) }
    };
    // Random bytes declared qcow2: 415, back to queued, nothing stored.
    let id = make("qcow2").await;
    assert_refused(
        &g.upload(&g.demo, &id, random_bytes(100_000)).await,
        "Image disk_format qcow2 does not match stream data raw",
    );
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "queued");
    assert!(image["size"].is_null() && image["checksum"].is_null());
    assert_eq!(
        g.get(&g.demo, &format!("/v2/images/{id}/file"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // A qcow2 with a backing file: 415 "Image failed safety checks".
    assert_refused(
        &g.upload(&g.demo, &id, qcow2(Some("/etc/passwd"))).await,
        "Image failed safety checks",
    );
    assert_eq!(g.image(&g.demo, &id).await["status"], "queued");
    // The same image may then receive a good qcow2: virtual size from its header.
    assert_eq!(
        g.upload(&g.demo, &id, qcow2(None)).await.status,
        StatusCode::NO_CONTENT
    );
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "active");
    assert_eq!(image["virtual_size"], 1u64 << 30);
    // A qcow2 declared raw is stored.
    let raw = make("raw").await;
    assert_eq!(
        g.upload(&g.demo, &raw, qcow2(None)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.image(&g.demo, &raw).await["status"], "active");
    // A qcow2 declared vmdk is not.
    let vmdk = make("vmdk").await;
    assert_refused(
        &g.upload(&g.demo, &vmdk, qcow2(None)).await,
        "Image disk_format vmdk does not match stream data qcow2",
    );
    // A kernel is not inspectable: any bytes go.
    let kernel = g
        .create(
            &g.demo,
            json!({"name": "k", "disk_format": "aki", "container_format": "aki"}),
        )
        .await;
    assert_eq!(
        g.upload(&g.demo, &id_of(&kernel), random_bytes(5000))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn stage_and_glance_direct_import() {
    let g = Glance::start().await;
    let info = g.get(&g.demo, "/v2/info/import").await;
    assert_eq!(
        info.body["import-methods"]["value"],
        json!(["glance-direct"])
    );
    let id = id_of(
        &g.create(
            &g.demo,
            json!({"name": "i", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await,
    );
    let import = format!("/v2/images/{id}/import");
    let direct = json!({"method": {"name": "glance-direct"}});
    assert_error(
        &g.post(&g.demo, &import, direct.clone()).await,
        StatusCode::CONFLICT,
        "Image needs to be staged before 'glance-direct' method can be used",
    );
    assert_error(
        &g.post(
            &g.demo,
            &import,
            json!({"method": {"name": "web-download", "uri": "http://x/"}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Unknown import method name 'web-download'.",
    );
    let bytes = qcow2(None);
    let staged = g
        .send(
            g.request(&g.demo, Method::PUT, &format!("/v2/images/{id}/stage"))
                .header("content-type", "application/octet-stream")
                .body(bytes.clone()),
        )
        .await;
    assert_eq!(staged.status, StatusCode::NO_CONTENT, "{}", staged.body);
    assert_eq!(g.image(&g.demo, &id).await["status"], "uploading");
    // Uploading is not queued: PUT /file is refused now.
    assert_eq!(
        g.upload(&g.demo, &id, vec![1]).await.status,
        StatusCode::CONFLICT
    );
    let answer = g.post(&g.demo, &import, direct.clone()).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "text/html; charset=UTF-8");
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "active");
    assert_eq!(image["os_glance_importing_to_stores"], "");
    assert_eq!(image["os_glance_failed_import"], "");
    assert_eq!(image["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    assert_eq!(image["virtual_size"], 1u64 << 30);
    assert_error(
        &g.post(
            &g.demo,
            &import,
            json!({"method": {"name": "glance-direct"}}),
        )
        .await,
        StatusCode::CONFLICT,
        "Image with status active cannot be target for import",
    );

    // A staged stream that fails the gate sends the image back to queued.
    let bad = id_of(
        &g.create(
            &g.demo,
            json!({"name": "b", "disk_format": "qcow2", "container_format": "bare"}),
        )
        .await,
    );
    g.send(
        g.request(&g.demo, Method::PUT, &format!("/v2/images/{bad}/stage"))
            .header("content-type", "application/octet-stream")
            .body(random_bytes(1000)),
    )
    .await;
    let answer = g
        .post(&g.demo, &format!("/v2/images/{bad}/import"), direct)
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let image = g.image(&g.demo, &bad).await;
    assert_eq!(image["status"], "queued");
    assert_eq!(image["os_glance_failed_import"], "fs");
}

#[tokio::test]
async fn deactivate_and_reactivate() {
    let g = Glance::start().await;
    let id = id_of(
        &g.create(
            &g.demo,
            json!({"name": "i", "disk_format": "raw", "container_format": "bare"}),
        )
        .await,
    );
    let deactivate = format!("/v2/images/{id}/actions/deactivate");
    let reactivate = format!("/v2/images/{id}/actions/reactivate");
    assert_error(
        &g.post(&g.admin, &deactivate, json!(null)).await,
        StatusCode::FORBIDDEN,
        "Not allowed to deactivate image in status 'queued'",
    );
    g.upload(&g.demo, &id, vec![5; 100]).await;
    // Glance 33's defaults: admin or a member of the owning project; a reader may not, and
    // another project does not even see the image.
    assert_error(
        &g.post(&g.rita, &deactivate, json!(null)).await,
        StatusCode::FORBIDDEN,
        "You are not authorized to complete deactivate action.",
    );
    assert_error(
        &g.post(&g.alice, &deactivate, json!(null)).await,
        StatusCode::NOT_FOUND,
        &format!("No image found with ID {id}"),
    );
    assert_eq!(
        g.post(&g.demo, &deactivate, json!(null)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        g.post(&g.admin, &deactivate, json!(null)).await.status,
        StatusCode::NO_CONTENT,
        "a repeat is a no-op"
    );
    assert_eq!(g.image(&g.demo, &id).await["status"], "deactivated");
    let file = format!("/v2/images/{id}/file");
    assert_error(
        &g.get(&g.demo, &file).await,
        StatusCode::FORBIDDEN,
        "The requested image has been deactivated. Image data download is forbidden.",
    );
    assert_eq!(
        g.get(&g.admin, &file).await.status,
        StatusCode::OK,
        "admins still may"
    );
    assert_eq!(
        g.post(&g.admin, &reactivate, json!(null)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.image(&g.demo, &id).await["status"], "active");
    assert_eq!(g.get(&g.demo, &file).await.status, StatusCode::OK);
}

#[tokio::test]
async fn schemas_are_served() {
    let g = Glance::start().await;
    for (path, name) in [
        ("/v2/schemas/image", "image"),
        ("/v2/schemas/images", "images"),
        ("/v2/schemas/member", "member"),
        ("/v2/schemas/members", "members"),
    ] {
        let answer = g.get(&g.demo, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.body["name"], name);
    }
    let image = g.get(&g.demo, "/v2/schemas/image").await.body;
    assert_eq!(image["additionalProperties"], json!({"type": "string"}));
    assert!(
        image["properties"]["disk_format"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("qcow2"))
    );
    let stores = g.get(&g.demo, "/v2/info/stores").await;
    assert_eq!(
        stores.body,
        json!({"stores": [{"id": "fs", "default": "true"}]})
    );
}

#[tokio::test]
async fn state_dir_keeps_images_and_bytes_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = random_bytes(50_000);
    let id = {
        let g = Glance::start_with(MockCloud::builder().state_dir(dir.path())).await;
        let id = id_of(
            &g.create(
                &g.demo,
                json!({"name": "kept", "disk_format": "raw",
                                       "container_format": "bare", "os_distro": "x"}),
            )
            .await,
        );
        assert_eq!(
            g.upload(&g.demo, &id, bytes.clone()).await.status,
            StatusCode::NO_CONTENT
        );
        g.create(&g.demo, json!({"name": "queued-one"})).await;
        g.cloud.stop().await;
        id
    };
    let g = Glance::start_with(MockCloud::builder().state_dir(dir.path())).await;
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "active");
    assert_eq!(image["os_distro"], "x");
    assert_eq!(image["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    let data = g
        .http
        .get(g.url(&format!("/v2/images/{id}/file")))
        .header("x-auth-token", &g.demo)
        .send()
        .await
        .unwrap();
    assert_eq!(data.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(
        g.names(&g.demo, "?sort=name:asc").await,
        vec!["kept", "queued-one"]
    );
    g.cloud.stop().await;

    // Bytes altered behind Glance's back: after a restart the image is not active.
    std::fs::write(dir.path().join("glance/data").join(&id), b"tampered").unwrap();
    let g = Glance::start_with(MockCloud::builder().state_dir(dir.path())).await;
    assert_eq!(g.image(&g.demo, &id).await["status"], "killed");
    assert_eq!(
        g.names(&g.demo, "").await,
        vec!["queued-one"],
        "killed images are not listed"
    );
    assert_eq!(
        g.get(&g.demo, &format!("/v2/images/{id}/file"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

/// A request body fed chunk by chunk by the test: the upload stays open until it says so.
fn channel_body() -> (
    futures::channel::mpsc::UnboundedSender<Result<Vec<u8>, std::io::Error>>,
    reqwest::Body,
) {
    let (tx, rx) = futures::channel::mpsc::unbounded();
    (tx, reqwest::Body::wrap_stream(rx))
}

/// Starts an upload of a body the test controls, and returns once Glance shows the image
/// `saving` (the upload has claimed it).
async fn begin_upload(
    g: &Glance,
    id: &str,
) -> (
    futures::channel::mpsc::UnboundedSender<Result<Vec<u8>, std::io::Error>>,
    tokio::task::JoinHandle<StatusCode>,
) {
    let (tx, body) = channel_body();
    tx.unbounded_send(Ok(vec![7u8; 4096])).unwrap();
    let request = g
        .request(&g.demo, Method::PUT, &format!("/v2/images/{id}/file"))
        .header("content-type", "application/octet-stream")
        .body(body);
    let upload = tokio::spawn(async move { request.send().await.unwrap().status() });
    while g.image(&g.demo, id).await["status"] != "saving" {
        tokio::task::yield_now().await;
    }
    (tx, upload)
}

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn an_image_deleted_during_its_upload_is_gone_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let g = Glance::start_with(MockCloud::builder().state_dir(dir.path())).await;
    let id = id_of(
        &g.create(
            &g.demo,
            json!({"name": "i", "disk_format": "raw", "container_format": "bare"}),
        )
        .await,
    );
    let (tx, upload) = begin_upload(&g, &id).await;
    // A second upload meanwhile: the image is no longer queued.
    assert_error(
        &g.upload(&g.demo, &id, vec![1]).await,
        StatusCode::CONFLICT,
        "Image status transition from saving to saving is not allowed",
    );
    assert_eq!(
        g.delete(&g.demo, &format!("/v2/images/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    tx.unbounded_send(Ok(vec![8u8; 4096])).unwrap();
    drop(tx);
    assert_eq!(upload.await.unwrap(), StatusCode::GONE);
    assert_eq!(entries(&dir.path().join("glance/data")), 0);
    assert_eq!(entries(&dir.path().join("glance/tmp")), 0);
}

#[tokio::test]
async fn a_crash_mid_upload_leaves_a_queued_image_and_no_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let g = Glance::start_with(MockCloud::builder().state_dir(dir.path())).await;
    let id = id_of(
        &g.create(
            &g.demo,
            json!({"name": "i", "disk_format": "raw", "container_format": "bare"}),
        )
        .await,
    );
    let (tx, upload) = begin_upload(&g, &id).await;
    // What a crash would leave on disk once the partial temporary file exists: metadata
    // `saving` and some bytes in tmp/.
    while entries(&dir.path().join("glance/tmp")) == 0 {
        tokio::task::yield_now().await;
    }
    let crashed = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), crashed.path());
    assert_eq!(entries(&crashed.path().join("glance/tmp")), 1);
    drop(tx);
    assert_eq!(upload.await.unwrap(), StatusCode::NO_CONTENT);
    g.cloud.stop().await;

    let g = Glance::start_with(MockCloud::builder().state_dir(crashed.path())).await;
    let image = g.image(&g.demo, &id).await;
    assert_eq!(image["status"], "queued");
    assert!(image["size"].is_null() && image["os_hash_value"].is_null());
    assert_eq!(entries(&crashed.path().join("glance/tmp")), 0);
    assert_eq!(entries(&crashed.path().join("glance/data")), 0);
    // And it can be uploaded again.
    assert_eq!(
        g.upload(&g.demo, &id, vec![3u8; 100]).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(g.image(&g.demo, &id).await["status"], "active");
}
