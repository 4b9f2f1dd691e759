//! `/servers/{id}/os-instance-actions`: what was asked of a server, newest first, each with
//! the request id it was asked in and its compute events (`openstack server event list`).
//! From 2.21 the actions of a deleted server can still be read.

use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::fleet::{HOST, InstanceAction, nova_time};
use super::microversion::Microversion;
use super::not_found;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

fn summary(action: &InstanceAction, version: Microversion) -> Value {
    let mut doc = json!({
        "action": action.action,
        "instance_uuid": action.instance_uuid,
        "message": action.message,
        "project_id": action.project_id,
        "request_id": action.request_id,
        "start_time": nova_time(action.start_time),
        "user_id": action.user_id,
    });
    if version.at_least(58) {
        doc["updated_at"] = json!(nova_time(action.updated_at));
    }
    doc
}

/// Whether the caller may read `server`'s actions: it is there and visible, or (2.21+) it
/// was deleted and its actions were the caller's project's.
fn check_server(
    state: &AppState,
    caller: &Caller,
    version: Microversion,
    server: &str,
    actions: &[InstanceAction],
) -> Result<(), ApiError> {
    let project = {
        let nova = state.nova.lock();
        nova.servers
            .iter()
            .find(|s| s.id == server)
            .map(|s| s.project_id.clone())
    };
    let project = match project {
        Some(project) => project,
        None if version.at_least(21) => actions
            .iter()
            .find(|a| a.instance_uuid == server)
            .map(|a| a.project_id.clone())
            .ok_or_else(|| not_found(format!("Instance {server} could not be found.")))?,
        None => return Err(not_found(format!("Instance {server} could not be found."))),
    };
    if caller.is_admin() || caller.project_id.as_deref() == Some(project.as_str()) {
        Ok(())
    } else {
        Err(not_found(format!("Instance {server} could not be found.")))
    }
}

/// `GET /servers/{id}/os-instance-actions`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(server): Path<String>,
) -> Result<Response, ApiError> {
    let fleet = state.nova.fleet();
    let actions: Vec<InstanceAction> = fleet
        .lock()
        .actions
        .iter()
        .filter(|a| a.instance_uuid == server)
        .cloned()
        .collect();
    check_server(&state, &caller, version, &server, &actions)?;
    let listed: Vec<Value> = actions.iter().rev().map(|a| summary(a, version)).collect();
    Ok(axum::Json(json!({"instanceActions": listed})).into_response())
}

/// `GET /servers/{id}/os-instance-actions/{request_id}`: with its events (their traceback
/// for admins only, their host from 2.62, their details from 2.84).
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path((server, request_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let fleet = state.nova.fleet();
    let actions: Vec<InstanceAction> = fleet
        .lock()
        .actions
        .iter()
        .filter(|a| a.instance_uuid == server)
        .cloned()
        .collect();
    check_server(&state, &caller, version, &server, &actions)?;
    let action = actions
        .iter()
        .find(|a| a.request_id == request_id)
        .ok_or_else(|| {
            not_found(format!(
                "Action for request_id {request_id} on instance {server} not found"
            ))
        })?;
    let events: Vec<Value> = action
        .events
        .iter()
        .map(|e| {
            let mut doc = json!({
                "event": e.event,
                "start_time": nova_time(e.start_time),
                "finish_time": e.finish_time.map(nova_time),
                "result": e.result,
            });
            if caller.is_admin() {
                doc["traceback"] = Value::Null;
            }
            if version.at_least(62) {
                doc["hostId"] = json!(crate::keystone::directory::stable_id(
                    "host",
                    &action.project_id,
                    HOST
                ));
                if caller.is_admin() {
                    doc["host"] = json!(HOST);
                }
            }
            if version.at_least(84) {
                doc["details"] = Value::Null;
            }
            doc
        })
        .collect();
    let mut doc = summary(action, version);
    doc["events"] = json!(events);
    Ok(axum::Json(json!({"instanceAction": doc})).into_response())
}
