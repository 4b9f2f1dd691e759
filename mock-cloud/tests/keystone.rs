//! Keystone v3 over HTTP: discovery, every way to get a token, validate/check/revoke, the
//! catalog, users and projects, and every 4xx Keystone answers here.

use std::time::Duration;

use mock_cloud::{MockCloud, Seed};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn password_body(user: &str, password: &str, scope: Value) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": scope,
    }})
}

fn project_scope(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

/// POSTs an auth request; returns status, subject token (if any) and body.
async fn auth(cloud: &MockCloud, body: &Value) -> (StatusCode, Option<String>, Value) {
    auth_at(cloud, "/identity/v3/auth/tokens", body).await
}

async fn auth_at(
    cloud: &MockCloud,
    path: &str,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let response = http()
        .post(format!("{}{path}", cloud.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let token = response
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, token, body)
}

async fn get(cloud: &MockCloud, token: &str, path: &str) -> (StatusCode, Value) {
    let response = http()
        .get(format!("{}{path}", cloud.base_url()))
        .header("x-auth-token", token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assert_keystone_error(body: &Value, code: u16) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["title"].is_string(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

fn role_names(token: &Value) -> Vec<String> {
    token["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_documents() {
    let cloud = MockCloud::start().await.unwrap();
    let response = http()
        .get(format!("{}/identity", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MULTIPLE_CHOICES);
    // Keystone names its preferred (only) version's root in Location.
    assert_eq!(
        response.headers()["location"],
        format!("{}/identity/", cloud.base_url()).as_str()
    );
    let body: Value = response.json().await.unwrap();
    let v = &body["versions"]["values"][0];
    assert_eq!(v["id"], "v3.14");
    assert_eq!(v["status"], "stable");
    assert_eq!(
        v["links"][0]["href"],
        format!("{}/identity/v3/", cloud.base_url())
    );

    for path in ["/identity/v3", "/identity/v3/"] {
        let response = http()
            .get(format!("{}{path}", cloud.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["version"]["id"], "v3.14");
    }
}

#[tokio::test]
async fn password_token_for_a_project_has_the_whole_body() {
    let cloud = MockCloud::start().await.unwrap();
    let (status, token, body) = auth(
        &cloud,
        &password_body("admin", "admin", project_scope("admin")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = token.expect("X-Subject-Token");
    assert!(token.len() >= 32);
    let t = &body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(
        t["user"]["domain"],
        json!({"id": "default", "name": "Default"})
    );
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["project"]["domain"]["id"], "default");
    assert_eq!(t["project"]["id"], cloud.project_id("admin").unwrap());
    assert_eq!(role_names(&body), ["admin", "manager", "member", "reader"]);
    for key in ["expires_at", "issued_at"] {
        let ts = t[key].as_str().unwrap();
        // 2026-11-28T12:27:34.123456Z
        assert_eq!(ts.len(), 27, "{key}: {ts}");
        assert!(
            ts.ends_with('Z') && ts.as_bytes()[19] == b'.',
            "{key}: {ts}"
        );
    }
    assert_eq!(t["audit_ids"].as_array().unwrap().len(), 1);

    let catalog = t["catalog"].as_array().unwrap();
    let url = |kind: &str| {
        let service = catalog.iter().find(|s| s["type"] == kind).unwrap();
        let endpoints = service["endpoints"].as_array().unwrap();
        let interfaces: Vec<_> = endpoints
            .iter()
            .map(|e| e["interface"].as_str().unwrap())
            .collect();
        assert_eq!(interfaces, ["public", "internal", "admin"]);
        assert_eq!(endpoints[0]["region"], "RegionOne");
        assert_eq!(endpoints[0]["region_id"], "RegionOne");
        endpoints[0]["url"].as_str().unwrap().to_owned()
    };
    assert_eq!(url("identity"), format!("{}/identity", cloud.base_url()));
    assert_eq!(url("image"), format!("{}/image", cloud.base_url()));
    assert_eq!(url("compute"), format!("{}/compute/v2.1", cloud.base_url()));

    // The token works.
    let caller = cloud.validate_token(&token).unwrap();
    assert_eq!(caller.user_name, "admin");
    assert!(caller.is_admin());
}

#[tokio::test]
async fn user_and_project_by_id_and_domain_by_name() {
    let cloud = MockCloud::start().await.unwrap();
    let demo_project = cloud.project_id("demo").unwrap();
    let (_, _, body) = auth(
        &cloud,
        &password_body("demo", "demo", project_scope("demo")),
    )
    .await;
    let user_id = body["token"]["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(role_names(&body), ["member", "reader"]);

    let request = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user_id, "password": "demo"}}},
        "scope": {"project": {"id": demo_project}},
    }});
    let (status, _, body) = auth(&cloud, &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token"]["project"]["name"], "demo");

    let request = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"name": "Default"}, "password": "demo"}}},
        "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}},
    }});
    let (status, _, _) = auth(&cloud, &request).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn nocatalog_leaves_the_catalog_out() {
    let cloud = MockCloud::start().await.unwrap();
    let (status, _, body) = auth_at(
        &cloud,
        "/identity/v3/auth/tokens?nocatalog",
        &password_body("admin", "admin", project_scope("admin")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["token"].get("catalog").is_none(), "{body}");
    assert!(body["token"].get("roles").is_some());
}

#[tokio::test]
async fn wrong_credentials_are_401_with_a_challenge_and_no_secret() {
    let cloud = MockCloud::start().await.unwrap();
    for (user, password) in [("admin", "hunter2-wrong"), ("nobody", "hunter2-wrong")] {
        let response = http()
            .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
            .json(&password_body(user, password, project_scope("admin")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            challenge,
            format!("Keystone uri=\"{}/identity\"", cloud.base_url())
        );
        assert!(response.headers().get("x-subject-token").is_none());
        let text = response.text().await.unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert_keystone_error(&serde_json::from_str(&text).unwrap(), 401);
    }
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let cloud = MockCloud::start().await.unwrap();
    let cases = [
        json!({"nope": 1}),
        json!({"auth": {"identity": {"methods": []}}}),
        json!({"auth": {"identity": {"methods": ["password"]}}}),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "admin"}}}}}),
        password_body("admin", "admin", json!({"project": {"name": "admin"}})),
        password_body("admin", "admin", json!({"cloud": {}})),
    ];
    for case in cases {
        let (status, _, body) = auth(&cloud, &case).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
        assert_keystone_error(&body, 400);
    }
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn scopes_without_roles_and_unknown_methods_are_401() {
    let cloud = MockCloud::start().await.unwrap();
    let cases = [
        password_body("demo", "demo", project_scope("admin")),
        password_body("demo", "demo", project_scope("no-such-project")),
        password_body("demo", "demo", json!({"system": {"all": true}})),
        password_body("demo", "demo", json!({"domain": {"id": "default"}})),
        json!({"auth": {"identity": {"methods": ["totp"], "totp": {}}}}),
    ];
    for case in cases {
        let (status, _, body) = auth(&cloud, &case).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_keystone_error(&body, 401);
    }
    // An unsupported method lists the supported ones, as Keystone's plugin errors do.
    let totp = json!({"auth": {"identity": {"methods": ["totp"], "totp": {}}}});
    let (_, _, body) = auth(&cloud, &totp).await;
    assert!(body["error"]["identity"]["methods"].is_array(), "{body}");
    // Rescoping an unknown token: Keystone validates it first and answers 404, as real
    // Keystone 30 did in the differential check.
    let bogus =
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "not-a-token"}}}});
    let (status, _, body) = auth(&cloud, &bogus).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_keystone_error(&body, 404);
}

#[tokio::test]
async fn system_domain_and_unscoped_tokens() {
    let seed = Seed::parse(
        "users: [{name: dora, password: pw, roles: [{role: admin, domain: default}]}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();

    let (status, _, body) = auth(
        &cloud,
        &password_body("admin", "admin", json!({"system": {"all": true}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["token"]["system"], json!({"all": true}));
    assert!(body["token"].get("project").is_none());
    assert!(body["token"]["catalog"].is_array());

    let (status, _, body) = auth(
        &cloud,
        &password_body("dora", "pw", json!({"domain": {"name": "Default"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["token"]["domain"],
        json!({"id": "default", "name": "Default"})
    );
    assert_eq!(role_names(&body), ["admin", "manager", "member", "reader"]);

    // Keystone builds a catalog only for a project: a domain-scoped token is refused.
    let (_, domain_token, _) = auth(
        &cloud,
        &password_body("dora", "pw", json!({"domain": {"name": "Default"}})),
    )
    .await;
    let (status, body) = get(&cloud, &domain_token.unwrap(), "/identity/v3/auth/catalog").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"]["message"],
        "A project-scoped token is required to produce a service catalog."
    );

    let (status, token, body) = auth(&cloud, &password_body("demo", "demo", Value::Null)).await;
    assert_eq!(status, StatusCode::CREATED);
    let t = &body["token"];
    assert!(
        t.get("project").is_none() && t.get("catalog").is_none() && t.get("roles").is_none(),
        "{body}"
    );
    // An unscoped token may list its projects but not read the catalog.
    let token = token.unwrap();
    let (status, body) = get(&cloud, &token, "/identity/v3/auth/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["projects"][0]["name"], "demo");
    let (status, body) = get(&cloud, &token, "/identity/v3/auth/catalog").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_keystone_error(&body, 403);
}

#[tokio::test]
async fn token_method_rescopes_and_keeps_the_expiry() {
    let cloud = MockCloud::start().await.unwrap();
    let (_, unscoped, first) = auth(&cloud, &password_body("admin", "admin", Value::Null)).await;
    let request = json!({"auth": {
        "identity": {"methods": ["token"], "token": {"id": unscoped.unwrap()}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
    }});
    let (status, token, body) = auth(&cloud, &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(token.is_some());
    let t = &body["token"];
    assert_eq!(t["methods"], json!(["password", "token"]));
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["expires_at"], first["token"]["expires_at"]);
    assert_eq!(t["audit_ids"][1], first["token"]["audit_ids"][0]);
}

#[tokio::test]
async fn application_credentials_by_id_and_by_name() {
    let seed = Seed::parse(
        "application_credentials:\n  - {id: ac1, name: ci, secret: s3cret, user: demo, project: demo}\n  - {name: ro, secret: s3cret, user: admin, project: admin, roles: [reader]}\n",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let by_id = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": "ac1", "secret": "s3cret"}}}});
    let (status, _, body) = auth(&cloud, &by_id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token"]["project"]["name"], "demo");
    assert_eq!(body["token"]["methods"], json!(["application_credential"]));
    assert_eq!(body["token"]["application_credential"]["id"], "ac1");

    let by_name = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"name": "ro", "secret": "s3cret",
            "user": {"name": "admin", "domain": {"id": "default"}}}}}});
    let (status, _, body) = auth(&cloud, &by_name).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(role_names(&body), ["reader"]);

    let wrong = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": "ac1", "secret": "nope"}}}});
    assert_eq!(auth(&cloud, &wrong).await.0, StatusCode::UNAUTHORIZED);

    let mut scoped = by_id.clone();
    scoped["auth"]["scope"] = project_scope("demo");
    let (status, _, body) = auth(&cloud, &scoped).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["error"]["message"],
        "Error authenticating with application credential: Application credentials cannot \
         request a scope."
    );
    // Keystone's authentication-plugin errors carry `error.identity`.
    assert_eq!(body["error"]["identity"], json!({}));
}

#[tokio::test]
async fn validate_check_and_revoke() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    let other_demo = cloud.token("demo", "demo").unwrap();
    let url = format!("{}/identity/v3/auth/tokens", cloud.base_url());

    let response = http()
        .get(&url)
        .header("x-auth-token", &admin)
        .header("x-subject-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-subject-token"], demo.as_str());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token"]["user"]["name"], "demo");
    assert!(body["token"]["catalog"].is_array());

    let response = http()
        .get(format!("{url}?nocatalog"))
        .header("x-auth-token", &demo)
        .header("x-subject-token", &other_demo)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a user may validate its own tokens"
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["token"].get("catalog").is_none());

    let check = http()
        .head(&url)
        .header("x-auth-token", &admin)
        .header("x-subject-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), StatusCode::OK);

    // Someone else's token: 403. No subject: 400. No caller: 401.
    let response = http()
        .get(&url)
        .header("x-auth-token", &demo)
        .header("x-subject-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = http()
        .get(&url)
        .header("x-auth-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = http()
        .get(&url)
        .header("x-subject-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));

    let revoke = http()
        .delete(&url)
        .header("x-auth-token", &admin)
        .header("x-subject-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let response = http()
        .get(&url)
        .header("x-auth-token", &admin)
        .header("x-subject-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_keystone_error(&body, 404);
    assert!(
        !body.to_string().contains(&demo),
        "tokens never appear in errors"
    );
    let (status, _) = get(&cloud, &demo, "/identity/v3/auth/projects").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused"
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let cloud = MockCloud::builder()
        .token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let (status, token, _) = auth(
        &cloud,
        &password_body("admin", "admin", project_scope("admin")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = get(&cloud, &token.unwrap(), "/identity/v3/auth/catalog").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_keystone_error(&body, 401);
}

#[tokio::test]
async fn catalog_users_and_projects() {
    let seed = Seed::parse("regions: [RegionTwo]", false).unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let demo = cloud.token("demo", "demo").unwrap();

    let (status, body) = get(&cloud, &demo, "/identity/v3/auth/catalog").await;
    assert_eq!(status, StatusCode::OK);
    // Not a paged collection: Keystone's links name only `self`.
    assert_eq!(
        body["links"],
        json!({"self": format!("{}/identity/v3/auth/catalog", cloud.base_url())})
    );
    let image = body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "image")
        .unwrap()
        .clone();
    let regions: Vec<_> = image["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["region"].as_str().unwrap())
        .collect();
    assert_eq!(
        regions,
        [
            "RegionOne",
            "RegionOne",
            "RegionOne",
            "RegionTwo",
            "RegionTwo",
            "RegionTwo"
        ]
    );

    let demo_id = cloud.validate_token(&demo).unwrap().user_id;
    let admin_id = cloud.validate_token(&admin).unwrap().user_id;
    let (status, body) = get(&cloud, &demo, &format!("/identity/v3/users/{demo_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["name"], "demo");
    assert_eq!(body["user"]["domain_id"], "default");
    let (status, body) = get(&cloud, &demo, &format!("/identity/v3/users/{admin_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_keystone_error(&body, 403);
    let (status, body) = get(&cloud, &admin, "/identity/v3/users/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_keystone_error(&body, 404);
    let (status, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/users/{demo_id}/projects"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["projects"].as_array().unwrap().len(), 1);

    let (status, body) = get(&cloud, &admin, "/identity/v3/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["projects"].as_array().unwrap().len(), 2);
    let (status, body) = get(&cloud, &admin, "/identity/v3/projects?name=demo").await;
    assert_eq!(status, StatusCode::OK);
    let demo_project = body["projects"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&cloud, &demo, "/identity/v3/projects").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/projects/{demo_project}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["project"]["name"], "demo");
    assert_eq!(
        get(&cloud, &admin, "/identity/v3/projects/nope").await.0,
        StatusCode::NOT_FOUND
    );
    let admin_project = cloud.project_id("admin").unwrap();
    assert_eq!(
        get(
            &cloud,
            &demo,
            &format!("/identity/v3/projects/{admin_project}")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn unknown_routes_name_themselves() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let (status, body) = get(
        &cloud,
        &admin,
        "/identity/v3/OS-FEDERATION/identity_providers",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_keystone_error(&body, 501);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/identity/v3/OS-FEDERATION/identity_providers")
    );
    let response = http()
        .put(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_keystone_error(&response.json().await.unwrap(), 405);
}

#[tokio::test]
async fn many_tokens_are_cheap() {
    let cloud = MockCloud::start().await.unwrap();
    let tokens: std::collections::HashSet<_> = (0..2000)
        .map(|_| cloud.token("demo", "demo").unwrap())
        .collect();
    assert_eq!(tokens.len(), 2000);
}

#[tokio::test]
async fn users_manage_their_application_credentials() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    let demo_id = cloud.validate_token(&demo).unwrap().user_id;
    let url = format!(
        "{}/identity/v3/users/{demo_id}/application_credentials",
        cloud.base_url()
    );
    let create = |token: String, body: Value| {
        let url = url.clone();
        async move {
            let response = http()
                .post(url)
                .header("x-auth-token", token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let (status, body) = create(
        demo.clone(),
        json!({"application_credential": {"name": "ci"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let made = &body["application_credential"];
    let id = made["id"].as_str().unwrap().to_owned();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(made["project_id"], cloud.project_id("demo").unwrap());
    let roles: Vec<_> = made["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["member", "reader"]);

    let (status, body) = create(
        demo.clone(),
        json!({"application_credential": {"name": "ro", "secret": "s3cret", "roles": [{"name": "reader"}]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = create(
        demo.clone(),
        json!({"application_credential": {"name": "ci"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = create(
        demo.clone(),
        json!({"application_credential": {"name": "x", "roles": [{"name": "admin"}]}}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a role the user does not hold"
    );
    let (status, _) = create(demo.clone(), json!({"application_credential": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = create(
        admin.clone(),
        json!({"application_credential": {"name": "theirs"}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the user itself");

    // The new credentials authenticate, with their delegated roles.
    let by_id = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"id": id, "secret": secret}}}});
    let (status, _, body) = auth(&cloud, &by_id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token"]["project"]["name"], "demo");
    let by_name = json!({"auth": {"identity": {"methods": ["application_credential"],
        "application_credential": {"name": "ro", "secret": "s3cret", "user": {"id": demo_id}}}}});
    let (status, _, body) = auth(&cloud, &by_name).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(role_names(&body), ["reader"]);

    let (status, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/users/{demo_id}/application_credentials"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["application_credentials"].as_array().unwrap().len(), 2);
    assert!(
        !body.to_string().contains("s3cret"),
        "secrets are shown once"
    );
    let (_, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/users/{demo_id}/application_credentials?name=ro"),
    )
    .await;
    assert_eq!(body["application_credentials"].as_array().unwrap().len(), 1);
    let (status, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/users/{demo_id}/application_credentials/{id}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["application_credential"].get("secret").is_none());
    assert_eq!(
        get(
            &cloud,
            &admin,
            &format!("/identity/v3/users/{demo_id}/application_credentials")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let delete = http()
        .delete(format!("{url}/{id}"))
        .header("x-auth-token", &demo)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    let (status, body) = get(
        &cloud,
        &demo,
        &format!("/identity/v3/users/{demo_id}/application_credentials/{id}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_keystone_error(&body, 404);
    // As Keystone: a deleted credential is not found (404), not a bad secret (401).
    let (status, _, body) = auth(&cloud, &by_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_keystone_error(&body, 404);
    assert_eq!(
        body["error"]["message"],
        format!("Could not find Application Credential: {id}.")
    );
}

#[tokio::test]
async fn admins_list_users_roles_and_domains() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let demo = cloud.token("demo", "demo").unwrap();

    let (status, body) = get(&cloud, &admin, "/identity/v3/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
    let (_, body) = get(&cloud, &admin, "/identity/v3/users?name=demo").await;
    assert_eq!(body["users"][0]["name"], "demo");
    let (status, body) = get(&cloud, &demo, "/identity/v3/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_keystone_error(&body, 403);

    let (status, body) = get(&cloud, &demo, "/identity/v3/roles").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "manager", "member", "reader", "service"]);
    let (_, body) = get(&cloud, &demo, "/identity/v3/roles?name=member").await;
    assert_eq!(body["roles"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["roles"][0]["name"], "member");

    let (status, body) = get(&cloud, &admin, "/identity/v3/domains").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["domains"][0]["id"], "default");
    // Filtered by name and enabled, as Keystone filters them.
    let count = |body: &Value| body["domains"].as_array().map(Vec::len);
    let (_, body) = get(&cloud, &admin, "/identity/v3/domains?name=Default").await;
    assert_eq!(count(&body), Some(1), "{body}");
    let (_, body) = get(&cloud, &admin, "/identity/v3/domains?name=nope").await;
    assert_eq!(count(&body), Some(0), "{body}");
    let (_, body) = get(&cloud, &admin, "/identity/v3/domains?enabled=False").await;
    assert_eq!(count(&body), Some(0), "{body}");
    let (_, body) = get(&cloud, &admin, "/identity/v3/domains?enabled=true").await;
    assert_eq!(count(&body), Some(1), "{body}");
    assert_eq!(
        get(&cloud, &demo, "/identity/v3/domains").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = get(&cloud, &demo, "/identity/v3/domains/default").await;
    assert_eq!(status, StatusCode::OK, "a user sees its own domain");
    assert_eq!(body["domain"]["name"], "Default");
    let (status, body) = get(&cloud, &admin, "/identity/v3/domains/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_keystone_error(&body, 404);
}
