//! When to send a request again, how long to wait first, and the loop that sends each
//! attempt.

use std::time::{Duration, Instant};

use rand::Rng;
use url::Url;

use super::{Response, Session, endpoint, response, transport};
use crate::error::{self, Result};
use crate::request::Request;

/// Retries of transient failures: connection errors, 429, 502, 503 and 504.
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

/// Whether a status is transient: worth retrying for a request that may be sent again.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

impl Session {
    /// Sends one request to `base` + its path, retrying transient failures as the retry
    /// policy and the request's idempotency allow, and turns error statuses into [`Error`].
    pub(super) async fn execute(
        &self,
        request: &Request,
        base: &Url,
        token: Option<&str>,
        mut stream: Option<reqwest::Body>,
    ) -> Result<Response> {
        let url = endpoint::request_url(base, request);
        let policy = &self.inner.retry;
        // A streamed body cannot be replayed; a JSON body can, when the method allows.
        let streamed = stream.is_some();
        let resendable = request.idempotent && !streamed;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let builder =
                transport::request_builder(&self.inner.http, request, &url, token, stream.take())?;
            let started = Instant::now();
            let outcome = builder.send().await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let response = match outcome {
                Err(err) => {
                    tracing::debug!(
                        method = %request.method, url = %url, attempt, elapsed_ms,
                        error = %err, "request failed"
                    );
                    // A connect error means nothing reached the server: safe for any method.
                    let safe = err.is_connect() && !streamed || resendable;
                    if safe
                        && attempt < policy.max_attempts
                        && let Some(delay) = policy.delay(attempt, None)
                    {
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
            let err = response::status_error(response, request, token).await;
            if is_retryable_status(status)
                && resendable
                && attempt < policy.max_attempts
                && let Some(delay) = policy.delay(attempt, err.retry_after())
            {
                tracing::debug!(
                    method = %request.method, url = %url, status, attempt,
                    delay_ms = delay.as_millis() as u64,
                    retry_after = err.retry_after().is_some(), "retrying"
                );
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
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
    async fn a_dropped_connection_is_retried_for_get_but_not_for_post() {
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
        let put = Request::put(ServiceType::Image, "/images/x/file").stream(Some(3));
        let err = session
            .execute(&put, &url, None, Some(reqwest::Body::from("abc")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 5, "a stream is sent once");
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
    fn transient_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [400, 401, 404, 409, 500, 501] {
            assert!(!is_retryable_status(s));
        }
    }
}
