//! Creating a server: [`CreateServer`], the builder of `POST /servers` (name, image, flavor,
//! networks and the rest, as plain data shaped per microversion), and [`PendingServer`],
//! what Nova accepted to build.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::Servers;
use super::ids::{FlavorId, KeypairName, ServerId};
use super::microversion::Microversion;
use super::requests;
use super::server::{CreatedEnvelope, CreatedServer, Server, ServerStatus};
use crate::error::{Error, Result};
use crate::image::ImageId;
use crate::request::Request;
use crate::wait::Wait;

/// Nova's limit on `user_data`, counted after base64 encoding.
pub const MAX_USER_DATA: usize = 65535;

/// How a new server is connected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Networks {
    /// Let Nova pick (and, from 2.37, allocate) a network for the project: the default.
    #[default]
    Auto,
    /// No network at all (2.37 and later).
    None,
    /// These networks and ports, in order.
    List(Vec<NetworkAttachment>),
}

/// One network interface of a new server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetworkAttachment {
    /// A new port on a network, optionally with a fixed IP.
    Network {
        /// The Neutron network id.
        id: String,
        /// The address to ask for.
        fixed_ip: Option<IpAddr>,
    },
    /// An existing Neutron port.
    Port(String),
}

impl NetworkAttachment {
    /// A port on network `id` (a [`NetworkId`](crate::network::NetworkId) or a string),
    /// address chosen by Neutron.
    pub fn network(id: impl Into<String>) -> Self {
        NetworkAttachment::Network {
            id: id.into(),
            fixed_ip: None,
        }
    }

    /// A port on network `id` with the address `ip`.
    pub fn fixed_ip(id: impl Into<String>, ip: IpAddr) -> Self {
        NetworkAttachment::Network {
            id: id.into(),
            fixed_ip: Some(ip),
        }
    }

    /// The existing port `id` (a [`PortId`](crate::network::PortId) or a string).
    pub fn port(id: impl Into<String>) -> Self {
        NetworkAttachment::Port(id.into())
    }

    fn to_json(&self) -> Value {
        match self {
            NetworkAttachment::Network { id, fixed_ip: None } => json!({ "uuid": id }),
            NetworkAttachment::Network {
                id,
                fixed_ip: Some(ip),
            } => json!({ "uuid": id, "fixed_ip": ip.to_string() }),
            NetworkAttachment::Port(port) => json!({ "port": port }),
        }
    }
}

/// Everything `POST /servers` can say that this SDK types. Required fields are in
/// [`ServerSpec::new`]; the rest default to Nova's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerSpec {
    /// The server's name.
    pub(crate) name: String,
    /// The Glance image to boot from.
    pub(crate) image: ImageId,
    /// The flavor.
    pub(crate) flavor: FlavorId,
    /// How it is connected.
    pub(crate) networks: Networks,
    /// The keypair to inject.
    pub(crate) key_name: Option<KeypairName>,
    /// User data (cloud-init and the like), raw: it is base64-encoded when sent.
    pub(crate) user_data: Option<Vec<u8>>,
    /// Metadata key/value pairs.
    pub(crate) metadata: BTreeMap<String, String>,
    /// The availability zone.
    pub(crate) availability_zone: Option<String>,
    /// Whether to attach a config drive.
    pub(crate) config_drive: Option<bool>,
    /// Security groups by name or id (Nova's default: the project's `default`).
    pub(crate) security_groups: Vec<String>,
}

impl ServerSpec {
    /// A server called `name` booted from `image` with `flavor`, networks chosen by Nova.
    pub(crate) fn new(
        name: impl Into<String>,
        image: impl Into<ImageId>,
        flavor: impl Into<FlavorId>,
    ) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            flavor: flavor.into(),
            networks: Networks::Auto,
            key_name: None,
            user_data: None,
            metadata: BTreeMap::new(),
            availability_zone: None,
            config_drive: None,
            security_groups: Vec::new(),
        }
    }

    /// The `{"server": {...}}` body for microversion `version`, or an error naming the field
    /// that cannot be sent.
    pub(crate) fn body(&self, version: Microversion) -> Result<Value> {
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > 255 {
            return Err(Error::invalid_input(format!(
                "server name {:?}: must be 1 to 255 characters, not only spaces",
                self.name
            )));
        }
        if self.image.as_str().trim().is_empty() {
            return Err(Error::invalid_input(format!(
                "server {}: the image id is empty",
                self.name
            )));
        }
        if self.flavor.as_str().trim().is_empty() {
            return Err(Error::invalid_input(format!(
                "server {}: the flavor id is empty",
                self.name
            )));
        }
        let mut server = Map::new();
        server.insert("name".into(), json!(self.name));
        server.insert("imageRef".into(), json!(self.image));
        server.insert("flavorRef".into(), json!(self.flavor));
        let networks_required = version >= Microversion::NETWORKS_REQUIRED;
        match &self.networks {
            Networks::Auto if networks_required => {
                server.insert("networks".into(), json!("auto"));
            }
            // Before 2.37 leaving `networks` out is how one asks Nova to choose.
            Networks::Auto => {}
            Networks::None if networks_required => {
                server.insert("networks".into(), json!("none"));
            }
            Networks::None => {
                return Err(Error::invalid_input(format!(
                    "server {}: networks \"none\" needs compute microversion {} or later (in force: {version})",
                    self.name,
                    Microversion::NETWORKS_REQUIRED
                )));
            }
            Networks::List(list) if list.is_empty() => {
                return Err(Error::invalid_input(format!(
                    "server {}: the network list is empty; use Networks::None for no network",
                    self.name
                )));
            }
            Networks::List(list) => {
                server.insert(
                    "networks".into(),
                    Value::Array(list.iter().map(NetworkAttachment::to_json).collect()),
                );
            }
        }
        if let Some(key) = &self.key_name {
            server.insert("key_name".into(), json!(key));
        }
        if let Some(data) = &self.user_data {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            if encoded.len() > MAX_USER_DATA {
                return Err(Error::invalid_input(format!(
                    "server {}: user data is {} bytes once base64-encoded; Nova accepts at most {MAX_USER_DATA}",
                    self.name,
                    encoded.len()
                )));
            }
            server.insert("user_data".into(), json!(encoded));
        }
        if !self.metadata.is_empty() {
            for key in self.metadata.keys() {
                if key.is_empty() || key.chars().count() > 255 {
                    return Err(Error::invalid_input(format!(
                        "server {}: metadata key {key:?} must be 1 to 255 characters",
                        self.name
                    )));
                }
            }
            server.insert("metadata".into(), json!(self.metadata));
        }
        if let Some(zone) = &self.availability_zone {
            server.insert("availability_zone".into(), json!(zone));
        }
        if let Some(drive) = self.config_drive {
            server.insert("config_drive".into(), json!(drive));
        }
        if !self.security_groups.is_empty() {
            if let Some(empty) = self.security_groups.iter().find(|g| g.trim().is_empty()) {
                return Err(Error::invalid_input(format!(
                    "server {}: security group {empty:?} has no name",
                    self.name
                )));
            }
            let groups: Vec<Value> = self
                .security_groups
                .iter()
                .map(|group| json!({ "name": group }))
                .collect();
            server.insert("security_groups".into(), Value::Array(groups));
        }
        Ok(json!({ "server": server }))
    }
}

/// A server being created: `send()` answers a [`PendingServer`], which can wait for it.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateServer {
    servers: Servers,
    spec: ServerSpec,
}

impl CreateServer {
    pub(crate) fn new(servers: Servers, spec: ServerSpec) -> Self {
        Self { servers, spec }
    }

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

    /// A security group for the server's new ports, by name or id (repeatable; without
    /// one, Nova uses the project's `default`). Sent as `{"name": ...}`, as
    /// `openstack server create --security-group` does; Nova resolves either.
    pub fn security_group(mut self, group: impl Into<String>) -> Self {
        self.spec.security_groups.push(group.into());
        self
    }

    /// The request, as it would be sent at `version`, or an error naming the field that
    /// cannot be sent at that version.
    pub fn request(&self, version: Microversion) -> Result<Request> {
        requests::create_server(&self.spec, version)
    }

    /// Sends `POST /servers`. Nova answers before the server is built: wait on the result.
    pub async fn send(self) -> Result<PendingServer> {
        let compute = &self.servers.compute;
        let request = requests::create_server(&self.spec, compute.microversion().await?)?;
        let envelope: CreatedEnvelope = compute.session.send_json(request).await?;
        Ok(PendingServer {
            servers: self.servers,
            created: envelope.server,
        })
    }
}

/// A server Nova accepted to build.
#[derive(Debug, Clone)]
pub struct PendingServer {
    servers: Servers,
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
        self.servers
            .wait_for_status(&self.created.id, ServerStatus::Active, wait)
            .await
    }

    /// Its current state.
    pub async fn show(&self) -> Result<Server> {
        self.servers.get(self.created.id.clone()).await
    }
}
