//! `PATCH /v2/images/{id}`: changes as JSON-patch operations, computed against the current
//! image so that `add` and `replace` are each used where Glance expects them.

use serde::Serialize;
use serde_json::{Value, json};

use super::Images;
use super::create::check_property_key;
use super::model::{ContainerFormat, DiskFormat, Image, ImageId, Visibility};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType};

/// The media type Glance requires for PATCH (anything else: 415).
pub const PATCH_CONTENT_TYPE: &str = "application/openstack-images-v2.1-json-patch";

/// One JSON-patch operation, as Glance takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchOp {
    /// `add`, `replace` or `remove`.
    pub op: &'static str,
    /// A JSON pointer to the key (`/name`, `/os_distro`).
    pub path: String,
    /// The new value (absent for `remove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
enum Change {
    Set(String, Value),
    Remove(String),
    AddTag(String),
    RemoveTag(String),
    Tags(Vec<String>),
}

/// Changes to an image (`openstack image set` / `unset`), made by [`Images::update`].
/// The changes are computed against the image as Glance has it, so `add` and `replace`
/// are each used where Glance expects them; nothing is sent for a change that would leave
/// the image as it is.
///
/// ```no_run
/// # async fn demo(images: ferrostack::image::Images) -> ferrostack::Result<()> {
/// use ferrostack::image::Visibility;
/// let image = images
///     .update("70a599e0-31e7-49b7-b260-868f441e862b")
///     .name("debian-13-golden")
///     .visibility(Visibility::Public)
///     .property("os_distro", "debian")
///     .remove_property("build_host")
///     .send()
///     .await?;
/// # let _ = image;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateImage {
    images: Images,
    id: ImageId,
    current: Option<Image>,
    changes: Vec<Change>,
    strict: bool,
}

impl UpdateImage {
    pub(crate) fn new(images: Images, id: ImageId) -> Self {
        Self {
            images,
            id,
            current: None,
            changes: Vec::new(),
            strict: false,
        }
    }

    /// Computes the changes against `current`, an image the caller fetched already,
    /// instead of fetching it again (saves a GET).
    pub fn based_on(mut self, current: Image) -> Self {
        self.current = Some(current);
        self
    }

    /// Fetches the image (unless [`UpdateImage::based_on`]), computes the patch against it,
    /// and sends it. Answers the image as Glance has it afterwards (unchanged when there was
    /// nothing to change).
    pub async fn send(self) -> Result<Image> {
        let current = match self.current.clone() {
            Some(current) => current,
            None => self.images.get(self.id.clone()).await?,
        };
        match self.request(&current)? {
            Some(request) => self.images.session.send_json(request).await,
            None => Ok(current),
        }
    }

    fn set(mut self, key: &str, value: Value) -> Self {
        self.changes.push(Change::Set(key.to_owned(), value));
        self
    }

    /// Renames the image.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.set("name", json!(name.into()))
    }

    /// Changes who may see it.
    pub fn visibility(self, visibility: Visibility) -> Self {
        self.set("visibility", json!(visibility))
    }

    /// Protects it from deletion, or not.
    pub fn protected(self, protected: bool) -> Self {
        self.set("protected", json!(protected))
    }

    /// Hides it from default listings, or not.
    pub fn os_hidden(self, hidden: bool) -> Self {
        self.set("os_hidden", json!(hidden))
    }

    /// The smallest root disk to boot it, in GiB.
    pub fn min_disk(self, gib: u64) -> Self {
        self.set("min_disk", json!(gib))
    }

    /// The least memory to boot it, in MiB.
    pub fn min_ram(self, mib: u64) -> Self {
        self.set("min_ram", json!(mib))
    }

    /// Gives the image to another project, by id (admin).
    pub fn owner(self, project_id: impl Into<String>) -> Self {
        self.set("owner", json!(project_id.into()))
    }

    /// The disk format (only while the image has no data).
    pub fn disk_format(self, format: DiskFormat) -> Self {
        self.set("disk_format", json!(format))
    }

    /// The container format (only while the image has no data).
    pub fn container_format(self, format: ContainerFormat) -> Self {
        self.set("container_format", json!(format))
    }

    /// Adds a tag (kept once).
    pub fn add_tag(mut self, tag: impl Into<String>) -> Self {
        self.changes.push(Change::AddTag(tag.into()));
        self
    }

    /// Removes a tag, if present.
    pub fn remove_tag(mut self, tag: impl Into<String>) -> Self {
        self.changes.push(Change::RemoveTag(tag.into()));
        self
    }

    /// Replaces every tag.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.changes
            .push(Change::Tags(tags.into_iter().map(Into::into).collect()));
        self
    }

    /// Sets an extra property (added, or replaced if it exists).
    pub fn property(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.set(&key, json!(value.into()))
    }

    /// Removes an extra property. A property the image does not have is skipped, unless
    /// [`UpdateImage::strict`] asks for an error.
    pub fn remove_property(mut self, key: impl Into<String>) -> Self {
        self.changes.push(Change::Remove(key.into()));
        self
    }

    /// Links a machine image to its kernel image.
    pub fn kernel_id(self, id: &ImageId) -> Self {
        self.property("kernel_id", id.as_str())
    }

    /// Links a machine image to its ramdisk image.
    pub fn ramdisk_id(self, id: &ImageId) -> Self {
        self.property("ramdisk_id", id.as_str())
    }

    /// Makes removing a property the image does not have an error instead of a no-op.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The operations that turn `current` into the wanted image, in the order asked for.
    pub fn ops(&self, current: &Image) -> Result<Vec<PatchOp>> {
        // Work on the JSON form, so base fields and properties follow one rule.
        let mut doc = match serde_json::to_value(current) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("an image serializes to an object"),
        };
        let mut ops = Vec::new();
        let mut tags: Vec<String> = current.tags.clone();
        let mut tags_changed = false;
        for change in &self.changes {
            match change {
                Change::Set(key, value) => {
                    if !super::model::BASE_FIELDS.contains(&key.as_str()) {
                        check_property_key(key, &format!("update of {}", current.id))?;
                    } else if READ_ONLY.contains(&key.as_str()) {
                        return Err(read_only(key, &current.id));
                    }
                    let op = match doc.get(key) {
                        Some(existing) if existing == value => continue,
                        // A base field set to null exists too: Glance wants `replace`.
                        Some(_) => "replace",
                        None => "add",
                    };
                    doc.insert(key.clone(), value.clone());
                    ops.push(PatchOp {
                        op,
                        path: pointer(key),
                        value: Some(value.clone()),
                    });
                }
                Change::Remove(key) => {
                    if super::model::BASE_FIELDS.contains(&key.as_str()) {
                        return Err(Error::invalid_input(format!(
                            "image {}: {key:?} is a base field and cannot be removed",
                            current.id
                        )));
                    }
                    if doc.remove(key).is_none() {
                        if self.strict {
                            return Err(Error::invalid_input(format!(
                                "image {}: cannot remove property {key:?}: the image does not have it",
                                current.id
                            )));
                        }
                        continue;
                    }
                    ops.push(PatchOp {
                        op: "remove",
                        path: pointer(key),
                        value: None,
                    });
                }
                Change::AddTag(tag) => {
                    if !tags.contains(tag) {
                        tags.push(tag.clone());
                        tags_changed = true;
                    }
                }
                Change::RemoveTag(tag) => {
                    let before = tags.len();
                    tags.retain(|t| t != tag);
                    tags_changed |= tags.len() != before;
                }
                Change::Tags(new) => {
                    tags_changed |= *new != tags;
                    tags = new.clone();
                }
            }
        }
        if tags_changed {
            ops.push(PatchOp {
                op: "replace",
                path: "/tags".into(),
                value: Some(json!(tags)),
            });
        }
        Ok(ops)
    }

    /// The PATCH request for `current`, or `None` when nothing would change.
    pub fn request(&self, current: &Image) -> Result<Option<Request>> {
        let ops = self.ops(current)?;
        if ops.is_empty() {
            return Ok(None);
        }
        Ok(Some(patch_request(&current.id, &ops)))
    }
}

/// `PATCH /images/{id}` with these operations.
pub fn patch_request(id: &ImageId, ops: &[PatchOp]) -> Request {
    Request::patch(
        ServiceType::Image,
        format!("/images/{}", crate::request::segment(id.as_str())),
    )
    .header("Content-Type", PATCH_CONTENT_TYPE)
    .json(json!(ops))
}

/// Base fields Glance does not let a client change (403).
const READ_ONLY: &[&str] = &[
    "id",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
];

fn read_only(key: &str, id: &ImageId) -> Error {
    Error::invalid_input(format!("image {id}: {key:?} is read-only"))
}

/// A JSON pointer to a top-level key (`~` and `/` escaped per RFC 6901).
fn pointer(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn update() -> UpdateImage {
        crate::image::ImageClient::new(crate::testing::offline_session())
            .images()
            .update("i")
    }

    fn image() -> Image {
        serde_json::from_value(json!({
            "id": "1bea47ed-f6a9-463b-b423-14b9cca9ad27", "status": "active",
            "name": "cirros", "visibility": "private", "protected": false, "min_disk": 0,
            "tags": ["a"], "os_distro": "cirros", "checksum": null, "owner": null
        }))
        .unwrap()
    }

    fn ops(update: UpdateImage) -> Vec<Value> {
        update
            .ops(&image())
            .unwrap()
            .iter()
            .map(|op| serde_json::to_value(op).unwrap())
            .collect()
    }

    #[test]
    fn add_versus_replace_follows_the_current_image() {
        assert_eq!(
            ops(update()
                .name("c2")
                .property("os_distro", "debian")
                .property("hw_disk_bus", "scsi")
                .kernel_id(&ImageId::new("k"))),
            vec![
                json!({"op": "replace", "path": "/name", "value": "c2"}),
                json!({"op": "replace", "path": "/os_distro", "value": "debian"}),
                json!({"op": "add", "path": "/hw_disk_bus", "value": "scsi"}),
                json!({"op": "add", "path": "/kernel_id", "value": "k"}),
            ]
        );
    }

    #[test]
    fn a_new_owner_replaces_the_null_one() {
        assert_eq!(
            ops(update().owner("p2")),
            vec![json!({"op": "replace", "path": "/owner", "value": "p2"})]
        );
    }

    #[test]
    fn unchanged_values_and_missing_removals_send_nothing() {
        let update = update()
            .name("cirros")
            .protected(false)
            .add_tag("a")
            .remove_property("nope");
        assert!(ops(update.clone()).is_empty());
        assert_eq!(update.request(&image()).unwrap(), None);
        let err = update.strict(true).ops(&image()).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput);
        assert!(err.message().contains("\"nope\""), "{err}");
    }

    #[test]
    fn setting_then_removing_in_one_update_is_consistent() {
        assert_eq!(
            ops(update()
                .property("x", "1")
                .remove_property("x")
                .remove_property("os_distro")),
            vec![
                json!({"op": "add", "path": "/x", "value": "1"}),
                json!({"op": "remove", "path": "/x"}),
                json!({"op": "remove", "path": "/os_distro"}),
            ]
        );
    }

    #[test]
    fn tags_become_one_replace() {
        assert_eq!(
            ops(update().add_tag("b").remove_tag("a").add_tag("c")),
            vec![json!({"op": "replace", "path": "/tags", "value": ["b", "c"]})]
        );
    }

    #[test]
    fn read_only_reserved_and_base_removals_are_refused_by_name() {
        for update in [
            update().property("checksum", "x"),
            update().property("os_glance_import_task", "x"),
            update().remove_property("name"),
        ] {
            let err = update.ops(&image()).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{err}");
        }
    }

    #[test]
    fn keys_are_escaped_as_json_pointers() {
        assert_eq!(pointer("a/b~c"), "/a~1b~0c");
    }
}
