//! Image records over HTTP: create, show, JSON-patch update, delete, tags,
//! deactivate/reactivate.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::data::IMPORT_METHODS;
use super::image::{
    DISALLOWED_ON_CREATE, Image, READ_ONLY, Status, bad_request, check_custom_key,
    check_key_writable, conflict, forbidden, image_not_found, is_base_writable, media_type_refused,
    not_authorized, not_found,
};
use super::policy;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// The JSON-patch media types Glance accepts, with their JSON-schema draft.
const PATCH_TYPES: &[(&str, u8)] = &[
    ("application/openstack-images-v2.0-json-patch", 4),
    ("application/openstack-images-v2.1-json-patch", 10),
];

fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(bad_request("Body expected in request."));
    }
    serde_json::from_slice(body).map_err(|_| bad_request("Malformed JSON in request body."))
}

/// Checks a create body as Glance's deserializer does: forbidden keys (403), the schema (400),
/// custom keys (400 when longer than 255 characters, 403 when reserved).
fn check_create_body(body: &Map<String, Value>) -> Result<(), ApiError> {
    for key in DISALLOWED_ON_CREATE {
        if body.contains_key(*key) {
            return Err(forbidden(format!("Attribute '{key}' is read-only.")));
        }
    }
    if let Some(id) = body.get("id") {
        let valid = id
            .as_str()
            .is_some_and(|s| s.len() == 36 && uuid::Uuid::parse_str(s).is_ok());
        if !valid {
            return Err(bad_request(format!(
                "Provided object does not match schema 'image': {id} does not match \
                 '^([0-9a-fA-F]){{8}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{12}}$'"
            )));
        }
    }
    for key in body.keys() {
        if !is_base_writable(key) && !READ_ONLY.contains(&key.as_str()) {
            check_custom_key(key)?;
        }
    }
    Ok(())
}

/// `POST /v2/images`: 201 + Location + `OpenStack-image-import-methods`.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Value::Object(body) = parse_json(&body)? else {
        return Err(bad_request(
            "Provided object does not match schema 'image': the body is not an object",
        ));
    };
    check_create_body(&body)?;
    if !caller.can_write() {
        return Err(not_authorized("add_image"));
    }
    let now = Timestamp::now();
    let id = match body.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let mut image = Image::new(id.clone(), caller.project_id.clone(), now);
    for (key, value) in &body {
        if key == "id" {
            continue;
        }
        if READ_ONLY.contains(&key.as_str()) {
            return Err(forbidden(format!("Attribute '{key}' is read-only.")));
        }
        image.set(key, value.clone())?;
    }
    if image.visibility == "public" && !caller.is_admin() {
        return Err(not_authorized("publicize_image"));
    }
    if image.owner != caller.project_id && !caller.is_admin() {
        return Err(forbidden(format!(
            "You are not permitted to create images owned by '{}'",
            image.owner.as_deref().unwrap_or("None")
        )));
    }
    let wire = {
        let mut images = state.glance.lock();
        if images.contains_key(&id) {
            return Err(conflict(format!(
                "Image with identifier {id} already exists!"
            )));
        }
        let wire = image.to_wire();
        state.glance.save(&image)?;
        images.insert(id.clone(), image);
        wire
    };
    let mut response = (StatusCode::CREATED, Json(wire)).into_response();
    let headers = response.headers_mut();
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/v2/images/{id}", state.glance.endpoint()))
    {
        headers.insert(header::LOCATION, location);
    }
    if let Ok(methods) = HeaderValue::from_str(&IMPORT_METHODS.join(",")) {
        headers.insert("openstack-image-import-methods", methods);
    }
    headers.insert(
        "openstack-image-store-ids",
        HeaderValue::from_static(super::image::STORE),
    );
    Ok(response)
}

/// `GET /v2/images/{id}`: 404 for anything the caller cannot see, non-UUID strings included.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let images = state.glance.lock();
    images
        .get(&id)
        .filter(|image| policy::can_see(&caller, image))
        .map(|image| Json(image.to_wire()))
        .ok_or_else(|| image_not_found(&id))
}

/// One JSON-patch operation, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    op: String,
    key: String,
    value: Option<Value>,
}

/// Parses and validates a JSON-patch document as Glance's deserializer does.
fn parse_changes(headers: &HeaderMap, body: &Bytes) -> Result<Vec<Change>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let Some(&(_, draft)) = PATCH_TYPES.iter().find(|(t, _)| *t == content_type) else {
        let accepted: Vec<&str> = PATCH_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(media_type_refused(&content_type, "").header(
            axum::http::HeaderName::from_static("accept-patch"),
            &accepted.join(", "),
        ));
    };
    let Value::Array(raw) = parse_json(body)? else {
        return Err(bad_request(
            "Request body must be a JSON array of operation objects.",
        ));
    };
    let mut changes = Vec::new();
    for raw in raw {
        let Value::Object(raw) = raw else {
            return Err(bad_request("Operations must be JSON objects."));
        };
        let (op, pointer) = if draft == 10 {
            let op = raw.get("op").and_then(Value::as_str).ok_or_else(|| {
                bad_request(
                    "Unable to find `op` in JSON Schema change. It must be one of the \
                     following: add, remove, replace.",
                )
            })?;
            if !matches!(op, "add" | "remove" | "replace") {
                return Err(bad_request(format!(
                    "Invalid operation: `{op}`. It must be one of the following: add, remove, replace."
                )));
            }
            let path = raw
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("Unable to find 'path' in JSON Schema change"))?;
            (op.to_owned(), path.to_owned())
        } else {
            let ops: Vec<&str> = ["add", "remove", "replace"]
                .into_iter()
                .filter(|op| raw.contains_key(*op))
                .collect();
            let [op] = ops.as_slice() else {
                return Err(bad_request(
                    "Operation objects must contain exactly one member named \"add\", \
                     \"remove\", or \"replace\".",
                ));
            };
            let path = raw[*op].as_str().unwrap_or_default();
            ((*op).to_owned(), path.to_owned())
        };
        let key = decode_pointer(&pointer)?;
        let value = if op == "remove" {
            None
        } else {
            Some(raw.get("value").cloned().ok_or_else(|| {
                bad_request(format!(
                    "Operation \"{op}\" requires a member named \"value\"."
                ))
            })?)
        };
        check_key_writable(&key)?;
        changes.push(Change { op, key, value });
    }
    Ok(changes)
}

/// Glance's limited JSON pointers: exactly one level (`/key`), `~0`/`~1` escapes.
fn decode_pointer(pointer: &str) -> Result<String, ApiError> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(bad_request(format!(
            "Pointer `{pointer}` does not start with \"/\"."
        )));
    };
    if pointer.len() > 1 && pointer.ends_with('/') {
        return Err(bad_request(format!("Pointer `{pointer}` end with \"/\".")));
    }
    let bad_escape = rest
        .match_indices('~')
        .any(|(i, _)| !matches!(rest.as_bytes().get(i + 1), Some(b'0' | b'1')));
    if bad_escape {
        return Err(bad_request(format!(
            "Pointer `{pointer}` contains \"~\" not part of a recognized escape sequence."
        )));
    }
    if rest.contains('/') {
        return Err(bad_request(format!(
            "Invalid JSON pointer for this resource: '{pointer}'"
        )));
    }
    Ok(rest.replace("~1", "/").replace("~0", "~").trim().to_owned())
}

/// Applies one change to a copy of the image, with Glance's per-key policy.
fn apply(image: &mut Image, caller: &Caller, change: Change) -> Result<(), ApiError> {
    let Change { op, key, value } = change;
    let Some(value) = value else {
        return image.remove(&key);
    };
    if op == "replace" && !is_base_writable(&key) && !image.properties.contains_key(&key) {
        return Err(conflict(format!("Property {key} does not exist.")));
    }
    match key.as_str() {
        "visibility" if value == "public" && image.visibility != "public" && !caller.is_admin() => {
            return Err(not_authorized("publicize_image"));
        }
        "owner" if image.get("owner").as_ref() != Some(&value) && !caller.is_admin() => {
            return Err(forbidden("Owner can't be updated by non admin."));
        }
        "disk_format" | "container_format"
            if image.status != Status::Queued && image.get(&key).as_ref() != Some(&value) =>
        {
            return Err(forbidden(format!(
                "Forbidden to modify '{key}' of {} image.",
                image.status.as_str()
            )));
        }
        _ => {}
    }
    image.set(&key, value)
}

/// `PATCH /v2/images/{id}`: 200 + the image.
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let changes = parse_changes(&headers, &body)?;
    let mut images = state.glance.lock();
    let image = images
        .get(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_not_found(&id))?;
    if !policy::can_modify(&caller, image) {
        return Err(not_authorized("modify_image"));
    }
    let mut updated = image.clone();
    for change in changes {
        apply(&mut updated, &caller, change)?;
    }
    updated.updated_at = Timestamp::now();
    let wire = updated.to_wire();
    state.glance.save(&updated)?;
    images.insert(id, updated);
    Ok(Json(wire))
}

/// `DELETE /v2/images/{id}`: 204; 403 when protected.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut images = state.glance.lock();
    let image = images
        .get(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| not_found(format!("Failed to find image {id} to delete")))?;
    if !policy::can_modify(&caller, image) {
        return Err(not_authorized("delete_image"));
    }
    if image.protected {
        return Err(forbidden(format!(
            "Image {id} is protected and cannot be deleted."
        )));
    }
    images.remove(&id);
    state.glance.forget(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `change` on an image the caller may modify, then saves. `missing` is the 404 for an
/// image the caller cannot see (each Glance controller words it its own way).
fn modify(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
    missing: ApiError,
    change: impl FnOnce(&mut Image) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut images = state.glance.lock();
    let Some(mut image) = images
        .get_mut(id)
        .filter(|image| policy::can_see(caller, image))
    else {
        return Err(missing);
    };
    if !policy::can_modify(caller, &image) {
        return Err(not_authorized(action));
    }
    change(&mut image)?;
    image.updated_at = Timestamp::now();
    state.glance.save(&image)
}

/// `PUT /v2/images/{id}/tags/{tag}`: 204 (adding a present tag is a no-op).
pub(crate) async fn add_tag(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let missing = not_found(format!("Image {id} not found."));
    modify(&state, &caller, &id, "modify_image", missing, |image| {
        if tag.chars().count() > 255 {
            return Err(bad_request(format!(
                "Provided object does not match schema 'image': '{tag}' is too long (in 'tags')"
            )));
        }
        if !image.tags.contains(&tag) {
            image.tags.push(tag.clone());
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v2/images/{id}/tags/{tag}`: 204; 404 when the image has no such tag.
pub(crate) async fn remove_tag(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let missing = not_found(format!("Image {id} not found."));
    modify(&state, &caller, &id, "modify_image", missing, |image| {
        let before = image.tags.len();
        image.tags.retain(|t| *t != tag);
        if image.tags.len() == before {
            // Glance raises a bare HTTPNotFound here: WebOb's default wording.
            return Err(not_found("The resource could not be found."));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{id}/actions/deactivate`: 204; active -> deactivated.
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    switch(
        &state,
        &caller,
        &id,
        "deactivate",
        Status::Active,
        Status::Deactivated,
    )
}

/// `POST /v2/images/{id}/actions/reactivate`: 204; deactivated -> active.
pub(crate) async fn reactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    switch(
        &state,
        &caller,
        &id,
        "reactivate",
        Status::Deactivated,
        Status::Active,
    )
}

fn switch(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
    from: Status,
    to: Status,
) -> Result<StatusCode, ApiError> {
    // Glance 33's defaults: admin or a member of the owning project.
    modify(state, caller, id, action, image_not_found(id), |image| {
        if image.status == to {
            return Ok(()); // Glance treats a repeat as a no-op.
        }
        if image.status != from {
            return Err(forbidden(format!(
                "Not allowed to {action} image in status '{}'",
                image.status.as_str()
            )));
        }
        image.status = to;
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openstack-images-v2.1-json-patch"),
        );
        h
    }

    #[test]
    fn patch_documents_are_validated_like_glance() {
        let ok = Bytes::from(
            json!([{"op": "add", "path": "/os_distro", "value": "cirros"},
                   {"op": "remove", "path": "/a~1b"}])
            .to_string(),
        );
        let changes = parse_changes(&patch_headers(), &ok).unwrap();
        assert_eq!(changes[1].key, "a/b");
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let err = parse_changes(&json, &ok).unwrap_err();
        assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(err.headers.contains_key("accept-patch"));
        let read_only =
            Bytes::from(json!([{"op": "replace", "path": "/size", "value": 1}]).to_string());
        assert_eq!(
            parse_changes(&patch_headers(), &read_only)
                .unwrap_err()
                .message,
            "Attribute 'size' is read-only."
        );
        let no_value = Bytes::from(json!([{"op": "add", "path": "/x"}]).to_string());
        assert_eq!(
            parse_changes(&patch_headers(), &no_value)
                .unwrap_err()
                .message,
            "Operation \"add\" requires a member named \"value\"."
        );
        let deep = Bytes::from(json!([{"op": "add", "path": "/a/b", "value": "v"}]).to_string());
        assert_eq!(
            parse_changes(&patch_headers(), &deep).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        let not_list = Bytes::from(json!({"op": "add"}).to_string());
        assert_eq!(
            parse_changes(&patch_headers(), &not_list)
                .unwrap_err()
                .message,
            "Request body must be a JSON array of operation objects."
        );
    }

    #[test]
    fn create_bodies_are_policed_like_glance() {
        let body = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            check_create_body(&body(json!({"self": "x"})))
                .unwrap_err()
                .message,
            "Attribute 'self' is read-only."
        );
        assert_eq!(
            check_create_body(&body(json!({"id": "not-a-uuid"})))
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            check_create_body(&body(json!({"deleted": "x"})))
                .unwrap_err()
                .message,
            "Attribute 'deleted' is reserved."
        );
        assert!(check_create_body(&body(json!({"name": "n", "os_distro": "x"}))).is_ok());
    }
}
