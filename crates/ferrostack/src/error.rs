//! One categorical error for the whole SDK.
//!
//! Callers match on [`ErrorKind`] and ask [`Error::status`], [`Error::request_id`] or
//! [`Error::message`]. `Display` says what this layer knows; it never repeats its source,
//! which stays reachable through [`std::error::Error::source`].

use std::fmt;

use crate::request::ServiceType;

mod body;

pub use body::service_message;
pub(crate) use body::{from_response, request_id};

/// What went wrong, as a category a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the service refused the request as malformed.
    BadRequest,
    /// 401: no valid credentials, even after one re-authentication.
    Unauthorized,
    /// 403: the credentials are valid but not allowed to do this.
    Forbidden,
    /// 404: the resource does not exist (or is not visible to this project).
    NotFound,
    /// 406: the requested API version or microversion is not supported.
    NotAcceptable,
    /// 409: the resource is in a state that does not allow the request.
    Conflict,
    /// 413: the request is too large for the service or a quota.
    TooLarge,
    /// 415: the service refused the media type or the data (Glance's format gate).
    UnsupportedMedia,
    /// 429: too many requests; see [`Error::retry_after`].
    RateLimited,
    /// 500, 502, 503, 504: the service is failing or unreachable behind a proxy.
    Unavailable,
    /// Any other HTTP status the service answered with.
    Http,
    /// The connection failed, was reset, or TLS failed.
    Transport,
    /// The response did not decode; [`Error::json_path`] names where.
    Decode,
    /// The configuration is incomplete or wrong; the message names the file, cloud and key.
    Config,
    /// No endpoint in the catalog for the service, interface and region asked for.
    EndpointNotFound,
    /// A deadline passed (a waiter or a request timeout).
    Timeout,
    /// Data did not match its checksum.
    Integrity,
    /// A disk image was refused by the format inspector before anything was sent.
    UnsafeImage,
    /// A resource reached a failure state (ERROR, killed) while being waited on.
    FailureState,
    /// A lookup by name matched nothing or more than one resource.
    Lookup,
    /// The caller's input was invalid before any request was made.
    InvalidInput,
    /// A local file or stream could not be read or written.
    Io,
}

/// The error of every fallible operation in this crate.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    service: Option<ServiceType>,
    request_id: Option<String>,
    json_path: Option<String>,
    retry_after: Option<std::time::Duration>,
    error_type: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                service: None,
                request_id: None,
                json_path: None,
                retry_after: None,
                error_type: None,
                source: None,
            }),
        }
    }

    /// The category for an HTTP status.
    pub fn kind_for_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            406 => ErrorKind::NotAcceptable,
            409 => ErrorKind::Conflict,
            413 => ErrorKind::TooLarge,
            415 => ErrorKind::UnsupportedMedia,
            429 => ErrorKind::RateLimited,
            500 | 502 | 503 | 504 => ErrorKind::Unavailable,
            _ => ErrorKind::Http,
        }
    }

    /// An error for an HTTP answer: the category follows the status.
    pub fn http(status: u16, service: ServiceType, message: impl Into<String>) -> Self {
        Self::new(Self::kind_for_status(status), message)
            .with_status(status)
            .with_service(service)
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// A transport error (connection refused, reset, TLS).
    pub fn transport(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transport, message)
    }

    /// A decode error at a JSON path.
    pub fn decode(message: impl Into<String>, json_path: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, message).with_json_path(json_path)
    }

    /// An invalid-input error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the service.
    pub fn with_service(mut self, service: ServiceType) -> Self {
        self.inner.service = Some(service);
        self
    }

    /// Sets the `x-openstack-request-id`.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    /// Sets the JSON path of a decode error.
    pub fn with_json_path(mut self, path: impl Into<String>) -> Self {
        self.inner.json_path = Some(path.into());
        self
    }

    /// Sets the delay the service asked for (Retry-After).
    pub fn with_retry_after(mut self, delay: Option<std::time::Duration>) -> Self {
        self.inner.retry_after = delay;
        self
    }

    /// Sets the service's own name for the error (Neutron's `type`).
    pub fn with_error_type(mut self, error_type: Option<String>) -> Self {
        self.inner.error_type = error_type;
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Prefixes the message with context ("uploading image 1234: ...").
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.inner.message = format!("{context}: {}", self.inner.message);
        self
    }

    /// The category.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The message: the service's own words for HTTP errors, ours otherwise.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The service that answered.
    pub fn service(&self) -> Option<&ServiceType> {
        self.inner.service.as_ref()
    }

    /// The `x-openstack-request-id` of the failed call, for the operator's logs.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// For decode errors: the JSON path where decoding failed (`images[3].size`).
    pub fn json_path(&self) -> Option<&str> {
        self.inner.json_path.as_deref()
    }

    /// The service's own name for what went wrong, when it gives one: Neutron's
    /// `NeutronError.type` (`IpAddressInUse`, `FloatingIPPortAlreadyAssociated`,
    /// `SecurityGroupRuleExists`, `ExternalGatewayForFloatingIPNotFound`, ...), finer than
    /// the [`ErrorKind`] its status maps to.
    ///
    /// ```
    /// # fn demo(err: ferrostack::Error) {
    /// if err.is_conflict() && err.error_type() == Some("IpAddressInUse") {
    ///     // pick another address
    /// }
    /// # }
    /// ```
    pub fn error_type(&self) -> Option<&str> {
        self.inner.error_type.as_deref()
    }

    /// For 429 and 503: how long the service asked the caller to wait.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.inner.retry_after
    }

    /// Whether this is a 404 / not found.
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }

    /// Whether this is a 401 / unauthorized.
    pub fn is_unauthorized(&self) -> bool {
        self.inner.kind == ErrorKind::Unauthorized
    }

    /// Whether this is a 409 / conflict.
    pub fn is_conflict(&self) -> bool {
        self.inner.kind == ErrorKind::Conflict
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(service) = &i.service {
            write!(f, "{service}: ")?;
        }
        f.write_str(&i.message)?;
        if let Some(path) = &i.json_path {
            write!(f, " (at {path})")?;
        }
        match (i.status, &i.request_id) {
            (Some(status), Some(id)) => write!(f, " (HTTP {status}, request {id})"),
            (Some(status), None) => write!(f, " (HTTP {status})"),
            (None, Some(id)) => write!(f, " (request {id})"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(v) = &i.status {
            d.field("status", v);
        }
        if let Some(v) = &i.service {
            d.field("service", v);
        }
        if let Some(v) = &i.request_id {
            d.field("request_id", v);
        }
        if let Some(v) = &i.json_path {
            d.field("json_path", v);
        }
        if let Some(v) = &i.retry_after {
            d.field("retry_after", v);
        }
        if let Some(v) = &i.error_type {
            d.field("error_type", v);
        }
        if let Some(v) = &i.source {
            d.field("source", v);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        // The io error's text is the message; keeping it as source too would print it twice.
        Error::new(ErrorKind::Io, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_service_status_and_request_id() {
        let e = Error::http(404, ServiceType::Image, "No image found with ID abc")
            .with_request_id(Some("req-1".into()));
        assert_eq!(
            e.to_string(),
            "image: No image found with ID abc (HTTP 404, request req-1)"
        );
        assert!(e.is_not_found());
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn categories_follow_status() {
        assert_eq!(Error::kind_for_status(409), ErrorKind::Conflict);
        assert_eq!(Error::kind_for_status(503), ErrorKind::Unavailable);
        assert_eq!(Error::kind_for_status(418), ErrorKind::Http);
    }
}
