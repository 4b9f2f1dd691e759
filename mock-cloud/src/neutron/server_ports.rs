//! What Nova asks of Neutron, as `nova/network/neutron.py` asks it: ports for a new server's
//! NICs (made together or not at all), the server's addresses and the forwards a driver would
//! make, interfaces attached and detached, security groups added and removed, and the ports
//! cleaned up when the server goes. Errors come back in Nova's words and statuses.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::hooks::{PortForward, forwards};
use super::resources::Actor;
use super::store::{Neutron, NeutronState, list_of, str_of};
use super::{Doc, Kind, ports};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::{ApiError, Service};
use crate::nova::driver::{BootNic, BootRoute};
use crate::nova::{bad_request, conflict, error, not_found};

/// A server's network as Nova shows it and a driver would act on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NetworkInfo {
    /// `addresses`: by network name, fixed IPs then floating ones, with the NIC's MAC.
    pub(crate) addresses: Value,
    /// The names of the security groups on its ports, each once.
    pub(crate) security_groups: Vec<String>,
    /// What a driver forwards into the server's NICs.
    pub(crate) forwards: Vec<PortForward>,
    /// The NICs a driver gives the machine: each port with an IPv4 address, in order.
    pub(crate) nics: Vec<BootNic>,
}

/// The NICs a server create asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NicRequest {
    /// The project's one usable network (`auto`, or no `networks` before 2.37); `explicit`
    /// when `auto` was said (then no network at all is an error).
    Auto { explicit: bool },
    /// No NIC (`none`, or an empty list).
    None,
    /// These NICs, in order.
    List(Vec<Nic>),
}

/// One entry of `networks`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Nic {
    /// `uuid`: a network.
    pub(crate) network: Option<String>,
    /// `port`: an existing port.
    pub(crate) port: Option<String>,
    /// `fixed_ip`: the address wanted.
    pub(crate) fixed_ip: Option<String>,
}

/// The device owner Nova gives its ports (`compute:<availability zone>`).
const OWNER: &str = "compute:nova";
/// The host the ports are bound to.
const HOST: &str = "mock-compute";

/// The server's ports, in creation order.
fn server_ports<'a>(
    state: &'a NeutronState,
    server: &'a str,
) -> impl Iterator<Item = &'a Doc> + 'a {
    state.all(Kind::Port).iter().filter(move |p| {
        p["device_id"] == server && str_of(p, "device_owner").starts_with("compute:")
    })
}

/// The network info of server `device`.
pub(crate) fn network_info(state: &NeutronState, device: &str) -> NetworkInfo {
    let mut addresses = serde_json::Map::new();
    let mut security_groups: Vec<String> = Vec::new();
    let mut nics = Vec::new();
    for port in server_ports(state, device) {
        nics.extend(boot_nic(state, port));
        for group in list_of(port, "security_groups") {
            let name = state
                .get(Kind::SecurityGroup, group)
                .map(|g| str_of(g, "name"))
                .unwrap_or(group);
            if !security_groups.iter().any(|n| n == name) {
                security_groups.push(name.to_owned());
            }
        }
        let label = state
            .get(Kind::Network, str_of(port, "network_id"))
            .map(|n| str_of(n, "name").to_owned())
            .unwrap_or_default();
        let mac = str_of(port, "mac_address");
        let entry = |addr: &str, kind: &str| {
            json!({
                "version": if addr.contains(':') { 6 } else { 4 },
                "addr": addr,
                "OS-EXT-IPS:type": kind,
                "OS-EXT-IPS-MAC:mac_addr": mac,
            })
        };
        let list = addresses.entry(label).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            continue;
        };
        for ip in port["fixed_ips"].as_array().into_iter().flatten() {
            list.push(entry(
                ip["ip_address"].as_str().unwrap_or_default(),
                "fixed",
            ));
        }
        for fip in state
            .all(Kind::FloatingIp)
            .iter()
            .filter(|f| f["port_id"] == port["id"])
        {
            list.push(entry(str_of(fip, "floating_ip_address"), "floating"));
        }
    }
    NetworkInfo {
        addresses: Value::Object(addresses),
        security_groups,
        forwards: forwards(state, device),
        nics,
    }
}

/// `port` as a machine's NIC: its first IPv4 fixed IP, with that subnet's range, gateway, DHCP,
/// DNS servers and routes, and the network's MTU unless a DHCP port serves the subnet (Nova
/// then leaves the MTU to DHCP: `netutils._get_link_mtu`).
fn boot_nic(state: &NeutronState, port: &Doc) -> Option<BootNic> {
    port["fixed_ips"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|ip| {
            let fixed_ip = ip["ip_address"].as_str()?.parse().ok()?;
            let subnet_id = ip["subnet_id"].as_str()?;
            let subnet = state.get(Kind::Subnet, subnet_id)?;
            let network_id = str_of(port, "network_id");
            let dhcp_port = state.all(Kind::Port).iter().any(|p| {
                str_of(p, "device_owner") == "network:dhcp"
                    && p["fixed_ips"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|ip| ip["subnet_id"] == subnet_id)
            });
            let mtu = state
                .get(Kind::Network, network_id)
                .and_then(|n| n["mtu"].as_u64())
                .and_then(|mtu| u32::try_from(mtu).ok())
                .filter(|_| !dhcp_port);
            Some(BootNic {
                port_id: str_of(port, "id").to_owned(),
                mac: str_of(port, "mac_address").to_owned(),
                fixed_ip,
                cidr: str_of(subnet, "cidr").to_owned(),
                gateway: subnet["gateway_ip"].as_str().and_then(|g| g.parse().ok()),
                network_id: network_id.to_owned(),
                vif_type: str_of(port, "binding:vif_type").to_owned(),
                mtu,
                dhcp: subnet["enable_dhcp"] != false,
                dns_nameservers: list_of(subnet, "dns_nameservers")
                    .map(str::to_owned)
                    .collect(),
                host_routes: subnet["host_routes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|route| BootRoute {
                        destination: route["destination"].as_str().unwrap_or_default().to_owned(),
                        nexthop: route["nexthop"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect(),
            })
        })
}

/// A Neutron error as Nova passes it on (same status and words, Nova's shape).
fn as_nova(e: ApiError) -> ApiError {
    if e.service == Service::Network {
        error(e.status, e.message)
    } else {
        e
    }
}

/// The networks Nova may pick by itself: the project's own unshared ones and shared ones.
/// External networks are left out (real Nova would take one the project owns): here the admin
/// project owns `public` beside its own `private`, and its servers go on `private` as
/// everyone else's do.
fn available<'a>(state: &'a NeutronState, project: &'a str) -> Vec<&'a Doc> {
    state
        .all(Kind::Network)
        .iter()
        .filter(|n| (n["project_id"] == project && n["shared"] != true) || n["shared"] == true)
        .filter(|n| n["router:external"] != true || n["shared"] == true)
        .collect()
}

/// The ids of the security groups named (by name or id) among the project's.
fn group_ids(
    state: &NeutronState,
    project: &str,
    names: &[String],
) -> Result<Vec<String>, ApiError> {
    names
        .iter()
        .map(|name| {
            let found: Vec<&Doc> = state
                .all(Kind::SecurityGroup)
                .iter()
                .filter(|g| g["project_id"] == project && (g["name"] == name.as_str() || g["id"] == name.as_str()))
                .collect();
            match found.as_slice() {
                [one] => Ok(str_of(one, "id").to_owned()),
                [] => Err(bad_request(format!("Security group {name} not found."))),
                _ => Err(conflict(format!(
                    "Multiple security groups found matching '{name}'. Use an ID to be more specific."
                ))),
            }
        })
        .collect()
}

/// Makes (or binds) the ports of one NIC request; the port's id.
fn one_nic(
    state: &mut NeutronState,
    actor: &Actor,
    admin: bool,
    server: &str,
    nic: &Nic,
    groups: &[String],
) -> Result<String, ApiError> {
    if let Some(port_id) = &nic.port {
        let port = actor
            .find(state, Kind::Port, port_id)
            .map_err(|_| bad_request(format!("Port id {port_id} not found.")))?
            .clone();
        if !str_of(&port, "device_id").is_empty() {
            return Err(conflict(format!("Port {port_id} is still in use.")));
        }
        if port["fixed_ips"].as_array().is_none_or(Vec::is_empty) {
            return Err(bad_request(format!(
                "Port {port_id} requires a FixedIP in order to be used."
            )));
        }
        let mut bound = port;
        bound.insert("device_id".into(), json!(server));
        bound.insert("device_owner".into(), json!(OWNER));
        bound.insert("binding:host_id".into(), json!(HOST));
        let update = bound.clone();
        let bound = ports::update(state, actor, bound, &Doc::new()).unwrap_or(update);
        state.replace(Kind::Port, bound);
        return Ok(port_id.clone());
    }
    let network_id = match (&nic.network, &nic.fixed_ip) {
        (Some(network), _) => network.clone(),
        (None, Some(ip)) => {
            let address = ip
                .parse()
                .map_err(|_| bad_request(format!("Invalid fixed IP address ({ip})")))?;
            let project = actor.project.clone();
            available(state, &project)
                .into_iter()
                .find(|n| {
                    state.all(Kind::Subnet).iter().any(|s| {
                        s["network_id"] == n["id"]
                            && super::ipam::Cidr::parse(str_of(s, "cidr"))
                                .is_some_and(|c| c.contains(address))
                    })
                })
                .map(|n| str_of(n, "id").to_owned())
                .ok_or_else(|| {
                    bad_request(format!(
                        "Fixed IP {ip} is not a valid ip address for any network."
                    ))
                })?
        }
        (None, None) => {
            return Err(bad_request(
                "A network request needs a network, a port or a fixed IP.",
            ));
        }
    };
    let network = actor
        .find(state, Kind::Network, &network_id)
        .map_err(|_| bad_request(format!("Network {network_id} could not be found.")))?;
    if network["router:external"] == true && network["shared"] != true && !admin {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!("It is not allowed to create an interface on external network {network_id}"),
        ));
    }
    if let Some(ip) = &nic.fixed_ip {
        let holder = state.all(Kind::Port).iter().find(|p| {
            p["network_id"] == network_id.as_str()
                && p["fixed_ips"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|f| f["ip_address"] == ip.as_str())
        });
        if let Some(holder) = holder {
            return Err(bad_request(format!(
                "Fixed IP address {ip} is already in use on instance {}.",
                str_of(holder, "device_id")
            )));
        }
    }
    let mut attrs = Doc::new();
    attrs.insert("network_id".into(), json!(network_id));
    attrs.insert("device_id".into(), json!(server));
    attrs.insert("device_owner".into(), json!(OWNER));
    attrs.insert("binding:host_id".into(), json!(HOST));
    if network["port_security_enabled"] != false {
        attrs.insert("security_groups".into(), json!(groups));
    }
    if let Some(ip) = &nic.fixed_ip {
        attrs.insert("fixed_ips".into(), json!([{"ip_address": ip}]));
    }
    let port = ports::create(state, actor, &attrs).map_err(|e| match e.neutron_type {
        Some("IpAddressGenerationFailure") => bad_request(format!(
            "No fixed IP addresses available for network: {network_id}"
        )),
        _ => as_nova(e),
    })?;
    let id = str_of(&port, "id").to_owned();
    state.mark_nova_port(&id);
    Ok(id)
}

impl Neutron {
    /// The ports of a new server, made together (a failure leaves none): Nova's checks and
    /// errors (`NetworkAmbiguous`, unknown network or port, port in use, fixed IP in use).
    pub(crate) fn allocate_for_server(
        &self,
        app: &AppState,
        caller: &Caller,
        server: &str,
        request: &NicRequest,
        security_groups: &[String],
    ) -> Result<NetworkInfo, ApiError> {
        let actor = Actor::of(caller);
        self.write(app, caller, |state| {
            let groups = group_ids(state, &actor.project, security_groups)?;
            let nics = match request {
                NicRequest::None => Vec::new(),
                NicRequest::List(nics) => nics.clone(),
                NicRequest::Auto { explicit } => match available(state, &actor.project).as_slice() {
                    [] if *explicit => {
                        return Err(bad_request(format!(
                            "Unable to automatically allocate a network for project {}",
                            actor.project
                        )));
                    }
                    [] => Vec::new(),
                    [one] => vec![Nic {
                        network: Some(str_of(one, "id").to_owned()),
                        ..Nic::default()
                    }],
                    _ => {
                        return Err(conflict(
                            "Multiple possible networks found, use a Network ID to be more specific.",
                        ));
                    }
                },
            };
            for nic in &nics {
                one_nic(state, &actor, caller.is_admin(), server, nic, &groups)?;
            }
            Ok(network_info(state, server))
        })
    }

    /// The server is gone: the ports Nova made go, the ports it was given are unbound.
    pub(crate) fn release_server(&self, app: &AppState, server: &str) {
        let _ = self.write_for(app, None, |state| {
            let ids: Vec<String> = server_ports(state, server)
                .map(|p| str_of(p, "id").to_owned())
                .collect();
            for id in ids {
                release_port(state, &id);
            }
            Ok(())
        });
    }

    /// `GET /servers/{id}/os-interface`.
    pub(crate) fn interfaces(
        &self,
        app: &AppState,
        caller: &Caller,
        server: &str,
    ) -> Result<Vec<Value>, ApiError> {
        self.read(app, caller, |state| {
            server_ports(state, server).map(attachment).collect()
        })
    }

    /// `POST /servers/{id}/os-interface`: a port given, or one made on a network.
    pub(crate) fn attach_interface(
        &self,
        app: &AppState,
        caller: &Caller,
        server: &str,
        nic: &Nic,
    ) -> Result<Value, ApiError> {
        let actor = Actor::of(caller);
        self.write(app, caller, |state| {
            let groups =
                group_ids(state, &actor.project, &["default".to_owned()]).unwrap_or_default();
            let id = one_nic(state, &actor, caller.is_admin(), server, nic, &groups)?;
            let port = state.get(Kind::Port, &id).cloned().unwrap_or_default();
            Ok(attachment(&port))
        })
    }

    /// `DELETE /servers/{id}/os-interface/{port}`: 404 when the port is not the server's.
    pub(crate) fn detach_interface(
        &self,
        app: &AppState,
        caller: &Caller,
        server: &str,
        port: &str,
    ) -> Result<(), ApiError> {
        self.write(app, caller, |state| {
            if !server_ports(state, server).any(|p| p["id"] == port) {
                return Err(not_found(format!("Port {port} is not attached")));
            }
            release_port(state, port);
            Ok(())
        })
    }

    /// `addSecurityGroup` / `removeSecurityGroup`: the group (by name or id, among the
    /// project's) added to or removed from every port of the server.
    pub(crate) fn server_security_group(
        &self,
        app: &AppState,
        caller: &Caller,
        server: &str,
        name: &str,
        add: bool,
    ) -> Result<(), ApiError> {
        let actor = Actor::of(caller);
        let project = caller.project_id.clone().unwrap_or_default();
        self.write(app, caller, |state| {
            let group = group_ids(state, &project, &[name.to_owned()]).map_err(|e| {
                if e.status == StatusCode::BAD_REQUEST {
                    not_found(format!(
                        "Security group {name} not found for project {project}."
                    ))
                } else {
                    e
                }
            })?;
            let group = group.into_iter().next().unwrap_or_default();
            let ports: Vec<Doc> = server_ports(state, server).cloned().collect();
            if ports.is_empty() {
                return Err(bad_request(format!(
                    "instance_id {server} could not be found as device id on any ports"
                )));
            }
            let member = ports
                .iter()
                .any(|p| list_of(p, "security_groups").any(|g| g == group));
            match (add, member) {
                (true, true) => {
                    return Err(bad_request(format!(
                        "Security group {name} is already associated with the instance {server}"
                    )));
                }
                (false, false) => {
                    return Err(bad_request(format!(
                        "Security group {name} not associated with the instance {server}"
                    )));
                }
                _ => {}
            }
            for port in ports {
                let mut groups: Vec<String> = list_of(&port, "security_groups")
                    .map(str::to_owned)
                    .collect();
                groups.retain(|g| g != &group);
                if add {
                    groups.push(group.clone());
                }
                let mut attrs = Doc::new();
                attrs.insert("security_groups".into(), json!(groups));
                let updated = ports::update(state, &actor, port, &attrs).map_err(as_nova)?;
                state.replace(Kind::Port, updated);
            }
            Ok(())
        })
    }
}

/// Deletes a port Nova made; unbinds one it was given.
fn release_port(state: &mut NeutronState, id: &str) {
    if state.nova_ports.contains(id) {
        ports::remove(state, id);
    } else if let Some(mut port) = state.get(Kind::Port, id).cloned() {
        for key in ["device_id", "device_owner", "binding:host_id"] {
            port.insert(key.into(), json!(""));
        }
        port.insert("status".into(), json!("DOWN"));
        port.insert("binding:vif_type".into(), json!("unbound"));
        state.replace(Kind::Port, port);
    }
}

/// A port as an `interfaceAttachment`.
fn attachment(port: &Doc) -> Value {
    json!({
        "port_id": port["id"],
        "net_id": port["network_id"],
        "mac_addr": port["mac_address"],
        "port_state": port["status"],
        "fixed_ips": port["fixed_ips"].as_array().into_iter().flatten().map(|ip| json!({"ip_address": ip["ip_address"], "subnet_id": ip["subnet_id"]})).collect::<Vec<_>>(),
    })
}
