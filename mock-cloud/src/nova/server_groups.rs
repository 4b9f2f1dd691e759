//! `/os-server-groups`: a project's groups of servers with a placement policy. A server joins
//! one through the `group` scheduler hint when it is created and leaves it when deleted.
//! Before 2.64 a group shows `policies` and `metadata`; from 2.64, `policy` and `rules`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::fleet::ServerGroup;
use super::microversion::Microversion;
use super::{bad_request, error, not_found, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// A project's limit on server groups (Nova's default `server_groups` quota).
pub(crate) const QUOTA: usize = 10;

/// The policies a version takes.
fn policies(version: Microversion) -> &'static [&'static str] {
    if version.at_least(15) {
        &[
            "anti-affinity",
            "affinity",
            "soft-anti-affinity",
            "soft-affinity",
        ]
    } else {
        &["anti-affinity", "affinity"]
    }
}

fn repr(group: &ServerGroup, version: Microversion) -> Value {
    let mut doc = json!({
        "id": group.id,
        "name": group.name,
        "members": group.members,
    });
    if version.at_least(64) {
        doc["policy"] = json!(group.policy);
        doc["rules"] = Value::Object(group.rules.clone());
    } else {
        doc["policies"] = json!([group.policy]);
        doc["metadata"] = json!({});
    }
    if version.at_least(13) {
        doc["project_id"] = json!(group.project_id);
        doc["user_id"] = json!(group.user_id);
    }
    doc
}

fn invalid(field: &str, detail: impl std::fmt::Display) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. {detail}"
    ))
}

fn one_of(value: &str, allowed: &[&str]) -> String {
    let list: Vec<String> = allowed.iter().map(|p| format!("'{p}'")).collect();
    format!(
        "Value: {value}. '{value}' is not one of [{}]",
        list.join(", ")
    )
}

/// Reads a create body as the version's schema has it: name, and `policies` (one) or
/// `policy` and `rules`.
fn parse(
    body: &[u8],
    version: Microversion,
) -> Result<(String, String, Map<String, Value>), ApiError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|_| bad_request("Malformed request body"))?;
    let group = doc
        .get("server_group")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("server_group", "'server_group' is a required property"))?;
    let name = match group.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() && n.chars().count() <= 255 => n.clone(),
        Some(other) => {
            return Err(invalid(
                "name",
                format!("Value: {other}. Name must be 1-255 non-blank characters"),
            ));
        }
        None => return Err(invalid("server_group", "'name' is a required property")),
    };
    let allowed = policies(version);
    if version.at_least(64) {
        if group.contains_key("policies") {
            return Err(invalid(
                "server_group",
                "Additional properties are not allowed ('policies' was unexpected)",
            ));
        }
        let policy = match group.get("policy") {
            Some(Value::String(p)) if allowed.contains(&p.as_str()) => p.clone(),
            Some(Value::String(p)) => return Err(invalid("policy", one_of(p, allowed))),
            Some(other) => {
                return Err(invalid(
                    "policy",
                    format!("{other} is not of type 'string'"),
                ));
            }
            None => return Err(invalid("server_group", "'policy' is a required property")),
        };
        let mut rules = match group.get("rules") {
            None => Map::new(),
            Some(Value::Object(rules)) => rules.clone(),
            Some(other) => {
                return Err(invalid("rules", format!("{other} is not of type 'object'")));
            }
        };
        if !rules.is_empty() && policy != "anti-affinity" {
            return Err(bad_request("Only anti-affinity policy supports rules."));
        }
        // Nova's positive_integer is an integer or a string of digits (as openstackclient
        // sends `--rule` values); Nova keeps it as a number.
        if let Some(Value::String(digits)) = rules.get("max_server_per_host") {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    "rules/max_server_per_host",
                    format!("Value: \"{digits}\". '{digits}' does not match '^[0-9]*$'"),
                ));
            }
            let n: u64 = digits.parse().unwrap_or(u64::MAX);
            rules.insert("max_server_per_host".into(), Value::from(n));
        }
        for (key, value) in &rules {
            match (key.as_str(), value.as_u64()) {
                ("max_server_per_host", Some(n)) if n >= 1 => {}
                ("max_server_per_host", _) => {
                    return Err(invalid(
                        "rules/max_server_per_host",
                        format!("Value: {value}. {value} is less than the minimum of 1"),
                    ));
                }
                (other, _) => {
                    return Err(invalid(
                        "rules",
                        format!("Additional properties are not allowed ('{other}' was unexpected)"),
                    ));
                }
            }
        }
        Ok((name, policy, rules))
    } else {
        if group.contains_key("policy") {
            return Err(invalid(
                "server_group",
                "Additional properties are not allowed ('policy' was unexpected)",
            ));
        }
        let list = group
            .get("policies")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("server_group", "'policies' is a required property"))?;
        match list.as_slice() {
            [Value::String(p)] if allowed.contains(&p.as_str()) => {
                Ok((name, p.clone(), Map::new()))
            }
            [Value::String(p)] => Err(invalid("policies/0", one_of(p, allowed))),
            [] => Err(invalid("policies", "Value: []. [] is too short")),
            _ => Err(invalid(
                "policies",
                format!("Value: {}. It is too long", Value::Array(list.clone())),
            )),
        }
    }
}

/// `POST /os-server-groups`: a group of the caller's project (200, as Nova answers).
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (name, policy, rules) = parse(&body, version)?;
    let Some(project_id) = caller.project_id.clone().filter(|_| caller.can_write()) else {
        return Err(policy_forbids("os_compute_api:os-server-groups:create"));
    };
    let fleet = state.nova.fleet();
    let mut groups = fleet.lock();
    if groups
        .groups
        .iter()
        .filter(|g| g.project_id == project_id)
        .count()
        >= QUOTA
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Quota exceeded, too many server groups.",
        ));
    }
    let group = ServerGroup {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        project_id,
        user_id: caller.user_id.clone(),
        policy,
        rules,
        members: Vec::new(),
    };
    fleet.save_group(&group);
    let doc = repr(&group, version);
    groups.groups.push(group);
    Ok(axum::Json(json!({"server_group": doc})).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    all_projects: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /os-server-groups`: the caller's project's, or (admins, `all_projects`) every one;
/// `limit` and `offset`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let every = caller.is_admin()
        && query.all_projects.as_deref().is_some_and(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "f" | "no" | "off"
            )
        });
    let number = |field: &str, value: &Option<String>| -> Result<Option<usize>, ApiError> {
        value
            .as_deref()
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    bad_request(format!(
                        "Invalid input for query parameters {field}. Value: {v}. '{v}' does not match '^[0-9]*$'"
                    ))
                })
            })
            .transpose()
    };
    let limit = number("limit", &query.limit)?;
    let offset = number("offset", &query.offset)?.unwrap_or(0);
    let fleet = state.nova.fleet();
    let groups = fleet.lock();
    let listed: Vec<Value> = groups
        .groups
        .iter()
        .filter(|g| every || Some(&g.project_id) == caller.project_id.as_ref())
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|g| repr(g, version))
        .collect();
    Ok(axum::Json(json!({"server_groups": listed})).into_response())
}

fn find<'a>(
    groups: &'a [ServerGroup],
    caller: &Caller,
    id: &str,
) -> Result<&'a ServerGroup, ApiError> {
    groups
        .iter()
        .find(|g| {
            g.id == id && (caller.is_admin() || Some(&g.project_id) == caller.project_id.as_ref())
        })
        .ok_or_else(|| not_found(format!("Server group {id} could not be found.")))
}

/// `GET /os-server-groups/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let fleet = state.nova.fleet();
    let groups = fleet.lock();
    let group = find(&groups.groups, &caller, &id)?;
    Ok(axum::Json(json!({"server_group": repr(group, version)})).into_response())
}

/// `DELETE /os-server-groups/{id}`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !caller.can_write() {
        return Err(policy_forbids("os_compute_api:os-server-groups:delete"));
    }
    let fleet = state.nova.fleet();
    let mut groups = fleet.lock();
    find(&groups.groups, &caller, &id)?;
    groups.groups.retain(|g| g.id != id);
    fleet.forget_group(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// The group a create's `os:scheduler_hints` names, checked before any server is made (400
/// when it is not one the caller can see, as Nova answers `InstanceGroupNotFound` there).
pub(crate) fn hinted_group(
    state: &AppState,
    caller: &Caller,
    body: &Value,
) -> Result<Option<String>, ApiError> {
    let Some(hint) = body
        .get("os:scheduler_hints")
        .or_else(|| body.get("OS-SCH-HNT:scheduler_hints"))
        .and_then(|h| h.get("group"))
    else {
        return Ok(None);
    };
    let id = hint.as_str().unwrap_or_default().to_owned();
    let fleet = state.nova.fleet();
    let groups = fleet.lock();
    find(&groups.groups, caller, &id)
        .map(|g| Some(g.id.clone()))
        .map_err(|_| bad_request(format!("Instance group {id} could not be found.")))
}

/// Servers just made join `group`.
pub(crate) fn join(state: &AppState, group: &str, servers: &[String]) {
    let fleet = state.nova.fleet();
    let mut groups = fleet.lock();
    if let Some(entry) = groups.groups.iter_mut().find(|g| g.id == group) {
        entry.members.extend(servers.iter().cloned());
        fleet.save_group(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_each_version_reads_them() {
        let old = Microversion(1);
        let new = Microversion(64);
        let ok = br#"{"server_group": {"name": "g", "policies": ["affinity"]}}"#;
        assert_eq!(parse(ok, old).unwrap().1, "affinity");
        assert!(parse(ok, new).is_err(), "policies is gone at 2.64");
        let soft = br#"{"server_group": {"name": "g", "policies": ["soft-affinity"]}}"#;
        assert!(
            parse(soft, old)
                .unwrap_err()
                .message
                .contains("is not one of")
        );
        assert!(parse(soft, Microversion(15)).is_ok());
        let rules = br#"{"server_group": {"name": "g", "policy": "affinity", "rules": {"max_server_per_host": 2}}}"#;
        assert_eq!(
            parse(rules, new).unwrap_err().message,
            "Only anti-affinity policy supports rules."
        );
        let rules = br#"{"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}}"#;
        assert_eq!(parse(rules, new).unwrap().2["max_server_per_host"], 2);
        let digits = br#"{"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": "3"}}}"#;
        assert_eq!(parse(digits, new).unwrap().2["max_server_per_host"], 3);
        let words = br#"{"server_group": {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": "x"}}}"#;
        assert!(
            parse(words, new)
                .unwrap_err()
                .message
                .contains("does not match")
        );
        let unnamed = br#"{"server_group": {"policies": ["affinity"]}}"#;
        assert!(
            parse(unnamed, old)
                .unwrap_err()
                .message
                .contains("'name' is a required property")
        );
    }
}
