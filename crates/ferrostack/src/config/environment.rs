//! The `OS_*` variables: which ones are understood, and the layer of settings they make.

use super::ConfigSource;
use super::layer::{
    Layer, auth_slot, check_url, parse_auth_type, parse_bool, parse_interface, parse_timeout,
    service_of,
};
use super::origin::Origin;

/// What a variable sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A key of the `auth:` section (canonical name, as in `layer::AUTH_KEYS`).
    Auth(&'static str),
    AuthType,
    RegionName,
    Interface,
    Cacert,
    Cert,
    Key,
    Insecure,
    ApiTimeout,
}

/// Every variable understood besides `OS_<SERVICE>_ENDPOINT_OVERRIDE` and
/// `OS_<SERVICE>_API_VERSION`; where several set the same thing, the first one set wins
/// (`OS_PROJECT_NAME` over the Keystone v2 `OS_TENANT_NAME`).
const VARS: &[(Target, &[&str])] = &[
    (Target::Auth("auth_url"), &["OS_AUTH_URL"]),
    (Target::Auth("username"), &["OS_USERNAME"]),
    (Target::Auth("user_id"), &["OS_USER_ID"]),
    (Target::Auth("password"), &["OS_PASSWORD"]),
    (Target::Auth("user_domain_name"), &["OS_USER_DOMAIN_NAME"]),
    (Target::Auth("user_domain_id"), &["OS_USER_DOMAIN_ID"]),
    (
        Target::Auth("project_name"),
        &["OS_PROJECT_NAME", "OS_TENANT_NAME"],
    ),
    (
        Target::Auth("project_id"),
        &["OS_PROJECT_ID", "OS_TENANT_ID"],
    ),
    (
        Target::Auth("project_domain_name"),
        &["OS_PROJECT_DOMAIN_NAME"],
    ),
    (Target::Auth("project_domain_id"), &["OS_PROJECT_DOMAIN_ID"]),
    (Target::Auth("domain_name"), &["OS_DOMAIN_NAME"]),
    (Target::Auth("domain_id"), &["OS_DOMAIN_ID"]),
    // python-openstackclient's OS_DEFAULT_DOMAIN is a domain id (it defaults to "default").
    (
        Target::Auth("default_domain_id"),
        &["OS_DEFAULT_DOMAIN_ID", "OS_DEFAULT_DOMAIN"],
    ),
    (
        Target::Auth("default_domain_name"),
        &["OS_DEFAULT_DOMAIN_NAME"],
    ),
    (Target::Auth("system_scope"), &["OS_SYSTEM_SCOPE"]),
    (Target::Auth("token"), &["OS_TOKEN", "OS_AUTH_TOKEN"]),
    (
        Target::Auth("application_credential_id"),
        &["OS_APPLICATION_CREDENTIAL_ID"],
    ),
    (
        Target::Auth("application_credential_name"),
        &["OS_APPLICATION_CREDENTIAL_NAME"],
    ),
    (
        Target::Auth("application_credential_secret"),
        &["OS_APPLICATION_CREDENTIAL_SECRET"],
    ),
    (Target::Auth("endpoint"), &["OS_ENDPOINT"]),
    (Target::AuthType, &["OS_AUTH_TYPE", "OS_AUTH_PLUGIN"]),
    (Target::RegionName, &["OS_REGION_NAME"]),
    (Target::Interface, &["OS_INTERFACE", "OS_ENDPOINT_TYPE"]),
    (Target::Cacert, &["OS_CACERT"]),
    (Target::Cert, &["OS_CERT"]),
    (Target::Key, &["OS_KEY"]),
    (Target::Insecure, &["OS_INSECURE"]),
    (Target::ApiTimeout, &["OS_API_TIMEOUT"]),
];

/// The name of the cloud the variables make when no `OS_CLOUD_NAME` renames it.
pub(crate) const DEFAULT_ENV_CLOUD: &str = "envvars";

/// Whether a variable holds a secret, so that its value is never shown.
pub(crate) fn is_secret_var(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN"]
        .iter()
        .any(|word| upper.contains(word))
}

/// The variable that sets a key (`auth.auth_url` -> `OS_AUTH_URL`), for hints.
pub(crate) fn var_for_key(key: &str) -> Option<&'static str> {
    let target = match key.strip_prefix("auth.") {
        Some(auth_key) => VARS
            .iter()
            .map(|(t, _)| *t)
            .find(|t| matches!(t, Target::Auth(k) if *k == auth_key))?,
        None => match key {
            "auth_type" => Target::AuthType,
            "region_name" => Target::RegionName,
            "interface" => Target::Interface,
            "cacert" => Target::Cacert,
            "cert" => Target::Cert,
            "key" => Target::Key,
            "insecure" => Target::Insecure,
            "api_timeout" => Target::ApiTimeout,
            _ => return None,
        },
    };
    VARS.iter()
        .find(|(t, _)| *t == target)
        .map(|(_, vars)| vars[0])
}

/// The `OS_*` variables of a [`ConfigSource`].
pub(crate) struct Environment<'a> {
    source: &'a ConfigSource,
}

impl<'a> Environment<'a> {
    pub(crate) fn new(source: &'a ConfigSource) -> Self {
        Self { source }
    }

    /// `OS_CLOUD`: the cloud asked for.
    pub(crate) fn selected(&self) -> Option<&'a str> {
        self.source.var("OS_CLOUD")
    }

    /// The name of the cloud made of variables: `OS_CLOUD_NAME`, else `envvars`.
    pub(crate) fn cloud_name(&self) -> &'a str {
        self.source
            .var("OS_CLOUD_NAME")
            .unwrap_or(DEFAULT_ENV_CLOUD)
    }

    /// Whether the variables describe a cloud: any variable that sets something, not only
    /// the selectors (`OS_CLOUD`, `OS_REGION_NAME`, `OS_CLIENT_CONFIG_FILE`, ...), which is
    /// openstacksdk's rule for making the `envvars` cloud.
    pub(crate) fn has_config(&self) -> bool {
        let listed = VARS
            .iter()
            .filter(|(t, _)| *t != Target::RegionName)
            .flat_map(|(_, vars)| vars.iter())
            .any(|v| self.source.var(v).is_some());
        listed || self.per_service().next().is_some()
    }

    /// `OS_<SERVICE>_ENDPOINT_OVERRIDE` and `OS_<SERVICE>_API_VERSION`, as
    /// (variable, which, service, value), the service lower-cased (`OS_BLOCK_STORAGE_...` ->
    /// `block_storage`, the spelling of the clouds.yaml key).
    fn per_service(&self) -> impl Iterator<Item = (&'a str, PerService, String, &'a str)> {
        self.source.env.iter().filter_map(|(name, value)| {
            if value.is_empty() {
                return None;
            }
            let rest = name.strip_prefix("OS_")?;
            let (which, service) = if let Some(s) = service_of(rest, "_ENDPOINT_OVERRIDE") {
                (PerService::EndpointOverride, s)
            } else {
                (PerService::ApiVersion, service_of(rest, "_API_VERSION")?)
            };
            Some((
                name.as_str(),
                which,
                service.to_ascii_lowercase(),
                value.as_str(),
            ))
        })
    }

    /// The layer the variables make, for `cloud` (named in errors).
    pub(crate) fn layer(&self, cloud: &str) -> crate::Result<Layer> {
        let origin = Origin::Environment {
            cloud: cloud.to_owned(),
        };
        let mut layer = Layer::default();
        for (target, vars) in VARS {
            let Some((var, value)) = vars
                .iter()
                .find_map(|v| self.source.var(v).map(|value| (*v, value)))
            else {
                continue;
            };
            let invalid = |problem: String| origin.invalid(var, problem);
            match target {
                Target::Auth(key) => {
                    if matches!(*key, "auth_url" | "endpoint") {
                        check_url(value).map_err(invalid)?;
                    }
                    auth_slot(&mut layer.auth, key)
                        .set(value.to_owned())
                        .map_err(invalid)?;
                }
                Target::AuthType => {
                    layer.auth_type = Some(parse_auth_type(value).map_err(invalid)?)
                }
                Target::RegionName => layer.region_name = Some(value.to_owned()),
                Target::Interface => {
                    layer.interface = Some(parse_interface(value).map_err(invalid)?)
                }
                Target::Cacert => layer.cacert = Some(value.into()),
                Target::Cert => layer.cert = Some(value.into()),
                Target::Key => layer.key = Some(value.into()),
                Target::Insecure => layer.insecure = Some(parse_bool(value).map_err(invalid)?),
                Target::ApiTimeout => {
                    layer.api_timeout = Some(parse_timeout(value).map_err(invalid)?)
                }
            }
        }
        for (var, which, service, value) in self.per_service() {
            match which {
                PerService::EndpointOverride => {
                    check_url(value).map_err(|p| origin.invalid(var, p))?;
                    layer.endpoint_overrides.insert(service, value.to_owned());
                }
                PerService::ApiVersion => {
                    layer.api_versions.insert(service, value.to_owned());
                }
            }
        }
        Ok(layer)
    }
}

/// The two per-service variables.
#[derive(Debug, Clone, Copy)]
enum PerService {
    EndpointOverride,
    ApiVersion,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthType, Interface};

    fn source(pairs: &[(&str, &str)]) -> ConfigSource {
        ConfigSource {
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn variables_make_a_layer() {
        let s = source(&[
            ("OS_AUTH_URL", "https://keystone.example/v3"),
            ("OS_TENANT_NAME", "old"),
            ("OS_PROJECT_NAME", "new"),
            ("OS_ENDPOINT_TYPE", "internalURL"),
            ("OS_AUTH_TYPE", "v3token"),
            ("OS_TOKEN", "gAAAA"),
            ("OS_IMAGE_ENDPOINT_OVERRIDE", "https://glance.example"),
            ("OS_COMPUTE_API_VERSION", "2.79"),
            ("OS_BLOCK_STORAGE_API_VERSION", "3"),
            ("OS_INSECURE", "True"),
            ("OS_DEFAULT_DOMAIN", "default"),
            ("OS_USERNAME", ""),
        ]);
        let env = Environment::new(&s);
        assert!(env.has_config());
        let l = env.layer("envvars").unwrap();
        assert_eq!(l.auth.project_name.as_deref(), Some("new"));
        assert_eq!(l.auth.username, None, "empty variables are unset");
        assert_eq!(l.auth.default_domain_id.as_deref(), Some("default"));
        assert_eq!(l.interface, Some(Interface::Internal));
        assert_eq!(l.auth_type, Some(AuthType::Token));
        assert_eq!(l.insecure, Some(true));
        assert_eq!(l.endpoint_overrides["image"], "https://glance.example");
        assert_eq!(l.api_versions["compute"], "2.79");
        assert_eq!(l.api_versions["block_storage"], "3");
    }

    #[test]
    fn selectors_alone_make_no_cloud() {
        let s = source(&[
            ("OS_CLOUD", "prod"),
            ("OS_REGION_NAME", "R1"),
            ("OS_CLIENT_CONFIG_FILE", "/x/clouds.yaml"),
            ("OS_CLOUD_NAME", "mine"),
            ("HOME", "/home/ada"),
        ]);
        let env = Environment::new(&s);
        assert!(!env.has_config());
        assert_eq!(env.cloud_name(), "mine");
        assert_eq!(env.selected(), Some("prod"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let s = source(&[("OS_INTERFACE", "sideways")]);
        let err = Environment::new(&s).layer("envvars").unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: cloud \"envvars\": variable OS_INTERFACE: \"sideways\" is not an interface (expected public, internal or admin)"
        );
    }

    #[test]
    fn hints_and_secrets() {
        assert_eq!(var_for_key("auth.project_id"), Some("OS_PROJECT_ID"));
        assert_eq!(var_for_key("interface"), Some("OS_INTERFACE"));
        assert_eq!(var_for_key("auth.nonsense"), None);
        assert!(is_secret_var("OS_PASSWORD"));
        assert!(is_secret_var("OS_APPLICATION_CREDENTIAL_SECRET"));
        assert!(!is_secret_var("OS_USERNAME"));
    }
}
