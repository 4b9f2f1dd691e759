//! The Nova calls that touch Neutron's side of a server: its interfaces (`os-interface`)
//! and its security groups (the `addSecurityGroup` / `removeSecurityGroup` actions).

use serde_json::{Map, Value, json};

use super::super::create::NetworkAttachment;
use super::super::ids::ServerId;
use super::super::microversion::Microversion;
use super::{action, compute, server_path};
use crate::error::{Error, Result};
use crate::network::PortId;
use crate::request::{Request, segment};

/// Nova accepts a tag on an attached interface from 2.49.
const INTERFACE_TAG: Microversion = Microversion(2, 49);

fn interfaces_path(server: &ServerId) -> String {
    format!("{}/os-interface", server_path(server))
}

fn interface_path(server: &ServerId, port: &PortId) -> Result<String> {
    if port.as_str().trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "server {server}: the interface's port id is empty"
        )));
    }
    Ok(format!(
        "{}/{}",
        interfaces_path(server),
        segment(port.as_str())
    ))
}

/// `GET /servers/{id}/os-interface`.
pub(crate) fn list_interfaces(server: &ServerId, version: Microversion) -> Request {
    compute(http::Method::GET, interfaces_path(server), version)
}

/// `GET /servers/{id}/os-interface/{port_id}`.
pub(crate) fn show_interface(
    server: &ServerId,
    port: &PortId,
    version: Microversion,
) -> Result<Request> {
    Ok(compute(
        http::Method::GET,
        interface_path(server, port)?,
        version,
    ))
}

/// `POST /servers/{id}/os-interface`: a new port on a network (with a fixed IP, if asked),
/// or an existing port; a tag from 2.49.
pub(crate) fn attach_interface(
    server: &ServerId,
    attachment: &NetworkAttachment,
    tag: Option<&str>,
    version: Microversion,
) -> Result<Request> {
    let mut body = Map::new();
    match attachment {
        NetworkAttachment::Network { id, fixed_ip } => {
            body.insert("net_id".into(), json!(id));
            if let Some(ip) = fixed_ip {
                body.insert(
                    "fixed_ips".into(),
                    json!([{ "ip_address": ip.to_string() }]),
                );
            }
        }
        NetworkAttachment::Port(port) => {
            body.insert("port_id".into(), json!(port));
        }
    }
    if let Some(tag) = tag {
        if version < INTERFACE_TAG {
            return Err(Error::invalid_input(format!(
                "server {server}: an interface tag needs compute microversion {INTERFACE_TAG} or later (in force: {version})"
            )));
        }
        body.insert("tag".into(), json!(tag));
    }
    Ok(
        compute(http::Method::POST, interfaces_path(server), version)
            .json(json!({ "interfaceAttachment": body })),
    )
}

/// `DELETE /servers/{id}/os-interface/{port_id}`.
pub(crate) fn detach_interface(
    server: &ServerId,
    port: &PortId,
    version: Microversion,
) -> Result<Request> {
    Ok(compute(
        http::Method::DELETE,
        interface_path(server, port)?,
        version,
    ))
}

/// `addSecurityGroup` (by name or id, as Nova resolves it through Neutron).
pub(crate) fn add_security_group(
    server: &ServerId,
    group: &str,
    version: Microversion,
) -> Result<Request> {
    security_group_action(server, "addSecurityGroup", group, version)
}

/// `removeSecurityGroup`.
pub(crate) fn remove_security_group(
    server: &ServerId,
    group: &str,
    version: Microversion,
) -> Result<Request> {
    security_group_action(server, "removeSecurityGroup", group, version)
}

fn security_group_action(
    server: &ServerId,
    verb: &str,
    group: &str,
    version: Microversion,
) -> Result<Request> {
    if group.trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "server {server}: the security group name is empty"
        )));
    }
    let mut body = Map::new();
    body.insert(verb.to_owned(), json!({ "name": group }));
    Ok(action(server, Value::Object(body), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSIONS: [Microversion; 3] = [
        Microversion(2, 1),
        Microversion(2, 49),
        Microversion::CLIENT_MAX,
    ];

    fn by_version(build: impl Fn(Microversion) -> Request) -> Value {
        VERSIONS
            .iter()
            .map(|v| {
                json!({
                    "in_force": v.to_string(),
                    "request": serde_json::to_value(build(*v).redacted()).unwrap(),
                })
            })
            .collect()
    }

    fn server() -> ServerId {
        ServerId::new("9168b536-cd40-4630-b43f-b259807c6e87")
    }

    fn port() -> PortId {
        PortId::new("ce531f90-199f-48c0-816c-13e38010b442")
    }

    #[test]
    fn interfaces() {
        insta::assert_json_snapshot!(
            "list_interfaces",
            by_version(|v| list_interfaces(&server(), v))
        );
        insta::assert_json_snapshot!(
            "show_interface",
            by_version(|v| show_interface(&server(), &port(), v).unwrap())
        );
        insta::assert_json_snapshot!(
            "detach_interface",
            by_version(|v| detach_interface(&server(), &port(), v).unwrap())
        );
        let port_attachment = NetworkAttachment::port(port().as_str());
        insta::assert_json_snapshot!(
            "attach_interface_port",
            by_version(|v| attach_interface(&server(), &port_attachment, None, v).unwrap())
        );
        let on_network = NetworkAttachment::fixed_ip(
            "3cb9bc59-5699-4588-a4b1-b87f96708bc6",
            "10.0.0.7".parse().unwrap(),
        );
        insta::assert_json_snapshot!(
            "attach_interface_network_tagged",
            serde_json::to_value(
                attach_interface(&server(), &on_network, Some("db"), INTERFACE_TAG)
                    .unwrap()
                    .redacted()
            )
            .unwrap()
        );
        let err =
            attach_interface(&server(), &on_network, Some("db"), Microversion(2, 48)).unwrap_err();
        assert!(
            err.message().contains(
                "an interface tag needs compute microversion 2.49 or later (in force: 2.48)"
            ),
            "{err}"
        );
        let err =
            detach_interface(&server(), &PortId::new(""), Microversion::CLIENT_MAX).unwrap_err();
        assert!(err.message().contains("port id is empty"), "{err}");
    }

    #[test]
    fn security_groups() {
        insta::assert_json_snapshot!(
            "add_security_group",
            by_version(|v| add_security_group(&server(), "web", v).unwrap())
        );
        insta::assert_json_snapshot!(
            "remove_security_group",
            by_version(|v| remove_security_group(&server(), "web", v).unwrap())
        );
        assert!(add_security_group(&server(), " ", Microversion::CLIENT_MAX).is_err());
    }
}
