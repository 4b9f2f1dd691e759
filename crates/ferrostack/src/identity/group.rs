//! Keystone groups: the [`Group`] model and the [`Groups`] handle, membership included.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::requests;
use super::resource::{
    self, Resource, body_setters, handle_common, list_builder, query_setters, write_builder,
};
use super::user::User;
use crate::error::Result;
use crate::session::Session;

/// A group, as `GET /v3/groups/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Group {
    /// The id.
    pub id: String,
    /// The name, unique within its domain.
    pub name: String,
    /// The owning domain.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Every other field (`links`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Group {
    const ONE: &'static str = "group";
    const MANY: &'static str = "groups";
    const PATH: &'static str = "/groups";
    const LABEL: &'static str = "Group";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// Keystone groups (`/groups`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Groups {
    session: Session,
}

impl Groups {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Group, find_in_domain);

    /// The groups: set filters, then [`ListGroups::stream`] or [`ListGroups::collect_all`].
    pub fn list(&self) -> ListGroups {
        ListGroups::new(self.session.clone())
    }

    /// A group named `name`; the rest as setters, then [`CreateGroup::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateGroup {
        let mut body = Map::new();
        body.insert("name".to_owned(), name.into().into());
        CreateGroup {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the group `id`: set them, then [`UpdateGroup::send`].
    pub fn update(&self, id: impl Into<String>) -> UpdateGroup {
        UpdateGroup {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }

    /// The members of `group_id` (`GET /v3/groups/{id}/users`).
    pub async fn users(&self, group_id: &str) -> Result<Vec<User>> {
        let request = requests::group_users(group_id, &[])?;
        futures::TryStreamExt::try_collect(resource::stream::<User>(self.session.clone(), request))
            .await
    }

    /// Makes `user_id` a member of `group_id` (`PUT /v3/groups/{g}/users/{u}`).
    pub async fn add_user(&self, group_id: &str, user_id: &str) -> Result<()> {
        let request = requests::group_member(http::Method::PUT, group_id, user_id)?;
        self.session.send(request).await.map(drop)
    }

    /// Whether `user_id` is a member of `group_id` (`HEAD`: 204 yes, 404 no).
    pub async fn contains_user(&self, group_id: &str, user_id: &str) -> Result<bool> {
        let request = requests::group_member(http::Method::HEAD, group_id, user_id)?;
        match self.session.send(request).await {
            Ok(_) => Ok(true),
            Err(err) if err.is_not_found() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Removes `user_id` from `group_id` (`DELETE`; 404 when not a member).
    pub async fn remove_user(&self, group_id: &str, user_id: &str) -> Result<()> {
        let request = requests::group_member(http::Method::DELETE, group_id, user_id)?;
        self.session.send(request).await.map(drop)
    }
}

list_builder!(
    /// Which groups to list (`GET /v3/groups`).
    ListGroups,
    Group
);

impl ListGroups {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
        /// `domain_id`: the groups of this domain.
        domain_id("domain_id");
    }
}

write_builder!(
    /// A group being created by [`Groups::create`].
    create CreateGroup,
    Group
);

impl CreateGroup {
    body_setters! {
        /// `domain_id`: the owning domain (default: the token's).
        domain_id("domain_id": String);
        /// `description`.
        description("description": String);
    }
}

write_builder!(
    /// Changes to a group, made by [`Groups::update`].
    update UpdateGroup,
    Group
);

impl UpdateGroup {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
    }
}
