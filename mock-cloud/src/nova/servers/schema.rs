//! What Nova's JSON schemas refuse before a server request is looked at: keys a microversion
//! does not know (Nova's schemas forbid additional properties), `min_count`/`max_count` that
//! are no positive integers, and list queries with unknown sort keys, sort directions,
//! statuses or (from 2.75) parameters. Messages follow Nova's validator: `Invalid input for
//! field/attribute KEY. Value: VALUE. REASON`.

use serde_json::{Map, Value};

use super::super::ListQuery;
use super::super::bad_request;
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::nova::microversion::Microversion;

/// The keys of `server` in a create request at 2.1, before later microversions add and
/// remove some.
const CREATE_KEYS: &[&str] = &[
    "name",
    "imageRef",
    "flavorRef",
    "adminPass",
    "metadata",
    "networks",
    "OS-DCF:diskConfig",
    "accessIPv4",
    "accessIPv6",
    "personality",
    "availability_zone",
    "block_device_mapping",
    "block_device_mapping_v2",
    "config_drive",
    "key_name",
    "min_count",
    "max_count",
    "return_reservation_id",
    "security_groups",
    "user_data",
];

/// Whether `server.KEY` is in the create schema of `version`.
fn create_key_known(key: &str, version: Microversion) -> bool {
    match key {
        "description" => version.at_least(19),
        "tags" => version.at_least(52),
        // Removed in 2.57, with file injection.
        "personality" => !version.at_least(57),
        "trusted_image_certificates" => version.at_least(63),
        "host" | "hypervisor_hostname" => version.at_least(74),
        "hostname" => version.at_least(90),
        _ => CREATE_KEYS.contains(&key),
    }
}

/// jsonschema's words for keys an object may not have.
fn unexpected(keys: &[&String]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("'{k}'")).collect();
    let verb = if keys.len() == 1 { "was" } else { "were" };
    format!(
        "Additional properties are not allowed ({} {verb} unexpected)",
        quoted.join(", ")
    )
}

fn invalid_field(field: &str, value: &Value, reason: &str) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {reason}"
    ))
}

/// `parameter_types.positive_integer`: an integer, or a string of digits, of at least 1.
fn check_positive_integer(field: &str, value: &Value) -> Result<(), ApiError> {
    let number = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        Value::String(text) => {
            if text.is_empty() {
                return Err(invalid_field(
                    field,
                    value,
                    &format!("{value} is too short"),
                ));
            }
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_field(
                    field,
                    value,
                    &format!("{value} does not match '^[0-9]*$'"),
                ));
            }
            text.parse::<i64>().unwrap_or(i64::MAX)
        }
        other => {
            return Err(invalid_field(
                field,
                other,
                &format!("{other} is not of type 'integer', 'string'"),
            ));
        }
    };
    if number < 1 {
        return Err(invalid_field(
            field,
            value,
            &format!("{number} is less than the minimum of 1"),
        ));
    }
    Ok(())
}

/// The strings `parameter_types.boolean` takes for true, then for false (and JSON's own).
const TRUE_STRINGS: &[&str] = &[
    "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
];
const FALSE_STRINGS: &[&str] = &[
    "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no",
];

/// A value `parameter_types.boolean` accepted, read as the API reads it
/// (`strutils.bool_from_string`).
pub(crate) fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(text) => TRUE_STRINGS.contains(&text.as_str()),
        _ => false,
    }
}

/// `value` as Python's `repr` prints the JSON it decodes to (jsonschema's messages quote it).
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(text) => python_repr_str(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_repr_str(k), python_repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// `value` as Python's `str` prints it (`Value: %s` in Nova's messages).
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

fn python_repr_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `parameter_types.boolean` (`config_drive`): a JSON boolean or one of its strings.
fn check_boolean(field: &str, value: &Value) -> Result<(), ApiError> {
    let refuse = |reason: String| {
        bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {}. {reason}",
            python_str(value)
        ))
    };
    match value {
        Value::Bool(_) => Ok(()),
        Value::String(text)
            if TRUE_STRINGS.contains(&text.as_str()) || FALSE_STRINGS.contains(&text.as_str()) =>
        {
            Ok(())
        }
        Value::String(_) => {
            let choices: Vec<String> = std::iter::once("True".to_owned())
                .chain(TRUE_STRINGS.iter().map(|s| python_repr_str(s)))
                .chain(std::iter::once("False".to_owned()))
                .chain(FALSE_STRINGS.iter().map(|s| python_repr_str(s)))
                .collect();
            Err(refuse(format!(
                "{} is not one of [{}]",
                python_repr(value),
                choices.join(", ")
            )))
        }
        other => Err(refuse(format!(
            "{} is not of type 'boolean', 'string'",
            python_repr(other)
        ))),
    }
}

/// The schema checks of `POST /servers` that the handler does not make itself.
pub(crate) fn check_create(body: &Value, version: Microversion) -> Result<(), ApiError> {
    let Some(top) = body.as_object() else {
        return Err(bad_request(format!("{body} is not of type 'object'")));
    };
    let extra: Vec<&String> = top
        .keys()
        .filter(|k| {
            !matches!(
                k.as_str(),
                "server" | "os:scheduler_hints" | "OS-SCH-HNT:scheduler_hints"
            )
        })
        .collect();
    if !extra.is_empty() {
        return Err(bad_request(unexpected(&extra)));
    }
    let Some(server) = top.get("server") else {
        return Err(bad_request("'server' is a required property"));
    };
    let Some(fields): Option<&Map<String, Value>> = server.as_object() else {
        return Err(invalid_field(
            "server",
            server,
            &format!("{server} is not of type 'object'"),
        ));
    };
    let extra: Vec<&String> = fields
        .keys()
        .filter(|k| !create_key_known(k, version))
        .collect();
    if !extra.is_empty() {
        return Err(invalid_field("server", server, &unexpected(&extra)));
    }
    for field in ["min_count", "max_count"] {
        if let Some(value) = fields.get(field) {
            check_positive_integer(field, value)?;
        }
    }
    if let Some(value) = fields.get("config_drive") {
        check_boolean("config_drive", value)?;
    }
    if let Some(value) = fields.get("adminPass").filter(|v| !v.is_string()) {
        return Err(bad_request(format!(
            "Invalid input for field/attribute adminPass. Value: {}. {} is not of type 'string'",
            python_str(value),
            python_repr(value)
        )));
    }
    Ok(())
}

/// Sort keys Nova accepts but ignores (bad ones it once took, kept for compatibility); until
/// 2.73 `locked` is one of them, from 2.75 none is accepted.
pub(super) const IGNORED_SORT_KEYS: &[&str] = &[
    "architecture",
    "cell_name",
    "cleaned",
    "default_ephemeral_device",
    "default_swap_device",
    "deleted",
    "deleted_at",
    "disable_terminate",
    "ephemeral_gb",
    "ephemeral_key_uuid",
    "id",
    "key_data",
    "launched_on",
    "locked",
    "memory_mb",
    "os_type",
    "reservation_id",
    "root_gb",
    "shutdown_terminate",
    "user_data",
    "vcpus",
    "vm_mode",
];

/// The sort keys of `VALID_SORT_KEYS` (apart from the ignored ones).
const SORT_KEYS: &[&str] = &[
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "availability_zone",
    "config_drive",
    "created_at",
    "display_description",
    "display_name",
    "host",
    "hostname",
    "image_ref",
    "instance_type_id",
    "kernel_id",
    "key_name",
    "launch_index",
    "launched_at",
    "locked_by",
    "node",
    "power_state",
    "progress",
    "project_id",
    "ramdisk_id",
    "root_device_name",
    "task_state",
    "terminated_at",
    "updated_at",
    "user_id",
    "uuid",
    "vm_state",
];

fn sort_key_known(key: &str, version: Microversion) -> bool {
    if SORT_KEYS.contains(&key) || (key == "locked" && version.at_least(73)) {
        return true;
    }
    !version.at_least(75) && IGNORED_SORT_KEYS.contains(&key)
}

/// The query parameters of `GET /servers` (2.75 makes every other one an error).
const QUERY_KEYS: &[&str] = &[
    "user_id",
    "project_id",
    "tenant_id",
    "launch_index",
    "image_ref",
    "image",
    "kernel_id",
    "ramdisk_id",
    "hostname",
    "key_name",
    "power_state",
    "vm_state",
    "task_state",
    "host",
    "node",
    "flavor",
    "reservation_id",
    "launched_at",
    "terminated_at",
    "availability_zone",
    "name",
    "display_name",
    "description",
    "display_description",
    "locked_by",
    "uuid",
    "root_device_name",
    "config_drive",
    "access_ip_v4",
    "access_ip_v6",
    "auto_disk_config",
    "progress",
    "sort_key",
    "sort_dir",
    "all_tenants",
    "soft_deleted",
    "deleted",
    "status",
    "changes-since",
    "ip",
    "ip6",
    "created_at",
    "limit",
    "marker",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
    "changes-before",
    "locked",
];

/// Filters on joined tables, which Nova refuses by name (only admins get that far: for others
/// they are dropped with every filter a user may not use).
const JOINED_TABLE_KEYS: &[&str] = &[
    "block_device_mapping",
    "services",
    "metadata",
    "system_metadata",
    "info_cache",
    "security_groups",
    "pci_devices",
];

/// The statuses Nova can filter by.
const STATUSES: &[&str] = &[
    "ACTIVE",
    "BUILD",
    "CONFIRMING_RESIZE",
    "DELETED",
    "ERROR",
    "HARD_REBOOT",
    "MIGRATING",
    "PASSWORD",
    "PAUSED",
    "REBOOT",
    "REBUILD",
    "RESCUE",
    "RESIZE",
    "REVERT_RESIZE",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "SHUTOFF",
    "SOFT_DELETED",
    "SUSPENDED",
    "UNKNOWN",
    "VERIFY_RESIZE",
];

/// What a server list query is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ListCheck {
    /// Go on listing.
    List,
    /// Before 2.38 a status Nova does not know lists nothing (not an error).
    Nothing,
}

/// The checks of `GET /servers[/detail]` that come before any filtering.
pub(crate) fn check_list(
    query: &ListQuery,
    version: Microversion,
    caller: &Caller,
) -> Result<ListCheck, ApiError> {
    for (key, value) in query {
        let known = QUERY_KEYS.contains(&key.as_str())
            || JOINED_TABLE_KEYS.contains(&key.as_str())
            || key.starts_with('_');
        if version.at_least(75) && !known {
            return Err(bad_request(unexpected(&[key])));
        }
        if key == "sort_key" && !sort_key_known(value, version) {
            return Err(bad_request(format!(
                "Invalid input for query parameters sort_key. Value: {value}. '{value}' is not one of the valid sort keys"
            )));
        }
        if key == "limit" && (value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad_request(format!(
                "Invalid input for query parameters limit. Value: {value}. '{value}' does not match '^[0-9]*$'"
            )));
        }
        // Nova drops every filter a non-admin may not use before it looks at these.
        if caller.is_admin() && (JOINED_TABLE_KEYS.contains(&key.as_str()) || key.starts_with('_'))
        {
            return Err(bad_request(format!("Invalid filter field: {key}.")));
        }
        if key == "sort_dir" && !matches!(value.as_str(), "asc" | "desc") {
            return Err(bad_request(
                "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'",
            ));
        }
    }
    let statuses: Vec<&String> = query
        .iter()
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| v)
        .collect();
    if !statuses.is_empty()
        && !statuses
            .iter()
            .any(|s| STATUSES.iter().any(|known| known.eq_ignore_ascii_case(s)))
    {
        if version.at_least(38) {
            return Err(bad_request("Invalid status value"));
        }
        return Ok(ListCheck::Nothing);
    }
    Ok(ListCheck::List)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn v(minor: u16) -> Microversion {
        Microversion(minor)
    }

    fn create(body: Value, minor: u16) -> Result<(), String> {
        check_create(&body, v(minor)).map_err(|e| e.message)
    }

    #[test]
    fn unknown_keys_are_refused_by_microversion() {
        let server = |extra: Value| {
            let mut s = json!({"name": "a", "flavorRef": "1", "imageRef": "i", "networks": "none"});
            s.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({ "server": s })
        };
        assert!(create(server(json!({})), 90).is_ok());
        let err = create(server(json!({"flavour": "1"})), 90).unwrap_err();
        assert!(
            err.starts_with("Invalid input for field/attribute server.")
                && err
                    .ends_with("Additional properties are not allowed ('flavour' was unexpected)"),
            "{err}"
        );
        assert!(create(server(json!({"personality": []})), 56).is_ok());
        assert!(create(server(json!({"personality": []})), 79).is_err());
        assert!(create(server(json!({"description": "d"})), 18).is_err());
        assert!(create(server(json!({"description": "d"})), 19).is_ok());
        assert!(create(server(json!({"hostname": "h"})), 89).is_err());
        let err = create(json!({"server": {"name": "a"}, "extra": 1, "more": 2}), 2).unwrap_err();
        assert_eq!(
            err,
            "Additional properties are not allowed ('extra', 'more' were unexpected)"
        );
        assert_eq!(
            create(json!({}), 2).unwrap_err(),
            "'server' is a required property"
        );
        assert!(create(json!([]), 2).is_err());
    }

    #[test]
    fn counts_are_positive_integers() {
        let with = |count: Value| json!({"server": {"name": "a", "max_count": count}});
        for good in [json!(1), json!(3), json!("2")] {
            assert!(create(with(good.clone()), 2).is_ok(), "{good}");
        }
        assert_eq!(
            create(with(json!(-1)), 2).unwrap_err(),
            "Invalid input for field/attribute max_count. Value: -1. -1 is less than the minimum of 1"
        );
        for bad in [
            json!(0),
            json!("0"),
            json!("-1"),
            json!("x"),
            json!(""),
            json!(1.5),
            json!(true),
        ] {
            assert!(create(with(bad.clone()), 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_drive_is_a_boolean_or_one_of_its_strings() {
        let with = |value: Value| json!({"server": {"name": "a", "config_drive": value}});
        for good in [
            json!(true),
            json!(false),
            json!("True"),
            json!("yes"),
            json!("0"),
            json!("Off"),
        ] {
            assert!(create(with(good.clone()), 2).is_ok(), "{good}");
        }
        assert!(is_true(&json!(true)) && is_true(&json!("On")) && is_true(&json!("1")));
        assert!(!is_true(&json!(false)) && !is_true(&json!("no")) && !is_true(&json!("False")));
        assert_eq!(
            create(with(json!("maybe")), 2).unwrap_err(),
            "Invalid input for field/attribute config_drive. Value: maybe. 'maybe' is not one of \
             [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, \
             'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"
        );
        assert_eq!(
            create(with(json!(1)), 2).unwrap_err(),
            "Invalid input for field/attribute config_drive. Value: 1. 1 is not of type 'boolean', 'string'"
        );
        assert_eq!(
            create(with(json!(null)), 2).unwrap_err(),
            "Invalid input for field/attribute config_drive. Value: None. None is not of type 'boolean', 'string'"
        );
        assert!(
            create(with(json!("")), 2)
                .unwrap_err()
                .contains("'' is not one of")
        );
        assert_eq!(
            create(with(json!(["it's"])), 2).unwrap_err(),
            "Invalid input for field/attribute config_drive. Value: [\"it's\"]. [\"it's\"] is not of type 'boolean', 'string'"
        );
        let pass = |value: Value| json!({"server": {"name": "a", "adminPass": value}});
        assert!(create(pass(json!("s3cret")), 2).is_ok());
        assert_eq!(
            create(pass(json!(5)), 2).unwrap_err(),
            "Invalid input for field/attribute adminPass. Value: 5. 5 is not of type 'string'"
        );
    }

    fn caller(admin: bool) -> Caller {
        Caller {
            user_id: "u".into(),
            user_name: "u".into(),
            user_domain_id: "default".into(),
            project_id: Some("p".into()),
            project_name: Some("p".into()),
            domain_id: None,
            system: false,
            roles: if admin {
                vec!["admin".into()]
            } else {
                vec!["member".into()]
            },
        }
    }

    fn list(pairs: &[(&str, &str)], minor: u16, admin: bool) -> Result<ListCheck, String> {
        let query: ListQuery = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        check_list(&query, v(minor), &caller(admin)).map_err(|e| e.message)
    }

    #[test]
    fn list_queries_follow_nova() {
        assert_eq!(
            list(&[("sort_key", "display_name")], 2, false),
            Ok(ListCheck::List)
        );
        assert_eq!(
            list(&[("sort_key", "vcpus")], 2, false),
            Ok(ListCheck::List)
        );
        assert!(list(&[("sort_key", "vcpus")], 75, false).is_err());
        assert!(list(&[("sort_key", "locked")], 73, false).is_ok());
        assert!(list(&[("sort_key", "nonsense")], 2, false).is_err());
        assert!(list(&[("sort_dir", "up")], 2, false).is_err());
        assert!(list(&[("limit", "-1")], 2, false).is_err());
        assert_eq!(list(&[("whatever", "x")], 74, false), Ok(ListCheck::List));
        assert_eq!(
            list(&[("whatever", "x")], 75, false).unwrap_err(),
            "Additional properties are not allowed ('whatever' was unexpected)"
        );
        assert_eq!(list(&[("metadata", "x")], 2, false), Ok(ListCheck::List));
        assert_eq!(
            list(&[("metadata", "x")], 2, true).unwrap_err(),
            "Invalid filter field: metadata."
        );
        assert_eq!(list(&[("status", "active")], 2, false), Ok(ListCheck::List));
        assert_eq!(
            list(&[("status", "sleepy")], 37, false),
            Ok(ListCheck::Nothing)
        );
        assert_eq!(
            list(&[("status", "sleepy")], 38, false).unwrap_err(),
            "Invalid status value"
        );
    }
}
