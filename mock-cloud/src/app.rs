//! The shared state and the one router that serves every service.

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::http::{StatusCode, header};
use axum::middleware;

use crate::cloud::seed::{Seed, SeedImage};
use crate::errors::{ApiError, Service};

use crate::cloud::Options;
use crate::db::{self, Db};
use crate::{control, glance, keystone, neutron, nova, sizelimit};

/// Everything the handlers share. Cheap to clone.
///
/// Crate-private in spirit: it is `pub` (and unnameable outside) only so that
/// [`MockCloud::state`](crate::MockCloud::state) can still serve
/// `state().keystone.project_id(..)` to crates/conformance until it calls
/// `MockCloud::project_id`; nothing else in it is reachable from outside.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`]: one part per service, each with its own locking.
pub struct Shared {
    /// `http://127.0.0.1:PORT`, the address actually bound, without a trailing slash.
    pub(crate) base_url: String,
    /// How the cloud was started.
    pub(crate) options: Options,
    /// Where every service's state is saved (in memory without a state directory).
    pub(crate) db: Db,
    /// Identity: users, projects, roles, tokens, the catalog.
    pub keystone: keystone::Keystone,
    /// Image: images, their bytes, members, tasks.
    pub(crate) glance: glance::Glance,
    /// Compute: flavors, keypairs, servers and their driver.
    pub(crate) nova: nova::Nova,
    /// Network: networks, subnets, ports, routers, security groups, floating IPs.
    pub(crate) neutron: neutron::Neutron,
    /// The control plane: fault rules and the request journal.
    pub(crate) control: control::Control,
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state for a cloud reachable at `base_url`.
    /// With a state directory, its lock is taken first: nothing in it is touched while
    /// another cloud holds it.
    pub(crate) fn new(base_url: String, options: Options) -> anyhow::Result<Self> {
        // Read and checked before the state directory is touched: a damaged one changes nothing.
        let legacy_images = glance::images_json::read(options.state_dir.as_deref())?;
        let db = Db::open(options.state_dir.as_deref())?;
        let keystone = keystone::Keystone::new(&base_url, &options, &db)?;
        let glance = glance::Glance::new(&base_url, &options, &db, legacy_images)?;
        let nova = nova::Nova::new(&base_url, &options, &db)?;
        let neutron = neutron::Neutron::new(&db, keystone.project_id("admin"))?;
        // Servers taken back after a restart keep their floating IPs and rules: their driver
        // learns what to forward when they boot again.
        let ids: Vec<String> = nova.lock().servers.iter().map(|s| s.id.clone()).collect();
        for id in ids {
            let info = neutron.network_info_of(&id);
            nova.driver()
                .network_changed(&id, &info.nics, &info.forwards);
        }
        let control = control::Control::new(&options);
        Ok(Self(Arc::new(Shared {
            base_url,
            options,
            db,
            keystone,
            glance,
            nova,
            neutron,
            control,
        })))
    }
}

impl AppState {
    /// Back to a fresh cloud: the defaults plus the start-up seed (its images re-created), no
    /// tokens, no servers or keypairs, no other images, no fault rules, an empty journal; the
    /// state directory's database says the same once this returns.
    pub(crate) async fn reset(&self) -> anyhow::Result<()> {
        self.keystone.reset(self.options.seed.as_ref())?;
        self.nova.reset(self.options.seed.as_ref())?;
        self.neutron.reset()?;
        self.glance.reset()?;
        self.control.reset();
        if let Some(seed) = &self.options.seed {
            self.seed_images(&seed.images).await?;
        }
        self.db.flush().await?;
        Ok(())
    }

    /// Adds a seed document: identity entries to Keystone (checked as a whole first; on error
    /// nothing changes), flavors to Nova, images (with their bytes) to Glance.
    pub(crate) async fn apply_seed(&self, seed: &Seed) -> anyhow::Result<()> {
        self.keystone.apply_seed(seed)?;
        self.nova.apply_seed(seed)?;
        self.seed_images(&seed.images).await?;
        self.db.flush().await?;
        Ok(())
    }

    /// Creates seed images that do not exist yet. An image without an id gets one derived
    /// from its owner and name, so a cloud restarted on the same state directory does not
    /// make it twice.
    pub(crate) async fn seed_images(&self, images: &[SeedImage]) -> anyhow::Result<()> {
        let missing: Vec<SeedImage> = images
            .iter()
            .cloned()
            .map(|mut image| {
                if image.id.is_none() {
                    let owner = image.owner.as_deref().unwrap_or("admin");
                    image.id = Some(stable_uuid(owner, &image.name));
                }
                image
            })
            .filter(|image| {
                image
                    .id
                    .as_deref()
                    .is_none_or(|id| self.glance.image_json(id).is_none())
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.glance
            .seed_images(&missing, |name| self.keystone.project_id(name))
            .await?;
        Ok(())
    }

    /// Advances the compute driver `steps` steps; returns how many servers changed state.
    pub(crate) fn tick(&self, steps: u32) -> usize {
        self.nova.tick(steps)
    }
}

/// A UUID derived from an image's owner and name.
fn stable_uuid(owner: &str, name: &str) -> String {
    let hex = keystone::directory::stable_id("image", owner, name);
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Unknown routes under `/image` (Glance's router has no fallback of its own): Glance's error
/// shape, naming the route.
async fn image_fallback(request: Request) -> ApiError {
    ApiError::unknown_route(
        Service::Image,
        request.method().as_str(),
        &full_path(&request),
    )
    .json(accepts_json(&request))
}

async fn image_method_not_allowed(request: Request) -> ApiError {
    ApiError::method_not_allowed(
        Service::Image,
        request.method().as_str(),
        &full_path(&request),
    )
    .json(accepts_json(&request))
}

/// The path as the client sent it (nested routers see it without their prefix).
pub(crate) fn full_path(request: &Request) -> String {
    request
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned())
}

fn accepts_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// Paths outside every service.
async fn no_service(request: Request) -> ApiError {
    ApiError::new(
        Service::Identity,
        StatusCode::NOT_FOUND,
        format!(
            "No service at {}: this cloud serves /identity, /image, /compute, /networking and /_mock.",
            request.uri().path()
        ),
    )
}

/// The whole cloud: `/identity`, `/image`, `/compute` and the control plane `/_mock`.
pub(crate) fn router(state: AppState) -> Router {
    let image = glance::router()
        .fallback(image_fallback)
        .method_not_allowed_fallback(image_method_not_allowed);
    // Keystone and Nova sit behind oslo.middleware's body limit; an extractor's rejection
    // anywhere takes the service's error shape.
    let shaped = |service: Service, router: Router<AppState>| {
        router.layer(axum::middleware::from_fn(move |request, next| {
            crate::errors::reshape(service, request, next)
        }))
    };
    let routes = Router::new()
        .nest(
            "/identity",
            shaped(
                Service::Identity,
                sizelimit::behind_limit(keystone::router()),
            ),
        )
        .nest("/image", image)
        .nest(
            "/compute",
            shaped(
                Service::Compute,
                sizelimit::behind_limit(nova::router(&state)),
            ),
        )
        // Clients ask for the versions at the catalog URL with a slash too; a nested router
        // sees only the bare prefix.
        .route(
            "/networking/",
            axum::routing::get(neutron::versions).fallback(neutron::root_method),
        )
        .nest(
            "/networking",
            shaped(Service::Network, sizelimit::behind_limit(neutron::router())),
        )
        .nest("/_mock", control::router(state.clone()))
        .fallback(no_service)
        .layer(middleware::from_fn_with_state(
            state.db.clone(),
            db::acknowledged,
        ));
    control::layer(routes, state.clone()).with_state(state)
}
