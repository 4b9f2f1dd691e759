//! What Glance says about itself: the version document, the JSON schemas, `/v2/info/*`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::data::IMPORT_METHODS;
use super::image::not_found;
use super::image::{CONTAINER_FORMATS, DISK_FORMATS, STORE};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// The versions Glance 33 publishes, in its order, when it runs as this one does (multi-store
/// `enabled_backends`, no image cache): 2.14 and 2.16 (cache API) are missing and CURRENT is
/// not first. Clients must pick the CURRENT (or highest) entry, not the first.
const PUBLISHED: [(&str, &str); 16] = [
    ("2.15", "SUPPORTED"),
    ("2.13", "SUPPORTED"),
    ("2.12", "SUPPORTED"),
    ("2.11", "SUPPORTED"),
    ("2.10", "SUPPORTED"),
    ("2.9", "SUPPORTED"),
    ("2.8", "SUPPORTED"),
    ("2.17", "CURRENT"),
    ("2.7", "SUPPORTED"),
    ("2.6", "SUPPORTED"),
    ("2.5", "SUPPORTED"),
    ("2.4", "SUPPORTED"),
    ("2.3", "SUPPORTED"),
    ("2.2", "SUPPORTED"),
    ("2.1", "SUPPORTED"),
    ("2.0", "SUPPORTED"),
];

fn version_list(state: &AppState) -> Value {
    let href = format!("{}/v2/", state.glance.endpoint());
    let versions: Vec<Value> = PUBLISHED
        .iter()
        .map(|(id, status)| {
            json!({
                "id": format!("v{id}"),
                "status": status,
                "links": [{"rel": "self", "href": href}],
            })
        })
        .collect();
    json!({ "versions": versions })
}

/// `GET /image`: 300 `{"versions": [...]}` (a choice to make).
pub(crate) async fn versions(State(state): State<AppState>) -> Response {
    (StatusCode::MULTIPLE_CHOICES, Json(version_list(&state))).into_response()
}

/// `GET /image/v2`: Glance 33 has no document here. Behind the token check (401 without
/// one), its router redirects to `/v2/`, which is a 404. Clients discover from the root.
pub(crate) async fn v2_root(State(state): State<AppState>, _caller: Caller) -> Response {
    let target = format!("{}/v2/", state.glance.endpoint());
    // Its empty body is declared as text, as WebOb does.
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, target),
            (header::CONTENT_TYPE, "text/plain; charset=UTF-8".to_owned()),
        ],
    )
        .into_response()
}

/// `GET /image/v2/`: a 404 (with a token; 401 without one), as in Glance 33.
pub(crate) async fn v2_root_slash(_caller: Caller) -> ApiError {
    not_found("The resource could not be found.")
}

/// `GET /image/versions`: the same list, but asked for explicitly, so 200.
pub(crate) async fn versions_explicit(State(state): State<AppState>) -> Response {
    (StatusCode::OK, Json(version_list(&state))).into_response()
}

const UUID_PATTERN: &str =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

/// The `locations` property (Glance's location API; this Glance never shows locations).
fn locations_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "maxLength": 255},
                "metadata": {"type": "object"},
                "validation_data": {
                    "description": "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.",
                    "type": "object",
                    "writeOnly": true,
                    "additionalProperties": false,
                    "properties": {
                        "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                        "os_hash_algo": {"type": "string", "maxLength": 64},
                        "os_hash_value": {"type": "string", "maxLength": 128},
                    },
                    "required": ["os_hash_algo", "os_hash_value"],
                },
            },
            "required": ["url", "metadata"],
        },
        "description": "A set of URLs to access the image file kept in external store",
    })
}

/// The image schema (Glance's `get_schema()`: base properties, string extras).
pub(crate) fn image_schema_value() -> Value {
    let read_only = |kind: Value, description: &str| json!({"type": kind, "readOnly": true, "description": description});
    let mut disk: Vec<Value> = vec![Value::Null];
    disk.extend(DISK_FORMATS.iter().map(|f| json!(f)));
    let mut container: Vec<Value> = vec![Value::Null];
    container.extend(CONTAINER_FORMATS.iter().map(|f| json!(f)));
    json!({
        "name": "image",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
            "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
            "status": {"type": "string", "readOnly": true, "description": "Status of the image",
                       "enum": ["queued", "saving", "active", "killed", "deleted", "uploading",
                                "importing", "pending_delete", "deactivated"]},
            "visibility": {"type": "string", "description": "Scope of image accessibility",
                           "enum": ["community", "public", "private", "shared"]},
            "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
            "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
            "checksum": {"type": ["null", "string"], "readOnly": true, "description": "md5 hash of image contents.", "maxLength": 32},
            "os_hash_algo": {"type": ["null", "string"], "readOnly": true, "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
            "os_hash_value": {"type": ["null", "string"], "readOnly": true, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", "maxLength": 128},
            "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
            "size": read_only(json!(["null", "integer"]), "Size of image file in bytes"),
            "virtual_size": read_only(json!(["null", "integer"]), "Virtual size of image in bytes"),
            "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": container},
            "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": disk},
            "created_at": read_only(json!("string"), "Date and time of image registration"),
            "updated_at": read_only(json!("string"), "Date and time of the last image modification"),
            "tags": {"type": "array", "description": "List of strings related to the image",
                     "items": {"type": "string", "maxLength": 255}},
            "direct_url": read_only(json!("string"), "URL to access the image file kept in external store"),
            "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
            "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
            "self": read_only(json!("string"), "An image self url"),
            "file": read_only(json!("string"), "An image file url"),
            "stores": read_only(json!("string"), "Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers."),
            "schema": read_only(json!("string"), "An image schema url"),
            "locations": locations_schema(),
        },
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    })
}

/// `GET /v2/schemas/image`.
pub(crate) async fn image_schema() -> Json<Value> {
    Json(image_schema_value())
}

/// `GET /v2/schemas/images`.
pub(crate) async fn images_schema() -> Json<Value> {
    Json(json!({
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema_value()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }))
}

fn member_schema_value() -> Value {
    json!({
        "name": "member",
        "properties": {
            "created_at": {"type": "string", "description": "Date and time of image member creation"},
            "image_id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
            "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
            "schema": {"type": "string", "readOnly": true},
            "status": {"type": "string", "description": "The status of this image member",
                       "enum": ["pending", "accepted", "rejected"]},
            "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
        },
    })
}

/// `GET /v2/schemas/member`.
pub(crate) async fn member_schema() -> Json<Value> {
    Json(member_schema_value())
}

/// `GET /v2/schemas/members`.
pub(crate) async fn members_schema() -> Json<Value> {
    Json(json!({
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member_schema_value()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "self", "href": "{schema}"}],
    }))
}

/// `GET /v2/info/import`: the enabled import methods.
pub(crate) async fn import_info() -> Json<Value> {
    Json(json!({
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": IMPORT_METHODS,
        }
    }))
}

/// `GET /v2/info/stores`: the one store, the default.
pub(crate) async fn stores_info() -> Json<Value> {
    Json(json!({"stores": [{"id": STORE, "default": "true"}]}))
}
