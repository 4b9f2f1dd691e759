//! Glance v2: images, their data, tags, members, and the interoperable import.
//!
//! ```no_run
//! # async fn demo() -> ferrostack::Result<()> {
//! use futures::TryStreamExt;
//! use ferrostack::image::{DiskFormat, ImageCreate, ImageData, ListOptions, UploadOptions};
//! let images = ferrostack::Cloud::from_env()?.image();
//! let image = images
//!     .create_and_upload(
//!         ImageCreate::new("debian-13").disk_format(DiskFormat::Qcow2),
//!         ImageData::path("debian-13.qcow2"),
//!         UploadOptions::default(),
//!     )
//!     .await?;
//! println!("{} is {}", image.id, image.status);
//! let mut list = images.list(ListOptions::new().disk_format(DiskFormat::Qcow2));
//! while let Some(image) = list.try_next().await? {
//!     println!("{} {:?}", image.id, image.name);
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};
use crate::session::Session;
use crate::wait::{self, Backoff};

mod create;
mod download;
mod import;
mod inspect;
mod list;
mod model;
pub mod requests;
mod update;
mod upload;

pub use create::ImageCreate;
pub use download::Download;
pub use list::{Comparison, ListOptions, SortDir};
pub use model::{
    ContainerFormat, DiskFormat, Image, ImageId, ImagePage, ImageStatus, ImportInfo,
    ImportMethodName, ImportMethods, Member, MemberStatus, Visibility,
};
pub use requests::ImportMethod;
pub use update::{ImageUpdate, PATCH_CONTENT_TYPE, PatchOp};
pub use upload::{ImageData, Progress, ThreePartImage, UploadOptions};

/// A handle on Glance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ImageClient {
    session: Session,
}

impl ImageClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// One image by id (`openstack image show ID`).
    pub async fn get(&self, id: impl Into<ImageId>) -> Result<Image> {
        self.session.send_json(requests::get(&id.into())).await
    }

    /// One image by id or name, the way openstacksdk finds it: by id first, then by exact
    /// name among visible images, then among hidden ones. No match, or more than one, is an
    /// [`ErrorKind::Lookup`] error.
    pub async fn find(&self, name_or_id: &str) -> Result<Image> {
        if name_or_id.is_empty() {
            return Err(Error::invalid_input(
                "image lookup: the name or id is empty",
            ));
        }
        match self.get(name_or_id).await {
            Ok(image) => return Ok(image),
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err),
        }
        for hidden in [false, true] {
            let mut options = ListOptions::new().name(name_or_id);
            if hidden {
                options = options.os_hidden(true);
            }
            let mut found = self.list_all(options).await?;
            match found.len() {
                0 => continue,
                1 => return Ok(found.remove(0)),
                n => {
                    let ids: Vec<String> = found.iter().map(|i| i.id.to_string()).collect();
                    return Err(Error::new(
                        ErrorKind::Lookup,
                        format!(
                            "{n} images are named {name_or_id:?} ({}): use an id",
                            ids.join(", ")
                        ),
                    )
                    .with_service(ServiceType::Image));
                }
            }
        }
        Err(Error::new(
            ErrorKind::Lookup,
            format!("no image has the id or name {name_or_id:?} (hidden images included)"),
        )
        .with_service(ServiceType::Image))
    }

    /// Every image matching `options`, page by page as the stream is read, following the
    /// server's `next` links and stopping on a link already followed.
    pub fn list(&self, options: ListOptions) -> BoxStream<'static, Result<Image>> {
        struct State {
            session: Session,
            next: Option<Result<Request>>,
            followed: HashSet<String>,
        }
        let state = State {
            session: self.session.clone(),
            next: Some(options.request()),
            followed: HashSet::new(),
        };
        stream::try_unfold(state, |mut state| async move {
            let Some(request) = state.next.take() else {
                return Ok::<_, Error>(None);
            };
            let page: ImagePage = state.session.send_json(request?).await?;
            if let Some(link) = &page.next {
                if page.images.is_empty() {
                    // Glance adds `next` only to full pages; an empty one ends the listing.
                } else if state.followed.insert(link.clone()) {
                    let endpoint = state.session.endpoint(&ServiceType::Image).await?;
                    state.next = Some(list::next_request(&endpoint, link));
                } else {
                    tracing::warn!(next = %link, "Glance repeated a next link; stopping the listing");
                }
            }
            Ok(Some((stream::iter(page.images.into_iter().map(Ok)), state)))
        })
        .try_flatten()
        .boxed()
    }

    /// Every image matching `options`, all pages collected.
    pub async fn list_all(&self, options: ListOptions) -> Result<Vec<Image>> {
        self.list(options).try_collect().await
    }

    /// The first page only, with its `next` link (`openstack image list --limit N`).
    pub async fn first_page(&self, options: ListOptions) -> Result<ImagePage> {
        self.session.send_json(options.request()?).await
    }

    /// Creates an image record, without data (`status: queued`).
    pub async fn create(&self, image: ImageCreate) -> Result<Image> {
        self.session.send_json(image.request()?).await
    }

    /// Changes an image: fetches it, computes the patch against it, and sends it. Returns
    /// the image as Glance has it afterwards (unchanged when there was nothing to change).
    pub async fn update(&self, id: impl Into<ImageId>, update: ImageUpdate) -> Result<Image> {
        let current = self.get(id).await?;
        self.update_from(&current, update).await
    }

    /// Changes an image the caller already fetched (saves a GET).
    pub async fn update_from(&self, current: &Image, update: ImageUpdate) -> Result<Image> {
        match update.request(current)? {
            Some(request) => self.session.send_json(request).await,
            None => Ok(current.clone()),
        }
    }

    /// Deletes an image.
    pub async fn delete(&self, id: impl Into<ImageId>) -> Result<()> {
        self.session.send(requests::delete(&id.into())).await?;
        Ok(())
    }

    /// Adds a tag.
    pub async fn add_tag(&self, id: impl Into<ImageId>, tag: &str) -> Result<()> {
        self.session
            .send(requests::add_tag(&id.into(), tag))
            .await?;
        Ok(())
    }

    /// Removes a tag.
    pub async fn remove_tag(&self, id: impl Into<ImageId>, tag: &str) -> Result<()> {
        self.session
            .send(requests::remove_tag(&id.into(), tag))
            .await?;
        Ok(())
    }

    /// Shares an image with a project (the image must have `shared` visibility).
    pub async fn add_member(&self, id: impl Into<ImageId>, project_id: &str) -> Result<Member> {
        self.session
            .send_json(requests::add_member(&id.into(), project_id))
            .await
    }

    /// The projects an image is shared with.
    pub async fn members(&self, id: impl Into<ImageId>) -> Result<Vec<Member>> {
        let list: model::MemberList = self
            .session
            .send_json(requests::list_members(&id.into()))
            .await?;
        Ok(list.members)
    }

    /// One membership.
    pub async fn member(&self, id: impl Into<ImageId>, project_id: &str) -> Result<Member> {
        self.session
            .send_json(requests::get_member(&id.into(), project_id))
            .await
    }

    /// A member's answer to a shared image (sent by the member project).
    pub async fn set_member_status(
        &self,
        id: impl Into<ImageId>,
        project_id: &str,
        status: MemberStatus,
    ) -> Result<Member> {
        self.session
            .send_json(requests::set_member_status(&id.into(), project_id, &status))
            .await
    }

    /// Stops sharing an image with a project.
    pub async fn remove_member(&self, id: impl Into<ImageId>, project_id: &str) -> Result<()> {
        self.session
            .send(requests::remove_member(&id.into(), project_id))
            .await?;
        Ok(())
    }

    /// Disables access to an image's data (admin).
    pub async fn deactivate(&self, id: impl Into<ImageId>) -> Result<()> {
        self.session.send(requests::deactivate(&id.into())).await?;
        Ok(())
    }

    /// Enables access to a deactivated image's data (admin).
    pub async fn reactivate(&self, id: impl Into<ImageId>) -> Result<()> {
        self.session.send(requests::reactivate(&id.into())).await?;
        Ok(())
    }

    /// Waits until the image has `status`, polling with the default backoff; fails fast
    /// when it reaches a failure state (killed, deleted), disappears, or reports a failed
    /// import, and with [`ErrorKind::Timeout`] after `timeout`.
    pub async fn wait_for_status(
        &self,
        id: impl Into<ImageId>,
        status: ImageStatus,
        timeout: Duration,
    ) -> Result<Image> {
        self.wait_for_status_with(id, status, timeout, Backoff::default())
            .await
    }

    /// [`ImageClient::wait_for_status`] with a chosen backoff.
    pub async fn wait_for_status_with(
        &self,
        id: impl Into<ImageId>,
        status: ImageStatus,
        timeout: Duration,
        backoff: Backoff,
    ) -> Result<Image> {
        let id = id.into();
        let what = format!("image {id} to become {status}");
        wait::poll_until(timeout, backoff, &what, || async {
            let image = match self.get(&id).await {
                Ok(image) => image,
                Err(err) if err.is_not_found() => {
                    return Err(Error::new(
                        ErrorKind::FailureState,
                        format!("image {id} disappeared while waiting for it to become {status}"),
                    )
                    .with_service(ServiceType::Image));
                }
                Err(err) => return Err(err),
            };
            if image.status == status {
                return Ok(std::task::Poll::Ready(image));
            }
            if image.status.is_failure() {
                return Err(failure(&image, &status, &image.status.to_string()));
            }
            if let Some(stores) = image
                .property("os_glance_failed_import")
                .filter(|s| !s.is_empty())
            {
                return Err(failure(
                    &image,
                    &status,
                    &format!("failed to import into {stores}"),
                ));
            }
            Ok(std::task::Poll::Pending)
        })
        .await
    }

    /// Waits until the image is gone (404) or `deleted`.
    pub async fn wait_for_delete(&self, id: impl Into<ImageId>, timeout: Duration) -> Result<()> {
        let id = id.into();
        wait::poll_until(
            timeout,
            Backoff::default(),
            format!("image {id} to be deleted"),
            || async {
                match self.get(&id).await {
                    Err(err) if err.is_not_found() => Ok(std::task::Poll::Ready(())),
                    Ok(image) if image.status == ImageStatus::Deleted => {
                        Ok(std::task::Poll::Ready(()))
                    }
                    Ok(_) => Ok(std::task::Poll::Pending),
                    Err(err) => Err(err),
                }
            },
        )
        .await
    }
}

fn failure(image: &Image, wanted: &ImageStatus, what: &str) -> Error {
    Error::new(
        ErrorKind::FailureState,
        format!(
            "image {} {what} while waiting for it to become {wanted}",
            image.label()
        ),
    )
    .with_service(ServiceType::Image)
}
