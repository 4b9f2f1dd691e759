//! Requests the real services refuse are refused here too, in their words and shapes, so that
//! a client's bug fails against the mock as it would on a cloud: Nova's schemas, Glance's
//! member ids, Keystone's scopes and JSON bodies, unscoped tokens on listings, and a request
//! that carries two tokens.

use mock_cloud::{MockCloud, Seed};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A cloud with one public active image; its id.
async fn cloud_with_image() -> (MockCloud, String) {
    let seed = Seed::parse(
        "images: [{name: tiny, visibility: public, disk_format: raw, container_format: bare, content: \"x\"}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let (_, body) = send(&cloud, "GET", "/image/v2/images", Some(&token), &[], None).await;
    let id = body["images"][0]["id"].as_str().unwrap().to_owned();
    (cloud, id)
}

async fn send(
    cloud: &MockCloud,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http()
        .request(method, format!("{}{path}", cloud.base_url()))
        .header("accept", "application/json");
    if let Some(token) = token {
        request = request.header("x-auth-token", token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn nova_fault(body: &Value, fault: &str, code: u16) -> String {
    assert_eq!(body[fault]["code"], code, "{body}");
    body[fault]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn nova_refuses_what_its_schemas_refuse() {
    let (cloud, image) = cloud_with_image().await;
    let demo = cloud.token("demo", "demo").unwrap();
    let server = |extra: Value| {
        let mut server =
            json!({"name": "s", "imageRef": image, "flavorRef": "1", "networks": "none"});
        server
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "server": server })
    };
    let create = |version: &'static str, body: Value| {
        let (cloud, demo) = (&cloud, demo.clone());
        async move {
            let mv = format!("compute {version}");
            send(
                cloud,
                "POST",
                "/compute/v2.1/servers",
                Some(&demo),
                &[("openstack-api-version", &mv)],
                Some(body),
            )
            .await
        }
    };
    let (status, body) = create("2.79", server(json!({"flavour": "1"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(nova_fault(&body, "badRequest", 400).contains("('flavour' was unexpected)"));
    let (status, body) = create("2.79", server(json!({"max_count": -1}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(nova_fault(&body, "badRequest", 400).contains("-1 is less than the minimum of 1"));
    let (status, body) = create(
        "2.79",
        server(json!({"personality": [{"path": "/etc/x", "contents": "eA=="}]})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "personality went away in 2.57"
    );
    assert!(nova_fault(&body, "badRequest", 400).contains("'personality' was unexpected"));
    let (status, body) = create("2.56", server(json!({"personality": []}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = create("2.79", json!({"server": {"name": "s"}, "servers": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(nova_fault(&body, "badRequest", 400).contains("'servers' was unexpected"));
    assert_eq!(
        create("2.79", server(json!({}))).await.0,
        StatusCode::ACCEPTED
    );

    let list = |query: &'static str, version: &'static str| {
        let (cloud, demo) = (&cloud, demo.clone());
        async move {
            let mv = format!("compute {version}");
            send(
                cloud,
                "GET",
                &format!("/compute/v2.1/servers/detail?{query}"),
                Some(&demo),
                &[("openstack-api-version", &mv)],
                None,
            )
            .await
        }
    };
    for (query, version) in [
        ("sort_key=favourite", "2.1"),
        ("sort_dir=sideways", "2.1"),
        ("status=sleepy", "2.38"),
        ("favourite=1", "2.75"),
        ("limit=-1", "2.1"),
    ] {
        let (status, body) = list(query, version).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{query} at {version}: {body}"
        );
        nova_fault(&body, "badRequest", 400);
    }
    for (query, version, count) in [
        ("sort_key=display_name", "2.1", 2),
        ("favourite=1", "2.74", 2),
        ("status=sleepy", "2.37", 0),
        ("status=active", "2.38", 2),
    ] {
        let (status, body) = list(query, version).await;
        assert_eq!(status, StatusCode::OK, "{query} at {version}: {body}");
        assert_eq!(
            body["servers"].as_array().unwrap().len(),
            count,
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn glance_refuses_empty_and_malformed_members() {
    let cloud = MockCloud::start().await.unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    let (status, body) = send(
        &cloud,
        "POST",
        "/image/v2/images",
        Some(&demo),
        &[],
        Some(json!({"name": "shared"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let members = format!("/image/v2/images/{}/members", body["id"].as_str().unwrap());
    for (member, message) in [
        (json!({"member": ""}), "Member can't be empty"),
        (json!({"member": null}), "Member can't be empty"),
        (json!({}), "Member to be added not specified"),
        (json!(["p"]), "Expected a member in the form"),
    ] {
        let (status, body) = send(
            &cloud,
            "POST",
            &members,
            Some(&demo),
            &[],
            Some(member.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{member}");
        assert_eq!(body["code"], "400 Bad Request");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{member}: {body}"
        );
    }
    let (_, body) = send(&cloud, "GET", &members, Some(&demo), &[], None).await;
    assert_eq!(body["members"], json!([]), "nothing half-made");
}

#[tokio::test]
async fn keystone_refuses_two_scopes_and_bodies_that_are_not_json() {
    let cloud = MockCloud::start().await.unwrap();
    let both = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "admin"}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}, "domain": {"id": "default"}}}});
    let (status, body) = send(
        &cloud,
        "POST",
        "/identity/v3/auth/tokens",
        None,
        &[],
        Some(both),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with(
            "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope"
        ),
        "{body}"
    );
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .header("content-type", "text/plain")
        .body(r#"{"auth": {}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json in Content-Type header"),
        "{body}"
    );
}

#[tokio::test]
async fn unscoped_tokens_list_neither_images_nor_servers() {
    let cloud = MockCloud::start().await.unwrap();
    let unscoped = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .json(
            &json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"id": "default"}, "password": "demo"}}}}}),
        )
        .send()
        .await
        .unwrap()
        .headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = send(
        &cloud,
        "GET",
        "/image/v2/images",
        Some(&unscoped),
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        "You are not authorized to complete get_images action."
    );
    for (path, rule) in [
        ("/compute/v2.1/servers", "os_compute_api:servers:index"),
        (
            "/compute/v2.1/servers/detail",
            "os_compute_api:servers:detail",
        ),
    ] {
        let (status, body) = send(&cloud, "GET", path, Some(&unscoped), &[], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(nova_fault(&body, "forbidden", 403).contains(rule), "{body}");
    }
}

#[tokio::test]
async fn two_tokens_are_no_token() {
    let cloud = MockCloud::start().await.unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    for path in [
        "/image/v2/images",
        "/compute/v2.1/servers",
        "/identity/v3/auth/projects",
    ] {
        let response = http()
            .get(format!("{}{path}", cloud.base_url()))
            .header("accept", "application/json")
            .header("x-auth-token", &demo)
            .header("x-auth-token", &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{path}"
        );
    }
}
