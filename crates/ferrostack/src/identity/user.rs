//! Keystone users: the [`User`] model and the [`Users`] handle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::domains::enabled_by_default;
use super::group::Group;
use super::resource::{self, Resource, body_setters, handle_common, list_builder, query_setters};
use super::{Tokens, requests};
use crate::error::Result;
use crate::request::Request;
use crate::secret::Secret;
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
    /// An e-mail address (a free-form property Keystone keeps).
    #[serde(default)]
    pub email: Option<String>,
    /// When the password stops working, if it does.
    #[serde(default)]
    pub password_expires_at: Option<String>,
    /// Resource options (`ignore_password_expiry`, `lock_password`, ...).
    #[serde(default)]
    pub options: BTreeMap<String, Value>,
    /// Every other field (`links`, `federated`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for User {
    const ONE: &'static str = "user";
    const MANY: &'static str = "users";
    const PATH: &'static str = "/users";
    const LABEL: &'static str = "User";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
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

    handle_common!(User, find_in_domain);

    /// The user the session authenticates as.
    pub async fn current(&self) -> Result<User> {
        let token = Tokens::new(self.session.clone()).current().await?;
        self.get(&token.user.id).await
    }

    /// The users: set filters, then [`ListUsers::stream`] or [`ListUsers::collect_all`].
    pub fn list(&self) -> ListUsers {
        ListUsers::new(self.session.clone())
    }

    /// The groups `user_id` is a member of (`GET /v3/users/{id}/groups`).
    pub async fn groups(&self, user_id: &str) -> Result<Vec<Group>> {
        let request = requests::user_groups(user_id)?;
        futures::TryStreamExt::try_collect(resource::stream::<Group>(self.session.clone(), request))
            .await
    }

    /// A user named `name`; the rest (password included) as setters, then
    /// [`CreateUser::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateUser {
        let mut body = Map::new();
        body.insert("name".to_owned(), name.into().into());
        CreateUser {
            session: self.session.clone(),
            body,
            password: None,
        }
    }

    /// Changes to the user `id`: set them, then [`UpdateUser::send`].
    pub fn update(&self, id: impl Into<String>) -> UpdateUser {
        UpdateUser {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
            password: None,
        }
    }
}

list_builder!(
    /// Which users to list (`GET /v3/users`).
    ListUsers,
    User
);

impl ListUsers {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
        /// `domain_id`: the users of this domain.
        domain_id("domain_id");
        /// `idp_id`: the users of this identity provider.
        idp_id("idp_id");
        /// `protocol_id`: the users of this federation protocol.
        protocol_id("protocol_id");
        /// `unique_id`: the federated user with this unique id.
        unique_id("unique_id");
        /// `password_expires_at`: `{operator}:{timestamp}` (`lt:2026-12-31T00:00:00Z`).
        password_expires_at("password_expires_at");
    }

    /// `enabled`: only enabled (or disabled) users.
    pub fn enabled(self, enabled: bool) -> Self {
        self.filter("enabled", enabled.to_string())
    }
}

/// The body with the password put in, for the wire only.
fn with_password(body: &Map<String, Value>, password: Option<&Secret>) -> Map<String, Value> {
    let mut body = body.clone();
    if let Some(password) = password {
        body.insert("password".to_owned(), password.expose().into());
    }
    body
}

/// A user being created by [`Users::create`]; nothing is sent before [`CreateUser::send`].
/// Its `Debug` never shows the password.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateUser {
    session: Session,
    body: Map<String, Value>,
    password: Option<Secret>,
}

impl CreateUser {
    body_setters! {
        /// `domain_id`: the owning domain (default: the token's).
        domain_id("domain_id": String);
        /// `default_project_id`.
        default_project_id("default_project_id": String);
        /// `description`.
        description("description": String);
        /// `email`.
        email("email": String);
        /// `enabled` (default: on).
        enabled("enabled": bool);
        /// `options` (`{"lock_password": true}`).
        options("options": Map<String, Value>);
    }

    /// `password`: without one, the user cannot authenticate with a password.
    pub fn password(mut self, password: impl Into<Secret>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The request, as it will be sent (its redacted form hides the password).
    pub fn request(&self) -> Request {
        requests::create(
            User::PATH,
            User::ONE,
            &with_password(&self.body, self.password.as_ref()),
        )
    }

    /// Sends `POST /v3/users`; a name taken in the domain is `ErrorKind::Conflict`.
    pub async fn send(self) -> Result<User> {
        resource::send_key(&self.session, self.request(), User::ONE).await
    }
}

/// Changes to a user, made by [`Users::update`]; nothing is sent before
/// [`UpdateUser::send`]. Its `Debug` never shows the password.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateUser {
    session: Session,
    id: String,
    body: Map<String, Value>,
    password: Option<Secret>,
}

impl UpdateUser {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `default_project_id`.
        default_project_id("default_project_id": String);
        /// `description`.
        description("description": String);
        /// `email`.
        email("email": String);
        /// `enabled`.
        enabled("enabled": bool);
        /// `options`.
        options("options": Map<String, Value>);
    }

    /// A new `password` (an admin's reset; the user's own change is another call).
    pub fn password(mut self, password: impl Into<Secret>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The request, as it will be sent (its redacted form hides the password).
    pub fn request(&self) -> Result<Request> {
        requests::update(
            User::PATH,
            User::ONE,
            User::LABEL,
            &self.id,
            &with_password(&self.body, self.password.as_ref()),
        )
    }

    /// Sends `PATCH /v3/users/{id}`.
    pub async fn send(self) -> Result<User> {
        let request = self.request()?;
        resource::send_key(&self.session, request, User::ONE).await
    }
}
