//! The [`Flavors`] handle, and its list and create builders.

use std::collections::BTreeMap;

use futures::{Stream, TryStreamExt};

use super::flavor::{
    ExtraSpecsEnvelope, Flavor, FlavorAccess, FlavorAccessEnvelope, FlavorEnvelope,
};
use super::ids::FlavorId;
use super::microversion::Microversion;
use super::requests::{self, FlavorQuery, FlavorSpec};
use super::{ComputeClient, one_named};
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

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
        // Every flavor the caller may see, private ones included (Nova's default listing
        // leaves out an admin's private flavors), as openstacksdk's lookup asks.
        let named: Vec<Flavor> = self
            .list()
            .all()
            .stream()
            .try_filter(|f| futures::future::ready(f.name == name_or_id))
            .try_collect()
            .await?;
        one_named("flavor", name_or_id, named, |f| f.id.to_string())
    }

    /// A new flavor (admin): its name, memory in MiB, virtual CPUs and root disk in GiB;
    /// set the rest on the builder, then [`CreateFlavor::send`].
    pub fn create(&self, name: impl Into<String>, ram: u64, vcpus: u32, disk: u64) -> CreateFlavor {
        CreateFlavor {
            compute: self.compute.clone(),
            spec: FlavorSpec {
                name: name.into(),
                ram,
                vcpus,
                disk,
                id: None,
                ephemeral: None,
                swap: None,
                rxtx_factor: None,
                is_public: None,
                description: None,
            },
        }
    }

    /// Deletes a flavor (admin). Servers booted from it keep running.
    pub async fn delete(&self, id: impl Into<FlavorId>) -> Result<()> {
        let request = requests::delete_flavor(&id.into(), self.compute.microversion().await?);
        self.compute.session.send(request).await?;
        Ok(())
    }

    /// Changes a flavor's description (admin; `None` clears it), the one thing Nova lets
    /// change after creation. Needs compute microversion 2.55 or later.
    pub async fn set_description(
        &self,
        id: impl Into<FlavorId>,
        description: Option<&str>,
    ) -> Result<Flavor> {
        let request = requests::update_flavor_description(
            &id.into(),
            description,
            self.compute.microversion().await?,
        )?;
        let envelope: FlavorEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.flavor)
    }

    /// A flavor's extra specs.
    pub async fn extra_specs(&self, id: impl Into<FlavorId>) -> Result<BTreeMap<String, String>> {
        let request = requests::list_extra_specs(&id.into(), self.compute.microversion().await?);
        let envelope: ExtraSpecsEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.extra_specs)
    }

    /// One extra spec's value (`NotFound` when the flavor has no such key).
    pub async fn extra_spec(&self, id: impl Into<FlavorId>, key: &str) -> Result<String> {
        let request =
            requests::show_extra_spec(&id.into(), key, self.compute.microversion().await?)?;
        let mut answer: BTreeMap<String, serde_json::Value> =
            self.compute.session.send_json(request).await?;
        match answer.remove(key) {
            Some(serde_json::Value::String(value)) => Ok(value),
            _ => Err(Error::new(
                ErrorKind::Decode,
                format!("Nova's answer for extra spec {key} does not carry it as a string"),
            )
            .with_service(ServiceType::Compute)),
        }
    }

    /// Sets extra specs (admin): keys it names are replaced, others kept. Returns what Nova
    /// stored (the specs sent).
    pub async fn set_extra_specs(
        &self,
        id: impl Into<FlavorId>,
        specs: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let request =
            requests::set_extra_specs(&id.into(), &specs, self.compute.microversion().await?)?;
        let envelope: ExtraSpecsEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.extra_specs)
    }

    /// Removes one extra spec (admin; `NotFound` when there is no such key).
    pub async fn unset_extra_spec(&self, id: impl Into<FlavorId>, key: &str) -> Result<()> {
        let request =
            requests::delete_extra_spec(&id.into(), key, self.compute.microversion().await?)?;
        self.compute.session.send(request).await?;
        Ok(())
    }

    /// The projects that may use a private flavor (admin; `NotFound` for a public one).
    pub async fn access(&self, id: impl Into<FlavorId>) -> Result<Vec<FlavorAccess>> {
        let request = requests::list_flavor_access(&id.into(), self.compute.microversion().await?);
        let envelope: FlavorAccessEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.flavor_access)
    }

    /// Lets a project (by id) use a private flavor (admin); the access list afterwards.
    pub async fn add_access(
        &self,
        id: impl Into<FlavorId>,
        project_id: &str,
    ) -> Result<Vec<FlavorAccess>> {
        self.access_action(id.into(), project_id, true).await
    }

    /// Takes a project's access to a private flavor back (admin); the access list afterwards.
    pub async fn remove_access(
        &self,
        id: impl Into<FlavorId>,
        project_id: &str,
    ) -> Result<Vec<FlavorAccess>> {
        self.access_action(id.into(), project_id, false).await
    }

    async fn access_action(
        &self,
        id: FlavorId,
        project_id: &str,
        add: bool,
    ) -> Result<Vec<FlavorAccess>> {
        let request = requests::flavor_access_action(
            &id,
            project_id,
            add,
            self.compute.microversion().await?,
        )?;
        let envelope: FlavorAccessEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.flavor_access)
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

    /// Public and private flavors alike (`is_public=None`): every flavor for an admin, the
    /// public ones and those given to the caller's project for anyone else.
    pub fn all(mut self) -> Self {
        self.query.all = true;
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

/// A flavor being created, made by [`Flavors::create`]; nothing is sent before
/// [`CreateFlavor::send`].
///
/// ```no_run
/// # async fn demo(flavors: ferrostack::compute::Flavors) -> ferrostack::Result<()> {
/// let flavor = flavors
///     .create("m1.test", 512, 1, 1)
///     .id("test-1")
///     .swap(256)
///     .public(false)
///     .send()
///     .await?;
/// flavors.add_access(flavor.id.clone(), "8f5b1c0e3e8f4f0e9f9a6a2b8f3d2c1a").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateFlavor {
    compute: ComputeClient,
    spec: FlavorSpec,
}

impl CreateFlavor {
    /// Its id (Nova makes a UUID when none is given).
    pub fn id(mut self, id: impl Into<FlavorId>) -> Self {
        self.spec.id = Some(id.into());
        self
    }

    /// Ephemeral disk, GiB.
    pub fn ephemeral(mut self, gib: u64) -> Self {
        self.spec.ephemeral = Some(gib);
        self
    }

    /// Swap, MiB.
    pub fn swap(mut self, mib: u64) -> Self {
        self.spec.swap = Some(mib);
        self
    }

    /// The network bandwidth factor (above 0; Nova's default is 1.0).
    pub fn rxtx_factor(mut self, factor: f64) -> Self {
        self.spec.rxtx_factor = Some(factor);
        self
    }

    /// Public (every project may use it; the default) or private (only the projects given
    /// access with [`Flavors::add_access`]).
    pub fn public(mut self, public: bool) -> Self {
        self.spec.is_public = Some(public);
        self
    }

    /// A description (compute microversion 2.55 or later).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.spec.description = Some(description.into());
        self
    }

    /// The request, as it would be sent at `version`, or an error naming the field Nova
    /// would refuse.
    pub fn request(&self, version: Microversion) -> Result<Request> {
        requests::create_flavor(&self.spec, version)
    }

    /// Sends `POST /flavors`: the flavor as Nova made it.
    pub async fn send(self) -> Result<Flavor> {
        let request = self.request(self.compute.microversion().await?)?;
        let envelope: FlavorEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.flavor)
    }
}
