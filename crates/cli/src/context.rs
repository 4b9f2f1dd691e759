//! From the global flags to a connected cloud.
//!
//! Flags win over `OS_*` variables, which win over clouds.yaml, as in openstackclient. The
//! simplest faithful way to get that precedence is to lay each flag over the process
//! environment as the variable it stands for, then let the SDK's loader do the rest: the CLI
//! and the SDK can then never disagree about what a configuration means.

use std::io::IsTerminal;

use anyhow::{Context as _, Result};
use ferrostack::config::CloudConfig;
use ferrostack::config::{self, ConfigSource};
use ferrostack::session::Session;
use ferrostack::{Cloud, Secret};
use tokio::sync::OnceCell;

use crate::args::GlobalArgs;
use crate::token_cache::TokenCache;

/// What every command gets: the global flags, and the cloud they name (made on first use, so
/// local commands never read clouds.yaml).
pub struct Context {
    global: GlobalArgs,
    cloud: OnceCell<Cloud>,
    /// The token cache of the cloud, and the token id it gave the session (if any).
    cache: std::sync::OnceLock<(TokenCache, Option<Secret>)>,
}

impl Context {
    /// A context over the parsed global flags.
    pub fn new(global: GlobalArgs) -> Self {
        Self {
            global,
            cloud: OnceCell::new(),
            cache: std::sync::OnceLock::new(),
        }
    }

    /// The global flags.
    pub fn global(&self) -> &GlobalArgs {
        &self.global
    }

    /// The configuration source: the process environment with the flags laid over it.
    pub fn config_source(&self) -> ConfigSource {
        let mut source = ConfigSource::from_process();
        for (name, value) in flag_variables(&self.global) {
            source.env.insert(name.to_owned(), value);
        }
        source
    }

    /// The merged configuration of the chosen cloud.
    pub fn config(&self) -> Result<CloudConfig> {
        let source = self.config_source();
        // OS_CLOUD comes through the source, set by --os-cloud when given.
        Ok(config::load(&source, None)?)
    }

    /// The connected cloud (authenticates lazily, on the first request). Unless `--no-cache`,
    /// the session starts with the cached token of this cloud and scope, when there is one.
    pub async fn cloud(&self) -> Result<&Cloud> {
        self.cloud
            .get_or_try_init(|| async {
                let config = self.config()?;
                let cache = (!self.global.no_cache)
                    .then(|| TokenCache::for_config(&config))
                    .flatten();
                let mut builder = Session::builder(config);
                // Counted from here, the first use of the cloud: the milliseconds of parsing
                // and loading before it are not worth a less readable limit in the errors.
                if let Some(limit) = self.time_limit()? {
                    builder = builder.time_limit(limit);
                }
                if let Some(cache) = cache {
                    let cached = cache.load();
                    let seeded = cached.as_ref().map(|t| t.id.clone());
                    if let Some(token) = cached {
                        builder = builder.token(token);
                    }
                    let _ = self.cache.set((cache, seeded));
                }
                let session = builder.build().context("cannot set up the connection")?;
                Ok(Cloud::from_session(session))
            })
            .await
    }

    /// `--timeout SECONDS`: the whole command's deadline, as a user reads it. Every request,
    /// retry and wait of the command ends by then (openstackclient's `--timeout` bounds each
    /// socket operation instead, which a retried call can exceed many times over).
    pub fn time_limit(&self) -> Result<Option<std::time::Duration>> {
        match self.global.timeout {
            None => Ok(None),
            Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                Ok(Some(std::time::Duration::from_secs_f64(seconds)))
            }
            Some(seconds) => anyhow::bail!("--timeout {seconds}: give a number of seconds above 0"),
        }
    }

    /// Writes the session's token to the cache when it is not the one read from it (a first
    /// run, an expired or revoked token replaced). A cache that cannot be written only costs
    /// the next command an authentication, so that is logged, never an error.
    pub async fn save_token(&self) {
        let (Some(cloud), Some((cache, seeded))) = (self.cloud.get(), self.cache.get()) else {
            return;
        };
        let Some(token) = cloud.session().cached_token().await else {
            return;
        };
        if seeded.as_ref() == Some(&token.id) {
            return;
        }
        if let Err(e) = cache.store(&token) {
            tracing::debug!(dir = %cache.dir().display(), error = %e, "cannot write the token cache");
        }
    }

    /// Whether progress bars may be drawn: only on a terminal, never into a pipe or a file.
    pub fn interactive(&self) -> bool {
        std::io::stderr().is_terminal()
    }
}

/// The `OS_*` variable each global flag stands for, with its value, for the flags given.
fn flag_variables(g: &GlobalArgs) -> Vec<(&'static str, String)> {
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let secret = |s: &Option<ferrostack::Secret>| s.as_ref().map(|s| s.expose().to_owned());
    let pairs: [(&'static str, Option<String>); 26] = [
        ("OS_CLOUD", g.os_cloud.clone()),
        ("OS_AUTH_URL", g.os_auth_url.clone()),
        ("OS_AUTH_TYPE", g.os_auth_type.clone()),
        ("OS_USERNAME", g.os_username.clone()),
        ("OS_USER_ID", g.os_user_id.clone()),
        ("OS_PASSWORD", secret(&g.os_password)),
        ("OS_USER_DOMAIN_NAME", g.os_user_domain_name.clone()),
        ("OS_USER_DOMAIN_ID", g.os_user_domain_id.clone()),
        ("OS_PROJECT_NAME", g.os_project_name.clone()),
        ("OS_PROJECT_ID", g.os_project_id.clone()),
        ("OS_PROJECT_DOMAIN_NAME", g.os_project_domain_name.clone()),
        ("OS_PROJECT_DOMAIN_ID", g.os_project_domain_id.clone()),
        ("OS_DOMAIN_NAME", g.os_domain_name.clone()),
        ("OS_DOMAIN_ID", g.os_domain_id.clone()),
        ("OS_SYSTEM_SCOPE", g.os_system_scope.clone()),
        ("OS_TOKEN", secret(&g.os_token)),
        (
            "OS_APPLICATION_CREDENTIAL_ID",
            g.os_application_credential_id.clone(),
        ),
        (
            "OS_APPLICATION_CREDENTIAL_NAME",
            g.os_application_credential_name.clone(),
        ),
        (
            "OS_APPLICATION_CREDENTIAL_SECRET",
            secret(&g.os_application_credential_secret),
        ),
        ("OS_REGION_NAME", g.os_region_name.clone()),
        ("OS_INTERFACE", g.os_interface.clone()),
        ("OS_ENDPOINT", g.os_endpoint.clone()),
        ("OS_CACERT", path(&g.os_cacert)),
        ("OS_CERT", path(&g.os_cert)),
        ("OS_KEY", path(&g.os_key)),
        ("OS_COMPUTE_API_VERSION", g.os_compute_api_version.clone()),
    ];
    let mut vars: Vec<(&'static str, String)> = pairs
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
    if g.insecure {
        vars.push(("OS_INSECURE", "true".to_owned()));
    }
    if let Some(v) = &g.os_image_api_version {
        vars.push(("OS_IMAGE_API_VERSION", v.clone()));
    }
    if let Some(v) = &g.os_identity_api_version {
        vars.push(("OS_IDENTITY_API_VERSION", v.clone()));
    }
    vars
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::Cli;

    fn globals(line: &str) -> GlobalArgs {
        Cli::try_parse_from(std::iter::once("fstack").chain(line.split_whitespace()))
            .unwrap()
            .global
    }

    #[test]
    fn flags_become_the_variables_they_stand_for() {
        let g = globals(
            "--os-cloud c --os-auth-url http://k/v3 --os-password pw --insecure \
             --os-compute-api-version 2.79 --timeout 30 token issue",
        );
        let vars = flag_variables(&g);
        let get = |n: &str| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("OS_CLOUD"), Some("c"));
        assert_eq!(get("OS_AUTH_URL"), Some("http://k/v3"));
        assert_eq!(get("OS_PASSWORD"), Some("pw"));
        assert_eq!(get("OS_INSECURE"), Some("true"));
        assert_eq!(get("OS_COMPUTE_API_VERSION"), Some("2.79"));
        // --timeout is the command's deadline, not api_timeout's per-read bound.
        assert_eq!(get("OS_API_TIMEOUT"), None);
        assert_eq!(get("OS_USERNAME"), None);
    }

    #[test]
    fn debug_of_the_flags_never_shows_a_secret() {
        let g = globals(
            "--os-password hunter2 --os-token tok123 --os-application-credential-secret s3 token issue",
        );
        let shown = format!("{g:?}");
        for secret in ["hunter2", "tok123", "s3\""] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
