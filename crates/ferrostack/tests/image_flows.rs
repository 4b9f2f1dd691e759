//! The image client against the mock cloud's Glance (its own wire types; it never imports
//! this SDK): the whole lifecycle, failures that must leave no image behind, a corrupted
//! download, the three-part image and the interoperable import. Each test owns its cloud.

use std::time::Duration;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::image::{
    ContainerFormat, DiskFormat, ImageClient, ImageData, ImageStatus, MemberStatus, SortDir,
    Visibility,
};
use ferrostack::session::{RetryPolicy, Session};
use mock_cloud::{Fault, FaultRule, MockCloud};

fn client(cloud: &MockCloud, user: &str) -> ImageClient {
    let config = CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(cloud.auth_url()),
            username: Some(user.into()),
            password: Some(user.into()),
            user_domain_name: Some("Default".into()),
            project_name: Some(user.into()),
            project_domain_name: Some("Default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    };
    let session = Session::builder(config)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    ImageClient::new(session)
}

/// Bytes no format inspector takes for anything but raw.
fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn the_whole_lifecycle() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(3 << 20, 1);
    let path = file(&dir, "disk.img", &bytes);

    // Create + upload, format detected (raw), hashes checked against Glance's.
    let image = images
        .images()
        .create("flow-image")
        .property("os_distro", "debian")
        .tag("first")
        .data(ImageData::path(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status, ImageStatus::Active);
    assert_eq!(image.disk_format, Some(DiskFormat::Raw));
    assert_eq!(image.container_format, Some(ContainerFormat::Bare));
    assert_eq!(image.size, Some(bytes.len() as u64));
    assert_eq!(image.os_distro(), Some("debian"));

    // Show, find by name, list with filters.
    assert_eq!(images.images().get(&image.id).await.unwrap().id, image.id);
    assert_eq!(
        images.images().find("flow-image").await.unwrap().id,
        image.id
    );
    assert_eq!(
        images.images().find(image.id.as_str()).await.unwrap().id,
        image.id
    );
    let err = images.images().find("no-such-image").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);
    let listed = images
        .images()
        .list()
        .disk_format(DiskFormat::Raw)
        .tag("first")
        .sort_by("name", SortDir::Asc)
        .limit(1)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, image.id);

    // Update: replace, add, remove, tags.
    let updated = images
        .images()
        .update(&image.id)
        .name("flow-image-2")
        .min_ram(128)
        .property("os_distro", "ubuntu")
        .property("os_version", "24.04")
        .add_tag("second")
        .remove_tag("first")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("flow-image-2"));
    assert_eq!(updated.min_ram, 128);
    assert_eq!(updated.os_distro(), Some("ubuntu"));
    assert_eq!(updated.tags, vec!["second".to_owned()]);
    let updated = images
        .images()
        .update(&image.id)
        .remove_property("os_version")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.os_version(), None);

    images.images().add_tag(&image.id, "third").await.unwrap();
    images
        .images()
        .remove_tag(&image.id, "second")
        .await
        .unwrap();
    assert_eq!(
        images.images().get(&image.id).await.unwrap().tags,
        vec!["third".to_owned()]
    );

    // Members: the image must be shared first.
    images
        .images()
        .update(&image.id)
        .visibility(Visibility::Shared)
        .send()
        .await
        .unwrap();
    let admin_project = client(&cloud, "admin")
        .session()
        .token()
        .await
        .unwrap()
        .unwrap()
        .project_id()
        .unwrap()
        .to_owned();
    let member = images
        .members(&image.id)
        .create(&admin_project)
        .await
        .unwrap();
    assert_eq!(member.status, MemberStatus::Pending);
    assert_eq!(
        images
            .members(&image.id)
            .list()
            .collect_all()
            .await
            .unwrap()
            .len(),
        1
    );
    let admin = client(&cloud, "admin");
    let accepted = admin
        .members(&image.id)
        .update(&admin_project, MemberStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(accepted.status, MemberStatus::Accepted);
    assert_eq!(
        images
            .members(&image.id)
            .get(&admin_project)
            .await
            .unwrap()
            .status,
        MemberStatus::Accepted
    );
    images
        .members(&image.id)
        .delete(&admin_project)
        .await
        .unwrap();
    assert!(
        images
            .members(&image.id)
            .list()
            .collect_all()
            .await
            .unwrap()
            .is_empty()
    );

    // Download, verified.
    let target = dir.path().join("saved.img");
    let download = images
        .images()
        .download_to_path(&image.id, &target)
        .await
        .unwrap();
    assert_eq!(download.verified_with.as_deref(), Some("sha512"));
    assert_eq!(std::fs::read(&target).unwrap(), bytes);

    // Deactivate / reactivate (admin).
    admin.images().deactivate(&image.id).await.unwrap();
    assert_eq!(
        images.images().get(&image.id).await.unwrap().status,
        ImageStatus::Deactivated
    );
    admin.images().reactivate(&image.id).await.unwrap();
    images
        .images()
        .wait_for_status(&image.id, ImageStatus::Active, Duration::from_secs(30))
        .await
        .unwrap();

    // Delete.
    images.images().delete(&image.id).await.unwrap();
    images
        .images()
        .wait_for_delete(&image.id, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        images
            .images()
            .get(&image.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_415_leaves_no_image_behind() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    // Declared qcow2, but the data is plain bytes: our gate is skipped, Glance's answers 415.
    let err = images
        .images()
        .create("mislabelled")
        .disk_format(DiskFormat::Qcow2)
        .data(ImageData::reader(std::io::Cursor::new(data(100_000, 2))))
        .skip_inspection(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnsupportedMedia, "{err}");
    assert!(err.message().contains("the image was deleted"), "{err}");
    let left = images
        .images()
        .list()
        .all_visibilities()
        .collect_all()
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Reads `left` bytes, then never finishes.
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
        buf.put_slice(&vec![9u8; n]);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_cancelled_upload_leaves_no_image_behind() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    let (sending_tx, sending) = tokio::sync::oneshot::channel();
    let sending_tx = std::sync::Mutex::new(Some(sending_tx));
    let upload = images
        .images()
        .create("cancelled")
        .disk_format(DiskFormat::Raw)
        .data(ImageData::reader(Endless { left: 4 << 20 }))
        .skip_inspection(true)
        .progress(move |_, _| {
            if let Some(tx) = sending_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        })
        .send();
    tokio::select! {
        _ = upload => panic!("an endless upload finished"),
        _ = sending => {}
    }
    // The deletion runs in the background: wait for the listing to empty.
    ferrostack::wait::poll_until(
        ferrostack::wait::Wait::new(Duration::from_secs(30)).interval(Duration::from_millis(20)),
        "the cancelled image to be deleted",
        || async {
            let left = images
                .images()
                .list()
                .all_visibilities()
                .collect_all()
                .await?;
            Ok(if left.is_empty() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            })
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_corrupted_download_is_detected_and_the_partial_file_removed() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    let bytes = data(500_000, 3);
    let image = images
        .images()
        .create("to-corrupt")
        .data(ImageData::reader(std::io::Cursor::new(bytes)))
        .send()
        .await
        .unwrap();
    cloud
        .add_fault(
            FaultRule::new(Fault::Corrupt)
                .method("GET")
                .path("/image/v2/images/*/file"),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = images
        .images()
        .download_to_path(&image.id, dir.path().join("corrupt.img"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Integrity, "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn the_three_part_image_round_trips() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    let (kernel, ramdisk, machine) = (data(70_000, 4), data(50_000, 5), data(1 << 20, 6));
    let parts = images
        .images()
        .create_three_part("cirros-uec")
        .visibility(Visibility::Private)
        .kernel(ImageData::reader(std::io::Cursor::new(kernel.clone())))
        .ramdisk(ImageData::reader(std::io::Cursor::new(ramdisk.clone())))
        .machine(ImageData::reader(std::io::Cursor::new(machine.clone())))
        .send()
        .await
        .unwrap();
    assert_eq!(parts.kernel.disk_format, Some(DiskFormat::Aki));
    assert_eq!(parts.ramdisk.container_format, Some(ContainerFormat::Ari));
    assert_eq!(parts.machine.disk_format, Some(DiskFormat::Ami));
    let shown = images.images().get(&parts.machine.id).await.unwrap();
    assert_eq!(shown.kernel_id(), Some(parts.kernel.id.clone()));
    assert_eq!(shown.ramdisk_id(), Some(parts.ramdisk.id.clone()));
    assert_eq!(shown.name.as_deref(), Some("cirros-uec"));
    for (id, expected) in [
        (&parts.kernel.id, &kernel),
        (&parts.ramdisk.id, &ramdisk),
        (&parts.machine.id, &machine),
    ] {
        let mut got = Vec::new();
        images
            .images()
            .download_to_writer(id, &mut got)
            .await
            .unwrap();
        assert_eq!(&got, expected);
    }
}

#[tokio::test]
async fn a_failing_machine_part_cleans_up_all_three() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    // The third upload (the machine image) fails on the server.
    cloud
        .add_fault(
            FaultRule::new(Fault::status(503))
                .method("PUT")
                .path("/image/v2/images/*/file")
                .times(1),
        )
        .unwrap();
    let ok = |n| ImageData::reader(std::io::Cursor::new(data(n, 7)));
    let err = images
        .images()
        .create_three_part("doomed")
        .kernel(ok(1000))
        .ramdisk(ok(1000))
        .machine(ok(1000))
        .send()
        .await
        .unwrap_err();
    // The fault hit the kernel (first PUT): only it was made, and it is gone.
    assert_eq!(err.kind(), &ErrorKind::Unavailable, "{err}");
    let left = images
        .images()
        .list()
        .all_visibilities()
        .collect_all()
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");

    // The kernel and ramdisk are made, then the machine image's data cannot be read.
    let err = images
        .images()
        .create_three_part("doomed")
        .kernel(ok(1000))
        .ramdisk(ok(1000))
        .machine(ImageData::reader(Broken { left: 300_000 }))
        .skip_inspection(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io, "{err}");
    assert!(err.message().contains("disk on fire"), "{err}");
    assert!(
        err.message()
            .contains("three-part image: the machine image failed, so "),
        "{err}"
    );
    assert!(
        err.message().contains("\"doomed-kernel\") deleted"),
        "{err}"
    );
    assert!(
        err.message().contains("\"doomed-ramdisk\") deleted"),
        "{err}"
    );
    let left = images
        .images()
        .list()
        .all_visibilities()
        .collect_all()
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Reads `left` bytes, then fails.
struct Broken {
    left: usize,
}

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("disk on fire")));
        }
        let n = self.left.min(buf.remaining());
        buf.put_slice(&vec![3u8; n]);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn the_interoperable_import_with_glance_direct() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    let info = images.import_info().await.unwrap();
    assert!(
        info.offers(&ferrostack::image::ImportMethodName::GlanceDirect),
        "{info:?}"
    );
    let bytes = data(200_000, 8);
    let image = images
        .images()
        .create("imported")
        .import_data(ImageData::reader(std::io::Cursor::new(bytes.clone())))
        .wait(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status, ImageStatus::Active);
    let mut got = Vec::new();
    images
        .images()
        .download_to_writer(&image.id, &mut got)
        .await
        .unwrap();
    assert_eq!(got, bytes);
}

#[tokio::test]
async fn create_then_upload_and_stage_then_import_as_separate_steps() {
    let cloud = MockCloud::start().await.unwrap();
    let images = client(&cloud, "demo");
    // A record without formats: upload sets them from the inspection (raw/bare).
    let record = images.images().create("two-steps").send().await.unwrap();
    assert_eq!(record.status, ImageStatus::Queued);
    let bytes = data(150_000, 9);
    let sizes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = sizes.clone();
    let uploaded = images
        .images()
        .upload(
            &record.id,
            ImageData::reader(std::io::Cursor::new(bytes.clone())).size(150_000),
        )
        .progress(move |sent, total| log.lock().unwrap().push((sent, total)))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status, ImageStatus::Active);
    assert_eq!(uploaded.disk_format, Some(DiskFormat::Raw));
    assert_eq!(
        sizes.lock().unwrap().last(),
        Some(&(150_000, Some(150_000)))
    );

    let staged = images
        .images()
        .create("staged")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .send()
        .await
        .unwrap();
    images
        .images()
        .stage(
            &staged.id,
            ImageData::reader(std::io::Cursor::new(bytes.clone())),
        )
        .send()
        .await
        .unwrap();
    images
        .images()
        .import(&staged.id, ferrostack::image::ImportMethod::GlanceDirect)
        .await
        .unwrap();
    let active = images
        .images()
        .wait_for_status(&staged.id, ImageStatus::Active, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(active.size, Some(150_000));
    assert_eq!(active.checksum, uploaded.checksum);
}
