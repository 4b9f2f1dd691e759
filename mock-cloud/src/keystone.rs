//! Keystone v3 at `/identity`: discovery, tokens (password, token, application credential;
//! project, domain, system and unscoped), validate/check/revoke, the catalog, and the admin
//! API: domains and projects, users and groups, roles, implied roles, grants and role
//! assignments, regions, services and endpoints — with Keystone's rules, filters, policy
//! and error bodies.

mod admin;
pub(crate) mod application_credentials;
pub(crate) mod authenticate;
pub(crate) mod catalog;
mod catalog_api;
pub(crate) mod directory;
mod identities;
mod json_body;
pub(crate) mod records;
mod resources;
mod roles;
pub(crate) mod secret_hash;
pub(crate) mod tokens;

use std::sync::RwLock;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use self::authenticate::AuthRequest;
use self::directory::{Directory, Target};
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
        {
            // A token stops working when its user, the user's domain or the project it is
            // scoped to is disabled or deleted.
            let directory = self.directory.read();
            let user = directory.user_by_id(&token.user_id)?;
            let domain_enabled = |id: &str| directory.domain_by_id(id).is_some_and(|d| d.enabled);
            if !user.enabled || !domain_enabled(&user.domain_id) {
                return None;
            }
            match &token.scope {
                Scope::Project { id, .. } => {
                    let project = directory.project_by_id(id)?;
                    if !project.enabled || !domain_enabled(&project.domain_id) {
                        return None;
                    }
                }
                Scope::Domain { id } if !domain_enabled(id) => return None,
                _ => {}
            }
        }
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

    fn catalog(&self, directory: &Directory, project_id: Option<&str>) -> Value {
        catalog::render(&self.base_url, directory, project_id)
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
                let project = match &token.scope {
                    Scope::Project { id, .. } => Some(id.as_str()),
                    _ => None,
                };
                body["catalog"] = self.catalog(&directory, project);
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
        .route(
            "/v3/users",
            get(identities::list_users).post(identities::create_user),
        )
        .route(
            "/v3/users/{id}",
            get(identities::show_user)
                .patch(identities::update_user)
                .delete(identities::delete_user),
        )
        .route("/v3/users/{id}/password", post(identities::change_password))
        .route("/v3/users/{id}/projects", get(identities::user_projects))
        .route("/v3/users/{id}/groups", get(identities::user_groups))
        .route(
            "/v3/users/{id}/application_credentials",
            get(application_credentials::index).post(application_credentials::create),
        )
        .route(
            "/v3/users/{id}/application_credentials/{credential_id}",
            get(application_credentials::show).delete(application_credentials::delete),
        )
        .route(
            "/v3/groups",
            get(identities::list_groups).post(identities::create_group),
        )
        .route(
            "/v3/groups/{id}",
            get(identities::show_group)
                .patch(identities::update_group)
                .delete(identities::delete_group),
        )
        .route("/v3/groups/{id}/users", get(identities::group_users))
        .route(
            "/v3/groups/{group}/users/{user}",
            put(identities::add_member)
                .head(identities::check_member)
                .get(identities::check_member)
                .delete(identities::remove_member),
        )
        .route(
            "/v3/domains",
            get(resources::list_domains).post(resources::create_domain),
        )
        .route(
            "/v3/domains/{id}",
            get(resources::show_domain)
                .patch(resources::update_domain)
                .delete(resources::delete_domain),
        )
        .route(
            "/v3/projects",
            get(resources::list_projects).post(resources::create_project),
        )
        .route(
            "/v3/projects/{id}",
            get(resources::show_project)
                .patch(resources::update_project)
                .delete(resources::delete_project),
        )
        .route("/v3/roles", get(roles::list_roles).post(roles::create_role))
        .route(
            "/v3/roles/{id}",
            get(roles::show_role)
                .patch(roles::update_role)
                .delete(roles::delete_role),
        )
        .route("/v3/roles/{id}/implies", get(roles::list_implied_roles))
        .route(
            "/v3/roles/{prior}/implies/{implied}",
            put(roles::create_implied_role)
                .get(roles::show_implied_role)
                .head(roles::check_implied_role)
                .delete(roles::delete_implied_role),
        )
        .route("/v3/role_inferences", get(roles::list_role_inferences))
        .route("/v3/role_assignments", get(roles::list_role_assignments))
        .route(
            "/v3/regions",
            get(catalog_api::list_regions).post(catalog_api::create_region),
        )
        .route(
            "/v3/regions/{id}",
            get(catalog_api::show_region)
                .put(catalog_api::put_region)
                .patch(catalog_api::update_region)
                .delete(catalog_api::delete_region),
        )
        .route(
            "/v3/services",
            get(catalog_api::list_services).post(catalog_api::create_service),
        )
        .route(
            "/v3/services/{id}",
            get(catalog_api::show_service)
                .patch(catalog_api::update_service)
                .delete(catalog_api::delete_service),
        )
        .route(
            "/v3/endpoints",
            get(catalog_api::list_endpoints).post(catalog_api::create_endpoint),
        )
        .route(
            "/v3/endpoints/{id}",
            get(catalog_api::show_endpoint)
                .patch(catalog_api::update_endpoint)
                .delete(catalog_api::delete_endpoint),
        )
        .merge(grant_routes())
        .fallback(not_implemented)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(json_body::enforce))
}

/// The grant routes: a role for a user or group on a project, a domain or the system, and
/// `OS-INHERIT`'s inherited ones on a domain's or a project's subtree.
fn grant_routes() -> Router<AppState> {
    use roles::{DOMAIN, GROUP, PROJECT, SYSTEM, USER};
    use roles::{check_grant, grant, list_grants, revoke};
    macro_rules! grants {
        ($router:expr, $prefix:literal, $suffix:literal, $kind:ident, $actor:ident, $inherited:literal) => {
            $router
                .route(
                    concat!($prefix, "/roles/{role}", $suffix),
                    put(grant::<$kind, $actor, $inherited>)
                        .head(check_grant::<$kind, $actor, $inherited>)
                        .get(check_grant::<$kind, $actor, $inherited>)
                        .delete(revoke::<$kind, $actor, $inherited>),
                )
                .route(
                    concat!($prefix, "/roles", $suffix),
                    get(list_grants::<$kind, $actor, $inherited>),
                )
        };
    }
    let router = Router::new();
    let router = grants!(
        router,
        "/v3/projects/{target}/users/{actor}",
        "",
        PROJECT,
        USER,
        false
    );
    let router = grants!(
        router,
        "/v3/projects/{target}/groups/{actor}",
        "",
        PROJECT,
        GROUP,
        false
    );
    let router = grants!(
        router,
        "/v3/domains/{target}/users/{actor}",
        "",
        DOMAIN,
        USER,
        false
    );
    let router = grants!(
        router,
        "/v3/domains/{target}/groups/{actor}",
        "",
        DOMAIN,
        GROUP,
        false
    );
    let router = grants!(router, "/v3/system/users/{actor}", "", SYSTEM, USER, false);
    let router = grants!(
        router,
        "/v3/system/groups/{actor}",
        "",
        SYSTEM,
        GROUP,
        false
    );
    let router = grants!(
        router,
        "/v3/OS-INHERIT/projects/{target}/users/{actor}",
        "/inherited_to_projects",
        PROJECT,
        USER,
        true
    );
    let router = grants!(
        router,
        "/v3/OS-INHERIT/projects/{target}/groups/{actor}",
        "/inherited_to_projects",
        PROJECT,
        GROUP,
        true
    );
    let router = grants!(
        router,
        "/v3/OS-INHERIT/domains/{target}/users/{actor}",
        "/inherited_to_projects",
        DOMAIN,
        USER,
        true
    );
    grants!(
        router,
        "/v3/OS-INHERIT/domains/{target}/groups/{actor}",
        "/inherited_to_projects",
        DOMAIN,
        GROUP,
        true
    )
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
        "catalog": state.keystone.catalog(&directory, caller.project_id.as_deref()),
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
            .map(|p| admin::project_json(&state, p))
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
        .filter(|d| d.enabled)
        .map(|d| json!({"id": d.id, "name": d.name, "enabled": d.enabled, "description": d.description}))
        .collect();
    axum::Json(json!({"domains": domains, "links": {"self": null, "previous": null, "next": null}}))
        .into_response()
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
