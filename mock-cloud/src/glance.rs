//! Glance v2 at `/image`: discovery, images (create, list, show, JSON-patch update, delete),
//! the data plane (upload with the format gate, download with Range, stage + import), tags,
//! members, deactivate/reactivate, schemas and `/v2/info/import`, with Glance's policy,
//! status machine and error bodies (WIRE.md "Glance v2").
//!
//! Messages, policies and list semantics follow Glance 33's source. It runs as a multi-store
//! Glance with one file store, `fs` (the conformance reference's `enabled_backends = fs:file`).
//! Deliberate differences (the differential check, `cargo xtask conformance`, marks the cases
//! that meet them and fails if they change):
//! - bytes refused by the format gate are discarded (Glance 33 leaves them in the store, so
//!   its queued image still shows `stores`, and a checksum and hash of the refused data);
//! - an import runs before the 202 is sent (Glance runs a task), so `importing` is never seen;
//! - JSON error messages carry no WebOb `<br /><br />` tail (WIRE.md's documented form).

pub(crate) mod claim;
pub(crate) mod data;
pub(crate) mod discovery;
pub(crate) mod gate;
pub(crate) mod image;
pub(crate) mod images;
pub(crate) mod images_json;
pub(crate) mod index;
pub(crate) mod list;
pub(crate) mod members;
pub(crate) mod sink;
pub(crate) mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use jiff::Timestamp;

use self::image::{Image, image_not_found};
use self::images_json::LegacyImages;
use self::index::Images;
use self::store::Store;
use crate::app::AppState;
use crate::auth::Caller;
use crate::cloud::Options;
use crate::cloud::seed::SeedImage;
use crate::db::{Change, Db, Table};
use crate::errors::{ApiError, Service};

/// Image state: the records and their indexes (behind one lock), the store holding their bytes, and the
/// database their metadata is saved in.
pub(crate) struct Glance {
    base_url: String,
    store: Store,
    db: Db,
    images: Mutex<Images>,
}

/// What Nova needs to boot an image (see [`Glance::image_for_boot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BootImage {
    /// The image id.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: Option<String>,
    /// `active` is the only status Nova boots.
    pub(crate) status: String,
    /// Disk format (`qcow2`, `raw`, `ami`, ...).
    pub(crate) disk_format: Option<String>,
    /// Container format (`bare`, `ami`, ...).
    pub(crate) container_format: Option<String>,
    /// Minimum disk in GB.
    pub(crate) min_disk: u64,
    /// Minimum RAM in MB.
    pub(crate) min_ram: u64,
    /// Bytes of data, when uploaded.
    pub(crate) size: Option<u64>,
    /// Virtual disk size, when known.
    pub(crate) virtual_size: Option<u64>,
    /// Extra properties (`kernel_id`, `ramdisk_id`, `os_distro`, ...).
    pub(crate) properties: BTreeMap<String, String>,
    /// The stored bytes, when the image has data (for the qemu driver).
    pub(crate) data_path: Option<PathBuf>,
}

impl Glance {
    /// Empty state, or the images kept in the state database (and `legacy`'s, imported),
    /// repaired after a crash.
    pub(crate) fn new(
        base_url: &str,
        options: &Options,
        db: &Db,
        legacy: Option<LegacyImages>,
    ) -> anyhow::Result<Self> {
        let store = Store::open(options.state_dir.as_deref())?;
        let mut images: BTreeMap<String, Image> = db
            .load::<Image>(Table::GlanceImages)?
            .into_iter()
            .map(|image| (image.id.clone(), image))
            .collect();
        let imported = legacy.map_or_else(Change::new, |legacy| legacy.import(&mut images));
        let repaired = store.repair(&mut images);
        let change = repaired.iter().fold(imported, |change, id| {
            change.put(Table::GlanceImages, id, &images[id])
        });
        db.submit(change)?;
        Ok(Self {
            base_url: base_url.to_owned(),
            store,
            db: db.clone(),
            images: Mutex::new(Images::new(images)),
        })
    }

    /// The records, locked. Never held across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Images> {
        self.images.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves `image` after a change, while the records are still locked (the request is
    /// answered once it is durable).
    pub(crate) fn save(&self, image: &Image) -> Result<(), ApiError> {
        self.submit(Change::new().put(Table::GlanceImages, &image.id, image))
    }

    /// Saves that image `id` is gone, while the records are still locked; its bytes are
    /// removed once that is durable (a crash before leaves the image whole).
    pub(crate) fn forget(&self, id: &str) -> Result<(), ApiError> {
        let (data, staged) = (self.store.data_path(id), self.store.staging_path(id));
        self.submit(
            Change::new()
                .delete(Table::GlanceImages, id)
                .after_commit(move || {
                    let _ = std::fs::remove_file(data);
                    let _ = std::fs::remove_file(staged);
                }),
        )
    }

    fn submit(&self, change: Change) -> Result<(), ApiError> {
        self.db.submit(change).map_err(|e| e.to_api(Service::Image))
    }

    /// The store of bytes.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// `http://127.0.0.1:PORT/image`.
    pub(crate) fn endpoint(&self) -> String {
        format!("{}/image", self.base_url)
    }

    /// Everything Nova needs to boot `id` as `caller`: 404 (Glance's error) when the caller
    /// cannot see the image. The status is returned as is: Nova decides what it accepts.
    pub(crate) fn image_for_boot(&self, caller: &Caller, id: &str) -> Result<BootImage, ApiError> {
        let images = self.lock();
        let image = images
            .get(id)
            .filter(|image| policy::can_see(caller, image))
            .ok_or_else(|| image_not_found(id))?;
        Ok(BootImage {
            id: image.id.clone(),
            name: image.name.clone(),
            status: image.status.as_str().to_owned(),
            disk_format: image.disk_format.clone(),
            container_format: image.container_format.clone(),
            min_disk: image.min_disk,
            min_ram: image.min_ram,
            size: image.size,
            virtual_size: image.virtual_size,
            properties: image.properties.clone(),
            data_path: image.has_data().then(|| self.store.data_path(&image.id)),
        })
    }

    /// The wire form of an image regardless of policy (for the control plane and tests).
    pub(crate) fn image_json(&self, id: &str) -> Option<serde_json::Value> {
        self.lock().get(id).map(Image::to_wire)
    }

    /// Forgets every image and deletes its bytes.
    pub(crate) fn reset(&self) -> anyhow::Result<()> {
        let mut images = self.lock();
        let files: Vec<_> = images
            .keys()
            .flat_map(|id| [self.store.data_path(id), self.store.staging_path(id)])
            .collect();
        images.clear();
        self.db
            .submit(Change::new().clear(Table::GlanceImages).after_commit(|| {
                for file in files {
                    let _ = std::fs::remove_file(file);
                }
            }))?;
        Ok(())
    }

    /// Creates `seeds` (with their bytes, through the format gate). `project_id_of` turns an
    /// owner name into a project id (Keystone's `project_id`); ids pass through unchanged.
    /// Returns the new image ids. On error, images created before the faulty one stay.
    pub(crate) async fn seed_images(
        &self,
        seeds: &[SeedImage],
        project_id_of: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::new();
        for seed in seeds {
            let id = self
                .seed_one(seed, &project_id_of)
                .await
                .with_context(|| format!("seed image '{}'", seed.name))?;
            ids.push(id);
        }
        Ok(ids)
    }

    async fn seed_one(
        &self,
        seed: &SeedImage,
        project_id_of: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<String> {
        let owner_ref = seed.owner.as_deref().unwrap_or("admin");
        let owner = project_id_of(owner_ref).unwrap_or_else(|| owner_ref.to_owned());
        let id = match &seed.id {
            Some(id) => {
                uuid::Uuid::parse_str(id).with_context(|| format!("id '{id}' is not a UUID"))?;
                id.clone()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let mut image = Image::new(id.clone(), Some(owner), Timestamp::now());
        let fields = [
            ("name", serde_json::json!(seed.name)),
            (
                "visibility",
                serde_json::json!(seed.visibility.as_deref().unwrap_or("shared")),
            ),
            ("disk_format", serde_json::json!(seed.disk_format)),
            ("container_format", serde_json::json!(seed.container_format)),
            ("min_disk", serde_json::json!(seed.min_disk)),
            ("min_ram", serde_json::json!(seed.min_ram)),
            ("protected", serde_json::json!(seed.protected)),
            ("os_hidden", serde_json::json!(seed.os_hidden)),
            ("tags", serde_json::json!(seed.tags)),
        ];
        for (key, value) in fields {
            image
                .set(key, value)
                .map_err(|e| anyhow::anyhow!("{key}: {}", e.message))?;
        }
        for (key, value) in &seed.properties {
            image::check_key_writable(key).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            image.properties.insert(key.clone(), value.clone());
        }
        {
            let mut images = self.lock();
            anyhow::ensure!(
                !images.contains_key(&id),
                "an image with id {id} already exists"
            );
            self.save(&image)
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            images.insert(id.clone(), image);
        }
        let bytes: Option<Body> = match (&seed.file, &seed.content) {
            (Some(_), Some(_)) => anyhow::bail!("give either file or content, not both"),
            (Some(path), None) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?;
                Some(Body::from_stream(tokio_util::io::ReaderStream::new(file)))
            }
            (None, Some(text)) => Some(Body::from(text.clone())),
            (None, None) => None,
        };
        if let Some(body) = bytes {
            data::store_data(self, &id, body.into_data_stream(), None)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        }
        Ok(id)
    }
}

/// Who may do what (Glance's default policies, new RBAC defaults).
pub(crate) mod policy {
    use super::image::Image;
    use crate::auth::Caller;

    /// Whether the image exists for `caller` at all (otherwise: 404). Every rule needs a
    /// role, which an unscoped token does not carry.
    pub(crate) fn can_see(caller: &Caller, image: &Image) -> bool {
        if caller.roles.is_empty() {
            return false;
        }
        caller.is_admin()
            || matches!(image.visibility.as_str(), "public" | "community")
            || is_owner(caller, image)
            || caller
                .project_id
                .as_deref()
                .is_some_and(|p| image.member_status(p).is_some())
    }

    /// Whether the caller's project owns the image.
    pub(crate) fn is_owner(caller: &Caller, image: &Image) -> bool {
        caller.project_id.is_some() && caller.project_id == image.owner
    }

    /// Whether the caller may change the image (and its data, tags, members, activation).
    pub(crate) fn can_modify(caller: &Caller, image: &Image) -> bool {
        caller.is_admin() || (is_owner(caller, image) && caller.can_write())
    }

    /// Whether the caller may download the data of an image it can see: a member role is
    /// needed (`download_image`), a reader may only look.
    pub(crate) fn can_download(caller: &Caller, image: &Image) -> bool {
        caller.is_admin() || (caller.can_write() && can_see(caller, image))
    }
}

/// Routes under `/image`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(discovery::versions))
        .route("/versions", get(discovery::versions_explicit))
        .route("/v2", get(discovery::v2_root))
        .route("/v2/", get(discovery::v2_root_slash))
        .route("/v2/images", get(list::list).post(images::create))
        .route(
            "/v2/images/{id}",
            get(images::show)
                .patch(images::update)
                .delete(images::delete),
        )
        .route(
            "/v2/images/{id}/file",
            put(data::upload).get(data::download),
        )
        .route("/v2/images/{id}/stage", put(data::stage))
        .route("/v2/images/{id}/import", post(data::import))
        .route(
            "/v2/images/{id}/tags/{tag}",
            put(images::add_tag).delete(images::remove_tag),
        )
        .route(
            "/v2/images/{id}/actions/deactivate",
            post(images::deactivate),
        )
        .route(
            "/v2/images/{id}/actions/reactivate",
            post(images::reactivate),
        )
        .route(
            "/v2/images/{id}/members",
            get(members::list).post(members::create),
        )
        .route(
            "/v2/images/{id}/members/{member}",
            get(members::show)
                .put(members::update)
                .delete(members::delete),
        )
        .route("/v2/schemas/image", get(discovery::image_schema))
        .route("/v2/schemas/images", get(discovery::images_schema))
        .route("/v2/schemas/member", get(discovery::member_schema))
        .route("/v2/schemas/members", get(discovery::members_schema))
        .route("/v2/info/import", get(discovery::import_info))
        .route("/v2/info/stores", get(discovery::stores_info))
        // Inside `render_errors`, so that a rejection reshaped as Glance's JSON error is then
        // rendered as the request's Accept asks.
        .layer(middleware::from_fn(|request, next| {
            crate::errors::reshape(Service::Image, request, next)
        }))
        .layer(middleware::from_fn(render_errors))
}

/// The body forms WebOb renders an error in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorShape {
    /// `text/plain`: no (or an unusable) `Accept` header.
    Plain,
    /// `text/html`: what `Accept: */*` (python-requests' default) gets.
    Html,
    /// `application/json`.
    Json,
}

/// WebOb's choice between its offers `text/html` and `application/json` (in that order, by
/// q-value, the most specific matching range deciding), and plain text when neither is
/// acceptable or there is no `Accept` header.
pub(crate) fn error_shape(accept: Option<&str>) -> ErrorShape {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return ErrorShape::Plain;
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!range.is_empty()).then_some((range, q))
        })
        .collect();
    let quality = |offer: &str| -> f32 {
        let (kind, _) = offer.split_once('/').unwrap_or((offer, ""));
        let specificity = |range: &str| {
            if range == offer {
                Some(3)
            } else if range.strip_suffix("/*") == Some(kind) {
                Some(2)
            } else if range == "*/*" {
                Some(1)
            } else {
                None
            }
        };
        ranges
            .iter()
            .filter_map(|(range, q)| specificity(range).map(|s| (s, *q)))
            .max_by_key(|(s, _)| *s)
            .map_or(0.0, |(_, q)| q)
    };
    let (html, json) = (quality("text/html"), quality("application/json"));
    if html > 0.0 && html >= json {
        ErrorShape::Html
    } else if json > 0.0 {
        ErrorShape::Json
    } else {
        ErrorShape::Plain
    }
}

/// Glance's errors take the form WebOb negotiates from `Accept` ([`error_shape`]): handlers
/// answer JSON errors, and this re-renders them as text or HTML when that is what WebOb would
/// send. (openstacksdk reads the message from JSON or HTML, never from plain text.)
async fn render_errors(request: Request, next: Next) -> Response {
    let shape = error_shape(
        request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let is_json = content_type.starts_with("application/json");
    let is_text = content_type.starts_with("text/plain");
    if (shape == ErrorShape::Json && is_json) || !(is_json || is_text) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let message = if is_json {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
    } else {
        // Our own plain form: "{code} {title}\n\n{message}\n\n   ".
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.split_once("\n\n"))
            .map(|(_, rest)| rest.trim_end_matches([' ', '\n']).to_owned())
    };
    let Some(message) = message else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let mut error = webob_error(shape, status, &message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            error.headers_mut().insert(name.clone(), value.clone());
        }
    }
    error
}

/// An error as WebOb renders it in `shape` (Glance's errors, and those of oslo.middleware in
/// front of Keystone and Nova).
pub(crate) fn webob_error(shape: ErrorShape, status: StatusCode, message: &str) -> Response {
    match shape {
        ErrorShape::Json => ApiError::new(Service::Image, status, message).into_response(),
        ErrorShape::Plain => {
            // WebOb's text rendering turns the HTML line breaks of its templates into blanks.
            let message = message.replace("\n<br /><br />\n", " \n\n ");
            ApiError::new(Service::Image, status, message)
                .json(false)
                .into_response()
        }
        ErrorShape::Html => html_error(status, message),
    }
}

/// WebOb's HTML error page.
fn html_error(status: StatusCode, message: &str) -> Response {
    let title = format!("{} {}", status.as_u16(), crate::errors::title(status));
    // WebOb's body template: "{explanation}<br /><br />\n{detail}\n{comment}\n"; messages
    // that already carry their detail (the 415s) bring their own line breaks.
    let body = if message.contains("<br /><br />") {
        message.to_owned()
    } else {
        format!("{message}<br /><br />\n\n\n")
    };
    let page = format!(
        "<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n  <h1>{title}</h1>\n  {body}\n </body>\n</html>"
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response.extensions_mut().insert(crate::errors::Shaped);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shapes_follow_webob() {
        assert_eq!(error_shape(None), ErrorShape::Plain);
        assert_eq!(error_shape(Some("")), ErrorShape::Plain);
        assert_eq!(error_shape(Some("*/*")), ErrorShape::Html);
        assert_eq!(error_shape(Some("application/json")), ErrorShape::Json);
        assert_eq!(error_shape(Some("application/json, */*")), ErrorShape::Html);
        assert_eq!(
            error_shape(Some("application/json, */*;q=0.5")),
            ErrorShape::Json
        );
        assert_eq!(
            error_shape(Some("text/html;q=0.1, application/*")),
            ErrorShape::Json
        );
        assert_eq!(error_shape(Some("image/png")), ErrorShape::Plain);
    }

    #[test]
    fn html_pages_look_like_webob() {
        let response = html_error(StatusCode::FORBIDDEN, "No.");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=UTF-8"
        );
    }

    /// Seeding images and asking for one to boot, without HTTP (what Nova and the control
    /// plane call).
    #[tokio::test]
    async fn rust_helpers_for_nova_and_the_control_plane() {
        let seed = crate::Seed::parse(
            "projects: [{name: other}]\nusers: [{name: alice, password: alice, roles: [{role: member, project: other}]}]\n",
            false,
        )
        .unwrap();
        let cloud = crate::MockCloud::builder()
            .seed(seed)
            .start()
            .await
            .unwrap();
        let glance = &cloud.state.glance;
        let keystone = &cloud.state.keystone;
        let ids = glance
            .seed_images(
                &[
                    SeedImage {
                        name: "seeded".into(),
                        visibility: Some("public".into()),
                        disk_format: Some("raw".into()),
                        container_format: Some("bare".into()),
                        content: Some("hello".into()),
                        properties: [("os_distro".to_owned(), "tiny".to_owned())].into(),
                        min_ram: 64,
                        ..SeedImage::default()
                    },
                    SeedImage {
                        name: "empty".into(),
                        owner: Some("demo".into()),
                        ..SeedImage::default()
                    },
                ],
                |name| keystone.project_id(name),
            )
            .await
            .unwrap();
        let demo = keystone
            .validate(&cloud.token("demo", "demo").unwrap())
            .unwrap();
        let boot = glance.image_for_boot(&demo, &ids[0]).unwrap();
        assert_eq!(boot.status, "active");
        assert_eq!(boot.size, Some(5));
        assert_eq!(boot.min_ram, 64);
        assert_eq!(boot.properties["os_distro"], "tiny");
        assert_eq!(std::fs::read(boot.data_path.unwrap()).unwrap(), b"hello");
        let empty = glance.image_for_boot(&demo, &ids[1]).unwrap();
        assert_eq!(empty.status, "queued");
        assert!(empty.data_path.is_none());
        let alice = keystone
            .validate(&cloud.token("alice", "other").unwrap())
            .unwrap();
        assert_eq!(
            glance.image_for_boot(&alice, &ids[1]).unwrap_err().status,
            StatusCode::NOT_FOUND
        );
        // A seed that fails the gate names the image.
        let err = glance
            .seed_images(
                &[SeedImage {
                    name: "liar".into(),
                    disk_format: Some("qcow2".into()),
                    container_format: Some("bare".into()),
                    content: Some("not a qcow2".into()),
                    ..SeedImage::default()
                }],
                |name| keystone.project_id(name),
            )
            .await
            .unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("seed image 'liar'"), "{message}");
        assert!(
            message.contains("does not match stream data raw"),
            "{message}"
        );

        glance.reset().unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listed: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/image/v2/images", cloud.base_url()))
            .header("x-auth-token", cloud.token("admin", "admin").unwrap())
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["images"], serde_json::json!([]));
    }
}
