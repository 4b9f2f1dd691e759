//! What comes back: the [`Response`] of a successful call, and the [`Error`] made of an error
//! status, an unfollowed redirect, or a failed exchange.
//!
//! Bodies are read into memory only up to a bound, so a hostile or broken server cannot
//! make the client hold gigabytes: [`MAX_BODY`] for a document, less for an error's message.
//! Downloads read [`Response::bytes_stream`], which has no bound.

use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{self, Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};
use crate::secret::redact_url;

/// The largest body [`Response::json`] and [`Response::bytes`] read: 32 MiB, several times
/// the largest page a service sends (a thousand servers in detail, or images with their
/// properties). A larger answer is an error naming the URL.
pub const MAX_BODY: usize = 32 << 20;

/// How much of an error answer is read for its message; the rest is not waited for.
const MAX_ERROR_BODY: usize = 64 << 10;

/// A response: status, headers, request id, and the body still to be read.
pub struct Response {
    inner: reqwest::Response,
    request_id: Option<String>,
    service: ServiceType,
    method: http::Method,
}

impl std::fmt::Debug for Response {
    // Not reqwest's Debug: it prints every header, X-Subject-Token included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("service", &self.service)
            .field("status", &self.status())
            .field("url", &redact_url(self.inner.url().as_str()))
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// The answer of a request whose status is below 400: a [`Response`], unless it is a redirect
/// the HTTP client did not follow (to another origin, or one too many), which is an error
/// saying where it led, with `token` masked. Keystone's `300 Multiple Choices` of version
/// discovery is an answer.
pub(super) fn success(
    response: reqwest::Response,
    request: &Request,
    request_id: Option<String>,
    token: Option<&str>,
) -> Result<Response> {
    let status = response.status().as_u16();
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let err = redirect_error(&response, request, token);
        return Err(err.with_request_id(request_id));
    }
    Ok(Response {
        inner: response,
        request_id,
        service: request.service.clone(),
        method: request.method.clone(),
    })
}

/// Why a redirect came back instead of its target: the client follows redirects only within
/// one scheme, host and port (see `transport`), so a token or password body never goes
/// anywhere it was not configured to go.
fn redirect_error(response: &reqwest::Response, request: &Request, token: Option<&str>) -> Error {
    let status = response.status().as_u16();
    let from = response.url();
    let what = format!("{} {}", request.method, redact_url(from.as_str()));
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| from.join(l).map_err(|_| l.to_owned()));
    let message = match location {
        None => format!("{what}: the answer is a redirect without a Location to go to"),
        Some(Err(bad)) => format!(
            "{what}: redirected to {:?}, which is not a URL",
            redact_url(&bad)
        ),
        Some(Ok(to)) if to.origin() == from.origin() => format!(
            "{what}: redirected too many times (the last time to {})",
            redact_url(to.as_str())
        ),
        Some(Ok(to)) => format!(
            "{what}: redirected to {}, another scheme, host or port: not followed, so that \
             neither the token nor the request body goes there",
            redact_url(to.as_str())
        ),
    };
    // A Location is the server's to write: it may repeat the token.
    let message = match token.filter(|t| !t.is_empty()) {
        Some(token) => message.replace(token, crate::secret::PLACEHOLDER),
        None => message,
    };
    Error::http(status, request.service.clone(), message)
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

    /// The service that answered.
    pub fn service(&self) -> &ServiceType {
        &self.service
    }

    /// Decodes the body as JSON; errors name the URL, the status and what was wrong: no body,
    /// an HTML page, not JSON at all, or (with the JSON path) not the document expected.
    /// A body over [`MAX_BODY`] is an error too (see [`Response::bytes`]).
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let what = self.describe();
        let status = self.status();
        let html = self
            .header(http::header::CONTENT_TYPE.as_str())
            .is_some_and(|c| c.contains("html"));
        let request_id = self.request_id.clone();
        let service = self.service.clone();
        let bytes = self.bytes().await?;
        decode_json(&bytes, html).map_err(|(problem, path)| {
            let err = Error::new(ErrorKind::Decode, format!("{what}: {problem}"))
                .with_status(status)
                .with_service(service)
                .with_request_id(request_id);
            match path {
                Some(path) => err.with_json_path(path),
                None => err,
            }
        })
    }

    /// The body as bytes, up to [`MAX_BODY`]: a larger answer is an error naming the URL and
    /// the bound, before anything is read when its `Content-Length` says so, else once the
    /// bound is reached (read a large body with [`Response::bytes_stream`]).
    pub async fn bytes(mut self) -> Result<bytes::Bytes> {
        let (what, status) = (self.describe(), self.status());
        let (service, request_id) = (self.service.clone(), self.request_id.clone());
        let too_large = move || {
            Error::new(
                ErrorKind::Decode,
                format!(
                    "{what}: the answer is larger than {} MiB, the most read into memory",
                    MAX_BODY >> 20
                ),
            )
            .with_status(status)
            .with_service(service)
            .with_request_id(request_id)
        };
        if self
            .inner
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(too_large());
        }
        let read_failed = self.read_failed();
        let (body, complete) = read_at_most(&mut self.inner, MAX_BODY)
            .await
            .map_err(read_failed)?;
        if complete { Ok(body) } else { Err(too_large()) }
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

    /// `GET http://host/path`, for messages.
    fn describe(&self) -> String {
        format!("{} {}", self.method, redact_url(self.inner.url().as_str()))
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
    let at = format!("{} {}", request.method, redact_url(response.url().as_str()));
    // The message is in the first few kilobytes; a body that fails to arrive has none.
    let mut response = response;
    let (body, _) = read_at_most(&mut response, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let mut secrets: Vec<&str> = token.into_iter().collect();
    secrets.extend(
        request
            .headers
            .iter()
            .filter(|(name, _)| crate::request::is_secret_header(name))
            .map(|(_, v)| v.as_str()),
    );
    error::from_response(
        status,
        request.service.clone(),
        &headers,
        &body,
        &secrets,
        &at,
    )
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

/// Reads the body of `response` until it ends or `limit` bytes are in; `true` when it ended
/// within the limit. What lies beyond the limit is not read.
async fn read_at_most(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(bytes::Bytes, bool), reqwest::Error> {
    let expected = response.content_length().unwrap_or(0) as usize;
    let mut body = bytes::BytesMut::with_capacity(expected.min(limit));
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.freeze(), true))
}

/// Decodes a JSON body, or says what is wrong with it and, for a document of the wrong
/// shape, where (`images[3].size`).
pub(crate) fn decode_json<T: DeserializeOwned>(
    body: &[u8],
    html: bool,
) -> Result<T, (String, Option<String>)> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err((
            "the answer has no body, where JSON was expected".into(),
            None,
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            let looks_html = html || body.trim_ascii_start().starts_with(b"<");
            let problem = match looks_html.then(|| error::service_message(body, Some("text/html")))
            {
                Some(Some(text)) => {
                    format!("the answer is an HTML page, not JSON: {}", excerpt(&text))
                }
                Some(None) => "the answer is an HTML page, not JSON".to_owned(),
                None => format!("the answer is not JSON ({inner})"),
            };
            (problem, None)
        } else {
            (
                format!("the answer is not the document expected: {inner}"),
                Some(e.path().to_string()),
            )
        }
    })
}

/// The start of a long text, for a one-line message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 160;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}
