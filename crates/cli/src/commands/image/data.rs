//! Image data going up: `image create` (with `--file`, stdin, `--import`, and our
//! `--kernel`/`--ramdisk` three-part images), `image stage` and `image import`.
//!
//! The SDK inspects the data before anything is created (unless `--no-inspect`) and deletes
//! a half-made image when the upload fails, so a failed `image create` leaves nothing behind.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ferrostack::ErrorKind;
use ferrostack::image::{
    ContainerFormat, CreateImage, DiskFormat, ImageData, ImageStatus, ImportMethod,
    ImportMethodName, Visibility,
};
use tokio::io::{AsyncReadExt, AsyncWrite};

use super::args::{self, ImageImport, ImageStage};
use super::{fields, project};
use crate::context::Context;
use crate::print;
use crate::progress::{self, Progress};

/// How long an interoperable import may take before fstack stops waiting.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(3600);

/// Bytes of stdin read up front, to tell "no data" (an empty pipe, /dev/null) from data.
const STDIN_PEEK: usize = 64 * 1024;

/// Where the data comes from, once it is known to be there.
struct Source {
    data: ImageData,
    /// The size, when known (a file's, or `--size`): the progress bar's total.
    size: Option<u64>,
    /// What the progress bar calls it.
    label: String,
}

/// The data of `--file PATH`, `--file -` (stdin), or stdin when it is not a terminal, as
/// openstackclient reads it. `None` when there is none: no `--file`, and stdin is a
/// terminal, closed, or empty (openstackclient would upload zero bytes from an empty pipe;
/// fstack creates the image without data instead, which is what such a command means).
async fn source(file: Option<&Path>, size: Option<u64>) -> Result<Option<Source>> {
    match file {
        Some(path) if path != Path::new("-") => {
            let meta = std::fs::metadata(path)
                .map_err(|e| anyhow::anyhow!("--file {}: {e}", path.display()))?;
            if !meta.is_file() {
                bail!("--file {}: not a regular file", path.display());
            }
            let mut data = ImageData::path(path);
            if let Some(size) = size {
                data = data.size(size);
            }
            Ok(Some(Source {
                data,
                size: Some(meta.len()),
                label: path.display().to_string(),
            }))
        }
        explicit => {
            if explicit.is_none() && std::io::stdin().is_terminal() {
                return Ok(None);
            }
            let mut stdin = tokio::io::stdin();
            let mut head = vec![0; STDIN_PEEK];
            let read = match stdin.read(&mut head).await {
                Ok(n) => n,
                // A closed stdin (`<&-`) is no data, as openstackclient treats it.
                Err(e) if e.raw_os_error() == Some(9) => 0,
                Err(e) => return Err(e).context("cannot read the image data from stdin"),
            };
            if read == 0 {
                return Ok(None);
            }
            head.truncate(read);
            let mut data = ImageData::reader(std::io::Cursor::new(head).chain(stdin));
            if let Some(size) = size {
                data = data.size(size);
            }
            Ok(Some(Source {
                data,
                size,
                label: "stdin".to_owned(),
            }))
        }
    }
}

/// `image create`.
pub async fn create(ctx: &Context, args: args::ImageCreate) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let images = cloud.image().images();
    let mut create = images.create(&args.name);
    if let Some(id) = &args.id {
        create = create.id(id.as_str());
    }
    if let Some(format) = &args.disk_format {
        create = create.disk_format(DiskFormat::from(format.as_str()));
    }
    if let Some(format) = &args.container_format {
        create = create.container_format(ContainerFormat::from(format.as_str()));
    }
    if let Some(gib) = args.min_disk {
        create = create.min_disk(gib);
    }
    if let Some(mib) = args.min_ram {
        create = create.min_ram(mib);
    }
    if let Some(protected) = args.protection.chosen() {
        create = create.protected(protected);
    }
    if let Some(visibility) = args.visibility.chosen() {
        create = create.visibility(Visibility::from(visibility));
    }
    // A file made by `fstack image build` carries its properties next to it; the command
    // line's own --property wins.
    if let Some(file) = args.file.as_deref().filter(|f| *f != Path::new("-")) {
        let sidecar = ferrostack_testbed::debian::read_sidecar(file)?;
        for (key, value) in sidecar.iter().flatten() {
            create = create.property(key, value);
        }
    }
    for p in &args.property {
        create = create.property(&p.key, &p.value);
    }
    for tag in &args.tag {
        create = create.tag(tag);
    }
    if let Some(p) = &args.project {
        create = create.owner(project::id(cloud, p, args.project_domain.as_deref()).await?);
    }

    if let (Some(kernel), Some(ramdisk)) = (&args.kernel, &args.ramdisk) {
        return create_three_part(ctx, create, kernel, ramdisk, &args).await;
    }

    let image = match source(args.file.as_deref(), args.size).await? {
        None => {
            if args.size.is_some() {
                bail!("--size requires image data via --file or stdin");
            }
            if args.import {
                bail!("--import requires image data via --file or stdin");
            }
            // No data: openstackclient's defaults, raw in bare.
            if args.disk_format.is_none() {
                create = create.disk_format(DiskFormat::Raw);
            }
            if args.container_format.is_none() {
                create = create.container_format(ContainerFormat::Bare);
            }
            create.send().await?
        }
        Some(source) => {
            // openstackclient's default is raw whatever the file holds; detecting is ours.
            let defaulted = args.disk_format.is_none() && !args.detect_disk_format;
            if defaulted {
                create = create.disk_format(DiskFormat::Raw);
            }
            let bar = progress::bytes(ctx, source.size, &format!("Uploading {}", source.label));
            let create = create
                .skip_inspection(args.no_inspect)
                .progress(bar.callback());
            let create = if args.import {
                create.import_data(source.data).wait(IMPORT_TIMEOUT)
            } else {
                create.data(source.data)
            };
            let image = create.send().await;
            bar.finish();
            match image {
                Err(err) if defaulted && *err.kind() == ErrorKind::UnsafeImage => {
                    bail!(
                        "{err}. --disk-format defaults to raw, as openstackclient's does: pass \
                         the file's format with --disk-format, or --detect-disk-format"
                    );
                }
                image => image?,
            }
        }
    };
    print::one(&args.output, fields::show(&image, false, args.layout))
}

/// `image create NAME --kernel K --ramdisk R --file F` (ours): the kernel (aki), the ramdisk
/// (ari) and the machine image (ami) linked by `kernel_id`/`ramdisk_id`; the machine image
/// is shown. A part that fails takes the parts already made with it.
async fn create_three_part(
    ctx: &Context,
    create: CreateImage,
    kernel: &Path,
    ramdisk: &Path,
    args: &args::ImageCreate,
) -> Result<()> {
    for (flag, path) in [("--kernel", kernel), ("--ramdisk", ramdisk)] {
        let meta = std::fs::metadata(path)
            .map_err(|e| anyhow::anyhow!("{flag} {}: {e}", path.display()))?;
        if !meta.is_file() {
            bail!("{flag} {}: not a regular file", path.display());
        }
    }
    let machine = match args.file.as_deref() {
        Some(path) if path != Path::new("-") => path,
        _ => bail!("--kernel and --ramdisk need the machine image as --file PATH"),
    };
    let Some(source) = source(Some(machine), None).await? else {
        bail!("--file {}: no data", machine.display());
    };
    let total = [kernel, ramdisk, machine]
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress::bytes(ctx, Some(total), &format!("Uploading {}", args.name));
    // Each part reports from zero: the bar shows the whole set.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let last = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let progress = {
        let bar = bar.clone();
        move |done, _| {
            use std::sync::atomic::Ordering::Relaxed;
            let previous = last.swap(done, Relaxed);
            let delta = done.saturating_sub(if done < previous { 0 } else { previous });
            bar.set(sent.fetch_add(delta, Relaxed) + delta, Some(total));
        }
    };
    let three = create
        .into_three_part()
        .kernel(ImageData::path(kernel))
        .ramdisk(ImageData::path(ramdisk))
        .machine(source.data)
        .skip_inspection(args.no_inspect)
        .progress(progress)
        .send()
        .await;
    bar.finish();
    let three = three?;
    print::one(
        &args.output,
        fields::show(&three.machine, false, args.layout),
    )
}

/// `image stage`: data into the image's staging area, for a later `image import`.
pub async fn stage(ctx: &Context, args: ImageStage) -> Result<()> {
    let images = ctx.cloud().await?.image().images();
    let image = images.find(&args.image).await?;
    let Some(source) = source(args.file.as_deref(), args.size).await? else {
        if args.size.is_some() {
            bail!("--size requires image data via --file or stdin");
        }
        bail!(
            "image stage {}: no data: give --file or pipe the data on stdin",
            args.image
        );
    };
    let bar = progress::bytes(ctx, source.size, &format!("Staging {}", source.label));
    let outcome = images
        .stage(&image.id, source.data)
        .progress(bar.callback())
        .send()
        .await;
    bar.finish();
    outcome?;
    Ok(())
}

/// `image import`: the checks openstackclient makes before asking (the cloud offers the
/// method, the flags fit the method, the image is in the state the method needs), then the
/// import; with `--wait`, until the image is active. Shows the image.
pub async fn import(ctx: &Context, args: ImageImport) -> Result<()> {
    let glance = ctx.cloud().await?.image();
    let images = glance.images();
    let info = glance.import_info().await.map_err(|e| {
        if e.is_not_found() {
            anyhow::anyhow!("The Image Import feature is not supported by this deployment")
        } else {
            anyhow::Error::new(e)
        }
    })?;
    let method = ImportMethodName::from(args.method.as_str());
    if !info.offers(&method) {
        let offered: Vec<&str> = info
            .import_methods
            .value
            .iter()
            .map(ImportMethodName::as_str)
            .collect();
        bail!(
            "The '{}' import method is not supported by this deployment. Supported: {}",
            args.method,
            offered.join(", ")
        );
    }
    let request = match (&method, &args.uri) {
        (ImportMethodName::WebDownload, Some(uri)) => {
            let valid = uri
                .split_once("://")
                .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty());
            if !valid {
                bail!("'{uri}' is not a valid url");
            }
            ImportMethod::WebDownload { uri: uri.clone() }
        }
        (ImportMethodName::WebDownload, None) => {
            bail!("The '--uri' option is required when using '--method=web-download'")
        }
        (_, Some(_)) => {
            bail!("The '--uri' option is only supported when using '--method=web-download'")
        }
        (ImportMethodName::GlanceDirect, None) => ImportMethod::GlanceDirect,
        (other, None) => {
            bail!("--method {other}: fstack imports with glance-direct and web-download only")
        }
    };
    let image = images.find(&args.image).await?;
    if image.container_format.is_none() && image.disk_format.is_none() {
        bail!(
            "The 'container_format' and 'disk_format' properties must be set on an image \
             before it can be imported"
        );
    }
    let needed = match method {
        ImportMethodName::GlanceDirect => ImageStatus::Uploading,
        _ => ImageStatus::Queued,
    };
    if image.status != needed {
        bail!(
            "The '{}' import method can only be used with an image in status '{needed}' \
             (image {} is '{}')",
            args.method,
            args.image,
            image.status
        );
    }
    images.import(&image.id, request).await?;
    let image = if args.wait {
        let wait = progress::spinner(ctx, &format!("Importing {}", args.image));
        let outcome = images
            .wait_for_status(&image.id, ImageStatus::Active, IMPORT_TIMEOUT)
            .await;
        wait.finish();
        outcome?
    } else {
        images.get(&image.id).await?
    };
    print::one(&args.output, fields::show(&image, false, args.layout))
}

/// Counts the bytes written through it into a progress bar (`image save` to stdout).
pub struct CountingWriter<W> {
    inner: W,
    bar: Progress,
    written: u64,
}

impl<W> CountingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, bar: Progress) -> Self {
        Self {
            inner,
            bar,
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for CountingWriter<W> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &poll {
            self.written += *n as u64;
            let written = self.written;
            self.bar.set(written, None);
        }
        poll
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
