//! The metadata Nova gives an instance (`nova/api/metadata/base.py`), as pure functions of
//! what the mock knows of the server: the OpenStack tree (`openstack/<version>/meta_data.json`,
//! `user_data`, `vendor_data.json`, `vendor_data2.json`, `network_data.json`, `password`) for
//! every version Nova serves and `latest`, and the EC2 tree (`<version>/meta-data/...`,
//! `user-data`). The metadata service ([`crate::nova::metadata_service`]) answers paths of it;
//! a config drive holds the files of [`Instance::config_drive_files`].
//!
//! Not to be confused with `nova::metadata`, the API of a server's `metadata` key/value pairs
//! (which the tree shows as `meta`).
//!
//! What the mock leaves out, having none of it: injected files (`files`, `openstack/content/`),
//! the network template, tagged devices (`devices` is `[]`) and dedicated CPUs (`[]`); vendor
//! data is Nova's default (`StaticJSON` without a file).

mod ec2;
mod network_data;
pub(crate) mod tree;

use std::collections::BTreeMap;

use base64::Engine;

use self::tree::Tree;
use crate::nova::driver::{BootNic, BootSpec, Secret};

/// Nova's EC2 versions, oldest first (`VERSIONS`); `latest` is the last.
pub(crate) const EC2_VERSIONS: &[&str] = &[
    "1.0",
    "2007-01-19",
    "2007-03-01",
    "2007-08-29",
    "2007-10-10",
    "2007-12-15",
    "2008-02-01",
    "2008-09-01",
    "2009-04-04",
];

/// Nova's OpenStack versions, oldest first (`OPENSTACK_VERSIONS`); `latest` is the last.
pub(crate) const OPENSTACK_VERSIONS: &[&str] = &[
    FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, OCATA, ROCKY, VICTORIA, EPOXY,
];

const FOLSOM: &str = "2012-08-10";
const GRIZZLY: &str = "2013-04-04";
const HAVANA: &str = "2013-10-17";
const LIBERTY: &str = "2015-10-15";
const NEWTON_ONE: &str = "2016-06-30";
const NEWTON_TWO: &str = "2016-10-06";
const OCATA: &str = "2017-02-22";
const ROCKY: &str = "2018-08-27";
const VICTORIA: &str = "2020-10-14";
const EPOXY: &str = "2025-04-04";

/// The EC2 versions a config drive holds: Nova's `config_drive_skip_versions` leaves out every
/// one before 2009-04-04 by default.
const CONFIG_DRIVE_EC2_VERSIONS: &[&str] = &["2009-04-04", "latest"];

/// The domain Nova appends to an instance's host name (`[api] dhcp_domain`).
pub(crate) const DHCP_DOMAIN: &str = "novalocal";

/// The availability zone of every server of the mock (Nova's default zone).
pub(crate) const AVAILABILITY_ZONE: &str = "nova";

/// The image property that makes Nova attach a config drive (`mandatory`) or leave it to the
/// request (`optional`, the default).
pub(crate) const IMAGE_CONFIG_DRIVE: &str = "img_config_drive";

/// How many random bytes `random_seed` holds.
const RANDOM_SEED_BYTES: usize = 512;

/// `Content-Type` of the JSON documents Nova marks as such.
pub(crate) const APPLICATION_JSON: &str = "application/json";
/// `Content-Type` of everything else.
pub(crate) const TEXT_PLAIN: &str = "text/plain";

/// The keypair the instance was made with, as Nova copied it into the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// Its name.
    pub(crate) name: String,
    /// `ssh` or `x509`.
    pub(crate) kind: String,
    /// The public key.
    pub(crate) public_key: String,
}

/// What Nova's metadata shows of one instance. Its `Debug` form hides the passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instance {
    /// The server's id (`uuid`).
    pub(crate) uuid: String,
    /// Its display name.
    pub(crate) name: String,
    /// Nova's host name of it, without the DHCP domain.
    pub(crate) hostname: String,
    /// The owning project.
    pub(crate) project_id: String,
    /// Its availability zone.
    pub(crate) availability_zone: String,
    /// Its place among the servers of its create request.
    pub(crate) launch_index: u32,
    /// The create request's reservation id.
    pub(crate) reservation_id: String,
    /// Nova's internal number of it (the EC2 `i-%08x`).
    pub(crate) number: u64,
    /// Its metadata (`meta`).
    pub(crate) metadata: BTreeMap<String, String>,
    /// Its keypair.
    pub(crate) key: Option<Key>,
    /// Its user data, decoded.
    pub(crate) user_data: Option<Vec<u8>>,
    /// The admin password: only a config drive shows it (Nova's libvirt driver passes it as
    /// extra metadata to the drive, never to the metadata service).
    pub(crate) admin_pass: Option<Secret>,
    /// What the guest posted to `openstack/<version>/password`.
    pub(crate) password: Option<Secret>,
    /// The image it booted.
    pub(crate) image_id: String,
    /// An ami's kernel image.
    pub(crate) kernel_id: Option<String>,
    /// An ami's ramdisk image.
    pub(crate) ramdisk_id: Option<String>,
    /// The flavor's name.
    pub(crate) flavor_name: String,
    /// The names of the security groups on its ports.
    pub(crate) security_groups: Vec<String>,
    /// Its floating IPs (EC2 `public-ipv4` is the first).
    pub(crate) floating_ips: Vec<String>,
    /// Its NICs (`network_data.json`; EC2 `local-ipv4` is the first's fixed IP).
    pub(crate) nics: Vec<BootNic>,
}

/// Where `random_seed`s come from: fresh random bytes for each document, as Nova reads
/// `os.urandom(512)` each time it writes one.
pub(crate) type Seeds<'a> = dyn FnMut() -> Vec<u8> + 'a;

/// 512 random bytes.
pub(crate) fn random_seed() -> Vec<u8> {
    (0..RANDOM_SEED_BYTES)
        .map(|_| rand::random::<u8>())
        .collect()
}

/// What a path of the metadata tree is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// A document or a listing.
    Found {
        /// The answer's body.
        body: Vec<u8>,
        /// Its `Content-Type`.
        content_type: &'static str,
    },
    /// `openstack/<version>/password`, which the service reads and writes itself.
    Password,
    /// Nothing there (404).
    NotFound,
}

impl Lookup {
    fn text(body: impl Into<Vec<u8>>) -> Lookup {
        Lookup::Found {
            body: body.into(),
            content_type: TEXT_PLAIN,
        }
    }

    fn json(tree: &Tree) -> Lookup {
        Lookup::Found {
            body: tree.json().into_bytes(),
            content_type: APPLICATION_JSON,
        }
    }
}

/// `version` as Nova resolves it: `latest` is the newest; `None` for one it does not know.
fn openstack_version(version: &str) -> Option<&'static str> {
    if version == "latest" {
        return OPENSTACK_VERSIONS.last().copied();
    }
    OPENSTACK_VERSIONS.iter().find(|v| **v == version).copied()
}

/// Whether the OpenStack `version` (resolved) is `required` or later.
fn at_least(version: &str, required: &str) -> bool {
    let place = |v: &str| OPENSTACK_VERSIONS.iter().position(|known| *known == v);
    matches!((place(version), place(required)), (Some(v), Some(r)) if v >= r)
}

/// The path's parts as Python's `posixpath.normpath` leaves them (no empty parts, `.` and
/// `..` resolved, never above the root).
fn path_parts(path: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts
}

/// Whether `path` is the service's root (`/`, however written).
pub(crate) fn is_root(path: &str) -> bool {
    path_parts(path).is_empty()
}

/// The listing of `/`: the EC2 versions and `latest`.
pub(crate) fn root_listing() -> Vec<u8> {
    let mut versions: Vec<&str> = EC2_VERSIONS.to_vec();
    versions.push("latest");
    versions.join("\n").into_bytes()
}

impl Instance {
    /// The instance as the server's boot spec describes it (for a config drive, with the
    /// admin password the driver was given).
    pub(crate) fn from_spec(spec: &BootSpec) -> Instance {
        let key = match (&spec.key_name, &spec.public_key) {
            (Some(name), Some(public_key)) => Some(Key {
                name: name.clone(),
                kind: spec.key_type.clone().unwrap_or_else(|| "ssh".to_owned()),
                public_key: public_key.clone(),
            }),
            _ => None,
        };
        Instance {
            uuid: spec.server_id.clone(),
            name: spec.name.clone(),
            hostname: spec.hostname.clone(),
            project_id: spec.project_id.clone(),
            availability_zone: if spec.availability_zone.is_empty() {
                AVAILABILITY_ZONE.to_owned()
            } else {
                spec.availability_zone.clone()
            },
            launch_index: spec.launch_index,
            reservation_id: spec.reservation_id.clone(),
            number: spec.instance_number,
            metadata: spec.metadata.clone(),
            key,
            user_data: spec.user_data.clone(),
            admin_pass: spec.admin_pass.clone(),
            password: None,
            image_id: spec.image.id.clone(),
            kernel_id: spec.kernel.as_ref().map(|image| image.id.clone()),
            ramdisk_id: spec.ramdisk.as_ref().map(|image| image.id.clone()),
            flavor_name: spec.flavor_name.clone(),
            security_groups: spec.security_groups.clone(),
            floating_ips: Vec::new(),
            nics: spec.nics.clone(),
        }
    }

    /// The host name the metadata gives: `<hostname>.novalocal`.
    pub(crate) fn fqdn(&self) -> String {
        format!("{}.{DHCP_DOMAIN}", self.hostname)
    }

    /// `meta_data.json` of the OpenStack `version` (resolved), with `seed` as its
    /// `random_seed`.
    pub(crate) fn meta_data(&self, version: &str, seed: &[u8]) -> Tree {
        let mut doc = Tree::map().with("uuid", &self.uuid);
        if !self.metadata.is_empty() {
            let meta = self
                .metadata
                .iter()
                .fold(Tree::map(), |meta, (k, v)| meta.with(k, v));
            doc.insert("meta", meta);
        }
        if let Some(admin_pass) = &self.admin_pass {
            doc.insert("admin_pass", admin_pass.expose().into());
        }
        if let Some(key) = &self.key {
            doc.insert("public_keys", Tree::map().with(&key.name, &key.public_key));
            doc.insert(
                "keys",
                Tree::List(vec![
                    Tree::map()
                        .with("name", &key.name)
                        .with("type", &key.kind)
                        .with("data", &key.public_key),
                ]),
            );
        }
        doc.insert("hostname", self.fqdn().into());
        doc.insert("name", (&self.name).into());
        doc.insert("launch_index", self.launch_index.into());
        doc.insert("availability_zone", (&self.availability_zone).into());
        if at_least(version, GRIZZLY) {
            let seed = base64::engine::general_purpose::STANDARD.encode(seed);
            doc.insert("random_seed", seed.into());
        }
        if at_least(version, LIBERTY) {
            doc.insert("project_id", (&self.project_id).into());
        }
        if at_least(version, NEWTON_ONE) {
            doc.insert("devices", Tree::List(Vec::new()));
        }
        if at_least(version, VICTORIA) {
            doc.insert("dedicated_cpus", Tree::List(Vec::new()));
        }
        doc
    }

    /// `network_data.json` (`{}` without a NIC, as Nova answers without network info).
    pub(crate) fn network_data(&self) -> Tree {
        network_data::network_data(&self.nics).unwrap_or_else(Tree::map)
    }

    /// `vendor_data.json`: Nova's `StaticJSON` provider without a file gives `{}`.
    fn vendor_data() -> Tree {
        Tree::map()
    }

    /// `vendor_data2.json`: each provider's data under its name.
    fn vendor_data2() -> Tree {
        Tree::map().with("static", Self::vendor_data())
    }

    /// The EC2 tree of `version`; see [`ec2::ec2_metadata`].
    pub(crate) fn ec2_metadata(&self, version: &str, address: Option<&str>) -> Option<Tree> {
        ec2::ec2_metadata(self, version, address)
    }

    /// The files of OpenStack `version` (resolved), as `_handle_version` lists them.
    fn listing(&self, version: &str) -> Vec<&'static str> {
        let mut names = vec!["meta_data.json"];
        if self.user_data.is_some() {
            names.push("user_data");
        }
        for (name, since) in [
            ("password", GRIZZLY),
            ("vendor_data.json", HAVANA),
            ("network_data.json", LIBERTY),
            ("vendor_data2.json", NEWTON_TWO),
        ] {
            if at_least(version, since) {
                names.push(name);
            }
        }
        names
    }

    /// What the metadata service answers for `path` (`InstanceMetadata.lookup`). Paths
    /// outside `/openstack` and `/ec2` are EC2 ones. `today` hides versions from the
    /// future from the `/openstack` listing; `address` is the requester's.
    pub(crate) fn lookup(
        &self,
        path: &str,
        seeds: &mut Seeds<'_>,
        today: jiff::civil::Date,
        address: Option<&str>,
    ) -> Lookup {
        let mut parts = path_parts(path);
        if !matches!(parts.first(), Some(&("ec2" | "openstack"))) {
            parts.insert(0, "ec2");
        }
        let (top, rest) = (parts[0], &parts[1..]);
        if rest.is_empty() {
            let versions: Vec<&str> = if top == "openstack" {
                let today = today.strftime("%Y-%m-%d").to_string();
                OPENSTACK_VERSIONS
                    .iter()
                    .copied()
                    .filter(|v| *v <= today.as_str())
                    .chain(["latest"])
                    .collect()
            } else {
                EC2_VERSIONS.iter().copied().chain(["latest"]).collect()
            };
            return Lookup::text(versions.join("\n"));
        }
        if top == "ec2" {
            return match self.ec2_metadata(rest[0], address) {
                Some(data) => match data.find(&rest[1..]) {
                    Some(found) => Lookup::text(found.md_print()),
                    None => Lookup::NotFound,
                },
                None => Lookup::NotFound,
            };
        }
        // `openstack/content/NNNN` would be an injected file; the mock has none.
        let Some(version) = openstack_version(rest[0]) else {
            return Lookup::NotFound;
        };
        let file = rest[1..].join("/");
        match file.as_str() {
            "" | "version" => Lookup::text(self.listing(version).join("\n")),
            "meta_data.json" => Lookup::json(&self.meta_data(version, &seeds())),
            "user_data" => match &self.user_data {
                Some(data) => Lookup::text(data.clone()),
                None => Lookup::NotFound,
            },
            "password" if at_least(version, GRIZZLY) => Lookup::Password,
            "vendor_data.json" if at_least(version, HAVANA) => Lookup::json(&Self::vendor_data()),
            "vendor_data2.json" if at_least(version, NEWTON_TWO) => {
                Lookup::json(&Self::vendor_data2())
            }
            // Nova serves it for every version, as text/plain.
            "network_data.json" => Lookup::text(self.network_data().json()),
            _ => Lookup::NotFound,
        }
    }

    /// The files of a config drive, as Nova's `metadata_for_config_drive` yields them: the
    /// EC2 tree of 2009-04-04 and `latest` (`meta-data.json`, `user-data`), then for each
    /// OpenStack version and `latest` its `meta_data.json`, `user_data`, `vendor_data.json`,
    /// `network_data.json` and `vendor_data2.json` (each from the version that has it).
    pub(crate) fn config_drive_files(&self, seeds: &mut Seeds<'_>) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for version in CONFIG_DRIVE_EC2_VERSIONS {
            let Some(mut data) = self.ec2_metadata(version, None) else {
                continue;
            };
            if let Some(Tree::Bytes(user_data)) = data.remove("user-data") {
                files.push((format!("ec2/{version}/user-data"), user_data));
            }
            let mut meta = data.remove("meta-data").unwrap_or_else(Tree::map);
            if let Some(key) = meta
                .get_mut("public-keys")
                .and_then(|keys| keys.get_mut("0"))
            {
                key.remove("_name");
            }
            files.push((
                format!("ec2/{version}/meta-data.json"),
                meta.json().into_bytes(),
            ));
        }
        for version in OPENSTACK_VERSIONS.iter().copied().chain(["latest"]) {
            let resolved = openstack_version(version).unwrap_or(EPOXY);
            let dir = format!("openstack/{version}");
            files.push((
                format!("{dir}/meta_data.json"),
                self.meta_data(resolved, &seeds()).json().into_bytes(),
            ));
            if let Some(user_data) = &self.user_data {
                files.push((format!("{dir}/user_data"), user_data.clone()));
            }
            if at_least(resolved, HAVANA) {
                files.push((
                    format!("{dir}/vendor_data.json"),
                    Self::vendor_data().json().into_bytes(),
                ));
            }
            if at_least(resolved, LIBERTY) {
                files.push((
                    format!("{dir}/network_data.json"),
                    self.network_data().json().into_bytes(),
                ));
            }
            if at_least(resolved, NEWTON_TWO) {
                files.push((
                    format!("{dir}/vendor_data2.json"),
                    Self::vendor_data2().json().into_bytes(),
                ));
            }
        }
        files
    }
}

#[cfg(test)]
impl Instance {
    /// A server with a key, metadata, user data and two ports, with fixed ids.
    pub(crate) fn example() -> Instance {
        let nic = |last: u8, port: &str, network: &str| BootNic {
            port_id: port.to_owned(),
            mac: format!("fa:16:3e:00:00:{last:02x}"),
            fixed_ip: [10, 0, 0, last].into(),
            cidr: "10.0.0.0/22".to_owned(),
            gateway: Some([10, 0, 0, 1].into()),
            network_id: network.to_owned(),
            vif_type: "ovs".to_owned(),
            mtu: Some(1442),
            dhcp: true,
            dns_nameservers: vec!["10.0.0.2".to_owned()],
            host_routes: Vec::new(),
        };
        Instance {
            uuid: "8f2b8c52-6c43-4f67-9b0e-3d5c1a7e2f10".to_owned(),
            name: "web 1".to_owned(),
            hostname: "web-1".to_owned(),
            project_id: "5c3e6a0d1f2b4c8e9a7d6b5c4e3f2a1b".to_owned(),
            availability_zone: AVAILABILITY_ZONE.to_owned(),
            launch_index: 0,
            reservation_id: "r-0000002a".to_owned(),
            number: 42,
            metadata: [("role", "webserver"), ("priority", "low")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            key: Some(Key {
                name: "mykey".to_owned(),
                kind: "ssh".to_owned(),
                public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests demo@host"
                    .to_owned(),
            }),
            user_data: Some(b"#cloud-config\nruncmd:\n - touch /ran\n".to_vec()),
            admin_pass: None,
            password: None,
            image_id: "0000abcd-1111-4222-8333-444455556666".to_owned(),
            kernel_id: None,
            ramdisk_id: None,
            flavor_name: "m1.small".to_owned(),
            security_groups: vec!["default".to_owned(), "ssh".to_owned()],
            floating_ips: vec!["127.42.0.7".to_owned()],
            nics: vec![
                nic(
                    5,
                    "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                    "11111111-2222-4333-8444-555555555555",
                ),
                nic(
                    9,
                    "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
                    "99999999-8888-4777-8666-555555555555",
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_seed() -> Vec<u8> {
        (0..RANDOM_SEED_BYTES).map(|i| (i % 251) as u8).collect()
    }

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 1, 1)
    }

    fn text(instance: &Instance, path: &str) -> String {
        match instance.lookup(path, &mut fixed_seed, today(), Some("10.0.0.5")) {
            Lookup::Found { body, .. } => String::from_utf8(body).unwrap(),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn meta_data_json_snapshots() {
        let instance = Instance::example();
        insta::assert_snapshot!(
            "meta_data_latest",
            text(&instance, "/openstack/latest/meta_data.json")
        );
        insta::assert_snapshot!(
            "meta_data_2012_08_10",
            text(&instance, "/openstack/2012-08-10/meta_data.json")
        );
        let drive = Instance {
            admin_pass: Some(Secret::new("Sekrit-123")),
            ..Instance::example()
        };
        let meta = drive.meta_data(EPOXY, &fixed_seed());
        assert_eq!(meta.get("admin_pass"), Some(&Tree::from("Sekrit-123")));
        assert!(!format!("{drive:?}").contains("Sekrit"));
    }

    #[test]
    fn network_data_json_snapshot() {
        insta::assert_snapshot!(text(
            &Instance::example(),
            "/openstack/latest/network_data.json"
        ));
        let alone = Instance {
            nics: Vec::new(),
            ..Instance::example()
        };
        assert_eq!(text(&alone, "/openstack/latest/network_data.json"), "{}");
    }

    #[test]
    fn ec2_meta_data_snapshots() {
        let instance = Instance::example();
        insta::assert_snapshot!("ec2_listing", text(&instance, "/latest/meta-data/"));
        let files = instance.config_drive_files(&mut fixed_seed);
        let ec2 = files
            .iter()
            .find(|(path, _)| path == "ec2/latest/meta-data.json")
            .map(|(_, body)| String::from_utf8(body.clone()).unwrap())
            .unwrap();
        insta::assert_snapshot!("ec2_meta_data_json", ec2);
    }

    #[test]
    fn ec2_paths_print_as_nova_prints_them() {
        let instance = Instance::example();
        assert_eq!(text(&instance, "/"), root_listing_text());
        assert_eq!(text(&instance, "/ec2"), root_listing_text());
        assert_eq!(text(&instance, "/2009-04-04"), "meta-data/\nuser-data");
        assert_eq!(text(&instance, "/latest/meta-data/public-keys"), "0=mykey");
        assert_eq!(
            text(&instance, "/latest/meta-data/public-keys/0/"),
            "openssh-key"
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/public-keys/0/openssh-key"),
            instance.key.as_ref().unwrap().public_key
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/placement/availability-zone"),
            "nova"
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/security-groups"),
            "default\nssh"
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/instance-id"),
            "i-0000002a"
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/public-ipv4"),
            "127.42.0.7"
        );
        assert_eq!(
            text(&instance, "/latest/meta-data/block-device-mapping"),
            "ami\nroot"
        );
        assert_eq!(
            text(&instance, "/ec2/latest/meta-data/hostname"),
            "web-1.novalocal"
        );
        assert_eq!(
            text(&instance, "/latest/user-data"),
            "#cloud-config\nruncmd:\n - touch /ran\n"
        );
        for missing in [
            "/latest/meta-data/nothing",
            "/2008-01-01/meta-data/",
            "/latest/meta-data/hostname/more",
        ] {
            assert_eq!(
                instance.lookup(missing, &mut fixed_seed, today(), None),
                Lookup::NotFound,
                "{missing}"
            );
        }
    }

    fn root_listing_text() -> String {
        String::from_utf8(root_listing()).unwrap()
    }

    #[test]
    fn openstack_paths_list_and_find_what_each_version_has() {
        let instance = Instance::example();
        assert_eq!(
            text(&instance, "/openstack"),
            "2012-08-10\n2013-04-04\n2013-10-17\n2015-10-15\n2016-06-30\n2016-10-06\n\
             2017-02-22\n2018-08-27\n2020-10-14\n2025-04-04\nlatest"
        );
        // Versions from the future are hidden from the listing, not refused.
        let early = instance.lookup(
            "/openstack/",
            &mut fixed_seed,
            jiff::civil::date(2016, 7, 1),
            None,
        );
        assert_eq!(
            early,
            Lookup::text("2012-08-10\n2013-04-04\n2013-10-17\n2015-10-15\n2016-06-30\nlatest")
        );
        assert_eq!(
            text(&instance, "/openstack/2012-08-10"),
            "meta_data.json\nuser_data"
        );
        assert_eq!(
            text(&instance, "/openstack/latest/"),
            "meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json"
        );
        assert_eq!(text(&instance, "/openstack/latest/vendor_data.json"), "{}");
        assert_eq!(
            text(&instance, "/openstack/latest/vendor_data2.json"),
            "{\"static\": {}}"
        );
        assert_eq!(
            text(&instance, "/openstack/./latest/../latest//user_data"),
            "#cloud-config\nruncmd:\n - touch /ran\n"
        );
        // Served though not listed, as Nova does.
        assert!(
            text(&instance, "/openstack/2012-08-10/network_data.json").starts_with("{\"links\"")
        );
        let lookup =
            |path: &str, instance: &Instance| instance.lookup(path, &mut fixed_seed, today(), None);
        assert_eq!(
            lookup("/openstack/latest/password", &instance),
            Lookup::Password
        );
        for missing in [
            "/openstack/2012-08-10/password",
            "/openstack/2012-08-10/vendor_data.json",
            "/openstack/2016-06-30/vendor_data2.json",
            "/openstack/2011-01-01/meta_data.json",
            "/openstack/latest/nothing",
            "/openstack/content/0000",
            "/openstack/latest/content",
        ] {
            assert_eq!(lookup(missing, &instance), Lookup::NotFound, "{missing}");
        }
        let quiet = Instance {
            user_data: None,
            ..Instance::example()
        };
        assert_eq!(
            lookup("/openstack/latest/user_data", &quiet),
            Lookup::NotFound
        );
        assert_eq!(lookup("/latest/user-data", &quiet), Lookup::NotFound);
        let Lookup::Found { content_type, .. } =
            lookup("/openstack/latest/meta_data.json", &instance)
        else {
            panic!()
        };
        assert_eq!(content_type, APPLICATION_JSON);
        let Lookup::Found { content_type, .. } =
            lookup("/openstack/latest/network_data.json", &instance)
        else {
            panic!()
        };
        assert_eq!(content_type, TEXT_PLAIN);
    }

    #[test]
    fn a_config_drive_holds_nova_s_files() {
        let instance = Instance {
            admin_pass: Some(Secret::new("Sekrit-123")),
            ..Instance::example()
        };
        let mut seeds = 0u8;
        let mut next_seed = || {
            seeds += 1;
            vec![seeds; 4]
        };
        let files = instance.config_drive_files(&mut next_seed);
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        insta::assert_snapshot!("config_drive_paths", paths.join("\n"));
        let latest = &files
            .iter()
            .find(|(path, _)| path == "openstack/latest/meta_data.json")
            .unwrap()
            .1;
        let latest = String::from_utf8(latest.clone()).unwrap();
        assert!(
            latest.contains("\"admin_pass\": \"Sekrit-123\""),
            "{latest}"
        );
        // Each document has a seed of its own.
        let seeds_seen: std::collections::BTreeSet<String> = files
            .iter()
            .filter(|(path, _)| path.ends_with("meta_data.json"))
            .filter_map(|(_, body)| {
                let body = String::from_utf8(body.clone()).unwrap();
                body.split("\"random_seed\": \"")
                    .nth(1)
                    .map(|s| s[..8].to_owned())
            })
            .collect();
        assert_eq!(seeds_seen.len(), 10, "{seeds_seen:?}");
        let ec2 = files
            .iter()
            .find(|(path, _)| path == "ec2/2009-04-04/meta-data.json")
            .unwrap();
        assert!(!String::from_utf8_lossy(&ec2.1).contains("_name"));
        // The metadata service never shows the admin password.
        assert!(
            !text(&Instance::example(), "/openstack/latest/meta_data.json").contains("admin_pass")
        );
    }
}
