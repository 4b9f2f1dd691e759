//! The service catalog: which services a cloud has, and where.

use serde::{Deserialize, Serialize};

use crate::config::Interface;
use crate::request::ServiceType;

/// One service in the catalog (`openstack catalog list` shows one row per entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CatalogEntry {
    /// The catalog type (`image`, `compute`, `volumev3`, ...).
    #[serde(rename = "type")]
    pub service_type: String,
    /// The service's name (`glance`, `nova`).
    #[serde(default)]
    pub name: Option<String>,
    /// The service's id.
    #[serde(default)]
    pub id: Option<String>,
    /// Where the service listens, per interface and region.
    #[serde(default)]
    pub endpoints: Vec<CatalogEndpoint>,
}

/// One URL of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CatalogEndpoint {
    /// The endpoint's id.
    #[serde(default)]
    pub id: Option<String>,
    /// `public`, `internal` or `admin` (kept as text: clouds have been seen to invent more).
    pub interface: String,
    /// The region's name (deprecated by Keystone in favour of `region_id`, still sent).
    #[serde(default)]
    pub region: Option<String>,
    /// The region's id.
    #[serde(default)]
    pub region_id: Option<String>,
    /// The URL, often unversioned (Glance) or versioned (Nova's `/v2.1`).
    pub url: String,
}

impl CatalogEndpoint {
    /// Whether the endpoint is in `region` (by id or by name).
    pub fn in_region(&self, region: &str) -> bool {
        self.region_id.as_deref() == Some(region) || self.region.as_deref() == Some(region)
    }
}

/// Finds the URL of `service` (or one of its aliases) for `interface`, in `region` when one is
/// asked for. Catalog types are tried in order of preference, the official one first.
pub(crate) fn find_endpoint<'a>(
    catalog: &'a [CatalogEntry],
    service: &ServiceType,
    interface: Interface,
    region: Option<&str>,
) -> Option<&'a CatalogEndpoint> {
    service.catalog_types().into_iter().find_map(|wanted| {
        catalog
            .iter()
            .filter(|entry| entry.service_type == wanted)
            .flat_map(|entry| &entry.endpoints)
            .find(|endpoint| {
                endpoint.interface == interface.as_str()
                    && region.is_none_or(|region| endpoint.in_region(region))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<CatalogEntry> {
        serde_json::from_value(serde_json::json!([
            {"type": "volumev3", "name": "cinderv3", "id": "c", "endpoints": [
                {"id": "c1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "https://cinder/v3"}]},
            {"type": "image", "name": "glance", "id": "g", "endpoints": [
                {"id": "g1", "interface": "internal", "region": "RegionOne", "region_id": "RegionOne", "url": "http://glance.internal"},
                {"id": "g2", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "https://glance.one"},
                {"id": "g3", "interface": "public", "region": "RegionTwo", "region_id": "RegionTwo", "url": "https://glance.two"}]}
        ]))
        .unwrap()
    }

    #[test]
    fn by_interface_and_region() {
        let c = catalog();
        let find = |i, r| find_endpoint(&c, &ServiceType::Image, i, r).map(|e| e.url.as_str());
        assert_eq!(find(Interface::Public, None), Some("https://glance.one"));
        assert_eq!(
            find(Interface::Public, Some("RegionTwo")),
            Some("https://glance.two")
        );
        assert_eq!(
            find(Interface::Internal, Some("RegionOne")),
            Some("http://glance.internal")
        );
        assert_eq!(find(Interface::Admin, None), None);
        assert_eq!(find(Interface::Public, Some("RegionThree")), None);
    }

    #[test]
    fn by_alias() {
        let c = catalog();
        let volume = ServiceType::from_catalog_type("volumev3");
        assert_eq!(volume, ServiceType::Other("block-storage".into()));
        let found = find_endpoint(&c, &volume, Interface::Public, None).unwrap();
        assert_eq!(found.url, "https://cinder/v3");
    }
}
