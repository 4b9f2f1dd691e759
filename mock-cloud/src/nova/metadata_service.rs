//! Nova's metadata API (nova-api-metadata, `nova/api/metadata/handler.py`), on a loopback
//! listener of its own, as a real cloud's guests reach it through Neutron's metadata proxy:
//! the proxy names the instance with `X-Instance-ID`, signs it with
//! `X-Instance-ID-Signature` (the hex HMAC-SHA256 of the id under the secret Nova and the proxy
//! share) and names its project with `X-Tenant-ID`. The tree answered is the live one of the
//! server's record ([`Instance::lookup`]): `/`, `/openstack`, `/openstack/<version>/...`,
//! `/<ec2 version>/meta-data/...`, `/<ec2 version>/user-data`; `password` is read and (once)
//! written by the guest.
//!
//! As Nova in proxy mode (`service_metadata_proxy`) answers: `/` to anyone; a missing header
//! is a 400 naming it, a wrong signature a 403, an unknown instance, a project that is not the
//! instance's or a path not in the tree a 404. Errors are webob's plain-text bodies. Not
//! served: Nova's look-up by source address (without the proxy) and by
//! `X-Metadata-Provider` (a load balancer's), and the admin password, which only a config
//! drive shows.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

use super::driver::Secret;
use super::instance_metadata::{self, Instance, Key, Lookup, TEXT_PLAIN, random_seed};
use super::servers::Server;
use crate::app::AppState;

/// The most a guest may post to `password` (`password.MAX_SIZE`: 4 chunks of 255).
const MAX_PASSWORD: usize = 4 * 255;

/// What the service's handler shares.
#[derive(Clone)]
struct Service {
    app: AppState,
    secret: Arc<Secret>,
}

/// The metadata API over `app`'s servers, trusting requests signed with `secret`.
pub(crate) fn router(app: AppState, secret: Secret) -> Router {
    Router::new().fallback(handle).with_state(Service {
        app,
        secret: Arc::new(secret),
    })
}

/// The signature Neutron's metadata proxy sends for `instance_id`: the lowercase hex
/// HMAC-SHA256 of the id under `secret`.
pub(crate) fn signature(secret: &Secret, instance_id: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose().as_bytes());
    hex::encode(ring::hmac::sign(&key, instance_id.as_bytes()).as_ref())
}

/// Whether `given` is the signature of `instance_id` (compared in constant time; only the
/// lowercase hex digest Nova computes matches, as its string comparison does).
fn signed(secret: &Secret, instance_id: &str, given: &str) -> bool {
    if !given
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    let Ok(tag) = hex::decode(given) else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose().as_bytes());
    ring::hmac::verify(&key, instance_id.as_bytes(), &tag).is_ok()
}

/// A header as a WSGI server hands it to Nova: repeated ones joined with `, `.
fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// webob's plain-text error page for `status` with `explanation`.
fn webob_error(status: StatusCode, explanation: &str) -> Response {
    let title = status.canonical_reason().unwrap_or_default();
    let body = format!("{} {title}\n\n{explanation}\n\n   ", status.as_u16());
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    webob_error(StatusCode::NOT_FOUND, "The resource could not be found.")
}

fn answer(body: Vec<u8>, content_type: &str) -> Response {
    let content_type = if content_type == TEXT_PLAIN {
        HeaderValue::from_static("text/plain; charset=UTF-8")
    } else {
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("text/plain"))
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Today (UTC), which hides metadata versions from the future.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

async fn handle(
    State(service): State<Service>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // webob hands Nova the decoded path.
    let path = percent_encoding::percent_decode_str(uri.path())
        .decode_utf8_lossy()
        .into_owned();
    if instance_metadata::is_root(&path) {
        return answer(instance_metadata::root_listing(), TEXT_PLAIN);
    }
    let instance_id = header_value(&headers, "x-instance-id");
    let tenant_id = header_value(&headers, "x-tenant-id");
    let signature = header_value(&headers, "x-instance-id-signature");
    let address = header_value(&headers, "x-forwarded-for");
    let (instance_id, tenant_id, signature) = match (instance_id, signature, tenant_id) {
        (None, _, _) => {
            return webob_error(
                StatusCode::BAD_REQUEST,
                "X-Instance-ID header is missing from request.",
            );
        }
        (_, None, _) => {
            return webob_error(
                StatusCode::BAD_REQUEST,
                "X-Instance-ID-Signature header is missing from request.",
            );
        }
        (_, _, None) => {
            return webob_error(
                StatusCode::BAD_REQUEST,
                "X-Tenant-ID header is missing from request.",
            );
        }
        (Some(instance), Some(signature), Some(tenant)) => (instance, tenant, signature),
    };
    if !signed(&service.secret, &instance_id, &signature) {
        tracing::warn!(instance = %instance_id, "metadata request with a wrong signature");
        return webob_error(StatusCode::FORBIDDEN, "Invalid proxy request signature.");
    }
    let server = service
        .app
        .nova
        .lock()
        .servers
        .iter()
        .find(|s| s.id == instance_id)
        .cloned();
    let Some(server) = server else {
        return not_found();
    };
    if server.project_id != tenant_id {
        tracing::warn!(instance = %instance_id, tenant = %tenant_id, "metadata request for another project's instance");
        return not_found();
    }
    let instance = instance_of(&service.app, &server);
    match instance.lookup(&path, &mut random_seed, today(), address.as_deref()) {
        Lookup::Found { body, content_type } => answer(body, content_type),
        Lookup::NotFound => not_found(),
        Lookup::Password => password(&service.app, &server, &method, &body),
    }
}

/// `openstack/<version>/password` (`password.handle_password`): GET reads what the guest
/// posted (nothing: an empty answer); POST stores it once, up to 1,020 bytes.
fn password(app: &AppState, server: &Server, method: &Method, body: &Bytes) -> Response {
    match *method {
        Method::GET => {
            let stored = server
                .password
                .as_ref()
                .map(|p| p.expose().as_bytes().to_vec())
                .unwrap_or_default();
            answer(stored, TEXT_PLAIN)
        }
        Method::POST => {
            if server
                .password
                .as_ref()
                .is_some_and(|p| !p.expose().is_empty())
            {
                return webob_error(
                    StatusCode::CONFLICT,
                    "There was a conflict when trying to complete your request.",
                );
            }
            if body.len() > MAX_PASSWORD {
                return webob_error(StatusCode::BAD_REQUEST, "Request is too large.");
            }
            let mut inner = app.nova.lock();
            let Some(record) = inner.servers.iter_mut().find(|s| s.id == server.id) else {
                return webob_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Instance {} could not be found.", server.id),
                );
            };
            record.password = Some(Secret::new(String::from_utf8_lossy(body)));
            app.nova.save(record);
            answer(Vec::new(), TEXT_PLAIN)
        }
        _ => webob_error(StatusCode::BAD_REQUEST, "GET and POST only are supported."),
    }
}

/// What the metadata shows of `server` now: its record, the keypair copied into it, and its
/// ports as Neutron has them.
fn instance_of(app: &AppState, server: &Server) -> Instance {
    let key = server.key_name.as_ref().and_then(|name| {
        let copied = server
            .key_data
            .clone()
            .map(|data| (data, server.key_type.clone()));
        // Records from before the key was copied: the keypair as it is now.
        let (public_key, kind) = copied.or_else(|| {
            app.nova
                .lock()
                .keypairs
                .iter()
                .find(|k| &k.name == name && k.user_id == server.user_id)
                .map(|k| (k.public_key.clone(), Some(k.kind.clone())))
        })?;
        Some(Key {
            name: name.clone(),
            kind: kind.unwrap_or_else(|| "ssh".to_owned()),
            public_key,
        })
    });
    let network = app.neutron.network_info_of(&server.id);
    let floating_ips = network
        .addresses
        .as_object()
        .into_iter()
        .flat_map(|networks| networks.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter(|entry| entry["OS-EXT-IPS:type"] == "floating" && entry["version"] == 4)
        .filter_map(|entry| entry["addr"].as_str().map(str::to_owned))
        .collect();
    let non_empty = |id: &str| (!id.is_empty()).then(|| id.to_owned());
    Instance {
        uuid: server.id.clone(),
        name: server.name.clone(),
        hostname: server.hostname(),
        project_id: server.project_id.clone(),
        availability_zone: instance_metadata::AVAILABILITY_ZONE.to_owned(),
        launch_index: server.launch_index,
        reservation_id: server.reservation_id(),
        number: server.seq,
        metadata: server.metadata.clone(),
        key,
        user_data: server
            .user_data
            .as_ref()
            .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok()),
        admin_pass: None,
        password: server.password.clone(),
        image_id: server.image_id.clone(),
        kernel_id: non_empty(&server.kernel_id),
        ramdisk_id: non_empty(&server.ramdisk_id),
        flavor_name: server.flavor.name.clone(),
        security_groups: network.security_groups,
        floating_ips,
        nics: network.nics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_nova_s_lowercase_hex_hmac_sha256() {
        let secret = Secret::new("s3cret");
        // hmac.new(b"s3cret", b"vm-1", hashlib.sha256).hexdigest()
        let expected = signature(&secret, "vm-1");
        assert_eq!(expected.len(), 64);
        assert!(signed(&secret, "vm-1", &expected));
        assert!(!signed(&secret, "vm-2", &expected));
        assert!(!signed(&secret, "vm-1", &expected.to_uppercase()));
        assert!(!signed(&secret, "vm-1", "zz"));
        assert!(!signed(&secret, "vm-1", ""));
        assert!(!signed(&Secret::new("other"), "vm-1", &expected));
    }

    #[test]
    fn the_signature_matches_a_known_digest() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature(&Secret::new("Jefe"), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn errors_are_webob_plain_text() {
        let response = webob_error(StatusCode::FORBIDDEN, "Invalid proxy request signature.");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=UTF-8"
        );
    }
}
