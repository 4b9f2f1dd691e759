//! The service catalog: the directory's enabled services with their enabled endpoints, the
//! cloud's own behind the address it actually bound.

use serde_json::{Value, json};

use super::directory::{Directory, Endpoint};

/// An endpoint's URL as a token shows it: one of the cloud's own paths behind `base_url`, and
/// Keystone's `$(project_id)s` / `%(tenant_id)s` substitutions made (`None` when it needs a
/// project and the token has none: Keystone leaves such an endpoint out).
pub(crate) fn endpoint_url(
    base_url: &str,
    endpoint: &Endpoint,
    project_id: Option<&str>,
) -> Option<String> {
    let mut url = if endpoint.url.starts_with('/') {
        format!("{base_url}{}", endpoint.url)
    } else {
        endpoint.url.clone()
    };
    for name in ["project_id", "tenant_id"] {
        for pattern in [format!("$({name})s"), format!("%({name})s")] {
            if url.contains(&pattern) {
                url = url.replace(&pattern, project_id?);
            }
        }
    }
    Some(url)
}

/// The catalog as Keystone renders it in tokens and at `/v3/auth/catalog`.
pub(crate) fn render(base_url: &str, directory: &Directory, project_id: Option<&str>) -> Value {
    let services: Vec<Value> = directory
        .services
        .iter()
        .filter(|s| s.enabled)
        .map(|service| {
            let endpoints: Vec<Value> = directory
                .endpoints
                .iter()
                .filter(|e| e.service_id == service.id && e.enabled)
                .filter_map(|e| {
                    let url = endpoint_url(base_url, e, project_id)?;
                    let mut doc = json!({
                        "id": e.id,
                        "interface": e.interface,
                        "region": e.region_id,
                        "region_id": e.region_id,
                        "url": url,
                    });
                    for (key, value) in &e.extra {
                        doc[key] = value.clone();
                    }
                    Some(doc)
                })
                .collect();
            json!({
                "id": service.id,
                "type": service.kind,
                "name": service.extra.get("name").cloned().unwrap_or(json!("")),
                "endpoints": endpoints,
            })
        })
        .collect();
    Value::Array(services)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::seed::Seed;
    use crate::keystone::secret_hash::Hasher;

    #[test]
    fn every_service_in_every_seeded_region_and_interface() {
        let seed = Seed::parse("regions: [RegionTwo]", false).unwrap();
        let directory = Directory::new(Some(&seed), Hasher::default()).unwrap();
        let catalog = render("http://127.0.0.1:9", &directory, Some("p1"));
        let compute = catalog
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == "compute")
            .unwrap();
        assert_eq!(compute["name"], "nova");
        assert_eq!(compute["endpoints"].as_array().unwrap().len(), 6);
        assert_eq!(
            compute["endpoints"][0]["url"],
            "http://127.0.0.1:9/compute/v2.1"
        );
        let image = &catalog[1];
        assert_eq!(image["endpoints"][0]["url"], "http://127.0.0.1:9/image");
    }

    #[test]
    fn project_substitutions_and_endpoints_that_need_a_project() {
        let mut directory = Directory::new(None, Hasher::default()).unwrap();
        directory.endpoints[0].url = "http://volume.example/v3/$(project_id)s".to_owned();
        directory.endpoints[0].region_id = None;
        let url = endpoint_url("http://x", &directory.endpoints[0], Some("p1"));
        assert_eq!(url.as_deref(), Some("http://volume.example/v3/p1"));
        assert_eq!(
            endpoint_url("http://x", &directory.endpoints[0], None),
            None
        );
        directory.services[0].enabled = false;
        let catalog = render("http://x", &directory, None);
        assert!(
            catalog
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["type"] != "identity")
        );
    }
}
