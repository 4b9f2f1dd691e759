//! Decoding Glance's own responses (testdata/responses/glance): every base field typed,
//! every extra property kept, surprises tolerated, and wrong types reported with their path.

use ferrostack::image::{
    ContainerFormat, DiskFormat, Image, ImageId, ImagePage, ImageStatus, ImportInfo,
    ImportMethodName, Member, MemberStatus, Visibility,
};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../testdata/responses/glance/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes as the session does, so errors carry the JSON path.
fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| format!("{} at {}", e.inner(), e.path()))
}

#[test]
fn an_active_image_with_extra_properties() {
    let image: Image = decode(&fixture("image-show.json")).unwrap();
    assert_eq!(
        image.id,
        ImageId::new("5cd2c6e3-5e4b-4c8a-9d7b-2a4f1b0c9e11")
    );
    assert_eq!(image.status, ImageStatus::Active);
    assert_eq!(image.disk_format, Some(DiskFormat::Qcow2));
    assert_eq!(image.container_format, Some(ContainerFormat::Bare));
    assert_eq!(image.visibility, Visibility::Public);
    assert!(image.protected);
    assert_eq!((image.min_disk, image.min_ram), (3, 512));
    assert_eq!(image.size, Some(339_017_216));
    assert_eq!(image.virtual_size, Some(3_221_225_472));
    assert_eq!(image.os_distro(), Some("debian"));
    assert_eq!(image.os_version(), Some("13"));
    assert_eq!(image.architecture(), Some("x86_64"));
    assert_eq!(image.stores(), vec!["file"]);
    assert_eq!(image.property("hw_disk_bus"), Some("scsi"));
    assert_eq!(image.property("owner_specified.openstack.md5"), Some(""));
    assert_eq!(
        image.created_at.unwrap().to_string(),
        "2025-09-01T08:12:44Z"
    );
    assert!(image.kernel_id().is_none());
    // Base fields never leak into the property map.
    assert!(!image.properties.contains_key("status"));
    assert_eq!(image.properties.len(), 10, "{:?}", image.properties.keys());
}

#[test]
fn a_queued_image_has_nulls_where_data_would_be() {
    let image: Image = decode(&fixture("image-create-queued.json")).unwrap();
    assert_eq!(image.status, ImageStatus::Queued);
    assert_eq!(image.visibility, Visibility::Shared);
    assert_eq!(image.size, None);
    assert_eq!(image.checksum, None);
    assert_eq!(image.os_hash_algo, None);
    assert!(image.properties.is_empty());
}

#[test]
fn list_pages_and_the_three_part_image() {
    let first: ImagePage = decode(&fixture("images-list-first.json")).unwrap();
    assert_eq!(
        first.next.as_deref(),
        Some("/v2/images?marker=a4e3d5c4-6d9c-4d0e-9f6e-7e0c1f6c8b02&limit=2")
    );
    let machine = &first.images[0];
    assert_eq!(machine.disk_format, Some(DiskFormat::Ami));
    assert_eq!(
        machine.kernel_id(),
        Some(ImageId::new("0a7a4a64-4f4b-4d7c-8f53-7b1d1b0d5e01"))
    );
    assert_eq!(machine.ramdisk_id(), Some(first.images[1].id.clone()));
    assert_eq!(first.images[1].container_format, Some(ContainerFormat::Ari));
    let last: ImagePage = decode(&fixture("images-list-last.json")).unwrap();
    assert_eq!(last.next, None);
    assert_eq!(last.images[0].disk_format, Some(DiskFormat::Aki));
}

#[test]
fn surprises_are_kept_not_fatal() {
    let image: Image = decode(&fixture("image-surprises.json")).unwrap();
    assert_eq!(image.status, ImageStatus::Unknown("exporting".into()));
    assert_eq!(image.disk_format, Some(DiskFormat::Unknown("zvol".into())));
    assert_eq!(
        image.container_format,
        Some(ContainerFormat::Unknown("lxd".into()))
    );
    assert_eq!(image.visibility, Visibility::Unknown("tenant-only".into()));
    assert_eq!(image.name, None);
    assert!(image.os_hidden);
    assert_eq!(
        image.created_at.unwrap().to_string(),
        "2026-11-28T10:00:00.123456Z"
    );
    assert_eq!(
        image.updated_at.unwrap().to_string(),
        "2026-11-28T10:00:01Z"
    );
    assert_eq!(image.stores(), vec!["ceph", "file"]);
    assert!(image.direct_url().unwrap().starts_with("rbd://"));
    assert!(image.properties["locations"].is_array());
    assert_eq!(image.property("custom_vendor_key"), Some("42"));
    // Round trip: what we decoded serializes back to the same keys.
    let again: Image = serde_json::from_value(serde_json::to_value(&image).unwrap()).unwrap();
    assert_eq!(again, image);
}

#[test]
fn a_failed_import_is_visible() {
    let image: Image = decode(&fixture("image-import-failed.json")).unwrap();
    assert_eq!(image.property("os_glance_failed_import"), Some("file"));
}

#[test]
fn import_info_and_members() {
    let info: ImportInfo = decode(&fixture("info-import.json")).unwrap();
    assert!(info.offers(&ImportMethodName::GlanceDirect));
    assert!(info.offers(&ImportMethodName::WebDownload));
    assert!(info.offers(&ImportMethodName::GlanceDownload));
    let member: Member = decode(&fixture("member.json")).unwrap();
    assert_eq!(member.status, MemberStatus::Accepted);
    assert_eq!(member.member_id, "a2f0c1d6e0b34d1c9a7e1e8b9f0a1b2c");
    #[derive(serde::Deserialize)]
    struct Members {
        members: Vec<Member>,
    }
    let list: Members = decode(&fixture("members-list.json")).unwrap();
    assert_eq!(list.members[0].status, MemberStatus::Pending);
}

#[test]
fn wrong_types_name_their_json_path() {
    let broken =
        fixture("images-list-first.json").replace("\"size\": 4979632", "\"size\": \"big\"");
    let err = decode::<ImagePage>(&broken).unwrap_err();
    assert!(err.ends_with("at images[1].size"), "{err}");
    let broken = fixture("image-show.json").replace("\"2025-09-01T08:13:02Z\"", "\"yesterday\"");
    let err = decode::<Image>(&broken).unwrap_err();
    assert!(err.contains("\"yesterday\""), "{err}");
    assert!(err.ends_with("at updated_at"), "{err}");
    let broken = fixture("image-show.json").replace(
        "\"tags\": [\"golden\", \"debian\"]",
        "\"tags\": [\"golden\", 7]",
    );
    let err = decode::<Image>(&broken).unwrap_err();
    assert!(err.ends_with("at tags[1]"), "{err}");
}
