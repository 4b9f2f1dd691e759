//! The [`Routers`] handle: its builders, the external gateway and the interfaces.

use serde_json::{Map, Value};

use super::NetworkClient;
use super::ids::RouterId;
use super::model::{HostRoute, Status};
use super::requests::{self, InterfaceTarget};
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use super::router::{ExternalGateway, Router, RouterInterface};
use super::waiters::{HasStatus, handle_status};
use crate::error::Result;
use crate::request::Request;

impl Resource for Router {
    const ONE: &'static str = "router";
    const MANY: &'static str = "routers";
    const LINKS: &'static str = "routers_links";
    const PATH: &'static str = "/routers";
    const LABEL: &'static str = "router";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

impl HasStatus for Router {
    fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }
}

/// Neutron's routers. Cheap to clone; get one from [`NetworkClient::routers`].
///
/// ```no_run
/// # async fn demo(network: ferrostack::network::NetworkClient) -> ferrostack::Result<()> {
/// use ferrostack::network::ExternalGateway;
/// // `openstack router create r1; router set --external-gateway public r1;
/// //  router add subnet r1 private-subnet`
/// let public = network.networks().find("public").await?;
/// let subnet = network.subnets().find("private-subnet").await?;
/// let router = network
///     .routers()
///     .create("r1")
///     .external_gateway(ExternalGateway::new(public.id))
///     .send()
///     .await?;
/// network.routers().add_router_interface(router.id, subnet.id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Routers {
    client: NetworkClient,
}

impl Routers {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(Router, RouterId);
    handle_tags!(Router, RouterId);
    handle_status!(Router, RouterId);

    /// The routers the caller can see: set filters, then [`ListRouters::stream`] or
    /// [`ListRouters::collect_all`].
    pub fn list(&self) -> ListRouters {
        ListRouters {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A router to create; the rest as setters, then [`CreateRouter::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateRouter {
        let mut body = Map::new();
        body.insert("name".to_owned(), Value::String(name.into()));
        CreateRouter {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a router (its gateway among them): set them on the builder, then
    /// [`UpdateRouter::send`].
    pub fn update(&self, id: impl Into<RouterId>) -> UpdateRouter {
        UpdateRouter {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }

    /// Connects the router to a subnet (a port with the subnet's gateway address is made)
    /// or to an existing port (`PUT .../add_router_interface`). A subnet it is already on
    /// is a `BadRequest`; a port in use a `Conflict`.
    pub async fn add_router_interface(
        &self,
        id: impl Into<RouterId>,
        target: impl Into<InterfaceTarget>,
    ) -> Result<RouterInterface> {
        let request = requests::router_interface(&id.into(), true, &target.into())?;
        self.interface(request).await
    }

    /// Disconnects the router from a subnet or port (`PUT .../remove_router_interface`); a
    /// `Conflict` while floating IPs depend on it.
    pub async fn remove_router_interface(
        &self,
        id: impl Into<RouterId>,
        target: impl Into<InterfaceTarget>,
    ) -> Result<RouterInterface> {
        let request = requests::router_interface(&id.into(), false, &target.into())?;
        self.interface(request).await
    }

    async fn interface(&self, request: Request) -> Result<RouterInterface> {
        let value: Value = self.client.session.send_json(request).await?;
        resource::decode_at(value, "router_interface")
    }
}

/// Which routers to list (`GET /v2.0/routers`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListRouters {
    client: NetworkClient,
    query: Query,
}

impl ListRouters {
    list_common!(Router);

    /// `name`: exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.set("name", name);
        self
    }

    /// `status`.
    pub fn status(mut self, status: Status) -> Self {
        self.query.set("status", status.as_str());
        self
    }

    /// `admin_state_up`.
    pub fn admin_state_up(mut self, up: bool) -> Self {
        self.query.set("admin_state_up", up.to_string());
        self
    }
}

/// A router being created by [`Routers::create`]; nothing is sent before
/// [`CreateRouter::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateRouter {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateRouter {
    body_setters! {
        /// `external_gateway_info`: its way out.
        external_gateway("external_gateway_info": ExternalGateway);
        /// `admin_state_up`.
        admin_state_up("admin_state_up": bool);
        /// `distributed` (admin only).
        distributed("distributed": bool);
        /// `ha` (admin only).
        ha("ha": bool);
        /// `availability_zone_hints`.
        availability_zone_hints("availability_zone_hints": Vec<String>);
        /// `description`.
        description("description": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<Router>(&self.body)
    }

    /// Sends `POST /v2.0/routers` and answers the new router.
    pub async fn send(self) -> Result<Router> {
        resource::create::<Router>(&self.client.session, &self.body).await
    }
}

/// Changes to a router, made by [`Routers::update`]; nothing is sent before
/// [`UpdateRouter::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateRouter {
    client: NetworkClient,
    id: RouterId,
    body: Map<String, Value>,
}

impl UpdateRouter {
    body_setters! {
        /// A new name.
        name("name": String);
        /// `external_gateway_info`: sets or moves the gateway.
        external_gateway("external_gateway_info": ExternalGateway);
        /// `routes`: the static routes it is to have (`extraroute`).
        routes("routes": Vec<HostRoute>);
        /// `admin_state_up`.
        admin_state_up("admin_state_up": bool);
        /// `description`.
        description("description": String);
    }

    /// Clears the gateway (`external_gateway_info: {}`, as `openstack router unset
    /// --external-gateway` sends).
    pub fn clear_external_gateway(mut self) -> Self {
        self.body.insert(
            "external_gateway_info".to_owned(),
            Value::Object(Map::new()),
        );
        self
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<Router>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/routers/{id}` and answers the router.
    pub async fn send(self) -> Result<Router> {
        resource::update::<Router>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
