//! Admin calls to the real Keystone that Nova's and Neutron's set-ups need (service users,
//! endpoints, and calls to the services themselves with the admin token).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::real_cloud::{ADMIN_PASSWORD, RealCloud, issue_token};

/// Admin calls to Keystone (and, with its token, to Nova).
pub struct Keystone {
    http: reqwest::blocking::Client,
    v3: String,
    token: String,
}

impl Keystone {
    pub fn new(cloud: &RealCloud) -> Result<Keystone> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let v3 = format!("{}/v3", cloud.keystone_url);
        let token = issue_token(&http, &v3, "admin", ADMIN_PASSWORD, "admin")?;
        Ok(Keystone { http, v3, token })
    }

    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.v3))
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            bail!("keystone {method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn id_by_name(&self, path: &str, kind: &str) -> Result<String> {
        let listed = self.call(reqwest::Method::GET, path, None)?;
        listed[kind][0]["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("keystone: nothing at {path}"))
    }

    pub fn get_json(&self, url: &str) -> Result<Value> {
        self.send_json(reqwest::Method::GET, url, None)
    }

    pub fn post_json(&self, url: &str, body: &Value) -> Result<Value> {
        self.send_json(reqwest::Method::POST, url, Some(body))
    }

    /// A call with the admin token to another service at `url`: its JSON answer, or an
    /// error with the status and body.
    pub fn send_json(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", &self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send()?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            bail!("{method} {url}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A service account `name` with the admin and service roles on project `service`.
    pub fn service_user(&self, name: &str, password: &str) -> Result<()> {
        let service_project = self.id_by_name("/projects?name=service", "projects")?;
        let made = self.call(
            reqwest::Method::POST,
            "/users",
            Some(json!({"user": {"name": name, "password": password, "domain_id": "default"}})),
        )?;
        let id = made["user"]["id"].as_str().context("no user.id")?;
        for role in ["admin", "service"] {
            let role = self.id_by_name(&format!("/roles?name={role}"), "roles")?;
            self.call(
                reqwest::Method::PUT,
                &format!("/projects/{service_project}/users/{id}/roles/{role}"),
                None,
            )?;
        }
        Ok(())
    }

    /// A catalog entry: service `kind` named `name`, with public, internal and admin
    /// endpoints at `url` in RegionOne. With `replace`, other services of that type are
    /// deleted first (Nova's Neutron stand-in, when real Neutron takes over).
    pub fn register_service(&self, kind: &str, name: &str, url: &str, replace: bool) -> Result<()> {
        if replace {
            let listed = self.call(
                reqwest::Method::GET,
                &format!("/services?type={kind}"),
                None,
            )?;
            for old in listed["services"].as_array().into_iter().flatten() {
                let id = old["id"].as_str().context("no service.id")?;
                self.call(reqwest::Method::DELETE, &format!("/services/{id}"), None)?;
            }
        }
        let made = self.call(
            reqwest::Method::POST,
            "/services",
            Some(json!({"service": {"type": kind, "name": name}})),
        )?;
        let service = made["service"]["id"].as_str().context("no service.id")?;
        for interface in ["public", "internal", "admin"] {
            self.call(
                reqwest::Method::POST,
                "/endpoints",
                Some(
                    json!({"endpoint": {"service_id": service, "interface": interface,
                    "region_id": "RegionOne", "url": url}}),
                ),
            )?;
        }
        Ok(())
    }
}
