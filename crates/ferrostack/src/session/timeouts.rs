//! How long a request may take: the connect, read and per-request timeouts, TCP keepalive,
//! the session's time limit, the watchdog of uploads, and the error that says which one ran
//! out, for which call, after how long.
//!
//! The defaults follow keystoneauth where it has one (keepalive probes after 60 s idle, every
//! 15 s, 4 of them) and bound what it leaves unbounded: a connection must be made within
//! 10 s and each read must bring something within 60 s, so a server that accepts and never
//! answers fails the call instead of hanging it. `api_timeout` (openstacksdk's single
//! `requests` timeout) sets both the connect and the read timeout, as it does there.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::error::{Error, ErrorKind};
use crate::request::Request;

/// The connect timeout when neither `api_timeout` nor the builder sets one.
pub(super) const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
/// The read timeout when neither `api_timeout` nor the builder sets one.
pub(super) const DEFAULT_READ: Duration = Duration::from_secs(60);
/// Idle time before the first keepalive probe (keystoneauth's `TCP_KEEPIDLE`).
pub(super) const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(60);
/// Between keepalive probes (keystoneauth's `TCP_KEEPINTVL`).
pub(super) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Unanswered probes before the connection is dropped (keystoneauth's `TCP_KEEPCNT`).
pub(super) const KEEPALIVE_RETRIES: u32 = 4;

/// Every bound a session puts on its requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// To make a connection (TCP and TLS).
    pub(crate) connect: Duration,
    /// For each read to bring something: the response head, then each chunk of the body.
    /// An upload counts from its last chunk sent.
    pub(crate) read: Duration,
    /// For one attempt, body included, when set.
    pub(crate) request: Option<Duration>,
    /// The TCP keepalive idle time; `None` turns keepalive off.
    pub(crate) keepalive: Option<Duration>,
    /// The session's time limit, and when it ends.
    pub(crate) limit: Option<(Duration, Instant)>,
}

impl Timeouts {
    /// What is left of the session's time limit (`None` without one).
    pub(crate) fn left(&self) -> Option<Duration> {
        self.limit
            .map(|(_, end)| end.saturating_duration_since(Instant::now()))
    }

    /// The bound of one attempt starting now: the per-request timeout or what is left of the
    /// time limit, whichever is shorter, and the reason to give when it runs out.
    pub(super) fn attempt(&self) -> Option<(Duration, Bound)> {
        let request = self.request.map(|d| (d, Bound::Request(d)));
        let limit = self
            .limit
            .map(|(total, _)| (self.left().unwrap_or_default(), Bound::Limit(total)));
        match (request, limit) {
            (Some(r), Some(l)) => Some(if l.0 <= r.0 { l } else { r }),
            (r, l) => r.or(l),
        }
    }
}

/// Which bound stopped a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Bound {
    /// The connect timeout.
    Connect(Duration),
    /// The read timeout.
    Read(Duration),
    /// The read timeout of an upload: nothing sent or received for that long.
    Idle(Duration),
    /// The per-request timeout.
    Request(Duration),
    /// The session's time limit.
    Limit(Duration),
}

impl Bound {
    fn reason(self) -> String {
        let s = |d: Duration| format!("{} s", d.as_secs_f64());
        match self {
            Bound::Connect(d) => format!("no connection within the {} connect timeout", s(d)),
            Bound::Read(d) => format!("nothing received within the {} read timeout", s(d)),
            Bound::Idle(d) => format!("nothing sent or received for the {} read timeout", s(d)),
            Bound::Request(d) => format!("the {} request timeout ran out", s(d)),
            Bound::Limit(d) => format!("the {} time limit ran out", s(d)),
        }
    }
}

/// The error for a call that `bound` stopped, `started` being its first attempt:
/// `GET https://nova/v2.1/servers: timed out after 60.0 s (nothing received within the 60 s
/// read timeout)`. The URL is shown without any user or password it may carry.
pub(super) fn timed_out(request: &Request, url: &Url, started: Instant, bound: Bound) -> Error {
    let shown = super::links::stripped(url);
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{} {shown}: timed out after {:.1} s ({})",
            request.method,
            started.elapsed().as_secs_f64(),
            bound.reason()
        ),
    )
    .with_service(request.service.clone())
}

/// When an upload last made progress (a chunk handed to the connection): an upload has no
/// read timeout while its body is going out, so a watchdog stops it once nothing moved for
/// the read timeout, however long the whole upload takes.
#[derive(Debug, Clone)]
pub(super) struct Activity(Arc<Mutex<Instant>>);

impl Activity {
    /// Activity starting now.
    pub(super) fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    /// Something moved.
    pub(super) fn touch(&self) {
        *self.0.lock().expect("never poisoned") = Instant::now();
    }

    /// Resolves once nothing has moved for `idle`.
    pub(super) async fn idle_for(&self, idle: Duration) {
        loop {
            let due = *self.0.lock().expect("never poisoned") + idle;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due).await;
        }
    }
}

/// `stream`, touching `activity` at every chunk it yields.
pub(super) fn watched<S>(
    stream: S,
    activity: Activity,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
{
    use futures::StreamExt as _;
    stream.inspect(move |_| activity.touch())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts(request: Option<u64>, limit: Option<u64>) -> Timeouts {
        Timeouts {
            connect: DEFAULT_CONNECT,
            read: DEFAULT_READ,
            request: request.map(Duration::from_secs),
            keepalive: Some(DEFAULT_KEEPALIVE),
            limit: limit.map(|s| {
                (
                    Duration::from_secs(s),
                    Instant::now() + Duration::from_secs(s),
                )
            }),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_gets_the_shorter_of_its_timeout_and_the_time_left() {
        assert_eq!(timeouts(None, None).attempt(), None);
        let secs = Duration::from_secs;
        assert_eq!(
            timeouts(Some(30), None).attempt(),
            Some((secs(30), Bound::Request(secs(30))))
        );
        let both = timeouts(Some(30), Some(100));
        assert_eq!(both.attempt(), Some((secs(30), Bound::Request(secs(30)))));
        tokio::time::advance(secs(80)).await;
        assert_eq!(both.attempt(), Some((secs(20), Bound::Limit(secs(100)))));
        tokio::time::advance(secs(30)).await;
        assert_eq!(both.left(), Some(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_fires_only_after_a_quiet_spell() {
        let activity = Activity::new();
        let start = Instant::now();
        let idle = Duration::from_secs(10);
        let watch = tokio::spawn({
            let activity = activity.clone();
            async move { activity.idle_for(idle).await }
        });
        for _ in 0..5 {
            tokio::time::advance(Duration::from_secs(6)).await;
            activity.touch();
        }
        watch.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(40));
    }

    #[test]
    fn the_error_names_the_call_and_hides_userinfo() {
        let request = Request::get(crate::request::ServiceType::Identity, "/v3");
        let url = Url::parse("http://ada:pw@keystone:5000/v3").unwrap();
        let err = timed_out(
            &request,
            &url,
            Instant::now(),
            Bound::Read(Duration::from_millis(500)),
        );
        assert_eq!(err.kind(), &ErrorKind::Timeout);
        assert_eq!(
            err.message(),
            "GET http://keystone:5000/v3: timed out after 0.0 s \
             (nothing received within the 0.5 s read timeout)"
        );
    }
}
