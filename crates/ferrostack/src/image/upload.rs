//! Image data going up: from a file or any `AsyncRead`, inspected first, streamed with
//! constant memory, hashed on the way (see `upload/verify.rs` for which digests), checked
//! against what Glance reports, and never leaving a half-made image behind unless asked to.

mod body;
mod verify;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt};

use self::body::{BodyError, Reader};
pub(crate) use self::verify::{Sent, check};
use super::create::CreateImage;
use super::inspect;
use super::model::{ContainerFormat, DiskFormat, Image, ImageId, ImageStatus};
use super::{Images, requests};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;
use crate::session::Session;

/// How much of a non-seekable stream is held back to inspect its format before uploading.
/// Formats announce themselves in their first bytes (ISO at 32 KiB, vmdk descriptors within
/// the first MiB); a footer-only fixed VHD is left to Glance's own check.
const STREAM_HEAD: usize = 4 * 1024 * 1024;

/// A progress callback: bytes sent so far, and the total when known.
pub type Progress = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// Where the data of an image comes from.
pub struct ImageData {
    source: Source,
    size: Option<u64>,
}

enum Source {
    Path(PathBuf),
    // Behind a mutex only to be `Sync`, so that a builder holding data can be borrowed
    // across an await; it is taken out whole before it is read.
    Reader(Mutex<Box<dyn AsyncRead + Send + Unpin>>),
}

impl fmt::Debug for ImageData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageData")
            .field("source", &self.label())
            .field("size", &self.size)
            .finish()
    }
}

impl ImageData {
    /// The file at `path` (its size is sent, and its format inspected in full).
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self {
            source: Source::Path(path.into()),
            size: None,
        }
    }

    /// Any stream of bytes: stdin, a decompressor, a socket.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self {
            source: Source::Reader(Mutex::new(Box::new(reader))),
            size: None,
        }
    }

    /// The length of a stream, when known (sent as `Content-Length` and
    /// `x-openstack-image-size`).
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    fn label(&self) -> String {
        match &self.source {
            Source::Path(path) => format!("image file {}", path.display()),
            Source::Reader(_) => "the image stream".to_owned(),
        }
    }
}

/// How an upload behaves beyond its data (set on the builders).
#[derive(Clone, Default)]
pub(crate) struct UploadOptions {
    pub(crate) keep_on_failure: bool,
    pub(crate) skip_inspection: bool,
    pub(crate) progress: Option<Progress>,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("keep_on_failure", &self.keep_on_failure)
            .field("skip_inspection", &self.skip_inspection)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Where [`UploadImage`] sends the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `PUT /v2/images/{id}/file`.
    File,
    /// `PUT /v2/images/{id}/stage`, for a later `glance-direct` import.
    Stage,
}

/// Data for an image that exists already: made by [`Images::upload`] or [`Images::stage`];
/// nothing is sent before [`UploadImage::send`].
#[derive(Debug)]
#[must_use = "nothing is sent until .send().await"]
pub struct UploadImage {
    images: Images,
    id: ImageId,
    data: ImageData,
    target: Target,
    options: UploadOptions,
}

impl UploadImage {
    /// Uploads without checking the data's format first. Glance still checks it.
    pub fn skip_inspection(mut self, skip: bool) -> Self {
        self.options.skip_inspection = skip;
        self
    }

    /// Called as data is sent, with the bytes sent so far and the total when known.
    pub fn progress(mut self, progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.options.progress = Some(Arc::new(progress));
        self
    }

    /// Sends the data. An upload answers the image as Glance has it afterwards, its size and
    /// hashes checked against the data sent; staging answers the image as it was.
    pub async fn send(self) -> Result<Image> {
        let UploadImage {
            images,
            id,
            data,
            target,
            options,
        } = self;
        let image = images.get(id).await?;
        let prepared = prepare(
            data,
            image.disk_format.as_ref(),
            image.container_format.as_ref(),
            options.skip_inspection,
        )
        .await?;
        if target == Target::Stage {
            let request = requests::stage(&image.id, prepared.size);
            send_data(&images.session, request, prepared, options.progress.clone()).await?;
            return Ok(image);
        }
        let image = if image.disk_format.is_none() || image.container_format.is_none() {
            images
                .update(image.id.clone())
                .based_on(image)
                .disk_format(prepared.disk_format.clone())
                .container_format(prepared.container_format.clone())
                .send()
                .await?
        } else {
            image
        };
        images
            .upload_prepared(&image, prepared, &options, None)
            .await
            .map_err(|failure| {
                failure
                    .err
                    .context(format!("upload to image {}", image.label()))
            })
    }
}

/// Data ready to send: opened, inspected, its formats settled.
pub(crate) struct Prepared {
    reader: Reader,
    /// The file read, when the data is one.
    file: Option<PathBuf>,
    pub(crate) size: Option<u64>,
    pub(crate) label: String,
    pub(crate) disk_format: DiskFormat,
    pub(crate) container_format: ContainerFormat,
}

/// Opens the data, and unless `skip_inspection`, checks its format against the declared
/// one (or picks the detected one). Nothing is sent.
pub(crate) async fn prepare(
    data: ImageData,
    disk_format: Option<&DiskFormat>,
    container_format: Option<&ContainerFormat>,
    skip_inspection: bool,
) -> Result<Prepared> {
    let label = data.label();
    let container = container_format.cloned().unwrap_or(ContainerFormat::Bare);
    let io_error = |e: std::io::Error| Error::new(ErrorKind::Io, format!("{label}: {e}"));
    let file = match &data.source {
        Source::Path(path) => Some(path.clone()),
        Source::Reader(_) => None,
    };
    let (reader, size, inspection) = match data.source {
        Source::Path(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(io_error)?;
            let size = file.metadata().await.map_err(io_error)?.len();
            let inspection = if skip_inspection {
                None
            } else {
                let target = path.clone();
                let found = tokio::task::spawn_blocking(move || {
                    ferrostack_format_inspector::inspect_file(target)
                })
                .await
                .map_err(|e| Error::new(ErrorKind::Io, format!("{label}: inspection: {e}")))?;
                Some(found.map_err(|e| {
                    let why = std::error::Error::source(&e)
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    Error::new(ErrorKind::Io, format!("{e}: {why}"))
                })?)
            };
            (Reader::File(file.into_std().await), Some(size), inspection)
        }
        Source::Reader(reader) if !skip_inspection => {
            let mut reader = reader.into_inner().unwrap_or_else(|e| e.into_inner());
            let mut head = Vec::with_capacity(64 * 1024);
            (&mut reader)
                .take(STREAM_HEAD as u64)
                .read_to_end(&mut head)
                .await
                .map_err(io_error)?;
            let ended = head.len() < STREAM_HEAD;
            let size = data.size.or(ended.then_some(head.len() as u64));
            let inspection = ferrostack_format_inspector::inspect(std::io::Cursor::new(&head))
                .map_err(io_error)?;
            let chained = std::io::Cursor::new(head).chain(reader);
            (Reader::Stream(Box::new(chained)), size, Some(inspection))
        }
        Source::Reader(reader) => (
            Reader::Stream(reader.into_inner().unwrap_or_else(|e| e.into_inner())),
            data.size,
            None,
        ),
    };
    let disk_format = match &inspection {
        Some(inspection) => inspect::check(&label, inspection, disk_format, &container)?,
        None => disk_format.cloned().unwrap_or(DiskFormat::Raw),
    };
    Ok(Prepared {
        reader,
        file,
        size,
        label,
        disk_format,
        container_format: container,
    })
}

/// Streams the prepared data as the body of `request` (PUT /file or PUT /stage), hashing
/// it on the way (see `upload/body.rs`).
pub(crate) async fn send_data(
    session: &Session,
    request: Request,
    prepared: Prepared,
    progress: Option<Progress>,
) -> Result<Sent> {
    send_body(session, request, prepared, progress).await.0
}

/// [`send_data`], and whether the whole body was handed to the connection (the source read
/// to its end): a failure before that cannot have delivered the data.
async fn send_body(
    session: &Session,
    request: Request,
    prepared: Prepared,
    progress: Option<Progress>,
) -> (Result<Sent>, bool) {
    let all_sent = Arc::new(AtomicBool::new(false));
    let outcome = send_tracked(session, request, prepared, progress, all_sent.clone()).await;
    (outcome, all_sent.load(Ordering::SeqCst))
}

async fn send_tracked(
    session: &Session,
    request: Request,
    prepared: Prepared,
    progress: Option<Progress>,
    all_sent: Arc<AtomicBool>,
) -> Result<Sent> {
    let total = prepared.size;
    // The whole body is out when the source ends, or, with a known length (after which the
    // connection reads no further), when that many bytes have gone.
    let at_length = all_sent.clone();
    let algos = verify::on_the_way(prepared.file.is_some());
    let (body, pipeline) = body::start(prepared.reader, total, algos, move |sent| {
        if Some(sent) == total {
            at_length.store(true, Ordering::SeqCst);
        }
        if let Some(progress) = &progress {
            progress(sent, total);
        }
    });
    let end = futures::stream::poll_fn(move |_| {
        all_sent.store(true, Ordering::SeqCst);
        std::task::Poll::Ready(None)
    });
    let outcome = session.send_stream(request, body.chain(end)).await;
    let reading =
        |why: String| Error::new(ErrorKind::Io, format!("reading {}: {why}", prepared.label));
    if let Some(why) = pipeline.read_error() {
        return Err(reading(why));
    }
    outcome?;
    match pipeline.finish().await {
        Ok(hashed) => Ok(Sent {
            bytes: hashed.bytes,
            digests: hashed
                .digests
                .into_iter()
                .map(|(algo, digest)| (algo.to_owned(), digest))
                .collect(),
            file: prepared.file,
        }),
        Err(BodyError::Read(e)) => Err(reading(e.to_string())),
        Err(BodyError::Lost) => Err(Error::new(
            ErrorKind::Io,
            "hashing the data sent: a hashing thread ended early",
        )),
    }
}

/// An upload that failed, and what is known of its data.
pub(crate) struct UploadFailed {
    pub(crate) err: Error,
    pub(crate) arrived: Arrived,
}

/// Whether the data of a failed upload reached Glance.
pub(crate) enum Arrived {
    /// It did not, or arrived wrong: refused with a status, never sent, or reported with
    /// other hashes than the data sent. The image is of no use.
    No,
    /// Glance accepted it (the PUT answered 2xx); what failed came after.
    Yes(Sent),
    /// The PUT's answer never came (connection lost, timeout): it may have.
    Unknown,
}

/// Deletes an image if the future that made it is dropped before it finished (a cancelled
/// upload): the deletion is spawned on the runtime, since `Drop` cannot wait.
pub(crate) struct DeleteOnDrop {
    armed: Option<(Session, ImageId)>,
}

impl DeleteOnDrop {
    pub(crate) fn new(session: &Session, id: &ImageId, keep: bool) -> Self {
        Self {
            armed: (!keep).then(|| (session.clone(), id.clone())),
        }
    }

    pub(crate) fn disarm(&mut self) {
        self.armed = None;
    }
}

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let Some((session, id)) = self.armed.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(image = %id, "upload cancelled outside a runtime; image left behind");
            return;
        };
        tracing::info!(image = %id, "upload cancelled; deleting the image");
        runtime.spawn(async move {
            if let Err(err) = session.send(requests::delete(&id)).await {
                tracing::warn!(image = %id, error = %err, "could not delete the image of a cancelled upload");
            }
        });
    }
}

impl Images {
    /// Uploads data to an existing image (`openstack image create` then a separate upload).
    /// Missing disk/container formats are set first (from the inspection, else raw/bare).
    /// The image is not deleted on failure: it was there before.
    pub fn upload(&self, id: impl Into<ImageId>, data: ImageData) -> UploadImage {
        UploadImage {
            images: self.clone(),
            id: id.into(),
            data,
            target: Target::File,
            options: UploadOptions::default(),
        }
    }

    /// Stages data for a `glance-direct` import (`PUT /v2/images/{id}/stage`), streamed and
    /// inspected like an upload. The image's formats must be set; follow with
    /// [`Images::import`].
    pub fn stage(&self, id: impl Into<ImageId>, data: ImageData) -> UploadImage {
        UploadImage {
            target: Target::Stage,
            ..self.upload(id, data)
        }
    }

    /// `POST /images`: the record only.
    pub(crate) async fn post(&self, request: Request) -> Result<Image> {
        self.session.send_json(request).await
    }

    /// Inspects, creates, uploads, verifies; deletes the image again on failure.
    pub(crate) async fn create_and_upload(
        &self,
        create: CreateImage,
        data: ImageData,
    ) -> Result<Image> {
        let prepared = prepare(
            data,
            create.disk_format.as_ref(),
            create.container_format.as_ref(),
            create.options.skip_inspection,
        )
        .await?;
        let create = create
            .disk_format(prepared.disk_format.clone())
            .container_format(prepared.container_format.clone());
        let options = create.options.clone();
        let image = self.post(create.request()?).await?;
        let mut guard = DeleteOnDrop::new(&self.session, &image.id, options.keep_on_failure);
        let outcome = self
            .upload_prepared(&image, prepared, &options, Some(&mut guard))
            .await;
        guard.disarm();
        match outcome {
            Ok(image) => Ok(image),
            Err(UploadFailed {
                err,
                arrived: Arrived::No,
            }) => Err(self.abandon(&image, err, options.keep_on_failure).await),
            Err(UploadFailed {
                err,
                arrived: Arrived::Yes(sent),
            }) => Err(err.context(format!(
                "upload to image {}: the data arrived ({}) and Glance accepted it, but \
                 reading the image back to check it failed, so the image was kept",
                image.label(),
                sent.summary()
            ))),
            Err(UploadFailed {
                err,
                arrived: Arrived::Unknown,
            }) => Err(self.settle(&image, err, options.keep_on_failure).await),
        }
    }

    /// PUT /file, then GET the image and check what Glance reports. Once Glance has
    /// accepted the data, `guard` (if any) is disarmed: the image is no longer half-made.
    async fn upload_prepared(
        &self,
        image: &Image,
        prepared: Prepared,
        options: &UploadOptions,
        guard: Option<&mut DeleteOnDrop>,
    ) -> Result<Image, UploadFailed> {
        let request = requests::upload(&image.id, prepared.size);
        let (outcome, all_sent) =
            send_body(&self.session, request, prepared, options.progress.clone()).await;
        let sent = match outcome {
            Ok(sent) => sent,
            Err(err) => {
                // Glance's own answer (a status) refused the data, and data not all sent
                // cannot have arrived; a lost answer or a timeout after the last byte leaves
                // open whether it did.
                let lost = err.status().is_none()
                    && matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout);
                let arrived = if lost && all_sent {
                    Arrived::Unknown
                } else {
                    Arrived::No
                };
                return Err(UploadFailed { err, arrived });
            }
        };
        if let Some(guard) = guard {
            guard.disarm();
        }
        let uploaded = self.get(&image.id).await.map_err(|err| UploadFailed {
            err,
            arrived: Arrived::Yes(sent.clone()),
        })?;
        check(&uploaded, &sent).await.map_err(|err| UploadFailed {
            err,
            arrived: Arrived::No,
        })?;
        tracing::debug!(image = %image.id, sent = %sent.summary(), "uploaded and verified");
        Ok(uploaded)
    }

    /// The upload's answer was lost: one look at the image says whether its data arrived.
    /// `queued` (or `killed`): it did not, and the image goes as after any failed upload.
    /// Anything else, or no answer to the look either: it may have, and the image is kept.
    async fn settle(&self, image: &Image, err: Error, keep: bool) -> Error {
        let label = image.label();
        match self.get(&image.id).await {
            Ok(now) if matches!(now.status, ImageStatus::Queued | ImageStatus::Killed) => {
                self.abandon(image, err, keep).await
            }
            Ok(now) if now.status == ImageStatus::Active => err.context(format!(
                "upload to image {label}: the answer to the upload was lost, but the image \
                 is active, so its data arrived (unchecked): the image was kept"
            )),
            Ok(now) => err.context(format!(
                "upload to image {label}: the answer to the upload was lost, and the image \
                 is {}, so its data may have arrived: the image was kept",
                now.status
            )),
            Err(look) => err.context(format!(
                "upload to image {label}: the answer to the upload was lost, and the image \
                 could not be looked at either ({look}), so whether its data arrived is \
                 unknown: the image was kept"
            )),
        }
    }

    /// Deletes (or keeps) the image of a failed upload, and says so in the error.
    pub(crate) async fn abandon(&self, image: &Image, err: Error, keep: bool) -> Error {
        let fate = if keep {
            "the image was kept as asked".to_owned()
        } else {
            match self.delete(&image.id).await {
                Ok(()) => "the image was deleted".to_owned(),
                Err(e) => format!("and deleting the image failed too ({e})"),
            }
        };
        err.context(format!("upload to image {} failed, {fate}", image.label()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_is_inspected_from_its_head_and_sent_whole() {
        let mut qcow2 = vec![0u8; 8192];
        qcow2[..4].copy_from_slice(b"QFI\xfb");
        qcow2[4..8].copy_from_slice(&3u32.to_be_bytes());
        qcow2[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        qcow2[100..104].copy_from_slice(&104u32.to_be_bytes());
        let prepared = prepare(
            ImageData::reader(std::io::Cursor::new(qcow2.clone())),
            None,
            None,
            false,
        )
        .await
        .unwrap();
        assert_eq!(prepared.disk_format, DiskFormat::Qcow2);
        assert_eq!(prepared.container_format, ContainerFormat::Bare);
        assert_eq!(prepared.size, Some(8192));
        let mut all = Vec::new();
        let Reader::Stream(mut reader) = prepared.reader else {
            panic!("a stream stays a stream");
        };
        reader.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, qcow2);
        let err = prepare(
            ImageData::reader(std::io::Cursor::new(qcow2)),
            Some(&DiskFormat::Raw),
            Some(&ContainerFormat::Bare),
            false,
        )
        .await;
        // Declared raw holding a safe qcow2: Glance accepts it, so do we.
        assert!(err.is_ok());
    }

    #[tokio::test]
    async fn a_missing_file_is_an_io_error_naming_it() {
        let err = prepare(
            ImageData::path("/nonexistent/disk.qcow2"),
            None,
            None,
            false,
        )
        .await
        .err()
        .unwrap();
        assert_eq!(err.kind(), &ErrorKind::Io);
        assert!(err.message().contains("/nonexistent/disk.qcow2"), "{err}");
    }
}
