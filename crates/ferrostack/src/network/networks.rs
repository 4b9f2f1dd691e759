//! The [`Networks`] handle and its list, create and update builders.

use serde_json::{Map, Value};

use super::NetworkClient;
use super::ids::NetworkId;
use super::model::{Network, Status};
use super::requests;
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use super::waiters::{HasStatus, handle_status};
use crate::error::Result;
use crate::request::Request;

impl Resource for Network {
    const ONE: &'static str = "network";
    const MANY: &'static str = "networks";
    const LINKS: &'static str = "networks_links";
    const PATH: &'static str = "/networks";
    const LABEL: &'static str = "network";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

impl HasStatus for Network {
    fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }
}

/// Neutron's networks. Cheap to clone; get one from [`NetworkClient::networks`].
#[derive(Debug, Clone)]
pub struct Networks {
    client: NetworkClient,
}

impl Networks {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(Network, NetworkId);
    handle_tags!(Network, NetworkId);
    handle_status!(Network, NetworkId);

    /// The networks the caller can see (its own, shared and external ones): set filters on
    /// the builder, then [`ListNetworks::stream`] or [`ListNetworks::collect_all`].
    pub fn list(&self) -> ListNetworks {
        ListNetworks {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A network to create; the rest as setters, then [`CreateNetwork::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateNetwork {
        let mut body = Map::new();
        body.insert("name".to_owned(), Value::String(name.into()));
        CreateNetwork {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a network: set them on the builder, then [`UpdateNetwork::send`].
    pub fn update(&self, id: impl Into<NetworkId>) -> UpdateNetwork {
        UpdateNetwork {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

/// Which networks to list (`GET /v2.0/networks`); every filter runs on the server.
///
/// ```no_run
/// # async fn demo(networks: ferrostack::network::Networks) -> ferrostack::Result<()> {
/// let external = networks.list().external(true).collect_all().await?;
/// # let _ = external;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListNetworks {
    client: NetworkClient,
    query: Query,
}

impl ListNetworks {
    list_common!(Network);

    /// `name`: exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.set("name", name);
        self
    }

    /// `id`: any of these ids.
    pub fn ids<I: IntoIterator<Item = NetworkId>>(mut self, ids: I) -> Self {
        self.query.set_any("id", ids.into_iter().map(String::from));
        self
    }

    /// `status`.
    pub fn status(mut self, status: Status) -> Self {
        self.query.set("status", status.as_str());
        self
    }

    /// `shared`: shared (or not shared) networks only.
    pub fn shared(mut self, shared: bool) -> Self {
        self.query.set("shared", shared.to_string());
        self
    }

    /// `router:external`: external (or internal) networks only.
    pub fn external(mut self, external: bool) -> Self {
        self.query.set("router:external", external.to_string());
        self
    }

    /// `admin_state_up`.
    pub fn admin_state_up(mut self, up: bool) -> Self {
        self.query.set("admin_state_up", up.to_string());
        self
    }
}

/// A network being created by [`Networks::create`]; nothing is sent before
/// [`CreateNetwork::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateNetwork {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateNetwork {
    body_setters! {
        /// `admin_state_up` (default: up).
        admin_state_up("admin_state_up": bool);
        /// `shared`: usable by every project (admin only).
        shared("shared": bool);
        /// `router:external`: a source of floating IPs and gateways (admin only).
        external("router:external": bool);
        /// `mtu`.
        mtu("mtu": u32);
        /// `port_security_enabled`: the default of its ports.
        port_security_enabled("port_security_enabled": bool);
        /// `description`.
        description("description": String);
        /// `availability_zone_hints`.
        availability_zone_hints("availability_zone_hints": Vec<String>);
        /// `project_id`: the owner, when not the caller's project (admin only).
        project_id("project_id": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<Network>(&self.body)
    }

    /// Sends `POST /v2.0/networks` and answers the new network.
    pub async fn send(self) -> Result<Network> {
        resource::create::<Network>(&self.client.session, &self.body).await
    }
}

/// Changes to a network, made by [`Networks::update`]; nothing is sent before
/// [`UpdateNetwork::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateNetwork {
    client: NetworkClient,
    id: NetworkId,
    body: Map<String, Value>,
}

impl UpdateNetwork {
    body_setters! {
        /// A new name.
        name("name": String);
        /// `admin_state_up`.
        admin_state_up("admin_state_up": bool);
        /// `shared` (admin only).
        shared("shared": bool);
        /// `router:external` (admin only).
        external("router:external": bool);
        /// `mtu`.
        mtu("mtu": u32);
        /// `port_security_enabled`.
        port_security_enabled("port_security_enabled": bool);
        /// `description`.
        description("description": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<Network>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/networks/{id}` and answers the network; with nothing to change,
    /// answers it as it is.
    pub async fn send(self) -> Result<Network> {
        resource::update::<Network>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
