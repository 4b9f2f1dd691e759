//! Glance v2: images, their data, tags, members, and the interoperable import.
//!
//! [`ImageClient`] is the service; [`Images`] is the resource handle with the verbs of every
//! ferrostack client (`get`, `find`, `list`, `create`, `update`, `delete`, waiters), and
//! [`ImageMembers`] the handle on one image's members.
//!
//! ```no_run
//! # async fn demo() -> ferrostack::Result<()> {
//! use futures::TryStreamExt;
//! use ferrostack::image::{DiskFormat, ImageData};
//! let images = ferrostack::Cloud::from_env()?.image().images();
//! let image = images
//!     .create("debian-13")
//!     .disk_format(DiskFormat::Qcow2)
//!     .data(ImageData::path("debian-13.qcow2"))
//!     .send()
//!     .await?;
//! println!("{} is {}", image.id, image.status);
//! let mut list = images.list().disk_format(DiskFormat::Qcow2).stream();
//! while let Some(image) = list.try_next().await? {
//!     println!("{} {:?}", image.id, image.name);
//! }
//! # Ok(())
//! # }
//! ```

use crate::error::Result;
use crate::session::Session;

mod create;
mod digest;
mod download;
mod images;
mod import;
mod inspect;
mod list;
mod members;
mod model;
mod requests;
mod three_part;
mod update;
mod upload;

pub use create::CreateImage;
pub use download::Download;
pub use images::Images;
pub use list::{Comparison, ListImages, SortDir};
pub use members::{ImageMembers, ListMembers};
pub use model::{
    ContainerFormat, DiskFormat, Image, ImageId, ImagePage, ImageStatus, ImportInfo,
    ImportMethodName, ImportMethods, Member, MemberStatus, Store, Visibility,
};
pub use requests::ImportMethod;
pub use three_part::{CreateThreePart, ThreePartImage};
pub use update::{PATCH_CONTENT_TYPE, PatchOp, UpdateImage};
pub use upload::{ImageData, Progress, UploadImage};

/// Glance, the image service. Cheap to clone.
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

    /// Images: get, find, list, create, update, delete, upload, download, wait.
    pub fn images(&self) -> Images {
        Images::new(self.session.clone())
    }

    /// The members of one image: the projects it is shared with.
    pub fn members(&self, image: impl Into<ImageId>) -> ImageMembers {
        ImageMembers::new(self.session.clone(), image.into())
    }

    /// The import methods this cloud offers (`GET /v2/info/import`).
    pub async fn import_info(&self) -> Result<ImportInfo> {
        self.session.send_json(requests::import_info()).await
    }

    /// The stores of a multi-store Glance (`GET /v2/info/stores`); a Glance with one store
    /// answers 404, [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn stores(&self) -> Result<Vec<Store>> {
        let list: model::StoreList = self.session.send_json(requests::stores()).await?;
        Ok(list.stores)
    }
}
