//! Keystone's catalog administration: regions, services and endpoints — the models and the
//! [`Regions`], [`Services`] and [`Endpoints`] handles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::domains::enabled_by_default;
use super::resource::{
    Resource, body_setters, handle_common, list_builder, query_setters, write_builder,
};
use crate::session::Session;

/// A region, as `GET /v3/regions/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Region {
    /// The id (its name, as chosen at creation).
    pub id: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The parent region.
    #[serde(default)]
    pub parent_region_id: Option<String>,
    /// Every other field (`links`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Region {
    const ONE: &'static str = "region";
    const MANY: &'static str = "regions";
    const PATH: &'static str = "/regions";
    const LABEL: &'static str = "Region";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        None
    }
}

/// A service, as `GET /v3/services/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Service {
    /// The id.
    pub id: String,
    /// The name (`nova`), if any.
    #[serde(default)]
    pub name: Option<String>,
    /// The type (`compute`).
    #[serde(rename = "type")]
    pub service_type: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it is in the catalog.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Every other field (`links`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Service {
    const ONE: &'static str = "service";
    const MANY: &'static str = "services";
    const PATH: &'static str = "/services";
    const LABEL: &'static str = "Service";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// An endpoint, as `GET /v3/endpoints/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Endpoint {
    /// The id.
    pub id: String,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// The service it serves.
    pub service_id: String,
    /// The URL.
    pub url: String,
    /// The region, if any.
    #[serde(default)]
    pub region_id: Option<String>,
    /// Whether it is in the catalog.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Every other field (`region`, `links`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Resource for Endpoint {
    const ONE: &'static str = "endpoint";
    const MANY: &'static str = "endpoints";
    const PATH: &'static str = "/endpoints";
    const LABEL: &'static str = "Endpoint";

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> Option<&str> {
        None
    }
}

/// Keystone regions (`/regions`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Regions {
    session: Session,
}

impl Regions {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Region);

    /// The regions.
    pub fn list(&self) -> ListRegions {
        ListRegions::new(self.session.clone())
    }

    /// A region with the id `id`; then [`CreateRegion::send`].
    pub fn create(&self, id: impl Into<String>) -> CreateRegion {
        let mut body = Map::new();
        body.insert("id".to_owned(), id.into().into());
        CreateRegion {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the region `id`.
    pub fn update(&self, id: impl Into<String>) -> UpdateRegion {
        UpdateRegion {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

list_builder!(
    /// Which regions to list (`GET /v3/regions`).
    ListRegions,
    Region
);

impl ListRegions {
    query_setters! {
        /// `parent_region_id`: the children of this region.
        parent_region_id("parent_region_id");
    }
}

write_builder!(
    /// A region being created by [`Regions::create`].
    create CreateRegion,
    Region
);

impl CreateRegion {
    body_setters! {
        /// `description`.
        description("description": String);
        /// `parent_region_id`.
        parent_region_id("parent_region_id": String);
    }
}

write_builder!(
    /// Changes to a region, made by [`Regions::update`].
    update UpdateRegion,
    Region
);

impl UpdateRegion {
    body_setters! {
        /// `description`.
        description("description": String);
        /// `parent_region_id`.
        parent_region_id("parent_region_id": String);
    }
}

/// Keystone services (`/services`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    session: Session,
}

impl Services {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Service, find);

    /// The services.
    pub fn list(&self) -> ListServices {
        ListServices::new(self.session.clone())
    }

    /// A service of type `service_type`; then [`CreateService::send`].
    pub fn create(&self, service_type: impl Into<String>) -> CreateService {
        let mut body = Map::new();
        body.insert("type".to_owned(), service_type.into().into());
        CreateService {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the service `id`.
    pub fn update(&self, id: impl Into<String>) -> UpdateService {
        UpdateService {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

list_builder!(
    /// Which services to list (`GET /v3/services`).
    ListServices,
    Service
);

impl ListServices {
    query_setters! {
        /// `name`: exactly this name.
        name("name");
        /// `type`: of this type.
        service_type("type");
    }
}

write_builder!(
    /// A service being created by [`Services::create`].
    create CreateService,
    Service
);

impl CreateService {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `enabled` (default: on).
        enabled("enabled": bool);
    }
}

write_builder!(
    /// Changes to a service, made by [`Services::update`].
    update UpdateService,
    Service
);

impl UpdateService {
    body_setters! {
        /// `type`.
        service_type("type": String);
        /// `name`.
        name("name": String);
        /// `description`.
        description("description": String);
        /// `enabled`.
        enabled("enabled": bool);
    }
}

/// Keystone endpoints (`/endpoints`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Endpoints {
    session: Session,
}

impl Endpoints {
    pub(super) fn new(session: Session) -> Self {
        Self { session }
    }

    handle_common!(Endpoint);

    /// The endpoints.
    pub fn list(&self) -> ListEndpoints {
        ListEndpoints::new(self.session.clone())
    }

    /// An endpoint of `service_id` on `interface` (`public`, `internal`, `admin`) at `url`;
    /// then [`CreateEndpoint::send`].
    pub fn create(
        &self,
        service_id: impl Into<String>,
        interface: impl Into<String>,
        url: impl Into<String>,
    ) -> CreateEndpoint {
        let mut body = Map::new();
        body.insert("service_id".to_owned(), service_id.into().into());
        body.insert("interface".to_owned(), interface.into().into());
        body.insert("url".to_owned(), url.into().into());
        CreateEndpoint {
            session: self.session.clone(),
            body,
        }
    }

    /// Changes to the endpoint `id`.
    pub fn update(&self, id: impl Into<String>) -> UpdateEndpoint {
        UpdateEndpoint {
            session: self.session.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

list_builder!(
    /// Which endpoints to list (`GET /v3/endpoints`).
    ListEndpoints,
    Endpoint
);

impl ListEndpoints {
    query_setters! {
        /// `service_id`: of this service.
        service_id("service_id");
        /// `interface`: `public`, `internal` or `admin`.
        interface("interface");
        /// `region_id`: in this region.
        region_id("region_id");
    }
}

write_builder!(
    /// An endpoint being created by [`Endpoints::create`].
    create CreateEndpoint,
    Endpoint
);

impl CreateEndpoint {
    body_setters! {
        /// `region_id`.
        region_id("region_id": String);
        /// `enabled` (default: on).
        enabled("enabled": bool);
    }
}

write_builder!(
    /// Changes to an endpoint, made by [`Endpoints::update`].
    update UpdateEndpoint,
    Endpoint
);

impl UpdateEndpoint {
    body_setters! {
        /// `service_id`.
        service_id("service_id": String);
        /// `interface`.
        interface("interface": String);
        /// `url`.
        url("url": String);
        /// `region_id`.
        region_id("region_id": String);
        /// `enabled`.
        enabled("enabled": bool);
    }
}
