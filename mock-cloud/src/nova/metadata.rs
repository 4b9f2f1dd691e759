//! Server metadata: `/servers/{id}/metadata` as a whole (show, merge, replace) and item by
//! item (`/metadata/{key}`). `openstack server set --property` and `unset` use these.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::servers::{Server, instance_not_found, metadata, parse_body, visible};
use super::{bad_request, not_found, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// Runs `change` on the server's metadata, after the visibility and (for writes) role checks.
fn with_metadata<T>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    write: Option<&str>,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut inner = state.nova.lock();
    let server: &mut Server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, caller))
        .ok_or_else(|| instance_not_found(id))?;
    if let Some(rule) = write {
        if !caller.can_write() {
            return Err(policy_forbids(rule));
        }
        server.updated = Timestamp::now();
    }
    let result = change(&mut server.metadata);
    if write.is_some() && result.is_ok() {
        state.nova.save(server);
    }
    result
}

fn whole(body: &Bytes) -> Result<BTreeMap<String, String>, ApiError> {
    let body = parse_body(body)?;
    match body.get("metadata") {
        Some(value) => metadata(Some(value)),
        None => Err(bad_request(
            "Invalid input for field/attribute metadata. 'metadata' is a required property",
        )),
    }
}

/// `GET /servers/{id}/metadata`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let all = with_metadata(&state, &caller, &id, None, |m| Ok(m.clone()))?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// `POST /servers/{id}/metadata`: adds and overwrites keys, keeps the others.
pub(crate) async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let new = whole(&body)?;
    let rule = "os_compute_api:server-metadata:create";
    let all = with_metadata(&state, &caller, &id, Some(rule), |m| {
        m.extend(new);
        Ok(m.clone())
    })?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

/// `PUT /servers/{id}/metadata`: replaces every key.
pub(crate) async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let new = whole(&body)?;
    let rule = "os_compute_api:server-metadata:update_all";
    let all = with_metadata(&state, &caller, &id, Some(rule), |m| {
        *m = new;
        Ok(m.clone())
    })?;
    Ok(axum::Json(json!({"metadata": all})).into_response())
}

fn item_not_found() -> ApiError {
    not_found("Metadata item was not found")
}

/// `GET /servers/{id}/metadata/{key}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let value = with_metadata(&state, &caller, &id, None, |m| {
        m.get(&key).cloned().ok_or_else(item_not_found)
    })?;
    Ok(axum::Json(json!({"meta": {key: value}})).into_response())
}

/// `PUT /servers/{id}/metadata/{key}` with `{"meta": {key: value}}`.
pub(crate) async fn set(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let meta = body
        .get("meta")
        .and_then(Value::as_object)
        .filter(|m| m.len() == 1)
        .ok_or_else(|| bad_request("Malformed request body: 'meta' must hold exactly one item"))?;
    if !meta.contains_key(&key) {
        return Err(bad_request("Request body and URI mismatch"));
    }
    let item = metadata(Some(&body["meta"]))?;
    let rule = "os_compute_api:server-metadata:update";
    with_metadata(&state, &caller, &id, Some(rule), |m| {
        m.extend(item.clone());
        Ok(())
    })?;
    Ok(axum::Json(json!({"meta": item})).into_response())
}

/// `DELETE /servers/{id}/metadata/{key}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let rule = "os_compute_api:server-metadata:delete";
    with_metadata(&state, &caller, &id, Some(rule), |m| {
        m.remove(&key).map(|_| ()).ok_or_else(item_not_found)
    })?;
    Ok(StatusCode::NO_CONTENT)
}
