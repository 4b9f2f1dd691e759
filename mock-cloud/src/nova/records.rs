//! Nova's records in the state database: flavors, keypairs, servers with their state, what
//! each server's driver was asked to boot (to take it back after a restart), and the server
//! counter. Servers keep their `vm_state` and `task_state` as Nova's names.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};

use super::driver::{BootImage, BootNic, BootSpec};
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

/// A [`BootSpec`] as saved (the user data in base64).
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
}

/// A [`BootNic`] as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NicRecord {
    port_id: String,
    mac: String,
    fixed_ip: Ipv4Addr,
    cidr: String,
    gateway: Option<Ipv4Addr>,
}

impl From<&BootNic> for NicRecord {
    fn from(nic: &BootNic) -> Self {
        NicRecord {
            port_id: nic.port_id.clone(),
            mac: nic.mac.clone(),
            fixed_ip: nic.fixed_ip,
            cidr: nic.cidr.clone(),
            gateway: nic.gateway,
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
        }
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

    #[test]
    fn boot_specs_round_trip_with_their_user_data() {
        let spec = BootSpec {
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
            }],
        };
        let json = serde_json::to_string(&BootSpecRecord::from(&spec)).unwrap();
        let back = serde_json::from_str::<BootSpecRecord>(&json)
            .unwrap()
            .into_spec();
        assert_eq!(back.user_data, spec.user_data);
        assert_eq!(back.image, spec.image);
        assert_eq!(back.public_key, spec.public_key);
        assert_eq!((back.hostname, back.nics), (spec.hostname, spec.nics));
    }
}
