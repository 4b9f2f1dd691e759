//! The session's token: fetched once, shared by every clone of the session, renewed before it
//! expires, and renewed exactly once when a service rejects it, however many calls saw the 401.
//!
//! When to renew is settled once per token, as an instant of the monotonic clock: the margin
//! before expiry, or half the token's lifetime when that is shorter (a token that lives 60 s
//! with a 120 s margin would otherwise be replaced before every request). The wall clock is
//! read once, when the token arrives, to see how long it has left.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::Token;
use crate::error::Result;

/// A cached token and its generation: the generation grows by one at each authentication,
/// so a caller that saw a 401 can tell whether someone else has already replaced the token.
pub(crate) struct TokenCache {
    state: tokio::sync::Mutex<State>,
    margin: Duration,
}

#[derive(Default)]
struct State {
    token: Option<Arc<Token>>,
    /// When the token is to be replaced.
    renew_at: Option<tokio::time::Instant>,
    generation: u64,
}

impl State {
    fn hold(&mut self, token: Arc<Token>, margin: Duration) {
        self.renew_at = Some(renew_at(&token, margin));
        self.token = Some(token);
    }
}

/// When `token` is to be replaced: [`Token::renewal_margin`] before it expires.
fn renew_at(token: &Token, margin: Duration) -> tokio::time::Instant {
    let left = token.expires_at.duration_since(jiff::Timestamp::now());
    let left = Duration::try_from(left).unwrap_or_default();
    tokio::time::Instant::now() + left.saturating_sub(token.renewal_margin(margin))
}

/// A token handed out by the cache, with the generation it belongs to.
#[derive(Clone)]
pub(crate) struct Lease {
    pub(crate) token: Arc<Token>,
    pub(crate) generation: u64,
}

impl TokenCache {
    /// An empty cache that renews tokens `margin` before they expire.
    pub(crate) fn new(margin: Duration) -> Self {
        Self {
            state: tokio::sync::Mutex::new(State::default()),
            margin,
        }
    }

    /// A cache holding `token` already (one saved by an earlier process, say): it is used
    /// like one this cache fetched, until it nears expiry or a service rejects it.
    pub(crate) fn seeded(margin: Duration, token: Token) -> Self {
        let mut state = State::default();
        state.hold(Arc::new(token), margin);
        Self {
            state: tokio::sync::Mutex::new(state),
            margin,
        }
    }

    /// The token held now, if any, without authenticating (expired or not).
    pub(crate) async fn peek(&self) -> Option<Arc<Token>> {
        self.state.lock().await.token.clone()
    }

    /// The current token, authenticating first when there is none or it expires within the
    /// margin. The lock is held while authenticating, so concurrent callers wait for that one
    /// authentication instead of starting their own.
    pub(crate) async fn get<F, Fut>(&self, authenticate: F) -> Result<Lease>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        let mut state = self.state.lock().await;
        if let (Some(token), Some(renew_at)) = (&state.token, state.renew_at) {
            if tokio::time::Instant::now() < renew_at {
                return Ok(Lease {
                    token: token.clone(),
                    generation: state.generation,
                });
            }
            tracing::debug!(expires_at = %token.expires_at, "token expires soon; renewing");
        }
        Self::replace(&mut state, self.margin, authenticate).await
    }

    /// A token to replace the one of `rejected` generation that a service refused. Only the
    /// first caller for a generation authenticates; the others get its result.
    pub(crate) async fn renew<F, Fut>(&self, rejected: u64, authenticate: F) -> Result<Lease>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        let mut state = self.state.lock().await;
        match &state.token {
            Some(token) if state.generation != rejected => Ok(Lease {
                token: token.clone(),
                generation: state.generation,
            }),
            _ => {
                tracing::debug!(generation = rejected, "token rejected; re-authenticating");
                Self::replace(&mut state, self.margin, authenticate).await
            }
        }
    }

    async fn replace<F, Fut>(state: &mut State, margin: Duration, authenticate: F) -> Result<Lease>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        // On failure the old token is dropped, so the next call tries again from scratch.
        state.token = None;
        let token = Arc::new(authenticate().await?);
        state.generation += 1;
        state.hold(token.clone(), margin);
        Ok(Lease {
            token,
            generation: state.generation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(name: &str, valid_for_secs: i64) -> Token {
        let mut token: Token = serde_json::from_value(serde_json::json!({
            "expires_at": (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(valid_for_secs)).to_string(),
            "user": {"id": "u"},
        }))
        .unwrap();
        token.id = name.into();
        token
    }

    #[tokio::test]
    async fn one_renewal_per_rejected_generation() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        let auth = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(token(&format!("t{n}"), 3600))
        };
        let first = cache.get(auth).await.unwrap();
        assert_eq!(first.token.id.expose(), "t0");
        let again = cache.get(auth).await.unwrap();
        assert_eq!(again.generation, first.generation);
        let renewed = cache.renew(first.generation, auth).await.unwrap();
        let late = cache.renew(first.generation, auth).await.unwrap();
        assert_eq!(renewed.token.id.expose(), "t1");
        assert_eq!(late.token.id.expose(), "t1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_seeded_token_is_used_until_rejected() {
        let cache = TokenCache::seeded(Duration::from_secs(60), token("saved", 3600));
        let calls = AtomicUsize::new(0);
        let auth = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(token(&format!("t{n}"), 3600))
        };
        let first = cache.get(auth).await.unwrap();
        assert_eq!(first.token.id.expose(), "saved");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        let renewed = cache.renew(first.generation, auth).await.unwrap();
        assert_eq!(renewed.token.id.expose(), "t0");
        assert_eq!(cache.peek().await.unwrap().id.expose(), "t0");
        // A seeded token that is about to expire is replaced before use.
        let stale = TokenCache::seeded(Duration::from_secs(120), hour_old("old", 60));
        assert_eq!(stale.get(auth).await.unwrap().token.id.expose(), "t1");
    }

    /// A token issued an hour ago, valid for `secs` more.
    fn hour_old(name: &str, secs: i64) -> Token {
        let mut token = token(name, secs);
        token.issued_at = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3600));
        token
    }

    /// A token issued now, valid for `secs`.
    fn issued_now(name: &str, secs: i64) -> Token {
        let mut token = token(name, secs);
        token.issued_at = Some(jiff::Timestamp::now());
        token
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_shorter_than_twice_the_margin_is_renewed_at_half_its_life() {
        let cache = TokenCache::new(Duration::from_secs(120));
        let calls = AtomicUsize::new(0);
        let auth = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(issued_now(&format!("t{n}"), 60))
        };
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        // Not before every request: the 60 s token serves its first half.
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t1");
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_token_is_renewed_at_the_margin() {
        let cache = TokenCache::new(Duration::from_secs(120));
        let calls = AtomicUsize::new(0);
        let auth = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(issued_now(&format!("t{n}"), 3600))
        };
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        tokio::time::advance(Duration::from_secs(3600 - 121)).await;
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t1");
    }

    #[tokio::test]
    async fn tokens_inside_the_margin_are_renewed() {
        let cache = TokenCache::new(Duration::from_secs(120));
        let calls = AtomicUsize::new(0);
        let auth = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok(if n == 0 {
                hour_old("t0", 60)
            } else {
                token(&format!("t{n}"), 3600)
            })
        };
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t0");
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t1");
        assert_eq!(cache.get(auth).await.unwrap().token.id.expose(), "t1");
    }
}
