//! Servers as Nova shows them, from 2.1 to the newest microversion.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::{FlavorId, ServerId};
use super::wire;
use crate::image::ImageId;
use crate::paginate::Link;

/// A server (`GET /servers/{id}`, `GET /servers/detail`).
///
/// Fields every microversion has are typed; everything else (`OS-EXT-SRV-ATTR:*`,
/// `security_groups`, `tags`, `locked`, ...) is kept in [`Server::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Server {
    /// The id.
    pub id: ServerId,
    /// The name (absent only for servers in a cell that is down).
    #[serde(default)]
    pub name: String,
    /// The status Nova derives from the VM and task states.
    pub status: ServerStatus,
    /// `OS-EXT-STS:vm_state` (`active`, `stopped`, `error`, ...).
    #[serde(rename = "OS-EXT-STS:vm_state", default)]
    pub vm_state: Option<String>,
    /// `OS-EXT-STS:task_state` (`spawning`, `powering-off`, ...), null when idle.
    #[serde(rename = "OS-EXT-STS:task_state", default)]
    pub task_state: Option<String>,
    /// `OS-EXT-STS:power_state`: what the hypervisor last reported.
    #[serde(rename = "OS-EXT-STS:power_state", default)]
    pub power_state: Option<PowerState>,
    /// Addresses by network name.
    #[serde(default, deserialize_with = "wire::map_or_null")]
    pub addresses: BTreeMap<String, Vec<Address>>,
    /// The image it was booted from; `None` when booted from a volume (Nova writes `""`).
    #[serde(default, deserialize_with = "image_or_volume")]
    pub image: Option<ServerImage>,
    /// The flavor: a link before 2.47, embedded details from 2.47.
    #[serde(default)]
    pub flavor: Option<ServerFlavor>,
    /// When it was created.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created: Option<jiff::Timestamp>,
    /// When it last changed.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub updated: Option<jiff::Timestamp>,
    /// The owning project.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The user who created it.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The keypair injected at boot.
    #[serde(default)]
    pub key_name: Option<String>,
    /// User metadata.
    #[serde(default, deserialize_with = "wire::map_or_null")]
    pub metadata: BTreeMap<String, String>,
    /// Why the server is in ERROR, when it is.
    #[serde(default)]
    pub fault: Option<Fault>,
    /// `self` and `bookmark` links.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub links: Vec<Link>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Server {
    /// `name (id)`, how errors and logs name a server.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.id.to_string()
        } else {
            format!("{} ({})", self.name, self.id)
        }
    }

    /// Every address with the network it is on, networks in name order.
    pub fn all_addresses(&self) -> impl Iterator<Item = (&str, &Address)> {
        self.addresses
            .iter()
            .flat_map(|(net, addrs)| addrs.iter().map(move |a| (net.as_str(), a)))
    }

    /// The floating IPs forwarded to the server, with the network they are listed under
    /// (the network of the port they forward to).
    pub fn floating_addresses(&self) -> impl Iterator<Item = (&str, &Address)> {
        self.all_addresses()
            .filter(|(_, a)| a.kind == Some(AddressKind::Floating))
    }

    /// The first IPv4 address, fixed ones before floating ones.
    pub fn first_ipv4(&self) -> Option<IpAddr> {
        let v4 = || self.all_addresses().filter(|(_, a)| a.addr.is_ipv4());
        v4().find(|(_, a)| a.kind != Some(AddressKind::Floating))
            .or_else(|| v4().next())
            .map(|(_, a)| a.addr)
    }
}

/// A server's status.
///
/// ```
/// use ferrostack::compute::ServerStatus;
/// assert_eq!(ServerStatus::from("SHUTOFF"), ServerStatus::Shutoff);
/// assert_eq!(ServerStatus::from("MIGRATING").as_str(), "MIGRATING");
/// assert_eq!(ServerStatus::from("NEW_ONE"), ServerStatus::Unknown("NEW_ONE".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerStatus {
    /// Running.
    Active,
    /// Being built.
    Build,
    /// Deleted (seen with `deleted=true` listings, or briefly before a 404).
    Deleted,
    /// Failed; see [`Server::fault`].
    Error,
    /// Being hard-rebooted.
    HardReboot,
    /// Being live-migrated.
    Migrating,
    /// Its password is being reset.
    Password,
    /// Paused (in memory).
    Paused,
    /// Being soft-rebooted.
    Reboot,
    /// Being rebuilt.
    Rebuild,
    /// In rescue mode.
    Rescue,
    /// Being resized or migrated.
    Resize,
    /// A resize is being reverted.
    RevertResize,
    /// Shelved.
    Shelved,
    /// Shelved and offloaded from its host.
    ShelvedOffloaded,
    /// Stopped.
    Shutoff,
    /// Soft-deleted, restorable for a while.
    SoftDeleted,
    /// Suspended (to disk).
    Suspended,
    /// Waiting for a resize to be confirmed or reverted.
    VerifyResize,
    /// A status this SDK does not know, Nova's own `UNKNOWN` included.
    Unknown(String),
}

const STATUS_NAMES: &[(ServerStatus, &str)] = &[
    (ServerStatus::Active, "ACTIVE"),
    (ServerStatus::Build, "BUILD"),
    (ServerStatus::Deleted, "DELETED"),
    (ServerStatus::Error, "ERROR"),
    (ServerStatus::HardReboot, "HARD_REBOOT"),
    (ServerStatus::Migrating, "MIGRATING"),
    (ServerStatus::Password, "PASSWORD"),
    (ServerStatus::Paused, "PAUSED"),
    (ServerStatus::Reboot, "REBOOT"),
    (ServerStatus::Rebuild, "REBUILD"),
    (ServerStatus::Rescue, "RESCUE"),
    (ServerStatus::Resize, "RESIZE"),
    (ServerStatus::RevertResize, "REVERT_RESIZE"),
    (ServerStatus::Shelved, "SHELVED"),
    (ServerStatus::ShelvedOffloaded, "SHELVED_OFFLOADED"),
    (ServerStatus::Shutoff, "SHUTOFF"),
    (ServerStatus::SoftDeleted, "SOFT_DELETED"),
    (ServerStatus::Suspended, "SUSPENDED"),
    (ServerStatus::VerifyResize, "VERIFY_RESIZE"),
];

impl ServerStatus {
    /// The status as Nova writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ServerStatus::Unknown(other) => other,
            known => STATUS_NAMES
                .iter()
                .find(|(status, _)| status == known)
                .map(|(_, name)| *name)
                .expect("every known status has a name"),
        }
    }
}

impl From<&str> for ServerStatus {
    fn from(text: &str) -> Self {
        STATUS_NAMES
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(text))
            .map(|(status, _)| status.clone())
            .unwrap_or_else(|| ServerStatus::Unknown(text.to_owned()))
    }
}

impl fmt::Display for ServerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ServerStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServerStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ServerStatus::from(String::deserialize(d)?.as_str()))
    }
}

/// The hypervisor's view of a server (`OS-EXT-STS:power_state`), an integer on the wire.
///
/// ```
/// use ferrostack::compute::PowerState;
/// let s: PowerState = serde_json::from_str("4").unwrap();
/// assert_eq!(s, PowerState::Shutdown);
/// assert_eq!(s.code(), Some(4));
/// let odd: PowerState = serde_json::from_str("5").unwrap();
/// assert_eq!(odd, PowerState::Unknown("5".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PowerState {
    /// 0: no state reported (yet).
    NoState,
    /// 1: running.
    Running,
    /// 3: paused.
    Paused,
    /// 4: shut down.
    Shutdown,
    /// 6: crashed.
    Crashed,
    /// 7: suspended.
    Suspended,
    /// Any other value, as text (2 and 5 were retired long ago).
    Unknown(String),
}

impl PowerState {
    /// The state for Nova's integer.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => PowerState::NoState,
            1 => PowerState::Running,
            3 => PowerState::Paused,
            4 => PowerState::Shutdown,
            6 => PowerState::Crashed,
            7 => PowerState::Suspended,
            other => PowerState::Unknown(other.to_string()),
        }
    }

    /// Nova's integer, for the known states.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            PowerState::NoState => 0,
            PowerState::Running => 1,
            PowerState::Paused => 3,
            PowerState::Shutdown => 4,
            PowerState::Crashed => 6,
            PowerState::Suspended => 7,
            PowerState::Unknown(_) => return None,
        })
    }

    /// The name `openstack server show` prints (`Running`, `Shutdown`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            PowerState::NoState => "NOSTATE",
            PowerState::Running => "Running",
            PowerState::Paused => "Paused",
            PowerState::Shutdown => "Shutdown",
            PowerState::Crashed => "Crashed",
            PowerState::Suspended => "Suspended",
            PowerState::Unknown(other) => other,
        }
    }
}

impl fmt::Display for PowerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PowerState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.code() {
            Some(code) => s.serialize_u8(code),
            None => s.serialize_str(self.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for PowerState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(code) => PowerState::from_code(code),
                None => PowerState::Unknown(n.to_string()),
            },
            serde_json::Value::String(text) => match text.trim().parse::<i64>() {
                Ok(code) => PowerState::from_code(code),
                Err(_) => PowerState::Unknown(text),
            },
            other => PowerState::Unknown(other.to_string()),
        })
    }
}

/// One address of a server on one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// The IP address.
    pub addr: IpAddr,
    /// 4 or 6.
    pub version: u8,
    /// `OS-EXT-IPS-MAC:mac_addr`: the port's MAC address.
    #[serde(
        rename = "OS-EXT-IPS-MAC:mac_addr",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub mac_addr: Option<String>,
    /// `OS-EXT-IPS:type`: fixed or floating.
    #[serde(
        rename = "OS-EXT-IPS:type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<AddressKind>,
}

/// Whether an address is the port's own or a floating IP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressKind {
    /// The port's own address.
    Fixed,
    /// A floating IP associated with the port.
    Floating,
    /// Anything else.
    Unknown(String),
}

impl Serialize for AddressKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            AddressKind::Fixed => "fixed",
            AddressKind::Floating => "floating",
            AddressKind::Unknown(other) => other,
        })
    }
}

impl<'de> Deserialize<'de> for AddressKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "fixed" => AddressKind::Fixed,
            "floating" => AddressKind::Floating,
            _ => AddressKind::Unknown(text),
        })
    }
}

/// The image a server was booted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerImage {
    /// The Glance image id.
    pub id: ImageId,
    /// A bookmark link to the image.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub links: Vec<Link>,
    /// Anything else Nova adds (`properties` from 2.98).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `""` (booted from a volume) or null as `None`, an object as the image.
fn image_or_volume<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ServerImage>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Image(ServerImage),
        Text(String),
        Null(()),
    }
    match Form::deserialize(d)? {
        Form::Image(image) => Ok(Some(image)),
        Form::Text(text) if text.is_empty() => Ok(None),
        Form::Text(text) => Err(serde::de::Error::custom(format!(
            "expected an image object or \"\", got {text:?}"
        ))),
        Form::Null(()) => Ok(None),
    }
}

/// A server's flavor in either of Nova's shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ServerFlavor {
    /// From 2.47: a copy of the flavor as it was at boot (the flavor may be gone since).
    Embedded(EmbeddedFlavor),
    /// Before 2.47: a link to the flavor.
    Link {
        /// The flavor id.
        id: FlavorId,
        /// A bookmark link to it.
        #[serde(default)]
        links: Vec<Link>,
    },
}

impl ServerFlavor {
    /// The flavor's id, known only in the linked shape (before 2.47).
    pub fn id(&self) -> Option<&FlavorId> {
        match self {
            ServerFlavor::Link { id, .. } => Some(id),
            ServerFlavor::Embedded(_) => None,
        }
    }

    /// The flavor's name at boot, known only in the embedded shape (from 2.47).
    pub fn original_name(&self) -> Option<&str> {
        match self {
            ServerFlavor::Embedded(e) => Some(&e.original_name),
            ServerFlavor::Link { .. } => None,
        }
    }
}

/// The embedded flavor of 2.47 and later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddedFlavor {
    /// The flavor's name when the server was booted.
    pub original_name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub ram: u64,
    /// Root disk in GiB.
    pub disk: u64,
    /// Ephemeral disk in GiB.
    #[serde(default, deserialize_with = "wire::count")]
    pub ephemeral: u64,
    /// Swap in MiB.
    #[serde(default, deserialize_with = "wire::count")]
    pub swap: u64,
    /// Extra specs, when policy lets the caller see them.
    #[serde(default, deserialize_with = "wire::map_or_null")]
    pub extra_specs: BTreeMap<String, String>,
}

/// Why a server is in ERROR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Fault {
    /// The HTTP-like code of the failure (500 for most build failures).
    #[serde(default)]
    pub code: Option<u16>,
    /// Nova's message ("No valid host was found. ...").
    #[serde(default)]
    pub message: String,
    /// A traceback; shown to admins, or to everyone for non-500 faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// When it happened.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created: Option<jiff::Timestamp>,
}

/// The `{"server": {...}}` envelope.
#[derive(Deserialize)]
pub(crate) struct ServerEnvelope {
    pub(crate) server: Server,
}

/// What `POST /servers` answers: the id, links and (unless disabled) the admin password.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CreatedServer {
    /// The new server's id.
    pub id: ServerId,
    /// `self` and `bookmark` links.
    #[serde(default)]
    pub links: Vec<Link>,
    /// The generated root password, when the cloud sets one.
    #[serde(rename = "adminPass", default)]
    pub admin_pass: Option<crate::Secret>,
    /// Every other field (`OS-DCF:diskConfig`, `security_groups`), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The `{"server": {...}}` envelope of a create answer.
#[derive(Deserialize)]
pub(crate) struct CreatedEnvelope {
    pub(crate) server: CreatedServer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for (status, name) in STATUS_NAMES {
            assert_eq!(&ServerStatus::from(*name), status);
            assert_eq!(status.as_str(), *name);
        }
        assert_eq!(ServerStatus::from("active"), ServerStatus::Active);
        let odd: ServerStatus = serde_json::from_str("\"UNKNOWN\"").unwrap();
        assert_eq!(odd, ServerStatus::Unknown("UNKNOWN".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"UNKNOWN\"");
    }

    #[test]
    fn power_states_from_every_form() {
        let p = |json: &str| serde_json::from_str::<PowerState>(json).unwrap();
        assert_eq!(p("0"), PowerState::NoState);
        assert_eq!(p("1"), PowerState::Running);
        assert_eq!(p("3"), PowerState::Paused);
        assert_eq!(p("4"), PowerState::Shutdown);
        assert_eq!(p("6"), PowerState::Crashed);
        assert_eq!(p("7"), PowerState::Suspended);
        assert_eq!(p("\"1\""), PowerState::Running);
        assert_eq!(p("2"), PowerState::Unknown("2".into()));
        assert_eq!(p("\"on\""), PowerState::Unknown("on".into()));
        assert_eq!(serde_json::to_string(&PowerState::Shutdown).unwrap(), "4");
    }
}
