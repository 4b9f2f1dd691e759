//! The session: one HTTP client, authentication, endpoint resolution, version discovery,
//! microversions, retries and tracing. Every [`Request`] is sent through here.
//!
//! What happens to one request:
//! - the service's versioned endpoint comes from `<service>_endpoint_override` or the catalog
//!   (by type or alias, interface, region), then version discovery; both are cached;
//! - the cached token goes in `X-Auth-Token`, renewed first when it expires within the margin;
//!   a 401 renews it once for every caller that used the same token, and the call is sent
//!   again once;
//! - what cannot have had an effect is sent again (a connection that could not be made, a
//!   429, a 503 with `Retry-After`); what may have had one only when the request only reads
//!   (502, 503 and 504, a connection lost after sending); with capped, jittered backoff or
//!   the service's `Retry-After`, never a streamed body, never after a timeout;
//! - connect and read timeouts, TCP keepalive and an optional time limit bound every call;
//! - each attempt is logged at debug (method, URL, status, time, request id), never a header
//!   value or a body;
//! - an error status becomes an [`Error`] carrying the service's own message and request id.
//!
//! This file holds the [`Session`], its builder and the public calls; the steps above live in
//! `endpoint` + `discovery`, `lease`, `retry` + `timeouts`, `transport` + `tls` and `response`.
//!
//! ```no_run
//! # async fn demo(config: ferrostack::config::CloudConfig) -> ferrostack::Result<()> {
//! use ferrostack::request::{Request, ServiceType};
//! use ferrostack::session::Session;
//! let session = Session::new(config)?;
//! let flavors: serde_json::Value = session
//!     .send_json(Request::get(ServiceType::Compute, "/flavors").microversion("2.61"))
//!     .await?;
//! # let _ = flavors;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::cache::TokenCache;
use crate::auth::{Auth, Token};
use crate::config::CloudConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Body, Request, ServiceType};

mod discovery;
mod endpoint;
mod lease;
mod links;
mod response;
mod retry;
mod timeouts;
mod tls;
mod transport;
mod versions;

/// The decoders of discovery documents, links and bodies, for the fuzz target.
#[cfg(fuzzing)]
pub(crate) use self::{discovery::choose, links::version_url, response::decode_json};
use discovery::Discovered;
pub use response::{MAX_BODY, Response};
pub use retry::RetryPolicy;
use timeouts::Timeouts;
pub use versions::{ServiceVersion, VersionsQuery};

/// A streamed body on its way, and when it last moved.
pub(crate) struct Upload {
    body: reqwest::Body,
    activity: timeouts::Activity,
}

/// A connection to one cloud. Cheap to clone: clones share the HTTP client, the token
/// and the discovery cache.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    config: CloudConfig,
    http: reqwest::Client,
    /// The client for uploads, made on the first one (see `transport::Use`).
    upload_http: std::sync::OnceLock<reqwest::Client>,
    timeouts: Timeouts,
    user_agent: String,
    retry: RetryPolicy,
    auth: Option<Auth>,
    tokens: TokenCache,
    /// Keystone's versioned endpoint, discovered from `auth_url`.
    auth_endpoint: tokio::sync::OnceCell<Url>,
    /// Versioned endpoints and microversion ranges, per service.
    /// One cell per service, so a slow discovery of one service never holds up another.
    discovered: std::sync::Mutex<HashMap<ServiceType, Arc<tokio::sync::OnceCell<Discovered>>>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("cloud", &self.inner.config.name)
            .finish_non_exhaustive()
    }
}

/// Options of a [`Session`] beyond the cloud configuration: timeouts, retries, token renewal.
///
/// Nothing a session sends can hang: a connection must be made within the connect timeout
/// (10 s), each read must bring something within the read timeout (60 s; for an upload,
/// each chunk must go out within it), and idle connections are probed with TCP keepalive.
/// `api_timeout` from clouds.yaml sets both timeouts, as openstacksdk's single timeout does.
///
/// ```
/// # fn demo(config: ferrostack::config::CloudConfig) -> ferrostack::Result<()> {
/// use std::time::Duration;
/// use ferrostack::session::{RetryPolicy, Session};
/// let session = Session::builder(config)
///     .read_timeout(Duration::from_secs(30))
///     .time_limit(Duration::from_secs(300))
///     .retry(RetryPolicy { max_attempts: 2, ..RetryPolicy::default() })
///     .build()?;
/// # let _ = session;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    config: CloudConfig,
    retry: RetryPolicy,
    connect_timeout: Duration,
    read_timeout: Duration,
    timeout: Option<Duration>,
    keepalive: Option<Duration>,
    time_limit: Option<Duration>,
    token_margin: Duration,
    user_agent: String,
    token: Option<Token>,
}

impl SessionBuilder {
    /// Retries of transient failures (default: 4 attempts, 250 ms base, 10 s cap).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long to wait for a connection, TLS included (default: `api_timeout` from the
    /// configuration, else 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long each read may wait for data: the response's status and headers, then each
    /// chunk of its body; for an upload, how long a chunk may wait to go out and, after the
    /// last one, the answer (default: `api_timeout` from the configuration, else 60 s). It
    /// bounds silence, not length: a large download or upload that keeps moving never hits it.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long one attempt may take in all, body included (default: no limit beyond the
    /// connect and read timeouts: uploads of large images take long).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// TCP keepalive: the idle time before the first probe, then a probe every 15 s, and the
    /// connection dropped after 4 unanswered (default 60 s, as keystoneauth; `None` turns it
    /// off).
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.keepalive = idle;
        self
    }

    /// A time limit for everything the session sends, counted from [`build`](Self::build):
    /// each attempt gets only what is left of it, no retry starts that could not end within
    /// it, and once it has run out every call fails at once with an
    /// [`ErrorKind::Timeout`] error naming the call. What a command-line user means by
    /// "give up after N seconds" (default: none).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// How long before its expiry a token is replaced (default 120 s). A token that lives
    /// shorter than twice the margin is replaced when half its lifetime is left instead.
    pub fn token_renewal_margin(mut self, margin: Duration) -> Self {
        self.token_margin = margin;
        self
    }

    /// The `User-Agent` (default `ferrostack/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Starts the session with `token` (one saved by an earlier run, with its catalog) instead
    /// of authenticating on the first call. It is used until it expires within the renewal
    /// margin or a service answers 401; then the session authenticates with its credentials
    /// as usual. Read the token in force afterwards with [`Session::cached_token`]. Ignored
    /// with `auth_type: none`.
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Builds the session. Checks the credentials and TLS files; makes no request.
    pub fn build(self) -> Result<Session> {
        let auth = Auth::from_config(&self.config)?;
        let timeouts = Timeouts {
            connect: self.connect_timeout,
            read: self.read_timeout,
            request: self.timeout,
            keepalive: self.keepalive,
            limit: self
                .time_limit
                .map(|limit| (limit, tokio::time::Instant::now() + limit)),
        };
        let http = transport::build_client(
            &self.config,
            &timeouts,
            &self.user_agent,
            transport::Use::Requests,
        )?;
        Ok(Session {
            inner: Arc::new(Inner {
                http,
                upload_http: std::sync::OnceLock::new(),
                timeouts,
                user_agent: self.user_agent,
                retry: self.retry,
                auth,
                tokens: match self.token {
                    Some(token) => TokenCache::seeded(self.token_margin, token),
                    None => TokenCache::new(self.token_margin),
                },
                auth_endpoint: tokio::sync::OnceCell::new(),
                discovered: std::sync::Mutex::new(HashMap::new()),
                config: self.config,
            }),
        })
    }
}

impl Session {
    /// Builds a session from a configuration with default options. No request is made until
    /// the first call.
    pub fn new(config: CloudConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder for a session with non-default timeouts, retries or token margin.
    pub fn builder(config: CloudConfig) -> SessionBuilder {
        // openstacksdk hands `api_timeout` to requests as its one timeout, which bounds the
        // connection and each read alike.
        let api_timeout = config
            .api_timeout
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(Duration::from_secs_f64);
        SessionBuilder {
            config,
            retry: RetryPolicy::default(),
            connect_timeout: api_timeout.unwrap_or(timeouts::DEFAULT_CONNECT),
            read_timeout: api_timeout.unwrap_or(timeouts::DEFAULT_READ),
            timeout: None,
            keepalive: Some(timeouts::DEFAULT_KEEPALIVE),
            time_limit: None,
            token_margin: Duration::from_secs(120),
            user_agent: concat!("ferrostack/", env!("CARGO_PKG_VERSION")).to_owned(),
            token: None,
        }
    }

    /// What is left of the session's [time limit](SessionBuilder::time_limit), if it has one.
    /// A caller that waits between calls (a waiter, a progress loop) stops by then too.
    pub fn time_left(&self) -> Option<Duration> {
        self.inner.timeouts.left()
    }

    /// The configuration this session was built from.
    pub fn config(&self) -> &CloudConfig {
        &self.inner.config
    }

    /// The authentication this session uses (`None` with `auth_type: none`).
    pub fn auth(&self) -> Option<&Auth> {
        self.inner.auth.as_ref()
    }

    /// The session's current token, authenticating first if needed (`None` with
    /// `auth_type: none`).
    pub async fn token(&self) -> Result<Option<Arc<Token>>> {
        Ok(self.lease().await?.map(|lease| lease.token))
    }

    /// The token the session holds now, without authenticating: the seeded one, the last one
    /// fetched, or `None` before the first call (and always with `auth_type: none`). A
    /// caller that saves tokens between runs compares it with what it seeded.
    pub async fn cached_token(&self) -> Option<Arc<Token>> {
        self.inner.auth.as_ref()?;
        self.inner.tokens.peek().await
    }

    /// Sends a request (with a JSON or empty body), authenticating, retrying and mapping
    /// error statuses to [`Error`] as needed.
    pub async fn send(&self, request: Request) -> Result<Response> {
        if let Body::Stream { .. } = request.body {
            return Err(Error::invalid_input(format!(
                "{} {}: a streamed body must be sent with send_stream",
                request.method, request.path
            )));
        }
        self.dispatch(request, None).await
    }

    /// Sends a request and decodes its JSON body; decode errors name the JSON path.
    pub async fn send_json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let response = self.send(request).await?;
        response.json().await
    }

    /// Sends a request whose body is a stream (an upload): any stream of byte chunks, such as
    /// a `tokio_util::io::ReaderStream` over a file. It is never retried once sent; a chunk
    /// that fails to read ends the request with that error.
    pub async fn send_stream<S>(&self, request: Request, body: S) -> Result<Response>
    where
        S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    {
        let activity = timeouts::Activity::new();
        let body = reqwest::Body::wrap_stream(timeouts::watched(body, activity.clone()));
        self.dispatch(request, Some(Upload { body, activity }))
            .await
    }

    /// The versioned endpoint of a service (`https://glance/v2`, `https://nova/v2.1`),
    /// from overrides or the catalog, and version discovery.
    pub async fn endpoint(&self, service: &ServiceType) -> Result<Url> {
        Ok(self.discovered(service).await?.url)
    }

    /// The path, relative to `service`'s versioned endpoint, of a link the service returned
    /// (a `next` link, absolute like Nova's or root-relative like Glance's `/v2/images?marker=`),
    /// ready for a [`Request`]. The query string is kept.
    pub async fn link_path(&self, service: &ServiceType, link: &str) -> Result<String> {
        Ok(endpoint::path_under(&self.endpoint(service).await?, link))
    }

    /// The microversion range `(min, max)` the service announces, if it has one.
    pub async fn microversion_range(
        &self,
        service: &ServiceType,
    ) -> Result<Option<(String, String)>> {
        Ok(self.discovered(service).await?.microversions)
    }

    /// The microversion to send for `wanted` (`2.79`, or `latest`): the highest both sides
    /// support. `None` when the service has no microversions; a `NotAcceptable` error when
    /// `wanted` is older than the service's minimum.
    pub async fn negotiate_microversion(
        &self,
        service: &ServiceType,
        wanted: &str,
    ) -> Result<Option<String>> {
        let Some((min, max)) = self.microversion_range(service).await? else {
            return Ok(None);
        };
        if wanted == "latest" {
            return Ok(Some(max));
        }
        let parse = |v: &str| {
            discovery::parse_version_id(v).ok_or_else(|| {
                Error::invalid_input(format!("{service}: {v:?} is not a microversion"))
            })
        };
        let (w, lo, hi) = (parse(wanted)?, parse(&min)?, parse(&max)?);
        if w < lo {
            return Err(Error::new(
                ErrorKind::NotAcceptable,
                format!("microversion {wanted} is older than the oldest supported, {min}"),
            )
            .with_service(service.clone()));
        }
        Ok(Some(if w > hi { max } else { wanted.to_owned() }))
    }

    /// A fresh token for this session's credentials, not cached (`openstack token issue`).
    pub(crate) async fn issue_token(&self) -> Result<Token> {
        self.authenticate().await
    }

    /// The HTTP client for uploads, made on first use from the same settings.
    fn upload_client(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.inner.upload_http.get() {
            return Ok(client);
        }
        let client = transport::build_client(
            &self.inner.config,
            &self.inner.timeouts,
            &self.inner.user_agent,
            transport::Use::Uploads,
        )?;
        Ok(self.inner.upload_http.get_or_init(|| client))
    }

    fn cloud_name(&self) -> &str {
        self.inner.config.name.as_deref().unwrap_or("(environment)")
    }
}
