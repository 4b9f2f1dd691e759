//! Error answers in each service's own shape (see WIRE.md "Cross-cutting").

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
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
    /// Neutron: `{"NeutronError":{"type","message","detail"}}`.
    Network,
}

impl Service {
    /// The catalog type.
    pub fn as_str(&self) -> &'static str {
        match self {
            Service::Identity => "identity",
            Service::Image => "image",
            Service::Compute => "compute",
            Service::Network => "network",
        }
    }

    /// The URL prefix the service is mounted under.
    pub(crate) fn prefix(&self) -> &'static str {
        match self {
            Service::Identity => "/identity",
            Service::Image => "/image",
            Service::Compute => "/compute",
            Service::Network => "/networking",
        }
    }

    /// The service a request path belongs to.
    pub(crate) fn from_path(path: &str) -> Option<Service> {
        [
            Service::Identity,
            Service::Image,
            Service::Compute,
            Service::Network,
        ]
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
    /// Neutron's exception class name (`NetworkNotFound`), its error body's `type`.
    pub(crate) neutron_type: Option<&'static str>,
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
            neutron_type: None,
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

    /// Names Neutron's exception class for this error (the `type` of its body).
    pub(crate) fn neutron_type(mut self, kind: &'static str) -> Self {
        self.neutron_type = Some(kind);
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
        let title = title(self.status);
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
            Service::Network => {
                let kind = self.neutron_type.unwrap_or_else(|| neutron_http_type(code));
                let error = json!({"type": kind, "message": self.message, "detail": ""});
                (
                    json!({ "NeutronError": error }).to_string(),
                    "application/json",
                )
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

/// A status's title as WebOb and Python's `http.client` name it, where they differ from
/// today's names (RFC 9110 renamed these).
pub(crate) fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        416 => "Request Range Not Satisfiable",
        _ => status.canonical_reason().unwrap_or("Error"),
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

/// The type Neutron's WSGI layer names an error it did not raise itself (webob's
/// `HTTPException` classes).
fn neutron_http_type(code: u16) -> &'static str {
    match code {
        400 => "HTTPBadRequest",
        403 => "HTTPForbidden",
        404 => "HTTPNotFound",
        405 => "HTTPMethodNotAllowed",
        409 => "HTTPConflict",
        413 => "HTTPRequestEntityTooLarge",
        501 => "HTTPNotImplemented",
        503 => "ServiceUnavailable",
        _ => "HTTPInternalServerError",
    }
}

/// Marks an error answer already in its service's shape (see [`reshape`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shaped;

/// Gives an error that is in no service's shape (an extractor's plain-text rejection: a body
/// over the limit, a path that is no UTF-8, a query that does not parse) the shape of
/// `service`, with the rejection's text as the message.
pub(crate) async fn reshape(service: Service, request: Request, next: Next) -> Response {
    reshape_with(
        |status, message| ApiError::new(service, status, message).into_response(),
        request,
        next,
    )
    .await
}

/// [`reshape`] into the shape `shape` makes (for the control plane's own).
pub(crate) async fn reshape_with(
    shape: impl FnOnce(StatusCode, String) -> Response,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Shaped>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    let mut shaped = shape(status, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (body, content_type) = self.body();
        let mut response = (self.status, body).into_response();
        response.extensions_mut().insert(Shaped);
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

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::extract::Path;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;

    /// A service with an extractor that rejects, and a handler that answers its own error.
    fn app() -> Router {
        Router::new()
            .route(
                "/n/{n}",
                get(|Path(n): Path<u32>| async move { n.to_string() }),
            )
            .route(
                "/own",
                post(|| async { ApiError::new(Service::Compute, StatusCode::CONFLICT, "mine") }),
            )
            .layer(axum::middleware::from_fn(|r, n| {
                reshape(Service::Compute, r, n)
            }))
    }

    async fn call(method: &str, uri: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn rejections_take_the_services_shape_and_its_own_errors_stay() {
        let (status, body) = call("GET", "/n/not-a-number").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["badRequest"]["code"], 400, "{body}");
        assert!(
            body["badRequest"]["message"]
                .as_str()
                .unwrap()
                .contains("parse"),
            "{body}"
        );
        let (status, body) = call("POST", "/own").await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["conflictingRequest"]["message"], "mine");
        let (status, body) = call("GET", "/n/1").await;
        assert_eq!((status, body), (StatusCode::OK, serde_json::json!(1)));
    }
}
