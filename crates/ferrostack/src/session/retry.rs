//! When to send a request again, how long to wait first, and the loop that sends each
//! attempt.
//!
//! A request is sent again only when the first sending cannot have done anything, or when
//! it only reads:
//! - a connection that could not be made (nothing was sent): any request with a body that
//!   can be sent again;
//! - 429, and 503 with `Retry-After`: the service refused before doing anything, and said
//!   when to come back; any request with a body that can be sent again;
//! - 502, 503 and 504 without `Retry-After`, and a connection lost after sending: only
//!   requests marked [`idempotent`](crate::request::Request::idempotent), the reads (a
//!   gateway's 502 or 504 says nothing about whether the service behind it acted, so a
//!   DELETE or a PUT answered so is not sent again);
//! - a timeout: never (the caller's patience is spent, and a hung service stays hung).
//!
//! A DELETE sent again after the service had answered the first one (a 429 or 503) that
//! then gets a 404 is done: the first one took effect after all.

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;
use url::Url;

use super::timeouts::{self, Bound};
use super::{Response, Session, Upload, endpoint, response, transport};
use crate::error::{self, Error, Result};
use crate::request::Request;

/// Retries of transient failures (see the module documentation for which ones).
///
/// The wait before retry `n` (from 1) is a random duration between zero and
/// `min(cap, base * 2^(n-1))` ("full jitter"), unless the service said how long to wait with
/// `Retry-After`, which is honoured up to [`max_retry_after`](Self::max_retry_after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request is sent at most, the first time included (1 = no retries).
    pub max_attempts: u32,
    /// The first backoff's upper bound.
    pub base: Duration,
    /// The largest backoff.
    pub cap: Duration,
    /// The longest `Retry-After` honoured; a service asking for more gets its error returned.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before sending attempt `attempt + 1`, after attempt `attempt` (from 1) failed.
    /// `None` when the service's `Retry-After` is longer than this policy accepts.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => {
                let exponent = attempt.saturating_sub(1).min(31);
                let ceiling = self.base.saturating_mul(1 << exponent).min(self.cap);
                Some(rand::rng().random_range(Duration::ZERO..=ceiling))
            }
        }
    }
}

/// Whether an answer with `status` may be followed by the same request again: `resendable`
/// says whether the request may be repeated after it may have had an effect.
pub(crate) fn may_resend(status: u16, retry_after: bool, resendable: bool) -> bool {
    match status {
        429 => true,
        503 if retry_after => true,
        502..=504 => resendable,
        _ => false,
    }
}

impl Session {
    /// Sends one request to `base` + its path, retrying transient failures as the retry
    /// policy and the request allow, and turns error statuses into [`Error`].
    pub(super) async fn execute(
        &self,
        request: &Request,
        base: &Url,
        token: Option<&str>,
        mut upload: Option<Upload>,
    ) -> Result<Response> {
        let url = endpoint::request_url(base, request);
        let timeouts = self.inner.timeouts;
        // A streamed body cannot be replayed; a JSON body can.
        let streamed = upload.is_some();
        let started = Instant::now();
        // Whether the service answered an earlier attempt (so it may have acted on it).
        let mut answered = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let bound = timeouts.attempt();
            if let Some((left, limit @ Bound::Limit(_))) = bound
                && left.is_zero()
            {
                return Err(timeouts::timed_out(request, &url, started, limit));
            }
            let (body, activity) = match upload.take() {
                Some(upload) => (Some(upload.body), Some(upload.activity)),
                None => (None, None),
            };
            let http = if streamed {
                self.upload_client()?
            } else {
                &self.inner.http
            };
            let mut builder = transport::request_builder(http, request, &url, token, body)?;
            if let Some((limit, _)) = bound {
                builder = builder.timeout(limit);
            }
            let attempt_started = Instant::now();
            if let Some(activity) = &activity {
                // Discovery and authentication came first; the upload's silence starts now.
                activity.touch();
            }
            let outcome = match &activity {
                None => builder.send().await,
                Some(activity) => tokio::select! {
                    outcome = builder.send() => outcome,
                    () = activity.idle_for(timeouts.read) => {
                        let bound = Bound::Idle(timeouts.read);
                        return Err(timeouts::timed_out(request, &url, started, bound));
                    }
                },
            };
            let elapsed_ms = attempt_started.elapsed().as_millis() as u64;
            let response = match outcome {
                Err(err) => {
                    tracing::debug!(
                        method = %request.method, url = %url, attempt, elapsed_ms,
                        error = %err, "request failed"
                    );
                    if err.is_timeout() {
                        let bound = match bound {
                            _ if err.is_connect() => Bound::Connect(timeouts.connect),
                            Some((limit, bound)) if attempt_started.elapsed() >= limit => bound,
                            _ => Bound::Read(timeouts.read),
                        };
                        return Err(timeouts::timed_out(request, &url, started, bound));
                    }
                    // A connect error means nothing reached the server: safe for any method.
                    let again = !streamed && (err.is_connect() || request.idempotent);
                    if again && let Some(delay) = self.retry_delay(attempt, None) {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(response::transport_error(request, &url, err));
                }
                Ok(response) => response,
            };
            let status = response.status().as_u16();
            let request_id = error::request_id(response.headers());
            tracing::debug!(
                method = %request.method, url = %url, status, elapsed_ms,
                request_id = request_id.as_deref().unwrap_or(""), attempt, "response"
            );
            if status < 400 {
                return response::success(response, request, request_id, token);
            }
            if status == 404 && answered && request.method == http::Method::DELETE {
                tracing::debug!(
                    method = %request.method, url = %url, attempt,
                    "sent again, and now gone: the first DELETE took effect"
                );
                return response::success(response, request, request_id, token);
            }
            answered = true;
            let err = self
                .status_error(response, request, &url, token, started, streamed)
                .await;
            let retry_after = err.retry_after();
            if !streamed
                && may_resend(status, retry_after.is_some(), request.idempotent)
                && let Some(delay) = self.retry_delay(attempt, retry_after)
            {
                tracing::debug!(
                    method = %request.method, url = %url, status, attempt,
                    delay_ms = delay.as_millis() as u64,
                    retry_after = retry_after.is_some(), "retrying"
                );
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    /// The wait before another attempt after `attempt`, if the policy allows one and it can
    /// start before the session's time limit runs out.
    fn retry_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.inner.retry.max_attempts {
            return None;
        }
        let delay = self.inner.retry.delay(attempt, retry_after)?;
        match self.inner.timeouts.left() {
            Some(left) if delay >= left => None,
            _ => Some(delay),
        }
    }

    /// The error of an error answer. An upload's answer has no read timeout of reqwest's
    /// (see `transport::Use`), so its body gets one here.
    async fn status_error(
        &self,
        response: reqwest::Response,
        request: &Request,
        url: &Url,
        token: Option<&str>,
        started: Instant,
        streamed: bool,
    ) -> Error {
        let read = self.inner.timeouts.read;
        if !streamed {
            return response::status_error(response, request, token).await;
        }
        tokio::time::timeout(read, response::status_error(response, request, token))
            .await
            .unwrap_or_else(|_| timeouts::timed_out(request, url, started, Bound::Idle(read)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthType, CloudConfig};
    use crate::error::ErrorKind;
    use crate::request::ServiceType;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn session(attempts: u32) -> Session {
        let config = CloudConfig {
            auth_type: AuthType::None,
            ..CloudConfig::new()
        };
        Session::builder(config)
            .retry(RetryPolicy {
                max_attempts: attempts,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap()
    }

    /// A server that reads each request and hangs up without answering; counts connections.
    async fn hang_up_server() -> (Url, Arc<AtomicUsize>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/v2.1", listener.local_addr().unwrap())).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                drop(socket);
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn a_dropped_connection_is_retried_for_get_but_not_for_post_delete_or_a_stream() {
        let session = session(3);
        let (url, accepted) = hang_up_server().await;
        let get = Request::get(ServiceType::Compute, "/servers");
        let err = session.execute(&get, &url, None, None).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        let post = Request::post(ServiceType::Compute, "/servers").json(serde_json::json!({}));
        let err = session.execute(&post, &url, None, None).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert!(err.message().starts_with("POST http://"), "{err}");
        assert_eq!(accepted.load(Ordering::SeqCst), 4, "the POST went out once");
        let delete = Request::delete(ServiceType::Compute, "/servers/x");
        let err = session
            .execute(&delete, &url, None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 5, "so did the DELETE");
        let put = Request::put(ServiceType::Image, "/images/x/file").stream(Some(3));
        let upload = Upload {
            body: reqwest::Body::from("abc"),
            activity: timeouts::Activity::new(),
        };
        let err = session
            .execute(&put, &url, None, Some(upload))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 6, "a stream is sent once");
    }

    #[test]
    fn backoff_is_jittered_under_a_growing_capped_ceiling() {
        let policy = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(policy.delay(1, None).unwrap() <= Duration::from_millis(100));
            assert!(policy.delay(2, None).unwrap() <= Duration::from_millis(200));
            assert!(policy.delay(3, None).unwrap() <= Duration::from_millis(350));
            assert!(policy.delay(40, None).unwrap() <= Duration::from_millis(350));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_limit() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3600))), None);
    }

    #[test]
    fn only_refusals_are_resent_unless_the_request_only_reads() {
        for resendable in [false, true] {
            assert!(may_resend(429, false, resendable));
            assert!(may_resend(503, true, resendable));
            for s in [502, 503, 504] {
                assert_eq!(may_resend(s, false, resendable), resendable, "{s}");
            }
            for s in [400, 401, 404, 409, 500, 501] {
                assert!(!may_resend(s, true, resendable), "{s}");
            }
        }
    }
}
