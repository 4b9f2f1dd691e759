//! `POST /v2/images`: the metadata of a new image, before any data.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::model::{ContainerFormat, DiskFormat, ImageId, Visibility};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};

/// Keys Glance refuses on create (403) or reserves for itself.
const FORBIDDEN_ON_CREATE: &[&str] = &[
    "direct_url",
    "self",
    "file",
    "schema",
    "stores",
    "location",
    "deleted",
    "deleted_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
];

/// A new image's metadata. Only what is set is sent; Glance fills in the rest.
///
/// ```
/// use ferrostack::image::{ContainerFormat, DiskFormat, ImageCreate, Visibility};
/// let image = ImageCreate::new("debian-13")
///     .disk_format(DiskFormat::Qcow2)
///     .container_format(ContainerFormat::Bare)
///     .visibility(Visibility::Private)
///     .property("os_distro", "debian");
/// # let _ = image;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageCreate {
    pub(crate) name: Option<String>,
    pub(crate) id: Option<ImageId>,
    pub(crate) disk_format: Option<DiskFormat>,
    pub(crate) container_format: Option<ContainerFormat>,
    pub(crate) visibility: Option<Visibility>,
    protected: Option<bool>,
    os_hidden: Option<bool>,
    min_disk: Option<u64>,
    min_ram: Option<u64>,
    owner: Option<String>,
    tags: Vec<String>,
    properties: BTreeMap<String, String>,
}

impl ImageCreate {
    /// An image with this name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// The name, when one is wanted (Glance allows images without).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The declared disk format.
    pub fn declared_disk_format(&self) -> Option<&DiskFormat> {
        self.disk_format.as_ref()
    }

    /// The declared container format.
    pub fn declared_container_format(&self) -> Option<&ContainerFormat> {
        self.container_format.as_ref()
    }

    /// A chosen id (a UUID; Glance answers 409 if it exists).
    pub fn id(mut self, id: impl Into<ImageId>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The disk format. When uploading, leaving it unset lets the format inspector choose.
    pub fn disk_format(mut self, format: DiskFormat) -> Self {
        self.disk_format = Some(format);
        self
    }

    /// The container format (`bare` for a plain disk).
    pub fn container_format(mut self, format: ContainerFormat) -> Self {
        self.container_format = Some(format);
        self
    }

    /// Who may see it (Glance's default: `shared`).
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Protected from deletion.
    pub fn protected(mut self, protected: bool) -> Self {
        self.protected = Some(protected);
        self
    }

    /// Hidden from default listings.
    pub fn os_hidden(mut self, hidden: bool) -> Self {
        self.os_hidden = Some(hidden);
        self
    }

    /// The smallest root disk to boot it, in GiB.
    pub fn min_disk(mut self, gib: u64) -> Self {
        self.min_disk = Some(gib);
        self
    }

    /// The least memory to boot it, in MiB.
    pub fn min_ram(mut self, mib: u64) -> Self {
        self.min_ram = Some(mib);
        self
    }

    /// The owning project, by id (admins may create images for another project).
    pub fn owner(mut self, project_id: impl Into<String>) -> Self {
        self.owner = Some(project_id.into());
        self
    }

    /// A tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// An extra property (always a string on Glance).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The kernel image of a machine (ami) image.
    pub fn kernel_id(self, id: &ImageId) -> Self {
        self.property("kernel_id", id.as_str())
    }

    /// The ramdisk image of a machine (ami) image.
    pub fn ramdisk_id(self, id: &ImageId) -> Self {
        self.property("ramdisk_id", id.as_str())
    }

    /// `POST /images`. Keys Glance would refuse are refused here first, naming the key.
    pub fn request(&self) -> Result<Request> {
        let mut body = Map::new();
        let mut put = |k: &str, v: Value| {
            body.insert(k.to_owned(), v);
        };
        if let Some(v) = &self.name {
            put("name", json!(v));
        }
        if let Some(v) = &self.id {
            put("id", json!(v));
        }
        if let Some(v) = &self.disk_format {
            put("disk_format", json!(v));
        }
        if let Some(v) = &self.container_format {
            put("container_format", json!(v));
        }
        if let Some(v) = &self.visibility {
            put("visibility", json!(v));
        }
        if let Some(v) = self.protected {
            put("protected", json!(v));
        }
        if let Some(v) = self.os_hidden {
            put("os_hidden", json!(v));
        }
        if let Some(v) = self.min_disk {
            put("min_disk", json!(v));
        }
        if let Some(v) = self.min_ram {
            put("min_ram", json!(v));
        }
        if let Some(v) = &self.owner {
            put("owner", json!(v));
        }
        if !self.tags.is_empty() {
            put("tags", json!(self.tags));
        }
        for (key, value) in &self.properties {
            check_property_key(key, "create")?;
            if super::model::BASE_FIELDS.contains(&key.as_str()) {
                return Err(Error::invalid_input(format!(
                    "image create: property {key:?} is a base field: use its own setter"
                )));
            }
            body.insert(key.clone(), json!(value));
        }
        Ok(Request::post(ServiceType::Image, "/images").json(Value::Object(body)))
    }
}

/// Refuses keys Glance reserves or does not let a client set, naming the key.
pub(crate) fn check_property_key(key: &str, operation: &str) -> Result<()> {
    let why = if key.is_empty() {
        Some("is empty")
    } else if key.len() > 255 {
        Some("is longer than 255 characters")
    } else if key.starts_with("os_glance") {
        Some("is reserved by Glance (os_glance*)")
    } else if FORBIDDEN_ON_CREATE.contains(&key) || key == "id" {
        Some("is read-only")
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::invalid_input(format!(
            "image {operation}: property {key:?} {why}"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn reserved_and_read_only_keys_are_refused_by_name() {
        for key in ["os_glance_import_task", "checksum", "self", ""] {
            let err = ImageCreate::new("x")
                .property(key, "v")
                .request()
                .unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput);
            assert!(err.message().contains(&format!("{key:?}")), "{err}");
        }
        let long = "k".repeat(256);
        assert!(ImageCreate::new("x").property(long, "v").request().is_err());
        let err = ImageCreate::new("x")
            .property("name", "y")
            .request()
            .unwrap_err();
        assert!(err.message().contains("base field"), "{err}");
    }

    #[test]
    fn the_owner_goes_in_the_body_by_its_own_setter() {
        let request = ImageCreate::new("x").owner("p1").request().unwrap();
        let crate::request::Body::Json(body) = &request.body else {
            panic!("a JSON body");
        };
        assert_eq!(body["owner"], json!("p1"));
    }
}
