//! `POST /v3/auth/tokens`: who is asking (password, token, application credential) and for
//! which scope, turned into a [`Token`].

use std::time::Duration;

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::Value;

use super::directory::{Directory, Target, User};
use super::tokens::{Scope, Token, Tokens, random_string};
use crate::errors::{ApiError, Service};

/// The request body.
#[derive(Deserialize)]
pub(crate) struct AuthRequest {
    auth: Auth,
}

#[derive(Deserialize)]
struct Auth {
    identity: Identity,
    #[serde(default)]
    scope: Option<Value>,
}

#[derive(Deserialize)]
struct Identity {
    methods: Vec<String>,
    #[serde(default)]
    password: Option<PasswordMethod>,
    #[serde(default)]
    token: Option<TokenMethod>,
    #[serde(default)]
    application_credential: Option<ApplicationCredentialMethod>,
}

#[derive(Deserialize)]
struct PasswordMethod {
    user: UserRef,
}

#[derive(Deserialize)]
struct UserRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<NamedRef>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
struct NamedRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct TokenMethod {
    id: String,
}

#[derive(Deserialize)]
struct ApplicationCredentialMethod {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    secret: String,
    #[serde(default)]
    user: Option<UserRef>,
}

/// The scope a request asks for.
enum ScopeRequest {
    Unscoped,
    /// Some scope, left unread (an application credential may not ask for one).
    Requested,
    Project(NamedRefIn),
    Domain(NamedRef),
    System,
}

/// A project by id, or by name within a domain.
struct NamedRefIn {
    id: Option<String>,
    name: Option<String>,
    domain: Option<NamedRef>,
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Identity, StatusCode::BAD_REQUEST, message)
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Identity, StatusCode::UNAUTHORIZED, message)
}

const NEEDS_AUTH: &str = "The request you have made requires authentication.";

impl AuthRequest {
    /// Parses the body, with Keystone's 400 on malformed input.
    pub(crate) fn parse(body: &[u8]) -> Result<AuthRequest, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("Invalid input for request body: {e}")))
    }
}

fn parse_scope(scope: Option<&Value>) -> Result<ScopeRequest, ApiError> {
    let Some(scope) = scope else {
        return Ok(ScopeRequest::Unscoped);
    };
    let named = |v: &Value, what: &str| -> Result<NamedRef, ApiError> {
        let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        let name = v.get("name").and_then(Value::as_str).map(str::to_owned);
        if id.is_none() && name.is_none() {
            return Err(bad_request(format!(
                "Invalid input for field 'scope.{what}': 'id' or 'name' is required"
            )));
        }
        Ok(NamedRef { id, name })
    };
    match scope {
        Value::Null => Ok(ScopeRequest::Unscoped),
        Value::String(s) if s == "unscoped" => Ok(ScopeRequest::Unscoped),
        Value::Object(map) => {
            // Exactly one kind of scope: Keystone refuses project and domain together (and
            // an empty scope) rather than pick one.
            let kinds = ["project", "domain", "unscoped", "system", "OS-TRUST:trust"];
            if kinds.iter().filter(|k| map.contains_key(**k)).count() != 1 {
                return Err(bad_request(
                    "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in \
                     scope. The server could not comply with the request since it is either \
                     malformed or otherwise incorrect. The client is assumed to be in error.",
                ));
            }
            if let Some(project) = map.get("project") {
                let r = named(project, "project")?;
                let domain = match project.get("domain") {
                    Some(d) => Some(named(d, "project.domain")?),
                    None => None,
                };
                if r.id.is_none() && domain.is_none() {
                    return Err(bad_request(
                        "Invalid input for field 'scope.project': a project named by name needs a domain",
                    ));
                }
                Ok(ScopeRequest::Project(NamedRefIn {
                    id: r.id,
                    name: r.name,
                    domain,
                }))
            } else if let Some(domain) = map.get("domain") {
                Ok(ScopeRequest::Domain(named(domain, "domain")?))
            } else if let Some(system) = map.get("system") {
                if system.get("all") == Some(&Value::Bool(true)) {
                    Ok(ScopeRequest::System)
                } else {
                    Err(bad_request(
                        "Invalid input for field 'scope.system': only {\"all\": true} is supported",
                    ))
                }
            } else if map.contains_key("unscoped") {
                Ok(ScopeRequest::Unscoped)
            } else {
                Err(unauthorized("Trusts are not supported by this cloud."))
            }
        }
        _ => Err(bad_request(
            "Invalid input for field 'scope': not an object",
        )),
    }
}

/// Resolves a domain reference; unknown domains are a 401 (as Keystone answers for auth).
fn resolve_domain(directory: &Directory, r: &NamedRef) -> Result<String, ApiError> {
    let found = match (&r.id, &r.name) {
        (Some(id), _) => directory.domain_by_id(id),
        (None, Some(name)) => directory.domains.iter().find(|d| &d.name == name),
        (None, None) => None,
    };
    found
        .map(|d| d.id.clone())
        .ok_or_else(|| unauthorized(NEEDS_AUTH))
}

/// Finds a user by id, or by name + domain.
fn resolve_user<'d>(directory: &'d Directory, r: &UserRef) -> Result<&'d User, ApiError> {
    if let Some(id) = &r.id {
        return directory
            .user_by_id(id)
            .ok_or_else(|| unauthorized(NEEDS_AUTH));
    }
    let Some(name) = &r.name else {
        return Err(bad_request(
            "Invalid input for field 'user': 'id' or 'name' is required",
        ));
    };
    let Some(domain) = &r.domain else {
        return Err(bad_request(
            "Invalid input for field 'user': a user named by name needs a domain",
        ));
    };
    let domain_id = resolve_domain(directory, domain)?;
    directory
        .users
        .iter()
        .find(|u| &u.name == name && u.domain_id == domain_id)
        .ok_or_else(|| unauthorized(NEEDS_AUTH))
}

/// Whether a user may authenticate: enabled, in an enabled domain.
fn usable_user(directory: &Directory, user: &User) -> bool {
    user.enabled
        && directory
            .domain_by_id(&user.domain_id)
            .is_some_and(|d| d.enabled)
}

/// Whether a token may be scoped to a project: enabled, in an enabled domain.
fn usable_project(directory: &Directory, project: &super::directory::Project) -> bool {
    project.enabled
        && directory
            .domain_by_id(&project.domain_id)
            .is_some_and(|d| d.enabled)
}

/// Turns a request into a token and its string.
pub(crate) fn authenticate(
    directory: &Directory,
    tokens: &Tokens,
    ttl: Duration,
    request: &AuthRequest,
) -> Result<(String, Token), ApiError> {
    let identity = &request.auth.identity;
    if identity.methods.is_empty() {
        return Err(bad_request(
            "Invalid input for field 'identity.methods': [] is too short",
        ));
    }
    if identity
        .methods
        .iter()
        .any(|m| !["password", "token", "application_credential"].contains(&m.as_str()))
    {
        // Keystone does not name the method, but lists the ones it takes in `error.identity`.
        return Err(
            unauthorized("Attempted to authenticate with an unsupported method.").identity(
                serde_json::json!({"methods": ["password", "token", "application_credential"]}),
            ),
        );
    }
    let now = Timestamp::now();
    let fresh_expiry = SignedDuration::try_from(ttl)
        .ok()
        .and_then(|d| now.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX);
    let method = identity.methods[0].as_str();
    // An application credential brings its own scope: any scope asked for is refused before
    // it is even read.
    let scope = if method == "application_credential" {
        match request.auth.scope {
            None => ScopeRequest::Unscoped,
            Some(_) => ScopeRequest::Requested,
        }
    } else {
        parse_scope(request.auth.scope.as_ref())?
    };

    let (user, methods, expires_at, audit_ids) = match method {
        "password" => {
            let data = identity.password.as_ref().ok_or_else(|| {
                bad_request(
                    "Invalid input for field 'identity': 'password' is required by its method",
                )
            })?;
            let user = resolve_user(directory, &data.user)?;
            if !data
                .user
                .password
                .as_deref()
                .is_some_and(|password| user.password_hash.verify(password))
            {
                return Err(unauthorized(NEEDS_AUTH));
            }
            (
                user,
                vec!["password".to_owned()],
                fresh_expiry,
                vec![audit_id()],
            )
        }
        "token" => {
            let data = identity.token.as_ref().ok_or_else(|| {
                bad_request("Invalid input for field 'identity': 'token' is required by its method")
            })?;
            // Keystone validates the token as it would for `GET /v3/auth/tokens`: an unknown
            // (or expired) one is a 404, not a 401.
            let original = tokens.get(&data.id).ok_or_else(|| {
                ApiError::new(
                    Service::Identity,
                    StatusCode::NOT_FOUND,
                    "Could not recognize Fernet token",
                )
            })?;
            if original.application_credential.is_some() {
                return Err(unauthorized(
                    "A token created with an application credential cannot be rescoped.",
                ));
            }
            let user = directory
                .user_by_id(&original.user_id)
                .ok_or_else(|| unauthorized(NEEDS_AUTH))?;
            let mut methods = original.methods.clone();
            if !methods.iter().any(|m| m == "token") {
                methods.push("token".to_owned());
            }
            // A rescoped token never outlives the one it came from.
            let audit_ids = vec![audit_id(), original.audit_ids[0].clone()];
            (user, methods, original.expires_at, audit_ids)
        }
        _ => {
            let data = identity.application_credential.as_ref().ok_or_else(|| {
                bad_request(
                    "Invalid input for field 'identity': 'application_credential' is required by its method",
                )
            })?;
            if !matches!(scope, ScopeRequest::Unscoped) {
                return Err(unauthorized(
                    "Error authenticating with application credential: Application credentials \
                     cannot request a scope.",
                )
                .identity(serde_json::json!({})));
            }
            // Keystone answers an unknown (or deleted) credential with 404, and a wrong
            // secret with 401.
            let credential = match (&data.id, &data.name, &data.user) {
                (Some(id), _, _) => directory
                    .application_credentials
                    .iter()
                    .find(|c| &c.id == id)
                    .ok_or_else(|| super::application_credentials::not_found(id))?,
                (None, Some(name), Some(user)) => {
                    let user = resolve_user(directory, user)?;
                    directory
                        .application_credentials
                        .iter()
                        .find(|c| &c.name == name && c.user_id == user.id)
                        .ok_or_else(|| super::application_credentials::not_found(name))?
                }
                _ => {
                    return Err(bad_request(
                        "Invalid input for field 'application_credential': 'id', or 'name' and 'user', is required",
                    ));
                }
            };
            // An expired credential fails like a wrong secret.
            if !credential.secret_hash.verify(&data.secret) || !credential.is_valid_at(now) {
                return Err(unauthorized(NEEDS_AUTH));
            }
            let user = directory
                .user_by_id(&credential.user_id)
                .filter(|u| usable_user(directory, u))
                .ok_or_else(|| unauthorized(NEEDS_AUTH))?;
            let project = directory
                .project_by_id(&credential.project_id)
                .filter(|p| usable_project(directory, p))
                .ok_or_else(|| unauthorized(NEEDS_AUTH))?;
            let held = directory.effective_roles(&user.id, &Target::Project(project.id.clone()));
            let delegated: Vec<&str> = held
                .iter()
                .filter(|r| {
                    credential
                        .roles
                        .as_ref()
                        .is_none_or(|d| d.contains(&r.name))
                })
                .map(|r| r.id.as_str())
                .collect();
            let roles = directory.expand(&delegated);
            if roles.is_empty() {
                return Err(unauthorized(NEEDS_AUTH));
            }
            let token = Token {
                user_id: user.id.clone(),
                user_name: user.name.clone(),
                user_domain_id: user.domain_id.clone(),
                scope: Scope::Project {
                    id: project.id.clone(),
                    name: project.name.clone(),
                    domain_id: project.domain_id.clone(),
                },
                methods: vec!["application_credential".to_owned()],
                roles,
                issued_at: now,
                // A token never outlives its credential (Keystone's fix for CVE-2022-2447).
                expires_at: credential
                    .expires_at
                    .map_or(fresh_expiry, |at| at.min(fresh_expiry)),
                audit_ids: vec![audit_id()],
                application_credential: Some((credential.id.clone(), credential.name.clone())),
            };
            let id = tokens.insert(token.clone());
            return Ok((id, token));
        }
    };

    // Keystone hides why (a disabled user, or its disabled domain) behind the generic 401.
    if !usable_user(directory, user) {
        return Err(unauthorized(NEEDS_AUTH));
    }
    let (scope, roles) = match scope {
        // Only an application credential's request is left unread, and it returned above.
        ScopeRequest::Unscoped | ScopeRequest::Requested => (Scope::Unscoped, Vec::new()),
        ScopeRequest::Project(r) => {
            let project = match (&r.id, &r.name, &r.domain) {
                (Some(id), _, _) => directory.project_by_id(id),
                (None, Some(name), Some(domain)) => {
                    let domain_id = resolve_domain(directory, domain)?;
                    directory
                        .projects
                        .iter()
                        .find(|p| &p.name == name && p.domain_id == domain_id)
                }
                _ => None,
            };
            let wanted = r.id.as_deref().or(r.name.as_deref()).unwrap_or_default();
            let project = project
                .ok_or_else(|| unauthorized(format!("Could not find project: {wanted}.")))?;
            if !usable_project(directory, project) {
                return Err(unauthorized(NEEDS_AUTH));
            }
            let roles = directory.effective_roles(&user.id, &Target::Project(project.id.clone()));
            if roles.is_empty() {
                return Err(unauthorized(format!(
                    "User {} has no access to project {}",
                    user.id, project.id
                )));
            }
            let scope = Scope::Project {
                id: project.id.clone(),
                name: project.name.clone(),
                domain_id: project.domain_id.clone(),
            };
            (scope, roles)
        }
        ScopeRequest::Domain(r) => {
            let domain_id = resolve_domain(directory, &r)?;
            if !directory
                .domain_by_id(&domain_id)
                .is_some_and(|d| d.enabled)
            {
                return Err(unauthorized(NEEDS_AUTH));
            }
            let roles = directory.effective_roles(&user.id, &Target::Domain(domain_id.clone()));
            if roles.is_empty() {
                return Err(unauthorized(format!(
                    "User {} has no access to domain {domain_id}",
                    user.id
                )));
            }
            (Scope::Domain { id: domain_id }, roles)
        }
        ScopeRequest::System => {
            let roles = directory.effective_roles(&user.id, &Target::System);
            if roles.is_empty() {
                return Err(unauthorized(format!(
                    "User {} has no access to the system",
                    user.id
                )));
            }
            (Scope::System, roles)
        }
    };
    let token = Token {
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        user_domain_id: user.domain_id.clone(),
        scope,
        methods,
        roles,
        issued_at: now,
        expires_at,
        audit_ids,
        application_credential: None,
    };
    let id = tokens.insert(token.clone());
    Ok((id, token))
}

/// An audit id: 16 random bytes, URL-safe base64, as Keystone makes them.
fn audit_id() -> String {
    random_string()[..22].to_owned()
}
