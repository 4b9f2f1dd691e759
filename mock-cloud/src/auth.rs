//! Who is calling: the token in `X-Auth-Token`, resolved by Keystone into a [`Caller`].

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::app::AppState;
use crate::errors::{ApiError, Service};

/// The authenticated caller of a request, as Keystone's token validation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The user's domain id.
    pub user_domain_id: String,
    /// The project the token is scoped to, if any.
    pub project_id: Option<String>,
    /// The project's name, if project-scoped.
    pub project_name: Option<String>,
    /// The domain the token is scoped to, if domain-scoped.
    pub domain_id: Option<String>,
    /// Whether the token is system-scoped (`system: {"all": true}`).
    pub system: bool,
    /// Role names on the scope (`admin`, `member`, `reader`; admin implies member implies reader).
    pub roles: Vec<String>,
}

impl Caller {
    /// Whether the caller holds `role` on its scope.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Admin: may see and change everything.
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }

    /// Member (or admin): may create and change its project's resources. A reader may not.
    pub(crate) fn can_write(&self) -> bool {
        self.is_admin() || self.has_role("member")
    }
}

/// Whether the request accepts JSON (Glance renders errors as JSON only then).
pub(crate) fn accepts_json(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// The service a request is addressed to, from its full path.
pub(crate) fn service_of(parts: &Parts) -> Service {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    Service::from_path(&path).unwrap_or(Service::Identity)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let service = service_of(parts);
        let mut sent = parts.headers.get_all("x-auth-token").iter();
        let first = sent.next();
        // Two tokens are one unknown token: the WSGI servers in front of the real services
        // join a repeated header with commas, and no token has a comma.
        let token = match (first, sent.next()) {
            (Some(value), None) => value.to_str().ok().filter(|t| !t.is_empty()),
            _ => None,
        };
        match token.and_then(|t| state.keystone.validate(t)) {
            Some(caller) => Ok(caller),
            None => {
                let message = if first.is_none_or(|v| v.is_empty()) {
                    "The request you have made requires authentication."
                } else {
                    "The request you have made requires authentication (token unknown, expired or revoked)."
                };
                let keystone_uri = format!("Keystone uri=\"{}/identity\"", state.base_url);
                // Nova's and Neutron's 401 come from keystonemiddleware, in Keystone's shape.
                let shape = if matches!(service, Service::Compute | Service::Network) {
                    Service::Identity
                } else {
                    service
                };
                Err(ApiError::new(shape, StatusCode::UNAUTHORIZED, message)
                    .json(accepts_json(parts) || service != Service::Image)
                    .header(header::WWW_AUTHENTICATE, &keystone_uri))
            }
        }
    }
}
