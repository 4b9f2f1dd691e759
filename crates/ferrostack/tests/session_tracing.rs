//! What the session logs: retries with their reasons, and never a secret.
//!
//! Every test here installs its own subscriber before doing anything, so no test registers
//! the session's log call sites while no subscriber listens (tracing caches that).

mod session_support;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::{RetryPolicy, Session};
use serde_json::json;
use session_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

fn images_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-openstack-request-id", "req-images")
        .set_body_json(json!({"images": []}))
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    let logs = LogBuffer::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber(tracing::Level::DEBUG));
    // A Nova that answers discovery once and then is gone: nothing listens on its port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v2.1", listener.local_addr().unwrap());
    let serve_once = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await.unwrap();
        let body = r#"{"version":{"id":"v2.1","status":"CURRENT","version":"2.96","min_version":"2.1","links":[]}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        // The listener is dropped here: later connections are refused.
    });
    let mut config = CloudConfig::new();
    config.auth_type = AuthType::None;
    config.endpoint_overrides.insert("compute".into(), base);
    let session = Session::builder(config)
        .retry(RetryPolicy {
            max_attempts: 3,
            ..fast_retries()
        })
        .build()
        .unwrap();
    session.endpoint(&ServiceType::Compute).await.unwrap();
    serve_once.await.unwrap();
    let err = session
        .send(Request::post(ServiceType::Compute, "/servers").json(json!({"server": {}})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport);
    assert!(err.message().ends_with("could not connect"), "{err}");
    // Nothing reached a server, so the POST was safe to try three times.
    let text = logs.text();
    assert_eq!(text.matches("request failed").count(), 3, "{text}");
}

#[tokio::test]
async fn a_429_retry_after_is_honoured() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(
                    json!({"overLimit": {"code": 429, "message": "Over limit", "retryAfter": "1"}}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .with_priority(2)
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let logs = LogBuffer::default();
    let servers: serde_json::Value = {
        let _guard = tracing::subscriber::set_default(logs.subscriber(tracing::Level::DEBUG));
        session
            .send_json(Request::get(ServiceType::Compute, "/servers"))
            .await
            .unwrap()
    };
    assert_eq!(servers, json!({"servers": []}));
    let gets = cloud.received_at("GET", "/compute/v2.1/servers").await;
    assert_eq!(gets.len(), 2);
    // The wait came from Retry-After (1 s), not from the millisecond backoff.
    let text = logs.text();
    let retry = text
        .lines()
        .find(|l| l.contains("retrying"))
        .unwrap_or_else(|| panic!("no retry logged:\n{text}"));
    assert!(retry.contains("status=429"), "{retry}");
    assert!(retry.contains("delay_ms=1000"), "{retry}");
    assert!(retry.contains("retry_after=true"), "{retry}");
}

#[tokio::test]
async fn a_full_flow_logged_at_trace_shows_no_secret() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
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
    // Keystone names the token it cannot find.
    Mock::given(method("GET"))
        .and(path("/identity/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            fixture("error-token-not-found.json", "").replace("{{token}}", &token(77)),
            "application/json",
        ))
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    let logs = LogBuffer::default();
    let mut errors = Vec::new();
    {
        let _guard = tracing::subscriber::set_default(logs.subscriber(tracing::Level::TRACE));
        let token_info = session.token().await.unwrap().unwrap();
        errors.push(format!("{token_info:?}"));
        let response = session
            .send(Request::get(ServiceType::Image, "/images"))
            .await
            .unwrap();
        errors.push(format!("{response:?} {session:?}"));
        let err = ferrostack::identity::IdentityClient::new(session.clone())
            .tokens()
            .validate(&token(77).into())
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(err.message(), "Could not find token: <redacted>.");
        errors.push(format!("{err} {err:?}"));
        // A failed authentication.
        let mut bad = cloud.config();
        bad.auth.auth_url = Some(format!("{}/nowhere/v3", cloud.uri()));
        let err = cloud.session(bad).token().await.unwrap_err();
        errors.push(format!("{err} {err:?}"));
        let auth = session.auth().unwrap();
        errors.push(format!("{auth:?} {:?}", auth.token_request()));
    }
    let text = logs.text();
    assert!(text.contains("authenticated"), "{text}");
    assert!(text.contains("status=401"), "{text}");
    assert!(text.contains("status=200"), "{text}");
    assert_no_secrets("the trace log", &text);
    for error in &errors {
        assert_no_secrets("Display and Debug", error);
    }
}
