//! Servers: create (checked against the image and flavor), list/detail with filters and
//! pagination, show (flavor shape by microversion), update, delete, actions
//! (os-start, os-stop, reboot, os-getConsoleOutput, os-getVNCConsole) and remote consoles.
//!
//! Policy: a server is visible to its project and to admins (others get 404); readers may look
//! but not change (403); listing every project's servers (`all_tenants`) is for admins.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::driver::VmState;
use super::flavors::Flavor;
use super::microversion::Microversion;
use super::records;
use super::{bad_request, not_found, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Table};
use crate::errors::ApiError;

mod actions;
mod count;
mod create;
mod list;
mod schema;
mod sort;

pub(super) use self::actions::{action, remote_console};
pub(super) use self::create::create;
pub(super) use self::list::{detail, index};

/// One of Nova's vm or task state names. An alias, so that serde does not take the field for
/// a string borrowed from its input: [`records`] reads it back as one of the known names.
pub(crate) type StateName = &'static str;

/// A server as the API remembers it (and the state database keeps it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Server {
    /// Its id (a UUID).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its description (2.19+).
    pub(crate) description: Option<String>,
    /// The owning project.
    pub(crate) project_id: String,
    /// The user who made it.
    pub(crate) user_id: String,
    /// The image it booted from.
    pub(crate) image_id: String,
    /// The flavor it was made with (a snapshot, as Nova keeps it).
    pub(crate) flavor: Flavor,
    /// Its keypair's name.
    pub(crate) key_name: Option<String>,
    /// Its metadata.
    pub(crate) metadata: BTreeMap<String, String>,
    /// `building`, `active`, `stopped`, `error`.
    #[serde(deserialize_with = "records::vm_state")]
    pub(crate) vm_state: StateName,
    /// `spawning`, `powering-off`, `powering-on`, `rebooting`, `rebooting_hard`, or none.
    #[serde(deserialize_with = "records::task_state")]
    pub(crate) task_state: Option<StateName>,
    /// 0 no state, 1 running, 4 shutdown.
    pub(crate) power_state: u8,
    /// Creation order, for listings.
    pub(crate) seq: u64,
    /// The create request that made it (`max_count` servers share one); empty in records
    /// from before it was kept.
    #[serde(default)]
    pub(crate) reservation_id: String,
    /// Its place among the servers of its request.
    #[serde(default)]
    pub(crate) launch_index: u32,
    /// When it was made.
    pub(crate) created: Timestamp,
    /// When it last changed.
    pub(crate) updated: Timestamp,
    /// When it first became active.
    pub(crate) launched_at: Option<Timestamp>,
    /// Why it is in ERROR, and since when.
    pub(crate) fault: Option<(String, Timestamp)>,
    /// Its addresses (`{}` with networks `none`), as Neutron last reported them.
    pub(crate) addresses: Value,
    /// The names of its ports' security groups, as Neutron last reported them.
    #[serde(default)]
    pub(crate) security_groups: Vec<String>,
    /// The user data as given (base64), shown to admins from 2.3.
    pub(crate) user_data: Option<String>,
    /// The kernel and ramdisk images of an ami server (`""` for others), shown to admins
    /// from 2.3.
    pub(crate) kernel_id: String,
    /// See `kernel_id`.
    pub(crate) ramdisk_id: String,
    /// `config_drive` as Nova shows it: `"True"` when the create request asked for a drive,
    /// or, from its first boot on, when the driver forces one or the image requires one;
    /// else `""`.
    #[serde(default)]
    pub(crate) config_drive: String,
    /// The first boot makes a config drive though none was asked for (the driver's
    /// `force_config_drive`, the image's `img_config_drive=mandatory`).
    #[serde(default)]
    pub(crate) config_drive_at_spawn: bool,
    /// The keypair's public key and type, copied at create as Nova copies them into the
    /// instance (the metadata shows them even once the keypair is gone); records from
    /// before they were kept show the keypair as it is now.
    #[serde(default)]
    pub(crate) key_data: Option<String>,
    /// See `key_data`.
    #[serde(default)]
    pub(crate) key_type: Option<String>,
    /// What the guest posted to the metadata service's `password` (Nova keeps it in the
    /// instance's system metadata).
    #[serde(default)]
    pub(crate) password: Option<super::driver::Secret>,
    /// An action has set `task_state` and is handing the work to the driver: until the driver
    /// has it, what the driver reports is from before the action and must not clear the task
    /// (a concurrent look would, and a second action would then pass the state check).
    #[serde(skip)]
    pub(crate) handing_over: bool,
}

impl Server {
    /// The API status, from vm_state and task_state as Nova maps them.
    pub(crate) fn status(&self) -> &'static str {
        match (self.vm_state, self.task_state) {
            ("building", _) => "BUILD",
            (_, Some("rebooting")) => "REBOOT",
            (_, Some("rebooting_hard")) => "HARD_REBOOT",
            ("active", _) => "ACTIVE",
            ("stopped", _) => "SHUTOFF",
            ("error", _) => "ERROR",
            _ => "UNKNOWN",
        }
    }

    /// Takes in what the driver reports; whether anything changed (and must be saved).
    pub(crate) fn reconcile(&mut self, vm: VmState) -> bool {
        if self.handing_over {
            return false;
        }
        let now = Timestamp::now();
        let mut faulted = false;
        let (vm_state, power_state) = match vm {
            VmState::Transitioning | VmState::Unknown => return false,
            VmState::Running => ("active", 1),
            VmState::Shutdown => ("stopped", 4),
            VmState::Failed(message) => {
                if self.fault.is_none() {
                    self.fault = Some((message, now));
                    faulted = true;
                }
                ("error", 0)
            }
        };
        if self.vm_state == vm_state && self.task_state.is_none() && self.power_state == power_state
        {
            return faulted;
        }
        if vm_state == "active" && self.launched_at.is_none() {
            // Nova's `configdrive.update_instance` after the first spawn.
            if self.config_drive_at_spawn {
                self.config_drive = "True".to_owned();
            }
            self.launched_at = Some(now);
        }
        self.vm_state = vm_state;
        self.power_state = power_state;
        self.task_state = None;
        self.updated = now;
        true
    }

    fn links(&self, base: &str) -> Value {
        json!([
            {"rel": "self", "href": format!("{base}/compute/v2.1/servers/{}", self.id)},
            {"rel": "bookmark", "href": format!("{base}/compute/servers/{}", self.id)},
        ])
    }

    fn summary(&self, base: &str) -> Value {
        json!({"id": self.id, "name": self.name, "links": self.links(base)})
    }

    /// The full server document for `version`, as `caller` may see it.
    pub(crate) fn detail(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
        let flavor = if version.at_least(47) {
            self.flavor.embedded()
        } else {
            json!({"id": self.flavor.id, "links": [
                {"rel": "bookmark", "href": format!("{base}/compute/flavors/{}", self.flavor.id)}]})
        };
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "status": self.status(),
            "tenant_id": self.project_id,
            "user_id": self.user_id,
            "metadata": self.metadata,
            "hostId": crate::keystone::directory::stable_id("host", &self.project_id, "mock-compute"),
            "image": {"id": self.image_id, "links": [
                {"rel": "bookmark", "href": format!("{base}/compute/images/{}", self.image_id)}]},
            "flavor": flavor,
            "created": time(self.created),
            "updated": time(self.updated),
            "addresses": self.addresses,
            "accessIPv4": "",
            "accessIPv6": "",
            "links": self.links(base),
            "key_name": self.key_name,
            "config_drive": self.config_drive,
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": "nova",
            "OS-EXT-STS:vm_state": self.vm_state,
            "OS-EXT-STS:task_state": self.task_state,
            "OS-EXT-STS:power_state": self.power_state,
            "OS-SRV-USG:launched_at": self.launched_at.map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()),
            "OS-SRV-USG:terminated_at": null,
            "os-extended-volumes:volumes_attached": [],
        });
        if !self.security_groups.is_empty() {
            let names: Vec<Value> = self
                .security_groups
                .iter()
                .map(|n| json!({"name": n}))
                .collect();
            v["security_groups"] = json!(names);
        }
        if matches!(self.vm_state, "building" | "active") {
            v["progress"] = json!(if self.vm_state == "active" { 100 } else { 0 });
        }
        if caller.is_admin() {
            v["OS-EXT-SRV-ATTR:host"] = json!("mock-compute");
            v["OS-EXT-SRV-ATTR:hypervisor_hostname"] = json!("mock-compute");
            v["OS-EXT-SRV-ATTR:instance_name"] = json!(format!("instance-{:08x}", self.seq));
            // Nova's extended server attributes, for admins from 2.3.
            if version.at_least(3) {
                v["OS-EXT-SRV-ATTR:hostname"] = json!(self.hostname());
                v["OS-EXT-SRV-ATTR:kernel_id"] = json!(self.kernel_id);
                v["OS-EXT-SRV-ATTR:ramdisk_id"] = json!(self.ramdisk_id);
                v["OS-EXT-SRV-ATTR:launch_index"] = json!(self.launch_index);
                v["OS-EXT-SRV-ATTR:reservation_id"] = json!(self.reservation_id());
                v["OS-EXT-SRV-ATTR:root_device_name"] = json!("/dev/vda");
                v["OS-EXT-SRV-ATTR:user_data"] = json!(self.user_data);
            }
            if version.at_least(16) {
                v["host_status"] = json!("UP");
            }
        } else if version.at_least(90) {
            // 2.90 shows the hostname to everyone.
            v["OS-EXT-SRV-ATTR:hostname"] = json!(self.hostname());
        }
        if let Some((message, at)) = &self.fault {
            v["fault"] = json!({"code": 500, "created": time(*at), "message": message});
        }
        if version.at_least(9) {
            v["locked"] = json!(false);
        }
        if version.at_least(19) {
            v["description"] = json!(self.description);
        }
        if version.at_least(26) {
            v["tags"] = json!([]);
        }
        if version.at_least(63) {
            v["trusted_image_certificates"] = Value::Null;
        }
        if version.at_least(73) {
            v["locked_reason"] = Value::Null;
        }
        if version.at_least(96) {
            v["pinned_availability_zone"] = Value::Null;
        }
        v
    }

    /// [`Server::detail`] for one server (`GET /servers/{id}`): from 2.71 also its groups.
    pub(crate) fn show(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
        let mut v = self.detail(base, version, caller);
        if version.at_least(71) {
            v["server_groups"] = json!([]);
        }
        v
    }

    /// What `PUT /servers/{id}` answers: before 2.75, Nova leaves out the availability zone,
    /// config drive, key name, usage, security groups, extended status, volumes and
    /// extended attributes.
    pub(crate) fn updated_view(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
        let mut v = self.show(base, version, caller);
        if !version.at_least(75)
            && let Some(fields) = v.as_object_mut()
        {
            fields.retain(|key, _| {
                !(key.starts_with("OS-EXT-")
                    || key.starts_with("OS-SRV-USG:")
                    || key.starts_with("os-extended-volumes:")
                    || matches!(
                        key.as_str(),
                        "config_drive" | "key_name" | "security_groups" | "host_status"
                    ))
            });
        }
        v
    }

    /// The reservation id (`r-` and 8 characters); records from before it was kept get the
    /// one they showed then, made of their creation order.
    pub(crate) fn reservation_id(&self) -> String {
        if self.reservation_id.is_empty() {
            format!("r-{:08x}", self.seq)
        } else {
            self.reservation_id.clone()
        }
    }

    /// The hostname Nova derives from the display name.
    pub(crate) fn hostname(&self) -> String {
        let cleaned: String = self
            .name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        cleaned.trim_matches('-').to_owned()
    }
}

/// Nova's timestamps: whole seconds and `Z`.
fn time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(super) fn instance_not_found(id: &str) -> ApiError {
    not_found(format!("Instance {id} could not be found."))
}

pub(super) fn visible(server: &Server, caller: &Caller) -> bool {
    caller.is_admin() || caller.project_id.as_deref() == Some(server.project_id.as_str())
}

pub(super) fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Malformed request body: {e}")))
}

pub(super) fn metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let map = value.as_object().ok_or_else(|| {
        bad_request("Invalid input for field/attribute metadata. Value must be an object")
    })?;
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(v) if !k.is_empty() && k.len() <= 255 && v.len() <= 255 => Ok((k.clone(), v.to_owned())),
            _ => Err(bad_request(format!(
                "Invalid input for field/attribute metadata. Value: {k}. Keys and values must be strings of 1-255 characters"
            ))),
        })
        .collect()
}

/// `GET /servers/{id}`: each look is a poll of the driver.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut inner = state.nova.lock();
    let server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, &caller))
        .ok_or_else(|| instance_not_found(&id))?;
    let vm = state.nova.driver().observe(&id, true);
    if server.reconcile(vm) {
        state.nova.save(server);
    }
    Ok(
        axum::Json(json!({"server": server.show(&state.base_url, version, &caller)}))
            .into_response(),
    )
}

/// `PUT /servers/{id}`: name (and description from 2.19).
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let request = body
        .get("server")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    let mut inner = state.nova.lock();
    let server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, &caller))
        .ok_or_else(|| instance_not_found(&id))?;
    if !caller.can_write() {
        return Err(policy_forbids("os_compute_api:servers:update"));
    }
    for (key, value) in &request {
        match (key.as_str(), value) {
            ("name", Value::String(name)) if !name.trim().is_empty() && name.len() <= 255 => {
                server.name = name.clone();
            }
            ("description", Value::String(_) | Value::Null) if version.at_least(19) => {
                server.description = value.as_str().map(str::to_owned);
            }
            _ => {
                return Err(bad_request(format!(
                    "Invalid input for field/attribute {key}. Value: {value}."
                )));
            }
        }
    }
    server.updated = Timestamp::now();
    state.nova.save(server);
    Ok(
        axum::Json(json!({"server": server.updated_view(&state.base_url, version, &caller)}))
            .into_response(),
    )
}

/// `DELETE /servers/{id}`: 204, and the server is gone.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    {
        let mut inner = state.nova.lock();
        let index = inner
            .servers
            .iter()
            .position(|s| s.id == id && visible(s, &caller))
            .ok_or_else(|| instance_not_found(&id))?;
        if !caller.can_write() {
            return Err(policy_forbids("os_compute_api:servers:delete"));
        }
        let gone = inner.servers.remove(index);
        state.nova.submit(
            Change::new()
                .delete(Table::NovaServers, &id)
                .delete(Table::NovaBootSpecs, &id),
        );
        let fleet = state.nova.fleet();
        fleet.record(&id, &gone.project_id, &caller, "delete");
        fleet.server_deleted(&id);
    }
    state.neutron.release_server(&state, &id);
    let _ = state.nova.driver().delete(&id).await;
    Ok(StatusCode::NO_CONTENT)
}
