//! Policy across services: project isolation (another project's server is 404), readers may
//! look but not change (403), admin-only listings, and Glance visibility deciding what Nova
//! may boot.

use mock_cloud::{MockCloud, Seed};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

const SEED: &str = r#"
users:
  - name: carol
    password: carol
    roles: [{role: reader, project: demo}]
images:
  - {name: public-raw, visibility: public, owner: admin, disk_format: raw, container_format: bare, content: "tiny raw image"}
  - {name: admin-only, visibility: private, owner: admin, disk_format: raw, container_format: bare, content: "private bytes"}
"#;

struct Cloud {
    cloud: MockCloud,
    admin: String,
    demo: String,
    reader: String,
}

async fn cloud() -> Cloud {
    let cloud = MockCloud::builder()
        .seed(Seed::parse(SEED, false).unwrap())
        .start()
        .await
        .unwrap();
    Cloud {
        admin: cloud.token("admin", "admin").unwrap(),
        demo: cloud.token("demo", "demo").unwrap(),
        reader: cloud.token("carol", "demo").unwrap(),
        cloud,
    }
}

impl Cloud {
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = http()
            .request(method, format!("{}{path}", self.cloud.base_url()))
            .header("x-auth-token", token)
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn image_id(&self, name: &str) -> String {
        let (status, body) = self
            .call(
                &self.admin,
                Method::GET,
                &format!("/image/v2/images?name={name}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["images"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no image {name}: {body}"))
            .to_owned()
    }

    async fn boot(&self, token: &str, name: &str) -> String {
        let image = self.image_id("public-raw").await;
        let (status, body) = self
            .call(
                token,
                Method::POST,
                "/compute/v2.1/servers",
                Some(json!({"server": {"name": name, "imageRef": image, "flavorRef": "1"}})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["server"]["id"].as_str().unwrap().to_owned()
    }
}

fn names(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn another_projects_server_is_not_found() {
    let c = cloud().await;
    let admins = c.boot(&c.admin, "admins-server").await;
    let demos = c.boot(&c.demo, "demos-server").await;
    let path = format!("/compute/v2.1/servers/{admins}");
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"server": {"name": "mine now"}}))),
        (Method::DELETE, None),
    ] {
        let (status, answer) = c.call(&c.demo, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
        assert_eq!(answer["itemNotFound"]["code"], 404);
    }
    let (status, _) = c
        .call(
            &c.demo,
            Method::POST,
            &format!("{path}/action"),
            Some(json!({"os-stop": null})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, body) = c
        .call(&c.demo, Method::GET, "/compute/v2.1/servers/detail", None)
        .await;
    assert_eq!(names(&body), ["demos-server"]);
    // Admins see any server by id, but list their own project unless asking for all.
    let (status, _) = c
        .call(
            &c.admin,
            Method::GET,
            &format!("/compute/v2.1/servers/{demos}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = c
        .call(&c.admin, Method::GET, "/compute/v2.1/servers", None)
        .await;
    assert_eq!(names(&body), ["admins-server"]);
}

#[tokio::test]
async fn listing_every_project_is_for_admins() {
    let c = cloud().await;
    c.boot(&c.admin, "a").await;
    c.boot(&c.demo, "d").await;
    let (status, body) = c
        .call(
            &c.admin,
            Method::GET,
            "/compute/v2.1/servers/detail?all_tenants=1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body), ["a", "d"]);
    let demo_project = c.cloud.project_id("demo").unwrap();
    let (_, body) = c
        .call(
            &c.admin,
            Method::GET,
            &format!("/compute/v2.1/servers?all_tenants=True&project_id={demo_project}"),
            None,
        )
        .await;
    assert_eq!(names(&body), ["d"]);
    let (status, body) = c
        .call(
            &c.demo,
            Method::GET,
            "/compute/v2.1/servers?all_tenants=1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["forbidden"]["code"], 403);
    assert!(
        body["forbidden"]["message"]
            .as_str()
            .unwrap()
            .contains("get_all_tenants")
    );
}

#[tokio::test]
async fn readers_look_but_do_not_touch() {
    let c = cloud().await;
    let id = c.boot(&c.demo, "demo-vm").await;
    let path = format!("/compute/v2.1/servers/{id}");
    let (status, _) = c.call(&c.reader, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = c
        .call(&c.reader, Method::GET, "/compute/v2.1/servers", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body), ["demo-vm"]);

    let image = c.image_id("public-raw").await;
    let writes = [
        (
            Method::POST,
            "/compute/v2.1/servers".to_owned(),
            Some(json!({"server": {"name": "r", "imageRef": image, "flavorRef": "1"}})),
        ),
        (
            Method::PUT,
            path.clone(),
            Some(json!({"server": {"name": "renamed"}})),
        ),
        (
            Method::POST,
            format!("{path}/action"),
            Some(json!({"os-stop": null})),
        ),
        (
            Method::POST,
            format!("{path}/action"),
            Some(json!({"os-getConsoleOutput": {}})),
        ),
        (
            Method::POST,
            format!("{path}/metadata"),
            Some(json!({"metadata": {"k": "v"}})),
        ),
        (Method::DELETE, path.clone(), None),
        (
            Method::POST,
            "/compute/v2.1/os-keypairs".to_owned(),
            Some(json!({"keypair": {"name": "k"}})),
        ),
    ];
    for (method, target, body) in writes {
        let (status, answer) = c.call(&c.reader, method.clone(), &target, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {target}: {answer}");
        assert!(
            answer["forbidden"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Policy doesn't allow")
        );
    }
    let (status, _) = c.call(&c.demo, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "still there");
}

#[tokio::test]
async fn glance_visibility_decides_what_a_project_may_boot() {
    let c = cloud().await;
    let private = c.image_id("admin-only").await;
    let (status, body) = c
        .call(
            &c.demo,
            Method::POST,
            "/compute/v2.1/servers",
            Some(json!({"server": {"name": "x", "imageRef": private, "flavorRef": "1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        format!("Image {private} could not be found.")
    );
    let (status, body) = c
        .call(
            &c.admin,
            Method::POST,
            "/compute/v2.1/servers",
            Some(json!({"server": {"name": "x", "imageRef": private, "flavorRef": "1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn system_and_unscoped_tokens_cannot_create_servers() {
    let c = cloud().await;
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", c.cloud.base_url()))
        .json(
            &json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "admin"}}},
            "scope": {"system": {"all": true}}}}),
        )
        .send()
        .await
        .unwrap();
    let system = response.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let image = c.image_id("public-raw").await;
    let (status, body) = c
        .call(
            &system,
            Method::POST,
            "/compute/v2.1/servers",
            Some(json!({"server": {"name": "x", "imageRef": image, "flavorRef": "1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}
