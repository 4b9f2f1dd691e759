//! Nova's metadata service over HTTP, on the cloud's own loopback listener, asked as
//! Neutron's metadata proxy asks it: the right server's tree for a signed request, webob's
//! 400s, 403s and 404s for the rest, and the guest's password.

use mock_cloud::{MockCloud, Seed};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

struct Cloud {
    cloud: MockCloud,
    token: String,
}

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOlb8cmIxP1zxjmcS8pX6T/1tGS5b3KgqQUxTWNMmO2u demo@host";
const USER_DATA: &str = "#cloud-config\nruncmd:\n - touch /ran\n";

async fn cloud() -> Cloud {
    let seed = Seed::parse(
        "images: [{name: tiny, visibility: public, disk_format: raw, container_format: bare, content: \"raw bytes\"}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    Cloud { cloud, token }
}

impl Cloud {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = http()
            .request(method, format!("{}{path}", self.cloud.base_url()))
            .header("x-auth-token", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// A server with a key, metadata, user data and two ports (on `private` and `second`).
    async fn server(&self, name: &str) -> String {
        let images = self
            .call(Method::GET, "/image/v2/images?name=tiny", None)
            .await;
        let image = images["images"][0]["id"].as_str().unwrap().to_owned();
        let networks = self
            .call(Method::GET, "/networking/v2.0/networks", None)
            .await;
        let id_of = |name: &str| {
            networks["networks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["name"] == name)
                .map(|n| n["id"].as_str().unwrap().to_owned())
        };
        let private = id_of("private").unwrap();
        let second = match id_of("second") {
            Some(id) => id,
            None => {
                let net = self
                    .call(
                        Method::POST,
                        "/networking/v2.0/networks",
                        Some(json!({"network": {"name": "second"}})),
                    )
                    .await;
                let id = net["network"]["id"].as_str().unwrap().to_owned();
                self.call(
                    Method::POST,
                    "/networking/v2.0/subnets",
                    Some(json!({"subnet": {"network_id": id, "ip_version": 4,
                        "cidr": "192.168.7.0/24", "enable_dhcp": false,
                        "dns_nameservers": ["192.168.7.2"]}})),
                )
                .await;
                id
            }
        };
        let body = self
            .call(
                Method::POST,
                "/compute/v2.1/servers",
                Some(
                    json!({"server": {"name": name, "imageRef": image, "flavorRef": "1",
                    "key_name": "mykey", "metadata": {"role": "web"},
                    "user_data": base64_of(USER_DATA),
                    "networks": [{"uuid": private}, {"uuid": second}]}}),
                ),
            )
            .await;
        body["server"]["id"].as_str().unwrap().to_owned()
    }

    async fn keypair(&self) {
        self.call(
            Method::POST,
            "/compute/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": "mykey", "public_key": PUBLIC_KEY}})),
        )
        .await;
    }

    /// A request to the metadata service as Neutron's proxy sends it for `server` in `project`.
    fn metadata(
        &self,
        method: Method,
        path: &str,
        server: &str,
        project: &str,
    ) -> reqwest::RequestBuilder {
        http()
            .request(method, format!("{}{path}", self.cloud.metadata_url()))
            .header("X-Instance-ID", server)
            .header(
                "X-Instance-ID-Signature",
                self.cloud.metadata_signature(server),
            )
            .header("X-Tenant-ID", project)
            .header("X-Forwarded-For", "10.0.0.99")
    }

    async fn get(&self, path: &str, server: &str) -> (StatusCode, String, String) {
        let project = self.cloud.project_id("demo").unwrap();
        answer(self.metadata(Method::GET, path, server, &project)).await
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, String, String) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn a_signed_request_gets_its_own_server_s_tree() {
    let c = cloud().await;
    c.keypair().await;
    let first = c.server("web 1").await;
    let other = c.server("db").await;
    let project = c.cloud.project_id("demo").unwrap();
    assert!(c.cloud.metadata_addr().ip().is_loopback());

    let (status, kind, body) = c.get("/openstack/latest/meta_data.json", &first).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/json")
    );
    let meta: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(meta["uuid"], first.as_str());
    assert_eq!(meta["name"], "web 1");
    assert_eq!(meta["hostname"], "web-1.novalocal");
    assert_eq!(meta["meta"], json!({"role": "web"}));
    assert_eq!(meta["public_keys"], json!({"mykey": PUBLIC_KEY}));
    assert_eq!(
        meta["keys"],
        json!([{"name": "mykey", "type": "ssh", "data": PUBLIC_KEY}])
    );
    assert_eq!(meta["project_id"], project.as_str());
    assert_eq!(
        (&meta["launch_index"], &meta["availability_zone"]),
        (&json!(0), &json!("nova"))
    );
    assert!(meta.get("admin_pass").is_none(), "{meta}");
    assert!(
        body.starts_with(&format!("{{\"uuid\": \"{first}\", ")),
        "{body}"
    );
    // Each document gets a random seed of its own.
    let (_, _, again) = c.get("/openstack/latest/meta_data.json", &first).await;
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_ne!(meta["random_seed"], again["random_seed"]);

    let (_, _, other_meta) = c.get("/openstack/2012-08-10/meta_data.json", &other).await;
    let other_meta: Value = serde_json::from_str(&other_meta).unwrap();
    assert_eq!(
        (&other_meta["uuid"], &other_meta["name"]),
        (&json!(other), &json!("db"))
    );
    assert!(
        other_meta.get("project_id").is_none(),
        "not in 2012-08-10: {other_meta}"
    );

    let (_, kind, network) = c.get("/openstack/latest/network_data.json", &first).await;
    assert_eq!(kind, "text/plain; charset=UTF-8");
    let network: Value = serde_json::from_str(&network).unwrap();
    let addresses = c
        .call(
            Method::GET,
            &format!("/compute/v2.1/servers/{first}/os-interface"),
            None,
        )
        .await;
    let ports = addresses["interfaceAttachments"].as_array().unwrap();
    assert_eq!(network["links"].as_array().unwrap().len(), 2);
    for (link, port) in network["links"].as_array().unwrap().iter().zip(ports) {
        assert_eq!(link["ethernet_mac_address"], port["mac_addr"]);
        assert_eq!(link["vif_id"], port["port_id"]);
    }
    assert_eq!(network["networks"][0]["type"], "ipv4_dhcp");
    assert_eq!(network["networks"][0]["network_id"], ports[0]["net_id"]);
    let second = &network["networks"][1];
    assert_eq!(
        second["type"], "ipv4",
        "a subnet without DHCP is static: {second}"
    );
    assert_eq!(second["ip_address"], ports[1]["fixed_ips"][0]["ip_address"]);
    assert_eq!(second["netmask"], "255.255.255.0");
    assert_eq!(
        network["services"],
        json!([{"type": "dns", "address": "192.168.7.2"}])
    );

    assert_eq!(
        c.get("/openstack/latest/user_data", &first).await.2,
        USER_DATA
    );
    assert_eq!(c.get("/latest/user-data", &first).await.2, USER_DATA);
    assert_eq!(
        c.get("/openstack/latest", &first).await.2,
        "meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json"
    );
    assert_eq!(
        c.get("/openstack/latest/vendor_data.json", &first).await.2,
        "{}"
    );
    assert_eq!(
        c.get("/2009-04-04/meta-data/public-keys/0/openssh-key", &first)
            .await
            .2,
        PUBLIC_KEY
    );
    assert_eq!(
        c.get("/latest/meta-data/public-keys/", &first).await.2,
        "0=mykey"
    );
    assert_eq!(
        c.get("/latest/meta-data/hostname", &first).await.2,
        "web-1.novalocal"
    );
    assert_eq!(
        c.get("/latest/meta-data/security-groups", &first).await.2,
        "default"
    );
    let fixed = ports[0]["fixed_ips"][0]["ip_address"].as_str().unwrap();
    assert_eq!(c.get("/latest/meta-data/local-ipv4", &first).await.2, fixed);
    let listing = c.get("/openstack", &first).await.2;
    assert!(
        listing.starts_with("2012-08-10\n2013-04-04\n")
            && listing.ends_with("\n2025-04-04\nlatest"),
        "{listing}"
    );

    // The tree is the live one: metadata set after create shows at once.
    c.call(
        Method::PUT,
        &format!("/compute/v2.1/servers/{first}/metadata/role"),
        Some(json!({"meta": {"role": "db"}})),
    )
    .await;
    let (_, _, now) = c.get("/openstack/latest/meta_data.json", &first).await;
    assert_eq!(
        serde_json::from_str::<Value>(&now).unwrap()["meta"]["role"],
        "db"
    );
}

#[tokio::test]
async fn the_root_is_open_and_everything_else_needs_the_proxy_s_headers() {
    let c = cloud().await;
    c.keypair().await;
    let server = c.server("vm").await;
    let project = c.cloud.project_id("demo").unwrap();
    let url = |path: &str| format!("{}{path}", c.cloud.metadata_url());

    let (status, kind, body) = answer(http().get(url("/"))).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/plain; charset=UTF-8")
    );
    assert_eq!(
        body,
        "1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n2008-02-01\n2008-09-01\n2009-04-04\nlatest"
    );

    let signature = c.cloud.metadata_signature(&server);
    let missing = [
        (
            None,
            Some(&signature),
            Some(&project),
            "X-Instance-ID header is missing from request.",
        ),
        (
            Some(&server),
            None,
            Some(&project),
            "X-Instance-ID-Signature header is missing from request.",
        ),
        (
            Some(&server),
            Some(&signature),
            None,
            "X-Tenant-ID header is missing from request.",
        ),
    ];
    for (instance, signed, tenant, message) in missing {
        let mut request = http().get(url("/openstack/latest/meta_data.json"));
        if let Some(instance) = instance {
            request = request.header("X-Instance-ID", instance);
        }
        if let Some(signed) = signed {
            request = request.header("X-Instance-ID-Signature", signed);
        }
        if let Some(tenant) = tenant {
            request = request.header("X-Tenant-ID", tenant);
        }
        let (status, _, body) = answer(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(body, format!("400 Bad Request\n\n{message}\n\n   "));
    }

    // Signed for another instance, or with another secret: 403.
    let wrong = http()
        .get(url("/openstack/latest/meta_data.json"))
        .header("X-Instance-ID", &server)
        .header(
            "X-Instance-ID-Signature",
            c.cloud.metadata_signature("someone-else"),
        )
        .header("X-Tenant-ID", &project);
    let (status, _, body) = answer(wrong).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        "403 Forbidden\n\nInvalid proxy request signature.\n\n   "
    );
    let other_cloud = cloud().await;
    let foreign = http()
        .get(url("/openstack/latest/meta_data.json"))
        .header("X-Instance-ID", &server)
        .header(
            "X-Instance-ID-Signature",
            other_cloud.cloud.metadata_signature(&server),
        )
        .header("X-Tenant-ID", &project);
    assert_eq!(answer(foreign).await.0, StatusCode::FORBIDDEN);
    assert_ne!(
        c.cloud.metadata_proxy_shared_secret(),
        other_cloud.cloud.metadata_proxy_shared_secret()
    );

    // Another project's instance, an unknown one, a path not in the tree: 404.
    let admin = c.cloud.project_id("admin").unwrap();
    let not_found = "404 Not Found\n\nThe resource could not be found.\n\n   ";
    let (status, _, body) = answer(c.metadata(
        Method::GET,
        "/openstack/latest/meta_data.json",
        &server,
        &admin,
    ))
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, not_found));
    let ghost = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        answer(c.metadata(
            Method::GET,
            "/openstack/latest/meta_data.json",
            ghost,
            &project
        ))
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    for path in [
        "/openstack/latest/nothing",
        "/openstack/2011-01-01/meta_data.json",
        "/2009-04-04/meta-data/nothing",
        "/1999-01-01/meta-data/",
    ] {
        let (status, _, body) = c.get(path, &server).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_FOUND, not_found),
            "{path}"
        );
    }
    // A deleted server is gone from the service too.
    let response = http()
        .delete(format!(
            "{}/compute/v2.1/servers/{server}",
            c.cloud.base_url()
        ))
        .header("x-auth-token", &c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        c.get("/openstack/latest/meta_data.json", &server).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_guest_posts_its_password_once() {
    let c = cloud().await;
    c.keypair().await;
    let server = c.server("vm").await;
    let project = c.cloud.project_id("demo").unwrap();
    let path = "/openstack/latest/password";
    assert_eq!(
        c.get(path, &server).await,
        (
            StatusCode::OK,
            "text/plain; charset=UTF-8".to_owned(),
            String::new()
        )
    );
    let too_big = c
        .metadata(Method::POST, path, &server, &project)
        .body("x".repeat(1021));
    let (status, _, body) = answer(too_big).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "400 Bad Request\n\nRequest is too large.\n\n   "
        )
    );
    let post = c
        .metadata(Method::POST, path, &server, &project)
        .body("c2VjcmV0LWJ5LWd1ZXN0");
    assert_eq!(answer(post).await.0, StatusCode::OK);
    assert_eq!(c.get(path, &server).await.2, "c2VjcmV0LWJ5LWd1ZXN0");
    let again = c
        .metadata(Method::POST, path, &server, &project)
        .body("other");
    assert_eq!(answer(again).await.0, StatusCode::CONFLICT);
    let put = c
        .metadata(Method::PUT, path, &server, &project)
        .body("other");
    let (status, _, body) = answer(put).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "400 Bad Request\n\nGET and POST only are supported.\n\n   "
        )
    );
    // Not before 2013-04-04.
    assert_eq!(
        c.get("/openstack/2012-08-10/password", &server).await.0,
        StatusCode::NOT_FOUND
    );
}
