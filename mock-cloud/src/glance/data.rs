//! The data plane: PUT /file (streamed to a temporary file, md5 + sha512 + format gate on the
//! way, then renamed into the store), GET /file (streamed, Range), PUT /stage and POST /import
//! (glance-direct).

use std::fmt::Display;
use std::io::SeekFrom;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::Glance;
use super::claim::{Claim, claim};
use super::gate::Gate;
use super::image::{
    STORE, Staged, Status, bad_request, conflict, forbidden, image_not_found, media_type_refused,
    not_authorized,
};
use super::policy;
use super::sink::{Sink, SinkError};
use super::store::{TempFile, commit_file};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::{ApiError, Service};

/// The import methods this Glance offers (`enabled_import_methods`).
pub(crate) const IMPORT_METHODS: &[&str] = &["glance-direct"];

/// Bytes per read when streaming stored data (download, import from staging). The default
/// of `ReaderStream` (4 KiB) costs one blocking-pool round trip per 4 KiB: 126 MB/s for a
/// 1 GiB download on a 2-core machine, against several hundred with 256 KiB.
const READ_CHUNK: usize = 256 * 1024;

/// A stream written to a temporary file, with what was learned on the way.
struct Received {
    tmp: TempFile,
    size: u64,
    md5: String,
    sha512: String,
    gate: Gate,
}

/// 415 unless the body is `application/octet-stream` (WebOb's message, Glance's detail).
fn require_octet_stream(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some("application/octet-stream") => Ok(()),
        Some(other) => Err(media_type_refused(
            other,
            &format!("Invalid content type {other}"),
        )),
        None => Err(media_type_refused("", "Invalid content type None")),
    }
}

/// The optional `x-openstack-image-size` header: the size the client promises.
fn declared_size(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("x-openstack-image-size") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| bad_request("Invalid or missing image size in request headers."))
}

/// Multi-store mode: `X-Image-Meta-Store` may name the target store, and it must exist.
fn check_store(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers
        .get("x-image-meta-store")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None => Ok(()),
        Some(store) if store == STORE => Ok(()),
        Some(other) => Err(bad_request(format!(
            "Unknown scheme '{other}' found in URI"
        ))),
    }
}

/// The image `id` as `caller` may change it: 404 when invisible, 403 when read-only to them.
fn check_writable(
    glance: &Glance,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<(), ApiError> {
    let images = glance.lock();
    let image = images
        .get(id)
        .filter(|image| policy::can_see(caller, image))
        .ok_or_else(|| image_not_found(id))?;
    if policy::can_modify(caller, image) {
        Ok(())
    } else {
        Err(not_authorized(action))
    }
}

/// Streams `body` to a fresh temporary file, hashed on the way: never more than a few
/// batches of the body's chunks in memory. The file goes with the future if it fails or is
/// dropped.
async fn receive<S, E>(glance: &Glance, mut body: S) -> Result<Received, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let tmp = glance.store().temp_file();
    let file = tokio::fs::File::create(tmp.path())
        .await
        .map_err(storage_error)?;
    // In memory the bytes end with the process: an fsync would buy nothing there.
    let durable = glance.store().is_persistent();
    let mut sink = Sink::start(file.into_std().await, durable);
    let mut gate = Gate::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| bad_request(format!("Error reading the request body: {e}")))?;
        gate.feed(&chunk);
        size += chunk.len() as u64;
        sink.push(chunk).await.map_err(sink_error)?;
    }
    let digests = sink.finish().await.map_err(sink_error)?;
    Ok(Received {
        tmp,
        size,
        md5: digests.md5,
        sha512: digests.sha512,
        gate,
    })
}

fn sink_error(e: SinkError) -> ApiError {
    match e {
        SinkError::Write(e) => storage_error(e),
        SinkError::Lost => hashing_error(),
    }
}

/// A hashing or writing thread died (it cannot, short of a panic): Glance's answer to an
/// internal error.
fn hashing_error() -> ApiError {
    ApiError::new(
        Service::Image,
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server could not hash the image data.",
    )
}

/// Glance's answers to a store that cannot take the bytes: 413 when it is full (the
/// store's `StorageFull`), 503 for any other failure to write (`StorageWriteDenied`).
fn storage_error(e: std::io::Error) -> ApiError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            ApiError::new(
                Service::Image,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Image storage media is full: {e}"),
            )
        }
        _ => ApiError::new(
            Service::Image,
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Insufficient permissions on image storage media: {e}"),
        ),
    }
}

/// Checks a received stream (size promise, format gate) and makes it the image's data:
/// renamed into the store (off the runtime's threads, outside the lock), fields set, status
/// `from` -> active. On failure the bytes are discarded; the caller's [`Claim`] puts the image
/// back to queued.
async fn finish(
    glance: &Glance,
    id: &str,
    from: Status,
    formats: (String, String),
    received: Received,
    declared: Option<u64>,
) -> Result<(), ApiError> {
    let accepted = match declared {
        Some(promised) if promised != 0 && promised != received.size => Err(bad_request(format!(
            "Size mismatch: expected {promised} bytes, got {} bytes",
            received.size
        ))),
        _ => received.gate.verdict(&formats.0, &formats.1),
    }?;
    // Bytes first, metadata second: a crash in between leaves a non-active image, whose
    // orphaned bytes the next start removes.
    let dest = glance.store().data_path(id);
    let tmp = received.tmp;
    let target = dest.clone();
    tokio::task::spawn_blocking(move || commit_file(tmp, &target))
        .await
        .map_err(|_| storage_error(std::io::Error::other("the rename was cancelled")))?
        .map_err(storage_error)?;
    let mut images = glance.lock();
    let Some(mut image) = images.get_mut(id).filter(|image| image.status == from) else {
        let _ = std::fs::remove_file(&dest);
        return Err(ApiError::new(
            Service::Image,
            StatusCode::GONE,
            format!(
                "Image {id} could not be found after upload. The image may have been \
                 deleted during the upload."
            ),
        ));
    };
    image.size = Some(received.size);
    image.checksum = Some(received.md5);
    image.os_hash_algo = Some("sha512".to_owned());
    image.os_hash_value = Some(received.sha512);
    image.virtual_size = accepted.virtual_size;
    image.status = Status::Active;
    image.staged = None;
    image.updated_at = Timestamp::now();
    glance.save(&image)
}

/// Uploads `body` as the data of queued image `id` (no policy check: callers do it).
pub(crate) async fn store_data<S, E>(
    glance: &Glance,
    id: &str,
    body: S,
    declared: Option<u64>,
) -> Result<(), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let (claim, formats) = claim(glance, id, Status::Saving)?;
    let received = receive(glance, body).await?;
    finish(glance, id, Status::Saving, formats, received, declared).await?;
    claim.keep();
    Ok(())
}

/// `PUT /v2/images/{id}/file`: 204.
pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    require_octet_stream(&headers)?;
    let declared = declared_size(&headers)?;
    check_store(&headers)?;
    check_writable(&state.glance, &caller, &id, "upload_image")?;
    store_data(&state.glance, &id, body.into_data_stream(), declared).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A byte range of a `size`-byte image: `(first, last)` inclusive, `None` = unsatisfiable.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        let suffix: u64 = end.parse().ok()?;
        if suffix == 0 {
            return None;
        }
        return Some((size.saturating_sub(suffix), size - 1));
    }
    let start: u64 = start.parse().ok()?;
    let end = if end.is_empty() {
        size - 1
    } else {
        end.parse::<u64>().ok()?.min(size - 1)
    };
    (start <= end && start < size).then_some((start, end))
}

/// `GET /v2/images/{id}/file`: 200 (or 206 with Range), 204 when the image has no data.
pub(crate) async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (size, checksum, path) = {
        let images = state.glance.lock();
        let image = images
            .get(&id)
            .filter(|image| policy::can_see(&caller, image))
            .ok_or_else(|| image_not_found(&id))?;
        if image.status == Status::Deactivated && !caller.is_admin() {
            return Err(forbidden(
                "The requested image has been deactivated. Image data download is forbidden.",
            ));
        }
        if !policy::can_download(&caller, image) {
            return Err(not_authorized("download_image"));
        }
        if !image.has_data() {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        (
            image.size.unwrap_or(0),
            image.checksum.clone(),
            state.glance.store().data_path(&id),
        )
    };
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) => match parse_range(value, size) {
            Some(range) => Some(range),
            None => {
                return Err(ApiError::new(
                    Service::Image,
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "The Range requested is not available.",
                ));
            }
        },
        None => None,
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::new(
            Service::Image,
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The image data of {id} is unavailable: {e}"),
        )
    })?;
    let (first, last) = range.unwrap_or((0, size.saturating_sub(1)));
    let length = if size == 0 { 0 } else { last - first + 1 };
    if first > 0 {
        file.seek(SeekFrom::Start(first))
            .await
            .map_err(storage_error)?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(length), READ_CHUNK);
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    // Glance sends the hex md5 of the whole image (not base64 as RFC 1864 would have it),
    // ranged answers included.
    if let Some(md5) = checksum.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert("content-md5", md5);
    }
    Ok(response)
}

/// `PUT /v2/images/{id}/stage`: 204; the image goes `queued -> uploading`.
pub(crate) async fn stage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    require_octet_stream(&headers)?;
    let glance = &state.glance;
    check_writable(glance, &caller, &id, "upload_image")?;
    let (claim, _) = claim(glance, &id, Status::Uploading)?;
    let received = receive(glance, body.into_data_stream()).await?;
    let staging = glance.store().staging_path(&id);
    let target = staging.clone();
    tokio::task::spawn_blocking(move || commit_file(received.tmp, &target))
        .await
        .map_err(|_| storage_error(std::io::Error::other("the rename was cancelled")))?
        .map_err(storage_error)?;
    {
        let mut images = glance.lock();
        let Some(mut image) = images
            .get_mut(&id)
            .filter(|image| image.status == Status::Uploading)
        else {
            let _ = std::fs::remove_file(&staging);
            return Err(image_not_found(&id));
        };
        image.staged = Some(Staged {
            size: received.size,
        });
        image.updated_at = Timestamp::now();
        glance.save(&image)?;
    }
    claim.keep();
    Ok(StatusCode::NO_CONTENT)
}

/// Validates an import request body as Glance's deserializer does; returns the method name.
fn import_method(body: &Bytes) -> Result<String, ApiError> {
    let body: Value =
        serde_json::from_slice(body).map_err(|_| bad_request("Malformed JSON in request body."))?;
    let method = body
        .get("method")
        .ok_or_else(|| bad_request("Import request requires a 'method' field."))?;
    let name = method
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Import request requires a 'name' field."))?;
    if !IMPORT_METHODS.contains(&name) {
        return Err(bad_request(format!("Unknown import method name '{name}'.")));
    }
    for flag in ["all_stores_must_succeed", "all_stores"] {
        if body.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(bad_request(format!("'{flag}' must be boolean value only")));
        }
    }
    Ok(name.to_owned())
}

/// Glance's bookkeeping properties of an import (multi-store mode): where it is going, and
/// where it failed.
pub(super) const IMPORTING_TO_STORES: &str = "os_glance_importing_to_stores";
pub(super) const FAILED_IMPORT: &str = "os_glance_failed_import";

/// `POST /v2/images/{id}/import` (glance-direct): 202. The staged data goes through the same
/// checks as an upload, `uploading -> importing -> active`; a refused stream sends the image
/// back to queued with `os_glance_failed_import` naming the store (as Glance's import task
/// does), so clients waiting for active see it.
pub(crate) async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    import_method(&body)?;
    let glance = &state.glance;
    let formats = {
        let mut images = glance.lock();
        let mut image = images
            .get_mut(&id)
            .filter(|image| policy::can_see(&caller, image))
            .ok_or_else(|| image_not_found(&id))?;
        if image.status == Status::Active {
            return Err(conflict(
                "Image with status active cannot be target for import",
            ));
        }
        if image.status != Status::Uploading || image.staged.is_none() {
            return Err(conflict(
                "Image needs to be staged before 'glance-direct' method can be used",
            ));
        }
        let Some(container) = image.container_format.clone() else {
            return Err(conflict("'container_format' needs to be set before import"));
        };
        let Some(disk) = image.disk_format.clone() else {
            return Err(conflict("'disk_format' needs to be set before import"));
        };
        if !policy::can_modify(&caller, &image) {
            return Err(not_authorized("modify_image"));
        }
        image.status = Status::Importing;
        image
            .properties
            .insert(IMPORTING_TO_STORES.to_owned(), STORE.to_owned());
        image
            .properties
            .insert(FAILED_IMPORT.to_owned(), String::new());
        image.updated_at = Timestamp::now();
        glance.save(&image)?;
        (disk, container)
    };
    let claim = Claim::new(glance, &id, Status::Importing);
    let staging = glance.store().staging_path(&id);
    let outcome = match tokio::fs::File::open(&staging).await {
        Ok(file) => match receive(
            glance,
            tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK),
        )
        .await
        {
            Ok(received) => finish(glance, &id, Status::Importing, formats, received, None).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(storage_error(e)),
    };
    match outcome {
        Ok(()) => {
            claim.keep();
            let _ = tokio::fs::remove_file(&staging).await;
            let mut images = glance.lock();
            if let Some(mut image) = images.get_mut(&id) {
                image
                    .properties
                    .insert(IMPORTING_TO_STORES.to_owned(), String::new());
                glance.save(&image)?;
            }
        }
        Err(e) => {
            // The claim puts the image back to queued, naming the store that failed.
            drop(claim);
            tracing::info!(image = %id, error = %e.message, "import failed: image back to queued");
        }
    }
    // WebOb's empty 202 still says it is HTML.
    let mut response = StatusCode::ACCEPTED.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::seed::SeedImage;

    #[test]
    fn a_full_store_is_glance_s_413_and_other_write_failures_its_503() {
        let full = storage_error(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!(full.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            full.message.starts_with("Image storage media is full: "),
            "{}",
            full.message
        );
        let denied = storage_error(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(denied.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            denied
                .message
                .starts_with("Insufficient permissions on image storage media: ")
        );
    }

    /// An upload whose future is dropped while it waits for more of the body (what a client
    /// reset, an HTTP/2 cancel or a shutdown does to its handler).
    #[tokio::test]
    async fn a_dropped_upload_leaves_the_image_queued_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let cloud = crate::MockCloud::builder()
            .state_dir(dir.path())
            .start()
            .await
            .unwrap();
        let glance = &cloud.state.glance;
        let seed = SeedImage {
            name: "dropped".into(),
            disk_format: Some("raw".into()),
            container_format: Some("bare".into()),
            ..SeedImage::default()
        };
        let id = glance
            .seed_images(&[seed], |_| None)
            .await
            .unwrap()
            .remove(0);
        let tmp = dir.path().join("glance/tmp");
        let status = || glance.lock()[&id].status;
        let (chunks, body) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
        chunks
            .unbounded_send(Ok(Bytes::from(vec![7u8; 4096])))
            .unwrap();
        let mut upload = Box::pin(store_data(glance, &id, body, None));
        let mut polls = 0;
        while std::fs::read_dir(&tmp).unwrap().count() == 0 {
            assert!(futures::poll!(&mut upload).is_pending());
            tokio::task::yield_now().await;
            polls += 1;
            assert!(polls < 100_000, "the upload never wrote its temporary file");
        }
        assert_eq!(status(), Status::Saving);
        drop(upload);
        assert_eq!(status(), Status::Queued);
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
        // The state database says so too, and the image can be uploaded again.
        cloud.state.db.flush().await.unwrap();
        let saved: Vec<crate::glance::image::Image> =
            cloud.state.db.load(crate::db::Table::GlanceImages).unwrap();
        assert_eq!(saved[0].status, Status::Queued);
        drop(chunks);
        let body = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))]);
        store_data(glance, &id, body, None).await.unwrap();
        assert_eq!(status(), Status::Active);
    }

    #[test]
    fn ranges_are_parsed_like_webob() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn import_bodies_are_validated() {
        let ok = Bytes::from_static(br#"{"method":{"name":"glance-direct"}}"#);
        assert_eq!(import_method(&ok).unwrap(), "glance-direct");
        let web = Bytes::from_static(br#"{"method":{"name":"web-download","uri":"http://x"}}"#);
        assert_eq!(
            import_method(&web).unwrap_err().message,
            "Unknown import method name 'web-download'."
        );
        let none = Bytes::from_static(b"{}");
        assert_eq!(
            import_method(&none).unwrap_err().message,
            "Import request requires a 'method' field."
        );
    }
}
