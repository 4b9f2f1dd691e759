//! What comes back: the [`Response`] of a successful call, and the [`Error`] made of an error
//! status or a failed exchange.

use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{self, Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

/// A response: status, headers, request id, and the body still to be read.
pub struct Response {
    inner: reqwest::Response,
    request_id: Option<String>,
    service: ServiceType,
}

impl std::fmt::Debug for Response {
    // Not reqwest's Debug: it prints every header, X-Subject-Token included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("service", &self.service)
            .field("status", &self.status())
            .field("url", &self.inner.url().as_str())
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// A successful answer of `service`, with the request id read from its headers.
    pub(super) fn new(
        inner: reqwest::Response,
        request_id: Option<String>,
        service: ServiceType,
    ) -> Self {
        Self {
            inner,
            request_id,
            service,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    /// The response headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.inner.headers()
    }

    /// A header as a string, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The `x-openstack-request-id` (or `x-compute-request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The service that answered.
    pub fn service(&self) -> &ServiceType {
        &self.service
    }

    /// Decodes the body as JSON; errors name the JSON path.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let request_id = self.request_id.clone();
        let service = self.service.clone();
        let bytes = self.bytes().await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            Error::decode(e.inner().to_string(), e.path().to_string())
                .with_service(service)
                .with_request_id(request_id)
        })
    }

    /// The body as bytes.
    pub async fn bytes(self) -> Result<bytes::Bytes> {
        let read_failed = self.read_failed();
        self.inner.bytes().await.map_err(read_failed)
    }

    /// The body as a stream of chunks (downloads). A chunk that cannot be read is an
    /// [`ErrorKind::Transport`] error naming the service and the request id.
    pub fn bytes_stream(
        self,
    ) -> impl futures::Stream<Item = Result<bytes::Bytes>> + Send + Unpin + 'static {
        use futures::TryStreamExt as _;
        let read_failed = self.read_failed();
        self.inner.bytes_stream().map_err(read_failed)
    }

    /// Turns a failure to read the body into an [`Error`]; reqwest's error is its source.
    fn read_failed(&self) -> impl Fn(reqwest::Error) -> Error + Send + Sync + use<> {
        let request_id = self.request_id.clone();
        let service = self.service.clone();
        move |e| {
            Error::transport("reading the response body failed")
                .with_service(service.clone())
                .with_request_id(request_id.clone())
                .with_source(e)
        }
    }
}

/// The error for an answer with an error status: the service's own message, with `token`
/// and the request's secret headers masked (Keystone names the token it could not find).
pub(super) async fn status_error(
    response: reqwest::Response,
    request: &Request,
    token: Option<&str>,
) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    let mut secrets: Vec<&str> = token.into_iter().collect();
    secrets.extend(
        request
            .headers
            .iter()
            .filter(|(name, _)| crate::request::is_secret_header(name))
            .map(|(_, v)| v.as_str()),
    );
    error::from_response(status, request.service.clone(), &headers, &body, &secrets)
}

/// The error for an exchange that failed before an answer came (connect, timeout, body).
pub(super) fn transport_error(request: &Request, url: &Url, err: reqwest::Error) -> Error {
    let (kind, what) = if err.is_timeout() {
        (ErrorKind::Timeout, "timed out")
    } else if err.is_connect() {
        (ErrorKind::Transport, "could not connect")
    } else if err.is_body() || err.is_decode() {
        (ErrorKind::Transport, "the body could not be sent or read")
    } else {
        (ErrorKind::Transport, "the request failed")
    };
    Error::new(kind, format!("{} {url}: {what}", request.method))
        .with_service(request.service.clone())
        .with_source(err)
}
