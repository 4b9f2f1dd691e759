//! Flavors: the sizes a server can be booted with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::FlavorId;
use super::wire;
use crate::paginate::Link;

/// A flavor (`GET /flavors/detail`, `GET /flavors/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Flavor {
    /// The id.
    pub id: FlavorId,
    /// The name (`m1.small`).
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub ram: u64,
    /// Root disk in GiB (0: the image's size decides).
    pub disk: u64,
    /// Swap in MiB (older Novas write `""` for none).
    #[serde(default, deserialize_with = "wire::count")]
    pub swap: u64,
    /// `OS-FLV-EXT-DATA:ephemeral`: ephemeral disk in GiB.
    #[serde(
        rename = "OS-FLV-EXT-DATA:ephemeral",
        default,
        deserialize_with = "wire::count"
    )]
    pub ephemeral: u64,
    /// `os-flavor-access:is_public`.
    #[serde(rename = "os-flavor-access:is_public", default = "public_by_default")]
    pub is_public: bool,
    /// `OS-FLV-DISABLED:disabled`.
    #[serde(rename = "OS-FLV-DISABLED:disabled", default)]
    pub disabled: bool,
    /// The network bandwidth factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxtx_factor: Option<f64>,
    /// A description (2.55 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Extra specs (2.61 and later, when policy allows).
    #[serde(default, deserialize_with = "wire::map_or_null")]
    pub extra_specs: BTreeMap<String, String>,
    /// `self` and `bookmark` links.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub links: Vec<Link>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn public_by_default() -> bool {
    true
}

/// The `{"flavor": {...}}` envelope.
#[derive(Deserialize)]
pub(crate) struct FlavorEnvelope {
    pub(crate) flavor: Flavor,
}

/// One project's access to a private flavor (`GET /flavors/{id}/os-flavor-access`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FlavorAccess {
    /// The flavor.
    pub flavor_id: FlavorId,
    /// The project that may use it.
    pub tenant_id: String,
}

/// The `{"flavor_access": [...]}` envelope.
#[derive(Deserialize)]
pub(crate) struct FlavorAccessEnvelope {
    pub(crate) flavor_access: Vec<FlavorAccess>,
}

/// The `{"extra_specs": {...}}` envelope.
#[derive(Deserialize)]
pub(crate) struct ExtraSpecsEnvelope {
    #[serde(deserialize_with = "wire::map_or_null")]
    pub(crate) extra_specs: BTreeMap<String, String>,
}
