//! Admin calls to the real Keystone that Nova's set-up needs (service users, endpoints,
//! flavors through Nova with its token).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

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
        let response = self
            .http
            .get(url)
            .header("X-Auth-Token", &self.token)
            .send()?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            bail!("GET {url}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    pub fn post_json(&self, url: &str, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(url)
            .header("X-Auth-Token", &self.token)
            .json(body)
            .send()?;
        let status = response.status();
        let text = response.text()?;
        if !status.is_success() {
            bail!("POST {url}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
