//! Keystone v3 authentication: what to prove ([`Credentials`]), what to ask for ([`Scope`]),
//! the `POST /auth/tokens` request that carries both, and what comes back: the [`Token`]
//! with its catalog ([`CatalogEntry`]).
//!
//! The session keeps the token in a cache, renews it before it expires, and
//! re-authenticates once (shared by every concurrent call) on a 401.

use serde_json::{Value, json};

use crate::config::{AuthType, CloudConfig};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};
use crate::secret::Secret;

pub(crate) mod cache;
mod catalog;
mod token;

pub(crate) use catalog::find_endpoint;
pub use catalog::{CatalogEndpoint, CatalogEntry};
pub use token::{NamedRef, Principal, Token};
pub(crate) use token::{TokenEnvelope, parse_keystone_time};

/// A domain, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    /// `{"id": ...}`
    Id(String),
    /// `{"name": ...}`
    Name(String),
}

/// A user, by id or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// `{"id": ...}`
    Id(String),
    /// `{"name": ..., "domain": ...}`
    Name {
        /// The user's name.
        name: String,
        /// The user's domain.
        domain: DomainRef,
    },
}

/// A project, by id or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    /// `{"id": ...}`
    Id(String),
    /// `{"name": ..., "domain": ...}`
    Name {
        /// The project's name.
        name: String,
        /// The project's domain.
        domain: DomainRef,
    },
}

/// What the caller proves. Secrets are [`Secret`]s: printing a `Credentials` never shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// The `password` method.
    Password {
        /// Who.
        user: UserRef,
        /// The password.
        password: Secret,
    },
    /// The `token` method: an existing token, exchanged for a (re)scoped one.
    Token {
        /// The existing token.
        token: Secret,
    },
    /// The `application_credential` method. Its token is scoped by the credential itself.
    ApplicationCredential {
        /// The credential, by id, or by name with its owner.
        credential: ApplicationCredentialRef,
        /// The credential's secret.
        secret: Secret,
    },
}

/// An application credential, by id or by name and owning user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationCredentialRef {
    /// `{"id": ...}`
    Id(String),
    /// `{"name": ..., "user": ...}`
    Name {
        /// The credential's name.
        name: String,
        /// The user who owns it.
        user: UserRef,
    },
}

/// What the token is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// No scope: the token proves who the user is and nothing more (no catalog).
    #[default]
    Unscoped,
    /// A project.
    Project(ProjectRef),
    /// A domain.
    Domain(DomainRef),
    /// The whole deployment (`system: {"all": true}`).
    System,
}

/// Everything needed to get a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// What to prove.
    pub credentials: Credentials,
    /// What to ask for (always [`Scope::Unscoped`] with application credentials).
    pub scope: Scope,
}

impl Auth {
    /// The authentication a cloud configuration asks for; `None` for `auth_type: none`.
    /// Missing pieces are [`ErrorKind::Config`](crate::ErrorKind::Config) errors naming the key.
    pub fn from_config(config: &CloudConfig) -> Result<Option<Self>> {
        let cloud = config.name.as_deref().unwrap_or("(environment)");
        let missing = |what: &str| {
            Error::config(format!(
                "cloud {cloud}: {what} is required for auth_type {}",
                auth_type_name(&config.auth_type)
            ))
        };
        let a = &config.auth;
        let credentials = match config.auth_type {
            AuthType::None => return Ok(None),
            AuthType::Password => Credentials::Password {
                user: user_ref(config).ok_or_else(|| {
                    missing("auth.user_id, or auth.username with auth.user_domain_name or auth.user_domain_id,")
                })?,
                password: a
                    .password
                    .clone()
                    .ok_or_else(|| missing("auth.password"))?,
            },
            AuthType::Token => Credentials::Token {
                token: a.token.clone().ok_or_else(|| missing("auth.token"))?,
            },
            AuthType::ApplicationCredential => {
                let secret = a
                    .application_credential_secret
                    .clone()
                    .ok_or_else(|| missing("auth.application_credential_secret"))?;
                let credential = match (&a.application_credential_id, &a.application_credential_name) {
                    (Some(id), _) => ApplicationCredentialRef::Id(id.clone()),
                    (None, Some(name)) => ApplicationCredentialRef::Name {
                        name: name.clone(),
                        user: user_ref(config).ok_or_else(|| {
                            missing("auth.user_id, or auth.username with a user domain, (for auth.application_credential_name)")
                        })?,
                    },
                    (None, None) => {
                        return Err(missing(
                            "auth.application_credential_id or auth.application_credential_name",
                        ));
                    }
                };
                Credentials::ApplicationCredential { credential, secret }
            }
        };
        let scope = match credentials {
            // Keystone refuses a scope with an application credential: the credential is scoped.
            Credentials::ApplicationCredential { .. } => Scope::Unscoped,
            _ => scope(config).map_err(missing)?,
        };
        Ok(Some(Self { credentials, scope }))
    }

    /// The `POST /auth/tokens` request for this authentication. Its body carries the secret:
    /// print it only through [`Request::redacted`] or `Debug`, which mask it.
    pub fn token_request(&self) -> Request {
        let identity = match &self.credentials {
            Credentials::Password { user, password } => {
                let mut user = user_json(user);
                user["password"] = Value::String(password.expose().to_owned());
                json!({"methods": ["password"], "password": {"user": user}})
            }
            Credentials::Token { token } => {
                json!({"methods": ["token"], "token": {"id": token.expose()}})
            }
            Credentials::ApplicationCredential { credential, secret } => {
                let mut credential = match credential {
                    ApplicationCredentialRef::Id(id) => json!({"id": id}),
                    ApplicationCredentialRef::Name { name, user } => {
                        json!({"name": name, "user": user_json(user)})
                    }
                };
                credential["secret"] = Value::String(secret.expose().to_owned());
                json!({"methods": ["application_credential"], "application_credential": credential})
            }
        };
        let mut auth = json!({"identity": identity});
        match &self.scope {
            Scope::Unscoped => {}
            Scope::Project(ProjectRef::Id(id)) => auth["scope"] = json!({"project": {"id": id}}),
            Scope::Project(ProjectRef::Name { name, domain }) => {
                auth["scope"] = json!({"project": {"name": name, "domain": domain_json(domain)}})
            }
            Scope::Domain(domain) => auth["scope"] = json!({"domain": domain_json(domain)}),
            Scope::System => auth["scope"] = json!({"system": {"all": true}}),
        }
        Request::post(ServiceType::Identity, "/auth/tokens").json(json!({"auth": auth}))
    }
}

fn auth_type_name(auth_type: &AuthType) -> &'static str {
    match auth_type {
        AuthType::Password => "password",
        AuthType::Token => "token",
        AuthType::ApplicationCredential => "v3applicationcredential",
        AuthType::None => "none",
    }
}

/// The user's domain: its own keys first, then the defaults (`default_domain_*`), then
/// `domain_*`, as openstacksdk fills them.
fn user_domain(config: &CloudConfig) -> Option<DomainRef> {
    let a = &config.auth;
    domain_from(&[
        (&a.user_domain_id, &a.user_domain_name),
        (&a.default_domain_id, &a.default_domain_name),
        (&a.domain_id, &a.domain_name),
    ])
}

fn project_domain(config: &CloudConfig) -> Option<DomainRef> {
    let a = &config.auth;
    domain_from(&[
        (&a.project_domain_id, &a.project_domain_name),
        (&a.default_domain_id, &a.default_domain_name),
        (&a.domain_id, &a.domain_name),
    ])
}

fn domain_from(candidates: &[(&Option<String>, &Option<String>)]) -> Option<DomainRef> {
    candidates.iter().find_map(|(id, name)| match (id, name) {
        (Some(id), _) => Some(DomainRef::Id(id.to_string())),
        (None, Some(name)) => Some(DomainRef::Name(name.to_string())),
        (None, None) => None,
    })
}

fn user_ref(config: &CloudConfig) -> Option<UserRef> {
    let a = &config.auth;
    match (&a.user_id, &a.username) {
        (Some(id), _) => Some(UserRef::Id(id.clone())),
        (None, Some(name)) => Some(UserRef::Name {
            name: name.clone(),
            domain: user_domain(config)?,
        }),
        (None, None) => None,
    }
}

/// The scope: system, then project, then domain, else unscoped. `Err` names what is missing.
fn scope(config: &CloudConfig) -> std::result::Result<Scope, &'static str> {
    let a = &config.auth;
    if a.system_scope.is_some() {
        return Ok(Scope::System);
    }
    if let Some(id) = &a.project_id {
        return Ok(Scope::Project(ProjectRef::Id(id.clone())));
    }
    if let Some(name) = &a.project_name {
        let domain = project_domain(config)
            .ok_or("auth.project_domain_name or auth.project_domain_id (for auth.project_name)")?;
        return Ok(Scope::Project(ProjectRef::Name {
            name: name.clone(),
            domain,
        }));
    }
    Ok(domain_from(&[(&a.domain_id, &a.domain_name)])
        .map(Scope::Domain)
        .unwrap_or(Scope::Unscoped))
}

fn domain_json(domain: &DomainRef) -> Value {
    match domain {
        DomainRef::Id(id) => json!({"id": id}),
        DomainRef::Name(name) => json!({"name": name}),
    }
}

fn user_json(user: &UserRef) -> Value {
    match user {
        UserRef::Id(id) => json!({"id": id}),
        UserRef::Name { name, domain } => json!({"name": name, "domain": domain_json(domain)}),
    }
}

#[cfg(test)]
mod tests;
