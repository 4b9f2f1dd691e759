//! Keystone users.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A user, as `GET /v3/users/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub(crate) struct UserEnvelope {
    pub(crate) user: User,
}
