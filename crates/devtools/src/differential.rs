//! The differential check: the same raw HTTP requests sent to real Keystone + Glance and to
//! the mock cloud; status codes, JSON key sets and key headers compared. Every difference is
//! printed with both answers and fails the check.
//!
//! Cases run in order and may capture values (an image id, a token) for later cases; each
//! backend keeps its own captures, since ids differ.
//!
//! Where real Glance does something the mock deliberately does not copy, the case says so with
//! [`Case::deliberate`]: the exact keys that may differ and why. Such a case passes while the
//! difference is exactly that one (and fails if it changes or disappears); the same list is
//! kept in mock-cloud's `glance.rs` module docs.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// Which service a case addresses.
#[derive(Clone, Copy, Debug)]
pub enum Svc {
    Identity,
    Image,
    /// Nova, from its unversioned root (so `/` is its version list, calls are `/v2.1/...`).
    Compute,
}

/// Whose token a case sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Who {
    Admin,
    Demo,
    Nobody,
    Bogus,
}

/// One request and what to capture from its answer.
pub struct Case {
    pub name: &'static str,
    pub svc: Svc,
    pub who: Who,
    pub method: &'static str,
    /// The path under the service root; `{var}` is replaced by an earlier capture.
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
    /// (variable, where) to remember for later cases: a JSON pointer into the answer, or
    /// `header:NAME` for a response header.
    pub captures: Vec<(&'static str, &'static str)>,
    /// A documented, deliberate difference from the real service.
    pub deliberate: Option<Deliberate>,
    /// Repeat the request until this holds (an asynchronous task on the real service), up to
    /// [`UNTIL_DEADLINE`].
    pub until: Option<Until>,
}

/// What a repeated case waits for.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// The JSON pointer has this string value.
    Value(&'static str, &'static str),
    /// The JSON pointer has this string value and the third names a key that is gone.
    ValueWithout(&'static str, &'static str, &'static str),
    /// The answer has this status (a deleted server's 404).
    Status(u16),
}

/// How long a case with [`Case::until`] keeps asking.
const UNTIL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// A difference the mock makes on purpose, because the real service is wrong to copy there.
#[derive(Clone, Copy, Debug)]
pub struct Deliberate {
    /// JSON key paths (as in the report) that only the real answer carries.
    pub real_only_keys: &'static [&'static str],
    /// Why the mock differs.
    pub reason: &'static str,
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
    /// Sent with `Transfer-Encoding: chunked` (no `Content-Length`), as a streaming client does.
    Chunked(&'static str, Vec<u8>),
}

/// One backend: where its services live and the tokens to use.
pub struct Backend {
    pub name: &'static str,
    pub identity: String,
    pub image: String,
    /// Nova's unversioned root, when the backend has a compute service.
    pub compute: Option<String>,
    pub admin_token: String,
    pub demo_token: String,
    vars: BTreeMap<String, String>,
}

impl Backend {
    /// A backend with its service roots and tokens.
    pub fn new(
        name: &'static str,
        identity: String,
        image: String,
        admin_token: String,
        demo_token: String,
    ) -> Self {
        // The tokens are variables too, so bodies (token rescoping) can name them.
        let vars = BTreeMap::from([
            ("admin_token".to_owned(), admin_token.clone()),
            ("demo_token".to_owned(), demo_token.clone()),
        ]);
        Self {
            name,
            identity,
            image,
            compute: None,
            admin_token,
            demo_token,
            vars,
        }
    }
}

impl Backend {
    /// The backend with a compute service at `root` (Nova's unversioned root).
    pub fn with_compute(mut self, root: String) -> Self {
        self.compute = Some(root);
        self
    }
}

/// What is compared of one answer.
#[derive(Debug, PartialEq, Clone)]
pub struct Observed {
    status: u16,
    keys: Vec<String>,
    headers: BTreeSet<&'static str>,
    media_type: String,
}

/// Headers whose presence is part of the contract.
const KEY_HEADERS: &[&str] = &[
    "location",
    "openstack-image-import-methods",
    "content-md5",
    "content-range",
    "x-subject-token",
    "www-authenticate",
    "openstack-api-version",
    "x-openstack-nova-api-version",
];

fn substitute(template: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// The key structure of a JSON answer: top-level keys, and the keys of the first level of
/// nested objects (`image.name`, `token.catalog`), and of the first element of arrays.
fn key_paths(value: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    if let Value::Object(map) = value {
        for (k, v) in map {
            out.insert(k.clone());
            match v {
                Value::Object(inner) => {
                    for ik in inner.keys() {
                        out.insert(format!("{k}.{ik}"));
                    }
                }
                Value::Array(items) => {
                    if let Some(Value::Object(inner)) = items.first() {
                        for ik in inner.keys() {
                            out.insert(format!("{k}[].{ik}"));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out.into_iter().collect()
}

fn send(http: &Client, backend: &mut Backend, case: &Case) -> Result<(Observed, String)> {
    let root = match case.svc {
        Svc::Identity => &backend.identity,
        Svc::Image => &backend.image,
        Svc::Compute => backend
            .compute
            .as_ref()
            .with_context(|| format!("{} has no compute service", backend.name))?,
    };
    let url = format!("{root}{}", substitute(case.path, &backend.vars));
    let method = reqwest::Method::from_bytes(case.method.as_bytes())?;
    let mut req = http
        .request(method, &url)
        .header("Accept", "application/json");
    match case.who {
        Who::Admin => req = req.header("X-Auth-Token", &backend.admin_token),
        Who::Demo => req = req.header("X-Auth-Token", &backend.demo_token),
        Who::Bogus => req = req.header("X-Auth-Token", "not-a-token"),
        Who::Nobody => {}
    }
    for (k, v) in &case.headers {
        req = req.header(*k, substitute(v, &backend.vars));
    }
    req = match &case.body {
        Body::None => req,
        Body::Json(v) => {
            let text = substitute(&v.to_string(), &backend.vars);
            if case
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req.body(text)
            } else {
                req.header("Content-Type", "application/json").body(text)
            }
        }
        Body::Bytes(ct, bytes) => req.header("Content-Type", *ct).body(bytes.clone()),
        Body::Chunked(ct, bytes) => {
            req.header("Content-Type", *ct)
                .body(reqwest::blocking::Body::new(std::io::Cursor::new(
                    bytes.clone(),
                )))
        }
    };
    let resp = req
        .send()
        .with_context(|| format!("{}: {} {url}", backend.name, case.method))?;
    let status = resp.status().as_u16();
    let headers: BTreeSet<&'static str> = KEY_HEADERS
        .iter()
        .copied()
        .filter(|h| resp.headers().contains_key(*h))
        .collect();
    let media_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
        .unwrap_or_default();
    let header_values: BTreeMap<String, String> = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let text = resp.text().unwrap_or_default();
    let json: Option<Value> = serde_json::from_str(&text).ok();
    for (var, source) in &case.captures {
        let found = match source.strip_prefix("header:") {
            Some(name) => header_values.get(name).cloned(),
            None => json
                .as_ref()
                .and_then(|v| v.pointer(source))
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        if let Some(found) = found {
            backend.vars.insert((*var).to_owned(), found);
        }
    }
    let keys = json.as_ref().map(key_paths).unwrap_or_default();
    Ok((
        Observed {
            status,
            keys,
            headers,
            media_type: if status == 204 || status == 304 {
                String::new()
            } else {
                media_type
            },
        },
        text,
    ))
}

/// The start of an answer, for the report.
fn shown(text: &str) -> String {
    if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// [`send`], repeated while the case's `until` condition does not hold yet. Real Glance runs
/// an import as a background task, and sqlite cannot take another writer meanwhile: the cases
/// after an import wait for it to end.
fn send_until(http: &Client, backend: &mut Backend, case: &Case) -> Result<(Observed, String)> {
    let Some(until) = case.until else {
        return send(http, backend, case);
    };
    let deadline = std::time::Instant::now() + UNTIL_DEADLINE;
    loop {
        let (observed, text) = send(http, backend, case)?;
        let reached = match until {
            Until::Value(pointer, wanted) => {
                let value: Option<Value> = serde_json::from_str(&text).ok();
                value
                    .as_ref()
                    .and_then(|v| v.pointer(pointer))
                    .and_then(Value::as_str)
                    == Some(wanted)
            }
            Until::ValueWithout(pointer, wanted, gone) => {
                let value: Option<Value> = serde_json::from_str(&text).ok();
                value.as_ref().is_some_and(|v| {
                    v.pointer(pointer).and_then(Value::as_str) == Some(wanted)
                        && v.pointer(gone).is_none()
                })
            }
            Until::Status(status) => observed.status == status,
        };
        if reached || std::time::Instant::now() >= deadline {
            return Ok((observed, text));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A row of the report.
pub struct Row {
    pub name: &'static str,
    pub real: u16,
    pub mock: u16,
    /// What differs, with both answers; `None` when the case passes.
    pub difference: Option<String>,
    /// The reason, when the case passed only because its difference is a deliberate one.
    pub deliberate: Option<&'static str>,
}

/// Sends every case to both backends; returns one row per case.
pub fn run(cases: &[Case], real: &mut Backend, mock: &mut Backend) -> Result<Vec<Row>> {
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut rows = Vec::new();
    for case in cases {
        let (r, r_text) = send_until(&http, real, case)?;
        let (m, m_text) = send_until(&http, mock, case)?;
        let mut diffs = Vec::new();
        if r.status != m.status {
            diffs.push(format!("status {} vs {}", r.status, m.status));
        }
        let rk: BTreeSet<&str> = r.keys.iter().map(String::as_str).collect();
        let mk: BTreeSet<&str> = m.keys.iter().map(String::as_str).collect();
        let only_real: BTreeSet<&str> = rk.difference(&mk).copied().collect();
        let only_mock: BTreeSet<&str> = mk.difference(&rk).copied().collect();
        let mut deliberate = None;
        match case.deliberate {
            Some(d)
                if only_mock.is_empty()
                    && only_real == d.real_only_keys.iter().copied().collect() =>
            {
                deliberate = Some(d.reason);
            }
            Some(d) => diffs.push(format!(
                "expected the deliberate difference (keys only in real: {:?}), found keys only in \
                 real: {only_real:?}, only in mock: {only_mock:?}; if real and mock now agree, \
                 drop the mark here and in mock-cloud's glance.rs",
                d.real_only_keys
            )),
            None if !only_real.is_empty() || !only_mock.is_empty() => diffs.push(format!(
                "JSON keys only in real: {only_real:?}; only in mock: {only_mock:?}"
            )),
            None => {}
        }
        if r.headers != m.headers {
            diffs.push(format!("headers {:?} vs {:?}", r.headers, m.headers));
        }
        if r.media_type != m.media_type {
            diffs.push(format!(
                "content-type {:?} vs {:?}",
                r.media_type, m.media_type
            ));
        }
        let difference = (!diffs.is_empty()).then(|| {
            format!(
                "{}\n      real: {}\n      mock: {}",
                diffs.join("; "),
                shown(&r_text),
                shown(&m_text)
            )
        });
        rows.push(Row {
            name: case.name,
            real: r.status,
            mock: m.status,
            deliberate: deliberate.filter(|_| difference.is_none()),
            difference,
        });
    }
    let deliberate: Vec<_> = rows
        .iter()
        .filter_map(|r| Some((r.name, r.deliberate?)))
        .collect();
    if !deliberate.is_empty() {
        eprintln!("\ndeliberate differences (documented, not failures):");
        for (name, reason) in deliberate {
            eprintln!("  {name}: {reason}");
        }
    }
    Ok(rows)
}

fn case(name: &'static str, svc: Svc, who: Who, method: &'static str, path: &'static str) -> Case {
    Case {
        name,
        svc,
        who,
        method,
        path,
        headers: Vec::new(),
        body: Body::None,
        captures: Vec::new(),
        deliberate: None,
        until: None,
    }
}

impl Case {
    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    fn bytes(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.body = Body::Bytes(content_type, bytes);
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn chunked(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.body = Body::Chunked(content_type, bytes);
        self
    }
    /// Remembers a value of the answer as `{var}`: `source` is a JSON pointer or `header:NAME`.
    fn capture(mut self, var: &'static str, source: &'static str) -> Self {
        self.captures.push((var, source));
        self
    }
    /// Repeats the request until `pointer` in the answer is `value`.
    fn until(mut self, pointer: &'static str, value: &'static str) -> Self {
        self.until = Some(Until::Value(pointer, value));
        self
    }
    /// Repeats the request until `pointer` is `value` and `gone` is absent.
    fn until_settled(
        mut self,
        pointer: &'static str,
        value: &'static str,
        gone: &'static str,
    ) -> Self {
        self.until = Some(Until::ValueWithout(pointer, value, gone));
        self
    }
    /// Repeats the request until it answers `status`.
    fn until_status(mut self, status: u16) -> Self {
        self.until = Some(Until::Status(status));
        self
    }
    /// Asks for a compute microversion.
    fn microversion(self, version: &str) -> Self {
        self.header("OpenStack-API-Version", format!("compute {version}"))
    }
    /// Marks a documented difference: only real sends `real_only_keys`, for `reason`.
    fn deliberate(mut self, real_only_keys: &'static [&'static str], reason: &'static str) -> Self {
        self.deliberate = Some(Deliberate {
            real_only_keys,
            reason,
        });
        self
    }
}

const PATCH: &str = "application/openstack-images-v2.1-json-patch";

fn password_auth(user: &str, password: &str, scope: Value) -> Value {
    let mut auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}});
    if !scope.is_null() {
        auth["auth"]["scope"] = scope;
    }
    auth
}

/// Why the mock's queued image shows no `stores` after a refused upload (also in mock-cloud's
/// `glance.rs` list of deliberate differences).
const REFUSED_BYTES_DISCARDED: &str = "Glance 33 keeps the bytes the format gate refused in \
     its store, so its queued image lists a store (and a checksum) for data it refused to \
     accept; the mock discards them, as a client retrying the upload expects an empty image";

/// The cases: the calls of WIRE.md with good and bad inputs. `admin_password` is the
/// backend-independent password of `admin` (both backends are seeded with it).
pub fn cases(admin_password: &str) -> Vec<Case> {
    use Svc::{Identity as I, Image as G};
    use Who::{Admin, Bogus, Demo, Nobody};
    let project_admin = json!({"project": {"name": "admin", "domain": {"id": "default"}}});
    let raw: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    let small: Vec<u8> = b"a kernel, or something the size of one".to_vec();
    let rescope = |token: &str| {
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    };
    let app_cred = |secret: &str, scope: Option<Value>| {
        let mut auth = json!({"auth": {"identity": {"methods": ["application_credential"],
            "application_credential": {"id": "{ac_id}", "secret": secret}}}});
        if let Some(scope) = scope {
            auth["auth"]["scope"] = scope;
        }
        auth
    };
    vec![
        // Keystone: discovery and tokens
        case("identity root", I, Nobody, "GET", "/"),
        case("identity v3", I, Nobody, "GET", "/v3"),
        case("identity v3/", I, Nobody, "GET", "/v3/"),
        case("token: password, project scope", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, project_admin.clone()))
            .capture("admin_project", "/token/project/id")
            .capture("admin_user", "/token/user/id"),
        case("token: password, unscoped", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, Value::Null))
            .capture("unscoped_token", "header:x-subject-token"),
        case("token: password, system scope", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, json!({"system": {"all": true}}))),
        case("token: project by id", I, Nobody, "POST", "/v3/auth/tokens").json(password_auth(
            "admin",
            admin_password,
            json!({"project": {"id": "{admin_project}"}}),
        )),
        case("token: user by id", I, Nobody, "POST", "/v3/auth/tokens").json(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "id": "{admin_user}", "password": admin_password}}},
            "scope": project_admin.clone()}})),
        case("token: user name without domain", I, Nobody, "POST", "/v3/auth/tokens").json(
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "password": admin_password}}}}}),
        ),
        case("token: domain scope without a role", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("demo", "demo", json!({"domain": {"id": "default"}}))),
        case("token: wrong password", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", "wrong", project_admin.clone())),
        case("token: unknown user", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("nobody-here", "x", project_admin.clone())),
        case("token: unknown project", I, Nobody, "POST", "/v3/auth/tokens").json(
            password_auth(
                "admin",
                admin_password,
                json!({"project": {"name": "no-such-project", "domain": {"id": "default"}}}),
            ),
        ),
        case("token: member of no such project", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("demo", "demo", project_admin.clone())),
        case("token: empty body", I, Nobody, "POST", "/v3/auth/tokens").json(json!({})),
        case("token: unknown method", I, Nobody, "POST", "/v3/auth/tokens").json(
            json!({"auth": {"identity": {"methods": ["kerberos"], "kerberos": {}}}}),
        ),
        case("token: nocatalog", I, Nobody, "POST", "/v3/auth/tokens?nocatalog")
            .json(password_auth("admin", admin_password, project_admin.clone())),
        case("token: rescope an unscoped token", I, Nobody, "POST", "/v3/auth/tokens")
            .json(rescope("{unscoped_token}")),
        case("token: rescope a bogus token", I, Nobody, "POST", "/v3/auth/tokens")
            .json(rescope("not-a-token")),
        case("token validate (self)", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("token validate (another user's)", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{demo_token}"),
        case("token check (self)", I, Admin, "HEAD", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("token check: bogus subject", I, Admin, "HEAD", "/v3/auth/tokens")
            .header("X-Subject-Token", "not-a-token"),
        case("token validate: bogus subject", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "not-a-token"),
        case("token validate: no caller token", I, Nobody, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("token to revoke", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, project_admin.clone()))
            .capture("spare_token", "header:x-subject-token"),
        case("token revoke", I, Admin, "DELETE", "/v3/auth/tokens")
            .header("X-Subject-Token", "{spare_token}"),
        case("revoked token fails validation", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{spare_token}"),
        // Not compared: calling with the just-revoked token. Real Keystone 30 (in-memory
        // cache, four threads) answered 200 in one run of four, 401 otherwise.
        case("catalog", I, Admin, "GET", "/v3/auth/catalog"),
        case("catalog with an unscoped token", I, Nobody, "GET", "/v3/auth/catalog")
            .header("X-Auth-Token", "{unscoped_token}"),
        case("catalog without token", I, Nobody, "GET", "/v3/auth/catalog"),
        case("catalog with bogus token", I, Bogus, "GET", "/v3/auth/catalog"),
        case("my projects", I, Admin, "GET", "/v3/auth/projects"),
        case("my projects (unscoped token)", I, Nobody, "GET", "/v3/auth/projects")
            .header("X-Auth-Token", "{unscoped_token}"),
        case("projects by name", I, Admin, "GET", "/v3/projects?name=demo")
            .capture("demo_project", "/projects/0/id"),
        case("show project", I, Admin, "GET", "/v3/projects/{demo_project}"),
        case("show user (self)", I, Admin, "GET", "/v3/users/{admin_user}"),
        case("user's projects", I, Admin, "GET", "/v3/users/{admin_user}/projects"),
        case("roles", I, Admin, "GET", "/v3/roles"),
        case("show domain", I, Admin, "GET", "/v3/domains/default"),
        // Keystone: application credentials
        case("app credential: create", I, Admin, "POST", "/v3/users/{admin_user}/application_credentials")
            .json(json!({"application_credential": {"name": "diff-ac"}}))
            .capture("ac_id", "/application_credential/id")
            .capture("ac_secret", "/application_credential/secret"),
        case("app credential: duplicate name", I, Admin, "POST", "/v3/users/{admin_user}/application_credentials")
            .json(json!({"application_credential": {"name": "diff-ac"}})),
        case("app credential: list", I, Admin, "GET", "/v3/users/{admin_user}/application_credentials"),
        case("app credential: show", I, Admin, "GET", "/v3/users/{admin_user}/application_credentials/{ac_id}"),
        case("token: application credential", I, Nobody, "POST", "/v3/auth/tokens")
            .json(app_cred("{ac_secret}", None)),
        case("token: application credential by name", I, Nobody, "POST", "/v3/auth/tokens")
            .json(json!({"auth": {"identity": {"methods": ["application_credential"],
                "application_credential": {"name": "diff-ac", "secret": "{ac_secret}",
                    "user": {"name": "admin", "domain": {"id": "default"}}}}}})),
        case("token: application credential, wrong secret", I, Nobody, "POST", "/v3/auth/tokens")
            .json(app_cred("wrong", None)),
        case("token: application credential with a scope", I, Nobody, "POST", "/v3/auth/tokens")
            .json(app_cred("{ac_secret}", Some(project_admin.clone()))),
        case("app credential: delete", I, Admin, "DELETE", "/v3/users/{admin_user}/application_credentials/{ac_id}"),
        case("app credential: show deleted", I, Admin, "GET", "/v3/users/{admin_user}/application_credentials/{ac_id}"),
        // Glance: discovery and listing
        case("image root", G, Nobody, "GET", "/"),
        case("image /versions", G, Nobody, "GET", "/versions"),
        case("image /v2", G, Nobody, "GET", "/v2"),
        case("image /v2/", G, Nobody, "GET", "/v2/"),
        case("image /v2 with a token", G, Admin, "GET", "/v2"),
        case("image /v2/ with a token", G, Admin, "GET", "/v2/"),
        case("image list (empty)", G, Admin, "GET", "/v2/images"),
        case("image list without token", G, Nobody, "GET", "/v2/images"),
        case("image list with bogus token", G, Bogus, "GET", "/v2/images"),
        case("image schema", G, Admin, "GET", "/v2/schemas/image"),
        case("images schema", G, Admin, "GET", "/v2/schemas/images"),
        case("member schema", G, Admin, "GET", "/v2/schemas/member"),
        case("members schema", G, Admin, "GET", "/v2/schemas/members"),
        case("import info", G, Admin, "GET", "/v2/info/import"),
        case("stores info", G, Admin, "GET", "/v2/info/stores"),
        // create
        case("create raw", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-raw", "disk_format": "raw", "container_format": "bare", "visibility": "private"}))
            .capture("raw", "/id"),
        case("create with fixed id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "fixed", "disk_format": "raw", "container_format": "bare"})),
        case("create duplicate id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "dup"})),
        case("create with a non-uuid id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "not-a-uuid", "name": "x"})),
        case("create without token", G, Nobody, "POST", "/v2/images")
            .json(json!({"name": "x"})),
        case("create with self (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "self": "/v2/images/x"})),
        case("create with file (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "file": "/v2/images/x/file"})),
        case("create with stores (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "stores": "fs"})),
        case("create with location (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "location": "http://example.invalid/x"})),
        case("create with os_glance key (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "os_glance_foo": "bar"})),
        case("create with 256-char key", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "k".repeat(256): "v"})),
        case("create with a non-string property", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "os_distro": 7})),
        case("create with bad disk_format", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "disk_format": "floppy"})),
        case("create with bad container_format", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "container_format": "crate"})),
        case("create with bad visibility", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "visibility": "everyone"})),
        case("create without formats", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "no-formats"}))
            .capture("noformat", "/id"),
        case("create qcow2", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-qcow2", "disk_format": "qcow2", "container_format": "bare"}))
            .capture("qcow2", "/id"),
        case("member cannot publicize", G, Demo, "POST", "/v2/images")
            .json(json!({"name": "x", "visibility": "public"})),
        case("member creates a community image", G, Demo, "POST", "/v2/images")
            .json(json!({"name": "diff-demo", "visibility": "community", "tags": ["demo"]}))
            .capture("demo_img", "/id"),
        // show
        case("show", G, Admin, "GET", "/v2/images/{raw}"),
        case("show unknown uuid", G, Admin, "GET", "/v2/images/00000000-0000-0000-0000-000000000000"),
        case("show non-uuid", G, Admin, "GET", "/v2/images/not-a-uuid"),
        case("show other project's private image", G, Demo, "GET", "/v2/images/{raw}"),
        case("show a community image of another project", G, Admin, "GET", "/v2/images/{demo_img}"),
        case("download with no data", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("download unknown image", G, Admin, "GET", "/v2/images/00000000-0000-0000-0000-000000000000/file"),
        // patch
        case("patch: wrong content type", G, Admin, "PATCH", "/v2/images/{raw}")
            .json(json!([{"op": "replace", "path": "/name", "value": "y"}])),
        case("patch: replace name", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "diff-raw-2"}])),
        case("patch: add property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_distro", "value": "cirros"}])),
        case("patch: replace property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/os_distro", "value": "debian"}])),
        case("patch: remove property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "remove", "path": "/os_distro"}])),
        case("patch: kernel_id and ramdisk_id", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/kernel_id", "value": "{qcow2}"},
                {"op": "add", "path": "/ramdisk_id", "value": "{noformat}"}])),
        case("patch: kernel_id not a uuid", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/kernel_id", "value": "vmlinuz"}])),
        case("patch: replace tags", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/tags", "value": ["red", "green"]}])),
        case("patch: non-string property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_version", "value": 12}])),
        case("patch: remove missing property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "remove", "path": "/no_such_key"}])),
        case("patch: replace missing property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/no_such_key", "value": "x"}])),
        case("patch: status is read-only", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/status", "value": "active"}])),
        case("patch: checksum is read-only", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/checksum", "value": "abc"}])),
        case("patch: os_glance key is reserved", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_glance_x", "value": "y"}])),
        case("patch: unknown op", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "frobnicate", "path": "/name", "value": "x"}])),
        case("patch: body not a list", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!({"op": "replace", "path": "/name", "value": "x"})),
        case("patch: unknown image", G, Admin, "PATCH", "/v2/images/00000000-0000-0000-0000-000000000000")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "x"}])),
        case("patch by another project", G, Demo, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "mine"}])),
        case("member cannot make own image public", G, Demo, "PATCH", "/v2/images/{demo_img}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/visibility", "value": "public"}])),
        case("os_hidden", G, Demo, "PATCH", "/v2/images/{demo_img}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/os_hidden", "value": true}])),
        // tags
        case("tag add", G, Admin, "PUT", "/v2/images/{raw}/tags/blue"),
        case("tag add again", G, Admin, "PUT", "/v2/images/{raw}/tags/blue"),
        case("tag remove", G, Admin, "DELETE", "/v2/images/{raw}/tags/blue"),
        case("tag remove missing", G, Admin, "DELETE", "/v2/images/{raw}/tags/never"),
        case("tag on unknown image", G, Admin, "PUT", "/v2/images/00000000-0000-0000-0000-000000000000/tags/blue"),
        // upload
        case("upload: wrong content type", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("text/plain", raw.clone()),
        case("upload: size header mismatch", G, Admin, "PUT", "/v2/images/{raw}/file")
            .header("x-openstack-image-size", "12")
            .bytes("application/octet-stream", raw.clone()),
        case("upload: without formats", G, Admin, "PUT", "/v2/images/{noformat}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload: random bytes declared qcow2", G, Admin, "PUT", "/v2/images/{qcow2}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("qcow2 image is queued again", G, Admin, "GET", "/v2/images/{qcow2}")
            .deliberate(&["stores"], REFUSED_BYTES_DISCARDED),
        // WIRE.md: after a refused upload the client deletes the queued image.
        case("delete the refused image", G, Admin, "DELETE", "/v2/images/{qcow2}"),
        case("upload to unknown image", G, Admin, "PUT", "/v2/images/00000000-0000-0000-0000-000000000000/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload by another project", G, Demo, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload raw with matching size header", G, Admin, "PUT", "/v2/images/{raw}/file")
            .header("x-openstack-image-size", raw.len().to_string())
            .bytes("application/octet-stream", raw.clone()),
        case("show after upload", G, Admin, "GET", "/v2/images/{raw}"),
        case("upload again (active)", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        // the three-part image; aki/ari/ami are not inspected
        case("create aki", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-kernel", "disk_format": "aki", "container_format": "aki"}))
            .capture("aki", "/id"),
        case("upload aki, chunked", G, Admin, "PUT", "/v2/images/{aki}/file")
            .chunked("application/octet-stream", small.clone()),
        case("create ari", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-ramdisk", "disk_format": "ari", "container_format": "ari"}))
            .capture("ari", "/id"),
        case("upload ari", G, Admin, "PUT", "/v2/images/{ari}/file")
            .bytes("application/octet-stream", small.clone()),
        case("create ami with kernel_id and ramdisk_id", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-machine", "disk_format": "ami", "container_format": "ami",
                "kernel_id": "{aki}", "ramdisk_id": "{ari}"}))
            .capture("ami", "/id"),
        case("upload ami", G, Admin, "PUT", "/v2/images/{ami}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("show ami", G, Admin, "GET", "/v2/images/{ami}"),
        // download
        case("download", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("download range", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=0-9"),
        case("download range unsatisfiable", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=100000-200000"),
        case("download by another project", G, Demo, "GET", "/v2/images/{raw}/file"),
        // list filters, sorting, paging and errors
        case("list limit 1", G, Admin, "GET", "/v2/images?limit=1")
            .capture("next", "/next"),
        case("list next page", G, Admin, "GET", "{next}"),
        case("list by name", G, Admin, "GET", "/v2/images?name=diff-raw-2"),
        case("list by status", G, Admin, "GET", "/v2/images?status=active"),
        case("list by disk_format", G, Admin, "GET", "/v2/images?disk_format=aki"),
        case("list by container_format", G, Admin, "GET", "/v2/images?container_format=bare"),
        case("list by tag", G, Admin, "GET", "/v2/images?tag=red"),
        case("list by two tags", G, Admin, "GET", "/v2/images?tag=red&tag=green"),
        case("list hidden", G, Admin, "GET", "/v2/images?os_hidden=true"),
        case("list protected=false", G, Admin, "GET", "/v2/images?protected=false"),
        case("list by owner", G, Admin, "GET", "/v2/images?owner={admin_project}"),
        case("list visibility=all", G, Admin, "GET", "/v2/images?visibility=all"),
        case("list visibility=community", G, Demo, "GET", "/v2/images?visibility=community"),
        case("list visibility=private", G, Admin, "GET", "/v2/images?visibility=private"),
        case("list as member", G, Demo, "GET", "/v2/images"),
        case("list sort=name:asc", G, Admin, "GET", "/v2/images?sort=name:asc,created_at"),
        case("list sort_key + sort_dir", G, Admin, "GET", "/v2/images?sort_key=name&sort_dir=asc&sort_key=size"),
        case("list unknown sort_key", G, Admin, "GET", "/v2/images?sort_key=colour"),
        case("list unknown marker", G, Admin, "GET", "/v2/images?marker=00000000-0000-0000-0000-000000000000"),
        case("list sort_key mixed with sort", G, Admin, "GET", "/v2/images?sort_key=name&sort=name:asc"),
        case("list bad sort_dir", G, Admin, "GET", "/v2/images?sort_dir=sideways"),
        case("list bad visibility", G, Admin, "GET", "/v2/images?visibility=everyone"),
        case("list negative limit", G, Admin, "GET", "/v2/images?limit=-1"),
        case("list limit not a number", G, Admin, "GET", "/v2/images?limit=many"),
        case("list size range", G, Admin, "GET", "/v2/images?size_min=1&size_max=100000"),
        case("list size_min not a number", G, Admin, "GET", "/v2/images?size_min=big"),
        case("list in: names", G, Admin, "GET", "/v2/images?name=in:diff-raw-2,fixed"),
        case("list created_at gt", G, Admin, "GET", "/v2/images?created_at=gt:2000-01-01T00:00:00Z"),
        case("list updated_at lte", G, Admin, "GET", "/v2/images?updated_at=lte:2000-01-01T00:00:00Z"),
        case("list created_at bad operator", G, Admin, "GET", "/v2/images?created_at=soon:2000-01-01T00:00:00Z"),
        // members
        case("members of a private image", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("make it shared", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/visibility", "value": "shared"}])),
        case("add member", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("add member twice", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("add member without a body key", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"project": "{demo_project}"})),
        case("list members", G, Admin, "GET", "/v2/images/{raw}/members"),
        case("show member", G, Admin, "GET", "/v2/images/{raw}/members/{demo_project}"),
        case("show unknown member", G, Admin, "GET", "/v2/images/{raw}/members/no-such-project"),
        case("member list: pending", G, Demo, "GET", "/v2/images?member_status=pending"),
        case("member accepts", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "accepted"})),
        case("member list: accepted", G, Demo, "GET", "/v2/images?member_status=accepted&visibility=shared"),
        case("member sees shared image", G, Demo, "GET", "/v2/images/{raw}"),
        case("bad member status", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "maybe"})),
        case("owner cannot accept for the member", G, Admin, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "accepted"})),
        case("remove member", G, Admin, "DELETE", "/v2/images/{raw}/members/{demo_project}"),
        case("remove member again", G, Admin, "DELETE", "/v2/images/{raw}/members/{demo_project}"),
        // deactivate / reactivate
        case("deactivate", G, Admin, "POST", "/v2/images/{raw}/actions/deactivate"),
        case("show deactivated", G, Admin, "GET", "/v2/images/{raw}"),
        case("download deactivated", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("reactivate", G, Admin, "POST", "/v2/images/{raw}/actions/reactivate"),
        case("deactivate a queued image", G, Admin, "POST", "/v2/images/{noformat}/actions/deactivate"),
        case("reactivate a queued image", G, Admin, "POST", "/v2/images/{noformat}/actions/reactivate"),
        case("deactivate by a member", G, Demo, "POST", "/v2/images/{raw}/actions/deactivate"),
        // stage + import
        case("import methods header on create", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-import", "disk_format": "raw", "container_format": "bare"}))
            .capture("imp", "/id"),
        case("import before staging", G, Admin, "POST", "/v2/images/{imp}/import")
            .json(json!({"method": {"name": "glance-direct"}})),
        case("stage: wrong content type", G, Admin, "PUT", "/v2/images/{imp}/stage")
            .bytes("text/plain", raw.clone()),
        case("stage", G, Admin, "PUT", "/v2/images/{imp}/stage")
            .bytes("application/octet-stream", raw.clone()),
        case("import glance-direct", G, Admin, "POST", "/v2/images/{imp}/import")
            .json(json!({"method": {"name": "glance-direct"}})),
        // Glance 33 marks the image active a moment before its task drops the
        // os_glance_import_task property: wait for both.
        case("imported image becomes active", G, Admin, "GET", "/v2/images/{imp}")
            .until_settled("/status", "active", "/os_glance_import_task"),
        case("download imported image", G, Admin, "GET", "/v2/images/{imp}/file"),
        case("import unknown method", G, Admin, "POST", "/v2/images/{noformat}/import")
            .json(json!({"method": {"name": "teleport"}})),
        case("stage on an active image", G, Admin, "PUT", "/v2/images/{raw}/stage")
            .bytes("application/octet-stream", raw.clone()),
        // protected and delete
        case("protect", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/protected", "value": true}])),
        case("delete protected", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("unprotect", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/protected", "value": false}])),
        case("delete by another project", G, Demo, "DELETE", "/v2/images/{raw}"),
        case("delete", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("delete again", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("show deleted", G, Admin, "GET", "/v2/images/{raw}"),
        case("delete own community image", G, Demo, "DELETE", "/v2/images/{demo_img}"),
    ]
}

/// An ssh public key for keypair imports (a throwaway, made for these cases).
const PUBLIC_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMXg8AUacIUV+IZzn61mr2NWYAjwHYarH8f3XTA3l7M5 diff@ferrostack";

/// The compute cases (`cargo xtask conformance --with-nova`): discovery and microversions,
/// flavors, keypairs, a server's whole life (create, show, list, actions, console output,
/// remote console, metadata, delete), limits and availability zones, good and bad inputs.
/// The image they boot is made in Glance by the first cases. Both backends have the same
/// flavors (real Nova gets the mock's m1.* set made for it).
pub fn compute_cases() -> Vec<Case> {
    use Svc::{Compute as C, Image as G};
    use Who::{Admin, Bogus, Demo, Nobody};
    let raw: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    let boot = |name: &str, networks: Value| {
        json!({"server": {"name": name, "imageRef": "{boot_img}", "flavorRef": "1",
            "networks": networks}})
    };
    vec![
        // the image to boot, made in Glance
        case("boot image: create", G, Admin, "POST", "/v2/images")
            .json(
                json!({"name": "diff-boot", "disk_format": "raw", "container_format": "bare",
                "visibility": "public"}),
            )
            .capture("boot_img", "/id"),
        case(
            "boot image: upload",
            G,
            Admin,
            "PUT",
            "/v2/images/{boot_img}/file",
        )
        .bytes("application/octet-stream", raw.clone()),
        case("queued image to refuse", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-queued", "disk_format": "raw", "container_format": "bare"}))
            .capture("queued_img", "/id"),
        // discovery and microversions
        case("compute root", C, Nobody, "GET", "/"),
        case("compute v2.1", C, Nobody, "GET", "/v2.1"),
        case("compute v2.1/", C, Nobody, "GET", "/v2.1/"),
        case("flavors without token", C, Nobody, "GET", "/v2.1/flavors"),
        case("flavors with bogus token", C, Bogus, "GET", "/v2.1/flavors"),
        case(
            "flavors (no microversion: 2.1)",
            C,
            Admin,
            "GET",
            "/v2.1/flavors",
        ),
        case("flavors at 2.55", C, Admin, "GET", "/v2.1/flavors/detail").microversion("2.55"),
        // `latest` differs by design: the mock's newest microversion is 2.96, Nova 34's 2.104
        // (2.102 drops two flavor fields). Both are asked for the mock's newest by number.
        case("flavors at 2.96", C, Admin, "GET", "/v2.1/flavors/detail").microversion("2.96"),
        case("limits at latest", C, Admin, "GET", "/v2.1/limits").microversion("latest"),
        case("microversion too new", C, Admin, "GET", "/v2.1/flavors").microversion("2.999"),
        case("microversion malformed", C, Admin, "GET", "/v2.1/flavors").microversion("two"),
        case(
            "legacy microversion header",
            C,
            Admin,
            "GET",
            "/v2.1/flavors",
        )
        .header("X-OpenStack-Nova-API-Version", "2.10"),
        // flavors
        case("flavors detail", C, Admin, "GET", "/v2.1/flavors/detail"),
        case("flavors page", C, Admin, "GET", "/v2.1/flavors?limit=2"),
        case(
            "flavors after marker",
            C,
            Admin,
            "GET",
            "/v2.1/flavors?limit=2&marker=1",
        ),
        case(
            "flavors bad marker",
            C,
            Admin,
            "GET",
            "/v2.1/flavors?marker=nope",
        ),
        case("flavor show", C, Admin, "GET", "/v2.1/flavors/1"),
        case("flavor show at 2.61", C, Admin, "GET", "/v2.1/flavors/1").microversion("2.61"),
        case("flavor unknown", C, Admin, "GET", "/v2.1/flavors/nope"),
        case("flavors as member", C, Demo, "GET", "/v2.1/flavors"),
        // keypairs
        case(
            "keypair generate (2.1)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .json(json!({"keypair": {"name": "diff-generated"}})),
        case("keypair import", C, Admin, "POST", "/v2.1/os-keypairs")
            .microversion("2.2")
            .json(json!({"keypair": {"name": "diff-imported", "public_key": PUBLIC_KEY}})),
        case(
            "keypair generate refused (2.92)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .microversion("2.92")
        .json(json!({"keypair": {"name": "diff-nokey"}})),
        case(
            "keypair import (2.92)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .microversion("2.92")
        .json(json!({"keypair": {"name": "diff-92", "public_key": PUBLIC_KEY}})),
        case("keypair duplicate", C, Admin, "POST", "/v2.1/os-keypairs")
            .json(json!({"keypair": {"name": "diff-imported", "public_key": PUBLIC_KEY}})),
        case("keypair bad name", C, Admin, "POST", "/v2.1/os-keypairs")
            .json(json!({"keypair": {"name": "no/slashes", "public_key": PUBLIC_KEY}})),
        case(
            "keypair bad public key",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .json(json!({"keypair": {"name": "diff-bad", "public_key": "ssh-rsa nonsense"}})),
        case("keypair bad type", C, Admin, "POST", "/v2.1/os-keypairs")
            .microversion("2.2")
            .json(
                json!({"keypair": {"name": "diff-type", "public_key": PUBLIC_KEY, "type": "pgp"}}),
            ),
        case("keypairs list", C, Admin, "GET", "/v2.1/os-keypairs"),
        case(
            "keypairs list at 2.35",
            C,
            Admin,
            "GET",
            "/v2.1/os-keypairs?limit=1",
        )
        .microversion("2.35"),
        case(
            "keypair show",
            C,
            Admin,
            "GET",
            "/v2.1/os-keypairs/diff-imported",
        )
        .microversion("2.2"),
        case(
            "keypair of another user",
            C,
            Demo,
            "GET",
            "/v2.1/os-keypairs/diff-imported",
        ),
        case(
            "keypair delete (2.1: 202)",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-generated",
        ),
        case(
            "keypair delete (2.2: 204)",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-92",
        )
        .microversion("2.2"),
        case(
            "keypair delete again",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-92",
        ),
        // servers: refused creations
        case(
            "server: networks required (2.37)",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1"}})),
        case("server: unknown image", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "x", "imageRef": "00000000-0000-0000-0000-000000000000",
                "flavorRef": "1", "networks": "none"}}),
            ),
        case(
            "server: image not active",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{queued_img}", "flavorRef": "1",
                "networks": "none"}}),
        ),
        case("server: unknown flavor", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "nope",
                "networks": "none"}}),
            ),
        case("server: no name", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"imageRef": "{boot_img}", "flavorRef": "1", "networks": "none"}}),
            ),
        case(
            "server: bad networks value",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(boot("x", json!("everywhere"))),
        case(
            "server: unknown key name",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "key_name": "no-such-key"}}),
        ),
        case(
            "server: user_data not base64",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "user_data": "not base64!"}}),
        ),
        case(
            "server: body not an object",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(json!(["server"])),
        // a server's life
        case("server create", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "diff-server", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "key_name": "diff-imported", "metadata": {"purpose": "diff"},
                "user_data": "IyEvYmluL3NoCmVjaG8gaGkK"}}),
            )
            .capture("srv", "/server/id"),
        case(
            "server becomes ACTIVE",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case("server show (2.1)", C, Admin, "GET", "/v2.1/servers/{srv}"),
        case(
            "server show (2.47: flavor embedded)",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .microversion("2.47"),
        case("server show (2.96)", C, Admin, "GET", "/v2.1/servers/{srv}").microversion("2.96"),
        case(
            "server show by its owner (2.96)",
            C,
            Admin,
            "GET",
            "/v2.1/servers/detail",
        )
        .microversion("2.96"),
        case(
            "server of another project",
            C,
            Demo,
            "GET",
            "/v2.1/servers/{srv}",
        ),
        case(
            "server unknown",
            C,
            Admin,
            "GET",
            "/v2.1/servers/00000000-0000-0000-0000-000000000000",
        ),
        case("servers list", C, Admin, "GET", "/v2.1/servers"),
        case("servers detail", C, Admin, "GET", "/v2.1/servers/detail"),
        case(
            "servers by name",
            C,
            Admin,
            "GET",
            "/v2.1/servers/detail?name=diff-server",
        ),
        case(
            "servers by status",
            C,
            Admin,
            "GET",
            "/v2.1/servers?status=ACTIVE",
        ),
        case(
            "servers bad status",
            C,
            Admin,
            "GET",
            "/v2.1/servers?status=SLEEPY",
        ),
        case("servers page", C, Admin, "GET", "/v2.1/servers?limit=1"),
        case(
            "servers bad marker",
            C,
            Admin,
            "GET",
            "/v2.1/servers?marker=nope",
        ),
        case("servers as member", C, Demo, "GET", "/v2.1/servers"),
        case(
            "servers all_tenants as member",
            C,
            Demo,
            "GET",
            "/v2.1/servers?all_tenants=1",
        ),
        case("server rename", C, Admin, "PUT", "/v2.1/servers/{srv}")
            .json(json!({"server": {"name": "diff-server-2"}})),
        case(
            "server rename (2.75: whole server)",
            C,
            Admin,
            "PUT",
            "/v2.1/servers/{srv}",
        )
        .microversion("2.75")
        .json(json!({"server": {"name": "diff-server-3"}})),
        // metadata
        case(
            "metadata list",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata",
        ),
        case(
            "metadata add",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/metadata",
        )
        .json(json!({"metadata": {"colour": "blue"}})),
        case(
            "metadata item",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata/colour",
        ),
        case(
            "metadata item missing",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata/nope",
        ),
        case(
            "metadata item delete",
            C,
            Admin,
            "DELETE",
            "/v2.1/servers/{srv}/metadata/colour",
        ),
        // actions
        case(
            "console output",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getConsoleOutput": {"length": 10}})),
        case(
            "console output, bad length",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getConsoleOutput": {"length": "lots"}})),
        case(
            "start an ACTIVE server",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-start": null})),
        case("stop", C, Admin, "POST", "/v2.1/servers/{srv}/action").json(json!({"os-stop": null})),
        case(
            "server becomes SHUTOFF",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "SHUTOFF"),
        case(
            "stop a SHUTOFF server",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-stop": null})),
        case("start", C, Admin, "POST", "/v2.1/servers/{srv}/action")
            .json(json!({"os-start": null})),
        case(
            "server ACTIVE again",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case(
            "reboot soft",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"reboot": {"type": "SOFT"}})),
        case(
            "server ACTIVE after reboot",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case(
            "reboot bad type",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"reboot": {"type": "GENTLE"}})),
        case(
            "unknown action",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-levitate": null})),
        case(
            "action by another project",
            C,
            Demo,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-stop": null})),
        // consoles
        case(
            "remote console (2.6)",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .microversion("2.6")
        .json(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        case(
            "remote console bad protocol",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .microversion("2.6")
        .json(json!({"remote_console": {"protocol": "telnet", "type": "novnc"}})),
        case(
            "remote console before 2.6",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .json(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        case(
            "legacy VNC console action",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getVNCConsole": {"type": "novnc"}})),
        // limits and zones
        case("limits", C, Admin, "GET", "/v2.1/limits"),
        case("limits at 2.57", C, Admin, "GET", "/v2.1/limits").microversion("2.57"),
        case(
            "availability zones",
            C,
            Admin,
            "GET",
            "/v2.1/os-availability-zone",
        ),
        // delete
        case(
            "server delete by another project",
            C,
            Demo,
            "DELETE",
            "/v2.1/servers/{srv}",
        ),
        case("server delete", C, Admin, "DELETE", "/v2.1/servers/{srv}"),
        case(
            "deleted server goes away",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until_status(404),
        case(
            "server delete again",
            C,
            Admin,
            "DELETE",
            "/v2.1/servers/{srv}",
        ),
        case(
            "keypair cleanup",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-imported",
        ),
    ]
}
