//! Compute microversions: `OpenStack-API-Version: compute 2.X` (or the legacy
//! `X-OpenStack-Nova-API-Version: 2.X`); absent = 2.1, `latest` = the maximum; echoed in every
//! answer with `Vary`; outside the range 406.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::{ApiError, Service};

/// The lowest microversion served.
pub(crate) const MIN: Microversion = Microversion(1);
/// The highest microversion served.
pub(crate) const MAX: Microversion = Microversion(96);

/// A compute microversion `2.N` (Nova has no other major version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Microversion(pub(crate) u16);

impl Microversion {
    /// Whether this is `2.minor` or later.
    pub(crate) fn at_least(self, minor: u16) -> bool {
        self.0 >= minor
    }
}

impl std::fmt::Display for Microversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "2.{}", self.0)
    }
}

fn bad(message: String) -> ApiError {
    ApiError::new(Service::Compute, StatusCode::BAD_REQUEST, message)
}

/// The version a request asks for.
pub(crate) fn requested(headers: &HeaderMap) -> Result<Microversion, ApiError> {
    match header_text(headers) {
        None => Ok(MIN),
        Some(text) => check(text),
    }
}

/// The compute version named by `OpenStack-API-Version` (or the legacy header), as text.
fn header_text(headers: &HeaderMap) -> Option<String> {
    let modern = headers
        .get_all("openstack-api-version")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|item| {
            let mut words = item.split_whitespace();
            (words.next()?.eq_ignore_ascii_case("compute"))
                .then(|| words.next().unwrap_or("").to_owned())
        });
    let legacy = headers
        .get("x-openstack-nova-api-version")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned());
    modern.or(legacy)
}

/// Nova's checks of the requested version, in order: `latest`, well-formed, in range.
fn check(text: String) -> Result<Microversion, ApiError> {
    if text.eq_ignore_ascii_case("latest") {
        return Ok(MAX);
    }
    let invalid = || bad(format!("Invalid API version request string: {text}"));
    let (major, minor) = text.split_once('.').ok_or_else(invalid)?;
    let major: u16 = major.parse().map_err(|_| invalid())?;
    let minor: u16 = minor.parse().map_err(|_| invalid())?;
    if major != 2 || !(MIN.0..=MAX.0).contains(&minor) {
        return Err(ApiError::new(
            Service::Compute,
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "Version {text} is not supported by the API. Minimum is {MIN} and maximum is {MAX}."
            ),
        ));
    }
    Ok(Microversion(minor))
}

/// Middleware: parses the version into the request's extensions and echoes it.
///
/// As real Nova: the version list at the root carries no version; a 401 neither (the token
/// middleware answers before Nova sees the request); a 406 echoes the refused version.
pub(crate) async fn negotiate(mut request: Request, next: Next) -> Response {
    let at_root = request.uri().path() == "/";
    let text = header_text(request.headers());
    let mut response = match requested(request.headers()) {
        Ok(version) => {
            request.extensions_mut().insert(version);
            let mut response = next.run(request).await;
            if !at_root && response.status() != StatusCode::UNAUTHORIZED {
                echo(response.headers_mut(), &version.to_string());
            }
            response
        }
        Err(error) => {
            let refused = error.status == StatusCode::NOT_ACCEPTABLE;
            let mut response = error.into_response();
            if let (true, Some(text)) = (refused, text) {
                echo(response.headers_mut(), &text);
            }
            response
        }
    };
    response.headers_mut().insert(
        "vary",
        HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
    );
    response
}

/// Sets both version headers to `version` (`2.X`).
fn echo(headers: &mut HeaderMap, version: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("compute {version}")) {
        headers.insert("openstack-api-version", v);
    }
    if let Ok(v) = HeaderValue::from_str(version) {
        headers.insert("x-openstack-nova-api-version", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(requested(&HeaderMap::new()).unwrap(), MIN);
        assert_eq!(
            requested(&with("OpenStack-API-Version", "compute 2.47")).unwrap(),
            Microversion(47)
        );
        assert_eq!(
            requested(&with("OpenStack-API-Version", "image 2.5, compute latest")).unwrap(),
            MAX
        );
        assert_eq!(
            requested(&with("X-OpenStack-Nova-API-Version", "2.37")).unwrap(),
            Microversion(37)
        );
        assert_eq!(
            requested(&with("OpenStack-API-Version", "compute 2.97"))
                .unwrap_err()
                .status,
            406
        );
        assert_eq!(
            requested(&with("OpenStack-API-Version", "compute 3.0"))
                .unwrap_err()
                .status,
            406
        );
        assert_eq!(
            requested(&with("OpenStack-API-Version", "compute two"))
                .unwrap_err()
                .status,
            400
        );
    }
}
