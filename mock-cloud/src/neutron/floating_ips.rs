//! Floating IPs: an address (and a `network:floatingip` port) on an external network;
//! associating one with a port needs a router from the port's subnet to that network
//! (else 404 `ExternalGatewayForFloatingIPNotFound`), and one fixed IP takes one floating IP.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::resources::{Actor, base, check_attrs, text};
use super::store::{NeutronState, str_of};
use super::{Doc, Kind, bad_request, conflict, error, policy_forbids, ports, routers};
use crate::errors::ApiError;

const KNOWN: [&str; 10] = [
    "floating_network_id",
    "floating_ip_address",
    "subnet_id",
    "port_id",
    "fixed_ip_address",
    "router_id",
    "status",
    "qos_policy_id",
    "port_details",
    "port_forwardings",
];
const CREATE: [&str; 5] = [
    "floating_network_id",
    "floating_ip_address",
    "subnet_id",
    "port_id",
    "fixed_ip_address",
];
const UPDATE: [&str; 2] = ["port_id", "fixed_ip_address"];

fn bad_fip(message: impl std::fmt::Display) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Bad floatingip request: {message}."),
    )
}

/// `POST /v2.0/floatingips`.
pub(super) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &CREATE, "POST")?;
    // Neutron's policy `create_floatingip:floating_ip_address` is admin or the project's
    // manager; the mock knows no manager role, so it is the admin's alone here.
    if attrs.contains_key("floating_ip_address") && !actor.admin {
        return Err(policy_forbids("create_floatingip:floating_ip_address"));
    }
    let network_id = text(attrs, "floating_network_id", 36)?.ok_or_else(|| {
        bad_request(
            "Failed to parse request. Required attribute 'floating_network_id' not specified",
        )
    })?;
    let network = actor.find(state, Kind::Network, &network_id)?;
    if network["router:external"] != true {
        return Err(bad_fip(format!(
            "Network {network_id} is not a valid external network"
        )));
    }
    let mut doc = base(actor, attrs)?;
    // A floating IP has no name (clients take its address for one).
    doc.remove("name");
    let id = str_of(&doc, "id").to_owned();
    let mut fixed = json!({});
    if let Some(subnet) = text(attrs, "subnet_id", 36)? {
        fixed["subnet_id"] = json!(subnet);
    }
    if let Some(address) = text(attrs, "floating_ip_address", 64)? {
        fixed["ip_address"] = json!(address);
    }
    let mut port_attrs = Doc::new();
    port_attrs.insert("network_id".into(), json!(network_id));
    port_attrs.insert("device_id".into(), json!(id));
    port_attrs.insert("device_owner".into(), json!("network:floatingip"));
    if fixed.as_object().is_some_and(|f| !f.is_empty()) {
        port_attrs.insert("fixed_ips".into(), json!([fixed]));
    }
    // The floating IP's port belongs to no project, as Neutron makes it.
    let system = Actor {
        project: String::new(),
        admin: true,
    };
    let port = ports::create(state, &system, &port_attrs)?;
    let address = port["fixed_ips"][0]["ip_address"].clone();
    if address.is_null() {
        return Err(conflict(
            "ExternalNetworkNoSubnet",
            format!("Network {network_id} has no subnet to take a floating IP from."),
        ));
    }
    doc.insert("floating_ip_address".into(), address);
    doc.insert("floating_network_id".into(), json!(network_id));
    doc.insert("router_id".into(), Value::Null);
    doc.insert("port_id".into(), Value::Null);
    doc.insert("fixed_ip_address".into(), Value::Null);
    doc.insert("status".into(), json!("DOWN"));
    doc.insert("port_details".into(), Value::Null);
    doc.insert("port_forwardings".into(), json!([]));
    doc.insert("qos_policy_id".into(), Value::Null);
    let doc = match attrs.get("port_id").and_then(Value::as_str) {
        Some(port) => associate(
            state,
            actor,
            doc,
            port,
            attrs.get("fixed_ip_address").and_then(Value::as_str),
        )?,
        None => doc,
    };
    state.insert(Kind::FloatingIp, doc.clone());
    Ok(doc)
}

/// `PUT /v2.0/floatingips/{id}`: `port_id` associates, `null` disassociates.
pub(super) fn update(
    state: &mut NeutronState,
    actor: &Actor,
    doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &UPDATE, "PUT")?;
    let mut doc = doc;
    if attrs.contains_key("description") {
        doc.insert(
            "description".into(),
            json!(text(attrs, "description", 255)?.unwrap_or_default()),
        );
    }
    match attrs.get("port_id") {
        None => Ok(doc),
        Some(Value::Null) => Ok(disassociated(doc)),
        Some(Value::String(port)) if port.is_empty() => Ok(disassociated(doc)),
        Some(Value::String(port)) => associate(
            state,
            actor,
            doc,
            port,
            attrs.get("fixed_ip_address").and_then(Value::as_str),
        ),
        Some(other) => Err(bad_request(format!(
            "Invalid input for port_id. Reason: '{other}' is not a valid UUID."
        ))),
    }
}

/// `doc` associated with `port_id` (on `fixed_ip`, or the port's first IPv4 address).
fn associate(
    state: &NeutronState,
    actor: &Actor,
    mut doc: Doc,
    port_id: &str,
    fixed_ip: Option<&str>,
) -> Result<Doc, ApiError> {
    let port = actor.find(state, Kind::Port, port_id)?;
    let fixed_ips: Vec<&Value> = port["fixed_ips"].as_array().into_iter().flatten().collect();
    let chosen = match fixed_ip {
        Some(ip) => fixed_ips
            .iter()
            .find(|f| f["ip_address"] == ip)
            .ok_or_else(|| bad_fip(format!("Port {port_id} does not have fixed ip {ip}")))?,
        None => fixed_ips
            .iter()
            .find(|f| f["ip_address"].as_str().is_some_and(|a| a.contains('.')))
            .ok_or_else(|| bad_fip(format!("Port {port_id} does not have any IPv4 address, which is needed for floating IP association")))?,
    };
    let address = str_of(chosen.as_object().unwrap_or(&Doc::new()), "ip_address").to_owned();
    let subnet_id = chosen["subnet_id"].as_str().unwrap_or_default();
    let network_id = str_of(&doc, "floating_network_id").to_owned();
    let subnet = state
        .get(Kind::Subnet, subnet_id)
        .cloned()
        .unwrap_or_default();
    let router = routers::router_between(state, &subnet, &network_id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "ExternalGatewayForFloatingIPNotFound",
            format!("External network {network_id} is not reachable from subnet {subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP."),
        )
    })?;
    let id = str_of(&doc, "id");
    let taken = state.all(Kind::FloatingIp).iter().any(|f| {
        f["id"] != id && f["port_id"] == port_id && f["fixed_ip_address"] == address.as_str()
    });
    if taken {
        return Err(conflict(
            "FloatingIPPortAlreadyAssociated",
            format!(
                "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {address}, as that fixed IP already has a floating IP on external network {network_id}.",
                str_of(&doc, "floating_ip_address"),
                id,
            ),
        ));
    }
    doc.insert("port_id".into(), json!(port_id));
    doc.insert("fixed_ip_address".into(), json!(address));
    doc.insert("router_id".into(), json!(router));
    doc.insert("status".into(), json!("ACTIVE"));
    doc.insert(
        "port_details".into(),
        json!({
            "name": port["name"],
            "network_id": port["network_id"],
            "mac_address": port["mac_address"],
            "admin_state_up": port["admin_state_up"],
            "status": port["status"],
            "device_id": port["device_id"],
            "device_owner": port["device_owner"],
        }),
    );
    Ok(doc)
}

/// `doc` with no port.
pub(crate) fn disassociated(mut doc: Doc) -> Doc {
    for key in ["port_id", "fixed_ip_address", "router_id", "port_details"] {
        doc.insert(key.into(), Value::Null);
    }
    doc.insert("status".into(), json!("DOWN"));
    doc
}

/// `DELETE /v2.0/floatingips/{id}`: its port goes with it.
pub(super) fn delete(state: &mut NeutronState, doc: &Doc) -> Result<(), ApiError> {
    let id = str_of(doc, "id").to_owned();
    let own: Vec<String> = state
        .all(Kind::Port)
        .iter()
        .filter(|p| p["device_id"] == id.as_str() && p["device_owner"] == "network:floatingip")
        .map(|p| str_of(p, "id").to_owned())
        .collect();
    for port in own {
        state.remove(Kind::Port, &port);
    }
    state.remove(Kind::FloatingIp, &id);
    Ok(())
}
