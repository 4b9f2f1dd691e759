//! The [`Flavors`] handle and its list builder.

use futures::{Stream, TryStreamExt};

use super::flavor::{Flavor, FlavorEnvelope};
use super::ids::FlavorId;
use super::microversion::Microversion;
use super::requests::{self, FlavorQuery};
use super::{ComputeClient, one_named};
use crate::error::Result;
use crate::request::Request;

/// Nova's flavors. Cheap to clone; get one from [`ComputeClient::flavors`].
#[derive(Debug, Clone)]
pub struct Flavors {
    compute: ComputeClient,
}

impl Flavors {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    /// One flavor by id.
    pub async fn get(&self, id: impl Into<FlavorId>) -> Result<Flavor> {
        let request = requests::show_flavor(&id.into(), self.compute.microversion().await?);
        let envelope: FlavorEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.flavor)
    }

    /// A flavor by id, else by exact name (`openstack server create --flavor`'s lookup).
    pub async fn find(&self, name_or_id: &str) -> Result<Flavor> {
        match self.get(name_or_id).await {
            Err(err) if err.is_not_found() => {}
            other => return other,
        }
        let named: Vec<Flavor> = self
            .list()
            .stream()
            .try_filter(|f| futures::future::ready(f.name == name_or_id))
            .try_collect()
            .await?;
        one_named("flavor", name_or_id, named, |f| f.id.to_string())
    }

    /// The flavors the caller can see, with details (`GET /flavors/detail`): set filters on
    /// the builder, then [`ListFlavors::stream`] or [`ListFlavors::collect_all`].
    pub fn list(&self) -> ListFlavors {
        ListFlavors {
            compute: self.compute.clone(),
            query: FlavorQuery::default(),
        }
    }
}

/// Which flavors to list; every filter runs on the server. Nothing is sent before
/// [`ListFlavors::stream`] or [`ListFlavors::collect_all`].
///
/// ```no_run
/// # async fn demo(flavors: ferrostack::compute::Flavors) -> ferrostack::Result<()> {
/// let big = flavors.list().min_ram(4096).sort("ram", "desc").collect_all().await?;
/// # let _ = big;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListFlavors {
    compute: ComputeClient,
    query: FlavorQuery,
}

impl ListFlavors {
    /// Public flavors only (`true`), or private ones only (`false`: those an admin sees, or
    /// those given to the caller's project). Unset: Nova's default.
    pub fn is_public(mut self, public: bool) -> Self {
        self.query.is_public = Some(public);
        self
    }

    /// At least this much root disk, in GiB (`minDisk`).
    pub fn min_disk(mut self, gib: u64) -> Self {
        self.query.min_disk = Some(gib);
        self
    }

    /// At least this much memory, in MiB (`minRam`).
    pub fn min_ram(mut self, mib: u64) -> Self {
        self.query.min_ram = Some(mib);
        self
    }

    /// Sorted by `key` (`name`, `ram`, `vcpus`, `disk`, `id`, ...), `asc` or `desc`.
    pub fn sort(mut self, key: impl Into<String>, dir: impl Into<String>) -> Self {
        self.query.sort = Some((key.into(), dir.into()));
        self
    }

    /// The page size; the stream follows every page regardless.
    pub fn limit(mut self, limit: u32) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// The first request, as it would be sent at `version`.
    pub fn request(&self, version: Microversion) -> Request {
        requests::list_flavors(&self.query, version)
    }

    /// Every matching flavor, page after page, following `flavors_links`.
    pub fn stream(self) -> impl Stream<Item = Result<Flavor>> + Send + Unpin + 'static {
        let query = self.query;
        self.compute.paginated(
            move |version| Ok(requests::list_flavors(&query, version)),
            "flavors",
            "flavors_links",
        )
    }

    /// Every matching flavor, all pages collected.
    pub async fn collect_all(self) -> Result<Vec<Flavor>> {
        self.stream().try_collect().await
    }
}
