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

use super::count::{self, Count};
use super::{Server, metadata, parse_body};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{self, Change, Table};
use crate::errors::ApiError;
use crate::neutron::server_ports::NetworkInfo;
use crate::nova::driver::{BootSpec, Secret, VmState};
use crate::nova::image_meta;
use crate::nova::images::{self, GlanceImage, ImageLookupError};
use crate::nova::instance_metadata::{AVAILABILITY_ZONE, IMAGE_CONFIG_DRIVE};
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
    let count = Count::of(request)?;

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
        .filter(|f| f.visible_to(&caller))
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
    let keypair = match &key_name {
        None => None,
        Some(key) => Some(
            state
                .nova
                .lock()
                .keypairs
                .iter()
                .find(|k| &k.name == key && k.user_id == caller.user_id)
                .map(|k| (k.public_key.clone(), k.kind.clone()))
                .ok_or_else(|| bad_request("Invalid key_name provided."))?,
        ),
    };
    let (public_key, key_type) = keypair.unzip();
    // The schema has checked both: a boolean or one of its strings, a string.
    let config_drive = request
        .get("config_drive")
        .is_some_and(super::schema::is_true);
    let admin_pass = Secret::new(
        text("adminPass")
            .map(str::to_owned)
            .unwrap_or_else(|| crate::keystone::tokens::random_string()[..12].to_owned()),
    );
    // The schema has refused a description before 2.19.
    let description = text("description").map(str::to_owned);

    let group = crate::nova::server_groups::hinted_group(&state, &caller, &body)?;
    let token = token_of(&headers);
    let image = lookup_image(&state, &caller, &token, image_id).await?;
    if image.status != "active" {
        return Err(bad_request(format!("Image {image_id} is not active.")));
    }
    let image_wants_drive = match image.boot.properties.get(IMAGE_CONFIG_DRIVE) {
        None => false,
        Some(policy) if policy == "optional" => false,
        Some(policy) if policy == "mandatory" => true,
        Some(policy) => {
            return Err(bad_request(format!(
                "Image's config drive option '{policy}' is invalid"
            )));
        }
    };
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
    // Nova reads the image's properties into typed fields next, and answers 400 for a value
    // outside a field's enum.
    image_meta::check(&image.boot.properties).map_err(bad_request)?;
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
    let drive_at_spawn =
        config_drive || image_wants_drive || state.nova.driver().forces_config_drive();
    let spec_of = |server: &Server, network: &NetworkInfo| BootSpec {
        server_id: server.id.clone(),
        name: server.name.clone(),
        vcpus: flavor.vcpus,
        ram_mb: flavor.ram,
        disk_gb: flavor.disk,
        image: image.boot.clone(),
        kernel: kernel.clone(),
        ramdisk: ramdisk.clone(),
        metadata: metadata.clone(),
        user_data: user_data.clone(),
        public_key: public_key.clone(),
        hostname: server.hostname(),
        nics: network.nics.clone(),
        key_name: key_name.clone(),
        key_type: key_type.clone(),
        project_id: server.project_id.clone(),
        availability_zone: AVAILABILITY_ZONE.to_owned(),
        admin_pass: Some(admin_pass.clone()),
        config_drive,
        launch_index: server.launch_index,
        reservation_id: server.reservation_id(),
        instance_number: server.seq,
        flavor_name: flavor.name.clone(),
        security_groups: network.security_groups.clone(),
    };
    let room = |servers: &[Server]| {
        count.allowed(
            servers.iter().filter(|s| s.project_id == project_id),
            &flavor,
        )
    };
    let made = room(&state.nova.lock().servers)?;
    // The ports first, all or none (the last check that can fail), outside Nova's lock:
    // Neutron tells Nova of every change it makes to a server's ports.
    let release = |ports: &[(String, NetworkInfo)]| {
        for (id, _) in ports {
            state.neutron.release_server(&state, id);
        }
    };
    let mut ports = Vec::new();
    for _ in 0..made {
        let id = uuid::Uuid::new_v4().to_string();
        match state
            .neutron
            .allocate_for_server(&state, &caller, &id, &nics, &security_groups)
        {
            Ok(info) => ports.push((id, info)),
            Err(err) => {
                release(&ports);
                return Err(err);
            }
        }
    }
    // One critical section checks the quota again (another create may have taken the room
    // meanwhile), takes each server's number and records them: concurrent creates never
    // pass the quota together, and a create that fails leaves no port behind.
    let recorded = {
        let mut inner = state.nova.lock();
        match room(&inner.servers) {
            Err(err) => Err(err),
            Ok(fits) => {
                let extra = ports.split_off((fits as usize).min(ports.len()));
                let made = ports.len() as u64;
                let reservation_id = count::reservation_id(inner.next_seq);
                let mut change = Change::new();
                let mut servers: Vec<Server> = Vec::new();
                for (index, (id, network_info)) in (0u64..).zip(ports.iter().cloned()) {
                    let seq = inner.next_seq;
                    inner.next_seq += 1;
                    let server = Server {
                        id: id.clone(),
                        name: count::name_of(name, index, made),
                        description: description.clone(),
                        project_id: project_id.clone(),
                        user_id: caller.user_id.clone(),
                        image_id: image.boot.id.clone(),
                        flavor: flavor.clone(),
                        key_name: key_name.clone(),
                        metadata: metadata.clone(),
                        vm_state: "building",
                        task_state: Some("spawning"),
                        power_state: 0,
                        seq,
                        reservation_id: reservation_id.clone(),
                        launch_index: index as u32,
                        created: now,
                        updated: now,
                        launched_at: None,
                        fault: None,
                        addresses: network_info.addresses.clone(),
                        security_groups: network_info.security_groups.clone(),
                        user_data: request
                            .get("user_data")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        kernel_id: kernel.as_ref().map(|k| k.id.clone()).unwrap_or_default(),
                        ramdisk_id: ramdisk.as_ref().map(|r| r.id.clone()).unwrap_or_default(),
                        config_drive: if config_drive { "True" } else { "" }.to_owned(),
                        config_drive_at_spawn: drive_at_spawn,
                        key_data: public_key.clone(),
                        key_type: key_type.clone(),
                        password: None,
                        handing_over: false,
                    };
                    change = change.put(Table::NovaServers, &id, &server).put(
                        Table::NovaBootSpecs,
                        &id,
                        &BootSpecRecord::from(&spec_of(&server, &network_info)),
                    );
                    servers.push(server);
                }
                state
                    .nova
                    .submit(db::set_counter(change, NEXT_SEQ, inner.next_seq));
                inner.servers.extend(servers.iter().cloned());
                Ok((servers, reservation_id, extra))
            }
        }
    };
    let (servers, reservation_id) = match recorded {
        Ok((servers, reservation_id, extra)) => {
            release(&extra);
            (servers, reservation_id)
        }
        Err(err) => {
            release(&ports);
            return Err(err);
        }
    };
    for server in &servers {
        state
            .nova
            .fleet()
            .record(&server.id, &server.project_id, &caller, "create");
    }
    if let Some(group) = &group {
        let ids: Vec<String> = servers.iter().map(|s| s.id.clone()).collect();
        crate::nova::server_groups::join(&state, group, &ids);
    }
    let driver = state.nova.driver().clone();
    for server in &servers {
        let id = &server.id;
        let Some((_, network)) = ports.iter().find(|(port_server, _)| port_server == id) else {
            continue;
        };
        let outcome = driver.create(spec_of(server, network)).await;
        let mut inner = state.nova.lock();
        if let Some(server) = inner.servers.iter_mut().find(|s| s.id == *id) {
            let changed = match outcome {
                Ok(()) => server.reconcile(driver.observe(id, false)),
                Err(e) => server.reconcile(VmState::Failed(e.0)),
            };
            if changed {
                state.nova.save(server);
            }
        }
    }
    if count.reservation_only {
        let body = json!({"reservation_id": reservation_id});
        return Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response());
    }
    // The answer describes the first server.
    let server = &servers[0];
    let id = &server.id;
    let body = json!({"server": {
        "id": id,
        "links": server.links(&state.base_url),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": security_groups.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
        "adminPass": admin_pass.expose(),
    }});
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/compute/v2.1/servers/{id}", state.base_url))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
