//! `/v3/domains` and `/v3/projects`: Keystone's resource API, with its hierarchy (a project's
//! parent, `?cascade`), its rules (a domain is disabled before it is deleted; a project
//! with children is not deleted; a disabled domain or project yields no token) and policy
//! (writes and listings are admin's; a scoped user may read its own domain and project).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::admin::{
    Fields, conflict, domain_for_new, domain_json, filtered, invalid, listing, member, merge_extra,
    new_id, not_found, pairs, passes, project_json, query_truth, require_admin,
};
use super::directory::{Directory, Domain, Project};
use super::{error, forbidden};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// The fields of a domain or project body that are not extra attributes.
const PROJECT_FIELDS: [&str; 9] = [
    "id",
    "name",
    "description",
    "enabled",
    "tags",
    "options",
    "domain_id",
    "parent_id",
    "is_domain",
];

fn domain_conflict(name: &str) -> ApiError {
    conflict(
        "project",
        &format!(
            "it is not permitted to have two projects acting as domains with the same name: {name}"
        ),
    )
}

fn project_conflict(name: &str, id: &str) -> ApiError {
    conflict(
        "project",
        &format!(
            "it is not permitted to have two projects with either the same name or same id in \
             the same domain: name is {name}, project id {id}"
        ),
    )
}

/// `GET /v3/domains` (admins): `name`, `enabled` and the `name__*` filters.
pub(crate) async fn list_domains(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_domains")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let domains = directory.domains.iter().map(|d| domain_json(&state, d));
    let body = filtered(
        &state,
        "domains",
        "domains",
        domains,
        &query,
        &["name", "enabled"],
    );
    Ok(Json(body).into_response())
}

/// `POST /v3/domains` (admins).
pub(crate) async fn create_domain(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_domain")?;
    let body = member(&body, "domain")?;
    let fields = Fields::new(&body);
    let name = fields.name("name", 64)?;
    let description = fields.nullable_string("description")?.flatten();
    let enabled = fields.boolean("enabled")?.unwrap_or(true);
    let tags = fields.strings("tags")?.unwrap_or_default();
    let extra = fields.extra(&PROJECT_FIELDS);
    let mut directory = state.keystone.directory.write();
    if directory.domains.iter().any(|d| d.name == name) {
        return Err(domain_conflict(&name));
    }
    let mut domain = Domain::new(new_id(), name);
    domain.description = description.unwrap_or_default();
    domain.enabled = enabled;
    domain.tags = tags;
    domain.extra = extra;
    let doc = domain_json(&state, &domain);
    directory.domains.push(domain);
    Ok((StatusCode::CREATED, Json(json!({"domain": doc}))).into_response())
}

/// `GET /v3/domains/{id}`: admins, and users of that domain or scoped to it.
pub(crate) async fn show_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin()
        && caller.user_domain_id != id
        && caller.domain_id.as_deref() != Some(id.as_str())
    {
        return Err(forbidden("identity:get_domain"));
    }
    let directory = state.keystone.directory.read();
    let domain = directory
        .domain_by_id(&id)
        .ok_or_else(|| not_found("domain", &id))?;
    Ok(Json(json!({"domain": domain_json(&state, domain)})).into_response())
}

/// `PATCH /v3/domains/{id}` (admins): name, description, enabled, tags, extra attributes.
pub(crate) async fn update_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_domain")?;
    let body = member(&body, "domain")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id", "domain_id", "parent_id", "is_domain"])?;
    let name = fields.optional_name("name", 64)?;
    let description = fields.nullable_string("description")?;
    let enabled = fields.boolean("enabled")?;
    let tags = fields.strings("tags")?;
    let extra = fields.extra(&PROJECT_FIELDS);
    let mut directory = state.keystone.directory.write();
    let index = directory
        .domains
        .iter()
        .position(|d| d.id == id)
        .ok_or_else(|| not_found("domain", &id))?;
    if let Some(name) = &name
        && directory
            .domains
            .iter()
            .any(|d| &d.name == name && d.id != id)
    {
        return Err(domain_conflict(name));
    }
    let domain = &mut directory.domains[index];
    if let Some(name) = name {
        domain.name = name;
    }
    if let Some(description) = description {
        domain.description = description.unwrap_or_default();
    }
    if let Some(enabled) = enabled {
        domain.enabled = enabled;
    }
    if let Some(tags) = tags {
        domain.tags = tags;
    }
    merge_extra(&mut domain.extra, extra);
    let doc = domain_json(&state, domain);
    Ok(Json(json!({"domain": doc})).into_response())
}

/// `DELETE /v3/domains/{id}` (admins): a disabled domain, with everything in it.
pub(crate) async fn delete_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_domain")?;
    let mut directory = state.keystone.directory.write();
    let domain = directory
        .domain_by_id(&id)
        .ok_or_else(|| not_found("domain", &id))?;
    if domain.enabled {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Cannot delete a domain that is enabled, please disable it first.",
        ));
    }
    directory.remove_domain(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a project passes the tag filters of a listing (`tags`, `tags-any`, `not-tags`,
/// `not-tags-any`, each a comma-separated list).
fn passes_tags(project: &Project, query: &[(String, String)]) -> bool {
    query.iter().all(|(key, value)| {
        let wanted: Vec<&str> = value.split(',').filter(|t| !t.is_empty()).collect();
        let has = |t: &&str| project.tags.iter().any(|p| p == t);
        match key.as_str() {
            "tags" => wanted.iter().all(has),
            "tags-any" => wanted.iter().any(has),
            "not-tags" => !wanted.iter().all(has),
            "not-tags-any" => !wanted.iter().any(has),
            _ => true,
        }
    })
}

/// `GET /v3/projects` (admins): `name`, `domain_id`, `parent_id`, `enabled`, `is_domain`
/// and the tag filters.
pub(crate) async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_projects")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let projects: Vec<Value> = directory
        .projects
        .iter()
        .filter(|p| passes_tags(p, &query))
        .map(|p| project_json(&state, p))
        .filter(|p| {
            passes(
                p,
                &query,
                &["name", "domain_id", "parent_id", "enabled", "is_domain"],
            )
        })
        .collect();
    Ok(Json(listing(&state, "projects", "projects", projects)).into_response())
}

/// `POST /v3/projects` (admins): in a domain, or below a parent project.
pub(crate) async fn create_project(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_project")?;
    let body = member(&body, "project")?;
    let fields = Fields::new(&body);
    let name = fields.name("name", 64)?;
    let description = fields.nullable_string("description")?.flatten();
    let enabled = fields.boolean("enabled")?.unwrap_or(true);
    let tags = fields.strings("tags")?.unwrap_or_default();
    let domain = fields.nullable_string("domain_id")?;
    let parent = fields.nullable_string("parent_id")?.flatten();
    if fields.boolean("is_domain")? == Some(true) {
        return Err(error(
            StatusCode::NOT_IMPLEMENTED,
            "Projects acting as domains are not implemented by this cloud: create a domain.",
        ));
    }
    let extra = fields.extra(&PROJECT_FIELDS);
    let mut directory = state.keystone.directory.write();
    let (domain_id, parent_id) = match parent {
        // A parent that is a domain puts the project at the top of that domain.
        Some(parent) if directory.domain_by_id(&parent).is_some() => (parent, None),
        Some(parent) => {
            let found = directory
                .project_by_id(&parent)
                .ok_or_else(|| invalid(format!("Could not find project: {parent}.")))?;
            let domain_id = found.domain_id.clone();
            if domain
                .as_ref()
                .is_some_and(|d| d.as_deref() != Some(domain_id.as_str()))
            {
                return Err(error(
                    StatusCode::FORBIDDEN,
                    "Cannot create project, the parent and the project being created must be in \
                     the same domain.",
                ));
            }
            (domain_id, Some(parent))
        }
        None => (domain_for_new(&directory, &caller, domain)?, None),
    };
    if directory
        .projects
        .iter()
        .any(|p| p.name == name && p.domain_id == domain_id)
    {
        let id = new_id();
        return Err(project_conflict(&name, &id));
    }
    let mut project = Project::new(new_id(), name, domain_id);
    project.description = description.unwrap_or_default();
    project.enabled = enabled;
    project.parent_id = parent_id;
    project.tags = tags;
    project.extra = extra;
    let doc = project_json(&state, &project);
    directory.projects.push(project);
    Ok((StatusCode::CREATED, Json(json!({"project": doc}))).into_response())
}

/// `GET /v3/projects/{id}`: admins, and tokens scoped to it.
pub(crate) async fn show_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.project_id.as_deref() != Some(id.as_str()) {
        return Err(forbidden("identity:get_project"));
    }
    let directory = state.keystone.directory.read();
    let project = directory
        .project_by_id(&id)
        .ok_or_else(|| not_found("project", &id))?;
    Ok(Json(json!({"project": project_json(&state, project)})).into_response())
}

fn children<'a>(directory: &'a Directory, id: &str) -> Vec<&'a Project> {
    directory
        .projects
        .iter()
        .filter(|p| p.parent_id.as_deref() == Some(id))
        .collect()
}

/// The projects below `id`, deepest last.
fn subtree(directory: &Directory, id: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    let mut frontier = vec![id.to_owned()];
    while i < frontier.len() {
        for child in children(directory, &frontier[i]) {
            if !found.contains(&child.id) && child.id != id {
                found.push(child.id.clone());
                frontier.push(child.id.clone());
            }
        }
        i += 1;
    }
    found
}

/// `PATCH /v3/projects/{id}` (admins).
pub(crate) async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_project")?;
    let body = member(&body, "project")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let name = fields.optional_name("name", 64)?;
    let description = fields.nullable_string("description")?;
    let enabled = fields.boolean("enabled")?;
    let tags = fields.strings("tags")?;
    let domain = fields.nullable_string("domain_id")?;
    let parent = fields.nullable_string("parent_id")?;
    let is_domain = fields.boolean("is_domain")?;
    let extra = fields.extra(&PROJECT_FIELDS);
    let mut directory = state.keystone.directory.write();
    let index = directory
        .projects
        .iter()
        .position(|p| p.id == id)
        .ok_or_else(|| not_found("project", &id))?;
    let original = directory.projects[index].clone();
    if domain.is_some_and(|d| d.as_deref() != Some(original.domain_id.as_str())) {
        return Err(invalid("Update of `domain_id` is not allowed."));
    }
    let parent_now = original.parent_id.as_deref().unwrap_or(&original.domain_id);
    if parent.is_some_and(|p| p.as_deref() != Some(parent_now)) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Update of `parent_id` is not allowed.",
        ));
    }
    if is_domain == Some(true) {
        return Err(invalid("Update of `is_domain` is not allowed."));
    }
    if let Some(name) = &name
        && directory
            .projects
            .iter()
            .any(|p| &p.name == name && p.domain_id == original.domain_id && p.id != id)
    {
        return Err(project_conflict(name, &id));
    }
    if enabled == Some(false) && original.enabled {
        let enabled_below = subtree(&directory, &id)
            .iter()
            .any(|p| directory.project_by_id(p).is_some_and(|p| p.enabled));
        if enabled_below {
            return Err(error(
                StatusCode::FORBIDDEN,
                format!("Cannot disable project {id} since its subtree contains enabled projects."),
            ));
        }
    }
    if enabled == Some(true)
        && !original.enabled
        && let Some(up) = directory.ancestors(&id).into_iter().find(|p| !p.enabled)
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!(
                "Cannot enable project {id} since it has disabled parents: {}",
                up.id
            ),
        ));
    }
    let project = &mut directory.projects[index];
    if let Some(name) = name {
        project.name = name;
    }
    if let Some(description) = description {
        project.description = description.unwrap_or_default();
    }
    if let Some(enabled) = enabled {
        project.enabled = enabled;
    }
    if let Some(tags) = tags {
        project.tags = tags;
    }
    merge_extra(&mut project.extra, extra);
    let doc = project_json(&state, project);
    Ok(Json(json!({"project": doc})).into_response())
}

/// `DELETE /v3/projects/{id}[?cascade]` (admins): a leaf, or with `cascade` a subtree whose
/// projects below are all disabled.
pub(crate) async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_project")?;
    let cascade = pairs(query.as_deref())
        .iter()
        .any(|(k, v)| k == "cascade" && (v.is_empty() || query_truth(v)));
    let mut directory = state.keystone.directory.write();
    if directory.project_by_id(&id).is_none() {
        return Err(not_found("project", &id));
    }
    let below = subtree(&directory, &id);
    if !below.is_empty() && !cascade {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!(
                "Cannot delete the project {id} since it is not a leaf in the hierarchy. Use the \
                 cascade option if you want to delete a whole subtree."
            ),
        ));
    }
    if below
        .iter()
        .any(|p| directory.project_by_id(p).is_some_and(|p| p.enabled))
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!("Cannot delete project {id} since its subtree contains enabled projects."),
        ));
    }
    for project in below.iter().rev() {
        directory.remove_project(project);
    }
    directory.remove_project(&id);
    Ok(StatusCode::NO_CONTENT)
}
