//! One image record: its fields, its wire form, the status machine, and the rules Glance
//! applies to the keys a client sends (forbidden, read-only, reserved, schema).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::errors::{ApiError, Service};

/// Disk formats Glance accepts (`image_format.disk_formats`).
pub(crate) const DISK_FORMATS: &[&str] = &[
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];

/// Container formats Glance accepts (`image_format.container_formats`).
pub(crate) const CONTAINER_FORMATS: &[&str] = &[
    "ami",
    "ari",
    "aki",
    "bare",
    "ovf",
    "ova",
    "docker",
    "compressed",
];

/// Visibilities.
pub(crate) const VISIBILITIES: &[&str] = &["community", "public", "private", "shared"];

/// Keys a create request may not carry at all (Glance's `_disallowed_properties`).
pub(crate) const DISALLOWED_ON_CREATE: &[&str] =
    &["direct_url", "self", "file", "schema", "stores"];

/// Keys the server computes (`ImageFactory._readonly_properties` + the PATCH list).
pub(crate) const READ_ONLY: &[&str] = &[
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "direct_url",
    "self",
    "file",
    "schema",
    "id",
    "stores",
];

/// Keys nobody may set (`_reserved_properties`), plus the `os_glance` namespace.
pub(crate) const RESERVED: &[&str] = &["location", "deleted", "deleted_at"];

/// Glance's reserved namespace for its own bookkeeping properties.
pub(crate) const RESERVED_NAMESPACE: &str = "os_glance";

/// The one store of this Glance (multi-store mode, `enabled_backends = fs:file`, as current
/// deployments and the conformance reference configure it).
pub(crate) const STORE: &str = "fs";

/// Where an image is in its life (WIRE.md "Status machine").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Created, no data yet.
    Queued,
    /// Data is being uploaded with PUT /file.
    Saving,
    /// Data staged with PUT /stage, waiting for an import.
    Uploading,
    /// An import is moving staged data into the store.
    Importing,
    /// Data stored; usable.
    Active,
    /// An upload failed in a way that cannot be retried.
    Killed,
    /// Gone.
    Deleted,
    /// Delayed delete in progress.
    PendingDelete,
    /// Data download refused until reactivated.
    Deactivated,
}

impl Status {
    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Saving => "saving",
            Status::Uploading => "uploading",
            Status::Importing => "importing",
            Status::Active => "active",
            Status::Killed => "killed",
            Status::Deleted => "deleted",
            Status::PendingDelete => "pending_delete",
            Status::Deactivated => "deactivated",
        }
    }

    /// Whether Glance's status machine allows `self -> to`.
    pub(crate) fn may_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Queued, Saving | Uploading | Importing | Active | Deleted)
                | (Saving, Active | Killed | Deleted | Queued)
                | (Uploading, Importing | Queued | Deleted)
                | (Importing, Active | Deleted | Queued)
                | (Active, PendingDelete | Deleted | Deactivated)
                | (Deactivated, Active | Deleted)
                | (Killed, Deleted)
        )
    }

    /// 409 unless `self -> to` is allowed, with Glance's message.
    pub(crate) fn check_transition(self, to: Status) -> Result<(), ApiError> {
        if self.may_become(to) {
            Ok(())
        } else {
            Err(conflict(format!(
                "Image status transition from {} to {} is not allowed",
                self.as_str(),
                to.as_str()
            )))
        }
    }
}

/// One membership of a shared image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    /// The member project's id.
    pub(crate) member_id: String,
    /// `pending`, `accepted` or `rejected`.
    pub(crate) status: String,
    /// When the membership was made.
    pub(crate) created_at: Timestamp,
    /// When its status last changed.
    pub(crate) updated_at: Timestamp,
}

/// Data staged with PUT /stage, kept (in the store's staging area) until an import moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Staged {
    /// Bytes staged.
    pub(crate) size: u64,
}

/// An image as Glance keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Image {
    /// UUID.
    pub(crate) id: String,
    /// Display name (not unique).
    pub(crate) name: Option<String>,
    /// Where it is in its life.
    pub(crate) status: Status,
    /// public | community | shared | private.
    pub(crate) visibility: String,
    /// A protected image cannot be deleted.
    pub(crate) protected: bool,
    /// Hidden from default lists.
    pub(crate) os_hidden: bool,
    /// md5 hex of the data.
    pub(crate) checksum: Option<String>,
    /// `sha512` once data is stored.
    pub(crate) os_hash_algo: Option<String>,
    /// sha512 hex of the data.
    pub(crate) os_hash_value: Option<String>,
    /// Bytes of data.
    pub(crate) size: Option<u64>,
    /// Size of the disk the data describes.
    pub(crate) virtual_size: Option<u64>,
    /// Minimum disk (GB) to boot it.
    pub(crate) min_disk: u64,
    /// Minimum RAM (MB) to boot it.
    pub(crate) min_ram: u64,
    /// Owning project id.
    pub(crate) owner: Option<String>,
    /// Container format.
    pub(crate) container_format: Option<String>,
    /// Disk format.
    pub(crate) disk_format: Option<String>,
    /// Tags, in the order they were added, without duplicates.
    pub(crate) tags: Vec<String>,
    /// Creation time (full precision internally, so creation order sorts exactly).
    pub(crate) created_at: Timestamp,
    /// Last change.
    pub(crate) updated_at: Timestamp,
    /// Extra properties: always strings.
    pub(crate) properties: BTreeMap<String, String>,
    /// Members, when shared.
    pub(crate) members: Vec<Member>,
    /// Data staged for an import.
    pub(crate) staged: Option<Staged>,
}

/// Glance's timestamps: seconds and `Z`.
pub(crate) fn glance_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `ts` truncated to whole seconds, as Glance's database stores it.
pub(crate) fn whole_seconds(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

impl Image {
    /// A fresh queued image owned by `owner`.
    pub(crate) fn new(id: String, owner: Option<String>, now: Timestamp) -> Image {
        Image {
            id,
            name: None,
            status: Status::Queued,
            visibility: "shared".to_owned(),
            protected: false,
            os_hidden: false,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            size: None,
            virtual_size: None,
            min_disk: 0,
            min_ram: 0,
            owner,
            container_format: None,
            disk_format: None,
            tags: Vec::new(),
            created_at: now,
            updated_at: now,
            properties: BTreeMap::new(),
            members: Vec::new(),
            staged: None,
        }
    }

    /// The JSON Glance answers for this image.
    pub(crate) fn to_wire(&self) -> Value {
        let mut view = Map::new();
        for (key, value) in &self.properties {
            view.insert(key.clone(), Value::String(value.clone()));
        }
        let base = json!({
            "id": self.id,
            "name": self.name,
            "status": self.status.as_str(),
            "visibility": self.visibility,
            "protected": self.protected,
            "os_hidden": self.os_hidden,
            "checksum": self.checksum,
            "os_hash_algo": self.os_hash_algo,
            "os_hash_value": self.os_hash_value,
            "size": self.size,
            "virtual_size": self.virtual_size,
            "min_disk": self.min_disk,
            "min_ram": self.min_ram,
            "owner": self.owner,
            "container_format": self.container_format,
            "disk_format": self.disk_format,
            "tags": self.tags,
            "created_at": glance_time(self.created_at),
            "updated_at": glance_time(self.updated_at),
            "self": format!("/v2/images/{}", self.id),
            "file": format!("/v2/images/{}/file", self.id),
            "schema": "/v2/schemas/image",
        });
        if let Value::Object(base) = base {
            view.extend(base);
        }
        if self.has_data() {
            view.insert("stores".to_owned(), Value::String(STORE.to_owned()));
        }
        Value::Object(view)
    }

    /// The value of a base field or extra property, for PATCH and filters (`None` = absent).
    pub(crate) fn get(&self, key: &str) -> Option<Value> {
        match key {
            "name" => Some(json!(self.name)),
            "visibility" => Some(json!(self.visibility)),
            "protected" => Some(json!(self.protected)),
            "os_hidden" => Some(json!(self.os_hidden)),
            "min_disk" => Some(json!(self.min_disk)),
            "min_ram" => Some(json!(self.min_ram)),
            "owner" => Some(json!(self.owner)),
            "container_format" => Some(json!(self.container_format)),
            "disk_format" => Some(json!(self.disk_format)),
            "tags" => Some(json!(self.tags)),
            other => self.properties.get(other).map(|v| Value::String(v.clone())),
        }
    }

    /// Sets a writable base field or an extra property, validating it as Glance's schema does.
    pub(crate) fn set(&mut self, key: &str, value: Value) -> Result<(), ApiError> {
        match key {
            "name" => self.name = nullable_string(key, &value, Some(255))?,
            "visibility" => self.visibility = enum_value(key, &value, VISIBILITIES)?,
            "protected" => self.protected = boolean(key, &value)?,
            "os_hidden" => self.os_hidden = boolean(key, &value)?,
            "min_disk" => self.min_disk = integer(key, &value)?,
            "min_ram" => self.min_ram = integer(key, &value)?,
            "owner" => self.owner = nullable_string(key, &value, Some(255))?,
            "container_format" => {
                self.container_format = nullable_enum(key, &value, CONTAINER_FORMATS)?
            }
            "disk_format" => self.disk_format = nullable_enum(key, &value, DISK_FORMATS)?,
            "tags" => self.tags = tags(&value)?,
            other => {
                check_custom_key(other)?;
                let Value::String(s) = value else {
                    return Err(schema_error(format!("{value} is not of type 'string'")));
                };
                self.properties.insert(other.to_owned(), s);
            }
        }
        Ok(())
    }

    /// Removes a writable key. Base fields cannot be removed (Glance: 403); a missing
    /// extra property is a 409.
    pub(crate) fn remove(&mut self, key: &str) -> Result<(), ApiError> {
        if is_base_writable(key) {
            return Err(forbidden(format!("Property {key} may not be removed.")));
        }
        match self.properties.remove(key) {
            Some(_) => Ok(()),
            None => Err(conflict(format!("Property {key} does not exist."))),
        }
    }

    /// The membership status of `project` on this image, if it is a member.
    pub(crate) fn member_status(&self, project: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.member_id == project)
            .map(|m| m.status.as_str())
    }

    /// Whether the image has data in the store.
    pub(crate) fn has_data(&self) -> bool {
        matches!(self.status, Status::Active | Status::Deactivated) && self.size.is_some()
    }
}

/// Base fields a client may write.
pub(crate) fn is_base_writable(key: &str) -> bool {
    matches!(
        key,
        "name"
            | "visibility"
            | "protected"
            | "os_hidden"
            | "min_disk"
            | "min_ram"
            | "owner"
            | "container_format"
            | "disk_format"
            | "tags"
    )
}

/// 403 for a read-only, reserved or `os_glance*` key; 400 for a custom key over 255 chars.
pub(crate) fn check_key_writable(key: &str) -> Result<(), ApiError> {
    if READ_ONLY.contains(&key) {
        return Err(forbidden(format!("Attribute '{key}' is read-only.")));
    }
    check_custom_key(key)
}

/// The rules for a custom (extra property) key.
pub(crate) fn check_custom_key(key: &str) -> Result<(), ApiError> {
    if key.chars().count() > 255 {
        return Err(bad_request(
            "Custom property should not be greater than 255 characters.",
        ));
    }
    if RESERVED.contains(&key) || key.starts_with(RESERVED_NAMESPACE) {
        return Err(forbidden(format!("Attribute '{key}' is reserved.")));
    }
    Ok(())
}

fn schema_error(detail: String) -> ApiError {
    bad_request(format!(
        "Provided object does not match schema 'image': {detail}"
    ))
}

fn nullable_string(
    key: &str,
    value: &Value,
    max: Option<usize>,
) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => {
            if let Some(max) = max
                && s.chars().count() > max
            {
                return Err(schema_error(format!("'{s}' is too long (in '{key}')")));
            }
            Ok(Some(s.clone()))
        }
        other => Err(schema_error(format!(
            "{other} is not of type 'null', 'string' (in '{key}')"
        ))),
    }
}

fn enum_value(key: &str, value: &Value, allowed: &[&str]) -> Result<String, ApiError> {
    match value {
        Value::String(s) if allowed.contains(&s.as_str()) => Ok(s.clone()),
        other => Err(schema_error(format!(
            "{other} is not one of {allowed:?} (in '{key}')"
        ))),
    }
}

fn nullable_enum(key: &str, value: &Value, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        other => enum_value(key, other, allowed).map(Some),
    }
}

fn boolean(key: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| schema_error(format!("{value} is not of type 'boolean' (in '{key}')")))
}

fn integer(key: &str, value: &Value) -> Result<u64, ApiError> {
    match value.as_i64() {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(n) => Err(schema_error(format!(
            "{n} is less than the minimum of 0 (in '{key}')"
        ))),
        None => Err(schema_error(format!(
            "{value} is not of type 'integer' (in '{key}')"
        ))),
    }
}

fn tags(value: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = value else {
        return Err(schema_error(format!(
            "{value} is not of type 'array' (in 'tags')"
        )));
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let Value::String(tag) = item else {
            return Err(schema_error(format!(
                "{item} is not of type 'string' (in 'tags')"
            )));
        };
        if tag.chars().count() > 255 {
            return Err(schema_error(format!("'{tag}' is too long (in 'tags')")));
        }
        if !out.contains(tag) {
            out.push(tag.clone());
        }
    }
    Ok(out)
}

/// A Glance 400.
pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Image, StatusCode::BAD_REQUEST, message)
}

/// A Glance 403.
pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Image, StatusCode::FORBIDDEN, message)
}

/// A Glance 404.
pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Image, StatusCode::NOT_FOUND, message)
}

/// A Glance 409.
pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Image, StatusCode::CONFLICT, message)
}

/// A Glance 415, worded as WebOb words it: the request's media type, then Glance's detail.
pub(crate) fn media_type_refused(content_type: &str, detail: &str) -> ApiError {
    ApiError::new(
        Service::Image,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "The request media type {content_type} is not supported by this server.\n<br /><br />\n{detail}"
        ),
    )
}

/// Glance's 404 for an image the caller cannot see (or that does not exist).
pub(crate) fn image_not_found(id: &str) -> ApiError {
    not_found(format!("No image found with ID {id}"))
}

/// Glance's policy refusal.
pub(crate) fn not_authorized(action: &str) -> ApiError {
    forbidden(format!(
        "You are not authorized to complete {action} action."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_machine_matches_wire_md() {
        assert!(Status::Queued.may_become(Status::Saving));
        assert!(Status::Saving.may_become(Status::Queued));
        assert!(Status::Active.may_become(Status::Deactivated));
        assert!(!Status::Active.may_become(Status::Saving));
        assert!(!Status::Killed.may_become(Status::Active));
        let err = Status::Active.check_transition(Status::Saving).unwrap_err();
        assert_eq!(err.status, StatusCode::CONFLICT);
        assert_eq!(
            err.message,
            "Image status transition from active to saving is not allowed"
        );
    }

    #[test]
    fn wire_form_has_every_base_field_and_string_properties() {
        let mut image = Image::new("i".into(), Some("p".into()), Timestamp::UNIX_EPOCH);
        image.set("os_distro", json!("cirros")).unwrap();
        let wire = image.to_wire();
        for key in [
            "id",
            "name",
            "status",
            "visibility",
            "protected",
            "os_hidden",
            "checksum",
            "os_hash_algo",
            "os_hash_value",
            "size",
            "virtual_size",
            "min_disk",
            "min_ram",
            "owner",
            "container_format",
            "disk_format",
            "tags",
            "created_at",
            "updated_at",
            "self",
            "file",
            "schema",
        ] {
            assert!(wire.get(key).is_some(), "{key} missing");
        }
        assert_eq!(wire["os_distro"], "cirros");
        assert_eq!(wire["visibility"], "shared");
        assert_eq!(wire["created_at"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn keys_are_policed_like_glance() {
        assert_eq!(
            check_key_writable("size").unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            check_key_writable("os_glance_x").unwrap_err().message,
            "Attribute 'os_glance_x' is reserved."
        );
        assert_eq!(
            check_key_writable(&"k".repeat(256)).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        let mut image = Image::new("i".into(), None, Timestamp::UNIX_EPOCH);
        assert_eq!(
            image.set("x", json!(1)).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            image
                .set("disk_format", json!("floppy"))
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(image.remove("x").unwrap_err().status, StatusCode::CONFLICT);
    }
}
