//! Flavor writes (admin only): `POST /flavors`, `PUT /flavors/{id}` (the description, 2.55+)
//! and `DELETE /flavors/{id}`, with Nova's body schema and its answers.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Flavor;
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Table};
use crate::errors::ApiError;
use crate::nova::microversion::Microversion;
use crate::nova::{bad_request, conflict, not_found, policy_forbids};

/// Nova's database integer limit for sizes.
const MAX_INT: u64 = 2_147_483_647;

/// jsonschema's 400 as Nova words it: the field, the value, and what is wrong with it.
pub(super) fn invalid(field: &str, value: &Value, reason: &str) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {reason}"
    ))
}

/// The JSON object of a request body, or Nova's 400.
pub(super) fn object_body(body: &Bytes) -> Result<Value, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad_request("Malformed request body"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(bad_request(format!(
            "Invalid input for field/attribute body. Value: {value}. {value} is not of type 'object'"
        )))
    }
}

/// `body[key]` as an object with only `allowed` keys: jsonschema's `required`, `type` and
/// `additionalProperties` checks.
fn envelope<'a>(
    body: &'a Value,
    key: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ApiError> {
    let Some(inner) = body.get(key) else {
        return Err(invalid(
            key,
            body,
            &format!("'{key}' is a required property"),
        ));
    };
    let fields = inner
        .as_object()
        .ok_or_else(|| invalid(key, inner, &format!("{inner} is not of type 'object'")))?;
    let extra: Vec<String> = body
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .filter(|k| *k != key)
        .chain(fields.keys().filter(|k| !allowed.contains(&k.as_str())))
        .map(|k| format!("'{k}'"))
        .collect();
    if !extra.is_empty() {
        let verb = if extra.len() == 1 { "was" } else { "were" };
        return Err(invalid(
            key,
            inner,
            &format!(
                "Additional properties are not allowed ({} {verb} unexpected)",
                extra.join(", ")
            ),
        ));
    }
    Ok(fields)
}

/// A size: a JSON integer or a string of digits, at least `min`, at most Nova's `MAX_INT`.
fn size(fields: &Map<String, Value>, key: &str, min: u64) -> Result<Option<u64>, ApiError> {
    let Some(value) = fields.get(key) else {
        return Ok(None);
    };
    let number = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    let number = number.ok_or_else(|| {
        let negative = value.as_i64().is_some_and(|n| n < 0);
        let reason = if negative {
            format!("{value} is less than the minimum of {min}")
        } else {
            format!("{value} is not of type 'integer', 'string'")
        };
        invalid(key, value, &reason)
    })?;
    if number < min {
        return Err(invalid(
            key,
            value,
            &format!("{value} is less than the minimum of {min}"),
        ));
    }
    if number > MAX_INT {
        return Err(invalid(
            key,
            value,
            &format!("{value} is greater than the maximum of {MAX_INT}"),
        ));
    }
    Ok(Some(number))
}

/// `parameter_types.boolean`: JSON booleans and oslo's spellings of them.
fn boolean(value: &Value, key: &str) -> Result<bool, ApiError> {
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "True" | "true" | "TRUE" | "On" | "on" | "ON" | "1" | "Yes" | "yes" | "YES" | "y" => {
                Some(true)
            }
            "False" | "false" | "FALSE" | "Off" | "off" | "OFF" | "0" | "No" | "no" | "NO"
            | "n" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        invalid(
            key,
            value,
            &format!("{value} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']"),
        )
    })
}

/// A flavor name: 1 to 255 characters, none of them control characters, no leading or
/// trailing whitespace.
fn name(value: &Value) -> Result<String, ApiError> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid("name", value, &format!("{value} is not of type 'string'")))?;
    if text.is_empty() || text.chars().count() > 255 {
        return Err(invalid(
            "name",
            value,
            &format!("{value} must be 1 to 255 characters long"),
        ));
    }
    if text.trim() != text || text.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            value,
            &format!("{value} does not match the printable name pattern"),
        ));
    }
    Ok(text.to_owned())
}

/// A flavor id: a string (or a number, made a string) of `[a-zA-Z0-9. _-]`, 1 to 255 long,
/// not starting or ending with a space. `null` or absent: Nova makes a UUID.
fn flavor_id(value: Option<&Value>) -> Result<String, ApiError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(uuid::Uuid::new_v4().to_string()),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(invalid(
                "id",
                other,
                &format!("{other} is not of type 'string', 'number', 'null'"),
            ));
        }
    };
    let ok = (1..=255).contains(&text.len())
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ". _-".contains(c));
    if !ok {
        return Err(invalid(
            "id",
            &json!(text),
            &format!("'{text}' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'"),
        ));
    }
    Ok(text)
}

/// A description: a string of at most 65535 printable characters, or `null`.
pub(super) fn description(value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().count() <= 65535 => Ok(Some(s.clone())),
        Value::String(_) => Err(invalid(
            "description",
            value,
            "is too long (at most 65535 characters)",
        )),
        other => Err(invalid(
            "description",
            other,
            &format!("{other} is not of type 'string', 'null'"),
        )),
    }
}

/// The flavor a `POST /flavors` body describes, or Nova's 400.
fn parse_create(body: &Value, version: Microversion) -> Result<Flavor, ApiError> {
    let mut allowed = vec![
        "name",
        "id",
        "ram",
        "vcpus",
        "disk",
        "OS-FLV-EXT-DATA:ephemeral",
        "swap",
        "rxtx_factor",
        "os-flavor-access:is_public",
    ];
    if version.at_least(55) {
        allowed.push("description");
    }
    let fields = envelope(body, "flavor", &allowed)?;
    let flavor_value = &body["flavor"];
    for required in ["name", "ram", "vcpus", "disk"] {
        if !fields.contains_key(required) {
            return Err(invalid(
                "flavor",
                flavor_value,
                &format!("'{required}' is a required property"),
            ));
        }
    }
    let rxtx_factor = match fields.get("rxtx_factor") {
        None => 1.0,
        Some(value) => {
            let factor = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.parse::<f64>().ok(),
                _ => None,
            };
            match factor {
                Some(f) if f > 0.0 && f <= 3.40282e38 => f,
                Some(_) => {
                    return Err(invalid(
                        "rxtx_factor",
                        value,
                        &format!("{value} is less than or equal to the minimum of 0"),
                    ));
                }
                None => {
                    return Err(invalid(
                        "rxtx_factor",
                        value,
                        &format!("{value} is not of type 'number', 'string'"),
                    ));
                }
            }
        }
    };
    let vcpus = size(fields, "vcpus", 1)?.unwrap_or(1);
    Ok(Flavor {
        id: flavor_id(fields.get("id"))?,
        name: name(&fields["name"])?,
        ram: size(fields, "ram", 1)?.unwrap_or_default(),
        disk: size(fields, "disk", 0)?.unwrap_or_default(),
        vcpus: u32::try_from(vcpus).unwrap_or(u32::MAX),
        ephemeral: size(fields, "OS-FLV-EXT-DATA:ephemeral", 0)?.unwrap_or_default(),
        swap: size(fields, "swap", 0)?.unwrap_or_default(),
        is_public: fields
            .get("os-flavor-access:is_public")
            .map(|v| boolean(v, "os-flavor-access:is_public"))
            .transpose()?
            .unwrap_or(true),
        rxtx_factor,
        description: fields
            .get("description")
            .map(description)
            .transpose()?
            .flatten(),
        extra_specs: BTreeMap::new(),
        projects: Vec::new(),
    })
}

/// `POST /flavors` (admin): 200 and the new flavor; 409 when its id or name is taken.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(policy_forbids("os_compute_api:os-flavor-manage:create"));
    }
    let flavor = parse_create(&object_body(&body)?, version)?;
    {
        let mut inner = state.nova.lock();
        if inner.flavors.iter().any(|f| f.id == flavor.id) {
            return Err(conflict(format!(
                "Flavor with ID {} already exists.",
                flavor.id
            )));
        }
        if inner.flavors.iter().any(|f| f.name == flavor.name) {
            return Err(conflict(format!(
                "Flavor with name {} already exists.",
                flavor.name
            )));
        }
        state
            .nova
            .submit(Change::new().put(Table::NovaFlavors, &flavor.id, &flavor));
        inner.flavors.push(flavor.clone());
    }
    Ok(axum::Json(json!({"flavor": flavor.detail(&state.base_url, version)})).into_response())
}

/// `PUT /flavors/{id}` (admin, 2.55+): `{"flavor": {"description": ...}}`, the one thing
/// Nova lets change; 200 and the flavor.
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !version.at_least(55) {
        return Err(not_found("The resource could not be found."));
    }
    if !caller.is_admin() {
        return Err(policy_forbids("os_compute_api:os-flavor-manage:update"));
    }
    let body = object_body(&body)?;
    let fields = envelope(&body, "flavor", &["description"])?;
    let Some(value) = fields.get("description") else {
        return Err(invalid(
            "flavor",
            &body["flavor"],
            "'description' is a required property",
        ));
    };
    let text = description(value)?;
    let mut inner = state.nova.lock();
    let flavor = inner
        .flavors
        .iter_mut()
        .find(|f| f.id == id)
        .ok_or_else(|| not_found(format!("Flavor {id} could not be found.")))?;
    flavor.description = text;
    state
        .nova
        .submit(Change::new().put(Table::NovaFlavors, &flavor.id, &*flavor));
    Ok(axum::Json(json!({"flavor": flavor.detail(&state.base_url, version)})).into_response())
}

/// `DELETE /flavors/{id}` (admin): 202 without a body.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(policy_forbids("os_compute_api:os-flavor-manage:delete"));
    }
    let mut inner = state.nova.lock();
    let Some(index) = inner.flavors.iter().position(|f| f.id == id) else {
        return Err(not_found(format!("Flavor {id} could not be found.")));
    };
    inner.flavors.remove(index);
    state
        .nova
        .submit(Change::new().delete(Table::NovaFlavors, &id));
    Ok((
        StatusCode::ACCEPTED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(v: u16) -> Microversion {
        Microversion(v)
    }

    #[test]
    fn a_full_body_becomes_a_flavor() {
        let body = json!({"flavor": {
            "name": "f1", "id": 7, "ram": "512", "vcpus": 2, "disk": 1,
            "OS-FLV-EXT-DATA:ephemeral": 3, "swap": 16, "rxtx_factor": 1.5,
            "os-flavor-access:is_public": "False", "description": "small",
        }});
        let f = parse_create(&body, at(55)).unwrap();
        assert_eq!(
            (f.id.as_str(), f.ram, f.vcpus, f.disk, f.ephemeral, f.swap),
            ("7", 512, 2, 1, 3, 16)
        );
        assert!(!f.is_public);
        assert_eq!(f.rxtx_factor, 1.5);
        assert_eq!(f.description.as_deref(), Some("small"));
        let minimal = json!({"flavor": {"name": "f2", "ram": 1, "vcpus": 1, "disk": 0}});
        let f = parse_create(&minimal, at(1)).unwrap();
        assert_eq!(f.id.len(), 36, "a UUID is made when no id is given");
        assert!(f.is_public);
    }

    #[test]
    fn bad_bodies_are_refused_naming_the_field() {
        let cases = [
            (json!({}), at(1), "'flavor' is a required property"),
            (json!({"flavor": 1}), at(1), "is not of type 'object'"),
            (
                json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1}}),
                at(1),
                "'disk' is a required property",
            ),
            (
                json!({"flavor": {"name": "x", "ram": 0, "vcpus": 1, "disk": 0}}),
                at(1),
                "field/attribute ram. Value: 0. 0 is less than the minimum of 1",
            ),
            (
                json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": -1}}),
                at(1),
                "field/attribute disk",
            ),
            (
                json!({"flavor": {"name": "x", "ram": "a", "vcpus": 1, "disk": 0}}),
                at(1),
                "field/attribute ram",
            ),
            (
                json!({"flavor": {"name": " x", "ram": 1, "vcpus": 1, "disk": 0}}),
                at(1),
                "field/attribute name",
            ),
            (
                json!({"flavor": {"name": "x", "id": "a/b", "ram": 1, "vcpus": 1, "disk": 0}}),
                at(1),
                "field/attribute id",
            ),
            (
                json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0, "description": "d"}}),
                at(54),
                "('description' was unexpected)",
            ),
            (
                json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0, "rxtx_factor": 0}}),
                at(1),
                "field/attribute rxtx_factor",
            ),
            (
                json!({"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 0,
                    "os-flavor-access:is_public": "maybe"}}),
                at(1),
                "field/attribute os-flavor-access:is_public",
            ),
        ];
        for (body, version, expected) in cases {
            let err = parse_create(&body, version).unwrap_err();
            assert_eq!(err.status, 400, "{body}");
            assert!(err.message.contains(expected), "{body}: {}", err.message);
        }
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(
            object_body(&Bytes::from_static(b"{"))
                .unwrap_err()
                .message
                .contains("Malformed request body")
        );
        assert_eq!(
            object_body(&Bytes::from_static(b"[]")).unwrap_err().status,
            400
        );
    }
}
