//! Keystone users: the [`User`] model and the [`Users`] handle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Tokens, requests};
use crate::error::Result;
use crate::session::Session;

/// A user, as `GET /v3/users/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The id.
    pub id: String,
    /// The name, unique within its domain.
    pub name: String,
    /// The owning domain.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// Whether the user may authenticate.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The project used when none is asked for.
    #[serde(default)]
    pub default_project_id: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// When the password stops working, if it does.
    #[serde(default)]
    pub password_expires_at: Option<String>,
    /// Every other field (`email`, `links`, `options`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn enabled_by_default() -> bool {
    true
}

/// The `{"user": {...}}` envelope.
#[derive(Deserialize)]
struct UserEnvelope {
    user: User,
}

/// Keystone users (`/users`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Users {
    session: Session,
}

impl Users {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The user `id` (`GET /users/{id}`); 404 is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn get(&self, id: &str) -> Result<User> {
        let envelope: UserEnvelope = self.session.send_json(requests::user(id)).await?;
        Ok(envelope.user)
    }

    /// The user the session authenticates as.
    pub async fn current(&self) -> Result<User> {
        let token = Tokens::new(self.session.clone()).current().await?;
        self.get(&token.user.id).await
    }
}
