//! Server waiters over the crate's polling core ([`crate::wait`]): what "done" and "failed"
//! mean for a server.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use super::Servers;
use super::ids::ServerId;
use super::server::{Server, ServerStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::wait::{Backoff, Wait, poll_service};

/// The default polling for server waits: 1 s doubling to 10 s. Builds take tens of seconds.
fn server_backoff() -> Backoff {
    Backoff::exponential(Duration::from_secs(1), 2.0, Duration::from_secs(10))
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
    client: &Servers,
    id: &ServerId,
    status: ServerStatus,
    wait: Wait,
) -> Result<Server> {
    let last = Arc::new(Mutex::new("nothing yet".to_owned()));
    let goal = Goal {
        goal: format!("server {id} to become {status}"),
        last: last.clone(),
    };
    let left = client.compute.session.time_left();
    poll_service(
        ServiceType::Compute,
        wait,
        left,
        server_backoff(),
        goal,
        || {
            let (client, id, status, last) =
                (client.clone(), id.clone(), status.clone(), last.clone());
            async move {
                let server = client.get(id).await?;
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
        },
    )
    .await
}

pub(super) async fn wait_for_delete(client: &Servers, id: &ServerId, wait: Wait) -> Result<()> {
    let last = Arc::new(Mutex::new("nothing yet".to_owned()));
    let goal = Goal {
        goal: format!("server {id} to be deleted"),
        last: last.clone(),
    };
    let left = client.compute.session.time_left();
    poll_service(
        ServiceType::Compute,
        wait,
        left,
        server_backoff(),
        goal,
        || {
            let (client, id, last) = (client.clone(), id.clone(), last.clone());
            async move {
                match client.get(id).await {
                    Err(err) if err.is_not_found() => Ok(Poll::Ready(())),
                    Err(err) => Err(err),
                    Ok(server) if server.status == ServerStatus::Deleted => Ok(Poll::Ready(())),
                    Ok(server) => {
                        *last.lock().expect("not poisoned") = describe(&server);
                        Ok(Poll::Pending)
                    }
                }
            }
        },
    )
    .await
}
