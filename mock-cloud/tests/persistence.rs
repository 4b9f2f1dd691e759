//! The state directory: the whole cloud survives a restart (Keystone's runtime state, Nova's
//! servers and keypairs, Glance's images), a reset clears it all, a second cloud on the same
//! directory is refused, and a failed transfer leaves no image half-made.

use mock_cloud::{MockCloud, MockCloudBuilder, Seed};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The start-up seed of every cloud here.
fn seed() -> Seed {
    Seed::parse(
        "projects: [{name: ci}]\nusers: [{name: alice, password: alice-pw, roles: [{role: member, project: ci}]}]\n",
        false,
    )
    .unwrap()
}

async fn start(dir: &std::path::Path) -> MockCloud {
    builder(dir).start().await.unwrap()
}

fn builder(dir: &std::path::Path) -> MockCloudBuilder {
    MockCloud::builder().state_dir(dir).seed(seed())
}

/// `method path` on the cloud with `token`; the status and the JSON body (`null` if none).
async fn call(
    cloud: &MockCloud,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, format!("{}{path}", cloud.base_url()))
        .header("x-auth-token", token)
        .header("accept", "application/json");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A token from `POST /v3/auth/tokens` with `identity`, or the status it got instead.
async fn authenticate(cloud: &MockCloud, identity: Value) -> Result<String, StatusCode> {
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .json(&json!({"auth": {"identity": identity}}))
        .send()
        .await
        .unwrap();
    match response.status() {
        StatusCode::CREATED => Ok(response.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()),
        other => Err(other),
    }
}

fn password(user: &str, secret: &str) -> Value {
    json!({"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": secret}}})
}

/// Whether Nova accepts `token`.
async fn accepted(cloud: &MockCloud, token: &str) -> bool {
    let (status, _) = call(cloud, token, Method::GET, "/compute/v2.1/flavors", None).await;
    status == StatusCode::OK
}

/// A new raw image named `name`; its id.
async fn create_image(cloud: &MockCloud, token: &str, name: &str) -> String {
    let (status, image) = call(
        cloud,
        token,
        Method::POST,
        "/image/v2/images",
        Some(json!({"name": name, "disk_format": "raw", "container_format": "bare"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{image}");
    image["id"].as_str().unwrap().to_owned()
}

/// `PUT /v2/images/{id}/file` with `body`, to send.
fn upload(
    cloud: &MockCloud,
    token: &str,
    id: &str,
    body: impl Into<reqwest::Body>,
) -> RequestBuilder {
    http()
        .put(format!("{}/image/v2/images/{id}/file", cloud.base_url()))
        .header("x-auth-token", token)
        .header("content-type", "application/octet-stream")
        .body(body)
}

/// The status `request` is answered with.
async fn status_of(request: RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

/// The image `id` as Glance shows it.
async fn image(cloud: &MockCloud, token: &str, id: &str) -> Value {
    let path = format!("/image/v2/images/{id}");
    let (status, image) = call(cloud, token, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{image}");
    image
}

/// Whether the folder `dir` has nothing in it.
fn is_empty(dir: &std::path::Path) -> bool {
    dir.read_dir().unwrap().next().is_none()
}

/// A server's status, task and fault.
async fn server_state(cloud: &MockCloud, token: &str, id: &str) -> (String, Value, Value) {
    let (status, body) = call(
        cloud,
        token,
        Method::GET,
        &format!("/compute/v2.1/servers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let server = &body["server"];
    (
        server["status"].as_str().unwrap().to_owned(),
        server["OS-EXT-STS:task_state"].clone(),
        server.get("fault").cloned().unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_whole_cloud_survives_a_restart_and_a_reset_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (bob_token, revoked, credential_id, image_id, running, stopped, addresses) = {
        let cloud = start(dir.path()).await;
        let admin = cloud.token("admin", "admin").unwrap();
        let demo = cloud.token("demo", "demo").unwrap();
        // Keystone: a user and a flavor added at run time, a token revoked, a credential.
        let more = Seed::parse(
            "users: [{name: bob, password: bob-pw, roles: [{role: member, project: demo}]}]\nflavors: [{id: \"99\", name: m1.kept, ram: 256, disk: 1, vcpus: 1}]\n",
            false,
        )
        .unwrap();
        cloud.apply_seed(&more).await.unwrap();
        let bob_token = authenticate(&cloud, password("bob", "bob-pw"))
            .await
            .unwrap();
        let revoked = cloud.token("demo", "demo").unwrap();
        let response = http()
            .delete(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
            .header("x-auth-token", &admin)
            .header("x-subject-token", &revoked)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let demo_id = cloud.validate_token(&demo).unwrap().user_id;
        let (status, body) = call(
            &cloud,
            &demo,
            Method::POST,
            &format!("/identity/v3/users/{demo_id}/application_credentials"),
            Some(json!({"application_credential": {"name": "ci", "secret": "s3cret"}})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let credential_id = body["application_credential"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Glance: an active image.
        let image_id = create_image(&cloud, &demo, "kept").await;
        let upload = upload(&cloud, &demo, &image_id, bytes.clone());
        assert_eq!(status_of(upload).await, StatusCode::NO_CONTENT);
        // Nova: a keypair, a running server and a stopped one.
        let (status, _) = call(
            &cloud,
            &demo,
            Method::POST,
            "/compute/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": "k"}})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let mut servers = Vec::new();
        for name in ["running", "stopped"] {
            let (status, body) = call(
                &cloud,
                &demo,
                Method::POST,
                "/compute/v2.1/servers",
                Some(
                    json!({"server": {"name": name, "imageRef": image_id, "flavorRef": "99",
                    "key_name": "k", "metadata": {"role": name}}}),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            let id = body["server"]["id"].as_str().unwrap().to_owned();
            assert_eq!(server_state(&cloud, &demo, &id).await.0, "ACTIVE");
            servers.push(id);
        }
        let (status, _) = call(
            &cloud,
            &demo,
            Method::POST,
            &format!("/compute/v2.1/servers/{}/action", servers[1]),
            Some(json!({"os-stop": null})),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(server_state(&cloud, &demo, &servers[1]).await.0, "SHUTOFF");
        let (_, body) = call(
            &cloud,
            &demo,
            Method::GET,
            &format!("/compute/v2.1/servers/{}", servers[0]),
            None,
        )
        .await;
        let addresses = body["server"]["addresses"].clone();
        cloud.stop().await;
        (
            bob_token,
            revoked,
            credential_id,
            image_id,
            servers[0].clone(),
            servers[1].clone(),
            addresses,
        )
    };

    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    // Keystone: the user, the token, the revocation and the credential are as they were.
    authenticate(&cloud, password("bob", "bob-pw"))
        .await
        .unwrap();
    authenticate(&cloud, password("alice", "alice-pw"))
        .await
        .unwrap();
    assert!(
        accepted(&cloud, &bob_token).await,
        "a token outlives a restart"
    );
    assert!(
        !accepted(&cloud, &revoked).await,
        "a revoked one stays revoked"
    );
    let by_credential = json!({"methods": ["application_credential"],
        "application_credential": {"id": credential_id, "secret": "s3cret"}});
    authenticate(&cloud, by_credential.clone()).await.unwrap();
    // Glance: the image and its bytes.
    let kept = image(&cloud, &demo, &image_id).await;
    assert_eq!(kept["status"], "active");
    assert_eq!(kept["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    // Nova: the flavor, the keypair, and both servers powered off with no task and no fault,
    // as after a host reboot; their addresses and metadata are kept.
    let (_, flavor) = call(&cloud, &demo, Method::GET, "/compute/v2.1/flavors/99", None).await;
    assert_eq!(flavor["flavor"]["name"], "m1.kept");
    let (status, _) = call(
        &cloud,
        &demo,
        Method::GET,
        "/compute/v2.1/os-keypairs/k",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for id in [&running, &stopped] {
        assert_eq!(
            server_state(&cloud, &demo, id).await,
            ("SHUTOFF".to_owned(), Value::Null, Value::Null),
            "{id}"
        );
    }
    let (_, body) = call(
        &cloud,
        &demo,
        Method::GET,
        &format!("/compute/v2.1/servers/{running}"),
        None,
    )
    .await;
    assert_eq!(body["server"]["addresses"], addresses);
    assert_eq!(body["server"]["metadata"], json!({"role": "running"}));
    // A server taken back boots again.
    let (status, _) = call(
        &cloud,
        &demo,
        Method::POST,
        &format!("/compute/v2.1/servers/{running}/action"),
        Some(json!({"os-start": null})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(server_state(&cloud, &demo, &running).await.0, "ACTIVE");

    // A reset forgets everything but the defaults and the start-up seed, on disk too.
    cloud.reset().await.unwrap();
    cloud.stop().await;
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    assert_eq!(
        authenticate(&cloud, password("bob", "bob-pw")).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    authenticate(&cloud, password("alice", "alice-pw"))
        .await
        .unwrap();
    assert!(!accepted(&cloud, &bob_token).await);
    assert!(authenticate(&cloud, by_credential).await.is_err());
    let (_, images) = call(&cloud, &demo, Method::GET, "/image/v2/images", None).await;
    assert_eq!(images["images"], json!([]));
    let (_, servers) = call(&cloud, &demo, Method::GET, "/compute/v2.1/servers", None).await;
    assert_eq!(servers["servers"], json!([]));
    let (status, _) = call(&cloud, &demo, Method::GET, "/compute/v2.1/flavors/99", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_empty(&dir.path().join("glance/data")));
}

#[tokio::test]
async fn a_second_cloud_on_the_same_directory_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    let id = create_image(&cloud, &demo, "busy").await;
    // An upload in flight: its bytes are in glance/tmp.
    let (chunks, rx) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
    chunks.unbounded_send(Ok(vec![1u8; 4096])).unwrap();
    let upload = tokio::spawn(status_of(upload(
        &cloud,
        &demo,
        &id,
        reqwest::Body::wrap_stream(rx),
    )));
    let tmp = dir.path().join("glance/tmp");
    while is_empty(&tmp) {
        tokio::task::yield_now().await;
    }

    let err = start_err(dir.path()).await;
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names the holder: {err}"
    );
    assert!(!is_empty(&tmp), "the upload's bytes are still there");

    chunks.unbounded_send(Ok(vec![2u8; 4096])).unwrap();
    drop(chunks);
    assert_eq!(upload.await.unwrap(), StatusCode::NO_CONTENT);
    let busy = image(&cloud, &demo, &id).await;
    assert_eq!(busy["status"], "active");
    assert_eq!(busy["size"], 8192);
    cloud.stop().await;
    // Once the first is gone, the directory is free (and the image still there).
    let cloud = start(dir.path()).await;
    assert_eq!(image(&cloud, &demo, &id).await["status"], "active");
}

async fn start_err(dir: &std::path::Path) -> String {
    match builder(dir).start().await {
        Ok(_) => panic!("a second cloud started on {}", dir.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn a_failed_stage_leaves_the_image_queued() {
    let dir = tempfile::tempdir().unwrap();
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    let id = create_image(&cloud, &demo, "staged").await;
    // The staging area is broken: the rename into it fails.
    let staging = dir.path().join("glance/staging");
    std::fs::remove_dir(&staging).unwrap();
    std::fs::write(&staging, b"not a folder").unwrap();
    let stage = |bytes: &'static [u8]| {
        http()
            .put(format!("{}/image/v2/images/{id}/stage", cloud.base_url()))
            .header("x-auth-token", &demo)
            .header("accept", "application/json")
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
    };
    let response = stage(b"data").await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(image(&cloud, &demo, &id).await["status"], "queued");
    assert!(is_empty(&dir.path().join("glance/tmp")));
    // Repaired, the same image can be staged.
    std::fs::remove_file(&staging).unwrap();
    std::fs::create_dir(&staging).unwrap();
    assert_eq!(
        stage(b"data").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn start_up_trusts_the_stored_hashes_and_checks_only_lengths() {
    let dir = tempfile::tempdir().unwrap();
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    let mut ids = Vec::new();
    for name in ["same-length", "truncated"] {
        let id = create_image(&cloud, &demo, name).await;
        let upload = upload(&cloud, &demo, &id, vec![5u8; 1000]);
        assert_eq!(status_of(upload).await, StatusCode::NO_CONTENT);
        ids.push(id);
    }
    cloud.stop().await;
    let data = dir.path().join("glance/data");
    std::fs::write(data.join(&ids[0]), vec![6u8; 1000]).unwrap();
    std::fs::write(data.join(&ids[1]), vec![5u8; 10]).unwrap();
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    // Nothing was read: bytes changed in place keep their image active (clients check the
    // hashes on download); a length that does not match is caught.
    assert_eq!(image(&cloud, &demo, &ids[0]).await["status"], "active");
    assert_eq!(image(&cloud, &demo, &ids[1]).await["status"], "killed");
}

/// Every file under `dir`, in order.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in dir.read_dir().unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    files(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .collect()
}

#[tokio::test]
async fn no_password_or_secret_is_kept_in_plain_text_and_both_work_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (pw, secret) = ("carol-pw-5ab1c", "ci-secret-9f3e2");
    let cloud = start(dir.path()).await;
    let carol =
        format!("users: [{{name: carol, password: {pw}, roles: [{{role: member, project: ci}}]}}]");
    cloud
        .apply_seed(&Seed::parse(&carol, false).unwrap())
        .await
        .unwrap();
    authenticate(&cloud, password("carol", pw)).await.unwrap();
    let token = cloud.token("carol", "ci").unwrap();
    let carol_id = cloud.validate_token(&token).unwrap().user_id;
    let (status, body) = call(
        &cloud,
        &token,
        Method::POST,
        &format!("/identity/v3/users/{carol_id}/application_credentials"),
        Some(json!({"application_credential": {"name": "ci", "secret": secret}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let by_credential = json!({"methods": ["application_credential"], "application_credential":
        {"id": body["application_credential"]["id"], "secret": secret}});
    let control = cloud.control_token().to_owned();
    // Nothing secret in the files, while the cloud runs (its WAL) and once it stopped: not the
    // passwords (the start-up seed's too), the secret, the token or the control token.
    let secrets = [pw, secret, "alice-pw", &token, &control];
    let leaks = || -> Vec<_> {
        secrets
            .iter()
            .flat_map(|s| files_containing(dir.path(), s))
            .collect()
    };
    assert_eq!(leaks(), Vec::<std::path::PathBuf>::new());
    cloud.stop().await;
    assert_eq!(leaks(), Vec::<std::path::PathBuf>::new());

    let cloud = start(dir.path()).await;
    authenticate(&cloud, password("carol", pw)).await.unwrap();
    authenticate(&cloud, by_credential).await.unwrap();
    assert_eq!(
        authenticate(&cloud, password("carol", secret)).await,
        Err(StatusCode::UNAUTHORIZED)
    );
}

/// An image as the state store before the database kept it in `glance/images.json`.
fn legacy_image(id: &str, owner: &str, status: &str) -> Value {
    json!({"id": id, "name": format!("old-{status}"), "status": status, "visibility": "shared",
        "protected": false, "os_hidden": false, "checksum": null, "os_hash_algo": null,
        "os_hash_value": null, "size": null, "virtual_size": null, "min_disk": 0, "min_ram": 0,
        "owner": owner, "container_format": "bare", "disk_format": "raw", "tags": [],
        "created_at": "2026-11-30T10:00:00.123456Z", "updated_at": "2026-11-30T10:00:01Z",
        "properties": {}, "members": [], "staged": null})
}

#[tokio::test]
async fn an_old_images_json_is_imported_once_with_its_bytes_members_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    // Project ids are stable: an in-memory cloud with the same seed names them.
    let (demo_project, ci_project) = {
        let cloud = MockCloud::builder().seed(seed()).start().await.unwrap();
        (
            cloud.project_id("demo").unwrap(),
            cloud.project_id("ci").unwrap(),
        )
    };
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let (active, queued) = (
        "0b1c2d3e-0000-4000-8000-000000000001",
        "0b1c2d3e-0000-4000-8000-000000000002",
    );
    let mut record = legacy_image(active, &demo_project, "active");
    record["checksum"] = json!(hex::encode(md5::Md5::digest(&bytes)));
    record["os_hash_algo"] = json!("sha512");
    record["os_hash_value"] = json!(hex::encode(Sha512::digest(&bytes)));
    record["size"] = json!(bytes.len());
    record["tags"] = json!(["old", "kept"]);
    record["properties"] = json!({"os_distro": "cirros"});
    record["members"] = json!([{"member_id": ci_project, "status": "accepted",
        "created_at": "2026-11-30T10:00:02Z", "updated_at": "2026-11-30T10:00:03Z"}]);
    let glance = dir.path().join("glance");
    std::fs::create_dir_all(glance.join("data")).unwrap();
    std::fs::write(glance.join("data").join(active), &bytes).unwrap();
    let document = json!({"version": 1,
        "images": [record, legacy_image(queued, &demo_project, "queued")]});
    std::fs::write(glance.join("images.json"), document.to_string()).unwrap();

    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    let kept = image(&cloud, &demo, active).await;
    assert_eq!(kept["status"], "active");
    assert_eq!(kept["tags"], json!(["old", "kept"]));
    assert_eq!(kept["os_distro"], "cirros");
    assert_eq!(kept["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    let response = http()
        .get(format!(
            "{}/image/v2/images/{active}/file",
            cloud.base_url()
        ))
        .header("x-auth-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(response.bytes().await.unwrap(), bytes);
    // The member sees it, as accepted.
    let alice = cloud.token("alice", "ci").unwrap();
    let path = format!("/image/v2/images/{active}/members/{ci_project}");
    let (status, member) = call(&cloud, &alice, Method::GET, &path, None).await;
    assert_eq!(
        (status, &member["status"]),
        (StatusCode::OK, &json!("accepted"))
    );
    assert_eq!(image(&cloud, &demo, queued).await["status"], "queued");
    assert!(!glance.join("images.json").exists());
    assert!(glance.join("images.json.imported").exists());
    // Deleted after the import, it stays deleted: the file is not read again.
    let path = format!("/image/v2/images/{queued}");
    let (status, _) = call(&cloud, &demo, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    cloud.stop().await;

    let cloud = start(dir.path()).await;
    assert_eq!(image(&cloud, &demo, active).await["status"], "active");
    let (status, _) = call(&cloud, &demo, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_damaged_images_json_stops_the_start_naming_it_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let glance = dir.path().join("glance");
    std::fs::create_dir_all(glance.join("data")).unwrap();
    std::fs::write(
        glance.join("data/some-image"),
        b"bytes no record claims yet",
    )
    .unwrap();
    for (damaged, problem) in [
        (
            r#"{"version": 1, "images": [{"id": "a""#,
            "EOF while parsing",
        ),
        (r#"{"version": 2, "images": []}"#, "version 2"),
    ] {
        std::fs::write(glance.join("images.json"), damaged).unwrap();
        let before = files(dir.path());
        let err = start_err(dir.path()).await;
        assert!(
            err.contains(&glance.join("images.json").display().to_string()),
            "{err}"
        );
        assert!(err.contains(problem), "{err}");
        assert_eq!(files(dir.path()), before, "nothing is created or removed");
        let kept = std::fs::read_to_string(glance.join("images.json")).unwrap();
        assert_eq!(kept, damaged);
    }
}

/// Rewrites every row of `table` in the state database of `dir` with `change`.
fn rewrite_rows(dir: &std::path::Path, table: &str, change: impl Fn(&mut Value)) {
    let db = rusqlite::Connection::open(dir.join("state.sqlite3")).unwrap();
    let rows: Vec<(String, String)> = db
        .prepare(&format!("SELECT key, doc FROM {table}"))
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty(), "{table} has no rows");
    for (key, doc) in rows {
        let mut doc: Value = serde_json::from_str(&doc).unwrap();
        change(&mut doc);
        db.execute(
            &format!("UPDATE {table} SET doc = ?1 WHERE key = ?2"),
            (doc.to_string(), key),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn servers_of_an_older_cloud_come_back_and_the_admin_password_is_never_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin_pass) = {
        let cloud = start(dir.path()).await;
        let demo = cloud.token("demo", "demo").unwrap();
        let image = create_image(&cloud, &demo, "kept").await;
        assert_eq!(
            status_of(upload(&cloud, &demo, &image, vec![7u8; 4096])).await,
            StatusCode::NO_CONTENT
        );
        let (status, _) = call(
            &cloud,
            &demo,
            Method::POST,
            "/compute/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": "k"}})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = call(
            &cloud,
            &demo,
            Method::POST,
            "/compute/v2.1/servers",
            Some(
                json!({"server": {"name": "old", "imageRef": image, "flavorRef": "1",
                "key_name": "k", "config_drive": true}}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let server = body["server"]["id"].as_str().unwrap().to_owned();
        let admin_pass = body["server"]["adminPass"].as_str().unwrap().to_owned();
        assert_eq!(server_state(&cloud, &demo, &server).await.0, "ACTIVE");
        // Nova keeps the admin password nowhere: not in the records, not in their WAL.
        assert_eq!(
            files_containing(dir.path(), &admin_pass),
            Vec::<std::path::PathBuf>::new()
        );
        cloud.stop().await;
        (server, admin_pass)
    };
    assert_eq!(
        files_containing(dir.path(), &admin_pass),
        Vec::<std::path::PathBuf>::new()
    );
    // As a mock from before servers had metadata wrote them.
    rewrite_rows(dir.path(), "nova_boot_specs", |doc| {
        let spec = doc.as_object_mut().unwrap();
        for key in [
            "key_name",
            "key_type",
            "project_id",
            "availability_zone",
            "config_drive",
            "launch_index",
            "reservation_id",
            "instance_number",
            "flavor_name",
            "security_groups",
        ] {
            assert!(spec.remove(key).is_some(), "{key}");
        }
        for nic in spec["nics"].as_array_mut().unwrap() {
            let nic = nic.as_object_mut().unwrap();
            for key in [
                "network_id",
                "vif_type",
                "mtu",
                "dhcp",
                "dns_nameservers",
                "host_routes",
            ] {
                assert!(nic.remove(key).is_some(), "{key}");
            }
        }
    });
    rewrite_rows(dir.path(), "nova_servers", |doc| {
        let record = doc.as_object_mut().unwrap();
        for key in [
            "config_drive",
            "config_drive_at_spawn",
            "key_data",
            "key_type",
            "password",
        ] {
            assert!(record.remove(key).is_some(), "{key}");
        }
    });
    let cloud = start(dir.path()).await;
    let demo = cloud.token("demo", "demo").unwrap();
    let (status, _, fault) = server_state(&cloud, &demo, &server).await;
    assert_eq!((status.as_str(), fault), ("SHUTOFF", Value::Null));
    let (_, body) = call(
        &cloud,
        &demo,
        Method::GET,
        &format!("/compute/v2.1/servers/{server}"),
        None,
    )
    .await;
    assert_eq!(body["server"]["config_drive"], "");
    // Its metadata shows the keypair as it is now (the record kept no copy of it).
    let project = cloud.project_id("demo").unwrap();
    let meta: Value = http()
        .get(format!(
            "{}/openstack/latest/meta_data.json",
            cloud.metadata_url()
        ))
        .header("X-Instance-ID", &server)
        .header("X-Instance-ID-Signature", cloud.metadata_signature(&server))
        .header("X-Tenant-ID", &project)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["uuid"], server.as_str());
    assert!(
        meta["public_keys"]["k"]
            .as_str()
            .unwrap()
            .starts_with("ssh-"),
        "{meta}"
    );
    let (status, _) = call(
        &cloud,
        &demo,
        Method::POST,
        &format!("/compute/v2.1/servers/{server}/action"),
        Some(json!({"os-start": null})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}
