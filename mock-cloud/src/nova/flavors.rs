//! Flavors: Nova's standard m1.* set (plus devstack's m1.nano for tiny test images), seeded
//! ones and those an admin creates. List, detail, show, with limit/marker pagination; writes
//! in [`manage`], extra specs in [`extra_specs`], who may use a private one in [`access`].

pub(crate) mod access;
pub(crate) mod extra_specs;
pub(crate) mod manage;

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::microversion::Microversion;
use super::{ListQuery, not_found, page};
use crate::app::AppState;
use crate::auth::Caller;
use crate::cloud::seed::SeedFlavor;
use crate::errors::ApiError;

/// A flavor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Flavor {
    /// Its id (a string, often a small number).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Memory in MiB.
    pub(crate) ram: u64,
    /// Root disk in GiB.
    pub(crate) disk: u64,
    /// Virtual CPUs.
    pub(crate) vcpus: u32,
    /// Ephemeral disk in GiB.
    pub(crate) ephemeral: u64,
    /// Swap in MiB.
    pub(crate) swap: u64,
    /// Whether every project sees it.
    pub(crate) is_public: bool,
    /// The network bandwidth factor.
    #[serde(default = "one")]
    pub(crate) rxtx_factor: f64,
    /// Its description (2.55 and later).
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Its extra specs.
    #[serde(default)]
    pub(crate) extra_specs: BTreeMap<String, String>,
    /// The projects given access to it (private flavors), in the order they were added.
    #[serde(default)]
    pub(crate) projects: Vec<String>,
}

fn one() -> f64 {
    1.0
}

impl From<&SeedFlavor> for Flavor {
    fn from(f: &SeedFlavor) -> Self {
        Flavor {
            id: f.id.clone(),
            name: f.name.clone(),
            ram: f.ram,
            disk: f.disk,
            vcpus: f.vcpus,
            ephemeral: f.ephemeral,
            swap: f.swap,
            is_public: f.is_public,
            rxtx_factor: 1.0,
            description: None,
            extra_specs: BTreeMap::new(),
            projects: Vec::new(),
        }
    }
}

/// The flavors every cloud starts with.
pub(crate) fn defaults() -> Vec<Flavor> {
    [
        ("1", "m1.tiny", 512, 1, 1),
        ("2", "m1.small", 2048, 20, 1),
        ("3", "m1.medium", 4096, 40, 2),
        ("4", "m1.large", 8192, 80, 4),
        ("42", "m1.nano", 128, 1, 1),
        ("5", "m1.xlarge", 16384, 160, 8),
    ]
    .into_iter()
    .map(|(id, name, ram, disk, vcpus)| Flavor {
        id: id.to_owned(),
        name: name.to_owned(),
        ram,
        disk,
        vcpus,
        ephemeral: 0,
        swap: 0,
        is_public: true,
        rxtx_factor: 1.0,
        description: None,
        extra_specs: BTreeMap::new(),
        projects: Vec::new(),
    })
    .collect()
}

impl Flavor {
    fn links(&self, base: &str) -> Value {
        json!([
            {"rel": "self", "href": format!("{base}/compute/v2.1/flavors/{}", self.id)},
            {"rel": "bookmark", "href": format!("{base}/compute/flavors/{}", self.id)},
        ])
    }

    /// The short form of a listing.
    pub(crate) fn summary(&self, base: &str, version: Microversion) -> Value {
        let mut v = json!({"id": self.id, "name": self.name, "links": self.links(base)});
        if version.at_least(55) {
            v["description"] = json!(self.description);
        }
        v
    }

    /// The full form (detail and show).
    pub(crate) fn detail(&self, base: &str, version: Microversion) -> Value {
        let mut v = self.summary(base, version);
        v["ram"] = json!(self.ram);
        v["disk"] = json!(self.disk);
        v["vcpus"] = json!(self.vcpus);
        // Before 2.75 a flavor without swap says "" rather than 0.
        v["swap"] = if self.swap == 0 && !version.at_least(75) {
            json!("")
        } else {
            json!(self.swap)
        };
        v["OS-FLV-EXT-DATA:ephemeral"] = json!(self.ephemeral);
        v["OS-FLV-DISABLED:disabled"] = json!(false);
        v["os-flavor-access:is_public"] = json!(self.is_public);
        v["rxtx_factor"] = json!(self.rxtx_factor);
        if version.at_least(61) {
            v["extra_specs"] = json!(self.extra_specs);
        }
        v
    }

    /// The flavor embedded in a server from 2.47.
    pub(crate) fn embedded(&self) -> Value {
        json!({
            "original_name": self.name,
            "vcpus": self.vcpus,
            "ram": self.ram,
            "disk": self.disk,
            "ephemeral": self.ephemeral,
            "swap": self.swap,
            "extra_specs": self.extra_specs,
        })
    }

    /// Whether `caller` may see it: an admin sees every flavor, anyone else the public ones
    /// and those given to their project (Nova's flavor access query).
    pub(crate) fn visible_to(&self, caller: &Caller) -> bool {
        self.is_public || caller.is_admin() || self.has_access(caller)
    }

    /// Whether it was given to the caller's project.
    fn has_access(&self, caller: &Caller) -> bool {
        caller
            .project_id
            .as_ref()
            .is_some_and(|p| self.projects.contains(p))
    }
}

/// The flavor `id` as `caller` may see it, or Nova's 404.
pub(crate) fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<Flavor, ApiError> {
    state
        .nova
        .flavor(id)
        .filter(|f| f.visible_to(caller))
        .ok_or_else(|| not_found(format!("Flavor {id} could not be found.")))
}

fn sorted(state: &AppState) -> Vec<Flavor> {
    let mut flavors = state.nova.flavors();
    flavors.sort_by(|a, b| a.id.cmp(&b.id));
    flavors
}

/// The last value of `key` in the query.
fn param<'a>(query: &'a ListQuery, key: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Nova's flavor filters: `is_public` (an admin's alone: `true`, the default, `false`, or
/// `none` for all; anyone else sees public flavors and those given to their project), `minRam`
/// and `minDisk`.
fn filtered(
    flavors: Vec<Flavor>,
    query: &ListQuery,
    caller: &Caller,
) -> Result<Vec<Flavor>, ApiError> {
    let is_public = match param(query, "is_public") {
        Some(_) if !caller.is_admin() => Some(true),
        None => Some(true),
        Some(value) if value.eq_ignore_ascii_case("none") => None,
        Some(value) => Some(
            bool_from_string(value)
                .ok_or_else(|| super::bad_request(format!("Invalid is_public filter [{value}]")))?,
        ),
    };
    let minimum = |key: &str, what: &str| -> Result<Option<u64>, ApiError> {
        param(query, key)
            .map(|value| {
                value
                    .parse()
                    .map_err(|_| super::bad_request(format!("Invalid {what} filter [{value}]")))
            })
            .transpose()
    };
    let min_ram = minimum("minRam", "minRam")?;
    let min_disk = minimum("minDisk", "minDisk")?;
    Ok(flavors
        .into_iter()
        // Nova's `is_public=True` also takes in the flavors given to the caller's project.
        .filter(|f| {
            is_public.is_none_or(|public| f.is_public == public || (public && f.has_access(caller)))
        })
        .filter(|f| min_ram.is_none_or(|ram| f.ram >= ram))
        .filter(|f| min_disk.is_none_or(|disk| f.disk >= disk))
        .collect())
}

/// oslo's strict `bool_from_string`.
fn bool_from_string(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// `GET /flavors` and `GET /flavors/detail`.
async fn list(
    state: &AppState,
    caller: &Caller,
    version: Microversion,
    query: &ListQuery,
    detail: bool,
    path: &str,
) -> Result<Response, ApiError> {
    let flavors = filtered(sorted(state), query, caller)?;
    let (items, next) = page(
        &flavors,
        |f| &f.id,
        query,
        &format!("{}{path}", state.base_url),
    )?;
    let body: Vec<Value> = items
        .iter()
        .map(|f| {
            if detail {
                f.detail(&state.base_url, version)
            } else {
                f.summary(&state.base_url, version)
            }
        })
        .collect();
    let mut out = json!({"flavors": body});
    if let Some(next) = next {
        out["flavors_links"] = json!([{"rel": "next", "href": next}]);
    }
    Ok(axum::Json(out).into_response())
}

/// `GET /flavors`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(
        &state,
        &caller,
        version,
        &query,
        false,
        "/compute/v2.1/flavors",
    )
    .await
}

/// `GET /flavors/detail`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(
        &state,
        &caller,
        version,
        &query,
        true,
        "/compute/v2.1/flavors/detail",
    )
    .await
}

/// `GET /flavors/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let flavor = visible(&state, &caller, &id)?;
    Ok(axum::Json(json!({"flavor": flavor.detail(&state.base_url, version)})).into_response())
}
