//! The accept loop. Hand-written rather than `axum::serve` so that a response marked
//! [`DropConnection`] becomes a service error, on which hyper closes the connection without
//! sending anything. It also bounds what a client can hold: a connection whose headers stall
//! is closed, a request body that stalls while it is read fails, a connection on which nothing
//! moves for as long while no request is being handled is closed (HTTP/2 too, and a client
//! that never reads its response: see `watchdog`), and a failing `accept`
//! (EMFILE: out of file descriptors) backs off instead of spinning.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::Service as _;

use super::watchdog::Watchdog;
use crate::control::DropConnection;

/// Where connections come from: a TCP listener, or a test's stand-in.
pub(crate) trait Acceptor: Send + 'static {
    /// The connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection.
    fn accept(&self) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
}

impl Acceptor for TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<Self::Stream> {
        TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

/// The error that makes hyper close a connection without answering (the `drop` fault).
#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DroppedOnPurpose {}

/// `/identity/`, `/image/` and `/compute/` mean the service roots (nested routers only
/// match them without the slash; clients send both).
fn without_root_slash<B>(mut request: Request<B>) -> Request<B> {
    let path = request.uri().path();
    if matches!(path, "/identity/" | "/image/" | "/compute/") {
        let trimmed = &path[..path.len() - 1];
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// How long to wait after a failed `accept`: not at all when one connection failed (it is
/// gone; the next may be fine), else from 10 ms, doubling up to 1 s, until one succeeds.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn new() -> Self {
        Self { next: Self::FIRST }
    }

    fn failed(&mut self, error: &std::io::Error) -> Option<Duration> {
        use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionRefused | ConnectionReset
        ) {
            return None;
        }
        let wait = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        Some(wait)
    }

    fn succeeded(&mut self) {
        self.next = Self::FIRST;
    }
}

/// A request body that fails when its client sends nothing for `idle` while it is being
/// read: a stalled upload would otherwise hold its handler (and its file) for good. The
/// clock runs only while someone waits for the next frame.
struct IdleBody<B> {
    inner: B,
    idle: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// What a stalled body fails with.
#[derive(Debug)]
struct BodyStalled(Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the client sent no request data for {:.1} s",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyStalled {}

impl<B> hyper::body::Body for IdleBody<B>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on what `acceptor` accepts until `stopped` fires. Connections live in a
/// `JoinSet`, so aborting this task ends them all. `idle` bounds a connection's wait for a
/// request's headers, a request body's silence, and any connection's silence while none of
/// its requests is being handled.
pub(crate) async fn serve<A: Acceptor>(
    acceptor: A,
    router: Router,
    idle: Duration,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut backoff = Backoff::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = acceptor.accept() => {
                let stream = match accepted {
                    Ok(stream) => {
                        backoff.succeeded();
                        stream
                    }
                    Err(error) => {
                        if let Some(wait) = backoff.failed(&error) {
                            tracing::warn!(%error, ?wait, "cannot accept a connection; waiting");
                            tokio::select! {
                                _ = &mut stopped => break,
                                _ = tokio::time::sleep(wait) => {}
                            }
                        }
                        continue;
                    }
                };
                let router = router.clone();
                let watchdog = Watchdog::new(idle);
                let handling = watchdog.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let mut router = router.clone();
                    let busy = handling.busy();
                    async move {
                        let _busy = busy;
                        let request = without_root_slash(request).map(|body| {
                            Body::new(IdleBody { inner: body, idle, timer: None })
                        });
                        let response = match router.call(request).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<DropConnection>().is_some() {
                            Err(DroppedOnPurpose)
                        } else {
                            Ok(response)
                        }
                    }
                });
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(watchdog.watch(stream)), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    tokio::select! {
                        _ = connection => {}
                        () = watchdog.expired() => {}
                    }
                });
            }
        }
    }
    drop(acceptor);
    // Let requests in flight finish, but never hang a test's teardown on a stuck client.
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_skips_one_connections_errors() {
        let mut backoff = Backoff::new();
        let emfile = std::io::Error::from_raw_os_error(24);
        let waits: Vec<_> = (0..9).map(|_| backoff.failed(&emfile).unwrap()).collect();
        assert_eq!(waits[0], Duration::from_millis(10));
        assert_eq!(waits[1], Duration::from_millis(20));
        assert_eq!(waits[8], Duration::from_secs(1));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
        assert_eq!(backoff.failed(&reset), None);
        backoff.succeeded();
        assert_eq!(backoff.failed(&emfile), Some(Duration::from_millis(10)));
    }

    /// Fails every accept as a process out of file descriptors does; after `limit` calls it
    /// stops answering, so that a loop that spins ends the test instead of hanging it.
    struct OutOfFiles {
        calls: Arc<AtomicUsize>,
        limit: usize,
    }

    impl Acceptor for OutOfFiles {
        type Stream = tokio::io::DuplexStream;
        async fn accept(&self) -> std::io::Result<Self::Stream> {
            if self.calls.fetch_add(1, Ordering::SeqCst) >= self.limit {
                std::future::pending::<()>().await;
            }
            Err(std::io::Error::from_raw_os_error(24))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_accept_backs_off_instead_of_spinning() {
        let calls = Arc::new(AtomicUsize::new(0));
        let acceptor = OutOfFiles {
            calls: calls.clone(),
            limit: 1000,
        };
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(
            acceptor,
            Router::new(),
            Duration::from_secs(60),
            stopped,
        ));
        // Ten seconds of a process out of file descriptors.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let attempts = calls.load(Ordering::SeqCst);
        assert!(
            (5..=25).contains(&attempts),
            "{attempts} accepts in 10 s (10 ms doubling to 1 s gives 16)"
        );
        stop.send(()).unwrap();
        task.await.unwrap();
    }
}
