//! The session: one HTTP client, authentication, endpoint resolution, version discovery,
//! microversions, retries and tracing. Every [`Request`] is sent through here.
//!
//! What happens to one request:
//! - the service's versioned endpoint comes from `<service>_endpoint_override` or the catalog
//!   (by type or alias, interface, region), then version discovery; both are cached;
//! - the cached token goes in `X-Auth-Token`, renewed first when it expires within the margin;
//!   a 401 renews it once for every caller that used the same token, and the call is sent
//!   again once;
//! - a connection that could not be made is tried again for any request (nothing was sent);
//!   429, 502, 503, 504 and failures after sending are retried only for idempotent requests
//!   without a streamed body, with capped, jittered backoff or the service's `Retry-After`;
//! - each attempt is logged at debug (method, URL, status, time, request id), never a header
//!   value or a body;
//! - an error status becomes an [`Error`] carrying the service's own message and request id.
//!
//! ```no_run
//! # async fn demo(config: ferrostack::CloudConfig) -> ferrostack::Result<()> {
//! use ferrostack::{Request, ServiceType, Session};
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
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::cache::{Lease, TokenCache};
use crate::auth::{Auth, Token, TokenEnvelope, find_endpoint};
use crate::config::{AuthType, CloudConfig};
use crate::error::{self, Error, ErrorKind, Result};
use crate::request::{Body, Request, ServiceType};

mod discovery;
mod retry;
mod transport;

use discovery::Discovered;
pub use retry::RetryPolicy;

/// A connection to one cloud. Cheap to clone: clones share the HTTP client, the token
/// and the discovery cache.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    config: CloudConfig,
    http: reqwest::Client,
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
/// ```
/// # fn demo(config: ferrostack::CloudConfig) -> ferrostack::Result<()> {
/// use std::time::Duration;
/// use ferrostack::session::{RetryPolicy, Session};
/// let session = Session::builder(config)
///     .timeout(Duration::from_secs(30))
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
    timeout: Option<Duration>,
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

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take, body included (default: `api_timeout` from the
    /// configuration, else none: uploads of large images take long).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long before its expiry a token is replaced (default 120 s).
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
        let http = transport::build_client(
            &self.config,
            self.connect_timeout,
            self.timeout,
            &self.user_agent,
        )?;
        Ok(Session {
            inner: Arc::new(Inner {
                http,
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

impl Session {
    /// Builds a session from a configuration with default options. No request is made until
    /// the first call.
    pub fn new(config: CloudConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder for a session with non-default timeouts, retries or token margin.
    pub fn builder(config: CloudConfig) -> SessionBuilder {
        let timeout = config
            .api_timeout
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(Duration::from_secs_f64);
        SessionBuilder {
            config,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            timeout,
            token_margin: Duration::from_secs(120),
            user_agent: concat!("ferrostack/", env!("CARGO_PKG_VERSION")).to_owned(),
            token: None,
        }
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

    /// Sends a request whose body is a stream (an upload). It is never retried once sent.
    pub async fn send_stream(&self, request: Request, body: reqwest::Body) -> Result<Response> {
        self.dispatch(request, Some(body)).await
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
        Ok(path_under(&self.endpoint(service).await?, link))
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

    /// Keystone's versioned endpoint as found from `auth_url` (with or without `/v3`).
    pub(crate) async fn auth_endpoint(&self) -> Result<Url> {
        self.inner
            .auth_endpoint
            .get_or_try_init(|| async {
                let cloud = self.cloud_name();
                let auth_url = self.inner.config.auth.auth_url.as_deref().ok_or_else(|| {
                    Error::config(format!("cloud {cloud}: auth.auth_url is required"))
                })?;
                let base = Url::parse(auth_url).map_err(|e| {
                    Error::config(format!(
                        "cloud {cloud}: auth.auth_url {auth_url:?} is not a URL ({e})"
                    ))
                })?;
                Ok(self.discover(&ServiceType::Identity, base, None).await?.url)
            })
            .await
            .cloned()
    }

    fn cloud_name(&self) -> &str {
        self.inner.config.name.as_deref().unwrap_or("(environment)")
    }

    /// The cached token, renewed when it expires within the margin.
    async fn lease(&self) -> Result<Option<Lease>> {
        if self.inner.auth.is_none() {
            return Ok(None);
        }
        Ok(Some(self.inner.tokens.get(|| self.authenticate()).await?))
    }

    /// `POST /auth/tokens` with the session's credentials.
    async fn authenticate(&self) -> Result<Token> {
        let auth = self.inner.auth.as_ref().ok_or_else(|| {
            Error::invalid_input(format!(
                "cloud {}: auth_type none has no credentials to authenticate with",
                self.cloud_name()
            ))
        })?;
        let base = self.auth_endpoint().await?;
        let response = self
            .execute(&auth.token_request(), &base, None, None)
            .await?;
        let id = response.header("x-subject-token").map(str::to_owned);
        let request_id = response.request_id.clone();
        let mut token = response.json::<TokenEnvelope>().await?.token;
        token.id = id
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    "Keystone issued a token without an X-Subject-Token header",
                )
                .with_service(ServiceType::Identity)
                .with_request_id(request_id)
            })?
            .into();
        tracing::debug!(
            user = %token.user.id,
            project = ?token.project_id(),
            expires_at = %token.expires_at,
            "authenticated"
        );
        Ok(token)
    }

    /// Sends with the session's token; a 401 renews the token (once, shared with every
    /// concurrent caller that saw the same token rejected) and sends again.
    async fn dispatch(&self, request: Request, stream: Option<reqwest::Body>) -> Result<Response> {
        let base = self.endpoint(&request.service).await?;
        let lease = self.lease().await?;
        let streamed = stream.is_some();
        let token = lease.as_ref().map(|l| l.token.id.expose().to_owned());
        let result = self
            .execute(&request, &base, token.as_deref(), stream)
            .await;
        let Some(lease) = lease else { return result };
        match result {
            Err(err) if err.status() == Some(401) => {
                let renewed = self
                    .inner
                    .tokens
                    .renew(lease.generation, || self.authenticate())
                    .await?;
                if streamed {
                    // The body is gone; the next call gets the new token.
                    return Err(err);
                }
                self.execute(&request, &base, Some(renewed.token.id.expose()), None)
                    .await
            }
            other => other,
        }
    }

    /// Sends one request to `base` + its path, retrying transient failures as the retry
    /// policy and the request's idempotency allow, and turns error statuses into [`Error`].
    async fn execute(
        &self,
        request: &Request,
        base: &Url,
        token: Option<&str>,
        mut stream: Option<reqwest::Body>,
    ) -> Result<Response> {
        let url = request_url(base, request);
        let policy = &self.inner.retry;
        // A streamed body cannot be replayed; a JSON body can, when the method allows.
        let streamed = stream.is_some();
        let resendable = request.idempotent && !streamed;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let builder = self.build(request, &url, token, stream.take())?;
            let started = Instant::now();
            let outcome = builder.send().await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let response = match outcome {
                Err(err) => {
                    tracing::debug!(
                        method = %request.method, url = %url, attempt, elapsed_ms,
                        error = %err, "request failed"
                    );
                    // A connect error means nothing reached the server: safe for any method.
                    let safe = err.is_connect() && !streamed || resendable;
                    if safe
                        && attempt < policy.max_attempts
                        && let Some(delay) = policy.delay(attempt, None)
                    {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(transport_error(request, &url, err));
                }
                Ok(response) => response,
            };
            let status = response.status().as_u16();
            let request_id = error::request_id(response.headers());
            tracing::debug!(
                method = %request.method, url = %url, status, elapsed_ms,
                request_id = request_id.as_deref().unwrap_or(""), attempt, "response"
            );
            if status < 400 {
                return Ok(Response {
                    inner: response,
                    request_id,
                    service: request.service.clone(),
                });
            }
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
            let err =
                error::from_response(status, request.service.clone(), &headers, &body, &secrets);
            if retry::is_retryable_status(status)
                && resendable
                && attempt < policy.max_attempts
                && let Some(delay) = policy.delay(attempt, err.retry_after())
            {
                tracing::debug!(
                    method = %request.method, url = %url, status, attempt,
                    delay_ms = delay.as_millis() as u64,
                    retry_after = err.retry_after().is_some(), "retrying"
                );
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    /// The HTTP request for one attempt.
    fn build(
        &self,
        request: &Request,
        url: &Url,
        token: Option<&str>,
        stream: Option<reqwest::Body>,
    ) -> Result<reqwest::RequestBuilder> {
        let has = |name: &str| {
            request
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        let mut builder = self.inner.http.request(request.method.clone(), url.clone());
        if !has("accept") {
            builder = builder.header(http::header::ACCEPT, "application/json");
        }
        if let Some(token) = token {
            let mut value = http::HeaderValue::from_str(token).map_err(|_| {
                Error::new(
                    ErrorKind::Unauthorized,
                    "the token is not a valid header value",
                )
            })?;
            value.set_sensitive(true);
            builder = builder.header("X-Auth-Token", value);
        }
        if let Some(version) = &request.microversion {
            builder = builder.header(
                "OpenStack-API-Version",
                format!("{} {version}", request.service.as_str()),
            );
            if request.service == ServiceType::Compute {
                builder = builder.header("X-OpenStack-Nova-API-Version", version.as_str());
            }
        }
        for (name, value) in &request.headers {
            let mut value = http::HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_input(format!("header {name}: not a valid header value"))
            })?;
            if crate::request::is_secret_header(name) {
                value.set_sensitive(true);
            }
            builder = builder.header(name.as_str(), value);
        }
        match (&request.body, stream) {
            (_, Some(stream)) => {
                if !has("content-type") {
                    builder =
                        builder.header(http::header::CONTENT_TYPE, "application/octet-stream");
                }
                if let Body::Stream {
                    length: Some(length),
                } = request.body
                {
                    builder = builder.header(http::header::CONTENT_LENGTH, length);
                }
                builder = builder.body(stream);
            }
            (Body::Json(value), None) => {
                if !has("content-type") {
                    builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                }
                let bytes = serde_json::to_vec(value).map_err(|e| {
                    Error::invalid_input(format!(
                        "{} {}: body does not serialize",
                        request.method, request.path
                    ))
                    .with_source(e)
                })?;
                builder = builder.body(bytes);
            }
            (Body::Stream { .. }, None) => {
                return Err(Error::invalid_input(format!(
                    "{} {}: the stream was already consumed and cannot be sent again",
                    request.method, request.path
                )));
            }
            (Body::Empty, None) => {}
        }
        Ok(builder)
    }

    /// The discovered endpoint of `service`, cached for the session's life. Concurrent first
    /// calls for one service share one discovery; a failed discovery is tried again next time.
    async fn discovered(&self, service: &ServiceType) -> Result<Discovered> {
        let cell = self
            .inner
            .discovered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(service.clone())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let found = self.resolve(service).await?;
            tracing::debug!(
                service = %service, endpoint = %found.url,
                microversions = ?found.microversions, "discovered"
            );
            Ok(found)
        })
        .await
        .cloned()
    }

    /// Finds a service's base URL (override, `auth.endpoint` for `auth_type: none`, or the
    /// catalog) and runs version discovery on it.
    async fn resolve(&self, service: &ServiceType) -> Result<Discovered> {
        let config = &self.inner.config;
        let cloud = self.cloud_name();
        let lease = self.lease().await?;
        let token = lease.as_ref().map(|l| l.token.clone());
        let override_url = service.catalog_types().iter().find_map(|t| {
            config
                .endpoint_overrides
                .get(&t.replace('-', "_"))
                .or_else(|| config.endpoint_overrides.get(*t))
                .map(|url| {
                    (
                        url.clone(),
                        format!("{}_endpoint_override", t.replace('-', "_")),
                    )
                })
        });
        let (raw, key) = match override_url {
            Some(found) => found,
            None if config.auth_type == AuthType::None => match &config.auth.endpoint {
                Some(url) => (url.clone(), "auth.endpoint".to_owned()),
                None => {
                    return Err(Error::config(format!(
                        "cloud {cloud}: auth_type none needs {}_endpoint_override (or auth.endpoint)",
                        service.config_key()
                    )));
                }
            },
            None => {
                // Only `auth_type: none` has no token, and it was handled above.
                let Some(token) = token.as_ref() else {
                    return Err(Error::config(format!(
                        "cloud {cloud}: no token to read the catalog from"
                    )));
                };
                // openstacksdk's rule: without region_name, the first of `regions`.
                let region = config
                    .region_name
                    .as_deref()
                    .or(config.regions.first().map(String::as_str));
                match find_endpoint(&token.catalog, service, config.interface, region) {
                    Some(endpoint) => (endpoint.url.clone(), "the catalog".to_owned()),
                    None if *service == ServiceType::Identity => {
                        return Ok(Discovered {
                            url: self.auth_endpoint().await?,
                            microversions: None,
                        });
                    }
                    None => {
                        let scoped = if token.catalog.is_empty() {
                            " (the token has no catalog: is it scoped to a project?)"
                        } else {
                            ""
                        };
                        return Err(Error::new(
                            ErrorKind::EndpointNotFound,
                            format!(
                                "cloud {cloud}: no {} endpoint for {service} in region {}{scoped}",
                                config.interface.as_str(),
                                region.unwrap_or("(any)")
                            ),
                        )
                        .with_service(service.clone()));
                    }
                }
            }
        };
        let project = token.as_ref().and_then(|t| t.project_id()).unwrap_or("");
        let filled = [
            "%(project_id)s",
            "%(tenant_id)s",
            "$(project_id)s",
            "$(tenant_id)s",
            "{project_id}",
        ]
        .iter()
        .fold(raw.clone(), |url, pattern| url.replace(pattern, project));
        let base = Url::parse(&filled).map_err(|e| {
            Error::config(format!("cloud {cloud}: {key} {raw:?} is not a URL ({e})"))
                .with_service(service.clone())
        })?;
        let token_id = token.as_ref().map(|t| t.id.expose().to_owned());
        self.discover(service, base, token_id.as_deref()).await
    }

    /// Version discovery at `base`. When the document is missing or unreadable, a URL that
    /// already names a version is used as it is.
    async fn discover(
        &self,
        service: &ServiceType,
        base: Url,
        token: Option<&str>,
    ) -> Result<Discovered> {
        let major = self.major_version(service);
        // A URL that already names a version (or a service we know nothing of) is usable as
        // it is when it has no discovery document.
        let usable_as_is =
            discovery::looks_versioned(&base) || matches!(service, ServiceType::Other(_));
        let reason = match self.fetch_discovery(service, &base, token).await {
            Ok(body) => match discovery::choose(&body, &base, major) {
                Ok(found) => return Ok(found),
                Err(why) if usable_as_is => why,
                Err(why) => {
                    return Err(Error::new(
                        ErrorKind::EndpointNotFound,
                        format!("version discovery at {base}: {why}"),
                    )
                    .with_service(service.clone()));
                }
            },
            Err(err) if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {
                return Err(err.context("version discovery"));
            }
            Err(err) if usable_as_is => err.to_string(),
            // The service's own answer (status, message, request id) says most.
            Err(err) => return Err(err.context(format!("version discovery at {base}"))),
        };
        tracing::debug!(
            service = %service, url = %base, reason = %reason,
            "no usable discovery document; using the URL as it is"
        );
        // Nova's legacy `/v2.1/<project_id>`: the version document, with the microversion
        // range, is one level up.
        let mut microversions = None;
        if let Some(parent) = discovery::version_parent(&base)
            && let Ok(body) = self.fetch_discovery(service, &parent, token).await
            && let Ok(found) = discovery::choose(&body, &parent, major)
        {
            microversions = found.microversions;
        }
        Ok(Discovered {
            url: discovery::trim_trailing_slash(base),
            microversions,
        })
    }

    /// The body of the discovery document at `url` (Keystone answers 300 Multiple Choices).
    async fn fetch_discovery(
        &self,
        service: &ServiceType,
        url: &Url,
        token: Option<&str>,
    ) -> Result<bytes::Bytes> {
        let request = Request::get(service.clone(), "");
        self.execute(&request, url, token, None)
            .await?
            .bytes()
            .await
    }

    /// The major API version to pick: `<service>_api_version`, else the one this SDK speaks.
    fn major_version(&self, service: &ServiceType) -> Option<u64> {
        let configured = self
            .inner
            .config
            .api_versions
            .get(&service.config_key())
            .and_then(|v| discovery::parse_version_id(v))
            .map(|(major, _)| major);
        configured.or(match service {
            ServiceType::Identity => Some(3),
            ServiceType::Image | ServiceType::Compute => Some(2),
            ServiceType::Other(_) => None,
        })
    }
}

/// `base` + the request's path and query. A query string inside the path (a service's
/// `next` link) is kept as sent; `request.query` is appended after it.
fn request_url(base: &Url, request: &Request) -> Url {
    let mut url = base.clone();
    let (path, raw_query) = match request.path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path.as_str(), None),
    };
    if !path.is_empty() {
        let path = path.strip_prefix('/').unwrap_or(path);
        let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
        url.set_path(&joined);
    }
    url.set_query(raw_query.filter(|q| !q.is_empty()));
    if !request.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&request.query);
    }
    url
}

/// The path of a link relative to the versioned endpoint `base`, query included: the
/// endpoint's own path is removed when the link starts with it, else its version segment
/// (Glance's `next` is `/v2/images?marker=...` even behind a path prefix).
fn path_under(base: &Url, link: &str) -> String {
    let absolute;
    let link = match Url::parse(link) {
        Ok(url) => {
            absolute = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            };
            absolute.as_str()
        }
        Err(_) => link,
    };
    let endpoint_path = base.path().trim_end_matches('/');
    let version = endpoint_path.rsplit('/').next().unwrap_or("");
    let under = |prefix: &str| {
        link.strip_prefix(prefix)
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            .map(str::to_owned)
    };
    let stripped = (!endpoint_path.is_empty())
        .then(|| under(endpoint_path))
        .flatten()
        .or_else(|| {
            (!version.is_empty())
                .then(|| under(&format!("/{version}")))
                .flatten()
        })
        .unwrap_or_else(|| link.to_owned());
    if stripped.starts_with('/') {
        stripped
    } else {
        format!("/{stripped}")
    }
}

fn transport_error(request: &Request, url: &Url, err: reqwest::Error) -> Error {
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
        let request_id = self.request_id.clone();
        let service = self.service.clone();
        self.inner.bytes().await.map_err(|e| {
            Error::transport("reading the response body failed")
                .with_service(service)
                .with_request_id(request_id)
                .with_source(e)
        })
    }

    /// The body as a stream of chunks (downloads).
    pub fn bytes_stream(
        self,
    ) -> impl futures::Stream<Item = std::result::Result<bytes::Bytes, reqwest::Error>> {
        self.inner.bytes_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn session(attempts: u32) -> Session {
        let config = CloudConfig {
            auth_type: AuthType::None,
            ..CloudConfig::new()
        };
        Session::builder(config)
            .retry(RetryPolicy {
                max_attempts: attempts,
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap()
    }

    /// A server that reads each request and hangs up without answering; counts connections.
    async fn hang_up_server() -> (Url, Arc<AtomicUsize>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/v2.1", listener.local_addr().unwrap())).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                drop(socket);
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn a_dropped_connection_is_retried_for_get_but_not_for_post() {
        let session = session(3);
        let (url, accepted) = hang_up_server().await;
        let get = Request::get(ServiceType::Compute, "/servers");
        let err = session.execute(&get, &url, None, None).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        let post = Request::post(ServiceType::Compute, "/servers").json(serde_json::json!({}));
        let err = session.execute(&post, &url, None, None).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert!(err.message().starts_with("POST http://"), "{err}");
        assert_eq!(accepted.load(Ordering::SeqCst), 4, "the POST went out once");
        let put = Request::put(ServiceType::Image, "/images/x/file").stream(Some(3));
        let err = session
            .execute(&put, &url, None, Some(reqwest::Body::from("abc")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport);
        assert_eq!(accepted.load(Ordering::SeqCst), 5, "a stream is sent once");
    }

    #[test]
    fn links_become_paths_under_the_endpoint() {
        let glance = Url::parse("http://h/image/v2").unwrap();
        assert_eq!(
            path_under(&glance, "/v2/images?marker=abc&limit=2"),
            "/images?marker=abc&limit=2"
        );
        assert_eq!(
            path_under(&glance, "/image/v2/images?marker=abc"),
            "/images?marker=abc"
        );
        assert_eq!(
            path_under(&glance, "http://h/image/v2/images?marker=a%20b"),
            "/images?marker=a%20b"
        );
        let nova = Url::parse("http://h:8774/v2.1").unwrap();
        assert_eq!(
            path_under(&nova, "http://h:8774/v2.1/servers/detail?marker=x"),
            "/servers/detail?marker=x"
        );
        assert_eq!(path_under(&nova, "/v2.10/x"), "/v2.10/x");
        let root = Url::parse("http://h:9292/").unwrap();
        assert_eq!(path_under(&root, "images?x=1"), "/images?x=1");
        // And back: the query inside the path survives, extra query pairs follow it.
        let req = Request::get(ServiceType::Image, "/images?marker=a%20b").query("limit", "2");
        assert_eq!(
            request_url(&glance, &req).as_str(),
            "http://h/image/v2/images?marker=a%20b&limit=2"
        );
    }

    #[test]
    fn paths_append_to_the_versioned_endpoint() {
        let base = Url::parse("http://h/image/v2").unwrap();
        let req = Request::get(ServiceType::Image, "/images")
            .query("name", "a b")
            .query("tag", "x")
            .query("tag", "y");
        assert_eq!(
            request_url(&base, &req).as_str(),
            "http://h/image/v2/images?name=a+b&tag=x&tag=y"
        );
        let root = Url::parse("http://h:9292/").unwrap();
        assert_eq!(
            request_url(&root, &Request::get(ServiceType::Image, "/images")).as_str(),
            "http://h:9292/images"
        );
        assert_eq!(
            request_url(&base, &Request::get(ServiceType::Image, "")).as_str(),
            "http://h/image/v2"
        );
    }
}
