//! ferrostack: a typed SDK for OpenStack Keystone v3, Glance v2 and Nova v2.1.
//!
//! ```no_run
//! # async fn demo() -> ferrostack::Result<()> {
//! let cloud = ferrostack::Cloud::from_env()?;
//! # let _ = cloud;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod auth;
pub mod compute;
pub mod config;
pub mod error;
pub mod identity;
pub mod image;
pub mod request;
pub mod secret;
pub mod session;
pub mod wait;

pub use config::CloudConfig;
pub use error::{Error, ErrorKind, Result};
pub use request::{Request, ServiceType};
pub use secret::Secret;
pub use session::Session;

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
        for service in ["compute", "image", "identity"] {
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
}
