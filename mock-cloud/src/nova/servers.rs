//! Servers: create (checked against the image and flavor), list/detail with filters and
//! pagination, show (flavor shape by microversion), update, delete, actions
//! (os-start, os-stop, reboot, os-getConsoleOutput, os-getVNCConsole) and remote consoles.
//!
//! Policy: a server is visible to its project and to admins (others get 404); readers may look
//! but not change (403); listing every project's servers (`all_tenants`) is for admins.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::driver::{BootSpec, VmState};
use super::flavors::Flavor;
use super::images::{self, GlanceImage, ImageLookupError};
use super::microversion::Microversion;
use super::{ListQuery, bad_request, conflict, error, not_found, page, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// A server as the API remembers it.
#[derive(Debug, Clone)]
pub struct Server {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description (2.19+).
    pub description: Option<String>,
    /// The owning project.
    pub project_id: String,
    /// The user who made it.
    pub user_id: String,
    /// The image it booted from.
    pub image_id: String,
    /// The flavor it was made with (a snapshot, as Nova keeps it).
    pub flavor: Flavor,
    /// Its keypair's name.
    pub key_name: Option<String>,
    /// Its metadata.
    pub metadata: BTreeMap<String, String>,
    /// `building`, `active`, `stopped`, `error`.
    pub vm_state: &'static str,
    /// `spawning`, `powering-off`, `powering-on`, `rebooting`, `rebooting_hard`, or none.
    pub task_state: Option<&'static str>,
    /// 0 no state, 1 running, 4 shutdown.
    pub power_state: u8,
    /// Creation order, for listings.
    pub seq: u64,
    /// When it was made.
    pub created: Timestamp,
    /// When it last changed.
    pub updated: Timestamp,
    /// When it first became active.
    pub launched_at: Option<Timestamp>,
    /// Why it is in ERROR, and since when.
    pub fault: Option<(String, Timestamp)>,
    /// Its addresses (`{}` with networks `none`).
    pub addresses: Value,
    /// The user data as given (base64), shown to admins from 2.3.
    pub user_data: Option<String>,
    /// The kernel and ramdisk images of an ami server (`""` for others), shown to admins
    /// from 2.3.
    pub kernel_id: String,
    /// See `kernel_id`.
    pub ramdisk_id: String,
}

impl Server {
    /// The API status, from vm_state and task_state as Nova maps them.
    pub fn status(&self) -> &'static str {
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

    /// Takes in what the driver reports.
    pub fn reconcile(&mut self, vm: VmState) {
        let now = Timestamp::now();
        let (vm_state, power_state) = match vm {
            VmState::Transitioning | VmState::Unknown => return,
            VmState::Running => ("active", 1),
            VmState::Shutdown => ("stopped", 4),
            VmState::Failed(message) => {
                if self.fault.is_none() {
                    self.fault = Some((message, now));
                }
                ("error", 0)
            }
        };
        if self.vm_state == vm_state && self.task_state.is_none() && self.power_state == power_state
        {
            return;
        }
        if vm_state == "active" && self.launched_at.is_none() {
            self.launched_at = Some(now);
        }
        self.vm_state = vm_state;
        self.power_state = power_state;
        self.task_state = None;
        self.updated = now;
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
    pub fn detail(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
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
            "config_drive": "",
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": "nova",
            "OS-EXT-STS:vm_state": self.vm_state,
            "OS-EXT-STS:task_state": self.task_state,
            "OS-EXT-STS:power_state": self.power_state,
            "OS-SRV-USG:launched_at": self.launched_at.map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()),
            "OS-SRV-USG:terminated_at": null,
            "os-extended-volumes:volumes_attached": [],
        });
        if self.addresses.as_object().is_some_and(|a| !a.is_empty()) {
            v["security_groups"] = json!([{"name": "default"}]);
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
                v["OS-EXT-SRV-ATTR:launch_index"] = json!(0);
                v["OS-EXT-SRV-ATTR:reservation_id"] = json!(format!("r-{:08x}", self.seq));
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
    pub fn show(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
        let mut v = self.detail(base, version, caller);
        if version.at_least(71) {
            v["server_groups"] = json!([]);
        }
        v
    }

    /// What `PUT /servers/{id}` answers: before 2.75, Nova leaves out the availability zone,
    /// config drive, key name, usage, security groups, extended status, volumes and
    /// extended attributes.
    pub fn updated_view(&self, base: &str, version: Microversion, caller: &Caller) -> Value {
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

    /// The hostname Nova derives from the display name.
    fn hostname(&self) -> String {
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

fn missing(field: &str) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute server. '{field}' is a required property"
    ))
}

/// The token of the request, to ask Glance with the caller's rights (as real Nova does).
fn token_of(headers: &HeaderMap) -> String {
    headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn lookup_image(
    state: &AppState,
    caller: &Caller,
    token: &str,
    id: &str,
) -> Result<GlanceImage, ApiError> {
    let not_found = || bad_request(format!("Image {id} could not be found."));
    let Some(endpoint) = state.options.image_endpoint.as_deref() else {
        return match state.glance.image_for_boot(caller, id) {
            Ok(image) => Ok(image.into()),
            Err(e) if e.status == StatusCode::NOT_FOUND => Err(not_found()),
            Err(e) => Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("The image service is unavailable: {}", e.message),
            )),
        };
    };
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    match images::fetch(addr, token, id).await {
        Ok(image) => Ok(image),
        Err(ImageLookupError::NotFound) => Err(not_found()),
        Err(ImageLookupError::Unavailable(why)) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The image service is unavailable: {why}"),
        )),
    }
}

/// `POST /servers`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(project_id) = caller.project_id.clone().filter(|_| caller.can_write()) else {
        return Err(policy_forbids("os_compute_api:servers:create"));
    };
    let body = parse_body(&body)?;
    let request = body
        .get("server")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request("Invalid input for field/attribute server. 'server' is a required property")
        })?;
    let text = |key: &str| request.get(key).and_then(Value::as_str);

    let name = text("name").ok_or_else(|| missing("name"))?;
    if name.trim().is_empty() || name.len() > 255 {
        return Err(bad_request(format!(
            "Invalid input for field/attribute name. Value: {name}. Name must be 1-255 non-blank characters"
        )));
    }
    let flavor_ref = text("flavorRef").ok_or_else(|| missing("flavorRef"))?;
    let flavor_id = flavor_ref.rsplit('/').next().unwrap_or(flavor_ref);
    let flavor = state
        .nova
        .flavor(flavor_id)
        .ok_or_else(|| bad_request(format!("Flavor {flavor_id} could not be found.")))?;
    let image_ref = text("imageRef").ok_or_else(|| missing("imageRef"))?;
    let image_id = image_ref.rsplit('/').next().unwrap_or(image_ref);

    let addresses = networks(request.get("networks"), version, state.nova.lock().next_seq)?;
    let metadata = metadata(request.get("metadata"))?;
    let user_data = match request.get("user_data") {
        None | Some(Value::Null) => None,
        Some(Value::String(data)) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .ok()
                .filter(|_| data.len() <= 65535)
                .ok_or_else(|| bad_request("User data needs to be valid base 64."))?,
        ),
        Some(_) => return Err(bad_request("User data needs to be valid base 64.")),
    };
    let key_name = text("key_name").map(str::to_owned);
    let public_key = match &key_name {
        None => None,
        Some(key) => Some(
            state
                .nova
                .lock()
                .keypairs
                .iter()
                .find(|k| &k.name == key && k.user_id == caller.user_id)
                .map(|k| k.public_key.clone())
                .ok_or_else(|| bad_request("Invalid key_name provided."))?,
        ),
    };
    let description = match request.get("description") {
        Some(d) if version.at_least(19) => d.as_str().map(str::to_owned),
        Some(_) => {
            return Err(bad_request(
                "Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)",
            ));
        }
        None => None,
    };

    let token = token_of(&headers);
    let image = lookup_image(&state, &caller, &token, image_id).await?;
    if image.status != "active" {
        return Err(bad_request(format!("Image {image_id} is not active.")));
    }
    if flavor.ram < image.min_ram {
        return Err(bad_request(
            "Flavor's memory is too small for requested image.",
        ));
    }
    if flavor.disk > 0 {
        if flavor.disk < image.min_disk {
            return Err(bad_request(
                "Flavor's disk is too small for requested image.",
            ));
        }
        let flavor_bytes = flavor.disk.saturating_mul(1 << 30);
        if let Some(size) = image.boot.size.filter(|size| *size > flavor_bytes) {
            return Err(bad_request(format!(
                "Flavor's disk is too small for requested image. Flavor disk is {flavor_bytes} bytes, image is {size} bytes."
            )));
        }
    }
    let part = |key: &str| image.boot.properties.get(key).cloned();
    let kernel = match part("kernel_id") {
        Some(id) => Some(lookup_image(&state, &caller, &token, &id).await?.boot),
        None => None,
    };
    let ramdisk = match part("ramdisk_id") {
        Some(id) => Some(lookup_image(&state, &caller, &token, &id).await?.boot),
        None => None,
    };

    let now = Timestamp::now();
    let id = uuid::Uuid::new_v4().to_string();
    let server = {
        let mut inner = state.nova.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let server = Server {
            id: id.clone(),
            name: name.to_owned(),
            description,
            project_id,
            user_id: caller.user_id.clone(),
            image_id: image.boot.id.clone(),
            flavor: flavor.clone(),
            key_name,
            metadata: metadata.clone(),
            vm_state: "building",
            task_state: Some("spawning"),
            power_state: 0,
            seq,
            created: now,
            updated: now,
            launched_at: None,
            fault: None,
            addresses,
            user_data: request
                .get("user_data")
                .and_then(Value::as_str)
                .map(str::to_owned),
            kernel_id: kernel.as_ref().map(|k| k.id.clone()).unwrap_or_default(),
            ramdisk_id: ramdisk.as_ref().map(|r| r.id.clone()).unwrap_or_default(),
        };
        inner.servers.push(server.clone());
        server
    };
    let spec = BootSpec {
        server_id: id.clone(),
        name: server.name.clone(),
        vcpus: flavor.vcpus,
        ram_mb: flavor.ram,
        disk_gb: flavor.disk,
        image: image.boot,
        kernel,
        ramdisk,
        metadata,
        user_data,
        public_key,
    };
    let driver = state.nova.driver().clone();
    let outcome = driver.create(spec).await;
    {
        let mut inner = state.nova.lock();
        if let Some(server) = inner.servers.iter_mut().find(|s| s.id == id) {
            match outcome {
                Ok(()) => server.reconcile(driver.observe(&id, false)),
                Err(e) => server.reconcile(VmState::Failed(e.0)),
            }
        }
    }
    let admin_pass: String = crate::keystone::tokens::random_string()[..12].to_owned();
    let body = json!({"server": {
        "id": id,
        "links": server.links(&state.base_url),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": admin_pass,
    }});
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/compute/v2.1/servers/{id}", state.base_url))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The addresses a server gets for its `networks` request.
fn networks(requested: Option<&Value>, version: Microversion, seq: u64) -> Result<Value, ApiError> {
    let private = || {
        json!({"private": [{
            "version": 4,
            "addr": format!("10.0.{}.{}", (seq / 250) % 250, seq % 250 + 3),
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": format!("fa:16:3e:{:02x}:{:02x}:{:02x}", (seq >> 16) & 0xff, (seq >> 8) & 0xff, seq & 0xff),
        }]})
    };
    match requested {
        None if version.at_least(37) => Err(missing("networks")),
        None => Ok(private()),
        Some(Value::String(s)) if version.at_least(37) && s == "none" => Ok(json!({})),
        Some(Value::String(s)) if version.at_least(37) && s == "auto" => Ok(private()),
        Some(Value::Array(list)) => {
            for item in list {
                let ok = item.as_object().is_some_and(|o| {
                    ["uuid", "port", "fixed_ip"]
                        .iter()
                        .any(|k| o.contains_key(*k))
                });
                if !ok {
                    return Err(bad_request(format!(
                        "Invalid input for field/attribute networks. Value: {item}. Each network needs 'uuid' or 'port'"
                    )));
                }
            }
            Ok(if list.is_empty() {
                json!({})
            } else {
                private()
            })
        }
        Some(other) => Err(bad_request(format!(
            "Invalid input for field/attribute networks. Value: {other}. {other} is not valid under any of the given schemas"
        ))),
    }
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

/// The servers `caller` may list with these filters, newest first.
fn listed(state: &AppState, caller: &Caller, query: &ListQuery) -> Result<Vec<Server>, ApiError> {
    let value = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let all_tenants = value("all_tenants").is_some_and(|v| {
        !matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "f" | "off" | "no"
        )
    });
    if all_tenants && !caller.is_admin() {
        return Err(policy_forbids(
            "os_compute_api:servers:index:get_all_tenants",
        ));
    }
    let project = value("project_id").or(value("tenant_id"));
    let mut servers: Vec<Server> = {
        let mut inner = state.nova.lock();
        for server in &mut inner.servers {
            let vm = state.nova.driver().observe(&server.id, false);
            server.reconcile(vm);
        }
        inner.servers.clone()
    };
    servers.retain(|s| {
        let in_scope = if all_tenants {
            project.is_none_or(|p| s.project_id == p)
        } else {
            caller.project_id.as_deref() == Some(s.project_id.as_str())
        };
        in_scope
            && value("name").is_none_or(|n| name_matches(n, &s.name))
            && value("status").is_none_or(|st| s.status().eq_ignore_ascii_case(st))
            && value("image").is_none_or(|i| s.image_id == i.rsplit('/').next().unwrap_or(i))
            && value("flavor").is_none_or(|f| s.flavor.id == f.rsplit('/').next().unwrap_or(f))
    });
    servers.sort_by_key(|s| std::cmp::Reverse(s.seq));
    Ok(servers)
}

/// Nova filters names with a regular expression search; this handles the common forms
/// (plain text anywhere, `^` and `$` anchors).
fn name_matches(pattern: &str, name: &str) -> bool {
    let (anchored_start, rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (anchored_end, core) = match rest.strip_suffix('$') {
        Some(core) => (true, core),
        None => (false, rest),
    };
    match (anchored_start, anchored_end) {
        (true, true) => name == core,
        (true, false) => name.starts_with(core),
        (false, true) => name.ends_with(core),
        (false, false) => name.contains(core),
    }
}

async fn list(
    state: &AppState,
    caller: &Caller,
    version: Microversion,
    query: &ListQuery,
    detail: bool,
) -> Result<Response, ApiError> {
    let servers = listed(state, caller, query)?;
    let path = if detail {
        "/compute/v2.1/servers/detail"
    } else {
        "/compute/v2.1/servers"
    };
    let (items, next) = page(
        &servers,
        |s| &s.id,
        query,
        &format!("{}{path}", state.base_url),
    )?;
    let items: Vec<Server> = if detail {
        polled(state, items)
    } else {
        items.to_vec()
    };
    let body: Vec<Value> = items
        .iter()
        .map(|s| {
            if detail {
                s.detail(&state.base_url, version, caller)
            } else {
                s.summary(&state.base_url)
            }
        })
        .collect();
    let mut out = json!({"servers": body});
    if let Some(next) = next {
        out["servers_links"] = json!([{"rel": "next", "href": next}]);
    }
    Ok(axum::Json(out).into_response())
}

/// A detailed listing shows each server's status, so it counts as a look at each of them (as
/// a `GET` of the server does): clients that find a server by name wait through listings.
fn polled(state: &AppState, items: &[Server]) -> Vec<Server> {
    let mut inner = state.nova.lock();
    items
        .iter()
        .map(
            |item| match inner.servers.iter_mut().find(|s| s.id == item.id) {
                Some(server) => {
                    server.reconcile(state.nova.driver().observe(&server.id, true));
                    server.clone()
                }
                None => item.clone(),
            },
        )
        .collect()
}

/// `GET /servers`.
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(&state, &caller, version, &query, false).await
}

/// `GET /servers/detail`.
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(&state, &caller, version, &query, true).await
}

/// `GET /servers/{id}`: each look is a poll of the driver.
pub async fn show(
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
    server.reconcile(vm);
    Ok(
        axum::Json(json!({"server": server.show(&state.base_url, version, &caller)}))
            .into_response(),
    )
}

/// `PUT /servers/{id}`: name (and description from 2.19).
pub async fn update(
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
    Ok(
        axum::Json(json!({"server": server.updated_view(&state.base_url, version, &caller)}))
            .into_response(),
    )
}

/// `DELETE /servers/{id}`: 204, and the server is gone.
pub async fn delete(
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
        inner.servers.remove(index);
    }
    let _ = state.nova.driver().delete(&id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The server `caller` may act on, polled; 404 / 403 otherwise.
fn acting_on(state: &AppState, caller: &Caller, id: &str, rule: &str) -> Result<Server, ApiError> {
    let mut inner = state.nova.lock();
    let server = inner
        .servers
        .iter_mut()
        .find(|s| s.id == id && visible(s, caller))
        .ok_or_else(|| instance_not_found(id))?;
    if !caller.can_write() {
        return Err(policy_forbids(rule));
    }
    let vm = state.nova.driver().observe(id, false);
    server.reconcile(vm);
    Ok(server.clone())
}

fn invalid_state(action: &str, server: &Server) -> ApiError {
    match server.task_state {
        Some(task) => conflict(format!(
            "Cannot '{action}' instance {} while it is in task_state {task}",
            server.id
        )),
        None => conflict(format!(
            "Cannot '{action}' instance {} while it is in vm_state {}",
            server.id, server.vm_state
        )),
    }
}

fn set_task(state: &AppState, id: &str, task: &'static str) {
    let mut inner = state.nova.lock();
    if let Some(server) = inner.servers.iter_mut().find(|s| s.id == id) {
        server.task_state = Some(task);
        server.updated = Timestamp::now();
    }
}

/// After a driver call: a failure becomes the server's fault; otherwise take in the new state.
fn settle(
    state: &AppState,
    id: &str,
    outcome: Result<(), super::driver::DriverError>,
) -> Result<(), ApiError> {
    let mut inner = state.nova.lock();
    let Some(server) = inner.servers.iter_mut().find(|s| s.id == id) else {
        return Ok(());
    };
    match outcome {
        Ok(()) => {
            server.reconcile(state.nova.driver().observe(id, false));
            Ok(())
        }
        Err(e) => {
            server.reconcile(VmState::Failed(e.0.clone()));
            Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.0))
        }
    }
}

/// `POST /servers/{id}/action`.
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let (name, args) = body
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .ok_or_else(|| {
            bad_request("Malformed request body: an action is an object with one key")
        })?;
    let driver = state.nova.driver().clone();
    match name.as_str() {
        "os-start" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:servers:start")?;
            if server.vm_state != "stopped" || server.task_state.is_some() {
                return Err(invalid_state("start", &server));
            }
            set_task(&state, &id, "powering-on");
            settle(&state, &id, driver.start(&id).await)?;
            Ok(super::accepted())
        }
        "os-stop" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:servers:stop")?;
            if !matches!(server.vm_state, "active" | "error") || server.task_state.is_some() {
                return Err(invalid_state("stop", &server));
            }
            set_task(&state, &id, "powering-off");
            settle(&state, &id, driver.stop(&id).await)?;
            Ok(super::accepted())
        }
        "reboot" => {
            let hard = match args
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase)
            {
                Some(t) if t == "SOFT" => false,
                Some(t) if t == "HARD" => true,
                _ => {
                    return Err(bad_request(
                        "Invalid input for field/attribute type. Value must be 'SOFT' or 'HARD'",
                    ));
                }
            };
            let server = acting_on(&state, &caller, &id, "os_compute_api:servers:reboot")?;
            let allowed = if hard {
                matches!(server.vm_state, "active" | "stopped" | "error")
                    && matches!(server.task_state, None | Some("rebooting"))
            } else {
                server.vm_state == "active" && server.task_state.is_none()
            };
            if !allowed {
                return Err(invalid_state("reboot", &server));
            }
            set_task(
                &state,
                &id,
                if hard { "rebooting_hard" } else { "rebooting" },
            );
            settle(&state, &id, driver.reboot(&id, hard).await)?;
            Ok(super::accepted())
        }
        "os-getConsoleOutput" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:os-console-output")?;
            let length = match args.get("length") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) if n.as_i64() == Some(-1) => None,
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .ok_or_else(|| bad_request("Invalid input for field/attribute length."))?
                        as usize,
                ),
                Some(Value::String(s)) => Some(s.parse::<usize>().map_err(|_| {
                    bad_request(format!(
                        "Invalid input for field/attribute length. Value: {s}."
                    ))
                })?),
                Some(other) => {
                    return Err(bad_request(format!(
                        "Invalid input for field/attribute length. Value: {other}."
                    )));
                }
            };
            if server.vm_state == "building" {
                return Err(conflict(format!("Instance {id} is not ready.")));
            }
            let output = driver
                .console_output(&id, length)
                .await
                .map_err(|e| conflict(e.0))?;
            Ok(axum::Json(json!({"output": output})).into_response())
        }
        "os-getVNCConsole" => {
            let server = acting_on(&state, &caller, &id, "os_compute_api:os-remote-consoles")?;
            let kind = args
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if kind != "novnc" && kind != "xvpvnc" {
                return Err(bad_request(format!("Invalid console type {kind}.")));
            }
            if server.vm_state != "active" {
                return Err(conflict(format!("Instance {id} is not ready.")));
            }
            let console = driver.vnc_console(&id).await.map_err(|e| conflict(e.0))?;
            Ok(axum::Json(json!({"console": {"type": kind, "url": console.url}})).into_response())
        }
        other => Err(bad_request(format!("There is no such action: {other}"))),
    }
}

/// `POST /servers/{id}/remote-consoles` (2.6+): only VNC (novnc) is offered.
pub async fn remote_console(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !version.at_least(6) {
        return Err(not_found("The resource could not be found."));
    }
    let body = parse_body(&body)?;
    let request = body
        .get("remote_console")
        .ok_or_else(|| bad_request("Invalid input for field/attribute remote_console. 'remote_console' is a required property"))?;
    let protocol = request
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let kind = request
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let known = ["vnc", "spice", "rdp", "serial", "mks"];
    if !known.contains(&protocol.as_str()) {
        return Err(bad_request(format!(
            "Invalid input for field/attribute protocol. Value: {protocol}. '{protocol}' is not one of {known:?}"
        )));
    }
    let server = acting_on(&state, &caller, &id, "os_compute_api:os-remote-consoles")?;
    if protocol != "vnc" || !(kind == "novnc" || kind == "xvpvnc") {
        return Err(bad_request(format!("Unavailable console type {kind}.")));
    }
    if server.vm_state != "active" {
        return Err(conflict(format!("Instance {id} is not ready.")));
    }
    let console = state
        .nova
        .driver()
        .vnc_console(&id)
        .await
        .map_err(|e| conflict(e.0))?;
    Ok(axum::Json(
        json!({"remote_console": {"protocol": protocol, "type": kind, "url": console.url}}),
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_forms() {
        assert!(name_matches("web", "my-web-1"));
        assert!(name_matches("^my", "my-web-1"));
        assert!(!name_matches("^web", "my-web-1"));
        assert!(name_matches("-1$", "my-web-1"));
        assert!(name_matches("^my-web-1$", "my-web-1"));
    }

    #[test]
    fn networks_by_microversion() {
        let v = |n| Microversion(n);
        assert!(networks(None, v(36), 1).unwrap()["private"].is_array());
        assert_eq!(networks(None, v(37), 1).unwrap_err().status, 400);
        assert_eq!(networks(Some(&json!("none")), v(37), 1).unwrap(), json!({}));
        assert_eq!(
            networks(Some(&json!("none")), v(36), 1).unwrap_err().status,
            400
        );
        assert!(networks(Some(&json!("auto")), v(37), 1).unwrap()["private"].is_array());
        assert!(networks(Some(&json!([{"uuid": "n"}])), v(37), 1).is_ok());
        assert_eq!(
            networks(Some(&json!([{"x": 1}])), v(37), 1)
                .unwrap_err()
                .status,
            400
        );
    }
}
