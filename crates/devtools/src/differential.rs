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

mod compute;
mod hostile;
mod identity;
mod image;
mod network;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The compute cases (`cargo xtask conformance --nova`), the hostile corpus's included.
pub fn compute_cases() -> Result<Vec<Case>> {
    let mut cases = compute::compute_cases();
    cases.extend(hostile::cases("compute")?);
    Ok(cases)
}

/// The network cases (`cargo xtask conformance --with-neutron`).
pub fn network_cases() -> Vec<Case> {
    network::cases()
}

/// Which service a case addresses.
#[derive(Clone, Copy, Debug)]
pub enum Svc {
    Identity,
    Image,
    /// Nova, from its unversioned root (so `/` is its version list, calls are `/v2.1/...`).
    Compute,
    /// Neutron, from its unversioned root (so `/` is its version list, calls are `/v2.0/...`).
    Network,
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
    pub name: String,
    pub svc: Svc,
    pub who: Who,
    pub method: String,
    /// The path under the service root; `{var}` is replaced by an earlier capture.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// (variable, where) to remember for later cases: a JSON pointer into the answer, or
    /// `header:NAME` for a response header.
    pub captures: Vec<(String, String)>,
    /// A documented, deliberate difference from the real service.
    pub deliberate: Option<Deliberate>,
    /// Repeat the request until this holds (an asynchronous task on the real service), up to
    /// [`UNTIL_DEADLINE`].
    pub until: Option<Until>,
    /// The status the real service is known to answer (the hostile corpus's): the real
    /// answer differing from it is a difference too, so the corpus cannot go stale.
    pub expect: Option<u16>,
    /// Values compared beyond the key structure (see [`compared`]): which resources a list
    /// holds, in which order, and the like.
    pub compare: Vec<&'static str>,
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
    /// Whether the compared values ([`Case::compare`]) differ on purpose.
    pub values: bool,
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
    /// Bytes as given, with only the case's own headers (a malformed or mistyped body).
    Raw(Vec<u8>),
}

/// One backend: where its services live and the tokens to use.
pub struct Backend {
    pub name: &'static str,
    pub identity: String,
    pub image: String,
    /// Nova's unversioned root, when the backend has a compute service.
    pub compute: Option<String>,
    /// Neutron's unversioned root, when the backend has a network service.
    pub network: Option<String>,
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
            network: None,
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

    /// The backend with a network service at `root` (Neutron's unversioned root).
    pub fn with_network(mut self, root: String) -> Self {
        self.network = Some(root);
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
    /// Neutron's error type (`NeutronError.type`), when the answer is a Neutron error.
    error_type: Option<String>,
    /// The case's compared values, in the order of [`Case::compare`].
    values: Vec<String>,
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
/// nested objects (`image.name`, `token.catalog`), and of the first element of arrays, or
/// with `every_item` of all its elements (Neutron lists in id order, so which resource comes
/// first differs between backends, and some attributes only some resources carry).
fn key_paths(value: &Value, every_item: bool) -> Vec<String> {
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
                    let taken = if every_item { items.len() } else { 1 };
                    for item in items.iter().take(taken) {
                        if let Value::Object(inner) = item {
                            for ik in inner.keys() {
                                out.insert(format!("{k}[].{ik}"));
                            }
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
        Svc::Network => backend
            .network
            .as_ref()
            .with_context(|| format!("{} has no network service", backend.name))?,
    };
    let url = format!("{root}{}", substitute(&case.path, &backend.vars));
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
        req = req.header(k.as_str(), substitute(v, &backend.vars));
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
        Body::Raw(bytes) => req.body(bytes.clone()),
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
            backend.vars.insert(var.clone(), found);
        }
    }
    let every_item = matches!(case.svc, Svc::Network);
    let keys = json
        .as_ref()
        .map(|v| key_paths(v, every_item))
        .unwrap_or_default();
    let error_type = json
        .as_ref()
        .and_then(|v| v.pointer("/NeutronError/type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Ids differ between the backends: a captured one reads as its name (`{subnet}`).
    let values = case
        .compare
        .iter()
        .map(|spec| {
            let mut value = compared(json.as_ref(), spec);
            for (var, captured) in &backend.vars {
                value = value.replace(captured.as_str(), &format!("{{{var}}}"));
            }
            value
        })
        .collect();
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
            error_type,
            values,
        },
        text,
    ))
}

/// One compared value of an answer: for `/list[].field`, the values of `field` in the
/// items of the array at JSON pointer `/list`, sorted (which items, whatever their order);
/// for `/list[*].field` the same in the answer's order; otherwise the value at a JSON
/// pointer. Absent values show as `-`.
fn compared(json: Option<&Value>, spec: &str) -> String {
    let Some(json) = json else {
        return "(no JSON)".to_owned();
    };
    let ordered = spec.contains("[*].");
    match spec.split_once("[].").or_else(|| spec.split_once("[*].")) {
        Some((list, field)) => {
            let mut items: Vec<String> = json
                .pointer(list)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|item| item.get(field).map_or("-".to_owned(), Value::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if !ordered {
                items.sort();
            }
            format!("[{}]", items.join(", "))
        }
        None => json.pointer(spec).map_or("-".to_owned(), Value::to_string),
    }
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
    pub name: String,
    pub real: u16,
    pub mock: u16,
    /// What differs, with both answers; `None` when the case passes.
    pub difference: Option<String>,
    /// The reason, when the case passed only because its difference is a deliberate one.
    pub deliberate: Option<&'static str>,
}

/// Sends every case to both backends; returns one row per case.
pub fn run(cases: &[Case], real: &mut Backend, mock: &mut Backend) -> Result<Vec<Row>> {
    // A fresh connection for every case: a hostile case can make a real service close its
    // side after answering (gunicorn after an oversized body), and a pooled connection
    // would then fail the next, innocent case.
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()?;
    let mut rows = Vec::new();
    for case in cases {
        let (r, r_text) = send_until(&http, real, case)?;
        let (m, m_text) = send_until(&http, mock, case)?;
        let mut diffs = Vec::new();
        if r.status != m.status {
            diffs.push(format!("status {} vs {}", r.status, m.status));
        }
        if let Some(expected) = case.expect.filter(|e| *e != r.status) {
            diffs.push(format!(
                "the hostile corpus expects {expected}, the real service answers {}",
                r.status
            ));
        }
        let rk: BTreeSet<&str> = r.keys.iter().map(String::as_str).collect();
        let mk: BTreeSet<&str> = m.keys.iter().map(String::as_str).collect();
        let only_real: BTreeSet<&str> = rk.difference(&mk).copied().collect();
        let only_mock: BTreeSet<&str> = mk.difference(&rk).copied().collect();
        let value_diffs: Vec<String> = case
            .compare
            .iter()
            .zip(&r.values)
            .zip(&m.values)
            .filter(|((_, rv), mv)| rv != mv)
            .map(|((spec, rv), mv)| format!("{spec}: {rv} vs {mv}"))
            .collect();
        let mut deliberate = None;
        match case.deliberate {
            Some(d)
                if only_mock.is_empty()
                    && only_real == d.real_only_keys.iter().copied().collect()
                    && d.values != value_diffs.is_empty() =>
            {
                deliberate = Some(d.reason);
            }
            Some(d) => diffs.push(format!(
                "expected the deliberate difference (keys only in real: {:?}{}), found keys only \
                 in real: {only_real:?}, only in mock: {only_mock:?}, values differing: {}; if \
                 real and mock now agree, drop the mark here and in the mock's module docs",
                d.real_only_keys,
                if d.values { ", values" } else { "" },
                value_diffs.len()
            )),
            None if !only_real.is_empty() || !only_mock.is_empty() => diffs.push(format!(
                "JSON keys only in real: {only_real:?}; only in mock: {only_mock:?}"
            )),
            None => {}
        }
        if r.headers != m.headers {
            diffs.push(format!("headers {:?} vs {:?}", r.headers, m.headers));
        }
        if r.error_type != m.error_type {
            diffs.push(format!(
                "error type {:?} vs {:?}",
                r.error_type, m.error_type
            ));
        }
        if !(deliberate.is_some() && case.deliberate.is_some_and(|d| d.values)) {
            diffs.extend(value_diffs);
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
            name: case.name.clone(),
            real: r.status,
            mock: m.status,
            deliberate: deliberate.filter(|_| difference.is_none()),
            difference,
        });
    }
    let deliberate: Vec<_> = rows
        .iter()
        .filter_map(|r| Some((r.name.as_str(), r.deliberate?)))
        .collect();
    if !deliberate.is_empty() {
        eprintln!("\ndeliberate differences (documented, not failures):");
        for (name, reason) in deliberate {
            eprintln!("  {name}: {reason}");
        }
    }
    Ok(rows)
}

/// Prints the rows of a service's cases as a `case | real | mock` table (`label` names
/// the service), then every difference with both answers; returns how many differ.
pub fn print_rows(label: &str, rows: &[Row]) -> usize {
    println!("\n| {label} case | real | mock | |\n|---|---|---|---|");
    for row in rows {
        let mark = match (&row.difference, row.deliberate) {
            (Some(_), _) => "DIFFERS",
            (None, Some(_)) => "deliberate",
            (None, None) => "ok",
        };
        println!("| {} | {} | {} | {mark} |", row.name, row.real, row.mock);
    }
    let differing: Vec<_> = rows.iter().filter(|r| r.difference.is_some()).collect();
    for row in &differing {
        println!(
            "\n{}: {}",
            row.name,
            row.difference.as_deref().unwrap_or_default()
        );
    }
    differing.len()
}

fn case(name: &str, svc: Svc, who: Who, method: &str, path: &str) -> Case {
    Case {
        name: name.to_owned(),
        svc,
        who,
        method: method.to_owned(),
        path: path.to_owned(),
        headers: Vec::new(),
        body: Body::None,
        captures: Vec::new(),
        deliberate: None,
        until: None,
        expect: None,
        compare: Vec::new(),
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
    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
    fn chunked(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.body = Body::Chunked(content_type, bytes);
        self
    }
    /// Remembers a value of the answer as `{var}`: `source` is a JSON pointer or `header:NAME`.
    fn capture(mut self, var: &str, source: &str) -> Self {
        self.captures.push((var.to_owned(), source.to_owned()));
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
    /// Compares a value of the answers beyond their key structure (see [`compared`]).
    fn compare(mut self, spec: &'static str) -> Self {
        self.compare.push(spec);
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
            values: false,
            reason,
        });
        self
    }
    /// Marks a documented difference in the compared values ([`Case::compare`]), for `reason`.
    fn deliberate_values(mut self, reason: &'static str) -> Self {
        self.deliberate = Some(Deliberate {
            real_only_keys: &[],
            values: true,
            reason,
        });
        self
    }
}

const PATCH: &str = "application/openstack-images-v2.1-json-patch";

/// 4 KiB of bytes that are no image format (the upload cases' data).
fn raw_bytes() -> Vec<u8> {
    (0..4096u32).map(|i| (i * 7 % 256) as u8).collect()
}

fn password_auth(user: &str, password: &str, scope: Value) -> Value {
    let mut auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}});
    if !scope.is_null() {
        auth["auth"]["scope"] = scope;
    }
    auth
}

/// The identity and image cases (`cargo xtask conformance`), in order: the calls of WIRE.md
/// with good and bad inputs, then the hostile corpus's. `admin_password` is the
/// backend-independent password of `admin` (both backends are seeded with it).
pub fn cases(admin_password: &str) -> Result<Vec<Case>> {
    let mut cases = identity::cases(admin_password);
    cases.extend(image::cases());
    cases.extend(hostile::cases("identity")?);
    cases.extend(hostile::cases("image")?);
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_values_are_sorted_ordered_or_pointed_at() {
        let answer = json!({"networks": [{"name": "b"}, {"name": "a"}, {}], "count": 3});
        assert_eq!(
            compared(Some(&answer), "/networks[].name"),
            r#"["a", "b", -]"#
        );
        assert_eq!(
            compared(Some(&answer), "/networks[*].name"),
            r#"["b", "a", -]"#
        );
        assert_eq!(compared(Some(&answer), "/count"), "3");
        assert_eq!(compared(Some(&answer), "/missing"), "-");
        assert_eq!(compared(None, "/count"), "(no JSON)");
    }

    #[test]
    fn every_item_takes_the_keys_of_all_list_elements() {
        let answer = json!({"networks": [{"id": 1}, {"id": 2, "is_default": false}]});
        assert_eq!(key_paths(&answer, false), ["networks", "networks[].id"]);
        assert_eq!(
            key_paths(&answer, true),
            ["networks", "networks[].id", "networks[].is_default"]
        );
    }
}
