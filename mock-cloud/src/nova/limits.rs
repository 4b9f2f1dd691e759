//! `/limits` and `/os-availability-zone`: the first things `openstack limits show` and
//! `openstack availability zone list` ask. Usage is counted from the caller's project.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::microversion::Microversion;
use super::policy_forbids;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// A project's compute quotas (Nova's defaults).
pub(crate) struct Quota {
    /// Servers.
    pub(crate) instances: u64,
    /// Virtual CPUs of all its servers.
    pub(crate) cores: u64,
    /// RAM of all its servers, in MiB.
    pub(crate) ram: u64,
}

/// Every project's quotas: what `/limits` shows and creates are held to.
pub(crate) const QUOTA: Quota = Quota {
    instances: 10,
    cores: 20,
    ram: 51200,
};

/// `GET /limits`: fixed quotas, real usage.
pub(crate) async fn limits(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
) -> Response {
    let (instances, cores, ram) = {
        let inner = state.nova.lock();
        inner
            .servers
            .iter()
            .filter(|s| caller.project_id.as_deref() == Some(s.project_id.as_str()))
            .fold((0u64, 0u64, 0u64), |(n, c, r), s| {
                (n + 1, c + u64::from(s.flavor.vcpus), r + s.flavor.ram)
            })
    };
    let keypairs = state
        .nova
        .lock()
        .keypairs
        .iter()
        .filter(|k| k.user_id == caller.user_id)
        .count();
    let mut absolute = json!({
        "maxTotalInstances": QUOTA.instances,
        "maxTotalCores": QUOTA.cores,
        "maxTotalRAMSize": QUOTA.ram,
        "maxTotalKeypairs": 100,
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": instances,
        "totalCoresUsed": cores,
        "totalRAMUsed": ram,
        "totalServerGroupsUsed": 0,
        "totalKeypairsUsed": keypairs,
    });
    // Network limits left the compute API in 2.36, personality files in 2.57.
    if !version.at_least(36) {
        for (key, value) in [
            ("maxSecurityGroups", 10),
            ("maxSecurityGroupRules", 20),
            ("maxTotalFloatingIps", 10),
            ("totalSecurityGroupsUsed", 0),
            ("totalFloatingIpsUsed", 0),
        ] {
            absolute[key] = json!(value);
        }
    }
    if !version.at_least(57) {
        absolute["maxPersonality"] = json!(5);
        absolute["maxPersonalitySize"] = json!(10240);
    }
    axum::Json(json!({"limits": {"rate": [], "absolute": absolute}})).into_response()
}

/// `GET /os-availability-zone/detail` (admins): the zone and its one compute host.
pub(crate) async fn availability_zones_detail(caller: Caller) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(policy_forbids("os_compute_api:os-availability-zone:detail"));
    }
    let updated = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S.%6f")
        .to_string();
    Ok(axum::Json(json!({"availabilityZoneInfo": [{
        "zoneName": "nova",
        "zoneState": {"available": true},
        "hosts": {"mock-compute": {"nova-compute": {
            "available": true, "active": true, "updated_at": updated}}},
    }]}))
    .into_response())
}

/// `GET /os-availability-zone`: the one zone, `nova`.
pub(crate) async fn availability_zones(_caller: Caller) -> Response {
    axum::Json(json!({"availabilityZoneInfo": [
        {"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}
    ]}))
    .into_response()
}
