//! Glance edge cases on wiremock: pagination that repeats itself, lookups, patches, uploads
//! that fail after the image exists (hash mismatch, 415, cancellation), unsafe data refused
//! before anything is created, and downloads that arrive corrupted.
//! Each test owns its own server on port 0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::image::{DiskFormat, ImageClient, ImageData, ImageStatus};
use ferrostack::session::Session;
use ferrostack::wait::{Backoff, Wait};
use md5::Digest;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ID: &str = "b2173dd3-7ad6-4362-baa6-a68bce3565cb";

/// A session on a Glance at `<server>/v2` with no authentication.
async fn glance() -> (MockServer, ImageClient) {
    let server = MockServer::start().await;
    let mut config = CloudConfig {
        auth_type: AuthType::None,
        ..CloudConfig::new()
    };
    config
        .endpoint_overrides
        .insert("image".into(), format!("{}/v2", server.uri()));
    let session = Session::new(config).unwrap();
    (server, ImageClient::new(session))
}

/// An image document as Glance writes it, with `extra` keys merged over the base fields.
fn image(id: &str, status: &str, extra: Value) -> Value {
    let mut doc = json!({
        "id": id, "name": "cirros", "status": status, "visibility": "shared",
        "protected": false, "os_hidden": false, "checksum": null, "os_hash_algo": null,
        "os_hash_value": null, "size": null, "virtual_size": null, "min_disk": 0,
        "min_ram": 0, "owner": "p1", "container_format": "bare", "disk_format": "raw",
        "tags": [], "created_at": "2026-11-28T10:00:00Z", "updated_at": "2026-11-28T10:00:00Z",
        "self": format!("/v2/images/{id}"), "file": format!("/v2/images/{id}/file"),
        "schema": "/v2/schemas/image"
    });
    doc.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    doc
}

fn hashes(data: &[u8]) -> Value {
    json!({
        "size": data.len(),
        "checksum": hex::encode(md5::Md5::digest(data)),
        "os_hash_algo": "sha512",
        "os_hash_value": hex::encode(sha2::Sha512::digest(data)),
    })
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn count(server: &MockServer, http_method: &str, at: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == http_method && r.url.path() == at)
        .count()
}

#[tokio::test]
async fn listing_follows_next_links_and_stops_on_a_repeated_one() {
    let (server, images) = glance().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let mut body = json!({
            "images": ids.iter().map(|id| image(id, "active", json!({}))).collect::<Vec<_>>(),
            "first": "/v2/images?limit=2", "schema": "/v2/schemas/images"
        });
        if let Some(next) = next {
            body["next"] = json!(next);
        }
        ok(body)
    };
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param_is_missing("marker"))
        .and(query_param("limit", "2"))
        .and(query_param("name", "in:a,\"b,c\""))
        .respond_with(page(
            &["a", "b"],
            Some("/v2/images?limit=2&marker=b&name=in%3Aa%2C%22b%2Cc%22"),
        ))
        .expect(2) // the listing, then first_page
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("marker", "b"))
        .and(query_param("name", "in:a,\"b,c\""))
        .respond_with(page(&["c", "d"], Some("/v2/images?limit=2&marker=d")))
        .expect(1)
        .mount(&server)
        .await;
    // A broken server: the third page points at itself forever.
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("marker", "d"))
        .respond_with(page(&["e", "f"], Some("/v2/images?limit=2&marker=d")))
        .expect(1)
        .mount(&server)
        .await;
    let all = images
        .images()
        .list()
        .name_in(["a", "b,c"])
        .limit(2)
        .collect_all()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f"]);
    let first = images
        .images()
        .list()
        .name_in(["a", "b,c"])
        .limit(2)
        .first_page()
        .await
        .unwrap();
    assert_eq!(first.images.len(), 2);
    assert!(first.next.is_some());
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_decode_error_with_its_path() {
    let (server, images) = glance().await;
    let mut bad = image("x", "active", json!({}));
    bad["min_ram"] = json!("lots");
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .respond_with(ok(
            json!({"images": [image("w", "active", json!({})), bad]}),
        ))
        .mount(&server)
        .await;
    let err = images.images().list().collect_all().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("images[1].min_ram"));
}

#[tokio::test]
async fn find_tries_the_id_then_the_name_then_hidden_images() {
    let (server, images) = glance().await;
    let not_found = ResponseTemplate::new(404).set_body_json(json!({
        "message": "No image found with ID web", "code": "404 Not Found", "title": "Not Found"
    }));
    Mock::given(method("GET"))
        .and(path("/v2/images/web"))
        .respond_with(not_found.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("name", "web"))
        .and(query_param_is_missing("os_hidden"))
        .respond_with(ok(json!({"images": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("name", "web"))
        .and(query_param("os_hidden", "true"))
        .respond_with(ok(
            json!({"images": [image("h1", "active", json!({"os_hidden": true}))]}),
        ))
        .mount(&server)
        .await;
    assert_eq!(images.images().find("web").await.unwrap().id.as_str(), "h1");

    Mock::given(method("GET"))
        .and(path("/v2/images/twins"))
        .respond_with(not_found.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("name", "twins"))
        .respond_with(ok(json!({"images": [
            image("t1", "active", json!({})), image("t2", "active", json!({}))
        ]})))
        .mount(&server)
        .await;
    let err = images.images().find("twins").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);
    assert!(
        err.message()
            .contains("2 images are named \"twins\" (t1, t2)"),
        "{err}"
    );

    Mock::given(method("GET"))
        .and(path("/v2/images/ghost"))
        .respond_with(not_found)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("name", "ghost"))
        .respond_with(ok(json!({"images": []})))
        .mount(&server)
        .await;
    let err = images.images().find("ghost").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);
    assert!(err.message().contains("\"ghost\""), "{err}");
}

#[tokio::test]
async fn update_patches_against_the_current_image_with_glances_media_type() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "active", json!({"os_distro": "cirros"}))))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v2/images/{ID}")))
        .and(header(
            "content-type",
            "application/openstack-images-v2.1-json-patch",
        ))
        .and(body_json(json!([
            {"op": "replace", "path": "/os_distro", "value": "debian"},
            {"op": "add", "path": "/os_version", "value": "13"},
            {"op": "remove", "path": "/os_distro"}
        ])))
        .respond_with(ok(image(ID, "active", json!({"os_version": "13"}))))
        .expect(1)
        .mount(&server)
        .await;
    let updated = images
        .images()
        .update(ID)
        .property("os_distro", "debian")
        .property("os_version", "13")
        .remove_property("os_distro")
        .remove_property("not_there")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.os_version(), Some("13"));
    // Nothing to change: no PATCH at all.
    images
        .images()
        .update(ID)
        .name("cirros")
        .send()
        .await
        .unwrap();
    assert_eq!(
        count(&server, "PATCH", &format!("/v2/images/{ID}")).await,
        1
    );
}

/// Mounts POST /v2/images answering a queued image, and DELETE answering 204 (counted).
async fn creatable(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v2/images"))
        .respond_with(ResponseTemplate::new(201).set_body_json(image(ID, "queued", json!({}))))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_upload_whose_hash_glance_disputes_deletes_the_image() {
    let (server, images) = glance().await;
    creatable(&server).await;
    let data = vec![7u8; 300_000];
    Mock::given(method("PUT"))
        .and(path(format!("/v2/images/{ID}/file")))
        .and(header("x-openstack-image-size", "300000"))
        .and(header("content-type", "application/octet-stream"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut wrong = hashes(&data);
    wrong["os_hash_value"] = json!("00".repeat(64));
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "active", wrong)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("disk.raw");
    std::fs::write(&file, &data).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let err = images
        .images()
        .create("cirros")
        .data(ImageData::path(&file))
        .progress(move |sent, total| log.lock().unwrap().push((sent, total)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Integrity);
    assert!(err.message().contains(ID), "{err}");
    assert!(err.message().contains("the image was deleted"), "{err}");
    assert!(err.message().contains("sha512 0000"), "{err}");
    assert_eq!(
        count(&server, "DELETE", &format!("/v2/images/{ID}")).await,
        1
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&(300_000, Some(300_000))));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    // The body went out whole.
    let puts = server.received_requests().await.unwrap();
    let put = puts.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    assert_eq!(put.body, data);
}

#[tokio::test]
async fn a_415_from_glance_deletes_the_image_unless_asked_to_keep_it() {
    let (server, images) = glance().await;
    creatable(&server).await;
    Mock::given(method("PUT"))
        .and(path(format!("/v2/images/{ID}/file")))
        .respond_with(ResponseTemplate::new(415).set_body_json(json!({
            "message": "Image failed safety checks", "code": "415 Unsupported Media Type",
            "title": "Unsupported Media Type"
        })))
        .mount(&server)
        .await;
    let upload = |keep: bool| {
        images
            .images()
            .create("cirros")
            .disk_format(DiskFormat::Raw)
            .data(ImageData::reader(std::io::Cursor::new(vec![1u8; 5000])))
            .keep_on_failure(keep)
            .send()
    };
    let err = upload(false).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnsupportedMedia);
    assert_eq!(err.status(), Some(415));
    assert!(
        err.message().contains("Image failed safety checks"),
        "{err}"
    );
    assert!(
        err.message()
            .contains(&format!("{ID} (\"cirros\") failed, the image was deleted")),
        "{err}"
    );
    assert_eq!(
        count(&server, "DELETE", &format!("/v2/images/{ID}")).await,
        1
    );
    let err = upload(true).await.unwrap_err();
    assert!(
        err.message().contains("the image was kept as asked"),
        "{err}"
    );
    assert_eq!(
        count(&server, "DELETE", &format!("/v2/images/{ID}")).await,
        1
    );
}

/// Reads `n` bytes, then never finishes: an upload that is still going when cancelled.
struct Endless {
    left: usize,
}

impl tokio::io::AsyncRead for Endless {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            return std::task::Poll::Pending;
        }
        let n = self.left.min(buf.remaining());
        buf.put_slice(&vec![0u8; n]);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

/// Tells a channel when the DELETE arrives, so the test waits for it without sleeping.
struct Signal(tokio::sync::mpsc::UnboundedSender<()>);

impl Respond for Signal {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let _ = self.0.send(());
        ResponseTemplate::new(204)
    }
}

#[tokio::test]
async fn a_cancelled_upload_deletes_the_image() {
    let (server, images) = glance().await;
    Mock::given(method("POST"))
        .and(path("/v2/images"))
        .respond_with(ResponseTemplate::new(201).set_body_json(image(ID, "queued", json!({}))))
        .mount(&server)
        .await;
    let (deleted_tx, mut deleted) = tokio::sync::mpsc::unbounded_channel();
    Mock::given(method("DELETE"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(Signal(deleted_tx))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v2/images/{ID}/file")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (sending_tx, sending) = tokio::sync::oneshot::channel();
    let sending_tx = Mutex::new(Some(sending_tx));
    let upload = images
        .images()
        .create("cirros")
        .disk_format(DiskFormat::Raw)
        .data(ImageData::reader(Endless { left: 1 << 20 }))
        .skip_inspection(true)
        .progress(move |_, _| {
            if let Some(tx) = sending_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        })
        .send();
    tokio::select! {
        _ = upload => panic!("an endless upload finished"),
        _ = sending => {} // data is flowing: cancel by dropping the upload
    }
    deleted.recv().await.expect("the image is deleted");
}

#[tokio::test]
async fn unsafe_data_is_refused_before_anything_is_created() {
    let (server, images) = glance().await;
    let mut qcow2 = vec![0u8; 4096];
    qcow2[..4].copy_from_slice(b"QFI\xfb");
    qcow2[4..8].copy_from_slice(&3u32.to_be_bytes());
    qcow2[8..16].copy_from_slice(&512u64.to_be_bytes());
    qcow2[16..20].copy_from_slice(&11u32.to_be_bytes());
    qcow2[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    qcow2[100..104].copy_from_slice(&104u32.to_be_bytes());
    qcow2[512..523].copy_from_slice(b"/etc/passwd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.qcow2");
    std::fs::write(&file, &qcow2).unwrap();
    let err = images
        .images()
        .create("evil")
        .data(ImageData::path(&file))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnsafeImage);
    assert!(err.message().contains("evil.qcow2"), "{err}");
    assert!(err.message().contains("/etc/passwd"), "{err}");
    let err = images
        .images()
        .create("liar")
        .disk_format(DiskFormat::Vmdk)
        .data(ImageData::reader(std::io::Cursor::new(
            qcow2[..100].to_vec(),
        )))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnsafeImage);
    assert!(err.message().contains("declared vmdk"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

async fn downloadable(server: &MockServer, served: Vec<u8>, reported: &[u8]) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "active", hashes(reported))))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}/file")))
        .and(header("accept", "application/octet-stream"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(served, "application/octet-stream"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_download_is_verified_and_renamed_into_place() {
    let (server, images) = glance().await;
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    downloadable(&server, data.clone(), &data).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cirros.raw");
    let download = images.images().download_to_path(ID, &target).await.unwrap();
    assert_eq!(download.bytes, 1_000_000);
    assert_eq!(download.verified_with.as_deref(), Some("sha512"));
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn a_corrupted_download_is_detected_and_leaves_no_file() {
    let (server, images) = glance().await;
    let data = vec![42u8; 200_000];
    let mut flipped = data.clone();
    flipped[123_456] ^= 0xff;
    downloadable(&server, flipped, &data).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cirros.raw");
    let err = images
        .images()
        .download_to_path(ID, &target)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Integrity);
    assert!(err.message().contains("does not match its sha512"), "{err}");
    assert!(
        err.message().contains("cirros.raw was not written"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "neither the file nor its temporary remains"
    );
}

#[tokio::test]
async fn a_download_without_os_hash_falls_back_to_content_md5() {
    let (server, images) = glance().await;
    let data = b"kernel bytes".to_vec();
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "active", json!({}))))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}/file")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-md5", hex::encode(md5::Md5::digest(b"other bytes")))
                .set_body_raw(data, "application/octet-stream"),
        )
        .mount(&server)
        .await;
    let mut sink = Vec::new();
    let err = images
        .images()
        .download_to_writer(ID, &mut sink)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Integrity);
    assert!(err.message().contains("md5"), "{err}");
}

#[tokio::test]
async fn waiting_fails_fast_when_the_image_is_killed() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "saving", json!({}))))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "killed", json!({}))))
        .mount(&server)
        .await;
    let err = images
        .images()
        .wait_for_status(
            ID,
            ImageStatus::Active,
            Wait::new(Duration::from_secs(600)).backoff(Backoff::fixed(Duration::from_millis(1))),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::FailureState);
    assert!(
        err.message()
            .contains("killed while waiting for it to become active"),
        "{err}"
    );
    assert_eq!(count(&server, "GET", &format!("/v2/images/{ID}")).await, 3);
}

#[tokio::test]
async fn waiting_for_an_import_fails_fast_when_glance_reports_it_failed() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(
            ID,
            "queued",
            json!({"os_glance_import_task": "t1", "os_glance_failed_import": "file"}),
        )))
        .mount(&server)
        .await;
    let err = images
        .images()
        .wait_for_status(ID, ImageStatus::Active, Duration::from_secs(600))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::FailureState);
    assert!(
        err.message().contains("failed to import into file"),
        "{err}"
    );
}

#[tokio::test]
async fn an_import_method_the_cloud_does_not_offer_is_refused_before_creating() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path("/v2/info/import"))
        .respond_with(ok(json!({"import-methods": {
            "description": "Import methods available.", "type": "array",
            "value": ["glance-direct", "copy-image"]
        }})))
        .mount(&server)
        .await;
    let err = images
        .images()
        .create("from-web")
        .import_url("https://example.invalid/disk.img")
        .wait(Duration::from_secs(60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput);
    assert!(
        err.message().contains(
            "does not offer the web-download import (it offers: glance-direct, copy-image)"
        ),
        "{err}"
    );
    assert_eq!(count(&server, "POST", "/v2/images").await, 0);
}

#[tokio::test]
async fn web_download_imports_and_waits_until_active() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path("/v2/info/import"))
        .respond_with(ok(json!({"import-methods": {"value": ["web-download"]}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/images"))
        .respond_with(ResponseTemplate::new(201).set_body_json(image(ID, "queued", json!({}))))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/images/{ID}/import")))
        .and(body_json(
            json!({"method": {"name": "web-download", "uri": "https://example.invalid/disk.img"}}),
        ))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "importing", json!({}))))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "active", hashes(b"web"))))
        .mount(&server)
        .await;
    let image = images
        .images()
        .create("from-web")
        .import_url("https://example.invalid/disk.img")
        .wait(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status, ImageStatus::Active);
}

#[tokio::test]
async fn downloading_an_image_without_data_is_a_clear_error_and_writes_nothing() {
    let (server, images) = glance().await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ok(image(ID, "queued", json!({}))))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}/file")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let err = images
        .images()
        .download_to_path(ID, dir.path().join("empty.img"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert!(
        err.message().contains("has no data (status queued)"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
