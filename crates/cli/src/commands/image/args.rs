//! The flags of `fstack image ...`, as openstackclient 10 spells them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::{KeyValue, ListOutput, ShowOutput};
use crate::commands::build::args::ImageBuild;

/// Visibility flags shared by `image create`, `image set` and `image list`.
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct VisibilityFlags {
    /// Visible to all users.
    #[arg(long)]
    pub public: bool,
    /// Visible to the owner only.
    #[arg(long)]
    pub private: bool,
    /// Visible to all users, not listed by default.
    #[arg(long)]
    pub community: bool,
    /// Visible to the owner and members.
    #[arg(long)]
    pub shared: bool,
}

impl VisibilityFlags {
    /// The chosen visibility, if any.
    pub fn chosen(&self) -> Option<&'static str> {
        [
            (self.public, "public"),
            (self.private, "private"),
            (self.community, "community"),
            (self.shared, "shared"),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }
}

/// `--protected` / `--unprotected`.
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct ProtectionFlags {
    /// Prevent the image from being deleted.
    #[arg(long)]
    pub protected: bool,
    /// Allow the image to be deleted.
    #[arg(long)]
    pub unprotected: bool,
}

impl ProtectionFlags {
    /// `Some(true)` for --protected, `Some(false)` for --unprotected.
    pub fn chosen(&self) -> Option<bool> {
        if self.protected {
            Some(true)
        } else if self.unprotected {
            Some(false)
        } else {
            None
        }
    }
}

/// `fstack image ...`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List images.
    List(ImageList),
    /// Show an image.
    Show(ImageShow),
    /// Create (and upload) an image.
    Create(Box<ImageCreate>),
    /// Change an image.
    Set(Box<ImageSet>),
    /// Remove tags or properties from an image.
    Unset(ImageUnset),
    /// Delete images.
    Delete(ImageDelete),
    /// Download an image.
    Save(ImageSave),
    /// Share an image with a project.
    Add {
        #[command(subcommand)]
        command: ImageAddCommand,
    },
    /// Stop sharing an image with a project.
    Remove {
        #[command(subcommand)]
        command: ImageRemoveCommand,
    },
    /// Image members.
    Member {
        #[command(subcommand)]
        command: ImageMemberCommand,
    },
    /// Upload data to an image's staging area.
    Stage(ImageStage),
    /// Start the import of an image's data (`image import info`: the import methods on
    /// offer, as cliff takes the longer command).
    Import(ImageImport),
    /// The stores of a multi-store Glance.
    Stores {
        #[command(subcommand)]
        command: ImageStoresCommand,
    },
    /// Build the tiny bootable test image, offline, from Debian packages (ours).
    Build(ImageBuild),
}

/// `image stores ...`.
#[derive(Debug, Subcommand)]
pub enum ImageStoresCommand {
    /// List the stores.
    List(ImageStoresList),
}

/// `image stores list`.
#[derive(Debug, Args)]
pub struct ImageStoresList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// The disk formats Glance knows (openstackclient's choices for `--disk-format`).
pub const DISK_FORMATS: [&str; 11] = [
    "ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vhdx", "vdi", "iso", "ploop",
];

/// The container formats Glance knows (openstackclient's choices for `--container-format`).
pub const CONTAINER_FORMATS: [&str; 7] = ["ami", "ari", "aki", "bare", "docker", "ova", "ovf"];

/// `image list`.
#[derive(Debug, Args)]
pub struct ImageList {
    #[command(flatten)]
    pub visibility: VisibilityFlags,
    /// List all images (any visibility).
    #[arg(long, conflicts_with_all = ["public", "private", "community", "shared"])]
    pub all: bool,
    /// Filter on a property (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Filter on the name.
    #[arg(long)]
    pub name: Option<String>,
    /// Filter on the status.
    #[arg(long)]
    pub status: Option<String>,
    /// Filter on the member status: accepted, pending, rejected, all.
    #[arg(
        long = "member-status",
        value_name = "member-status",
        value_parser = clap::builder::PossibleValuesParser::new(["accepted", "pending", "rejected", "all"]),
        ignore_case = true
    )]
    pub member_status: Option<String>,
    /// Filter on the owner project (name or id).
    #[arg(long)]
    pub project: Option<String>,
    /// Domain of --project.
    #[arg(long = "project-domain")]
    pub project_domain: Option<String>,
    /// Filter on a tag (repeatable: all must match).
    #[arg(long)]
    pub tag: Vec<String>,
    /// List hidden images.
    #[arg(long)]
    pub hidden: bool,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    /// Sort by `key[:asc|desc]`, comma separated.
    #[arg(long, value_name = "<key>[:<direction>]")]
    pub sort: Option<String>,
    /// Page size.
    #[arg(long)]
    pub limit: Option<u32>,
    /// Start after this image.
    #[arg(long)]
    pub marker: Option<String>,
    /// Stop after this many images.
    #[arg(long = "max-items")]
    pub max_items: Option<usize>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `image show`.
#[derive(Debug, Args)]
pub struct ImageShow {
    /// Image (name or id).
    pub image: String,
    /// Sizes in KiB/MiB/GiB.
    #[arg(long = "human-readable")]
    pub human_readable: bool,
    #[command(flatten)]
    pub layout: ImageLayout,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// fstack's own ways of printing an image, off by default: by default it is printed as
/// openstackclient prints it.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ImageLayout {
    /// Show os_hidden, os_hash_algo and os_hash_value at the top level, where Glance's image
    /// schema has them, instead of under `properties` as openstackclient does (ours).
    #[arg(long = "lift-hash-fields")]
    pub lift_hash_fields: bool,
}

/// `image create`.
#[derive(Debug, Args)]
pub struct ImageCreate {
    /// The new image's name.
    #[arg(value_name = "image-name")]
    pub name: String,
    /// Reserve this id.
    #[arg(long)]
    pub id: Option<String>,
    /// Container format (default: bare, or aki/ari/ami for those disk formats).
    #[arg(long = "container-format", value_name = "container-format", value_parser = CONTAINER_FORMATS)]
    pub container_format: Option<String>,
    /// Disk format (default: raw, as openstackclient's).
    #[arg(long = "disk-format", value_name = "disk-format", value_parser = DISK_FORMATS)]
    pub disk_format: Option<String>,
    /// Minimum disk in GiB.
    #[arg(long = "min-disk", value_name = "disk-gb")]
    pub min_disk: Option<u64>,
    /// Minimum RAM in MiB.
    #[arg(long = "min-ram", value_name = "ram-mb")]
    pub min_ram: Option<u64>,
    /// The data's size in bytes (for stdin).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub size: Option<u64>,
    /// The file to upload (`-` or nothing with a pipe: stdin).
    #[arg(long, value_name = "file")]
    pub file: Option<PathBuf>,
    /// Show upload progress.
    #[arg(long)]
    pub progress: bool,
    #[command(flatten)]
    pub protection: ProtectionFlags,
    #[command(flatten)]
    pub visibility: VisibilityFlags,
    /// A property (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// A tag (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// Owner project (name or id).
    #[arg(long)]
    pub project: Option<String>,
    /// Domain of --project.
    #[arg(long = "project-domain")]
    pub project_domain: Option<String>,
    /// Use interoperable import (stage + glance-direct) instead of a direct upload.
    #[arg(long)]
    pub import: bool,
    /// Upload without inspecting the file first (ours; the server still inspects it).
    #[arg(long = "no-inspect")]
    pub no_inspect: bool,
    /// Without --disk-format, use the format the file's inspection finds instead of raw
    /// (ours).
    #[arg(long = "detect-disk-format", conflicts_with_all = ["disk_format", "no_inspect"])]
    pub detect_disk_format: bool,
    /// Kernel file: upload it as an aki image and link it with kernel_id (ours; needs
    /// --ramdisk, and --file for the machine image).
    #[arg(long, value_name = "file", requires_all = ["ramdisk", "file"], conflicts_with = "import")]
    pub kernel: Option<PathBuf>,
    /// Ramdisk file: upload it as an ari image and link it with ramdisk_id (ours; needs
    /// --kernel).
    #[arg(long, value_name = "file", requires = "kernel")]
    pub ramdisk: Option<PathBuf>,
    #[command(flatten)]
    pub layout: ImageLayout,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `image set`.
#[derive(Debug, Args)]
pub struct ImageSet {
    /// Image (name or id).
    pub image: String,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// Minimum disk in GiB.
    #[arg(long = "min-disk", value_name = "disk-gb")]
    pub min_disk: Option<u64>,
    /// Minimum RAM in MiB.
    #[arg(long = "min-ram", value_name = "ram-mb")]
    pub min_ram: Option<u64>,
    /// Container format.
    #[arg(long = "container-format", value_name = "container-format", value_parser = CONTAINER_FORMATS)]
    pub container_format: Option<String>,
    /// Disk format.
    #[arg(long = "disk-format", value_name = "disk-format", value_parser = DISK_FORMATS)]
    pub disk_format: Option<String>,
    #[command(flatten)]
    pub protection: ProtectionFlags,
    #[command(flatten)]
    pub visibility: VisibilityFlags,
    /// A property (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// A tag to add (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// Property `architecture`.
    #[arg(long)]
    pub architecture: Option<String>,
    /// Property `instance_id`.
    #[arg(long = "instance-id", visible_alias = "instance-uuid")]
    pub instance_id: Option<String>,
    /// Property `kernel_id`.
    #[arg(long = "kernel-id")]
    pub kernel_id: Option<String>,
    /// Property `os_distro`.
    #[arg(long = "os-distro")]
    pub os_distro: Option<String>,
    /// Property `os_version`.
    #[arg(long = "os-version")]
    pub os_version: Option<String>,
    /// Property `ramdisk_id`.
    #[arg(long = "ramdisk-id")]
    pub ramdisk_id: Option<String>,
    /// Deactivate the image.
    #[arg(long, conflicts_with = "activate")]
    pub deactivate: bool,
    /// Reactivate the image.
    #[arg(long)]
    pub activate: bool,
    /// New owner project (name or id).
    #[arg(long)]
    pub project: Option<String>,
    /// Domain of --project.
    #[arg(long = "project-domain")]
    pub project_domain: Option<String>,
    /// Accept the membership (as the member project).
    #[arg(long, conflicts_with_all = ["reject", "pending"])]
    pub accept: bool,
    /// Reject the membership.
    #[arg(long, conflicts_with = "pending")]
    pub reject: bool,
    /// Reset the membership to pending.
    #[arg(long)]
    pub pending: bool,
    /// Hide the image from default lists.
    #[arg(long, conflicts_with = "unhidden")]
    pub hidden: bool,
    /// Unhide the image.
    #[arg(long)]
    pub unhidden: bool,
}

/// `image unset`.
#[derive(Debug, Args)]
pub struct ImageUnset {
    /// Image (name or id).
    pub image: String,
    /// A tag to remove (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// A property to remove (repeatable).
    #[arg(long, value_name = "property-key")]
    pub property: Vec<String>,
}

/// `image delete`.
#[derive(Debug, Args)]
pub struct ImageDelete {
    /// Images (names or ids).
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// `image save`.
#[derive(Debug, Args)]
pub struct ImageSave {
    /// Image (name or id).
    pub image: String,
    /// Where to write (default: stdout).
    #[arg(long, value_name = "filename")]
    pub file: Option<PathBuf>,
    /// Accepted for openstackclient's scripts; the download streams in larger chunks anyway.
    #[arg(long = "chunk-size", value_name = "chunk-size", default_value_t = 1024)]
    pub chunk_size: usize,
    /// Show download progress (ours; only on a terminal).
    #[arg(long)]
    pub progress: bool,
}

/// `image add ...`.
#[derive(Debug, Subcommand)]
pub enum ImageAddCommand {
    /// Share an image with a project.
    Project(ImageProject),
}

/// `image remove ...`.
#[derive(Debug, Subcommand)]
pub enum ImageRemoveCommand {
    /// Stop sharing an image with a project.
    Project(ImageProject),
}

/// `image add project` / `image remove project`.
#[derive(Debug, Args)]
pub struct ImageProject {
    /// Image (name or id).
    pub image: String,
    /// Project (id).
    pub project: String,
    /// Domain of the project.
    #[arg(long = "project-domain")]
    pub project_domain: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `image member ...`.
#[derive(Debug, Subcommand)]
pub enum ImageMemberCommand {
    /// List the projects an image is shared with.
    List(ImageMemberList),
}

/// `image member list`.
#[derive(Debug, Args)]
pub struct ImageMemberList {
    /// Image (name or id).
    pub image: String,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `image stage`.
#[derive(Debug, Args)]
pub struct ImageStage {
    /// Image (name or id).
    pub image: String,
    /// The file to stage (default: stdin).
    #[arg(long, value_name = "file")]
    pub file: Option<PathBuf>,
    /// The data's size in bytes.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub size: Option<u64>,
    /// Show upload progress.
    #[arg(long)]
    pub progress: bool,
}

/// `image import`.
#[derive(Debug, Args)]
pub struct ImageImport {
    /// Image (name or id).
    pub image: String,
    /// Import method: glance-direct (default), web-download, glance-download, copy-image.
    #[arg(
        long,
        default_value = "glance-direct",
        value_parser = ["glance-direct", "web-download", "glance-download", "copy-image"]
    )]
    pub method: String,
    /// URI for web-download.
    #[arg(long)]
    pub uri: Option<String>,
    /// Wait until the image is active.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub layout: ImageLayout,
    #[command(flatten)]
    pub output: ShowOutput,
}
