//! A flavor's extra specs: `GET/POST /flavors/{id}/os-extra_specs` and
//! `GET/PUT/DELETE /flavors/{id}/os-extra_specs/{key}`. Anyone who sees the flavor reads them;
//! only an admin writes.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::manage::{invalid, object_body};
use super::visible;
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Table};
use crate::errors::ApiError;
use crate::nova::{bad_request, not_found, policy_forbids};

/// Nova's extra spec keys: `^[a-zA-Z0-9-_:. ]{1,255}$`.
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

/// The specs of a body object: string values up to 255 long, numbers and booleans made
/// strings as Nova makes them (Python's `str`).
fn specs(fields: &Map<String, Value>, field: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for (key, value) in fields {
        if !valid_key(key) {
            return Err(invalid(
                field,
                &Value::Object(fields.clone()),
                &format!("Additional properties are not allowed ('{key}' was unexpected)"),
            ));
        }
        let text = match value {
            Value::String(s) if s.chars().count() <= 255 => s.clone(),
            Value::String(_) => {
                return Err(invalid(key, value, &format!("{value} is too long")));
            }
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(invalid(
                    key,
                    other,
                    &format!("{other} is not of type 'string', 'number', 'boolean'"),
                ));
            }
        };
        out.insert(key.clone(), text);
    }
    Ok(out)
}

/// Changes flavor `id`'s specs with `apply` (admin only, checked by the caller), saved.
fn change<T>(
    state: &AppState,
    id: &str,
    apply: impl FnOnce(&mut BTreeMap<String, String>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut inner = state.nova.lock();
    let flavor = inner
        .flavors
        .iter_mut()
        .find(|f| f.id == id)
        .ok_or_else(|| not_found(format!("Flavor {id} could not be found.")))?;
    let out = apply(&mut flavor.extra_specs)?;
    state
        .nova
        .submit(Change::new().put(Table::NovaFlavors, &flavor.id, &*flavor));
    Ok(out)
}

fn missing_key(id: &str, key: &str) -> ApiError {
    not_found(format!("Flavor {id} has no extra specs with key {key}."))
}

/// `GET /flavors/{id}/os-extra_specs`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let flavor = visible(&state, &caller, &id)?;
    Ok(axum::Json(json!({"extra_specs": flavor.extra_specs})).into_response())
}

/// `GET /flavors/{id}/os-extra_specs/{key}`: `{key: value}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let flavor = visible(&state, &caller, &id)?;
    let value = flavor
        .extra_specs
        .get(&key)
        .ok_or_else(|| missing_key(&id, &key))?;
    Ok(axum::Json(json!({ key: value })).into_response())
}

/// `POST /flavors/{id}/os-extra_specs` (admin): `{"extra_specs": {...}}` merged into the
/// flavor's; 200 and the specs sent.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object_body(&body)?;
    let Some(inner) = body.get("extra_specs") else {
        return Err(invalid(
            "extra_specs",
            &body,
            "'extra_specs' is a required property",
        ));
    };
    if let Some(other) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "extra_specs"))
    {
        return Err(bad_request(format!(
            "Invalid input for field/attribute body. Value: {body}. Additional properties are not allowed ('{other}' was unexpected)"
        )));
    }
    let fields = inner.as_object().ok_or_else(|| {
        invalid(
            "extra_specs",
            inner,
            &format!("{inner} is not of type 'object'"),
        )
    })?;
    let new = specs(fields, "extra_specs")?;
    if !caller.is_admin() {
        return Err(policy_forbids(
            "os_compute_api:os-flavor-extra-specs:create",
        ));
    }
    change(&state, &id, |specs| {
        specs.extend(new.clone());
        Ok(())
    })?;
    Ok(axum::Json(json!({"extra_specs": new})).into_response())
}

/// `PUT /flavors/{id}/os-extra_specs/{key}` (admin): `{key: value}`, exactly one key, the
/// one in the path; 200 and the body.
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object_body(&body)?;
    let fields = body.as_object().cloned().unwrap_or_default();
    if fields.is_empty() {
        return Err(invalid(
            "body",
            &body,
            &format!("{body} does not have enough properties"),
        ));
    }
    if fields.len() > 1 {
        return Err(invalid(
            "body",
            &body,
            &format!("{body} has too many properties"),
        ));
    }
    let new = specs(&fields, "body")?;
    if !caller.is_admin() {
        return Err(policy_forbids(
            "os_compute_api:os-flavor-extra-specs:update",
        ));
    }
    let Some(value) = new.get(&key).cloned() else {
        return Err(bad_request("Request body and URI mismatch"));
    };
    change(&state, &id, |specs| {
        specs.insert(key.clone(), value.clone());
        Ok(())
    })?;
    Ok(axum::Json(json!({ key: value })).into_response())
}

/// `DELETE /flavors/{id}/os-extra_specs/{key}` (admin): 200 without a body.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(policy_forbids(
            "os_compute_api:os-flavor-extra-specs:delete",
        ));
    }
    change(&state, &id, |specs| {
        specs
            .remove(&key)
            .map(drop)
            .ok_or_else(|| missing_key(&id, &key))
    })?;
    Ok((
        axum::http::StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_strings_and_keys_are_checked() {
        let fields = json!({"a": "b", "n": 2, "t": true, "hw:cpu policy.x-y_z": "x"});
        let got = specs(fields.as_object().unwrap(), "extra_specs").unwrap();
        assert_eq!(got["n"], "2");
        assert_eq!(got["t"], "True");
        assert_eq!(got.len(), 4);
        let bad = json!({"a/b": "c"});
        let err = specs(bad.as_object().unwrap(), "extra_specs").unwrap_err();
        assert!(
            err.message.contains("'a/b' was unexpected"),
            "{}",
            err.message
        );
        let bad = json!({"a": ["c"]});
        let err = specs(bad.as_object().unwrap(), "extra_specs").unwrap_err();
        assert!(
            err.message.contains("field/attribute a."),
            "{}",
            err.message
        );
        let long = json!({"a": "x".repeat(256)});
        assert!(specs(long.as_object().unwrap(), "extra_specs").is_err());
        assert!(!valid_key(""));
    }
}
