//! The [`SecurityGroups`] handle and its list, create and update builders.

use serde_json::{Map, Value};

use super::NetworkClient;
use super::ids::SecurityGroupId;
use super::requests;
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use super::security_group::SecurityGroup;
use crate::error::Result;
use crate::request::Request;

impl Resource for SecurityGroup {
    const ONE: &'static str = "security_group";
    const MANY: &'static str = "security_groups";
    const LINKS: &'static str = "security_groups_links";
    const PATH: &'static str = "/security-groups";
    const LABEL: &'static str = "security group";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// Neutron's security groups. Cheap to clone; get one from
/// [`NetworkClient::security_groups`]. Every project has a `default` group, made by
/// Neutron on the project's first call.
#[derive(Debug, Clone)]
pub struct SecurityGroups {
    client: NetworkClient,
}

impl SecurityGroups {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(SecurityGroup, SecurityGroupId);
    handle_tags!(SecurityGroup, SecurityGroupId);

    /// The groups the caller can see: set filters, then [`ListSecurityGroups::stream`] or
    /// [`ListSecurityGroups::collect_all`].
    pub fn list(&self) -> ListSecurityGroups {
        ListSecurityGroups {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A group to create (with Neutron's two egress rules); the rest as setters, then
    /// [`CreateSecurityGroup::send`]. A second group named `default` is a `Conflict`
    /// (`SecurityGroupDefaultAlreadyExists`).
    pub fn create(&self, name: impl Into<String>) -> CreateSecurityGroup {
        let mut body = Map::new();
        body.insert("name".to_owned(), Value::String(name.into()));
        CreateSecurityGroup {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a group: set them on the builder, then [`UpdateSecurityGroup::send`].
    pub fn update(&self, id: impl Into<SecurityGroupId>) -> UpdateSecurityGroup {
        UpdateSecurityGroup {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

/// Which groups to list (`GET /v2.0/security-groups`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListSecurityGroups {
    client: NetworkClient,
    query: Query,
}

impl ListSecurityGroups {
    list_common!(SecurityGroup);

    /// `name`: exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.set("name", name);
        self
    }

    /// `id`: any of these ids.
    pub fn ids<I: IntoIterator<Item = SecurityGroupId>>(mut self, ids: I) -> Self {
        self.query.set_any("id", ids.into_iter().map(String::from));
        self
    }
}

/// A group being created by [`SecurityGroups::create`]; nothing is sent before
/// [`CreateSecurityGroup::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateSecurityGroup {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateSecurityGroup {
    body_setters! {
        /// `description`.
        description("description": String);
        /// `stateful` (default: stateful).
        stateful("stateful": bool);
        /// `project_id`: the owning project, when not the caller's (admin).
        project_id("project_id": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<SecurityGroup>(&self.body)
    }

    /// Sends `POST /v2.0/security-groups` and answers the new group with its rules.
    pub async fn send(self) -> Result<SecurityGroup> {
        resource::create::<SecurityGroup>(&self.client.session, &self.body).await
    }
}

/// Changes to a group, made by [`SecurityGroups::update`]; nothing is sent before
/// [`UpdateSecurityGroup::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateSecurityGroup {
    client: NetworkClient,
    id: SecurityGroupId,
    body: Map<String, Value>,
}

impl UpdateSecurityGroup {
    body_setters! {
        /// A new name.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `stateful`.
        stateful("stateful": bool);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<SecurityGroup>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/security-groups/{id}` and answers the group.
    pub async fn send(self) -> Result<SecurityGroup> {
        resource::update::<SecurityGroup>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
