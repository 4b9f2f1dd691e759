//! From the merged layers to a [`CloudConfig`]: defaults, the few derived values, and the
//! checks that need every layer (what is still missing once everything is merged).

use std::path::{Path, PathBuf};

use super::layer::{Layer, check_url};
use super::origin::Origin;
use super::{AuthConfig, AuthType, CloudConfig, ConfigSource};

/// Finishes a cloud. `origin` is the cloud's home (its clouds.yaml entry, or the
/// environment): a key no layer set is reported there.
pub(crate) fn finish(
    source: &ConfigSource,
    layer: Layer,
    region_name: Option<String>,
    regions: Vec<String>,
    origin: &Origin,
    name: Option<&str>,
) -> crate::Result<CloudConfig> {
    let auth_type = layer
        .auth_type
        .clone()
        .unwrap_or_else(|| implied_auth_type(&layer.auth));
    let mut auth = layer.auth;

    // Public cloud profiles write auth_url as a template over the region.
    if let Some(url) = &mut auth.auth_url
        && url.contains("{region_name}")
    {
        let Some(region) = &region_name else {
            return Err(origin.invalid(
                "auth.auth_url",
                format!("\"{url}\" needs a region for {{region_name}}, and none is set"),
            ));
        };
        *url = url.replace("{region_name}", region);
        check_url(url).map_err(|p| origin.invalid("auth.auth_url", p))?;
    }

    check_auth(
        &auth_type,
        &auth,
        !layer.endpoint_overrides.is_empty(),
        origin,
    )?;
    if layer.key.is_some() && layer.cert.is_none() {
        return Err(origin.invalid("key", "a client key needs its client certificate (cert)"));
    }

    let home = source.var("HOME");
    // openstacksdk's rule: insecure wins over verify, whatever layer each came from.
    let verify = !layer.insecure.unwrap_or(false) && layer.verify.unwrap_or(true);
    Ok(CloudConfig {
        name: name.map(str::to_owned),
        auth_type,
        auth,
        region_name,
        regions,
        interface: layer.interface.unwrap_or_default(),
        verify,
        cacert: layer.cacert.map(|p| expand_home(p, home)),
        cert: layer.cert.map(|p| expand_home(p, home)),
        key: layer.key.map(|p| expand_home(p, home)),
        endpoint_overrides: layer.endpoint_overrides,
        api_versions: layer.api_versions,
        // openstacksdk's `_fix_backwards_api_timeout`: a `<service>_timeout` wins.
        api_timeout: layer.service_timeout.or(layer.api_timeout),
    })
}

/// Without an `auth_type`, what the credentials imply, as python-openstackclient decides:
/// a token alone means `token`, an application credential alone `v3applicationcredential`,
/// anything else `password` (openstacksdk's default).
fn implied_auth_type(auth: &AuthConfig) -> AuthType {
    if auth.password.is_some() {
        AuthType::Password
    } else if auth.token.is_some() {
        AuthType::Token
    } else if auth.application_credential_secret.is_some() {
        AuthType::ApplicationCredential
    } else {
        AuthType::Password
    }
}

/// The keys each auth type cannot do without.
fn check_auth(
    auth_type: &AuthType,
    auth: &AuthConfig,
    has_overrides: bool,
    origin: &Origin,
) -> crate::Result<()> {
    let need = |present: bool, keys: &[&str]| {
        if present {
            Ok(())
        } else {
            Err(origin.missing(keys))
        }
    };
    if *auth_type == AuthType::None {
        return need(
            auth.endpoint.is_some() || has_overrides,
            &["auth.endpoint", "<service>_endpoint_override"],
        );
    }
    need(auth.auth_url.is_some(), &["auth.auth_url"])?;
    let user = auth.username.is_some() || auth.user_id.is_some();
    match auth_type {
        AuthType::Password => {
            need(user, &["auth.username", "auth.user_id"])?;
            need(auth.password.is_some(), &["auth.password"])
        }
        AuthType::Token => need(auth.token.is_some(), &["auth.token"]),
        AuthType::ApplicationCredential => {
            need(
                auth.application_credential_secret.is_some(),
                &["auth.application_credential_secret"],
            )?;
            need(
                auth.application_credential_id.is_some()
                    || auth.application_credential_name.is_some(),
                &[
                    "auth.application_credential_id",
                    "auth.application_credential_name",
                ],
            )?;
            // A credential named (not by id) belongs to a user, who must be named too.
            need(
                auth.application_credential_id.is_some() || user,
                &["auth.user_id", "auth.username"],
            )
        }
        AuthType::None => Ok(()),
    }
}

/// `~/x` -> `$HOME/x`, as openstacksdk does for `cacert`; other paths are kept as written.
fn expand_home(path: PathBuf, home: Option<&str>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => Path::new(home).join(rest),
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn origin() -> Origin {
        Origin::Environment {
            cloud: "envvars".into(),
        }
    }

    #[test]
    fn implied_auth_types() {
        let token = AuthConfig {
            token: Some(Secret::new("t")),
            username: Some("ada".into()),
            ..Default::default()
        };
        assert_eq!(implied_auth_type(&token), AuthType::Token);
        let both = AuthConfig {
            password: Some(Secret::new("p")),
            ..token.clone()
        };
        assert_eq!(implied_auth_type(&both), AuthType::Password);
        let app = AuthConfig {
            application_credential_secret: Some(Secret::new("s")),
            ..Default::default()
        };
        assert_eq!(implied_auth_type(&app), AuthType::ApplicationCredential);
        assert_eq!(
            implied_auth_type(&AuthConfig::default()),
            AuthType::Password
        );
    }

    #[test]
    fn home_is_expanded() {
        assert_eq!(
            expand_home("~/ca.pem".into(), Some("/home/ada")),
            PathBuf::from("/home/ada/ca.pem")
        );
        assert_eq!(
            expand_home("~/ca.pem".into(), None),
            PathBuf::from("~/ca.pem")
        );
        assert_eq!(
            expand_home("/ca.pem".into(), Some("/h")),
            PathBuf::from("/ca.pem")
        );
    }

    #[test]
    fn insecure_wins_over_verify() {
        let source = ConfigSource::default();
        let layer = Layer {
            auth_type: Some(AuthType::None),
            auth: AuthConfig {
                endpoint: Some("http://x.example".into()),
                ..Default::default()
            },
            verify: Some(true),
            insecure: Some(true),
            ..Default::default()
        };
        let config = finish(&source, layer, None, Vec::new(), &origin(), None).unwrap();
        assert!(!config.verify);
    }

    #[test]
    fn region_template_in_auth_url() {
        let source = ConfigSource::default();
        let layer = Layer {
            auth: AuthConfig {
                auth_url: Some("https://identity.{region_name}.example/v3".into()),
                token: Some(Secret::new("t")),
                ..Default::default()
            },
            ..Default::default()
        };
        let config = finish(
            &source,
            layer.clone(),
            Some("r1".into()),
            Vec::new(),
            &origin(),
            None,
        )
        .unwrap();
        assert_eq!(
            config.auth.auth_url.as_deref(),
            Some("https://identity.r1.example/v3")
        );
        let err = finish(&source, layer, None, Vec::new(), &origin(), None).unwrap_err();
        assert!(err.to_string().contains("needs a region"), "{err}");
    }
}
