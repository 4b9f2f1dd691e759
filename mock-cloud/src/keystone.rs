//! Keystone v3 at `/identity`: discovery, tokens (password, token, application credential;
//! project, domain, system and unscoped), validate/check/revoke, the catalog, and enough of
//! users and projects for `openstack token issue` and `openstack catalog list`.

pub(crate) mod application_credentials;
pub(crate) mod authenticate;
pub(crate) mod catalog;
pub(crate) mod directory;
mod json_body;
pub(crate) mod records;
pub(crate) mod secret_hash;
pub(crate) mod tokens;

use std::sync::RwLock;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use self::authenticate::AuthRequest;
use self::directory::{Directory, Project, Target};
use self::records::SavedDirectory;
use self::secret_hash::Hasher;
use self::tokens::{Scope, Token, Tokens};
use crate::app::AppState;
use crate::auth::Caller;
use crate::cloud::Options;
use crate::cloud::seed::Seed;
use crate::db::Db;
use crate::errors::{ApiError, Service};

/// Identity state: the directory (users, projects, roles, credentials) and the tokens.
pub struct Keystone {
    base_url: String,
    ttl: RwLock<Duration>,
    directory: SavedDirectory,
    tokens: Tokens,
}

/// Keystone's timestamps: microseconds and `Z` (`2026-01-02T03:04:05.123456Z`).
pub(crate) fn keystone_time(ts: Timestamp) -> String {
    format!(
        "{}.{:06}Z",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        ts.subsec_microsecond()
    )
}

impl Keystone {
    /// The directory and tokens kept in the state database (with what `options.seed` adds
    /// to them), or the defaults plus `options.seed`.
    pub(crate) fn new(base_url: &str, options: &Options, db: &Db) -> anyhow::Result<Self> {
        Ok(Self {
            base_url: base_url.to_owned(),
            ttl: RwLock::new(options.token_ttl),
            directory: SavedDirectory::open(
                db,
                options.seed.as_ref(),
                Hasher::new(options.secret_hash_rounds),
            )?,
            tokens: Tokens::load(db)?,
        })
    }

    /// The caller a token stands for, if it is valid (known, not expired, not revoked, and
    /// its application credential, if any, still there).
    pub(crate) fn validate(&self, token: &str) -> Option<Caller> {
        let token = self.tokens.get(token)?;
        if let Some((id, _)) = &token.application_credential {
            let directory = self.directory.read();
            let now = Timestamp::now();
            directory
                .application_credentials
                .iter()
                .find(|c| &c.id == id)
                .filter(|c| c.is_valid_at(now))?;
        }
        Some(token.caller())
    }

    /// Whether `token` came from an application credential that is not `unrestricted`: such
    /// a token may not create or delete application credentials.
    pub(crate) fn is_restricted_credential_token(&self, token: &str) -> bool {
        let Some(token) = self.tokens.get(token) else {
            return false;
        };
        let Some((id, _)) = &token.application_credential else {
            return false;
        };
        let directory = self.directory.read();
        directory
            .application_credentials
            .iter()
            .find(|c| &c.id == id)
            .is_none_or(|c| c.unrestricted != Some(true))
    }

    /// Back to the defaults plus `seed`; every token is forgotten.
    pub(crate) fn reset(&self, seed: Option<&Seed>) -> anyhow::Result<()> {
        let hasher = self.directory.read().hasher;
        self.directory.replace(Directory::new(seed, hasher)?)?;
        self.tokens.clear();
        Ok(())
    }

    /// Adds a seed document's regions, domains, projects, users and credentials.
    pub(crate) fn apply_seed(&self, seed: &Seed) -> anyhow::Result<()> {
        self.directory.write().apply(seed)
    }

    /// The id of the project named `name` in the default domain.
    pub fn project_id(&self, name: &str) -> Option<String> {
        let directory = self.directory.read();
        directory.project(name, "default").map(|p| p.id.clone())
    }

    /// A project-scoped token for a user of the default domain, issued without HTTP (for tests
    /// and the control plane). The user needs a role on the project.
    pub(crate) fn issue_token(&self, user: &str, project: &str) -> anyhow::Result<String> {
        let directory = self.directory.read();
        let user = directory
            .user(user, "default")
            .ok_or_else(|| anyhow::anyhow!("no user '{user}' in domain default"))?;
        let project = directory
            .project(project, "default")
            .ok_or_else(|| anyhow::anyhow!("no project '{project}' in domain default"))?;
        let roles = directory.effective_roles(&user.id, &Target::Project(project.id.clone()));
        anyhow::ensure!(
            !roles.is_empty(),
            "user '{}' has no role on project '{}'",
            user.name,
            project.name
        );
        let now = Timestamp::now();
        let ttl = jiff::SignedDuration::try_from(*self.ttl.read().expect("ttl lock"))?;
        Ok(self.tokens.insert(Token {
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            user_domain_id: user.domain_id.clone(),
            scope: Scope::Project {
                id: project.id.clone(),
                name: project.name.clone(),
                domain_id: project.domain_id.clone(),
            },
            methods: vec!["password".to_owned()],
            roles,
            issued_at: now,
            expires_at: now.checked_add(ttl).unwrap_or(Timestamp::MAX),
            audit_ids: vec![tokens::random_string()[..22].to_owned()],
            application_credential: None,
        }))
    }

    fn domain_json(directory: &Directory, id: &str) -> Value {
        let name = directory
            .domain_by_id(id)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        json!({"id": id, "name": name})
    }

    fn catalog(&self, directory: &Directory) -> Value {
        catalog::render(&self.base_url, &directory.regions)
    }

    /// The token body Keystone sends on issue and validate.
    fn render(&self, token: &Token, with_catalog: bool) -> Value {
        let directory = self.directory.read();
        let mut body = json!({
            "methods": token.methods,
            "user": {
                "id": token.user_id,
                "name": token.user_name,
                "domain": Self::domain_json(&directory, &token.user_domain_id),
                "password_expires_at": null,
            },
            "audit_ids": token.audit_ids,
            "expires_at": keystone_time(token.expires_at),
            "issued_at": keystone_time(token.issued_at),
        });
        match &token.scope {
            Scope::Unscoped => {}
            Scope::Project {
                id,
                name,
                domain_id,
            } => {
                body["project"] = json!({
                    "id": id,
                    "name": name,
                    "domain": Self::domain_json(&directory, domain_id),
                });
                body["is_domain"] = json!(false);
            }
            Scope::Domain { id } => body["domain"] = Self::domain_json(&directory, id),
            Scope::System => body["system"] = json!({"all": true}),
        }
        if token.scope != Scope::Unscoped {
            body["roles"] = token
                .roles
                .iter()
                .map(|r| json!({"id": r.id, "name": r.name}))
                .collect();
            if with_catalog {
                body["catalog"] = self.catalog(&directory);
            }
        }
        if let Some((id, name)) = &token.application_credential {
            let restricted = !directory
                .application_credentials
                .iter()
                .any(|c| &c.id == id && c.unrestricted == Some(true));
            body["application_credential"] =
                json!({"id": id, "name": name, "restricted": restricted});
        }
        json!({ "token": body })
    }

    fn project_json(&self, project: &Project) -> Value {
        json!({
            "id": project.id,
            "name": project.name,
            "domain_id": project.domain_id,
            "description": "",
            "enabled": true,
            "parent_id": project.domain_id,
            "is_domain": false,
            "tags": [],
            "options": {},
            "links": {"self": format!("{}/identity/v3/projects/{}", self.base_url, project.id)},
        })
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Identity, status, message)
}

fn forbidden(action: &str) -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        format!("You are not authorized to perform the requested action: {action}."),
    )
}

/// Adds `WWW-Authenticate` to Keystone's 401s.
fn with_challenge(state: &AppState, e: ApiError) -> ApiError {
    if e.status == StatusCode::UNAUTHORIZED {
        let uri = format!("Keystone uri=\"{}/identity\"", state.base_url);
        e.header(header::WWW_AUTHENTICATE, &uri)
    } else {
        e
    }
}

/// Routes under `/identity`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route(
            "/v3/auth/tokens",
            get(validate_token).post(issue_token).delete(revoke_token),
        )
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/users/{id}", get(show_user))
        .route("/v3/users/{id}/projects", get(user_projects))
        .route(
            "/v3/users/{id}/application_credentials",
            get(application_credentials::index).post(application_credentials::create),
        )
        .route(
            "/v3/users/{id}/application_credentials/{credential_id}",
            get(application_credentials::show).delete(application_credentials::delete),
        )
        .route("/v3/users", get(list_users))
        .route("/v3/roles", get(list_roles))
        .route("/v3/domains", get(list_domains))
        .route("/v3/domains/{id}", get(show_domain))
        .route("/v3/projects", get(list_projects))
        .route("/v3/projects/{id}", get(show_project))
        .fallback(not_implemented)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(json_body::enforce))
}

/// Unknown routes: Keystone's own error body naming the route, never an empty 404.
async fn not_implemented(method: Method, uri: OriginalUri) -> ApiError {
    error(
        StatusCode::NOT_IMPLEMENTED,
        format!(
            "The route {method} {} is not implemented by this cloud.",
            uri.path()
        ),
    )
}

async fn method_not_allowed(method: Method, uri: OriginalUri) -> ApiError {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The method {method} is not allowed for {}.", uri.path()),
    )
}

fn version_json(state: &AppState) -> Value {
    json!({
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/identity/v3/", state.base_url)}],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json",
        }],
    })
}

/// `GET /`: 300 with the one version, and (as Keystone does) `Location` naming the preferred
/// one, the identity root itself.
async fn versions(State(state): State<AppState>) -> Response {
    let body = json!({"versions": {"values": [version_json(&state)]}});
    let preferred = format!("{}/identity/", state.base_url);
    (
        StatusCode::MULTIPLE_CHOICES,
        [(header::LOCATION, preferred)],
        axum::Json(body),
    )
        .into_response()
}

async fn version(State(state): State<AppState>) -> Response {
    axum::Json(json!({"version": version_json(&state)})).into_response()
}

/// `?nocatalog` (any value) leaves the catalog out.
#[derive(Deserialize)]
struct CatalogQuery {
    nocatalog: Option<String>,
}

fn token_response(status: StatusCode, token_id: &str, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(token_id) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

async fn issue_token(
    State(state): State<AppState>,
    Query(query): Query<CatalogQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = AuthRequest::parse(&body).map_err(|e| with_challenge(&state, e))?;
    let ttl = *state.keystone.ttl.read().expect("ttl lock");
    let (id, token) = {
        let directory = state.keystone.directory.read();
        authenticate::authenticate(&directory, &state.keystone.tokens, ttl, &request)
            .map_err(|e| with_challenge(&state, e))?
    };
    let body = state.keystone.render(&token, query.nocatalog.is_none());
    Ok(token_response(StatusCode::CREATED, &id, body))
}

/// The subject token of validate/check/revoke, once the caller may look at it.
fn subject(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<(String, Token), ApiError> {
    let id = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "The X-Subject-Token header is required.",
            )
        })?;
    let token = state
        .keystone
        .tokens
        .get(id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Could not find token."))?;
    if !caller.is_admin() && caller.user_id != token.user_id {
        return Err(forbidden("identity:validate_token"));
    }
    Ok((id.to_owned(), (*token).clone()))
}

async fn validate_token(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CatalogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, token) = subject(&state, &caller, &headers)?;
    let body = state.keystone.render(&token, query.nocatalog.is_none());
    Ok(token_response(StatusCode::OK, &id, body))
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let (id, _) = subject(&state, &caller, &headers)?;
    state.keystone.tokens.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

async fn auth_catalog(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    // Keystone builds the catalog from a project's endpoints: domain- and system-scoped
    // tokens are refused like unscoped ones.
    if caller.project_id.is_none() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "A project-scoped token is required to produce a service catalog.",
        ));
    }
    let directory = state.keystone.directory.read();
    let body = json!({
        "catalog": state.keystone.catalog(&directory),
        // Keystone's catalog is not a paged collection: its links name only `self`.
        "links": {"self": format!("{}/identity/v3/auth/catalog", state.base_url)},
    });
    Ok(axum::Json(body).into_response())
}

async fn auth_projects(State(state): State<AppState>, caller: Caller) -> Response {
    let projects: Vec<Value> = {
        let directory = state.keystone.directory.read();
        directory
            .projects_of(&caller.user_id)
            .into_iter()
            .map(|p| state.keystone.project_json(p))
            .collect()
    };
    axum::Json(json!({
        "projects": projects,
        "links": {"self": format!("{}/identity/v3/auth/projects", state.base_url), "previous": null, "next": null},
    }))
    .into_response()
}

async fn auth_domains(State(state): State<AppState>, caller: Caller) -> Response {
    let directory = state.keystone.directory.read();
    let domains: Vec<Value> = directory
        .domains
        .iter()
        .filter(|d| {
            !directory
                .effective_roles(&caller.user_id, &Target::Domain(d.id.clone()))
                .is_empty()
        })
        .map(|d| json!({"id": d.id, "name": d.name, "enabled": true, "description": ""}))
        .collect();
    axum::Json(json!({"domains": domains, "links": {"self": null, "previous": null, "next": null}}))
        .into_response()
}

async fn show_user(
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
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("Could not find user: {id}.")))?;
    Ok(axum::Json(json!({"user": user_json(&state, user)})).into_response())
}

async fn user_projects(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.user_id != id {
        return Err(forbidden("identity:list_user_projects"));
    }
    let directory = state.keystone.directory.read();
    if directory.user_by_id(&id).is_none() {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("Could not find user: {id}."),
        ));
    }
    let projects: Vec<Value> = directory
        .projects_of(&id)
        .into_iter()
        .map(|p| state.keystone.project_json(p))
        .collect();
    Ok(axum::Json(
        json!({"projects": projects, "links": {"self": null, "previous": null, "next": null}}),
    )
    .into_response())
}

fn user_json(state: &AppState, user: &directory::User) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": true,
        "password_expires_at": null,
        "options": {},
        "links": {"self": format!("{}/identity/v3/users/{}", state.base_url, user.id)},
    })
}

fn domain_json(state: &AppState, domain: &directory::Domain) -> Value {
    json!({
        "id": domain.id,
        "name": domain.name,
        "description": "",
        "enabled": true,
        "tags": [],
        "options": {},
        "links": {"self": format!("{}/identity/v3/domains/{}", state.base_url, domain.id)},
    })
}

fn list_links(state: &AppState, what: &str) -> Value {
    json!({"self": format!("{}/identity/v3/{what}", state.base_url), "previous": null, "next": null})
}

/// `GET /v3/users` (admins), filtered by `name` and `domain_id`.
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<ProjectFilter>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(forbidden("identity:list_users"));
    }
    let directory = state.keystone.directory.read();
    let users: Vec<Value> = directory
        .users
        .iter()
        .filter(|u| filter.name.as_ref().is_none_or(|n| &u.name == n))
        .filter(|u| filter.domain_id.as_ref().is_none_or(|d| &u.domain_id == d))
        .map(|u| user_json(&state, u))
        .collect();
    Ok(axum::Json(json!({"users": users, "links": list_links(&state, "users")})).into_response())
}

/// `GET /v3/roles`: any caller holding a role may read them; filtered by `name`.
async fn list_roles(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<NameFilter>,
) -> Result<Response, ApiError> {
    if caller.roles.is_empty() {
        return Err(forbidden("identity:list_roles"));
    }
    let directory = state.keystone.directory.read();
    let roles: Vec<Value> = directory
        .roles
        .iter()
        .filter(|r| filter.name.as_ref().is_none_or(|n| &r.name == n))
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "domain_id": null,
                "description": null,
                "options": {},
                "links": {"self": format!("{}/identity/v3/roles/{}", state.base_url, r.id)},
            })
        })
        .collect();
    Ok(axum::Json(json!({"roles": roles, "links": list_links(&state, "roles")})).into_response())
}

/// `name` and `enabled` filters of a listing.
#[derive(Deserialize)]
struct NameFilter {
    name: Option<String>,
    enabled: Option<String>,
}

impl NameFilter {
    /// Whether an enabled thing passes `enabled=` (every domain here is enabled; Keystone
    /// reads `0`, `false`, `f`, `no`, `n` and `off` as false, in any case).
    fn lets_enabled_in(&self) -> bool {
        self.enabled.as_deref().is_none_or(|value| {
            !matches!(
                value.to_ascii_lowercase().as_str(),
                "0" | "false" | "f" | "no" | "n" | "off"
            )
        })
    }
}

/// `GET /v3/domains` (admins), filtered by `name` and `enabled`.
async fn list_domains(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<NameFilter>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(forbidden("identity:list_domains"));
    }
    let directory = state.keystone.directory.read();
    let domains: Vec<Value> = directory
        .domains
        .iter()
        .filter(|d| filter.name.as_ref().is_none_or(|n| &d.name == n))
        .filter(|_| filter.lets_enabled_in())
        .map(|d| domain_json(&state, d))
        .collect();
    Ok(
        axum::Json(json!({"domains": domains, "links": list_links(&state, "domains")}))
            .into_response(),
    )
}

/// `GET /v3/domains/{id}`: admins, and users of that domain.
async fn show_domain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.user_domain_id != id {
        return Err(forbidden("identity:get_domain"));
    }
    let directory = state.keystone.directory.read();
    let domain = directory.domain_by_id(&id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!("Could not find domain: {id}."),
        )
    })?;
    Ok(axum::Json(json!({"domain": domain_json(&state, domain)})).into_response())
}

#[derive(Deserialize)]
struct ProjectFilter {
    name: Option<String>,
    domain_id: Option<String>,
}

async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<ProjectFilter>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(forbidden("identity:list_projects"));
    }
    let directory = state.keystone.directory.read();
    let projects: Vec<Value> = directory
        .projects
        .iter()
        .filter(|p| filter.name.as_ref().is_none_or(|n| &p.name == n))
        .filter(|p| filter.domain_id.as_ref().is_none_or(|d| &p.domain_id == d))
        .map(|p| state.keystone.project_json(p))
        .collect();
    Ok(axum::Json(json!({
        "projects": projects,
        "links": {"self": format!("{}/identity/v3/projects", state.base_url), "previous": null, "next": null},
    }))
    .into_response())
}

async fn show_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() && caller.project_id.as_deref() != Some(id.as_str()) {
        return Err(forbidden("identity:get_project"));
    }
    let directory = state.keystone.directory.read();
    let project = directory.project_by_id(&id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!("Could not find project: {id}."),
        )
    })?;
    Ok(axum::Json(json!({"project": state.keystone.project_json(project)})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_time_has_microseconds_and_z() {
        let ts: Timestamp = "2026-01-02T03:04:05.123456789Z".parse().unwrap();
        assert_eq!(keystone_time(ts), "2026-01-02T03:04:05.123456Z");
    }
}
