//! The same clients for programs that do not want async: a [`Cloud`] that owns a
//! current-thread tokio runtime and runs each call to completion on it.
//!
//! Nothing is duplicated: the service clients, resource handles and builders are the async
//! ones, and [`Cloud::run`] drives any of their futures; [`Cloud::iter`] turns a list into
//! an iterator that fetches the next page only when it is reached.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use ferrostack::blocking::Cloud;
//! use ferrostack::compute::Networks;
//! use ferrostack::image::{DiskFormat, ImageData};
//!
//! # fn story() -> ferrostack::Result<()> {
//! let cloud = Cloud::from_cloud("mycloud")?; // clouds.yaml, secure.yaml, then OS_* variables
//! let token = cloud.run(cloud.identity().tokens().issue())?;
//! println!("token for project {:?}", token.project_id());
//!
//! let images = cloud.image().images();
//! let image = cloud.run(
//!     images
//!         .create("debian-13")
//!         .disk_format(DiskFormat::Qcow2)
//!         .data(ImageData::path("disk.qcow2"))
//!         .send(),
//! )?;
//! for listed in cloud.iter(images.list().disk_format(DiskFormat::Qcow2).stream()) {
//!     println!("{}", listed?.id);
//! }
//!
//! let servers = cloud.compute().servers();
//! let flavor = cloud.run(cloud.compute().flavors().find("m1.small"))?;
//! let server = cloud.run(async {
//!     servers
//!         .create("vm1", image.id.clone(), flavor.id.clone())
//!         .networks(Networks::None)
//!         .send()
//!         .await?
//!         .wait_active(Duration::from_secs(300))
//!         .await
//! })?;
//! println!("{}", cloud.run(servers.console_output(&server.id, Some(20)))?);
//! # Ok(())
//! # }
//! ```
//!
//! A `Cloud` is for one thread at a time (`run` takes `&self` but blocks the caller); clone
//! the async [`crate::Cloud`] inside for work that should run concurrently. Calling `run`
//! from inside an async runtime panics, as tokio's `block_on` does: use the async clients
//! there.

use std::future::IntoFuture;
use std::sync::Arc;

use futures::{Stream, StreamExt};

use crate::config::{self, CloudConfig};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::{compute, identity, image, network};

/// A connected cloud whose calls block: the async [`crate::Cloud`] and a runtime to drive
/// it. Cheap to clone; clones share the runtime and the session.
#[derive(Debug, Clone)]
pub struct Cloud {
    cloud: crate::Cloud,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Cloud {
    /// A cloud from a merged configuration.
    pub fn new(config: CloudConfig) -> Result<Self> {
        Self::from_async(crate::Cloud::new(config)?)
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
    pub fn from_session(session: Session) -> Result<Self> {
        Self::from_async(crate::Cloud::from_session(session))
    }

    /// Blocking calls over an async cloud already made.
    pub fn from_async(cloud: crate::Cloud) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the runtime for blocking calls: {e}"),
                )
            })?;
        Ok(Self {
            cloud,
            runtime: Arc::new(runtime),
        })
    }

    /// The async cloud underneath.
    pub fn as_async(&self) -> &crate::Cloud {
        &self.cloud
    }

    /// The session, for requests this SDK does not type.
    pub fn session(&self) -> &Session {
        self.cloud.session()
    }

    /// Keystone: tokens, users, projects.
    pub fn identity(&self) -> identity::IdentityClient {
        self.cloud.identity()
    }

    /// Glance: images.
    pub fn image(&self) -> image::ImageClient {
        self.cloud.image()
    }

    /// Nova: servers, flavors, keypairs.
    pub fn compute(&self) -> compute::ComputeClient {
        self.cloud.compute()
    }

    /// Neutron: networks, subnets, ports, routers, security groups, floating IPs.
    pub fn network(&self) -> network::NetworkClient {
        self.cloud.network()
    }

    /// Runs a call of any client (or any future) to completion and answers its outcome.
    pub fn run<F: IntoFuture>(&self, call: F) -> F::Output {
        self.runtime.block_on(call.into_future())
    }

    /// A list as an iterator: each page is fetched when the iteration reaches it, so a long
    /// listing can stop early without fetching the rest.
    pub fn iter<S>(&self, stream: S) -> Iter<S>
    where
        S: Stream + Unpin,
    {
        Iter {
            runtime: self.runtime.clone(),
            stream,
        }
    }
}

/// The items of a list, fetched page by page as they are reached (see [`Cloud::iter`]).
#[derive(Debug)]
pub struct Iter<S> {
    runtime: Arc<tokio::runtime::Runtime>,
    stream: S,
}

impl<S: Stream + Unpin> Iterator for Iter<S> {
    type Item = S::Item;

    fn next(&mut self) -> Option<Self::Item> {
        self.runtime.block_on(self.stream.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_calls_and_iterates_lazily_without_an_outer_runtime() {
        let cloud = Cloud::from_session(crate::testing::offline_session()).unwrap();
        assert_eq!(cloud.run(async { 41 + 1 }), 42);
        let pulled = std::sync::atomic::AtomicUsize::new(0);
        let stream = futures::stream::iter(1..=3).inspect(|_| {
            pulled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let mut items = cloud.iter(stream);
        assert_eq!(items.next(), Some(1));
        assert_eq!(
            pulled.load(std::sync::atomic::Ordering::Relaxed),
            1,
            "the second item is not fetched before it is reached"
        );
        assert_eq!(items.collect::<Vec<_>>(), vec![2, 3]);
    }
}
