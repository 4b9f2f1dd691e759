//! Keystone's `json_body_before_request`: a request that carries a body must call it JSON
//! (`application/json` or `application/*+json`), or not name a type at all.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error;

/// Whether the request has a body (declared, or chunked).
fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|length| length > 0);
    declared || headers.contains_key(header::TRANSFER_ENCODING)
}

/// werkzeug's `is_json`.
fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The middleware.
pub(crate) async fn enforce(request: Request, next: Next) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .filter(|v| !v.is_empty());
    if has_body(&request) && content_type.as_deref().is_some_and(|t| !is_json(t)) {
        return error(
            StatusCode::BAD_REQUEST,
            "Expecting to find application/json in Content-Type header. The server could not \
             comply with the request since it is either malformed or otherwise incorrect. The \
             client is assumed to be in error.",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_as_werkzeug_sees_them() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=UTF-8"));
        assert!(is_json("application/vnd.openstack.identity-v3+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
