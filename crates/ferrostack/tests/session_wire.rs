//! The session against a wiremock cloud: what it sends to authenticate, how it discovers,
//! re-authenticates, retries, parses errors, and that it never logs a secret.

mod session_support;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::{RetryPolicy, Session};
use serde_json::json;
use session_support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

fn images_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-openstack-request-id", "req-images")
        .set_body_json(json!({"images": [], "first": "/v2/images", "schema": "/v2/schemas/images"}))
}

// ---------------------------------------------------------------------------------------------
// Authentication: the exact body of each method and scope, as Keystone receives it.

#[tokio::test]
async fn each_auth_method_sends_its_exact_body() {
    let base_auth = AuthConfig::default;
    let cases: Vec<(&str, AuthType, AuthConfig, &str)> = vec![
        (
            "password_name_domain_name_project_name",
            AuthType::Password,
            AuthConfig {
                username: Some("demo".into()),
                password: Some(PASSWORD.into()),
                user_domain_name: Some("Default".into()),
                project_name: Some("demo".into()),
                project_domain_name: Some("Default".into()),
                ..base_auth()
            },
            PASSWORD,
        ),
        (
            "password_user_id_project_id",
            AuthType::Password,
            AuthConfig {
                user_id: Some("ee4dfb6e".into()),
                password: Some(PASSWORD.into()),
                project_id: Some("a6944d76".into()),
                ..base_auth()
            },
            PASSWORD,
        ),
        (
            "password_name_domain_id_domain_scope",
            AuthType::Password,
            AuthConfig {
                username: Some("admin".into()),
                password: Some(PASSWORD.into()),
                user_domain_id: Some("default".into()),
                domain_id: Some("default".into()),
                ..base_auth()
            },
            PASSWORD,
        ),
        (
            "password_system_scope",
            AuthType::Password,
            AuthConfig {
                username: Some("admin".into()),
                password: Some(PASSWORD.into()),
                user_domain_id: Some("default".into()),
                system_scope: Some("all".into()),
                ..base_auth()
            },
            PASSWORD,
        ),
        (
            "password_unscoped",
            AuthType::Password,
            AuthConfig {
                user_id: Some("ee4dfb6e".into()),
                password: Some(PASSWORD.into()),
                ..base_auth()
            },
            PASSWORD,
        ),
        (
            "token_project_id",
            AuthType::Token,
            AuthConfig {
                token: Some(token(99).into()),
                project_id: Some("a6944d76".into()),
                ..base_auth()
            },
            TOKEN_PREFIX,
        ),
        (
            "application_credential_id",
            AuthType::ApplicationCredential,
            AuthConfig {
                application_credential_id: Some("ac-0b5f".into()),
                application_credential_secret: Some(APP_SECRET.into()),
                // Ignored: an application credential carries its own scope.
                project_name: Some("demo".into()),
                project_domain_id: Some("default".into()),
                ..base_auth()
            },
            APP_SECRET,
        ),
        (
            "application_credential_name_user_name",
            AuthType::ApplicationCredential,
            AuthConfig {
                application_credential_name: Some("ci".into()),
                application_credential_secret: Some(APP_SECRET.into()),
                username: Some("demo".into()),
                user_domain_name: Some("Default".into()),
                ..base_auth()
            },
            APP_SECRET,
        ),
    ];
    for (name, auth_type, auth, secret) in cases {
        let cloud = Cloud::start().await;
        let config = CloudConfig {
            auth_type,
            auth: AuthConfig {
                auth_url: Some(format!("{}/identity/v3", cloud.uri())),
                ..auth
            },
            ..cloud.config()
        };
        let session = cloud.session(config);
        let token = session.token().await.unwrap().unwrap();
        assert_eq!(token.id.expose(), token_one(), "{name}");
        let posts = cloud.received_at("POST", "/identity/v3/auth/tokens").await;
        assert_eq!(posts.len(), 1, "{name}");
        let raw = String::from_utf8(posts[0].body.clone()).unwrap();
        assert!(
            raw.contains(secret),
            "{name}: the secret must go on the wire"
        );
        assert_eq!(
            posts[0].headers.get("content-type").unwrap(),
            "application/json"
        );
        assert!(posts[0].headers.get("x-auth-token").is_none(), "{name}");
        let body: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let redacted = ferrostack::request::redact_json(&body);
        assert_no_secrets(name, &redacted.to_string());
        insta::assert_json_snapshot!(name, redacted);
    }
}

fn token_one() -> String {
    token(1)
}

// ---------------------------------------------------------------------------------------------
// Discovery.

#[tokio::test]
async fn identity_discovery_with_and_without_v3() {
    for suffix in ["", "/", "/v3", "/v3/"] {
        let cloud = Cloud::start().await;
        let mut config = cloud.config();
        config.auth.auth_url = Some(format!("{}/identity{suffix}", cloud.uri()));
        let session = cloud.session(config);
        session.token().await.unwrap();
        let first = &cloud.received().await[0];
        let fetched = if suffix.starts_with("/v3") {
            "/identity/v3"
        } else {
            "/identity"
        };
        assert_eq!(first.url.path().trim_end_matches('/'), fetched, "{suffix}");
        assert_eq!(cloud.tokens_issued(), 1);
        // Keystone's own endpoint from the catalog, through the values-shaped document.
        assert_eq!(
            session
                .endpoint(&ServiceType::Identity)
                .await
                .unwrap()
                .as_str(),
            format!("{}/identity/v3", cloud.uri())
        );
    }
}

#[tokio::test]
async fn identity_without_discovery_uses_a_versioned_auth_url() {
    // A Keystone behind a proxy that does not serve the discovery document.
    let server = wiremock::MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/keystone/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", token(1).as_str())
                .set_body_raw(
                    fixture("token-project.json", &base)
                        .replace("{{expires_at}}", "2099-01-01T00:00:00.000000Z"),
                    "application/json",
                ),
        )
        .mount(&server)
        .await;
    let mut config = CloudConfig::new();
    config.auth = AuthConfig {
        auth_url: Some(format!("{base}/keystone/v3")),
        user_id: Some("u".into()),
        password: Some(PASSWORD.into()),
        ..AuthConfig::default()
    };
    let session = Session::builder(config)
        .retry(fast_retries())
        .build()
        .unwrap();
    let token = session.token().await.unwrap().unwrap();
    assert_eq!(token.user.name.as_deref(), Some("demo"));
}

#[tokio::test]
async fn each_discovery_shape() {
    let cloud = Cloud::start().await;
    let session = cloud.session(cloud.config());
    let base = cloud.uri();
    // Glance: {"versions": [...]} at the unversioned catalog URL.
    assert_eq!(
        session
            .endpoint(&ServiceType::Image)
            .await
            .unwrap()
            .as_str(),
        format!("{base}/image/v2")
    );
    assert_eq!(
        session
            .microversion_range(&ServiceType::Image)
            .await
            .unwrap(),
        None
    );
    // Nova: {"version": {...}} at the versioned catalog URL, with microversions.
    assert_eq!(
        session
            .endpoint(&ServiceType::Compute)
            .await
            .unwrap()
            .as_str(),
        format!("{base}/compute/v2.1")
    );
    assert_eq!(
        session
            .microversion_range(&ServiceType::Compute)
            .await
            .unwrap(),
        Some(("2.1".into(), "2.96".into()))
    );
    // Keystone: {"versions": {"values": [...]}} (see identity_discovery_with_and_without_v3).
    // Cached: asking again sends nothing.
    let before = cloud.received().await.len();
    session.endpoint(&ServiceType::Image).await.unwrap();
    session.endpoint(&ServiceType::Compute).await.unwrap();
    assert_eq!(cloud.received().await.len(), before);
    // Negotiation.
    let compute = ServiceType::Compute;
    assert_eq!(
        session
            .negotiate_microversion(&compute, "2.79")
            .await
            .unwrap()
            .as_deref(),
        Some("2.79")
    );
    assert_eq!(
        session
            .negotiate_microversion(&compute, "2.200")
            .await
            .unwrap()
            .as_deref(),
        Some("2.96")
    );
    assert_eq!(
        session
            .negotiate_microversion(&compute, "latest")
            .await
            .unwrap()
            .as_deref(),
        Some("2.96")
    );
    assert_eq!(
        session
            .negotiate_microversion(&ServiceType::Image, "2.5")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn nova_list_shape_at_an_unversioned_override() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/nova"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"versions": [
            {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
             "links": [{"rel": "self", "href": format!("{base}/nova/v2/")}]},
            {"id": "v2.1", "status": "CURRENT", "version": "2.90", "min_version": "2.1",
             "links": [{"rel": "self", "href": format!("{base}/nova/v2.1/")}]}]})),
        )
        .mount(&cloud.server)
        .await;
    let mut config = cloud.config();
    config
        .endpoint_overrides
        .insert("compute".into(), format!("{base}/nova"));
    let session = cloud.session(config);
    assert_eq!(
        session
            .endpoint(&ServiceType::Compute)
            .await
            .unwrap()
            .as_str(),
        format!("{base}/nova/v2.1")
    );
    assert_eq!(
        session
            .microversion_range(&ServiceType::Compute)
            .await
            .unwrap(),
        Some(("2.1".into(), "2.90".into()))
    );
}

#[tokio::test]
async fn failed_discovery_says_where_and_why() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/broken"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-openstack-request-id", "req-broken")
                .set_body_string("Internal Server Error"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>hi</html>", "text/html"))
        .mount(&cloud.server)
        .await;
    let mut config = cloud.config();
    config
        .endpoint_overrides
        .insert("image".into(), format!("{base}/broken"));
    config
        .endpoint_overrides
        .insert("compute".into(), format!("{base}/html"));
    let session = Session::builder(config)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = session.endpoint(&ServiceType::Image).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.request_id(), Some("req-broken"));
    assert_eq!(
        err.to_string(),
        format!(
            "image: version discovery: GET {base}/broken: Internal Server Error (HTTP 500, request req-broken)"
        )
    );
    let err = session.endpoint(&ServiceType::Compute).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::EndpointNotFound);
    assert!(
        err.message().starts_with(&format!(
            "version discovery at {base}/html: not a version discovery document"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_nova_url_with_a_project_id_keeps_it_and_finds_microversions_one_level_up() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/compute/v2.1/a6944d763bf64ee6a275f1263fae0352/servers",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .mount(&cloud.server)
        .await;
    let mut config = cloud.config();
    config.endpoint_overrides.insert(
        "compute".into(),
        format!("{base}/compute/v2.1/%(project_id)s"),
    );
    let session = cloud.session(config);
    assert_eq!(
        session
            .endpoint(&ServiceType::Compute)
            .await
            .unwrap()
            .as_str(),
        format!("{base}/compute/v2.1/a6944d763bf64ee6a275f1263fae0352")
    );
    assert_eq!(
        session
            .microversion_range(&ServiceType::Compute)
            .await
            .unwrap(),
        Some(("2.1".into(), "2.96".into()))
    );
    let servers: serde_json::Value = session
        .send_json(Request::get(ServiceType::Compute, "/servers"))
        .await
        .unwrap();
    assert_eq!(servers, json!({"servers": []}));
}

#[tokio::test]
async fn missing_endpoints_are_clear_errors() {
    let cloud = Cloud::start().await;
    let mut config = cloud.config();
    config.region_name = Some("RegionTwo".into());
    let session = cloud.session(config);
    let err = session.endpoint(&ServiceType::Image).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::EndpointNotFound);
    assert!(err.to_string().contains("public"), "{err}");
    assert!(err.to_string().contains("RegionTwo"), "{err}");
    let err = session
        .endpoint(&ServiceType::Other("block-storage".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::EndpointNotFound);
}

// ---------------------------------------------------------------------------------------------
// auth_type none, microversion headers.

#[tokio::test]
async fn auth_none_uses_overrides_and_sends_no_token() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"flavors": []})))
        .mount(&cloud.server)
        .await;
    let mut config = CloudConfig::new();
    config.auth_type = AuthType::None;
    config
        .endpoint_overrides
        .insert("compute".into(), format!("{base}/compute/v2.1"));
    let session = cloud.session(config);
    let flavors: serde_json::Value = session
        .send_json(Request::get(ServiceType::Compute, "/flavors").microversion("2.61"))
        .await
        .unwrap();
    assert_eq!(flavors, json!({"flavors": []}));
    assert_eq!(cloud.tokens_issued(), 0);
    let sent = cloud.received_at("GET", "/compute/v2.1/flavors").await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].headers.get("x-auth-token").is_none());
    assert_eq!(
        sent[0].headers.get("openstack-api-version").unwrap(),
        "compute 2.61"
    );
    assert_eq!(
        sent[0].headers.get("x-openstack-nova-api-version").unwrap(),
        "2.61"
    );
    // No override and no auth.endpoint: the error names the key to set.
    let err = session.endpoint(&ServiceType::Image).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(err.message().contains("image_endpoint_override"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Tokens: shared re-authentication, renewal before expiry.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_triggers_one_shared_reauthentication_for_20_concurrent_requests() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .and(header("x-auth-token", token(1).as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Keystone uri=\"http://k/identity\"")
                .set_body_raw(fixture("error-401.json", ""), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .and(header("x-auth-token", token(2).as_str()))
        .respond_with(images_ok())
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    // Authenticate and discover first, so all 20 calls go out with token 1.
    session.endpoint(&ServiceType::Image).await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move {
                session
                    .send_json::<serde_json::Value>(Request::get(ServiceType::Image, "/images"))
                    .await
            })
        })
        .collect();
    for call in calls {
        let images = call.await.unwrap().unwrap();
        assert_eq!(images["images"], json!([]));
    }
    assert_eq!(cloud.tokens_issued(), 2, "one authentication, one renewal");
    let gets = cloud.received_at("GET", "/image/v2/images").await;
    let with = |n: usize| {
        gets.iter()
            .filter(|r| auth_token(r) == Some(token(n)))
            .count()
    };
    assert_eq!(with(2), 20, "every call succeeded with the renewed token");
    // Calls that started after the renewal went out with token 2 directly.
    assert!(
        (1..=20).contains(&with(1)),
        "{} calls were rejected",
        with(1)
    );
}

#[tokio::test]
async fn a_401_after_reauthentication_is_returned() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-openstack-request-id", "req-401")
                .set_body_raw(fixture("error-401.json", ""), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let err = session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.request_id(), Some("req-401"));
    assert_eq!(cloud.tokens_issued(), 2);
    assert_eq!(cloud.received_at("GET", "/image/v2/images").await.len(), 2);
}

#[tokio::test]
async fn expired_and_expiring_tokens_are_renewed_before_use() {
    // Token 1 expired a minute ago; token 2 expires within the 120 s margin; token 3 is good.
    let cloud = Cloud::with_lifetimes(vec![-60, 30, 3600]).await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images_ok())
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let first = session.token().await.unwrap().unwrap();
    assert_eq!(first.id.expose(), token(1));
    session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert_eq!(cloud.tokens_issued(), 3);
    let gets = cloud.received_at("GET", "/image/v2/images").await;
    assert!(gets.iter().all(|r| auth_token(r) == Some(token(3))));
    // No 401 was needed.
    assert_eq!(gets.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Retries.

#[tokio::test]
async fn two_503s_then_200_succeeds_with_three_requests() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images_ok())
        .with_priority(2)
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let response = session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.request_id(), Some("req-images"));
    assert_eq!(cloud.received_at("GET", "/image/v2/images").await.len(), 3);
}

#[tokio::test]
async fn retries_stop_at_the_policy_limit() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&cloud.server)
        .await;
    let session = Session::builder(cloud.config())
        .retry(RetryPolicy {
            max_attempts: 3,
            ..fast_retries()
        })
        .build()
        .unwrap();
    let err = session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unavailable);
    assert_eq!(err.status(), Some(502));
    assert_eq!(cloud.received_at("GET", "/image/v2/images").await.len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_returned_as_rate_limited() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3600")
                .insert_header("x-compute-request-id", "req-429"),
        )
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let err = session
        .send(Request::get(ServiceType::Compute, "/servers"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::RateLimited);
    assert_eq!(
        err.retry_after(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(err.request_id(), Some("req-429"));
    assert_eq!(
        cloud
            .received_at("GET", "/compute/v2.1/servers")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_post_that_got_a_503_is_not_resent() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-compute-request-id", "req-post")
                .set_body_json(
                    json!({"serviceUnavailable": {"code": 503, "message": "Try again"}}),
                ),
        )
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let err = session
        .send(
            Request::post(ServiceType::Compute, "/servers")
                .json(json!({"server": {"name": "vm", "imageRef": "i", "flavorRef": "1", "networks": "none"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unavailable);
    assert_eq!(err.message(), "Try again");
    assert_eq!(err.request_id(), Some("req-post"));
    assert_eq!(
        cloud
            .received_at("POST", "/compute/v2.1/servers")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_request_timeout_is_a_timeout_error() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images_ok().set_delay(std::time::Duration::from_secs(30)))
        .mount(&cloud.server)
        .await;
    let session = Session::builder(cloud.config())
        .retry(RetryPolicy {
            max_attempts: 2,
            ..fast_retries()
        })
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let err = session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(err.message().contains("/image/v2/images"), "{err}");
    assert!(
        err.message()
            .ends_with("(the 0.2 s request timeout ran out)"),
        "{err}"
    );
    // A timeout is never retried: the service is slow, not refusing.
    assert_eq!(cloud.received_at("GET", "/image/v2/images").await.len(), 1);
}

fn chunks() -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let parts: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from_static(b"QFI\xfb")),
        Ok(bytes::Bytes::from_static(b"-image-")),
        Ok(bytes::Bytes::from_static(b"bytes")),
    ];
    futures::stream::iter(parts)
}

#[tokio::test]
async fn a_stream_is_sent_once_with_its_length() {
    let cloud = Cloud::start().await;
    Mock::given(method("PUT"))
        .and(path("/image/v2/images/abc/file"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let response = session
        .send_stream(
            Request::put(ServiceType::Image, "/images/abc/file").stream(Some(16)),
            chunks(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let puts = cloud.received_at("PUT", "/image/v2/images/abc/file").await;
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body, b"QFI\xfb-image-bytes");
    assert_eq!(
        puts[0].headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(puts[0].headers.get("content-length").unwrap(), "16");
}

#[tokio::test]
async fn a_stream_rejected_with_401_renews_the_token_but_is_not_resent() {
    let cloud = Cloud::start().await;
    Mock::given(method("PUT"))
        .and(path("/image/v2/images/abc/file"))
        .and(header("x-auth-token", token(1).as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_raw(fixture("error-401.json", ""), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images_ok())
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let err = session
        .send_stream(
            Request::put(ServiceType::Image, "/images/abc/file").stream(None),
            chunks(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(
        cloud
            .received_at("PUT", "/image/v2/images/abc/file")
            .await
            .len(),
        1
    );
    // The next call already has the new token.
    session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert_eq!(cloud.tokens_issued(), 2);
    let gets = cloud.received_at("GET", "/image/v2/images").await;
    assert_eq!(auth_token(&gets[0]), Some(token(2)));
}

#[tokio::test]
async fn a_stream_body_needs_send_stream() {
    let cloud = Cloud::start().await;
    let session = cloud.session(cloud.config());
    let err = session
        .send(Request::put(ServiceType::Image, "/images/x/file").stream(Some(3)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput);
    assert!(err.message().contains("send_stream"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Error bodies of each service.

#[tokio::test]
async fn each_services_error_body_is_parsed_with_its_request_id() {
    let cloud = Cloud::start().await;
    let mount = |p: &'static str, template: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(template)
    };
    mount(
        "/identity/v3/users/nobody",
        ResponseTemplate::new(404)
            .insert_header("x-openstack-request-id", "req-keystone")
            .set_body_json(json!({"error": {"code": 404, "title": "Not Found", "message": "Could not find user: nobody."}})),
    )
    .mount(&cloud.server)
    .await;
    mount(
        "/compute/v2.1/servers/busy",
        ResponseTemplate::new(409)
            .insert_header("x-openstack-request-id", "req-nova")
            .insert_header("x-compute-request-id", "req-nova")
            .set_body_json(json!({"conflictingRequest": {"code": 409, "message": "Cannot 'os-start' instance while it is in vm_state active"}})),
    )
    .mount(&cloud.server)
    .await;
    mount(
        "/image/v2/images/json",
        ResponseTemplate::new(404)
            .insert_header("x-openstack-request-id", "req-glance-json")
            .set_body_json(json!({"message": "No image found with ID json", "code": "404 Not Found", "title": "Not Found"})),
    )
    .mount(&cloud.server)
    .await;
    mount(
        "/image/v2/images/html",
        ResponseTemplate::new(403)
            .insert_header("x-openstack-request-id", "req-glance-html")
            .set_body_raw(
                "<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  Image html is protected and cannot be deleted.<br /><br />\n\n\n\n </body>\n</html>",
                "text/html; charset=UTF-8",
            ),
    )
    .mount(&cloud.server)
    .await;
    mount(
        "/image/v2/images/text",
        ResponseTemplate::new(400)
            .insert_header("x-openstack-request-id", "req-glance-text")
            .set_body_raw("400 Bad Request\n\nInvalid marker\n\n   ", "text/plain"),
    )
    .mount(&cloud.server)
    .await;
    let session = cloud.session(cloud.config());
    // A page that is not a service's JSON error may come from a proxy: it names the URL.
    let glance = format!("GET {}/image/v2", cloud.uri());
    let cases = [
        (
            ServiceType::Identity,
            "/users/nobody",
            ErrorKind::NotFound,
            404,
            "req-keystone",
            "Could not find user: nobody.".to_owned(),
        ),
        (
            ServiceType::Compute,
            "/servers/busy",
            ErrorKind::Conflict,
            409,
            "req-nova",
            "Cannot 'os-start' instance while it is in vm_state active".to_owned(),
        ),
        (
            ServiceType::Image,
            "/images/json",
            ErrorKind::NotFound,
            404,
            "req-glance-json",
            "No image found with ID json".to_owned(),
        ),
        (
            ServiceType::Image,
            "/images/html",
            ErrorKind::Forbidden,
            403,
            "req-glance-html",
            format!(
                "{glance}/images/html: 403 Forbidden Image html is protected and cannot be deleted."
            ),
        ),
        (
            ServiceType::Image,
            "/images/text",
            ErrorKind::BadRequest,
            400,
            "req-glance-text",
            format!("{glance}/images/text: 400 Bad Request Invalid marker"),
        ),
    ];
    for (service, at, kind, status, request_id, message) in cases {
        let err = session
            .send(Request::get(service.clone(), at))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &kind, "{at}");
        assert_eq!(err.status(), Some(status), "{at}");
        assert_eq!(err.service(), Some(&service), "{at}");
        assert_eq!(err.request_id(), Some(request_id), "{at}");
        assert_eq!(err.message(), message, "{at}");
        assert_eq!(
            err.to_string(),
            format!("{service}: {message} (HTTP {status}, request {request_id})")
        );
    }
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images_ok())
        .mount(&cloud.server)
        .await;
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        images: Vec<serde_json::Value>,
        first: u64,
    }
    let session = cloud.session(cloud.config());
    let err = session
        .send_json::<Wrong>(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("first"));
    assert_eq!(err.request_id(), Some("req-images"));
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of logs and errors.

#[tokio::test]
async fn every_error_kind_prints_no_secret() {
    // Configuration errors, transport errors and HTTP errors, Display and Debug.
    let cloud = Cloud::start().await;
    let mut printed = Vec::new();
    let mut incomplete = cloud.config();
    incomplete.auth.user_domain_name = None;
    let err = Session::new(incomplete).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    printed.push(format!("{err} {err:?}"));
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut unreachable = cloud.config();
    unreachable.auth.auth_url = Some(format!("http://{dead}/v3"));
    let err = cloud.session(unreachable).token().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport);
    printed.push(format!("{err} {err:?}"));
    let mut wrong = cloud.config();
    wrong.auth.auth_url = Some("not a url".into());
    let err = cloud.session(wrong).token().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(err.message().contains("auth.auth_url"), "{err}");
    printed.push(format!("{err} {err:?}"));
    for text in printed {
        assert_no_secrets("an error", &text);
    }
}

#[test]
fn sessions_are_shareable_across_tasks() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Session>();
}
