//! What Neutron shows of extensions, networks and subnets, and the words shared by every
//! resource.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ids::{NetworkId, SubnetId};
use super::wire::{self, word_enum};
use crate::paginate::Link;

word_enum!(
    /// The status of a network, port, router or floating IP.
    ///
    /// ```
    /// use ferrostack::network::Status;
    /// assert_eq!(Status::from("ACTIVE"), Status::Active);
    /// assert_eq!(Status::from("N/A"), Status::Unknown("N/A".into()));
    /// ```
    Status {
        /// Up and passing traffic.
        Active => "ACTIVE",
        /// Not (yet) passing traffic: a port no VM uses, a floating IP with no port.
        Down => "DOWN",
        /// Being set up.
        Build => "BUILD",
        /// Failed.
        Error => "ERROR",
    }
);

/// An API extension the cloud offers (`GET /v2.0/extensions`): what a Neutron can do beyond
/// the core, named by its `alias` (`router`, `security-group`, `standard-attr-tag`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Extension {
    /// The alias, the extension's id.
    pub alias: String,
    /// The name (`Neutron L3 Router`).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// What it adds.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub description: String,
    /// When it last changed, as Neutron writes it (`2012-07-20T10:00:00-00:00`).
    #[serde(default)]
    pub updated: Option<String>,
    /// Links (usually none).
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub links: Vec<Link>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A network (`GET /v2.0/networks/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Network {
    /// The id.
    pub id: NetworkId,
    /// The name (may be empty; not unique).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// The status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Whether it is administratively up.
    #[serde(default)]
    pub admin_state_up: Option<bool>,
    /// Whether every project may use it.
    #[serde(default)]
    pub shared: bool,
    /// `router:external`: whether floating IPs and router gateways come from it.
    #[serde(rename = "router:external", default)]
    pub external: bool,
    /// Its subnets.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub subnets: Vec<SubnetId>,
    /// The MTU (`net-mtu` extension).
    #[serde(default)]
    pub mtu: Option<u32>,
    /// Whether ports on it get port security by default (`port-security` extension).
    #[serde(default)]
    pub port_security_enabled: Option<bool>,
    /// The owning project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// A description.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub description: String,
    /// Tags (`standard-attr-tag` extension).
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub tags: Vec<String>,
    /// The availability zones it is in.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub availability_zones: Vec<String>,
    /// When it was created.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// When it last changed.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub updated_at: Option<jiff::Timestamp>,
    /// The revision, for `If-Match` updates.
    #[serde(default)]
    pub revision_number: Option<u64>,
    /// Every other field (`provider:*`, `ipv4_address_scope`, `is_default`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An address range Neutron allocates from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AllocationPool {
    /// The first address.
    pub start: IpAddr,
    /// The last address.
    pub end: IpAddr,
}

impl AllocationPool {
    /// The addresses from `start` to `end`, both included.
    pub fn new(start: IpAddr, end: IpAddr) -> Self {
        Self { start, end }
    }
}

/// A route a subnet's DHCP hands out, or a router's static route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostRoute {
    /// The destination prefix (`10.1.0.0/24`).
    pub destination: String,
    /// The next hop.
    pub nexthop: IpAddr,
}

impl HostRoute {
    /// Traffic for `destination` goes through `nexthop`.
    pub fn new(destination: impl Into<String>, nexthop: IpAddr) -> Self {
        Self {
            destination: destination.into(),
            nexthop,
        }
    }
}

/// A subnet (`GET /v2.0/subnets/{id}`): an address range on a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subnet {
    /// The id.
    pub id: SubnetId,
    /// The name.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// The network it belongs to.
    pub network_id: NetworkId,
    /// 4 or 6.
    pub ip_version: u8,
    /// The range (`10.0.0.0/24`).
    pub cidr: String,
    /// The gateway; `None` when the subnet has none.
    #[serde(default)]
    pub gateway_ip: Option<IpAddr>,
    /// The ranges addresses are allocated from.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub allocation_pools: Vec<AllocationPool>,
    /// Whether Neutron serves DHCP on it.
    #[serde(default)]
    pub enable_dhcp: bool,
    /// DNS servers handed out by DHCP.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub dns_nameservers: Vec<String>,
    /// Routes handed out by DHCP.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub host_routes: Vec<HostRoute>,
    /// IPv6 router advertisement mode (`slaac`, `dhcpv6-stateful`, ...).
    #[serde(default)]
    pub ipv6_ra_mode: Option<String>,
    /// IPv6 address mode.
    #[serde(default)]
    pub ipv6_address_mode: Option<String>,
    /// The subnet pool it was allocated from.
    #[serde(default)]
    pub subnetpool_id: Option<String>,
    /// The owning project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// A description.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub description: String,
    /// Tags.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub tags: Vec<String>,
    /// When it was created.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// When it last changed.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub updated_at: Option<jiff::Timestamp>,
    /// The revision.
    #[serde(default)]
    pub revision_number: Option<u64>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}
