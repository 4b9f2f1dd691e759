//! The [`FloatingIps`] handle: floating IPs from an external network, associated with a
//! port and disassociated through `port_id`.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::NetworkClient;
use super::floating_ip::FloatingIp;
use super::ids::{FloatingIpId, NetworkId, PortId, RouterId};
use super::model::Status;
use super::requests;
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use super::waiters::{HasStatus, handle_status};
use crate::error::Result;
use crate::request::Request;

impl Resource for FloatingIp {
    const ONE: &'static str = "floatingip";
    const MANY: &'static str = "floatingips";
    const LINKS: &'static str = "floatingips_links";
    const PATH: &'static str = "/floatingips";
    const LABEL: &'static str = "floating IP";
    const REQUIRED: &'static [&'static str] = &["id", "floating_ip_address", "floating_network_id"];
    // A floating IP is named by its address (openstacksdk's `name_attribute`).
    const NAME_FILTER: &'static str = "floating_ip_address";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.floating_ip_address.to_string()
    }
}

impl HasStatus for FloatingIp {
    fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }
}

/// Neutron's floating IPs. Cheap to clone; get one from [`NetworkClient::floating_ips`].
/// [`FloatingIps::find`] takes an id or an address.
///
/// ```no_run
/// # async fn demo(network: ferrostack::network::NetworkClient) -> ferrostack::Result<()> {
/// let fips = network.floating_ips();
/// let public = network.networks().find("public").await?;
/// let fip = fips.create(public.id).send().await?;
/// let port = network.ports().find("web-1-port").await?;
/// fips.associate(fip.id.clone(), port.id).await?;
/// fips.disassociate(fip.id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FloatingIps {
    client: NetworkClient,
}

impl FloatingIps {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(FloatingIp, FloatingIpId);
    handle_tags!(FloatingIp, FloatingIpId);
    handle_status!(FloatingIp, FloatingIpId);

    /// The floating IPs the caller can see: set filters, then [`ListFloatingIps::stream`]
    /// or [`ListFloatingIps::collect_all`].
    pub fn list(&self) -> ListFloatingIps {
        ListFloatingIps {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A floating IP from the external network `network`; the rest as setters, then
    /// [`CreateFloatingIp::send`]. A network that is not external is a `BadRequest`.
    pub fn create(&self, network: impl Into<NetworkId>) -> CreateFloatingIp {
        let mut body = Map::new();
        body.insert("floating_network_id".to_owned(), json!(network.into()));
        CreateFloatingIp {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a floating IP: set them on the builder, then [`UpdateFloatingIp::send`].
    pub fn update(&self, id: impl Into<FloatingIpId>) -> UpdateFloatingIp {
        UpdateFloatingIp {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }

    /// Forwards the floating IP to `port` (`PUT {"floatingip": {"port_id": ...}}`). Without
    /// a router between the two networks Neutron answers 404
    /// `ExternalGatewayForFloatingIPNotFound`; a fixed IP that has one already, 409
    /// `FloatingIPPortAlreadyAssociated`.
    pub async fn associate(
        &self,
        id: impl Into<FloatingIpId>,
        port: impl Into<PortId>,
    ) -> Result<FloatingIp> {
        self.update(id).port_id(port).send().await
    }

    /// Stops forwarding (`PUT {"floatingip": {"port_id": null}}`).
    pub async fn disassociate(&self, id: impl Into<FloatingIpId>) -> Result<FloatingIp> {
        self.update(id).no_port().send().await
    }
}

/// Which floating IPs to list (`GET /v2.0/floatingips`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListFloatingIps {
    client: NetworkClient,
    query: Query,
}

impl ListFloatingIps {
    list_common!(FloatingIp);

    /// `floating_ip_address`.
    pub fn floating_ip_address(mut self, ip: IpAddr) -> Self {
        self.query.set("floating_ip_address", ip.to_string());
        self
    }

    /// `floating_network_id`: those from this external network.
    pub fn floating_network_id(mut self, network: impl Into<NetworkId>) -> Self {
        self.query
            .set("floating_network_id", String::from(network.into()));
        self
    }

    /// `port_id`: the one forwarded to this port.
    pub fn port_id(mut self, port: impl Into<PortId>) -> Self {
        self.query.set("port_id", String::from(port.into()));
        self
    }

    /// `fixed_ip_address`.
    pub fn fixed_ip_address(mut self, ip: IpAddr) -> Self {
        self.query.set("fixed_ip_address", ip.to_string());
        self
    }

    /// `router_id`.
    pub fn router_id(mut self, router: impl Into<RouterId>) -> Self {
        self.query.set("router_id", String::from(router.into()));
        self
    }

    /// `status`.
    pub fn status(mut self, status: Status) -> Self {
        self.query.set("status", status.as_str());
        self
    }
}

/// A floating IP being created by [`FloatingIps::create`]; nothing is sent before
/// [`CreateFloatingIp::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateFloatingIp {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateFloatingIp {
    body_setters! {
        /// `floating_ip_address`: this address of the external network.
        floating_ip_address("floating_ip_address": IpAddr);
        /// `subnet_id`: an address from this subnet of the external network.
        subnet_id("subnet_id": String);
        /// `port_id`: forwarded to this port from the start.
        port_id("port_id": PortId);
        /// `fixed_ip_address`: the port's address to forward to, when it has several.
        fixed_ip_address("fixed_ip_address": IpAddr);
        /// `description`.
        description("description": String);
        /// `dns_name`.
        dns_name("dns_name": String);
        /// `dns_domain`.
        dns_domain("dns_domain": String);
        /// `project_id`: the owning project, when not the caller's (admin).
        project_id("project_id": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<FloatingIp>(&self.body)
    }

    /// Sends `POST /v2.0/floatingips` and answers the new floating IP.
    pub async fn send(self) -> Result<FloatingIp> {
        resource::create::<FloatingIp>(&self.client.session, &self.body).await
    }
}

/// Changes to a floating IP, made by [`FloatingIps::update`]; nothing is sent before
/// [`UpdateFloatingIp::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateFloatingIp {
    client: NetworkClient,
    id: FloatingIpId,
    body: Map<String, Value>,
}

impl UpdateFloatingIp {
    body_setters! {
        /// `port_id`: forward to this port.
        port_id("port_id": PortId);
        /// `fixed_ip_address`: the port's address to forward to, when it has several.
        fixed_ip_address("fixed_ip_address": IpAddr);
        /// `description`.
        description("description": String);
    }

    /// `port_id: null`: forward nowhere.
    pub fn no_port(mut self) -> Self {
        self.body.insert("port_id".to_owned(), Value::Null);
        self.body.remove("fixed_ip_address");
        self
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<FloatingIp>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/floatingips/{id}` and answers the floating IP.
    pub async fn send(self) -> Result<FloatingIp> {
        resource::update::<FloatingIp>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
