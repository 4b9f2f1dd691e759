//! `POST /v2/images`: the metadata of a new image, before any data.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Images;
use super::model::{ContainerFormat, DiskFormat, Image, ImageId, Visibility};
use super::upload::{ImageData, UploadOptions};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};
use crate::wait::Wait;

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

/// A new image: its metadata, and optionally where its data comes from. Only what is set
/// is sent; Glance fills in the rest. Made by [`Images::create`]; nothing is sent before
/// [`CreateImage::send`].
///
/// ```no_run
/// # async fn demo(images: ferrostack::image::Images) -> ferrostack::Result<()> {
/// use ferrostack::image::{ContainerFormat, DiskFormat, ImageData, Visibility};
/// let image = images
///     .create("debian-13")
///     .disk_format(DiskFormat::Qcow2)
///     .container_format(ContainerFormat::Bare)
///     .visibility(Visibility::Private)
///     .property("os_distro", "debian")
///     .data(ImageData::path("debian-13.qcow2"))
///     .send()
///     .await?;
/// # let _ = image;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateImage {
    pub(crate) images: Images,
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
    pub(crate) fill: Fill,
    pub(crate) options: UploadOptions,
    pub(crate) wait: Wait,
}

/// Where a new image's data comes from.
#[derive(Debug)]
pub(crate) enum Fill {
    /// A record only (`status: queued`).
    Nothing,
    /// `PUT /file`.
    Upload(ImageData),
    /// The interoperable import's `glance-direct`: stage, then import.
    GlanceDirect(ImageData),
    /// The interoperable import's `web-download`.
    WebDownload(String),
}

impl CreateImage {
    pub(crate) fn new(images: Images, name: Option<String>) -> Self {
        Self {
            images,
            name,
            id: None,
            disk_format: None,
            container_format: None,
            visibility: None,
            protected: None,
            os_hidden: None,
            min_disk: None,
            min_ram: None,
            owner: None,
            tags: Vec::new(),
            properties: BTreeMap::new(),
            fill: Fill::Nothing,
            options: UploadOptions::default(),
            wait: Wait::new(Duration::from_secs(600)),
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

    /// Uploads `data` once the image is made (`openstack image create --file`).
    ///
    /// The data is inspected first (unless [`CreateImage::skip_inspection`]): a declared
    /// disk format that does not match it, or an unsafe image, is refused before anything is
    /// created ([`ErrorKind::UnsafeImage`](crate::ErrorKind::UnsafeImage)); with no disk
    /// format declared the detected one is used, and the container format defaults to
    /// `bare`. After the upload, the size and hashes Glance reports are checked against the
    /// data sent. On any failure after the image was created (upload error, 415, mismatch,
    /// or the future being dropped) the image is deleted, unless
    /// [`CreateImage::keep_on_failure`]; the error names the image and what became of it.
    pub fn data(mut self, data: ImageData) -> Self {
        self.fill = Fill::Upload(data);
        self
    }

    /// Fills the image with the interoperable import's `glance-direct` method instead of a
    /// plain upload: stage `data`, import it, wait until active (see
    /// [`CreateImage::wait`]), then check the hashes. Inspection and clean-up are as for
    /// [`CreateImage::data`].
    pub fn import_data(mut self, data: ImageData) -> Self {
        self.fill = Fill::GlanceDirect(data);
        self
    }

    /// Has Glance fill the image from `uri` (the `web-download` import, where the cloud
    /// offers it), and waits until it is active. The image is deleted if the import fails,
    /// unless [`CreateImage::keep_on_failure`].
    pub fn import_url(mut self, uri: impl Into<String>) -> Self {
        self.fill = Fill::WebDownload(uri.into());
        self
    }

    /// How long an import may take to make the image active (default 10 minutes).
    pub fn wait(mut self, wait: impl Into<Wait>) -> Self {
        self.wait = wait.into();
        self
    }

    /// Keeps an image whose upload failed (for inspection) instead of deleting it.
    pub fn keep_on_failure(mut self, keep: bool) -> Self {
        self.options.keep_on_failure = keep;
        self
    }

    /// Uploads without checking the data's format first. Glance still checks it.
    pub fn skip_inspection(mut self, skip: bool) -> Self {
        self.options.skip_inspection = skip;
        self
    }

    /// Called as data is sent, with the bytes sent so far and the total when known.
    pub fn progress(mut self, progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.options.progress = Some(Arc::new(progress));
        self
    }

    /// Makes the image, and fills it as asked: answers the image as Glance has it
    /// afterwards (`queued` when no data was given).
    pub async fn send(mut self) -> Result<Image> {
        let images = self.images.clone();
        match std::mem::replace(&mut self.fill, Fill::Nothing) {
            Fill::Nothing => images.post(self.request()?).await,
            Fill::Upload(data) => images.create_and_upload(self, data).await,
            Fill::GlanceDirect(data) => images.create_and_import(self, data).await,
            Fill::WebDownload(uri) => images.create_from_url(self, uri).await,
        }
    }

    /// The same metadata, for another part of a set (no data, default options).
    pub(crate) fn part(&self, name: String) -> Self {
        let mut part = Self::new(self.images.clone(), Some(name));
        part.visibility = self.visibility.clone();
        part.options = self.options.clone();
        part
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

    /// The request that makes the record, `POST /images`. Keys Glance would refuse are refused here first, naming the key.
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

    fn create(name: &str) -> CreateImage {
        crate::image::ImageClient::new(crate::testing::offline_session())
            .images()
            .create(name)
    }

    #[test]
    fn reserved_and_read_only_keys_are_refused_by_name() {
        for key in ["os_glance_import_task", "checksum", "self", ""] {
            let err = create("x").property(key, "v").request().unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput);
            assert!(err.message().contains(&format!("{key:?}")), "{err}");
        }
        let long = "k".repeat(256);
        assert!(create("x").property(long, "v").request().is_err());
        let err = create("x").property("name", "y").request().unwrap_err();
        assert!(err.message().contains("base field"), "{err}");
    }

    #[test]
    fn the_owner_goes_in_the_body_by_its_own_setter() {
        let request = create("x").owner("p1").request().unwrap();
        let crate::request::Body::Json(body) = &request.body else {
            panic!("a JSON body");
        };
        assert_eq!(body["owner"], json!("p1"));
    }
}
