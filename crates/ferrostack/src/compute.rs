//! Nova: servers, flavors, keypairs, server actions, interfaces and waiters, shaped by the
//! compute microversion in force.
//!
//! [`ComputeClient`] is the service; [`Servers`], [`Flavors`], [`Keypairs`] and
//! [`Interfaces`] are its resource handles, each with the verbs every ferrostack client
//! has. Floating IPs are added to a server through Neutron ([`Servers::add_floating_ip`]),
//! as python-openstackclient does.
//!
//! ```no_run
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! use std::time::Duration;
//! let compute = cloud.compute();
//! let flavor = compute.flavors().find("m1.tiny").await?;
//! let server = compute
//!     .servers()
//!     .create("web-1", "70a599e0-31e7-49b7-b260-868f441e862b", flavor.id)
//!     .key_name("mykey")
//!     .user_data(b"#cloud-config\n".to_vec())
//!     .send()
//!     .await?
//!     .wait_active(Duration::from_secs(300))
//!     .await?;
//! println!("{} is {}", server.label(), server.status);
//! println!("{}", compute.servers().console_output(&server.id, Some(20)).await?);
//! # Ok(())
//! # }
//! ```
//!
//! Every operation first becomes a plain [`Request`](crate::request::Request), built for the
//! microversion negotiated once per client: the newest both this client (up to
//! [`Microversion::CLIENT_MAX`]) and the cloud support, unless the caller pins one with
//! [`ComputeClient::with_microversion`] or `compute_api_version` in clouds.yaml. The
//! builders show it with `.request(version)`.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::session::Session;

mod create;
mod flavor;
mod flavors;
mod ids;
mod interfaces;
mod keypair;
mod keypairs;
mod microversion;
mod operator;
mod requests;
mod server;
mod server_network;
mod servers;
mod waiters;
mod wire;

pub use crate::paginate::Link;
pub use create::{CreateServer, NetworkAttachment, Networks, PendingServer};
pub use flavor::{Flavor, FlavorAccess};
pub use flavors::{CreateFlavor, Flavors, ListFlavors};
pub use ids::{FlavorId, KeypairName, ServerId};
pub use interfaces::{CreateInterface, Interface, Interfaces, ListInterfaces};
pub use keypair::{Keypair, KeypairType};
pub use keypairs::{CreateKeypair, Keypairs, ListKeypairs};
pub use microversion::{Microversion, VersionRequest};
pub use operator::{
    ActionEvent, Aggregate, Aggregates, Hosts, InstanceAction, InstanceActions, ServerGroup,
    ServerGroups,
};
pub use requests::{RebootKind, VncConsole};
pub use server::{
    Address, AddressKind, CreatedServer, EmbeddedFlavor, Fault, PowerState, Server, ServerFlavor,
    ServerImage, ServerStatus,
};
pub use servers::{ListServers, Servers, UpdateServer};

/// Nova, the compute service. Cheap to clone; clones share the negotiated microversion.
#[derive(Debug, Clone)]
pub struct ComputeClient {
    session: Session,
    wanted: Option<VersionRequest>,
    version: Arc<tokio::sync::OnceCell<Microversion>>,
}

impl ComputeClient {
    /// A handle over a session. The microversion is negotiated on first use, honouring
    /// `compute_api_version` from the cloud's configuration.
    pub fn new(session: Session) -> Self {
        Self {
            session,
            wanted: None,
            version: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The same handle pinned to `version`: every request is sent at exactly that
    /// microversion, and the first one fails with `NotAcceptable` if the cloud does not
    /// support it.
    pub fn with_microversion(&self, version: Microversion) -> Self {
        Self {
            session: self.session.clone(),
            wanted: Some(VersionRequest::Pinned(version)),
            version: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Servers: get, find, list, create, update, delete, actions, consoles, waiters.
    pub fn servers(&self) -> Servers {
        Servers::new(self.clone())
    }

    /// Flavors: get, find, list, create, delete, description, extra specs, access.
    pub fn flavors(&self) -> Flavors {
        Flavors::new(self.clone())
    }

    /// Keypairs: get, list, create (import or generate), delete.
    pub fn keypairs(&self) -> Keypairs {
        Keypairs::new(self.clone())
    }

    /// Server groups: create, list, get, find, delete.
    pub fn server_groups(&self) -> ServerGroups {
        ServerGroups::new(self.clone())
    }

    /// Host aggregates (admin): list, get, find, create, update, hosts, metadata, delete.
    pub fn aggregates(&self) -> Aggregates {
        Aggregates::new(self.clone())
    }

    /// The actions asked of one server, with their events (`server event list/show`).
    pub fn instance_actions(&self, server: impl Into<ServerId>) -> InstanceActions {
        InstanceActions::new(self.clone(), server.into())
    }

    /// The compute hosts (admin): hypervisors and services.
    pub fn hosts(&self) -> Hosts {
        Hosts::new(self.clone())
    }

    /// The network interfaces of one server (`os-interface`): list, get, create (attach a
    /// port or a network), delete (detach).
    pub fn interfaces(&self, server: impl Into<ServerId>) -> Interfaces {
        Interfaces::new(self.clone(), server.into())
    }

    /// A paginated list whose first request is built for the microversion in force (which
    /// may have to be negotiated first): the `items` of every page, following `links`.
    fn paginated<T>(
        self,
        first: impl FnOnce(Microversion) -> Result<crate::request::Request> + Send + 'static,
        items: &'static str,
        links: &'static str,
    ) -> impl futures::Stream<Item = Result<T>> + Send + Unpin + 'static
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        use futures::{StreamExt, TryStreamExt};
        futures::stream::once(async move {
            let request = first(self.microversion().await?)?;
            Ok::<_, Error>(crate::paginate::paginate::<T>(
                self.session.clone(),
                request,
                items,
                links,
            ))
        })
        .try_flatten()
        .boxed()
    }

    /// The microversion in force, negotiated with the cloud on first call.
    pub async fn microversion(&self) -> Result<Microversion> {
        self.version
            .get_or_try_init(|| async {
                let wanted = match self.wanted {
                    Some(wanted) => wanted,
                    None => VersionRequest::from_config(
                        self.session
                            .config()
                            .api_versions
                            .get("compute")
                            .map(String::as_str),
                    )?,
                };
                let range = match self
                    .session
                    .microversion_range(&ServiceType::Compute)
                    .await?
                {
                    // Nova's v2.0 entry announces "" for both: no microversions.
                    Some((min, max)) if min.is_empty() || max.is_empty() => None,
                    Some((min, max)) => Some((
                        parse_announced(&min, "min_version")?,
                        parse_announced(&max, "version")?,
                    )),
                    None => None,
                };
                let chosen = microversion::negotiate(wanted, range)?;
                tracing::debug!(wanted = ?wanted, server = ?range, %chosen, "compute microversion");
                Ok(chosen)
            })
            .await
            .copied()
    }
}

/// A microversion from the discovery document, or a decode error naming the field.
fn parse_announced(text: &str, field: &str) -> Result<Microversion> {
    text.parse().map_err(|_| {
        Error::decode(
            format!(
                "the compute discovery document announces {field} {text:?}, not a microversion"
            ),
            field,
        )
        .with_service(ServiceType::Compute)
    })
}

/// Exactly one match, or a `Lookup` error that says how many there were.
fn one_named<T>(what: &str, name: &str, mut found: Vec<T>, id: impl Fn(&T) -> String) -> Result<T> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::new(
            ErrorKind::Lookup,
            format!("no {what} with id or name {name:?}"),
        )
        .with_service(ServiceType::Compute)),
        n => Err(Error::new(
            ErrorKind::Lookup,
            format!(
                "{n} {what}s are named {name:?} ({}); use an id",
                found.iter().map(&id).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_service(ServiceType::Compute)),
    }
}

/// Escapes the characters a Python regular expression gives meaning to.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_for_novas_regex_filter() {
        assert_eq!(regex_escape("web-1"), "web-1");
        assert_eq!(regex_escape("a.b (c)*"), r"a\.b \(c\)\*");
    }

    #[test]
    fn lookups_say_how_many_matched() {
        let none = one_named::<String>("server", "web", vec![], |s| s.clone()).unwrap_err();
        assert_eq!(none.kind(), &ErrorKind::Lookup);
        assert_eq!(none.message(), "no server with id or name \"web\"");
        let two = one_named("flavor", "m1", vec!["1".to_owned(), "2".to_owned()], |s| {
            s.clone()
        })
        .unwrap_err();
        assert_eq!(
            two.message(),
            "2 flavors are named \"m1\" (1, 2); use an id"
        );
    }
}
