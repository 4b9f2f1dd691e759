//! Cloud configuration: clouds.yaml, secure.yaml, clouds-public.yaml and `OS_*` variables,
//! merged with openstacksdk's precedence into a plain [`CloudConfig`].
//!
//! The environment and the file system are inputs ([`ConfigSource`]), so every case is a
//! table test with its own folder under `testdata/clouds/`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::secret::Secret;

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthType {
    /// `password` / `v3password`.
    #[default]
    Password,
    /// `token` / `v3token`.
    Token,
    /// `v3applicationcredential`.
    ApplicationCredential,
    /// `none` (`noauth`): no Keystone, endpoints come from overrides.
    None,
}

/// The `auth:` section, every key optional as in clouds.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthConfig {
    /// Keystone's URL, with or without `/v3`.
    pub auth_url: Option<String>,
    /// `username`.
    pub username: Option<String>,
    /// `user_id`.
    pub user_id: Option<String>,
    /// `password`.
    pub password: Option<Secret>,
    /// `user_domain_name`.
    pub user_domain_name: Option<String>,
    /// `user_domain_id`.
    pub user_domain_id: Option<String>,
    /// `project_name` (or `tenant_name`).
    pub project_name: Option<String>,
    /// `project_id` (or `tenant_id`).
    pub project_id: Option<String>,
    /// `project_domain_name`.
    pub project_domain_name: Option<String>,
    /// `project_domain_id`.
    pub project_domain_id: Option<String>,
    /// `domain_name`: a domain scope, or the default domain of user and project.
    pub domain_name: Option<String>,
    /// `domain_id`: a domain scope, or the default domain of user and project.
    pub domain_id: Option<String>,
    /// `default_domain_id`: fills user/project domain ids when unset.
    pub default_domain_id: Option<String>,
    /// `default_domain_name`: fills user/project domain names when unset.
    pub default_domain_name: Option<String>,
    /// `system_scope` (`all`).
    pub system_scope: Option<String>,
    /// `token` (auth_type token).
    pub token: Option<Secret>,
    /// `application_credential_id`.
    pub application_credential_id: Option<String>,
    /// `application_credential_name`.
    pub application_credential_name: Option<String>,
    /// `application_credential_secret`.
    pub application_credential_secret: Option<Secret>,
    /// `endpoint` (auth_type none).
    pub endpoint: Option<String>,
}

/// Which catalog interface to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interface {
    /// `public` (the default).
    #[default]
    Public,
    /// `internal`.
    Internal,
    /// `admin`.
    Admin,
}

impl Interface {
    /// The catalog spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }
}

/// A fully merged cloud configuration: what the session needs, nothing more.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudConfig {
    /// The cloud's name in clouds.yaml (`None` for a cloud made only from `OS_*` variables).
    pub name: Option<String>,
    /// How to authenticate.
    pub auth_type: AuthType,
    /// The `auth:` section.
    pub auth: AuthConfig,
    /// `region_name`.
    pub region_name: Option<String>,
    /// `regions`, when the cloud lists several.
    pub regions: Vec<String>,
    /// `interface`.
    pub interface: Interface,
    /// `verify` (false only when asked for; `insecure: true` means false).
    pub verify: bool,
    /// `cacert`: a PEM bundle of extra trusted roots.
    pub cacert: Option<PathBuf>,
    /// `cert`: a client certificate (PEM).
    pub cert: Option<PathBuf>,
    /// `key`: the client certificate's key (PEM).
    pub key: Option<PathBuf>,
    /// `<service>_endpoint_override`, keyed by catalog type (`image`, `compute`, `identity`).
    pub endpoint_overrides: BTreeMap<String, String>,
    /// `<service>_api_version`, keyed by catalog type (`compute` -> `2.79`).
    pub api_versions: BTreeMap<String, String>,
    /// `api_timeout` in seconds.
    pub api_timeout: Option<f64>,
}

impl CloudConfig {
    /// A cloud config with every default, `verify` on.
    pub fn new() -> Self {
        Self {
            verify: true,
            ..Default::default()
        }
    }
}

/// Where configuration comes from: the environment and the file system, injected.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    /// Environment variables (`OS_*` and `HOME`, `XDG_CONFIG_HOME`).
    pub env: BTreeMap<String, String>,
    /// The current directory (searched first after `OS_CLIENT_CONFIG_FILE`).
    pub current_dir: Option<PathBuf>,
    /// The user's config folder (normally `~/.config/openstack`).
    pub user_config_dir: Option<PathBuf>,
    /// The site folder (normally `/etc/openstack`).
    pub site_config_dir: Option<PathBuf>,
}

/// Loads a cloud from the real process environment and file system.
/// SKELETON: the config work replaces this with the full loader.
pub fn load_from_process(cloud: Option<&str>) -> crate::Result<CloudConfig> {
    let _ = cloud;
    Err(crate::Error::config(
        "configuration loading is not implemented yet",
    ))
}
