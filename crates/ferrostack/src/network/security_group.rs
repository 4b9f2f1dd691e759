//! Security groups and their rules as Neutron shows them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{SecurityGroupId, SecurityGroupRuleId};
use super::wire::{self, word_enum};

word_enum!(
    /// Which traffic a rule is about.
    Direction {
        /// Traffic coming into the port.
        Ingress => "ingress",
        /// Traffic leaving the port.
        Egress => "egress",
    }
);

word_enum!(
    /// The IP version a rule is about.
    EtherType {
        /// IPv4.
        Ipv4 => "IPv4",
        /// IPv6.
        Ipv6 => "IPv6",
    }
);

/// A security group (`GET /v2.0/security-groups/{id}`): rules applied to the ports in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecurityGroup {
    /// The id.
    pub id: SecurityGroupId,
    /// The name (`default` for the one every project gets).
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub name: String,
    /// A description.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub description: String,
    /// Its rules (absent when `fields=` left them out).
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub security_group_rules: Vec<SecurityGroupRule>,
    /// Whether it tracks connections (the default) or filters each packet on its own.
    #[serde(default)]
    pub stateful: Option<bool>,
    /// Whether it is shared with other projects (RBAC).
    #[serde(default)]
    pub shared: Option<bool>,
    /// The owning project.
    #[serde(default)]
    pub project_id: Option<String>,
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

/// A security group rule (`GET /v2.0/security-group-rules/{id}`): traffic it lets through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecurityGroupRule {
    /// The id.
    pub id: SecurityGroupRuleId,
    /// The group it belongs to.
    pub security_group_id: SecurityGroupId,
    /// Ingress or egress.
    pub direction: Direction,
    /// IPv4 or IPv6.
    #[serde(default)]
    pub ethertype: Option<EtherType>,
    /// The protocol (`tcp`, `udp`, `icmp`, a number as text); `None` is any protocol.
    #[serde(default, deserialize_with = "protocol")]
    pub protocol: Option<String>,
    /// The first port (for ICMP: the type).
    #[serde(default)]
    pub port_range_min: Option<u32>,
    /// The last port (for ICMP: the code).
    #[serde(default)]
    pub port_range_max: Option<u32>,
    /// The peer's prefix (`0.0.0.0/0`); `None` is any.
    #[serde(default)]
    pub remote_ip_prefix: Option<String>,
    /// The peer security group: traffic from ports in it.
    #[serde(default)]
    pub remote_group_id: Option<SecurityGroupId>,
    /// The peer address group.
    #[serde(default)]
    pub remote_address_group_id: Option<String>,
    /// A description.
    #[serde(default, deserialize_with = "wire::text_or_null")]
    pub description: String,
    /// The owning project.
    #[serde(default)]
    pub project_id: Option<String>,
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

/// Neutron writes the protocol as text; older releases (and some plugins) as a number.
fn protocol<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    })
}
