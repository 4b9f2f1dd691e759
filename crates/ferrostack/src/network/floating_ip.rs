//! Floating IPs as Neutron shows them: an address of an external network, forwarded to a
//! port's fixed IP.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ids::{FloatingIpId, NetworkId, PortId, RouterId};
use super::model::Status;
use super::wire;

/// A floating IP (`GET /v2.0/floatingips/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FloatingIp {
    /// The id.
    pub id: FloatingIpId,
    /// The address.
    pub floating_ip_address: IpAddr,
    /// The external network it comes from.
    pub floating_network_id: NetworkId,
    /// The port it forwards to, when associated.
    #[serde(default)]
    pub port_id: Option<PortId>,
    /// The port's address it forwards to, when associated.
    #[serde(default)]
    pub fixed_ip_address: Option<IpAddr>,
    /// The router that forwards it, when associated.
    #[serde(default)]
    pub router_id: Option<RouterId>,
    /// `DOWN` while unassociated, `ACTIVE` once forwarding.
    #[serde(default)]
    pub status: Option<Status>,
    /// The associated port, in brief (`fip-port-details`).
    #[serde(default)]
    pub port_details: Option<PortDetails>,
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
    /// Every other field (`port_forwardings`, `dns_name`, `qos_policy_id`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// What a floating IP shows of its port (`fip-port-details`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PortDetails {
    /// The port's name.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// The port's network.
    #[serde(default)]
    pub network_id: Option<NetworkId>,
    /// The port's MAC.
    #[serde(default)]
    pub mac_address: Option<String>,
    /// What uses the port (a server id).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub device_id: String,
    /// What kind of thing uses the port.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub device_owner: String,
    /// The port's status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Whether the port is administratively up.
    #[serde(default)]
    pub admin_state_up: Option<bool>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}
