//! oslo.middleware's `sizelimit`, in front of Keystone and Nova as in their pipelines: a body
//! over `max_request_body_size` (112 KiB by default) is a 413 before the service sees it,
//! rendered by WebOb (the middleware sits outside the service's own error handling), so its
//! body has Glance's form whatever the service.
//!
//! Glance has no such limit; its JSON bodies stop at axum's 2 MB (uploads stream and are not
//! limited) with Glance's own 413, so that no client makes the mock hold an unbounded body.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::errors::Shaped;
use crate::glance::{error_shape, webob_error};

/// `[oslo_middleware] max_request_body_size`'s default.
pub(crate) const MAX_REQUEST_BODY_SIZE: usize = 114_688;

fn too_large(request_accept: Option<&str>) -> Response {
    webob_error(
        error_shape(request_accept),
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "Request is too large. Larger than max_request_body_size ({MAX_REQUEST_BODY_SIZE})."
        ),
    )
}

/// The middleware: refuses a declared length over the limit at once, and renders the 413 of
/// a body that grew past it while it was read (chunked, no length declared).
pub(crate) async fn limit(request: Request, next: Next) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BODY_SIZE as u64) {
        return too_large(accept.as_deref());
    }
    let response = next.run(request).await;
    // A service's own 413 (a quota) is shaped already; the extractor's is not.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response.extensions().get::<Shaped>().is_none()
    {
        return too_large(accept.as_deref());
    }
    response
}

/// The layers of a service behind the limit: the limit itself, and the extractors' own cap at
/// the same size.
pub(crate) fn behind_limit<S>(router: axum::Router<S>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY_SIZE))
        .layer(axum::middleware::from_fn(limit))
}
