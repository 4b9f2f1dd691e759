//! The operator's week with a real operating system, end to end on the mock cloud with the
//! qemu driver: `fstack image build --distro debian-12`, the qcow2 uploaded with fstack (its
//! properties from the build) and the aki/ari/ami trio with python-openstackclient, a keypair,
//! a security group letting tcp/22 in, servers on `private` with floating IPs, and then SSH
//! with the injected key, through `fstack server ssh`, `openstack server ssh` and plain
//! `ssh -i`: Debian's os-release, the user data's file, the config drive cloud-init read.
//! A wrong key is refused by sshd; a server without the tcp/22 rule is unreachable.
//!
//! FAILS (never skips) when qemu, the image's build tools (installed as root), the Debian
//! mirror, ssh or the client venv are missing. The root tarball is cached under
//! `target/ferrostack-cache`, so only the first run on a machine bootstraps it.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestCloud, run, stdout};
use mock_cloud::{MockCloud, QemuDriver};
use serde_json::Value;

/// From create until sshd lets the key in: QEMU.md's TCG figures, with the other core busy
/// and two guests booting at once.
const SSH_DEADLINE: Duration = Duration::from_secs(600);

/// How often a waiter asks again.
const POLL: Duration = Duration::from_secs(2);

/// What the user data writes, and where.
const USER_DATA: &str = r#"#cloud-config
write_files:
  - path: /var/tmp/ferrostack-user-data
    content: written by user data
runcmd:
  - [sh, -c, 'hostname > /var/tmp/ferrostack-runcmd']
"#;

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("..")
}

fn json(out: String) -> Value {
    serde_json::from_str(&out).unwrap_or_else(|err| panic!("not JSON ({err}): {out}"))
}

/// ssh's options for a guest whose host key is new each boot, never asking anything.
fn ssh_options() -> Vec<String> {
    [
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "LogLevel=ERROR",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Plain `ssh -i KEY debian@ADDRESS COMMAND`.
fn ssh(key: &Path, address: &str, command: &str) -> std::process::Output {
    run(Command::new("ssh")
        .arg("-i")
        .arg(key)
        .args(ssh_options())
        .arg(format!("debian@{address}"))
        .arg(command))
}

/// `ssh` again while the connection itself fails (exit 255 without a refusal of the key):
/// a guest in its first boot may still restart sshd under a login.
fn ssh_settled(key: &Path, address: &str, command: &str) -> std::process::Output {
    let started = Instant::now();
    loop {
        let out = ssh(key, address, command);
        let refused = String::from_utf8_lossy(&out.stderr).contains("Permission denied");
        if out.status.code() != Some(255) || refused || started.elapsed() > Duration::from_secs(60)
        {
            return out;
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until `ssh -i key` runs `true` on the guest.
fn wait_for_ssh(key: &Path, address: &str, started: Instant, server: &str, t: &TestCloud) {
    loop {
        let out = ssh(key, address, "true");
        if out.status.success() {
            eprintln!("{server}: SSH login after {:.1?}", started.elapsed());
            return;
        }
        if started.elapsed() > SSH_DEADLINE {
            let console = stdout(
                t.fstack("mock-demo")
                    .args(["console", "log", "show", "--lines", "60", server]),
            );
            panic!(
                "{server}: no SSH login at {address} within {SSH_DEADLINE:?}: {}\n\
                 --- console tail\n{console}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until the server's console has a line containing `needle`.
fn wait_for_console(t: &TestCloud, server: &str, needle: &str, started: Instant) {
    loop {
        let console = stdout(
            t.fstack("mock-demo")
                .args(["console", "log", "show", server]),
        );
        if console.contains(needle) {
            return;
        }
        if started.elapsed() > SSH_DEADLINE {
            let tail: Vec<&str> = console.lines().rev().take(40).collect();
            panic!(
                "{server}: no `{needle}` on the console within {SSH_DEADLINE:?}\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Whether anything answers on `address:22`.
fn port_22_open(address: &str) -> bool {
    let at: SocketAddr = format!("{address}:22").parse().unwrap();
    std::net::TcpStream::connect_timeout(&at, Duration::from_secs(3)).is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_debian_image_boots_with_cloud_init_and_lets_the_key_in_over_ssh() {
    let cache = target_dir().join("ferrostack-cache");
    if let Err(err) = ferrostack_testbed::packages::ensure(
        &[
            "qemu-system-x86",
            "qemu-utils",
            "openssh-client",
            "genisoimage",
        ],
        &cache.join("apt"),
    )
    .await
    {
        panic!("this test needs qemu, genisoimage and ssh: {err}");
    }
    let work = tempfile::tempdir().unwrap();
    let driver = QemuDriver::new(work.path().join("vms"))
        .unwrap_or_else(|err| panic!("the qemu driver cannot start: {err}"));
    let t = TestCloud::with(
        MockCloud::builder()
            .compute_driver(Arc::new(driver))
            .start()
            .await
            .unwrap(),
    )
    .await;
    let fstack = |args: &[&str]| stdout(t.fstack("mock-demo").args(args));
    let osc = |args: &[&str]| stdout(t.openstack("mock-demo").args(args));
    let started = Instant::now();

    // Build.
    let out_dir = work.path().join("debian");
    let built = json(fstack(&[
        "image",
        "build",
        "--distro",
        "debian-12",
        "--output",
        out_dir.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "-f",
        "json",
    ]));
    eprintln!(
        "built in {:.1?} (root cached: {})",
        started.elapsed(),
        built["root_cached"]
    );
    // Shown only when the test fails: a full disk (the mock's Glance stores under the
    // system's temporary directory) answers 413 to an upload.
    let df = run(Command::new("df").args(["-h"]).arg(work.path()).arg(&cache));
    eprintln!("{}", String::from_utf8_lossy(&df.stdout));
    let path = |field: &str| built[field].as_str().unwrap().to_owned();
    let check =
        run(Command::new("qemu-img").args(["check", "-f", "qcow2", &path("bootable_qcow2")]));
    assert!(check.status.success(), "qemu-img check: {check:?}");

    // Upload: the qcow2 with fstack, which takes the build's properties from its sidecar.
    let qcow2 = json(fstack(&[
        "image",
        "create",
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--file",
        &path("bootable_qcow2"),
        "-f",
        "json",
        "debian-12",
    ]));
    let properties = &qcow2["properties"];
    assert_eq!(properties["os_distro"], "debian", "{qcow2}");
    assert_eq!(properties["os_version"], "12", "{qcow2}");
    assert_eq!(properties["hw_disk_bus"], "virtio", "{qcow2}");

    // The trio with python-openstackclient, linked by kernel_id and ramdisk_id.
    let upload = |name: &str, format: &str, file: &str, extra: &[String]| {
        let mut args: Vec<String> = [
            "image",
            "create",
            "--disk-format",
            format,
            "--container-format",
            format,
            "--file",
            file,
            "-f",
            "value",
            "-c",
            "id",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().cloned());
        args.push(name.to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        osc(&args).trim().to_owned()
    };
    let aki = upload("debian-12-kernel", "aki", &path("kernel"), &[]);
    let ari = upload("debian-12-ramdisk", "ari", &path("ramdisk"), &[]);
    let command_line = built["ami_properties"]["os_command_line"]
        .as_str()
        .unwrap()
        .to_owned();
    upload(
        "debian-12-ami",
        "ami",
        &path("root_raw"),
        &[
            "--property".into(),
            format!("kernel_id={aki}"),
            "--property".into(),
            format!("ramdisk_id={ari}"),
            "--property".into(),
            format!("os_command_line={command_line}"),
        ],
    );

    // A keypair made by the cloud (its private key saved here), and another key it never saw.
    let key = t.path().join("k1.pem");
    fstack(&[
        "keypair",
        "create",
        "--private-key",
        key.to_str().unwrap(),
        "k1",
    ]);
    let wrong = t.path().join("wrong");
    let made = run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&wrong));
    assert!(made.status.success(), "ssh-keygen: {made:?}");

    fstack(&["security", "group", "create", "ssh"]);
    fstack(&[
        "security",
        "group",
        "rule",
        "create",
        "--protocol",
        "tcp",
        "--dst-port",
        "22",
        "ssh",
    ]);
    let user_data = t.path().join("user-data.yaml");
    std::fs::write(&user_data, USER_DATA).unwrap();

    // Both servers at once: the qcow2 with fstack, with the tcp/22 rule; the ami with osc,
    // with only the default group.
    let booted = Instant::now();
    fstack(&[
        "server",
        "create",
        "--image",
        "debian-12",
        "--flavor",
        "m1.small",
        "--key-name",
        "k1",
        "--network",
        "private",
        "--security-group",
        "ssh",
        "--user-data",
        user_data.to_str().unwrap(),
        "--wait",
        "vm-qcow2",
    ]);
    osc(&[
        "server",
        "create",
        "--image",
        "debian-12-ami",
        "--flavor",
        "m1.small",
        "--key-name",
        "k1",
        "--network",
        "private",
        "--wait",
        "vm-ami",
    ]);
    let fip = |server: &str, client: &dyn Fn(&[&str]) -> String| {
        let address = client(&[
            "floating",
            "ip",
            "create",
            "public",
            "-f",
            "value",
            "-c",
            "floating_ip_address",
        ])
        .trim()
        .to_owned();
        client(&["server", "add", "floating", "ip", server, &address]);
        address
    };
    let qcow2_ip = fip("vm-qcow2", &fstack);
    let ami_ip = fip("vm-ami", &osc);

    wait_for_ssh(&key, &qcow2_ip, booted, "vm-qcow2", &t);

    // fstack server ssh: the floating address, osc's arguments after `--`.
    let mut through_fstack = t.fstack("mock-demo");
    through_fstack
        .args(["server", "ssh", "vm-qcow2", "--", "-l", "debian", "-i"])
        .arg(&key)
        .args(ssh_options())
        .arg("cat /etc/os-release");
    let os_release = stdout(&mut through_fstack);
    assert!(
        os_release.contains("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\""),
        "{os_release}"
    );
    let mut through_osc = t.openstack("mock-demo");
    through_osc
        .args(["server", "ssh", "vm-qcow2", "--", "-l", "debian", "-i"])
        .arg(&key)
        .args(ssh_options())
        .arg("cat /etc/os-release");
    assert_eq!(stdout(&mut through_osc), os_release);

    // What the cloud told the guest: its user data ran, its name, the config drive it read.
    let said = |command: &str| {
        let out = ssh_settled(&key, &qcow2_ip, command);
        assert!(out.status.success(), "{command}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // `status --wait` returns once cloud-final (runcmd) is done too.
    let status = said("cloud-init status --wait --long");
    assert!(status.contains("DataSourceConfigDrive"), "{status}");
    assert_eq!(
        said("cat /var/tmp/ferrostack-user-data"),
        "written by user data"
    );
    assert_eq!(said("cat /var/tmp/ferrostack-runcmd"), "vm-qcow2");
    assert_eq!(said("sudo blkid -s LABEL -o value /dev/sr0"), "config-2");
    let server_id = fstack(&["server", "show", "vm-qcow2", "-f", "value", "-c", "id"]);
    assert_eq!(
        said("sudo cat /sys/class/dmi/id/product_uuid"),
        server_id.trim()
    );
    assert_eq!(said("sudo -n true && echo root"), "root");

    // A key the cloud never saw is refused by sshd.
    let refused = ssh(&wrong, &qcow2_ip, "true");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Permission denied (publickey)"),
        "{refused:?}"
    );

    // Without a tcp/22 rule nothing answers on the floating IP, even once cloud-init is
    // done; with it, the key gets in.
    wait_for_console(&t, "vm-ami", "Cloud-init v.", booted);
    wait_for_console(&t, "vm-ami", " finished at ", booted);
    assert!(
        !port_22_open(&ami_ip),
        "vm-ami answers on 22 without a rule"
    );
    osc(&["server", "add", "security", "group", "vm-ami", "ssh"]);
    wait_for_ssh(&key, &ami_ip, booted, "vm-ami", &t);
    let out = ssh_settled(&key, &ami_ip, "cat /proc/cmdline; cat /etc/os-release");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&command_line), "{text}");
    assert!(text.contains("VERSION_CODENAME=bookworm"), "{text}");

    fstack(&["server", "delete", "--wait", "vm-qcow2", "vm-ami"]);
    eprintln!("the whole flow took {:.1?}", started.elapsed());
}

/// Bad input is named before anything runs, and a build that fails (an unreachable mirror)
/// leaves neither a file in the output folder nor a partial root in the cache.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_debian_build_leaves_nothing_behind() {
    let t = TestCloud::start().await;
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let cache = work.path().join("cache");
    let build = |extra: &[&str]| {
        let mut cmd = t.fstack("mock-demo");
        cmd.args(["image", "build", "--output", out.to_str().unwrap()])
            .args(["--cache-dir", cache.to_str().unwrap()])
            .args(extra);
        run(&mut cmd)
    };
    let fails_with = |extra: &[&str], code: i32, words: &str| {
        let failed = build(extra);
        let stderr = String::from_utf8_lossy(&failed.stderr).into_owned();
        assert_eq!(failed.status.code(), Some(code), "{extra:?}: {stderr}");
        assert!(stderr.contains(words), "{extra:?}: {stderr}");
        assert!(!out.exists(), "{extra:?} left {}", out.display());
        stderr
    };
    fails_with(
        &["--distro", "ubuntu-24.04"],
        1,
        "--distro ubuntu-24.04: not a distribution",
    );
    fails_with(
        &["--distro", "debian-12", "--size", "100M"],
        1,
        "--size 100M: too small",
    );
    fails_with(
        &["--distro", "debian-12", "--size", "2T"],
        2,
        "is not a size",
    );
    fails_with(&["--size", "4G"], 2, "--distro");
    fails_with(&["--distro", "debian-12", "--token", "x"], 2, "--token");
    fails_with(
        &["--distro", "debian-12", "--mirror", "ftp://mirror/debian"],
        1,
        "--mirror ftp://mirror/debian: not an http://",
    );
    fails_with(
        &["--distro", "debian-12", "--packages", "vim;reboot"],
        1,
        "--packages \"vim;reboot\"",
    );

    // Nothing listens on port 9 of loopback: mmdebstrap cannot fetch a thing.
    let stderr = fails_with(
        &[
            "--distro",
            "debian-12",
            "--mirror",
            "http://127.0.0.1:9/debian",
        ],
        1,
        "mmdebstrap",
    );
    assert!(
        stderr.contains("cannot build the debian-12 image"),
        "{stderr}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("debian"))
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers.iter().all(|name| name == ".lock"),
        "the cache kept {leftovers:?}"
    );
}
