//! Concurrent requests on Nova: servers created at the same moment each get their own fixed IP
//! and MAC, and of concurrent actions on one server only one starts.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use mock_cloud::MockCloud;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Barrier;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A stand-in Glance that answers an image lookup only once `together` lookups are waiting:
/// every create is then between its request checks and its boot at the same moment.
async fn gathering_glance(together: usize) -> String {
    async fn show(
        State(barrier): State<Arc<Barrier>>,
        Path(id): Path<String>,
    ) -> axum::Json<Value> {
        barrier.wait().await;
        axum::Json(
            json!({"id": id, "name": id, "status": "active", "disk_format": "raw",
            "container_format": "bare", "size": 1024, "min_ram": 0, "min_disk": 0,
            "visibility": "public", "tags": []}),
        )
    }
    let app = axum::Router::new()
        .route("/image/v2/images/{id}", axum::routing::get(show))
        .with_state(Arc::new(Barrier::new(together)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn post(cloud: &MockCloud, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = http()
        .post(format!("{}/compute/v2.1{path}", cloud.base_url()))
        .header("x-auth-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(cloud: &MockCloud, token: &str, path: &str) -> Value {
    http()
        .get(format!("{}/compute/v2.1{path}", cloud.base_url()))
        .header("x-auth-token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_get_their_own_addresses() {
    // As many as the project's instance quota (10) lets one project make.
    const SERVERS: usize = 10;
    let cloud = MockCloud::builder()
        .image_endpoint(gathering_glance(SERVERS).await)
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let cloud = Arc::new(cloud);
    let creates: Vec<_> = (0..SERVERS)
        .map(|i| {
            let (cloud, token) = (cloud.clone(), token.clone());
            tokio::spawn(async move {
                let body = json!({"server": {"name": format!("s{i}"), "imageRef": "img", "flavorRef": "1"}});
                post(&cloud, &token, "/servers", body).await
            })
        })
        .collect();
    for create in creates {
        let (status, body) = create.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let listed = get(&cloud, &token, "/servers/detail").await;
    let servers = listed["servers"].as_array().unwrap();
    assert_eq!(servers.len(), SERVERS);
    let mut ips = BTreeSet::new();
    let mut macs = BTreeSet::new();
    for server in servers {
        let address = &server["addresses"]["private"][0];
        ips.insert(address["addr"].as_str().unwrap().to_owned());
        macs.insert(
            address["OS-EXT-IPS-MAC:mac_addr"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(ips.len(), SERVERS, "fixed IPs shared: {ips:?}");
    assert_eq!(macs.len(), SERVERS, "MACs shared: {macs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_actions_on_a_server_one_starts() {
    const RACERS: usize = 8;
    const ROUNDS: usize = 30;
    let cloud = MockCloud::builder()
        .image_endpoint(gathering_glance(1).await)
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let (_, body) = post(
        &cloud,
        &token,
        "/servers",
        json!({"server": {"name": "raced", "imageRef": "img", "flavorRef": "1"}}),
    )
    .await;
    let id = body["server"]["id"].as_str().unwrap().to_owned();
    let status = |body: Value| body["server"]["status"].as_str().unwrap().to_owned();
    assert_eq!(
        status(get(&cloud, &token, &format!("/servers/{id}")).await),
        "ACTIVE"
    );
    let cloud = Arc::new(cloud);
    for round in 0..ROUNDS {
        let (action, settled) = if round % 2 == 0 {
            ("os-stop", "SHUTOFF")
        } else {
            ("os-start", "ACTIVE")
        };
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                let (cloud, token, id) = (cloud.clone(), token.clone(), id.clone());
                tokio::spawn(async move {
                    post(
                        &cloud,
                        &token,
                        &format!("/servers/{id}/action"),
                        json!({action: null}),
                    )
                    .await
                    .0
                })
            })
            .collect();
        let mut accepted = 0;
        for racer in racers {
            match racer.await.unwrap() {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::CONFLICT => {}
                other => panic!("round {round}: {action} answered {other}"),
            }
        }
        assert_eq!(
            accepted, 1,
            "round {round}: {action} started {accepted} times"
        );
        assert_eq!(
            status(get(&cloud, &token, &format!("/servers/{id}")).await),
            settled
        );
    }
}
