//! Security groups and their rules: every group starts with Neutron's two egress rules, the
//! project's `default` group also lets in traffic from its own members; rules are checked
//! as Neutron checks them (protocol, port range, ICMP type/code, ethertype against the
//! prefix) and a duplicate is a 409 naming the rule that exists.

use std::net::Ipv6Addr;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ipam::Cidr;
use super::resources::{Actor, base, boolean, check_attrs, has, update_common};
use super::store::{NeutronState, str_of};
use super::{Doc, Kind, bad_request, conflict, error};
use crate::errors::ApiError;

/// Protocol names Neutron takes (`neutron_lib.constants.IP_PROTOCOL_MAP`), besides 0-255.
const PROTOCOLS: [&str; 26] = [
    "ah",
    "dccp",
    "egp",
    "esp",
    "gre",
    "hopopt",
    "icmp",
    "igmp",
    "ip",
    "ipip",
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-icmp",
    "icmpv6",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "ospf",
    "pgm",
    "rsvp",
    "sctp",
    "tcp",
    "udp",
    "udplite",
    "vrrp",
    "any",
];
/// Protocols with port ranges (names and numbers).
const PORTED: [&str; 10] = [
    "tcp", "udp", "sctp", "dccp", "udplite", "6", "17", "132", "33", "136",
];
const ICMP: [&str; 6] = ["icmp", "ipv6-icmp", "icmpv6", "1", "58", "ipv6-icmp"];

/// `POST /v2.0/security-groups`: 409 for a second group named `default`.
pub(super) fn create(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(
        attrs,
        &["stateful", "security_group_rules", "shared"],
        &["stateful"],
        "POST",
    )?;
    if attrs
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.eq_ignore_ascii_case("default"))
    {
        return Err(conflict(
            "SecurityGroupDefaultAlreadyExists",
            "Default security group already exists.",
        ));
    }
    make_group(state, actor, attrs, false)
}

/// A new group with the egress rules (and, for `default`, the ingress rules from itself).
pub(crate) fn make_group(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
    default: bool,
) -> Result<Doc, ApiError> {
    let mut doc = base(actor, attrs)?;
    if default {
        doc.insert("name".into(), json!("default"));
        doc.insert("description".into(), json!("Default security group"));
    }
    doc.insert(
        "stateful".into(),
        json!(boolean(attrs, "stateful")?.unwrap_or(true)),
    );
    doc.insert("shared".into(), json!(false));
    doc.insert("security_group_rules".into(), json!([]));
    let id = str_of(&doc, "id").to_owned();
    state.insert(Kind::SecurityGroup, doc);
    let mut rules = vec![("egress", "IPv4", None), ("egress", "IPv6", None)];
    if default {
        rules.push(("ingress", "IPv4", Some(id.clone())));
        rules.push(("ingress", "IPv6", Some(id.clone())));
    }
    for (direction, ethertype, remote_group) in rules {
        let rule = rule_doc(
            &id,
            &actor.project,
            direction,
            ethertype,
            Value::Null,
            None,
            None,
            None,
            remote_group,
            default,
        );
        insert_rule(state, rule);
    }
    Ok(state
        .get(Kind::SecurityGroup, &id)
        .cloned()
        .unwrap_or_default())
}

#[allow(clippy::too_many_arguments)]
fn rule_doc(
    group: &str,
    project: &str,
    direction: &str,
    ethertype: &str,
    protocol: Value,
    min: Option<u64>,
    max: Option<u64>,
    prefix: Option<(String, String)>,
    remote_group: Option<String>,
    in_default: bool,
) -> Doc {
    let now = super::now();
    let (prefix, normalized) =
        prefix.map_or((Value::Null, Value::Null), |(p, n)| (json!(p), json!(n)));
    let doc = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "project_id": project,
        "tenant_id": project,
        "security_group_id": group,
        "direction": direction,
        "ethertype": ethertype,
        "protocol": protocol,
        "port_range_min": min,
        "port_range_max": max,
        "remote_ip_prefix": prefix,
        "normalized_cidr": normalized,
        "remote_group_id": remote_group,
        "remote_address_group_id": null,
        "description": "",
        "belongs_to_default_sg": in_default,
        "created_at": now,
        "updated_at": now,
        "revision_number": 0,
    });
    doc.as_object().cloned().unwrap_or_default()
}

/// Adds a rule and shows it in its group's `security_group_rules`.
fn insert_rule(state: &mut NeutronState, rule: Doc) {
    let group_id = str_of(&rule, "security_group_id").to_owned();
    state.insert(Kind::SecurityGroupRule, rule);
    refresh_rules(state, &group_id);
}

/// Rewrites a group's `security_group_rules` from the rules that exist.
fn refresh_rules(state: &mut NeutronState, group_id: &str) {
    let rules: Vec<Value> = state
        .all(Kind::SecurityGroupRule)
        .iter()
        .filter(|r| r["security_group_id"] == group_id)
        .map(|r| Value::Object(r.clone()))
        .collect();
    if let Some(mut group) = state.get(Kind::SecurityGroup, group_id).cloned() {
        group.insert("security_group_rules".into(), json!(rules));
        state.replace(Kind::SecurityGroup, group);
    }
}

/// `PUT /v2.0/security-groups/{id}`: the default group keeps its name.
pub(super) fn update(
    _state: &mut NeutronState,
    _actor: &Actor,
    mut doc: Doc,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    check_attrs(
        attrs,
        &["stateful", "security_group_rules", "shared"],
        &["stateful"],
        "PUT",
    )?;
    if doc["name"] == "default" && attrs.get("name").is_some_and(|n| n != "default") {
        return Err(conflict(
            "SecurityGroupCannotUpdateDefault",
            "Updating default security group not allowed.",
        ));
    }
    update_common(&mut doc, attrs)?;
    if let Some(stateful) = boolean(attrs, "stateful")? {
        doc.insert("stateful".into(), json!(stateful));
    }
    Ok(doc)
}

/// `DELETE /v2.0/security-groups/{id}`: not the default group (unless admin), not while a
/// port uses it; its rules, and rules elsewhere naming it as remote group, go with it.
pub(super) fn delete(state: &mut NeutronState, actor: &Actor, doc: &Doc) -> Result<(), ApiError> {
    let id = str_of(doc, "id").to_owned();
    // Neutron checks the ports first: a used default group is "in use" even to a member.
    if state
        .all(Kind::Port)
        .iter()
        .any(|p| has(p, "security_groups", &id))
    {
        return Err(conflict(
            "SecurityGroupInUse",
            format!("Security Group {id} in use."),
        ));
    }
    if doc["name"] == "default" && !actor.admin {
        return Err(conflict(
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.",
        ));
    }
    let rules: Vec<(String, String)> = state
        .all(Kind::SecurityGroupRule)
        .iter()
        .filter(|r| r["security_group_id"] == id.as_str() || r["remote_group_id"] == id.as_str())
        .map(|r| {
            (
                str_of(r, "id").to_owned(),
                str_of(r, "security_group_id").to_owned(),
            )
        })
        .collect();
    for (rule, group) in &rules {
        state.remove(Kind::SecurityGroupRule, rule);
        if group != &id {
            refresh_rules(state, group);
        }
    }
    state.remove(Kind::SecurityGroup, &id);
    Ok(())
}

/// `DELETE /v2.0/security-group-rules/{id}`.
pub(super) fn delete_rule(state: &mut NeutronState, doc: &Doc) -> Result<(), ApiError> {
    state.remove(Kind::SecurityGroupRule, str_of(doc, "id"));
    refresh_rules(state, str_of(doc, "security_group_id"));
    Ok(())
}

fn rule_error(kind: &'static str, message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, kind, message)
}

/// A port bound as Neutron reads it: an integer, or a string of one.
fn port_value(value: Option<&Value>) -> Result<Option<u64>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
            rule_error(
                "SecurityGroupInvalidPortValue",
                format!("Invalid value for port {n}"),
            )
        }),
        Some(Value::String(s)) => s.parse::<u64>().map(Some).map_err(|_| {
            rule_error(
                "SecurityGroupInvalidPortValue",
                format!("Invalid value for port {s}"),
            )
        }),
        Some(other) => Err(rule_error(
            "SecurityGroupInvalidPortValue",
            format!("Invalid value for port {other}"),
        )),
    }
}

/// A remote prefix and its normalised form, checked against the ethertype.
fn prefix(text: &str, ethertype: &str) -> Result<(String, String), ApiError> {
    let conflict_error = || {
        rule_error(
            "SecurityGroupRuleParameterConflict",
            format!("Conflicting value ethertype {ethertype} for CIDR {text}"),
        )
    };
    if let Some(cidr) = Cidr::parse_loose(text) {
        if ethertype != "IPv4" {
            return Err(conflict_error());
        }
        return Ok((text.to_owned(), cidr.network().to_string()));
    }
    let (addr, len) = text.split_once('/').unwrap_or((text, "128"));
    match (addr.parse::<Ipv6Addr>(), len.parse::<u8>()) {
        (Ok(_), Ok(len)) if len <= 128 => {
            if ethertype != "IPv6" {
                return Err(conflict_error());
            }
            Ok((text.to_owned(), text.to_owned()))
        }
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidCIDR",
            format!("Invalid CIDR {text} given as IP prefix."),
        )),
    }
}

/// `POST /v2.0/security-group-rules`.
pub(super) fn create_rule(
    state: &mut NeutronState,
    actor: &Actor,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    const KNOWN: [&str; 10] = [
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "remote_address_group_id",
        "description",
    ];
    let unknown: Vec<&str> = attrs
        .keys()
        .map(String::as_str)
        .filter(|k| !KNOWN.contains(k) && *k != "project_id" && *k != "tenant_id")
        .collect();
    if !unknown.is_empty() {
        return Err(bad_request(format!(
            "Unrecognized attribute(s) '{}'",
            unknown.join(", ")
        )));
    }
    let required = |key: &str| {
        attrs.get(key).and_then(Value::as_str).ok_or_else(|| {
            bad_request(format!(
                "Failed to parse request. Required attribute '{key}' not specified"
            ))
        })
    };
    let group_id = required("security_group_id")?;
    let group = actor.find(state, Kind::SecurityGroup, group_id)?.clone();
    if !actor.owns(&group) {
        return Err(super::policy_forbids("create_security_group_rule"));
    }
    let direction = required("direction")?;
    if direction != "ingress" && direction != "egress" {
        return Err(bad_request(format!(
            "Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress']."
        )));
    }
    let ethertype = match attrs.get("ethertype") {
        None | Some(Value::Null) => "IPv4".to_owned(),
        Some(value) => match value.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("ipv4") => "IPv4".to_owned(),
            Some("ipv6") => "IPv6".to_owned(),
            _ => {
                return Err(rule_error(
                    "SecurityGroupRuleInvalidEtherType",
                    format!(
                        "Security group rule for ethertype '{}' not supported. Allowed values are ['IPv4', 'IPv6'].",
                        value.as_str().unwrap_or(&value.to_string())
                    ),
                ));
            }
        },
    };
    let protocol = match attrs.get("protocol") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 255) => json!(n.to_string()),
        Some(Value::String(s)) if PROTOCOLS.contains(&s.to_ascii_lowercase().as_str()) => {
            json!(s.to_ascii_lowercase())
        }
        Some(Value::String(s)) if s.parse::<u64>().is_ok_and(|n| n <= 255) => json!(s),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return Err(rule_error(
                "SecurityGroupRuleInvalidProtocol",
                format!(
                    "Security group rule protocol {shown} not supported. Only protocol values [None, 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp'] and integer representations [0 to 255] are supported."
                ),
            ));
        }
    };
    let protocol = if protocol == "any" {
        Value::Null
    } else {
        protocol
    };
    let min = port_value(attrs.get("port_range_min"))?;
    let max = port_value(attrs.get("port_range_max"))?;
    let name = protocol.as_str().unwrap_or_default();
    if (min.is_some() || max.is_some()) && protocol.is_null() {
        return Err(rule_error(
            "SecurityGroupProtocolRequiredWithPorts",
            "Must also specify protocol if port range is given.",
        ));
    }
    if PORTED.contains(&name) {
        match (min, max) {
            (Some(a), Some(b)) if a == 0 || b > 65535 => {
                let bad = if a == 0 { a } else { b };
                return Err(rule_error(
                    "SecurityGroupInvalidPortValue",
                    format!("Invalid value for port {bad}"),
                ));
            }
            (Some(a), Some(b)) if a > b => {
                return Err(rule_error(
                    "SecurityGroupInvalidPortRange",
                    "For TCP/UDP protocols, port_range_min must be <= port_range_max",
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(rule_error(
                    "SecurityGroupInvalidPortRange",
                    "For TCP/UDP protocols, port_range_min must be <= port_range_max",
                ));
            }
            _ => {}
        }
    } else if ICMP.contains(&name) {
        for (value, field) in [(min, "type"), (max, "code")] {
            if value.is_some_and(|v| v > 255) {
                return Err(rule_error(
                    "SecurityGroupInvalidIcmpValue",
                    format!(
                        "Invalid value for ICMP {field} (port-range-{}) {}. It must be 0 to 255.",
                        if field == "type" { "min" } else { "max" },
                        value.unwrap_or_default()
                    ),
                ));
            }
        }
        if min.is_none() && max.is_some() {
            return Err(rule_error(
                "SecurityGroupMissingIcmpType",
                format!(
                    "ICMP code (port-range-max) {} is provided but ICMP type (port-range-min) is missing.",
                    max.unwrap_or_default()
                ),
            ));
        }
    } else if min.is_some() || max.is_some() {
        return Err(rule_error(
            "SecurityGroupInvalidProtocolForPortRange",
            format!(
                "Invalid protocol {name} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP."
            ),
        ));
    }
    let remote_prefix = attrs.get("remote_ip_prefix").and_then(Value::as_str);
    let remote_group = attrs.get("remote_group_id").and_then(Value::as_str);
    if remote_prefix.is_some() && remote_group.is_some() {
        return Err(rule_error(
            "SecurityGroupRemoteGroupAndRemoteIpPrefix",
            "Only remote_ip_prefix or remote_group_id may be provided.",
        ));
    }
    let prefix = remote_prefix.map(|p| prefix(p, &ethertype)).transpose()?;
    if let Some(remote) = remote_group {
        actor.find(state, Kind::SecurityGroup, remote)?;
    }
    let normalized = prefix.as_ref().map(|(_, n)| n.clone());
    let duplicate = state.all(Kind::SecurityGroupRule).iter().find(|r| {
        r["security_group_id"] == group_id
            && r["direction"] == direction
            && r["ethertype"] == ethertype.as_str()
            && r["protocol"] == protocol
            && r["port_range_min"] == json!(min)
            && r["port_range_max"] == json!(max)
            && r["normalized_cidr"] == json!(normalized)
            && r["remote_group_id"] == json!(remote_group)
    });
    if let Some(rule) = duplicate {
        return Err(conflict(
            "SecurityGroupRuleExists",
            format!(
                "Security group rule already exists. Rule id is {}.",
                str_of(rule, "id")
            ),
        ));
    }
    let in_default = group["name"] == "default";
    let mut rule = rule_doc(
        group_id,
        str_of(&group, "project_id"),
        direction,
        &ethertype,
        protocol,
        min,
        max,
        prefix,
        remote_group.map(str::to_owned),
        in_default,
    );
    if let Some(description) = super::resources::text(attrs, "description", 255)? {
        rule.insert("description".into(), json!(description));
    }
    insert_rule(state, rule.clone());
    Ok(rule)
}
