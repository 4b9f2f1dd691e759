//! Nova's operator API over HTTP: server groups (and the `group` hint), host aggregates,
//! hypervisors, compute services and instance actions, with Nova's errors and policy, and
//! all of it after a restart.

use mock_cloud::{MockCloud, Seed};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const IMAGE: &str = "0b0d8a52-6f7a-4a2e-9d1f-0a5c3e1f2b9c";

fn seed() -> Seed {
    Seed::parse(
        &format!(
            "images:\n  - {{id: {IMAGE}, name: cirros, visibility: public, disk_format: raw, \
             container_format: bare, content: \"a disk\"}}\n"
        ),
        false,
    )
    .unwrap()
}

struct Client<'a> {
    cloud: &'a MockCloud,
    token: String,
}

impl Client<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut request = reqwest::Client::new()
            .request(
                method,
                format!("{}/compute/v2.1{path}", self.cloud.base_url()),
            )
            .header("x-auth-token", &self.token)
            .header("openstack-api-version", format!("compute {version}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn message(body: &Value) -> String {
    body.as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn boot(client: &Client<'_>, name: &str, hints: Value) -> String {
    let (status, body) = client
        .call(
            Method::POST,
            "/servers",
            "2.37",
            Some(json!({"server": {"name": name, "imageRef": IMAGE, "flavorRef": "1", "networks": "none"},
                "os:scheduler_hints": hints})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["server"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn server_groups_take_members_from_the_hint_and_lose_them_on_delete() {
    let cloud = MockCloud::builder().seed(seed()).start().await.unwrap();
    let demo = Client {
        cloud: &cloud,
        token: cloud.token("demo", "demo").unwrap(),
    };
    let admin = Client {
        cloud: &cloud,
        token: cloud.token("admin", "admin").unwrap(),
    };

    let (status, body) = demo
        .call(
            Method::POST,
            "/os-server-groups",
            "2.1",
            Some(json!({"server_group": {"name": "web", "policies": ["anti-affinity"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let group = body["server_group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["server_group"]["policies"], json!(["anti-affinity"]));
    assert_eq!(body["server_group"]["metadata"], json!({}));
    assert!(
        body["server_group"].get("project_id").is_none(),
        "not before 2.13"
    );

    let (status, body) = demo
        .call(Method::POST, "/os-server-groups", "2.64", Some(json!({"server_group": {"name": "db", "policy": "soft-affinity", "rules": {"max_server_per_host": 2}}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "Only anti-affinity policy supports rules.");
    let (status, body) = demo
        .call(
            Method::POST,
            "/os-server-groups",
            "2.1",
            Some(json!({"server_group": {"name": "db", "policies": ["soft-affinity"]}})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "soft policies come at 2.15: {body}"
    );

    let server = boot(&demo, "vm1", json!({"group": group})).await;
    let (status, body) = demo
        .call(
            Method::GET,
            &format!("/os-server-groups/{group}"),
            "2.64",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["server_group"]["members"], json!([server]));
    assert_eq!(body["server_group"]["policy"], "anti-affinity");
    assert_eq!(body["server_group"]["rules"], json!({}));
    assert_eq!(
        body["server_group"]["project_id"],
        cloud.project_id("demo").unwrap()
    );

    let (status, body) = demo
        .call(Method::POST, "/servers", "2.37", Some(json!({"server": {"name": "x", "imageRef": IMAGE, "flavorRef": "1", "networks": "none"},
            "os:scheduler_hints": {"group": "no-such-group"}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Instance group no-such-group could not be found."
    );

    // Another project sees nothing of it; an admin sees it with all_projects.
    let (_, body) = admin
        .call(Method::GET, "/os-server-groups", "2.13", None)
        .await;
    assert_eq!(body["server_groups"], json!([]));
    let (_, body) = admin
        .call(
            Method::GET,
            "/os-server-groups?all_projects=True",
            "2.13",
            None,
        )
        .await;
    assert_eq!(body["server_groups"].as_array().unwrap().len(), 1);

    let (status, _) = demo
        .call(Method::DELETE, &format!("/servers/{server}"), "2.1", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = demo
        .call(
            Method::GET,
            &format!("/os-server-groups/{group}"),
            "2.1",
            None,
        )
        .await;
    assert_eq!(body["server_group"]["members"], json!([]));
    let (status, _) = demo
        .call(
            Method::DELETE,
            &format!("/os-server-groups/{group}"),
            "2.1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = demo
        .call(
            Method::GET,
            &format!("/os-server-groups/{group}"),
            "2.1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&body),
        format!("Server group {group} could not be found.")
    );

    for n in 0..10 {
        let (status, _) = demo
            .call(
                Method::POST,
                "/os-server-groups",
                "2.1",
                Some(json!({"server_group": {"name": format!("g{n}"), "policies": ["affinity"]}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = demo
        .call(
            Method::POST,
            "/os-server-groups",
            "2.1",
            Some(json!({"server_group": {"name": "one-too-many", "policies": ["affinity"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn aggregates_hypervisors_and_services_are_the_admins() {
    let cloud = MockCloud::start().await.unwrap();
    let demo = Client {
        cloud: &cloud,
        token: cloud.token("demo", "demo").unwrap(),
    };
    let admin = Client {
        cloud: &cloud,
        token: cloud.token("admin", "admin").unwrap(),
    };

    for path in ["/os-aggregates", "/os-hypervisors", "/os-services"] {
        let (status, body) = demo.call(Method::GET, path, "2.1", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            message(&body).starts_with("Policy doesn't allow os_compute_api:"),
            "{body}"
        );
    }

    let (status, body) = admin
        .call(
            Method::POST,
            "/os-aggregates",
            "2.41",
            Some(json!({"aggregate": {"name": "fast", "availability_zone": "zone-a"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["aggregate"]["id"].as_u64().unwrap();
    assert_eq!(body["aggregate"]["availability_zone"], "zone-a");
    assert!(body["aggregate"]["uuid"].is_string());
    assert!(
        body["aggregate"].get("hosts").is_none(),
        "a new aggregate's answer has no hosts"
    );
    let (status, body) = admin
        .call(
            Method::POST,
            "/os-aggregates",
            "2.1",
            Some(json!({"aggregate": {"name": "fast"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&body), "Aggregate fast already exists.");

    let action = |body: Value| (Method::POST, format!("/os-aggregates/{id}/action"), body);
    let (method, path, body) = action(json!({"add_host": {"host": "nowhere"}}));
    let (status, body) = admin.call(method, &path, "2.1", Some(body)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "Compute host nowhere could not be found.");
    let (method, path, body) = action(json!({"add_host": {"host": "mock-compute"}}));
    let (status, body) = admin.call(method, &path, "2.1", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["aggregate"]["hosts"], json!(["mock-compute"]));
    let (method, path, body) = action(json!({"add_host": {"host": "mock-compute"}}));
    let (status, _) = admin.call(method, &path, "2.1", Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (method, path, body) =
        action(json!({"set_metadata": {"metadata": {"ssd": "true", "availability_zone": null}}}));
    let (_, body) = admin.call(method, &path, "2.1", Some(body)).await;
    assert_eq!(body["aggregate"]["metadata"], json!({"ssd": "true"}));
    assert_eq!(body["aggregate"]["availability_zone"], Value::Null);

    let (status, body) = admin
        .call(Method::DELETE, &format!("/os-aggregates/{id}"), "2.1", None)
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "not while it has hosts: {body}"
    );
    let (method, path, body) = action(json!({"remove_host": {"host": "mock-compute"}}));
    admin.call(method, &path, "2.1", Some(body)).await;
    let (status, body) = admin
        .call(
            Method::PUT,
            &format!("/os-aggregates/{id}"),
            "2.1",
            Some(json!({"aggregate": {"name": "faster"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["aggregate"]["name"], "faster");
    assert!(body["aggregate"]["updated_at"].is_string());
    let (status, _) = admin
        .call(Method::DELETE, &format!("/os-aggregates/{id}"), "2.1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin
        .call(Method::GET, &format!("/os-aggregates/{id}"), "2.1", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, body) = admin
        .call(Method::GET, "/os-hypervisors/detail", "2.1", None)
        .await;
    let hypervisor = &body["hypervisors"][0];
    assert_eq!(hypervisor["hypervisor_hostname"], "mock-compute");
    assert_eq!(hypervisor["hypervisor_type"], "fake");
    assert_eq!(hypervisor["vcpus"], 1000);
    let (_, body) = admin
        .call(Method::GET, "/os-hypervisors/detail", "2.88", None)
        .await;
    assert!(
        body["hypervisors"][0].get("vcpus").is_none(),
        "2.88 drops the stats"
    );
    let (_, body) = admin.call(Method::GET, "/os-services", "2.53", None).await;
    let binaries: Vec<&str> = body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["binary"].as_str().unwrap())
        .collect();
    assert_eq!(
        binaries,
        ["nova-scheduler", "nova-conductor", "nova-compute"]
    );
    assert_eq!(body["services"][0]["id"].as_str().unwrap().len(), 36);
}

#[tokio::test]
async fn instance_actions_record_each_request_and_outlive_the_server_from_2_21() {
    let dir = tempfile::tempdir().unwrap();
    let server = {
        let cloud = MockCloud::builder()
            .seed(seed())
            .state_dir(dir.path())
            .start()
            .await
            .unwrap();
        let demo = Client {
            cloud: &cloud,
            token: cloud.token("demo", "demo").unwrap(),
        };
        let server = boot(&demo, "vm", json!({})).await;
        cloud.tick(10);
        let (status, body) = demo
            .call(
                Method::POST,
                &format!("/servers/{server}/action"),
                "2.1",
                Some(json!({"reboot": {"type": "SOFT"}})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        cloud.tick(10);
        cloud.stop().await;
        server
    };
    let cloud = MockCloud::builder()
        .seed(seed())
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let demo = Client {
        cloud: &cloud,
        token: cloud.token("demo", "demo").unwrap(),
    };
    let (status, body) = demo
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions"),
            "2.58",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let actions = body["instanceActions"].as_array().unwrap();
    let names: Vec<&str> = actions
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["reboot", "create"], "newest first");
    assert!(
        actions[0]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req-")
    );
    assert!(actions[0]["updated_at"].is_string());
    let request = actions[1]["request_id"].as_str().unwrap().to_owned();
    let (_, body) = demo
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions/{request}"),
            "2.62",
            None,
        )
        .await;
    let events: Vec<&str> = body["instanceAction"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "conductor_schedule_and_build_instances",
            "compute__do_build_and_run_instance"
        ]
    );
    assert_eq!(body["instanceAction"]["events"][0]["result"], "Success");
    assert!(body["instanceAction"]["events"][0]["hostId"].is_string());
    assert!(
        body["instanceAction"]["events"][0]
            .get("traceback")
            .is_none(),
        "a member sees no traceback"
    );
    let (status, body) = demo
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions/req-nope"),
            "2.1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&body),
        format!("Action for request_id req-nope on instance {server} not found")
    );

    let other = Client {
        cloud: &cloud,
        token: cloud.token("admin", "admin").unwrap(),
    };
    let (status, _) = demo
        .call(Method::DELETE, &format!("/servers/{server}"), "2.1", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = demo
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions"),
            "2.20",
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a deleted server's actions need 2.21"
    );
    let (_, body) = demo
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions"),
            "2.21",
            None,
        )
        .await;
    assert_eq!(body["instanceActions"][0]["action"], "delete");
    let (status, _) = other
        .call(
            Method::GET,
            &format!("/servers/{server}/os-instance-actions"),
            "2.21",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "an admin sees every project's");
}
