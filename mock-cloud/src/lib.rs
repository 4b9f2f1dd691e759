//! mock-cloud: Keystone v3, Glance v2, Nova v2.1 and Neutron v2.0 in one process, for
//! offline tests.
//!
//! ```no_run
//! use mock_cloud::{Fault, FaultRule, MockCloud, Service};
//!
//! # async fn demo() -> anyhow::Result<()> {
//! // Binds 127.0.0.1:0; stops when dropped. Each test owns its cloud.
//! let cloud = MockCloud::builder().fake_driver_polls(2).start().await?;
//! println!("auth_url: {}", cloud.auth_url());
//! let clouds_yaml = cloud.clouds_yaml(); // clouds `mock-admin` and `mock-demo`
//! let env = cloud.env("demo").unwrap(); // OS_AUTH_URL, OS_USERNAME, ...
//!
//! // The next image download fails once with Glance's own 503 body.
//! cloud.add_fault(
//!     FaultRule::new(Fault::status(503))
//!         .service(Service::Image)
//!         .path("/image/v2/images/*/file")
//!         .times(1),
//! )?;
//! // Servers finish booting (and stopping, rebooting) on polls or on an explicit tick.
//! cloud.tick(2);
//! // What was asked, and what was answered (never tokens or bodies).
//! for entry in cloud.journal() {
//!     println!("{} {} -> {}", entry.method, entry.path, entry.status);
//! }
//! # let _ = (clouds_yaml, env);
//! # Ok(())
//! # }
//! ```
//!
//! The same controls are served over HTTP under `/_mock/` (reset, seed, tick, faults,
//! journal) to the holder of [`MockCloud::control_token`] (`Authorization: Bearer TOKEN`),
//! and `mock-cloud serve` runs a cloud standalone.
//!
//! State lives in memory, or with [`MockCloudBuilder::state_dir`] (`--state-dir`) in a SQLite
//! database and the image files of that folder: the whole cloud (Keystone's users, projects,
//! credentials and tokens, Glance's images, Nova's servers, keypairs and flavors, Neutron's
//! networks, ports, routers, security groups and floating IPs) survives a
//! restart or a kill -9, and a request is answered only once its changes are durable. Servers
//! come back SHUTOFF, as after a host reboot. Passwords and application-credential secrets are
//! kept only as salted hashes (PBKDF2-SHA512, [`MockCloudBuilder::secret_hash_rounds`]), tokens
//! by their sha256. A state directory of an older mock, with Glance's `images.json`, is
//! imported once at start.
//!
//! Servers run on a [`ComputeDriver`]: the built-in fake one by default (state changes on
//! polls and ticks, nothing boots), or your own through [`MockCloudBuilder::compute_driver`].
//! With `QemuDriver` (feature `qemu`; or `mock-cloud serve --compute-driver qemu`), servers
//! really boot their Glance image under qemu: the console output is the serial log and the
//! remote console is qemu's VNC.
//!
//! Features: `cli` (the `mock-cloud` binary) and `qemu` (the qemu driver), both on by default.
//! Crates that embed the mock in their tests take `default-features = false` and add `qemu`
//! only if their servers must really boot.
//!
//! The mock keeps its own wire types: it never depends on the `ferrostack` SDK, so a serde
//! mistake in the SDK cannot hide in both.

// `ApiError` (status, message, headers) is every handler's rejection and is returned by value
// on purpose: boxing it would add noise to every handler for no measurable gain.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

mod app;
mod auth;
mod cloud;
mod control;
mod db;
mod errors;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod glance;
pub mod hostile;
mod keystone;
mod neutron;
mod nova;
mod paging;
mod sizelimit;

pub use auth::Caller;
pub use cloud::seed::{
    Seed, SeedApplicationCredential, SeedDomain, SeedFlavor, SeedImage, SeedProject, SeedRole,
    SeedUser,
};
pub use cloud::{Credentials, MockCloud, MockCloudBuilder, clouds_yaml};
pub use control::faults::{Fault, FaultRule, InstalledRule};
pub use control::journal::JournalEntry;
pub use errors::Service;
pub use neutron::hooks::PortForward;
#[cfg(feature = "qemu")]
pub use nova::driver::qemu::QemuDriver;
pub use nova::driver::{
    BootImage, BootNic, BootRoute, BootSpec, ComputeDriver, DriverError, RemoteConsole, Secret,
    VmState,
};
