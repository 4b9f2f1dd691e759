//! Who may drive the control plane: the control token or a Keystone admin, JSON bodies only,
//! seed files only from allowed folders.

use mock_cloud::{MockCloud, Seed};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn url(cloud: &MockCloud, path: &str) -> String {
    format!("{}{path}", cloud.base_url())
}

#[tokio::test]
async fn the_control_plane_answers_its_token_or_an_admin_only() {
    let cloud = MockCloud::start().await.unwrap();
    // Something to hide: a demo user's request.
    let demo = cloud.token("demo", "demo").unwrap();
    http()
        .get(url(&cloud, "/image/v2/images"))
        .header("x-auth-token", &demo)
        .send()
        .await
        .unwrap();

    let anonymous = http()
        .get(url(&cloud, "/_mock/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: Value = anonymous.json().await.unwrap();
    assert!(body.get("entries").is_none(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{body}"
    );

    let wrong = http()
        .post(url(&cloud, "/_mock/reset"))
        .bearer_auth(format!("{}x", cloud.control_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let member = http()
        .post(url(&cloud, "/_mock/seed"))
        .header("x-auth-token", &demo)
        .json(&json!({"users": [{"name": "mallory", "password": "pw",
            "roles": [{"role": "admin", "project": "admin"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(member.status(), StatusCode::FORBIDDEN);
    assert!(
        cloud.token("mallory", "admin").is_err(),
        "no admin made by a member"
    );
    for unknown in ["/_mock/nothing", "/_mock"] {
        let response = http().get(url(&cloud, unknown)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{unknown}");
    }
    assert_eq!(cloud.journal().len(), 1, "the journal is still there");

    let with_token = http()
        .get(url(&cloud, "/_mock/journal"))
        .bearer_auth(cloud.control_token())
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);
    let admin = cloud.token("admin", "admin").unwrap();
    let as_admin = http()
        .get(url(&cloud, "/_mock/journal"))
        .header("x-auth-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(as_admin.status(), StatusCode::OK);
    let body: Value = as_admin.json().await.unwrap();
    assert_eq!(body["entries"].as_array().unwrap().len(), 1, "{body}");
    assert_ne!(
        MockCloud::start().await.unwrap().control_token(),
        cloud.control_token(),
        "each cloud has its own token"
    );
}

#[tokio::test]
async fn the_control_plane_takes_json_bodies_only() {
    let seed = Seed::parse(
        "users: [{name: carol, password: pw, roles: [{role: member, project: demo}]}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let runtime_seed = json!({"projects": [{"name": "p2"}]}).to_string();
    // What a web page may send to localhost without a preflight, and YAML.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/yaml",
    ] {
        let response = http()
            .post(url(&cloud, "/_mock/seed"))
            .bearer_auth(cloud.control_token())
            .header("content-type", content_type)
            .body(runtime_seed.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(content_type),
            "{body}"
        );
    }
    assert!(cloud.project_id("p2").is_none());
    let untyped = http()
        .post(url(&cloud, "/_mock/seed"))
        .bearer_auth(cloud.control_token())
        .body(runtime_seed.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A reset names no body, but a form's type is refused all the same.
    let token = cloud.token("carol", "demo").unwrap();
    let form = http()
        .post(url(&cloud, "/_mock/reset"))
        .bearer_auth(cloud.control_token())
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(cloud.validate_token(&token).is_some(), "not reset");
    let reset = http()
        .post(url(&cloud, "/_mock/reset"))
        .bearer_auth(cloud.control_token())
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert!(cloud.validate_token(&token).is_none(), "reset");
}

#[tokio::test]
async fn seed_images_read_files_only_from_allowed_folders() {
    let allowed = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let image = allowed.path().join("tiny.raw");
    std::fs::write(&image, b"raw bytes").unwrap();
    let secret = elsewhere.path().join("secret");
    std::fs::write(&secret, b"do not serve me").unwrap();
    let link = allowed.path().join("innocent.raw");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let cloud = MockCloud::builder()
        .seed_folder(allowed.path())
        .start()
        .await
        .unwrap();
    let seed = |name: &str, file: &std::path::Path| {
        json!({"images": [{"name": name, "visibility": "public", "disk_format": "raw",
            "container_format": "bare", "file": file}]})
    };
    for (name, file) in [
        ("passwd", std::path::Path::new("/etc/passwd")),
        ("environ", std::path::Path::new("/proc/self/environ")),
        ("secret", secret.as_path()),
        ("linked", link.as_path()),
    ] {
        let response = http()
            .post(url(&cloud, "/_mock/seed"))
            .bearer_auth(cloud.control_token())
            .json(&seed(name, file))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("seed image '{name}'")) && message.contains("--seed-folder"),
            "{message}"
        );
    }
    let response = http()
        .post(url(&cloud, "/_mock/seed"))
        .bearer_auth(cloud.control_token())
        .json(&seed("tiny", &image))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let listed: Value = http()
        .get(url(&cloud, "/image/v2/images"))
        .header("x-auth-token", cloud.token("demo", "demo").unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tiny"], "{listed}");
    assert_eq!(listed["images"][0]["status"], "active");
    assert_eq!(listed["images"][0]["size"], 9);

    // A seed given in Rust (the command line's path) may name any file.
    let trusted: Seed = serde_json::from_value(seed("trusted", &secret)).unwrap();
    cloud.apply_seed(&trusted).await.unwrap();
}
