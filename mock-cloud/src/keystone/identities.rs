//! `/v3/users` and `/v3/groups`: Keystone's identity API. Users carry a salted hash of their
//! password and whatever extra attributes the caller set (`email`, `description`); a
//! disabled or deleted user's tokens stop working at once. Groups hold users, and a group's
//! role assignments reach its members.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::admin::{
    Fields, domain_for_new, duplicate, filtered, group_json, invalid, listing, member, merge_extra,
    new_id, not_found, pairs, passes, project_json, require_admin, user_json,
};
use super::directory::{Group, User};
use super::{error, forbidden};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// The fields of a user body that are not extra attributes.
const USER_FIELDS: [&str; 7] = [
    "id",
    "name",
    "domain_id",
    "default_project_id",
    "password",
    "enabled",
    "options",
];

/// `password`: a string, or `null` for none.
fn password(body: &Map<String, Value>) -> Result<Option<Option<String>>, ApiError> {
    match body.get("password") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(p)) => Ok(Some(Some(p.clone()))),
        // The value is a secret: the message does not repeat it.
        Some(_) => Err(invalid(
            "Invalid input for field 'password': the value is not of type 'string', 'null'",
        )),
    }
}

/// `GET /v3/users` (admins): `name`, `domain_id`, `enabled` and the `name__*` filters.
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_users")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let users = directory.users.iter().map(|u| user_json(&state, u));
    let allowed = ["name", "domain_id", "enabled"];
    Ok(Json(filtered(&state, "users", "users", users, &query, &allowed)).into_response())
}

/// `POST /v3/users` (admins).
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_user")?;
    let body = member(&body, "user")?;
    let fields = Fields::new(&body);
    let name = fields.name("name", 255)?;
    let domain = fields.nullable_string("domain_id")?;
    let default_project_id = fields.nullable_string("default_project_id")?.flatten();
    let enabled = fields.boolean("enabled")?.unwrap_or(true);
    let password = password(&body)?.flatten();
    let extra = fields.extra(&USER_FIELDS);
    let mut directory = state.keystone.directory.write();
    let domain_id = domain_for_new(&directory, &caller, domain)?;
    if directory
        .users
        .iter()
        .any(|u| u.name == name && u.domain_id == domain_id)
    {
        return Err(duplicate("user", &name, Some(&domain_id)));
    }
    let user = User {
        id: new_id(),
        name,
        domain_id,
        // A user made without a password cannot log in with any.
        password_hash: password
            .map(|p| directory.hasher.hash(&p))
            .unwrap_or_default(),
        legacy_password: None,
        enabled,
        default_project_id,
        extra,
    };
    let doc = user_json(&state, &user);
    directory.users.push(user);
    Ok((StatusCode::CREATED, Json(json!({"user": doc}))).into_response())
}

/// `GET /v3/users/{id}`: admins, and the user itself.
pub(crate) async fn show_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.user_id != id {
        return Err(forbidden("identity:get_user"));
    }
    let directory = state.keystone.directory.read();
    let user = directory
        .user_by_id(&id)
        .ok_or_else(|| not_found("user", &id))?;
    Ok(Json(json!({"user": user_json(&state, user)})).into_response())
}

/// `PATCH /v3/users/{id}` (admins).
pub(crate) async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_user")?;
    let body = member(&body, "user")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let name = fields.optional_name("name", 255)?;
    let domain = fields.nullable_string("domain_id")?;
    let default_project_id = fields.nullable_string("default_project_id")?;
    let enabled = fields.boolean("enabled")?;
    let password = password(&body)?;
    let extra = fields.extra(&USER_FIELDS);
    let mut directory = state.keystone.directory.write();
    let index = directory
        .users
        .iter()
        .position(|u| u.id == id)
        .ok_or_else(|| not_found("user", &id))?;
    let domain_id = directory.users[index].domain_id.clone();
    if domain.is_some_and(|d| d.as_deref() != Some(domain_id.as_str())) {
        return Err(invalid("Cannot change Domain ID"));
    }
    if let Some(name) = &name
        && directory
            .users
            .iter()
            .any(|u| &u.name == name && u.domain_id == domain_id && u.id != id)
    {
        return Err(duplicate("user", name, Some(&domain_id)));
    }
    let hash = password.map(|p| match p {
        Some(p) => directory.hasher.hash(&p),
        None => Default::default(),
    });
    let user = &mut directory.users[index];
    if let Some(name) = name {
        user.name = name;
    }
    if let Some(project) = default_project_id {
        user.default_project_id = project;
    }
    if let Some(enabled) = enabled {
        user.enabled = enabled;
    }
    if let Some(hash) = hash {
        user.password_hash = hash;
    }
    merge_extra(&mut user.extra, extra);
    let doc = user_json(&state, user);
    Ok(Json(json!({"user": doc})).into_response())
}

/// `DELETE /v3/users/{id}` (admins): its assignments, memberships and credentials go too.
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_user")?;
    let mut directory = state.keystone.directory.write();
    if directory.user_by_id(&id).is_none() {
        return Err(not_found("user", &id));
    }
    directory.remove_user(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v3/users/{id}/password`: the user itself, with its current password.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if caller.user_id != id {
        return Err(forbidden("identity:change_password"));
    }
    let body = member(&body, "user")?;
    let text = |field: &str| match body.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(invalid(format!("'{field}' is a required property"))),
        Some(_) => Err(invalid(format!(
            "Invalid input for field '{field}': the value is not of type 'string'"
        ))),
    };
    let original = text("original_password")?;
    let new = text("password")?;
    let mut directory = state.keystone.directory.write();
    let hash = directory.hasher.hash(&new);
    let user = directory
        .users
        .iter_mut()
        .find(|u| u.id == id)
        .ok_or_else(|| not_found("user", &id))?;
    if !user.password_hash.verify(&original) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "The request you have made requires authentication.",
        ));
    }
    user.password_hash = hash;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v3/users/{id}/projects`: admins, and the user itself.
pub(crate) async fn user_projects(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.user_id != id {
        return Err(forbidden("identity:list_user_projects"));
    }
    let directory = state.keystone.directory.read();
    if directory.user_by_id(&id).is_none() {
        return Err(not_found("user", &id));
    }
    let projects: Vec<Value> = directory
        .projects_of(&id)
        .into_iter()
        .map(|p| project_json(&state, p))
        .collect();
    let path = format!("users/{id}/projects");
    Ok(Json(listing(&state, "projects", &path, projects)).into_response())
}

/// `GET /v3/users/{id}/groups`: admins, and the user itself.
pub(crate) async fn user_groups(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.user_id != id {
        return Err(forbidden("identity:list_groups_for_user"));
    }
    let directory = state.keystone.directory.read();
    if directory.user_by_id(&id).is_none() {
        return Err(not_found("user", &id));
    }
    let groups: Vec<Value> = directory
        .groups_of(&id)
        .map(|g| {
            let mut doc = group_json(&state, g);
            doc["membership_expires_at"] = Value::Null;
            doc
        })
        .collect();
    let path = format!("users/{id}/groups");
    Ok(Json(listing(&state, "groups", &path, groups)).into_response())
}

/// `GET /v3/groups` (admins): `name`, `domain_id` and the `name__*` filters.
pub(crate) async fn list_groups(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_groups")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let groups = directory.groups.iter().map(|g| group_json(&state, g));
    let allowed = ["name", "domain_id"];
    Ok(Json(filtered(
        &state, "groups", "groups", groups, &query, &allowed,
    ))
    .into_response())
}

/// `POST /v3/groups` (admins).
pub(crate) async fn create_group(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_group")?;
    let body = member(&body, "group")?;
    let fields = Fields::new(&body);
    let name = fields.name("name", 64)?;
    let description = fields.nullable_string("description")?.flatten();
    let domain = fields.nullable_string("domain_id")?;
    let mut directory = state.keystone.directory.write();
    let domain_id = domain_for_new(&directory, &caller, domain)?;
    if directory
        .groups
        .iter()
        .any(|g| g.name == name && g.domain_id == domain_id)
    {
        return Err(duplicate("group", &name, Some(&domain_id)));
    }
    let group = Group {
        id: new_id(),
        name,
        domain_id,
        description: description.unwrap_or_default(),
        members: Vec::new(),
    };
    let doc = group_json(&state, &group);
    directory.groups.push(group);
    Ok((StatusCode::CREATED, Json(json!({"group": doc}))).into_response())
}

/// `GET /v3/groups/{id}` (admins).
pub(crate) async fn show_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "get_group")?;
    let directory = state.keystone.directory.read();
    let group = directory
        .group_by_id(&id)
        .ok_or_else(|| not_found("group", &id))?;
    Ok(Json(json!({"group": group_json(&state, group)})).into_response())
}

/// `PATCH /v3/groups/{id}` (admins): name and description.
pub(crate) async fn update_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_group")?;
    let body = member(&body, "group")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let name = fields.optional_name("name", 64)?;
    let description = fields.nullable_string("description")?;
    let domain = fields.nullable_string("domain_id")?;
    let mut directory = state.keystone.directory.write();
    let index = directory
        .groups
        .iter()
        .position(|g| g.id == id)
        .ok_or_else(|| not_found("group", &id))?;
    let domain_id = directory.groups[index].domain_id.clone();
    if domain.is_some_and(|d| d.as_deref() != Some(domain_id.as_str())) {
        return Err(invalid("Cannot change Domain ID"));
    }
    if let Some(name) = &name
        && directory
            .groups
            .iter()
            .any(|g| &g.name == name && g.domain_id == domain_id && g.id != id)
    {
        return Err(duplicate("group", name, Some(&domain_id)));
    }
    let group = &mut directory.groups[index];
    if let Some(name) = name {
        group.name = name;
    }
    if let Some(description) = description {
        group.description = description.unwrap_or_default();
    }
    let doc = group_json(&state, group);
    Ok(Json(json!({"group": doc})).into_response())
}

/// `DELETE /v3/groups/{id}` (admins): its assignments go too.
pub(crate) async fn delete_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_group")?;
    let mut directory = state.keystone.directory.write();
    if directory.group_by_id(&id).is_none() {
        return Err(not_found("group", &id));
    }
    directory.remove_group(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v3/groups/{id}/users` (admins).
pub(crate) async fn group_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_users_in_group")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let group = directory
        .group_by_id(&id)
        .ok_or_else(|| not_found("group", &id))?;
    let users: Vec<Value> = group
        .members
        .iter()
        .filter_map(|m| directory.user_by_id(m))
        .map(|u| {
            let mut doc = user_json(&state, u);
            doc["membership_expires_at"] = Value::Null;
            doc
        })
        .filter(|u| passes(u, &query, &["name", "domain_id", "enabled"]))
        .collect();
    let path = format!("groups/{id}/users");
    Ok(Json(listing(&state, "users", &path, users)).into_response())
}

fn not_in_group(user: &str, group: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("User '{user}' not found in group '{group}'"),
    )
}

/// `PUT /v3/groups/{group}/users/{user}` (admins).
pub(crate) async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "add_user_to_group")?;
    let mut directory = state.keystone.directory.write();
    if directory.user_by_id(&user).is_none() {
        return Err(not_found("user", &user));
    }
    let entry = directory
        .groups
        .iter_mut()
        .find(|g| g.id == group)
        .ok_or_else(|| not_found("group", &group))?;
    if !entry.members.contains(&user) {
        entry.members.push(user);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `HEAD` or `GET /v3/groups/{group}/users/{user}` (admins): 204 when a member.
pub(crate) async fn check_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "check_user_in_group")?;
    let directory = state.keystone.directory.read();
    if directory.user_by_id(&user).is_none() {
        return Err(not_found("user", &user));
    }
    let entry = directory
        .group_by_id(&group)
        .ok_or_else(|| not_found("group", &group))?;
    if entry.members.contains(&user) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_in_group(&user, &group))
    }
}

/// `DELETE /v3/groups/{group}/users/{user}` (admins).
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "remove_user_from_group")?;
    let mut directory = state.keystone.directory.write();
    let Some(entry) = directory.groups.iter_mut().find(|g| g.id == group) else {
        return Err(not_found("group", &group));
    };
    let before = entry.members.len();
    entry.members.retain(|m| *m != user);
    if entry.members.len() == before {
        if directory.user_by_id(&user).is_none() {
            return Err(not_found("user", &user));
        }
        return Err(not_in_group(&user, &group));
    }
    Ok(StatusCode::NO_CONTENT)
}
