//! Every version of every service in the catalog, as keystoneauth's `get_all_version_data`
//! finds them (what `openstack versions show` prints): each endpoint's discovery document,
//! read without choosing a version.

use std::collections::HashMap;

use url::Url;

use super::Session;
use super::discovery::{self, Listed};
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

/// One version of one service at one endpoint of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceVersion {
    /// The endpoint's region.
    pub region: String,
    /// The endpoint's interface (`public`, `internal`, `admin`).
    pub interface: String,
    /// The service's official type (`volumev3` reads `block-storage`).
    pub service_type: String,
    /// `major.minor` (`2.1`, `3.14`).
    pub version: String,
    /// `CURRENT`, `SUPPORTED`, `DEPRECATED` or `UNKNOWN` (`stable` reads `CURRENT`).
    pub status: String,
    /// The version's own link, as the service advertises it.
    pub url: String,
    /// The lowest microversion, for services that have them.
    pub min_microversion: Option<String>,
    /// The highest microversion, for services that have them.
    pub max_microversion: Option<String>,
}

/// Which endpoints [`Session::service_versions`] asks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionsQuery {
    /// Only this interface (`None`: every interface). Defaults to `public`.
    pub interface: Option<String>,
    /// Only this region (`None`: every region).
    pub region: Option<String>,
    /// Only this service type, official or alias.
    pub service_type: Option<String>,
}

impl Default for VersionsQuery {
    fn default() -> Self {
        Self {
            interface: Some("public".to_owned()),
            region: None,
            service_type: None,
        }
    }
}

impl VersionsQuery {
    /// Only `interface`, or every interface with `None`.
    pub fn interface(mut self, interface: Option<String>) -> Self {
        self.interface = interface;
        self
    }

    /// Only `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Only the service of this type (official or alias).
    pub fn service_type(mut self, service_type: impl Into<String>) -> Self {
        self.service_type = Some(service_type.into());
        self
    }
}

/// An endpoint to ask, in the catalog's order.
struct Asked {
    region: String,
    interface: String,
    service_type: ServiceType,
    url: String,
}

impl Session {
    /// The versions every matching endpoint of the catalog advertises, grouped as
    /// keystoneauth groups them: by region, then interface (each in the order first seen),
    /// then service in catalog order; each endpoint's versions oldest first. An endpoint
    /// without a readable document is shown with the version its URL names, as
    /// keystoneauth infers it.
    pub async fn service_versions(&self, query: &VersionsQuery) -> Result<Vec<ServiceVersion>> {
        let token = self.token().await?.ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "versions: this cloud's authentication gives no catalog",
            )
        })?;
        let wanted = query
            .service_type
            .as_deref()
            .map(ServiceType::from_catalog_type);
        let mut asked: Vec<Asked> = Vec::new();
        for entry in &token.catalog {
            let service_type = ServiceType::from_catalog_type(&entry.service_type);
            if wanted.as_ref().is_some_and(|w| *w != service_type) {
                continue;
            }
            for endpoint in &entry.endpoints {
                let interface = endpoint.interface.trim_end_matches("URL").to_owned();
                let Some(region) = endpoint
                    .region_id
                    .clone()
                    .or_else(|| endpoint.region.clone())
                else {
                    continue;
                };
                if interface.is_empty()
                    || query.interface.as_ref().is_some_and(|i| *i != interface)
                    || query.region.as_ref().is_some_and(|r| *r != region)
                {
                    continue;
                }
                asked.push(Asked {
                    region,
                    interface,
                    service_type: service_type.clone(),
                    url: endpoint.url.clone(),
                });
            }
        }
        // Region, then interface, in the order first seen; the catalog's order within.
        let mut regions: HashMap<String, usize> = HashMap::new();
        let mut interfaces: HashMap<(String, String), usize> = HashMap::new();
        for a in &asked {
            let next = regions.len();
            regions.entry(a.region.clone()).or_insert(next);
            let next = interfaces.len();
            interfaces
                .entry((a.region.clone(), a.interface.clone()))
                .or_insert(next);
        }
        asked.sort_by_key(|a| {
            (
                regions[&a.region],
                interfaces[&(a.region.clone(), a.interface.clone())],
            )
        });
        let token_id = token.id.expose().to_owned();
        let found = futures::future::join_all(
            asked
                .iter()
                .map(|a| self.listed_versions(&a.service_type, &a.url, &token_id)),
        )
        .await;
        let mut versions = Vec::new();
        for (a, listed) in asked.iter().zip(found) {
            versions.extend(listed.into_iter().map(|v| ServiceVersion {
                region: a.region.clone(),
                interface: a.interface.clone(),
                service_type: a.service_type.as_str().to_owned(),
                version: v.version,
                status: v.status,
                url: v.url,
                min_microversion: v.min_microversion,
                max_microversion: v.max_microversion,
            }));
        }
        Ok(versions)
    }

    /// The versions at `url`'s discovery document: the unversioned root first, then the URL
    /// itself; the version in the URL when neither answers one.
    async fn listed_versions(&self, service: &ServiceType, url: &str, token: &str) -> Vec<Listed> {
        let Ok(base) = Url::parse(url) else {
            return Vec::new();
        };
        let mut choices = vec![discovery::unversioned(&base)];
        if choices[0] != base {
            choices.push(base.clone());
        }
        for choice in &choices {
            let request = Request::get(service.clone(), "");
            let Ok(response) = self.execute(&request, choice, Some(token), None).await else {
                continue;
            };
            let Ok(body) = response.bytes().await else {
                continue;
            };
            if let Some(listed) = discovery::list(&body, choice) {
                return listed;
            }
        }
        discovery::inferred(&base).into_iter().collect()
    }
}
