//! The command line: the same command names, flags and defaults as python-openstackclient 10,
//! so that `openstack image create ...` works with `fstack` in front.
//!
//! Here are the top-level parser, the global `--os-*` options and the flags several command
//! groups share; each group's own flags live beside its handler, in `commands/<group>/args.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrostack::Secret;

use crate::commands::catalog::args::CatalogCommand;
use crate::commands::console::args::ConsoleCommand;
use crate::commands::disk::args::DiskCommand;
use crate::commands::extension::args::ExtensionCommand;
use crate::commands::flavor::args::FlavorCommand;
use crate::commands::floating_ip::args::FloatingCommand;
use crate::commands::identity::catalog::{EndpointCommand, RegionCommand, ServiceCommand};
use crate::commands::identity::domain::DomainCommand;
use crate::commands::identity::group::GroupCommand;
use crate::commands::identity::project::ProjectCommand;
use crate::commands::identity::role::{ImpliedCommand, RoleCommand};
use crate::commands::identity::user::UserCommand;
use crate::commands::image::args::ImageCommand;
use crate::commands::keypair::args::KeypairCommand;
use crate::commands::network::args::NetworkCommand;
use crate::commands::port::args::PortCommand;
use crate::commands::router::args::RouterCommand;
use crate::commands::security_group::args::SecurityCommand;
use crate::commands::server::args::ServerCommand;
use crate::commands::subnet::args::SubnetCommand;
use crate::commands::token::args::TokenCommand;
use crate::commands::versions::args::VersionsCommand;
use crate::commands::vm::args::VmCommand;

/// fstack: the openstack command line, in milliseconds.
///
/// A repeated single-value option takes its last value, as argparse (and so openstackclient)
/// does: scripts pass `-f json` twice, or override an earlier flag. Options that collect
/// (`--property`, `--tag`, ...) still collect every value.
#[derive(Debug, Parser)]
#[command(name = "fstack", version, about, long_about = None, args_override_self = true)]
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
    /// Give up after this many seconds: the whole command's deadline, retries and waits
    /// included (api_timeout in clouds.yaml bounds each read).
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
pub fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
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
    /// Nova host aggregates.
    Aggregate {
        #[command(subcommand)]
        command: crate::commands::aggregate::AggregateCommand,
    },
    /// Nova keypairs.
    Keypair {
        #[command(subcommand)]
        command: KeypairCommand,
    },
    /// Neutron networks.
    Network {
        #[command(subcommand)]
        command: NetworkCommand,
    },
    /// Neutron subnets.
    Subnet {
        #[command(subcommand)]
        command: SubnetCommand,
    },
    /// Neutron ports.
    Port {
        #[command(subcommand)]
        command: PortCommand,
    },
    /// Neutron routers.
    Router {
        #[command(subcommand)]
        command: RouterCommand,
    },
    /// API extensions.
    Extension {
        #[command(subcommand)]
        command: ExtensionCommand,
    },
    /// Neutron security groups and their rules.
    Security {
        #[command(subcommand)]
        command: SecurityCommand,
    },
    /// Neutron floating IPs.
    Floating {
        #[command(subcommand)]
        command: FloatingCommand,
    },
    /// Keystone tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Keystone domains.
    Domain {
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Keystone projects.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Keystone users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Keystone groups and their members.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Keystone roles, their assignments and grants.
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Keystone implied roles.
    Implied {
        #[command(subcommand)]
        command: ImpliedCommand,
    },
    /// Keystone regions.
    Region {
        #[command(subcommand)]
        command: RegionCommand,
    },
    /// Keystone services (of the catalog).
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// Keystone endpoints (of the catalog).
    Endpoint {
        #[command(subcommand)]
        command: EndpointCommand,
    },
    /// The service catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// The API versions of the catalog's services.
    Versions {
        #[command(subcommand)]
        command: VersionsCommand,
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
    fn a_repeated_option_takes_its_last_value_as_argparse_does() {
        // openstackclient's own functional tests pass `-f json` twice.
        let cli = parse("image show cirros -f json -f json");
        let Command::Image {
            command: ImageCommand::Show(show),
        } = cli.command
        else {
            panic!("not image show");
        };
        assert_eq!(show.output.format, ShowFormat::Json);
        let cli = parse("--os-cloud a image list --os-cloud b --long --long");
        assert_eq!(cli.global.os_cloud.as_deref(), Some("b"));
        let cli = parse(
            "image create x --disk-format raw --disk-format qcow2 --property a=1 --property b=2",
        );
        let Command::Image {
            command: ImageCommand::Create(c),
        } = cli.command
        else {
            panic!("not image create");
        };
        assert_eq!(c.disk_format.as_deref(), Some("qcow2"));
        assert_eq!(c.property.len(), 2, "a collecting option keeps every value");
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
