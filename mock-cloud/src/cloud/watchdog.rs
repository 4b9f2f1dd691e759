//! A connection's watchdog: what hyper's HTTP/1 header-read timeout does, for HTTP/2 too and
//! for the other direction. A connection on which no byte moves either way for `idle`, while
//! none of its requests is being handled, is closed: an HTTP/2 connection that opens no stream
//! (or sends half a header block), and a client that never reads its response (its TCP window,
//! or its HTTP/2 flow-control window, stays shut). While a handler works on a request the
//! silence is the cloud's own, and does not count.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// One connection's watchdog. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Watchdog(Arc<State>);

#[derive(Debug)]
struct State {
    idle: Duration,
    start: Instant,
    /// When a byte last moved, in nanoseconds after `start`.
    last: AtomicU64,
    /// Requests being handled.
    busy: AtomicUsize,
}

impl Watchdog {
    /// A watchdog for a connection accepted now.
    pub(crate) fn new(idle: Duration) -> Watchdog {
        Watchdog(Arc::new(State {
            idle,
            start: Instant::now(),
            last: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }))
    }

    /// `io`, with every byte it moves reported to this watchdog.
    pub(crate) fn watch<S>(&self, io: S) -> WatchedIo<S> {
        WatchedIo {
            inner: io,
            watchdog: self.clone(),
        }
    }

    /// Marks a request as being handled until the guard is dropped.
    pub(crate) fn busy(&self) -> Busy {
        self.0.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// Resolves once the connection has been silent for `idle` with no request being handled.
    pub(crate) async fn expired(&self) {
        loop {
            let deadline = self.last_moved() + self.0.idle;
            if Instant::now() < deadline {
                tokio::time::sleep_until(deadline).await;
            } else if self.0.busy.load(Ordering::SeqCst) == 0 {
                return;
            } else {
                // A handler is at work; its end counts as movement (see `Busy`).
                tokio::time::sleep(self.0.idle).await;
            }
        }
    }

    fn moved(&self) {
        let since = u64::try_from(self.0.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.last.fetch_max(since, Ordering::SeqCst);
    }

    fn last_moved(&self) -> Instant {
        self.0.start + Duration::from_nanos(self.0.last.load(Ordering::SeqCst))
    }
}

/// A request being handled (see [`Watchdog::busy`]).
#[derive(Debug)]
pub(crate) struct Busy(Watchdog);

impl Drop for Busy {
    fn drop(&mut self) {
        // The client's clock starts when the handler has answered.
        self.0.moved();
        self.0.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's stream that tells its watchdog when bytes move.
#[derive(Debug)]
pub(crate) struct WatchedIo<S> {
    inner: S,
    watchdog: Watchdog,
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watchdog.moved();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> WatchedIo<S> {
    fn note(&self, polled: &Poll<io::Result<usize>>) {
        if matches!(polled, Poll::Ready(Ok(n)) if *n > 0) {
            self.watchdog.moved();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::routing::get;
    use futures::StreamExt as _;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{mpsc, oneshot};

    use super::*;

    /// Short enough for a test, long enough that a loaded machine moves its bytes in time.
    const IDLE: Duration = Duration::from_millis(300);

    /// How long a test waits for what the watchdog must do (a failure, not a hang).
    const PATIENCE: Duration = Duration::from_secs(20);

    /// Sends `()` when dropped: the connection that held it is gone.
    struct Signal(mpsc::UnboundedSender<()>);

    impl Drop for Signal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    /// A cloud's accept loop on 127.0.0.1:0 whose `/big` answers an endless body; the receiver
    /// hears when such a body is dropped. Stops when the sender is dropped.
    async fn server() -> (
        std::net::SocketAddr,
        mpsc::UnboundedReceiver<()>,
        oneshot::Sender<()>,
    ) {
        let (dropped_tx, dropped) = mpsc::unbounded_channel();
        let router = Router::new().route(
            "/big",
            get(move || {
                let signal = Signal(dropped_tx.clone());
                let chunks =
                    futures::stream::repeat(Bytes::from(vec![0u8; 1 << 16])).map(move |chunk| {
                        let _held = &signal;
                        Ok::<_, Infallible>(chunk)
                    });
                async move { Body::from_stream(chunks) }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(super::super::serve::serve(listener, router, IDLE, stopped));
        (addr, dropped, stop)
    }

    #[tokio::test]
    async fn an_http2_connection_that_opens_no_stream_is_closed_once_idle() {
        let (addr, _, _stop) = server().await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        // The connection preface and an empty SETTINGS frame, then nothing.
        client
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
            .await
            .unwrap();
        // Readiness: the server's own SETTINGS frame says it speaks HTTP/2 to us.
        let mut frame = [0u8; 9];
        client.read_exact(&mut frame).await.unwrap();
        assert_eq!(frame[3], 4, "a SETTINGS frame: {frame:?}");
        let quiet = Instant::now();
        let mut rest = Vec::new();
        tokio::time::timeout(PATIENCE, client.read_to_end(&mut rest))
            .await
            .expect("an idle HTTP/2 connection is closed")
            .unwrap();
        assert!(quiet.elapsed() >= IDLE - Duration::from_millis(50));
    }

    #[tokio::test]
    async fn an_http1_client_that_never_reads_its_response_is_let_go() {
        let (addr, mut dropped, _stop) = server().await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET /big HTTP/1.1\r\nHost: mock\r\n\r\n")
            .await
            .unwrap();
        let asked = Instant::now();
        // The client reads nothing: the socket buffers fill and the server's writes stall.
        tokio::time::timeout(PATIENCE, dropped.recv())
            .await
            .expect("the stalled response is given up");
        assert!(asked.elapsed() >= IDLE);
        drop(client);
    }

    #[tokio::test]
    async fn an_http2_client_that_never_reads_its_response_is_let_go() {
        let (addr, mut dropped, _stop) = server().await;
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        let client = tokio::spawn(connection);
        let request = axum::http::Request::get("http://mock/big")
            .body(Body::empty())
            .unwrap();
        // Readiness: the answer's headers. Its body is never read, so the client never
        // opens its flow-control window again and the server cannot send.
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let answered = Instant::now();
        tokio::time::timeout(PATIENCE, dropped.recv())
            .await
            .expect("the stalled response is given up");
        assert!(answered.elapsed() >= IDLE - Duration::from_millis(50));
        drop(response);
        client.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_at_work_is_not_cut_off_and_the_clock_starts_when_it_answers() {
        let watchdog = Watchdog::new(IDLE);
        let busy = watchdog.busy();
        let expired = watchdog.expired();
        tokio::pin!(expired);
        tokio::select! {
            () = &mut expired => panic!("expired while a request was handled"),
            () = tokio::time::sleep(IDLE * 10) => {}
        }
        drop(busy);
        let answered = Instant::now();
        expired.await;
        // Timers fire on whole milliseconds.
        let waited = answered.elapsed();
        assert!(
            waited >= IDLE && waited <= IDLE + Duration::from_millis(1),
            "{waited:?}"
        );
    }
}
