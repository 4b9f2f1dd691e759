//! The [`Images`] handle: the verbs every ferrostack client has, for Glance images, and
//! the image actions (tags, deactivation) and waiters.

use std::task::Poll;

use super::create::CreateImage;
use super::list::ListImages;
use super::model::{Image, ImageId, ImageStatus};
use super::requests;
use super::update::UpdateImage;
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::session::Session;
use crate::wait::{self, Backoff, Wait};

/// Glance's images. Cheap to clone; get one from [`ImageClient::images`](super::ImageClient::images).
#[derive(Debug, Clone)]
pub struct Images {
    pub(crate) session: Session,
}

impl Images {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
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
            let mut list = self.list().name(name_or_id);
            if hidden {
                list = list.os_hidden(true);
            }
            let mut found = list.collect_all().await?;
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

    /// The images Glance lists, filtered and sorted on the server: set filters on the
    /// builder, then [`ListImages::stream`] or [`ListImages::collect_all`].
    pub fn list(&self) -> ListImages {
        ListImages::new(self.clone())
    }

    /// A new image named `name`: set its metadata and, optionally, its data on the builder,
    /// then [`CreateImage::send`].
    pub fn create(&self, name: impl Into<String>) -> CreateImage {
        CreateImage::new(self.clone(), Some(name.into()))
    }

    /// Changes to an image (`openstack image set` / `unset`): set them on the builder, then
    /// [`UpdateImage::send`].
    pub fn update(&self, id: impl Into<ImageId>) -> UpdateImage {
        UpdateImage::new(self.clone(), id.into())
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

    /// Waits until the image has `status`; fails fast when it reaches a failure state
    /// (killed, deleted), disappears, or reports a failed import, and with
    /// [`ErrorKind::Timeout`] at the deadline. Polls every 500 ms doubling to 5 s unless
    /// `wait` says otherwise.
    pub async fn wait_for_status(
        &self,
        id: impl Into<ImageId>,
        status: ImageStatus,
        wait: impl Into<Wait>,
    ) -> Result<Image> {
        let id = id.into();
        let what = format!("image {id} to become {status}");
        let wait = wait.into();
        wait::poll_service(
            ServiceType::Image,
            wait,
            self.session.time_left(),
            Backoff::default(),
            what,
            || async {
                let image = match self.get(&id).await {
                    Ok(image) => image,
                    Err(err) if err.is_not_found() => {
                        return Err(Error::new(
                            ErrorKind::FailureState,
                            format!(
                                "image {id} disappeared while waiting for it to become {status}"
                            ),
                        )
                        .with_service(ServiceType::Image));
                    }
                    Err(err) => return Err(err),
                };
                if image.status == status {
                    return Ok(Poll::Ready(image));
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
                Ok(Poll::Pending)
            },
        )
        .await
    }

    /// Waits until the image is gone (404) or `deleted`.
    pub async fn wait_for_delete(
        &self,
        id: impl Into<ImageId>,
        wait: impl Into<Wait>,
    ) -> Result<()> {
        let id = id.into();
        let what = format!("image {id} to be deleted");
        let wait = wait.into();
        wait::poll_service(
            ServiceType::Image,
            wait,
            self.session.time_left(),
            Backoff::default(),
            what,
            || async {
                match self.get(&id).await {
                    Err(err) if err.is_not_found() => Ok(Poll::Ready(())),
                    Ok(image) if image.status == ImageStatus::Deleted => Ok(Poll::Ready(())),
                    Ok(_) => Ok(Poll::Pending),
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
