//! Keystone roles: the [`Role`] model, the [`Roles`] handle, implied roles and the grants
//! of a role to a user or group ([`Grant`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::requests::{self, Grant};
use super::resource::{
    self, Resource, body_setters, handle_common, list_builder, query_setters, write_builder,
};
use crate::error::Result;
use crate::session::Session;

/// A role, as `GET /v3/roles/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// The id.
    pub id: String,
    /// The name, unique among global roles or within its domain.
    pub name: String,
    /// The domain of a domain-specific role; none for a global one.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Resource options (`immutable`).
    #[serde(default)]
    pub options: BTreeMap<String, Value>,
    /// Every other field (`links`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Role {
    const ONE: &'static str = "role";
    const MANY: &'static str = "roles";
    const PATH: &'static str = "/roles";
    const LABEL: &'static str = "Role";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// A role as an inference rule names it: id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleRef {
    /// The id.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One inference rule: having `prior_role` implies `implies` (`PUT
/// /v3/roles/{prior}/implies/{implied}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImpliedRole {
    /// The role that implies.
    pub prior_role: RoleRef,
    /// The role implied.
    pub implies: RoleRef,
}

/// Every role one role implies (`GET /v3/role_inferences` lists one per prior role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleInference {
    /// The role that implies.
    pub prior_role: RoleRef,
    /// The roles implied.
    #[serde(default)]
    pub implies: Vec<RoleRef>,
}

/// Keystone roles (`/roles`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Roles {
    session: Session,
}

impl Roles {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Role, find_in_domain);

    /// The roles (global ones unless [`ListRoles::domain_id`]).
    pub fn list(&self) -> ListRoles {
        ListRoles::new(self.session.clone())
    }

    /// A role named `name` (global unless [`CreateRole::domain_id`]); then
    /// [`CreateRole::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateRole {
        let mut body = Map::new();
        body.insert("name".to_owned(), name.into().into());
        CreateRole {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the role `id`: set them, then [`UpdateRole::send`].
    pub fn update(&self, id: impl Into<String>) -> UpdateRole {
        UpdateRole {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }

    /// Assigns a role ([`Grant`]): to a user or group, on a project, domain or the system,
    /// inherited or not.
    ///
    /// ```no_run
    /// # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
    /// use ferrostack::identity::{Actor, Grant, Target};
    /// let identity = cloud.identity();
    /// let role = identity.roles().find("member", None).await?;
    /// let user = identity.users().find("alice", Some("default")).await?;
    /// let project = identity.projects().find("web", Some("default")).await?;
    /// let grant = Grant::new(role.id, Actor::User(user.id), Target::Project(project.id));
    /// identity.roles().grant(&grant).await?;
    /// assert!(identity.roles().check(&grant).await?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn grant(&self, grant: &Grant) -> Result<()> {
        self.session.send(requests::grant(grant)?).await.map(drop)
    }

    /// Whether the role is assigned exactly so (`HEAD`: 204 yes, 404 no).
    pub async fn check(&self, grant: &Grant) -> Result<bool> {
        match self.session.send(requests::check_grant(grant)?).await {
            Ok(_) => Ok(true),
            Err(err) if err.is_not_found() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Unassigns the role; 404 when it was not assigned so.
    pub async fn revoke(&self, grant: &Grant) -> Result<()> {
        self.session
            .send(requests::revoke_grant(grant)?)
            .await
            .map(drop)
    }

    /// Makes `prior_id` imply `implied_id`.
    pub async fn create_implied(&self, prior_id: &str, implied_id: &str) -> Result<ImpliedRole> {
        let request = requests::implied_role(http::Method::PUT, prior_id, implied_id)?;
        resource::send_key(&self.session, request, "role_inference").await
    }

    /// Removes the rule that `prior_id` implies `implied_id`.
    pub async fn delete_implied(&self, prior_id: &str, implied_id: &str) -> Result<()> {
        let request = requests::implied_role(http::Method::DELETE, prior_id, implied_id)?;
        self.session.send(request).await.map(drop)
    }

    /// The roles `prior_id` implies.
    pub async fn implied_by(&self, prior_id: &str) -> Result<RoleInference> {
        let request = requests::implied_roles(prior_id)?;
        resource::send_key(&self.session, request, "role_inference").await
    }

    /// Every inference rule, one per prior role.
    pub async fn inferences(&self) -> Result<Vec<RoleInference>> {
        resource::send_key(
            &self.session,
            requests::role_inferences(),
            "role_inferences",
        )
        .await
    }
}

list_builder!(
    /// Which roles to list (`GET /v3/roles`).
    ListRoles,
    Role
);

impl ListRoles {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
        /// `domain_id`: the roles specific to this domain.
        domain_id("domain_id");
    }
}

write_builder!(
    /// A role being created by [`Roles::create`].
    create CreateRole,
    Role
);

impl CreateRole {
    body_setters! {
        /// `domain_id`: a role specific to this domain.
        domain_id("domain_id": String);
        /// `description`.
        description("description": String);
        /// `options` (`{"immutable": true}`).
        options("options": Map<String, Value>);
    }
}

write_builder!(
    /// Changes to a role, made by [`Roles::update`].
    update UpdateRole,
    Role
);

impl UpdateRole {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `options`.
        options("options": Map<String, Value>);
    }
}
