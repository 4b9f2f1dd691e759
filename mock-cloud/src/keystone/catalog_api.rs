//! `/v3/regions`, `/v3/services` and `/v3/endpoints`: the catalog as records. Tokens'
//! catalogs follow them: a new endpoint shows in the next token, a disabled service or
//! endpoint leaves it. The cloud's own endpoints keep following the address it bound.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::admin::{
    Fields, conflict, endpoint_json, filtered, invalid, listing, member, merge_extra, new_id,
    not_found, pairs, passes, region_json, require_admin, service_json,
};
use super::directory::{Directory, Endpoint, INTERFACES, Region, Service};
use super::error;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// `GET /v3/regions`: any caller; `parent_region_id` filters.
pub(crate) async fn list_regions(
    State(state): State<AppState>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> Response {
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let regions: Vec<Value> = directory
        .regions
        .iter()
        .map(|r| region_json(&state, r))
        .filter(|r| passes(r, &query, &["parent_region_id"]))
        .collect();
    Json(listing(&state, "regions", "regions", regions)).into_response()
}

/// `GET /v3/regions/{id}`: any caller.
pub(crate) async fn show_region(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let directory = state.keystone.directory.read();
    let region = directory
        .region(&id)
        .ok_or_else(|| not_found("region", &id))?;
    Ok(Json(json!({"region": region_json(&state, region)})).into_response())
}

fn new_region(
    state: &AppState,
    body: &Map<String, Value>,
    id: String,
) -> Result<Response, ApiError> {
    let fields = Fields::new(body);
    let description = fields.nullable_string("description")?.flatten();
    let parent = fields.nullable_string("parent_region_id")?.flatten();
    let mut directory = state.keystone.directory.write();
    if directory.region(&id).is_some() {
        return Err(conflict("region", &format!("Duplicate ID, {id}.")));
    }
    if let Some(parent) = &parent
        && directory.region(parent).is_none()
    {
        return Err(not_found("region", parent));
    }
    let region = Region {
        id,
        description: description.unwrap_or_default(),
        parent_region_id: parent,
    };
    let doc = region_json(state, &region);
    directory.regions.push(region);
    Ok((StatusCode::CREATED, Json(json!({"region": doc}))).into_response())
}

/// `POST /v3/regions` (admins): with the id given, or a new one.
pub(crate) async fn create_region(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_region")?;
    let body = member(&body, "region")?;
    let id = Fields::new(&body)
        .optional_name("id", 255)?
        .unwrap_or_else(new_id);
    new_region(&state, &body, id)
}

/// `PUT /v3/regions/{id}` (admins).
pub(crate) async fn put_region(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_region")?;
    let body = member(&body, "region")?;
    if let Some(given) = Fields::new(&body).optional_name("id", 255)?
        && given != id
    {
        return Err(invalid(format!(
            "Conflicting region IDs specified: \"{id}\" != \"{given}\""
        )));
    }
    new_region(&state, &body, id)
}

/// Whether `ancestor` is `region` or above it.
fn is_at_or_above(directory: &Directory, ancestor: &str, region: &str) -> bool {
    let mut next = Some(region.to_owned());
    let mut seen = 0;
    while let Some(id) = next {
        if id == ancestor {
            return true;
        }
        seen += 1;
        if seen > directory.regions.len() {
            return false;
        }
        next = directory
            .region(&id)
            .and_then(|r| r.parent_region_id.clone());
    }
    false
}

/// `PATCH /v3/regions/{id}` (admins): description and parent (never a loop).
pub(crate) async fn update_region(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_region")?;
    let body = member(&body, "region")?;
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let description = fields.nullable_string("description")?;
    let parent = fields.nullable_string("parent_region_id")?;
    let mut directory = state.keystone.directory.write();
    let index = directory
        .regions
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| not_found("region", &id))?;
    if let Some(Some(parent)) = &parent {
        if directory.region(parent).is_none() {
            return Err(not_found("region", parent));
        }
        if is_at_or_above(&directory, &id, parent) {
            return Err(invalid(format!(
                "The specified parent region {parent} would create a circular region hierarchy."
            )));
        }
    }
    let region = &mut directory.regions[index];
    if let Some(description) = description {
        region.description = description.unwrap_or_default();
    }
    if let Some(parent) = parent {
        region.parent_region_id = parent;
    }
    let doc = region_json(&state, region);
    Ok(Json(json!({"region": doc})).into_response())
}

/// `DELETE /v3/regions/{id}` (admins): not while it or a region below has endpoints.
pub(crate) async fn delete_region(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_region")?;
    let mut directory = state.keystone.directory.write();
    if directory.region(&id).is_none() {
        return Err(not_found("region", &id));
    }
    let busy = directory.endpoints.iter().any(|e| {
        e.region_id
            .as_deref()
            .is_some_and(|r| is_at_or_above(&directory, &id, r))
    });
    if busy {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!(
                "Unable to delete region {id} because it or its child regions have associated \
                 endpoints."
            ),
        ));
    }
    let below: Vec<String> = directory
        .regions
        .iter()
        .filter(|r| is_at_or_above(&directory, &id, &r.id))
        .map(|r| r.id.clone())
        .collect();
    directory.regions.retain(|r| !below.contains(&r.id));
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v3/services` (admins): `type` and `name` filters.
pub(crate) async fn list_services(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_services")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let services = directory.services.iter().map(|s| service_json(&state, s));
    let allowed = ["type", "name", "enabled"];
    Ok(Json(filtered(
        &state, "services", "services", services, &query, &allowed,
    ))
    .into_response())
}

/// `POST /v3/services` (admins).
pub(crate) async fn create_service(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_service")?;
    let body = member(&body, "service")?;
    let fields = Fields::new(&body);
    let kind = fields.name("type", 255)?;
    let enabled = fields.boolean("enabled")?.unwrap_or(true);
    fields.optional_name("name", 255)?;
    let service = Service {
        id: new_id(),
        kind,
        enabled,
        extra: fields.extra(&["id", "type", "enabled"]),
    };
    let doc = service_json(&state, &service);
    state.keystone.directory.write().services.push(service);
    Ok((StatusCode::CREATED, Json(json!({"service": doc}))).into_response())
}

/// `GET /v3/services/{id}` (admins).
pub(crate) async fn show_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "get_service")?;
    let directory = state.keystone.directory.read();
    let service = directory
        .services
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| not_found("service", &id))?;
    Ok(Json(json!({"service": service_json(&state, service)})).into_response())
}

/// `PATCH /v3/services/{id}` (admins).
pub(crate) async fn update_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_service")?;
    let body = member(&body, "service")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let kind = fields.optional_name("type", 255)?;
    let enabled = fields.boolean("enabled")?;
    let extra = fields.extra(&["id", "type", "enabled"]);
    let mut directory = state.keystone.directory.write();
    let service = directory
        .services
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| not_found("service", &id))?;
    if let Some(kind) = kind {
        service.kind = kind;
    }
    if let Some(enabled) = enabled {
        service.enabled = enabled;
    }
    merge_extra(&mut service.extra, extra);
    let doc = service_json(&state, service);
    Ok(Json(json!({"service": doc})).into_response())
}

/// `DELETE /v3/services/{id}` (admins): its endpoints go too.
pub(crate) async fn delete_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_service")?;
    let mut directory = state.keystone.directory.write();
    if !directory.services.iter().any(|s| s.id == id) {
        return Err(not_found("service", &id));
    }
    directory.services.retain(|s| s.id != id);
    directory.endpoints.retain(|e| e.service_id != id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v3/endpoints` (admins): `service_id`, `interface` and `region_id` filters.
pub(crate) async fn list_endpoints(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_admin(&caller, "list_endpoints")?;
    let query = pairs(query.as_deref());
    let directory = state.keystone.directory.read();
    let endpoints: Vec<Value> = directory
        .endpoints
        .iter()
        .map(|e| endpoint_json(&state, e))
        .filter(|e| {
            passes(
                e,
                &query,
                &["service_id", "interface", "region_id", "enabled"],
            )
        })
        .collect();
    Ok(Json(listing(&state, "endpoints", "endpoints", endpoints)).into_response())
}

/// The checks an endpoint's fields get on create and update.
fn check_interface(interface: &str) -> Result<(), ApiError> {
    if INTERFACES.contains(&interface) {
        Ok(())
    } else {
        Err(invalid(format!(
            "Invalid input for field 'interface': '{interface}' is not one of ['admin', \
             'internal', 'public']"
        )))
    }
}

fn check_url(url: &str) -> Result<(), ApiError> {
    let scheme_ok = url.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && !rest.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if !scheme_ok {
        return Err(invalid(format!(
            "Invalid input for field 'url': '{url}' does not match '^[a-zA-Z0-9+.-]+:.+'"
        )));
    }
    if url.chars().count() > 225 {
        return Err(invalid(format!(
            "Invalid input for field 'url': '{url}' is too long"
        )));
    }
    Ok(())
}

fn missing_reference(attribute: &str, table: &str) -> ApiError {
    invalid(format!(
        "Expecting to find {attribute} in {table}. The server could not comply with the request \
         since it is either malformed or otherwise incorrect. The client is assumed to be in \
         error."
    ))
}

const ENDPOINT_FIELDS: [&str; 7] = [
    "id",
    "service_id",
    "interface",
    "url",
    "region_id",
    "region",
    "enabled",
];

/// `POST /v3/endpoints` (admins).
pub(crate) async fn create_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "create_endpoint")?;
    let body = member(&body, "endpoint")?;
    let fields = Fields::new(&body);
    let service_id = fields.name("service_id", 64)?;
    let interface = fields.name("interface", 64)?;
    check_interface(&interface)?;
    let url = match body.get("url") {
        Some(Value::String(url)) => url.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "Invalid input for field 'url': {other} is not of type 'string'"
            )));
        }
        None => return Err(invalid("'url' is a required property")),
    };
    check_url(&url)?;
    // `region` is the name older clients send.
    let region_id = match fields.nullable_string("region_id")? {
        Some(region) => region,
        None => fields.nullable_string("region")?.flatten(),
    };
    let enabled = fields.boolean("enabled")?.unwrap_or(true);
    let mut directory = state.keystone.directory.write();
    if let Some(region) = &region_id
        && directory.region(region).is_none()
    {
        return Err(missing_reference("endpoint region_id", "region table"));
    }
    if !directory.services.iter().any(|s| s.id == service_id) {
        return Err(missing_reference("endpoint service_id", "service table"));
    }
    let endpoint = Endpoint {
        id: new_id(),
        service_id,
        interface,
        region_id,
        url,
        enabled,
        extra: fields.extra(&ENDPOINT_FIELDS),
    };
    let doc = endpoint_json(&state, &endpoint);
    directory.endpoints.push(endpoint);
    Ok((StatusCode::CREATED, Json(json!({"endpoint": doc}))).into_response())
}

/// `GET /v3/endpoints/{id}` (admins).
pub(crate) async fn show_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "get_endpoint")?;
    let directory = state.keystone.directory.read();
    let endpoint = directory
        .endpoints
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| not_found("endpoint", &id))?;
    Ok(Json(json!({"endpoint": endpoint_json(&state, endpoint)})).into_response())
}

/// `PATCH /v3/endpoints/{id}` (admins).
pub(crate) async fn update_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_admin(&caller, "update_endpoint")?;
    let body = member(&body, "endpoint")?;
    if body.is_empty() {
        return Err(invalid("{} should be non-empty"));
    }
    let fields = Fields::new(&body);
    fields.refuse(&["id"])?;
    let service_id = fields.optional_name("service_id", 64)?;
    let interface = fields.optional_name("interface", 64)?;
    if let Some(interface) = &interface {
        check_interface(interface)?;
    }
    let url = fields.optional_name("url", 225)?;
    if let Some(url) = &url {
        check_url(url)?;
    }
    let region_id = match fields.nullable_string("region_id")? {
        Some(region) => Some(region),
        None => fields.nullable_string("region")?,
    };
    let enabled = fields.boolean("enabled")?;
    let extra = fields.extra(&ENDPOINT_FIELDS);
    let mut directory = state.keystone.directory.write();
    if let Some(Some(region)) = &region_id
        && directory.region(region).is_none()
    {
        return Err(missing_reference("endpoint region_id", "region table"));
    }
    if let Some(service) = &service_id
        && !directory.services.iter().any(|s| &s.id == service)
    {
        return Err(missing_reference("endpoint service_id", "service table"));
    }
    let endpoint = directory
        .endpoints
        .iter_mut()
        .find(|e| e.id == id)
        .ok_or_else(|| not_found("endpoint", &id))?;
    if let Some(service) = service_id {
        endpoint.service_id = service;
    }
    if let Some(interface) = interface {
        endpoint.interface = interface;
    }
    if let Some(url) = url {
        endpoint.url = url;
    }
    if let Some(region) = region_id {
        endpoint.region_id = region;
    }
    if let Some(enabled) = enabled {
        endpoint.enabled = enabled;
    }
    merge_extra(&mut endpoint.extra, extra);
    let doc = endpoint_json(&state, endpoint);
    Ok(Json(json!({"endpoint": doc})).into_response())
}

/// `DELETE /v3/endpoints/{id}` (admins).
pub(crate) async fn delete_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&caller, "delete_endpoint")?;
    let mut directory = state.keystone.directory.write();
    if !directory.endpoints.iter().any(|e| e.id == id) {
        return Err(not_found("endpoint", &id));
    }
    directory.endpoints.retain(|e| e.id != id);
    Ok(StatusCode::NO_CONTENT)
}
