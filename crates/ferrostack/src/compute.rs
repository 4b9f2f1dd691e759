//! Nova: servers, flavors, keypairs, server actions and waiters, shaped by the compute
//! microversion in force.
//!
//! ```no_run
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! use std::time::Duration;
//! let compute = cloud.compute();
//! let flavor = compute.find_flavor("m1.tiny").await?;
//! let server = compute
//!     .create_server("web-1", "70a599e0-31e7-49b7-b260-868f441e862b", flavor.id)
//!     .key_name("mykey")
//!     .user_data(b"#cloud-config\n".to_vec())
//!     .send()
//!     .await?
//!     .wait_active(Duration::from_secs(300))
//!     .await?;
//! println!("{} is {}", server.label(), server.status);
//! println!("{}", compute.console_output(&server.id, Some(20)).await?);
//! # Ok(())
//! # }
//! ```
//!
//! Every operation first becomes a plain [`Request`](crate::Request) (see [`requests`]),
//! built for the microversion negotiated once per client: the newest both this client
//! (up to [`Microversion::CLIENT_MAX`]) and the cloud support, unless the caller pins one
//! with [`ComputeClient::with_microversion`] or `compute_api_version` in clouds.yaml.

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;
use crate::session::Session;
use crate::wait::Backoff;

pub mod create;
pub mod flavor;
pub mod ids;
pub mod keypair;
pub mod microversion;
pub mod paginate;
pub mod requests;
pub mod server;
mod waiters;
mod wire;

pub use create::{NetworkAttachment, Networks, ServerSpec};
pub use flavor::Flavor;
pub use ids::{FlavorId, KeypairName, ServerId};
pub use keypair::{Keypair, KeypairType};
pub use microversion::{Microversion, VersionRequest};
pub use paginate::Link;
pub use requests::{KeypairSpec, RebootKind, ServerQuery, VncConsole};
pub use server::{
    Address, AddressKind, CreatedServer, EmbeddedFlavor, Fault, PowerState, Server, ServerFlavor,
    ServerImage, ServerStatus,
};
pub use waiters::Wait;

/// A handle on Nova. Cheap to clone; clones share the negotiated microversion.
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

    // -----------------------------------------------------------------------------------------
    // Flavors

    /// Every flavor the caller can see, with details (`GET /flavors/detail`, all pages).
    pub async fn list_flavors(&self) -> Result<Vec<Flavor>> {
        let request = requests::list_flavors(self.microversion().await?);
        paginate::paginate(self.session.clone(), request, "flavors", "flavors_links")
            .try_collect()
            .await
    }

    /// One flavor by id.
    pub async fn show_flavor(&self, id: impl Into<FlavorId>) -> Result<Flavor> {
        let request = requests::show_flavor(&id.into(), self.microversion().await?);
        let envelope: flavor::FlavorEnvelope = self.session.send_json(request).await?;
        Ok(envelope.flavor)
    }

    /// A flavor by id, else by exact name (`openstack server create --flavor`'s lookup).
    pub async fn find_flavor(&self, name_or_id: &str) -> Result<Flavor> {
        match self.show_flavor(name_or_id).await {
            Err(err) if err.is_not_found() => {}
            other => return other,
        }
        let named: Vec<Flavor> = self
            .list_flavors()
            .await?
            .into_iter()
            .filter(|f| f.name == name_or_id)
            .collect();
        one_named("flavor", name_or_id, named, |f| f.id.to_string())
    }

    // -----------------------------------------------------------------------------------------
    // Keypairs

    /// The caller's keypairs.
    pub async fn list_keypairs(&self) -> Result<Vec<Keypair>> {
        let request = requests::list_keypairs(self.microversion().await?);
        paginate::paginate::<keypair::KeypairEnvelope>(
            self.session.clone(),
            request,
            "keypairs",
            "keypairs_links",
        )
        .map_ok(|e| e.keypair)
        .try_collect()
        .await
    }

    /// One keypair by name.
    pub async fn show_keypair(&self, name: impl Into<KeypairName>) -> Result<Keypair> {
        let request = requests::show_keypair(&name.into(), self.microversion().await?);
        let envelope: keypair::KeypairEnvelope = self.session.send_json(request).await?;
        Ok(envelope.keypair)
    }

    /// Imports `public_key` (OpenSSH form) as keypair `name`.
    pub async fn import_keypair(
        &self,
        name: impl Into<KeypairName>,
        public_key: impl Into<String>,
    ) -> Result<Keypair> {
        self.create_keypair(KeypairSpec {
            name: name.into(),
            public_key: Some(public_key.into()),
            kind: Some(KeypairType::Ssh),
        })
        .await
    }

    /// Has Nova generate an SSH keypair `name`; the answer carries the private key
    /// ([`Keypair::private_key`]), which Nova does not keep. Nova generates keys up to
    /// microversion 2.91; the request is sent at 2.91 on newer clouds.
    pub async fn generate_keypair(&self, name: impl Into<KeypairName>) -> Result<Keypair> {
        let keypair = self
            .create_keypair(KeypairSpec {
                name: name.into(),
                public_key: None,
                kind: Some(KeypairType::Ssh),
            })
            .await?;
        if keypair.private_key.is_none() {
            return Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "Nova generated keypair {} without a private key",
                    keypair.name
                ),
            )
            .with_service(ServiceType::Compute));
        }
        Ok(keypair)
    }

    /// Creates a keypair as `spec` says.
    pub async fn create_keypair(&self, spec: KeypairSpec) -> Result<Keypair> {
        let request = requests::create_keypair(&spec, self.microversion().await?)?;
        let envelope: keypair::KeypairEnvelope = self.session.send_json(request).await?;
        Ok(envelope.keypair)
    }

    /// Deletes a keypair.
    pub async fn delete_keypair(&self, name: impl Into<KeypairName>) -> Result<()> {
        let request = requests::delete_keypair(&name.into(), self.microversion().await?);
        self.session.send(request).await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Servers

    /// A server to create: the required parts here, the rest as setters, then
    /// [`CreateServer::send`].
    pub fn create_server(
        &self,
        name: impl Into<String>,
        image: impl Into<crate::image::ImageId>,
        flavor: impl Into<FlavorId>,
    ) -> CreateServer {
        CreateServer {
            client: self.clone(),
            spec: ServerSpec::new(name, image, flavor),
        }
    }

    /// Servers with details, every page, as a stream (`GET /servers/detail`, following
    /// `servers_links` and stopping on a link already followed).
    ///
    /// ```no_run
    /// # async fn demo(compute: ferrostack::compute::ComputeClient) -> ferrostack::Result<()> {
    /// use futures::TryStreamExt;
    /// use ferrostack::compute::{ServerQuery, ServerStatus};
    /// let query = ServerQuery { status: Some(ServerStatus::Error), ..ServerQuery::default() };
    /// let mut servers = compute.list_servers(query);
    /// while let Some(server) = servers.try_next().await? {
    ///     println!("{} {:?}", server.label(), server.fault.map(|f| f.message));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_servers(
        &self,
        query: ServerQuery,
    ) -> impl Stream<Item = Result<Server>> + Send + Unpin + 'static {
        let client = self.clone();
        futures::stream::once(async move {
            let request = requests::list_servers(&query, client.microversion().await?);
            Ok::<_, Error>(paginate::paginate::<Server>(
                client.session.clone(),
                request,
                "servers",
                "servers_links",
            ))
        })
        .try_flatten()
        .boxed()
    }

    /// One server by id.
    pub async fn show_server(&self, id: impl Into<ServerId>) -> Result<Server> {
        let request = requests::show_server(&id.into(), self.microversion().await?);
        let envelope: server::ServerEnvelope = self.session.send_json(request).await?;
        Ok(envelope.server)
    }

    /// A server by id, else by exact name (Nova's `name` filter is a regular expression, so
    /// the name is anchored and escaped, and the answers are checked again here).
    pub async fn find_server(&self, name_or_id: &str) -> Result<Server> {
        match self.show_server(name_or_id).await {
            Err(err) if err.is_not_found() => {}
            other => return other,
        }
        let query = ServerQuery {
            name: Some(format!("^{}$", regex_escape(name_or_id))),
            ..ServerQuery::default()
        };
        let named: Vec<Server> = self
            .list_servers(query)
            .try_filter(|s| futures::future::ready(s.name == name_or_id))
            .try_collect()
            .await?;
        one_named("server", name_or_id, named, |s| s.id.to_string())
    }

    /// Renames a server; answers the updated server.
    pub async fn rename_server(&self, id: impl Into<ServerId>, name: &str) -> Result<Server> {
        let request = requests::rename_server(&id.into(), name, self.microversion().await?)?;
        let envelope: server::ServerEnvelope = self.session.send_json(request).await?;
        Ok(envelope.server)
    }

    /// Deletes a server. Nova deletes in the background: see [`ComputeClient::wait_deleted`].
    /// A locked server, or one mid-task, is a `Conflict` error that says which state.
    pub async fn delete_server(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::delete_server(&id, self.microversion().await?);
        self.act(&id, "delete", request).await.map(drop)
    }

    // -----------------------------------------------------------------------------------------
    // Actions

    /// Boots a SHUTOFF server (`os-start`). A server in another state is a `Conflict` error
    /// that says which state.
    pub async fn start_server(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::start(&id, self.microversion().await?);
        self.act(&id, "start", request).await.map(drop)
    }

    /// Shuts an ACTIVE server down (`os-stop`).
    pub async fn stop_server(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::stop(&id, self.microversion().await?);
        self.act(&id, "stop", request).await.map(drop)
    }

    /// Reboots a server, softly (through the guest) or hard (power cycle).
    pub async fn reboot_server(&self, id: impl Into<ServerId>, kind: RebootKind) -> Result<()> {
        let id = id.into();
        let request = requests::reboot(&id, kind, self.microversion().await?);
        let verb = match kind {
            RebootKind::Soft => "reboot",
            RebootKind::Hard => "hard-reboot",
        };
        self.act(&id, verb, request).await.map(drop)
    }

    /// The console log: its last `lines` lines, or all of it.
    pub async fn console_output(&self, id: &ServerId, lines: Option<u32>) -> Result<String> {
        #[derive(Deserialize)]
        struct Output {
            output: String,
        }
        let request = requests::console_output(id, lines, self.microversion().await?);
        let response = self.act(id, "read the console of", request).await?;
        Ok(response.json::<Output>().await?.output)
    }

    /// A URL for a VNC console in a browser (noVNC unless asked otherwise).
    pub async fn remote_console(&self, id: &ServerId, kind: VncConsole) -> Result<String> {
        #[derive(Deserialize)]
        struct Console {
            url: String,
        }
        #[derive(Deserialize)]
        struct Answer {
            // `remote_console` from 2.6, `console` from the older action.
            #[serde(alias = "console")]
            remote_console: Console,
        }
        let request = requests::remote_console(id, kind, self.microversion().await?);
        let response = self.act(id, "open a console on", request).await?;
        Ok(response.json::<Answer>().await?.remote_console.url)
    }

    /// Sends an action; a 409 becomes a `Conflict` error that names the server and the
    /// state that forbids the action, not only Nova's wording.
    async fn act(
        &self,
        id: &ServerId,
        verb: &str,
        request: crate::Request,
    ) -> Result<crate::session::Response> {
        match self.session.send(request).await {
            Err(err) if err.is_conflict() => Err(self.explain_conflict(id, verb, err).await),
            other => other,
        }
    }

    /// "server web-1 (ID) is SHUTOFF, cannot stop: <Nova's words>", with the original
    /// status, service and request id. The state is read again; if that fails too, the
    /// message names the id only.
    async fn explain_conflict(&self, id: &ServerId, verb: &str, err: Error) -> Error {
        let state = match self.show_server(id.clone()).await {
            Ok(server) => {
                let task = server
                    .task_state
                    .as_deref()
                    .map(|t| format!(" (task: {t})"))
                    .unwrap_or_default();
                format!("server {} is {}{task}", server.label(), server.status)
            }
            Err(_) => format!("server {id} is in a state that does not allow it"),
        };
        let mut mapped = Error::new(
            ErrorKind::Conflict,
            format!("{state}, cannot {verb}: {}", err.message()),
        )
        .with_service(ServiceType::Compute)
        .with_request_id(err.request_id().map(str::to_owned));
        if let Some(status) = err.status() {
            mapped = mapped.with_status(status);
        }
        mapped
    }

    // -----------------------------------------------------------------------------------------
    // Waiters

    /// Waits until the server is ACTIVE; fails at once if it goes to ERROR, with Nova's
    /// fault message.
    pub async fn wait_active(&self, id: &ServerId, wait: impl Into<Wait>) -> Result<Server> {
        self.wait_for_status(id, ServerStatus::Active, wait).await
    }

    /// Waits until the server is SHUTOFF; fails at once on ERROR.
    pub async fn wait_shutoff(&self, id: &ServerId, wait: impl Into<Wait>) -> Result<Server> {
        self.wait_for_status(id, ServerStatus::Shutoff, wait).await
    }

    /// Waits until the server has `status` and no task in progress; fails at once on ERROR
    /// (unless ERROR is what is awaited) with Nova's fault message.
    pub async fn wait_for_status(
        &self,
        id: &ServerId,
        status: ServerStatus,
        wait: impl Into<Wait>,
    ) -> Result<Server> {
        waiters::wait_for_status(self, id, status, wait.into()).await
    }

    /// Waits until the server is gone (404, or DELETED).
    pub async fn wait_deleted(&self, id: &ServerId, wait: impl Into<Wait>) -> Result<()> {
        waiters::wait_deleted(self, id, wait.into()).await
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

/// A server being created: `send()` answers a [`PendingServer`], which can wait for it.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateServer {
    client: ComputeClient,
    spec: ServerSpec,
}

impl CreateServer {
    /// How the server is connected (default: [`Networks::Auto`]).
    pub fn networks(mut self, networks: Networks) -> Self {
        self.spec.networks = networks;
        self
    }

    /// The keypair to inject.
    pub fn key_name(mut self, name: impl Into<KeypairName>) -> Self {
        self.spec.key_name = Some(name.into());
        self
    }

    /// User data, raw (base64 is done here).
    pub fn user_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.spec.user_data = Some(data.into());
        self
    }

    /// A metadata key/value pair (repeatable).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.metadata.insert(key.into(), value.into());
        self
    }

    /// The availability zone.
    pub fn availability_zone(mut self, zone: impl Into<String>) -> Self {
        self.spec.availability_zone = Some(zone.into());
        self
    }

    /// Whether to attach a config drive.
    pub fn config_drive(mut self, enabled: bool) -> Self {
        self.spec.config_drive = Some(enabled);
        self
    }

    /// What will be asked for.
    pub fn spec(&self) -> &ServerSpec {
        &self.spec
    }

    /// Sends `POST /servers`. Nova answers before the server is built: wait on the result.
    pub async fn send(self) -> Result<PendingServer> {
        let request = requests::create_server(&self.spec, self.client.microversion().await?)?;
        let envelope: server::CreatedEnvelope = self.client.session.send_json(request).await?;
        Ok(PendingServer {
            client: self.client,
            created: envelope.server,
        })
    }
}

/// A server Nova accepted to build.
#[derive(Debug, Clone)]
pub struct PendingServer {
    client: ComputeClient,
    created: CreatedServer,
}

impl PendingServer {
    /// Its id.
    pub fn id(&self) -> &ServerId {
        &self.created.id
    }

    /// What Nova answered (links, the admin password when the cloud sets one).
    pub fn created(&self) -> &CreatedServer {
        &self.created
    }

    /// Waits until it is ACTIVE; fails at once on ERROR with Nova's fault message.
    pub async fn wait_active(&self, wait: impl Into<Wait>) -> Result<Server> {
        self.client.wait_active(&self.created.id, wait).await
    }

    /// Its current state.
    pub async fn show(&self) -> Result<Server> {
        self.client.show_server(self.created.id.clone()).await
    }
}

/// The default polling for server waits: 1 s doubling to 10 s. Builds take tens of seconds.
fn server_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_secs(1),
        factor: 2.0,
        max: Duration::from_secs(10),
    }
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
