//! What a hostile or misconfigured server cannot make the session do: send the token or the
//! password to another scheme, host or port (discovery links, `next` links, redirects), make
//! it hold an unbounded body in memory, or get a secret printed; and what the session says
//! when an answer is not what it should be.

mod session_support;

use std::time::Duration;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::{RetryPolicy, Session};
use futures::TryStreamExt;
use serde_json::json;
use session_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn images(ids: &[&str], next: Option<&str>) -> ResponseTemplate {
    let images: Vec<_> = ids
        .iter()
        .map(|id| {
            json!({"id": id, "name": id, "status": "active", "visibility": "shared",
                   "protected": false, "tags": [], "created_at": "2026-11-28T10:00:00Z",
                   "updated_at": "2026-11-28T10:00:00Z"})
        })
        .collect();
    let mut body = json!({"images": images, "first": "/v2/images", "schema": "/v2/schemas/images"});
    if let Some(next) = next {
        body["next"] = json!(next);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

// ---------------------------------------------------------------------------------------------
// Links: only the path is taken from what a service says about itself.

#[tokio::test]
async fn discovery_links_to_another_host_keep_the_catalogs() {
    let cloud = Cloud::start().await;
    // Keystone and Glance behind a proxy, each naming its internal address.
    Mock::given(method("GET"))
        .and(path("/identity"))
        .respond_with(
            ResponseTemplate::new(300).set_body_json(json!({"versions": {"values": [
                {"id": "v3.14", "status": "stable",
                 "links": [{"rel": "self", "href": "http://keystone.internal.invalid:5000/v3/"}]}
            ]}})),
        )
        .with_priority(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image"))
        .respond_with(
            ResponseTemplate::new(300).set_body_json(json!({"versions": [
                {"id": "v2.17", "status": "CURRENT",
                 "links": [{"rel": "self", "href": "http://glance.internal.invalid:9292/v2/"}]}
            ]})),
        )
        .with_priority(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images(&[], None))
        .mount(&cloud.server)
        .await;
    let session = cloud.session(cloud.config());
    session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert_eq!(
        cloud.tokens_issued(),
        1,
        "the password went to our Keystone"
    );
    assert_eq!(
        session
            .endpoint(&ServiceType::Image)
            .await
            .unwrap()
            .as_str(),
        format!("{}/image/v2", cloud.uri())
    );
}

#[tokio::test]
async fn next_links_to_another_scheme_or_host_stay_on_the_endpoint() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .and(query_param("marker", "a"))
        .respond_with(images(&["b"], None))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(images(
            &["a"],
            Some("https://glance.internal.invalid:9292/v2/images?marker=a"),
        ))
        .with_priority(10)
        .mount(&cloud.server)
        .await;
    let cloud_api = ferrostack::Cloud::from_session(cloud.session(cloud.config()));
    let ids: Vec<String> = cloud_api
        .image()
        .images()
        .list()
        .stream()
        .map_ok(|i| i.id.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b"]);
    let path = cloud_api
        .session()
        .link_path(
            &ServiceType::Image,
            "http://evil.invalid/v2/images?marker=a",
        )
        .await
        .unwrap();
    assert_eq!(path, "/images?marker=a");
}

// ---------------------------------------------------------------------------------------------
// Redirects: followed within one origin only, and a clear error otherwise.

#[tokio::test]
async fn a_redirect_of_the_password_to_another_host_is_not_followed() {
    let cloud = Cloud::start().await;
    let elsewhere = MockServer::start().await;
    let target = format!("{}/identity/v3/auth/tokens", elsewhere.uri());
    Mock::given(method("POST"))
        .and(path("/identity/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .with_priority(1)
        .mount(&cloud.server)
        .await;
    let err = cloud.session(cloud.config()).token().await.unwrap_err();
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(err.status(), Some(307));
    assert_eq!(err.kind(), &ErrorKind::Http);
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "identity: POST {}/identity/v3/auth/tokens: redirected to {target}, another scheme, \
             host or port: not followed, so that neither the token nor the request body goes \
             there (HTTP 307)",
            cloud.uri()
        )
    );
    assert_no_secrets("the redirect error", &format!("{err} {err:?}"));
}

#[tokio::test]
async fn a_redirect_of_the_token_to_another_scheme_or_port_is_not_followed() {
    let cloud = Cloud::start().await;
    let elsewhere = MockServer::start().await;
    let port = cloud.server.address().port();
    let session = cloud.session(cloud.config());
    for target in [
        format!("{}/v2/images", elsewhere.uri()),
        format!("https://127.0.0.1:{port}/image/v2/images"),
        // A server may write anything there, the token it was sent too: never printed.
        format!("{}/v2/images?token={}", elsewhere.uri(), token(1)),
    ] {
        Mock::given(method("GET"))
            .and(path("/image/v2/images"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&cloud.server)
            .await;
        let err = session
            .send(Request::get(ServiceType::Image, "/images"))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(302));
        let shown = target.replace(&token(1), "<redacted>");
        assert!(
            err.message()
                .contains(&format!("redirected to {shown}, another scheme")),
            "{err}"
        );
        assert_no_secrets("the redirect error", &format!("{err} {err:?}"));
    }
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_redirect_within_the_service_is_followed_with_the_token() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/image/v2/images"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/image/v2/moved"))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/image/v2/moved"))
        .respond_with(images(&[], None))
        .mount(&cloud.server)
        .await;
    cloud
        .session(cloud.config())
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    let moved = cloud.received_at("GET", "/image/v2/moved").await;
    assert_eq!(auth_token(&moved[0]), Some(token(1)));
}

// ---------------------------------------------------------------------------------------------
// Answers that are not what they should be: one clear line naming the URL and status.

#[tokio::test]
async fn garbage_html_and_empty_answers_say_what_was_wrong() {
    let cloud = Cloud::start().await;
    let cases = [
        (
            ResponseTemplate::new(200).set_body_raw("{\"images\": [", "application/json"),
            "the answer is not JSON (EOF while parsing a list at line 1 column 12)",
        ),
        (
            ResponseTemplate::new(200).set_body_raw(
                "<html><head><title>Portal</title></head><body><h1>Please log in</h1></body></html>",
                "text/html",
            ),
            "the answer is an HTML page, not JSON: Please log in",
        ),
        (
            ResponseTemplate::new(200),
            "the answer has no body, where JSON was expected",
        ),
    ];
    for (answer, problem) in cases {
        Mock::given(method("GET"))
            .and(path("/image/v2/images"))
            .respond_with(answer)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&cloud.server)
            .await;
        let err = cloud
            .session(cloud.config())
            .send_json::<serde_json::Value>(Request::get(ServiceType::Image, "/images"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Decode);
        assert_eq!(
            err.to_string(),
            format!(
                "image: GET {}/image/v2/images: {problem} (HTTP 200)",
                cloud.uri()
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies: never held whole when they are larger than any service sends.

/// What the raw server sends after the request line and headers are read.
#[derive(Clone, Copy)]
enum Answer {
    /// Glance's single-version document.
    Version,
    /// `status`, then a chunked body of `x` that goes on until the client hangs up.
    Endless { status: u16 },
    /// `200` with a `content-length` of 200 MiB, then as much of it as the client takes.
    Declared,
}

/// The most the raw server sends on one connection: enough to fail a client that reads it
/// all, little enough not to exhaust the machine's memory when it does.
const SENT_AT_MOST: usize = 256 << 20;

/// A server on 127.0.0.1:0 answering `GET /v2` with a version document and anything else with
/// `answer`; each connection reports how many body bytes it managed to send.
async fn raw_server(answer: Answer) -> (String, tokio::sync::mpsc::UnboundedReceiver<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2", listener.local_addr().unwrap());
    let (sent_tx, sent_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sent_tx = sent_tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head);
                let answer = if line.starts_with("GET /v2 ") {
                    Answer::Version
                } else {
                    answer
                };
                let sent = send(&mut socket, answer).await;
                let _ = sent_tx.send(sent);
            });
        }
    });
    (url, sent_rx)
}

/// Sends `answer`; the body bytes that went out before the client hung up.
async fn send(socket: &mut tokio::net::TcpStream, answer: Answer) -> usize {
    let block = vec![b'x'; 64 << 10];
    let (head, chunked) = match answer {
        Answer::Version => {
            let body = r#"{"version":{"id":"v2.17","status":"CURRENT","links":[]}}"#;
            let text = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(text.as_bytes()).await;
            return 0;
        }
        Answer::Endless { status } => (
            format!(
                "HTTP/1.1 {status} Oops\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
            ),
            true,
        ),
        Answer::Declared => (
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                200 << 20
            ),
            false,
        ),
    };
    if socket.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let mut sent = 0;
    while sent < SENT_AT_MOST {
        let written = if chunked {
            let mut chunk = format!("{:x}\r\n", block.len()).into_bytes();
            chunk.extend_from_slice(&block);
            chunk.extend_from_slice(b"\r\n");
            socket.write_all(&chunk).await
        } else {
            socket.write_all(&block).await
        };
        if written.is_err() {
            break;
        }
        sent += block.len();
    }
    sent
}

fn session_at(url: &str) -> Session {
    let mut config = CloudConfig {
        auth_type: AuthType::None,
        ..CloudConfig::new()
    };
    config.endpoint_overrides.insert("image".into(), url.into());
    Session::builder(config)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The body bytes sent on the connection of the request made after discovery.
async fn sent_on_the_last_connection(
    sent: &mut tokio::sync::mpsc::UnboundedReceiver<usize>,
) -> usize {
    let mut last = 0;
    while let Ok(Some(n)) = tokio::time::timeout(Duration::from_secs(60), sent.recv()).await {
        last = n;
        if n > 0 {
            break;
        }
    }
    last
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_as_far_as_its_message() {
    let (url, mut sent) = raw_server(Answer::Endless { status: 500 }).await;
    let err = session_at(&url)
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(
        err.message()
            .starts_with(&format!("GET {url}/images: xxxx")),
        "{err}"
    );
    // The client stopped reading: what went out is what the sockets' buffers took.
    let sent = sent_on_the_last_connection(&mut sent).await;
    assert!(sent < 48 << 20, "{sent} bytes of an error body were read");
}

#[tokio::test]
async fn a_document_larger_than_the_bound_is_refused_naming_the_url() {
    for answer in [Answer::Declared, Answer::Endless { status: 200 }] {
        let (url, mut sent) = raw_server(answer).await;
        let err = session_at(&url)
            .send_json::<serde_json::Value>(Request::get(ServiceType::Image, "/images"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Decode);
        assert_eq!(
            err.to_string(),
            format!(
                "image: GET {url}/images: the answer is larger than 32 MiB, the most read into \
                 memory (HTTP 200)"
            )
        );
        let sent = sent_on_the_last_connection(&mut sent).await;
        assert!(sent < 80 << 20, "{sent} bytes of a document were read");
    }
}

// ---------------------------------------------------------------------------------------------
// A password written into auth_url is neither sent nor printed.

#[test]
fn a_password_in_the_auth_url_is_neither_sent_nor_printed() {
    const URL_PASSWORD: &str = "url-Pa55word-Xq";
    let log = LogBuffer::default();
    let _guard = tracing::subscriber::set_default(log.subscriber(tracing::Level::DEBUG));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cloud = Cloud::start().await;
        let mut config = cloud.config();
        let with_userinfo =
            |url: &str| url.replacen("http://", &format!("http://ada:{URL_PASSWORD}@"), 1);
        config.auth.auth_url = Some(with_userinfo(&format!("{}/identity", cloud.uri())));
        let session = cloud.session(config.clone());
        session.token().await.unwrap();
        for request in cloud.received().await {
            assert!(
                request.headers.get("authorization").is_none(),
                "{request:?}"
            );
        }
        // An error about such a URL names it without the password.
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        config
            .endpoint_overrides
            .insert("image".into(), with_userinfo(&format!("http://{dead}/v2")));
        let err = cloud
            .session(config.clone())
            .send(Request::get(ServiceType::Image, "/images"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        let mut bad = config.clone();
        bad.auth.auth_url = Some(format!("http://ada:{URL_PASSWORD}@[::1/identity"));
        let bad = cloud.session(bad).token().await.unwrap_err();
        assert_eq!(bad.kind(), &ErrorKind::Config);
        for text in [
            format!("{err} {err:?}"),
            format!("{bad} {bad:?}"),
            format!("{config:?}"),
        ] {
            assert!(!text.contains(URL_PASSWORD), "{text}");
        }
    });
    let logged = log.text();
    assert!(
        logged.contains("auth.auth_url carries a user name or password"),
        "{logged}"
    );
    assert!(!logged.contains(URL_PASSWORD), "{logged}");
    assert_no_secrets("the debug log", &logged);
}
