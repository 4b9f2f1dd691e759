//! `POST /servers/{id}/action` (os-start, os-stop, reboot, os-getConsoleOutput,
//! os-getVNCConsole) and `POST /servers/{id}/remote-consoles`: checked against the server's
//! state, then handed to the driver.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Server, instance_not_found, parse_body, visible};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::nova::driver::{DriverError, VmState};
use crate::nova::microversion::Microversion;
use crate::nova::{accepted, bad_request, conflict, error, not_found, policy_forbids};

/// The server `caller` may act on, polled; 404 / 403 otherwise.
fn acting_on(state: &AppState, caller: &Caller, id: &str, rule: &str) -> Result<Server, ApiError> {
    let mut inner = state.nova.lock();
    let server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, caller))
        .ok_or_else(|| instance_not_found(id))?;
    if !caller.can_write() {
        return Err(policy_forbids(rule));
    }
    let vm = state.nova.driver().observe(id, false);
    if server.reconcile(vm) {
        state.nova.save(server);
    }
    Ok(server.clone())
}

fn invalid_state(action: &str, server: &Server) -> ApiError {
    match server.task_state {
        Some(task) => conflict(format!(
            "Cannot '{action}' instance {} while it is in task_state {task}",
            server.id
        )),
        None => conflict(format!(
            "Cannot '{action}' instance {} while it is in vm_state {}",
            server.id, server.vm_state
        )),
    }
}

/// An action on its way to the driver (see [`Server::handing_over`]). Dropped before
/// [`Handover::settle`] (the handler was dropped), it lets the server follow its driver again.
struct Handover<'a> {
    state: &'a AppState,
    id: &'a str,
    settled: bool,
}

impl Handover<'_> {
    /// After the driver call: a failure becomes the server's fault; otherwise take in the new
    /// state.
    fn settle(mut self, outcome: Result<(), DriverError>) -> Result<(), ApiError> {
        self.settled = true;
        let mut inner = self.state.nova.lock();
        let Some(server) = inner.servers.iter_mut().find(|s| s.id == self.id) else {
            return Ok(());
        };
        server.handing_over = false;
        let (changed, result) = match outcome {
            Ok(()) => (
                server.reconcile(self.state.nova.driver().observe(self.id, false)),
                Ok(()),
            ),
            Err(e) => (
                server.reconcile(VmState::Failed(e.0.clone())),
                Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.0)),
            ),
        };
        if changed {
            self.state.nova.save(server);
        }
        result
    }
}

impl Drop for Handover<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut inner = self.state.nova.lock();
            if let Some(server) = inner.servers.iter_mut().find(|s| s.id == self.id) {
                server.handing_over = false;
            }
        }
    }
}

/// Starts `action` on the server `caller` may act on: polled, checked with `allowed` and
/// marked with `task` in one critical section, so that of two concurrent actions only one
/// passes the check (the other gets the 409). 404 / 403 / 409 otherwise.
fn begin<'a>(
    state: &'a AppState,
    caller: &Caller,
    id: &'a str,
    rule: &str,
    action: &str,
    allowed: impl Fn(&Server) -> bool,
    task: &'static str,
) -> Result<Handover<'a>, ApiError> {
    let mut inner = state.nova.lock();
    let server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, caller))
        .ok_or_else(|| instance_not_found(id))?;
    if !caller.can_write() {
        return Err(policy_forbids(rule));
    }
    if server.reconcile(state.nova.driver().observe(id, false)) {
        state.nova.save(server);
    }
    if !allowed(server) {
        return Err(invalid_state(action, server));
    }
    server.task_state = Some(task);
    server.handing_over = true;
    server.updated = Timestamp::now();
    state.nova.save(server);
    state
        .nova
        .fleet()
        .record(id, &server.project_id, caller, action);
    Ok(Handover {
        state,
        id,
        settled: false,
    })
}

/// `POST /servers/{id}/action`.
pub(crate) async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let (name, args) = body
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .ok_or_else(|| {
            bad_request("Malformed request body: an action is an object with one key")
        })?;
    let driver = state.nova.driver().clone();
    match name.as_str() {
        "os-start" => {
            let handover = begin(
                &state,
                &caller,
                &id,
                "os_compute_api:servers:start",
                "start",
                |s| s.vm_state == "stopped" && s.task_state.is_none(),
                "powering-on",
            )?;
            handover.settle(driver.start(&id).await)?;
            Ok(accepted())
        }
        "os-stop" => {
            let handover = begin(
                &state,
                &caller,
                &id,
                "os_compute_api:servers:stop",
                "stop",
                |s| matches!(s.vm_state, "active" | "error") && s.task_state.is_none(),
                "powering-off",
            )?;
            handover.settle(driver.stop(&id).await)?;
            Ok(accepted())
        }
        "reboot" => {
            let hard = match args
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase)
            {
                Some(t) if t == "SOFT" => false,
                Some(t) if t == "HARD" => true,
                _ => {
                    return Err(bad_request(
                        "Invalid input for field/attribute type. Value must be 'SOFT' or 'HARD'",
                    ));
                }
            };
            let allowed = |server: &Server| {
                if hard {
                    matches!(server.vm_state, "active" | "stopped" | "error")
                        && matches!(server.task_state, None | Some("rebooting"))
                } else {
                    server.vm_state == "active" && server.task_state.is_none()
                }
            };
            let handover = begin(
                &state,
                &caller,
                &id,
                "os_compute_api:servers:reboot",
                "reboot",
                allowed,
                if hard { "rebooting_hard" } else { "rebooting" },
            )?;
            handover.settle(driver.reboot(&id, hard).await)?;
            Ok(accepted())
        }
        "os-getConsoleOutput" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:os-console-output")?;
            let length = match args.get("length") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) if n.as_i64() == Some(-1) => None,
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .ok_or_else(|| bad_request("Invalid input for field/attribute length."))?
                        as usize,
                ),
                Some(Value::String(s)) => Some(s.parse::<usize>().map_err(|_| {
                    bad_request(format!(
                        "Invalid input for field/attribute length. Value: {s}."
                    ))
                })?),
                Some(other) => {
                    return Err(bad_request(format!(
                        "Invalid input for field/attribute length. Value: {other}."
                    )));
                }
            };
            if server.vm_state == "building" {
                return Err(conflict(format!("Instance {id} is not ready.")));
            }
            let output = driver
                .console_output(&id, length)
                .await
                .map_err(|e| conflict(e.0))?;
            Ok(axum::Json(json!({"output": output})).into_response())
        }
        "os-getVNCConsole" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:os-remote-consoles")?;
            let kind = args
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if kind != "novnc" && kind != "xvpvnc" {
                return Err(bad_request(format!("Invalid console type {kind}.")));
            }
            if server.vm_state != "active" {
                return Err(conflict(format!("Instance {id} is not ready.")));
            }
            let console = driver.vnc_console(&id).await.map_err(|e| conflict(e.0))?;
            Ok(axum::Json(json!({"console": {"type": kind, "url": console.url}})).into_response())
        }
        "addSecurityGroup" | "removeSecurityGroup" => {
            crate::nova::network::security_group_action(&state, &caller, &id, &name, &args)
        }
        other => Err(bad_request(format!("There is no such action: {other}"))),
    }
}

/// `POST /servers/{id}/remote-consoles` (2.6+): only VNC (novnc) is offered.
pub(crate) async fn remote_console(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !version.at_least(6) {
        return Err(not_found("The resource could not be found."));
    }
    let body = parse_body(&body)?;
    let request = body
        .get("remote_console")
        .ok_or_else(|| bad_request("Invalid input for field/attribute remote_console. 'remote_console' is a required property"))?;
    let protocol = request
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let kind = request
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let known = ["vnc", "spice", "rdp", "serial", "mks"];
    if !known.contains(&protocol.as_str()) {
        return Err(bad_request(format!(
            "Invalid input for field/attribute protocol. Value: {protocol}. '{protocol}' is not one of {known:?}"
        )));
    }
    let server = acting_on(&state, &caller, &id, "os_compute_api:os-remote-consoles")?;
    if protocol != "vnc" || !(kind == "novnc" || kind == "xvpvnc") {
        return Err(bad_request(format!("Unavailable console type {kind}.")));
    }
    if server.vm_state != "active" {
        return Err(conflict(format!("Instance {id} is not ready.")));
    }
    let console = state
        .nova
        .driver()
        .vnc_console(&id)
        .await
        .map_err(|e| conflict(e.0))?;
    Ok(axum::Json(
        json!({"remote_console": {"protocol": protocol, "type": kind, "url": console.url}}),
    )
    .into_response())
}
