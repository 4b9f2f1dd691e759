//! The [`Subnets`] handle and its list, create and update builders.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::NetworkClient;
use super::ids::{NetworkId, SubnetId};
use super::model::{AllocationPool, HostRoute, Subnet};
use super::requests;
use super::resource::{
    self, Query, Resource, body_setters, handle_common, handle_tags, list_common,
};
use crate::error::{Error, Result};
use crate::request::Request;

impl Resource for Subnet {
    const ONE: &'static str = "subnet";
    const MANY: &'static str = "subnets";
    const LINKS: &'static str = "subnets_links";
    const PATH: &'static str = "/subnets";
    const LABEL: &'static str = "subnet";
    const REQUIRED: &'static [&'static str] = &["id", "network_id", "ip_version", "cidr"];

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn check(body: &Map<String, Value>) -> Result<()> {
        if let Some(version) = body.get("ip_version")
            && version != 4
            && version != 6
        {
            return Err(Error::invalid_input(format!(
                "subnet: ip_version {version} must be 4 or 6"
            )));
        }
        Ok(())
    }
}

/// Neutron's subnets. Cheap to clone; get one from [`NetworkClient::subnets`].
#[derive(Debug, Clone)]
pub struct Subnets {
    client: NetworkClient,
}

impl Subnets {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    handle_common!(Subnet, SubnetId);
    handle_tags!(Subnet, SubnetId);

    /// The subnets the caller can see: set filters, then [`ListSubnets::stream`] or
    /// [`ListSubnets::collect_all`].
    pub fn list(&self) -> ListSubnets {
        ListSubnets {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A subnet `cidr` (`10.0.0.0/24`) on `network`; the IP version follows the range
    /// unless set. The rest as setters, then [`CreateSubnet::send`].
    pub fn create(&self, network: impl Into<NetworkId>, cidr: impl Into<String>) -> CreateSubnet {
        let cidr = cidr.into();
        let mut body = Map::new();
        body.insert("network_id".to_owned(), json!(network.into()));
        body.insert(
            "ip_version".to_owned(),
            json!(if cidr.contains(':') { 6 } else { 4 }),
        );
        body.insert("cidr".to_owned(), json!(cidr));
        CreateSubnet {
            client: self.client.clone(),
            body,
        }
    }

    /// Changes to a subnet: set them on the builder, then [`UpdateSubnet::send`].
    pub fn update(&self, id: impl Into<SubnetId>) -> UpdateSubnet {
        UpdateSubnet {
            client: self.client.clone(),
            id: id.into(),
            body: Map::new(),
        }
    }
}

/// Which subnets to list (`GET /v2.0/subnets`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListSubnets {
    client: NetworkClient,
    query: Query,
}

impl ListSubnets {
    list_common!(Subnet);

    /// `name`: exactly this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.query.set("name", name);
        self
    }

    /// `network_id`: the subnets of this network.
    pub fn network_id(mut self, network: impl Into<NetworkId>) -> Self {
        self.query.set("network_id", String::from(network.into()));
        self
    }

    /// `ip_version`: 4 or 6.
    pub fn ip_version(mut self, version: u8) -> Self {
        self.query.set("ip_version", version.to_string());
        self
    }

    /// `cidr`: exactly this range.
    pub fn cidr(mut self, cidr: impl Into<String>) -> Self {
        self.query.set("cidr", cidr);
        self
    }

    /// `gateway_ip`.
    pub fn gateway_ip(mut self, ip: IpAddr) -> Self {
        self.query.set("gateway_ip", ip.to_string());
        self
    }

    /// `enable_dhcp`.
    pub fn enable_dhcp(mut self, enabled: bool) -> Self {
        self.query.set("enable_dhcp", enabled.to_string());
        self
    }
}

/// A subnet being created by [`Subnets::create`]; nothing is sent before
/// [`CreateSubnet::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateSubnet {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateSubnet {
    body_setters! {
        /// `name`.
        name("name": String);
        /// `ip_version`, when the range does not say (4 or 6).
        ip_version("ip_version": u8);
        /// `gateway_ip` (default: the range's first address).
        gateway_ip("gateway_ip": IpAddr);
        /// `enable_dhcp` (default: on).
        enable_dhcp("enable_dhcp": bool);
        /// `allocation_pools` (default: the whole range but the gateway).
        allocation_pools("allocation_pools": Vec<AllocationPool>);
        /// `dns_nameservers`.
        dns_nameservers("dns_nameservers": Vec<String>);
        /// `host_routes`.
        host_routes("host_routes": Vec<HostRoute>);
        /// `ipv6_ra_mode`.
        ipv6_ra_mode("ipv6_ra_mode": String);
        /// `ipv6_address_mode`.
        ipv6_address_mode("ipv6_address_mode": String);
        /// `description`.
        description("description": String);
    }

    /// No gateway at all (`gateway_ip: null`).
    pub fn no_gateway(mut self) -> Self {
        self.body.insert("gateway_ip".to_owned(), Value::Null);
        self
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::create::<Subnet>(&self.body)
    }

    /// Sends `POST /v2.0/subnets` and answers the new subnet.
    pub async fn send(self) -> Result<Subnet> {
        resource::create::<Subnet>(&self.client.session, &self.body).await
    }
}

/// Changes to a subnet, made by [`Subnets::update`]; nothing is sent before
/// [`UpdateSubnet::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateSubnet {
    client: NetworkClient,
    id: SubnetId,
    body: Map<String, Value>,
}

impl UpdateSubnet {
    body_setters! {
        /// A new name.
        name("name": String);
        /// `gateway_ip`.
        gateway_ip("gateway_ip": IpAddr);
        /// `enable_dhcp`.
        enable_dhcp("enable_dhcp": bool);
        /// `allocation_pools`.
        allocation_pools("allocation_pools": Vec<AllocationPool>);
        /// `dns_nameservers`.
        dns_nameservers("dns_nameservers": Vec<String>);
        /// `host_routes`.
        host_routes("host_routes": Vec<HostRoute>);
        /// `description`.
        description("description": String);
    }

    /// Removes the gateway (`gateway_ip: null`).
    pub fn no_gateway(mut self) -> Self {
        self.body.insert("gateway_ip".to_owned(), Value::Null);
        self
    }

    /// The request, as it will be sent.
    pub fn request(&self) -> Result<Request> {
        requests::update::<Subnet>(self.id.as_str(), &self.body)
    }

    /// Sends `PUT /v2.0/subnets/{id}` and answers the subnet.
    pub async fn send(self) -> Result<Subnet> {
        resource::update::<Subnet>(&self.client.session, self.id.as_str(), &self.body).await
    }
}
