//! The hostile corpus (testdata/hostile, its README says the format): every case sent to an
//! embedded cloud, which must answer the real service's status in the real service's error
//! form, and never a 5xx.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mock_cloud::MockCloud;
use mock_cloud::hostile::{self, CaseBody};
use serde_json::Value;

fn corpus(file: &str) -> Vec<hostile::HostileCase> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hostile")
        .join(file);
    hostile::load(&path).unwrap_or_else(|e| panic!("{e:#}"))
}

fn substitute(template: &str, vars: &BTreeMap<String, String>) -> String {
    vars.iter().fold(template.to_owned(), |text, (k, v)| {
        text.replace(&format!("{{{k}}}"), v)
    })
}

fn root(service: &str) -> &'static str {
    match service {
        "identity" => "/identity",
        "image" => "/image",
        "compute" => "/compute",
        "control" => "/_mock",
        other => panic!("no service {other}"),
    }
}

/// What is wrong with `body` as an error of `form` with `status`, if anything.
fn form_problem(form: &str, status: u16, body: &Value) -> Option<String> {
    let ok = match form {
        "keystone" => {
            body["error"]["code"] == status
                && body["error"]["title"].is_string()
                && body["error"]["message"].is_string()
        }
        "glance" | "webob" => {
            body["code"]
                .as_str()
                .is_some_and(|c| c.starts_with(&format!("{status} ")))
                && body["title"].is_string()
                && body["message"].is_string()
        }
        "nova" => body.as_object().is_some_and(|fields| {
            fields.len() == 1
                && fields
                    .values()
                    .all(|fault| fault["code"] == status && fault["message"].is_string())
        }),
        "control" => body["error"]["code"] == status && body["error"]["message"].is_string(),
        other => return Some(format!("the corpus names no form {other}")),
    };
    (!ok).then(|| format!("not in {form}'s error form"))
}

/// The form a service's errors take by default.
fn default_form(service: &str, status: u16) -> &'static str {
    match (service, status) {
        ("identity", _) => "keystone",
        ("image", _) => "glance",
        // keystonemiddleware answers before Nova does.
        ("compute", 401) => "keystone",
        ("compute", _) => "nova",
        _ => "control",
    }
}

/// Sends one corpus file's cases in order; every failure, named.
async fn run(file: &str) -> Vec<String> {
    let cloud = MockCloud::start().await.unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut vars = BTreeMap::new();
    let mut failures = Vec::new();
    for case in corpus(file) {
        // Fresh tokens for every case: a control-plane reset forgets the earlier ones.
        let admin = cloud.token("admin", "admin").unwrap();
        let demo = cloud.token("demo", "demo").unwrap();
        vars.insert("admin_token".to_owned(), admin.clone());
        vars.insert("demo_token".to_owned(), demo.clone());
        let service = case.service.as_str();
        let url = format!(
            "{}{}{}",
            cloud.base_url(),
            root(service),
            substitute(&case.path, &vars)
        );
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut request = http
            .request(method, &url)
            .header("accept", "application/json");
        let token = match case.who.as_str() {
            "admin" => Some(admin),
            "demo" => Some(demo),
            "nobody" => None,
            "bogus" => Some("gAAAAAB-not-a-token".to_owned()),
            captured => Some(substitute(captured, &vars)),
        };
        if let Some(token) = token {
            request = request.header("x-auth-token", token);
        }
        let mut typed = false;
        for (name, value) in &case.headers {
            typed |= name.eq_ignore_ascii_case("content-type");
            request = request.header(name.as_str(), substitute(value, &vars));
        }
        match &case.body {
            CaseBody::Json(json) => {
                if !typed {
                    request = request.header("content-type", "application/json");
                }
                request = request.body(substitute(&json.to_string(), &vars));
            }
            CaseBody::Text(text) => request = request.body(text.clone()),
            _ => {}
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                failures.push(format!("{file}: {}: no answer: {e}", case.name));
                continue;
            }
        };
        let status = response.status().as_u16();
        let subject = response
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        for (var, source) in &case.capture {
            let found = match source.strip_prefix("header:") {
                Some("x-subject-token") => subject.clone(),
                Some(other) => panic!(
                    "{}: only x-subject-token is captured, not {other}",
                    case.name
                ),
                None => body
                    .pointer(source)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
            match found {
                Some(value) => {
                    vars.insert(var.clone(), value);
                }
                None => failures.push(format!(
                    "{file}: {}: nothing to capture at {source}",
                    case.name
                )),
            }
        }
        let shown: String = text.chars().take(300).collect();
        if status >= 500 {
            failures.push(format!("{file}: {}: {status} {shown}", case.name));
            continue;
        }
        if status != case.expect {
            failures.push(format!(
                "{file}: {}: {status} where the real service answers {}: {shown}",
                case.name, case.expect
            ));
            continue;
        }
        if status >= 400 {
            let form = case
                .form
                .as_deref()
                .unwrap_or(default_form(service, status));
            if let Some(problem) = form_problem(form, status, &body) {
                failures.push(format!("{file}: {}: {problem}: {shown}", case.name));
            }
        }
    }
    failures
}

async fn check(file: &str) {
    let failures = run(file).await;
    assert!(
        failures.is_empty(),
        "{} hostile cases answered unlike the real service:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn keystone_answers_the_hostile_corpus_as_keystone_does() {
    check("identity.yaml").await;
}

#[tokio::test]
async fn glance_answers_the_hostile_corpus_as_glance_does() {
    check("image.yaml").await;
}

#[tokio::test]
async fn nova_answers_the_hostile_corpus_as_nova_does() {
    check("compute.yaml").await;
}

#[tokio::test]
async fn the_control_plane_answers_the_hostile_corpus() {
    check("control.yaml").await;
}
