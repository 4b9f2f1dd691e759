//! What the cargo-fuzz target (`mock-cloud/fuzz`) drives: the whole router, in process, with
//! a valid token, so that an arbitrary body reaches each JSON handler's parsing. Only with
//! the `fuzzing` feature, which nothing but that target turns on.

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt as _;

use crate::app::{self, AppState};
use crate::cloud::Options;

/// The cloud under the fuzzer: its router, tokens, and the ids its routes name.
pub struct Harness {
    router: Router,
    state: AppState,
    admin: String,
    demo: String,
    demo_user: String,
    image: String,
    server: String,
    calls: u64,
}

/// The routes with a body (or a query) a client makes up, and who calls them: the first
/// input byte picks one. `{user}`, `{image}` and `{server}` name things that exist.
const ROUTES: &[(&str, &str, &str, bool)] = &[
    (
        "POST",
        "/identity/v3/auth/tokens",
        "application/json",
        false,
    ),
    (
        "POST",
        "/identity/v3/users/{user}/application_credentials",
        "application/json",
        true,
    ),
    ("POST", "/image/v2/images", "application/json", true),
    (
        "PATCH",
        "/image/v2/images/{image}",
        "application/openstack-images-v2.1-json-patch",
        true,
    ),
    (
        "PATCH",
        "/image/v2/images/{image}",
        "application/openstack-images-v2-json-patch",
        true,
    ),
    (
        "POST",
        "/image/v2/images/{image}/members",
        "application/json",
        true,
    ),
    (
        "PUT",
        "/image/v2/images/{image}/members/someone",
        "application/json",
        true,
    ),
    (
        "POST",
        "/image/v2/images/{image}/import",
        "application/json",
        true,
    ),
    ("POST", "/compute/v2.1/servers", "application/json", true),
    (
        "PUT",
        "/compute/v2.1/servers/{server}",
        "application/json",
        true,
    ),
    (
        "POST",
        "/compute/v2.1/servers/{server}/action",
        "application/json",
        true,
    ),
    (
        "POST",
        "/compute/v2.1/servers/{server}/metadata",
        "application/json",
        true,
    ),
    (
        "PUT",
        "/compute/v2.1/servers/{server}/metadata",
        "application/json",
        true,
    ),
    (
        "PUT",
        "/compute/v2.1/servers/{server}/metadata/k",
        "application/json",
        true,
    ),
    (
        "POST",
        "/compute/v2.1/servers/{server}/remote-consoles",
        "application/json",
        true,
    ),
    (
        "POST",
        "/compute/v2.1/os-keypairs",
        "application/json",
        true,
    ),
    ("GET", "/image/v2/images?", "", true),
    ("GET", "/compute/v2.1/servers/detail?", "", true),
    ("GET", "/compute/v2.1/flavors/detail?", "", true),
    ("POST", "/_mock/seed", "application/json", false),
    ("POST", "/_mock/tick", "application/json", false),
];

impl Harness {
    /// A fresh cloud with demo's image and server.
    pub async fn new() -> Harness {
        let state = AppState::new("http://fuzz.invalid".to_owned(), Options::default())
            .expect("a default cloud starts");
        let router = app::router(state.clone());
        let admin = state.keystone.issue_token("admin", "admin").expect("admin");
        let demo = state.keystone.issue_token("demo", "demo").expect("demo");
        let demo_user = state
            .keystone
            .validate(&demo)
            .expect("demo's token")
            .user_id;
        let mut harness = Harness {
            router,
            state,
            admin,
            demo,
            demo_user,
            image: String::new(),
            server: String::new(),
            calls: 0,
        };
        harness.make_things().await;
        harness
    }

    /// demo's image (with data, so a server boots from it) and a server.
    async fn make_things(&mut self) {
        let seed = crate::Seed::parse(
            "images: [{name: fuzz, owner: demo, visibility: shared, disk_format: raw, container_format: bare, content: \"x\"}]",
            false,
        )
        .expect("the seed parses");
        self.state
            .apply_seed(&seed)
            .await
            .expect("the seed applies");
        self.image = {
            let images = self.state.glance.lock();
            images.keys().next().cloned().unwrap_or_default()
        };
        let body = format!(
            r#"{{"server": {{"name": "fuzz", "imageRef": "{}", "flavorRef": "1"}}}}"#,
            self.image
        );
        let (_, answer) = self
            .send(
                "POST",
                "/compute/v2.1/servers",
                "application/json",
                true,
                None,
                body.into_bytes(),
            )
            .await;
        self.server = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["server"]["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        as_demo: bool,
        microversion: Option<u8>,
        body: Vec<u8>,
    ) -> (u16, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", "application/json")
            .header(
                "x-auth-token",
                if as_demo { &self.demo } else { &self.admin },
            );
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        if let Some(minor) = microversion {
            request = request.header("openstack-api-version", format!("compute 2.{}", minor % 97));
        }
        let Ok(request) = request.body(Body::from(body)) else {
            return (400, Vec::new());
        };
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        (status, bytes)
    }

    /// Sends one fuzz input: byte 0 picks the route, byte 1 the microversion, the rest is the
    /// body (or the query string). Returns the status; panics on a 5xx, which no input may
    /// cause.
    pub async fn call(&mut self, input: &[u8]) -> u16 {
        let [route, minor, rest @ ..] = input else {
            return 0;
        };
        // The cloud grows with every create: start afresh now and then.
        self.calls += 1;
        if self.calls.is_multiple_of(500) {
            *self = Harness::new().await;
        }
        let (method, template, content_type, as_demo) = ROUTES[usize::from(*route) % ROUTES.len()];
        let path = template
            .replace("{user}", &self.demo_user)
            .replace("{image}", &self.image)
            .replace("{server}", &self.server);
        let (path, body) = match path.strip_suffix('?') {
            Some(base) => {
                let query: String = String::from_utf8_lossy(rest)
                    .chars()
                    .filter(|c| c.is_ascii_graphic() && *c != '#')
                    .collect();
                (format!("{base}?{query}"), Vec::new())
            }
            None => (path, rest.to_vec()),
        };
        let (status, answer) = self
            .send(method, &path, content_type, as_demo, Some(*minor), body)
            .await;
        assert!(
            status < 500,
            "{method} {path} answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
        status
    }
}
