//! What one case works with: connected clouds, names and a tag of its own, and the list of
//! what it made, deleted when it ends (images by tag; Neutron's resources by the case's
//! prefix, see [`Fixture::clean_up`]).

use std::sync::Mutex;

use anyhow::{Context, Result};
use ferrostack::Cloud;
use ferrostack::image::{CreateImage, Image, ImageId, Images};
use ferrostack::request::{Request, ServiceType};

use crate::Target;

/// Something a case made that outlives a failed assertion.
enum Made {
    /// An image, deleted by the admin (unprotected first).
    Image(ImageId),
    /// An application credential of `user_id`, deleted by its owner.
    ApplicationCredential {
        owner: Cloud,
        user_id: String,
        id: String,
    },
}

/// A case's world: the target, clouds for its accounts, and what it made.
pub struct Fixture {
    /// The target the case runs against.
    pub target: Target,
    /// The administrator on project `admin`.
    pub admin: Cloud,
    /// The member of project `demo`.
    pub demo: Cloud,
    prefix: String,
    made: Mutex<Vec<Made>>,
    /// Whether the case uses Neutron, whose resources are cleaned up too.
    network: bool,
}

impl Fixture {
    /// A fixture for the case `case`: fresh sessions (no token shared with other cases)
    /// and a random prefix, so names and tags never collide with another run's.
    pub fn new(target: &Target, case: &str) -> Result<Fixture> {
        let short: String = case
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Ok(Fixture {
            admin: Cloud::new(target.admin.clone()).context("admin cloud")?,
            demo: Cloud::new(target.demo.clone()).context("demo cloud")?,
            target: target.clone(),
            prefix: format!("conf-{:06x}-{short}", rand::random::<u32>() & 0xff_ffff),
            made: Mutex::new(Vec::new()),
            network: false,
        })
    }

    /// The same fixture, cleaning up Neutron's resources as well when `network` (a case
    /// that needs a network service).
    pub(crate) fn cleaning_network(mut self, network: bool) -> Fixture {
        self.network = network;
        self
    }

    /// A name unique to this case run: `conf-<random>-<case>-<what>`.
    pub fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.prefix)
    }

    /// The tag every image of this case carries (clean-up finds them by it). Neutron's
    /// resources carry it as the start of their name (networks, subnets, ports, routers,
    /// security groups) or of their description (floating IPs, rules), see [`Fixture::name`].
    pub fn tag(&self) -> &str {
        &self.prefix
    }

    /// A new image of `images` named `what` (see [`Fixture::name`]) and carrying the
    /// case's tag.
    pub fn image(&self, images: &Images, what: &str) -> CreateImage {
        images.create(self.name(what)).tag(self.tag())
    }

    /// Every image of this case the admin can list (hidden ones included), by tag.
    pub async fn tagged_images(&self) -> Result<Vec<Image>> {
        let mut all = Vec::new();
        for hidden in [false, true] {
            let list = self
                .admin
                .image()
                .images()
                .list()
                .tag(self.tag())
                .all_visibilities()
                .os_hidden(hidden);
            all.extend(
                list.collect_all()
                    .await
                    .context("listing the case's images by tag")?,
            );
        }
        Ok(all)
    }

    /// Remembers an image to delete at the end (for images that do not carry the tag).
    pub fn track(&self, image: &Image) {
        self.made_list().push(Made::Image(image.id.clone()));
    }

    /// Remembers an application credential to delete at the end.
    pub fn track_application_credential(&self, owner: &Cloud, user_id: &str, id: &str) {
        self.made_list().push(Made::ApplicationCredential {
            owner: owner.clone(),
            user_id: user_id.to_owned(),
            id: id.to_owned(),
        });
    }

    fn made_list(&self) -> std::sync::MutexGuard<'_, Vec<Made>> {
        self.made
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Deletes everything the case made (tracked, or tagged), then checks that no tagged
    /// image is left. Every deletion is tried even when one fails. For a network case,
    /// Neutron's resources go first, in dependency order: floating IPs, router interfaces,
    /// routers, ports, networks (their subnets with them), rules, security groups; then none
    /// of them may be left.
    pub(crate) async fn clean_up(&self) -> Result<()> {
        let mut problems = Vec::new();
        let made: Vec<Made> = std::mem::take(&mut *self.made_list());
        let mut images: Vec<ImageId> = Vec::new();
        for item in made {
            match item {
                Made::Image(id) => images.push(id),
                Made::ApplicationCredential { owner, user_id, id } => {
                    let request = Request::delete(
                        ServiceType::Identity,
                        format!("/users/{user_id}/application_credentials/{id}"),
                    );
                    match owner.session().send(request).await {
                        Ok(_) => {}
                        Err(err) if err.is_not_found() => {}
                        Err(err) => problems.push(format!("application credential {id}: {err}")),
                    }
                }
            }
        }
        if self.network {
            crate::network::clean_up(self, &mut problems).await;
        }
        match self.tagged_images().await {
            Ok(tagged) => images.extend(tagged.into_iter().map(|i| i.id)),
            Err(err) => problems.push(format!("{err:#}")),
        }
        images.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        images.dedup();
        for id in &images {
            if let Err(err) = self.delete_image(id).await {
                problems.push(format!("image {id}: {err:#}"));
            }
        }
        if problems.is_empty() && self.network {
            crate::network::left_behind(self, &mut problems).await;
        }
        if problems.is_empty() {
            match self.tagged_images().await {
                Ok(left) if left.is_empty() => {}
                Ok(left) => {
                    let ids: Vec<String> = left.iter().map(|i| i.id.to_string()).collect();
                    problems.push(format!("images left after clean-up: {}", ids.join(", ")));
                }
                Err(err) => problems.push(format!("{err:#}")),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("clean-up: {}", problems.join("; "))
        }
    }

    /// Deletes an image as the admin, unprotecting it first; gone already is fine.
    async fn delete_image(&self, id: &ImageId) -> Result<()> {
        let images = self.admin.image().images();
        let image = match images.get(id).await {
            Ok(image) => image,
            Err(err) if err.is_not_found() => return Ok(()),
            Err(err) => return Err(err.into()),
        };
        if image.protected {
            images
                .update(image.id.clone())
                .based_on(image)
                .protected(false)
                .send()
                .await
                .context("unprotecting")?;
        }
        match images.delete(id).await {
            Ok(()) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}
