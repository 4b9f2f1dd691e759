//! Cloud configuration: clouds.yaml, secure.yaml, clouds-public.yaml and `OS_*` variables,
//! merged with openstacksdk's precedence into a plain [`CloudConfig`].
//!
//! The environment and the file system are inputs ([`ConfigSource`]), so every case is a
//! table test with its own folder under `testdata/clouds/`.
//!
//! Where things are found, in order (the first file of each kind wins):
//! `OS_CLIENT_CONFIG_FILE` (`OS_CLIENT_SECURE_FILE` for secure.yaml), then the current folder,
//! the user's folder (`$XDG_CONFIG_HOME/openstack`, else `~/.config/openstack`) and
//! `/etc/openstack`, each tried as `.yaml`, `.yml` and `.json`.
//!
//! How a cloud is put together, lowest to highest:
//! 1. the public cloud named by `profile:` (or the legacy `cloud:`) in clouds-public.yaml,
//! 2. the cloud's entry in clouds.yaml, with its secure.yaml entry deep-merged over it,
//! 3. the `values` of the chosen entry of `regions`,
//! 4. the `OS_*` variables, as the `openstack` command applies them over `--os-cloud`.
//!
//! Without `OS_CLOUD` (or a name passed in), `OS_*` variables make a cloud of their own,
//! named `envvars` (or `OS_CLOUD_NAME`), which wins over a lone cloud in clouds.yaml, exactly
//! as in openstacksdk.
//!
//! ```no_run
//! use ferrostack::config::{self, ConfigSource};
//!
//! let source = ConfigSource::from_process();
//! println!("clouds: {:?}", config::list_clouds(&source)?);
//! let cloud = config::load(&source, Some("devstack"))?;
//! println!("{}", cloud.auth.auth_url.as_deref().unwrap_or("-"));
//! # Ok::<(), ferrostack::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::secret::Secret;

mod environment;
mod files;
mod finish;
mod layer;
mod origin;
mod select;

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub enum AuthType {
    /// `password` / `v3password`.
    #[default]
    #[serde(rename = "password")]
    Password,
    /// `token` / `v3token`.
    #[serde(rename = "token")]
    Token,
    /// `v3applicationcredential`.
    #[serde(rename = "v3applicationcredential")]
    ApplicationCredential,
    /// `none` (`noauth`): no Keystone, endpoints come from overrides.
    #[serde(rename = "none")]
    None,
}

impl AuthType {
    /// The spellings clouds.yaml and `OS_AUTH_TYPE` accept.
    pub const NAMES: &'static [&'static str] = &[
        "password",
        "v3password",
        "token",
        "v3token",
        "v3applicationcredential",
        "none",
        "noauth",
    ];

    /// The canonical name (`password`, `token`, `v3applicationcredential`, `none`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthType::Password => "password",
            AuthType::Token => "token",
            AuthType::ApplicationCredential => "v3applicationcredential",
            AuthType::None => "none",
        }
    }

    /// Parses one of [`AuthType::NAMES`]. `None` for anything else (including keystoneauth
    /// plugins this SDK does not implement, such as `v2password` or `v3oidcpassword`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "password" | "v3password" => Some(AuthType::Password),
            "token" | "v3token" => Some(AuthType::Token),
            "v3applicationcredential" => Some(AuthType::ApplicationCredential),
            // openstacksdk turns an empty or Python-`None` auth_type into `none` too.
            "none" | "noauth" | "None" => Some(AuthType::None),
            _ => None,
        }
    }
}

/// The `auth:` section, every key optional as in clouds.yaml.
///
/// `Debug` and `Serialize` show secrets as `<redacted>`, and so the user information of
/// `auth_url` and `endpoint` (`http://user:PW@host/`).
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
pub struct AuthConfig {
    /// Keystone's URL, with or without `/v3`.
    #[serde(serialize_with = "crate::secret::serialize_url")]
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
    #[serde(serialize_with = "crate::secret::serialize_url")]
    pub endpoint: Option<String>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A URL as it is, but for the user information a password may hide in.
        struct Url<'a>(&'a Option<String>);
        impl fmt::Debug for Url<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0.as_deref().map(crate::secret::redact_url), f)
            }
        }
        f.debug_struct("AuthConfig")
            .field("auth_url", &Url(&self.auth_url))
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field("password", &self.password)
            .field("user_domain_name", &self.user_domain_name)
            .field("user_domain_id", &self.user_domain_id)
            .field("project_name", &self.project_name)
            .field("project_id", &self.project_id)
            .field("project_domain_name", &self.project_domain_name)
            .field("project_domain_id", &self.project_domain_id)
            .field("domain_name", &self.domain_name)
            .field("domain_id", &self.domain_id)
            .field("default_domain_id", &self.default_domain_id)
            .field("default_domain_name", &self.default_domain_name)
            .field("system_scope", &self.system_scope)
            .field("token", &self.token)
            .field("application_credential_id", &self.application_credential_id)
            .field(
                "application_credential_name",
                &self.application_credential_name,
            )
            .field(
                "application_credential_secret",
                &self.application_credential_secret,
            )
            .field("endpoint", &Url(&self.endpoint))
            .finish()
    }
}

/// Which catalog interface to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
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

    /// Parses `public`, `internal` or `admin`, and the Keystone v2 spellings `publicURL`,
    /// `internalURL` and `adminURL` that old openrc files still carry.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "public" | "publicURL" => Some(Interface::Public),
            "internal" | "internalURL" => Some(Interface::Internal),
            "admin" | "adminURL" => Some(Interface::Admin),
            _ => None,
        }
    }
}

/// A fully merged cloud configuration: what the session needs, nothing more.
///
/// It serializes (for `fstack` and snapshots) with every secret shown as `<redacted>`.
///
/// Its [`Default`] (the same as [`CloudConfig::new`]) verifies TLS certificates, so
/// `CloudConfig { name: Some("prod".into()), ..Default::default() }` is safe.
#[derive(Clone, PartialEq, Serialize)]
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
    /// `<service>_endpoint_override`, keyed by the service as the key spells it
    /// (`image`, `compute`, `identity`, `block_storage`).
    #[serde(serialize_with = "serialize_urls")]
    pub endpoint_overrides: BTreeMap<String, String>,
    /// `<service>_api_version`, keyed like `endpoint_overrides` (`compute` -> `2.79`).
    pub api_versions: BTreeMap<String, String>,
    /// `api_timeout` in seconds: the session's connect and read timeouts, as openstacksdk
    /// hands it to requests as its one timeout. A legacy `<service>_timeout` key
    /// (`compute_timeout`) replaces it, as there; a bare `timeout` key is not read (openstacksdk
    /// takes `timeout` only from the command line).
    pub api_timeout: Option<f64>,
}

impl CloudConfig {
    /// A cloud config with every default, `verify` on.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Written out rather than derived: a derived `Default` would turn TLS verification off.
impl Default for CloudConfig {
    fn default() -> Self {
        Self {
            name: None,
            auth_type: AuthType::default(),
            auth: AuthConfig::default(),
            region_name: None,
            regions: Vec::new(),
            interface: Interface::default(),
            verify: true,
            cacert: None,
            cert: None,
            key: None,
            endpoint_overrides: BTreeMap::new(),
            api_versions: BTreeMap::new(),
            api_timeout: None,
        }
    }
}

/// Every field, but the endpoint overrides without the user information of their URLs.
impl fmt::Debug for CloudConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured, so that a new field cannot be left out unnoticed.
        let CloudConfig {
            name,
            auth_type,
            auth,
            region_name,
            regions,
            interface,
            verify,
            cacert,
            cert,
            key,
            endpoint_overrides,
            api_versions,
            api_timeout,
        } = self;
        let overrides: BTreeMap<&str, std::borrow::Cow<'_, str>> = endpoint_overrides
            .iter()
            .map(|(service, url)| (service.as_str(), crate::secret::redact_url(url)))
            .collect();
        f.debug_struct("CloudConfig")
            .field("name", name)
            .field("auth_type", auth_type)
            .field("auth", auth)
            .field("region_name", region_name)
            .field("regions", regions)
            .field("interface", interface)
            .field("verify", verify)
            .field("cacert", cacert)
            .field("cert", cert)
            .field("key", key)
            .field("endpoint_overrides", &overrides)
            .field("api_versions", api_versions)
            .field("api_timeout", api_timeout)
            .finish()
    }
}

/// The endpoint overrides with [`redact_url`](crate::secret::redact_url) applied to each.
fn serialize_urls<S: serde::Serializer>(
    urls: &BTreeMap<String, String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(
        urls.iter()
            .map(|(service, url)| (service, crate::secret::redact_url(url))),
    )
}

/// Where configuration comes from: the environment and the file system, injected.
///
/// `Debug` masks the values of variables that hold secrets (`OS_PASSWORD`, `OS_TOKEN`, ...).
#[derive(Clone, Default)]
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

impl ConfigSource {
    /// The real process: its `OS_*`, `HOME` and `XDG_CONFIG_HOME` variables, its current
    /// folder, `$XDG_CONFIG_HOME/openstack` (else `~/.config/openstack`) and `/etc/openstack`.
    pub fn from_process() -> Self {
        // Only the variables the loader reads: the source is kept and may be printed.
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("OS_") || k == "HOME" || k == "XDG_CONFIG_HOME")
            .collect();
        let user_config_dir = user_config_dir(&env);
        Self {
            current_dir: std::env::current_dir().ok(),
            user_config_dir,
            site_config_dir: Some(PathBuf::from("/etc/openstack")),
            env,
        }
    }

    /// The folders searched for clouds.yaml, secure.yaml and clouds-public.yaml, in order.
    pub fn search_dirs(&self) -> Vec<&Path> {
        [
            &self.current_dir,
            &self.user_config_dir,
            &self.site_config_dir,
        ]
        .into_iter()
        .filter_map(|d| d.as_deref())
        .collect()
    }

    /// A variable, if it is set to something other than the empty string (an empty
    /// variable counts as unset, as it does for `openstack`'s options).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// `$XDG_CONFIG_HOME/openstack` when that is an absolute path (the XDG rule), else
/// `$HOME/.config/openstack`.
fn user_config_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let xdg = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        env.get("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(h).join(".config"))
    })?;
    Some(base.join("openstack"))
}

impl fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: BTreeMap<&str, &str> = self
            .env
            .iter()
            .map(|(k, v)| {
                let shown = if environment::is_secret_var(k) {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("ConfigSource")
            .field("env", &env)
            .field("current_dir", &self.current_dir)
            .field("user_config_dir", &self.user_config_dir)
            .field("site_config_dir", &self.site_config_dir)
            .finish()
    }
}

/// Loads one cloud: `cloud` if given, else `OS_CLOUD`, else the `OS_*` variables, else the
/// only cloud in clouds.yaml. Pure: everything it reads comes from `source`.
///
/// Errors are [`ErrorKind::Config`](crate::ErrorKind::Config) and name the file, the cloud
/// and the key at fault.
pub fn load(source: &ConfigSource, cloud: Option<&str>) -> crate::Result<CloudConfig> {
    let files = files::Files::find(source)?;
    let env = environment::Environment::new(source);
    select::load(source, &files, &env, cloud)
}

/// The names of the clouds one could load: clouds.yaml's, in file order, then the cloud
/// made from `OS_*` variables (`envvars`) when there is one.
pub fn list_clouds(source: &ConfigSource) -> crate::Result<Vec<String>> {
    let files = files::Files::find(source)?;
    let env = environment::Environment::new(source);
    select::list(&files, &env)
}

/// Loads a cloud from the real process environment and file system:
/// [`load`] over [`ConfigSource::from_process`].
pub fn load_from_process(cloud: Option<&str>) -> crate::Result<CloudConfig> {
    load(&ConfigSource::from_process(), cloud)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_config_dir_follows_xdg() {
        let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/home/ada")])),
            Some(PathBuf::from("/home/ada/.config/openstack"))
        );
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "/x")])),
            Some(PathBuf::from("/x/openstack"))
        );
        // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
        assert_eq!(
            user_config_dir(&env(&[("HOME", "/home/ada"), ("XDG_CONFIG_HOME", "rel")])),
            Some(PathBuf::from("/home/ada/.config/openstack"))
        );
        assert_eq!(user_config_dir(&env(&[])), None);
    }

    #[test]
    fn debug_masks_secret_variables() {
        let source = ConfigSource {
            env: [
                ("OS_PASSWORD", "hunter2"),
                ("OS_TOKEN", "gAAAA-token"),
                ("OS_APPLICATION_CREDENTIAL_SECRET", "appsecret"),
                ("OS_USERNAME", "ada"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Default::default()
        };
        let shown = format!("{source:?}");
        assert!(shown.contains("ada"), "{shown}");
        for secret in ["hunter2", "gAAAA-token", "appsecret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn serializes_secrets_redacted() {
        let mut config = CloudConfig::new();
        config.auth.password = Some(Secret::new("hunter2"));
        config.auth_type = AuthType::ApplicationCredential;
        let yaml = serde_norway::to_string(&config).unwrap();
        assert!(!yaml.contains("hunter2"), "{yaml}");
        assert!(yaml.contains("password: <redacted>"), "{yaml}");
        assert!(
            yaml.contains("auth_type: v3applicationcredential"),
            "{yaml}"
        );
    }

    #[test]
    fn the_default_verifies_tls() {
        assert!(CloudConfig::default().verify);
        let built = CloudConfig {
            name: Some("prod".into()),
            ..Default::default()
        };
        assert!(built.verify);
        assert_eq!(CloudConfig::new(), CloudConfig::default());
    }

    #[test]
    fn urls_are_shown_without_their_user_information() {
        let mut config = CloudConfig::new();
        config.auth.auth_url = Some("http://ada:hunter2@k.example/v3".into());
        config.auth.endpoint = Some("http://ada:hunter2@n.example/".into());
        config
            .endpoint_overrides
            .insert("image".into(), "https://ada:hunter2@g.example".into());
        let yaml = serde_norway::to_string(&config).unwrap();
        assert!(!yaml.contains("hunter2"), "{yaml}");
        assert!(yaml.contains("https://<redacted>@g.example"), "{yaml}");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("https://<redacted>@g.example"), "{debug}");
        for shown in [&yaml, &debug] {
            assert!(shown.contains("http://<redacted>@k.example/v3"), "{shown}");
            assert!(shown.contains("http://<redacted>@n.example/"), "{shown}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in AuthType::NAMES {
            let parsed = AuthType::from_name(name).unwrap();
            assert_eq!(AuthType::from_name(parsed.as_str()), Some(parsed));
        }
        assert_eq!(AuthType::from_name("v2password"), None);
        assert_eq!(
            Interface::from_name("internalURL"),
            Some(Interface::Internal)
        );
        assert_eq!(Interface::from_name("private"), None);
    }
}
