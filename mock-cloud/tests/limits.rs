//! What one client can make the cloud hold: bodies past the services' limits get the 413 a
//! real service sends (in its error form), and a client that stalls, in its headers or in
//! an upload, is let go after the idle timeout.

use std::time::Duration;

use mock_cloud::MockCloud;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A JSON object of about `bytes` bytes.
fn padded(bytes: usize) -> String {
    json!({"padding": "a".repeat(bytes)}).to_string()
}

/// WebOb's JSON error form (Glance's, and oslo.middleware's in front of Keystone and Nova).
fn assert_webob_413(body: &Value) {
    assert_eq!(body["code"], "413 Request Entity Too Large", "{body}");
    assert_eq!(body["title"], "Request Entity Too Large", "{body}");
    assert!(body["message"].is_string(), "{body}");
}

#[tokio::test]
async fn oversized_bodies_get_the_413_each_service_sends() {
    let cloud = MockCloud::start().await.unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    // Keystone and Nova: oslo.middleware's 112 KiB, declared or streamed.
    for path in ["/identity/v3/auth/tokens", "/compute/v2.1/servers"] {
        let declared = http()
            .post(format!("{}{path}", cloud.base_url()))
            .header("x-auth-token", &demo)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(padded(120_000))
            .send()
            .await
            .unwrap();
        assert_eq!(declared.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_webob_413(&declared.json().await.unwrap());
        let chunks = futures::stream::iter(
            (0..40).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 4096]))),
        );
        let streamed = http()
            .post(format!("{}{path}", cloud.base_url()))
            .header("x-auth-token", &demo)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await
            .unwrap();
        assert_eq!(
            streamed.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path} chunked"
        );
        assert_webob_413(&streamed.json().await.unwrap());
    }
    // Under the limit, the services' own answers.
    let (status, body) = {
        let response = http()
            .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
            .header("content-type", "application/json")
            .body(padded(100_000))
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 400, "{body}");

    // Glance: its own form, negotiated by Accept.
    let image = |accept: &'static str| {
        http()
            .post(format!("{}/image/v2/images", cloud.base_url()))
            .header("x-auth-token", &demo)
            .header("accept", accept)
            .header("content-type", "application/json")
            .body(padded(3 << 20))
            .send()
    };
    let response = image("application/json").await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_webob_413(&response.json().await.unwrap());
    let response = image("*/*").await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<title>413 Request Entity Too Large")
    );
}

#[tokio::test]
async fn other_rejections_take_the_services_shape() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    // A path segment that is no UTF-8 is refused by the extractor, in Keystone's shape.
    let response = http()
        .get(format!("{}/identity/v3/users/%FF%FE", cloud.base_url()))
        .header("x-auth-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 400, "{body}");
    let response = http()
        .get(format!("{}/compute/v2.1/servers/%FF", cloud.base_url()))
        .header("x-auth-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["badRequest"]["code"], 400, "{body}");
}

/// Reads until the server closes the connection (or answers and closes); what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer));
    read.await
        .expect("the cloud let go of the stalled client")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_let_go() {
    let cloud = MockCloud::builder()
        .idle_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(cloud.addr()).await.unwrap();
    stream
        .write_all(b"GET /identity/v3 HTTP/1.1\r\nHost: mock\r\nX-Half: ")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Others are served meanwhile, and after.
    let response = http()
        .get(format!("{}/identity/v3", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_that_stalls_fails_and_leaves_the_image_queued() {
    let cloud = MockCloud::builder()
        .idle_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    let created: Value = http()
        .post(format!("{}/image/v2/images", cloud.base_url()))
        .header("x-auth-token", &demo)
        .json(&json!({"name": "stalled", "disk_format": "raw", "container_format": "bare"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let mut stream = TcpStream::connect(cloud.addr()).await.unwrap();
    let head = format!(
        "PUT /image/v2/images/{id}/file HTTP/1.1\r\nHost: mock\r\nX-Auth-Token: {demo}\r\n\
         Accept: application/json\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 100000\r\n\r\nthe first bytes, then nothing"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("no request data"), "{answer}");
    let image: Value = http()
        .get(format!("{}/image/v2/images/{id}", cloud.base_url()))
        .header("x-auth-token", &demo)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(image["status"], "queued", "{image}");
}
