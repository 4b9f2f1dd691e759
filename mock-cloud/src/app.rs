//! The shared state and the one router that serves every service.

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;

use crate::cloud::Options;
use crate::{control, glance, keystone, nova};

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`]: one part per service, each with its own locking.
pub struct Shared {
    /// `http://127.0.0.1:PORT`, the address actually bound, without a trailing slash.
    pub base_url: String,
    /// How the cloud was started.
    pub options: Options,
    /// Identity: users, projects, roles, tokens, the catalog.
    pub keystone: keystone::Keystone,
    /// Image: images, their bytes, members, tasks.
    pub glance: glance::Glance,
    /// Compute: flavors, keypairs, servers and their driver.
    pub nova: nova::Nova,
    /// The control plane: fault rules and the request journal.
    pub control: control::Control,
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state for a cloud reachable at `base_url`.
    pub fn new(base_url: String, options: Options) -> anyhow::Result<Self> {
        let keystone = keystone::Keystone::new(&base_url, &options)?;
        let glance = glance::Glance::new(&base_url, &options)?;
        let nova = nova::Nova::new(&base_url, &options)?;
        let control = control::Control::new(&options);
        Ok(Self(Arc::new(Shared {
            base_url,
            options,
            keystone,
            glance,
            nova,
            control,
        })))
    }
}

/// The whole cloud: `/identity`, `/image`, `/compute` and the control plane `/_mock`.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .nest("/identity", keystone::router())
        .nest("/image", glance::router())
        .nest("/compute", nova::router())
        .nest("/_mock", control::router());
    control::layer(routes, state.clone()).with_state(state)
}
