//! Routers: the external gateway (a `network:router_gateway` port on an external network),
//! interfaces added and removed by subnet or port (a `network:router_interface` port holding
//! the subnet's gateway IP), and the floating IPs that depend on both.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ipam::Cidr;
use super::resources::{Actor, base, boolean, check_attrs, parse_body, update_common, writable};
use super::store::{NeutronState, str_of};
use super::{Doc, Kind, conflict, error, policy_forbids, ports};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

const KNOWN: [&str; 8] = [
    "admin_state_up",
    "external_gateway_info",
    "status",
    "routes",
    "distributed",
    "ha",
    "availability_zone_hints",
    "flavor_id",
];
const WRITABLE: [&str; 3] = ["admin_state_up", "external_gateway_info", "routes"];

/// "Bad router request: ..." (400 `BadRequest`).
fn bad_router(message: impl std::fmt::Display) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Bad router request: {message}."),
    )
}

/// `POST /v2.0/routers`.
pub(super) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &WRITABLE, "POST")?;
    let mut doc = base(actor, attrs)?;
    doc.insert(
        "admin_state_up".into(),
        json!(boolean(attrs, "admin_state_up")?.unwrap_or(true)),
    );
    doc.insert("status".into(), json!("ACTIVE"));
    doc.insert("external_gateway_info".into(), Value::Null);
    doc.insert("routes".into(), json!([]));
    doc.insert("distributed".into(), json!(false));
    doc.insert("ha".into(), json!(false));
    doc.insert("availability_zone_hints".into(), json!([]));
    doc.insert("availability_zones".into(), json!([]));
    doc.insert("flavor_id".into(), Value::Null);
    gateway_policy(actor, attrs, "create")?;
    let id = str_of(&doc, "id").to_owned();
    state.insert(Kind::Router, doc);
    if let Some(info) = attrs.get("external_gateway_info") {
        set_gateway(state, actor, &id, info)?;
    }
    Ok(state.get(Kind::Router, &id).cloned().unwrap_or_default())
}

/// `PUT /v2.0/routers/{id}`.
pub(super) fn update(
    state: &mut NeutronState,
    actor: &Actor,
    mut doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(attrs, &KNOWN, &WRITABLE, "PUT")?;
    gateway_policy(actor, attrs, "update")?;
    update_common(&mut doc, attrs)?;
    if let Some(up) = boolean(attrs, "admin_state_up")? {
        doc.insert("admin_state_up".into(), json!(up));
    }
    if let Some(routes) = attrs.get("routes") {
        check_routes(state, str_of(&doc, "id"), routes)?;
        doc.insert("routes".into(), routes.clone());
    }
    let id = str_of(&doc, "id").to_owned();
    state.replace(Kind::Router, doc);
    if let Some(info) = attrs.get("external_gateway_info") {
        set_gateway(state, actor, &id, info)?;
    }
    Ok(state.get(Kind::Router, &id).cloned().unwrap_or_default())
}

/// Choosing the gateway port's addresses is the admin's: Neutron's policy
/// `{create,update}_router:external_gateway_info:external_fixed_ips` is `role:admin`.
fn gateway_policy(actor: &Actor, attrs: &Doc, verb: &str) -> Result<(), ApiError> {
    let chosen = attrs
        .get("external_gateway_info")
        .and_then(|info| info.get("external_fixed_ips"))
        .is_some_and(|fixed| !fixed.is_null());
    if chosen && !actor.admin {
        return Err(policy_forbids(&format!(
            "{verb}_router:external_gateway_info:external_fixed_ips"
        )));
    }
    Ok(())
}

/// Neutron's check of static routes (extraroute): each next hop must be inside a subnet
/// one of the router's ports (interfaces and gateway) is on, and none of their addresses;
/// else 400 `InvalidRoutes`.
fn check_routes(state: &NeutronState, router: &str, routes: &Value) -> Result<(), ApiError> {
    let invalid = |reason: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidRoutes",
            format!("Invalid format for routes: {routes}, {reason}"),
        )
    };
    let mut cidrs = Vec::new();
    let mut addresses = Vec::new();
    for port in state
        .all(Kind::Port)
        .iter()
        .filter(|p| p["device_id"] == router)
    {
        for fixed in port["fixed_ips"].as_array().into_iter().flatten() {
            let subnet = state.get(
                Kind::Subnet,
                fixed["subnet_id"].as_str().unwrap_or_default(),
            );
            if let Some(cidr) = subnet.and_then(|s| Cidr::parse(str_of(s, "cidr"))) {
                cidrs.push(cidr);
            }
            addresses.push(fixed["ip_address"].as_str().unwrap_or_default().to_owned());
        }
    }
    let Some(routes_list) = routes.as_array() else {
        return Err(invalid("the routes must be a list"));
    };
    for route in routes_list {
        let nexthop = route["nexthop"].as_str().unwrap_or_default();
        let Ok(ip) = nexthop.parse::<std::net::Ipv4Addr>() else {
            return Err(invalid("the nexthop is not connected with router"));
        };
        if !cidrs.iter().any(|c| c.contains(ip)) {
            return Err(invalid("the nexthop is not connected with router"));
        }
        if addresses.iter().any(|a| a == nexthop) {
            return Err(invalid("the nexthop is used by router"));
        }
    }
    Ok(())
}

/// The router's gateway port, if any.
fn gateway_port(state: &NeutronState, router: &str) -> Option<Doc> {
    state
        .all(Kind::Port)
        .iter()
        .find(|p| p["device_id"] == router && p["device_owner"] == "network:router_gateway")
        .cloned()
}

/// Sets (or, with `{}` or `null`, clears) the router's external gateway.
fn set_gateway(
    state: &mut NeutronState,
    actor: &Actor,
    router: &str,
    info: &Value,
) -> Result<(), ApiError> {
    let wanted = info
        .get("network_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let old = gateway_port(state, router);
    let old_network = old.as_ref().map(|p| str_of(p, "network_id").to_owned());
    if old_network.is_some() && old_network != wanted {
        let old_network = old_network.unwrap_or_default();
        if state
            .all(Kind::FloatingIp)
            .iter()
            .any(|f| f["router_id"] == router)
        {
            return Err(conflict(
                "RouterExternalGatewayInUseByFloatingIp",
                format!(
                    "Gateway cannot be updated for router {router}, since a gateway to external network {old_network} is required by one or more floating IPs."
                ),
            ));
        }
    }
    let mut doc = state.get(Kind::Router, router).cloned().unwrap_or_default();
    let Some(network_id) = wanted else {
        if let Some(port) = old {
            state.remove(Kind::Port, str_of(&port, "id"));
        }
        doc.insert("external_gateway_info".into(), Value::Null);
        state.replace(Kind::Router, doc);
        return Ok(());
    };
    let network = actor.find(state, Kind::Network, &network_id)?;
    if network["router:external"] != true {
        return Err(bad_router(format!(
            "Network {network_id} is not an external network"
        )));
    }
    let port = match old.filter(|p| p["network_id"] == network_id.as_str()) {
        Some(port) => port,
        None => {
            if let Some(port) = gateway_port(state, router) {
                state.remove(Kind::Port, str_of(&port, "id"));
            }
            let mut attrs = Doc::new();
            attrs.insert("network_id".into(), json!(network_id));
            attrs.insert("device_id".into(), json!(router));
            attrs.insert("device_owner".into(), json!("network:router_gateway"));
            attrs.insert("binding:host_id".into(), json!("mock-network"));
            if let Some(fixed) = info.get("external_fixed_ips").filter(|v| v.is_array()) {
                attrs.insert("fixed_ips".into(), fixed.clone());
            }
            // Gateway ports belong to no project, as Neutron makes them.
            let system = Actor {
                project: String::new(),
                admin: true,
            };
            ports::create(state, &system, &attrs)?
        }
    };
    let snat = info
        .get("enable_snat")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    doc.insert(
        "external_gateway_info".into(),
        json!({"network_id": network_id, "enable_snat": snat, "external_fixed_ips": port["fixed_ips"]}),
    );
    state.replace(Kind::Router, doc);
    Ok(())
}

/// The router's interface ports.
pub(crate) fn interfaces<'a>(
    state: &'a NeutronState,
    router: &'a str,
) -> impl Iterator<Item = &'a Doc> + 'a {
    state.all(Kind::Port).iter().filter(move |p| {
        p["device_id"] == router && p["device_owner"] == "network:router_interface"
    })
}

/// `DELETE /v2.0/routers/{id}`: 409 `RouterInUse` while it has interfaces.
pub(super) fn delete(state: &mut NeutronState, doc: &Doc) -> Result<(), ApiError> {
    let id = str_of(doc, "id").to_owned();
    if interfaces(state, &id).next().is_some() {
        return Err(conflict(
            "RouterInUse",
            format!("Router {id} still has ports"),
        ));
    }
    if state
        .all(Kind::FloatingIp)
        .iter()
        .any(|f| f["router_id"] == id.as_str())
    {
        return Err(conflict(
            "RouterInUse",
            format!("Router {id} still has floating IPs associated"),
        ));
    }
    if let Some(port) = gateway_port(state, &id) {
        state.remove(Kind::Port, str_of(&port, "id"));
    }
    state.remove(Kind::Router, &id);
    Ok(())
}

/// `PUT /v2.0/routers/{id}/add_router_interface` and `remove_router_interface`: 200 with
/// the interface, not wrapped.
pub(super) async fn interface(
    State(state): State<AppState>,
    caller: Caller,
    id: String,
    action: &str,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let subnet_id = body
        .get("subnet_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let port_id = body
        .get("port_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let actor = Actor::of(&caller);
    let adding = action == "add_router_interface";
    let answer = state.neutron.write(&state, &caller, |neutron| {
        let router = writable(neutron, &actor, &caller, Kind::Router, &id, "update")?;
        let port = match (subnet_id.as_deref(), port_id.as_deref(), adding) {
            (Some(_), Some(_), true) => {
                return Err(bad_router("Cannot specify both subnet-id and port-id"));
            }
            (None, None, _) => {
                return Err(bad_router("Either subnet_id or port_id must be specified"));
            }
            (Some(subnet), None, true) => attach_subnet(neutron, &actor, &router, subnet)?,
            (None, Some(port), true) => add_port(neutron, &actor, &router, port)?,
            (subnet, port, false) => remove(neutron, &router, subnet, port)?,
        };
        let subnets: Vec<Value> = port["fixed_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|ip| ip["subnet_id"].clone())
            .collect();
        Ok(json!({
            "id": id,
            "network_id": port["network_id"],
            "port_id": port["id"],
            "subnet_id": subnets.first().cloned().unwrap_or(Value::Null),
            "subnet_ids": subnets,
            "project_id": router["project_id"],
        }))
    })?;
    Ok(axum::Json(answer).into_response())
}

pub(crate) fn attach_subnet(
    state: &mut NeutronState,
    actor: &Actor,
    router: &Doc,
    subnet_id: &str,
) -> Result<Doc, ApiError> {
    let router_id = str_of(router, "id");
    let subnet = actor.find(state, Kind::Subnet, subnet_id)?.clone();
    let on_subnet = interfaces(state, router_id).any(|p| {
        p["fixed_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|ip| ip["subnet_id"] == subnet_id)
    });
    if on_subnet {
        return Err(bad_router(format!(
            "Router already has a port on subnet {subnet_id}"
        )));
    }
    let Some(gateway) = subnet["gateway_ip"].as_str() else {
        return Err(bad_router(
            "Subnet for router interface must have a gateway IP",
        ));
    };
    let mut attrs = Doc::new();
    attrs.insert("network_id".into(), subnet["network_id"].clone());
    attrs.insert(
        "fixed_ips".into(),
        json!([{"subnet_id": subnet_id, "ip_address": gateway}]),
    );
    attrs.insert("device_id".into(), json!(router_id));
    attrs.insert("device_owner".into(), json!("network:router_interface"));
    attrs.insert("binding:host_id".into(), json!("mock-network"));
    let owner = Actor {
        project: str_of(router, "project_id").to_owned(),
        admin: true,
    };
    ports::create(state, &owner, &attrs)
}

fn add_port(
    state: &mut NeutronState,
    actor: &Actor,
    router: &Doc,
    port_id: &str,
) -> Result<Doc, ApiError> {
    let mut port = actor.find(state, Kind::Port, port_id)?.clone();
    let device = str_of(&port, "device_id");
    if !device.is_empty() {
        return Err(conflict(
            "PortInUse",
            format!(
                "Unable to complete operation on port {port_id} for network {}. Port already has an attached device {device}.",
                str_of(&port, "network_id")
            ),
        ));
    }
    if port["fixed_ips"].as_array().is_none_or(Vec::is_empty) {
        return Err(bad_router("Router port must have at least one fixed IP"));
    }
    port.insert("device_id".into(), router["id"].clone());
    port.insert("device_owner".into(), json!("network:router_interface"));
    port.insert("security_groups".into(), json!([]));
    port.insert("status".into(), json!("ACTIVE"));
    state.replace(Kind::Port, port);
    Ok(state.get(Kind::Port, port_id).cloned().unwrap_or_default())
}

fn remove(
    state: &mut NeutronState,
    router: &Doc,
    subnet: Option<&str>,
    port: Option<&str>,
) -> Result<Doc, ApiError> {
    let router_id = str_of(router, "id");
    let found = interfaces(state, router_id)
        .find(|p| {
            port.is_none_or(|id| p["id"] == id)
                && subnet.is_none_or(|s| {
                    p["fixed_ips"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|ip| ip["subnet_id"] == s)
                })
        })
        .cloned();
    let Some(found) = found else {
        return Err(match (subnet, port) {
            (_, Some(port)) => error(
                StatusCode::NOT_FOUND,
                "RouterInterfaceNotFound",
                format!("Router {router_id} does not have an interface with id {port}"),
            ),
            (subnet, None) => error(
                StatusCode::NOT_FOUND,
                "RouterInterfaceNotFoundForSubnet",
                format!(
                    "Router {router_id} has no interface on subnet {}",
                    subnet.unwrap_or_default()
                ),
            ),
        });
    };
    let subnets: Vec<&str> = found["fixed_ips"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip["subnet_id"].as_str())
        .collect();
    let needed =
        state
            .all(Kind::FloatingIp)
            .iter()
            .filter(|f| f["router_id"] == router_id)
            .any(|f| {
                f["port_id"]
                    .as_str()
                    .and_then(|p| state.get(Kind::Port, p))
                    .is_some_and(|p| {
                        p["fixed_ips"].as_array().into_iter().flatten().any(|ip| {
                            subnets.contains(&ip["subnet_id"].as_str().unwrap_or_default())
                        })
                    })
            });
    if needed {
        return Err(conflict(
            "RouterInterfaceInUseByFloatingIP",
            format!(
                "Router interface for subnet {} on router {router_id} cannot be deleted, as it is required by one or more floating IPs.",
                subnets.first().copied().unwrap_or_default()
            ),
        ));
    }
    state.remove(Kind::Port, str_of(&found, "id"));
    Ok(found)
}

/// The router that connects `subnet` to the external network `network`, preferring the one
/// whose interface holds the subnet's gateway IP (as Neutron picks it for a floating IP).
pub(crate) fn router_between(state: &NeutronState, subnet: &Doc, network: &str) -> Option<String> {
    let subnet_id = str_of(subnet, "id");
    let candidates: Vec<(&Doc, bool)> = state
        .all(Kind::Router)
        .iter()
        .filter(|r| r["external_gateway_info"]["network_id"] == network)
        .filter_map(|r| {
            let interface = interfaces(state, str_of(r, "id"))
                .flat_map(|p| p["fixed_ips"].as_array().cloned().unwrap_or_default())
                .find(|ip| ip["subnet_id"] == subnet_id)?;
            Some((r, interface["ip_address"] == subnet["gateway_ip"]))
        })
        .collect();
    candidates
        .iter()
        .find(|(_, gateway)| *gateway)
        .or(candidates.first())
        .map(|(r, _)| str_of(r, "id").to_owned())
}
