//! Networks: `shared` and `router:external` are for admins to set (as Neutron's policy
//! says); a network with ports in use cannot be deleted, and takes its subnets with it.

use serde_json::{Value, json};

use super::resources::{Actor, base, boolean, check_attrs, update_common};
use super::store::{NeutronState, str_of};
use super::{Doc, Kind, conflict, policy_forbids};
use crate::errors::ApiError;

const KNOWN: [&str; 9] = [
    "admin_state_up",
    "shared",
    "router:external",
    "port_security_enabled",
    "mtu",
    "status",
    "subnets",
    "availability_zone_hints",
    "is_default",
];
const WRITABLE: [&str; 5] = [
    "admin_state_up",
    "shared",
    "router:external",
    "port_security_enabled",
    "mtu",
];

/// The MTU of a network on ML2/OVN (Geneve overhead from 1500).
const MTU: u64 = 1442;

/// `POST /v2.0/networks`.
pub(super) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &WRITABLE, "POST")?;
    let mut doc = base(actor, attrs)?;
    let shared = boolean(attrs, "shared")?.unwrap_or(false);
    let external = boolean(attrs, "router:external")?.unwrap_or(false);
    if shared && !actor.admin {
        return Err(policy_forbids("create_network:shared"));
    }
    if external && !actor.admin {
        return Err(policy_forbids("create_network:router:external"));
    }
    let mtu = match attrs.get("mtu") {
        None => MTU,
        Some(value) => value
            .as_u64()
            .filter(|m| (68..=MTU).contains(m))
            .ok_or_else(|| {
                super::invalid_input(format!("Requested MTU is too big, maximum is {MTU}"))
            })?,
    };
    doc.insert(
        "admin_state_up".into(),
        json!(boolean(attrs, "admin_state_up")?.unwrap_or(true)),
    );
    doc.insert("status".into(), json!("ACTIVE"));
    doc.insert("subnets".into(), json!([]));
    doc.insert("shared".into(), json!(shared));
    doc.insert("router:external".into(), json!(external));
    doc.insert("mtu".into(), json!(mtu));
    doc.insert(
        "port_security_enabled".into(),
        json!(boolean(attrs, "port_security_enabled")?.unwrap_or(true)),
    );
    doc.insert("availability_zone_hints".into(), json!([]));
    doc.insert("availability_zones".into(), json!([]));
    doc.insert("ipv4_address_scope".into(), Value::Null);
    doc.insert("ipv6_address_scope".into(), Value::Null);
    doc.insert("l2_adjacency".into(), json!(true));
    doc.insert("qos_policy_id".into(), Value::Null);
    // auto-allocated-topology's flag: kept on external networks only, though Neutron's
    // create answer carries it for every network.
    if external {
        doc.insert("is_default".into(), json!(false));
    }
    state.insert(Kind::Network, doc.clone());
    doc.insert("is_default".into(), json!(false));
    Ok(doc)
}

/// `PUT /v2.0/networks/{id}`.
pub(super) fn update(
    _state: &mut NeutronState,
    actor: &Actor,
    mut doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &WRITABLE, "PUT")?;
    update_common(&mut doc, attrs)?;
    for key in ["shared", "router:external"] {
        if let Some(value) = boolean(attrs, key)? {
            if !actor.admin {
                return Err(policy_forbids(&format!("update_network:{key}")));
            }
            doc.insert(key.into(), json!(value));
        }
    }
    match doc.get("router:external").and_then(Value::as_bool) {
        Some(true) => {
            doc.entry("is_default").or_insert(json!(false));
        }
        _ => {
            doc.remove("is_default");
        }
    }
    for key in ["admin_state_up", "port_security_enabled"] {
        if let Some(value) = boolean(attrs, key)? {
            doc.insert(key.into(), json!(value));
        }
    }
    if let Some(mtu) = attrs.get("mtu") {
        doc.insert("mtu".into(), mtu.clone());
    }
    Ok(doc)
}

/// Whether a port is the network's own (routers' and DHCP ports go with it; a server's port
/// or a floating IP's does not).
fn network_owned(port: &Doc) -> bool {
    matches!(str_of(port, "device_owner"), "network:dhcp")
}

/// `DELETE /v2.0/networks/{id}`: 409 `NetworkInUse` while a port other than the network's
/// own is on it.
pub(super) fn delete(state: &mut NeutronState, doc: &Doc) -> Result<(), ApiError> {
    let id = str_of(doc, "id").to_owned();
    let in_use = state
        .all(Kind::Port)
        .iter()
        .any(|p| str_of(p, "network_id") == id && !network_owned(p));
    if in_use {
        return Err(conflict(
            "NetworkInUse",
            format!(
                "Unable to complete operation on network {id}. There are one or more ports still in use on the network."
            ),
        ));
    }
    let subnets: Vec<String> = state
        .all(Kind::Subnet)
        .iter()
        .filter(|s| str_of(s, "network_id") == id)
        .map(|s| str_of(s, "id").to_owned())
        .collect();
    for subnet in subnets {
        state.remove(Kind::Subnet, &subnet);
    }
    let own_ports: Vec<String> = state
        .all(Kind::Port)
        .iter()
        .filter(|p| str_of(p, "network_id") == id)
        .map(|p| str_of(p, "id").to_owned())
        .collect();
    for port in own_ports {
        state.remove(Kind::Port, &port);
    }
    state.remove(Kind::Network, &id);
    Ok(())
}
