//! What becomes of an image whose upload's answer was lost (here: a PUT that Glance answers
//! after the read timeout): one look at the image decides whether its data arrived.

use std::time::Duration;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::image::{ImageClient, ImageData};
use ferrostack::session::Session;
use md5::Digest;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ID: &str = "b2173dd3-7ad6-4362-baa6-a68bce3565cb";

/// An image document with `extra` keys over the base fields.
fn image(status: &str, extra: Value) -> Value {
    let mut doc = json!({
        "id": ID, "name": "cirros", "status": status, "visibility": "shared",
        "protected": false, "os_hidden": false, "checksum": null, "os_hash_algo": null,
        "os_hash_value": null, "size": null, "virtual_size": null, "min_disk": 0,
        "min_ram": 0, "owner": "p1", "container_format": "bare", "disk_format": "raw",
        "tags": [], "created_at": "2026-11-28T10:00:00Z", "updated_at": "2026-11-28T10:00:00Z",
        "self": format!("/v2/images/{ID}"), "file": format!("/v2/images/{ID}/file"),
        "schema": "/v2/schemas/image"
    });
    doc.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    doc
}

/// A Glance whose PUT answers only after 2 s, showing the image as `after` once asked;
/// the image client (read timeout 300 ms), and the data to upload.
async fn slow_glance(after: Value) -> (MockServer, ImageClient, Vec<u8>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/images"))
        .respond_with(ResponseTemplate::new(201).set_body_json(image("queued", json!({}))))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v2/images/{ID}/file")))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(after))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v2/images/{ID}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let mut config = CloudConfig {
        auth_type: AuthType::None,
        ..CloudConfig::new()
    };
    config
        .endpoint_overrides
        .insert("image".into(), format!("{}/v2", server.uri()));
    let session = Session::builder(config)
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    (server, ImageClient::new(session), vec![7u8; 100_000])
}

async fn deletes(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .count()
}

async fn upload(images: &ImageClient, data: &[u8]) -> ferrostack::Error {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("disk.raw");
    std::fs::write(&file, data).unwrap();
    images
        .images()
        .create("cirros")
        .disk_format(ferrostack::image::DiskFormat::Raw)
        .data(ImageData::path(&file))
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_active_image_is_kept_when_the_answer_to_its_upload_was_lost() {
    let data = vec![7u8; 100_000];
    let active = image(
        "active",
        json!({
            "size": data.len(),
            "checksum": hex::encode(md5::Md5::digest(&data)),
            "os_hash_algo": "sha512",
            "os_hash_value": hex::encode(sha2::Sha512::digest(&data)),
        }),
    );
    let (server, images, data) = slow_glance(active).await;
    let err = upload(&images, &data).await;
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(
        err.message().contains(
            "the answer to the upload was lost, but the image is active, so its data \
             arrived (unchecked): the image was kept"
        ),
        "{err}"
    );
    assert!(err.message().contains("read timeout"), "{err}");
    assert_eq!(deletes(&server).await, 0);
}

#[tokio::test]
async fn a_queued_image_is_deleted_when_the_answer_to_its_upload_was_lost() {
    let (server, images, data) = slow_glance(image("queued", json!({}))).await;
    let err = upload(&images, &data).await;
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert!(
        err.message().contains("failed, the image was deleted"),
        "{err}"
    );
    assert_eq!(deletes(&server).await, 1);
}

#[tokio::test]
async fn a_saving_image_is_kept_and_the_error_says_its_data_may_have_arrived() {
    let (server, images, data) = slow_glance(image("saving", json!({}))).await;
    let err = upload(&images, &data).await;
    assert!(
        err.message()
            .contains("the image is saving, so its data may have arrived: the image was kept"),
        "{err}"
    );
    assert_eq!(deletes(&server).await, 0);
}
