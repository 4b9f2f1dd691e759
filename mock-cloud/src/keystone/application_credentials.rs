//! `/v3/users/{user_id}/application_credentials`: a user makes, lists, shows and deletes its
//! own application credentials. Each is bound to the project of the token that made it and
//! delegates some or all of the user's roles there. The secret is shown once, on creation.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::directory::{ApplicationCredential, Directory, ROLES, Target};
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
        "expires_at": null,
        "unrestricted": null,
        "roles": roles,
        "links": {"self": format!(
            "{}/identity/v3/users/{}/application_credentials/{}",
            state.base_url, c.user_id, c.id
        )},
    })
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
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_owner(&caller, &user_id, "create_application_credential")?;
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
    let secret = match request.get("secret") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) => random_string(),
        Some(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "Invalid input for field 'secret': a non-empty string is required",
            ));
        }
    };
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
            let mut names = Vec::new();
            for role in wanted {
                let found = held.iter().find(|r| {
                    role.get("name").and_then(Value::as_str) == Some(r.name.as_str())
                        || role.get("id").and_then(Value::as_str) == Some(r.id.as_str())
                });
                match found {
                    Some(r) => names.push(r.name.clone()),
                    None => {
                        return Err(forbidden(
                            "identity:create_application_credential (a role the user does not hold)",
                        ));
                    }
                }
            }
            // Delegating a role delegates the ones it implies.
            let strongest = names
                .iter()
                .filter_map(|n| ROLES.iter().position(|r| r == n))
                .min();
            Some(
                directory
                    .implied_from(strongest)
                    .into_iter()
                    .map(|r| r.name)
                    .collect(),
            )
        }
    };
    let credential = ApplicationCredential {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: name.to_owned(),
        secret: secret.clone(),
        user_id: user_id.clone(),
        project_id,
        roles,
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
    Path((user_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    check_owner(&caller, &user_id, "delete_application_credential")?;
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
