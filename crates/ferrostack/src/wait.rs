//! The polling core every waiter is built on: poll, back off, give up at a deadline.
//!
//! Every waiter of the SDK takes the same [`Wait`]: how long at most (a hard deadline: a poll
//! still running when it passes is cut short), and how often to look. A bare [`Duration`]
//! converts into a `Wait` with the service's own default backoff. The core is generic over
//! the poll function so its timing is tested with tokio's paused clock, while the service
//! waiters only say what "done" and "failed" mean for their resource.
//!
//! ```no_run
//! # async fn demo() -> ferrostack::Result<()> {
//! use std::task::Poll;
//! use std::time::Duration;
//! use ferrostack::wait::{Backoff, Wait, poll_until};
//! let mut polls = 0;
//! let wait = Wait::new(Duration::from_secs(60)).backoff(Backoff::fixed(Duration::from_secs(1)));
//! let answer = poll_until(wait, "the answer", || {
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
use crate::request::ServiceType;

/// How long to sleep between polls: `initial`, multiplied by `factor` after each poll, never
/// more than `max`.
///
/// ```
/// use std::time::Duration;
/// use ferrostack::wait::Backoff;
/// let gentle = Backoff::exponential(Duration::from_secs(1), 2.0, Duration::from_secs(10));
/// let steady = Backoff::fixed(Duration::from_millis(200));
/// # let _ = (gentle, steady);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
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
        Self::exponential(Duration::from_millis(500), 2.0, Duration::from_secs(5))
    }
}

impl Backoff {
    /// Starts at `initial`, multiplies by `factor` after each poll, never waits more than `max`.
    pub fn exponential(initial: Duration, factor: f64, max: Duration) -> Self {
        Self {
            initial,
            factor,
            max,
        }
    }

    /// A fixed interval.
    pub fn fixed(interval: Duration) -> Self {
        Self::exponential(interval, 1.0, interval)
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

/// How long a waiter waits, and how often it looks: what every `wait_*` method of the SDK
/// takes. A [`Duration`] converts into one with the service's default backoff (servers: 1 s
/// doubling to 10 s; images: 500 ms doubling to 5 s).
///
/// ```
/// use std::time::Duration;
/// use ferrostack::wait::{Backoff, Wait};
/// let patient = Wait::from(Duration::from_secs(600));
/// let eager = Wait::new(Duration::from_secs(60)).interval(Duration::from_millis(200));
/// let custom = Wait::new(Duration::from_secs(60))
///     .backoff(Backoff::exponential(Duration::from_secs(1), 1.5, Duration::from_secs(8)));
/// # let _ = (patient, eager, custom);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Wait {
    /// The deadline, from the first poll. A poll still running when it passes is cut short.
    pub timeout: Duration,
    /// The delays between polls; `None` is the service's default.
    pub backoff: Option<Backoff>,
}

impl Wait {
    /// Waits up to `timeout`, polling with the service's default backoff.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            backoff: None,
        }
    }

    /// The same wait with another backoff.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// The same wait, polling at a fixed interval.
    pub fn interval(self, interval: Duration) -> Self {
        self.backoff(Backoff::fixed(interval))
    }

    /// The backoff in force: the caller's, else `default`.
    fn or_backoff(mut self, default: Backoff) -> Self {
        self.backoff.get_or_insert(default);
        self
    }
}

impl From<Duration> for Wait {
    fn from(timeout: Duration) -> Self {
        Wait::new(timeout)
    }
}

/// Calls `poll` until it returns `Ready`, sleeping as `wait` says in between, and gives up
/// with an [`ErrorKind::Timeout`] error naming `what` once the deadline has passed.
///
/// The deadline is hard: a poll still running when it passes is dropped, so a hung request
/// cannot hold a waiter past its timeout. `poll` is called at least once. An error from
/// `poll` ends the wait at once: that is how a waiter fails fast on a failure state (ERROR,
/// killed).
pub async fn poll_until<T, F, Fut>(
    wait: impl Into<Wait>,
    what: impl fmt::Display,
    mut poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let wait = wait.into();
    let backoff = wait.backoff.unwrap_or_default();
    let timeout = wait.timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = backoff.initial;
    let mut polls: u32 = 0;
    let gave_up = |polls: u32, tail: &str| {
        Error::new(
            ErrorKind::Timeout,
            format!("gave up waiting for {what} after {timeout:?} ({polls} polls{tail})"),
        )
    };
    loop {
        polls += 1;
        let started = tokio::time::Instant::now();
        match tokio::time::timeout_at(deadline, poll()).await {
            Ok(outcome) => {
                if let Poll::Ready(value) = outcome? {
                    return Ok(value);
                }
            }
            Err(_) => return Err(gave_up(polls, ", the last one cut short at the deadline")),
        }
        let now = tokio::time::Instant::now();
        // The next look is timed to end by the deadline if it takes as long as this one did:
        // the last pause is shortened, and there is no look that could only be cut short.
        let took = now - started;
        let remaining = deadline.saturating_duration_since(now);
        if remaining.is_zero() || remaining < took {
            return Err(gave_up(polls, ""));
        }
        tokio::time::sleep(delay.min(remaining - took)).await;
        delay = backoff.next(delay);
    }
}

/// [`poll_until`] for a service's waiter: its default backoff unless the caller chose one,
/// no longer than the session's time limit leaves (`time_left`), and the service named on
/// the timeout error (every other error already names it).
pub(crate) async fn poll_service<T, F, Fut>(
    service: ServiceType,
    wait: Wait,
    time_left: Option<Duration>,
    default: Backoff,
    what: impl fmt::Display,
    poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let mut wait = wait.or_backoff(default);
    if let Some(left) = time_left {
        wait.timeout = wait.timeout.min(left);
    }
    poll_until(wait, what, poll).await.map_err(|err| {
        if err.service().is_none() {
            err.with_service(service)
        } else {
            err
        }
    })
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
        let wait = Wait::new(timeout).backoff(backoff);
        let result = poll_until(wait, "image 1234 to become active", move || {
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
        let backoff = Backoff::exponential(Duration::from_secs(1), 2.0, Duration::from_secs(4));
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
            Wait::new(Duration::from_secs(60)).interval(Duration::from_secs(1)),
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

    #[tokio::test(start_paused = true)]
    async fn a_poll_that_hangs_is_cut_short_at_the_deadline() {
        let start = tokio::time::Instant::now();
        let err = poll_until(Duration::from_secs(5), "a hung server", || async {
            std::future::pending::<Result<Poll<()>>>().await
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Timeout);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(
            err.to_string(),
            "gave up waiting for a hung server after 5s (1 polls, the last one cut short at the deadline)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_pause_is_shortened_so_the_last_look_ends_by_the_deadline() {
        // Each poll takes 2 s: polls start at 0, 3 (2 + 1) and 6; the fourth would start
        // at 9 and end at 11, past the 10 s deadline, so it starts at 8 instead.
        let start = tokio::time::Instant::now();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let wait = Wait::new(Duration::from_secs(10)).interval(Duration::from_secs(1));
        let err = poll_until(wait, "x", move || {
            log.lock().unwrap().push(start.elapsed());
            async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Ok(Poll::<()>::Pending)
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Timeout);
        assert_eq!(*seen.lock().unwrap(), secs(&[0.0, 3.0, 6.0, 8.0]));
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[test]
    fn a_nonsense_factor_means_a_fixed_interval() {
        let b = Backoff::exponential(Duration::from_secs(2), f64::NAN, Duration::from_secs(10));
        assert_eq!(b.next(Duration::from_secs(2)), Duration::from_secs(2));
    }
}
