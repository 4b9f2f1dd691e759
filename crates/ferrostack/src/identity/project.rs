//! Keystone projects: the [`Project`] model and the [`Projects`] handle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Tokens, requests};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::session::Session;

/// A project, as `GET /v3/projects/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
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
struct ProjectEnvelope {
    project: Project,
}

/// Keystone projects (`/projects`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Projects {
    session: Session,
}

impl Projects {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    /// The project `id` (`GET /projects/{id}`); 404 is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn get(&self, id: &str) -> Result<Project> {
        let envelope: ProjectEnvelope = self.session.send_json(requests::project(id)).await?;
        Ok(envelope.project)
    }

    /// The project the session's token is scoped to; an
    /// [`ErrorKind::InvalidInput`] error when it is not scoped to one.
    pub async fn current(&self) -> Result<Project> {
        let token = Tokens::new(self.session.clone()).current().await?;
        let id = token.project_id().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "the session's token is not scoped to a project",
            )
            .with_service(ServiceType::Identity)
        })?;
        self.get(id).await
    }
}
