//! Create + upload: every disk format with real data of that format, the aki/ari/ami trio,
//! a stream of unknown length, and the two refusals (format mismatch, backing file), each
//! both by the SDK's own pre-check and, with the pre-check off, by the server.

use anyhow::{Context, Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::image::{ContainerFormat, CreateImage, DiskFormat, ImageData, ImageStatus};

use super::{bytes, download_equals};
use crate::{Case, Fixture, case, disks, expect};

/// Where the data of a disk format comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// `qemu-img create -f FORMAT`.
    QemuImg(&'static str),
    /// A minimal ISO 9660.
    Iso,
    /// Random bytes (formats Glance cannot inspect).
    Random,
}

pub(crate) fn cases() -> Vec<Case> {
    let formats = [
        (DiskFormat::Raw, Source::QemuImg("raw")),
        (DiskFormat::Qcow2, Source::QemuImg("qcow2")),
        (DiskFormat::Vmdk, Source::QemuImg("vmdk")),
        (DiskFormat::Vhd, Source::QemuImg("vpc")),
        (DiskFormat::Vhdx, Source::QemuImg("vhdx")),
        (DiskFormat::Vdi, Source::QemuImg("vdi")),
        (DiskFormat::Iso, Source::Iso),
        (DiskFormat::Ploop, Source::Random),
    ];
    let mut all: Vec<Case> = formats
        .into_iter()
        .map(|(format, source)| {
            Case::new(format!("image.upload.{format}"), move |f| {
                Box::pin(upload_format(f, format.clone(), source))
            })
        })
        .collect();
    all.extend([
        case!("image.upload.three_part", three_part),
        case!("image.upload.qcow2_declared_raw", qcow2_declared_raw),
        case!("image.upload.stream_without_size", stream_without_size),
        case!("image.refused.format_mismatch", format_mismatch),
        case!("image.refused.backing_file", backing_file),
    ]);
    all
}

/// Real data of `format`: uploaded declared, then again undeclared (the SDK must detect the
/// same format), each active with the size, hashes and virtual size of the data, and
/// downloaded back identical.
async fn upload_format(f: &Fixture, format: DiskFormat, source: Source) -> Result<()> {
    let dir = tempfile::tempdir_in(&f.target.scratch)?;
    let (path, virtual_size) = match source {
        Source::QemuImg(qemu_format) => {
            let (path, size) = disks::qemu_disk(dir.path(), "disk", qemu_format).await?;
            (path, Some(size))
        }
        Source::Iso => {
            let data = disks::iso(20);
            (
                disks::write(dir.path(), "disk.iso", &data)?,
                Some(20 * 2048),
            )
        }
        Source::Random => (
            disks::write(dir.path(), "disk", &disks::random_bytes(64 * 1024))?,
            None,
        ),
    };
    let data = std::fs::read(&path)?;
    let images = f.admin.image().images();
    if matches!(source, Source::Random) {
        // Glance cannot inspect this format, so it takes any bytes: first the server's
        // verdict (pre-check off), then the SDK's own, which must agree.
        let image = f
            .image(&images, &format!("{format}-server"))
            .disk_format(format.clone())
            .container_format(ContainerFormat::Bare)
            .data(ImageData::path(&path))
            .skip_inspection(true)
            .send()
            .await
            .with_context(|| format!("the server refused {format} data it cannot inspect"))?;
        expect::equal("status", &image.status, &ImageStatus::Active)?;
    }
    // Random bytes have no format to detect: they would be raw.
    let variants: &[bool] = match source {
        Source::Random => &[true],
        _ => &[true, false],
    };
    for &declare in variants {
        let what = if declare { "declared" } else { "detected" };
        let mut create = f.image(&images, &format!("{format}-{what}"));
        if declare {
            create = create
                .disk_format(format.clone())
                .container_format(ContainerFormat::Bare);
        }
        let image = create
            .data(ImageData::path(&path))
            .send()
            .await
            .with_context(|| format!("uploading {format} ({what})"))?;
        expect::equal("status", &image.status, &ImageStatus::Active)?;
        expect::equal("disk format", image.disk_format.as_ref(), Some(&format))?;
        expect::equal(
            "container format",
            image.container_format.as_ref(),
            Some(&ContainerFormat::Bare),
        )?;
        expect::equal("size", image.size, Some(data.len() as u64))?;
        if let Some(expected) = virtual_size {
            expect::equal("virtual size", image.virtual_size, Some(expected))?;
        }
        download_equals(&images, &image.id, &data).await?;
    }
    Ok(())
}

/// A kernel (aki), a ramdisk (ari) and a machine image (ami) linked by kernel_id and
/// ramdisk_id; the machine image is found by them.
async fn three_part(f: &Fixture) -> Result<()> {
    let (kernel, ramdisk, machine) = (
        disks::random_bytes(48 * 1024),
        disks::random_bytes(32 * 1024),
        disks::random_bytes(96 * 1024),
    );
    let images = f.admin.image().images();
    let made = images
        .create_three_part(f.name("machine"))
        .machine_metadata(|m| m.tag(f.tag()))
        .kernel(bytes(&kernel))
        .ramdisk(bytes(&ramdisk))
        .machine(bytes(&machine))
        .send()
        .await;
    // The kernel and ramdisk do not carry the case's tag: find them by name to clean up.
    for part in ["kernel", "ramdisk"] {
        let name = format!("{}-{part}", f.name("machine"));
        for image in images.list().name(&name).collect_all().await? {
            f.track(&image);
        }
    }
    let made = made.context("three-part upload")?;
    for (image, disk, container, data) in [
        (&made.kernel, DiskFormat::Aki, ContainerFormat::Aki, &kernel),
        (
            &made.ramdisk,
            DiskFormat::Ari,
            ContainerFormat::Ari,
            &ramdisk,
        ),
        (
            &made.machine,
            DiskFormat::Ami,
            ContainerFormat::Ami,
            &machine,
        ),
    ] {
        expect::equal("status", &image.status, &ImageStatus::Active)?;
        expect::equal("disk format", image.disk_format.as_ref(), Some(&disk))?;
        expect::equal(
            "container format",
            image.container_format.as_ref(),
            Some(&container),
        )?;
        download_equals(&images, &image.id, data).await?;
    }
    expect::equal(
        "kernel_id",
        made.machine.kernel_id(),
        Some(made.kernel.id.clone()),
    )?;
    expect::equal(
        "ramdisk_id",
        made.machine.ramdisk_id(),
        Some(made.ramdisk.id.clone()),
    )?;
    let linked = images
        .list()
        .property("kernel_id", made.kernel.id.as_str())
        .property("ramdisk_id", made.ramdisk.id.as_str())
        .collect_all()
        .await?;
    expect::equal(
        "images listed by kernel_id and ramdisk_id",
        super::ids(&linked),
        vec![made.machine.id.to_string()],
    )?;
    Ok(())
}

/// A safe qcow2 declared raw: Glance takes it (and only logs a warning), so the SDK must too.
async fn qcow2_declared_raw(f: &Fixture) -> Result<()> {
    let dir = tempfile::tempdir_in(&f.target.scratch)?;
    let (path, _) = disks::qemu_disk(dir.path(), "disk.qcow2", "qcow2").await?;
    let images = f.admin.image().images();
    let image = f
        .image(&images, "qcow2-as-raw")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .data(ImageData::path(&path))
        .send()
        .await?;
    expect::equal("status", &image.status, &ImageStatus::Active)?;
    expect::equal("disk format", image.disk_format, Some(DiskFormat::Raw))?;
    Ok(())
}

/// A stream longer than the SDK's inspection window and of unknown length goes up
/// chunked, into a record made without formats (the SDK sets raw/bare first).
async fn stream_without_size(f: &Fixture) -> Result<()> {
    let data = disks::random_bytes(5 * 1024 * 1024 + 123);
    let images = f.admin.image().images();
    let record = f.image(&images, "stream").send().await?;
    expect::equal("status", &record.status, &ImageStatus::Queued)?;
    expect::equal("disk format", record.disk_format.as_ref(), None)?;
    let image = images
        .upload(
            &record.id,
            ImageData::reader(std::io::Cursor::new(data.clone())),
        )
        .send()
        .await?;
    expect::equal("status", &image.status, &ImageStatus::Active)?;
    expect::equal("size", image.size, Some(data.len() as u64))?;
    expect::equal("disk format", image.disk_format, Some(DiskFormat::Raw))?;
    expect::equal(
        "container format",
        image.container_format,
        Some(ContainerFormat::Bare),
    )?;
    download_equals(&images, &image.id, &data).await
}

/// Random bytes declared qcow2.
async fn format_mismatch(f: &Fixture) -> Result<()> {
    let dir = tempfile::tempdir_in(&f.target.scratch)?;
    let path = disks::write(dir.path(), "not.qcow2", &disks::random_bytes(64 * 1024))?;
    refused_both_ways(f, &path, "mismatch").await
}

/// A qcow2 whose backing file is another qcow2.
async fn backing_file(f: &Fixture) -> Result<()> {
    let dir = tempfile::tempdir_in(&f.target.scratch)?;
    let path = disks::qcow2_with_backing_file(dir.path(), "top.qcow2").await?;
    refused_both_ways(f, &path, "backing").await
}

/// The SDK refuses `path` declared qcow2 before creating anything; with the pre-check off,
/// Glance answers 415, and the SDK deletes the image it made (or keeps it, `queued`, when
/// asked to).
async fn refused_both_ways(f: &Fixture, path: &std::path::Path, what: &str) -> Result<()> {
    let images = f.admin.image().images();
    let create = |suffix: &str| -> CreateImage {
        f.image(&images, &format!("{what}-{suffix}"))
            .disk_format(DiskFormat::Qcow2)
            .container_format(ContainerFormat::Bare)
            .data(ImageData::path(path))
    };
    let result = create("sdk").send().await;
    expect::error("the SDK's pre-check", result, ErrorKind::UnsafeImage, None)?;
    ensure!(
        f.tagged_images().await?.is_empty(),
        "the SDK's pre-check refused the data, but an image was created"
    );

    let result = create("server").skip_inspection(true).send().await;
    let err = expect::error(
        "the server's check",
        result,
        ErrorKind::UnsupportedMedia,
        Some(415),
    )?;
    ensure!(
        err.message().contains("deleted"),
        "the error does not say the image was deleted: {err}"
    );
    ensure!(
        f.tagged_images().await?.is_empty(),
        "the server refused the data, but the SDK left the image behind"
    );

    let result = create("kept")
        .skip_inspection(true)
        .keep_on_failure(true)
        .send()
        .await;
    expect::error(
        "the server's check (image kept)",
        result,
        ErrorKind::UnsupportedMedia,
        Some(415),
    )?;
    let kept = f.tagged_images().await?;
    ensure!(kept.len() == 1, "{} images kept, not one", kept.len());
    expect::equal("kept image's status", &kept[0].status, &ImageStatus::Queued)?;
    Ok(())
}
