//! `config_drive` as Nova's API takes and shows it: checked by its schema on create, `"True"`
//! when asked for, and, once the server has booted, when the driver forces drives or the
//! image requires one; and what the driver is handed for the server's metadata.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::response::IntoResponse;
use futures::future::BoxFuture;
use mock_cloud::{BootSpec, ComputeDriver, DriverError, MockCloud, RemoteConsole, VmState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A stand-in Glance: `img` (no property), `needs-drive` (`img_config_drive=mandatory`),
/// `odd-drive` (`img_config_drive=sometimes`).
async fn stand_in_glance() -> String {
    let app = axum::Router::new().route(
        "/image/v2/images/{id}",
        axum::routing::get(|Path(id): Path<String>| async move {
            let policy = match id.as_str() {
                "img" => None,
                "needs-drive" => Some("mandatory"),
                "odd-drive" => Some("sometimes"),
                _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
            };
            let mut image = json!({"id": id, "name": id, "status": "active", "disk_format": "qcow2",
                "container_format": "bare", "size": 1024, "min_ram": 0, "min_disk": 0,
                "visibility": "public"});
            if let Some(policy) = policy {
                image["img_config_drive"] = json!(policy);
            }
            axum::Json(image).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A driver whose machines boot on a tick, which records the specs it is given and may
/// force config drives.
#[derive(Default)]
struct Recorder {
    force: bool,
    running: Mutex<HashMap<String, bool>>,
    specs: Mutex<Vec<BootSpec>>,
}

impl ComputeDriver for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn create(&self, spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
        self.running
            .lock()
            .unwrap()
            .insert(spec.server_id.clone(), false);
        self.specs.lock().unwrap().push(spec);
        Box::pin(async { Ok(()) })
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
    fn observe(&self, id: &str, _: bool) -> VmState {
        match self.running.lock().unwrap().get(id) {
            Some(true) => VmState::Running,
            Some(false) => VmState::Transitioning,
            None => VmState::Unknown,
        }
    }
    fn tick(&self, _: u32) -> usize {
        let mut running = self.running.lock().unwrap();
        running.values_mut().for_each(|up| *up = true);
        running.len()
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
    fn forces_config_drive(&self) -> bool {
        self.force
    }
}

struct Nova {
    cloud: MockCloud,
    driver: Arc<Recorder>,
    token: String,
}

async fn nova(force: bool) -> Nova {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let driver = Arc::new(Recorder {
        force,
        ..Recorder::default()
    });
    let cloud = MockCloud::builder()
        .image_endpoint(stand_in_glance().await)
        .compute_driver(driver.clone())
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    Nova {
        cloud,
        driver,
        token,
    }
}

impl Nova {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(
                method,
                format!("{}/compute/v2.1{path}", self.cloud.base_url()),
            )
            .header("x-auth-token", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, server: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/servers", Some(json!({"server": server})))
            .await
    }

    async fn boot(&self, extra: Value) -> (String, Value) {
        let mut server = json!({"name": "vm", "imageRef": "img", "flavorRef": "1"});
        for (key, value) in extra.as_object().unwrap() {
            server[key] = value.clone();
        }
        let (status, body) = self.create(server).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        (body["server"]["id"].as_str().unwrap().to_owned(), body)
    }

    async fn shown(&self, id: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/servers/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["server"].clone()
    }
}

#[tokio::test]
async fn asked_for_it_shows_true_at_once_and_not_asked_shows_empty() {
    let n = nova(false).await;
    let (asked, _) = n.boot(json!({"config_drive": true})).await;
    let (as_string, _) = n.boot(json!({"config_drive": "yes"})).await;
    let (declined, _) = n.boot(json!({"config_drive": "False"})).await;
    let (silent, _) = n.boot(json!({})).await;
    let building = n.shown(&asked).await;
    assert_eq!(
        (
            building["status"].as_str(),
            building["config_drive"].as_str()
        ),
        (Some("BUILD"), Some("True"))
    );
    n.cloud.tick(1);
    for (id, want) in [
        (&asked, "True"),
        (&as_string, "True"),
        (&declined, ""),
        (&silent, ""),
    ] {
        let server = n.shown(id).await;
        assert_eq!(server["status"], "ACTIVE");
        assert_eq!(server["config_drive"], want, "{id}");
    }
    let (_, detail) = n.call(Method::GET, "/servers/detail", None).await;
    let shown: Vec<(&str, &str)> = detail["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap(),
                s["config_drive"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(shown.contains(&(asked.as_str(), "True")), "{shown:?}");
    assert!(shown.contains(&(silent.as_str(), "")), "{shown:?}");
    let specs = n.driver.specs.lock().unwrap();
    let asked_for: Vec<bool> = specs.iter().map(|s| s.config_drive).collect();
    assert_eq!(asked_for, [true, true, false, false]);
}

#[tokio::test]
async fn bad_values_are_refused_with_nova_s_words_and_make_nothing() {
    let n = nova(false).await;
    let refuse = |value: Value| json!({"name": "vm", "imageRef": "img", "flavorRef": "1", "config_drive": value});
    let (status, body) = n.create(refuse(json!("maybe"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid input for field/attribute config_drive. Value: maybe. 'maybe' is not one of \
         [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, \
         'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"
    );
    let (status, body) = n.create(refuse(json!(1))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid input for field/attribute config_drive. Value: 1. 1 is not of type 'boolean', 'string'"
    );
    let (status, body) = n
        .create(json!({"name": "vm", "imageRef": "img", "flavorRef": "1", "adminPass": 7}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid input for field/attribute adminPass. Value: 7. 7 is not of type 'string'"
    );
    let (status, body) = n
        .create(json!({"name": "vm", "imageRef": "odd-drive", "flavorRef": "1"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "Image's config drive option 'sometimes' is invalid"
    );
    let (_, list) = n.call(Method::GET, "/servers", None).await;
    assert_eq!(list["servers"], json!([]));
    assert!(n.driver.specs.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_forcing_driver_or_a_mandatory_image_shows_true_once_booted() {
    let forced = nova(true).await;
    let (id, _) = forced.boot(json!({})).await;
    // Nova sets it after the first spawn (`configdrive.update_instance`).
    assert_eq!(forced.shown(&id).await["config_drive"], "");
    forced.cloud.tick(1);
    let server = forced.shown(&id).await;
    assert_eq!(
        (&server["status"], &server["config_drive"]),
        (&json!("ACTIVE"), &json!("True"))
    );
    // The request's own choice is what the driver is told; it forces the rest itself.
    assert!(!forced.driver.specs.lock().unwrap()[0].config_drive);

    let plain = nova(false).await;
    let (mandatory, _) = plain.boot(json!({"imageRef": "needs-drive"})).await;
    let (optional, _) = plain.boot(json!({})).await;
    assert_eq!(plain.shown(&mandatory).await["config_drive"], "");
    plain.cloud.tick(1);
    assert_eq!(plain.shown(&mandatory).await["config_drive"], "True");
    assert_eq!(plain.shown(&optional).await["config_drive"], "");
}

#[tokio::test]
async fn the_driver_is_handed_what_the_metadata_shows() {
    let n = nova(false).await;
    let (status, _) = n
        .call(
            Method::POST,
            "/os-keypairs",
            Some(json!({"keypair": {"name": "mykey", "public_key":
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOlb8cmIxP1zxjmcS8pX6T/1tGS5b3KgqQUxTWNMmO2u demo@host"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, generated) = n
        .boot(json!({"key_name": "mykey", "min_count": 2, "metadata": {"role": "web"}}))
        .await;
    let (_, given) = n.boot(json!({"adminPass": "Chosen-pass-1"})).await;
    assert_eq!(given["server"]["adminPass"], "Chosen-pass-1");
    // Each NIC names its network, as network_data.json does.
    let (_, networks) = n.cloud_networks().await;
    let specs = n.driver.specs.lock().unwrap().clone();
    assert_eq!(specs.len(), 3);
    let (first, second) = (&specs[0], &specs[1]);
    let project = n.cloud.project_id("demo").unwrap();
    assert_eq!(first.key_name.as_deref(), Some("mykey"));
    assert_eq!(first.key_type.as_deref(), Some("ssh"));
    assert!(
        first
            .public_key
            .as_deref()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    assert_eq!(first.project_id, project);
    assert_eq!(first.availability_zone, "nova");
    assert_eq!((first.launch_index, second.launch_index), (0, 1));
    assert_eq!(first.reservation_id, second.reservation_id);
    assert!(
        first.reservation_id.starts_with("r-"),
        "{}",
        first.reservation_id
    );
    assert_eq!(first.flavor_name, "m1.tiny");
    assert_eq!(first.security_groups, ["default"]);
    assert_ne!(first.instance_number, second.instance_number);
    assert_eq!(first.metadata.get("role").map(String::as_str), Some("web"));
    // The answer's adminPass is the one the driver gets (all servers of a request share it).
    let answer = generated["server"]["adminPass"].as_str().unwrap();
    assert_eq!(answer.len(), 12);
    assert_eq!(first.admin_pass.as_ref().unwrap().expose(), answer);
    assert_eq!(second.admin_pass, first.admin_pass);
    assert_eq!(
        specs[2].admin_pass.as_ref().unwrap().expose(),
        "Chosen-pass-1"
    );
    assert!(!format!("{first:?}").contains(answer));
    let private = networks["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|net| net["name"] == "private")
        .unwrap()["id"]
        .clone();
    assert_eq!(first.nics.len(), 1);
    let nic = &first.nics[0];
    assert_eq!(json!(nic.network_id), private);
    assert_eq!(
        (nic.vif_type.as_str(), nic.dhcp, nic.mtu),
        ("ovs", true, Some(1442))
    );
}

impl Nova {
    async fn cloud_networks(&self) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/networking/v2.0/networks",
                self.cloud.base_url()
            ))
            .header("x-auth-token", &self.token)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }
}
