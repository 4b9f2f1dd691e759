//! The operator's view of the compute hosts: `/os-aggregates` (made, renamed, given hosts
//! and metadata), and read-only `/os-hypervisors` and `/os-services`, as Nova with its fake
//! driver shows its one compute host. All of it is admin's.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::fleet::{Aggregate, HOST, nova_time};
use super::instance_metadata::AVAILABILITY_ZONE;
use super::microversion::Microversion;
use super::{bad_request, conflict, not_found, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// What Nova's fake driver reports for its host.
const VCPUS: u64 = 1000;
const MEMORY_MB: u64 = 800_000;
const LOCAL_GB: u64 = 600_000;

fn admin_only(caller: &Caller, rule: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(policy_forbids(&format!("os_compute_api:{rule}")))
    }
}

fn repr(aggregate: &Aggregate, version: Microversion, full: bool) -> Value {
    let mut doc = json!({
        "availability_zone": aggregate.availability_zone,
        "created_at": nova_time(aggregate.created_at),
        "deleted": false,
        "deleted_at": null,
        "id": aggregate.id,
        "name": aggregate.name,
        "updated_at": aggregate.updated_at.map(nova_time),
    });
    if full {
        doc["hosts"] = json!(aggregate.hosts);
        doc["metadata"] = json!(aggregate.metadata);
    }
    if version.at_least(41) {
        doc["uuid"] = json!(aggregate.uuid);
    }
    doc
}

fn invalid(field: &str, detail: impl std::fmt::Display) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. {detail}"
    ))
}

/// The `aggregate` object of a body, its `name` (required when `create`) and its
/// `availability_zone` (`Some(None)` for null).
fn parse(body: &[u8], create: bool) -> Result<(Option<String>, Option<Option<String>>), ApiError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|_| bad_request("Malformed request body"))?;
    let aggregate = doc
        .get("aggregate")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("aggregate", "'aggregate' is a required property"))?;
    let text = |key: &str| -> Result<Option<Option<String>>, ApiError> {
        match aggregate.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(v)) if !v.trim().is_empty() && v.chars().count() <= 255 => {
                Ok(Some(Some(v.clone())))
            }
            Some(other) => Err(invalid(
                key,
                format!("Value: {other}. {other} is not a valid 1-255 character name"),
            )),
        }
    };
    let name = match text("name")? {
        Some(Some(name)) => Some(name),
        Some(None) => return Err(invalid("name", "Value: None. None is not of type 'string'")),
        None if create => return Err(invalid("aggregate", "'name' is a required property")),
        None => None,
    };
    let zone = text("availability_zone")?;
    if !create && name.is_none() && zone.is_none() {
        return Err(invalid("aggregate", "{} does not have enough properties"));
    }
    Ok((name, zone))
}

/// `GET /os-aggregates`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-aggregates:index")?;
    let fleet = state.nova.fleet();
    let listed: Vec<Value> = fleet
        .lock()
        .aggregates
        .iter()
        .map(|a| repr(a, version, true))
        .collect();
    Ok(axum::Json(json!({"aggregates": listed})).into_response())
}

/// `POST /os-aggregates` (200, as Nova answers).
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-aggregates:create")?;
    let (name, zone) = parse(&body, true)?;
    let name = name.unwrap_or_default();
    let zone = zone.flatten();
    let fleet = state.nova.fleet();
    let mut fleet_state = fleet.lock();
    if fleet_state.aggregates.iter().any(|a| a.name == name) {
        return Err(conflict(format!("Aggregate {name} already exists.")));
    }
    let aggregate = Aggregate {
        id: fleet_state.next_aggregate_id(),
        uuid: uuid::Uuid::new_v4().to_string(),
        name,
        metadata: zone
            .iter()
            .map(|z| ("availability_zone".to_owned(), z.clone()))
            .collect(),
        availability_zone: zone,
        hosts: Vec::new(),
        created_at: Timestamp::now(),
        updated_at: None,
    };
    fleet.save_aggregate(&aggregate);
    let doc = repr(&aggregate, version, false);
    fleet_state.aggregates.push(aggregate);
    Ok(axum::Json(json!({"aggregate": doc})).into_response())
}

fn position(aggregates: &[Aggregate], id: &str) -> Result<usize, ApiError> {
    aggregates
        .iter()
        .position(|a| a.id.to_string() == id)
        .ok_or_else(|| not_found(format!("Aggregate {id} could not be found.")))
}

/// `GET /os-aggregates/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-aggregates:show")?;
    let fleet = state.nova.fleet();
    let fleet_state = fleet.lock();
    let index = position(&fleet_state.aggregates, &id)?;
    let doc = repr(&fleet_state.aggregates[index], version, true);
    Ok(axum::Json(json!({"aggregate": doc})).into_response())
}

/// `PUT /os-aggregates/{id}`: a new name or availability zone.
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-aggregates:update")?;
    let (name, zone) = parse(&body, false)?;
    let fleet = state.nova.fleet();
    let mut fleet_state = fleet.lock();
    let index = position(&fleet_state.aggregates, &id)?;
    if let Some(name) = &name
        && fleet_state
            .aggregates
            .iter()
            .any(|a| &a.name == name && a.id.to_string() != id)
    {
        return Err(conflict(format!("Aggregate {name} already exists.")));
    }
    let aggregate = &mut fleet_state.aggregates[index];
    if let Some(name) = name {
        aggregate.name = name;
    }
    if let Some(zone) = zone {
        match &zone {
            Some(z) => aggregate
                .metadata
                .insert("availability_zone".to_owned(), z.clone()),
            None => aggregate.metadata.remove("availability_zone"),
        };
        aggregate.availability_zone = zone;
    }
    aggregate.updated_at = Some(Timestamp::now());
    fleet.save_aggregate(aggregate);
    let doc = repr(aggregate, version, true);
    Ok(axum::Json(json!({"aggregate": doc})).into_response())
}

/// `DELETE /os-aggregates/{id}`: an empty one.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-aggregates:delete")?;
    let fleet = state.nova.fleet();
    let mut fleet_state = fleet.lock();
    let index = position(&fleet_state.aggregates, &id)?;
    if !fleet_state.aggregates[index].hosts.is_empty() {
        // Nova's `InvalidAggregateActionDelete`, worded for hosts whatever the action.
        return Err(bad_request(format!(
            "Cannot remove host from aggregate {id}. Reason: Host aggregate is not empty."
        )));
    }
    let gone = fleet_state.aggregates.remove(index);
    fleet.forget_aggregate(gone.id);
    Ok(StatusCode::OK.into_response())
}

/// `POST /os-aggregates/{id}/action`: `add_host`, `remove_host`, `set_metadata`.
pub(crate) async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let doc: Value =
        serde_json::from_slice(&body).map_err(|_| bad_request("Malformed request body"))?;
    let (name, args) = doc
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .ok_or_else(|| {
            bad_request("Malformed request body: an action is an object with one key")
        })?;
    let rule = match name.as_str() {
        "add_host" => "os-aggregates:add_host",
        "remove_host" => "os-aggregates:remove_host",
        "set_metadata" => "os-aggregates:set_metadata",
        other => return Err(bad_request(format!("There is no such action: {other}"))),
    };
    admin_only(&caller, rule)?;
    let fleet = state.nova.fleet();
    let mut fleet_state = fleet.lock();
    let index = position(&fleet_state.aggregates, &id)?;
    let aggregate = &mut fleet_state.aggregates[index];
    match name.as_str() {
        "add_host" | "remove_host" => {
            let host = args
                .get("host")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(&name, "'host' is a required property"))?
                .to_owned();
            if name == "add_host" {
                if host != HOST {
                    return Err(not_found(format!(
                        "Compute host {host} could not be found."
                    )));
                }
                if aggregate.hosts.contains(&host) {
                    return Err(conflict(format!("Aggregate {id} already has host {host}.")));
                }
                aggregate.hosts.push(host);
            } else {
                if !aggregate.hosts.contains(&host) {
                    return Err(not_found(format!("Aggregate {id} has no host {host}.")));
                }
                aggregate.hosts.retain(|h| *h != host);
            }
        }
        _ => {
            let metadata = args
                .get("metadata")
                .and_then(Value::as_object)
                .ok_or_else(|| invalid("set_metadata", "'metadata' is a required property"))?;
            apply_metadata(aggregate, metadata)?;
        }
    }
    aggregate.updated_at = Some(Timestamp::now());
    fleet.save_aggregate(aggregate);
    let doc = repr(aggregate, version, true);
    Ok(axum::Json(json!({"aggregate": doc})).into_response())
}

fn apply_metadata(
    aggregate: &mut Aggregate,
    metadata: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > 255 {
            return Err(invalid(
                "metadata",
                format!("Key '{key}' must be 1-255 characters"),
            ));
        }
        match value {
            Value::Null => {
                aggregate.metadata.remove(key);
            }
            Value::String(v) if v.chars().count() <= 255 => {
                aggregate.metadata.insert(key.clone(), v.clone());
            }
            other => {
                return Err(invalid(
                    &format!("metadata/{key}"),
                    format!("Value: {other}. {other} is not of type 'string', 'null'"),
                ));
            }
        }
    }
    aggregate.availability_zone = aggregate.metadata.get("availability_zone").cloned();
    Ok(())
}

/// The host's id in `/os-hypervisors` and `/os-services` (an integer before 2.53, a UUID
/// from then on).
fn host_id(version: Microversion, n: u64, kind: &str) -> Value {
    if version.at_least(53) {
        json!(
            crate::keystone::directory::stable_id(kind, "", &n.to_string())
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let dash = matches!(i, 8 | 12 | 16 | 20).then_some('-');
                    dash.into_iter().chain(std::iter::once(c))
                })
                .collect::<String>()
        )
    } else {
        json!(n)
    }
}

fn hypervisor(state: &AppState, version: Microversion, detail: bool) -> Value {
    let mut doc = json!({
        "id": host_id(version, 1, "hypervisor"),
        "hypervisor_hostname": HOST,
        "state": "up",
        "status": "enabled",
    });
    if !detail {
        return doc;
    }
    let (vcpus_used, memory_used, disk_used, running) = {
        let nova = state.nova.lock();
        nova.servers
            .iter()
            .fold((0u64, 512u64, 0u64, 0u64), |(c, m, d, n), s| {
                (
                    c + u64::from(s.flavor.vcpus),
                    m + s.flavor.ram,
                    d + s.flavor.disk,
                    n + 1,
                )
            })
    };
    doc["host_ip"] = json!("127.0.0.1");
    doc["hypervisor_type"] = json!("fake");
    doc["hypervisor_version"] = json!(1000);
    doc["service"] = json!({
        "host": HOST,
        "id": host_id(version, 3, "service"),
        "disabled_reason": null,
    });
    if version.at_least(88) {
        doc["uptime"] = json!(null);
    } else {
        doc["vcpus"] = json!(VCPUS);
        doc["memory_mb"] = json!(MEMORY_MB);
        doc["local_gb"] = json!(LOCAL_GB);
        doc["vcpus_used"] = json!(vcpus_used);
        doc["memory_mb_used"] = json!(memory_used);
        doc["local_gb_used"] = json!(disk_used);
        doc["free_ram_mb"] = json!(MEMORY_MB.saturating_sub(memory_used));
        doc["free_disk_gb"] = json!(LOCAL_GB.saturating_sub(disk_used));
        doc["current_workload"] = json!(0);
        doc["running_vms"] = json!(running);
        doc["disk_available_least"] = json!(LOCAL_GB.saturating_sub(disk_used));
        doc["cpu_info"] =
            json!("{\"arch\": \"x86_64\", \"model\": \"qemu64\", \"vendor\": \"mock\"}");
    }
    doc
}

/// `GET /os-hypervisors`.
pub(crate) async fn hypervisors(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-hypervisors:list")?;
    let listed = vec![hypervisor(&state, version, false)];
    Ok(axum::Json(json!({"hypervisors": listed})).into_response())
}

/// `GET /os-hypervisors/detail`.
pub(crate) async fn hypervisors_detail(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-hypervisors:list-detail")?;
    let listed = vec![hypervisor(&state, version, true)];
    Ok(axum::Json(json!({"hypervisors": listed})).into_response())
}

/// `GET /os-hypervisors/{id}`.
pub(crate) async fn hypervisor_show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-hypervisors:show")?;
    let doc = hypervisor(&state, version, true);
    let matches = match &doc["id"] {
        Value::String(s) => *s == id,
        other => *other == json!(id.parse::<u64>().ok()),
    };
    if !matches {
        return Err(not_found(format!(
            "Hypervisor with ID '{id}' could not be found."
        )));
    }
    Ok(axum::Json(json!({"hypervisor": doc})).into_response())
}

/// `GET /os-services`: the scheduler and conductor (zone `internal`) and the compute
/// service (zone `nova`), all up.
pub(crate) async fn services(
    caller: Caller,
    Extension(version): Extension<Microversion>,
) -> Result<Response, ApiError> {
    admin_only(&caller, "os-services:list")?;
    let now = nova_time(Timestamp::now());
    let listed: Vec<Value> = [
        (1, "nova-scheduler", "internal"),
        (2, "nova-conductor", "internal"),
        (3, "nova-compute", AVAILABILITY_ZONE),
    ]
    .into_iter()
    .map(|(n, binary, zone)| {
        let mut doc = json!({
            "id": host_id(version, n, "service"),
            "binary": binary,
            "host": HOST,
            "zone": zone,
            "status": "enabled",
            "state": "up",
            "updated_at": now,
            "disabled_reason": null,
        });
        if version.at_least(11) {
            doc["forced_down"] = json!(false);
        }
        doc
    })
    .collect();
    Ok(axum::Json(json!({"services": listed})).into_response())
}
