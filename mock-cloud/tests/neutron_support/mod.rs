//! What the Neutron tests share: a cloud with a second project, raw calls, a caller's view
//! of `/networking/v2.0`, and the check of Neutron's error bodies.

// Each test crate uses its own part of this.
#![allow(dead_code)]

use mock_cloud::{MockCloud, Seed};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A cloud with a second project `alt` (user `alt`, a member).
pub async fn cloud() -> MockCloud {
    let seed = Seed::parse(
        "projects: [{name: alt}]\nusers: [{name: alt, password: alt, roles: [{role: member, project: alt}]}]",
        false,
    )
    .unwrap();
    MockCloud::builder().seed(seed).start().await.unwrap()
}

pub async fn call(
    cloud: &MockCloud,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", cloud.base_url()));
    if let Some(token) = token {
        request = request.header("x-auth-token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A caller's view of `/networking/v2.0`.
pub struct As<'a> {
    pub cloud: &'a MockCloud,
    pub token: String,
}

impl<'a> As<'a> {
    pub fn new(cloud: &'a MockCloud, user: &str, project: &str) -> Self {
        Self {
            cloud,
            token: cloud.token(user, project).unwrap(),
        }
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        call(
            self.cloud,
            Some(&self.token),
            Method::GET,
            &format!("/networking/v2.0{path}"),
            None,
        )
        .await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        call(
            self.cloud,
            Some(&self.token),
            Method::POST,
            &format!("/networking/v2.0{path}"),
            Some(body),
        )
        .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        call(
            self.cloud,
            Some(&self.token),
            Method::PUT,
            &format!("/networking/v2.0{path}"),
            Some(body),
        )
        .await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        call(
            self.cloud,
            Some(&self.token),
            Method::DELETE,
            &format!("/networking/v2.0{path}"),
            None,
        )
        .await
    }
    /// The id of the only `kind` named `name` this caller sees.
    pub async fn id_of(&self, collection: &str, name: &str) -> String {
        let (status, body) = self.get(&format!("/{collection}?name={name}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let key = collection.replace('-', "_");
        let items = body[&key].as_array().unwrap();
        assert_eq!(items.len(), 1, "{name}: {body}");
        items[0]["id"].as_str().unwrap().to_owned()
    }
}

/// Asserts a Neutron error body of `kind` with `status`.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, kind: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["NeutronError"]["type"], kind, "{}", got.1);
    assert!(got.1["NeutronError"]["message"].is_string(), "{}", got.1);
    assert_eq!(got.1["NeutronError"]["detail"], "", "{}", got.1);
}
