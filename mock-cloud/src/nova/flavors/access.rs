//! Who may use a private flavor: `GET /flavors/{id}/os-flavor-access` and
//! `POST /flavors/{id}/action` with `addTenantAccess` / `removeTenantAccess` (admin only).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Flavor;
use super::manage::{invalid, object_body};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Table};
use crate::errors::ApiError;
use crate::nova::microversion::Microversion;
use crate::nova::{bad_request, conflict, not_found, policy_forbids};

fn access_list(flavor: &Flavor) -> Value {
    let entries: Vec<Value> = flavor
        .projects
        .iter()
        .map(|p| json!({"flavor_id": flavor.id, "tenant_id": p}))
        .collect();
    json!({ "flavor_access": entries })
}

/// `GET /flavors/{id}/os-flavor-access` (admin): 404 for public flavors, which have no list.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.is_admin() {
        return Err(policy_forbids("os_compute_api:os-flavor-access"));
    }
    let flavor = state
        .nova
        .flavor(&id)
        .ok_or_else(|| not_found(format!("Flavor {id} could not be found.")))?;
    if flavor.is_public {
        return Err(not_found("Access list not available for public flavors."));
    }
    Ok(axum::Json(access_list(&flavor)).into_response())
}

/// The project an access action names, after Nova's schema: `{"<action>": {"tenant": "..."}}`.
fn tenant(body: &Value, action: &str) -> Result<String, ApiError> {
    let inner = &body[action];
    let fields = inner
        .as_object()
        .ok_or_else(|| invalid(action, inner, &format!("{inner} is not of type 'object'")))?;
    if let Some(other) = fields.keys().find(|k| *k != "tenant") {
        return Err(invalid(
            action,
            inner,
            &format!("Additional properties are not allowed ('{other}' was unexpected)"),
        ));
    }
    let value = fields
        .get("tenant")
        .ok_or_else(|| invalid(action, inner, "'tenant' is a required property"))?;
    match value.as_str() {
        Some(t) if (1..=255).contains(&t.chars().count()) => Ok(t.to_owned()),
        _ => Err(invalid(
            "tenant",
            value,
            &format!("{value} is not a project id of 1 to 255 characters"),
        )),
    }
}

/// `POST /flavors/{id}/action`: 200 and the flavor's access list after the change.
pub(crate) async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object_body(&body)?;
    let name = body
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .unwrap_or_default();
    let adding = match name.as_str() {
        "addTenantAccess" => true,
        "removeTenantAccess" => false,
        other => return Err(bad_request(format!("There is no such action: {other}"))),
    };
    let project = tenant(&body, &name)?;
    if !caller.is_admin() {
        let rule = if adding {
            "add_tenant_access"
        } else {
            "remove_tenant_access"
        };
        return Err(policy_forbids(&format!(
            "os_compute_api:os-flavor-access:{rule}"
        )));
    }
    // Nova asks Keystone whether the project exists (by id, never by name).
    if state.keystone.project_id(&project).as_deref() != Some(project.as_str()) {
        return Err(bad_request(format!(
            "Project ID {project} is not a valid project."
        )));
    }
    let mut inner = state.nova.lock();
    let flavor = inner
        .flavors
        .iter_mut()
        .find(|f| f.id == id)
        .ok_or_else(|| not_found(format!("Flavor {id} could not be found.")))?;
    let known = flavor.projects.iter().position(|p| *p == project);
    match (adding, known) {
        (true, _) if flavor.is_public && version.at_least(7) => {
            return Err(conflict("Can not add access to a public flavor."));
        }
        (true, Some(_)) => {
            return Err(conflict(format!(
                "Flavor access already exists for flavor {id} and project {project} combination."
            )));
        }
        (true, None) => flavor.projects.push(project),
        (false, Some(index)) => {
            flavor.projects.remove(index);
        }
        (false, None) => {
            return Err(not_found(format!(
                "Flavor access not found for {id} / {project} combination."
            )));
        }
    }
    state
        .nova
        .submit(Change::new().put(Table::NovaFlavors, &flavor.id, &*flavor));
    Ok(axum::Json(access_list(flavor)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_is_read_from_the_action() {
        let body = json!({"addTenantAccess": {"tenant": "p1"}});
        assert_eq!(tenant(&body, "addTenantAccess").unwrap(), "p1");
        for (bad, expected) in [
            (
                json!({"addTenantAccess": {}}),
                "'tenant' is a required property",
            ),
            (json!({"addTenantAccess": "p"}), "is not of type 'object'"),
            (
                json!({"addTenantAccess": {"tenant": ""}}),
                "field/attribute tenant",
            ),
            (
                json!({"addTenantAccess": {"tenant": "p", "x": 1}}),
                "('x' was unexpected)",
            ),
        ] {
            let err = tenant(&bad, "addTenantAccess").unwrap_err();
            assert!(err.message.contains(expected), "{bad}: {}", err.message);
        }
    }
}
