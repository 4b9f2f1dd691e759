//! Where a request goes: the service's base URL (an override, `auth.endpoint`, or the
//! token's catalog), its versioned endpoint after discovery, and the URL of each request.

use url::Url;

use super::Session;
use super::discovery::{self, Discovered};
use super::links;
use crate::auth::find_endpoint;
use crate::config::AuthType;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};
use crate::secret::redact_url;

impl Session {
    /// Keystone's versioned endpoint as found from `auth_url` (with or without `/v3`).
    pub(crate) async fn auth_endpoint(&self) -> Result<Url> {
        self.inner
            .auth_endpoint
            .get_or_try_init(|| async {
                let cloud = self.cloud_name();
                let auth_url = self.inner.config.auth.auth_url.as_deref().ok_or_else(|| {
                    Error::config(format!("cloud {cloud}: auth.auth_url is required"))
                })?;
                let base = Url::parse(auth_url).map_err(|e| {
                    Error::config(format!(
                        "cloud {cloud}: auth.auth_url {:?} is not a URL ({e})",
                        redact_url(auth_url)
                    ))
                })?;
                let base = links::without_userinfo(base, "auth.auth_url");
                Ok(self.discover(&ServiceType::Identity, base, None).await?.url)
            })
            .await
            .cloned()
    }

    /// The discovered endpoint of `service`, cached for the session's life. Concurrent first
    /// calls for one service share one discovery; a failed discovery is tried again next time.
    pub(super) async fn discovered(&self, service: &ServiceType) -> Result<Discovered> {
        let cell = self
            .inner
            .discovered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(service.clone())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let found = self.resolve(service).await?;
            tracing::debug!(
                service = %service, endpoint = %found.url,
                microversions = ?found.microversions, "discovered"
            );
            Ok(found)
        })
        .await
        .cloned()
    }

    /// Finds a service's base URL (override, `auth.endpoint` for `auth_type: none`, or the
    /// catalog) and runs version discovery on it.
    async fn resolve(&self, service: &ServiceType) -> Result<Discovered> {
        let config = &self.inner.config;
        let cloud = self.cloud_name();
        let lease = self.lease().await?;
        let token = lease.as_ref().map(|l| l.token.clone());
        let override_url = service.catalog_types().iter().find_map(|t| {
            config
                .endpoint_overrides
                .get(&t.replace('-', "_"))
                .or_else(|| config.endpoint_overrides.get(*t))
                .map(|url| {
                    (
                        url.clone(),
                        format!("{}_endpoint_override", t.replace('-', "_")),
                    )
                })
        });
        let (raw, key) = match override_url.clone() {
            Some(found) => found,
            None if config.auth_type == AuthType::None => match &config.auth.endpoint {
                Some(url) => (url.clone(), "auth.endpoint".to_owned()),
                None => {
                    return Err(Error::config(format!(
                        "cloud {cloud}: auth_type none needs {}_endpoint_override (or auth.endpoint)",
                        service.config_key()
                    )));
                }
            },
            None => {
                // Only `auth_type: none` has no token, and it was handled above.
                let Some(token) = token.as_ref() else {
                    return Err(Error::config(format!(
                        "cloud {cloud}: no token to read the catalog from"
                    )));
                };
                // openstacksdk's rule: without region_name, the first of `regions`.
                let region = config
                    .region_name
                    .as_deref()
                    .or(config.regions.first().map(String::as_str));
                match find_endpoint(&token.catalog, service, config.interface, region) {
                    Some(endpoint) => (endpoint.url.clone(), "the catalog".to_owned()),
                    None if *service == ServiceType::Identity => {
                        return Ok(Discovered {
                            url: self.auth_endpoint().await?,
                            microversions: None,
                        });
                    }
                    None => {
                        let scoped = if token.catalog.is_empty() {
                            " (the token has no catalog: is it scoped to a project?)"
                        } else {
                            ""
                        };
                        return Err(Error::new(
                            ErrorKind::EndpointNotFound,
                            format!(
                                "cloud {cloud}: no {} endpoint for {service} in region {}{scoped}",
                                config.interface.as_str(),
                                region.unwrap_or("(any)")
                            ),
                        )
                        .with_service(service.clone()));
                    }
                }
            }
        };
        let project = token.as_ref().and_then(|t| t.project_id()).unwrap_or("");
        let filled = [
            "%(project_id)s",
            "%(tenant_id)s",
            "$(project_id)s",
            "$(tenant_id)s",
            "{project_id}",
        ]
        .iter()
        .fold(raw.clone(), |url, pattern| url.replace(pattern, project));
        let base = Url::parse(&filled).map_err(|e| {
            Error::config(format!(
                "cloud {cloud}: {key} {:?} is not a URL ({e})",
                redact_url(&raw)
            ))
            .with_service(service.clone())
        })?;
        let base = links::without_userinfo(base, &key);
        if *service == ServiceType::Network {
            return Ok(Discovered {
                url: neutron_endpoint(base, override_url.is_some()),
                microversions: None,
            });
        }
        let token_id = token.as_ref().map(|t| t.id.expose().to_owned());
        self.discover(service, base, token_id.as_deref()).await
    }

    /// Version discovery at `base`. When the document is missing or unreadable, a URL that
    /// already names a version is used as it is.
    async fn discover(
        &self,
        service: &ServiceType,
        base: Url,
        token: Option<&str>,
    ) -> Result<Discovered> {
        let major = self.major_version(service);
        // A URL that already names a version (or a service we know nothing of) is usable as
        // it is when it has no discovery document.
        let usable_as_is =
            discovery::looks_versioned(&base) || matches!(service, ServiceType::Other(_));
        let reason = match self.fetch_discovery(service, &base, token).await {
            Ok(body) => match discovery::choose(&body, &base, major) {
                Ok(found) => return Ok(found),
                Err(why) if usable_as_is => why,
                Err(why) => {
                    return Err(Error::new(
                        ErrorKind::EndpointNotFound,
                        format!("version discovery at {base}: {why}"),
                    )
                    .with_service(service.clone()));
                }
            },
            Err(err) if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {
                return Err(err.context("version discovery"));
            }
            Err(err) if usable_as_is => err.to_string(),
            // The service's own answer (status, message, request id) says most; one that is
            // not the service's own names the URL already.
            Err(err) if err.message().contains(base.as_str()) => {
                return Err(err.context("version discovery"));
            }
            Err(err) => return Err(err.context(format!("version discovery at {base}"))),
        };
        tracing::debug!(
            service = %service, url = %base, reason = %reason,
            "no usable discovery document; using the URL as it is"
        );
        // Nova's legacy `/v2.1/<project_id>`: the version document, with the microversion
        // range, is one level up.
        let mut microversions = None;
        if let Some(parent) = discovery::version_parent(&base)
            && let Ok(body) = self.fetch_discovery(service, &parent, token).await
            && let Ok(found) = discovery::choose(&body, &parent, major)
        {
            microversions = found.microversions;
        }
        Ok(Discovered {
            url: discovery::trim_trailing_slash(base),
            microversions,
        })
    }

    /// The body of the discovery document at `url` (Keystone answers 300 Multiple Choices).
    async fn fetch_discovery(
        &self,
        service: &ServiceType,
        url: &Url,
        token: Option<&str>,
    ) -> Result<bytes::Bytes> {
        let request = Request::get(service.clone(), "");
        self.execute(&request, url, token, None)
            .await?
            .bytes()
            .await
    }

    /// The major API version to pick: `<service>_api_version`, else the one this SDK speaks.
    fn major_version(&self, service: &ServiceType) -> Option<u64> {
        let configured = self
            .inner
            .config
            .api_versions
            .get(&service.config_key())
            .and_then(|v| discovery::parse_version_id(v))
            .map(|(major, _)| major);
        configured.or(match service {
            ServiceType::Identity => Some(3),
            ServiceType::Image | ServiceType::Compute => Some(2),
            ServiceType::Network | ServiceType::Other(_) => None,
        })
    }
}

/// Neutron's versioned endpoint. Neutron is the one service clients do not discover (older
/// Neutrons hid their document): openstacksdk and gophercloud append `v2.0` to the catalog's
/// URL, unless it already ends in it; an `network_endpoint_override` is used as it is, as
/// openstacksdk does.
fn neutron_endpoint(base: Url, from_override: bool) -> Url {
    let base = discovery::trim_trailing_slash(base);
    let versioned = base.path().rsplit('/').next() == Some("v2.0");
    if from_override || versioned {
        return base;
    }
    let mut url = base;
    let path = format!("{}/v2.0", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// `base` + the request's path and query. A query string inside the path (a service's
/// `next` link) is kept as sent; `request.query` is appended after it.
pub(super) fn request_url(base: &Url, request: &Request) -> Url {
    let mut url = base.clone();
    let (path, raw_query) = match request.path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path.as_str(), None),
    };
    if !path.is_empty() {
        let path = path.strip_prefix('/').unwrap_or(path);
        let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
        url.set_path(&joined);
    }
    url.set_query(raw_query.filter(|q| !q.is_empty()));
    if !request.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&request.query);
    }
    url
}

/// The path of a link relative to the versioned endpoint `base`, query included: the
/// endpoint's own path is removed when the link starts with it, else its version segment
/// (Glance's `next` is `/v2/images?marker=...` even behind a path prefix).
pub(super) fn path_under(base: &Url, link: &str) -> String {
    let absolute;
    let link = match Url::parse(link) {
        Ok(url) => {
            absolute = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            };
            absolute.as_str()
        }
        Err(_) => link,
    };
    let endpoint_path = base.path().trim_end_matches('/');
    let version = endpoint_path.rsplit('/').next().unwrap_or("");
    let under = |prefix: &str| {
        link.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            .map(str::to_owned)
    };
    let stripped = (!endpoint_path.is_empty())
        .then(|| under(endpoint_path))
        .flatten()
        .or_else(|| {
            (!version.is_empty())
                .then(|| under(&format!("/{version}")))
                .flatten()
        })
        .unwrap_or_else(|| link.to_owned());
    if stripped.starts_with('/') {
        stripped
    } else {
        format!("/{stripped}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_paths_under_the_endpoint() {
        let glance = Url::parse("http://h/image/v2").unwrap();
        assert_eq!(
            path_under(&glance, "/v2/images?marker=abc&limit=2"),
            "/images?marker=abc&limit=2"
        );
        assert_eq!(
            path_under(&glance, "/image/v2/images?marker=abc"),
            "/images?marker=abc"
        );
        assert_eq!(
            path_under(&glance, "http://h/image/v2/images?marker=a%20b"),
            "/images?marker=a%20b"
        );
        let nova = Url::parse("http://h:8774/v2.1").unwrap();
        assert_eq!(
            path_under(&nova, "http://h:8774/v2.1/servers/detail?marker=x"),
            "/servers/detail?marker=x"
        );
        assert_eq!(path_under(&nova, "/v2.10/x"), "/v2.10/x");
        let root = Url::parse("http://h:9292/").unwrap();
        assert_eq!(path_under(&root, "images?x=1"), "/images?x=1");
        // And back: the query inside the path survives, extra query pairs follow it.
        let req = Request::get(ServiceType::Image, "/images?marker=a%20b").query("limit", "2");
        assert_eq!(
            request_url(&glance, &req).as_str(),
            "http://h/image/v2/images?marker=a%20b&limit=2"
        );
    }

    #[test]
    fn neutron_gets_v2_0_appended_once() {
        let at = |url: &str, from_override| {
            neutron_endpoint(Url::parse(url).unwrap(), from_override).to_string()
        };
        assert_eq!(at("http://h/networking", false), "http://h/networking/v2.0");
        assert_eq!(
            at("http://h/networking/", false),
            "http://h/networking/v2.0"
        );
        assert_eq!(at("http://h:9696", false), "http://h:9696/v2.0");
        assert_eq!(at("http://h:9696/v2.0", false), "http://h:9696/v2.0");
        assert_eq!(at("http://h:9696/v2.0/", false), "http://h:9696/v2.0");
        assert_eq!(at("http://h:9696/", true), "http://h:9696/");
        assert_eq!(at("http://h/net/v2.0/", true), "http://h/net/v2.0");
    }

    #[test]
    fn paths_append_to_the_versioned_endpoint() {
        let base = Url::parse("http://h/image/v2").unwrap();
        let req = Request::get(ServiceType::Image, "/images")
            .query("name", "a b")
            .query("tag", "x")
            .query("tag", "y");
        assert_eq!(
            request_url(&base, &req).as_str(),
            "http://h/image/v2/images?name=a+b&tag=x&tag=y"
        );
        let root = Url::parse("http://h:9292/").unwrap();
        assert_eq!(
            request_url(&root, &Request::get(ServiceType::Image, "/images")).as_str(),
            "http://h:9292/images"
        );
        assert_eq!(
            request_url(&base, &Request::get(ServiceType::Image, "")).as_str(),
            "http://h/image/v2"
        );
    }
}
