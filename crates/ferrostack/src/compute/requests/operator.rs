//! The operator's Nova calls: server groups, host aggregates, instance actions, hypervisors
//! and compute services.

use serde_json::{Map, Value, json};

use super::super::ids::ServerId;
use super::super::microversion::Microversion;
use super::{compute, server_path};
use crate::error::{Error, Result};
use crate::request::{Request, segment};

/// Nova's `policy` and `rules` replace `policies` at 2.64.
const GROUP_POLICY: Microversion = Microversion(2, 64);
/// The soft policies come at 2.15.
const SOFT_POLICIES: Microversion = Microversion(2, 15);

fn nonblank(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.chars().count() > 255 {
        Err(Error::invalid_input(format!(
            "{what} {value:?}: must be 1 to 255 characters, not only spaces"
        )))
    } else {
        Ok(())
    }
}

/// A server group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerGroupSpec {
    pub(crate) name: String,
    pub(crate) policy: String,
    pub(crate) max_server_per_host: Option<u32>,
}

/// `POST /os-server-groups`, in the body the microversion takes.
pub(crate) fn create_server_group(
    spec: &ServerGroupSpec,
    version: Microversion,
) -> Result<Request> {
    nonblank("server group name", &spec.name)?;
    let known = [
        "affinity",
        "anti-affinity",
        "soft-affinity",
        "soft-anti-affinity",
    ];
    if !known.contains(&spec.policy.as_str()) {
        return Err(Error::invalid_input(format!(
            "server group {}: unknown policy {:?} (known: {})",
            spec.name,
            spec.policy,
            known.join(", ")
        )));
    }
    if spec.policy.starts_with("soft-") && version < SOFT_POLICIES {
        return Err(Error::invalid_input(format!(
            "server group {}: the {} policy needs compute microversion {SOFT_POLICIES} or later (in force: {version})",
            spec.name, spec.policy
        )));
    }
    let mut group = Map::new();
    group.insert("name".into(), json!(spec.name));
    if version >= GROUP_POLICY {
        group.insert("policy".into(), json!(spec.policy));
        if let Some(max) = spec.max_server_per_host {
            group.insert("rules".into(), json!({"max_server_per_host": max}));
        }
    } else {
        if spec.max_server_per_host.is_some() {
            return Err(Error::invalid_input(format!(
                "server group {}: rules need compute microversion {GROUP_POLICY} or later (in force: {version})",
                spec.name
            )));
        }
        group.insert("policies".into(), json!([spec.policy]));
    }
    Ok(
        compute(http::Method::POST, "/os-server-groups".into(), version)
            .json(json!({"server_group": Value::Object(group)})),
    )
}

/// `GET /os-server-groups`, every project's with `all_projects` (admin).
pub(crate) fn list_server_groups(all_projects: bool, version: Microversion) -> Request {
    let request = compute(http::Method::GET, "/os-server-groups".into(), version);
    if all_projects {
        request.query("all_projects", "True")
    } else {
        request
    }
}

fn group_path(id: &str) -> Result<String> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input("server group: the id is empty"));
    }
    Ok(format!("/os-server-groups/{}", segment(id)))
}

/// `GET /os-server-groups/{id}`.
pub(crate) fn show_server_group(id: &str, version: Microversion) -> Result<Request> {
    Ok(compute(http::Method::GET, group_path(id)?, version))
}

/// `DELETE /os-server-groups/{id}`.
pub(crate) fn delete_server_group(id: &str, version: Microversion) -> Result<Request> {
    Ok(compute(http::Method::DELETE, group_path(id)?, version))
}

/// `GET /os-aggregates`.
pub(crate) fn list_aggregates(version: Microversion) -> Request {
    compute(http::Method::GET, "/os-aggregates".into(), version)
}

/// `POST /os-aggregates`.
pub(crate) fn create_aggregate(
    name: &str,
    zone: Option<&str>,
    version: Microversion,
) -> Result<Request> {
    nonblank("aggregate name", name)?;
    if let Some(zone) = zone {
        nonblank("availability zone", zone)?;
    }
    Ok(
        compute(http::Method::POST, "/os-aggregates".into(), version)
            .json(json!({"aggregate": {"name": name, "availability_zone": zone}})),
    )
}

fn aggregate_path(id: u64) -> String {
    format!("/os-aggregates/{id}")
}

/// `GET /os-aggregates/{id}`.
pub(crate) fn show_aggregate(id: u64, version: Microversion) -> Request {
    compute(http::Method::GET, aggregate_path(id), version)
}

/// `PUT /os-aggregates/{id}`: a new name, availability zone, or both.
pub(crate) fn update_aggregate(
    id: u64,
    name: Option<&str>,
    zone: Option<&str>,
    version: Microversion,
) -> Result<Request> {
    let mut body = Map::new();
    if let Some(name) = name {
        nonblank("aggregate name", name)?;
        body.insert("name".into(), json!(name));
    }
    if let Some(zone) = zone {
        nonblank("availability zone", zone)?;
        body.insert("availability_zone".into(), json!(zone));
    }
    if body.is_empty() {
        return Err(Error::invalid_input(format!(
            "aggregate {id}: an update needs a name or an availability zone"
        )));
    }
    Ok(compute(http::Method::PUT, aggregate_path(id), version)
        .json(json!({"aggregate": Value::Object(body)})))
}

/// `DELETE /os-aggregates/{id}`.
pub(crate) fn delete_aggregate(id: u64, version: Microversion) -> Request {
    compute(http::Method::DELETE, aggregate_path(id), version)
}

/// `POST /os-aggregates/{id}/action` with one action.
pub(crate) fn aggregate_action(
    id: u64,
    action: &str,
    args: Value,
    version: Microversion,
) -> Request {
    compute(
        http::Method::POST,
        format!("{}/action", aggregate_path(id)),
        version,
    )
    .json(json!({ action: args }))
}

/// `add_host` or `remove_host`.
pub(crate) fn aggregate_host(
    id: u64,
    add: bool,
    host: &str,
    version: Microversion,
) -> Result<Request> {
    nonblank("host", host)?;
    let action = if add { "add_host" } else { "remove_host" };
    Ok(aggregate_action(id, action, json!({"host": host}), version))
}

/// `set_metadata`: each key set, or removed when its value is `None`.
pub(crate) fn set_aggregate_metadata(
    id: u64,
    metadata: &[(String, Option<String>)],
    version: Microversion,
) -> Result<Request> {
    if metadata.is_empty() {
        return Err(Error::invalid_input(format!(
            "aggregate {id}: no metadata to set or unset"
        )));
    }
    let mut map = Map::new();
    for (key, value) in metadata {
        nonblank("aggregate metadata key", key)?;
        map.insert(key.clone(), json!(value));
    }
    Ok(aggregate_action(
        id,
        "set_metadata",
        json!({"metadata": Value::Object(map)}),
        version,
    ))
}

/// `GET /servers/{id}/os-instance-actions`.
pub(crate) fn list_instance_actions(server: &ServerId, version: Microversion) -> Request {
    compute(
        http::Method::GET,
        format!("{}/os-instance-actions", server_path(server)),
        version,
    )
}

/// `GET /servers/{id}/os-instance-actions/{request_id}`.
pub(crate) fn show_instance_action(
    server: &ServerId,
    request_id: &str,
    version: Microversion,
) -> Result<Request> {
    if request_id.trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "server {server}: the action's request id is empty"
        )));
    }
    Ok(compute(
        http::Method::GET,
        format!(
            "{}/os-instance-actions/{}",
            server_path(server),
            segment(request_id)
        ),
        version,
    ))
}

/// `GET /os-hypervisors[/detail]`.
pub(crate) fn list_hypervisors(detail: bool, version: Microversion) -> Request {
    let path = if detail {
        "/os-hypervisors/detail"
    } else {
        "/os-hypervisors"
    };
    compute(http::Method::GET, path.into(), version)
}

/// `GET /os-services`.
pub(crate) fn list_services(version: Microversion) -> Request {
    compute(http::Method::GET, "/os-services".into(), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(request: Request) -> Value {
        serde_json::to_value(request.redacted()).unwrap()
    }

    fn spec(policy: &str, max: Option<u32>) -> ServerGroupSpec {
        ServerGroupSpec {
            name: "web".into(),
            policy: policy.into(),
            max_server_per_host: max,
        }
    }

    #[test]
    fn server_group_bodies_follow_the_microversion() {
        let old = create_server_group(&spec("anti-affinity", None), Microversion(2, 1)).unwrap();
        insta::assert_json_snapshot!("create_server_group_policies", described(old));
        let new =
            create_server_group(&spec("anti-affinity", Some(2)), Microversion(2, 64)).unwrap();
        insta::assert_json_snapshot!("create_server_group_policy_rules", described(new));
        let err =
            create_server_group(&spec("soft-affinity", None), Microversion(2, 1)).unwrap_err();
        assert!(err.to_string().contains("2.15"), "{err}");
        let err =
            create_server_group(&spec("anti-affinity", Some(2)), Microversion(2, 63)).unwrap_err();
        assert!(err.to_string().contains("rules"), "{err}");
        let err = create_server_group(&spec("clumped", None), Microversion(2, 64)).unwrap_err();
        assert!(err.to_string().contains("clumped"), "{err}");
        insta::assert_json_snapshot!(
            "list_server_groups_all_projects",
            described(list_server_groups(true, Microversion(2, 64)))
        );
        assert!(show_server_group(" ", Microversion(2, 1)).is_err());
    }

    #[test]
    fn aggregate_requests() {
        let v = Microversion(2, 41);
        insta::assert_json_snapshot!(
            "create_aggregate",
            described(create_aggregate("fast", Some("zone-a"), v).unwrap())
        );
        insta::assert_json_snapshot!(
            "update_aggregate",
            described(update_aggregate(7, Some("faster"), None, v).unwrap())
        );
        insta::assert_json_snapshot!(
            "aggregate_add_host",
            described(aggregate_host(7, true, "compute-1", v).unwrap())
        );
        insta::assert_json_snapshot!(
            "aggregate_set_metadata",
            described(
                set_aggregate_metadata(
                    7,
                    &[("ssd".into(), Some("true".into())), ("old".into(), None)],
                    v
                )
                .unwrap()
            )
        );
        assert!(update_aggregate(7, None, None, v).is_err());
        assert!(create_aggregate(" ", None, v).is_err());
        assert!(set_aggregate_metadata(7, &[], v).is_err());
    }

    #[test]
    fn instance_action_and_host_requests() {
        let server = ServerId::new("9168b536-cd40-4630-b43f-b259807c6e87");
        let v = Microversion(2, 62);
        insta::assert_json_snapshot!(
            "show_instance_action",
            described(show_instance_action(&server, "req-1", v).unwrap())
        );
        insta::assert_json_snapshot!(
            "list_instance_actions",
            described(list_instance_actions(&server, v))
        );
        insta::assert_json_snapshot!(
            "list_hypervisors_detail",
            described(list_hypervisors(true, v))
        );
        insta::assert_json_snapshot!("list_services", described(list_services(v)));
        assert!(show_instance_action(&server, "", v).is_err());
    }
}
