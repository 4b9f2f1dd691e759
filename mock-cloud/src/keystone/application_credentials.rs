//! `/v3/users/{user_id}/application_credentials`: a user makes, lists, shows and deletes its
//! own application credentials. Each is bound to the project of the token that made it and
//! delegates some or all of the user's roles there. The secret is shown once, on creation.
//!
//! As in Keystone: a credential may expire (`expires_at`; it then stops authenticating and
//! its tokens never outlive it), and the tokens of a restricted credential (the default) may
//! not create or delete credentials, so a leaked credential cannot mint itself a wider one.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::directory::{ApplicationCredential, Directory, Target};
use super::tokens::random_string;
use super::{error, forbidden};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

fn to_json(state: &AppState, directory: &Directory, c: &ApplicationCredential) -> Value {
    let held = directory.effective_roles(&c.user_id, &Target::Project(c.project_id.clone()));
    let roles: Vec<Value> = held
        .iter()
        .filter(|r| c.roles.as_ref().is_none_or(|d| d.contains(&r.name)))
        .map(|r| json!({"id": r.id, "name": r.name, "domain_id": null}))
        .collect();
    json!({
        "id": c.id,
        "name": c.name,
        "description": null,
        "user_id": c.user_id,
        "project_id": c.project_id,
        // As Keystone 30 renders a credential made without these options: `system` null,
        // `unrestricted` as given (null), and no `access_rules` key at all.
        "system": null,
        "expires_at": c.expires_at.map(credential_time),
        "unrestricted": c.unrestricted,
        "roles": roles,
        "links": {"self": format!(
            "{}/identity/v3/users/{}/application_credentials/{}",
            state.base_url, c.user_id, c.id
        )},
    })
}

/// How Keystone renders a credential's `expires_at`: microseconds, no zone
/// (oslo.serialization's `PERFECT_TIME_FORMAT`).
fn credential_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()
}

/// Keystone's `parse_expiration_date`: ISO 8601 (a date, or a date and time; UTC when no zone
/// is given), not in the past. `None` for no expiry.
fn parse_expiry(value: Option<&Value>, now: Timestamp) -> Result<Option<Timestamp>, ApiError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.is_empty() => return Ok(None),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid input for field 'application_credential/expires_at': {other} is not of type 'string', 'null'"
                ),
            ));
        }
    };
    let invalid = || {
        error(
            StatusCode::BAD_REQUEST,
            "Timestamp not in expected format. The server could not comply with the request since \
             it is either malformed or otherwise incorrect. The client is assumed to be in error.",
        )
    };
    // Keystone appends a `Z` to a time without one: a time is UTC or has no zone at all.
    let at = match text.strip_suffix('Z') {
        Some(_) => text.parse::<Timestamp>().ok(),
        None => text
            .parse::<jiff::civil::DateTime>()
            .or_else(|_| {
                text.parse::<jiff::civil::Date>()
                    .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
            })
            .ok()
            .and_then(|civil| civil.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|zoned| zoned.timestamp()),
    }
    .ok_or_else(invalid)?;
    if at < now {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The 'expires_at' must not be before now. The server could not comply with the request \
             since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
        ));
    }
    Ok(Some(at))
}

/// Keystone's refusal for a token of a restricted application credential that tries to
/// create or delete one.
fn check_unrestricted(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if state.keystone.is_restricted_credential_token(token) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "You are not authorized to perform the requested action: Using method \
             'application_credential' is not allowed for managing additional application \
             credentials.",
        ));
    }
    Ok(())
}

/// Only the user itself manages its application credentials.
fn check_owner(caller: &Caller, user_id: &str, action: &str) -> Result<(), ApiError> {
    if caller.user_id == user_id {
        Ok(())
    } else {
        Err(forbidden(&format!("identity:{action}")))
    }
}

/// Keystone's 404 for an application credential that does not exist (also when
/// authenticating with one).
pub(super) fn not_found(id: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("Could not find Application Credential: {id}."),
    )
}

/// `POST /v3/users/{user_id}/application_credentials`.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_owner(&caller, &user_id, "create_application_credential")?;
    check_unrestricted(&state, &headers)?;
    let Some(project_id) = caller.project_id.clone() else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "An application credential needs a project-scoped token.",
        ));
    };
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("Invalid input for request body: {e}"),
        )
    })?;
    let request = body
        .get("application_credential")
        .filter(|v| v.is_object())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "Invalid input for field 'application_credential': it is required",
            )
        })?;
    let name = request
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty() && n.len() <= 255)
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "Invalid input for field 'name': a name of 1-255 characters is required",
            )
        })?;
    // An empty secret is no secret: Keystone makes one, as for a missing one.
    let secret = match request.get("secret") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) => random_string(),
        Some(Value::String(_)) => random_string(),
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid input for field 'application_credential/secret': {other} is not of type 'string', 'null'"
                ),
            ));
        }
    };
    let unrestricted = match request.get("unrestricted") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid input for field 'application_credential/unrestricted': {other} is not of type 'boolean', 'null'"
                ),
            ));
        }
    };
    let expires_at = parse_expiry(request.get("expires_at"), Timestamp::now())?;
    let mut directory = state.keystone.directory.write();
    if directory
        .application_credentials
        .iter()
        .any(|c| c.user_id == user_id && c.name == name)
    {
        return Err(error(
            StatusCode::CONFLICT,
            format!(
                "Conflict occurred attempting to store application_credential - Duplicate entry found with name {name}."
            ),
        ));
    }
    let held = directory.effective_roles(&user_id, &Target::Project(project_id.clone()));
    let roles = match request.get("roles").and_then(Value::as_array) {
        None => None,
        Some(wanted) => {
            let mut ids = Vec::new();
            for role in wanted {
                let found = held.iter().find(|r| {
                    role.get("name").and_then(Value::as_str) == Some(r.name.as_str())
                        || role.get("id").and_then(Value::as_str) == Some(r.id.as_str())
                });
                match found {
                    Some(r) => ids.push(r.id.as_str()),
                    None => {
                        return Err(forbidden(
                            "identity:create_application_credential (a role the user does not hold)",
                        ));
                    }
                }
            }
            // Delegating a role delegates the ones it implies.
            Some(directory.expand(&ids).into_iter().map(|r| r.name).collect())
        }
    };
    let credential = ApplicationCredential {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: name.to_owned(),
        secret_hash: directory.hasher.hash(&secret),
        legacy_secret: None,
        user_id: user_id.clone(),
        project_id,
        roles,
        expires_at,
        unrestricted,
    };
    directory.application_credentials.push(credential.clone());
    let mut out = to_json(&state, &directory, &credential);
    out["secret"] = json!(secret);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"application_credential": out})),
    )
        .into_response())
}

#[derive(Deserialize)]
pub(crate) struct NameFilter {
    name: Option<String>,
}

/// `GET /v3/users/{user_id}/application_credentials` (secrets never shown).
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(filter): Query<NameFilter>,
) -> Result<Response, ApiError> {
    check_owner(&caller, &user_id, "list_application_credentials")?;
    let directory = state.keystone.directory.read();
    let list: Vec<Value> = directory
        .application_credentials
        .iter()
        .filter(|c| c.user_id == user_id)
        .filter(|c| filter.name.as_ref().is_none_or(|n| &c.name == n))
        .map(|c| to_json(&state, &directory, c))
        .collect();
    Ok(axum::Json(json!({
        "application_credentials": list,
        "links": {"self": null, "previous": null, "next": null},
    }))
    .into_response())
}

/// `GET /v3/users/{user_id}/application_credentials/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_owner(&caller, &user_id, "get_application_credential")?;
    let directory = state.keystone.directory.read();
    let credential = directory
        .application_credentials
        .iter()
        .find(|c| c.user_id == user_id && c.id == id)
        .ok_or_else(|| not_found(&id))?;
    Ok(
        axum::Json(json!({"application_credential": to_json(&state, &directory, credential)}))
            .into_response(),
    )
}

/// `DELETE /v3/users/{user_id}/application_credentials/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    check_owner(&caller, &user_id, "delete_application_credential")?;
    check_unrestricted(&state, &headers)?;
    let mut directory = state.keystone.directory.write();
    let before = directory.application_credentials.len();
    directory
        .application_credentials
        .retain(|c| !(c.user_id == user_id && c.id == id));
    if directory.application_credentials.len() == before {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn expiry_dates_parse_as_keystone_reads_them() {
        let now = at("2026-01-01T00:00:00Z");
        let parse = |text: &str| parse_expiry(Some(&json!(text)), now);
        assert_eq!(
            parse("2030-01-02T03:04:05Z").unwrap(),
            Some(at("2030-01-02T03:04:05Z"))
        );
        assert_eq!(
            parse("2030-01-02T03:04:05").unwrap(),
            Some(at("2030-01-02T03:04:05Z"))
        );
        assert_eq!(
            parse("2030-01-02T03:04:05.5").unwrap(),
            Some(at("2030-01-02T03:04:05.5Z"))
        );
        assert_eq!(
            parse("2030-01-02").unwrap(),
            Some(at("2030-01-02T00:00:00Z"))
        );
        assert_eq!(parse_expiry(None, now).unwrap(), None);
        assert_eq!(parse_expiry(Some(&Value::Null), now).unwrap(), None);
        for bad in [
            "tomorrow",
            "2030-13-01T00:00:00",
            "2030-01-02T03:04:05Zjunk",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(
                e.message.starts_with("Timestamp not in expected format"),
                "{bad}: {e}"
            );
        }
        let past = parse("2025-12-31T23:59:59Z").unwrap_err();
        assert!(past.message.contains("must not be before now"), "{past}");
        let number = parse_expiry(Some(&json!(5)), now).unwrap_err();
        assert!(number.message.contains("is not of type"), "{number}");
    }

    #[test]
    fn expiry_is_rendered_without_a_zone() {
        assert_eq!(
            credential_time(at("2030-01-02T03:04:05Z")),
            "2030-01-02T03:04:05.000000"
        );
    }
}
