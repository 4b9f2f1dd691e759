//! The qemu compute driver with real qemu, driven over the cloud's HTTP API: the tiny image
//! (built offline from Debian packages) is uploaded to Glance as a self-booting qcow2 and as the
//! aki/ari/ami trio, and servers made from it boot until their console shows
//! `SMOKE-BOOT-OK <token>`.
//!
//! These FAIL (never skip) when the host lacks qemu or the image's build tools; as root they
//! install them first (`ferrostack_testbed::packages::ensure`), otherwise the failure says what
//! to install.

mod qemu_support;

use qemu_support::tiny;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrostack_testbed::tiny;
use mock_cloud::{MockCloud, MockCloudBuilder, QemuDriver};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// A boot gets this long before it counts as failed (QEMU.md: about 4 s alone under TCG,
/// double with the other core busy; several boots run side by side here).
const BOOT_DEADLINE: Duration = Duration::from_secs(180);

/// How often a waiter asks again (a client's polling, as the SDK's waiters do).
const POLL: Duration = Duration::from_millis(100);

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A cloud whose servers boot under qemu, and a demo token for it.
struct Cloud {
    cloud: MockCloud,
    driver: Arc<QemuDriver>,
    token: String,
    http: reqwest::Client,
    work: tempfile::TempDir,
}

async fn cloud_with(builder: MockCloudBuilder) -> Cloud {
    let work = tempfile::tempdir().unwrap();
    let driver = Arc::new(
        QemuDriver::new(work.path())
            .unwrap_or_else(|err| panic!("the qemu driver cannot start: {err}"))
            // Several TCG guests share two cores here: give the power button time.
            .shutdown_grace(Duration::from_secs(60)),
    );
    let cloud = builder
        .compute_driver(driver.clone())
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    Cloud {
        cloud,
        driver,
        token,
        http: http(),
        work,
    }
}

async fn cloud() -> Cloud {
    tiny().await;
    cloud_with(MockCloud::builder()).await
}

/// Whether a qemu process (running, or dead and unreaped) has this pid.
fn qemu_process_exists(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.contains("(qemu-system-x86"))
}

/// Whether the qemu with this pid is gone within a few seconds: a dropped `Vm` kills qemu
/// at once and reaps it in a task of the runtime.
async fn qemu_gone(pid: u32) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while qemu_process_exists(pid) {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

fn marker_count(console: &str, token: &str) -> usize {
    let marker = tiny::boot_marker(token);
    console.lines().filter(|line| line.trim() == marker).count()
}

impl Cloud {
    async fn call(
        &self,
        method: Method,
        path: &str,
        version: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.cloud.base_url()))
            .header("x-auth-token", &self.token);
        if let Some(version) = version {
            request = request.header("openstack-api-version", format!("compute {version}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates an image with `extra` properties and uploads `file` as its data.
    async fn upload(
        &self,
        name: &str,
        disk: &str,
        container: &str,
        extra: Value,
        file: &Path,
    ) -> String {
        let mut body = json!({"name": name, "disk_format": disk, "container_format": container});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, image) = self
            .call(Method::POST, "/image/v2/images", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{image}");
        let id = image["id"].as_str().unwrap().to_owned();
        let response = self
            .http
            .put(format!(
                "{}/image/v2/images/{id}/file",
                self.cloud.base_url()
            ))
            .header("x-auth-token", &self.token)
            .header("content-type", "application/octet-stream")
            .body(std::fs::read(file).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "{}",
            response.text().await.unwrap()
        );
        id
    }

    /// Uploads the tiny kernel and initrd as aki and ari, and `root` as an ami naming them,
    /// booted with `command_line`.
    async fn upload_trio(&self, root: &Path, command_line: &str) -> String {
        let tiny = tiny().await;
        let aki = self
            .upload("tiny-kernel", "aki", "aki", json!({}), &tiny.image.kernel)
            .await;
        let ari = self
            .upload("tiny-initrd", "ari", "ari", json!({}), &tiny.image.initrd)
            .await;
        let properties =
            json!({"kernel_id": aki, "ramdisk_id": ari, "os_command_line": command_line});
        self.upload("tiny-root", "ami", "ami", properties, root)
            .await
    }

    async fn create_server(&self, name: &str, image: &str) -> String {
        let body = json!({"server": {"name": name, "imageRef": image, "flavorRef": "1"}});
        let (status, server) = self
            .call(Method::POST, "/compute/v2.1/servers", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{server}");
        server["server"]["id"].as_str().unwrap().to_owned()
    }

    async fn server(&self, id: &str) -> Value {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/compute/v2.1/servers/{id}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["server"].clone()
    }

    async fn act(&self, id: &str, action: Value) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/compute/v2.1/servers/{id}/action"),
            None,
            Some(action),
        )
        .await
    }

    async fn console(&self, id: &str, length: Option<u32>) -> String {
        let (status, body) = self
            .act(id, json!({"os-getConsoleOutput": {"length": length}}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["output"].as_str().unwrap().to_owned()
    }

    /// Polls the server until its status is `want`; fails at once on ERROR (unless wanted),
    /// and with the console tail when the deadline passes.
    async fn wait_status(&self, id: &str, want: &str) -> Value {
        let started = Instant::now();
        loop {
            let server = self.server(id).await;
            let status = server["status"].as_str().unwrap_or_default();
            if status == want {
                return server;
            }
            if status == "ERROR" || started.elapsed() > BOOT_DEADLINE {
                panic!(
                    "server {id} is {status}, not {want}; fault: {}\nconsole:\n{}",
                    server["fault"],
                    self.console(id, Some(30)).await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls the console until the boot marker of `token` has appeared `count` times.
    async fn wait_marker(&self, id: &str, token: &str, count: usize) -> String {
        let started = Instant::now();
        loop {
            let console = self.console(id, None).await;
            if marker_count(&console, token) >= count {
                return console;
            }
            if started.elapsed() > BOOT_DEADLINE {
                let server = self.server(id).await;
                panic!(
                    "server {id} ({}) did not show the marker {count} time(s) within \
                     {BOOT_DEADLINE:?}; fault: {}\nconsole:\n{console}",
                    server["status"], server["fault"]
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn pid(&self, id: &str) -> u32 {
        self.driver
            .pid(id)
            .unwrap_or_else(|| panic!("no qemu runs server {id}"))
    }
}

#[tokio::test]
async fn a_self_booting_qcow2_boots_to_its_marker_and_powers_off() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    let image = cloud
        .upload(
            "tiny-disk",
            "qcow2",
            "bare",
            json!({}),
            &tiny.image.bootable_qcow2,
        )
        .await;
    let started = Instant::now();
    let id = cloud.create_server("disk", &image).await;
    let server = cloud.wait_status(&id, "ACTIVE").await;
    let active = started.elapsed();
    assert_eq!(server["OS-EXT-STS:power_state"], 1, "{server}");
    let console = cloud.wait_marker(&id, &tiny.image.token, 1).await;
    eprintln!(
        "qcow2 disk: ACTIVE after {active:.1?}, marker after {:.1?}",
        started.elapsed()
    );
    assert!(!console.contains('\r'), "Nova strips control characters");
    // Without smoke_stay=1 the guest powers itself off after the marker.
    let server = cloud.wait_status(&id, "SHUTOFF").await;
    assert!(server.get("fault").is_none(), "{server}");
    let last = cloud.console(&id, Some(1)).await;
    assert_eq!(last.lines().count(), 1, "{last:?}");

    // The guest wrote to its overlay, never to the Glance file.
    let response = cloud
        .http
        .get(format!(
            "{}/image/v2/images/{image}/file",
            cloud.cloud.base_url()
        ))
        .header("x-auth-token", &cloud.token)
        .send()
        .await
        .unwrap();
    let stored = response.bytes().await.unwrap();
    assert!(
        stored == std::fs::read(&tiny.image.bootable_qcow2).unwrap(),
        "the Glance image changed"
    );

    let (status, _) = cloud
        .call(
            Method::DELETE,
            &format!("/compute/v2.1/servers/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !cloud.work.path().join(&id).exists(),
        "the server's folder is removed with it"
    );
}

#[tokio::test]
async fn the_ami_trio_boots_stops_starts_reboots_and_is_deleted_without_a_trace() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    let token = tiny::random_token();
    let command_line = format!(
        "{} smoke_stay=1",
        tiny::kernel_append(&token, Some("/dev/vda"))
    );
    let image = cloud.upload_trio(&tiny.root_raw, &command_line).await;
    let started = Instant::now();
    let id = cloud.create_server("trio", &image).await;
    cloud.wait_status(&id, "ACTIVE").await;
    let active = started.elapsed();
    let console = cloud.wait_marker(&id, &token, 1).await;
    eprintln!(
        "ami trio: ACTIVE after {active:.1?}, marker after {:.1?}",
        started.elapsed()
    );
    assert!(
        console.contains(&format!("smoke_token={token}")) || console.contains("SMOKE-BOOT-OK"),
        "{console}"
    );

    // The remote console names qemu's VNC server on loopback, and it answers as VNC does.
    let (status, body) = cloud
        .call(
            Method::POST,
            &format!("/compute/v2.1/servers/{id}/remote-consoles"),
            Some("2.6"),
            Some(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["remote_console"]["url"].as_str().unwrap();
    let address = url
        .strip_prefix("vnc://127.0.0.1:")
        .unwrap_or_else(|| panic!("not a loopback VNC URL: {url}"));
    let mut vnc = tokio::net::TcpStream::connect(format!("127.0.0.1:{address}"))
        .await
        .unwrap();
    let mut banner = [0u8; 12];
    vnc.read_exact(&mut banner).await.unwrap();
    assert!(banner.starts_with(b"RFB "), "{banner:?}");
    drop(vnc);
    let (status, body) = cloud
        .act(&id, json!({"os-getVNCConsole": {"type": "novnc"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["console"]["url"], url);

    // Stop: the ACPI power button, and qemu is gone.
    let first = cloud.pid(&id);
    let (status, body) = cloud.act(&id, json!({"os-stop": null})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    cloud.wait_status(&id, "SHUTOFF").await;
    assert!(qemu_gone(first).await, "qemu {first} outlived the stop");
    assert_eq!(cloud.driver.pid(&id), None);
    let (status, _) = cloud
        .act(&id, json!({"os-getVNCConsole": {"type": "novnc"}}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no VNC while stopped");

    // Start boots it again; the console keeps the first run.
    let (status, body) = cloud.act(&id, json!({"os-start": null})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    cloud.wait_status(&id, "ACTIVE").await;
    cloud.wait_marker(&id, &token, 2).await;

    // A hard reboot kills qemu and starts another; a soft one presses the power button first.
    for (kind, boots) in [("HARD", 3), ("SOFT", 4)] {
        let before = cloud.pid(&id);
        let (status, body) = cloud.act(&id, json!({"reboot": {"type": kind}})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        cloud.wait_status(&id, "ACTIVE").await;
        cloud.wait_marker(&id, &token, boots).await;
        assert!(qemu_gone(before).await, "{kind} reboot left qemu {before}");
        assert_ne!(cloud.pid(&id), before);
    }

    let last = cloud.pid(&id);
    let (status, _) = cloud
        .call(
            Method::DELETE,
            &format!("/compute/v2.1/servers/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(qemu_gone(last).await, "qemu {last} outlived the delete");
    assert!(!cloud.work.path().join(&id).exists());
}

/// A file of an ISO image, read with `isoinfo` (genisoimage's package).
fn isoinfo(args: &[&str]) -> String {
    let output = std::process::Command::new("isoinfo")
        .args(args)
        .output()
        .unwrap_or_else(|err| {
            panic!("this test reads the config drive with `isoinfo` (package genisoimage): {err}")
        });
    assert!(output.status.success(), "isoinfo {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn a_server_boots_with_its_config_drive_on_the_cdrom_kept_across_reboots() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    let token = tiny::random_token();
    let command_line = format!(
        "{} smoke_stay=1",
        tiny::kernel_append(&token, Some("/dev/vda"))
    );
    let image = cloud.upload_trio(&tiny.root_raw, &command_line).await;
    let (status, _) = cloud
        .call(
            Method::POST,
            "/compute/v2.1/os-keypairs",
            None,
            Some(json!({"keypair": {"name": "k"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // No config_drive asked for: the driver forces one by default.
    let body = json!({"server": {"name": "drive", "imageRef": image, "flavorRef": "1",
        "key_name": "k", "user_data": "I2Nsb3VkLWNvbmZpZwo="}});
    let (status, created) = cloud
        .call(Method::POST, "/compute/v2.1/servers", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["server"]["id"].as_str().unwrap().to_owned();
    let admin_pass = created["server"]["adminPass"].as_str().unwrap().to_owned();
    let server = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(server["config_drive"], "True");
    cloud.wait_marker(&id, &token, 1).await;

    let drive = cloud.work.path().join(&id).join("disk.config");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", cloud.pid(&id))).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let cdrom = format!(
        "file={},if=none,id=cdrom0,format=raw,media=cdrom,readonly=on",
        drive.display()
    );
    assert!(cmdline.contains(&cdrom), "{cmdline}");
    // Nova's pc machine: the drive is an IDE cdrom, which every Linux kernel reads.
    assert!(
        cmdline.contains("-device ide-cd,bus=ide.0,unit=0,drive=cdrom0"),
        "{cmdline}"
    );
    let iso = drive.to_str().unwrap();
    assert!(isoinfo(&["-d", "-i", iso]).contains("Volume id: config-2"));
    let meta: Value = serde_json::from_str(&isoinfo(&[
        "-J",
        "-i",
        iso,
        "-x",
        "/openstack/latest/meta_data.json",
    ]))
    .unwrap();
    assert_eq!(meta["uuid"], id.as_str());
    assert_eq!(meta["admin_pass"], admin_pass.as_str());
    assert!(
        meta["public_keys"]["k"]
            .as_str()
            .unwrap()
            .starts_with("ssh-"),
        "{meta}"
    );
    assert_eq!(
        isoinfo(&["-J", "-i", iso, "-x", "/openstack/latest/user_data"]),
        "#cloud-config\n"
    );

    // A hard reboot attaches the very same drive (Nova never rewrites disk.config).
    let before = std::fs::read(&drive).unwrap();
    let (status, body) = cloud.act(&id, json!({"reboot": {"type": "HARD"}})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    cloud.wait_status(&id, "ACTIVE").await;
    cloud.wait_marker(&id, &token, 2).await;
    assert_eq!(std::fs::read(&drive).unwrap(), before);

    let (status, _) = cloud
        .call(
            Method::DELETE,
            &format!("/compute/v2.1/servers/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!drive.exists() && !cloud.work.path().join(&id).exists());
}

#[tokio::test]
async fn a_failing_genisoimage_is_the_server_s_fault_naming_its_drive() {
    let tiny = tiny().await;
    let work = tempfile::tempdir().unwrap();
    let driver = Arc::new(
        QemuDriver::new(work.path())
            .unwrap_or_else(|err| panic!("the qemu driver cannot start: {err}"))
            .genisoimage("/bin/false"),
    );
    let cloud = MockCloud::builder()
        .compute_driver(driver.clone())
        .start()
        .await
        .unwrap();
    let token = cloud.token("demo", "demo").unwrap();
    let cloud = Cloud {
        cloud,
        driver,
        token,
        http: http(),
        work,
    };
    let image = cloud
        .upload(
            "tiny-disk",
            "qcow2",
            "bare",
            json!({}),
            &tiny.image.bootable_qcow2,
        )
        .await;
    let id = cloud.create_server("no-drive", &image).await;
    let server = cloud.wait_status(&id, "ERROR").await;
    let fault = server["fault"]["message"].as_str().unwrap();
    let drive = cloud.work.path().join(&id).join("disk.config");
    assert!(
        fault.starts_with(&format!(
            "qemu driver: cannot make the config drive {} of server {id}: `/bin/false -o ",
            drive.display()
        )),
        "{fault}"
    );
    let left: Vec<String> = std::fs::read_dir(cloud.work.path().join(&id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("config"))
        .collect();
    assert!(left.is_empty(), "half-made drive files: {left:?}");
}

#[tokio::test]
async fn kernel_panics_and_garbage_kernels_end_in_error_never_as_a_good_boot() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    // No init in the initramfs and no root: the kernel panics. With panic=-1 it reboots (and
    // qemu, run with -no-reboot, exits); without, it spins until the driver sees the panic.
    let rebooting = cloud
        .upload_trio(
            &tiny.root_raw,
            "console=ttyS0 panic=-1 rdinit=/no/such/init",
        )
        .await;
    let spinning = cloud
        .upload_trio(&tiny.root_raw, "console=ttyS0 rdinit=/no/such/init")
        .await;
    let garbage_kernel = {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, vec![0x5a; 1 << 20]).unwrap();
        let aki = cloud
            .upload("garbage-kernel", "aki", "aki", json!({}), &garbage)
            .await;
        let ari = cloud
            .upload("tiny-initrd", "ari", "ari", json!({}), &tiny.image.initrd)
            .await;
        cloud
            .upload(
                "garbage-root",
                "ami",
                "ami",
                json!({"kernel_id": aki, "ramdisk_id": ari}),
                &tiny.root_raw,
            )
            .await
    };
    let servers = [
        cloud.create_server("rebooting-panic", &rebooting).await,
        cloud.create_server("spinning-panic", &spinning).await,
        cloud.create_server("garbage-kernel", &garbage_kernel).await,
    ];
    for id in &servers[..2] {
        let server = cloud.wait_status(id, "ERROR").await;
        let fault = server["fault"]["message"].as_str().unwrap_or_default();
        assert!(
            fault.starts_with("The guest's kernel panicked: "),
            "{server}"
        );
        let console = cloud.console(id, None).await;
        assert!(console.contains("Kernel panic - not syncing"), "{console}");
        assert!(!console.contains("SMOKE-BOOT-OK"), "{console}");
        assert_eq!(cloud.driver.pid(id), None, "the spinning kernel is ended");
    }
    let server = cloud.wait_status(&servers[2], "ERROR").await;
    let fault = server["fault"]["message"].as_str().unwrap_or_default();
    assert!(
        fault.starts_with("qemu could not start the machine"),
        "{server}"
    );
    eprintln!("garbage kernel fault: {fault}");
}

#[tokio::test]
async fn a_tampered_image_file_is_refused_before_boot() {
    let state = tempfile::tempdir().unwrap();
    let cloud = cloud_with(MockCloud::builder().state_dir(state.path())).await;
    let clean = state.path().join("clean.raw");
    std::fs::write(&clean, vec![0u8; 1 << 20]).unwrap();
    let image = cloud
        .upload("tampered", "raw", "bare", json!({}), &clean)
        .await;
    // After Glance accepted it, the stored bytes become a qcow2 naming a host file.
    let mut evil = vec![0u8; 4096];
    evil[..4].copy_from_slice(b"QFI\xfb");
    evil[4..8].copy_from_slice(&3u32.to_be_bytes());
    evil[8..16].copy_from_slice(&512u64.to_be_bytes());
    evil[16..20].copy_from_slice(&11u32.to_be_bytes());
    evil[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    evil[100..104].copy_from_slice(&104u32.to_be_bytes());
    evil[512..523].copy_from_slice(b"/etc/passwd");
    std::fs::write(state.path().join("glance/data").join(&image), &evil).unwrap();

    let id = cloud.create_server("tampered", &image).await;
    let server = cloud.wait_status(&id, "ERROR").await;
    assert_eq!(
        server["fault"]["message"],
        format!(
            "qemu driver: refusing to boot image 'tampered' ({image}): qcow2 names a backing \
             file: /etc/passwd"
        ),
        "{server}"
    );
    assert_eq!(cloud.driver.pid(&id), None);
}

#[tokio::test]
async fn what_the_driver_cannot_boot_is_an_error_at_once() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    let aki = cloud
        .upload("lonely-kernel", "aki", "aki", json!({}), &tiny.image.kernel)
        .await;
    let id = cloud.create_server("kernel-as-disk", &aki).await;
    // The refusal is decided before anything runs: ERROR at the first look.
    let server = cloud.server(&id).await;
    assert_eq!(server["status"], "ERROR", "{server}");
    assert_eq!(
        server["fault"]["message"],
        format!(
            "qemu driver: image 'lonely-kernel' ({aki}) is a kernel (aki), not a disk; boot \
             the ami image that names it as kernel_id/ramdisk_id"
        )
    );
}

#[tokio::test]
async fn several_servers_run_at_once_and_dropping_the_cloud_kills_them_all() {
    let cloud = cloud().await;
    let tiny = tiny().await;
    let token = tiny::random_token();
    let command_line = format!(
        "{} smoke_stay=1",
        tiny::kernel_append(&token, Some("/dev/vda"))
    );
    let image = cloud.upload_trio(&tiny.root_raw, &command_line).await;
    let ids = [
        cloud.create_server("one", &image).await,
        cloud.create_server("two", &image).await,
    ];
    let mut pids = Vec::new();
    for id in &ids {
        cloud.wait_status(id, "ACTIVE").await;
        cloud.wait_marker(id, &token, 1).await;
        pids.push(cloud.pid(id));
    }
    assert_ne!(pids[0], pids[1]);
    assert!(pids.iter().all(|pid| qemu_process_exists(*pid)));
    // The test still holds the driver: the cloud's drop alone must end the machines.
    let Cloud {
        cloud: mock,
        driver,
        work,
        ..
    } = cloud;
    drop(mock);
    for pid in pids {
        assert!(qemu_gone(pid).await, "qemu {pid} outlived the cloud");
    }
    assert_eq!(driver.pid(&ids[0]), None);
    assert!(!work.path().join(&ids[0]).exists());
}

fn mock_cloud_binary() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-cloud"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn serve_runs_the_qemu_driver_and_names_what_is_missing() {
    // Without qemu on PATH the driver says which package to install.
    let output = mock_cloud_binary()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--compute-driver",
            "qemu",
        ])
        .env("PATH", "/nonexistent")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--compute-driver qemu")
            && stderr.contains("`qemu-system-x86_64` was not found")
            && stderr.contains("qemu-system-x86"),
        "{stderr}"
    );

    let output = mock_cloud_binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--work-dir", "/tmp/x"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--work-dir is for --compute-driver qemu"),
        "{stderr}"
    );

    let output = mock_cloud_binary()
        .args(["serve", "--compute-driver", "kvm"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--compute-driver"));

    // With qemu, it serves and makes its work folder.
    let work = tempfile::tempdir().unwrap();
    let instances = work.path().join("instances");
    let mut child = mock_cloud_binary()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--compute-driver",
            "qemu",
        ])
        .arg("--work-dir")
        .arg(&instances)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    assert!(
        line.starts_with("mock-cloud listening on http://127.0.0.1:"),
        "{line:?}"
    );
    assert!(instances.is_dir());
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_server_running_when_the_cloud_stops_comes_back_shutoff_and_boots_again() {
    tiny().await;
    let state = tempfile::tempdir().unwrap();
    let token = tiny::random_token();
    let command_line = format!(
        "{} smoke_stay=1",
        tiny::kernel_append(&token, Some("/dev/vda"))
    );
    let (id, pid) = {
        let cloud = cloud_with(MockCloud::builder().state_dir(state.path())).await;
        let image = cloud
            .upload_trio(&tiny().await.root_raw, &command_line)
            .await;
        let id = cloud.create_server("kept", &image).await;
        cloud.wait_status(&id, "ACTIVE").await;
        cloud.wait_marker(&id, &token, 1).await;
        let pid = cloud.pid(&id);
        cloud.cloud.stop().await;
        (id, pid)
    };
    assert!(qemu_gone(pid).await, "qemu {pid} outlived the cloud");

    // Its qemu is gone: SHUTOFF, no task, no fault, as Nova after a host reboot.
    let cloud = cloud_with(MockCloud::builder().state_dir(state.path())).await;
    let server = cloud.server(&id).await;
    assert_eq!(server["status"], "SHUTOFF", "{server}");
    assert_eq!(server["OS-EXT-STS:task_state"], Value::Null);
    assert_eq!(server["OS-EXT-STS:power_state"], 4);
    assert!(server.get("fault").is_none(), "{server}");
    assert_eq!(cloud.driver.pid(&id), None);
    // And it boots again.
    let (status, body) = cloud.act(&id, json!({"os-start": null})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    cloud.wait_status(&id, "ACTIVE").await;
    cloud.wait_marker(&id, &token, 1).await;
    assert!(qemu_process_exists(cloud.pid(&id)));
}
