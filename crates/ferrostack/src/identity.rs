//! Keystone: the [`IdentityClient`] and its resource handles — [`Tokens`] (issue, validate,
//! revoke, the catalog), [`Domains`], [`Projects`], [`Users`], [`Groups`] (and their
//! members), [`Roles`] (grants on projects, domains and the system, implied roles),
//! [`ListRoleAssignments`], and the catalog's [`Regions`], [`Services`] and [`Endpoints`].
//!
//! Every handle has `get(id)`, `list()`, `create(..)`, `update(id)` and `delete(id)`;
//! names are unique only within a domain, so `find(name_or_id, domain_id)` of projects,
//! users, groups and roles takes the domain as openstackclient does (by id first, then
//! `?name=&domain_id=`).
//!
//! The token and catalog types are the session's own: [`crate::auth::Token`],
//! [`crate::auth::CatalogEntry`].
//!
//! ```no_run
//! # use ferrostack::identity::{Actor, Grant, Target};
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! let identity = cloud.identity();
//! let token = identity.tokens().issue().await?;
//! println!("expires {} for user {}", token.expires_at, token.user.id);
//! for entry in identity.tokens().catalog().await? {
//!     println!("{} ({:?})", entry.service_type, entry.name);
//! }
//! let me = identity.users().current().await?;
//! println!("{} in domain {:?}", me.name, me.domain_id);
//!
//! let web = identity.projects().create("web").description("the web tier").send().await?;
//! let member = identity.roles().find("member", None).await?;
//! identity
//!     .roles()
//!     .grant(&Grant::new(member.id, Actor::User(me.id), Target::Project(web.id)))
//!     .await?;
//! # Ok(())
//! # }
//! ```

use crate::session::Session;

mod assignment;
mod catalog;
mod domains;
mod group;
mod project;
pub mod requests;
pub(crate) mod resource;
mod role;
mod tokens;
mod user;

pub use assignment::{
    AssignmentRef, AssignmentScope, DomainRef, ListRoleAssignments, RoleAssignment,
};
pub use catalog::{
    CreateEndpoint, CreateRegion, CreateService, Endpoint, Endpoints, ListEndpoints, ListRegions,
    ListServices, Region, Regions, Service, Services, UpdateEndpoint, UpdateRegion, UpdateService,
};
pub use domains::{CreateDomain, Domain, Domains, ListDomains, UpdateDomain};
pub use group::{CreateGroup, Group, Groups, ListGroups, UpdateGroup};
pub use project::{CreateProject, ListProjects, Project, Projects, UpdateProject};
pub use requests::{Actor, Grant, Target};
pub use role::{
    CreateRole, ImpliedRole, ListRoles, Role, RoleInference, RoleRef, Roles, UpdateRole,
};
pub use tokens::Tokens;
pub use user::{CreateUser, ListUsers, UpdateUser, User, Users};

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

    /// Tokens: issue, validate, check, revoke, and the catalog of the session's token.
    pub fn tokens(&self) -> Tokens {
        Tokens::new(self.session.clone())
    }

    /// Users: by id or name, the one the session authenticates as, and their writes.
    pub fn users(&self) -> Users {
        Users::new(self.session.clone())
    }

    /// Projects: by id or name, the one the session's token is scoped to, and their writes.
    pub fn projects(&self) -> Projects {
        Projects::new(self.session.clone())
    }

    /// Domains.
    pub fn domains(&self) -> Domains {
        Domains::new(self.session.clone())
    }

    /// Groups and their members.
    pub fn groups(&self) -> Groups {
        Groups::new(self.session.clone())
    }

    /// Roles, their grants ([`Grant`]) and implied roles.
    pub fn roles(&self) -> Roles {
        Roles::new(self.session.clone())
    }

    /// The role assignments (`GET /v3/role_assignments`): set filters, then
    /// [`ListRoleAssignments::collect_all`].
    pub fn role_assignments(&self) -> ListRoleAssignments {
        ListRoleAssignments::new(self.session.clone())
    }

    /// Regions.
    pub fn regions(&self) -> Regions {
        Regions::new(self.session.clone())
    }

    /// Services (of the catalog).
    pub fn services(&self) -> Services {
        Services::new(self.session.clone())
    }

    /// Endpoints (of the catalog).
    pub fn endpoints(&self) -> Endpoints {
        Endpoints::new(self.session.clone())
    }
}
