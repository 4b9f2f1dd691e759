//! Ports as Neutron shows them: a network interface with its MAC and fixed IPs.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ids::{NetworkId, PortId, SecurityGroupId, SubnetId};
use super::model::Status;
use super::wire;

/// One of a port's addresses, or one asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FixedIp {
    /// The address; Neutron picks one from the subnet when it is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<IpAddr>,
    /// The subnet it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
}

impl FixedIp {
    /// This address (its subnet found by Neutron).
    pub fn address(ip: IpAddr) -> Self {
        Self {
            ip_address: Some(ip),
            subnet_id: None,
        }
    }

    /// Any free address on this subnet.
    pub fn on_subnet(subnet: impl Into<SubnetId>) -> Self {
        Self {
            ip_address: None,
            subnet_id: Some(subnet.into()),
        }
    }

    /// This address on this subnet.
    pub fn new(ip: IpAddr, subnet: impl Into<SubnetId>) -> Self {
        Self {
            ip_address: Some(ip),
            subnet_id: Some(subnet.into()),
        }
    }
}

/// An address (and MAC) besides the port's own that may send from it
/// (`allowed-address-pairs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AddressPair {
    /// An address or prefix (`10.0.0.0/24`).
    pub ip_address: String,
    /// The MAC; the port's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
}

impl AddressPair {
    /// `ip_address` (an address or prefix) with the port's own MAC.
    pub fn new(ip_address: impl Into<String>) -> Self {
        Self {
            ip_address: ip_address.into(),
            mac_address: None,
        }
    }
}

/// A port (`GET /v2.0/ports/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Port {
    /// The id.
    pub id: PortId,
    /// The name.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// The network it is on.
    pub network_id: NetworkId,
    /// The MAC address (`fa:16:3e:..`).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub mac_address: String,
    /// Its addresses.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub fixed_ips: Vec<FixedIp>,
    /// What uses it: a server id, a router id, a DHCP agent (empty when unused).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub device_id: String,
    /// What kind of thing uses it: `compute:<zone>`, `network:router_interface`,
    /// `network:router_gateway`, `network:floatingip`, `network:dhcp` (empty when unused).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub device_owner: String,
    /// The status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Whether it is administratively up.
    #[serde(default)]
    pub admin_state_up: Option<bool>,
    /// Its security groups.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub security_groups: Vec<SecurityGroupId>,
    /// Whether its security groups and address checks apply (`port-security`).
    #[serde(default)]
    pub port_security_enabled: Option<bool>,
    /// Other addresses that may send from it.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub allowed_address_pairs: Vec<AddressPair>,
    /// `binding:host_id`: the compute host it is bound to (admin only).
    #[serde(rename = "binding:host_id", default)]
    pub host_id: Option<String>,
    /// `binding:vnic_type` (`normal`, `direct`, ...).
    #[serde(rename = "binding:vnic_type", default)]
    pub vnic_type: Option<String>,
    /// `binding:vif_type` (`ovs`, `unbound`, `binding_failed`, ...; admin only).
    #[serde(rename = "binding:vif_type", default)]
    pub vif_type: Option<String>,
    /// The DNS name (`dns-integration`).
    #[serde(default)]
    pub dns_name: Option<String>,
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
    /// Every other field (`binding:profile`, `extra_dhcp_opts`, `dns_assignment`, ...), kept
    /// as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Port {
    /// Its addresses, the ones Neutron wrote without an address skipped.
    pub fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.fixed_ips.iter().filter_map(|ip| ip.ip_address)
    }
}
