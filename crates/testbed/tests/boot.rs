//! Real boots under qemu of the tiny image built from Debian packages.
//!
//! These FAIL (never skip) when the host lacks qemu-system or the build tools: run
//! `cargo run -p ferrostack-testbed --bin host-packages` as root to install them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferrostack_qemu::{Disk, Error, InstallSpec, Vm, VmBuilder};
use ferrostack_testbed::tiny::{self, TinyImage, TinySpec};
use ferrostack_testbed::{NoCloudSeed, packages};
use tokio::sync::OnceCell;

/// A boot gets this long before it counts as failed (QEMU.md: about 4 s alone, double when busy).
const BOOT_DEADLINE: Duration = Duration::from_secs(120);

/// The image is built once per test binary; the kernel download is cached across runs.
async fn image() -> &'static TinyImage {
    static IMAGE: OnceCell<TinyImage> = OnceCell::const_new();
    IMAGE
        .get_or_init(|| async {
            require_host().await;
            let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let spec = TinySpec::new(
                tmp.join("../ferrostack-cache"),
                tmp.join("ferrostack-qemu-tiny"),
            );
            let started = Instant::now();
            let image = tiny::build(&spec)
                .await
                .unwrap_or_else(|err| panic!("building the tiny image failed: {err}"));
            eprintln!("tiny image built in {:.1?}", started.elapsed());
            image
        })
        .await
}

async fn require_host() {
    let missing = packages::missing(&packages::all_packages()).await.unwrap();
    assert!(
        missing.is_empty(),
        "real-qemu tests need the host packages {missing:?}; install them as root with \
         `cargo run -p ferrostack-testbed --bin host-packages`"
    );
}

fn tiny_vm(image: &TinyImage) -> VmBuilder {
    VmBuilder::new()
        .memory_mib(256)
        .kernel(&image.kernel)
        .initrd(&image.initrd)
}

async fn boot_to_marker(mut vm: Vm, token: &str, what: &str) -> Vm {
    let started = Instant::now();
    tiny::wait_for_boot_marker(&mut vm, token, BOOT_DEADLINE)
        .await
        .unwrap_or_else(|err| panic!("{what} did not boot: {err}"));
    eprintln!("{what}: marker after {:.1?}", started.elapsed());
    vm
}

#[tokio::test]
async fn the_initramfs_boots_to_the_marker() {
    let image = image().await;
    let token = tiny::random_token();
    let vm = tiny_vm(image)
        .append(tiny::kernel_append(&token, None))
        .spawn()
        .await
        .unwrap();
    let mut vm = boot_to_marker(vm, &token, "kernel + initramfs").await;
    let status = vm.wait(Some(BOOT_DEADLINE)).await.unwrap();
    assert!(status.success(), "the guest powers itself off: {status}");
    let log = std::fs::read_to_string(vm.serial_log()).unwrap();
    assert!(
        log.contains(&format!("SMOKE-BOOT-OK {token}\r\n")),
        "serial log:\n{log}"
    );
}

#[tokio::test]
async fn the_qcow2_root_disk_boots() {
    let image = image().await;
    let token = tiny::random_token();
    let vm = tiny_vm(image)
        .disk(Disk::snapshot(&image.root_qcow2, "qcow2"))
        .append(tiny::kernel_append(&token, Some("/dev/vda")))
        .spawn()
        .await
        .unwrap();
    let mut vm = boot_to_marker(vm, &token, "ext4 root in qcow2").await;
    assert!(vm.wait(Some(BOOT_DEADLINE)).await.unwrap().success());
}

#[tokio::test]
async fn the_self_booting_disk_boots() {
    let image = image().await;
    let vm = VmBuilder::new()
        .memory_mib(256)
        .disk(Disk::snapshot(&image.bootable_qcow2, "qcow2"))
        .spawn()
        .await
        .unwrap();
    let mut vm = boot_to_marker(vm, &image.token, "self-booting MBR disk").await;
    assert!(vm.wait(Some(BOOT_DEADLINE)).await.unwrap().success());
}

#[tokio::test]
async fn a_panicking_kernel_is_a_failed_boot() {
    let image = image().await;
    let token = tiny::random_token();
    // An init that exits at once: the kernel panics, and with panic=-1 -no-reboot qemu exits 0.
    let append = format!("{} rdinit=/bin/false", tiny::kernel_append(&token, None));
    let mut vm = tiny_vm(image).append(append).spawn().await.unwrap();
    let started = Instant::now();
    let err = tiny::wait_for_boot_marker(&mut vm, &token, BOOT_DEADLINE)
        .await
        .unwrap_err();
    eprintln!("panicking kernel: reported after {:.1?}", started.elapsed());
    let Error::BootFailed { reason, .. } = &err else {
        panic!("unexpected error {err:?}");
    };
    assert!(
        reason.starts_with("qemu ended (exit status: 0)"),
        "{reason}"
    );
    let console = vm.console_lines();
    assert!(
        console
            .iter()
            .any(|line| line.contains("Kernel panic - not syncing")),
        "{console:#?}"
    );
}

#[tokio::test]
async fn dropping_a_running_vm_leaves_no_qemu_process() {
    let image = image().await;
    let token = tiny::random_token();
    // smoke_stay=1: the guest keeps running after the marker.
    let append = format!("{} smoke_stay=1", tiny::kernel_append(&token, None));
    let vm = tiny_vm(image).append(append).spawn().await.unwrap();
    let mut vm = boot_to_marker(vm, &token, "staying guest").await;
    assert!(vm.is_running());
    let proc_dir = PathBuf::from(format!("/proc/{}", vm.pid()));
    assert!(proc_dir.exists());
    drop(vm);
    // Drop sends SIGKILL at once and reaps qemu in a task of this runtime.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while proc_dir.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "qemu (pid {}) outlived its Vm",
            proc_dir.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn power_off_presses_the_acpi_button() {
    let image = image().await;
    let token = tiny::random_token();
    let append = format!("{} smoke_stay=1", tiny::kernel_append(&token, None));
    let vm = tiny_vm(image).append(append).spawn().await.unwrap();
    let mut vm = boot_to_marker(vm, &token, "guest to power off").await;
    let started = Instant::now();
    let status = vm.power_off(Duration::from_secs(60)).await.unwrap();
    eprintln!("power off over QMP took {:.1?}", started.elapsed());
    assert!(
        status.success(),
        "the guest handled the power button: {status}"
    );
}

#[tokio::test]
async fn install_serves_vnc_on_loopback_until_the_guest_powers_off() {
    require_host().await;
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("target.qcow2");
    ferrostack_qemu::QemuImg::locate()
        .unwrap()
        .create(&ferrostack_qemu::CreateSpec::new(&disk, "qcow2").size(64 << 20))
        .await
        .unwrap();
    // Not a bootable installer: the point here is the plumbing, not an OS install.
    let iso = dir.path().join("installer.iso");
    std::fs::write(&iso, vec![0u8; 1 << 20]).unwrap();
    let mut installation =
        ferrostack_qemu::install::start(&InstallSpec::new(&disk, &iso).memory_mib(256))
            .await
            .unwrap();
    let vnc = installation.vnc_address();
    assert!(vnc.ip().is_loopback());
    let mut banner = [0u8; 12];
    let mut stream = tokio::net::TcpStream::connect(vnc).await.unwrap();
    tokio::io::AsyncReadExt::read_exact(&mut stream, &mut banner)
        .await
        .unwrap();
    assert_eq!(&banner, b"RFB 003.008\n");
    // Nothing powers this guest off: the wait ends at its deadline, qemu still running.
    let err = installation
        .wait_for_poweroff(Some(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let vm = installation.vm();
    assert!(vm.is_running());
    // A line that never comes is a failed wait at its deadline, with the console tail.
    let err = vm
        .wait_for_line(|line| line == "never printed", Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no expected console line within 200ms"),
        "{err}"
    );
    // QMP errors name the command.
    let err = vm
        .qmp("ferrostack-no-such-command", None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("QMP: ferrostack-no-such-command failed:"),
        "{err}"
    );
    let status = vm.query_status().await.unwrap();
    assert_eq!(status, "running");
}

#[tokio::test]
async fn a_nocloud_seed_is_a_cidata_vfat_image() {
    require_host().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.img");
    NoCloudSeed::new("i-42", "tiny")
        .user_data("#cloud-config\nruncmd: [poweroff]\n")
        .write_vfat(&seed)
        .await
        .unwrap();
    let listing = std::process::Command::new("mdir")
        .arg("-i")
        .arg(&seed)
        .arg("::")
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("CIDATA"), "{listing}");
    let meta = std::process::Command::new("mtype")
        .arg("-i")
        .arg(&seed)
        .arg("::meta-data")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&meta.stdout),
        "instance-id: i-42\nlocal-hostname: tiny\n"
    );
}

#[tokio::test]
async fn a_missing_disk_is_reported_with_qemus_own_words() {
    require_host().await;
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-disk.qcow2");
    let started = VmBuilder::new()
        .memory_mib(64)
        .disk(Disk::snapshot(&missing, "qcow2"))
        .spawn()
        .await;
    let Err(err) = started else {
        panic!("qemu started without its disk");
    };
    let text = err.to_string();
    assert!(
        text.contains("no-such-disk.qcow2") && text.contains("No such file"),
        "{text}"
    );
    assert!(matches!(err, Error::CommandFailed { .. }), "{err:?}");
}
