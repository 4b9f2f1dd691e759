//! A list's query as Neutron reads it: any top-level attribute is a filter (a repeated key is
//! an OR, different keys AND, an empty value matches the empty string), `fixed_ips=ip_address=X`
//! and `fixed_ips=subnet_id=Y`, the tag filters, `fields=`, `sort_key`/`sort_dir` pairs, and
//! `limit`/`marker` with `<collection>_links`. An unknown filter or sort key is a 400
//! (`filter-validation`).

use std::cmp::Ordering;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Doc, Kind, bad_request, error};
use crate::errors::ApiError;

/// The query's pairs, in order.
pub(crate) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Keys that are not filters.
const CONTROLS: [&str; 6] = [
    "fields",
    "limit",
    "marker",
    "sort_key",
    "sort_dir",
    "page_reverse",
];
/// The tag filters (comma-separated tag lists).
const TAG_FILTERS: [&str; 4] = ["tags", "tags-any", "not-tags", "not-tags-any"];

/// The list body for `docs` (already the ones the caller sees) under `query`.
pub(crate) fn list(
    kind: Kind,
    docs: Vec<&Doc>,
    query: &[(String, String)],
    url: &str,
) -> Result<Value, ApiError> {
    let known =
        |key: &str| docs.first().is_none_or(|d| d.contains_key(key)) || known_attribute(kind, key);
    let mut filters: Vec<(&str, Vec<&str>)> = Vec::new();
    for (key, value) in query {
        if CONTROLS.contains(&key.as_str()) || TAG_FILTERS.contains(&key.as_str()) {
            continue;
        }
        if !known(key) {
            return Err(bad_request(format!(
                "['{key}'] is invalid attribute for filtering"
            )));
        }
        match filters.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => values.push(value),
            None => filters.push((key, vec![value])),
        }
    }
    let mut matched: Vec<&Doc> = docs
        .into_iter()
        .filter(|doc| {
            filters
                .iter()
                .all(|(key, values)| values.iter().any(|v| matches(doc, key, v)))
        })
        .filter(|doc| tags_match(doc, query))
        .collect();
    sort(&mut matched, kind, query)?;
    let value = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let start = match value("marker") {
        None => 0,
        Some(marker) => {
            matched
                .iter()
                .position(|d| d["id"] == marker)
                .ok_or_else(|| kind.not_found(marker))?
                + 1
        }
    };
    let limit = match value("limit") {
        None => None,
        Some(text) => Some(text.trim().parse::<usize>().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "Bad limit request: Limit must be an integer 0 or greater and not '{text}'."
                ),
            )
        })?),
    }
    .filter(|l| *l > 0);
    let rest = &matched[start..];
    let page = &rest[..limit.unwrap_or(rest.len()).min(rest.len())];
    let items: Vec<Value> = page
        .iter()
        .map(|d| Value::Object(select_fields(d, query)))
        .collect();
    let mut body = json!({ kind.plural(): items });
    if let Some(limit) = limit {
        let mut links = Vec::new();
        let link = |rel: &str, marker: &str, reverse: bool| {
            let mut pairs: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k != "marker" && k != "page_reverse")
                .cloned()
                .collect();
            pairs.push(("marker".into(), marker.into()));
            if reverse {
                pairs.push(("page_reverse".into(), "True".into()));
            }
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            json!({"rel": rel, "href": format!("{url}?{encoded}")})
        };
        if page.len() == limit
            && let Some(last) = page.last()
        {
            links.push(link("next", last["id"].as_str().unwrap_or_default(), false));
        }
        if start > 0
            && let Some(first) = page.first()
        {
            links.push(link(
                "previous",
                first["id"].as_str().unwrap_or_default(),
                true,
            ));
        }
        body[format!("{}_links", kind.plural())] = json!(links);
    }
    Ok(body)
}

/// Attributes a kind always has, for filters on an empty list.
fn known_attribute(kind: Kind, key: &str) -> bool {
    const COMMON: [&str; 8] = [
        "id",
        "name",
        "description",
        "project_id",
        "tenant_id",
        "created_at",
        "updated_at",
        "revision_number",
    ];
    let own: &[&str] = match kind {
        Kind::Network => &[
            "shared",
            "router:external",
            "status",
            "admin_state_up",
            "mtu",
            "port_security_enabled",
        ],
        Kind::Subnet => &[
            "network_id",
            "cidr",
            "ip_version",
            "gateway_ip",
            "enable_dhcp",
            "subnetpool_id",
        ],
        Kind::Port => &[
            "network_id",
            "device_id",
            "device_owner",
            "mac_address",
            "fixed_ips",
            "status",
            "security_groups",
            "binding:host_id",
        ],
        Kind::Router => &["status", "admin_state_up", "external_gateway_info"],
        Kind::SecurityGroup => &["stateful", "shared"],
        Kind::SecurityGroupRule => &[
            "security_group_id",
            "direction",
            "ethertype",
            "protocol",
            "remote_group_id",
            "remote_ip_prefix",
            "port_range_min",
            "port_range_max",
        ],
        Kind::FloatingIp => &[
            "floating_network_id",
            "floating_ip_address",
            "port_id",
            "fixed_ip_address",
            "router_id",
            "status",
        ],
    };
    COMMON.contains(&key) || own.contains(&key)
}

/// Whether `doc`'s `key` matches the filter `wanted`, converted as Neutron converts it.
fn matches(doc: &Doc, key: &str, wanted: &str) -> bool {
    if key == "fixed_ips" {
        let Some((field, value)) = wanted.split_once('=') else {
            return false;
        };
        return doc["fixed_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|ip| ip[field].as_str() == Some(value));
    }
    match doc.get(key) {
        None | Some(Value::Null) => wanted.is_empty() || wanted.eq_ignore_ascii_case("none"),
        Some(Value::String(s)) => s == wanted,
        Some(Value::Bool(b)) => match wanted.to_ascii_lowercase().as_str() {
            "true" | "1" => *b,
            "false" | "0" => !*b,
            _ => false,
        },
        Some(Value::Number(n)) => n.to_string() == wanted,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(wanted)),
        Some(Value::Object(_)) => false,
    }
}

/// The tag filters: `tags` (all of), `tags-any`, `not-tags` (not all of), `not-tags-any`.
fn tags_match(doc: &Doc, query: &[(String, String)]) -> bool {
    let has = |tag: &str| {
        doc["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == tag))
    };
    query.iter().all(|(key, value)| {
        let tags: Vec<&str> = value.split(',').filter(|t| !t.is_empty()).collect();
        match key.as_str() {
            "tags" => tags.iter().all(|t| has(t)),
            "tags-any" => tags.iter().any(|t| has(t)),
            "not-tags" => !tags.iter().all(|t| has(t)),
            "not-tags-any" => !tags.iter().any(|t| has(t)),
            _ => true,
        }
    })
}

/// Sorts by the `sort_key`/`sort_dir` pairs (then by id, so pages are stable); without them,
/// creation order stays.
fn sort(docs: &mut [&Doc], kind: Kind, query: &[(String, String)]) -> Result<(), ApiError> {
    let keys: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "sort_key")
        .map(|(_, v)| v.as_str())
        .collect();
    let dirs: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "sort_dir")
        .map(|(_, v)| v.as_str())
        .collect();
    if keys.is_empty() {
        if !dirs.is_empty() {
            return Err(bad_request(
                "The number of sort_keys and sort_dirs must be same",
            ));
        }
        return Ok(());
    }
    // Neutron wants a direction for every key, even the first.
    if dirs.len() != keys.len() {
        return Err(bad_request(
            "The number of sort_keys and sort_dirs must be same",
        ));
    }
    for key in &keys {
        if !known_attribute(kind, key) && !docs.first().is_some_and(|d| d.contains_key(*key)) {
            return Err(bad_request(format!(
                "{key} is invalid attribute for sort_keys"
            )));
        }
    }
    let mut order = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let descending = match dirs.get(i).copied().unwrap_or("asc") {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(bad_request(format!(
                    "{other} is invalid value for sort_dirs, valid sort dir values are: asc, desc"
                )));
            }
        };
        order.push((*key, descending));
    }
    docs.sort_by(|a, b| {
        order
            .iter()
            .map(|(key, descending)| {
                let ordering = compare(&a[*key], &b[*key]);
                if *descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or_else(|| compare(&a["id"], &b["id"]))
    });
    Ok(())
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// `doc` with only the `fields=` asked for (all of it without any).
pub(crate) fn select_fields(doc: &Doc, query: &[(String, String)]) -> Doc {
    let fields: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.as_str())
        .collect();
    if fields.is_empty() {
        return doc.clone();
    }
    doc.iter()
        .filter(|(k, _)| fields.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
