//! The command line: the same command names, flags and defaults as python-openstackclient 10,
//! so that `openstack image create ...` works with `fstack` in front.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrostack::Secret;

/// fstack: the openstack command line, in milliseconds.
#[derive(Debug, Parser)]
#[command(name = "fstack", version, about, long_about = None)]
pub struct Cli {
    /// Authentication, endpoint and logging options (as openstackclient's `--os-*`).
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `--os-*` options of openstackclient, plus ours. Flags win over `OS_*` variables,
/// which win over clouds.yaml, as in openstackclient.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Cloud name in clouds.yaml (env: OS_CLOUD).
    #[arg(long = "os-cloud", global = true, value_name = "cloud-config-name")]
    pub os_cloud: Option<String>,
    /// Authentication URL (env: OS_AUTH_URL).
    #[arg(long = "os-auth-url", global = true, value_name = "auth-url")]
    pub os_auth_url: Option<String>,
    /// Authentication type: password, token, v3applicationcredential, none (env: OS_AUTH_TYPE).
    #[arg(long = "os-auth-type", global = true, value_name = "auth-type")]
    pub os_auth_type: Option<String>,
    /// User name (env: OS_USERNAME).
    #[arg(long = "os-username", global = true, value_name = "auth-username")]
    pub os_username: Option<String>,
    /// User id (env: OS_USER_ID).
    #[arg(long = "os-user-id", global = true, value_name = "auth-user-id")]
    pub os_user_id: Option<String>,
    /// Password (env: OS_PASSWORD). Prefer the variable or clouds.yaml: flags show in `ps`.
    #[arg(long = "os-password", global = true, value_name = "auth-password", value_parser = secret)]
    pub os_password: Option<Secret>,
    /// Domain name of the user (env: OS_USER_DOMAIN_NAME).
    #[arg(
        long = "os-user-domain-name",
        global = true,
        value_name = "auth-user-domain-name"
    )]
    pub os_user_domain_name: Option<String>,
    /// Domain id of the user (env: OS_USER_DOMAIN_ID).
    #[arg(
        long = "os-user-domain-id",
        global = true,
        value_name = "auth-user-domain-id"
    )]
    pub os_user_domain_id: Option<String>,
    /// Project name to scope to (env: OS_PROJECT_NAME).
    #[arg(
        long = "os-project-name",
        global = true,
        value_name = "auth-project-name"
    )]
    pub os_project_name: Option<String>,
    /// Project id to scope to (env: OS_PROJECT_ID).
    #[arg(long = "os-project-id", global = true, value_name = "auth-project-id")]
    pub os_project_id: Option<String>,
    /// Domain name of the project (env: OS_PROJECT_DOMAIN_NAME).
    #[arg(
        long = "os-project-domain-name",
        global = true,
        value_name = "auth-project-domain-name"
    )]
    pub os_project_domain_name: Option<String>,
    /// Domain id of the project (env: OS_PROJECT_DOMAIN_ID).
    #[arg(
        long = "os-project-domain-id",
        global = true,
        value_name = "auth-project-domain-id"
    )]
    pub os_project_domain_id: Option<String>,
    /// Domain name to scope to (env: OS_DOMAIN_NAME).
    #[arg(
        long = "os-domain-name",
        global = true,
        value_name = "auth-domain-name"
    )]
    pub os_domain_name: Option<String>,
    /// Domain id to scope to (env: OS_DOMAIN_ID).
    #[arg(long = "os-domain-id", global = true, value_name = "auth-domain-id")]
    pub os_domain_id: Option<String>,
    /// System scope, `all` (env: OS_SYSTEM_SCOPE).
    #[arg(
        long = "os-system-scope",
        global = true,
        value_name = "auth-system-scope"
    )]
    pub os_system_scope: Option<String>,
    /// A token to authenticate with (env: OS_TOKEN).
    #[arg(long = "os-token", global = true, value_name = "auth-token", value_parser = secret)]
    pub os_token: Option<Secret>,
    /// Application credential id (env: OS_APPLICATION_CREDENTIAL_ID).
    #[arg(
        long = "os-application-credential-id",
        global = true,
        value_name = "id"
    )]
    pub os_application_credential_id: Option<String>,
    /// Application credential name (env: OS_APPLICATION_CREDENTIAL_NAME).
    #[arg(
        long = "os-application-credential-name",
        global = true,
        value_name = "name"
    )]
    pub os_application_credential_name: Option<String>,
    /// Application credential secret (env: OS_APPLICATION_CREDENTIAL_SECRET).
    #[arg(
        long = "os-application-credential-secret",
        global = true,
        value_name = "secret",
        value_parser = secret
    )]
    pub os_application_credential_secret: Option<Secret>,
    /// Region (env: OS_REGION_NAME).
    #[arg(
        long = "os-region-name",
        global = true,
        value_name = "auth-region-name"
    )]
    pub os_region_name: Option<String>,
    /// Catalog interface: public, internal, admin (env: OS_INTERFACE).
    #[arg(long = "os-interface", global = true, value_name = "interface")]
    pub os_interface: Option<String>,
    /// An endpoint to use instead of the catalog's (with --os-auth-type none or token).
    #[arg(long = "os-endpoint", global = true, value_name = "endpoint")]
    pub os_endpoint: Option<String>,
    /// CA certificate bundle (env: OS_CACERT).
    #[arg(long = "os-cacert", global = true, value_name = "ca-bundle-file")]
    pub os_cacert: Option<PathBuf>,
    /// Client certificate (env: OS_CERT).
    #[arg(long = "os-cert", global = true, value_name = "certificate-file")]
    pub os_cert: Option<PathBuf>,
    /// Client certificate key (env: OS_KEY).
    #[arg(long = "os-key", global = true, value_name = "key-file")]
    pub os_key: Option<PathBuf>,
    /// Do not verify TLS certificates (env: OS_INSECURE).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Compute API microversion, e.g. 2.79 or latest (env: OS_COMPUTE_API_VERSION).
    #[arg(
        long = "os-compute-api-version",
        global = true,
        value_name = "compute-api-version"
    )]
    pub os_compute_api_version: Option<String>,
    /// Image API version (env: OS_IMAGE_API_VERSION); only 2 is supported.
    #[arg(
        long = "os-image-api-version",
        global = true,
        value_name = "image-api-version"
    )]
    pub os_image_api_version: Option<String>,
    /// Identity API version (env: OS_IDENTITY_API_VERSION); only 3 is supported.
    #[arg(
        long = "os-identity-api-version",
        global = true,
        value_name = "identity-api-version"
    )]
    pub os_identity_api_version: Option<String>,
    /// Request timeout in seconds.
    #[arg(long, global = true, value_name = "seconds")]
    pub timeout: Option<f64>,
    /// Trace every request on stderr (tokens and passwords redacted).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Do not read or write the token cache.
    #[arg(long = "no-cache", global = true)]
    pub no_cache: bool,
}

/// Secrets from flags go straight into [`Secret`], so `Debug` of the arguments never shows them.
fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Glance images.
    Image {
        #[command(subcommand)]
        command: ImageCommand,
    },
    /// Nova servers.
    Server {
        #[command(subcommand)]
        command: ServerCommand,
    },
    /// Server consoles.
    Console {
        #[command(subcommand)]
        command: ConsoleCommand,
    },
    /// Nova flavors.
    Flavor {
        #[command(subcommand)]
        command: FlavorCommand,
    },
    /// Nova keypairs.
    Keypair {
        #[command(subcommand)]
        command: KeypairCommand,
    },
    /// Keystone tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The service catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Local disk images, with qemu-img (ours).
    Disk {
        #[command(subcommand)]
        command: DiskCommand,
    },
    /// Local virtual machines, with qemu-system (ours).
    Vm {
        #[command(subcommand)]
        command: VmCommand,
    },
    /// Print a shell completion script.
    Completion {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// `-f` and friends, for commands that print a list.
#[derive(Debug, Clone, Args)]
pub struct ListOutput {
    /// The output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Columns to show (repeatable), in this order.
    #[arg(short = 'c', long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// CSV quoting.
    #[arg(long, value_enum, default_value_t = QuoteMode::Nonnumeric)]
    pub quote: QuoteMode,
    /// JSON without indentation.
    #[arg(long)]
    pub noindent: bool,
    /// Maximum table width; below 1 means no limit (env: CLIFF_MAX_TERM_WIDTH).
    #[arg(long = "max-width", value_name = "integer", default_value_t = 0)]
    pub max_width: usize,
    /// Fit the table to the terminal (env: CLIFF_FIT_WIDTH=1).
    #[arg(long = "fit-width")]
    pub fit_width: bool,
    /// Print an empty table when there is nothing to show.
    #[arg(long = "print-empty")]
    pub print_empty: bool,
    /// Sort the rows by these columns (repeatable).
    #[arg(long = "sort-column", value_name = "SORT_COLUMN")]
    pub sort_columns: Vec<String>,
    /// Sort ascending (the default).
    #[arg(long = "sort-ascending", conflicts_with = "sort_descending")]
    pub sort_ascending: bool,
    /// Sort descending.
    #[arg(long = "sort-descending")]
    pub sort_descending: bool,
}

/// `-f` and friends, for commands that show one item.
#[derive(Debug, Clone, Args)]
pub struct ShowOutput {
    /// The output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = ShowFormat::Table)]
    pub format: ShowFormat,
    /// Fields to show (repeatable), in this order.
    #[arg(short = 'c', long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// JSON without indentation.
    #[arg(long)]
    pub noindent: bool,
    /// Prefix of shell variable names.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Shell variables to print (repeatable).
    #[arg(long = "variable", value_name = "VARIABLE")]
    pub variables: Vec<String>,
    /// Maximum table width; below 1 means no limit.
    #[arg(long = "max-width", value_name = "integer", default_value_t = 0)]
    pub max_width: usize,
    /// Fit the table to the terminal.
    #[arg(long = "fit-width")]
    pub fit_width: bool,
    /// Print an empty table when there is nothing to show.
    #[arg(long = "print-empty")]
    pub print_empty: bool,
}

/// Formats of list commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// CSV.
    Csv,
    /// JSON.
    Json,
    /// A table (default).
    Table,
    /// Values only.
    Value,
    /// YAML.
    Yaml,
}

/// Formats of show commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// JSON.
    Json,
    /// `name="value"` lines.
    Shell,
    /// A table (default).
    Table,
    /// Values only.
    Value,
    /// YAML.
    Yaml,
}

/// CSV quoting modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuoteMode {
    /// Quote everything.
    All,
    /// Quote when needed.
    Minimal,
    /// Never quote.
    None,
    /// Quote non-numbers (default).
    Nonnumeric,
}

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

/// A `key=value` argument (`--property os_distro=cirros`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl std::str::FromStr for KeyValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(KeyValue {
                key: k.to_owned(),
                value: v.to_owned(),
            }),
            _ => Err(format!("expected <key=value>, got {s:?}")),
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
    /// Start the import of an image's data.
    Import(ImageImport),
    /// Build the tiny bootable test image, offline, from Debian packages (ours).
    Build(ImageBuild),
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
    pub output: ShowOutput,
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
    /// Disk format (default: detected from the file, else raw).
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
    /// Kernel file: upload it as an aki image and link it with kernel_id (ours; needs
    /// --ramdisk, and --file for the machine image).
    #[arg(long, value_name = "file", requires_all = ["ramdisk", "file"], conflicts_with = "import")]
    pub kernel: Option<PathBuf>,
    /// Ramdisk file: upload it as an ari image and link it with ramdisk_id (ours; needs
    /// --kernel).
    #[arg(long, value_name = "file", requires = "kernel")]
    pub ramdisk: Option<PathBuf>,
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
    pub output: ShowOutput,
}

/// `image build` (ours).
#[derive(Debug, Args)]
pub struct ImageBuild {
    /// Folder to write the kernel, initramfs and disks into (made when missing).
    #[arg(
        long,
        visible_alias = "output-dir",
        value_name = "DIR",
        default_value = "tiny-image"
    )]
    pub output: PathBuf,
    /// The token the guest prints as `SMOKE-BOOT-OK <token>` (default: a fresh random one).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Where downloads (apt lists, the kernel package) are kept between builds (env:
    /// FSTACK_CACHE_DIR; default: $XDG_CACHE_HOME/ferrostack or ~/.cache/ferrostack).
    #[arg(long = "cache-dir", value_name = "DIR", env = "FSTACK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output_format: ShowOutput,
}

/// `fstack server ...`.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Create a server.
    Create(Box<ServerCreate>),
    /// List servers.
    List(ServerList),
    /// Show a server.
    Show(ServerShow),
    /// Delete servers.
    Delete(ServerDelete),
    /// Start servers.
    Start(ServerNames),
    /// Stop servers.
    Stop(ServerNames),
    /// Reboot a server.
    Reboot(ServerReboot),
}

/// `server create`.
#[derive(Debug, Args)]
pub struct ServerCreate {
    /// The new server's name.
    #[arg(value_name = "server-name")]
    pub name: String,
    /// Flavor (name or id).
    #[arg(long, required = true)]
    pub flavor: String,
    /// Image (name or id).
    #[arg(long, required = true)]
    pub image: String,
    /// Network: `none`, `auto`, or `net-id=ID[,v4-fixed-ip=IP][,port-id=ID]` (repeatable).
    #[arg(long, value_name = "net-id=net-uuid,...|none|auto")]
    pub nic: Vec<String>,
    /// Same as `--nic none`.
    #[arg(long = "no-network", conflicts_with = "nic")]
    pub no_network: bool,
    /// Same as `--nic auto`.
    #[arg(long = "auto-network", conflicts_with_all = ["nic", "no_network"])]
    pub auto_network: bool,
    /// Keypair to inject.
    #[arg(long = "key-name")]
    pub key_name: Option<String>,
    /// A file of user data (cloud-init).
    #[arg(long = "user-data")]
    pub user_data: Option<PathBuf>,
    /// Metadata (repeatable).
    #[arg(long, value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Availability zone.
    #[arg(long = "availability-zone", value_name = "zone-name")]
    pub availability_zone: Option<String>,
    /// Enable the config drive.
    #[arg(long = "use-config-drive")]
    pub use_config_drive: bool,
    /// Wait until the server is ACTIVE.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server list`.
#[derive(Debug, Args)]
pub struct ServerList {
    /// Filter on the name (a regular expression, on the server).
    #[arg(long)]
    pub name: Option<String>,
    /// Filter on the status.
    #[arg(long)]
    pub status: Option<String>,
    /// Filter on the flavor (name or id).
    #[arg(long)]
    pub flavor: Option<String>,
    /// Filter on the image (name or id).
    #[arg(long)]
    pub image: Option<String>,
    /// Every project's servers (admin).
    #[arg(long = "all-projects")]
    pub all_projects: bool,
    /// More columns.
    #[arg(long)]
    pub long: bool,
    /// Show ids instead of looking up image and flavor names.
    #[arg(short = 'n', long = "no-name-lookup")]
    pub no_name_lookup: bool,
    /// The most servers to show.
    #[arg(long, value_name = "num-servers")]
    pub limit: Option<u32>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `server show`.
#[derive(Debug, Args)]
pub struct ServerShow {
    /// Server (name or id).
    pub server: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server delete`.
#[derive(Debug, Args)]
pub struct ServerDelete {
    /// Servers (names or ids).
    #[arg(required = true)]
    pub servers: Vec<String>,
    /// Wait until they are gone.
    #[arg(long)]
    pub wait: bool,
}

/// `server start` / `server stop`.
#[derive(Debug, Args)]
pub struct ServerNames {
    /// Servers (names or ids).
    #[arg(required = true)]
    pub servers: Vec<String>,
}

/// `server reboot`.
#[derive(Debug, Args)]
pub struct ServerReboot {
    /// Server (name or id).
    pub server: String,
    /// Hard reboot.
    #[arg(long, conflicts_with = "soft")]
    pub hard: bool,
    /// Soft reboot (the default).
    #[arg(long)]
    pub soft: bool,
    /// Wait until the server is ACTIVE again.
    #[arg(long)]
    pub wait: bool,
}

/// `fstack console ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// The console log.
    Log {
        #[command(subcommand)]
        command: ConsoleLogCommand,
    },
    /// The remote console URL.
    Url {
        #[command(subcommand)]
        command: ConsoleUrlCommand,
    },
}

/// `console log ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleLogCommand {
    /// Show a server's console log.
    Show(ConsoleLogShow),
}

/// `console log show`.
#[derive(Debug, Args)]
pub struct ConsoleLogShow {
    /// Server (name or id).
    pub server: String,
    /// Only the last N lines.
    #[arg(long, value_name = "num-lines")]
    pub lines: Option<u32>,
}

/// `console url ...`.
#[derive(Debug, Subcommand)]
pub enum ConsoleUrlCommand {
    /// Show a server's remote console URL.
    Show(ConsoleUrlShow),
}

/// `console url show`.
#[derive(Debug, Args)]
pub struct ConsoleUrlShow {
    /// Server (name or id).
    pub server: String,
    /// noVNC (the default).
    #[arg(long, conflicts_with_all = ["xvpvnc", "spice", "serial"])]
    pub novnc: bool,
    /// The XVP VNC proxy.
    #[arg(long, conflicts_with_all = ["spice", "serial"])]
    pub xvpvnc: bool,
    /// SPICE HTML5 (refused: fstack opens VNC consoles only).
    #[arg(long, conflicts_with = "serial")]
    pub spice: bool,
    /// Serial (refused: fstack opens VNC consoles only).
    #[arg(long)]
    pub serial: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `fstack flavor ...`.
#[derive(Debug, Subcommand)]
pub enum FlavorCommand {
    /// List flavors.
    List(FlavorList),
    /// Show a flavor.
    Show(FlavorShow),
}

/// `flavor list`.
#[derive(Debug, Args)]
pub struct FlavorList {
    /// More columns.
    #[arg(long)]
    pub long: bool,
    /// Only public flavors (the default).
    #[arg(long, conflicts_with_all = ["private", "all"])]
    pub public: bool,
    /// Only private flavors.
    #[arg(long, conflicts_with = "all")]
    pub private: bool,
    /// Public and private flavors.
    #[arg(long)]
    pub all: bool,
    /// Only flavors with at least this much disk, in GiB.
    #[arg(long = "min-disk", value_name = "min-disk")]
    pub min_disk: Option<u64>,
    /// Only flavors with at least this much RAM, in MiB.
    #[arg(long = "min-ram", value_name = "min-ram")]
    pub min_ram: Option<u64>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `flavor show`.
#[derive(Debug, Args)]
pub struct FlavorShow {
    /// Flavor (name or id).
    pub flavor: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `fstack keypair ...`.
#[derive(Debug, Subcommand)]
pub enum KeypairCommand {
    /// Create or import a keypair.
    Create(KeypairCreate),
    /// List keypairs.
    List(KeypairList),
    /// Delete keypairs.
    Delete(KeypairDelete),
}

/// `keypair create`.
#[derive(Debug, Args)]
pub struct KeypairCreate {
    /// The keypair's name.
    pub name: String,
    /// Import this public key instead of generating one.
    #[arg(
        long = "public-key",
        value_name = "file",
        conflicts_with = "private_key"
    )]
    pub public_key: Option<PathBuf>,
    /// Where to write the generated private key (default: printed).
    #[arg(long = "private-key", value_name = "file")]
    pub private_key: Option<PathBuf>,
    /// Keypair type: ssh (default) or x509.
    #[arg(long = "type", value_name = "type")]
    pub kind: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `keypair list`.
#[derive(Debug, Args)]
pub struct KeypairList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// `keypair delete`.
#[derive(Debug, Args)]
pub struct KeypairDelete {
    /// Keypairs.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `fstack token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token.
    Issue(TokenIssue),
    /// Revoke a token.
    Revoke(TokenRevoke),
}

/// `token issue`.
#[derive(Debug, Args)]
pub struct TokenIssue {
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevoke {
    /// The token to revoke.
    #[arg(value_parser = secret)]
    pub token: Secret,
}

/// `fstack catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the catalog.
    List(CatalogList),
    /// Show one service of the catalog.
    Show(CatalogShow),
}

/// `catalog list`.
#[derive(Debug, Args)]
pub struct CatalogList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// `catalog show`.
#[derive(Debug, Args)]
pub struct CatalogShow {
    /// Service type or name.
    pub service: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// The output flags of `disk` commands. They follow qemu-img, where `-f` is the image format
/// and `-c` compresses, so the output format is `--output` (as `qemu-img info --output=json`)
/// and columns are chosen with `--column`.
#[derive(Debug, Clone, Args)]
pub struct DiskOutput {
    /// The output format.
    #[arg(
        id = "output",
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value_t = ShowFormat::Table
    )]
    pub format: ShowFormat,
    /// Fields to show (repeatable), in this order.
    #[arg(long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// JSON without indentation.
    #[arg(long)]
    pub noindent: bool,
    /// Prefix of shell variable names.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Maximum table width; below 1 means no limit.
    #[arg(long = "max-width", value_name = "integer", default_value_t = 0)]
    pub max_width: usize,
    /// Fit the table to the terminal.
    #[arg(long = "fit-width")]
    pub fit_width: bool,
}

impl DiskOutput {
    /// The same choices as the show flags every other command takes.
    pub fn show(&self) -> ShowOutput {
        ShowOutput {
            format: self.format,
            columns: self.columns.clone(),
            noindent: self.noindent,
            prefix: self.prefix.clone(),
            variables: Vec::new(),
            max_width: self.max_width,
            fit_width: self.fit_width,
            print_empty: false,
        }
    }
}

/// `fstack disk ...` (ours): qemu-img, typed, with qemu-img's own flag names.
#[derive(Debug, Subcommand)]
pub enum DiskCommand {
    /// Create a disk image (qemu-img create); refuses to overwrite an existing file.
    Create(DiskCreate),
    /// Describe a disk image (qemu-img info).
    Info(DiskInfo),
    /// Convert a disk image to another file and format (qemu-img convert).
    Convert(DiskConvert),
    /// Check a disk image for corruption (qemu-img check). Exits as qemu-img check does:
    /// 0 clean, 1 the check could not run, 2 corrupted, 3 leaked clusters only, 63 the
    /// format cannot be checked.
    Check(DiskCheck),
    /// Change a disk image's virtual size (qemu-img resize).
    Resize(DiskResize),
}

/// `disk create`.
#[derive(Debug, Args)]
pub struct DiskCreate {
    /// The image file to create.
    pub file: PathBuf,
    /// Virtual size: bytes, or with a suffix K, M, G, T, P, E (powers of 1024): `10G`,
    /// `512M`. Optional with -b: the overlay then takes the backing file's size.
    #[arg(required_unless_present = "backing_file")]
    pub size: Option<String>,
    /// Image format.
    #[arg(
        short = 'f',
        long = "format",
        value_name = "FMT",
        default_value = "qcow2"
    )]
    pub format: String,
    /// Backing file: the new image is an overlay recording only changes to it.
    #[arg(
        short = 'b',
        long = "backing",
        value_name = "BACKING",
        requires = "backing_format"
    )]
    pub backing_file: Option<PathBuf>,
    /// The backing file's format (required with -b: qemu-img never probes it).
    #[arg(
        short = 'F',
        long = "backing-format",
        value_name = "FMT",
        requires = "backing_file"
    )]
    pub backing_format: Option<String>,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk info`.
#[derive(Debug, Args)]
pub struct DiskInfo {
    /// The image file.
    pub file: PathBuf,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    /// Describe every image of the backing chain, one row each, top first.
    #[arg(long = "backing-chain")]
    pub backing_chain: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk convert`.
#[derive(Debug, Args)]
pub struct DiskConvert {
    /// Source image.
    pub source: PathBuf,
    /// Destination file (written to a temporary name beside it, renamed when complete).
    pub destination: PathBuf,
    /// Source format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub source_format: Option<String>,
    /// Output format (default: from the destination's extension: .qcow2, .raw, .img, .vmdk,
    /// .vdi, .vhd, .vhdx).
    #[arg(short = 'O', long = "output-format", value_name = "FMT")]
    pub output_format: Option<String>,
    /// Compress the output (qcow2).
    #[arg(short = 'c', long = "compress")]
    pub compress: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk check`.
#[derive(Debug, Args)]
pub struct DiskCheck {
    /// The image file.
    pub file: PathBuf,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk resize`.
#[derive(Debug, Args)]
pub struct DiskResize {
    /// The image file.
    pub file: PathBuf,
    /// New virtual size (`20G`), or a change to it (`+1G`, `-512M`).
    #[arg(allow_hyphen_values = true)]
    pub size: String,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    /// Allow making the image smaller (data past the new end is lost).
    #[arg(long)]
    pub shrink: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `fstack vm ...` (ours): qemu-system, locally.
#[derive(Debug, Subcommand)]
pub enum VmCommand {
    /// Install an OS from an ISO onto a disk: the ISO boots once, its screen is served over
    /// VNC on loopback, and the command waits for the guest to power off (Ctrl-C stops it).
    Install(VmInstall),
    /// Boot a disk image, or a kernel and initrd, and stream the serial console to stdout.
    /// Disks are attached in snapshot mode: a boot never changes them.
    Boot(VmBoot),
}

/// `vm install`.
#[derive(Debug, Args)]
pub struct VmInstall {
    /// The disk to install onto (written to; `fstack disk create` makes one).
    #[arg(long, value_name = "FILE")]
    pub disk: PathBuf,
    /// The installer ISO.
    #[arg(long, value_name = "ISO")]
    pub cdrom: PathBuf,
    /// Memory in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub memory: u32,
    /// Virtual CPUs.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub cpus: u32,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `vm boot`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("boot_source").required(true).multiple(true).args(["disk", "kernel"]))]
pub struct VmBoot {
    /// A disk image (repeatable; the first is /dev/vda).
    #[arg(long, value_name = "FILE")]
    pub disk: Vec<PathBuf>,
    /// A kernel to boot directly.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,
    /// An initrd for --kernel.
    #[arg(long, value_name = "FILE", requires = "kernel")]
    pub initrd: Option<PathBuf>,
    /// The kernel command line for --kernel (add `console=ttyS0` to see the console).
    #[arg(long, value_name = "CMDLINE", requires = "kernel")]
    pub append: Option<String>,
    /// Memory in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub memory: u32,
    /// Virtual CPUs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cpus: u32,
    /// Stop with success at the first console line containing TEXT (lines where the kernel
    /// echoes its command line do not count).
    #[arg(long = "wait-for", value_name = "TEXT")]
    pub wait_for: Option<String>,
    // `--timeout SECONDS` is the global option: the boot gives up after it (default: 120 s
    // with --wait-for, no limit without).
    /// Also write the raw serial console to this file.
    #[arg(long = "serial-log", value_name = "FILE")]
    pub serial_log: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(line: &str) -> Cli {
        Cli::try_parse_from(std::iter::once("fstack").chain(line.split_whitespace()))
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_operators_three_part_upload_parses() {
        // From the operator's notes (shared/seed/operator-week.md).
        let cli = parse(
            "image create cirros-threepart --disk-format ami --container-format ami --public \
             --property kernel_id=KID --property ramdisk_id=RID --file rootfs.img",
        );
        let Command::Image {
            command: ImageCommand::Create(c),
        } = cli.command
        else {
            panic!("not image create");
        };
        assert_eq!(c.name, "cirros-threepart");
        assert_eq!(c.disk_format.as_deref(), Some("ami"));
        assert_eq!(c.visibility.chosen(), Some("public"));
        assert_eq!(c.property.len(), 2);
        assert_eq!(c.property[0].key, "kernel_id");
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = parse("image list --os-cloud mock -f value -c Name --long");
        assert_eq!(cli.global.os_cloud.as_deref(), Some("mock"));
        let cli = parse("--os-cloud mock server show vm1 -f json");
        assert_eq!(cli.global.os_cloud.as_deref(), Some("mock"));
    }

    #[test]
    fn conflicting_flags_are_refused() {
        let err = Cli::try_parse_from(["fstack", "image", "create", "x", "--public", "--private"])
            .unwrap_err();
        assert!(err.to_string().contains("--private"), "{err}");
        let err = Cli::try_parse_from(["fstack", "image", "set", "x", "--property", "noequals"])
            .unwrap_err();
        assert!(err.to_string().contains("expected <key=value>"), "{err}");
    }
}
