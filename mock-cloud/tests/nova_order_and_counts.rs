//! Nova's server list order (`sort_key`/`sort_dir`, with markers and limits) and creates of
//! several servers at once (`min_count`/`max_count`, quota, `return_reservation_id`), over
//! HTTP against an embedded cloud whose Glance holds one bootable image.

use mock_cloud::{MockCloud, Seed};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Nova {
    cloud: MockCloud,
    http: reqwest::Client,
    token: String,
    image: String,
}

impl Nova {
    async fn start() -> Nova {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let seed = Seed::parse(
            "images: [{name: tiny, visibility: public, disk_format: raw, container_format: bare, content: hello}]",
            false,
        )
        .unwrap();
        let cloud = MockCloud::builder().seed(seed).start().await.unwrap();
        let token = cloud.token("demo", "demo").unwrap();
        let nova = Nova {
            cloud,
            http: reqwest::Client::new(),
            token,
            image: String::new(),
        };
        let (_, body) = nova.call(Method::GET, "/image/v2/images", None).await;
        Nova {
            image: body["images"][0]["id"].as_str().unwrap().to_owned(),
            ..nova
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.cloud.base_url()))
            .header("x-auth-token", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, server: Value) -> (StatusCode, Value) {
        let mut server = server;
        server["imageRef"] = json!(self.image);
        server["flavorRef"] = json!("1");
        self.call(
            Method::POST,
            "/compute/v2.1/servers",
            Some(json!({ "server": server })),
        )
        .await
    }

    /// The names of a listing.
    async fn names(&self, query: &str) -> Vec<String> {
        let (status, body) = self
            .call(Method::GET, &format!("/compute/v2.1/servers?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        names(&body)
    }
}

fn names(body: &Value) -> Vec<String> {
    body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn server_lists_follow_every_sort_key_and_direction() {
    let nova = Nova::start().await;
    let mut ids = std::collections::HashMap::new();
    for name in ["b", "a", "c", "a"] {
        let (status, body) = nova.create(json!({"name": name})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        ids.entry(name)
            .or_insert_with(Vec::new)
            .push(body["server"]["id"].as_str().unwrap().to_owned());
    }
    // Newest first by default, oldest first with only a direction.
    assert_eq!(nova.names("").await, ["a", "c", "a", "b"]);
    assert_eq!(nova.names("sort_dir=asc").await, ["b", "a", "c", "a"]);
    // A key alone sorts descending; ties fall to created_at and creation order.
    assert_eq!(
        nova.names("sort_key=display_name").await,
        ["c", "b", "a", "a"]
    );
    assert_eq!(
        nova.names("sort_key=display_name&sort_dir=asc").await,
        ["a", "a", "b", "c"]
    );
    // Several keys, each with its direction.
    let (_, body) = nova
        .call(
            Method::GET,
            "/compute/v2.1/servers?sort_key=display_name&sort_dir=asc&sort_key=uuid&sort_dir=desc",
            None,
        )
        .await;
    let mut a_ids = ids["a"].clone();
    a_ids.sort();
    a_ids.reverse();
    let listed: Vec<&str> = body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed[..2], [a_ids[0].as_str(), a_ids[1].as_str()]);
    // Pages follow the order: the next link carries the sort and the last id.
    let (_, first) = nova
        .call(
            Method::GET,
            "/compute/v2.1/servers?sort_key=display_name&sort_dir=asc&limit=3",
            None,
        )
        .await;
    assert_eq!(names(&first), ["a", "a", "b"]);
    let next = first["servers_links"][0]["href"].as_str().unwrap();
    let path = next.strip_prefix(nova.cloud.base_url()).unwrap();
    let (_, second) = nova.call(Method::GET, path, None).await;
    assert_eq!(names(&second), ["c"]);
    // Nova's refusals: more directions than keys, and sorting by host for a non-admin.
    let (status, body) = nova
        .call(
            Method::GET,
            "/compute/v2.1/servers?sort_dir=asc&sort_dir=desc",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["badRequest"]["message"],
        "Invalid input received: Sort direction size exceeds sort key size"
    );
    let (status, body) = nova
        .call(Method::GET, "/compute/v2.1/servers?sort_key=host", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // An ignored key (before 2.75) is dropped with its direction.
    assert_eq!(
        nova.names("sort_key=vcpus&sort_dir=asc").await,
        ["a", "c", "a", "b"]
    );
}

#[tokio::test]
async fn max_count_makes_that_many_servers_within_the_quota() {
    let nova = Nova::start().await;
    // A reservation id instead of a server, shared by every server of the request.
    let (status, body) = nova
        .create(json!({"name": "web", "max_count": 3, "return_reservation_id": true}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(body.get("server").is_none(), "{body}");
    let reservation = body["reservation_id"].as_str().unwrap();
    assert!(
        reservation.starts_with("r-") && reservation.len() == 10,
        "{body}"
    );
    assert_eq!(
        nova.names(&format!("reservation_id={reservation}&sort_dir=asc"))
            .await,
        ["web-1", "web-2", "web-3"]
    );
    // Without it, the answer describes the first server.
    let (status, body) = nova
        .create(json!({"name": "db", "min_count": 2, "max_count": "2"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let first = body["server"]["id"].as_str().unwrap();
    let (_, shown) = nova
        .call(Method::GET, &format!("/compute/v2.1/servers/{first}"), None)
        .await;
    assert_eq!(shown["server"]["name"], "db-1");
    // 5 of 10 instances used: at least 6 cannot be made, at most 8 makes the 5 that fit.
    let (status, body) = nova
        .create(json!({"name": "big", "min_count": 6, "max_count": 8}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["forbidden"]["message"],
        "Quota exceeded for instances: Requested 6-8, but already used 5 of 10 instances"
    );
    let (status, _) = nova
        .create(json!({"name": "fill", "min_count": 2, "max_count": 8}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let filled = nova.names("name=fill&sort_dir=asc").await;
    assert_eq!(filled, ["fill-1", "fill-2", "fill-3", "fill-4", "fill-5"]);
    let (status, body) = nova.create(json!({"name": "one"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["forbidden"]["message"],
        "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"
    );
    let (status, body) = nova
        .create(json!({"name": "x", "min_count": 3, "max_count": 2}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["badRequest"]["message"],
        "min_count must be <= max_count"
    );
}
