//! Keystone domains: the [`Domain`] model and the [`Domains`] handle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::resource::{
    Resource, body_setters, handle_common, list_builder, query_setters, write_builder,
};
use crate::session::Session;

/// A domain, as `GET /v3/domains/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Domain {
    /// The id.
    pub id: String,
    /// The name, unique in the deployment.
    pub name: String,
    /// Whether its users and projects may be used.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Resource options (`immutable`).
    #[serde(default)]
    pub options: BTreeMap<String, serde_json::Value>,
    /// Every other field (`links`, `tags`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

pub(crate) fn enabled_by_default() -> bool {
    true
}

impl Resource for Domain {
    const ONE: &'static str = "domain";
    const MANY: &'static str = "domains";
    const PATH: &'static str = "/domains";
    const LABEL: &'static str = "Domain";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

/// Keystone domains (`/domains`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Domains {
    session: Session,
}

impl Domains {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Domain, find);

    /// The domains: set filters, then [`ListDomains::stream`] or [`ListDomains::collect_all`].
    pub fn list(&self) -> ListDomains {
        ListDomains::new(self.session.clone())
    }

    /// A domain named `name`; the rest as setters, then [`CreateDomain::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateDomain {
        let mut body = Map::new();
        body.insert("name".to_owned(), name.into().into());
        CreateDomain {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the domain `id`: set them, then [`UpdateDomain::send`]. A domain must be
    /// disabled before it can be deleted.
    pub fn update(&self, id: impl Into<String>) -> UpdateDomain {
        UpdateDomain {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

list_builder!(
    /// Which domains to list (`GET /v3/domains`).
    ListDomains,
    Domain
);

impl ListDomains {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
    }

    /// `enabled`: only enabled (or disabled) domains.
    pub fn enabled(self, enabled: bool) -> Self {
        self.filter("enabled", enabled.to_string())
    }
}

write_builder!(
    /// A domain being created by [`Domains::create`].
    create CreateDomain,
    Domain
);

impl CreateDomain {
    body_setters! {
        /// `description`.
        description("description": String);
        /// `enabled` (default: on).
        enabled("enabled": bool);
        /// `options` (`{"immutable": true}`).
        options("options": Map<String, serde_json::Value>);
    }
}

write_builder!(
    /// Changes to a domain, made by [`Domains::update`].
    update UpdateDomain,
    Domain
);

impl UpdateDomain {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `enabled`.
        enabled("enabled": bool);
        /// `options`.
        options("options": Map<String, serde_json::Value>);
    }
}
