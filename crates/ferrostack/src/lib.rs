//! ferrostack: a typed SDK for OpenStack Keystone v3, Glance v2, Nova v2.1 and Neutron v2.0.
//!
//! # One shape for every service
//!
//! ```text
//! Cloud                           the entry point; cheap to clone
//!  └─ cloud.<service>()           identity(), image(), compute(), network(): a service client
//!      └─ .<resources>()          tokens(), images(), servers(), networks(), ports(), ...
//!          ├─ .get(id)            one by id; a 404 is ErrorKind::NotFound
//!          ├─ .find(name_or_id)   by id, else by exact name; none or several is ErrorKind::Lookup
//!          ├─ .list()             a builder of server-side filters, then
//!          │    .stream()         a Stream that follows the server's own `next` links
//!          │    .collect_all()    every page, collected
//!          ├─ .create(required..) a builder: optional parts as setters, then .send()
//!          ├─ .update(id)         a builder: the changes as setters, then .send()
//!          ├─ .delete(id)
//!          ├─ .<action>(id, ..)   start, stop, reboot, deactivate, add_tag, ...
//!          └─ .wait_for_status(id, status, wait) / .wait_for_delete(id, wait)
//! ```
//!
//! - Every builder is owned and `'static`: it can be stored, cloned (unless it holds a data
//!   stream) and sent from another task. Nothing goes on the wire before `.send()`,
//!   `.stream()` or `.collect_all()`.
//! - Every operation first becomes a plain [`request::Request`], snapshot-tested without a
//!   network; builders show theirs with `.request(..)`. The [`session::Session`] sends it:
//!   endpoints from the catalog, version discovery, microversions, token renewal, retries.
//! - Every waiter takes one [`wait::Wait`] (a [`std::time::Duration`] converts): a hard
//!   deadline, the poll interval and its backoff. Waiters fail fast on the service's failure
//!   states (a server in ERROR, an image killed), with the service's own fault message.
//! - Models are forgiving and `#[non_exhaustive]`: status enums keep unknown values,
//!   extra fields are kept, and a new field from the service is not a breaking change.
//! - One error type, [`Error`], with categories ([`ErrorKind`]) to match on, the HTTP status,
//!   the service, its request id and its own message.
//! - [`blocking::Cloud`] runs the same clients without async.
//!
//! # One example per service
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use ferrostack::Cloud;
//! use ferrostack::compute::{NetworkAttachment, Networks, ServerStatus};
//! use ferrostack::image::{DiskFormat, ImageData};
//!
//! # async fn demo() -> ferrostack::Result<()> {
//! let cloud = Cloud::from_env()?; // OS_CLOUD and clouds.yaml, or OS_* variables
//!
//! // Identity: a token, and what it is scoped to.
//! let token = cloud.identity().tokens().issue().await?;
//! println!("project {:?}, expires {}", token.project_id(), token.expires_at);
//!
//! // Image: inspected, streamed, verified against Glance's hashes.
//! let images = cloud.image().images();
//! let image = images
//!     .create("debian-13")
//!     .disk_format(DiskFormat::Qcow2)
//!     .data(ImageData::path("debian-13.qcow2"))
//!     .send()
//!     .await?;
//!
//! // Compute: boot it on the project's network, wait until it runs, read its console.
//! let servers = cloud.compute().servers();
//! let flavor = cloud.compute().flavors().find("m1.small").await?;
//! let private = cloud.network().networks().find("private").await?;
//! let pending = servers
//!     .create("vm1", image.id.clone(), flavor.id.clone())
//!     .networks(Networks::List(vec![NetworkAttachment::network(private.id)]))
//!     .security_group("default")
//!     .send()
//!     .await?;
//! let server = servers
//!     .wait_for_status(pending.id(), ServerStatus::Active, Duration::from_secs(300))
//!     .await?;
//! println!("{}", servers.console_output(&server.id, Some(20)).await?);
//!
//! // Network: a floating IP from the external network, forwarded to the server.
//! let public = cloud.network().networks().find("public").await?;
//! let fip = cloud.network().floating_ips().create(public.id).send().await?;
//! servers.add_floating_ip(&server.id, fip.id.as_str(), None).await?;
//! println!("reach it at {}", fip.floating_ip_address);
//! # Ok(())
//! # }
//! ```
//!
//! The same, blocking:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use ferrostack::blocking::Cloud;
//! use ferrostack::compute::{Networks, ServerStatus};
//! use ferrostack::image::{DiskFormat, ImageData};
//!
//! # fn demo() -> ferrostack::Result<()> {
//! let cloud = Cloud::from_env()?;
//!
//! let token = cloud.run(cloud.identity().tokens().issue())?;
//! println!("project {:?}, expires {}", token.project_id(), token.expires_at);
//!
//! let images = cloud.image().images();
//! let image = cloud.run(
//!     images
//!         .create("debian-13")
//!         .disk_format(DiskFormat::Qcow2)
//!         .data(ImageData::path("debian-13.qcow2"))
//!         .send(),
//! )?;
//!
//! let servers = cloud.compute().servers();
//! let flavor = cloud.run(cloud.compute().flavors().find("m1.small"))?;
//! let pending = cloud.run(
//!     servers
//!         .create("vm1", image.id.clone(), flavor.id.clone())
//!         .networks(Networks::None)
//!         .send(),
//! )?;
//! let server = cloud.run(servers.wait_for_status(
//!     pending.id(),
//!     ServerStatus::Active,
//!     Duration::from_secs(300),
//! ))?;
//! println!("{}", cloud.run(servers.console_output(&server.id, Some(20)))?);
//! # Ok(())
//! # }
//! ```
//!
//! # What we keep
//!
//! - Requests as data: every operation is a [`request::Request`] first, with an insta
//!   snapshot per operation; most wire bugs die there, without a network.
//! - The environment and file system are inputs of [`config`] loading (a folder per case
//!   under `testdata/clouds/`), never `std::env::set_var` in tests.
//! - One small categorical [`Error`]: callers match on [`ErrorKind`] and ask for the status
//!   and request id; `Display` never repeats its source.
//! - The format inspector (`ferrostack-format-inspector`): a small std-only API that reads
//!   bounded regions of an image and gives Glance's verdict, used before any byte is sent.
//!
//! # Adding a service
//!
//! A new service copies this shape: a `<service>.rs` with the service client and its
//! resource accessors, one file per resource handle with its builders, a private `requests`
//! module of request-building functions with an insta snapshot each, private model
//! modules re-exported from the service module (one path per type), and waiters over
//! [`wait::poll_until`]. Keep the layers pointing down: `secret`, `request`, `error`,
//! `config`, `auth`, `session` and `wait` never import a service.
#![warn(missing_docs)]

pub mod auth;
pub mod blocking;
pub mod compute;
pub mod config;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
mod ids;
pub mod image;
pub mod network;
mod paginate;
pub mod request;
mod secret;
pub mod session;
pub mod wait;

pub use error::{Error, ErrorKind, Result, service_message};
pub use secret::Secret;

use config::CloudConfig;
use session::Session;

/// What unit tests need to build requests without a network.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::{AuthType, CloudConfig};
    use crate::session::Session;

    /// A session that never authenticates and whose every service lives at an address no
    /// test connects to: enough to build request builders and inspect their requests.
    pub(crate) fn offline_session() -> Session {
        let mut config = CloudConfig::new();
        config.auth_type = AuthType::None;
        for service in ["compute", "image", "identity", "network"] {
            config
                .endpoint_overrides
                .insert(service.to_owned(), "http://127.0.0.1:9/".to_owned());
        }
        Session::new(config).expect("an offline session")
    }
}

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// A connected cloud: the entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Cloud {
    session: Session,
}

impl Cloud {
    /// A cloud from a merged configuration.
    pub fn new(config: CloudConfig) -> Result<Self> {
        Ok(Self {
            session: Session::new(config)?,
        })
    }

    /// A cloud from the process environment: `OS_CLOUD` and clouds.yaml, or `OS_*` variables.
    pub fn from_env() -> Result<Self> {
        Self::new(config::load_from_process(None)?)
    }

    /// A named cloud from clouds.yaml (with `OS_*` variables applied over it).
    pub fn from_cloud(name: &str) -> Result<Self> {
        Self::new(config::load_from_process(Some(name))?)
    }

    /// A cloud over a session built with non-default options (see [`Session::builder`]).
    pub fn from_session(session: Session) -> Self {
        Self { session }
    }

    /// The session, for requests this SDK does not type.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Keystone: tokens and the catalog.
    pub fn identity(&self) -> identity::IdentityClient {
        identity::IdentityClient::new(self.session.clone())
    }

    /// Glance: images.
    pub fn image(&self) -> image::ImageClient {
        image::ImageClient::new(self.session.clone())
    }

    /// Nova: servers, flavors, keypairs.
    pub fn compute(&self) -> compute::ComputeClient {
        compute::ComputeClient::new(self.session.clone())
    }

    /// Neutron: networks, subnets, ports, routers, security groups, floating IPs.
    pub fn network(&self) -> network::NetworkClient {
        network::NetworkClient::new(self.session.clone())
    }
}
