//! Keystone projects: the [`Project`] model and the [`Projects`] handle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::domains::enabled_by_default;
use super::resource::{
    self, Resource, body_setters, handle_common, list_builder, query_setters, write_builder,
};
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
    /// Resource options (`immutable`).
    #[serde(default)]
    pub options: BTreeMap<String, Value>,
    /// Every other field (`links`, custom properties, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Project {
    const ONE: &'static str = "project";
    const MANY: &'static str = "projects";
    const PATH: &'static str = "/projects";
    const LABEL: &'static str = "Project";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
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

    handle_common!(Project, find_in_domain);

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

    /// The projects: set filters, then [`ListProjects::stream`] or
    /// [`ListProjects::collect_all`].
    pub fn list(&self) -> ListProjects {
        ListProjects::new(self.session.clone())
    }

    /// The projects `user_id` has a role on (`GET /v3/users/{id}/projects`), which a user
    /// may ask about themself without being an admin.
    pub async fn of_user(&self, user_id: &str) -> Result<Vec<Project>> {
        let request = requests::user_projects(user_id, &[])?;
        futures::TryStreamExt::try_collect(resource::stream::<Project>(
            self.session.clone(),
            request,
        ))
        .await
    }

    /// A project named `name` (in the token's domain unless [`CreateProject::domain_id`]);
    /// the rest as setters, then [`CreateProject::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateProject {
        let mut body = Map::new();
        body.insert("name".to_owned(), name.into().into());
        CreateProject {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the project `id`: set them, then [`UpdateProject::send`].
    pub fn update(&self, id: impl Into<String>) -> UpdateProject {
        UpdateProject {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

list_builder!(
    /// Which projects to list (`GET /v3/projects`).
    ListProjects,
    Project
);

impl ListProjects {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
        /// `domain_id`: the projects of this domain.
        domain_id("domain_id");
        /// `parent_id`: the children of this project.
        parent_id("parent_id");
        /// `tags`: those with every one of these tags (comma-separated).
        tags("tags");
        /// `tags-any`: those with any of these tags (comma-separated).
        tags_any("tags-any");
        /// `not-tags`: those without all of these tags (comma-separated).
        not_tags("not-tags");
        /// `not-tags-any`: those with none of these tags (comma-separated).
        not_tags_any("not-tags-any");
    }

    /// `enabled`: only enabled (or disabled) projects.
    pub fn enabled(self, enabled: bool) -> Self {
        self.filter("enabled", enabled.to_string())
    }

    /// `is_domain`: only projects acting as domains (or only the others).
    pub fn is_domain(self, is_domain: bool) -> Self {
        self.filter("is_domain", is_domain.to_string())
    }
}

write_builder!(
    /// A project being created by [`Projects::create`].
    create CreateProject,
    Project
);

impl CreateProject {
    body_setters! {
        /// `domain_id`: the owning domain.
        domain_id("domain_id": String);
        /// `parent_id`: the parent project.
        parent_id("parent_id": String);
        /// `description`.
        description("description": String);
        /// `enabled` (default: on).
        enabled("enabled": bool);
        /// `is_domain`: a project that acts as a domain.
        is_domain("is_domain": bool);
        /// `tags`.
        tags("tags": Vec<String>);
        /// `options` (`{"immutable": true}`).
        options("options": Map<String, Value>);
    }

    /// A custom property (`key: value`), as `openstack project create --property` sends it.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.body.insert(key.into(), value.into());
        self
    }
}

write_builder!(
    /// Changes to a project, made by [`Projects::update`].
    update UpdateProject,
    Project
);

impl UpdateProject {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `enabled`.
        enabled("enabled": bool);
        /// `tags`: replaces every tag.
        tags("tags": Vec<String>);
        /// `options`.
        options("options": Map<String, Value>);
    }

    /// A custom property (`key: value`).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.body.insert(key.into(), value.into());
        self
    }
}
