//! The control plane: request ids, the journal, every fault kind, reset, seed, tick, and the
//! answers to unknown routes.

use mock_cloud::{Fault, FaultRule, MockCloud, Seed, Service};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A client that sends `cloud`'s control token.
fn control(cloud: &MockCloud) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = format!("Bearer {}", cloud.control_token());
    headers.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn get(cloud: &MockCloud, path: &str) -> reqwest::Response {
    control(cloud)
        .get(format!("{}{path}", cloud.base_url()))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

fn request_id(response: &reqwest::Response) -> String {
    let id = response.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("req-") && id.len() == 40, "{id}");
    id
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_nova_its_own_too() {
    let cloud = MockCloud::start().await.unwrap();
    let identity = get(&cloud, "/identity/v3").await;
    let a = request_id(&identity);
    assert!(identity.headers().get("x-compute-request-id").is_none());
    let compute = get(&cloud, "/compute/v2.1/nothing-here").await;
    let b = request_id(&compute);
    assert_eq!(compute.headers()["x-compute-request-id"], b.as_str());
    assert_ne!(a, b);
    request_id(&get(&cloud, "/image/v2/no-such-route").await);
    request_id(&get(&cloud, "/_mock/journal").await);
    request_id(&get(&cloud, "/elsewhere").await);
}

#[tokio::test]
async fn the_journal_records_requests_without_tokens() {
    let cloud = MockCloud::start().await.unwrap();
    let token = cloud.token("admin", "admin").unwrap();
    let response = http()
        .get(format!(
            "{}/identity/v3/auth/projects?x=1",
            cloud.base_url()
        ))
        .header("x-auth-token", &token)
        .send()
        .await
        .unwrap();
    let id = request_id(&response);
    http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .json(
            &json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "wrong-pw"}}}}}),
        )
        .send()
        .await
        .unwrap();

    let entries = cloud.journal();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let first = &entries[0];
    assert_eq!(first.seq, 1);
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/identity/v3/auth/projects");
    assert_eq!(first.query.as_deref(), Some("x=1"));
    assert_eq!(first.status, 200);
    assert_eq!(first.service, Some(Service::Identity));
    assert_eq!(first.request_id, id);
    assert_eq!(entries[1].status, 401);

    // Over HTTP too; control-plane requests are not journaled.
    let body: Value = get(&cloud, "/_mock/journal").await.json().await.unwrap();
    let text = body.to_string();
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);
    assert_eq!(body["entries"][0]["service"], "identity");
    assert!(
        !text.contains(&token) && !text.contains("wrong-pw"),
        "{text}"
    );
    let cleared = control(&cloud)
        .delete(format!("{}/_mock/journal", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(cloud.journal().is_empty());
}

#[tokio::test]
async fn status_faults_use_each_services_error_body() {
    let cloud = MockCloud::start().await.unwrap();
    for service in [Service::Identity, Service::Compute, Service::Image] {
        cloud
            .add_fault(FaultRule::new(Fault::status(503)).service(service))
            .unwrap();
    }
    let body: Value = get(&cloud, "/identity/v3").await.json().await.unwrap();
    assert_eq!(body["error"]["code"], 503);
    let response = get(&cloud, "/compute/v2.1").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["serviceUnavailable"]["code"], 503);
    let body: Value = get(&cloud, "/image/v2/images").await.json().await.unwrap();
    assert_eq!(body["code"], "503 Service Unavailable");
    let text = http()
        .get(format!("{}/image/v2/images", cloud.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("503 Service Unavailable"), "{text}");
    assert!(
        cloud
            .journal()
            .iter()
            .all(|e| e.fault.as_deref() == Some("status 503"))
    );
}

#[tokio::test]
async fn count_limits_a_rule_and_method_and_path_narrow_it() {
    let cloud = MockCloud::start().await.unwrap();
    let rule = json!({"service": "compute", "method": "GET", "path": "/compute/v2.?", "count": 2,
        "fault": {"kind": "status", "status": 429, "message": "slow down", "retry_after": 0}});
    let response = control(&cloud)
        .post(format!("{}/_mock/faults", cloud.base_url()))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(cloud.faults()[0].id, id);

    // Not matching: other service, other method.
    assert_ne!(
        get(&cloud, "/identity/v3").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let post = http()
        .post(format!("{}/compute/v2.1", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_ne!(post.status(), StatusCode::TOO_MANY_REQUESTS);

    for _ in 0..2 {
        let response = get(&cloud, "/compute/v2.1").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "0");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["overLimit"]["message"], "slow down");
    }
    assert_ne!(
        get(&cloud, "/compute/v2.1").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(cloud.faults().is_empty(), "a spent rule goes away");
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_does() {
    let cloud = MockCloud::start().await.unwrap();
    let never = cloud
        .add_fault(FaultRule::new(Fault::status(500)).probability(0.0))
        .unwrap();
    for _ in 0..20 {
        assert_eq!(get(&cloud, "/identity/v3").await.status(), StatusCode::OK);
    }
    assert!(cloud.remove_fault(never));
    cloud
        .add_fault(FaultRule::new(Fault::status(500)).probability(1.0))
        .unwrap();
    for _ in 0..20 {
        assert_eq!(
            get(&cloud, "/identity/v3").await.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let cloud = MockCloud::start().await.unwrap();
    cloud
        .add_fault(FaultRule::new(Fault::Latency { ms: 20 }).times(1))
        .unwrap();
    assert_eq!(get(&cloud, "/identity/v3").await.status(), StatusCode::OK);
    let entry = &cloud.journal()[0];
    assert_eq!(entry.fault.as_deref(), Some("latency 20ms"));
    assert_eq!(entry.status, 200);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let cloud = MockCloud::start().await.unwrap();
    cloud
        .add_fault(FaultRule::new(Fault::Drop).path("/identity/v3").times(1))
        .unwrap();
    let error = http()
        .get(format!("{}/identity/v3", cloud.base_url()))
        .send()
        .await
        .expect_err("no response");
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!(cloud.journal()[0].status, 0);
    assert_eq!(cloud.journal()[0].fault.as_deref(), Some("drop"));
    // The next request is served.
    assert_eq!(get(&cloud, "/identity/v3").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn truncate_declares_more_than_it_sends() {
    let cloud = MockCloud::start().await.unwrap();
    let full = get(&cloud, "/identity/v3").await.bytes().await.unwrap();
    cloud
        .add_fault(FaultRule::new(Fault::Truncate).times(1))
        .unwrap();
    let response = get(&cloud, "/identity/v3").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(full.len() as u64));
    assert!(response.bytes().await.is_err(), "the body ends early");
}

#[tokio::test]
async fn corrupt_flips_bytes_of_a_successful_body_only() {
    let cloud = MockCloud::start().await.unwrap();
    let full = get(&cloud, "/identity/v3").await.bytes().await.unwrap();
    cloud
        .add_fault(FaultRule::new(Fault::Corrupt).path("/identity/v3").times(2))
        .unwrap();
    let corrupted = get(&cloud, "/identity/v3").await.bytes().await.unwrap();
    assert_eq!(corrupted.len(), full.len());
    let differing = full
        .iter()
        .zip(corrupted.iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 1);
    // An error answer is left alone.
    let error: Value = get(&cloud, "/identity/v3/users/x")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(error["error"]["code"], 401);
}

#[tokio::test]
async fn fault_rules_over_http_list_delete_and_refuse_nonsense() {
    let cloud = MockCloud::start().await.unwrap();
    let url = format!("{}/_mock/faults", cloud.base_url());
    for rule in [
        json!({"fault": {"kind": "drop"}, "probability": 3}),
        json!({"fault": {"kind": "status", "status": 200}}),
        json!({"fault": {"kind": "explode"}}),
        json!({"fault": {"kind": "drop"}, "servce": "image"}),
    ] {
        let response = control(&cloud).post(&url).json(&rule).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{rule}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("fault rule"),
            "{body}"
        );
    }
    for _ in 0..2 {
        let rule = json!({"service": "image", "fault": {"kind": "truncate"}});
        assert_eq!(
            control(&cloud)
                .post(&url)
                .json(&rule)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::CREATED
        );
    }
    let listed: Value = control(&cloud)
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    assert_eq!(listed["faults"][0]["fault"]["kind"], "truncate");
    let id = listed["faults"][0]["id"].as_u64().unwrap();
    assert_eq!(
        control(&cloud)
            .delete(format!("{url}/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        control(&cloud)
            .delete(format!("{url}/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        control(&cloud).delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert!(cloud.faults().is_empty());
}

#[tokio::test]
async fn seed_over_http_and_reset_forgets_it() {
    let start_seed = Seed::parse(
        "users: [{name: carol, password: pw, roles: [{role: reader, project: demo}]}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(start_seed).start().await.unwrap();
    let url = format!("{}/_mock/seed", cloud.base_url());
    let json_seed = json!({"projects": [{"name": "extra"}], "users": [{"name": "erin", "password": "pw",
        "roles": [{"role": "member", "project": "extra"}]}]});
    let response = control(&cloud)
        .post(&url)
        .json(&json_seed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = control(&cloud)
        .post(&url)
        .json(&json!({"users": [{"name": "finn", "password": "pw",
            "roles": [{"role": "member", "project": "extra"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(cloud.token("erin", "extra").is_ok());
    let finn = cloud.token("finn", "extra").unwrap();

    let response = control(&cloud)
        .post(&url)
        .json(&json!({"users": [{"name": "gus", "password": "pw", "roles": [{"role": "member", "project": "nowhere"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = response.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("gus") && message.contains("nowhere"),
        "{message}"
    );
    let response = control(&cloud)
        .post(&url)
        .json(&json!({"usres": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    cloud
        .add_fault(FaultRule::new(Fault::Latency { ms: 1 }))
        .unwrap();
    let response = control(&cloud)
        .post(format!("{}/_mock/reset", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        cloud.token("erin", "extra").is_err(),
        "runtime seeds are forgotten"
    );
    assert!(
        cloud.token("carol", "demo").is_ok(),
        "the start-up seed stays"
    );
    assert!(
        cloud.validate_token(&finn).is_none(),
        "tokens are forgotten"
    );
    assert!(cloud.faults().is_empty() && cloud.journal().is_empty());
}

#[tokio::test]
async fn tick_answers_with_what_changed() {
    let cloud = MockCloud::start().await.unwrap();
    let response = control(&cloud)
        .post(format!("{}/_mock/tick?steps=3", cloud.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"steps": 3, "changed": 0}));
    let url = format!("{}/_mock/tick", cloud.base_url());
    let body: Value = control(&cloud)
        .post(&url)
        .json(&json!({"steps": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["steps"], 5);
    let body: Value = control(&cloud)
        .post(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["steps"], 1);
    let response = control(&cloud)
        .post(&url)
        .header("content-type", "application/json")
        .body("{steps")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_answer_in_their_services_shape() {
    let cloud = MockCloud::start().await.unwrap();
    let response = get(&cloud, "/image/v2/no-such-route").await;
    assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "501 Not Implemented");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("GET /image/v2/no-such-route")
    );
    let text = http()
        .get(format!("{}/image/v2/no-such-route", cloud.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("/image/v2/no-such-route"), "{text}");

    let response = get(&cloud, "/somewhere/else").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/somewhere/else")
    );

    let response = get(&cloud, "/_mock/nothing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/_mock/nothing")
    );
}

#[tokio::test]
async fn clouds_yaml_env_and_credentials() {
    let seed = Seed::parse(
        "users: [{name: ci, password: \"p: w\", roles: [{role: member, project: demo}]}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
    let yaml = cloud.clouds_yaml();
    let parsed: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    let admin = &parsed["clouds"]["mock-admin"];
    assert_eq!(admin["auth"]["auth_url"], cloud.auth_url());
    assert_eq!(admin["auth"]["username"], "admin");
    assert_eq!(admin["auth"]["project_name"], "admin");
    assert_eq!(parsed["clouds"]["mock-demo"]["auth"]["password"], "demo");
    assert_eq!(parsed["clouds"]["mock-demo"]["region_name"], "RegionOne");

    let env = cloud.env("demo").unwrap();
    assert_eq!(env["OS_AUTH_URL"], cloud.auth_url());
    assert_eq!(env["OS_USERNAME"], "demo");
    assert_eq!(env["OS_PROJECT_NAME"], "demo");
    assert_eq!(env["OS_USER_DOMAIN_ID"], "default");
    let ci = cloud.credentials("ci").unwrap();
    assert_eq!(ci.project_name, "demo");
    assert!(
        !format!("{ci:?}").contains("p: w"),
        "Debug hides the password"
    );
    // A password that needs quoting stays a string in YAML.
    let yaml = mock_cloud::clouds_yaml(&cloud.auth_url(), &[("ci", &ci)]);
    let parsed: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(parsed["clouds"]["ci"]["auth"]["password"], "p: w");
    assert!(cloud.env("nobody").is_none());
    assert_eq!(cloud.admin().username, "admin");
}

#[tokio::test]
async fn seed_images_are_created_once_and_come_back_after_reset() {
    let seed = Seed::parse(
        "images: [{name: base, visibility: public, disk_format: raw, container_format: bare, content: \"bytes\"}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder()
        .seed(seed.clone())
        .start()
        .await
        .unwrap();
    let token = cloud.token("admin", "admin").unwrap();
    let names = |token: String| {
        let url = format!("{}/image/v2/images", cloud.base_url());
        async move {
            let body: Value = http()
                .get(url)
                .header("x-auth-token", token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let mut names: Vec<String> = body["images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    format!(
                        "{}={}",
                        i["name"].as_str().unwrap(),
                        i["id"].as_str().unwrap()
                    )
                })
                .collect();
            names.sort();
            names
        }
    };
    let before = names(token.clone()).await;
    assert_eq!(before.len(), 1, "{before:?}");

    // The same seed again changes nothing; a new image is added.
    cloud.apply_seed(&seed).await.unwrap();
    let extra = Seed::parse(
        "images: [{name: extra, owner: demo, disk_format: raw, container_format: bare, content: \"x\"}]",
        false,
    )
    .unwrap();
    cloud.apply_seed(&extra).await.unwrap();
    assert_eq!(names(token.clone()).await.len(), 2);

    cloud.reset().await.unwrap();
    let token = cloud.token("admin", "admin").unwrap();
    assert_eq!(
        names(token).await,
        before,
        "the start-up image, with the same id"
    );
}

#[tokio::test]
async fn service_roots_answer_with_or_without_a_trailing_slash() {
    let cloud = MockCloud::start().await.unwrap();
    for (path, status) in [
        ("/identity", StatusCode::MULTIPLE_CHOICES),
        ("/identity/", StatusCode::MULTIPLE_CHOICES),
        ("/compute", StatusCode::OK),
        ("/compute/", StatusCode::OK),
        ("/compute/v2.1/", StatusCode::OK),
        ("/identity/v3/", StatusCode::OK),
    ] {
        assert_eq!(get(&cloud, path).await.status(), status, "{path}");
    }
    assert_eq!(
        get(&cloud, "/image/").await.status(),
        get(&cloud, "/image").await.status()
    );
}

#[tokio::test]
async fn seed_images_are_not_made_twice_on_a_kept_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Seed::parse(
        "images: [{name: kept, visibility: public, disk_format: raw, container_format: bare, content: \"bytes\"}]",
        false,
    )
    .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let cloud = MockCloud::builder()
            .state_dir(dir.path())
            .seed(seed.clone())
            .start()
            .await
            .unwrap();
        let token = cloud.token("demo", "demo").unwrap();
        let body: Value = http()
            .get(format!("{}/image/v2/images", cloud.base_url()))
            .header("x-auth-token", token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let images = body["images"].as_array().unwrap();
        assert_eq!(images.len(), 1, "{body}");
        ids.push(images[0]["id"].as_str().unwrap().to_owned());
        cloud.stop().await;
    }
    assert_eq!(ids[0], ids[1]);
}
