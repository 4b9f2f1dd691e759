//! mock-cloud: Keystone v3, Glance v2 and Nova v2.1 in one process, for offline tests.
//!
//! ```no_run
//! # async fn demo() {
//! let cloud = mock_cloud::MockCloud::start().await.unwrap();
//! println!("auth_url: {}", cloud.auth_url());
//! // `cloud` stops when dropped.
//! # }
//! ```
//!
//! The mock keeps its own wire types: it never depends on the `ferrostack` SDK, so a serde
//! mistake in the SDK cannot hide in both.

// `ApiError` (status, message, headers) is every handler's rejection and is returned by value
// on purpose: boxing it would add noise to every handler for no measurable gain.
#![allow(clippy::result_large_err)]

mod app;
pub mod auth;
mod cloud;
pub mod control;
pub mod errors;
pub mod glance;
pub mod keystone;
pub mod nova;

pub use app::AppState;
pub use cloud::seed::{
    Seed, SeedApplicationCredential, SeedDomain, SeedFlavor, SeedProject, SeedRole, SeedUser,
};
pub use cloud::{Credentials, MockCloud, MockCloudBuilder, Options, clouds_yaml};
pub use errors::{ApiError, Service};
