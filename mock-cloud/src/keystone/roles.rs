//! Roles, implied roles, grants and `/v3/role_assignments`: who holds which role where.
//!
//! A grant gives a role to a user or a group on a project, a domain or the system; an
//! `OS-INHERIT` grant on a domain or project gives it on every project below instead. An
//! implied role comes with the role implying it (bootstrap's admin → manager → member →
//! reader). Tokens carry the effective roles: a user's own and its groups', inherited from
//! above, with what they imply.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::admin::{
    Fields, duplicate, invalid, listing, member, not_found, pairs, passes, query_truth,
    require_admin, role_json,
};
use super::directory::{Actor, Assignment, Directory, Implication, Role, Target};
use super::{error, forbidden};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// `GET /v3/roles`: any caller holding a role may read them; global roles unless
/// `domain_id` names a domain; `name` and the `name__*` filters.
pub(crate) async fn list_roles(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if caller.roles.is_empty() {
        return Err(forbidden("identity:list_roles"));
    }
    let query = pairs(query.as_deref());
    let domain = query
        .iter()
        .find(|(k, _)| k == "domain_id")
        .map(|(_, v)| v.clone());
    let directory = state.keystone.directory.read();
    let roles: Vec<Value> = directory
        .roles
        .iter()
        .filter(|r| r.domain_id == domain)
        .map(|r| role_json(&state, r))
        .filter(|r| passes(r, &query, &["name"]))
        .collect();
    Ok(Json(listing(&state, "roles", "roles", roles)).into_response())
}

/// `POST /v3/roles` (admins): a global role, or one of a domain.
pub(crate) async fn create_role(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_role")?;
    let body = member(&body, "role")?;
    let fields = Fields::new(&body);
    let name = fields.name("name", 255)?;
    let description = fields.nullable_string("description")?.flatten();
    let domain_id = fields.nullable_string("domain_id")?.flatten();
    let mut directory = state.keystone.directory.write();
    if let Some(domain) = &domain_id
        && directory.domain_by_id(domain).is_none()
    {
        return Err(invalid(format!("Could not find domain: {domain}.")));
    }
    if directory
        .roles
        .iter()
        .any(|r| r.name == name && r.domain_id == domain_id)
    {
        return Err(duplicate("role", &name, domain_id.as_deref()));
    }
    let role = Role {
        id: super::admin::new_id(),
        name,
        domain_id,
        description,
    };
    let doc = role_json(&state, &role);
    directory.roles.push(role);
    Ok((StatusCode::CREATED, Json(json!({"role": doc}))).into_response())
}

/// `GET /v3/roles/{id}`: any caller holding a role.
pub(crate) async fn show_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if caller.roles.is_empty() {
        return Err(forbidden("identity:get_role"));
    }
    let directory = state.keystone.directory.read();
    let role = directory
        .role_by_id(&id)
        .ok_or_else(|| not_found("role", &id))?;
    Ok(Json(json!({"role": role_json(&state, role)})).into_response())
}

/// `PATCH /v3/roles/{id}` (admins): name and description.
pub(crate) async fn update_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_role")?;
    let body = member(&body, "role")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let name = fields.optional_name("name", 255)?;
    let description = fields.nullable_string("description")?;
    let domain = fields.nullable_string("domain_id")?;
    let mut directory = state.keystone.directory.write();
    let index = directory
        .roles
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| not_found("role", &id))?;
    let domain_id = directory.roles[index].domain_id.clone();
    if domain.is_some_and(|d| d != domain_id) {
        return Err(invalid("Update of `domain_id` is not allowed."));
    }
    if let Some(name) = &name
        && directory
            .roles
            .iter()
            .any(|r| &r.name == name && r.domain_id == domain_id && r.id != id)
    {
        return Err(duplicate("role", name, domain_id.as_deref()));
    }
    let role = &mut directory.roles[index];
    if let Some(name) = name {
        role.name = name;
    }
    if let Some(description) = description {
        role.description = description;
    }
    let doc = role_json(&state, role);
    Ok(Json(json!({"role": doc})).into_response())
}

/// `DELETE /v3/roles/{id}` (admins): its assignments and implications go too.
pub(crate) async fn delete_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_role")?;
    let mut directory = state.keystone.directory.write();
    if directory.role_by_id(&id).is_none() {
        return Err(not_found("role", &id));
    }
    directory.remove_role(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// A role as an inference names it: id, name and its link.
fn role_ref(state: &AppState, role: &Role) -> Value {
    json!({
        "id": role.id,
        "links": {"self": format!("{}/identity/v3/roles/{}", state.base_url, role.id)},
        "name": role.name,
    })
}

fn role_of<'a>(directory: &'a Directory, id: &str) -> Result<&'a Role, ApiError> {
    directory
        .role_by_id(id)
        .ok_or_else(|| not_found("role", id))
}

fn not_implied(prior: &str, implied: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("{prior} does not imply {implied}."),
    )
}

fn one_inference(state: &AppState, prior: &Role, implied: &Role) -> Value {
    json!({
        "role_inference": {"prior_role": role_ref(state, prior), "implies": role_ref(state, implied)},
        "links": {"self": format!(
            "{}/identity/v3/roles/{}/implies/{}",
            state.base_url, prior.id, implied.id
        )},
    })
}

/// `PUT /v3/roles/{prior}/implies/{implied}` (admins).
pub(crate) async fn create_implied_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((prior, implied)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_implied_role")?;
    let mut directory = state.keystone.directory.write();
    let prior_role = role_of(&directory, &prior)?.clone();
    let implied_role = role_of(&directory, &implied)?.clone();
    // Keystone's `prohibited_implied_role` (admin), and no role implies itself.
    if implied_role.name == "admin" && implied_role.domain_id.is_none() || prior == implied {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!("{} cannot be an implied roles.", implied_role.id),
        ));
    }
    if implied_role.domain_id.is_some() {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!("{} cannot be an implied roles.", implied_role.id),
        ));
    }
    let implication = Implication {
        prior: prior.clone(),
        implied: implied.clone(),
    };
    if !directory.implications.contains(&implication) {
        directory.implications.push(implication);
    }
    let body = one_inference(&state, &prior_role, &implied_role);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /v3/roles/{prior}/implies/{implied}`.
pub(crate) async fn show_implied_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((prior, implied)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "get_implied_role")?;
    let directory = state.keystone.directory.read();
    let prior_role = role_of(&directory, &prior)?;
    let implied_role = role_of(&directory, &implied)?;
    let implication = Implication {
        prior: prior.clone(),
        implied: implied.clone(),
    };
    if !directory.implications.contains(&implication) {
        return Err(not_implied(&prior, &implied));
    }
    Ok(Json(one_inference(&state, prior_role, implied_role)).into_response())
}

/// `HEAD /v3/roles/{prior}/implies/{implied}`: 204 when it does.
pub(crate) async fn check_implied_role(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    show_implied_role(state, caller, path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v3/roles/{prior}/implies/{implied}` (admins).
pub(crate) async fn delete_implied_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((prior, implied)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_implied_role")?;
    let mut directory = state.keystone.directory.write();
    role_of(&directory, &prior)?;
    role_of(&directory, &implied)?;
    let before = directory.implications.len();
    directory
        .implications
        .retain(|m| !(m.prior == prior && m.implied == implied));
    if directory.implications.len() == before {
        return Err(not_implied(&prior, &implied));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn implied_refs(state: &AppState, directory: &Directory, prior: &str) -> Vec<Value> {
    directory
        .implications
        .iter()
        .filter(|m| m.prior == prior)
        .filter_map(|m| directory.role_by_id(&m.implied))
        .map(|r| role_ref(state, r))
        .collect()
}

/// `GET /v3/roles/{prior}/implies`.
pub(crate) async fn list_implied_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(prior): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_implied_roles")?;
    let directory = state.keystone.directory.read();
    let prior_role = role_of(&directory, &prior)?;
    Ok(Json(json!({
        "role_inference": {
            "prior_role": role_ref(&state, prior_role),
            "implies": implied_refs(&state, &directory, &prior),
        },
        "links": {"self": format!("{}/identity/v3/roles/{prior}/implies", state.base_url)},
    }))
    .into_response())
}

/// `GET /v3/role_inferences`: every implication, by prior role.
pub(crate) async fn list_role_inferences(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_role_inference_rules")?;
    let directory = state.keystone.directory.read();
    let mut priors: Vec<&str> = Vec::new();
    for m in &directory.implications {
        if !priors.contains(&m.prior.as_str()) {
            priors.push(&m.prior);
        }
    }
    let inferences: Vec<Value> = priors
        .into_iter()
        .filter_map(|prior| {
            let role = directory.role_by_id(prior)?;
            Some(json!({
                "prior_role": role_ref(&state, role),
                "implies": implied_refs(&state, &directory, prior),
            }))
        })
        .collect();
    Ok(Json(json!({
        "role_inferences": inferences,
        "links": {"self": format!("{}/identity/v3/role_inferences", state.base_url), "previous": null, "next": null},
    }))
    .into_response())
}

// --- grants --------------------------------------------------------------------------------

/// What a grant's path names its target by.
pub(crate) const PROJECT: u8 = 0;
pub(crate) const DOMAIN: u8 = 1;
pub(crate) const SYSTEM: u8 = 2;
/// What a grant's path names its actor by.
pub(crate) const USER: u8 = 0;
pub(crate) const GROUP: u8 = 1;

/// A grant's path, resolved: the target, the actor and (for one grant) the role.
struct Grant {
    target: Target,
    actor: (u8, String),
    role: Option<String>,
}

fn resolve(
    directory: &Directory,
    kind: u8,
    actor_kind: u8,
    params: &HashMap<String, String>,
) -> Result<Grant, ApiError> {
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let target = match kind {
        PROJECT => {
            let id = param("target");
            directory
                .project_by_id(&id)
                .ok_or_else(|| not_found("project", &id))?;
            Target::Project(id)
        }
        DOMAIN => {
            let id = param("target");
            directory
                .domain_by_id(&id)
                .ok_or_else(|| not_found("domain", &id))?;
            Target::Domain(id)
        }
        _ => Target::System,
    };
    let actor = param("actor");
    if actor_kind == USER {
        directory
            .user_by_id(&actor)
            .ok_or_else(|| not_found("user", &actor))?;
    } else {
        directory
            .group_by_id(&actor)
            .ok_or_else(|| not_found("group", &actor))?;
    }
    let role = params.get("role").cloned();
    if let Some(role) = &role {
        let found = role_of(directory, role)?;
        if let (Some(role_domain), Target::Project(project)) = (&found.domain_id, &target)
            && directory
                .project_by_id(project)
                .is_some_and(|p| &p.domain_id != role_domain)
        {
            return Err(error(
                StatusCode::FORBIDDEN,
                format!(
                    "Project {project} must be in the same domain as the role {role} being assigned."
                ),
            ));
        }
    }
    Ok(Grant {
        target,
        actor: (actor_kind, actor),
        role,
    })
}

impl Grant {
    fn assignment(&self, inherited: bool) -> Assignment {
        let actor = match self.actor.0 {
            USER => Actor::User(&self.actor.1),
            _ => Actor::Group(&self.actor.1),
        };
        Assignment::new(
            actor,
            self.target.clone(),
            self.role.as_deref().unwrap_or_default(),
            inherited,
        )
    }

    fn missing(&self) -> ApiError {
        let target = match &self.target {
            Target::Project(id) | Target::Domain(id) => id.clone(),
            Target::System => "system".to_owned(),
        };
        error(
            StatusCode::NOT_FOUND,
            format!(
                "Could not find role assignment with role: {}, user or group: {}, project, \
                 domain, or system: {target}.",
                self.role.as_deref().unwrap_or_default(),
                self.actor.1
            ),
        )
    }
}

/// `PUT .../{users|groups}/{actor}/roles/{role}[/inherited_to_projects]` (admins).
pub(crate) async fn grant<const KIND: u8, const ACTOR: u8, const INHERITED: bool>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "create_grant")?;
    let mut directory = state.keystone.directory.write();
    let grant = resolve(&directory, KIND, ACTOR, &params)?;
    let assignment = grant.assignment(INHERITED);
    if !directory.assignments.contains(&assignment) {
        directory.assignments.push(assignment);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `HEAD` or `GET .../roles/{role}`: 204 when the grant exists.
pub(crate) async fn check_grant<const KIND: u8, const ACTOR: u8, const INHERITED: bool>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "check_grant")?;
    let directory = state.keystone.directory.read();
    let grant = resolve(&directory, KIND, ACTOR, &params)?;
    if directory.assignments.contains(&grant.assignment(INHERITED)) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(grant.missing())
    }
}

/// `DELETE .../roles/{role}` (admins).
pub(crate) async fn revoke<const KIND: u8, const ACTOR: u8, const INHERITED: bool>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "revoke_grant")?;
    let mut directory = state.keystone.directory.write();
    let grant = resolve(&directory, KIND, ACTOR, &params)?;
    let assignment = grant.assignment(INHERITED);
    let before = directory.assignments.len();
    directory.assignments.retain(|a| *a != assignment);
    if directory.assignments.len() == before {
        return Err(grant.missing());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET .../{users|groups}/{actor}/roles[/inherited_to_projects]`: the roles granted there.
pub(crate) async fn list_grants<const KIND: u8, const ACTOR: u8, const INHERITED: bool>(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_grants")?;
    let directory = state.keystone.directory.read();
    let grant = resolve(&directory, KIND, ACTOR, &params)?;
    let wanted = grant.assignment(INHERITED);
    let roles: Vec<Value> = directory
        .assignments
        .iter()
        .filter(|a| {
            a.actor() == wanted.actor() && a.target == wanted.target && a.inherited == INHERITED
        })
        .filter_map(|a| directory.role_by_id(&a.role))
        .map(|r| role_json(&state, r))
        .collect();
    Ok(Json(json!({
        "roles": roles,
        "links": {"self": null, "previous": null, "next": null},
    }))
    .into_response())
}

// --- /v3/role_assignments ----------------------------------------------------------------------

/// One row of the listing, before rendering.
struct Row<'a> {
    actor: Actor<'a>,
    target: Target,
    role: String,
    inherited: bool,
    /// The grant it comes from, when `effective` derived it (`links.assignment`).
    source: &'a Assignment,
    /// The group whose membership gave it (`links.membership`).
    membership: Option<&'a str>,
    /// The role that implied it (`links.prior_role`).
    prior_role: Option<String>,
}

fn grant_link(state: &AppState, a: &Assignment) -> String {
    let base = format!("{}/identity/v3", state.base_url);
    let actor = match a.actor() {
        Actor::User(id) => format!("users/{id}"),
        Actor::Group(id) => format!("groups/{id}"),
    };
    match (&a.target, a.inherited) {
        (Target::Project(id), false) => format!("{base}/projects/{id}/{actor}/roles/{}", a.role),
        (Target::Domain(id), false) => format!("{base}/domains/{id}/{actor}/roles/{}", a.role),
        (Target::Project(id), true) => format!(
            "{base}/OS-INHERIT/projects/{id}/{actor}/roles/{}/inherited_to_projects",
            a.role
        ),
        (Target::Domain(id), true) => format!(
            "{base}/OS-INHERIT/domains/{id}/{actor}/roles/{}/inherited_to_projects",
            a.role
        ),
        (Target::System, _) => format!("{base}/system/{actor}/roles/{}", a.role),
    }
}

fn named_domain(directory: &Directory, id: &str) -> Value {
    let name = directory.domain_by_id(id).map(|d| d.name.clone());
    json!({"id": id, "name": name})
}

fn render_row(state: &AppState, directory: &Directory, row: &Row<'_>, names: bool) -> Value {
    let mut role = json!({"id": row.role});
    let mut actor = match row.actor {
        Actor::User(id) => json!({"id": id}),
        Actor::Group(id) => json!({"id": id}),
    };
    let mut scope = match &row.target {
        Target::Project(id) => json!({"project": {"id": id}}),
        Target::Domain(id) => json!({"domain": {"id": id}}),
        Target::System => json!({"system": {"all": true}}),
    };
    if names {
        if let Some(r) = directory.role_by_id(&row.role) {
            role["name"] = json!(r.name);
            if let Some(domain) = &r.domain_id {
                role["domain"] = named_domain(directory, domain);
            }
        }
        match row.actor {
            Actor::User(id) => {
                if let Some(u) = directory.user_by_id(id) {
                    actor["name"] = json!(u.name);
                    actor["domain"] = named_domain(directory, &u.domain_id);
                }
            }
            Actor::Group(id) => {
                if let Some(g) = directory.group_by_id(id) {
                    actor["name"] = json!(g.name);
                    actor["domain"] = named_domain(directory, &g.domain_id);
                }
            }
        }
        match &row.target {
            Target::Project(id) => {
                if let Some(p) = directory.project_by_id(id) {
                    scope["project"]["name"] = json!(p.name);
                    scope["project"]["domain"] = named_domain(directory, &p.domain_id);
                }
            }
            Target::Domain(id) => {
                if let Some(d) = directory.domain_by_id(id) {
                    scope["domain"]["name"] = json!(d.name);
                }
            }
            Target::System => {}
        }
    }
    if row.inherited {
        scope["OS-INHERIT:inherited_to"] = json!("projects");
    }
    let mut links = json!({"assignment": grant_link(state, row.source)});
    if let Some(group) = row.membership
        && let Actor::User(user) = row.actor
    {
        links["membership"] = json!(format!(
            "{}/identity/v3/groups/{group}/users/{user}",
            state.base_url
        ));
    }
    if let Some(prior) = &row.prior_role {
        links["prior_role"] = json!(format!("{}/identity/v3/roles/{prior}", state.base_url));
    }
    let mut doc = json!({"role": role, "scope": scope, "links": links});
    match row.actor {
        Actor::User(_) => doc["user"] = actor,
        Actor::Group(_) => doc["group"] = actor,
    }
    doc
}

/// The projects an inherited grant on `target` reaches: every project of a domain, or the
/// projects below a project.
fn reached(directory: &Directory, target: &Target) -> Vec<String> {
    match target {
        Target::Domain(id) => directory
            .projects
            .iter()
            .filter(|p| &p.domain_id == id)
            .map(|p| p.id.clone())
            .collect(),
        Target::Project(id) => directory
            .projects
            .iter()
            .filter(|p| directory.ancestors(&p.id).iter().any(|up| &up.id == id))
            .map(|p| p.id.clone())
            .collect(),
        Target::System => Vec::new(),
    }
}

/// The rows of the listing: the grants as they are, or with `effective` what they amount to
/// (groups as their members, inherited grants on the projects they reach, implied roles).
fn rows(directory: &Directory, effective: bool) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for a in &directory.assignments {
        let actors: Vec<(Actor<'_>, Option<&str>)> = match (a.actor(), effective) {
            (Actor::Group(group), true) => directory
                .group_by_id(group)
                .map(|g| {
                    g.members
                        .iter()
                        .map(|m| (Actor::User(m.as_str()), Some(group)))
                        .collect()
                })
                .unwrap_or_default(),
            (actor, _) => vec![(actor, None)],
        };
        let targets: Vec<Target> = if effective && a.inherited {
            reached(directory, &a.target)
                .into_iter()
                .map(Target::Project)
                .collect()
        } else {
            vec![a.target.clone()]
        };
        let roles: Vec<(String, Option<String>)> = if effective {
            directory
                .expand(&[a.role.as_str()])
                .into_iter()
                .map(|r| {
                    let prior = (r.id != a.role).then(|| a.role.clone());
                    (r.id, prior)
                })
                .collect()
        } else {
            vec![(a.role.clone(), None)]
        };
        for (actor, membership) in &actors {
            for target in &targets {
                for (role, prior_role) in &roles {
                    rows.push(Row {
                        actor: *actor,
                        target: target.clone(),
                        role: role.clone(),
                        inherited: a.inherited && !effective,
                        source: a,
                        membership: *membership,
                        prior_role: prior_role.clone(),
                    });
                }
            }
        }
    }
    rows
}

/// `GET /v3/role_assignments` (admins), with Keystone's filters: `user.id`, `group.id`,
/// `role.id`, `scope.project.id`, `scope.domain.id`, `scope.system`,
/// `scope.OS-INHERIT:inherited_to`, `effective`, `include_names`, `include_subtree`.
pub(crate) async fn list_role_assignments(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_role_assignments")?;
    let query = pairs(query.as_deref());
    let get = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    // A flag is on when present with no value or a true one.
    let flag = |key: &str| get(key).is_some_and(|v| v.is_empty() || query_truth(v));
    let effective = flag("effective");
    let names = flag("include_names");
    let subtree = flag("include_subtree");
    if effective && get("group.id").is_some() {
        return Err(invalid(
            "Combining effective and group filter will always result in an empty list.",
        ));
    }
    if subtree && get("scope.project.id").is_none() {
        return Err(invalid(
            "scope.project.id must be specified if include_subtree is also specified",
        ));
    }
    let directory = state.keystone.directory.read();
    let mut projects: Vec<String> = get("scope.project.id")
        .map(str::to_owned)
        .into_iter()
        .collect();
    if subtree && let Some(project) = get("scope.project.id") {
        projects.extend(reached(&directory, &Target::Project(project.to_owned())));
    }
    let inherited_only = get("scope.OS-INHERIT:inherited_to") == Some("projects");
    let listed: Vec<Value> = rows(&directory, effective)
        .into_iter()
        .filter(|r| {
            get("user.id").is_none_or(|u| r.actor == Actor::User(u))
                && get("group.id").is_none_or(|g| r.actor == Actor::Group(g))
                && get("role.id").is_none_or(|id| r.role == id)
                && (projects.is_empty()
                    || matches!(&r.target, Target::Project(p) if projects.contains(p)))
                && get("scope.domain.id").is_none_or(|d| r.target == Target::Domain(d.to_owned()))
                && get("scope.system").is_none_or(|_| r.target == Target::System)
                && (!inherited_only || r.inherited)
        })
        .map(|r| render_row(&state, &directory, &r, names))
        .collect();
    Ok(Json(listing(
        &state,
        "role_assignments",
        "role_assignments",
        listed,
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystone::secret_hash::Hasher;

    #[test]
    fn effective_rows_expand_groups_inheritance_and_implied_roles() {
        let mut d = Directory::new(None, Hasher::default()).unwrap();
        let demo = d.project("demo", "default").unwrap().id.clone();
        let user = d.user("demo", "default").unwrap().id.clone();
        d.groups.push(super::super::directory::Group {
            id: "g1".into(),
            name: "ops".into(),
            domain_id: "default".into(),
            description: String::new(),
            members: vec![user.clone()],
        });
        let reader = d.global_role("reader").unwrap().id.clone();
        let member = d.global_role("member").unwrap().id.clone();
        d.assignments.push(Assignment::new(
            Actor::Group("g1"),
            Target::Domain("default".into()),
            &member,
            true,
        ));
        let as_is = rows(&d, false);
        assert!(
            as_is
                .iter()
                .any(|r| r.actor == Actor::Group("g1") && r.inherited)
        );
        let effective = rows(&d, true);
        let from_group: Vec<&Row<'_>> = effective
            .iter()
            .filter(|r| r.membership == Some("g1"))
            .collect();
        // member and the reader it implies, on each of the domain's projects (admin, demo).
        assert_eq!(from_group.len(), 4);
        assert!(
            from_group
                .iter()
                .all(|r| r.actor == Actor::User(&user) && !r.inherited)
        );
        assert!(
            from_group
                .iter()
                .any(|r| r.target == Target::Project(demo.clone())
                    && r.role == reader
                    && r.prior_role.as_deref() == Some(member.as_str()))
        );
        // The user's token on the admin project now carries member and reader.
        let admin = d.project("admin", "default").unwrap().id.clone();
        let names: Vec<String> = d
            .effective_roles(&user, &Target::Project(admin))
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["member", "reader"]);
    }
}
