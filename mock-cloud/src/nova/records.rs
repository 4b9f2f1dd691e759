//! Nova's records in the state database: flavors, keypairs, servers with their state, what
//! each server's driver was asked to boot (to take it back after a restart), and the server
//! counter. Servers keep their `vm_state` and `task_state` as Nova's names.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};

use super::driver::{BootImage, BootNic, BootRoute, BootSpec};
use super::keypairs::Keypair;
use crate::db::{Change, Table};

/// Nova's vm states the mock uses.
const VM_STATES: &[&str] = &["building", "active", "stopped", "error"];

/// Nova's task states the mock uses.
const TASK_STATES: &[&str] = &[
    "spawning",
    "powering-off",
    "powering-on",
    "rebooting",
    "rebooting_hard",
];

/// The counter that numbers servers (their order, addresses and instance names).
pub(crate) const NEXT_SEQ: &str = "nova.next_seq";

fn known<E: serde::de::Error>(value: &str, names: &[&'static str]) -> Result<&'static str, E> {
    names
        .iter()
        .find(|name| **name == value)
        .copied()
        .ok_or_else(|| E::custom(format!("unknown state '{value}'")))
}

/// Reads a `vm_state` back as one of the mock's names.
pub(crate) fn vm_state<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    known(&String::deserialize(d)?, VM_STATES)
}

/// Reads a `task_state` back as one of the mock's names.
pub(crate) fn task_state<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<&'static str>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|task| known(&task, TASK_STATES))
        .transpose()
}

/// The key of a keypair's row: its owner and name (names are unique per user).
pub(crate) fn keypair_key(keypair: &Keypair) -> String {
    serde_json::to_string(&(&keypair.user_id, &keypair.name)).unwrap_or_default()
}

/// A change saving `keypair`.
pub(crate) fn put_keypair(change: Change, keypair: &Keypair) -> Change {
    change.put(Table::NovaKeypairs, &keypair_key(keypair), keypair)
}

/// A [`BootImage`] as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImageRecord {
    id: String,
    name: Option<String>,
    disk_format: Option<String>,
    container_format: Option<String>,
    size: Option<u64>,
    data_path: Option<PathBuf>,
    properties: BTreeMap<String, String>,
}

impl From<&BootImage> for ImageRecord {
    fn from(image: &BootImage) -> Self {
        ImageRecord {
            id: image.id.clone(),
            name: image.name.clone(),
            disk_format: image.disk_format.clone(),
            container_format: image.container_format.clone(),
            size: image.size,
            data_path: image.data_path.clone(),
            properties: image.properties.clone(),
        }
    }
}

impl From<ImageRecord> for BootImage {
    fn from(image: ImageRecord) -> Self {
        BootImage {
            id: image.id,
            name: image.name,
            disk_format: image.disk_format,
            container_format: image.container_format,
            size: image.size,
            data_path: image.data_path,
            properties: image.properties,
        }
    }
}

/// A [`BootSpec`] as saved (the user data in base64). The admin password is not kept: Nova
/// hands it to the compute driver for the first boot and stores it nowhere (a config drive
/// made then keeps it, in the server's folder, as Nova's `disk.config` does); a spec read back
/// after a restart has none. Fields added since the first records default, so that the
/// records of an older cloud still load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BootSpecRecord {
    server_id: String,
    name: String,
    vcpus: u32,
    ram_mb: u64,
    disk_gb: u64,
    image: ImageRecord,
    kernel: Option<ImageRecord>,
    ramdisk: Option<ImageRecord>,
    metadata: BTreeMap<String, String>,
    user_data: Option<String>,
    public_key: Option<String>,
    // Absent in the records of a cloud from before servers had NICs.
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    nics: Vec<NicRecord>,
    // Absent in the records of a cloud from before servers had metadata.
    #[serde(default)]
    key_name: Option<String>,
    #[serde(default)]
    key_type: Option<String>,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    availability_zone: String,
    #[serde(default)]
    config_drive: bool,
    #[serde(default)]
    launch_index: u32,
    #[serde(default)]
    reservation_id: String,
    #[serde(default)]
    instance_number: u64,
    #[serde(default)]
    flavor_name: String,
    #[serde(default)]
    security_groups: Vec<String>,
}

/// A [`BootNic`] as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NicRecord {
    port_id: String,
    mac: String,
    fixed_ip: Ipv4Addr,
    cidr: String,
    gateway: Option<Ipv4Addr>,
    // Absent in the records of a cloud from before servers had metadata.
    #[serde(default)]
    network_id: String,
    #[serde(default)]
    vif_type: String,
    #[serde(default)]
    mtu: Option<u32>,
    // Every subnet of such a cloud that a server could boot on had DHCP.
    #[serde(default = "dhcp_by_default")]
    dhcp: bool,
    #[serde(default)]
    dns_nameservers: Vec<String>,
    /// `(destination, nexthop)`.
    #[serde(default)]
    host_routes: Vec<(String, String)>,
}

fn dhcp_by_default() -> bool {
    true
}

impl From<&BootNic> for NicRecord {
    fn from(nic: &BootNic) -> Self {
        NicRecord {
            port_id: nic.port_id.clone(),
            mac: nic.mac.clone(),
            fixed_ip: nic.fixed_ip,
            cidr: nic.cidr.clone(),
            gateway: nic.gateway,
            network_id: nic.network_id.clone(),
            vif_type: nic.vif_type.clone(),
            mtu: nic.mtu,
            dhcp: nic.dhcp,
            dns_nameservers: nic.dns_nameservers.clone(),
            host_routes: nic
                .host_routes
                .iter()
                .map(|route| (route.destination.clone(), route.nexthop.clone()))
                .collect(),
        }
    }
}

impl From<NicRecord> for BootNic {
    fn from(nic: NicRecord) -> Self {
        BootNic {
            port_id: nic.port_id,
            mac: nic.mac,
            fixed_ip: nic.fixed_ip,
            cidr: nic.cidr,
            gateway: nic.gateway,
            network_id: nic.network_id,
            vif_type: nic.vif_type,
            mtu: nic.mtu,
            dhcp: nic.dhcp,
            dns_nameservers: nic.dns_nameservers,
            host_routes: nic
                .host_routes
                .into_iter()
                .map(|(destination, nexthop)| BootRoute {
                    destination,
                    nexthop,
                })
                .collect(),
        }
    }
}

impl From<&BootSpec> for BootSpecRecord {
    fn from(spec: &BootSpec) -> Self {
        BootSpecRecord {
            server_id: spec.server_id.clone(),
            name: spec.name.clone(),
            vcpus: spec.vcpus,
            ram_mb: spec.ram_mb,
            disk_gb: spec.disk_gb,
            image: (&spec.image).into(),
            kernel: spec.kernel.as_ref().map(Into::into),
            ramdisk: spec.ramdisk.as_ref().map(Into::into),
            metadata: spec.metadata.clone(),
            user_data: spec
                .user_data
                .as_ref()
                .map(|data| base64::engine::general_purpose::STANDARD.encode(data)),
            public_key: spec.public_key.clone(),
            hostname: spec.hostname.clone(),
            nics: spec.nics.iter().map(Into::into).collect(),
            key_name: spec.key_name.clone(),
            key_type: spec.key_type.clone(),
            project_id: spec.project_id.clone(),
            availability_zone: spec.availability_zone.clone(),
            config_drive: spec.config_drive,
            launch_index: spec.launch_index,
            reservation_id: spec.reservation_id.clone(),
            instance_number: spec.instance_number,
            flavor_name: spec.flavor_name.clone(),
            security_groups: spec.security_groups.clone(),
        }
    }
}

impl BootSpecRecord {
    /// The server it boots.
    pub(crate) fn server_id(&self) -> &str {
        &self.server_id
    }

    /// Back to what the driver takes.
    pub(crate) fn into_spec(self) -> BootSpec {
        BootSpec {
            server_id: self.server_id,
            name: self.name,
            vcpus: self.vcpus,
            ram_mb: self.ram_mb,
            disk_gb: self.disk_gb,
            image: self.image.into(),
            kernel: self.kernel.map(Into::into),
            ramdisk: self.ramdisk.map(Into::into),
            metadata: self.metadata,
            user_data: self
                .user_data
                .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok()),
            public_key: self.public_key,
            hostname: self.hostname,
            nics: self.nics.into_iter().map(Into::into).collect(),
            key_name: self.key_name,
            key_type: self.key_type,
            project_id: self.project_id,
            availability_zone: self.availability_zone,
            admin_pass: None,
            config_drive: self.config_drive,
            launch_index: self.launch_index,
            reservation_id: self.reservation_id,
            instance_number: self.instance_number,
            flavor_name: self.flavor_name,
            security_groups: self.security_groups,
        }
    }

    /// The server was shown with a config drive (`config_drive: "True"`): it keeps one on
    /// every boot, as Nova's `instance.config_drive` keeps it.
    pub(crate) fn keep_config_drive(&mut self) {
        self.config_drive = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_the_mock_s_names_and_unknown_ones_are_refused() {
        #[derive(Deserialize)]
        struct States {
            #[serde(deserialize_with = "vm_state")]
            vm: &'static str,
            #[serde(deserialize_with = "task_state")]
            task: Option<&'static str>,
        }
        let states: States =
            serde_json::from_str(r#"{"vm": "active", "task": "powering-off"}"#).unwrap();
        assert_eq!((states.vm, states.task), ("active", Some("powering-off")));
        let states: States = serde_json::from_str(r#"{"vm": "stopped", "task": null}"#).unwrap();
        assert_eq!(states.task, None);
        let err = serde_json::from_str::<States>(r#"{"vm": "melted", "task": null}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("unknown state 'melted'"), "{err}");
    }

    fn spec() -> BootSpec {
        BootSpec {
            server_id: "s".into(),
            name: "vm".into(),
            vcpus: 1,
            ram_mb: 64,
            disk_gb: 0,
            image: BootImage {
                id: "i".into(),
                name: None,
                disk_format: Some("raw".into()),
                container_format: Some("bare".into()),
                size: Some(3),
                data_path: Some("/data/i".into()),
                properties: BTreeMap::new(),
            },
            kernel: None,
            ramdisk: None,
            metadata: BTreeMap::new(),
            user_data: Some(b"#cloud-config\n".to_vec()),
            public_key: Some("ssh-ed25519 AAAA".into()),
            hostname: "vm".into(),
            nics: vec![BootNic {
                port_id: "p".into(),
                mac: "fa:16:3e:00:00:01".into(),
                fixed_ip: [10, 0, 0, 5].into(),
                cidr: "10.0.0.0/22".into(),
                gateway: Some([10, 0, 0, 1].into()),
                network_id: "n".into(),
                vif_type: "ovs".into(),
                mtu: Some(1442),
                dhcp: false,
                dns_nameservers: vec!["10.0.0.2".into()],
                host_routes: vec![BootRoute {
                    destination: "10.9.0.0/16".into(),
                    nexthop: "10.0.0.254".into(),
                }],
            }],
            key_name: Some("k".into()),
            key_type: Some("ssh".into()),
            project_id: "p1".into(),
            availability_zone: "nova".into(),
            admin_pass: Some(crate::nova::driver::Secret::new("Adm1n-pass-x")),
            config_drive: true,
            launch_index: 2,
            reservation_id: "r-00000007".into(),
            instance_number: 7,
            flavor_name: "m1.tiny".into(),
            security_groups: vec!["default".into()],
        }
    }

    #[test]
    fn boot_specs_round_trip_with_their_user_data_but_not_the_admin_password() {
        let spec = spec();
        let json = serde_json::to_string(&BootSpecRecord::from(&spec)).unwrap();
        assert!(!json.contains("Adm1n-pass-x"), "{json}");
        let back = serde_json::from_str::<BootSpecRecord>(&json)
            .unwrap()
            .into_spec();
        assert_eq!(back.user_data, spec.user_data);
        assert_eq!(back.image, spec.image);
        assert_eq!(back.public_key, spec.public_key);
        assert_eq!((&back.hostname, &back.nics), (&spec.hostname, &spec.nics));
        assert_eq!(back.admin_pass, None);
        let without_pass = BootSpec {
            admin_pass: None,
            ..spec
        };
        assert_eq!(format!("{back:?}"), format!("{without_pass:?}"));
    }

    #[test]
    fn a_boot_spec_record_of_an_older_cloud_still_loads() {
        // As the mock wrote them before servers had metadata (and, older still, NICs).
        let image = r#"{"id":"i","name":null,"disk_format":"raw","container_format":"bare","size":3,"data_path":"/data/i","properties":{}}"#;
        let with_nics = format!(
            r#"{{"server_id":"s","name":"vm","vcpus":1,"ram_mb":64,"disk_gb":0,"image":{image},"kernel":null,"ramdisk":null,"metadata":{{}},"user_data":null,"public_key":"ssh-ed25519 AAAA","hostname":"vm","nics":[{{"port_id":"p","mac":"fa:16:3e:00:00:01","fixed_ip":"10.0.0.5","cidr":"10.0.0.0/22","gateway":"10.0.0.1"}}]}}"#
        );
        let spec = serde_json::from_str::<BootSpecRecord>(&with_nics)
            .unwrap()
            .into_spec();
        assert_eq!(spec.nics.len(), 1);
        let nic = &spec.nics[0];
        assert!(nic.dhcp && nic.network_id.is_empty() && nic.mtu.is_none());
        assert_eq!(
            (
                spec.key_name,
                spec.project_id,
                spec.config_drive,
                spec.launch_index
            ),
            (None, String::new(), false, 0)
        );
        let without_nics = format!(
            r#"{{"server_id":"s","name":"vm","vcpus":1,"ram_mb":64,"disk_gb":0,"image":{image},"kernel":null,"ramdisk":null,"metadata":{{}},"user_data":null,"public_key":null}}"#
        );
        let mut record = serde_json::from_str::<BootSpecRecord>(&without_nics).unwrap();
        record.keep_config_drive();
        let spec = record.into_spec();
        assert!(spec.nics.is_empty() && spec.hostname.is_empty() && spec.config_drive);
    }
}
