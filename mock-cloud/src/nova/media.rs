//! The media types Nova reads: JSON (`application/json`, `application/vnd.openstack.compute+json`),
//! and a body with no type or `text/plain` (what some WSGI servers default to), read as JSON.
//! Any other Content-Type is Nova's 415 before the body is looked at.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error;
use crate::app::AppState;

/// WebOb's `content_type`: the type without its parameters.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn supported(content_type: &str) -> bool {
    matches!(
        essence(content_type).as_str(),
        "" | "text/plain" | "application/json" | "application/vnd.openstack.compute+json"
    )
}

/// The middleware. keystonemiddleware runs first in Nova's pipeline: a request without a
/// valid token gets its 401 from the handler, not a 415 from here.
pub(crate) async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let refused = content_type.as_deref().is_some_and(|t| !supported(t))
        && request
            .headers()
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|token| state.keystone.validate(token).is_some());
    if refused {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Content-Type",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nova_reads_json_and_untyped_bodies() {
        for ok in [
            "application/json",
            "application/json; charset=UTF-8",
            "text/plain",
            "",
            "application/vnd.openstack.compute+json",
        ] {
            assert!(supported(ok), "{ok}");
        }
        for refused in [
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert!(!supported(refused), "{refused}");
        }
    }
}
