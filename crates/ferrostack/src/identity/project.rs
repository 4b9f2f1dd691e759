//! Keystone projects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A project, as `GET /v3/projects/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The id.
    pub id: String,
    /// The name, unique within its domain.
    pub name: String,
    /// The owning domain.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// Whether the project may be used.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The parent project (or the domain, for a top-level project).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Whether this project is a domain.
    #[serde(default)]
    pub is_domain: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Every other field (`links`, `options`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn enabled_by_default() -> bool {
    true
}

/// The `{"project": {...}}` envelope.
#[derive(Deserialize)]
pub(crate) struct ProjectEnvelope {
    pub(crate) project: Project,
}
