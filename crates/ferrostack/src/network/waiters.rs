//! Waiters over the crate's polling core ([`crate::wait`]) for the Neutron resources that
//! change state on their own: a port goes ACTIVE once its server boots, a floating IP once
//! the L3 agent forwards it; ERROR fails the wait at once.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use super::model::Status;
use super::resource::{self, Resource};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::session::Session;
use crate::wait::{Backoff, Wait, poll_service};

/// A resource with a `status`.
pub(crate) trait HasStatus: Resource {
    fn status(&self) -> Option<&Status>;
}

/// Neutron's agents act within seconds: poll every 500 ms doubling to 5 s.
fn neutron_backoff() -> Backoff {
    Backoff::exponential(Duration::from_millis(500), 2.0, Duration::from_secs(5))
}

/// The goal and the last status seen, read only when the wait gives up.
struct Goal {
    goal: String,
    last: Arc<Mutex<String>>,
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.last.lock().expect("not poisoned");
        write!(f, "{} (last seen: {last})", self.goal)
    }
}

fn described(status: Option<&Status>) -> String {
    status.map_or_else(|| "no status".to_owned(), Status::to_string)
}

/// Polls until the resource has `status`; ERROR (unless awaited) fails at once.
pub(crate) async fn wait_for_status<R: HasStatus>(
    session: &Session,
    id: &str,
    status: Status,
    wait: Wait,
) -> Result<R> {
    let last = Arc::new(Mutex::new("nothing yet".to_owned()));
    let goal = Goal {
        goal: format!("{} {id} to become {status}", R::LABEL),
        last: last.clone(),
    };
    poll_service(
        ServiceType::Network,
        wait,
        session.time_left(),
        neutron_backoff(),
        goal,
        || {
            let (session, id, status, last) =
                (session.clone(), id.to_owned(), status.clone(), last.clone());
            async move {
                let found = resource::get::<R>(&session, &id).await?;
                *last.lock().expect("not poisoned") = described(found.status());
                match found.status() {
                    Some(now) if *now == status => Ok(Poll::Ready(found)),
                    Some(Status::Error) => Err(Error::new(
                        ErrorKind::FailureState,
                        format!("{} {id} went to ERROR while waiting for {status}", R::LABEL),
                    )
                    .with_service(ServiceType::Network)),
                    _ => Ok(Poll::Pending),
                }
            }
        },
    )
    .await
}

/// Polls until the resource answers 404.
pub(crate) async fn wait_for_delete<R: Resource>(
    session: &Session,
    id: &str,
    wait: Wait,
) -> Result<()> {
    let goal = format!("{} {id} to be deleted", R::LABEL);
    poll_service(
        ServiceType::Network,
        wait,
        session.time_left(),
        neutron_backoff(),
        goal,
        || {
            let (session, id) = (session.clone(), id.to_owned());
            async move {
                match resource::get::<R>(&session, &id).await {
                    Err(err) if err.is_not_found() => Ok(Poll::Ready(())),
                    Err(err) => Err(err),
                    Ok(_) => Ok(Poll::Pending),
                }
            }
        },
    )
    .await
}

/// `wait_for_status` on a handle whose resource has a status. `$R` is the resource, `$Id`
/// its id.
macro_rules! handle_status {
    ($R:ty, $Id:ty) => {
        /// Waits until it has `status` (polling every 500 ms doubling to 5 s unless `wait`
        /// says otherwise); fails at once if it goes to ERROR, unless ERROR is awaited.
        pub async fn wait_for_status(
            &self,
            id: impl Into<$Id>,
            status: $crate::network::Status,
            wait: impl Into<$crate::wait::Wait>,
        ) -> $crate::error::Result<$R> {
            let id: $Id = id.into();
            $crate::network::waiters::wait_for_status::<$R>(
                &self.client.session,
                id.as_str(),
                status,
                wait.into(),
            )
            .await
        }
    };
}

pub(crate) use handle_status;
