//! Keystone's role assignments (`GET /v3/role_assignments`): the [`RoleAssignment`] model
//! and the [`ListRoleAssignments`] builder with Keystone's filters.

use serde::{Deserialize, Serialize};

use super::requests;
use super::resource::{self, Resource};
use crate::request::Request;
use crate::session::Session;

/// A domain as an assignment names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DomainRef {
    /// The id.
    pub id: String,
    /// The name (with `include_names`).
    #[serde(default)]
    pub name: Option<String>,
}

/// A user, group, role, project or domain as an assignment names it: the id, and with
/// `include_names` its name and domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssignmentRef {
    /// The id.
    pub id: String,
    /// The name (with `include_names`).
    #[serde(default)]
    pub name: Option<String>,
    /// Its domain (with `include_names`; none for a global role).
    #[serde(default)]
    pub domain: Option<DomainRef>,
}

/// Where an assignment applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct AssignmentScope {
    /// On a project.
    #[serde(default)]
    pub project: Option<AssignmentRef>,
    /// On a domain.
    #[serde(default)]
    pub domain: Option<AssignmentRef>,
    /// On the system (`{"all": true}`).
    #[serde(default)]
    pub system: Option<serde_json::Value>,
    /// `projects` for an assignment the projects under the scope inherit.
    #[serde(default, rename = "OS-INHERIT:inherited_to")]
    pub inherited_to: Option<String>,
}

/// One role assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleAssignment {
    /// The role.
    pub role: AssignmentRef,
    /// The user who has it (or none, for a group's).
    #[serde(default)]
    pub user: Option<AssignmentRef>,
    /// The group that has it (or none, for a user's).
    #[serde(default)]
    pub group: Option<AssignmentRef>,
    /// Where.
    #[serde(default)]
    pub scope: AssignmentScope,
}

impl RoleAssignment {
    /// Whether the projects under the scope inherit it.
    pub fn is_inherited(&self) -> bool {
        self.scope.inherited_to.as_deref() == Some("projects")
    }
}

impl Resource for RoleAssignment {
    const ONE: &'static str = "role_assignment";
    const MANY: &'static str = "role_assignments";
    const PATH: &'static str = "/role_assignments";
    const LABEL: &'static str = "RoleAssignment";

    fn id(&self) -> &str {
        &self.role.id
    }

    fn name(&self) -> Option<&str> {
        None
    }
}

/// Which role assignments to list; nothing is sent before [`ListRoleAssignments::stream`]
/// or [`ListRoleAssignments::collect_all`]. Booleans are sent as openstacksdk sends them
/// (`effective=True`), which Keystone reads as set.
///
/// ```no_run
/// # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
/// let mine = cloud
///     .identity()
///     .role_assignments()
///     .user_id("6b1c")
///     .effective()
///     .include_names()
///     .collect_all()
///     .await?;
/// # let _ = mine;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListRoleAssignments {
    session: Session,
    query: Vec<(String, String)>,
}

impl ListRoleAssignments {
    pub(crate) fn new(session: Session) -> Self {
        Self {
            session,
            query: Vec::new(),
        }
    }

    fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.retain(|(k, _)| k != key);
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// `user.id`: this user's.
    pub fn user_id(self, id: impl Into<String>) -> Self {
        self.set("user.id", id)
    }

    /// `group.id`: this group's.
    pub fn group_id(self, id: impl Into<String>) -> Self {
        self.set("group.id", id)
    }

    /// `role.id`: of this role.
    pub fn role_id(self, id: impl Into<String>) -> Self {
        self.set("role.id", id)
    }

    /// `scope.project.id`: on this project.
    pub fn project_id(self, id: impl Into<String>) -> Self {
        self.set("scope.project.id", id)
    }

    /// `scope.domain.id`: on this domain.
    pub fn domain_id(self, id: impl Into<String>) -> Self {
        self.set("scope.domain.id", id)
    }

    /// `scope.system=all`: on the system.
    pub fn system(self) -> Self {
        self.set("scope.system", "all")
    }

    /// `scope.OS-INHERIT:inherited_to=projects`: only inherited ones.
    pub fn inherited(self) -> Self {
        self.set("scope.OS-INHERIT:inherited_to", "projects")
    }

    /// `effective`: what users really have, group memberships, inheritance and implied
    /// roles expanded.
    pub fn effective(self) -> Self {
        self.set("effective", "True")
    }

    /// `include_names`: names (and domains) beside the ids.
    pub fn include_names(self) -> Self {
        self.set("include_names", "True")
    }

    /// `include_subtree`: with `project_id`, the projects under it too.
    pub fn include_subtree(self) -> Self {
        self.set("include_subtree", "True")
    }

    /// The first request, as it will be sent.
    pub fn request(&self) -> Request {
        requests::role_assignments(&self.query)
    }

    /// Every match, following Keystone's `links.next`.
    pub fn stream(
        self,
    ) -> impl futures::Stream<Item = crate::error::Result<RoleAssignment>> + Send + Unpin + 'static
    {
        let request = self.request();
        resource::stream::<RoleAssignment>(self.session, request)
    }

    /// Every match, all pages collected.
    pub async fn collect_all(self) -> crate::error::Result<Vec<RoleAssignment>> {
        futures::TryStreamExt::try_collect(self.stream()).await
    }
}
