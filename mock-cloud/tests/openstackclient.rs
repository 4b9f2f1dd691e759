//! The real python-openstackclient against the mock cloud: if `openstack` works unchanged,
//! the mock speaks the wire contract the way real clients expect.
//!
//! `cargo xtask test` installs the client into `target/venv/clients` (pinned versions) and
//! points `FERROSTACK_CLIENT_VENV` at it. Without it these tests FAIL, naming the fix.

mod osc_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use mock_cloud::MockCloud;
use osc_support::openstack_bin;
use serde_json::Value;

/// A mock cloud plus a clouds.yaml naming it, for one test.
struct Harness {
    cloud: MockCloud,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let cloud = MockCloud::start().await.expect("mock cloud starts");
        let dir = tempfile::tempdir().unwrap();
        let clouds_yaml = format!(
            "clouds:\n\
             \x20 mock-admin:\n\
             \x20   auth:\n\
             \x20     auth_url: {auth}\n\
             \x20     username: admin\n\
             \x20     password: admin\n\
             \x20     project_name: admin\n\
             \x20     user_domain_id: default\n\
             \x20     project_domain_id: default\n\
             \x20   region_name: RegionOne\n\
             \x20   identity_api_version: 3\n\
             \x20 mock-demo:\n\
             \x20   auth:\n\
             \x20     auth_url: {auth}\n\
             \x20     username: demo\n\
             \x20     password: demo\n\
             \x20     project_name: demo\n\
             \x20     user_domain_id: default\n\
             \x20     project_domain_id: default\n\
             \x20   region_name: RegionOne\n\
             \x20   identity_api_version: 3\n",
            auth = cloud.auth_url()
        );
        std::fs::write(dir.path().join("clouds.yaml"), clouds_yaml).unwrap();
        Harness { cloud, dir }
    }

    /// Runs `openstack --os-cloud CLOUD ARGS...` and returns stdout; panics with stderr on failure.
    async fn run(&self, cloud: &str, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.try_run(cloud, args).await;
        assert!(
            ok,
            "openstack {} failed:\n{stderr}\n{stdout}",
            args.join(" ")
        );
        stdout
    }

    /// Runs a command, returning (success, stdout, stderr).
    async fn try_run(&self, cloud: &str, args: &[&str]) -> (bool, String, String) {
        let mut cmd = Command::new(openstack_bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("OS_CLIENT_CONFIG_FILE", self.dir.path().join("clouds.yaml"))
            .current_dir(self.dir.path())
            .arg("--os-cloud")
            .arg(cloud)
            .args(args);
        let output = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .expect("openstack runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    async fn json(&self, cloud: &str, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.run(cloud, &all).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(bytes))
}

/// A small real qcow2 image made by qemu-img.
fn make_qcow2(path: &Path) {
    let status = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(path)
        .arg("16M")
        .status()
        .expect("qemu-img is installed (apt-get install qemu-utils)");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn token_issue_and_catalog_list() {
    let h = Harness::start().await;
    let token = h.json("mock-admin", &["token", "issue"]).await;
    for key in ["expires", "id", "project_id", "user_id"] {
        assert!(token.get(key).is_some(), "token issue lacks {key}: {token}");
    }

    let catalog = h.json("mock-admin", &["catalog", "list"]).await;
    let types: Vec<&str> = catalog
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["Type"].as_str())
        .collect();
    for t in ["identity", "image", "compute"] {
        assert!(types.contains(&t), "catalog lacks {t}: {catalog}");
    }
    let text = catalog.to_string();
    assert!(text.contains(h.cloud.base_url()), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn image_lifecycle_qcow2_and_raw() {
    let h = Harness::start().await;
    let qcow2 = h.path("disk.qcow2");
    make_qcow2(&qcow2);
    let raw = h.path("disk.raw");
    let raw_bytes: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&raw, &raw_bytes).unwrap();

    let q = h
        .json(
            "mock-admin",
            &[
                "image",
                "create",
                "--disk-format",
                "qcow2",
                "--container-format",
                "bare",
                "--file",
                qcow2.to_str().unwrap(),
                "cirros-qcow2",
            ],
        )
        .await;
    assert_eq!(q["status"], "active", "{q}");
    assert_eq!(q["disk_format"], "qcow2");
    assert_eq!(q["checksum"], md5_hex(&std::fs::read(&qcow2).unwrap()));
    assert_eq!(q["virtual_size"], 16 * 1024 * 1024);

    let r = h
        .json(
            "mock-admin",
            &[
                "image",
                "create",
                "--disk-format",
                "raw",
                "--container-format",
                "bare",
                "--public",
                "--file",
                raw.to_str().unwrap(),
                "cirros-raw",
            ],
        )
        .await;
    assert_eq!(r["status"], "active", "{r}");
    assert_eq!(r["visibility"], "public");
    assert_eq!(r["size"], raw_bytes.len());

    let names = h
        .run(
            "mock-admin",
            &["image", "list", "-f", "value", "-c", "Name"],
        )
        .await;
    let mut names: Vec<&str> = names.lines().collect();
    names.sort();
    assert_eq!(names, ["cirros-qcow2", "cirros-raw"]);

    let shown = h.json("mock-admin", &["image", "show", "cirros-raw"]).await;
    assert_eq!(shown["id"], r["id"]);

    // set / unset a property
    h.run(
        "mock-admin",
        &[
            "image",
            "set",
            "--property",
            "os_distro=cirros",
            "--min-ram",
            "64",
            "cirros-raw",
        ],
    )
    .await;
    let shown = h.json("mock-admin", &["image", "show", "cirros-raw"]).await;
    assert_eq!(shown["properties"]["os_distro"], "cirros", "{shown}");
    assert_eq!(shown["min_ram"], 64);
    h.run(
        "mock-admin",
        &["image", "unset", "--property", "os_distro", "cirros-raw"],
    )
    .await;
    let shown = h.json("mock-admin", &["image", "show", "cirros-raw"]).await;
    assert!(shown["properties"].get("os_distro").is_none(), "{shown}");

    // save: the bytes come back identical (the client checks the hash too)
    let saved = h.path("saved.raw");
    h.run(
        "mock-admin",
        &[
            "image",
            "save",
            "--file",
            saved.to_str().unwrap(),
            "cirros-raw",
        ],
    )
    .await;
    assert_eq!(std::fs::read(&saved).unwrap(), raw_bytes);

    // delete both; the list is empty afterwards
    h.run(
        "mock-admin",
        &["image", "delete", "cirros-raw", "cirros-qcow2"],
    )
    .await;
    let names = h
        .run(
            "mock-admin",
            &["image", "list", "-f", "value", "-c", "Name"],
        )
        .await;
    assert_eq!(names.trim(), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_part_image_links_kernel_and_ramdisk() {
    let h = Harness::start().await;
    let kernel = h.path("vmlinuz");
    let ramdisk = h.path("initrd");
    let root = h.path("root.img");
    std::fs::write(&kernel, b"not really a kernel").unwrap();
    std::fs::write(&ramdisk, b"not really a ramdisk").unwrap();
    std::fs::write(&root, vec![0u8; 65536]).unwrap();

    let k = h
        .json(
            "mock-admin",
            &[
                "image",
                "create",
                "--disk-format",
                "aki",
                "--container-format",
                "aki",
                "--file",
                kernel.to_str().unwrap(),
                "tiny-kernel",
            ],
        )
        .await;
    let r = h
        .json(
            "mock-admin",
            &[
                "image",
                "create",
                "--disk-format",
                "ari",
                "--container-format",
                "ari",
                "--file",
                ramdisk.to_str().unwrap(),
                "tiny-ramdisk",
            ],
        )
        .await;
    let kid = format!("kernel_id={}", k["id"].as_str().unwrap());
    let rid = format!("ramdisk_id={}", r["id"].as_str().unwrap());
    let m = h
        .json(
            "mock-admin",
            &[
                "image",
                "create",
                "--disk-format",
                "ami",
                "--container-format",
                "ami",
                "--property",
                &kid,
                "--property",
                &rid,
                "--file",
                root.to_str().unwrap(),
                "tiny",
            ],
        )
        .await;
    assert_eq!(m["status"], "active", "{m}");
    let shown = h.json("mock-admin", &["image", "show", "tiny"]).await;
    assert_eq!(shown["properties"]["kernel_id"], k["id"], "{shown}");
    assert_eq!(shown["properties"]["ramdisk_id"], r["id"], "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_lifecycle_with_console() {
    let h = Harness::start().await;
    let flavors = h.json("mock-admin", &["flavor", "list"]).await;
    let names: Vec<&str> = flavors
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["Name"].as_str())
        .collect();
    assert!(names.contains(&"m1.tiny"), "{flavors}");
    // `flavor show` also asks for the flavor's extra specs.
    let tiny = h.json("mock-admin", &["flavor", "show", "m1.tiny"]).await;
    assert_eq!(tiny["ram"], 512, "{tiny}");
    assert_eq!(tiny["properties"], serde_json::json!({}), "{tiny}");

    let qcow2 = h.path("disk.qcow2");
    make_qcow2(&qcow2);
    h.run(
        "mock-admin",
        &[
            "image",
            "create",
            "--disk-format",
            "qcow2",
            "--container-format",
            "bare",
            "--file",
            qcow2.to_str().unwrap(),
            "boot-me",
        ],
    )
    .await;

    let server = h
        .json(
            "mock-admin",
            &[
                "server", "create", "--image", "boot-me", "--flavor", "m1.tiny", "--nic", "none",
                "--wait", "vm1",
            ],
        )
        .await;
    assert_eq!(server["status"], "ACTIVE", "{server}");
    let shown = h.json("mock-admin", &["server", "show", "vm1"]).await;
    assert_eq!(shown["name"], "vm1");
    assert_eq!(shown["status"], "ACTIVE");

    h.run("mock-admin", &["server", "stop", "vm1"]).await;
    wait_for_status(&h, "vm1", "SHUTOFF").await;
    h.run("mock-admin", &["server", "start", "vm1"]).await;
    wait_for_status(&h, "vm1", "ACTIVE").await;
    h.run("mock-admin", &["server", "reboot", "--wait", "vm1"])
        .await;
    wait_for_status(&h, "vm1", "ACTIVE").await;

    let log = h
        .run(
            "mock-admin",
            &["console", "log", "show", "--lines", "5", "vm1"],
        )
        .await;
    assert!(!log.trim().is_empty(), "empty console log");
    assert!(log.lines().count() <= 5, "{log}");

    let url = h
        .json("mock-admin", &["console", "url", "show", "vm1"])
        .await;
    assert!(
        url["url"].as_str().is_some_and(|u| u.contains("vnc")),
        "{url}"
    );

    h.run("mock-admin", &["server", "delete", "--wait", "vm1"])
        .await;
    let (ok, _, stderr) = h.try_run("mock-admin", &["server", "show", "vm1"]).await;
    assert!(!ok, "server still shown after delete");
    assert!(stderr.contains("No Server found"), "{stderr}");
}

/// Polls `server show` (each show is a poll the fake driver counts) until `status`.
async fn wait_for_status(h: &Harness, name: &str, status: &str) {
    let mut last = Value::Null;
    for _ in 0..20 {
        last = h.json("mock-admin", &["server", "show", name]).await;
        if last["status"] == status {
            return;
        }
    }
    panic!("server {name} never reached {status}: {last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_are_isolated_and_members_cannot_publicize() {
    let h = Harness::start().await;
    let raw = h.path("d.raw");
    std::fs::write(&raw, vec![1u8; 4096]).unwrap();
    h.run(
        "mock-admin",
        &[
            "image",
            "create",
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--private",
            "--file",
            raw.to_str().unwrap(),
            "admins-only",
        ],
    )
    .await;
    let (ok, _, stderr) = h
        .try_run("mock-demo", &["image", "show", "admins-only"])
        .await;
    assert!(!ok, "demo sees admin's private image");
    assert!(stderr.contains("No Image found"), "{stderr}");

    let (ok, _, stderr) = h
        .try_run(
            "mock-demo",
            &[
                "image",
                "create",
                "--disk-format",
                "raw",
                "--container-format",
                "bare",
                "--public",
                "--file",
                raw.to_str().unwrap(),
                "demo-public",
            ],
        )
        .await;
    assert!(!ok, "a member made a public image");
    assert!(stderr.contains("publicize_image"), "{stderr}");
}
