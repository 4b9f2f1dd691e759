//! Glance's image, member and import-info documents, typed and forgiving.
//!
//! Real clouds send surprises: every enum keeps unknown values in an `Unknown` arm, every
//! extra property survives in [`Image::properties`], and timestamps accept every form the
//! services emit. A field of the wrong type is still an error, and it names its JSON path.

use indexmap::IndexMap;
use std::fmt;

use jiff::Timestamp;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// An image id (a UUID on every real Glance, but kept as the string the cloud sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImageId(String);

impl ImageId {
    /// An id from its text.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ImageId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl From<String> for ImageId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<&ImageId> for ImageId {
    fn from(id: &ImageId) -> Self {
        id.clone()
    }
}

impl AsRef<str> for ImageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A string enum with an `Unknown(String)` arm: the known values, their wire names, and
/// conversions that never fail.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this SDK does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value this SDK knows, in Glance's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)*];

            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($wire => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::from(text.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(deserializer)?))
            }
        }
    };
}

string_enum! {
    /// Where an image is in Glance's lifecycle.
    ImageStatus {
        /// Created, no data yet.
        Queued = "queued",
        /// Data is being uploaded (the classic PUT /file).
        Saving = "saving",
        /// Data is being staged for an interoperable import.
        Uploading = "uploading",
        /// An import task is running.
        Importing = "importing",
        /// Ready to boot.
        Active = "active",
        /// Data access disabled by an administrator.
        Deactivated = "deactivated",
        /// The upload failed; the image is unusable.
        Killed = "killed",
        /// Deleted (seen briefly, or by admins).
        Deleted = "deleted",
        /// Deleted, data scrubbed later (delayed delete).
        PendingDelete = "pending_delete",
    }
}

impl ImageStatus {
    /// Whether the image can never become active again (`killed`, `deleted`,
    /// `pending_delete`): a waiter stops on these.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            ImageStatus::Killed | ImageStatus::Deleted | ImageStatus::PendingDelete
        )
    }
}

string_enum! {
    /// The format of the disk data.
    DiskFormat {
        /// Amazon machine image.
        Ami = "ami",
        /// Amazon ramdisk image.
        Ari = "ari",
        /// Amazon kernel image.
        Aki = "aki",
        /// Virtual PC / Hyper-V (legacy).
        Vhd = "vhd",
        /// Hyper-V.
        Vhdx = "vhdx",
        /// VMware.
        Vmdk = "vmdk",
        /// Raw bytes.
        Raw = "raw",
        /// QEMU copy-on-write v2/v3.
        Qcow2 = "qcow2",
        /// VirtualBox.
        Vdi = "vdi",
        /// An ISO 9660 optical disc.
        Iso = "iso",
        /// Virtuozzo/OpenVZ ploop.
        Ploop = "ploop",
    }
}

string_enum! {
    /// The container the disk data is wrapped in.
    ContainerFormat {
        /// Amazon machine image.
        Ami = "ami",
        /// Amazon ramdisk image.
        Ari = "ari",
        /// Amazon kernel image.
        Aki = "aki",
        /// No container: the data is the disk.
        Bare = "bare",
        /// Open Virtualization Format.
        Ovf = "ovf",
        /// An OVF package in a tar archive.
        Ova = "ova",
        /// A docker tar archive.
        Docker = "docker",
        /// A compressed archive (zip, tar.gz...).
        Compressed = "compressed",
    }
}

string_enum! {
    /// Who may see and use an image.
    Visibility {
        /// Every project, listed by default.
        Public = "public",
        /// Every project, but listed only when asked for.
        Community = "community",
        /// The owner and the projects it is shared with (Glance's default).
        Shared = "shared",
        /// The owner only.
        Private = "private",
    }
}

string_enum! {
    /// A member project's answer to a shared image.
    MemberStatus {
        /// Not answered yet; the image is not listed for the member by default.
        Pending = "pending",
        /// Accepted: listed for the member.
        Accepted = "accepted",
        /// Rejected: not listed for the member.
        Rejected = "rejected",
    }
}

string_enum! {
    /// A way to get data into an image with the interoperable import.
    ImportMethodName {
        /// Stage the data with PUT /stage, then import it.
        GlanceDirect = "glance-direct",
        /// Glance downloads the data from a URL.
        WebDownload = "web-download",
        /// Copy existing data into more stores.
        CopyImage = "copy-image",
        /// Download from another Glance region.
        GlanceDownload = "glance-download",
    }
}

/// A Glance image: every base field, typed, plus every extra property as sent.
///
/// Base fields are always present on Glance v2 (`null` when unset); fields that older or
/// unusual deployments omit fall back to their default instead of failing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Image {
    /// The id.
    pub id: ImageId,
    /// The name (Glance allows none).
    pub name: Option<String>,
    /// Where the image is in its lifecycle.
    pub status: ImageStatus,
    /// Who may see it.
    pub visibility: Visibility,
    /// Whether it is protected from deletion.
    pub protected: bool,
    /// Whether it is hidden from default listings.
    pub os_hidden: bool,
    /// The md5 of the data, hex (legacy, still reported).
    pub checksum: Option<String>,
    /// The algorithm of [`Image::os_hash_value`] (`sha512` by default).
    pub os_hash_algo: Option<String>,
    /// The secure hash of the data, hex.
    pub os_hash_value: Option<String>,
    /// The size of the data in bytes.
    pub size: Option<u64>,
    /// The size of the disk the data describes, in bytes.
    pub virtual_size: Option<u64>,
    /// The smallest root disk to boot it, in GiB.
    pub min_disk: u64,
    /// The least memory to boot it, in MiB.
    pub min_ram: u64,
    /// The owning project.
    pub owner: Option<String>,
    /// The container format.
    pub container_format: Option<ContainerFormat>,
    /// The disk format.
    pub disk_format: Option<DiskFormat>,
    /// Tags.
    pub tags: Vec<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When it last changed.
    pub updated_at: Option<Timestamp>,
    /// Its own path (`/v2/images/{id}`).
    #[serde(rename = "self")]
    pub self_link: Option<String>,
    /// The path of its data (`/v2/images/{id}/file`).
    pub file: Option<String>,
    /// The path of its schema (`/v2/schemas/image`).
    pub schema: Option<String>,
    /// Every other key, as sent and in the order sent: extra properties (`kernel_id`,
    /// `os_distro`...), and deployment-dependent fields (`direct_url`, `locations`,
    /// `stores`, `os_glance_*`). The order is the server's, which clients such as
    /// openstackclient print as they received it.
    #[serde(flatten)]
    pub properties: IndexMap<String, Value>,
}

/// The base fields of a Glance v2 image: never extra properties.
pub(crate) const BASE_FIELDS: &[&str] = &[
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
];

impl Image {
    /// An extra property as text (Glance always sends them as strings).
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }

    /// Whether the image has this key, as a base field that is set or as a property.
    pub fn has_key(&self, key: &str) -> bool {
        match key {
            "name" => self.name.is_some(),
            "checksum" => self.checksum.is_some(),
            "owner" => self.owner.is_some(),
            "container_format" => self.container_format.is_some(),
            "disk_format" => self.disk_format.is_some(),
            k if BASE_FIELDS.contains(&k) => true,
            k => self.properties.contains_key(k),
        }
    }

    /// The kernel of a three-part (ami) image.
    pub fn kernel_id(&self) -> Option<ImageId> {
        self.property("kernel_id").map(ImageId::from)
    }

    /// The ramdisk of a three-part (ami) image.
    pub fn ramdisk_id(&self) -> Option<ImageId> {
        self.property("ramdisk_id").map(ImageId::from)
    }

    /// The operating system distribution (`ubuntu`, `debian`...), per the common image
    /// properties.
    pub fn os_distro(&self) -> Option<&str> {
        self.property("os_distro")
    }

    /// The distribution version (`24.04`).
    pub fn os_version(&self) -> Option<&str> {
        self.property("os_version")
    }

    /// The CPU architecture (`x86_64`, `aarch64`).
    pub fn architecture(&self) -> Option<&str> {
        self.property("architecture")
    }

    /// The hypervisor type the image is for (`qemu`, `kvm`...).
    pub fn hypervisor_type(&self) -> Option<&str> {
        self.property("hypervisor_type")
    }

    /// The data location, when the cloud shows it (`show_image_direct_url`).
    pub fn direct_url(&self) -> Option<&str> {
        self.property("direct_url")
    }

    /// The stores holding the data (`"ceph,file"` with multiple stores).
    pub fn stores(&self) -> Vec<&str> {
        self.property("stores")
            .map(|s| s.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// A one-line name for errors: `"cirros" (1234...)`, or the id alone.
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name:?})", self.id),
            None => self.id.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Image {
    // By hand rather than derived with `flatten`: flatten buffers the whole object first,
    // and a wrongly typed field would then lose its JSON path in decode errors.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ImageVisitor)
    }
}

struct ImageVisitor;

/// `null` or absent -> the default.
fn or_default<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(
    map: &mut A,
) -> Result<T, A::Error> {
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

impl<'de> Visitor<'de> for ImageVisitor {
    type Value = Image;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Glance image object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Image, A::Error> {
        let mut id: Option<ImageId> = None;
        let mut status: Option<ImageStatus> = None;
        let mut image = Image {
            id: ImageId::new(""),
            name: None,
            status: ImageStatus::Queued,
            visibility: Visibility::Shared,
            protected: false,
            os_hidden: false,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            size: None,
            virtual_size: None,
            min_disk: 0,
            min_ram: 0,
            owner: None,
            container_format: None,
            disk_format: None,
            tags: Vec::new(),
            created_at: None,
            updated_at: None,
            self_link: None,
            file: None,
            schema: None,
            properties: IndexMap::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => id = Some(map.next_value()?),
                "name" => image.name = map.next_value()?,
                "status" => status = Some(map.next_value()?),
                "visibility" => {
                    if let Some(v) = map.next_value::<Option<Visibility>>()? {
                        image.visibility = v;
                    }
                }
                "protected" => image.protected = or_default(&mut map)?,
                "os_hidden" => image.os_hidden = or_default(&mut map)?,
                "checksum" => image.checksum = map.next_value()?,
                "os_hash_algo" => image.os_hash_algo = map.next_value()?,
                "os_hash_value" => image.os_hash_value = map.next_value()?,
                "size" => image.size = map.next_value()?,
                "virtual_size" => image.virtual_size = map.next_value()?,
                "min_disk" => image.min_disk = or_default(&mut map)?,
                "min_ram" => image.min_ram = or_default(&mut map)?,
                "owner" => image.owner = map.next_value()?,
                "container_format" => image.container_format = map.next_value()?,
                "disk_format" => image.disk_format = map.next_value()?,
                "tags" => image.tags = or_default(&mut map)?,
                "created_at" => image.created_at = map.next_value::<GlanceTime>()?.0,
                "updated_at" => image.updated_at = map.next_value::<GlanceTime>()?.0,
                "self" => image.self_link = map.next_value()?,
                "file" => image.file = map.next_value()?,
                "schema" => image.schema = map.next_value()?,
                _ => {
                    let value: Value = map.next_value()?;
                    image.properties.insert(key, value);
                }
            }
        }
        image.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        image.status = status.ok_or_else(|| de::Error::missing_field("status"))?;
        Ok(image)
    }
}

/// A timestamp in any form the services emit (`2024-05-01T10:00:00Z`, with fractional
/// seconds, with an offset, or with no zone at all, meaning UTC), or `null`.
struct GlanceTime(Option<Timestamp>);

impl<'de> Deserialize<'de> for GlanceTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(GlanceTime(None)),
            Some(text) => crate::auth::parse_keystone_time(&text)
                .map(|t| GlanceTime(Some(t)))
                .ok_or_else(|| {
                    de::Error::custom(format!("{text:?} is not a timestamp Glance would send"))
                }),
        }
    }
}

fn deserialize_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(GlanceTime::deserialize(d)?.0)
}

/// A page of `GET /v2/images`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ImagePage {
    /// The images of this page.
    pub images: Vec<Image>,
    /// The link to the next page (relative to the Glance root: `/v2/images?marker=...`);
    /// absent on the last page.
    #[serde(default)]
    pub next: Option<String>,
    /// The link to the first page.
    #[serde(default)]
    pub first: Option<String>,
    /// The schema of the listing.
    #[serde(default)]
    pub schema: Option<String>,
}

/// A project an image is shared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// The image.
    pub image_id: ImageId,
    /// The member project.
    pub member_id: String,
    /// The member's answer.
    pub status: MemberStatus,
    /// When the membership was created.
    #[serde(default, deserialize_with = "deserialize_time")]
    pub created_at: Option<Timestamp>,
    /// When the membership last changed.
    #[serde(default, deserialize_with = "deserialize_time")]
    pub updated_at: Option<Timestamp>,
    /// The schema path.
    #[serde(default)]
    pub schema: Option<String>,
}

/// The members of an image (`GET /v2/images/{id}/members`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct MemberList {
    pub members: Vec<Member>,
}

/// One store of a multi-store Glance (`GET /v2/info/stores`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Store {
    /// Its id (`fs`, `ceph`...).
    pub id: String,
    /// Its description, when the operator gave one.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether images go there when no store is named (Glance sends `"true"` as text).
    #[serde(default, deserialize_with = "flexible_bool")]
    pub default: bool,
}

fn flexible_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct StoreList {
    pub(crate) stores: Vec<Store>,
}

/// What the cloud's interoperable import offers (`GET /v2/info/import`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ImportInfo {
    /// The import methods.
    #[serde(rename = "import-methods")]
    pub import_methods: ImportMethods,
}

/// The `import-methods` object of [`ImportInfo`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ImportMethods {
    /// The methods enabled on this cloud.
    #[serde(default)]
    pub value: Vec<ImportMethodName>,
    /// Glance's description.
    #[serde(default)]
    pub description: Option<String>,
}

impl ImportInfo {
    /// Whether the cloud offers this method.
    pub fn offers(&self, method: &ImportMethodName) -> bool {
        self.import_methods.value.contains(method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_are_kept() {
        assert_eq!(
            ImageStatus::from("uploading_to_moon"),
            ImageStatus::Unknown("uploading_to_moon".into())
        );
        assert_eq!(DiskFormat::from("qcow2"), DiskFormat::Qcow2);
        assert_eq!(DiskFormat::from("zfs").as_str(), "zfs");
        assert_eq!(
            serde_json::to_value(ContainerFormat::Unknown("lxd".into())).unwrap(),
            "lxd"
        );
        assert_eq!(DiskFormat::KNOWN.len(), 11);
        assert_eq!(ContainerFormat::KNOWN.len(), 8);
        assert!(ImageStatus::Killed.is_failure());
        assert!(!ImageStatus::Queued.is_failure());
    }

    #[test]
    fn a_minimal_image_decodes_with_defaults() {
        let image: Image = serde_json::from_value(serde_json::json!({
            "id": "a", "status": "queued", "created_at": "2024-05-01T10:00:00.123456"
        }))
        .unwrap();
        assert_eq!(image.visibility, Visibility::Shared);
        assert_eq!(image.min_disk, 0);
        assert!(image.tags.is_empty());
        assert_eq!(
            image.created_at.unwrap().to_string(),
            "2024-05-01T10:00:00.123456Z"
        );
    }

    #[test]
    fn a_missing_id_is_an_error() {
        let err =
            serde_json::from_value::<Image>(serde_json::json!({"status": "active"})).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
    }

    #[test]
    fn base_keys_versus_properties() {
        let image: Image = serde_json::from_value(serde_json::json!({
            "id": "a", "status": "active", "name": null, "os_distro": "debian"
        }))
        .unwrap();
        assert!(!image.has_key("name"));
        assert!(image.has_key("min_disk"));
        assert!(image.has_key("os_distro"));
        assert!(!image.has_key("kernel_id"));
        assert_eq!(image.label(), "a");
    }
}
