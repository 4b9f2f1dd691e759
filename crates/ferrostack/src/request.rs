//! Requests as data: every operation first becomes a [`Request`], a plain description that
//! can be inspected, snapshot-tested and stored, and only then does the session send it.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;

/// What must be escaped in one path segment (RFC 3986 `pchar`, minus `/`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// One path segment (an id, or a name during lookups), percent-encoded.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The service a request is for, named by its catalog type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ServiceType {
    /// Keystone (`identity`).
    Identity,
    /// Glance (`image`).
    Image,
    /// Nova (`compute`).
    Compute,
    /// Neutron (`network`).
    Network,
    /// Any other catalog type.
    #[serde(untagged)]
    Other(String),
}

impl ServiceType {
    /// The official catalog type.
    pub fn as_str(&self) -> &str {
        match self {
            ServiceType::Identity => "identity",
            ServiceType::Image => "image",
            ServiceType::Compute => "compute",
            ServiceType::Network => "network",
            ServiceType::Other(s) => s,
        }
    }

    /// Every catalog type this service may be registered under, the official one first
    /// (from the OpenStack service-types authority).
    pub fn aliases(&self) -> &[&str] {
        match self {
            ServiceType::Identity => &["identity"],
            ServiceType::Image => &["image"],
            ServiceType::Compute => &["compute"],
            ServiceType::Network => &["network"],
            ServiceType::Other(other) => OTHER_ALIASES
                .iter()
                .find(|(official, _)| *official == other.as_str())
                .map(|(_, aliases)| *aliases)
                .unwrap_or(&[]),
        }
    }

    /// Every catalog type to look for, the official one first, then its historical aliases.
    pub fn catalog_types(&self) -> Vec<&str> {
        let mut types = vec![self.as_str()];
        types.extend(
            self.aliases()
                .iter()
                .copied()
                .filter(|a| *a != self.as_str()),
        );
        types
    }

    /// The service for a catalog type, official or alias (`volumev3` -> `block-storage`).
    pub fn from_catalog_type(catalog_type: &str) -> Self {
        match catalog_type {
            "identity" => ServiceType::Identity,
            "image" => ServiceType::Image,
            "compute" => ServiceType::Compute,
            "network" => ServiceType::Network,
            other => OTHER_ALIASES
                .iter()
                .find(|(_, aliases)| aliases.contains(&other))
                .map(|(official, _)| ServiceType::Other((*official).to_owned()))
                .unwrap_or_else(|| ServiceType::Other(other.to_owned())),
        }
    }

    /// The service name used in `<service>_endpoint_override` and `<service>_api_version`
    /// keys and in `OS_<SERVICE>_...` variables (e.g. `image`, `compute`, `identity`).
    pub fn config_key(&self) -> String {
        self.as_str().replace('-', "_")
    }
}

/// Official types with historical aliases, from the service-types authority
/// (service-types.openstack.org), for the services a cloud commonly registers them under.
const OTHER_ALIASES: &[(&str, &[&str])] = &[
    (
        "block-storage",
        &[
            "block-storage",
            "volumev3",
            "volumev2",
            "volume",
            "block-store",
        ],
    ),
    ("load-balancer", &["load-balancer", "load_balancer"]),
    (
        "shared-file-system",
        &["shared-file-system", "sharev2", "share"],
    ),
    ("object-store", &["object-store"]),
    ("placement", &["placement"]),
    ("orchestration", &["orchestration"]),
    ("key-manager", &["key-manager"]),
    ("baremetal", &["baremetal", "bare-metal"]),
    (
        "container-infrastructure-management",
        &[
            "container-infrastructure-management",
            "container-infrastructure",
            "container-infra",
        ],
    ),
];

impl fmt::Display for ServiceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of a request.
#[derive(Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A JSON document, sent with `Content-Type: application/json` unless a header says otherwise.
    Json(serde_json::Value),
    /// A data stream supplied separately when the request is sent (an image upload).
    /// The description records only its length, when known.
    Stream {
        /// The number of bytes, when known in advance.
        length: Option<u64>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(v) => f.debug_tuple("Json").field(&redact_json(v)).finish(),
            Body::Stream { length } => f.debug_struct("Stream").field("length", length).finish(),
        }
    }
}

/// A plain description of one API call: what the session will send.
///
/// `path` is relative to the service's versioned endpoint (`/images` for Glance's
/// `.../v2/images`, `/servers` for Nova's `.../v2.1/servers`, `/auth/tokens` for Keystone's
/// `.../v3/auth/tokens`), found through the catalog and version discovery.
#[derive(Clone, PartialEq)]
pub struct Request {
    /// The service the request goes to.
    pub service: ServiceType,
    /// The HTTP method.
    pub method: http::Method,
    /// The path under the versioned endpoint, starting with `/`, already percent-encoded. It may
    /// carry a query string (a service's `next` link, see `Session::link_path`); `query` is
    /// appended after it.
    pub path: String,
    /// Query parameters in order; a key may repeat.
    pub query: Vec<(String, String)>,
    /// Extra headers (the session adds the token, `Accept`, `User-Agent` and microversions).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// The microversion to send (`2.79` for compute), if any.
    pub microversion: Option<String>,
    /// Whether the request may be sent again after it may have reached the service (after a
    /// 502, 503 or 504 without `Retry-After`, or a connection lost once sent): true for the
    /// reads (GET, HEAD, OPTIONS) and for requests whose builder knows a repeat is harmless.
    /// A PUT or DELETE is not, though idempotent in HTTP's sense: a repeat can undo a
    /// concurrent change, or answer 404 for a deletion that took effect. Every request is
    /// sent again after a failure to connect, a 429, or a 503 with `Retry-After`, when
    /// nothing was done.
    pub idempotent: bool,
}

impl Request {
    /// A request with no query, headers or body. GET, HEAD and OPTIONS may be sent again
    /// after reaching the service; others may not (see [`Request::idempotent`]).
    pub fn new(service: ServiceType, method: http::Method, path: impl Into<String>) -> Self {
        let idempotent = matches!(
            method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
        Self {
            service,
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            microversion: None,
            idempotent,
        }
    }

    /// A GET request.
    pub fn get(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::GET, path)
    }

    /// A POST request.
    pub fn post(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::POST, path)
    }

    /// A PUT request.
    pub fn put(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::DELETE, path)
    }

    /// A HEAD request.
    pub fn head(service: ServiceType, path: impl Into<String>) -> Self {
        Self::new(service, http::Method::HEAD, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Adds a query parameter when the value is present.
    pub fn query_opt(self, key: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    /// Marks the body as a stream supplied at send time.
    pub fn stream(mut self, length: Option<u64>) -> Self {
        self.body = Body::Stream { length };
        self
    }

    /// Sets the microversion.
    pub fn microversion(mut self, version: impl Into<String>) -> Self {
        self.microversion = Some(version.into());
        self
    }

    /// Overrides whether the request may be retried after it may have reached the server.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// A copy safe to print or snapshot: secret-bearing headers and body fields are masked.
    pub fn redacted(&self) -> RedactedRequest<'_> {
        RedactedRequest(self)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), redact_header(k, v)))
            .collect();
        f.debug_struct("Request")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", &self.body)
            .field("microversion", &self.microversion)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

/// A [`Request`] that serializes with its secrets masked, for snapshots and logs.
pub struct RedactedRequest<'a>(&'a Request);

impl Serialize for RedactedRequest<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = self.0;
        let headers: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), redact_header(k, v)))
            .collect();
        let body = match &r.body {
            Body::Json(v) => Body::Json(redact_json(v)),
            other => other.clone(),
        };
        let mut s = serializer.serialize_struct("Request", 8)?;
        s.serialize_field("service", &r.service)?;
        s.serialize_field("method", r.method.as_str())?;
        s.serialize_field("path", &r.path)?;
        s.serialize_field("query", &r.query)?;
        s.serialize_field("headers", &headers)?;
        s.serialize_field("body", &body)?;
        s.serialize_field("microversion", &r.microversion)?;
        s.serialize_field("idempotent", &r.idempotent)?;
        s.end()
    }
}

const SECRET_HEADERS: &[&str] = &["x-auth-token", "x-subject-token", "authorization"];
const SECRET_KEYS: &[&str] = &["password", "secret", "token", "adminPass", "admin_pass"];

/// Whether a header carries credentials (`X-Auth-Token`, `X-Subject-Token`, `Authorization`).
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The header value, or `<redacted>` for headers that carry credentials.
pub fn redact_header<'a>(name: &str, value: &'a str) -> &'a str {
    if is_secret_header(name) {
        "<redacted>"
    } else {
        value
    }
}

/// A copy of `value` with every credential-bearing field masked: `password`, `secret`,
/// and the `id` of a `token` object (Keystone's token method).
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if SECRET_KEYS.contains(&k.as_str()) {
                        match v {
                            Value::String(_) => Value::String("<redacted>".into()),
                            Value::Object(inner) => Value::Object(
                                inner
                                    .iter()
                                    .map(|(ik, iv)| {
                                        if ik == "id" {
                                            (ik.clone(), Value::String("<redacted>".into()))
                                        } else {
                                            (ik.clone(), redact_json(iv))
                                        }
                                    })
                                    .collect(),
                            ),
                            other => redact_json(other),
                        }
                    } else {
                        redact_json(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_in_debug_and_snapshots() {
        let req = Request::post(ServiceType::Identity, "/auth/tokens")
            .header("X-Auth-Token", "gAAAA-token")
            .json(
                json!({"auth": {"identity": {"methods": ["password", "token"],
                "password": {"user": {"name": "admin", "password": "hunter2"}},
                "token": {"id": "gAAAA-old"}}}}),
            );
        let debug = format!("{req:?}");
        let snap = serde_json::to_string(&req.redacted()).unwrap();
        for text in [&debug, &snap] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!text.contains("gAAAA"), "{text}");
            assert!(text.contains("admin"), "{text}");
        }
    }

    #[test]
    fn idempotency_follows_the_method() {
        assert!(Request::get(ServiceType::Image, "/images").idempotent);
        assert!(!Request::put(ServiceType::Image, "/images/x/file").idempotent);
        assert!(!Request::delete(ServiceType::Image, "/images/x").idempotent);
        assert!(!Request::post(ServiceType::Compute, "/servers").idempotent);
        assert!(!Request::patch(ServiceType::Image, "/images/x").idempotent);
    }
}
