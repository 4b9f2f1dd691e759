//! The Glance cases: discovery, schemas, create, show, patch, tags, upload (and the format
//! gate), the aki/ari/ami trio, download and ranges, members and visibility, protected, delete.

use serde_json::json;

use super::{Case, PATCH, Svc, Who, case, raw_bytes};

/// Why the mock's queued image shows no `stores` after a refused upload (also in mock-cloud's
/// `glance.rs` list of deliberate differences).
const REFUSED_BYTES_DISCARDED: &str = "Glance 33 keeps the bytes the format gate refused in \
     its store, so its queued image lists a store (and a checksum) for data it refused to \
     accept; the mock discards them, as a client retrying the upload expects an empty image";

/// The image cases, in order (later ones use what earlier ones capture).
pub fn cases() -> Vec<Case> {
    use Svc::Image as G;
    use Who::{Admin, Bogus, Demo, Nobody};
    let raw = raw_bytes();
    let small: Vec<u8> = b"a kernel, or something the size of one".to_vec();
    vec![
        // Glance: discovery and listing
        case("image root", G, Nobody, "GET", "/"),
        case("image /versions", G, Nobody, "GET", "/versions"),
        case("image /v2", G, Nobody, "GET", "/v2"),
        case("image /v2/", G, Nobody, "GET", "/v2/"),
        case("image /v2 with a token", G, Admin, "GET", "/v2"),
        case("image /v2/ with a token", G, Admin, "GET", "/v2/"),
        case("image list (empty)", G, Admin, "GET", "/v2/images"),
        case("image list without token", G, Nobody, "GET", "/v2/images"),
        case("image list with bogus token", G, Bogus, "GET", "/v2/images"),
        case("image schema", G, Admin, "GET", "/v2/schemas/image"),
        case("images schema", G, Admin, "GET", "/v2/schemas/images"),
        case("member schema", G, Admin, "GET", "/v2/schemas/member"),
        case("members schema", G, Admin, "GET", "/v2/schemas/members"),
        case("import info", G, Admin, "GET", "/v2/info/import"),
        case("stores info", G, Admin, "GET", "/v2/info/stores"),
        // create
        case("create raw", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-raw", "disk_format": "raw", "container_format": "bare", "visibility": "private"}))
            .capture("raw", "/id"),
        case("create with fixed id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "fixed", "disk_format": "raw", "container_format": "bare"})),
        case("create duplicate id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "11111111-2222-3333-4444-555555555555", "name": "dup"})),
        case("create with a non-uuid id", G, Admin, "POST", "/v2/images")
            .json(json!({"id": "not-a-uuid", "name": "x"})),
        case("create without token", G, Nobody, "POST", "/v2/images")
            .json(json!({"name": "x"})),
        case("create with self (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "self": "/v2/images/x"})),
        case("create with file (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "file": "/v2/images/x/file"})),
        case("create with stores (forbidden)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "stores": "fs"})),
        case("create with location (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "location": "http://example.invalid/x"})),
        case("create with os_glance key (reserved)", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "os_glance_foo": "bar"})),
        case("create with 256-char key", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "k".repeat(256): "v"})),
        case("create with a non-string property", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "os_distro": 7})),
        case("create with bad disk_format", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "disk_format": "floppy"})),
        case("create with bad container_format", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "container_format": "crate"})),
        case("create with bad visibility", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "x", "visibility": "everyone"})),
        case("create without formats", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "no-formats"}))
            .capture("noformat", "/id"),
        case("create qcow2", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-qcow2", "disk_format": "qcow2", "container_format": "bare"}))
            .capture("qcow2", "/id"),
        case("member cannot publicize", G, Demo, "POST", "/v2/images")
            .json(json!({"name": "x", "visibility": "public"})),
        case("member creates a community image", G, Demo, "POST", "/v2/images")
            .json(json!({"name": "diff-demo", "visibility": "community", "tags": ["demo"]}))
            .capture("demo_img", "/id"),
        // show
        case("show", G, Admin, "GET", "/v2/images/{raw}"),
        case("show unknown uuid", G, Admin, "GET", "/v2/images/00000000-0000-0000-0000-000000000000"),
        case("show non-uuid", G, Admin, "GET", "/v2/images/not-a-uuid"),
        case("show other project's private image", G, Demo, "GET", "/v2/images/{raw}"),
        case("show a community image of another project", G, Admin, "GET", "/v2/images/{demo_img}"),
        case("download with no data", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("download unknown image", G, Admin, "GET", "/v2/images/00000000-0000-0000-0000-000000000000/file"),
        // patch
        case("patch: wrong content type", G, Admin, "PATCH", "/v2/images/{raw}")
            .json(json!([{"op": "replace", "path": "/name", "value": "y"}])),
        case("patch: replace name", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "diff-raw-2"}])),
        case("patch: add property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_distro", "value": "cirros"}])),
        case("patch: replace property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/os_distro", "value": "debian"}])),
        case("patch: remove property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "remove", "path": "/os_distro"}])),
        case("patch: kernel_id and ramdisk_id", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/kernel_id", "value": "{qcow2}"},
                {"op": "add", "path": "/ramdisk_id", "value": "{noformat}"}])),
        case("patch: kernel_id not a uuid", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/kernel_id", "value": "vmlinuz"}])),
        case("patch: replace tags", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/tags", "value": ["red", "green"]}])),
        case("patch: non-string property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_version", "value": 12}])),
        case("patch: remove missing property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "remove", "path": "/no_such_key"}])),
        case("patch: replace missing property", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/no_such_key", "value": "x"}])),
        case("patch: status is read-only", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/status", "value": "active"}])),
        case("patch: checksum is read-only", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/checksum", "value": "abc"}])),
        case("patch: os_glance key is reserved", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "add", "path": "/os_glance_x", "value": "y"}])),
        case("patch: unknown op", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "frobnicate", "path": "/name", "value": "x"}])),
        case("patch: body not a list", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!({"op": "replace", "path": "/name", "value": "x"})),
        case("patch: unknown image", G, Admin, "PATCH", "/v2/images/00000000-0000-0000-0000-000000000000")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "x"}])),
        case("patch by another project", G, Demo, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/name", "value": "mine"}])),
        case("member cannot make own image public", G, Demo, "PATCH", "/v2/images/{demo_img}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/visibility", "value": "public"}])),
        case("os_hidden", G, Demo, "PATCH", "/v2/images/{demo_img}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/os_hidden", "value": true}])),
        // tags
        case("tag add", G, Admin, "PUT", "/v2/images/{raw}/tags/blue"),
        case("tag add again", G, Admin, "PUT", "/v2/images/{raw}/tags/blue"),
        case("tag remove", G, Admin, "DELETE", "/v2/images/{raw}/tags/blue"),
        case("tag remove missing", G, Admin, "DELETE", "/v2/images/{raw}/tags/never"),
        case("tag on unknown image", G, Admin, "PUT", "/v2/images/00000000-0000-0000-0000-000000000000/tags/blue"),
        // upload
        case("upload: wrong content type", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("text/plain", raw.clone()),
        case("upload: size header mismatch", G, Admin, "PUT", "/v2/images/{raw}/file")
            .header("x-openstack-image-size", "12")
            .bytes("application/octet-stream", raw.clone()),
        case("upload: without formats", G, Admin, "PUT", "/v2/images/{noformat}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload: random bytes declared qcow2", G, Admin, "PUT", "/v2/images/{qcow2}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("qcow2 image is queued again", G, Admin, "GET", "/v2/images/{qcow2}")
            .deliberate(&["stores"], REFUSED_BYTES_DISCARDED),
        // WIRE.md: after a refused upload the client deletes the queued image.
        case("delete the refused image", G, Admin, "DELETE", "/v2/images/{qcow2}"),
        case("upload to unknown image", G, Admin, "PUT", "/v2/images/00000000-0000-0000-0000-000000000000/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload by another project", G, Demo, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("upload raw with matching size header", G, Admin, "PUT", "/v2/images/{raw}/file")
            .header("x-openstack-image-size", raw.len().to_string())
            .bytes("application/octet-stream", raw.clone()),
        case("show after upload", G, Admin, "GET", "/v2/images/{raw}"),
        case("upload again (active)", G, Admin, "PUT", "/v2/images/{raw}/file")
            .bytes("application/octet-stream", raw.clone()),
        // the three-part image; aki/ari/ami are not inspected
        case("create aki", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-kernel", "disk_format": "aki", "container_format": "aki"}))
            .capture("aki", "/id"),
        case("upload aki, chunked", G, Admin, "PUT", "/v2/images/{aki}/file")
            .chunked("application/octet-stream", small.clone()),
        case("create ari", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-ramdisk", "disk_format": "ari", "container_format": "ari"}))
            .capture("ari", "/id"),
        case("upload ari", G, Admin, "PUT", "/v2/images/{ari}/file")
            .bytes("application/octet-stream", small.clone()),
        case("create ami with kernel_id and ramdisk_id", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-machine", "disk_format": "ami", "container_format": "ami",
                "kernel_id": "{aki}", "ramdisk_id": "{ari}"}))
            .capture("ami", "/id"),
        case("upload ami", G, Admin, "PUT", "/v2/images/{ami}/file")
            .bytes("application/octet-stream", raw.clone()),
        case("show ami", G, Admin, "GET", "/v2/images/{ami}"),
        // download
        case("download", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("download range", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=0-9"),
        case("download range unsatisfiable", G, Admin, "GET", "/v2/images/{raw}/file")
            .header("Range", "bytes=100000-200000"),
        case("download by another project", G, Demo, "GET", "/v2/images/{raw}/file"),
        // list filters, sorting, paging and errors
        case("list limit 1", G, Admin, "GET", "/v2/images?limit=1")
            .capture("next", "/next"),
        case("list next page", G, Admin, "GET", "{next}"),
        case("list by name", G, Admin, "GET", "/v2/images?name=diff-raw-2"),
        case("list by status", G, Admin, "GET", "/v2/images?status=active"),
        case("list by disk_format", G, Admin, "GET", "/v2/images?disk_format=aki"),
        case("list by container_format", G, Admin, "GET", "/v2/images?container_format=bare"),
        case("list by tag", G, Admin, "GET", "/v2/images?tag=red"),
        case("list by two tags", G, Admin, "GET", "/v2/images?tag=red&tag=green"),
        case("list hidden", G, Admin, "GET", "/v2/images?os_hidden=true"),
        case("list protected=false", G, Admin, "GET", "/v2/images?protected=false"),
        case("list by owner", G, Admin, "GET", "/v2/images?owner={admin_project}"),
        case("list visibility=all", G, Admin, "GET", "/v2/images?visibility=all"),
        case("list visibility=community", G, Demo, "GET", "/v2/images?visibility=community"),
        case("list visibility=private", G, Admin, "GET", "/v2/images?visibility=private"),
        case("list as member", G, Demo, "GET", "/v2/images"),
        case("list sort=name:asc", G, Admin, "GET", "/v2/images?sort=name:asc,created_at"),
        case("list sort_key + sort_dir", G, Admin, "GET", "/v2/images?sort_key=name&sort_dir=asc&sort_key=size"),
        case("list unknown sort_key", G, Admin, "GET", "/v2/images?sort_key=colour"),
        case("list unknown marker", G, Admin, "GET", "/v2/images?marker=00000000-0000-0000-0000-000000000000"),
        case("list sort_key mixed with sort", G, Admin, "GET", "/v2/images?sort_key=name&sort=name:asc"),
        case("list bad sort_dir", G, Admin, "GET", "/v2/images?sort_dir=sideways"),
        case("list bad visibility", G, Admin, "GET", "/v2/images?visibility=everyone"),
        case("list negative limit", G, Admin, "GET", "/v2/images?limit=-1"),
        case("list limit not a number", G, Admin, "GET", "/v2/images?limit=many"),
        case("list size range", G, Admin, "GET", "/v2/images?size_min=1&size_max=100000"),
        case("list size_min not a number", G, Admin, "GET", "/v2/images?size_min=big"),
        case("list in: names", G, Admin, "GET", "/v2/images?name=in:diff-raw-2,fixed"),
        case("list created_at gt", G, Admin, "GET", "/v2/images?created_at=gt:2000-01-01T00:00:00Z"),
        case("list updated_at lte", G, Admin, "GET", "/v2/images?updated_at=lte:2000-01-01T00:00:00Z"),
        case("list created_at bad operator", G, Admin, "GET", "/v2/images?created_at=soon:2000-01-01T00:00:00Z"),
        // members
        case("members of a private image", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("make it shared", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/visibility", "value": "shared"}])),
        case("add member", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("add member twice", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"member": "{demo_project}"})),
        case("add member without a body key", G, Admin, "POST", "/v2/images/{raw}/members")
            .json(json!({"project": "{demo_project}"})),
        case("list members", G, Admin, "GET", "/v2/images/{raw}/members"),
        case("show member", G, Admin, "GET", "/v2/images/{raw}/members/{demo_project}"),
        case("show unknown member", G, Admin, "GET", "/v2/images/{raw}/members/no-such-project"),
        case("member list: pending", G, Demo, "GET", "/v2/images?member_status=pending"),
        case("member accepts", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "accepted"})),
        case("member list: accepted", G, Demo, "GET", "/v2/images?member_status=accepted&visibility=shared"),
        case("member sees shared image", G, Demo, "GET", "/v2/images/{raw}"),
        case("bad member status", G, Demo, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "maybe"})),
        case("owner cannot accept for the member", G, Admin, "PUT", "/v2/images/{raw}/members/{demo_project}")
            .json(json!({"status": "accepted"})),
        case("remove member", G, Admin, "DELETE", "/v2/images/{raw}/members/{demo_project}"),
        case("remove member again", G, Admin, "DELETE", "/v2/images/{raw}/members/{demo_project}"),
        // deactivate / reactivate
        case("deactivate", G, Admin, "POST", "/v2/images/{raw}/actions/deactivate"),
        case("show deactivated", G, Admin, "GET", "/v2/images/{raw}"),
        case("download deactivated", G, Admin, "GET", "/v2/images/{raw}/file"),
        case("reactivate", G, Admin, "POST", "/v2/images/{raw}/actions/reactivate"),
        case("deactivate a queued image", G, Admin, "POST", "/v2/images/{noformat}/actions/deactivate"),
        case("reactivate a queued image", G, Admin, "POST", "/v2/images/{noformat}/actions/reactivate"),
        case("deactivate by a member", G, Demo, "POST", "/v2/images/{raw}/actions/deactivate"),
        // stage + import
        case("import methods header on create", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-import", "disk_format": "raw", "container_format": "bare"}))
            .capture("imp", "/id"),
        case("import before staging", G, Admin, "POST", "/v2/images/{imp}/import")
            .json(json!({"method": {"name": "glance-direct"}})),
        case("stage: wrong content type", G, Admin, "PUT", "/v2/images/{imp}/stage")
            .bytes("text/plain", raw.clone()),
        case("stage", G, Admin, "PUT", "/v2/images/{imp}/stage")
            .bytes("application/octet-stream", raw.clone()),
        case("import glance-direct", G, Admin, "POST", "/v2/images/{imp}/import")
            .json(json!({"method": {"name": "glance-direct"}})),
        // Glance 33 marks the image active a moment before its task drops the
        // os_glance_import_task property: wait for both.
        case("imported image becomes active", G, Admin, "GET", "/v2/images/{imp}")
            .until_settled("/status", "active", "/os_glance_import_task"),
        case("download imported image", G, Admin, "GET", "/v2/images/{imp}/file"),
        case("import unknown method", G, Admin, "POST", "/v2/images/{noformat}/import")
            .json(json!({"method": {"name": "teleport"}})),
        case("stage on an active image", G, Admin, "PUT", "/v2/images/{raw}/stage")
            .bytes("application/octet-stream", raw.clone()),
        // protected and delete
        case("protect", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/protected", "value": true}])),
        case("delete protected", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("unprotect", G, Admin, "PATCH", "/v2/images/{raw}")
            .header("Content-Type", PATCH)
            .json(json!([{"op": "replace", "path": "/protected", "value": false}])),
        case("delete by another project", G, Demo, "DELETE", "/v2/images/{raw}"),
        case("delete", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("delete again", G, Admin, "DELETE", "/v2/images/{raw}"),
        case("show deleted", G, Admin, "GET", "/v2/images/{raw}"),
        case("delete own community image", G, Demo, "DELETE", "/v2/images/{demo_img}"),
    ]
}
