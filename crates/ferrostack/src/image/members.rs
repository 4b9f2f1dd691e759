//! An image's members: the projects a `shared` image is shared with, and their answers.

use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use super::model::{ImageId, Member, MemberList, MemberStatus};
use super::requests;
use crate::error::Result;
use crate::session::Session;

/// The members of one image; get one from
/// [`ImageClient::members`](super::ImageClient::members). Cheap to clone.
///
/// ```no_run
/// # async fn demo(image: ferrostack::image::ImageClient) -> ferrostack::Result<()> {
/// use ferrostack::image::MemberStatus;
/// let members = image.members("70a599e0-31e7-49b7-b260-868f441e862b");
/// members.create("a3f5c1d0e1d34d7f9d1c0b6c9d6e2f10").await?;
/// for member in members.list().collect_all().await? {
///     println!("{} {}", member.member_id, member.status);
/// }
/// # let _ = MemberStatus::Accepted;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ImageMembers {
    session: Session,
    image: ImageId,
}

impl ImageMembers {
    pub(crate) fn new(session: Session, image: ImageId) -> Self {
        Self { session, image }
    }

    /// The image whose members these are.
    pub fn image(&self) -> &ImageId {
        &self.image
    }

    /// One membership, by the member project's id.
    pub async fn get(&self, project_id: &str) -> Result<Member> {
        self.session
            .send_json(requests::get_member(&self.image, project_id))
            .await
    }

    /// The projects the image is shared with.
    pub fn list(&self) -> ListMembers {
        ListMembers {
            members: self.clone(),
        }
    }

    /// Shares the image with a project (the image must have `shared` visibility); the
    /// membership starts `pending` until the member answers.
    pub async fn create(&self, project_id: &str) -> Result<Member> {
        self.session
            .send_json(requests::add_member(&self.image, project_id))
            .await
    }

    /// A member's answer to a shared image (sent by the member project).
    pub async fn update(&self, project_id: &str, status: MemberStatus) -> Result<Member> {
        self.session
            .send_json(requests::set_member_status(
                &self.image,
                project_id,
                &status,
            ))
            .await
    }

    /// Stops sharing the image with a project.
    pub async fn delete(&self, project_id: &str) -> Result<()> {
        self.session
            .send(requests::remove_member(&self.image, project_id))
            .await?;
        Ok(())
    }
}

/// The members of an image, as listed by [`ImageMembers::list`]. Glance answers them in one
/// document; the stream is there so every list of the SDK reads the same way.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListMembers {
    members: ImageMembers,
}

impl ListMembers {
    /// Every member, as a stream.
    pub fn stream(self) -> impl Stream<Item = Result<Member>> + Send + Unpin + 'static {
        stream::once(self.collect_all())
            .map_ok(|members| stream::iter(members.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every member.
    pub async fn collect_all(self) -> Result<Vec<Member>> {
        let list: MemberList = self
            .members
            .session
            .send_json(requests::list_members(&self.members.image))
            .await?;
        Ok(list.members)
    }
}
