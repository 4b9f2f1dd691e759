//! The flags of `fstack flavor ...`, as openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{KeyValue, ListOutput, ShowOutput};

/// `fstack flavor ...`.
#[derive(Debug, Subcommand)]
pub enum FlavorCommand {
    /// Create new flavor.
    Create(FlavorCreate),
    /// Delete flavor(s).
    Delete(FlavorDelete),
    /// List flavors.
    List(FlavorList),
    /// Set flavor properties.
    Set(FlavorSet),
    /// Show a flavor.
    Show(FlavorShow),
    /// Unset flavor properties.
    Unset(FlavorUnset),
}

/// `flavor create`.
#[derive(Debug, Args)]
pub struct FlavorCreate {
    /// New flavor name.
    #[arg(value_name = "flavor-name")]
    pub name: String,
    /// Unique flavor ID (`auto`, deprecated, is the same as none).
    #[arg(long, value_name = "id")]
    pub id: Option<String>,
    /// Memory size in MB.
    #[arg(long, value_name = "size-mb", default_value_t = 256)]
    pub ram: u64,
    /// Disk size in GB.
    #[arg(long, value_name = "size-gb", default_value_t = 0)]
    pub disk: u64,
    /// Ephemeral disk size in GB.
    #[arg(long, value_name = "size-gb", default_value_t = 0)]
    pub ephemeral: u64,
    /// Additional swap space size in MB.
    #[arg(long, value_name = "size-mb", default_value_t = 0)]
    pub swap: u64,
    /// Number of vcpus.
    #[arg(long, value_name = "vcpus", default_value_t = 1)]
    pub vcpus: u32,
    /// RX/TX factor.
    #[arg(
        long = "rxtx-factor",
        value_name = "factor",
        allow_negative_numbers = true
    )]
    pub rxtx_factor: Option<f64>,
    /// Flavor is available to other projects (default).
    #[arg(long, conflicts_with = "private")]
    pub public: bool,
    /// Flavor is not available to other projects.
    #[arg(long)]
    pub private: bool,
    /// Property to add for this flavor (repeatable).
    #[arg(long = "property", value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Allow this project to access the private flavor (name or ID; needs --private).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Description for the flavor (compute API 2.55 and later).
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `flavor delete`.
#[derive(Debug, Args)]
pub struct FlavorDelete {
    /// Flavor(s) to delete (name or ID).
    #[arg(value_name = "flavor", required = true)]
    pub flavors: Vec<String>,
}

/// `flavor set`.
#[derive(Debug, Args)]
pub struct FlavorSet {
    /// Flavor to modify (name or ID).
    pub flavor: String,
    /// Remove all properties first.
    #[arg(long = "no-property")]
    pub no_property: bool,
    /// Property to add or modify (repeatable).
    #[arg(long = "property", value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Give this project access to the flavor (name or ID; admin only).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Set description for the flavor (compute API 2.55 and later).
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
}

/// `flavor unset`.
#[derive(Debug, Args)]
pub struct FlavorUnset {
    /// Flavor to modify (name or ID).
    pub flavor: String,
    /// Property to remove (repeatable).
    #[arg(long = "property", value_name = "key")]
    pub property: Vec<String>,
    /// Remove the flavor's access from this project (name or ID; admin only).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
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
