//! An image's life beyond its upload: download, deactivate and reactivate, stage + import,
//! delete, and the protected image that refuses to be deleted.

use std::time::Duration;

use anyhow::{Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::image::{
    ContainerFormat, DiskFormat, ImageData, ImageStatus, ImportMethod, ImportMethodName, Visibility,
};

use super::{bytes, download_equals};
use crate::{Case, Fixture, case, disks, expect};

/// How long an import may take (Glance runs it as a task in the API process).
const IMPORT_DEADLINE: Duration = Duration::from_secs(60);

pub(crate) fn cases() -> Vec<Case> {
    vec![
        case!("image.download", download),
        case!("image.deactivate_reactivate", deactivate_reactivate),
        case!("image.stage_import", stage_import),
        case!("image.delete", delete),
        case!("image.delete.protected", protected_delete),
    ]
}

/// To a file and to a writer, verified; a queued image has no data to download.
async fn download(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let data = disks::random_bytes(300 * 1024 + 7);
    let image = f
        .image(&images, "download")
        .data(bytes(&data))
        .send()
        .await?;
    let dir = tempfile::tempdir_in(&f.target.scratch)?;
    let path = dir.path().join("downloaded");
    let done = images.download_to_path(&image.id, &path).await?;
    expect::equal("bytes written", done.bytes, data.len() as u64)?;
    expect::equal(
        "verified with",
        done.verified_with.as_deref(),
        Some("sha512"),
    )?;
    ensure!(std::fs::read(&path)? == data, "the downloaded file differs");
    download_equals(&images, &image.id, &data).await?;

    let queued = f.image(&images, "queued").send().await?;
    let mut sink = Vec::new();
    let result = images.download_to_writer(&queued.id, &mut sink).await;
    expect::error(
        "downloading a queued image",
        result,
        ErrorKind::NotFound,
        Some(204),
    )?;
    Ok(())
}

/// A deactivated image's data is refused to a non-admin (403) until it is reactivated.
async fn deactivate_reactivate(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let demo_images = f.demo.image().images();
    let data = disks::random_bytes(20 * 1024);
    let image = f
        .image(&images, "deactivate")
        .visibility(Visibility::Public)
        .data(bytes(&data))
        .send()
        .await?;
    images.deactivate(&image.id).await?;
    expect::equal(
        "status",
        images.get(&image.id).await?.status,
        ImageStatus::Deactivated,
    )?;
    images
        .deactivate(&image.id)
        .await
        .map_err(|e| anyhow::anyhow!("deactivating a deactivated image: {e}"))?;
    let mut sink = Vec::new();
    let result = demo_images.download_to_writer(&image.id, &mut sink).await;
    expect::error(
        "a member downloading a deactivated image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let result = demo_images.reactivate(&image.id).await;
    expect::error(
        "a member reactivating",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;

    images.reactivate(&image.id).await?;
    expect::equal(
        "status",
        images.get(&image.id).await?.status,
        ImageStatus::Active,
    )?;
    download_equals(&demo_images, &image.id, &data).await?;
    // Only active images can be deactivated.
    let queued = f.image(&images, "queued").send().await?;
    let result = images.deactivate(&queued.id).await;
    expect::error(
        "deactivating a queued image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    Ok(())
}

/// glance-direct: in one call, and step by step (stage: `uploading`; import; active).
async fn stage_import(f: &Fixture) -> Result<()> {
    let info = f.admin.image().import_info().await?;
    ensure!(
        info.offers(&ImportMethodName::GlanceDirect),
        "the cloud does not offer glance-direct: {:?}",
        info.import_methods.value
    );
    let images = f.admin.image().images();
    let data = disks::random_bytes(256 * 1024);
    let image = f
        .image(&images, "import")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .import_data(bytes(&data))
        .wait(IMPORT_DEADLINE)
        .send()
        .await?;
    expect::equal("status", &image.status, &ImageStatus::Active)?;
    expect::equal("size", image.size, Some(data.len() as u64))?;
    download_equals(&images, &image.id, &data).await?;

    let record = f
        .image(&images, "staged")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .send()
        .await?;
    images.stage(&record.id, bytes(&data)).send().await?;
    expect::equal(
        "status after staging",
        images.get(&record.id).await?.status,
        ImageStatus::Uploading,
    )?;
    images
        .import(&record.id, ImportMethod::GlanceDirect)
        .await?;
    let imported = images
        .wait_for_status(&record.id, ImageStatus::Active, IMPORT_DEADLINE)
        .await?;
    expect::equal("size", imported.size, Some(data.len() as u64))?;
    download_equals(&images, &record.id, &data).await?;

    // Staging data that does not match the declared format is refused before sending.
    let qcow2 = f
        .image(&images, "staged-mismatch")
        .disk_format(DiskFormat::Qcow2)
        .container_format(ContainerFormat::Bare)
        .send()
        .await?;
    let result = images.stage(&qcow2.id, bytes(&data)).send().await;
    expect::error(
        "staging random bytes as qcow2",
        result,
        ErrorKind::UnsafeImage,
        None,
    )?;
    expect::equal(
        "status after the refused stage",
        images.get(&qcow2.id).await?.status,
        ImageStatus::Queued,
    )?;
    Ok(())
}

/// Deleted means gone: 404 on show and on a second delete.
async fn delete(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let image = f
        .image(&images, "delete")
        .data(ImageData::reader(std::io::Cursor::new(
            disks::random_bytes(4096),
        )))
        .send()
        .await?;
    images.delete(&image.id).await?;
    images
        .wait_for_delete(&image.id, Duration::from_secs(10))
        .await?;
    expect::error(
        "showing a deleted image",
        images.get(&image.id).await,
        ErrorKind::NotFound,
        Some(404),
    )?;
    expect::error(
        "deleting it again",
        images.delete(&image.id).await,
        ErrorKind::NotFound,
        Some(404),
    )?;
    expect::error(
        "finding it by name",
        images.find(&f.name("delete")).await,
        ErrorKind::Lookup,
        None,
    )?;
    // A member cannot delete the admin's (public) image.
    let public = f
        .image(&images, "public")
        .visibility(Visibility::Public)
        .send()
        .await?;
    let result = f.demo.image().images().delete(&public.id).await;
    expect::error(
        "a member deleting the admin's image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    Ok(())
}

/// A protected image refuses deletion (403) until it is unprotected.
async fn protected_delete(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let image = f.image(&images, "protected").protected(true).send().await?;
    let result = images.delete(&image.id).await;
    expect::error(
        "deleting a protected image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    ensure!(
        images.get(&image.id).await?.protected,
        "the image survived but is no longer protected"
    );
    images.update(&image.id).protected(false).send().await?;
    images.delete(&image.id).await?;
    expect::error(
        "showing it after the delete",
        images.get(&image.id).await,
        ErrorKind::NotFound,
        Some(404),
    )?;
    Ok(())
}
