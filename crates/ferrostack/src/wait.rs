//! The polling core every waiter is built on: poll, back off, give up at a deadline.
//!
//! It is generic over the poll function so its timing can be tested with tokio's paused
//! clock, while the service waiters (`wait_for_status`, `wait_for_delete`) only say what
//! "done" and "failed" mean for their resource.
//!
//! ```no_run
//! # async fn demo() -> ferrostack::Result<()> {
//! use std::task::Poll;
//! use std::time::Duration;
//! use ferrostack::wait::{Backoff, poll_until};
//! let mut polls = 0;
//! let answer = poll_until(Duration::from_secs(60), Backoff::default(), "the answer", || {
//!     polls += 1;
//!     let done = polls == 3;
//!     async move { Ok(if done { Poll::Ready(42) } else { Poll::Pending }) }
//! })
//! .await?;
//! assert_eq!(answer, 42);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// How long to sleep between polls: `initial`, multiplied by `factor` after each poll, never
/// more than `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The growth factor per poll (1.0 = a fixed interval).
    pub factor: f64,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    /// 500 ms, doubling, capped at 5 s: quick for a fake cloud, gentle on a real one.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            factor: 2.0,
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// A fixed interval.
    pub fn fixed(interval: Duration) -> Self {
        Self {
            initial: interval,
            factor: 1.0,
            max: interval,
        }
    }

    /// The delay that follows `delay`.
    fn next(&self, delay: Duration) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        delay.mul_f64(factor).min(self.max)
    }
}

/// Calls `poll` until it returns `Ready`, sleeping with `backoff` in between, and gives up
/// with an [`ErrorKind::Timeout`] error naming `what` once `timeout` has passed.
///
/// `poll` is called at least once, and once more at the deadline itself, so a short timeout
/// never gives up without having looked. An error from `poll` ends the wait at once: that is
/// how a waiter fails fast on a failure state (ERROR, killed).
pub async fn poll_until<T, F, Fut>(
    timeout: Duration,
    backoff: Backoff,
    what: impl fmt::Display,
    mut poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = backoff.initial;
    let mut polls: u32 = 0;
    loop {
        polls += 1;
        if let Poll::Ready(value) = poll().await? {
            return Ok(value);
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("gave up waiting for {what} after {timeout:?} ({polls} polls)"),
            ));
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = backoff.next(delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Records the (paused) clock at each poll; ready at poll `ready_at` (1-based), if ever.
    async fn run(
        timeout: Duration,
        backoff: Backoff,
        ready_at: Option<usize>,
    ) -> (Result<usize>, Vec<Duration>) {
        let start = tokio::time::Instant::now();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let result = poll_until(timeout, backoff, "image 1234 to become active", move || {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push(start.elapsed());
                Ok(if Some(log.len()) == ready_at {
                    Poll::Ready(log.len())
                } else {
                    Poll::Pending
                })
            }
        })
        .await;
        let seen = seen.lock().unwrap().clone();
        (result, seen)
    }

    fn secs(s: &[f64]) -> Vec<Duration> {
        s.iter().map(|s| Duration::from_secs_f64(*s)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_exponentially_up_to_the_cap() {
        let backoff = Backoff {
            initial: Duration::from_secs(1),
            factor: 2.0,
            max: Duration::from_secs(4),
        };
        let (result, seen) = run(Duration::from_secs(100), backoff, Some(6)).await;
        assert_eq!(result.unwrap(), 6);
        assert_eq!(seen, secs(&[0.0, 1.0, 3.0, 7.0, 11.0, 15.0]));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_once_more_at_the_deadline_then_times_out() {
        let (result, seen) = run(
            Duration::from_secs(10),
            Backoff::fixed(Duration::from_secs(4)),
            None,
        )
        .await;
        assert_eq!(seen, secs(&[0.0, 4.0, 8.0, 10.0]));
        let err = result.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Timeout);
        assert_eq!(
            err.to_string(),
            "gave up waiting for image 1234 to become active after 10s (4 polls)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_timeout_still_polls_once() {
        let (result, seen) = run(Duration::ZERO, Backoff::default(), Some(1)).await;
        assert_eq!(result.unwrap(), 1);
        assert_eq!(seen, secs(&[0.0]));
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_from_the_poll_ends_the_wait_at_once() {
        let start = tokio::time::Instant::now();
        let mut polls = 0;
        let err = poll_until(
            Duration::from_secs(60),
            Backoff::fixed(Duration::from_secs(1)),
            "x",
            || {
                polls += 1;
                let n = polls;
                async move {
                    if n == 3 {
                        Err(Error::new(ErrorKind::FailureState, "image 1234 was killed"))
                    } else {
                        Ok(Poll::<()>::Pending)
                    }
                }
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::FailureState);
        assert_eq!(polls, 3);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[test]
    fn a_nonsense_factor_means_a_fixed_interval() {
        let b = Backoff {
            initial: Duration::from_secs(2),
            factor: f64::NAN,
            max: Duration::from_secs(10),
        };
        assert_eq!(b.next(Duration::from_secs(2)), Duration::from_secs(2));
    }
}
