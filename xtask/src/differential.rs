//! The differential check: the same raw HTTP requests sent to real Keystone + Glance and to
//! the mock cloud; status codes, JSON key sets and key headers compared. Every difference is
//! printed with both answers and fails the check.
//!
//! Cases run in order and may capture values (an image id) for later cases; each backend
//! keeps its own captures, since ids differ.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// Which service a case addresses.
#[derive(Clone, Copy, Debug)]
pub enum Svc {
    Identity,
    Image,
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
    /// (variable, JSON pointer into the answer) to remember for later cases.
    pub capture: Option<(&'static str, &'static str)>,
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
}

/// One backend: where its services live and the tokens to use.
pub struct Backend {
    pub name: &'static str,
    pub identity: String,
    pub image: String,
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
        Self {
            name,
            identity,
            image,
            admin_token,
            demo_token,
            vars: BTreeMap::new(),
        }
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
        let v = v
            .replace("{admin_token}", &backend.admin_token)
            .replace("{demo_token}", &backend.demo_token);
        req = req.header(*k, substitute(&v, &backend.vars));
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
    let text = resp.text().unwrap_or_default();
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if let (Some((var, pointer)), Some(v)) = (case.capture, &json)
        && let Some(found) = v.pointer(pointer).and_then(Value::as_str)
    {
        backend.vars.insert(var.to_owned(), found.to_owned());
    }
    let keys = json.as_ref().map(key_paths).unwrap_or_default();
    let shown = if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text
    };
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
        shown,
    ))
}

/// A row of the report.
pub struct Row {
    pub name: &'static str,
    pub real: u16,
    pub mock: u16,
    pub difference: Option<String>,
}

/// Sends every case to both backends; returns one row per case.
pub fn run(cases: &[Case], real: &mut Backend, mock: &mut Backend) -> Result<Vec<Row>> {
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut rows = Vec::new();
    for case in cases {
        let (r, r_text) = send(&http, real, case)?;
        let (m, m_text) = send(&http, mock, case)?;
        let mut diffs = Vec::new();
        if r.status != m.status {
            diffs.push(format!("status {} vs {}", r.status, m.status));
        }
        if r.keys != m.keys {
            let rk: BTreeSet<_> = r.keys.iter().collect();
            let mk: BTreeSet<_> = m.keys.iter().collect();
            let only_real: Vec<_> = rk.difference(&mk).collect();
            let only_mock: Vec<_> = mk.difference(&rk).collect();
            diffs.push(format!(
                "JSON keys only in real: {only_real:?}; only in mock: {only_mock:?}"
            ));
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
                "{}\n      real: {r_text}\n      mock: {m_text}",
                diffs.join("; ")
            )
        });
        rows.push(Row {
            name: case.name,
            real: r.status,
            mock: m.status,
            difference,
        });
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
        capture: None,
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
    fn capture(mut self, var: &'static str, pointer: &'static str) -> Self {
        self.capture = Some((var, pointer));
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

/// The cases: the calls of WIRE.md with good and bad inputs. `admin_password` is the
/// backend-independent password of `admin` (both backends are seeded with it).
pub fn cases(admin_password: &str) -> Vec<Case> {
    use Svc::{Identity as I, Image as G};
    use Who::{Admin, Bogus, Demo, Nobody};
    let project_admin = json!({"project": {"name": "admin", "domain": {"id": "default"}}});
    let raw: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    vec![
        // Keystone: discovery and tokens
        case("identity root", I, Nobody, "GET", "/"),
        case("identity v3", I, Nobody, "GET", "/v3"),
        case("token: password, project scope", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, project_admin.clone())),
        case("token: password, unscoped", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, Value::Null)),
        case("token: password, system scope", I, Nobody, "POST", "/v3/auth/tokens")
            .json(password_auth("admin", admin_password, json!({"system": {"all": true}}))),
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
        case("token: empty body", I, Nobody, "POST", "/v3/auth/tokens").json(json!({})),
        case("token: nocatalog", I, Nobody, "POST", "/v3/auth/tokens?nocatalog")
            .json(password_auth("admin", admin_password, project_admin.clone())),
        case("token validate (self)", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("token check (self)", I, Admin, "HEAD", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("token validate: bogus subject", I, Admin, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "not-a-token"),
        case("token validate: no caller token", I, Nobody, "GET", "/v3/auth/tokens")
            .header("X-Subject-Token", "{admin_token}"),
        case("catalog", I, Admin, "GET", "/v3/auth/catalog"),
        case("catalog without token", I, Nobody, "GET", "/v3/auth/catalog"),
        case("catalog with bogus token", I, Bogus, "GET", "/v3/auth/catalog"),
        case("my projects", I, Admin, "GET", "/v3/auth/projects"),
        case("projects by name", I, Admin, "GET", "/v3/projects?name=demo")
            .capture("demo_project", "/projects/0/id"),
        // Glance: discovery and listing
        case("image root", G, Nobody, "GET", "/"),
        case("image list (empty)", G, Admin, "GET", "/v2/images"),
        case("image list without token", G, Nobody, "GET", "/v2/images"),
        case("image list with bogus token", G, Bogus, "GET", "/v2/images"),
        case("image schema", G, Admin, "GET", "/v2/schemas/image"),
        case("images schema", G, Admin, "GET", "/v2/schemas/images"),
        case("import info", G, Admin, "GET", "/v2/info/import"),
        // create
        case("create raw", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-raw", "disk_format": "raw", "container_format": "bare", "visibility": "private"}))
            .capture("raw", "/id"),
        case("create with fixed id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "fixed", "disk_format": "raw", "container_format": "bare"})),
        case("create duplicate id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "dup"})),
        case("create with self (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "self": "/v2/images/x"})),
        case("create with location (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "location": "http://example.invalid/x"})),
        case("create with os_glance key (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "os_glance_foo": "bar"})),
        case("create with 256-char key", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "k".repeat(256): "v"})),
        case("create with bad disk_format", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "disk_format": "floppy"})),
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
        // show
        case("show", G, Admin, "GET", "/v2/images/{raw}"),
        case("show unknown uuid", G, Admin, "GET", "/v2/images/00000000-0000-0000-0000-000000000000"),
        case("show non-uuid", G, Admin, "GET", "/v2/images/not-a-uuid"),
        case("show other project's private image", G, Demo, "GET", "/v2/images/{raw}"),
        case("download with no data", G, Admin, "GET", "/v2/images/{raw}/file"),
        // patch
        case("patch: wrong content type", G, Admin, "PATCH", "/v2/images/{raw}")
            .json(json!([{"op": "replace", "path": "/name", "value": "y"}])),
        case("patch: replace name", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "diff-raw-2"}])),
        case("patch: add property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_distro", "value": "cirros"}])),
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
        case("patch: unknown op", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "frobnicate", "path": "/name", "value": "x"}])),
        case("patch by another project", G, Demo, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "mine"}])),
        // tags
        case("tag add", G, Admin, "PUT", "/v2/images/{raw}/tags/blue"),
        case("tag remove", G, Admin, "DELETE", "/v2/images/{raw}/tags/blue"),
        case("tag remove missing", G, Admin, "DELETE", "/v2/images/{raw}/tags/never"),
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
        case("qcow2 image is queued again", G, Admin, "GET", "/v2/images/{qcow2}"),
        case("upload raw", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("show after upload", G, Admin, "GET", "/v2/images/{raw}"),
        case("upload again (active)", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        // download
        case("download", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("download range", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=0-9"),
        case("download range unsatisfiable", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=100000-200000"),
        // list filters and errors
        case("list limit 1", G, Admin, "GET", "/v2/images?limit=1"),
        case("list by name", G, Admin, "GET", "/v2/images?name=diff-raw-2"),
        case("list by status", G, Admin, "GET", "/v2/images?status=active"),
        case("list unknown marker", G, Admin, "GET", "/v2/images?marker=00000000-0000-0000-0000-000000000000"),
        case("list sort_key mixed with sort", G, Admin, "GET", "/v2/images?sort_key=name&sort=name:asc"),
        case("list bad sort_dir", G, Admin, "GET", "/v2/images?sort_dir=sideways"),
        case("list bad visibility", G, Admin, "GET", "/v2/images?visibility=everyone"),
        case("list negative limit", G, Admin, "GET", "/v2/images?limit=-1"),
        case("list size range", G, Admin, "GET", "/v2/images?size_min=1&size_max=100000"),
        case("list in: names", G, Admin, "GET", "/v2/images?name=in:diff-raw-2,fixed"),
        case("list created_at gt", G, Admin, "GET", "/v2/images?created_at=gt:2000-01-01T00:00:00Z"),
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
        case("list members", G, Admin, "GET", "/v2/images/{raw}/members"),
        case("show member", G, Admin, "GET", "/v2/images/{raw}/members/{demo_project}"),
        case("member accepts", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "accepted"})),
        case("member sees shared image", G, Demo, "GET", "/v2/images/{raw}"),
        case("bad member status", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "maybe"})),
        case("remove member", G, Admin, "DELETE", "/v2/images/{raw}/members/{demo_project}"),
        // deactivate / reactivate
        case("deactivate", G, Admin, "POST", "/v2/images/{raw}/actions/deactivate"),
        case("show deactivated", G, Admin, "GET", "/v2/images/{raw}"),
        case("reactivate", G, Admin, "POST", "/v2/images/{raw}/actions/reactivate"),
        case("deactivate a queued image", G, Admin, "POST", "/v2/images/{qcow2}/actions/deactivate"),
        // stage + import
        case("import methods header on create", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-import", "disk_format": "raw", "container_format": "bare"}))
            .capture("imp", "/id"),
        case("stage", G, Admin, "PUT", "/v2/images/{imp}/stage")
            .bytes("application/octet-stream", raw.clone()),
        case("import glance-direct", G, Admin, "POST", "/v2/images/{imp}/import")
            .json(json!({"method": {"name": "glance-direct"}})),
        case("import unknown method", G, Admin, "POST", "/v2/images/{noformat}/import")
            .json(json!({"method": {"name": "teleport"}})),
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
    ]
}
