//! Application credentials as Keystone guards them: an expiry that is checked and enforced,
//! and restricted credentials (the default) that cannot make, or delete, credentials.

use mock_cloud::MockCloud;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A cloud, demo's token and the URL of demo's credentials.
async fn demo() -> (MockCloud, String, String) {
    let cloud = MockCloud::start().await.unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let user = cloud.validate_token(&token).unwrap().user_id;
    let url = format!(
        "{}/identity/v3/users/{user}/application_credentials",
        cloud.base_url()
    );
    (cloud, token, url)
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http().request(method, url).header("x-auth-token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create(url: &str, token: &str, credential: Value) -> (StatusCode, Value) {
    let body = json!({ "application_credential": credential });
    call(reqwest::Method::POST, url, token, Some(body)).await
}

/// Authenticates with a credential: status, token, body.
async fn authenticate(
    cloud: &MockCloud,
    id: &str,
    secret: &str,
) -> (StatusCode, Option<String>, Value) {
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .json(
            &json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": id, "secret": secret}}}}),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let token = response
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, token, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn expiry_dates_are_checked_shown_and_enforced() {
    let (cloud, token, url) = demo().await;
    for (value, words) in [
        (json!("next tuesday"), "Timestamp not in expected format"),
        (json!("2001-01-01T00:00:00Z"), "must not be before now"),
        (json!(1_900_000_000), "is not of type 'string', 'null'"),
    ] {
        let (status, body) = create(&url, &token, json!({"name": "x", "expires_at": value})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}: {body}");
        assert_eq!(body["error"]["code"], 400);
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{value}: {body}"
        );
    }
    let (status, body) = create(&url, &token, json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["application_credential"]["expires_at"], Value::Null);

    // Soon: it works until then, its tokens end with it, and then it stops working.
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_millis(1500);
    let soon_text = soon.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string();
    let (status, body) = create(
        &url,
        &token,
        json!({"name": "soon", "expires_at": soon_text}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let made = &body["application_credential"];
    assert_eq!(made["expires_at"], soon_text.as_str());
    let (id, secret) = (
        made["id"].as_str().unwrap(),
        made["secret"].as_str().unwrap(),
    );
    let (status, issued, body) = authenticate(&cloud, id, secret).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expires: jiff::Timestamp = body["token"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        expires <= soon,
        "the token ends with its credential: {expires} > {soon}"
    );
    let issued = issued.unwrap();
    assert!(cloud.validate_token(&issued).is_some());

    // Wall-clock time must pass: the credential's expiry is a point in real time.
    let wait = soon.duration_since(jiff::Timestamp::now()).unsigned_abs();
    tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
    let (status, _, body) = authenticate(&cloud, id, secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], 401);
    assert!(
        cloud.validate_token(&issued).is_none(),
        "its token ended with it"
    );
}

#[tokio::test]
async fn a_restricted_credential_cannot_make_or_delete_credentials() {
    let (cloud, token, url) = demo().await;
    let (_, body) = create(&url, &token, json!({"name": "restricted"})).await;
    let restricted = &body["application_credential"];
    assert_eq!(restricted["unrestricted"], Value::Null);
    let (_, body) = create(&url, &token, json!({"name": "other"})).await;
    let other_id = body["application_credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, from_restricted, body) = authenticate(
        &cloud,
        restricted["id"].as_str().unwrap(),
        restricted["secret"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["token"]["application_credential"]["restricted"], true);
    let from_restricted = from_restricted.unwrap();

    let (status, body) = create(&url, &from_restricted, json!({"name": "escalated"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Using method 'application_credential' is not allowed"),
        "{body}"
    );
    let (status, _) = call(
        reqwest::Method::DELETE,
        &format!("{url}/{other_id}"),
        &from_restricted,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Keystone lets it list and show them (their secrets are never shown).
    let (status, body) = call(reqwest::Method::GET, &url, &from_restricted, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["application_credentials"].as_array().unwrap().len(), 2);
    assert!(!body.to_string().contains("secret"), "{body}");

    // An unrestricted one may, and its tokens say so.
    let (_, body) = create(&url, &token, json!({"name": "free", "unrestricted": true})).await;
    let free = &body["application_credential"];
    assert_eq!(free["unrestricted"], true);
    let (_, from_free, body) = authenticate(
        &cloud,
        free["id"].as_str().unwrap(),
        free["secret"].as_str().unwrap(),
    )
    .await;
    assert_eq!(body["token"]["application_credential"]["restricted"], false);
    let from_free = from_free.unwrap();
    let (status, _) = create(&url, &from_free, json!({"name": "made-by-free"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = call(
        reqwest::Method::DELETE,
        &format!("{url}/{other_id}"),
        &from_free,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = create(&url, &token, json!({"name": "bad", "unrestricted": "yes"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_deleted_credentials_tokens_stop_working() {
    let (cloud, token, url) = demo().await;
    let (_, body) = create(&url, &token, json!({"name": "short-lived"})).await;
    let made = &body["application_credential"];
    let id = made["id"].as_str().unwrap().to_owned();
    let (_, issued, _) = authenticate(&cloud, &id, made["secret"].as_str().unwrap()).await;
    let issued = issued.unwrap();
    assert!(cloud.validate_token(&issued).is_some());
    let (status, _) = call(
        reqwest::Method::DELETE,
        &format!("{url}/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(cloud.validate_token(&issued).is_none());
}
