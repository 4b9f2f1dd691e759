//! Every Glance operation as a plain [`Request`], before anything is sent. The builders with
//! options ([`ListImages`](super::ListImages), [`CreateImage`](super::CreateImage),
//! [`UpdateImage`](super::UpdateImage)) make theirs; the fixed ones are here.

use serde_json::json;

use super::model::{ImageId, MemberStatus};
use crate::request::{Request, ServiceType, segment};

fn image_path(id: &ImageId) -> String {
    format!("/images/{}", segment(id.as_str()))
}

/// `GET /images/{id}`. Glance answers 404 for any unknown string, names included.
pub(crate) fn get(id: &ImageId) -> Request {
    Request::get(ServiceType::Image, image_path(id))
}

/// `DELETE /images/{id}`.
pub(crate) fn delete(id: &ImageId) -> Request {
    Request::delete(ServiceType::Image, image_path(id))
}

/// `PUT /images/{id}/file`: the data, streamed, with its size when known.
pub(crate) fn upload(id: &ImageId, size: Option<u64>) -> Request {
    let request = Request::put(ServiceType::Image, format!("{}/file", image_path(id)))
        .header("Content-Type", "application/octet-stream")
        .stream(size);
    match size {
        Some(size) => request.header("x-openstack-image-size", size.to_string()),
        None => request,
    }
}

/// `GET /images/{id}/file`: the data.
pub(crate) fn download(id: &ImageId) -> Request {
    Request::get(ServiceType::Image, format!("{}/file", image_path(id)))
        .header("Accept", "application/octet-stream")
}

/// `PUT /images/{id}/stage`: data for a later `glance-direct` import.
pub(crate) fn stage(id: &ImageId, size: Option<u64>) -> Request {
    let request = Request::put(ServiceType::Image, format!("{}/stage", image_path(id)))
        .header("Content-Type", "application/octet-stream")
        .stream(size);
    match size {
        Some(size) => request.header("x-openstack-image-size", size.to_string()),
        None => request,
    }
}

/// An import method with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportMethod {
    /// Import the data staged with PUT /stage.
    GlanceDirect,
    /// Glance downloads the data from `uri`.
    WebDownload {
        /// Where Glance fetches the data.
        uri: String,
    },
}

/// `POST /images/{id}/import`.
pub(crate) fn import(id: &ImageId, method: &ImportMethod) -> Request {
    let body = match method {
        ImportMethod::GlanceDirect => json!({"method": {"name": "glance-direct"}}),
        ImportMethod::WebDownload { uri } => {
            json!({"method": {"name": "web-download", "uri": uri}})
        }
    };
    Request::post(ServiceType::Image, format!("{}/import", image_path(id))).json(body)
}

/// `GET /info/stores`: the stores of a multi-store Glance.
pub(crate) fn stores() -> Request {
    Request::get(ServiceType::Image, "/info/stores")
}

/// `GET /info/import`: the import methods the cloud offers.
pub(crate) fn import_info() -> Request {
    Request::get(ServiceType::Image, "/info/import")
}

/// `PUT /images/{id}/tags/{tag}`.
pub(crate) fn add_tag(id: &ImageId, tag: &str) -> Request {
    Request::put(
        ServiceType::Image,
        format!("{}/tags/{}", image_path(id), segment(tag)),
    )
}

/// `DELETE /images/{id}/tags/{tag}`.
pub(crate) fn remove_tag(id: &ImageId, tag: &str) -> Request {
    Request::delete(
        ServiceType::Image,
        format!("{}/tags/{}", image_path(id), segment(tag)),
    )
}

/// `POST /images/{id}/members`: shares the image with a project.
pub(crate) fn add_member(id: &ImageId, project_id: &str) -> Request {
    Request::post(ServiceType::Image, format!("{}/members", image_path(id)))
        .json(json!({"member": project_id}))
}

/// `GET /images/{id}/members`.
pub(crate) fn list_members(id: &ImageId) -> Request {
    Request::get(ServiceType::Image, format!("{}/members", image_path(id)))
}

/// `GET /images/{id}/members/{project}`.
pub(crate) fn get_member(id: &ImageId, project_id: &str) -> Request {
    Request::get(
        ServiceType::Image,
        format!("{}/members/{}", image_path(id), segment(project_id)),
    )
}

/// `PUT /images/{id}/members/{project}`: the member's answer.
pub(crate) fn set_member_status(id: &ImageId, project_id: &str, status: &MemberStatus) -> Request {
    Request::put(
        ServiceType::Image,
        format!("{}/members/{}", image_path(id), segment(project_id)),
    )
    .json(json!({"status": status}))
}

/// `DELETE /images/{id}/members/{project}`.
pub(crate) fn remove_member(id: &ImageId, project_id: &str) -> Request {
    Request::delete(
        ServiceType::Image,
        format!("{}/members/{}", image_path(id), segment(project_id)),
    )
}

/// `POST /images/{id}/actions/deactivate`. Doing it twice is harmless, so it may be retried.
pub(crate) fn deactivate(id: &ImageId) -> Request {
    Request::post(
        ServiceType::Image,
        format!("{}/actions/deactivate", image_path(id)),
    )
    .idempotent(true)
}

/// `POST /images/{id}/actions/reactivate`. Doing it twice is harmless, so it may be retried.
pub(crate) fn reactivate(id: &ImageId) -> Request {
    Request::post(
        ServiceType::Image,
        format!("{}/actions/reactivate", image_path(id)),
    )
    .idempotent(true)
}

#[cfg(test)]
mod tests {
    use super::super::{
        Comparison, ContainerFormat, DiskFormat, ImageClient, ImageStatus, Images, MemberStatus,
        SortDir, Visibility,
    };
    use super::*;

    fn images() -> Images {
        ImageClient::new(crate::testing::offline_session()).images()
    }

    fn id() -> ImageId {
        ImageId::new("1bea47ed-f6a9-463b-b423-14b9cca9ad27")
    }

    macro_rules! snap {
        ($name:literal, $request:expr) => {
            insta::assert_json_snapshot!($name, $request.redacted());
        };
    }

    #[test]
    fn fixed_operations() {
        let id = id();
        snap!("get", get(&id));
        snap!("get_by_name", get(&ImageId::new("my image/v1?")));
        snap!("delete", delete(&id));
        snap!("upload_sized", upload(&id, Some(1_048_576)));
        snap!("upload_unsized", upload(&id, None));
        snap!("download", download(&id));
        snap!("stage", stage(&id, Some(42)));
        snap!(
            "import_glance_direct",
            import(&id, &ImportMethod::GlanceDirect)
        );
        snap!(
            "import_web_download",
            import(
                &id,
                &ImportMethod::WebDownload {
                    uri: "https://cloud-images.example/debian-13.qcow2".into()
                }
            )
        );
        snap!("import_info", import_info());
        snap!("stores", stores());
        snap!("add_tag", add_tag(&id, "golden image"));
        snap!("remove_tag", remove_tag(&id, "golden image"));
        snap!(
            "add_member",
            add_member(&id, "a2f0c1d6e0b34d1c9a7e1e8b9f0a1b2c")
        );
        snap!("list_members", list_members(&id));
        snap!(
            "get_member",
            get_member(&id, "a2f0c1d6e0b34d1c9a7e1e8b9f0a1b2c")
        );
        snap!(
            "set_member_status",
            set_member_status(
                &id,
                "a2f0c1d6e0b34d1c9a7e1e8b9f0a1b2c",
                &MemberStatus::Accepted
            )
        );
        snap!(
            "remove_member",
            remove_member(&id, "a2f0c1d6e0b34d1c9a7e1e8b9f0a1b2c")
        );
        snap!("deactivate", deactivate(&id));
        snap!("reactivate", reactivate(&id));
    }

    #[test]
    fn list_requests() {
        snap!("list_default", images().list().request().unwrap());
        let every_filter = images()
            .list()
            .name("cirros")
            .status(ImageStatus::Active)
            .visibility(Visibility::Community)
            .owner("p1")
            .member_status(MemberStatus::Pending)
            .tag("a")
            .tag("b")
            .os_hidden(true)
            .protected(false)
            .size_min(1024)
            .size_max(1 << 30)
            .disk_format(DiskFormat::Qcow2)
            .container_format(ContainerFormat::Bare)
            .created_at(Comparison::Gte, "2024-05-01T00:00:00Z".parse().unwrap())
            .updated_at(Comparison::Lt, "2025-01-01T12:30:00Z".parse().unwrap())
            .property("os_distro", "debian")
            .sort_by("name", SortDir::Asc)
            .sort_by("created_at", SortDir::Desc)
            .limit(50)
            .marker(id());
        snap!("list_every_filter", every_filter.request().unwrap());
        let in_lists = images()
            .list()
            .name_in(["a", "b,c"])
            .id_in([id()])
            .status_in([ImageStatus::Active, ImageStatus::Queued])
            .disk_format_in([DiskFormat::Raw, DiskFormat::Qcow2])
            .container_format_in([ContainerFormat::Bare, ContainerFormat::Ovf])
            .all_visibilities()
            .all_member_statuses()
            .sort("name:asc,size:desc");
        snap!("list_in_lists_and_sort", in_lists.request().unwrap());
    }

    #[test]
    fn create_and_update_requests() {
        let create = images()
            .create("debian-13")
            .id(id())
            .disk_format(DiskFormat::Qcow2)
            .container_format(ContainerFormat::Bare)
            .visibility(Visibility::Private)
            .protected(true)
            .os_hidden(false)
            .min_disk(2)
            .min_ram(512)
            .tag("golden")
            .property("os_distro", "debian")
            .kernel_id(&ImageId::new("k-1"))
            .ramdisk_id(&ImageId::new("r-1"));
        snap!("create", create.request().unwrap());
        let current: super::super::Image = serde_json::from_value(json!({
            "id": id(), "status": "active", "name": "cirros", "visibility": "private",
            "protected": false, "os_hidden": false, "min_disk": 0, "min_ram": 0, "tags": [],
            "os_distro": "cirros", "build": "1"
        }))
        .unwrap();
        let update = images()
            .update(id())
            .name("cirros-0.6")
            .visibility(Visibility::Public)
            .protected(true)
            .min_disk(1)
            .min_ram(128)
            .os_hidden(true)
            .add_tag("golden")
            .property("os_distro", "cirros-ng")
            .property("hw_disk_bus", "virtio")
            .remove_property("build")
            .kernel_id(&ImageId::new("k-1"))
            .ramdisk_id(&ImageId::new("r-1"));
        snap!("update", update.request(&current).unwrap().unwrap());
    }
}
