//! Nova's flavor writes over HTTP: create, update, delete, extra specs and access lists, who
//! may do them, who then sees a private flavor, and that they survive a restart.

use mock_cloud::MockCloud;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

struct Cloud {
    cloud: MockCloud,
    admin: String,
    demo: String,
}

async fn cloud_with(builder: mock_cloud::MockCloudBuilder) -> Cloud {
    let cloud = builder.start().await.unwrap();
    let admin = cloud.token("admin", "admin").unwrap();
    let demo = cloud.token("demo", "demo").unwrap();
    Cloud { cloud, admin, demo }
}

impl Cloud {
    /// `method /compute/v2.1{path}` with `token` at microversion `version`: status and JSON
    /// body (`null` when there is none).
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = http()
            .request(
                method,
                format!("{}/compute/v2.1{path}", self.cloud.base_url()),
            )
            .header("x-auth-token", token)
            .header("openstack-api-version", format!("compute {version}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(&self.admin.clone(), method, path, "latest", body)
            .await
    }

    async fn demo(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(&self.demo.clone(), method, path, "latest", body)
            .await
    }
}

fn message(body: &Value) -> String {
    body.as_object()
        .and_then(|o| o.values().next())
        .and_then(|fault| fault["message"].as_str())
        .unwrap_or_else(|| panic!("no Nova fault in {body}"))
        .to_owned()
}

#[tokio::test]
async fn an_admin_creates_updates_and_deletes_a_flavor() {
    let c = cloud_with(MockCloud::builder()).await;
    let body = json!({"flavor": {"name": "f1", "id": "f1-id", "ram": 256, "vcpus": 1, "disk": 1,
        "OS-FLV-EXT-DATA:ephemeral": 2, "swap": 8, "rxtx_factor": 2.0, "description": "one"}});
    let (status, created) = c.admin(Method::POST, "/flavors", Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let f = &created["flavor"];
    assert_eq!(f["id"], "f1-id");
    assert_eq!(f["OS-FLV-EXT-DATA:ephemeral"], 2);
    assert_eq!(f["swap"], 8);
    assert_eq!(f["rxtx_factor"], 2.0);
    assert_eq!(f["description"], "one");
    assert_eq!(f["extra_specs"], json!({}));
    assert_eq!(f["os-flavor-access:is_public"], true);
    // Before 2.55 a description is not part of the schema, and not shown.
    let (status, old) = c
        .call(&c.admin, Method::GET, "/flavors/f1-id", "2.54", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(old["flavor"].get("description").is_none());

    // Taken ids and names: 409 in Nova's words.
    let (status, err) = c.admin(Method::POST, "/flavors", Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&err), "Flavor with ID f1-id already exists.");
    let (status, err) = c
        .admin(
            Method::POST,
            "/flavors",
            Some(json!({"flavor": {"name": "m1.tiny", "ram": 1, "vcpus": 1, "disk": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&err), "Flavor with name m1.tiny already exists.");
    // No id: a UUID.
    let (status, auto) = c
        .admin(
            Method::POST,
            "/flavors",
            Some(json!({"flavor": {"name": "f2", "ram": 1, "vcpus": 1, "disk": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(auto["flavor"]["id"].as_str().unwrap().len(), 36);

    // The description is the one thing that changes, from 2.55.
    let (status, updated) = c
        .admin(
            Method::PUT,
            "/flavors/f1-id",
            Some(json!({"flavor": {"description": "two"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["flavor"]["description"], "two");
    let (status, err) = c
        .admin(
            Method::PUT,
            "/flavors/f1-id",
            Some(json!({"flavor": {"name": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("'name' was unexpected"), "{err}");
    let (status, _) = c
        .call(
            &c.admin,
            Method::PUT,
            "/flavors/f1-id",
            "2.54",
            Some(json!({"flavor": {"description": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = c.admin(Method::DELETE, "/flavors/f1-id", None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, Value::Null);
    let (status, err) = c.admin(Method::GET, "/flavors/f1-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&err), "Flavor f1-id could not be found.");
    let (status, _) = c.admin(Method::DELETE, "/flavors/f1-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_may_not_write_flavors_and_bad_bodies_are_400() {
    let c = cloud_with(MockCloud::builder()).await;
    let body = json!({"flavor": {"name": "f", "ram": 1, "vcpus": 1, "disk": 0}});
    let (status, err) = c.demo(Method::POST, "/flavors", Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        message(&err),
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."
    );
    let (status, _) = c.demo(Method::DELETE, "/flavors/1", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = c
        .demo(
            Method::POST,
            "/flavors/1/os-extra_specs",
            Some(json!({"extra_specs": {"a": "b"}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = c
        .admin(
            Method::POST,
            "/flavors",
            Some(json!({"flavor": {"name": "f", "vcpus": 1, "disk": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&err).contains("'ram' is a required property"),
        "{err}"
    );
    let response = http()
        .post(format!("{}/compute/v2.1/flavors", c.cloud.base_url()))
        .header("x-auth-token", &c.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn extra_specs_are_set_read_and_removed() {
    let c = cloud_with(MockCloud::builder()).await;
    let (status, body) = c
        .admin(
            Method::POST,
            "/flavors/1/os-extra_specs",
            Some(json!({"extra_specs": {"a": "b", "n": 3}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"extra_specs": {"a": "b", "n": "3"}}));
    let (_, body) = c.demo(Method::GET, "/flavors/1/os-extra_specs", None).await;
    assert_eq!(body, json!({"extra_specs": {"a": "b", "n": "3"}}));
    let (_, body) = c.demo(Method::GET, "/flavors/1", None).await;
    assert_eq!(body["flavor"]["extra_specs"], json!({"a": "b", "n": "3"}));
    let (status, body) = c
        .admin(
            Method::PUT,
            "/flavors/1/os-extra_specs/a",
            Some(json!({"a": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"a": "c"}));
    let (status, err) = c
        .admin(
            Method::PUT,
            "/flavors/1/os-extra_specs/a",
            Some(json!({"b": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&err), "Request body and URI mismatch");
    let (status, _) = c
        .admin(
            Method::PUT,
            "/flavors/1/os-extra_specs/a",
            Some(json!({"a": "c", "b": "d"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, body) = c
        .demo(Method::GET, "/flavors/1/os-extra_specs/a", None)
        .await;
    assert_eq!(body, json!({"a": "c"}));
    let (status, body) = c
        .admin(Method::DELETE, "/flavors/1/os-extra_specs/a", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null);
    let (status, err) = c
        .admin(Method::DELETE, "/flavors/1/os-extra_specs/a", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&err), "Flavor 1 has no extra specs with key a.");
    let (status, _) = c
        .demo(Method::GET, "/flavors/1/os-extra_specs/a", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = c
        .admin(
            Method::POST,
            "/flavors/nope/os-extra_specs",
            Some(json!({"extra_specs": {"a": "b"}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = c
        .admin(
            Method::POST,
            "/flavors/1/os-extra_specs",
            Some(json!({"specs": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_private_flavor_is_seen_by_admins_and_the_projects_given_it() {
    let c = cloud_with(MockCloud::builder()).await;
    let demo_project = c.cloud.project_id("demo").unwrap();
    let (status, _) = c
        .admin(
            Method::POST,
            "/flavors",
            Some(
                json!({"flavor": {"name": "secret", "id": "s1", "ram": 1, "vcpus": 1,
                "disk": 0, "os-flavor-access:is_public": false}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = |body: &Value| {
        body["flavors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "s1")
    };
    let (status, _) = c.demo(Method::GET, "/flavors/s1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = c.demo(Method::GET, "/flavors", None).await;
    assert!(!listed(&body));
    let (_, body) = c.admin(Method::GET, "/flavors?is_public=none", None).await;
    assert!(listed(&body));
    let (_, body) = c
        .admin(Method::GET, "/flavors/s1/os-flavor-access", None)
        .await;
    assert_eq!(body, json!({"flavor_access": []}));

    let add = json!({"addTenantAccess": {"tenant": demo_project}});
    let (status, body) = c
        .admin(Method::POST, "/flavors/s1/action", Some(add.clone()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"flavor_access": [{"flavor_id": "s1", "tenant_id": demo_project}]})
    );
    let (status, err) = c.admin(Method::POST, "/flavors/s1/action", Some(add)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        message(&err),
        format!(
            "Flavor access already exists for flavor s1 and project {demo_project} combination."
        )
    );
    // Now demo sees it, shows it, lists it.
    let (status, _) = c.demo(Method::GET, "/flavors/s1", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = c.demo(Method::GET, "/flavors", None).await;
    assert!(listed(&body));
    // ...but only an admin reads the access list or changes it.
    let (status, _) = c
        .demo(Method::GET, "/flavors/s1/os-flavor-access", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let remove = json!({"removeTenantAccess": {"tenant": demo_project}});
    let (status, body) = c
        .admin(Method::POST, "/flavors/s1/action", Some(remove.clone()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"flavor_access": []}));
    let (status, err) = c
        .admin(Method::POST, "/flavors/s1/action", Some(remove))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&err),
        format!("Flavor access not found for s1 / {demo_project} combination.")
    );

    // Public flavors have no access list and take no access (2.7+).
    let (status, err) = c
        .admin(Method::GET, "/flavors/1/os-flavor-access", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        message(&err),
        "Access list not available for public flavors."
    );
    let (status, err) = c
        .admin(
            Method::POST,
            "/flavors/1/action",
            Some(json!({"addTenantAccess": {"tenant": demo_project}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&err), "Can not add access to a public flavor.");
    // Unknown projects (names are not ids) and unknown actions: 400.
    let (status, err) = c
        .admin(
            Method::POST,
            "/flavors/s1/action",
            Some(json!({"addTenantAccess": {"tenant": "demo"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&err), "Project ID demo is not a valid project.");
    let (status, err) = c
        .admin(
            Method::POST,
            "/flavors/s1/action",
            Some(json!({"shrink": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&err), "There is no such action: shrink");
}

#[tokio::test]
async fn written_flavors_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let demo_project;
    {
        let c = cloud_with(MockCloud::builder().state_dir(dir.path())).await;
        demo_project = c.cloud.project_id("demo").unwrap();
        let (status, _) = c
            .admin(
                Method::POST,
                "/flavors",
                Some(
                    json!({"flavor": {"name": "kept", "id": "k1", "ram": 64, "vcpus": 1,
                    "disk": 0, "os-flavor-access:is_public": false, "description": "d"}}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        c.admin(
            Method::POST,
            "/flavors/k1/os-extra_specs",
            Some(json!({"extra_specs": {"a": "b"}})),
        )
        .await;
        c.admin(
            Method::POST,
            "/flavors/k1/action",
            Some(json!({"addTenantAccess": {"tenant": demo_project}})),
        )
        .await;
        let (status, _) = c.admin(Method::DELETE, "/flavors/2", None).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let c = cloud_with(MockCloud::builder().state_dir(dir.path())).await;
    let (status, body) = c.demo(Method::GET, "/flavors/k1", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["flavor"]["extra_specs"], json!({"a": "b"}));
    assert_eq!(body["flavor"]["description"], "d");
    let (_, body) = c
        .admin(Method::GET, "/flavors/k1/os-flavor-access", None)
        .await;
    assert_eq!(body["flavor_access"][0]["tenant_id"], demo_project);
    let (status, _) = c.admin(Method::GET, "/flavors/2", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
