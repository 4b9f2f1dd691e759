//! Ports: a MAC from Neutron's base `fa:16:3e`, fixed IPs from the network's subnets, the
//! project's default security group unless told otherwise, and the owners routers and
//! floating IPs keep for themselves (not deletable through this API).

use axum::http::StatusCode;
use rand::Rng;
use serde_json::{Value, json};

use super::resources::{Actor, base, boolean, check_attrs, text, update_common};
use super::store::{NeutronState, list_of, str_of};
use super::{Doc, Kind, bad_request, conflict, error, subnets};
use crate::errors::ApiError;

const KNOWN: [&str; 17] = [
    "network_id",
    "admin_state_up",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "security_groups",
    "port_security_enabled",
    "allowed_address_pairs",
    "extra_dhcp_opts",
    "binding:host_id",
    "binding:vnic_type",
    "binding:profile",
    "status",
    "binding:vif_type",
    "binding:vif_details",
    "qos_policy_id",
];
const CREATE: [&str; 12] = [
    "network_id",
    "admin_state_up",
    "mac_address",
    "fixed_ips",
    "device_id",
    "device_owner",
    "security_groups",
    "port_security_enabled",
    "allowed_address_pairs",
    "extra_dhcp_opts",
    "binding:host_id",
    "binding:vnic_type",
];
const UPDATE: [&str; 11] = [
    "admin_state_up",
    "fixed_ips",
    "device_id",
    "device_owner",
    "security_groups",
    "port_security_enabled",
    "allowed_address_pairs",
    "extra_dhcp_opts",
    "binding:host_id",
    "binding:vnic_type",
    "binding:profile",
];

/// Owners whose ports belong to a router or floating IP: deleted through them only.
const L3_OWNERS: [&str; 3] = [
    "network:router_interface",
    "network:router_gateway",
    "network:floatingip",
];

/// A MAC no port has yet, from Neutron's default base MAC.
fn new_mac(state: &NeutronState) -> String {
    let mut rng = rand::rng();
    loop {
        let mac = format!(
            "fa:16:3e:{:02x}:{:02x}:{:02x}",
            rng.random::<u8>(),
            rng.random::<u8>(),
            rng.random::<u8>()
        );
        if !state
            .all(Kind::Port)
            .iter()
            .any(|p| p["mac_address"] == mac)
        {
            return mac;
        }
    }
}

/// The fixed IPs `requested` (or one from the network's first subnet), allocated.
fn fixed_ips(
    state: &NeutronState,
    network_id: &str,
    requested: Option<&Value>,
) -> Result<Value, ApiError> {
    let subnets: Vec<&Doc> = state
        .all(Kind::Subnet)
        .iter()
        .filter(|s| str_of(s, "network_id") == network_id)
        .collect();
    let Some(requested) = requested.filter(|v| !v.is_null()) else {
        return Ok(match subnets.first() {
            Some(subnet) => {
                let ip = subnets::allocate(state, subnet, None)?;
                json!([{"subnet_id": subnet["id"], "ip_address": ip.to_string()}])
            }
            None => json!([]),
        });
    };
    let list = requested.as_array().ok_or_else(|| {
        bad_request(format!(
            "Invalid input for fixed_ips. Reason: '{requested}' is not a list."
        ))
    })?;
    let mut out: Vec<Value> = Vec::new();
    // Addresses taken earlier in this same request count as used.
    let mut scratch = state.clone();
    for item in list {
        let subnet_id = item.get("subnet_id").and_then(Value::as_str);
        let address = item.get("ip_address").and_then(Value::as_str);
        let subnet = match (subnet_id, address) {
            (Some(id), _) => subnets.iter().find(|s| s["id"] == id).copied().ok_or_else(|| {
                bad_request(format!(
                    "Invalid input for operation: Failed to create port on network {network_id}, because fixed_ips included invalid subnet {id}."
                ))
            })?,
            (None, Some(address)) => {
                let ip = address.parse().map_err(|_| {
                    bad_request(format!("Invalid input for fixed_ips. Reason: '{address}' is not a valid IP address."))
                })?;
                subnets
                    .iter()
                    .find(|s| super::ipam::Cidr::parse(str_of(s, "cidr")).is_some_and(|c| c.contains(ip)))
                    .copied()
                    .ok_or_else(|| {
                        error(
                            StatusCode::BAD_REQUEST,
                            "InvalidIpForNetwork",
                            format!("IP address {address} is not a valid IP for any of the subnets on the specified network."),
                        )
                    })?
            }
            (None, None) => return Err(bad_request("Invalid input for fixed_ips. Reason: an entry needs subnet_id or ip_address.")),
        };
        let ip = subnets::allocate(&scratch, subnet, address)?;
        let entry = json!({"subnet_id": subnet["id"], "ip_address": ip.to_string()});
        let mut holder = Doc::new();
        holder.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
        holder.insert("fixed_ips".into(), json!([entry.clone()]));
        scratch.insert(Kind::Port, holder);
        out.push(entry);
    }
    Ok(Value::Array(out))
}

/// The security groups asked for (ids the actor sees), or the project's default group.
fn security_groups(
    state: &NeutronState,
    actor: &Actor,
    requested: Option<&Value>,
    project: &str,
    secured: bool,
    owner: &str,
) -> Result<Value, ApiError> {
    match requested.filter(|v| !v.is_null()) {
        None if secured && !owner.starts_with("network:") => Ok(json!(
            state
                .all(Kind::SecurityGroup)
                .iter()
                .filter(|g| str_of(g, "project_id") == project && g["name"] == "default")
                .map(|g| g["id"].clone())
                .collect::<Vec<_>>()
        )),
        None => Ok(json!([])),
        Some(value) => {
            let ids = value.as_array().ok_or_else(|| {
                bad_request(format!(
                    "Invalid input for security_groups. Reason: '{value}' is not a list."
                ))
            })?;
            if !secured && !ids.is_empty() {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "PortSecurityAndIPRequiredForSecurityGroups",
                    "Port security must be enabled and port must have an IP address in order to use security groups.",
                ));
            }
            let mut out = Vec::new();
            for id in ids {
                let id = id.as_str().unwrap_or_default();
                actor.find(state, Kind::SecurityGroup, id)?;
                if !out.iter().any(|o: &Value| o == id) {
                    out.push(json!(id));
                }
            }
            Ok(Value::Array(out))
        }
    }
}

/// `POST /v2.0/ports`.
pub(crate) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &CREATE, "POST")?;
    let network_id = text(attrs, "network_id", 36)?.ok_or_else(|| {
        bad_request("Failed to parse request. Required attribute 'network_id' not specified")
    })?;
    let network = actor.find(state, Kind::Network, &network_id)?.clone();
    if !actor.owns(&network) && network["shared"] != true {
        return Err(error(
            StatusCode::FORBIDDEN,
            "HTTPForbidden",
            format!(
                "Tenant {} not allowed to create port on this network",
                actor.project
            ),
        ));
    }
    let mac = match text(attrs, "mac_address", 17)? {
        None => new_mac(state),
        Some(mac) => {
            let mac = mac.to_ascii_lowercase();
            let valid = mac.split(':').count() == 6
                && mac
                    .split(':')
                    .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
            if !valid {
                return Err(bad_request(format!(
                    "Invalid input for mac_address. Reason: '{mac}' is not a valid MAC address."
                )));
            }
            if state
                .all(Kind::Port)
                .iter()
                .any(|p| p["mac_address"] == mac && p["network_id"] == network_id)
            {
                return Err(conflict(
                    "MacAddressInUse",
                    format!(
                        "Unable to complete operation for network {network_id}. The mac address {mac} is in use."
                    ),
                ));
            }
            mac
        }
    };
    let owner = text(attrs, "device_owner", 255)?.unwrap_or_default();
    let device = text(attrs, "device_id", 255)?.unwrap_or_default();
    let secured = boolean(attrs, "port_security_enabled")?
        .unwrap_or_else(|| network["port_security_enabled"] != false);
    let groups = security_groups(
        state,
        actor,
        attrs.get("security_groups"),
        &actor.project,
        secured,
        &owner,
    )?;
    let fixed = fixed_ips(state, &network_id, attrs.get("fixed_ips"))?;
    let mut doc = base(actor, attrs)?;
    doc.insert("network_id".into(), json!(network_id));
    doc.insert("mac_address".into(), json!(mac));
    doc.insert(
        "admin_state_up".into(),
        json!(boolean(attrs, "admin_state_up")?.unwrap_or(true)),
    );
    doc.insert("device_id".into(), json!(device));
    doc.insert("device_owner".into(), json!(owner));
    doc.insert("fixed_ips".into(), fixed);
    doc.insert("security_groups".into(), groups);
    doc.insert("port_security_enabled".into(), json!(secured));
    doc.insert(
        "allowed_address_pairs".into(),
        attrs
            .get("allowed_address_pairs")
            .cloned()
            .unwrap_or(json!([])),
    );
    doc.insert(
        "extra_dhcp_opts".into(),
        attrs.get("extra_dhcp_opts").cloned().unwrap_or(json!([])),
    );
    doc.insert(
        "binding:host_id".into(),
        json!(text(attrs, "binding:host_id", 255)?.unwrap_or_default()),
    );
    doc.insert(
        "binding:vnic_type".into(),
        json!(text(attrs, "binding:vnic_type", 64)?.unwrap_or_else(|| "normal".into())),
    );
    doc.insert("binding:profile".into(), json!({}));
    doc.insert("qos_policy_id".into(), Value::Null);
    doc.insert("qos_network_policy_id".into(), Value::Null);
    doc.insert("ip_allocation".into(), json!("immediate"));
    doc.insert("propagate_uplink_status".into(), json!(false));
    bind(&mut doc);
    state.insert(Kind::Port, doc.clone());
    Ok(doc)
}

/// Status and binding from the device: a port with a device and a host is bound and up.
fn bind(doc: &mut Doc) {
    let bound = !str_of(doc, "binding:host_id").is_empty()
        || str_of(doc, "device_owner").starts_with("network:");
    let up = bound && !str_of(doc, "device_id").is_empty() && doc["admin_state_up"] != false;
    doc.insert("status".into(), json!(if up { "ACTIVE" } else { "DOWN" }));
    doc.insert(
        "binding:vif_type".into(),
        json!(if bound { "ovs" } else { "unbound" }),
    );
    doc.insert(
        "binding:vif_details".into(),
        if bound {
            json!({"port_filter": true, "connectivity": "l2"})
        } else {
            json!({})
        },
    );
}

/// `PUT /v2.0/ports/{id}`.
pub(crate) fn update(
    state: &mut NeutronState,
    actor: &Actor,
    mut doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &UPDATE, "PUT")?;
    update_common(&mut doc, attrs)?;
    if let Some(secured) = boolean(attrs, "port_security_enabled")? {
        doc.insert("port_security_enabled".into(), json!(secured));
    }
    let secured = doc["port_security_enabled"] != false;
    if attrs.contains_key("security_groups") {
        let project = str_of(&doc, "project_id").to_owned();
        let groups = security_groups(
            state,
            actor,
            attrs.get("security_groups"),
            &project,
            secured,
            "network:",
        )?;
        doc.insert("security_groups".into(), groups);
    } else if !secured && list_of(&doc, "security_groups").next().is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "PortSecurityPortHasSecurityGroup",
            "Port has security group associated. Cannot disable port security or IP address until security group is removed.",
        ));
    }
    if attrs.contains_key("fixed_ips") {
        // The port's own addresses are free for it to keep.
        let mut without = state.clone();
        without.remove(Kind::Port, str_of(&doc, "id"));
        let fixed = fixed_ips(&without, str_of(&doc, "network_id"), attrs.get("fixed_ips"))?;
        doc.insert("fixed_ips".into(), fixed);
    }
    for key in [
        "device_id",
        "device_owner",
        "binding:host_id",
        "binding:vnic_type",
    ] {
        if let Some(value) = text(attrs, key, 255)? {
            doc.insert(key.into(), json!(value));
        } else if attrs.get(key) == Some(&Value::Null) {
            doc.insert(key.into(), json!(""));
        }
    }
    for key in [
        "allowed_address_pairs",
        "extra_dhcp_opts",
        "binding:profile",
    ] {
        if let Some(value) = attrs.get(key) {
            doc.insert(key.into(), value.clone());
        }
    }
    if let Some(up) = boolean(attrs, "admin_state_up")? {
        doc.insert("admin_state_up".into(), json!(up));
    }
    bind(&mut doc);
    Ok(doc)
}

/// `DELETE /v2.0/ports/{id}`: a router's or floating IP's port is refused (409
/// `L3PortInUse`); floating IPs on the port are disassociated.
pub(crate) fn delete(state: &mut NeutronState, _actor: &Actor, doc: &Doc) -> Result<(), ApiError> {
    let owner = str_of(doc, "device_owner");
    if L3_OWNERS.contains(&owner) {
        return Err(conflict(
            "L3PortInUse",
            format!(
                "Port {} cannot be deleted directly via the port API: has device owner {owner}.",
                str_of(doc, "id")
            ),
        ));
    }
    remove(state, str_of(doc, "id"));
    Ok(())
}

/// Removes a port and disassociates the floating IPs on it.
pub(crate) fn remove(state: &mut NeutronState, id: &str) {
    let fips: Vec<Doc> = state
        .all(Kind::FloatingIp)
        .iter()
        .filter(|f| f["port_id"] == id)
        .cloned()
        .collect();
    for fip in fips {
        state.replace(Kind::FloatingIp, super::floating_ips::disassociated(fip));
    }
    state.remove(Kind::Port, id);
}
