//! Routers as Neutron shows them: the external gateway and the interfaces on subnets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{NetworkId, PortId, RouterId, SubnetId};
use super::model::{HostRoute, Status};
use super::port::FixedIp;
use super::wire;

/// A router's way out: the external network its gateway port is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalGateway {
    /// The external network.
    pub network_id: NetworkId,
    /// Whether traffic going out is source-NATed (`ext-gw-mode`; admin only to change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_snat: Option<bool>,
    /// The gateway port's addresses.
    #[serde(
        default,
        deserialize_with = "wire::list_or_null",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_fixed_ips: Vec<FixedIp>,
}

impl ExternalGateway {
    /// A gateway on `network`, address and SNAT as Neutron defaults them.
    pub fn new(network: impl Into<NetworkId>) -> Self {
        Self {
            network_id: network.into(),
            enable_snat: None,
            external_fixed_ips: Vec::new(),
        }
    }

    /// Whether outgoing traffic is source-NATed.
    pub fn enable_snat(mut self, snat: bool) -> Self {
        self.enable_snat = Some(snat);
        self
    }

    /// An address (or subnet) for the gateway port (repeatable).
    pub fn fixed_ip(mut self, ip: FixedIp) -> Self {
        self.external_fixed_ips.push(ip);
        self
    }
}

/// A router (`GET /v2.0/routers/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Router {
    /// The id.
    pub id: RouterId,
    /// The name.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// The status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Whether it is administratively up.
    #[serde(default)]
    pub admin_state_up: Option<bool>,
    /// The external gateway, if it has one.
    #[serde(default)]
    pub external_gateway_info: Option<ExternalGateway>,
    /// Static routes (`extraroute`).
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub routes: Vec<HostRoute>,
    /// Whether it is distributed (DVR; admin only).
    #[serde(default)]
    pub distributed: Option<bool>,
    /// Whether it is highly available (admin only).
    #[serde(default)]
    pub ha: Option<bool>,
    /// The availability zones it is in.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub availability_zones: Vec<String>,
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

/// What `add_router_interface` and `remove_router_interface` answer (not wrapped in an
/// envelope): the router, and the port and subnet of the interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RouterInterface {
    /// The router's id.
    pub id: RouterId,
    /// The interface's port.
    pub port_id: PortId,
    /// The subnet it is on.
    #[serde(default)]
    pub subnet_id: Option<SubnetId>,
    /// Every subnet of the port.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub subnet_ids: Vec<SubnetId>,
    /// The network of the port.
    #[serde(default)]
    pub network_id: Option<NetworkId>,
    /// The owning project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}
