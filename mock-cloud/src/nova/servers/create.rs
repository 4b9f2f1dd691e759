//! `POST /servers`: the request checked against the image (asked of Glance with the caller's
//! token) and the flavor, its ports made through Neutron from `networks`, then the driver
//! boots it.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Server, metadata, parse_body};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{self, Change, Table};
use crate::errors::ApiError;
use crate::nova::driver::{BootSpec, VmState};
use crate::nova::images::{self, GlanceImage, ImageLookupError};
use crate::nova::microversion::Microversion;
use crate::nova::records::{BootSpecRecord, NEXT_SEQ};
use crate::nova::{bad_request, error, network, policy_forbids};

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
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    // Nova validates the body against its schema before it asks the policy.
    super::schema::check_create(&body, version)?;
    let Some(project_id) = caller.project_id.clone().filter(|_| caller.can_write()) else {
        return Err(policy_forbids("os_compute_api:servers:create"));
    };
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

    let nics = network::nic_request(request.get("networks"), version)?;
    let security_groups = network::security_groups(request.get("security_groups"))?;
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
    // The schema has refused a description before 2.19.
    let description = text("description").map(str::to_owned);

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
    // The last check that can fail: the ports are made (all or none) before the server is.
    let network_info =
        state
            .neutron
            .allocate_for_server(&state, &caller, &id, &nics, &security_groups)?;
    let spec = BootSpec {
        server_id: id.clone(),
        name: name.to_owned(),
        vcpus: flavor.vcpus,
        ram_mb: flavor.ram,
        disk_gb: flavor.disk,
        image: image.boot.clone(),
        kernel: kernel.clone(),
        ramdisk: ramdisk.clone(),
        metadata: metadata.clone(),
        user_data,
        public_key,
    };
    // One critical section takes the server's number (its instance name) and records it:
    // concurrent creates never share one (Neutron gives each its own address).
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
            metadata,
            vm_state: "building",
            task_state: Some("spawning"),
            power_state: 0,
            seq,
            created: now,
            updated: now,
            launched_at: None,
            fault: None,
            addresses: network_info.addresses,
            security_groups: network_info.security_groups,
            user_data: request
                .get("user_data")
                .and_then(Value::as_str)
                .map(str::to_owned),
            kernel_id: kernel.as_ref().map(|k| k.id.clone()).unwrap_or_default(),
            ramdisk_id: ramdisk.as_ref().map(|r| r.id.clone()).unwrap_or_default(),
            handing_over: false,
        };
        let change = Change::new().put(Table::NovaServers, &id, &server).put(
            Table::NovaBootSpecs,
            &id,
            &BootSpecRecord::from(&spec),
        );
        state
            .nova
            .submit(db::set_counter(change, NEXT_SEQ, inner.next_seq));
        inner.servers.push(server.clone());
        server
    };
    let driver = state.nova.driver().clone();
    let outcome = driver.create(spec).await;
    {
        let mut inner = state.nova.lock();
        if let Some(server) = inner.servers.iter_mut().find(|s| s.id == id) {
            let changed = match outcome {
                Ok(()) => server.reconcile(driver.observe(&id, false)),
                Err(e) => server.reconcile(VmState::Failed(e.0)),
            };
            if changed {
                state.nova.save(server);
            }
        }
    }
    let admin_pass: String = crate::keystone::tokens::random_string()[..12].to_owned();
    let body = json!({"server": {
        "id": id,
        "links": server.links(&state.base_url),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": security_groups.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
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
