//! The EC2-compatible tree (`/<version>/meta-data/...` and `user-data`), as Nova's
//! `InstanceMetadata.get_ec2_metadata` builds it for each of its EC2 versions.

use super::tree::Tree;
use super::{EC2_VERSIONS, Instance};

/// The root device every server of the mock has (Nova's `root_device_name`).
const ROOT_DEVICE: &str = "/dev/vda";

/// Whether `version` (an EC2 version, never `latest`) is `required` or later.
fn at_least(version: &str, required: &str) -> bool {
    let place = |v: &str| EC2_VERSIONS.iter().position(|known| *known == v);
    matches!((place(version), place(required)), (Some(v), Some(r)) if v >= r)
}

/// The EC2 number of a Glance image. Nova numbers images in the order it first meets them
/// (its `S3ImageMapping` table); the mock reads one from the id's first 32 bits instead, so
/// that an image has the same EC2 id whichever server shows it.
fn image_number(id: &str) -> u32 {
    let hex: String = id.chars().filter(|c| *c != '-').take(8).collect();
    u32::from_str_radix(&hex, 16).unwrap_or(0)
}

/// `{"meta-data": {...}, "user-data": bytes}` for `version` (`latest` is the newest), or
/// `None` for a version Nova does not know. `address` is the requester's (the metadata
/// service's `X-Forwarded-For`): `local-ipv4` when the server has no fixed IPv4.
pub(crate) fn ec2_metadata(
    instance: &Instance,
    version: &str,
    address: Option<&str>,
) -> Option<Tree> {
    let version = match version {
        "latest" => EC2_VERSIONS[EC2_VERSIONS.len() - 1],
        known if EC2_VERSIONS.contains(&known) => known,
        _ => return None,
    };
    let hostname = instance.fqdn();
    let fixed_ip = instance.nics.first().map(|nic| nic.fixed_ip.to_string());
    let local_ipv4: Tree = match fixed_ip {
        Some(ip) => ip.into(),
        None => address.into(),
    };
    let groups: Vec<Tree> = instance.security_groups.iter().map(Tree::from).collect();
    let mut meta = Tree::map()
        .with(
            "ami-id",
            format!("ami-{:08x}", image_number(&instance.image_id)),
        )
        .with("ami-launch-index", instance.launch_index)
        .with("ami-manifest-path", "FIXME")
        .with("instance-id", format!("i-{:08x}", instance.number))
        .with("hostname", &hostname)
        .with("local-ipv4", local_ipv4)
        .with("reservation-id", &instance.reservation_id)
        .with("security-groups", groups);
    if let Some(key) = &instance.key {
        meta.insert(
            "public-keys",
            Tree::map().with(
                "0",
                Tree::map()
                    .with("_name", format!("0={}", key.name))
                    .with("openssh-key", &key.public_key),
            ),
        );
    }
    if at_least(version, "2007-01-19") {
        meta.insert("local-hostname", hostname.clone().into());
        meta.insert("public-hostname", hostname.into());
        meta.insert(
            "public-ipv4",
            instance
                .floating_ips
                .first()
                .cloned()
                .unwrap_or_default()
                .into(),
        );
    }
    if at_least(version, "2007-08-29") {
        meta.insert("instance-type", (&instance.flavor_name).into());
    }
    if at_least(version, "2007-12-15") {
        meta.insert(
            "block-device-mapping",
            Tree::map()
                .with("ami", ROOT_DEVICE.trim_start_matches("/dev/"))
                .with("root", ROOT_DEVICE),
        );
        if let Some(kernel) = &instance.kernel_id {
            meta.insert(
                "kernel-id",
                format!("aki-{:08x}", image_number(kernel)).into(),
            );
        }
        if let Some(ramdisk) = &instance.ramdisk_id {
            meta.insert(
                "ramdisk-id",
                format!("ari-{:08x}", image_number(ramdisk)).into(),
            );
        }
    }
    if at_least(version, "2008-02-01") {
        meta.insert(
            "placement",
            Tree::map().with("availability-zone", &instance.availability_zone),
        );
    }
    if at_least(version, "2008-09-01") {
        meta.insert("instance-action", "none".into());
    }
    let mut data = Tree::map().with("meta-data", meta);
    if let Some(user_data) = &instance.user_data {
        data.insert("user-data", Tree::Bytes(user_data.clone()));
    }
    Some(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_numbers_come_from_the_id() {
        assert_eq!(image_number("0000002a-0000-4000-8000-000000000000"), 42);
        assert_eq!(image_number("ffffffff-ffff"), u32::MAX);
        assert_eq!(image_number("not-hex"), 0);
    }

    #[test]
    fn versions_add_their_keys() {
        let instance = Instance::example();
        let keys = |version: &str| -> Vec<String> {
            let data = ec2_metadata(&instance, version, None).unwrap();
            String::from_utf8(data.get("meta-data").unwrap().md_print())
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        };
        let first = keys("1.0");
        assert!(!first.contains(&"local-hostname".to_owned()), "{first:?}");
        assert!(first.contains(&"public-keys/".to_owned()), "{first:?}");
        let newest = keys("2009-04-04");
        assert_eq!(newest, keys("latest"));
        for key in [
            "placement/",
            "instance-action",
            "instance-type",
            "block-device-mapping/",
        ] {
            assert!(newest.contains(&key.to_owned()), "{key}: {newest:?}");
        }
        assert_eq!(ec2_metadata(&instance, "2008-01-01", None), None);
    }

    #[test]
    fn local_ipv4_falls_back_to_the_requester() {
        let instance = Instance {
            nics: Vec::new(),
            ..Instance::example()
        };
        let data = ec2_metadata(&instance, "latest", Some("10.0.0.9")).unwrap();
        assert_eq!(
            data.find(&["meta-data", "local-ipv4"]),
            Some(&Tree::from("10.0.0.9"))
        );
        let data = ec2_metadata(&instance, "latest", None).unwrap();
        assert_eq!(data.find(&["meta-data", "local-ipv4"]), Some(&Tree::Null));
    }
}
