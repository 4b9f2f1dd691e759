//! Nova's side of networking, through Neutron: the `networks` and `security_groups` of a
//! server create, the network-changed event that refreshes a server's `addresses` (and tells
//! the driver what to forward), `os-interface`, and `addSecurityGroup`/`removeSecurityGroup`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::microversion::Microversion;
use super::servers::{instance_not_found, parse_body, visible};
use super::{Nova, accepted, bad_request, conflict, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::neutron::server_ports::{NetworkInfo, Nic, NicRequest};

impl Nova {
    /// Neutron changed a server's ports or floating IPs (Nova's `network-changed` event):
    /// its `addresses` follow, and the driver learns what to forward.
    pub(crate) fn network_changed(&self, server_id: &str, info: NetworkInfo) {
        {
            let mut inner = self.lock();
            let Some(server) = inner.servers.iter_mut().find(|s| s.id == server_id) else {
                return;
            };
            if server.addresses != info.addresses || server.security_groups != info.security_groups
            {
                server.addresses = info.addresses;
                server.security_groups = info.security_groups;
                self.save(server);
            }
        }
        self.driver()
            .network_changed(server_id, &info.nics, &info.forwards);
    }
}

fn invalid(field: &str, value: &Value, why: &str) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// The `networks` of a create, checked as Nova's schema checks them.
pub(crate) fn nic_request(
    requested: Option<&Value>,
    version: Microversion,
) -> Result<NicRequest, ApiError> {
    match requested {
        None if version.at_least(37) => Err(bad_request(
            "Invalid input for field/attribute server. 'networks' is a required property",
        )),
        None => Ok(NicRequest::Auto { explicit: false }),
        Some(Value::String(s)) if version.at_least(37) && s == "none" => Ok(NicRequest::None),
        Some(Value::String(s)) if version.at_least(37) && s == "auto" => {
            Ok(NicRequest::Auto { explicit: true })
        }
        Some(Value::Array(list)) if list.is_empty() => Ok(NicRequest::None),
        Some(Value::Array(list)) => list
            .iter()
            .map(|item| {
                let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
                let nic = Nic {
                    network: text("uuid"),
                    port: text("port"),
                    fixed_ip: text("fixed_ip"),
                };
                if nic == Nic::default() {
                    return Err(invalid(
                        "networks",
                        item,
                        "Each network needs 'uuid' or 'port'",
                    ));
                }
                Ok(nic)
            })
            .collect::<Result<_, _>>()
            .map(NicRequest::List),
        Some(other) => Err(invalid(
            "networks",
            other,
            &format!("{other} is not valid under any of the given schemas"),
        )),
    }
}

/// The `security_groups` of a create (`[{"name": ...}]`); `default` when absent.
pub(crate) fn security_groups(requested: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let Some(value) = requested else {
        return Ok(vec!["default".to_owned()]);
    };
    let list = value
        .as_array()
        .ok_or_else(|| invalid("security_groups", value, "Value must be a list"))?;
    let mut names: Vec<String> = Vec::new();
    for item in list {
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("security_groups", item, "'name' is a required property"))?;
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// The server `id` if `caller` sees it (404 otherwise) and may change it (403 otherwise).
fn check_server(
    state: &AppState,
    caller: &Caller,
    id: &str,
    rule: &str,
) -> Result<String, ApiError> {
    let inner = state.nova.lock();
    let server = inner
        .servers
        .iter()
        .find(|s| s.id == id && visible(s, caller))
        .ok_or_else(|| instance_not_found(id))?;
    if !caller.can_write() {
        return Err(policy_forbids(rule));
    }
    Ok(server.vm_state.to_owned())
}

/// `GET /servers/{id}/os-interface`.
pub(crate) async fn interfaces(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    seen(&state, &caller, &id)?;
    let list = state.neutron.interfaces(&state, &caller, &id)?;
    Ok(axum::Json(json!({"interfaceAttachments": list})).into_response())
}

/// 404 unless `caller` sees the server `id`.
fn seen(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let inner = state.nova.lock();
    if inner
        .servers
        .iter()
        .any(|s| s.id == id && visible(s, caller))
    {
        Ok(())
    } else {
        Err(instance_not_found(id))
    }
}

/// `GET /servers/{id}/os-interface/{port}`.
pub(crate) async fn interface(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, port)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    seen(&state, &caller, &id)?;
    let list = state.neutron.interfaces(&state, &caller, &id)?;
    let found = list
        .into_iter()
        .find(|a| a["port_id"] == port.as_str())
        .ok_or_else(|| super::not_found(format!("Port {port} is not attached")))?;
    Ok(axum::Json(json!({"interfaceAttachment": found})).into_response())
}

/// `POST /servers/{id}/os-interface`: `port_id`, or `net_id` with optional `fixed_ips`.
pub(crate) async fn attach(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let request = body
        .get("interfaceAttachment")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request("Invalid input for field/attribute interfaceAttachment. 'interfaceAttachment' is a required property")
        })?;
    let vm_state = check_server(
        &state,
        &caller,
        &id,
        "os_compute_api:os-attach-interfaces:create",
    )?;
    if !matches!(vm_state.as_str(), "active" | "stopped") {
        return Err(conflict(format!(
            "Cannot 'attach_interface' instance {id} while it is in vm_state {vm_state}"
        )));
    }
    let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::to_owned);
    let nic = Nic {
        network: text("net_id"),
        port: text("port_id"),
        fixed_ip: request
            .get("fixed_ips")
            .and_then(|f| f[0]["ip_address"].as_str())
            .map(str::to_owned),
    };
    if nic.network.is_some() && nic.port.is_some() {
        return Err(bad_request("Must not input both network_id and port_id"));
    }
    if nic.network.is_none() && nic.port.is_none() {
        return Err(bad_request("Must input network_id or port_id"));
    }
    let mut attached = state.neutron.attach_interface(&state, &caller, &id, &nic)?;
    if version.at_least(70) {
        attached["tag"] = Value::Null;
    }
    Ok(axum::Json(json!({"interfaceAttachment": attached})).into_response())
}

/// `DELETE /servers/{id}/os-interface/{port}` → 202.
pub(crate) async fn detach(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, port)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_server(
        &state,
        &caller,
        &id,
        "os_compute_api:os-attach-interfaces:delete",
    )?;
    state
        .neutron
        .detach_interface(&state, &caller, &id, &port)?;
    Ok(accepted())
}

/// The `addSecurityGroup` and `removeSecurityGroup` actions → 202.
pub(crate) fn security_group_action(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
    args: &Value,
) -> Result<Response, ApiError> {
    let name = args
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad_request("Security group name cannot be empty"))?;
    let add = action == "addSecurityGroup";
    let rule = if add {
        "os_compute_api:os-security-groups:add"
    } else {
        "os_compute_api:os-security-groups:remove"
    };
    check_server(state, caller, id, rule)?;
    state
        .neutron
        .server_security_group(state, caller, id, name, add)?;
    Ok((
        StatusCode::ACCEPTED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_by_microversion() {
        let v = Microversion;
        assert_eq!(
            nic_request(None, v(36)).unwrap(),
            NicRequest::Auto { explicit: false }
        );
        assert_eq!(nic_request(None, v(37)).unwrap_err().status, 400);
        assert_eq!(
            nic_request(Some(&json!("none")), v(37)).unwrap(),
            NicRequest::None
        );
        assert_eq!(
            nic_request(Some(&json!("none")), v(36)).unwrap_err().status,
            400
        );
        assert_eq!(
            nic_request(Some(&json!("auto")), v(37)).unwrap(),
            NicRequest::Auto { explicit: true }
        );
        assert_eq!(
            nic_request(Some(&json!([{"uuid": "n", "fixed_ip": "10.0.0.9"}])), v(37)).unwrap(),
            NicRequest::List(vec![Nic {
                network: Some("n".into()),
                port: None,
                fixed_ip: Some("10.0.0.9".into()),
            }])
        );
        assert_eq!(
            nic_request(Some(&json!([{"x": 1}])), v(37))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(security_groups(None).unwrap(), ["default"]);
        assert_eq!(
            security_groups(Some(&json!([{"name": "a"}, {"name": "a"}, {"name": "b"}]))).unwrap(),
            ["a", "b"]
        );
        assert_eq!(security_groups(Some(&json!([{}]))).unwrap_err().status, 400);
    }
}
