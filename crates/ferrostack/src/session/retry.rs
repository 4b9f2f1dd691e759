//! When to send a request again, and how long to wait first.

use std::time::Duration;

use rand::Rng;

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

#[cfg(test)]
mod tests {
    use super::*;

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
