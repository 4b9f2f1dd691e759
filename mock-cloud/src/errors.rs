//! Error answers in each service's own shape (see WIRE.md "Cross-cutting").

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which service answers: the error body's shape depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Keystone: `{"error":{"code","title","message"}}`.
    Identity,
    /// Glance: WebOb bodies, JSON when the client accepts it.
    Image,
    /// Nova: `{"<faultName>":{"code","message"}}`.
    Compute,
}

impl Service {
    /// The catalog type.
    pub fn as_str(&self) -> &'static str {
        match self {
            Service::Identity => "identity",
            Service::Image => "image",
            Service::Compute => "compute",
        }
    }

    /// The URL prefix the service is mounted under.
    pub(crate) fn prefix(&self) -> &'static str {
        match self {
            Service::Identity => "/identity",
            Service::Image => "/image",
            Service::Compute => "/compute",
        }
    }

    /// The service a request path belongs to.
    pub(crate) fn from_path(path: &str) -> Option<Service> {
        [Service::Identity, Service::Image, Service::Compute]
            .into_iter()
            .find(|s| path == s.prefix() || path.starts_with(&format!("{}/", s.prefix())))
    }
}

/// An error answer: status, message, and the service whose shape it takes.
///
/// `pub` but unnameable outside (this module is private): it is the rejection of the public
/// [`Caller`](crate::Caller)'s extractor, which the compiler wants no less visible.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The service's message.
    pub(crate) message: String,
    /// Whose error shape to use.
    pub(crate) service: Service,
    /// Glance answers in JSON only when the request accepts it; text otherwise.
    pub(crate) json: bool,
    /// Extra headers (Retry-After, WWW-Authenticate).
    pub(crate) headers: HeaderMap,
    /// Keystone's authentication-plugin errors (unsupported method, application credential)
    /// carry `error.identity`: what the client may try instead.
    pub(crate) identity: Option<serde_json::Value>,
}

impl ApiError {
    /// An error of `service` with `status` and `message`.
    pub(crate) fn new(service: Service, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            service,
            json: true,
            headers: HeaderMap::new(),
            identity: None,
        }
    }

    /// The answer to a route this cloud does not implement: the service's own 501, naming the
    /// route (never a silent empty 404).
    pub(crate) fn unknown_route(service: Service, method: &str, path: &str) -> Self {
        Self::new(
            service,
            StatusCode::NOT_IMPLEMENTED,
            format!("The route {method} {path} is not implemented by this cloud."),
        )
    }

    /// The answer to a known route called with a method it does not take.
    pub(crate) fn method_not_allowed(service: Service, method: &str, path: &str) -> Self {
        Self::new(
            service,
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The method {method} is not allowed for {path}."),
        )
    }

    /// Sets whether a Glance error is rendered as JSON (the request's Accept decides).
    pub(crate) fn json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    /// Marks a Keystone authentication-plugin error, with its `error.identity` detail.
    pub(crate) fn identity(mut self, detail: serde_json::Value) -> Self {
        self.identity = Some(detail);
        self
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    /// The body this service sends for this error.
    pub(crate) fn body(&self) -> (String, &'static str) {
        let code = self.status.as_u16();
        let title = self.status.canonical_reason().unwrap_or("Error");
        match self.service {
            Service::Identity => {
                let mut error = json!({"code": code, "title": title, "message": self.message});
                if let Some(identity) = &self.identity {
                    error["identity"] = identity.clone();
                }
                (json!({ "error": error }).to_string(), "application/json")
            }
            Service::Compute => {
                let fault = nova_fault_name(code);
                let mut inner = json!({"code": code, "message": self.message});
                if code == 413 || code == 429 {
                    inner["retryAfter"] = json!("0");
                }
                (json!({ fault: inner }).to_string(), "application/json")
            }
            Service::Image if self.json => (
                json!({"message": self.message, "code": format!("{code} {title}"), "title": title})
                    .to_string(),
                "application/json",
            ),
            Service::Image => (
                format!("{code} {title}\n\n{}\n\n   ", self.message),
                "text/plain; charset=UTF-8",
            ),
        }
    }
}

/// Nova's fault name for a status.
pub(crate) fn nova_fault_name(code: u16) -> &'static str {
    match code {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (body, content_type) = self.body();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.service.as_str(),
            self.status,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}
