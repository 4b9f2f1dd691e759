//! Turning an error response into an [`Error`]: each service words its failures differently.
//!
//! - Keystone: `{"error":{"code":401,"title":"Unauthorized","message":"..."}}`
//! - Nova: `{"<faultName>":{"code":404,"message":"..."}}`
//! - Glance (WebOb): `{"message":"...","code":"404 Not Found","title":"Not Found"}` with
//!   `Accept: application/json`, otherwise plain text or HTML.
//! - Neutron: `{"NeutronError":{"type":"IpAddressInUse","message":"...","detail":""}}`; the
//!   `type` is kept as [`Error::error_type`].

use std::time::Duration;

use super::Error;
use crate::request::ServiceType;

/// The longest service message kept; an HTML error page can be long and says little more.
const MAX_MESSAGE: usize = 1000;

/// The error for a non-success response: status, service, request id, Retry-After, and the
/// service's own message. `secrets` (the tokens the request carried) are masked in the
/// message, since Keystone names the token it could not find.
///
/// When the body is not a service's JSON error (an HTML page from a proxy, text, nothing),
/// the message starts with `at` (`GET http://host/path`): it may not come from the service.
pub(crate) fn from_response(
    status: u16,
    service: ServiceType,
    headers: &http::HeaderMap,
    body: &[u8],
    secrets: &[&str],
    at: &str,
) -> Error {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let from_service = serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|value| json_message(&value).is_some());
    let mut message = service_message(body, content_type).unwrap_or_else(|| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("unexpected status")
            .to_owned()
    });
    if !from_service {
        message = format!("{at}: {message}");
    }
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        message = message.replace(secret, "<redacted>");
    }
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
    Error::http(status, service, message)
        .with_request_id(request_id(headers))
        .with_retry_after(retry_after)
        .with_error_type(neutron_type(body))
}

/// `NeutronError.type`, the exception class Neutron names its failure by.
fn neutron_type(body: &[u8]) -> Option<String> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let kind = value.get("NeutronError")?.get("type")?.as_str()?.trim();
    (!kind.is_empty()).then(|| kind.to_owned())
}

/// `x-openstack-request-id`, or Nova's `x-compute-request-id`.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-openstack-request-id", "x-compute-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// The service's own words in an error body, from any of the three services' shapes, or
/// `None` when the body is empty.
///
/// ```
/// let nova = br#"{"itemNotFound": {"code": 404, "message": "Flavor 7 could not be found."}}"#;
/// assert_eq!(
///     ferrostack::service_message(nova, Some("application/json")).as_deref(),
///     Some("Flavor 7 could not be found.")
/// );
/// ```
pub fn service_message(body: &[u8], content_type: Option<&str>) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(message) = json_message(&value)
    {
        return Some(truncate(message.trim()));
    }
    let text = String::from_utf8_lossy(body);
    let looks_html =
        content_type.is_some_and(|c| c.contains("html")) || text.trim_start().starts_with('<');
    let text = if looks_html {
        strip_html(&text)
    } else {
        text.into_owned()
    };
    let text = collapse_whitespace(&text);
    (!text.is_empty()).then(|| truncate(&text))
}

/// `error.message` (Keystone), `message` (Glance JSON), `<fault>.message` (Nova, Neutron and
/// any other service that wraps its fault in a single named object).
fn json_message(value: &serde_json::Value) -> Option<&str> {
    let object = value.as_object()?;
    if let Some(message) = object.get("message").and_then(|m| m.as_str()) {
        return Some(message);
    }
    if let Some(message) = object
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
    {
        return Some(message);
    }
    object
        .values()
        .find_map(|inner| inner.get("message").and_then(|m| m.as_str()))
}

/// The visible text of an HTML page: tags removed, the `<head>` (a title repeating the
/// status) dropped, common entities decoded.
fn strip_html(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut text = String::with_capacity(html.len());
    let mut rest = 0;
    // Skip <head>...</head> and <script>/<style> blocks whole; they are not the message.
    while rest < html.len() {
        let next_tag = lower[rest..].find('<').map(|i| i + rest);
        let Some(open) = next_tag else {
            text.push_str(&html[rest..]);
            break;
        };
        text.push_str(&html[rest..open]);
        let skipped_block = ["head", "script", "style"].iter().find_map(|name| {
            let opening = format!("<{name}");
            let closing = format!("</{name}>");
            (lower[open..].starts_with(&opening)
                && lower[open + opening.len()..]
                    .starts_with(|c: char| c == '>' || c.is_whitespace()))
            .then(|| {
                lower[open..]
                    .find(&closing)
                    .map(|end| open + end + closing.len())
                    .unwrap_or(html.len())
            })
        });
        rest = match skipped_block {
            Some(end) => end,
            None => match lower[open..].find('>') {
                Some(end) => {
                    // A tag separates words, as a browser would lay them out.
                    text.push(' ');
                    open + end + 1
                }
                None => html.len(),
            },
        };
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_MESSAGE {
        return text.to_owned();
    }
    let mut end = MAX_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110), relative to `now`. A date in the
/// past means "now".
pub(crate) fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = now.duration_until(date);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const AT: &str = "GET http://h/v2/images";

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn keystone_error() {
        let body = br#"{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}"#;
        let h = headers(&[("x-openstack-request-id", "req-k1")]);
        let e = from_response(401, ServiceType::Identity, &h, body, &[], AT);
        assert_eq!(e.kind(), &ErrorKind::Unauthorized);
        assert_eq!(
            e.message(),
            "The request you have made requires authentication."
        );
        assert_eq!(e.request_id(), Some("req-k1"));
        assert_eq!(e.service(), Some(&ServiceType::Identity));
    }

    #[test]
    fn nova_fault_uses_the_compute_request_id() {
        let body = br#"{"conflictingRequest":{"code":409,"message":"Cannot 'start' instance while it is in vm_state active"}}"#;
        let h = headers(&[("x-compute-request-id", "req-n1")]);
        let e = from_response(409, ServiceType::Compute, &h, body, &[], AT);
        assert!(e.is_conflict());
        assert_eq!(
            e.message(),
            "Cannot 'start' instance while it is in vm_state active"
        );
        assert_eq!(e.request_id(), Some("req-n1"));
    }

    #[test]
    fn glance_json_text_and_html() {
        let json = br#"{"message": "No image found with ID 42", "code": "404 Not Found", "title": "Not Found"}"#;
        assert_eq!(
            service_message(json, Some("application/json")).as_deref(),
            Some("No image found with ID 42")
        );
        let text = b"404 Not Found\n\nNo image found with ID 42\n\n    ";
        assert_eq!(
            service_message(text, Some("text/plain")).as_deref(),
            Some("404 Not Found No image found with ID 42")
        );
        let html = b"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID 42<br /><br />\n\n </body>\n</html>";
        assert_eq!(
            service_message(html, Some("text/html; charset=UTF-8")).as_deref(),
            Some("404 Not Found No image found with ID 42")
        );
    }

    #[test]
    fn a_page_that_is_not_the_services_error_names_the_url() {
        let page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let h = headers(&[("content-type", "text/html")]);
        let e = from_response(502, ServiceType::Image, &h, page, &[], AT);
        assert_eq!(
            e.to_string(),
            "image: GET http://h/v2/images: 502 Bad Gateway nginx (HTTP 502)"
        );
    }

    #[test]
    fn neutron_errors_keep_their_type() {
        let cases = [
            (
                409,
                "IpAddressInUse",
                "Unable to complete operation for network 3cb9bc59. The IP address 10.0.0.7 is in use.",
                ErrorKind::Conflict,
            ),
            (
                409,
                "FloatingIPPortAlreadyAssociated",
                "Cannot associate floating IP 172.24.4.10 (61cea855) with port 8d5a2b3c using fixed IP 10.0.0.5, as that fixed IP already has a floating IP on external network 6d3c4b2a.",
                ErrorKind::Conflict,
            ),
            (
                409,
                "SecurityGroupRuleExists",
                "Security group rule already exists. Rule id is 5c1b9e3a.",
                ErrorKind::Conflict,
            ),
            (
                404,
                "NetworkNotFound",
                "Network private could not be found.",
                ErrorKind::NotFound,
            ),
            (
                404,
                "ExternalGatewayForFloatingIPNotFound",
                "External network 6d3c4b2a is not reachable from subnet 4f1e2d3c.  Therefore, cannot associate Port 8d5a2b3c with a Floating IP.",
                ErrorKind::NotFound,
            ),
            (
                400,
                "BadRequest",
                "Bad router request: Router already has a port on subnet 4f1e2d3c.",
                ErrorKind::BadRequest,
            ),
            (
                403,
                "PolicyNotAuthorized",
                "rule:create_network:router:external is disallowed by policy",
                ErrorKind::Forbidden,
            ),
        ];
        let h = headers(&[("x-openstack-request-id", "req-q1")]);
        for (status, kind, message, category) in cases {
            let body = serde_json::json!({"NeutronError": {"type": kind, "message": message, "detail": ""}});
            let body = serde_json::to_vec(&body).unwrap();
            let e = from_response(status, ServiceType::Network, &h, &body, &[], AT);
            assert_eq!(e.kind(), &category, "{kind}");
            assert_eq!(e.error_type(), Some(kind));
            assert_eq!(e.message(), message);
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.request_id(), Some("req-q1"));
            assert_eq!(
                e.to_string(),
                format!("network: {message} (HTTP {status}, request req-q1)")
            );
        }
        // Other services' bodies name no type.
        let nova =
            br#"{"itemNotFound":{"code":404,"message":"Flavor 7 could not be found.","type":"x"}}"#;
        let e = from_response(404, ServiceType::Compute, &h, nova, &[], AT);
        assert_eq!(e.error_type(), None);
    }

    #[test]
    fn empty_body_falls_back_to_the_reason_phrase() {
        let e = from_response(503, ServiceType::Image, &headers(&[]), b"", &[], AT);
        assert_eq!(e.message(), "GET http://h/v2/images: Service Unavailable");
        assert_eq!(e.kind(), &ErrorKind::Unavailable);
    }

    #[test]
    fn tokens_named_in_a_message_are_masked() {
        let body = br#"{"error":{"code":404,"title":"Not Found","message":"Could not find token: gAAAAsecret."}}"#;
        let e = from_response(
            404,
            ServiceType::Identity,
            &headers(&[]),
            body,
            &["gAAAAsecret"],
            AT,
        );
        assert_eq!(e.message(), "Could not find token: <redacted>.");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now: jiff::Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let h = headers(&[("retry-after", "2")]);
        let e = from_response(429, ServiceType::Compute, &h, b"", &[], AT);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(e.kind(), &ErrorKind::RateLimited);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(5000);
        let m = service_message(long.as_bytes(), Some("text/plain")).unwrap();
        assert_eq!(m.len(), MAX_MESSAGE + 3);
    }
}
