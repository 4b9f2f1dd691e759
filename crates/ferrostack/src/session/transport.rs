//! The one `reqwest::Client` of a session (TLS, trusted roots, client certificates, timeouts,
//! a redirect policy that keeps tokens at home), and the HTTP request of each attempt.

use url::Url;

use crate::config::CloudConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Body, Request, ServiceType};

use super::timeouts::{self, Timeouts};
use super::tls;

/// What the client is for: uploads get no read timeout of reqwest's, which would count from
/// the request's start and so cut a long upload short; their watchdog counts from the last
/// chunk sent instead (see `timeouts::Activity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    /// Every request but uploads.
    Requests,
    /// Requests with a streamed body.
    Uploads,
}

/// Builds the HTTP client for `config`.
pub(crate) fn build_client(
    config: &CloudConfig,
    timeouts: &Timeouts,
    user_agent: &str,
    usage: Use,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        // Our own rustls configuration: no process-wide crypto provider is needed or installed.
        .tls_backend_preconfigured(tls::client_config(config)?)
        .user_agent(user_agent)
        .connect_timeout(timeouts.connect)
        .tcp_keepalive(timeouts.keepalive)
        .tcp_keepalive_interval(timeouts.keepalive.map(|_| timeouts::KEEPALIVE_INTERVAL))
        .tcp_keepalive_retries(timeouts.keepalive.map(|_| timeouts::KEEPALIVE_RETRIES))
        // X-Auth-Token is not a header reqwest strips on redirect: never follow one elsewhere.
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .last()
                .is_some_and(|prev| prev.origin() == attempt.url().origin());
            if attempt.previous().len() > 5 || !same_origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }));
    if usage == Use::Requests {
        builder = builder.read_timeout(timeouts.read);
    }
    builder
        .build()
        .map_err(|e| Error::config("the HTTP client could not be built").with_source(e))
}

/// The HTTP request for one attempt.
pub(super) fn request_builder(
    http: &reqwest::Client,
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
    let mut builder = http.request(request.method.clone(), url.clone());
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
                builder = builder.header(http::header::CONTENT_TYPE, "application/octet-stream");
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
#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CloudConfig {
        CloudConfig {
            name: Some("c".into()),
            ..CloudConfig::new()
        }
    }

    fn timeouts() -> Timeouts {
        Timeouts {
            connect: timeouts::DEFAULT_CONNECT,
            read: timeouts::DEFAULT_READ,
            request: None,
            keepalive: Some(timeouts::DEFAULT_KEEPALIVE),
            limit: None,
        }
    }

    #[test]
    fn default_client_builds() {
        build_client(&config(), &timeouts(), "t", Use::Requests).unwrap();
        let insecure = CloudConfig {
            verify: false,
            ..config()
        };
        let no_keepalive = Timeouts {
            keepalive: None,
            ..timeouts()
        };
        build_client(&insecure, &no_keepalive, "t", Use::Uploads).unwrap();
    }

    #[test]
    fn bad_files_name_the_key_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not pem").unwrap();
        let cases = [
            (
                CloudConfig {
                    cacert: Some(missing.clone()),
                    ..config()
                },
                "cacert",
                "missing.pem",
            ),
            (
                CloudConfig {
                    cacert: Some(garbage.clone()),
                    ..config()
                },
                "cacert",
                "garbage.pem",
            ),
            (
                CloudConfig {
                    cert: Some(garbage.clone()),
                    key: Some(garbage.clone()),
                    ..config()
                },
                "cert",
                "garbage.pem",
            ),
            (
                CloudConfig {
                    key: Some(garbage.clone()),
                    ..config()
                },
                "key",
                "cert is not",
            ),
        ];
        for (config, key, detail) in cases {
            let err = build_client(&config, &timeouts(), "t", Use::Requests).unwrap_err();
            assert_eq!(err.kind(), &crate::ErrorKind::Config);
            assert!(err.message().starts_with(key), "{err}");
            assert!(err.message().contains(detail), "{err}");
        }
    }
}
