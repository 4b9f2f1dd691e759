//! Keystone: tokens, the catalog, the current user and project — what
//! `openstack token issue` and `openstack catalog list` show.
//!
//! ```no_run
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! let identity = cloud.identity();
//! let token = identity.issue().await?;
//! println!("expires {} for user {}", token.expires_at, token.user.id);
//! for entry in identity.catalog().await? {
//!     println!("{} ({:?})", entry.service_type, entry.name);
//! }
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use serde::Deserialize;

use crate::auth::{CatalogEntry, Token, TokenEnvelope};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::secret::Secret;
use crate::session::Session;

mod project;
pub mod requests;
mod user;

pub use project::Project;
pub use user::User;

/// A handle on Keystone. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    session: Session,
}

impl IdentityClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A fresh token for the session's credentials (`openstack token issue`). The session's
    /// own cached token is left as it is.
    pub async fn issue(&self) -> Result<Token> {
        self.session.issue_token().await
    }

    /// The session's own token, authenticating first if needed.
    pub async fn current_token(&self) -> Result<Arc<Token>> {
        self.session.token().await?.ok_or_else(no_keystone)
    }

    /// The details of `token`, as Keystone validates it (`GET /auth/tokens`).
    pub async fn validate(&self, token: &Secret) -> Result<Token> {
        let response = self.session.send(requests::validate(token, false)).await?;
        let mut validated = response.json::<TokenEnvelope>().await?.token;
        validated.id = token.clone();
        Ok(validated)
    }

    /// Whether `token` is valid (`HEAD /auth/tokens`): `false` when Keystone does not know it.
    pub async fn check(&self, token: &Secret) -> Result<bool> {
        match self.session.send(requests::check(token)).await {
            Ok(_) => Ok(true),
            Err(err) if err.is_not_found() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Revokes `token` (`DELETE /auth/tokens`).
    pub async fn revoke(&self, token: &Secret) -> Result<()> {
        self.session.send(requests::revoke(token)).await?;
        Ok(())
    }

    /// The catalog of the session's token (`GET /auth/catalog`).
    pub async fn catalog(&self) -> Result<Vec<CatalogEntry>> {
        #[derive(Deserialize)]
        struct Envelope {
            catalog: Vec<CatalogEntry>,
        }
        let envelope: Envelope = self.session.send_json(requests::catalog()).await?;
        Ok(envelope.catalog)
    }

    /// The user the session authenticates as (`GET /users/{id}`).
    pub async fn current_user(&self) -> Result<User> {
        let token = self.current_token().await?;
        let envelope: user::UserEnvelope = self
            .session
            .send_json(requests::user(&token.user.id))
            .await?;
        Ok(envelope.user)
    }

    /// The project the session's token is scoped to (`GET /projects/{id}`).
    pub async fn current_project(&self) -> Result<Project> {
        let token = self.current_token().await?;
        let id = token.project_id().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "the session's token is not scoped to a project",
            )
            .with_service(ServiceType::Identity)
        })?;
        let envelope: project::ProjectEnvelope =
            self.session.send_json(requests::project(id)).await?;
        Ok(envelope.project)
    }
}

fn no_keystone() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "this cloud uses auth_type none: there is no Keystone token",
    )
    .with_service(ServiceType::Identity)
}
