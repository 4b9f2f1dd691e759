//! Nothing hangs: the session against raw TCP servers on 127.0.0.1:0 that accept and then
//! say nothing, answer discovery and then fall silent, or stop reading an upload.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::image::ImageStatus;
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::Session;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the raw server does with a request, by its request line.
#[derive(Clone, Copy)]
enum Reply {
    /// 200 with this JSON body, and the connection kept for more.
    Json(&'static str),
    /// Nothing, ever: the connection is held open, and nothing more is read from it.
    Silence,
}

/// A version document at `/v2.1` and `/v2` (discovery), silence for everything else.
fn discovery_then_silence(line: &str) -> Reply {
    match line.split(' ').nth(1) {
        Some("/v2.1") => Reply::Json(
            r#"{"version": {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1", "links": []}}"#,
        ),
        Some("/v2") => {
            Reply::Json(r#"{"version": {"id": "v2.17", "status": "CURRENT", "links": []}}"#)
        }
        _ => Reply::Silence,
    }
}

/// A server on 127.0.0.1:0 replying as `reply` says; its base URL, and a count of the
/// requests it has read (a request it never reads to the end is counted too).
async fn raw_server(reply: fn(&str) -> Reply) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // Read one request head.
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    buf.clear();
                    match reply(text.lines().next().unwrap_or("")) {
                        Reply::Json(body) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                 content-length: {}\r\n\r\n",
                                body.len()
                            );
                            if socket.write_all(head.as_bytes()).await.is_err()
                                || socket.write_all(body.as_bytes()).await.is_err()
                            {
                                return;
                            }
                        }
                        Reply::Silence => {
                            std::future::pending::<()>().await;
                        }
                    }
                }
            });
        }
    });
    (base, requests)
}

/// No Keystone: compute at `{base}/v2.1`, image at `{base}/v2`.
fn config(base: &str) -> CloudConfig {
    let mut config = CloudConfig {
        auth_type: AuthType::None,
        ..CloudConfig::new()
    };
    config
        .endpoint_overrides
        .insert("compute".into(), format!("{base}/v2.1"));
    config
        .endpoint_overrides
        .insert("image".into(), format!("{base}/v2"));
    config
}

/// Far below the session's 60 s default read timeout, yet loose enough for a loaded CI
/// machine: a call that ends sooner was stopped by the bound the test set, not the default.
const FAR_BELOW_DEFAULT: Duration = Duration::from_secs(20);
/// The test's own limit, past which a call counts as hung.
const TEST_LIMIT: Duration = Duration::from_secs(40);

/// Fails the test instead of hanging it when something does hang.
async fn within<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .expect("the call hung past the test's own limit")
}

/// The timeout error a compute GET of `path` must end in (within the test's own limit).
async fn timeout_of(session: &Session, path: &str) -> ferrostack::Error {
    let err = within(
        TEST_LIMIT,
        session.send(Request::get(ServiceType::Compute, path)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout, "{err}");
    err
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_fails_at_the_read_timeout_once() {
    let (base, requests) = raw_server(discovery_then_silence).await;
    let session = Session::builder(config(&base))
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = timeout_of(&session, "/servers").await;
    let message = err.message();
    assert!(
        message.starts_with(&format!("GET {base}/v2.1/servers: timed out after 0.")),
        "{message}"
    );
    assert!(
        message.ends_with("(nothing received within the 0.3 s read timeout)"),
        "{message}"
    );
    // Discovery, then the one GET: a timeout is not retried.
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < FAR_BELOW_DEFAULT);
}

#[tokio::test]
async fn api_timeout_bounds_each_read_as_openstacksdk_does() {
    let (base, requests) = raw_server(discovery_then_silence).await;
    let config = CloudConfig {
        api_timeout: Some(0.25),
        ..config(&base)
    };
    let session = Session::new(config).unwrap();
    let err = timeout_of(&session, "/flavors").await;
    assert!(
        err.message()
            .ends_with("(nothing received within the 0.25 s read timeout)"),
        "{err}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_silent_discovery_names_itself() {
    let (base, _) = raw_server(|_| Reply::Silence).await;
    let session = Session::builder(config(&base))
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = timeout_of(&session, "/servers").await;
    assert!(
        err.to_string()
            .contains(&format!("GET {base}/v2.1: timed out after")),
        "{err}"
    );
}

#[tokio::test]
async fn the_time_limit_bounds_every_call_and_then_fails_them_at_once() {
    let (base, requests) = raw_server(discovery_then_silence).await;
    // The limit runs from the session's build, so the clock starts before it: on a loaded
    // machine the build alone can take tens of milliseconds.
    let started = Instant::now();
    let session = Session::builder(config(&base))
        .time_limit(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = timeout_of(&session, "/servers").await;
    assert!(
        err.message().ends_with("(the 0.4 s time limit ran out)"),
        "{err}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(390) && took < FAR_BELOW_DEFAULT,
        "{took:?}"
    );
    assert_eq!(session.time_left(), Some(Duration::ZERO));
    let err = session
        .send(Request::get(ServiceType::Compute, "/flavors"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(err.message().contains("timed out after 0.0 s"), "{err}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "the second call sent nothing"
    );
}

#[tokio::test]
async fn a_waiter_on_a_silent_server_stops_at_its_deadline() {
    let (base, _) = raw_server(discovery_then_silence).await;
    let session = Session::new(config(&base)).unwrap();
    let cloud = ferrostack::Cloud::from_session(session);
    let started = Instant::now();
    let err = within(
        TEST_LIMIT,
        cloud.image().images().wait_for_status(
            "6d6a3b7c-1f0e-4f63-9a5e-2b1de3b0b6a1",
            ImageStatus::Active,
            Duration::from_millis(300),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(err.message().contains("cut short at the deadline"), "{err}");
    assert!(started.elapsed() < FAR_BELOW_DEFAULT);
}

/// An endless stream of 256 KiB chunks.
fn endless() -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let chunk = bytes::Bytes::from(vec![0u8; 256 * 1024]);
    futures::stream::repeat_with(move || Ok(chunk.clone()))
}

#[tokio::test]
async fn an_upload_the_server_stops_reading_is_stopped_by_its_watchdog() {
    let (base, _) = raw_server(discovery_then_silence).await;
    let session = Session::builder(config(&base))
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let request = Request::put(ServiceType::Image, "/images/x/file").stream(None);
    let err = within(TEST_LIMIT, session.send_stream(request, endless()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(
        err.message()
            .starts_with(&format!("PUT {base}/v2/images/x/file: timed out after")),
        "{err}"
    );
    assert!(
        err.message()
            .ends_with("(nothing sent or received for the 0.3 s read timeout)"),
        "{err}"
    );
}

#[tokio::test]
async fn an_upload_slower_than_the_read_timeout_but_moving_goes_through() {
    use futures::StreamExt as _;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"version": {"id": "v2.17", "status": "CURRENT", "links": []}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/images/x/file"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let session = Session::builder(config(&server.uri()))
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // Eight chunks, 100 ms apart: 0.8 s in all, never 0.3 s without progress.
    let slow = futures::stream::iter(0..8).then(|_| async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(bytes::Bytes::from_static(b"chunk"))
    });
    let request = Request::put(ServiceType::Image, "/images/x/file").stream(None);
    let started = Instant::now();
    let response = within(TEST_LIMIT, session.send_stream(request, slow))
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(started.elapsed() >= Duration::from_millis(700));
}
