//! `openstack image list|show` (python-openstackclient, from the test venv) and
//! `fstack image list|show` against the same mock cloud print the same columns and values,
//! in `-f json`, `-f value` and as tables; `--lift-hash-fields` (fstack's own) moves
//! `os_hidden`, `os_hash_algo` and `os_hash_value` from `properties` to the top level.

mod common;

use serde_json::{Map, Value};

use common::{TestCloud, stdout};

/// The fields openstackclient puts under `properties` and `--lift-hash-fields` at the top.
const LIFTED: [&str; 3] = ["os_hidden", "os_hash_algo", "os_hash_value"];

/// The `image show` fields at the top level besides `properties`.
const SHARED_FIELDS: [&str; 18] = [
    "checksum",
    "container_format",
    "created_at",
    "disk_format",
    "file",
    "id",
    "min_disk",
    "min_ram",
    "name",
    "owner",
    "protected",
    "schema",
    "size",
    "status",
    "tags",
    "updated_at",
    "virtual_size",
    "visibility",
];

fn qcow2() -> Vec<u8> {
    let mut header = b"QFI\xfb".to_vec();
    header.extend(3u32.to_be_bytes()); // version 3
    header.extend(0u64.to_be_bytes()); // no backing file
    header.extend(0u32.to_be_bytes());
    header.extend(16u32.to_be_bytes()); // cluster bits
    header.extend((32u64 << 20).to_be_bytes()); // virtual size
    header.resize(72, 0);
    header.extend(0u64.to_be_bytes()); // incompatible features: none
    header.extend(0u64.to_be_bytes()); // compatible features
    header.extend(0u64.to_be_bytes()); // autoclear features
    header.extend(4u32.to_be_bytes()); // refcount order
    header.extend(104u32.to_be_bytes()); // header length
    header.resize(8192, 0);
    header
}

/// The cloud both clients look at: images of every kind a listing shows differently.
async fn cloud() -> TestCloud {
    let t = TestCloud::start().await;
    std::fs::write(t.path().join("disk.qcow2"), qcow2()).unwrap();
    std::fs::write(t.path().join("disk.raw"), vec![7u8; 10_000]).unwrap();
    for line in [
        // Properties openstacksdk knows and types (an int, a bool read from text, one that is
        // not a number) and some it does not, whose order is the server's.
        "image create cirros --file disk.qcow2 --disk-format qcow2 --public --tag tiny --tag test --property os_distro=cirros --min-disk 1 --property zeta=1 --property hw_cpu_cores=2 --property alpha=x --property hw_vif_multiqueue_enabled=yes --property hw_video_ram=lots",
        "image create plain --file disk.raw --disk-format raw --private --protected",
        "image create empty --shared --container-format ovf --disk-format vmdk",
        "image create ghost --community --tag test",
    ] {
        stdout(t.fstack("mock-admin").args(line.split_whitespace()));
    }
    stdout(
        t.fstack("mock-admin")
            .args(["image", "set", "ghost", "--hidden"]),
    );
    t
}

/// Runs the same arguments with both clients and returns (openstack, fstack) stdout.
fn both(t: &TestCloud, args: &[&str]) -> (String, String) {
    let osc = stdout(t.openstack("mock-admin").args(args));
    let ours = stdout(t.fstack("mock-admin").args(args));
    (osc, ours)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// openstackclient's `image show` JSON with [`LIFTED`] moved out of `properties`, and
/// `properties` dropped when nothing else is in it: what `--lift-hash-fields` prints.
fn lift(mut osc: Value) -> Value {
    let object = osc.as_object_mut().expect("an object");
    let mut properties = match object.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    for key in LIFTED {
        if let Some(value) = properties.remove(key) {
            object.insert(key.to_owned(), value);
        }
    }
    if !properties.is_empty() {
        object.insert("properties".to_owned(), Value::Object(properties));
    }
    osc
}

#[tokio::test(flavor = "multi_thread")]
async fn image_list_prints_the_same_as_openstackclient() {
    let t = cloud().await;
    let listings: [&[&str]; 10] = [
        &["image", "list"],
        &["image", "list", "--long"],
        &["image", "list", "--all"],
        &["image", "list", "--hidden", "--long"],
        &["image", "list", "--public"],
        &["image", "list", "--tag", "test", "--all", "--long"],
        &["image", "list", "--property", "os_distro=cirros"],
        &["image", "list", "--sort", "name:desc", "--long"],
        &["image", "list", "--status", "queued", "--long"],
        &[
            "image", "list", "--long", "-c", "Name", "-c", "Size", "-c", "Tags",
        ],
    ];
    for args in listings {
        let json_args: Vec<&str> = args.iter().copied().chain(["-f", "json"]).collect();
        let (osc, ours) = both(&t, &json_args);
        assert_eq!(json(&ours), json(&osc), "{}", json_args.join(" "));
        assert!(
            json(&ours).as_array().is_some_and(|a| !a.is_empty()) || args.contains(&"--status"),
            "{} listed nothing: a comparison of nothing proves nothing",
            json_args.join(" ")
        );
        let value_args: Vec<&str> = args.iter().copied().chain(["-f", "value"]).collect();
        let (osc, ours) = both(&t, &value_args);
        assert_eq!(ours, osc, "{}", value_args.join(" "));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn image_show_prints_what_openstackclient_prints() {
    let t = cloud().await;
    let cirros_id = stdout(
        t.fstack("mock-admin")
            .args(["image", "show", "cirros", "-f", "value", "-c", "id"]),
    );
    let cirros_id = cirros_id.trim();
    for image in ["cirros", "plain", "empty", "ghost", cirros_id] {
        // Byte for byte, in every format.
        for format in ["json", "yaml", "value", "shell", "table"] {
            let (osc, ours) = both(&t, &["image", "show", image, "-f", format]);
            assert_eq!(ours, osc, "image show {image} -f {format}");
        }
        let (osc, ours) = both(&t, &["image", "show", image, "-f", "json"]);
        let osc = json(&osc);
        for key in LIFTED {
            assert!(
                osc.get(key).is_none(),
                "openstackclient now shows {key} at the top: --lift-hash-fields is moot"
            );
        }
        let lifted = stdout(t.fstack("mock-admin").args([
            "image",
            "show",
            image,
            "--lift-hash-fields",
            "-f",
            "json",
        ]));
        assert_eq!(
            json(&lifted),
            lift(osc),
            "image show {image} --lift-hash-fields"
        );
        assert_ne!(
            json(&lifted),
            json(&ours),
            "the flag changes what is printed"
        );

        let mut value_args = vec!["image", "show", image, "-f", "value"];
        for field in SHARED_FIELDS
            .iter()
            .filter(|f| json(&ours).get(**f).is_some())
        {
            value_args.extend(["-c", field]);
        }
        let (osc, ours) = both(&t, &value_args);
        assert_eq!(ours, osc, "image show {image} -f value (chosen fields)");
    }
    let (osc, ours) = both(
        &t,
        &["image", "show", "cirros", "--human-readable", "-f", "json"],
    );
    assert_eq!(ours, osc, "--human-readable");
}

#[tokio::test(flavor = "multi_thread")]
async fn image_import_info_and_stores_print_what_openstackclient_prints() {
    let t = TestCloud::start().await;
    for args in [
        &["image", "import", "info"][..],
        &["image", "import", "info", "-f", "json"],
        &["image", "stores", "list"],
        &["image", "stores", "list", "-f", "json"],
        &["image", "stores", "list", "-f", "csv"],
    ] {
        let (osc, ours) = both(&t, args);
        assert_eq!(ours, osc, "{}", args.join(" "));
    }
}
