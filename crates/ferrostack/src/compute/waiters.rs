//! Server waiters over the crate's polling core ([`crate::wait::poll_until`]): what "done"
//! and "failed" mean for a server.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use super::ComputeClient;
use super::ids::ServerId;
use super::server::{Server, ServerStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::wait::{Backoff, poll_until};

/// How long to wait and how often to look. A bare `Duration` converts into one with the
/// default backoff (1 s doubling to 10 s).
///
/// ```
/// use std::time::Duration;
/// use ferrostack::compute::Wait;
/// use ferrostack::wait::Backoff;
/// let patient = Wait::from(Duration::from_secs(600));
/// let eager = Wait::new(Duration::from_secs(60)).backoff(Backoff::fixed(Duration::from_millis(200)));
/// # let _ = (patient, eager);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait {
    /// The deadline, from the first poll.
    pub timeout: Duration,
    /// The delays between polls.
    pub backoff: Backoff,
}

impl Wait {
    /// Waits up to `timeout` with the default backoff.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            backoff: super::server_backoff(),
        }
    }

    /// The same wait with another backoff.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

impl From<Duration> for Wait {
    fn from(timeout: Duration) -> Self {
        Wait::new(timeout)
    }
}

/// What a waiter says when it gives up: the goal and the last state seen, read only then.
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

/// `ACTIVE (task: spawning, power: NOSTATE)`.
fn describe(server: &Server) -> String {
    let mut text = server.status.to_string();
    let mut details = Vec::new();
    if let Some(task) = &server.task_state {
        details.push(format!("task: {task}"));
    }
    if let Some(power) = &server.power_state {
        details.push(format!("power: {power}"));
    }
    if !details.is_empty() {
        text.push_str(&format!(" ({})", details.join(", ")));
    }
    text
}

/// The error for a server that went to ERROR while something else was awaited.
fn went_to_error(server: &Server, goal: &ServerStatus) -> Error {
    let why = server
        .fault
        .as_ref()
        .filter(|f| !f.message.is_empty())
        .map(|f| match f.code {
            Some(code) => format!("{} (fault code {code})", f.message),
            None => f.message.clone(),
        })
        .unwrap_or_else(|| "Nova gave no fault message".to_owned());
    Error::new(
        ErrorKind::FailureState,
        format!(
            "server {} went to ERROR while waiting for {goal}: {why}",
            server.label()
        ),
    )
    .with_service(ServiceType::Compute)
}

pub(super) async fn wait_for_status(
    client: &ComputeClient,
    id: &ServerId,
    status: ServerStatus,
    wait: Wait,
) -> Result<Server> {
    let last = Arc::new(Mutex::new("nothing yet".to_owned()));
    let goal = Goal {
        goal: format!("server {id} to become {status}"),
        last: last.clone(),
    };
    let result = poll_until(wait.timeout, wait.backoff, goal, || {
        let (client, id, status, last) = (client.clone(), id.clone(), status.clone(), last.clone());
        async move {
            let server = client.show_server(id).await?;
            *last.lock().expect("not poisoned") = describe(&server);
            // A status is only reached once its task is done: SHUTOFF with task
            // `powering-on` is about to change.
            if server.status == status && server.task_state.is_none() {
                return Ok(Poll::Ready(server));
            }
            if server.status == ServerStatus::Error && status != ServerStatus::Error {
                return Err(went_to_error(&server, &status));
            }
            Ok(Poll::Pending)
        }
    })
    .await;
    result.map_err(with_compute)
}

pub(super) async fn wait_deleted(client: &ComputeClient, id: &ServerId, wait: Wait) -> Result<()> {
    let last = Arc::new(Mutex::new("nothing yet".to_owned()));
    let goal = Goal {
        goal: format!("server {id} to be deleted"),
        last: last.clone(),
    };
    let result = poll_until(wait.timeout, wait.backoff, goal, || {
        let (client, id, last) = (client.clone(), id.clone(), last.clone());
        async move {
            match client.show_server(id).await {
                Err(err) if err.is_not_found() => Ok(Poll::Ready(())),
                Err(err) => Err(err),
                Ok(server) if server.status == ServerStatus::Deleted => Ok(Poll::Ready(())),
                Ok(server) => {
                    *last.lock().expect("not poisoned") = describe(&server);
                    Ok(Poll::Pending)
                }
            }
        }
    })
    .await;
    result.map_err(with_compute)
}

/// The core's timeout error does not know the service; every other error already does.
fn with_compute(err: Error) -> Error {
    if err.service().is_none() {
        err.with_service(ServiceType::Compute)
    } else {
        err
    }
}
