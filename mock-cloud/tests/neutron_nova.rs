//! Nova through Neutron: a server's `networks` become ports (all or none), its `addresses`
//! follow its ports and floating IPs, `os-interface`, security-group actions, and its ports
//! go with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::response::IntoResponse;
use mock_cloud::{
    BootNic, BootSpec, ComputeDriver, DriverError, MockCloud, PortForward, RemoteConsole, VmState,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A stand-in Glance with one active image, `img`.
async fn stand_in_glance() -> String {
    let app = axum::Router::new().route(
        "/image/v2/images/{id}",
        axum::routing::get(|Path(id): Path<String>| async move {
            if id != "img" {
                return axum::http::StatusCode::NOT_FOUND.into_response();
            }
            axum::Json(json!({"id": "img", "name": "img", "status": "active", "disk_format": "qcow2",
                "container_format": "bare", "size": 1024, "min_ram": 0, "min_disk": 0, "visibility": "public"}))
            .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A driver that boots at once and records what it was told to boot, plug in and forward.
#[derive(Default)]
struct Recorder {
    forwards: Mutex<HashMap<String, Vec<PortForward>>>,
    nics: Mutex<HashMap<String, Vec<BootNic>>>,
    specs: Mutex<Vec<BootSpec>>,
}

impl ComputeDriver for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn create(&self, spec: BootSpec) -> futures::future::BoxFuture<'_, Result<(), DriverError>> {
        self.specs.lock().unwrap().push(spec);
        Box::pin(async { Ok(()) })
    }
    fn restore(&self, spec: BootSpec, _fault: Option<String>) -> Result<(), DriverError> {
        self.specs.lock().unwrap().push(spec);
        Ok(())
    }
    fn start<'a>(
        &'a self,
        _id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn stop<'a>(&'a self, _id: &'a str) -> futures::future::BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn reboot<'a>(
        &'a self,
        _id: &'a str,
        _hard: bool,
    ) -> futures::future::BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn delete<'a>(
        &'a self,
        _id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async { Ok(()) })
    }
    fn observe(&self, _id: &str, _poll: bool) -> VmState {
        VmState::Running
    }
    fn tick(&self, _steps: u32) -> usize {
        0
    }
    fn console_output<'a>(
        &'a self,
        _id: &'a str,
        _length: Option<usize>,
    ) -> futures::future::BoxFuture<'a, Result<String, DriverError>> {
        Box::pin(async { Ok(String::new()) })
    }
    fn vnc_console<'a>(
        &'a self,
        _id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<RemoteConsole, DriverError>> {
        Box::pin(async { Err(DriverError("no console".into())) })
    }
    fn reset(&self) {}
    fn network_changed(&self, server_id: &str, nics: &[BootNic], forwards: &[PortForward]) {
        self.nics
            .lock()
            .unwrap()
            .insert(server_id.to_owned(), nics.to_vec());
        self.forwards
            .lock()
            .unwrap()
            .insert(server_id.to_owned(), forwards.to_vec());
    }
}

struct Cloud {
    cloud: MockCloud,
    token: String,
    driver: Arc<Recorder>,
}

impl Cloud {
    async fn start() -> Cloud {
        Cloud::start_with(MockCloud::builder()).await
    }

    async fn start_with(builder: mock_cloud::MockCloudBuilder) -> Cloud {
        let driver = Arc::new(Recorder::default());
        let cloud = builder
            .image_endpoint(stand_in_glance().await)
            .compute_driver(driver.clone())
            .start()
            .await
            .unwrap();
        let token = cloud.token("demo", "demo").unwrap();
        Cloud {
            cloud,
            token,
            driver,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.cloud.base_url()))
            .header("x-auth-token", &self.token)
            .header("openstack-api-version", "compute 2.90");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn net(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, &format!("/networking/v2.0{path}"), body)
            .await
    }

    async fn id_of(&self, collection: &str, name: &str) -> String {
        let (_, body) = self
            .net(Method::GET, &format!("/{collection}?name={name}"), None)
            .await;
        body[collection.replace('-', "_")][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn create(&self, networks: Value) -> (StatusCode, Value) {
        self.create_with(
            json!({"name": "vm", "imageRef": "img", "flavorRef": "1", "networks": networks}),
        )
        .await
    }

    async fn create_with(&self, server: Value) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/compute/v2.1/servers",
            Some(json!({"server": server})),
        )
        .await
    }

    async fn server(&self, id: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/compute/v2.1/servers/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["server"].clone()
    }

    async fn ports_of(&self, server: &str) -> Vec<Value> {
        let (_, body) = self
            .net(Method::GET, &format!("/ports?device_id={server}"), None)
            .await;
        body["ports"].as_array().unwrap().clone()
    }

    async fn port_count(&self) -> usize {
        let (_, body) = self.net(Method::GET, "/ports", None).await;
        body["ports"].as_array().unwrap().len()
    }
}

#[tokio::test]
async fn a_server_gets_a_port_addresses_and_floating_ips_through_neutron() {
    let c = Cloud::start().await;
    let private = c.id_of("networks", "private").await;
    let public = c.id_of("networks", "public").await;
    let (status, body) = c.create(json!([{"uuid": private}])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["server"]["id"].as_str().unwrap().to_owned();
    let ports = c.ports_of(&id).await;
    assert_eq!(ports.len(), 1);
    let port = &ports[0];
    assert_eq!(port["device_owner"], "compute:nova");
    assert!(
        port.get("binding:host_id").is_none(),
        "a port's bindings are for admins' eyes only, as Neutron's policy says: {port}"
    );
    assert_eq!(port["status"], "ACTIVE");
    assert_eq!(
        port["security_groups"],
        json!([c.id_of("security-groups", "default").await])
    );
    let server = c.server(&id).await;
    let fixed = &server["addresses"]["private"][0];
    assert_eq!(fixed["addr"], port["fixed_ips"][0]["ip_address"]);
    // The driver boots it with that port as its NIC.
    let spec = c.driver.specs.lock().unwrap()[0].clone();
    assert_eq!(spec.hostname, "vm");
    let nic = &spec.nics[..];
    assert_eq!(nic.len(), 1, "{spec:?}");
    assert_eq!(nic[0].port_id, port["id"].as_str().unwrap());
    assert_eq!(nic[0].mac, port["mac_address"].as_str().unwrap());
    assert_eq!(
        nic[0].fixed_ip.to_string(),
        port["fixed_ips"][0]["ip_address"].as_str().unwrap()
    );
    assert_eq!(
        (nic[0].cidr.as_str(), nic[0].gateway),
        ("10.0.0.0/22", Some([10, 0, 0, 1].into()))
    );
    assert_eq!(fixed["OS-EXT-IPS:type"], "fixed");
    assert_eq!(fixed["OS-EXT-IPS-MAC:mac_addr"], port["mac_address"]);

    // A floating IP shows up under the same network, after the fixed address.
    let (_, body) = c
        .net(
            Method::POST,
            "/floatingips",
            Some(json!({"floatingip": {"floating_network_id": public}})),
        )
        .await;
    let fip = body["floatingip"].clone();
    let fip_id = fip["id"].as_str().unwrap();
    let (status, body) = c
        .net(
            Method::PUT,
            &format!("/floatingips/{fip_id}"),
            Some(json!({"floatingip": {"port_id": port["id"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let server = c.server(&id).await;
    let addresses = server["addresses"]["private"].as_array().unwrap();
    assert_eq!(addresses.len(), 2, "{server}");
    assert_eq!(addresses[1]["OS-EXT-IPS:type"], "floating");
    assert_eq!(addresses[1]["addr"], fip["floating_ip_address"]);
    assert_eq!(addresses[1]["OS-EXT-IPS-MAC:mac_addr"], port["mac_address"]);

    // The driver is told what to forward: nothing until a rule lets TCP in.
    let forwards = c.driver.forwards.lock().unwrap().get(&id).cloned().unwrap();
    assert_eq!(forwards.len(), 1);
    assert_eq!(
        forwards[0].floating_ip.to_string(),
        fip["floating_ip_address"].as_str().unwrap()
    );
    assert!(
        forwards[0].tcp_ports.is_empty(),
        "the default group lets in only its members: {forwards:?}"
    );
    let group = c.id_of("security-groups", "default").await;
    let (status, body) = c
        .net(Method::POST, "/security-group-rules", Some(json!({"security_group_rule": {
            "security_group_id": group, "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
            "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let forwards = c.driver.forwards.lock().unwrap().get(&id).cloned().unwrap();
    assert_eq!(forwards[0].tcp_ports, [80..=80]);

    let (status, _) = c
        .net(
            Method::PUT,
            &format!("/floatingips/{fip_id}"),
            Some(json!({"floatingip": {"port_id": null}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        c.server(&id).await["addresses"]["private"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(c.driver.forwards.lock().unwrap()[&id].is_empty());

    // The server's ports go with it.
    let (status, _) = c
        .call(Method::DELETE, &format!("/compute/v2.1/servers/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(c.ports_of(&id).await.is_empty());
}

#[tokio::test]
async fn networks_auto_none_port_and_fixed_ip_and_nothing_half_made() {
    let c = Cloud::start().await;
    let private = c.id_of("networks", "private").await;
    let before = c.port_count().await;
    let (status, body) = c.create(json!("none")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let none = body["server"]["id"].as_str().unwrap().to_owned();
    assert!(c.ports_of(&none).await.is_empty());
    assert_eq!(c.server(&none).await["addresses"], json!({}));

    let (status, body) = c.create(json!("auto")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "one private network: {body}");
    let auto = body["server"]["id"].as_str().unwrap().to_owned();
    assert_eq!(c.ports_of(&auto).await[0]["network_id"], private.as_str());

    // A fixed IP, then the same one again: 400 and no port left behind.
    let (status, body) = c
        .create(json!([{"uuid": private, "fixed_ip": "10.0.2.9"}]))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let fixed = body["server"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        c.server(&fixed).await["addresses"]["private"][0]["addr"],
        "10.0.2.9"
    );
    let count = c.port_count().await;
    let (status, body) = c
        .create(json!([{"uuid": private}, {"uuid": private, "fixed_ip": "10.0.2.9"}]))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["badRequest"]["message"],
        format!("Fixed IP address 10.0.2.9 is already in use on instance {fixed}.")
    );
    assert_eq!(
        c.port_count().await,
        count,
        "the first NIC's port was not kept"
    );
    let (status, body) = c.create(json!([{"uuid": private}, {"uuid": "nope"}])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["badRequest"]["message"],
        "Network nope could not be found."
    );
    let (status, body) = c.create(json!([{"port": "nope"}])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = c
        .create_with(json!({"name": "vm", "imageRef": "img", "flavorRef": "1", "networks": [{"uuid": private}], "security_groups": [{"name": "nope"}]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The public network is not for members' servers.
    let public = c.id_of("networks", "public").await;
    let (status, body) = c.create(json!([{"uuid": public}])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(c.port_count().await, count);

    // A port given: bound, then only unbound when the server goes.
    let (_, body) = c
        .net(
            Method::POST,
            "/ports",
            Some(json!({"port": {"network_id": private, "name": "mine"}})),
        )
        .await;
    let port = body["port"]["id"].as_str().unwrap().to_owned();
    let (status, body) = c.create(json!([{"port": port}])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let with_port = body["server"]["id"].as_str().unwrap().to_owned();
    let (status, body) = c.create(json!([{"port": port}])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    c.call(
        Method::DELETE,
        &format!("/compute/v2.1/servers/{with_port}"),
        None,
    )
    .await;
    let (status, body) = c.net(Method::GET, &format!("/ports/{port}"), None).await;
    assert_eq!(status, StatusCode::OK, "kept: {body}");
    assert_eq!(body["port"]["device_id"], "");

    // Two usable networks make `auto` ambiguous.
    c.net(
        Method::POST,
        "/networks",
        Some(json!({"network": {"name": "second"}})),
    )
    .await;
    let (status, body) = c.create(json!("auto")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["conflictingRequest"]["message"],
        "Multiple possible networks found, use a Network ID to be more specific."
    );
    for id in [none, auto, fixed] {
        c.call(Method::DELETE, &format!("/compute/v2.1/servers/{id}"), None)
            .await;
    }
    assert_eq!(
        c.port_count().await,
        before + 1,
        "only the user's own port is left"
    );
}

#[tokio::test]
async fn os_interface_and_security_group_actions() {
    let c = Cloud::start().await;
    let private = c.id_of("networks", "private").await;
    let (_, body) = c.create(json!([{"uuid": private}])).await;
    let id = body["server"]["id"].as_str().unwrap().to_owned();
    let path = format!("/compute/v2.1/servers/{id}/os-interface");
    let (status, body) = c.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = body["interfaceAttachments"][0].clone();
    assert_eq!(first["net_id"], private.as_str());
    assert_eq!(first["port_state"], "ACTIVE");
    assert!(first["mac_addr"].as_str().unwrap().starts_with("fa:16:3e:"));
    let (_, body) = c
        .net(
            Method::POST,
            "/networks",
            Some(json!({"network": {"name": "second"}})),
        )
        .await;
    let second = body["network"]["id"].as_str().unwrap().to_owned();
    c.net(
        Method::POST,
        "/subnets",
        Some(json!({"subnet": {"network_id": second, "ip_version": 4, "cidr": "10.3.0.0/24"}})),
    )
    .await;
    let (status, body) = c
        .call(Method::POST, &path, Some(json!({"interfaceAttachment": {"net_id": second, "fixed_ips": [{"ip_address": "10.3.0.50"}]}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attached = body["interfaceAttachment"]["port_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        body["interfaceAttachment"]["fixed_ips"][0]["ip_address"],
        "10.3.0.50"
    );
    let server = c.server(&id).await;
    assert_eq!(
        server["addresses"]["second"][0]["addr"], "10.3.0.50",
        "{server}"
    );
    // The driver is told the server's NICs now, the new one last, to plug it in.
    let plugged = |c: &Cloud| -> Vec<(String, String)> {
        c.driver.nics.lock().unwrap()[&id]
            .iter()
            .map(|nic| (nic.port_id.clone(), nic.fixed_ip.to_string()))
            .collect()
    };
    let nics = plugged(&c);
    assert_eq!(nics.len(), 2, "{nics:?}");
    assert_eq!(nics[1], (attached.clone(), "10.3.0.50".to_owned()));
    let (status, body) = c
        .call(Method::GET, &format!("{path}/{attached}"), None)
        .await;
    assert_eq!(
        (status, body["interfaceAttachment"]["net_id"].clone()),
        (StatusCode::OK, json!(second))
    );
    let (status, _) = c
        .call(
            Method::POST,
            &path,
            Some(json!({"interfaceAttachment": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Security groups on every port of the server.
    let (_, body) = c
        .net(
            Method::POST,
            "/security-groups",
            Some(json!({"security_group": {"name": "web"}})),
        )
        .await;
    let web = body["security_group"]["id"].as_str().unwrap().to_owned();
    let action = format!("/compute/v2.1/servers/{id}/action");
    let (status, body) = c
        .call(
            Method::POST,
            &action,
            Some(json!({"addSecurityGroup": {"name": "web"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(c.ports_of(&id).await.iter().all(|p| {
        p["security_groups"]
            .as_array()
            .unwrap()
            .contains(&json!(web))
    }));
    assert_eq!(
        c.server(&id).await["security_groups"],
        json!([{"name": "default"}, {"name": "web"}])
    );
    let (status, _) = c
        .call(
            Method::POST,
            &action,
            Some(json!({"addSecurityGroup": {"name": "web"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = c
        .call(
            Method::POST,
            &action,
            Some(json!({"addSecurityGroup": {"name": "nope"}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = c
        .call(
            Method::POST,
            &action,
            Some(json!({"removeSecurityGroup": {"name": web}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(c.ports_of(&id).await.iter().all(|p| {
        !p["security_groups"]
            .as_array()
            .unwrap()
            .contains(&json!(web))
    }));
    let (status, _) = c
        .call(
            Method::POST,
            &action,
            Some(json!({"removeSecurityGroup": {"name": "web"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = c
        .call(Method::DELETE, &format!("{path}/{attached}"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = c
        .net(Method::GET, &format!("/ports/{attached}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a port Nova made goes when detached"
    );
    assert!(c.server(&id).await["addresses"].get("second").is_none());
    let nics = plugged(&c);
    assert_eq!(nics.len(), 1, "the detached NIC is unplugged: {nics:?}");
    assert_ne!(nics[0].0, attached);
    let (status, _) = c
        .call(Method::DELETE, &format!("{path}/{attached}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn after_a_restart_the_driver_is_told_the_forwards_of_the_servers_it_takes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (id, port_id) = {
        let c = Cloud::start_with(MockCloud::builder().state_dir(dir.path())).await;
        let (_, body) = c.create(json!("auto")).await;
        let id = body["server"]["id"].as_str().unwrap().to_owned();
        let port = c.ports_of(&id).await[0].clone();
        let public = c.id_of("networks", "public").await;
        let (status, body) = c
            .net(
                Method::POST,
                "/floatingips",
                Some(json!({"floatingip": {"floating_network_id": public, "port_id": port["id"]}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let group = c.id_of("security-groups", "default").await;
        let (status, body) = c
            .net(
                Method::POST,
                "/security-group-rules",
                Some(json!({"security_group_rule": {
                "security_group_id": group, "direction": "ingress", "protocol": "tcp",
                "port_range_min": 22, "port_range_max": 22}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let port_id = port["id"].as_str().unwrap().to_owned();
        c.cloud.stop().await;
        (id, port_id)
    };
    let c = Cloud::start_with(MockCloud::builder().state_dir(dir.path())).await;
    let spec = c.driver.specs.lock().unwrap()[0].clone();
    assert_eq!(
        spec.nics[0].port_id, port_id,
        "the NICs are kept with the boot spec"
    );
    let forwards = c.driver.forwards.lock().unwrap().get(&id).cloned();
    let forwards = forwards.expect("the driver was told the forwards");
    assert_eq!(forwards.len(), 1, "{forwards:?}");
    assert_eq!(forwards[0].tcp_ports, [22..=22]);
}
