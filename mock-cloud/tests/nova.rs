//! Nova v2.1 over HTTP: discovery, microversions, flavors, keypairs, servers, actions and
//! consoles, the fake driver's transitions, and every 4xx Nova answers here.
//!
//! Nova asks Glance about images over Glance's API; these tests point it at a small stand-in
//! Glance (below) so they test Nova alone.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use futures::future::BoxFuture;
use mock_cloud::{
    BootSpec, ComputeDriver, DriverError, MockCloud, MockCloudBuilder, RemoteConsole, Seed, VmState,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A stand-in Glance serving fixed image documents at `/image/v2/images/{id}`.
async fn stand_in_glance() -> String {
    let image = |id: &str, extra: Value| {
        let mut v = json!({"id": id, "name": id, "status": "active", "disk_format": "qcow2",
            "container_format": "bare", "size": 1_048_576, "min_ram": 0, "min_disk": 0,
            "visibility": "public", "tags": []});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        (id.to_owned(), v)
    };
    let images: HashMap<String, Value> = [
        image("img-active", json!({})),
        image("img-queued", json!({"status": "queued", "size": null})),
        image("img-bigram", json!({"min_ram": 4096})),
        image("img-bigdisk", json!({"min_disk": 30})),
        image("img-huge", json!({"size": 2_147_483_648u64})),
        image("img-fail", json!({"mock_fail_boot": "the disk is on fire"})),
        image("img-floppy-bus", json!({"hw_disk_bus": "floppy"})),
        image("img-old-vif", json!({"hw_vif_model": "VirtualE1000", "os_type": "Windows"})),
        image("aki", json!({"disk_format": "aki", "container_format": "aki"})),
        image("ari", json!({"disk_format": "ari", "container_format": "ari"})),
        image("ami", json!({"disk_format": "ami", "container_format": "ami", "kernel_id": "aki", "ramdisk_id": "ari"})),
    ]
    .into_iter()
    .collect();
    async fn show(
        State(images): State<Arc<HashMap<String, Value>>>,
        Path(id): Path<String>,
    ) -> axum::response::Response {
        match images.get(&id) {
            Some(image) => axum::Json(image.clone()).into_response(),
            None => AxumStatus::NOT_FOUND.into_response(),
        }
    }
    let app = axum::Router::new()
        .route("/image/v2/images/{id}", axum::routing::get(show))
        .with_state(Arc::new(images));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

struct Nova {
    cloud: MockCloud,
    token: String,
}

async fn nova_with(builder: MockCloudBuilder) -> Nova {
    let cloud = builder
        .image_endpoint(stand_in_glance().await)
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    Nova { cloud, token }
}

async fn nova() -> Nova {
    nova_with(MockCloud::builder()).await
}

impl Nova {
    async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        version: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = http()
            .request(method, format!("{}/compute{path}", self.cloud.base_url()))
            .header("x-auth-token", token);
        if let Some(v) = version {
            request = request.header("openstack-api-version", format!("compute {v}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        version: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        self.call_as(&self.token.clone(), method, path, version, body)
            .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, b) = self.call(Method::GET, path, None, None).await;
        (s, b)
    }

    async fn create(&self, body: Value) -> (StatusCode, Value) {
        let (s, _, b) = self
            .call(
                Method::POST,
                "/v2.1/servers",
                None,
                Some(json!({"server": body})),
            )
            .await;
        (s, b)
    }

    async fn boot(&self, name: &str) -> String {
        let (status, body) = self
            .create(json!({"name": name, "imageRef": "img-active", "flavorRef": "1"}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["server"]["id"].as_str().unwrap().to_owned()
    }

    async fn status(&self, id: &str) -> String {
        let (s, body) = self.get(&format!("/v2.1/servers/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body["server"]["status"].as_str().unwrap().to_owned()
    }

    async fn act(&self, id: &str, action: Value) -> (StatusCode, Value) {
        let (s, _, b) = self
            .call(
                Method::POST,
                &format!("/v2.1/servers/{id}/action"),
                None,
                Some(action),
            )
            .await;
        (s, b)
    }
}

fn assert_fault(body: &Value, name: &str, code: u16) {
    assert_eq!(body[name]["code"], code, "{body}");
    assert!(body[name]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn discovery_documents() {
    let n = nova().await;
    let (status, body) = n.get("").await;
    assert_eq!(status, StatusCode::OK);
    let v = &body["versions"][0];
    assert_eq!(v["id"], "v2.1");
    assert_eq!(v["status"], "CURRENT");
    assert_eq!(v["version"], "2.96");
    assert_eq!(v["min_version"], "2.1");
    assert_eq!(
        v["links"][0]["href"],
        format!("{}/compute/v2.1/", n.cloud.base_url())
    );
    for path in ["/v2.1", "/v2.1/"] {
        let (status, body) = n.get(path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["version"]["version"], "2.96");
    }
}

#[tokio::test]
async fn microversions_are_echoed_and_checked() {
    let n = nova().await;
    let (_, headers, _) = n.call(Method::GET, "/v2.1/flavors", None, None).await;
    assert_eq!(headers["openstack-api-version"], "compute 2.1");
    assert_eq!(headers["x-openstack-nova-api-version"], "2.1");
    assert!(
        headers["vary"]
            .to_str()
            .unwrap()
            .contains("OpenStack-API-Version")
    );
    let (_, headers, _) = n
        .call(Method::GET, "/v2.1/flavors", Some("latest"), None)
        .await;
    assert_eq!(headers["openstack-api-version"], "compute 2.96");
    let response = http()
        .get(format!("{}/compute/v2.1/flavors", n.cloud.base_url()))
        .header("x-auth-token", &n.token)
        .header("x-openstack-nova-api-version", "2.47")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["openstack-api-version"], "compute 2.47");

    for version in ["2.97", "2.0", "3.1"] {
        let (status, headers, body) = n
            .call(Method::GET, "/v2.1/flavors", Some(version), None)
            .await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{version}");
        assert_fault(&body, "computeFault", 406);
        assert!(
            body["computeFault"]["message"]
                .as_str()
                .unwrap()
                .contains("Minimum is 2.1 and maximum is 2.96")
        );
        assert!(headers.contains_key("vary"));
    }
    let (status, _, body) = n
        .call(Method::GET, "/v2.1/flavors", Some("two"), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fault(&body, "badRequest", 400);
}

#[tokio::test]
async fn missing_token_is_a_keystonemiddleware_401() {
    // Real Nova's 401 comes from keystonemiddleware before Nova sees the request: Keystone's
    // error shape, and no microversion headers (found by the differential check).
    let n = nova().await;
    let response = http()
        .get(format!("{}/compute/v2.1/servers", n.cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    assert!(!response.headers().contains_key("openstack-api-version"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let response = http()
        .get(format!("{}/compute/v2.1/servers", n.cloud.base_url()))
        .header("x-auth-token", "not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401, "{body}");
}

#[tokio::test]
async fn flavors_list_detail_show_and_pages() {
    let seed = Seed::parse(
        "flavors: [{id: \"99\", name: m1.huge, ram: 65536, disk: 500, vcpus: 16, swap: 1024}]",
        false,
    )
    .unwrap();
    let n = nova_with(MockCloud::builder().seed(seed)).await;
    let (status, body) = n.get("/v2.1/flavors").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = body["flavors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "m1.tiny",
            "m1.small",
            "m1.medium",
            "m1.large",
            "m1.nano",
            "m1.xlarge",
            "m1.huge"
        ]
    );
    assert!(body["flavors"][0].get("ram").is_none());
    assert!(body.get("flavors_links").is_none());

    let (_, body) = n.get("/v2.1/flavors/detail").await;
    let tiny = &body["flavors"][0];
    assert_eq!(
        (
            tiny["id"].as_str(),
            tiny["ram"].as_u64(),
            tiny["disk"].as_u64(),
            tiny["vcpus"].as_u64()
        ),
        (Some("1"), Some(512), Some(1), Some(1))
    );
    assert_eq!(tiny["swap"], "");
    assert_eq!(tiny["OS-FLV-EXT-DATA:ephemeral"], 0);
    assert_eq!(tiny["os-flavor-access:is_public"], true);

    let (_, _, body) = n
        .call(Method::GET, "/v2.1/flavors/2", Some("2.75"), None)
        .await;
    assert_eq!(body["flavor"]["name"], "m1.small");
    assert_eq!(body["flavor"]["swap"], 0);
    assert!(body["flavor"].get("description").is_some());
    let (_, body) = n.get("/v2.1/flavors/99").await;
    assert_eq!(body["flavor"]["swap"], 1024);
    let (status, body) = n.get("/v2.1/flavors/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_fault(&body, "itemNotFound", 404);

    // Pages of 3, following the server's own next links.
    let mut seen = Vec::new();
    let mut url = format!("{}/compute/v2.1/flavors?limit=3", n.cloud.base_url());
    loop {
        let body: Value = http()
            .get(&url)
            .header("x-auth-token", &n.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            body["flavors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        match body["flavors_links"][0]["href"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["1", "2", "3", "4", "42", "5", "99"]);
    let (status, body) = n.get("/v2.1/flavors?marker=zzz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_fault(&body, "badRequest", 400);
}

#[tokio::test]
async fn flavors_filter_as_nova_filters_them() {
    let seed = Seed::parse(
        "flavors: [{id: \"77\", name: m1.secret, ram: 4096, disk: 40, vcpus: 2, is_public: false}]",
        false,
    )
    .unwrap();
    let n = nova_with(MockCloud::builder().seed(seed)).await;
    let admin = n.cloud.token("admin", "admin").unwrap();
    let names = |body: &Value| -> Vec<String> {
        body["flavors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let as_admin = |query: &'static str| {
        let n = &n;
        let admin = admin.clone();
        async move {
            let (s, _, b) = n
                .call_as(
                    &admin,
                    Method::GET,
                    &format!("/v2.1/flavors{query}"),
                    None,
                    None,
                )
                .await;
            (s, b)
        }
    };
    // Public ones by default, for everyone; a member's is_public is ignored.
    let (_, body) = n.get("/v2.1/flavors").await;
    assert!(!names(&body).contains(&"m1.secret".to_owned()));
    let (_, body) = n.get("/v2.1/flavors?is_public=false").await;
    assert!(!names(&body).is_empty());
    assert!(!names(&body).contains(&"m1.secret".to_owned()));
    let (_, body) = as_admin("").await;
    assert!(!names(&body).contains(&"m1.secret".to_owned()));
    // An admin asks for private ones, or for all.
    let (_, body) = as_admin("?is_public=false").await;
    assert_eq!(names(&body), ["m1.secret"]);
    let (_, body) = as_admin("/detail?is_public=None").await;
    assert!(names(&body).contains(&"m1.secret".to_owned()));
    assert!(names(&body).contains(&"m1.tiny".to_owned()));
    let (status, body) = as_admin("?is_public=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid is_public filter [maybe]"
    );
    // minRam and minDisk.
    let (_, body) = n.get("/v2.1/flavors/detail?minRam=4096&minDisk=80").await;
    assert!(
        body["flavors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["ram"].as_u64() >= Some(4096) && f["disk"].as_u64() >= Some(80)),
        "{body}"
    );
    assert_eq!(names(&body), ["m1.large", "m1.xlarge"]);
    let (status, body) = n.get("/v2.1/flavors?minDisk=big").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid minDisk filter [big]"
    );
}

#[tokio::test]
async fn keypairs_import_generate_list_show_delete() {
    let n = nova().await;
    let public =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDd1p2HzXr0wKq5v4tK6bD1x0cP9dY7vG0W0xmmQ3Q9Q me@host";
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/os-keypairs",
            None,
            Some(json!({"keypair": {"name": "mine", "public_key": public}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["keypair"]["public_key"], public);
    assert_eq!(body["keypair"]["fingerprint"].as_str().unwrap().len(), 47);
    // Nova keeps an imported key as sent, the line break of a .pub file included.
    let with_newline = format!("{public}\n");
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/os-keypairs",
            None,
            Some(json!({"keypair": {"name": "from-file", "public_key": with_newline}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["keypair"]["public_key"], with_newline.as_str());
    let (_, body) = n.get("/v2.1/os-keypairs/from-file").await;
    assert_eq!(body["keypair"]["public_key"], with_newline.as_str());
    let (status, _, _) = n
        .call(Method::DELETE, "/v2.1/os-keypairs/from-file", None, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body["keypair"].get("private_key").is_none());

    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/os-keypairs",
            Some("2.2"),
            Some(json!({"keypair": {"name": "made"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["keypair"]["type"], "ssh");
    assert!(
        body["keypair"]["private_key"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );

    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/os-keypairs",
            Some("2.92"),
            Some(json!({"keypair": {"name": "late"}})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "generation is gone in 2.92"
    );
    assert_fault(&body, "badRequest", 400);
    for bad in [
        json!({"keypair": {"name": "mine", "public_key": public}}),
        json!({"keypair": {"name": "a/b", "public_key": public}}),
        json!({"keypair": {"name": "x", "public_key": "ssh-rsa %%%"}}),
        json!({"keypair": {"public_key": public}}),
        json!({"nothing": 1}),
    ] {
        let (status, _, body) = n
            .call(Method::POST, "/v2.1/os-keypairs", None, Some(bad.clone()))
            .await;
        let expected = if bad["keypair"]["name"] == "mine" {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{bad}: {body}");
    }

    let (_, body) = n.get("/v2.1/os-keypairs").await;
    let names: Vec<_> = body["keypairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keypair"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mine", "made"]);
    let (status, body) = n.get("/v2.1/os-keypairs/mine").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["keypair"]["deleted"], false);
    assert!(body["keypair"]["user_id"].is_string());

    // Keypairs are per user.
    let admin = n.cloud.token("admin", "admin").unwrap();
    let (status, _, body) = n
        .call_as(&admin, Method::GET, "/v2.1/os-keypairs/mine", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_fault(&body, "itemNotFound", 404);

    let (status, _, _) = n
        .call(Method::DELETE, "/v2.1/os-keypairs/mine", None, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _, _) = n
        .call(Method::DELETE, "/v2.1/os-keypairs/made", Some("2.2"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = n
        .call(Method::DELETE, "/v2.1/os-keypairs/made", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_show_update_delete() {
    let n = nova_with(MockCloud::builder().fake_driver_polls(2)).await;
    let public =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDd1p2HzXr0wKq5v4tK6bD1x0cP9dY7vG0W0xmmQ3Q9Q me@host";
    n.call(
        Method::POST,
        "/v2.1/os-keypairs",
        None,
        Some(json!({"keypair": {"name": "k", "public_key": public}})),
    )
    .await;
    let (status, headers, body) = n
        .call(
            Method::POST,
            "/v2.1/servers",
            None,
            Some(json!({"server": {
                "name": "web-1", "imageRef": "img-active", "flavorRef": "1", "key_name": "k",
                "metadata": {"role": "web"}, "user_data": "IyEvYmluL3NoCmVjaG8gaGk=",
            }})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["server"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"],
        format!("{}/compute/v2.1/servers/{id}", n.cloud.base_url()).as_str()
    );
    assert!(body["server"]["adminPass"].is_string());

    let (_, body) = n.get(&format!("/v2.1/servers/{id}")).await;
    let s = &body["server"];
    assert_eq!(s["status"], "BUILD");
    assert_eq!(s["OS-EXT-STS:task_state"], "spawning");
    assert_eq!(s["name"], "web-1");
    assert_eq!(s["key_name"], "k");
    assert_eq!(s["metadata"], json!({"role": "web"}));
    assert_eq!(s["image"]["id"], "img-active");
    assert_eq!(s["flavor"]["id"], "1");
    assert!(s["flavor"].get("ram").is_none());
    assert_eq!(s["tenant_id"], n.cloud.project_id("demo").unwrap());
    assert!(s["created"].as_str().unwrap().ends_with('Z'));
    assert!(s["addresses"]["private"][0]["addr"].is_string());
    assert_eq!(
        n.status(&id).await,
        "ACTIVE",
        "the second poll finishes the boot"
    );

    let (_, _, body) = n
        .call(
            Method::GET,
            &format!("/v2.1/servers/{id}"),
            Some("2.47"),
            None,
        )
        .await;
    assert_eq!(body["server"]["flavor"]["original_name"], "m1.tiny");
    assert_eq!(body["server"]["flavor"]["ram"], 512);
    assert!(body["server"]["flavor"].get("id").is_none());
    assert_eq!(body["server"]["OS-EXT-STS:power_state"], 1);

    let (status, _, body) = n
        .call(
            Method::PUT,
            &format!("/v2.1/servers/{id}"),
            None,
            Some(json!({"server": {"name": "web-2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["server"]["name"], "web-2");

    let (status, _, _) = n
        .call(Method::DELETE, &format!("/v2.1/servers/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = n.get(&format!("/v2.1/servers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_fault(&body, "itemNotFound", 404);
    let (status, _, _) = n
        .call(Method::DELETE, &format!("/v2.1/servers/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_refuses_bad_requests() {
    let n = nova().await;
    let base = json!({"name": "x", "imageRef": "img-active", "flavorRef": "1"});
    let with = |key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    let without = |key: &str| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(key);
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("name"), "'name' is a required property"),
        (without("flavorRef"), "'flavorRef' is a required property"),
        (without("imageRef"), "'imageRef' is a required property"),
        (with("name", json!("  ")), "Name must be"),
        (
            with("flavorRef", json!("nope")),
            "Flavor nope could not be found.",
        ),
        (
            with("imageRef", json!("nope")),
            "Image nope could not be found.",
        ),
        (
            with("imageRef", json!("img-queued")),
            "Image img-queued is not active.",
        ),
        (
            with("imageRef", json!("img-bigram")),
            "Flavor's memory is too small for requested image.",
        ),
        (
            with("imageRef", json!("img-bigdisk")),
            "Flavor's disk is too small for requested image.",
        ),
        (
            with("imageRef", json!("img-huge")),
            "Flavor disk is 1073741824 bytes, image is 2147483648 bytes.",
        ),
        (
            with("user_data", json!("not base64!")),
            "User data needs to be valid base 64.",
        ),
        (
            with("key_name", json!("nokey")),
            "Invalid key_name provided.",
        ),
        (with("metadata", json!({"k": 1})), "metadata"),
        (with("networks", json!("none")), "networks"),
        (with("description", json!("d")), "description"),
        // Nova reads the image's properties into its enum fields, whatever the driver.
        (
            with("imageRef", json!("img-floppy-bus")),
            "Invalid image metadata. Error: Field value floppy is invalid",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = n.create(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_fault(&answer, "badRequest", 400);
        let text = answer["badRequest"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{body}: {text}");
    }
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/servers",
            None,
            Some(json!({"nope": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // From 2.37 `networks` is required; "none" and "auto" are accepted.
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/servers",
            Some("2.37"),
            Some(json!({"server": base})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["badRequest"]["message"]
            .as_str()
            .unwrap()
            .contains("'networks' is a required property")
    );
    // A network that Neutron does not have is Nova's 400.
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/servers",
            Some("2.37"),
            Some(json!({"server": with("networks", json!([{"uuid": "abc"}]))})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["badRequest"]["message"],
        "Network abc could not be found."
    );
    for networks in [json!("none"), json!("auto")] {
        let (status, _, body) = n
            .call(
                Method::POST,
                "/v2.1/servers",
                Some("2.37"),
                Some(json!({"server": with("networks", networks.clone())})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{networks}: {body}");
    }
    let (status, _, body) = n
        .call(
            Method::POST,
            "/v2.1/servers",
            Some("2.19"),
            Some(json!({"server": with("description", json!("d"))})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // Legacy spellings and capitals Nova coerces pass.
    let (status, body) = n.create(with("imageRef", json!("img-old-vif"))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn three_part_images_boot() {
    let n = nova().await;
    let (status, body) = n
        .create(json!({"name": "ami", "imageRef": "ami", "flavorRef": "1"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["server"]["id"].as_str().unwrap();
    assert_eq!(n.status(id).await, "ACTIVE");
}

#[tokio::test]
async fn failed_boots_are_error_with_a_fault() {
    let n = nova().await;
    for (image, metadata, message) in [
        ("img-fail", json!({}), "the disk is on fire"),
        (
            "img-active",
            json!({"mock_fail_boot": "true"}),
            "mock_fail_boot",
        ),
    ] {
        let (status, body) = n.create(json!({"name": "doomed", "imageRef": image, "flavorRef": "1", "metadata": metadata})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let id = body["server"]["id"].as_str().unwrap().to_owned();
        let (_, body) = n.get(&format!("/v2.1/servers/{id}")).await;
        let s = &body["server"];
        assert_eq!(s["status"], "ERROR");
        assert_eq!(s["OS-EXT-STS:vm_state"], "error");
        assert_eq!(s["fault"]["code"], 500);
        assert!(
            s["fault"]["message"].as_str().unwrap().contains(message),
            "{s}"
        );
        let (status, body) = n.act(&id, json!({"os-start": null})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_fault(&body, "conflictingRequest", 409);
    }
}

#[tokio::test]
async fn the_fake_driver_moves_on_polls_or_ticks_only() {
    let n = nova_with(MockCloud::builder().fake_driver_polls(4)).await;
    let id = n.boot("ticked").await;
    assert_eq!(n.cloud.tick(2), 0);
    let (_, body) = n.get("/v2.1/servers").await;
    assert!(
        body["servers"][0].get("status").is_none(),
        "a summary is no poll"
    );
    let (_, body) = n.get("/v2.1/servers/detail").await;
    assert_eq!(
        body["servers"][0]["status"], "BUILD",
        "a detailed listing is one poll (of four)"
    );
    let response = http()
        .post(format!("{}/_mock/tick", n.cloud.base_url()))
        .bearer_auth(n.cloud.control_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["changed"], 1);
    let (_, body) = n.get("/v2.1/servers/detail").await;
    assert_eq!(body["servers"][0]["status"], "ACTIVE");

    // Stop: ACTIVE with task powering-off until the transition ends, then SHUTOFF.
    let (status, _) = n.act(&id, json!({"os-stop": null})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, body) = n.get(&format!("/v2.1/servers/{id}")).await;
    assert_eq!(body["server"]["status"], "ACTIVE");
    assert_eq!(body["server"]["OS-EXT-STS:task_state"], "powering-off");
    let (status, body) = n.act(&id, json!({"os-stop": null})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["conflictingRequest"]["message"]
            .as_str()
            .unwrap()
            .contains("task_state powering-off")
    );
    n.cloud.tick(3);
    assert_eq!(n.status(&id).await, "SHUTOFF");

    // Wrong states: 409 with Nova's words.
    let (status, body) = n.act(&id, json!({"os-stop": null})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["conflictingRequest"]["message"],
        format!("Cannot 'stop' instance {id} while it is in vm_state stopped")
    );
    let (status, _) = n.act(&id, json!({"reboot": {"type": "SOFT"}})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, _) = n.act(&id, json!({"os-start": null})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    n.cloud.tick(3);
    assert_eq!(n.status(&id).await, "ACTIVE");
    let (status, body) = n.act(&id, json!({"os-start": null})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["conflictingRequest"]["message"],
        format!("Cannot 'start' instance {id} while it is in vm_state active")
    );

    let (status, _) = n.act(&id, json!({"reboot": {"type": "SOFT"}})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(n.status(&id).await, "REBOOT");
    n.cloud.tick(3);
    assert_eq!(n.status(&id).await, "ACTIVE");
    let (status, _) = n.act(&id, json!({"reboot": {"type": "HARD"}})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for _ in 0..3 {
        assert_eq!(n.status(&id).await, "HARD_REBOOT");
    }
    assert_eq!(n.status(&id).await, "ACTIVE", "the fourth poll finishes it");

    let (status, body) = n.act(&id, json!({"reboot": {"type": "GENTLE"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = n.act(&id, json!({"os-migrate": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["badRequest"]["message"]
            .as_str()
            .unwrap()
            .contains("os-migrate")
    );
    let (status, _) = n.act("no-such-server", json!({"os-start": null})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn console_output_and_remote_consoles() {
    let n = nova_with(MockCloud::builder().fake_driver_polls(2)).await;
    let id = n.boot("con").await;
    let (status, body) = n
        .act(&id, json!({"os-getConsoleOutput": {"length": 5}}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not while building: {body}");
    let (status, _, body) = n
        .call(
            Method::POST,
            &format!("/v2.1/servers/{id}/remote-consoles"),
            Some("2.6"),
            Some(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    n.cloud.tick(2);

    let (status, body) = n
        .act(&id, json!({"os-getConsoleOutput": {"length": null}}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let output = body["output"].as_str().unwrap();
    assert!(
        output.contains(&format!("server con ({id}) booted")),
        "{output}"
    );
    let (_, body) = n
        .act(&id, json!({"os-getConsoleOutput": {"length": "2"}}))
        .await;
    assert_eq!(body["output"].as_str().unwrap().lines().count(), 2);
    let (status, _) = n
        .act(&id, json!({"os-getConsoleOutput": {"length": "x"}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let path = format!("/v2.1/servers/{id}/remote-consoles");
    let vnc = json!({"remote_console": {"protocol": "vnc", "type": "novnc"}});
    let (status, _, body) = n
        .call(Method::POST, &path, Some("2.6"), Some(vnc.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["remote_console"]["protocol"], "vnc");
    assert!(
        body["remote_console"]["url"]
            .as_str()
            .unwrap()
            .contains("vnc_auto.html")
    );
    let (status, _, _) = n.call(Method::POST, &path, None, Some(vnc)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "remote-consoles needs 2.6");
    let spice = json!({"remote_console": {"protocol": "spice", "type": "spice-html5"}});
    let (status, _, body) = n.call(Method::POST, &path, Some("2.6"), Some(spice)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["badRequest"]["message"]
            .as_str()
            .unwrap()
            .contains("Unavailable console type")
    );

    let (status, body) = n
        .act(&id, json!({"os-getVNCConsole": {"type": "novnc"}}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["console"]["type"], "novnc");
    let (status, _) = n
        .act(&id, json!({"os-getVNCConsole": {"type": "bogus"}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn list_detail_filters_and_pages() {
    // Slow boots, so the detailed listings (each a poll) leave every server in BUILD.
    let n = nova_with(MockCloud::builder().fake_driver_polls(100)).await;
    let mut ids = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        ids.push(n.boot(name).await);
    }
    let (_, body) = n.get("/v2.1/servers").await;
    let names: Vec<_> = body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gamma", "beta", "alpha"], "newest first");
    assert!(body["servers"][0].get("status").is_none());
    assert!(body["servers"][0]["links"].is_array());

    let (_, body) = n.get("/v2.1/servers/detail?name=^bet").await;
    assert_eq!(body["servers"].as_array().unwrap().len(), 1);
    assert_eq!(body["servers"][0]["status"], "BUILD");
    let (_, body) = n.get("/v2.1/servers/detail?status=ACTIVE").await;
    assert!(body["servers"].as_array().unwrap().is_empty());
    let (_, body) = n
        .get("/v2.1/servers/detail?flavor=1&image=img-active")
        .await;
    assert_eq!(body["servers"].as_array().unwrap().len(), 3);

    let mut seen = Vec::new();
    let mut url = format!("{}/compute/v2.1/servers/detail?limit=2", n.cloud.base_url());
    loop {
        let body: Value = http()
            .get(&url)
            .header("x-auth-token", &n.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            body["servers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        match body["servers_links"][0]["href"].as_str() {
            Some(next) => {
                assert_eq!(body["servers_links"][0]["rel"], "next");
                url = next.to_owned();
            }
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let (status, body) = n.get("/v2.1/servers?marker=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["badRequest"]["message"]
            .as_str()
            .unwrap()
            .contains("marker [nope] not found")
    );
    let (status, _) = n.get("/v2.1/servers?limit=-3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_nova_faults() {
    let n = nova().await;
    let (status, body) = n.get("/v2.1/os-migrations").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_fault(&body, "notImplemented", 501);
    assert!(
        body["notImplemented"]["message"]
            .as_str()
            .unwrap()
            .contains("GET /compute/v2.1/os-migrations")
    );
    let (status, _, body) = n.call(Method::PATCH, "/v2.1/servers", None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_fault(&body, "badMethod", 405);
}

#[tokio::test]
async fn boots_images_from_this_clouds_glance() {
    // Without a stand-in, Nova asks the cloud's own Glance (in process).
    let seed = Seed::parse(
        "images: [{name: tiny, visibility: public, disk_format: raw, container_format: bare, content: \"raw bytes\"}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let images: Value = http()
        .get(format!("{}/image/v2/images?name=tiny", cloud.base_url()))
        .header("x-auth-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image = images["images"][0]["id"].as_str().unwrap().to_owned();
    let servers = format!("{}/compute/v2.1/servers", cloud.base_url());
    for (image_ref, expected) in [
        (image.as_str(), StatusCode::ACCEPTED),
        (
            "4c7c1a6e-0000-4000-8000-000000000000",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let response = http()
            .post(&servers)
            .header("x-auth-token", &token)
            .json(&json!({"server": {"name": "x", "imageRef": image_ref, "flavorRef": "1"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            expected,
            "{}",
            response.text().await.unwrap()
        );
    }
    let detail: Value = http()
        .get(format!("{servers}/detail"))
        .header("x-auth-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["servers"][0]["image"]["id"], image.as_str());
}

/// A driver that refuses to boot anything: proves another driver plugs in.
struct Refusing;

impl ComputeDriver for Refusing {
    fn name(&self) -> &'static str {
        "refusing"
    }
    fn create(&self, spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
        let message = format!("no room for {} ({} MiB)", spec.name, spec.ram_mb);
        Box::pin(async move { Err(DriverError(message)) })
    }
    fn start<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn stop<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn reboot<'a>(&'a self, _: &'a str, _: bool) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn delete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn observe(&self, _: &str, _: bool) -> VmState {
        VmState::Unknown
    }
    fn tick(&self, _: u32) -> usize {
        0
    }
    fn console_output<'a>(
        &'a self,
        _: &'a str,
        _: Option<usize>,
    ) -> BoxFuture<'a, Result<String, DriverError>> {
        Box::pin(async { Ok(String::new()) })
    }
    fn vnc_console<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<RemoteConsole, DriverError>> {
        Box::pin(async { Err(DriverError("no console".into())) })
    }
    fn reset(&self) {}
}

#[tokio::test]
async fn another_driver_plugs_in() {
    let n = nova_with(MockCloud::builder().compute_driver(Arc::new(Refusing))).await;
    let id = n.boot("big").await;
    let (_, body) = n.get(&format!("/v2.1/servers/{id}")).await;
    assert_eq!(body["server"]["status"], "ERROR");
    assert_eq!(
        body["server"]["fault"]["message"],
        "no room for big (512 MiB)"
    );
}

#[tokio::test]
async fn server_metadata_whole_and_by_item() {
    let n = nova().await;
    let id = n.boot("meta").await;
    let base = format!("/v2.1/servers/{id}/metadata");
    let (status, body) = n.get(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"metadata": {}}));

    let (status, _, body) = n
        .call(
            Method::POST,
            &base,
            None,
            Some(json!({"metadata": {"a": "1", "b": "2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["metadata"], json!({"a": "1", "b": "2"}));
    let (_, _, body) = n
        .call(
            Method::POST,
            &base,
            None,
            Some(json!({"metadata": {"b": "3"}})),
        )
        .await;
    assert_eq!(body["metadata"], json!({"a": "1", "b": "3"}), "merged");
    let (_, _, body) = n
        .call(
            Method::PUT,
            &format!("{base}/c"),
            None,
            Some(json!({"meta": {"c": "4"}})),
        )
        .await;
    assert_eq!(body, json!({"meta": {"c": "4"}}));
    let (status, body) = n.get(&format!("{base}/c")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"meta": {"c": "4"}}));
    let (status, _, _) = n
        .call(Method::DELETE, &format!("{base}/a"), None, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = n.get(&format!("/v2.1/servers/{id}")).await;
    assert_eq!(body["server"]["metadata"], json!({"b": "3", "c": "4"}));
    let (_, _, body) = n
        .call(
            Method::PUT,
            &base,
            None,
            Some(json!({"metadata": {"only": "this"}})),
        )
        .await;
    assert_eq!(body["metadata"], json!({"only": "this"}), "replaced");

    let (status, body) = n.get(&format!("{base}/gone")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_fault(&body, "itemNotFound", 404);
    let (status, _, _) = n
        .call(Method::DELETE, &format!("{base}/gone"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = n
        .call(
            Method::PUT,
            &format!("{base}/x"),
            None,
            Some(json!({"meta": {"y": "1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Request body and URI mismatch"
    );
    let (status, _, _) = n
        .call(
            Method::POST,
            &base,
            None,
            Some(json!({"metadata": {"k": 5}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = n.call(Method::POST, &base, None, Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another project: 404.
    let seed = Seed::parse("projects: [{name: other}]\nusers: [{name: olga, password: pw, roles: [{role: member, project: other}]}]", false).unwrap();
    n.cloud.apply_seed(&seed).await.unwrap();
    let olga = n.cloud.token("olga", "other").unwrap();
    let (status, _, _) = n.call_as(&olga, Method::GET, &base, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn limits_count_the_projects_usage_and_zones_list_nova() {
    let n = nova().await;
    n.boot("one").await;
    n.boot("two").await;
    let (status, body) = n.get("/v2.1/limits").await;
    assert_eq!(status, StatusCode::OK);
    let absolute = &body["limits"]["absolute"];
    assert_eq!(absolute["totalInstancesUsed"], 2);
    assert_eq!(absolute["totalRAMUsed"], 1024);
    assert_eq!(absolute["totalCoresUsed"], 2);
    assert_eq!(absolute["maxSecurityGroups"], 10);
    let (_, _, body) = n
        .call(Method::GET, "/v2.1/limits", Some("2.57"), None)
        .await;
    assert!(
        body["limits"]["absolute"]
            .get("maxSecurityGroups")
            .is_none()
    );
    assert!(body["limits"]["absolute"].get("maxPersonality").is_none());
    let admin = n.cloud.token("admin", "admin").unwrap();
    let (_, _, body) = n
        .call_as(&admin, Method::GET, "/v2.1/limits", None, None)
        .await;
    assert_eq!(
        body["limits"]["absolute"]["totalInstancesUsed"], 0,
        "per project"
    );

    let (status, body) = n.get("/v2.1/os-availability-zone").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["availabilityZoneInfo"][0]["zoneName"], "nova");
    let (status, _, body) = n
        .call_as(
            &admin,
            Method::GET,
            "/v2.1/os-availability-zone/detail",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["availabilityZoneInfo"][0]["hosts"]["mock-compute"].is_object());
    let (status, body) = n.get("/v2.1/os-availability-zone/detail").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_fault(&body, "forbidden", 403);
}
