//! Fault rules: which requests fail on purpose, and how.
//!
//! A rule matches on service, method and path pattern (with `*`/`?` a glob over the whole path,
//! without them a prefix), for its first `count` matches or with a `probability`, and then
//! answers with a status (in that service's own error shape), adds latency, drops the
//! connection, truncates the body, or corrupts a successful body.
//!
//! ```json
//! {"service": "image", "method": "GET", "path": "/image/v2/images/*/file", "count": 1,
//!  "fault": {"kind": "corrupt"}}
//! ```

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::errors::Service;

/// What happens to a matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer `status` with the service's own error body, without running the request.
    Status {
        /// The HTTP status.
        status: u16,
        /// The message in the error body; a generic one when absent.
        #[serde(default)]
        message: Option<String>,
        /// A `Retry-After` header, in seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Wait this long, then run the request normally.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// Close the connection without answering (the request is not run).
    Drop,
    /// Run the request, declare the full Content-Length, send only half of the body.
    Truncate,
    /// Run the request and flip bytes of a successful (2xx) body, keeping its length and
    /// headers: for download-verification tests.
    Corrupt,
}

impl Fault {
    /// A status fault with the generic message.
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            message: None,
            retry_after: None,
        }
    }

    /// The name the journal records.
    pub(crate) fn name(&self) -> String {
        match self {
            Fault::Status { status, .. } => format!("status {status}"),
            Fault::Latency { ms } => format!("latency {ms}ms"),
            Fault::Drop => "drop".to_owned(),
            Fault::Truncate => "truncate".to_owned(),
            Fault::Corrupt => "corrupt".to_owned(),
        }
    }
}

/// A fault rule: a request matcher and a [`Fault`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Only requests to this service.
    #[serde(default)]
    pub service: Option<Service>,
    /// Only this method (case-insensitive).
    #[serde(default)]
    pub method: Option<String>,
    /// Only this path: a glob (`*` any run of characters, `?` one) when it has wildcards,
    /// otherwise a prefix. The full path, e.g. `/compute/v2.1/servers`.
    #[serde(default)]
    pub path: Option<String>,
    /// Only the first N matching requests; then the rule is spent. Unlimited when absent.
    #[serde(default)]
    pub count: Option<u32>,
    /// Fire with this probability (0.0-1.0) on each match; always when absent.
    #[serde(default)]
    pub probability: Option<f64>,
    /// What to do.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule that applies `fault` to every request until narrowed.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            service: None,
            method: None,
            path: None,
            count: None,
            probability: None,
            fault,
        }
    }

    /// Only requests to `service`.
    pub fn service(mut self, service: Service) -> Self {
        self.service = Some(service);
        self
    }

    /// Only requests with `method`.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Only paths matching `pattern` (glob with `*`/`?`, else prefix).
    pub fn path(mut self, pattern: &str) -> Self {
        self.path = Some(pattern.to_owned());
        self
    }

    /// Only the first `n` matches.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Fire with probability `p`.
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    /// Checks the rule itself; the message names the field at fault.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!(
                "fault rule: probability {p} is not between 0 and 1"
            ));
        }
        if let Fault::Status { status, .. } = &self.fault
            && !(400..=599).contains(status)
        {
            return Err(format!(
                "fault rule: status {status} is not an error status (400-599)"
            ));
        }
        if let Some(path) = &self.path
            && !path.starts_with('/')
            && !path.starts_with('*')
        {
            return Err(format!(
                "fault rule: path '{path}' must start with '/' (or '*')"
            ));
        }
        Ok(())
    }

    fn matches(&self, service: Option<Service>, method: &str, path: &str) -> bool {
        self.service.is_none_or(|s| Some(s) == service)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_ref().is_none_or(|p| path_matches(p, path))
    }
}

/// A glob over the whole path when the pattern has `*` or `?`, else a prefix.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return path.starts_with(pattern);
    }
    glob(pattern.as_bytes(), path.as_bytes())
}

/// Iterative glob with backtracking to the last `*`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A rule as installed, with its id and how often it fired.
#[derive(Debug, Clone, Serialize)]
pub struct InstalledRule {
    /// Its id (for `DELETE /_mock/faults/{id}`).
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// How many requests it has hit.
    pub hits: u32,
}

/// The installed rules, in the order they were added; the first that fires wins.
#[derive(Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<InstalledRule>>,
    next_id: Mutex<u64>,
}

impl Faults {
    /// Installs a rule; returns its id.
    pub(crate) fn add(&self, rule: FaultRule) -> Result<u64, String> {
        rule.validate()?;
        let id = {
            let mut next = self.next_id.lock().expect("fault id lock");
            *next += 1;
            *next
        };
        self.rules
            .lock()
            .expect("fault rules lock")
            .push(InstalledRule { id, rule, hits: 0 });
        Ok(id)
    }

    /// Removes one rule; whether it existed.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().expect("fault rules lock");
        let before = rules.len();
        rules.retain(|r| r.id != id);
        rules.len() != before
    }

    /// Removes every rule.
    pub(crate) fn clear(&self) {
        self.rules.lock().expect("fault rules lock").clear();
    }

    /// The installed rules.
    pub(crate) fn list(&self) -> Vec<InstalledRule> {
        self.rules.lock().expect("fault rules lock").clone()
    }

    /// The fault for this request, if a rule fires. Counts the hit; a spent rule is removed.
    pub(crate) fn fire(&self, service: Option<Service>, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().expect("fault rules lock");
        let index = rules.iter().position(|r| {
            r.rule.matches(service, method, path)
                && r.rule.probability.is_none_or(|p| rand::random::<f64>() < p)
        })?;
        let installed = &mut rules[index];
        installed.hits += 1;
        let fault = installed.rule.fault.clone();
        if installed.rule.count.is_some_and(|n| installed.hits >= n) {
            rules.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_prefixes() {
        assert!(path_matches(
            "/image/v2/images",
            "/image/v2/images/abc/file"
        ));
        assert!(!path_matches("/image/v2/images", "/image/v2/schemas"));
        assert!(path_matches(
            "/image/v2/images/*/file",
            "/image/v2/images/abc/file"
        ));
        assert!(!path_matches(
            "/image/v2/images/*/file",
            "/image/v2/images/abc"
        ));
        assert!(path_matches("*/servers", "/compute/v2.1/servers"));
        assert!(path_matches(
            "/compute/v2.?/servers*",
            "/compute/v2.1/servers/detail"
        ));
        assert!(!path_matches("/compute/*/flavors", "/compute/v2.1/servers"));
    }

    #[test]
    fn count_spends_the_rule() {
        let faults = Faults::default();
        faults
            .add(
                FaultRule::new(Fault::status(503))
                    .service(Service::Image)
                    .times(2),
            )
            .unwrap();
        assert_eq!(
            faults.fire(Some(Service::Compute), "GET", "/compute/v2.1"),
            None
        );
        assert!(
            faults
                .fire(Some(Service::Image), "GET", "/image/v2/images")
                .is_some()
        );
        assert!(
            faults
                .fire(Some(Service::Image), "GET", "/image/v2/images")
                .is_some()
        );
        assert_eq!(
            faults.fire(Some(Service::Image), "GET", "/image/v2/images"),
            None
        );
        assert!(faults.list().is_empty());
    }

    #[test]
    fn probability_zero_never_fires_and_one_always() {
        let faults = Faults::default();
        let id = faults
            .add(FaultRule::new(Fault::Drop).probability(0.0))
            .unwrap();
        assert!((0..100).all(|_| faults.fire(None, "GET", "/x").is_none()));
        assert!(faults.remove(id));
        faults
            .add(FaultRule::new(Fault::Drop).probability(1.0))
            .unwrap();
        assert!((0..100).all(|_| faults.fire(None, "GET", "/x").is_some()));
    }

    #[test]
    fn bad_rules_name_the_field() {
        let e = FaultRule::new(Fault::Drop)
            .probability(2.0)
            .validate()
            .unwrap_err();
        assert!(e.contains("probability"), "{e}");
        let e = FaultRule::new(Fault::status(200)).validate().unwrap_err();
        assert!(e.contains("status 200"), "{e}");
        let e = FaultRule::new(Fault::Drop)
            .path("image")
            .validate()
            .unwrap_err();
        assert!(e.contains("path 'image'"), "{e}");
    }

    #[test]
    fn the_wire_form_parses() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"service":"image","method":"GET","path":"/image/v2/images/*/file","count":1,"fault":{"kind":"status","status":503,"retry_after":0}}"#,
        )
        .unwrap();
        assert_eq!(rule.service, Some(Service::Image));
        assert!(matches!(
            rule.fault,
            Fault::Status {
                status: 503,
                retry_after: Some(0),
                ..
            }
        ));
    }
}
