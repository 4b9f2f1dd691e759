//! The compute driver: what actually runs a server. Nova's handlers own the API state
//! (vm_state, task_state, faults); the driver owns the machine and reports what it is doing.
//!
//! The `fake` driver ([`fake::FakeDriver`]) finishes each transition after N polls of the
//! server or on an explicit tick, never by wall-clock time. The `qemu` driver
//! ([`qemu::QemuDriver`]) really boots each server's image: it receives each image's bytes
//! location in [`BootSpec`] (and the kernel and ramdisk of a three-part ami image).

pub(crate) mod fake;
#[cfg(feature = "qemu")]
pub(crate) mod qemu;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use futures::future::BoxFuture;

/// An image as the driver needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BootImage {
    /// Glance id.
    pub id: String,
    /// Glance name.
    pub name: Option<String>,
    /// `qcow2`, `raw`, `ami`, `aki`, `ari`, ...
    pub disk_format: Option<String>,
    /// `bare`, `ami`, ...
    pub container_format: Option<String>,
    /// Bytes stored, if any.
    pub size: Option<u64>,
    /// Where the bytes are on disk, when Glance can tell (a real driver needs it).
    pub data_path: Option<PathBuf>,
    /// The image's extra properties (always strings in Glance).
    pub properties: BTreeMap<String, String>,
}

/// One NIC of a server: a Neutron port with an IPv4 fixed IP, as the driver needs it to give
/// the guest that very address (by DHCP) and MAC, and as the instance's `network_data.json`
/// describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootNic {
    /// The Neutron port's id.
    pub port_id: String,
    /// The port's MAC address.
    pub mac: String,
    /// The port's (first) IPv4 fixed IP.
    pub fixed_ip: Ipv4Addr,
    /// The CIDR of that IP's subnet, e.g. `10.0.0.0/22`.
    pub cidr: String,
    /// The subnet's gateway, when it has one.
    pub gateway: Option<Ipv4Addr>,
    /// The port's network.
    pub network_id: String,
    /// The port's `binding:vif_type` (`ovs` for a bound port of this cloud).
    pub vif_type: String,
    /// The link MTU `network_data.json` gives: the network's, or none when the subnet has a
    /// DHCP server port (which then tells the guest), as Nova does.
    pub mtu: Option<u32>,
    /// Whether the subnet has DHCP (`ipv4_dhcp` in `network_data.json`; else a static
    /// `ipv4` network with the address, routes and DNS).
    pub dhcp: bool,
    /// The subnet's `dns_nameservers`.
    pub dns_nameservers: Vec<String>,
    /// The subnet's `host_routes`.
    pub host_routes: Vec<BootRoute>,
}

impl Default for BootNic {
    fn default() -> Self {
        BootNic {
            port_id: String::new(),
            mac: String::new(),
            fixed_ip: Ipv4Addr::UNSPECIFIED,
            cidr: String::new(),
            gateway: None,
            network_id: String::new(),
            vif_type: String::new(),
            mtu: None,
            dhcp: true,
            dns_nameservers: Vec::new(),
            host_routes: Vec::new(),
        }
    }
}

/// A subnet's host route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootRoute {
    /// The destination CIDR.
    pub destination: String,
    /// The next hop.
    pub nexthop: String,
}

/// A secret (an admin password): its value is never shown by `Debug` (nor kept in the
/// cloud's state directory by Nova's records).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Everything a driver needs to boot a server, and what its metadata (config drive) shows.
/// Its `Debug` form never shows the admin password.
#[derive(Debug, Clone, Default)]
pub struct BootSpec {
    /// The server's id.
    pub server_id: String,
    /// The server's name.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub ram_mb: u64,
    /// Root disk in GiB (0 = the image's size).
    pub disk_gb: u64,
    /// The image to boot.
    pub image: BootImage,
    /// For an ami image: its kernel (`kernel_id`).
    pub kernel: Option<BootImage>,
    /// For an ami image: its ramdisk (`ramdisk_id`).
    pub ramdisk: Option<BootImage>,
    /// The server's metadata.
    pub metadata: BTreeMap<String, String>,
    /// Decoded user data.
    pub user_data: Option<Vec<u8>>,
    /// The public key of `key_name`.
    pub public_key: Option<String>,
    /// The host name Nova derives from the server's name (what DHCP hands the guest).
    pub hostname: String,
    /// The server's NICs, in order (ports without an IPv4 address are left out).
    pub nics: Vec<BootNic>,
    /// The keypair the server was made with.
    pub key_name: Option<String>,
    /// That keypair's type (`ssh` or `x509`).
    pub key_type: Option<String>,
    /// The project that owns the server.
    pub project_id: String,
    /// The server's availability zone.
    pub availability_zone: String,
    /// The admin password of the create request (the answer's `adminPass`). Nova hands it
    /// to the compute driver for the first boot only and keeps it nowhere else: a driver that
    /// makes a config drive writes it there (`admin_pass` in `meta_data.json`). `None` after
    /// a restart of the cloud.
    pub admin_pass: Option<Secret>,
    /// Whether the create request asked for a config drive (`config_drive: true`).
    pub config_drive: bool,
    /// The server's place among those of its create request.
    pub launch_index: u32,
    /// The create request's reservation id (`r-...`).
    pub reservation_id: String,
    /// Nova's internal number of the server (its `instance-%08x` name, the EC2 `i-%08x` id).
    pub instance_number: u64,
    /// The flavor's name (EC2 `instance-type`).
    pub flavor_name: String,
    /// The names of the security groups on its ports.
    pub security_groups: Vec<String>,
}

/// What the machine is doing, as the driver sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmState {
    /// A transition (boot, stop, start, reboot) is under way.
    Transitioning,
    /// Running.
    Running,
    /// Powered off.
    Shutdown,
    /// Failed to boot or crashed; the message becomes the server's fault.
    Failed(String),
    /// The driver does not know this server.
    Unknown,
}

/// Where a remote console is reachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConsole {
    /// The URL a client opens (noVNC).
    pub url: String,
}

/// A driver failure; its message becomes a server fault or an error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DriverError(pub String);

/// A compute driver. Long-running work (spawning a VM) happens in the background: the
/// futures return once the transition has started, and [`ComputeDriver::observe`] reports
/// when it has finished.
pub trait ComputeDriver: Send + Sync + 'static {
    /// The driver's name (`fake`, `qemu`).
    fn name(&self) -> &'static str;

    /// Begins booting a new server.
    fn create(&self, spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>>;

    /// Begins powering a stopped server on.
    fn start<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Begins powering a server off.
    fn stop<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Begins a soft or hard reboot.
    fn reboot<'a>(
        &'a self,
        server_id: &'a str,
        hard: bool,
    ) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Destroys the machine and its disks.
    fn delete<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>>;

    /// The machine's state. `poll` is true when a client asked for this server (a GET of it),
    /// which is what moves the fake driver along; listings pass false. Must be cheap.
    fn observe(&self, server_id: &str, poll: bool) -> VmState;

    /// Advances every transition `steps` steps (the fake driver; real drivers ignore it).
    /// Returns how many machines finished a transition.
    fn tick(&self, steps: u32) -> usize;

    /// The serial console log, the last `length` lines when given.
    fn console_output<'a>(
        &'a self,
        server_id: &'a str,
        length: Option<usize>,
    ) -> BoxFuture<'a, Result<String, DriverError>>;

    /// A VNC console for a running machine.
    fn vnc_console<'a>(
        &'a self,
        server_id: &'a str,
    ) -> BoxFuture<'a, Result<RemoteConsole, DriverError>>;

    /// Forgets every machine (the control plane's reset).
    fn reset(&self);

    /// The cloud restarted on its state directory and still has this server, whose machine
    /// did not survive (as after a host reboot): take the machine back powered off, so that
    /// `start` (or a hard reboot) boots it again from `spec`. `fault` is set when the server
    /// is in ERROR. The default refuses, and the server goes to ERROR with that reason.
    fn restore(&self, spec: BootSpec, fault: Option<String>) -> Result<(), DriverError> {
        let _ = (spec, fault);
        Err(DriverError(format!(
            "the {} compute driver cannot take servers back after a restart",
            self.name()
        )))
    }

    /// Neutron changed what reaches `server_id`: `nics` are its ports now, in order (an
    /// interface attached or detached changes them), and `forwards` is, for each floating IP
    /// on one of them, the TCP ports its security groups let in. Both are the whole of it,
    /// not a difference. A driver that can plug NICs into a running machine (as libvirt
    /// does for Nova's attach_interface) does so, and every later boot has them; one that
    /// can forward host traffic into a NIC makes exactly these forwards. The default does
    /// nothing.
    fn network_changed(&self, server_id: &str, nics: &[BootNic], forwards: &[crate::PortForward]) {
        let _ = (server_id, nics, forwards);
    }

    /// The cloud is stopping: end every machine now (a driver with real processes kills
    /// them). The default does nothing.
    fn shutdown(&self) {}

    /// Whether every new server gets a config drive, asked for or not (Nova's
    /// `force_config_drive`): the API then shows `config_drive: "True"` once the server has
    /// booted. The default is false.
    fn forces_config_drive(&self) -> bool {
        false
    }
}

/// A driver chosen when the cloud starts (`MockCloudBuilder::compute_driver`). Its Debug
/// form is the driver's name.
#[derive(Clone)]
pub(crate) struct DriverHandle(pub(crate) std::sync::Arc<dyn ComputeDriver>);

impl std::fmt::Debug for DriverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DriverHandle({})", self.0.name())
    }
}

/// The last `length` lines of `log` (all of it when `None`).
pub(crate) fn tail_lines(log: &str, length: Option<usize>) -> String {
    match length {
        None => log.to_owned(),
        Some(n) => {
            let lines: Vec<&str> = log.lines().collect();
            let start = lines.len().saturating_sub(n);
            let mut out = lines[start..].join("\n");
            if n > 0 && log.ends_with('\n') {
                out.push('\n');
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", Some(2)), "b\nc\n");
        assert_eq!(tail_lines("a\nb\nc\n", None), "a\nb\nc\n");
        assert_eq!(tail_lines("a\nb\n", Some(0)), "");
        assert_eq!(tail_lines("a\nb\n", Some(9)), "a\nb\n");
    }
}
