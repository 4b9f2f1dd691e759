//! What Keystone's admin API shares: reading a request's `{"<member>": {...}}` body as its
//! JSON schemas do, rendering each kind of record, list filters and the policy checks.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::directory::{
    Directory, Domain, Endpoint, Extra, Group, Project, Region, Role, Service, User,
};
use super::{error, forbidden};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// A 400 as Keystone's schema validation words it.
pub(crate) fn invalid(detail: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, detail)
}

/// Keystone's 404 `Could not find <kind>: <id>.`
pub(crate) fn not_found(kind: &str, id: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("Could not find {kind}: {id}."),
    )
}

/// Keystone's 409 `Conflict occurred attempting to store <kind> - <details>.`
pub(crate) fn conflict(kind: &str, details: &str) -> ApiError {
    error(
        StatusCode::CONFLICT,
        format!("Conflict occurred attempting to store {kind} - {details}."),
    )
}

/// The duplicate-name conflict of Keystone's SQL layer.
pub(crate) fn duplicate(kind: &str, name: &str, domain_id: Option<&str>) -> ApiError {
    match domain_id {
        Some(domain) => conflict(
            kind,
            &format!("Duplicate entry found with name {name} at domain ID {domain}"),
        ),
        None => conflict(kind, &format!("Duplicate entry found with name {name}")),
    }
}

/// Refuses a caller that is not an admin, naming the policy rule.
pub(crate) fn require_admin(caller: &Caller, rule: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(forbidden(&format!("identity:{rule}")))
    }
}

/// A value as Python prints it in jsonschema's messages (`'x'`, `True`, `None`).
fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// The object under `member` in a request body (`{"project": {...}}`).
pub(crate) fn member(body: &[u8], member: &str) -> Result<Map<String, Value>, ApiError> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| {
        invalid(
            "Malformed request body: the body is not valid JSON. The server could not comply with \
             the request since it is either malformed or otherwise incorrect. The client is \
             assumed to be in error.",
        )
    })?;
    match doc.get(member) {
        Some(Value::Object(map)) => Ok(map.clone()),
        // Keystone reads a missing member as `{}`, which its schema then refuses.
        None => Ok(Map::new()),
        Some(other) => Err(invalid(format!(
            "{} is not of type 'object'",
            py_repr(other)
        ))),
    }
}

/// One field of a request object, checked against its JSON type.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Fields { map }
    }

    fn wrong_type(field: &str, value: &Value, kind: &str) -> ApiError {
        invalid(format!(
            "Invalid input for field '{field}': {} is not of type {kind}",
            py_repr(value)
        ))
    }

    /// A required name: a string of 1 to `max` characters, not only spaces.
    pub(crate) fn name(&self, field: &str, max: usize) -> Result<String, ApiError> {
        match self.map.get(field) {
            None => Err(invalid(format!("'{field}' is a required property"))),
            Some(value) => self
                .optional_name(field, max)?
                .ok_or_else(|| Self::wrong_type(field, value, "'string'")),
        }
    }

    /// An optional name, checked as [`Fields::name`].
    pub(crate) fn optional_name(
        &self,
        field: &str,
        max: usize,
    ) -> Result<Option<String>, ApiError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(invalid(format!(
                "Invalid input for field '{field}': {} does not match '[\\\\S]+'",
                py_repr(&Value::String(s.clone()))
            ))),
            Some(Value::String(s)) if s.chars().count() > max => Err(invalid(format!(
                "Invalid input for field '{field}': '{s}' is too long"
            ))),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Self::wrong_type(field, other, "'string'")),
        }
    }

    /// An optional string that may be `null`: `Some(None)` for null.
    pub(crate) fn nullable_string(&self, field: &str) -> Result<Option<Option<String>>, ApiError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(other) => Err(Self::wrong_type(field, other, "'string', 'null'")),
        }
    }

    /// An optional boolean.
    pub(crate) fn boolean(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Self::wrong_type(field, other, "'boolean'")),
        }
    }

    /// An optional list of strings (`tags`).
    pub(crate) fn strings(&self, field: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Self::wrong_type(field, other, "'string'")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(Self::wrong_type(field, other, "'array'")),
        }
    }

    /// Every field not in `known`: what Keystone keeps as the record's extra attributes.
    pub(crate) fn extra(&self, known: &[&str]) -> Extra {
        self.map
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Refuses `id` in an update (`'id' was unexpected`) or a field a record cannot change.
    pub(crate) fn refuse(&self, fields: &[&str]) -> Result<(), ApiError> {
        match fields.iter().find(|f| self.map.contains_key(**f)) {
            Some(field) => Err(invalid(format!(
                "Additional properties are not allowed ('{field}' was unexpected)"
            ))),
            None => Ok(()),
        }
    }
}

/// Sets the extra attributes of an update on top of `extra`: a `null` removes one.
pub(crate) fn merge_extra(extra: &mut Extra, update: Extra) {
    for (key, value) in update {
        if value.is_null() {
            extra.remove(&key);
        } else {
            extra.insert(key, value);
        }
    }
}

/// Keystone's truth for a boolean query filter: `0`, `false`, `f`, `no`, `n`, `off` (any
/// case) are false, anything else true.
pub(crate) fn query_truth(value: &str) -> bool {
    !matches!(
        value.to_ascii_lowercase().as_str(),
        "0" | "false" | "f" | "no" | "n" | "off"
    )
}

/// Whether a rendered record passes a listing's filters: for each `key=value` of the query
/// whose key is in `allowed`, the record's attribute equals the value (booleans read as
/// [`query_truth`]); `name__contains` and the other `__` operators of `name` as Keystone
/// has them. Other query parameters are ignored, as Keystone ignores them.
pub(crate) fn passes(doc: &Value, query: &[(String, String)], allowed: &[&str]) -> bool {
    query.iter().all(|(key, wanted)| {
        let (field, op) = key.split_once("__").unwrap_or((key.as_str(), ""));
        if !allowed.contains(&field) {
            return true;
        }
        let value = doc.get(field).unwrap_or(&Value::Null);
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => return op.is_empty() && *b == query_truth(wanted),
            Value::Null => return false,
            other => other.to_string(),
        };
        match op {
            "" => text == *wanted,
            "contains" => text.contains(wanted.as_str()),
            "icontains" => text.to_lowercase().contains(&wanted.to_lowercase()),
            "startswith" => text.starts_with(wanted.as_str()),
            "istartswith" => text.to_lowercase().starts_with(&wanted.to_lowercase()),
            "endswith" => text.ends_with(wanted.as_str()),
            "iendswith" => text.to_lowercase().ends_with(&wanted.to_lowercase()),
            _ => true,
        }
    })
}

/// A listing's body: `{"<what>": [...], "links": {...}}`.
pub(crate) fn listing(state: &AppState, what: &str, path: &str, items: Vec<Value>) -> Value {
    json!({
        what: items,
        "links": {"self": format!("{}/identity/v3/{path}", state.base_url), "previous": null, "next": null},
    })
}

/// A listing of rendered records, each kept when it [`passes`] the query's `allowed` filters.
pub(crate) fn filtered(
    state: &AppState,
    what: &str,
    path: &str,
    docs: impl Iterator<Item = Value>,
    query: &[(String, String)],
    allowed: &[&str],
) -> Value {
    let items = docs.filter(|d| passes(d, query, allowed)).collect();
    listing(state, what, path, items)
}

fn self_link(state: &AppState, path: &str) -> Value {
    json!({"self": format!("{}/identity/v3/{path}", state.base_url)})
}

fn with_extra(mut doc: Value, extra: &Extra) -> Value {
    for (key, value) in extra {
        if doc.get(key).is_none() {
            doc[key] = value.clone();
        }
    }
    doc
}

pub(crate) fn domain_json(state: &AppState, domain: &Domain) -> Value {
    let doc = json!({
        "id": domain.id,
        "name": domain.name,
        "description": domain.description,
        "enabled": domain.enabled,
        "tags": domain.tags,
        "options": {},
        "links": self_link(state, &format!("domains/{}", domain.id)),
    });
    with_extra(doc, &domain.extra)
}

pub(crate) fn project_json(state: &AppState, project: &Project) -> Value {
    let doc = json!({
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description,
        "enabled": project.enabled,
        "parent_id": project.parent_id.as_deref().unwrap_or(&project.domain_id),
        "is_domain": false,
        "tags": project.tags,
        "options": {},
        "links": self_link(state, &format!("projects/{}", project.id)),
    });
    with_extra(doc, &project.extra)
}

pub(crate) fn user_json(state: &AppState, user: &User) -> Value {
    let mut doc = json!({
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": user.enabled,
        "password_expires_at": null,
        "options": {},
        "links": self_link(state, &format!("users/{}", user.id)),
    });
    if let Some(project) = &user.default_project_id {
        doc["default_project_id"] = json!(project);
    }
    with_extra(doc, &user.extra)
}

pub(crate) fn group_json(state: &AppState, group: &Group) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "domain_id": group.domain_id,
        "description": group.description,
        "links": self_link(state, &format!("groups/{}", group.id)),
    })
}

pub(crate) fn role_json(state: &AppState, role: &Role) -> Value {
    json!({
        "id": role.id,
        "name": role.name,
        "domain_id": role.domain_id,
        "description": role.description,
        "options": {},
        "links": self_link(state, &format!("roles/{}", role.id)),
    })
}

pub(crate) fn region_json(state: &AppState, region: &Region) -> Value {
    json!({
        "id": region.id,
        "description": region.description,
        "parent_region_id": region.parent_region_id,
        "links": self_link(state, &format!("regions/{}", region.id)),
    })
}

pub(crate) fn service_json(state: &AppState, service: &Service) -> Value {
    let doc = json!({
        "id": service.id,
        "type": service.kind,
        "enabled": service.enabled,
        "links": self_link(state, &format!("services/{}", service.id)),
    });
    with_extra(doc, &service.extra)
}

pub(crate) fn endpoint_json(state: &AppState, endpoint: &Endpoint) -> Value {
    let url = if endpoint.url.starts_with('/') {
        format!("{}{}", state.base_url, endpoint.url)
    } else {
        endpoint.url.clone()
    };
    let doc = json!({
        "id": endpoint.id,
        "interface": endpoint.interface,
        "region_id": endpoint.region_id,
        "region": endpoint.region_id,
        "service_id": endpoint.service_id,
        "url": url,
        "enabled": endpoint.enabled,
        "links": self_link(state, &format!("endpoints/{}", endpoint.id)),
    });
    with_extra(doc, &endpoint.extra)
}

/// The domain a new record goes in: the one the body names, else the caller's domain scope,
/// else `default` (Keystone's `_normalize_domain_id`). It must exist.
pub(crate) fn domain_for_new(
    directory: &Directory,
    caller: &Caller,
    named: Option<Option<String>>,
) -> Result<String, ApiError> {
    let id = named
        .flatten()
        .or_else(|| caller.domain_id.clone())
        .unwrap_or_else(|| "default".to_owned());
    match directory.domain_by_id(&id) {
        Some(domain) => Ok(domain.id.clone()),
        None => Err(invalid(format!("Could not find domain: {id}."))),
    }
}

/// A fresh id, as Keystone's: 32 hex digits.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The query string as pairs, in order.
pub(crate) fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn filters_as_keystone_reads_them() {
        let doc = json!({"name": "Alpha", "enabled": false, "domain_id": "d1"});
        let allowed = ["name", "enabled", "domain_id"];
        assert!(passes(&doc, &q(&[("name", "Alpha")]), &allowed));
        assert!(!passes(&doc, &q(&[("name", "alpha")]), &allowed));
        assert!(passes(&doc, &q(&[("name__icontains", "LPH")]), &allowed));
        assert!(passes(&doc, &q(&[("enabled", "No")]), &allowed));
        assert!(!passes(&doc, &q(&[("enabled", "1")]), &allowed));
        assert!(passes(&doc, &q(&[("whatever", "x")]), &allowed));
        assert!(!passes(&doc, &q(&[("domain_id", "d2")]), &allowed));
    }

    #[test]
    fn fields_are_checked_as_keystone_schemas_check_them() {
        let map = json!({"name": " ", "enabled": "yes", "tags": ["a", 1], "email": "e@x"});
        let map = map.as_object().unwrap();
        let fields = Fields::new(map);
        let e = fields.name("name", 64).unwrap_err();
        assert!(e.message.contains("'name'"), "{}", e.message);
        let e = fields.boolean("enabled").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid input for field 'enabled': 'yes' is not of type 'boolean'"
        );
        assert!(fields.strings("tags").is_err());
        assert_eq!(
            fields.name("missing", 64).unwrap_err().message,
            "'missing' is a required property"
        );
        assert_eq!(
            fields
                .extra(&["name", "enabled", "tags"])
                .keys()
                .collect::<Vec<_>>(),
            ["email"]
        );
        let long = json!({"name": "x".repeat(65)});
        let e = Fields::new(long.as_object().unwrap())
            .name("name", 64)
            .unwrap_err();
        assert!(e.message.ends_with("is too long"), "{}", e.message);
    }

    #[test]
    fn bodies_that_are_not_json_or_not_objects() {
        assert!(
            member(b"{", "project")
                .unwrap_err()
                .message
                .contains("not valid JSON")
        );
        assert!(member(br#"{"project": 3}"#, "project").is_err());
        assert!(member(b"{}", "project").unwrap().is_empty());
    }
}
