//! Flavor writes: create, describe, delete; extra specs; who may use a private flavor
//! (`os-flavor-access` and the `addTenantAccess` / `removeTenantAccess` actions).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::super::ids::FlavorId;
use super::super::microversion::Microversion;
use super::compute;
use crate::error::{Error, Result};
use crate::request::{Request, segment};

/// A flavor to create (`POST /flavors`). Unset fields are left to Nova's defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlavorSpec {
    /// The name, unique in the cloud.
    pub(crate) name: String,
    /// Memory, MiB (at least 1).
    pub(crate) ram: u64,
    /// Virtual CPUs (at least 1).
    pub(crate) vcpus: u32,
    /// Root disk, GiB (0: the image's size).
    pub(crate) disk: u64,
    /// The id; `None` lets Nova make a UUID.
    pub(crate) id: Option<FlavorId>,
    /// Ephemeral disk, GiB.
    pub(crate) ephemeral: Option<u64>,
    /// Swap, MiB.
    pub(crate) swap: Option<u64>,
    /// The network bandwidth factor (above 0).
    pub(crate) rxtx_factor: Option<f64>,
    /// Whether every project may use it.
    pub(crate) is_public: Option<bool>,
    /// A description (2.55 and later).
    pub(crate) description: Option<String>,
}

fn flavor_path(id: &FlavorId) -> String {
    format!("/flavors/{}", segment(id.as_str()))
}

fn needs_description(what: &str, version: Microversion) -> Result<()> {
    if version < Microversion::FLAVOR_DESCRIPTION {
        return Err(Error::invalid_input(format!(
            "{what}: a description needs compute microversion {} or later (in force: {version})",
            Microversion::FLAVOR_DESCRIPTION
        )));
    }
    Ok(())
}

/// `POST /flavors`. Sizes, names and ids are left to Nova's schema, whose 400 names the
/// field at fault (so a client shows Nova's own words); only what this client can know
/// better is refused here: a description at a microversion without one, a factor that is
/// not a number.
pub(crate) fn create_flavor(spec: &FlavorSpec, version: Microversion) -> Result<Request> {
    let what = format!("flavor {:?}", spec.name);
    let mut flavor = Map::new();
    flavor.insert("name".into(), json!(spec.name));
    flavor.insert("ram".into(), json!(spec.ram));
    flavor.insert("vcpus".into(), json!(spec.vcpus));
    flavor.insert("disk".into(), json!(spec.disk));
    if let Some(id) = &spec.id {
        flavor.insert("id".into(), json!(id.as_str()));
    }
    if let Some(ephemeral) = spec.ephemeral {
        flavor.insert("OS-FLV-EXT-DATA:ephemeral".into(), json!(ephemeral));
    }
    if let Some(swap) = spec.swap {
        flavor.insert("swap".into(), json!(swap));
    }
    if let Some(factor) = spec.rxtx_factor {
        if !factor.is_finite() {
            return Err(Error::invalid_input(format!(
                "{what}: rxtx_factor {factor} is not a number"
            )));
        }
        flavor.insert("rxtx_factor".into(), json!(factor));
    }
    if let Some(public) = spec.is_public {
        flavor.insert("os-flavor-access:is_public".into(), json!(public));
    }
    if let Some(description) = &spec.description {
        needs_description(&what, version)?;
        flavor.insert("description".into(), json!(description));
    }
    Ok(compute(http::Method::POST, "/flavors".into(), version).json(json!({ "flavor": flavor })))
}

/// `PUT /flavors/{id}` with a new description (`None` clears it); 2.55 and later.
pub(crate) fn update_flavor_description(
    id: &FlavorId,
    description: Option<&str>,
    version: Microversion,
) -> Result<Request> {
    needs_description(&format!("flavor {id}"), version)?;
    Ok(compute(http::Method::PUT, flavor_path(id), version)
        .json(json!({ "flavor": { "description": description } })))
}

/// `DELETE /flavors/{id}`.
pub(crate) fn delete_flavor(id: &FlavorId, version: Microversion) -> Request {
    compute(http::Method::DELETE, flavor_path(id), version)
}

/// `GET /flavors/{id}/os-extra_specs`.
pub(crate) fn list_extra_specs(id: &FlavorId, version: Microversion) -> Request {
    compute(
        http::Method::GET,
        format!("{}/os-extra_specs", flavor_path(id)),
        version,
    )
}

fn spec_path(id: &FlavorId, key: &str) -> Result<String> {
    // An empty key would address the whole list instead; other keys Nova's schema judges.
    if key.is_empty() {
        return Err(Error::invalid_input(format!(
            "flavor {id}: an extra spec key is empty"
        )));
    }
    Ok(format!(
        "{}/os-extra_specs/{}",
        flavor_path(id),
        segment(key)
    ))
}

/// `GET /flavors/{id}/os-extra_specs/{key}`.
pub(crate) fn show_extra_spec(id: &FlavorId, key: &str, version: Microversion) -> Result<Request> {
    Ok(compute(http::Method::GET, spec_path(id, key)?, version))
}

/// `POST /flavors/{id}/os-extra_specs`: `specs` merged into the flavor's.
pub(crate) fn set_extra_specs(
    id: &FlavorId,
    specs: &BTreeMap<String, String>,
    version: Microversion,
) -> Result<Request> {
    if specs.is_empty() {
        return Err(Error::invalid_input(format!(
            "flavor {id}: no extra specs to set"
        )));
    }
    if specs.keys().any(String::is_empty) {
        return Err(Error::invalid_input(format!(
            "flavor {id}: an extra spec key is empty"
        )));
    }
    Ok(compute(
        http::Method::POST,
        format!("{}/os-extra_specs", flavor_path(id)),
        version,
    )
    .json(json!({ "extra_specs": specs })))
}

/// `DELETE /flavors/{id}/os-extra_specs/{key}`.
pub(crate) fn delete_extra_spec(
    id: &FlavorId,
    key: &str,
    version: Microversion,
) -> Result<Request> {
    Ok(compute(http::Method::DELETE, spec_path(id, key)?, version))
}

/// `GET /flavors/{id}/os-flavor-access`.
pub(crate) fn list_flavor_access(id: &FlavorId, version: Microversion) -> Request {
    compute(
        http::Method::GET,
        format!("{}/os-flavor-access", flavor_path(id)),
        version,
    )
}

/// `POST /flavors/{id}/action` giving (`add`) or taking back a project's access.
pub(crate) fn flavor_access_action(
    id: &FlavorId,
    project_id: &str,
    add: bool,
    version: Microversion,
) -> Result<Request> {
    if project_id.trim().is_empty() || project_id.chars().count() > 255 {
        return Err(Error::invalid_input(format!(
            "flavor {id}: project id {project_id:?} must be 1 to 255 characters"
        )));
    }
    let action = if add {
        "addTenantAccess"
    } else {
        "removeTenantAccess"
    };
    let mut body = Map::new();
    body.insert(action.into(), json!({ "tenant": project_id }));
    Ok(compute(
        http::Method::POST,
        format!("{}/action", flavor_path(id)),
        version,
    )
    .json(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const VERSIONS: [Microversion; 3] = [
        Microversion(2, 1),
        Microversion::FLAVOR_DESCRIPTION,
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

    fn minimal() -> FlavorSpec {
        FlavorSpec {
            name: "m1.test".into(),
            ram: 256,
            vcpus: 1,
            disk: 0,
            id: None,
            ephemeral: None,
            swap: None,
            rxtx_factor: None,
            is_public: None,
            description: None,
        }
    }

    fn id() -> FlavorId {
        FlavorId::new("my flavor/1")
    }

    #[test]
    fn flavor_writes() {
        insta::assert_json_snapshot!(
            "create_flavor_minimal",
            by_version(|v| create_flavor(&minimal(), v).unwrap())
        );
        let full = FlavorSpec {
            id: Some(FlavorId::new("f-1")),
            ephemeral: Some(2),
            swap: Some(512),
            rxtx_factor: Some(1.5),
            is_public: Some(false),
            description: Some("for tests".into()),
            ..minimal()
        };
        insta::assert_json_snapshot!(
            "create_flavor_full",
            serde_json::to_value(
                create_flavor(&full, Microversion::CLIENT_MAX)
                    .unwrap()
                    .redacted()
            )
            .unwrap()
        );
        insta::assert_json_snapshot!(
            "update_flavor_description",
            serde_json::to_value(
                update_flavor_description(&id(), Some("new"), Microversion::CLIENT_MAX)
                    .unwrap()
                    .redacted()
            )
            .unwrap()
        );
        insta::assert_json_snapshot!("delete_flavor", by_version(|v| delete_flavor(&id(), v)));
    }

    #[test]
    fn extra_specs_and_access() {
        insta::assert_json_snapshot!(
            "list_extra_specs",
            by_version(|v| list_extra_specs(&id(), v))
        );
        insta::assert_json_snapshot!(
            "show_extra_spec",
            by_version(|v| show_extra_spec(&id(), "hw:cpu policy", v).unwrap())
        );
        let specs = BTreeMap::from([
            ("hw:cpu_policy".to_owned(), "dedicated".to_owned()),
            ("a".to_owned(), "b".to_owned()),
        ]);
        insta::assert_json_snapshot!(
            "set_extra_specs",
            by_version(|v| set_extra_specs(&id(), &specs, v).unwrap())
        );
        insta::assert_json_snapshot!(
            "delete_extra_spec",
            by_version(|v| delete_extra_spec(&id(), "a", v).unwrap())
        );
        insta::assert_json_snapshot!(
            "list_flavor_access",
            by_version(|v| list_flavor_access(&id(), v))
        );
        insta::assert_json_snapshot!(
            "add_flavor_access",
            by_version(|v| flavor_access_action(&id(), "p-1", true, v).unwrap())
        );
        insta::assert_json_snapshot!(
            "remove_flavor_access",
            by_version(|v| flavor_access_action(&id(), "p-1", false, v).unwrap())
        );
    }

    #[test]
    fn bad_input_is_refused_before_sending() {
        let v = Microversion::CLIENT_MAX;
        let cases: Vec<(Result<Request>, &str)> = vec![
            (
                create_flavor(
                    &FlavorSpec {
                        rxtx_factor: Some(f64::NAN),
                        ..minimal()
                    },
                    v,
                ),
                "flavor \"m1.test\": rxtx_factor NaN is not a number",
            ),
            (
                create_flavor(
                    &FlavorSpec {
                        description: Some("d".into()),
                        ..minimal()
                    },
                    Microversion(2, 54),
                ),
                "a description needs compute microversion 2.55 or later (in force: 2.54)",
            ),
            (
                update_flavor_description(&id(), None, Microversion(2, 1)),
                "flavor my flavor/1: a description needs compute microversion 2.55",
            ),
            (
                set_extra_specs(&id(), &BTreeMap::new(), v),
                "no extra specs to set",
            ),
            (
                set_extra_specs(&id(), &BTreeMap::from([(String::new(), "c".to_owned())]), v),
                "flavor my flavor/1: an extra spec key is empty",
            ),
            (
                delete_extra_spec(&id(), "", v),
                "an extra spec key is empty",
            ),
            (
                flavor_access_action(&id(), " ", true, v),
                "project id \" \" must be",
            ),
        ];
        for (result, expected) in cases {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput);
            assert!(err.message().contains(expected), "{err} / {expected}");
        }
    }
}
