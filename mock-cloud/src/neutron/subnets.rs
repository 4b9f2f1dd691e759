//! Subnets (IPv4): CIDR, gateway and allocation pools checked as Neutron checks them; the
//! network's `subnets` list kept in step; a subnet with allocations cannot be deleted.

use std::net::Ipv4Addr;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ipam::{Cidr, default_pools, pools_json, pools_of};
use super::resources::{Actor, base, boolean, check_attrs, ports_on_subnet, update_common};
use super::store::{NeutronState, str_of};
use super::{Doc, Kind, bad_request, conflict, error, invalid_input, policy_forbids};
use crate::errors::ApiError;

const KNOWN: [&str; 15] = [
    "network_id",
    "ip_version",
    "cidr",
    "gateway_ip",
    "allocation_pools",
    "enable_dhcp",
    "dns_nameservers",
    "host_routes",
    "ipv6_ra_mode",
    "ipv6_address_mode",
    "subnetpool_id",
    "segment_id",
    "service_types",
    "prefixlen",
    "use_default_subnetpool",
];
const UPDATABLE: [&str; 5] = [
    "gateway_ip",
    "allocation_pools",
    "enable_dhcp",
    "dns_nameservers",
    "host_routes",
];

fn required(attrs: &Doc, key: &str) -> Result<Value, ApiError> {
    attrs
        .get(key)
        .filter(|v| !v.is_null())
        .cloned()
        .ok_or_else(|| {
            bad_request(format!(
                "Failed to parse request. Required attribute '{key}' not specified"
            ))
        })
}

fn address(value: &Value, what: &str) -> Result<Ipv4Addr, ApiError> {
    value.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
        bad_request(format!(
            "Invalid input for {what}. Reason: '{value}' is not a valid IP address."
        ))
    })
}

/// The pools asked for, checked against the CIDR, each other and the gateway.
fn pools(attrs: &Doc, cidr: Cidr, gateway: Option<Ipv4Addr>) -> Result<Vec<(u32, u32)>, ApiError> {
    let Some(requested) = attrs.get("allocation_pools").filter(|v| !v.is_null()) else {
        return Ok(default_pools(cidr, gateway));
    };
    let list = requested.as_array().ok_or_else(|| {
        bad_request(format!(
            "Invalid input for allocation_pools. Reason: '{requested}' is not a list."
        ))
    })?;
    let mut pools = Vec::new();
    for pool in list {
        let start = address(&pool["start"], "allocation_pools")?;
        let end = address(&pool["end"], "allocation_pools")?;
        let (first, last) = cidr.hosts();
        if start > end || start.to_bits() < first || end.to_bits() > last {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "OutOfBoundsAllocationPool",
                format!("The allocation pool {start}-{end} spans beyond the subnet cidr {cidr}."),
            ));
        }
        pools.push((start.to_bits(), end.to_bits()));
    }
    pools.sort_unstable();
    if pools.windows(2).any(|w| w[1].0 <= w[0].1) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "OverlappingAllocationPools",
            format!("Found overlapping allocation pools in subnet {cidr}."),
        ));
    }
    if let Some(g) = gateway
        && let Some((a, b)) = pools.iter().find(|(a, b)| (*a..=*b).contains(&g.to_bits()))
    {
        return Err(conflict(
            "GatewayConflictWithAllocationPools",
            format!(
                "Gateway ip {g} conflicts with allocation pool {}-{}.",
                Ipv4Addr::from_bits(*a),
                Ipv4Addr::from_bits(*b)
            ),
        ));
    }
    Ok(pools)
}

/// Neutron refuses DHCP on a loopback range (the seeded `public-subnet` has none).
fn refuse_loopback_dhcp(cidr: Cidr, dhcp: bool) -> Result<(), ApiError> {
    if dhcp && Ipv4Addr::from_bits(cidr.hosts().0).is_loopback() {
        return Err(invalid_input(
            "Loopback IP subnet is not supported if enable_dhcp is True",
        ));
    }
    Ok(())
}

/// `POST /v2.0/subnets`.
pub(super) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &KNOWN, "POST")?;
    let network_id = required(attrs, "network_id")?;
    let network_id = network_id.as_str().unwrap_or_default().to_owned();
    // The policy check reads the network whoever may see it: another project's network is
    // 403, not 404.
    let network = state
        .get(Kind::Network, &network_id)
        .ok_or_else(|| Kind::Network.not_found(&network_id))?
        .clone();
    if !actor.owns(&network) {
        return Err(policy_forbids("create_subnet"));
    }
    match required(attrs, "ip_version")?.as_u64() {
        Some(4) => {}
        Some(6) => return Err(invalid_input("this cloud's IPAM serves IPv4 subnets only")),
        _ => {
            return Err(bad_request(
                "Invalid input for ip_version. Reason: ip_version must be 4 or 6.",
            ));
        }
    }
    // Without a CIDR Neutron would take one from a subnet pool; this cloud has none.
    let cidr_text = attrs
        .get("cidr")
        .filter(|v| !v.is_null())
        .cloned()
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
            )
        })?;
    let cidr = cidr_text.as_str().and_then(Cidr::parse).ok_or_else(|| {
        let shown = cidr_text
            .as_str()
            .map_or_else(|| cidr_text.to_string(), str::to_owned);
        invalid_input(format!("{shown} is not in a CIDR format"))
    })?;
    for other in state
        .all(Kind::Subnet)
        .iter()
        .filter(|s| str_of(s, "network_id") == network_id)
    {
        if Cidr::parse(str_of(other, "cidr")).is_some_and(|c| c.overlaps(cidr)) {
            return Err(invalid_input(format!(
                "Requested subnet with cidr: {cidr} for network: {network_id} overlaps with another subnet"
            )));
        }
    }
    let gateway = match attrs.get("gateway_ip") {
        None => Some(Ipv4Addr::from_bits(cidr.hosts().0)),
        Some(Value::Null) => None,
        // Neutron takes a gateway outside the subnet (an on-link route the operator
        // provides); the pools then span the whole range.
        Some(value) => Some(address(value, "gateway_ip")?),
    };
    let pools = pools(attrs, cidr, gateway)?;
    let dhcp = boolean(attrs, "enable_dhcp")?.unwrap_or(true);
    refuse_loopback_dhcp(cidr, dhcp)?;
    let mut doc = base(actor, attrs)?;
    doc.insert("network_id".into(), json!(network_id));
    doc.insert("ip_version".into(), json!(4));
    doc.insert("cidr".into(), json!(cidr.to_string()));
    doc.insert("gateway_ip".into(), json!(gateway.map(|g| g.to_string())));
    doc.insert("allocation_pools".into(), pools_json(&pools));
    doc.insert("enable_dhcp".into(), json!(dhcp));
    for key in ["dns_nameservers", "host_routes", "service_types"] {
        doc.insert(
            key.into(),
            attrs
                .get(key)
                .filter(|v| v.is_array())
                .cloned()
                .unwrap_or(json!([])),
        );
    }
    for key in ["ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id"] {
        doc.insert(key.into(), Value::Null);
    }
    let id = str_of(&doc, "id").to_owned();
    let mut network = network;
    let mut subnets: Vec<Value> = network["subnets"].as_array().cloned().unwrap_or_default();
    subnets.push(json!(id));
    network.insert("subnets".into(), json!(subnets));
    state.replace(Kind::Network, network);
    state.insert(Kind::Subnet, doc.clone());
    Ok(doc)
}

/// `PUT /v2.0/subnets/{id}`.
pub(super) fn update(
    _state: &mut NeutronState,
    _actor: &Actor,
    mut doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &UPDATABLE, "PUT")?;
    update_common(&mut doc, attrs)?;
    let cidr =
        Cidr::parse(str_of(&doc, "cidr")).ok_or_else(|| bad_request("subnet has no CIDR"))?;
    let gateway = match attrs.get("gateway_ip") {
        None => doc["gateway_ip"].as_str().and_then(|g| g.parse().ok()),
        Some(Value::Null) => None,
        Some(value) => Some(address(value, "gateway_ip")?),
    };
    if attrs.contains_key("allocation_pools") || attrs.contains_key("gateway_ip") {
        let mut asked = attrs.clone();
        if !asked.contains_key("allocation_pools") {
            asked.insert("allocation_pools".into(), doc["allocation_pools"].clone());
        }
        let pools = pools(&asked, cidr, gateway)?;
        doc.insert("allocation_pools".into(), pools_json(&pools));
        doc.insert("gateway_ip".into(), json!(gateway.map(|g| g.to_string())));
    }
    if let Some(dhcp) = boolean(attrs, "enable_dhcp")? {
        refuse_loopback_dhcp(cidr, dhcp)?;
        doc.insert("enable_dhcp".into(), json!(dhcp));
    }
    for key in ["dns_nameservers", "host_routes"] {
        if let Some(value) = attrs.get(key).filter(|v| v.is_array()) {
            doc.insert(key.into(), value.clone());
        }
    }
    Ok(doc)
}

/// `DELETE /v2.0/subnets/{id}`: 409 `SubnetInUse` while a port has an address from it.
pub(super) fn delete(state: &mut NeutronState, doc: &Doc) -> Result<(), ApiError> {
    let id = str_of(doc, "id").to_owned();
    if ports_on_subnet(state, &id).next().is_some() {
        return Err(conflict(
            "SubnetInUse",
            format!(
                "Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."
            ),
        ));
    }
    if let Some(mut network) = state.get(Kind::Network, str_of(doc, "network_id")).cloned() {
        let subnets: Vec<Value> = network["subnets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s.as_str() != Some(id.as_str()))
            .cloned()
            .collect();
        network.insert("subnets".into(), json!(subnets));
        state.replace(Kind::Network, network);
    }
    state.remove(Kind::Subnet, &id);
    Ok(())
}

/// The addresses of `subnet` in use by ports.
pub(crate) fn used(state: &NeutronState, subnet: &str) -> Vec<Ipv4Addr> {
    ports_on_subnet(state, subnet)
        .flat_map(|p| p["fixed_ips"].as_array().cloned().unwrap_or_default())
        .filter(|ip| ip["subnet_id"] == subnet)
        .filter_map(|ip| ip["ip_address"].as_str().and_then(|a| a.parse().ok()))
        .collect()
}

/// A fixed IP on `subnet`: `wanted` if it is free and inside, else the lowest free address
/// of its pools.
pub(crate) fn allocate(
    state: &NeutronState,
    subnet: &Doc,
    wanted: Option<&str>,
) -> Result<Ipv4Addr, ApiError> {
    let network = str_of(subnet, "network_id");
    let used = used(state, str_of(subnet, "id"));
    match wanted {
        Some(text) => {
            let ip: Ipv4Addr = text.parse().map_err(|_| {
                bad_request(format!(
                    "Invalid input for fixed_ips. Reason: '{text}' is not a valid IP address."
                ))
            })?;
            let cidr = Cidr::parse(str_of(subnet, "cidr"));
            if !cidr.is_some_and(|c| c.contains(ip)) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidIpForSubnet",
                    format!("IP address {ip} is not a valid IP for the specified subnet."),
                ));
            }
            // Neutron's IPAM says so for a port, a router interface and a floating IP alike.
            if used.contains(&ip) {
                return Err(conflict(
                    "IpAddressAlreadyAllocated",
                    format!(
                        "IP address {ip} already allocated in subnet {}",
                        str_of(subnet, "id")
                    ),
                ));
            }
            Ok(ip)
        }
        None => super::ipam::next_free(&pools_of(&Value::Object(subnet.clone())), &used)
            .ok_or_else(|| {
                conflict(
                    "IpAddressGenerationFailure",
                    format!("No more IP addresses available on network {network}."),
                )
            }),
    }
}
