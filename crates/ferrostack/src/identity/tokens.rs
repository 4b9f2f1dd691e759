//! The token handle: [`Tokens`] issues, validates, checks and revokes Keystone tokens and
//! reads the catalog of the session's own.

use std::sync::Arc;

use serde::Deserialize;

use super::requests;
use crate::auth::{CatalogEntry, Token, TokenEnvelope};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::secret::Secret;
use crate::session::Session;

/// Keystone tokens (`/auth/tokens`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tokens {
    session: Session,
}

impl Tokens {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    /// A fresh token for the session's credentials (`openstack token issue`). The session's
    /// own cached token is left as it is.
    pub async fn issue(&self) -> Result<Token> {
        self.session.issue_token().await
    }

    /// The session's own token, authenticating first if needed.
    pub async fn current(&self) -> Result<Arc<Token>> {
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
}

fn no_keystone() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "this cloud uses auth_type none: there is no Keystone token",
    )
    .with_service(ServiceType::Identity)
}
