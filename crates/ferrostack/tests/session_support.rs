//! A Keystone (plus Glance and Nova discovery) on wiremock, shared by the session and identity
//! tests. Each test starts its own server on port 0.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::session::{RetryPolicy, Session};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The password every test cloud uses; it must never be seen in logs or errors.
pub const PASSWORD: &str = "hunter2-Zq8-password";
/// Every token the mock issues starts with this; it must never be seen in logs or errors.
pub const TOKEN_PREFIX: &str = "gAAAAAB-secret-token-";
/// An application-credential secret; it must never be seen in logs or errors.
pub const APP_SECRET: &str = "appcred-s3cr3t-Vv1";

/// The n-th token the mock issues (from 1).
pub fn token(n: usize) -> String {
    format!("{TOKEN_PREFIX}{n}")
}

/// A fixture from testdata/responses/keystone with `{{base}}` filled in.
pub fn fixture(name: &str, base: &str) -> String {
    let path = format!(
        "{}/../../testdata/responses/keystone/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{base}}", base)
}

/// Answers `POST /v3/auth/tokens` with token 1, 2, 3..., each valid for the next of
/// `lifetimes` (seconds from now, the last one repeating).
pub struct TokenIssuer {
    base: String,
    issued: Arc<AtomicUsize>,
    lifetimes: Vec<i64>,
    /// A `network` catalog entry at this path under the base, when set.
    network: Option<String>,
}

impl Respond for TokenIssuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let lifetime = *self
            .lifetimes
            .get(n - 1)
            .or(self.lifetimes.last())
            .unwrap_or(&3600);
        let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(lifetime);
        let mut body = fixture("token-project.json", &self.base).replace(
            "{{expires_at}}",
            &expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z").to_string(),
        );
        if let Some(at) = &self.network {
            let mut token: serde_json::Value = serde_json::from_str(&body).unwrap();
            token["token"]["catalog"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({
                    "type": "network", "name": "neutron", "id": "0a1b2c3d",
                    "endpoints": [{"id": "4e5f", "interface": "public", "region": "RegionOne",
                        "region_id": "RegionOne", "url": format!("{}{at}", self.base)}]
                }));
            body = token.to_string();
        }
        ResponseTemplate::new(201)
            .insert_header("X-Subject-Token", token(n).as_str())
            .insert_header("x-openstack-request-id", format!("req-token-{n}").as_str())
            .set_body_raw(body, "application/json")
    }
}

/// A mock cloud: Keystone at `/identity`, Glance discovery at `/image`, Nova's at
/// `/compute/v2.1`, and a count of tokens issued.
pub struct Cloud {
    pub server: MockServer,
    pub issued: Arc<AtomicUsize>,
}

impl Cloud {
    /// Tokens valid for an hour.
    pub async fn start() -> Self {
        Self::with_lifetimes(vec![3600]).await
    }

    /// Tokens valid for the given seconds, in turn.
    pub async fn with_lifetimes(lifetimes: Vec<i64>) -> Self {
        Self::build(lifetimes, None).await
    }

    /// Tokens valid for an hour, whose catalog also lists Neutron at `path` (`/networking`).
    pub async fn with_network(path: &str) -> Self {
        Self::build(vec![3600], Some(path.to_owned())).await
    }

    async fn build(lifetimes: Vec<i64>, network: Option<String>) -> Self {
        let server = MockServer::start().await;
        let base = server.uri();
        let issued = Arc::new(AtomicUsize::new(0));
        Mock::given(method("GET"))
            .and(path_regex("^/identity/?$"))
            .respond_with(
                ResponseTemplate::new(300)
                    .set_body_raw(fixture("versions.json", &base), "application/json"),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex("^/identity/v3/?$"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("version-v3.json", &base), "application/json"),
            )
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/identity/v3/auth/tokens"))
            .respond_with(TokenIssuer {
                base: base.clone(),
                issued: issued.clone(),
                lifetimes,
                network,
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/image"))
            .respond_with(ResponseTemplate::new(300).set_body_json(serde_json::json!({
                "versions": [
                    {"id": "v2.17", "status": "CURRENT", "links": [{"rel": "self", "href": format!("{base}/image/v2/")}]},
                    {"id": "v2.16", "status": "SUPPORTED", "links": [{"rel": "self", "href": format!("{base}/image/v2/")}]},
                ]
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/compute/v2.1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "version": {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1",
                    "links": [{"rel": "self", "href": format!("{base}/compute/v2.1/")}]}
            })))
            .mount(&server)
            .await;
        Self { server, issued }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A password cloud scoped to the demo project by name.
    pub fn config(&self) -> CloudConfig {
        CloudConfig {
            name: Some("wiremock".into()),
            auth_type: AuthType::Password,
            auth: AuthConfig {
                auth_url: Some(format!("{}/identity", self.uri())),
                username: Some("demo".into()),
                password: Some(PASSWORD.into()),
                user_domain_name: Some("Default".into()),
                project_name: Some("demo".into()),
                project_domain_id: Some("default".into()),
                ..AuthConfig::default()
            },
            region_name: Some("RegionOne".into()),
            ..CloudConfig::new()
        }
    }

    /// A session over `config` whose retries wait a millisecond or two.
    pub fn session(&self, config: CloudConfig) -> Session {
        Session::builder(config)
            .retry(fast_retries())
            .build()
            .unwrap()
    }

    /// How many tokens Keystone has issued.
    pub fn tokens_issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    /// The requests received, in order.
    pub async fn received(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap()
    }

    /// The requests received for `method` `path`.
    pub async fn received_at(&self, http_method: &str, at: &str) -> Vec<Request> {
        self.received()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == http_method && r.url.path() == at)
            .collect()
    }
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
        ..RetryPolicy::default()
    }
}

/// The `X-Auth-Token` a request carried.
pub fn auth_token(request: &Request) -> Option<String> {
    request
        .headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A tracing writer into memory, to read back what was logged.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// A subscriber logging every event at `level` and above into this buffer; install it with
    /// `tracing::subscriber::set_default` in a single-threaded test.
    pub fn subscriber(&self, level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        let buffer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || buffer.clone())
            .finish()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Panics if `text` holds the password, a token or an application-credential secret.
pub fn assert_no_secrets(what: &str, text: &str) {
    for secret in [PASSWORD, TOKEN_PREFIX, APP_SECRET] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}:\n{text}");
    }
}
