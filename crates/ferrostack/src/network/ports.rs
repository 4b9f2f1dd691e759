//! The [`Ports`] handle and its list, create and update builders.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::NetworkClient;
use super::ids::{NetworkId, PortId, SecurityGroupId, SubnetId};
use super::model::Status;
use super::port::{AddressPair, FixedIp, Port};
use super::requests;
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use super::waiters::{HasStatus, handle_status};
use crate::error::Result;
use crate::request::Request;

impl Resource for Port {
    const ONE: &'static str = "port";
    const MANY: &'static str = "ports";
    const LINKS: &'static str = "ports_links";
    const PATH: &'static str = "/ports";
    const LABEL: &'static str = "port";
    const REQUIRED: &'static [&'static str] = &["id", "network_id"];

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

impl HasStatus for Port {
    fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }
}

/// Neutron's ports. Cheap to clone; get one from [`NetworkClient::ports`].
#[derive(Debug, Clone)]
pub struct Ports {
    client: NetworkClient,
}

impl Ports {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(Port, PortId);
    handle_tags!(Port, PortId);
    handle_status!(Port, PortId);

    /// The ports the caller can see: set filters, then [`ListPorts::stream`] or
    /// [`ListPorts::collect_all`].
    ///
    /// ```no_run
    /// # async fn demo(ports: ferrostack::network::Ports) -> ferrostack::Result<()> {
    /// // A server's ports, as `openstack server add floating ip` finds them.
    /// let of_server = ports
    ///     .list()
    ///     .device_id("9168b536-cd40-4630-b43f-b259807c6e87")
    ///     .collect_all()
    ///     .await?;
    /// # let _ = of_server;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListPorts {
        ListPorts {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A port on `network`; the rest as setters, then [`CreatePort::send`]. Without
    /// [`CreatePort::security_groups`] Neutron puts it in the project's `default` group.
    pub fn create(&self, network: impl Into<NetworkId>) -> CreatePort {
        let mut body = Map::new();
        body.insert("network_id".to_owned(), json!(network.into()));
        CreatePort {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a port: set them on the builder, then [`UpdatePort::send`].
    pub fn update(&self, id: impl Into<PortId>) -> UpdatePort {
        UpdatePort {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

/// Which ports to list (`GET /v2.0/ports`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListPorts {
    client: NetworkClient,
    query: Query,
}

impl ListPorts {
    list_common!(Port);

    /// `name`: exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.set("name", name);
        self
    }

    /// `network_id`: the ports on this network.
    pub fn network_id(mut self, network: impl Into<NetworkId>) -> Self {
        self.query.set("network_id", String::from(network.into()));
        self
    }

    /// `device_id`: the ports of this server (or router, ...).
    pub fn device_id(mut self, device: impl Into<String>) -> Self {
        self.query.set("device_id", device);
        self
    }

    /// `device_owner` (`compute:nova`, `network:router_interface`, ...).
    pub fn device_owner(mut self, owner: impl Into<String>) -> Self {
        self.query.set("device_owner", owner);
        self
    }

    /// `mac_address`.
    pub fn mac_address(mut self, mac: impl Into<String>) -> Self {
        self.query.set("mac_address", mac);
        self
    }

    /// `status`.
    pub fn status(mut self, status: Status) -> Self {
        self.query.set("status", status.as_str());
        self
    }

    /// `fixed_ips=ip_address=X`: the port with this address (repeatable).
    pub fn fixed_ip_address(mut self, ip: IpAddr) -> Self {
        self.query.push("fixed_ips", format!("ip_address={ip}"));
        self
    }

    /// `fixed_ips=subnet_id=X`: the ports with an address on this subnet (repeatable).
    pub fn fixed_ip_subnet(mut self, subnet: impl Into<SubnetId>) -> Self {
        self.query
            .push("fixed_ips", format!("subnet_id={}", subnet.into()));
        self
    }

    /// `security_groups`: the ports in this group (repeatable).
    pub fn security_group(mut self, group: impl Into<SecurityGroupId>) -> Self {
        self.query
            .push("security_groups", String::from(group.into()));
        self
    }
}

/// A port being created by [`Ports::create`]; nothing is sent before [`CreatePort::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreatePort {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreatePort {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `fixed_ips`: the addresses (or subnets) to take.
        fixed_ips("fixed_ips": Vec<FixedIp>);
        /// `mac_address` (admin only, by default).
        mac_address("mac_address": String);
        /// `security_groups` (an empty list: none at all).
        security_groups("security_groups": Vec<SecurityGroupId>);
        /// `port_security_enabled`.
        port_security_enabled("port_security_enabled": bool);
        /// `allowed_address_pairs`.
        allowed_address_pairs("allowed_address_pairs": Vec<AddressPair>);
        /// `admin_state_up`.
        admin_state_up("admin_state_up": bool);
        /// `device_id`.
        device_id("device_id": String);
        /// `device_owner`.
        device_owner("device_owner": String);
        /// `binding:vnic_type` (`normal`, `direct`, ...).
        vnic_type("binding:vnic_type": String);
        /// `dns_name`.
        dns_name("dns_name": String);
        /// `description`.
        description("description": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<Port>(&self.body)
    }

    /// Sends `POST /v2.0/ports` and answers the new port.
    pub async fn send(self) -> Result<Port> {
        resource::create::<Port>(&self.client.session, &self.body).await
    }
}

/// Changes to a port, made by [`Ports::update`]; nothing is sent before [`UpdatePort::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdatePort {
    client: NetworkClient,
    id: PortId,
    body: Map<String, Value>,
}

impl UpdatePort {
    body_setters! {
        /// A new name.
        name("name": String);
        /// `fixed_ips`: the addresses it is to have.
        fixed_ips("fixed_ips": Vec<FixedIp>);
        /// `security_groups` (an empty list: none at all).
        security_groups("security_groups": Vec<SecurityGroupId>);
        /// `port_security_enabled`.
        port_security_enabled("port_security_enabled": bool);
        /// `allowed_address_pairs`.
        allowed_address_pairs("allowed_address_pairs": Vec<AddressPair>);
        /// `admin_state_up`.
        admin_state_up("admin_state_up": bool);
        /// `device_id`.
        device_id("device_id": String);
        /// `device_owner`.
        device_owner("device_owner": String);
        /// `dns_name`.
        dns_name("dns_name": String);
        /// `description`.
        description("description": String);
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<Port>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/ports/{id}` and answers the port.
    pub async fn send(self) -> Result<Port> {
        resource::update::<Port>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
