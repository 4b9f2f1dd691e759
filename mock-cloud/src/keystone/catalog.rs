//! The service catalog, built from the address the cloud actually bound.

use serde_json::{Value, json};

use super::directory::stable_id;

/// The services the cloud serves: type, name, and the path of their catalog URL.
const SERVICES: [(&str, &str, &str); 4] = [
    ("identity", "keystone", "/identity"),
    // Glance's catalog URL is unversioned: clients discover v2 from it.
    ("image", "glance", "/image"),
    ("compute", "nova", "/compute/v2.1"),
    // devstack's path; clients append `v2.0` themselves (no version discovery for Neutron).
    ("network", "neutron", "/networking"),
];

/// The three interfaces every endpoint is published on.
const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

/// The catalog as Keystone renders it in tokens and at `/v3/auth/catalog`.
pub(crate) fn render(base_url: &str, regions: &[String]) -> Value {
    let services: Vec<Value> = SERVICES
        .iter()
        .map(|(kind, name, path)| {
            let endpoints: Vec<Value> = regions
                .iter()
                .flat_map(|region| {
                    INTERFACES.iter().map(move |interface| {
                        json!({
                            "id": stable_id("endpoint", region, &format!("{kind}/{interface}")),
                            "interface": interface,
                            "region": region,
                            "region_id": region,
                            "url": format!("{base_url}{path}"),
                        })
                    })
                })
                .collect();
            json!({
                "id": stable_id("service", "", kind),
                "type": kind,
                "name": name,
                "endpoints": endpoints,
            })
        })
        .collect();
    Value::Array(services)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_in_every_region_and_interface() {
        let catalog = render(
            "http://127.0.0.1:9",
            &["RegionOne".into(), "RegionTwo".into()],
        );
        let compute = catalog
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == "compute")
            .unwrap();
        assert_eq!(compute["endpoints"].as_array().unwrap().len(), 6);
        assert_eq!(
            compute["endpoints"][0]["url"],
            "http://127.0.0.1:9/compute/v2.1"
        );
        let image = &catalog[1];
        assert_eq!(image["endpoints"][0]["url"], "http://127.0.0.1:9/image");
    }
}
