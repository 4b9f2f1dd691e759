//! The SDK's decoding of what services answer, over arbitrary bytes: the cargo-fuzz target in
//! `crates/ferrostack/fuzz` (`cargo xtask fuzz --target responses`) calls [`responses`].
//! Compiled only with `--cfg fuzzing`, which cargo-fuzz sets: never part of the public API.

use serde::Deserialize;
use url::Url;

use crate::request::ServiceType;

/// Feeds `data` to every decoder of a service's answer: each may refuse it, none may panic,
/// and what they make (values, errors) must print.
pub fn responses(data: &[u8]) {
    models(data);
    discovery(data);
    errors(data);
    for html in [false, true] {
        if let Err((problem, path)) = crate::session::decode_json::<serde_json::Value>(data, html) {
            let _ = format!("{problem} {path:?}");
        }
    }
}

/// Decodes `data` as `T` and prints what came out.
fn decode<'de, T: Deserialize<'de> + std::fmt::Debug>(data: &'de [u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let _ = format!("{value:?}");
    }
}

/// The envelopes the services wrap their resources in.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read only through Debug
enum Envelope {
    #[serde(rename = "image")]
    Image(crate::image::Image),
    #[serde(rename = "members")]
    Members(Vec<crate::image::Member>),
    #[serde(rename = "server")]
    Server(crate::compute::Server),
    #[serde(rename = "servers")]
    Servers(Vec<crate::compute::Server>),
    #[serde(rename = "flavor")]
    Flavor(crate::compute::Flavor),
    #[serde(rename = "flavors")]
    Flavors(Vec<crate::compute::Flavor>),
    #[serde(rename = "keypair")]
    Keypair(crate::compute::Keypair),
    #[serde(rename = "token")]
    Token(crate::auth::Token),
    #[serde(rename = "catalog")]
    Catalog(Vec<crate::auth::CatalogEntry>),
    #[serde(rename = "project")]
    Project(crate::identity::Project),
    #[serde(rename = "user")]
    User(crate::identity::User),
}

fn models(data: &[u8]) {
    decode::<crate::image::Image>(data);
    decode::<crate::image::ImagePage>(data);
    decode::<crate::image::ImportInfo>(data);
    decode::<crate::compute::Server>(data);
    decode::<crate::compute::CreatedServer>(data);
    decode::<crate::auth::Token>(data);
    // `{"server": {...}}` and friends: an externally tagged enum reads exactly one key.
    decode::<Envelope>(data);
}

fn discovery(data: &[u8]) {
    for fetched in [
        "http://h",
        "https://h:5000/identity",
        "https://h/compute/v2.1/p1",
    ] {
        let fetched = Url::parse(fetched).expect("a valid URL");
        for major in [None, Some(2), Some(3)] {
            if let Ok(found) = crate::session::choose(data, &fetched, major) {
                assert_eq!(
                    found.url.origin(),
                    fetched.origin(),
                    "discovery left the scheme, host or port it was given"
                );
            }
        }
        if let Ok(href) = std::str::from_utf8(data)
            && let Some(url) = crate::session::version_url(&fetched, href)
        {
            assert_eq!(url.origin(), fetched.origin(), "a link moved the origin");
        }
    }
}

fn errors(data: &[u8]) {
    let _ = crate::secret::redact_url(&String::from_utf8_lossy(data));
    let status = 400 + u16::from(data.first().copied().unwrap_or(0)) % 200;
    // The first line, when it can be a header, is the Retry-After.
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    for content_type in [None, Some("application/json"), Some("text/html")] {
        let mut headers = http::HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(content_type),
            );
        }
        if let Ok(value) = http::HeaderValue::from_bytes(first_line) {
            headers.insert(http::header::RETRY_AFTER, value);
        }
        let err = crate::error::from_response(
            status,
            ServiceType::Image,
            &headers,
            data,
            &["gAAAA-token"],
            "GET http://h/v2/images",
        );
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("gAAAA-token"),
            "the token is in an error: {shown}"
        );
    }
}
