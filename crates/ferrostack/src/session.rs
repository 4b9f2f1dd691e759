//! The session: one HTTP client, authentication, endpoint resolution, version discovery,
//! microversions, retries and tracing. Every [`Request`] is sent through here.
//!
//! SKELETON: the signatures below are the contract the service modules build on; the
//! foundation work fills in the bodies.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::config::CloudConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

/// A connection to one cloud. Cheap to clone: clones share the HTTP client, the token
/// and the discovery cache.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    config: CloudConfig,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("cloud", &self.inner.config.name)
            .finish_non_exhaustive()
    }
}

/// A response: status, headers, request id, and the body still to be read.
#[derive(Debug)]
pub struct Response {
    inner: reqwest::Response,
    request_id: Option<String>,
}

impl Session {
    /// Builds a session from a configuration. No request is made until the first call.
    pub fn new(config: CloudConfig) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner { config }),
        })
    }

    /// The configuration this session was built from.
    pub fn config(&self) -> &CloudConfig {
        &self.inner.config
    }

    /// Sends a request (with a JSON or empty body), authenticating, retrying and mapping
    /// error statuses to [`Error`] as needed.
    pub async fn send(&self, request: Request) -> Result<Response> {
        let _ = request;
        Err(Error::new(
            ErrorKind::Transport,
            "session not implemented yet",
        ))
    }

    /// Sends a request and decodes its JSON body; decode errors name the JSON path.
    pub async fn send_json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let response = self.send(request).await?;
        response.json().await
    }

    /// Sends a request whose body is a stream (an upload). It is never retried once sent.
    pub async fn send_stream(&self, request: Request, body: reqwest::Body) -> Result<Response> {
        let _ = (request, body);
        Err(Error::new(
            ErrorKind::Transport,
            "session not implemented yet",
        ))
    }

    /// The versioned endpoint of a service (`https://glance/v2`, `https://nova/v2.1`),
    /// from overrides or the catalog, and version discovery.
    pub async fn endpoint(&self, service: &ServiceType) -> Result<url::Url> {
        let _ = service;
        Err(Error::new(
            ErrorKind::Transport,
            "session not implemented yet",
        ))
    }

    /// The microversion range `(min, max)` the service announces, if it has one.
    pub async fn microversion_range(
        &self,
        service: &ServiceType,
    ) -> Result<Option<(String, String)>> {
        let _ = service;
        Ok(None)
    }
}

impl Response {
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

    /// Decodes the body as JSON; errors name the JSON path.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let request_id = self.request_id.clone();
        let bytes = self.inner.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("reading the response body: {e}"),
            )
            .with_request_id(request_id.clone())
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            Error::new(ErrorKind::Decode, e.inner().to_string())
                .with_json_path(e.path().to_string())
                .with_request_id(request_id)
        })
    }

    /// The body as bytes.
    pub async fn bytes(self) -> Result<bytes::Bytes> {
        let request_id = self.request_id.clone();
        self.inner.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("reading the response body: {e}"),
            )
            .with_request_id(request_id)
        })
    }

    /// The body as a stream of chunks (downloads).
    pub fn bytes_stream(
        self,
    ) -> impl futures::Stream<Item = std::result::Result<bytes::Bytes, reqwest::Error>> {
        self.inner.bytes_stream()
    }
}
