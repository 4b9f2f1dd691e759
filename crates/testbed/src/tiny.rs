//! The tiny bootable image, built offline from Debian packages, without root mounts:
//!
//! - the kernel from `linux-image-<abi>-cloud-amd64` (downloaded with apt into a cache, never
//!   installed), the ABI resolved from the `linux-image-cloud-amd64` metapackage;
//! - a busybox-static initramfs whose `/init` insmods the virtio modules in dependency order and
//!   prints `SMOKE-BOOT-OK <token>` (token from `smoke_token=` on the kernel command line), or
//!   mounts `root=` and hands over to the root's `/sbin/init`, which prints it;
//! - an ext4 root disk (`mkfs.ext4 -d`) in qcow2;
//! - a self-booting MBR disk (syslinux on a FAT partition, the ext4 root as partition 2) in
//!   qcow2, whose boot configuration carries the build's token.
//!
//! Before the marker the guest prints one `FERROSTACK-PCI vendor:device` line per PCI device
//! (read from sysfs, so no driver is needed) and `FERROSTACK-FIRMWARE uefi|bios`: what a test
//! checks the machine's hardware by ([`pci_devices`], [`firmware`]).
//!
//! After the marker the guest powers off, unless the command line says `smoke_stay=1`: then it
//! keeps running and powers off on the ACPI power button (QMP `system_powerdown`).

mod cpio;
mod kernel;
pub(crate) mod mbr;
mod modinfo;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrostack_qemu::{ConvertSpec, Error, QemuImg, Result, ToolCommand, Vm};
use flate2::Compression;
use flate2::write::GzEncoder;

pub use self::cpio::Cpio;
pub(crate) use self::kernel::lock_cache;
pub use self::kernel::{KernelFiles, fetch_kernel};
use crate::programs;

/// The line the tiny image's init prints once it is up: `SMOKE-BOOT-OK <token>`.
pub fn boot_marker(token: &str) -> String {
    format!("SMOKE-BOOT-OK {token}")
}

/// Waits for [`boot_marker`] alone on a line of `vm`'s console: the proof that a tiny image
/// booted.
pub async fn wait_for_boot_marker(vm: &mut Vm, token: &str, deadline: Duration) -> Result<()> {
    let marker = boot_marker(token);
    vm.wait_for_line(|line| line.trim() == marker, deadline)
        .await
        .map(drop)
}

/// A fresh random token for one run.
pub fn random_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The kernel command line for the tiny image: serial console, reboot (= qemu exit) on panic,
/// the token, and the root device when booting from a disk.
pub fn kernel_append(token: &str, root: Option<&str>) -> String {
    let mut append = format!("console=ttyS0 panic=-1 quiet smoke_token={token}");
    if let Some(root) = root {
        append.push_str(&format!(" root={root}"));
    }
    append
}

/// The modules the guest loads, by name; their dependencies are added in order.
pub const GUEST_MODULES: &[&str] = &["virtio_pci", "virtio_blk", "virtio_net", "button", "evdev"];

/// The busybox applets linked into the guest.
const APPLETS: &[&str] = &[
    "sh",
    "acpid",
    "cat",
    "echo",
    "false",
    "grep",
    "httpd",
    "ifconfig",
    "insmod",
    "ls",
    "mkdir",
    "mount",
    "poweroff",
    "readlink",
    "route",
    "sleep",
    "switch_root",
    "telnetd",
    "true",
    "udhcpc",
    "umount",
    "usleep",
];

/// Where the tiny image is built and cached.
#[derive(Clone, Debug)]
pub struct TinySpec {
    /// Downloads (apt state, kernel packages) kept between builds.
    pub cache_dir: PathBuf,
    /// Where the outputs are written (one build at a time per folder; the cache is shared
    /// safely).
    pub out_dir: PathBuf,
    /// The token baked into the self-booting disk's boot configuration.
    pub token: String,
    /// A `qemu-img` to use instead of the one on `PATH`.
    pub qemu_img: Option<PathBuf>,
    /// The busybox-static binary.
    pub busybox: PathBuf,
}

impl TinySpec {
    /// Build into `out_dir`, caching downloads under `cache_dir`, with a fresh token.
    pub fn new(cache_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        TinySpec {
            cache_dir: cache_dir.into(),
            out_dir: out_dir.into(),
            token: random_token(),
            qemu_img: None,
            busybox: PathBuf::from("/bin/busybox"),
        }
    }
}

/// The built image: paths of its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TinyImage {
    /// The kernel (bzImage), for `-kernel` / a Glance `aki`.
    pub kernel: PathBuf,
    /// The gzip'd newc initramfs, for `-initrd` / a Glance `ari`.
    pub initrd: PathBuf,
    /// The ext4 root filesystem in qcow2 (boots with kernel + initrd and `root=/dev/vda`): an `ami`.
    pub root_qcow2: PathBuf,
    /// The self-booting MBR disk in qcow2 (no kernel or initrd needed).
    pub bootable_qcow2: PathBuf,
    /// The token the self-booting disk prints (kernel + initrd boots take theirs from `-append`).
    pub token: String,
    /// The kernel release, e.g. `6.1.0-56-cloud-amd64`.
    pub kernel_release: String,
}

/// Builds every part of the tiny image. Downloads only what the cache lacks.
pub async fn build(spec: &TinySpec) -> Result<TinyImage> {
    let qemu_img = QemuImg::configured(spec.qemu_img.as_deref())?;
    let mkfs = programs::MKFS_EXT4.locate(None)?;
    let busybox = read_static_busybox(&spec.busybox)?;
    std::fs::create_dir_all(&spec.out_dir)
        .map_err(|err| Error::io("cannot create", &spec.out_dir, err))?;
    let kernel = fetch_kernel(&spec.cache_dir).await?;

    let out = |name: &str| spec.out_dir.join(name);
    let image = TinyImage {
        kernel: out("vmlinuz"),
        initrd: out("initrd.gz"),
        root_qcow2: out("root.qcow2"),
        bootable_qcow2: out("bootable.qcow2"),
        token: spec.token.clone(),
        kernel_release: kernel.release.clone(),
    };
    std::fs::copy(&kernel.vmlinuz, &image.kernel)
        .map_err(|err| Error::io("cannot copy", &kernel.vmlinuz, err))?;

    let order = modinfo::load_order(GUEST_MODULES, &modinfo::index(&kernel.modules_dir)?)?;
    let initramfs = initramfs(&busybox, &order)?;
    write_gzip(&image.initrd, &initramfs)?;

    let scratch = tempfile::Builder::new()
        .prefix("tiny-build-")
        .tempdir_in(&spec.out_dir)
        .map_err(|err| Error::io("cannot create a scratch folder in", &spec.out_dir, err))?;
    let root_raw = scratch.path().join("root.raw");
    make_root_fs(&mkfs, &busybox, scratch.path(), &root_raw).await?;
    qemu_img
        .convert(&ConvertSpec::new(&root_raw, &image.root_qcow2, "qcow2").source_format("raw"))
        .await?;

    let disk_raw = scratch.path().join("bootable.raw");
    make_bootable_disk(&image, &root_raw, scratch.path(), &disk_raw).await?;
    qemu_img
        .convert(&ConvertSpec::new(&disk_raw, &image.bootable_qcow2, "qcow2").source_format("raw"))
        .await?;
    Ok(image)
}

/// Reads busybox and makes sure it is the static one (a dynamic busybox cannot run in the
/// initramfs, which has no libc).
fn read_static_busybox(path: &Path) -> Result<Vec<u8>> {
    let elf = std::fs::read(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => Error::MissingProgram {
            program: path.display().to_string(),
            package: "busybox-static".to_owned(),
            configured: None,
        },
        _ => Error::io("cannot read", path, err),
    })?;
    if has_interpreter(&elf) {
        return Err(Error::invalid(
            path.display().to_string(),
            "is dynamically linked; install the Debian package `busybox-static`",
        ));
    }
    Ok(elf)
}

/// Whether an ELF64 file has a `PT_INTERP` program header (it needs a dynamic loader).
fn has_interpreter(elf: &[u8]) -> bool {
    let read = |at: usize, len: usize| {
        elf.get(at..at + len).map(|bytes| {
            bytes
                .iter()
                .rev()
                .fold(0usize, |value, byte| (value << 8) | usize::from(*byte))
        })
    };
    let (Some(table), Some(size), Some(count)) = (read(0x20, 8), read(0x36, 2), read(0x38, 2))
    else {
        return true;
    };
    (0..count).any(|index| read(table + index * size, 4) == Some(3))
}

/// The line the guest prints once an interface has its DHCP address: `FERROSTACK-NET-UP <ip>`
/// (`eth0` at boot, and with `smoke_stay=1` each NIC plugged in later).
pub fn net_up_marker(ip: &str) -> String {
    format!("{NET_UP_PREFIX}{ip}")
}

/// The start of [`net_up_marker`]'s line.
pub const NET_UP_PREFIX: &str = "FERROSTACK-NET-UP ";

/// The line a guest booted with `smoke_stay=1` prints when interface `name` (`eth1`) was
/// unplugged; a NIC plugged in while it runs gets its lease and a [`net_up_marker`] line.
pub fn net_gone_marker(name: &str) -> String {
    format!("FERROSTACK-NET-GONE {name}")
}

/// The start of each line the guest prints per PCI device: `FERROSTACK-PCI 8086:100e`.
pub const PCI_PREFIX: &str = "FERROSTACK-PCI ";

/// The start of the line that says how the guest was booted: `FERROSTACK-FIRMWARE uefi`.
pub const FIRMWARE_PREFIX: &str = "FERROSTACK-FIRMWARE ";

/// The PCI devices the guest listed on `console`, as `vendor:device` in lower-case hex
/// (`8086:100e` is an e1000), in the guest's order (all runs of a console, one after another).
/// A line may start with what the firmware left unterminated (OVMF's screen-clearing
/// sequences): the report is found anywhere in it.
pub fn pci_devices(console: &str) -> Vec<String> {
    console
        .lines()
        .filter_map(|line| reported(line, PCI_PREFIX))
        .collect()
}

/// The firmware the guest found itself booted by (`uefi` or `bios`), from its first report.
pub fn firmware(console: &str) -> Option<String> {
    console
        .lines()
        .find_map(|line| reported(line, FIRMWARE_PREFIX))
}

/// The word after `prefix` on a console line.
fn reported(line: &str, prefix: &str) -> Option<String> {
    let (_, rest) = line.split_once(prefix)?;
    rest.split_whitespace().next().map(str::to_owned)
}

/// The kernel command line word that names the server (`ferrostack_server=<id>`); with
/// `smoke_stay=1` the guest's web server answers `/` with it.
pub const SERVER_ARG: &str = "ferrostack_server";

/// The shell code that proves the boot: list the PCI devices and the firmware, bring up
/// `eth0` by DHCP when there is one (and, with `smoke_stay=1`, serve `/` over HTTP on port 80
/// with the server's id, and a shell over telnet on 23), print the marker, then power off (or,
/// with `smoke_stay=1`, wait for the ACPI power button).
const PROVE: &str = r#"
# The machine's hardware as sysfs shows it without any driver: one line per PCI device.
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
for dev in /sys/bus/pci/devices/*; do
    [ -r "$dev/vendor" ] || continue
    vendor="$(cat "$dev/vendor")"
    device="$(cat "$dev/device")"
    echo "FERROSTACK-PCI ${vendor#0x}:${device#0x}"
done
if [ -d /sys/firmware/efi ]; then
    echo "FERROSTACK-FIRMWARE uefi"
else
    echo "FERROSTACK-FIRMWARE bios"
fi
token=""
stay=""
server=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        smoke_token=*) token="${arg#smoke_token=}" ;;
        smoke_stay=1) stay=1 ;;
        ferrostack_server=*) server="${arg#ferrostack_server=}" ;;
    esac
done
net_ip=""
if grep -q "eth0:" /proc/net/dev; then
    ifconfig lo 127.0.0.1 up
    # -n: give up (after -t tries of -T seconds) rather than wait forever; -q: quit once bound.
    if udhcpc -i eth0 -s /etc/udhcpc.script -q -n -t 10 -T 1 >/dev/null 2>&1; then
        net_ip="$(cat /var/run/ferrostack-ip)"
        echo "FERROSTACK-NET-UP $net_ip"
    else
        echo "FERROSTACK-NET-FAIL eth0"
    fi
fi
if [ -n "$stay" ] && [ -n "$net_ip" ]; then
    [ -n "$server" ] || server="$(cat /var/run/ferrostack-hostname 2>/dev/null)"
    mkdir -p /var/www /dev/pts
    echo "$server" > /var/www/index.html
    httpd -p 80 -h /var/www
    mount -t devpts devpts /dev/pts && telnetd -p 23 -l /bin/sh
fi
if [ -n "$stay" ]; then
    # NICs plugged in while the machine runs get a lease too, and one unplugged is named.
    grep -q "eth0:" /proc/net/dev && : > /var/run/ferrostack-up-eth0
    while :; do
        for dev in /sys/class/net/eth*; do
            name="${dev##*/}"
            [ -e "$dev" ] && [ ! -e "/var/run/ferrostack-up-$name" ] || continue
            : > "/var/run/ferrostack-up-$name"
            if udhcpc -i "$name" -s /etc/udhcpc.script -q -n -t 10 -T 1 >/dev/null 2>&1; then
                echo "FERROSTACK-NET-UP $(cat /var/run/ferrostack-ip)"
            else
                echo "FERROSTACK-NET-FAIL $name"
            fi
        done
        for mark in /var/run/ferrostack-up-*; do
            name="${mark##*/ferrostack-up-}"
            [ -e "$mark" ] && [ ! -e "/sys/class/net/$name" ] || continue
            rm -f "$mark"
            echo "FERROSTACK-NET-GONE $name"
        done
        sleep 1
    done &
    # In the foreground (-f) but as a job; it logs to /var/log/acpid.log, or exits.
    acpid -f -c /etc/acpi &
    acpid_pid=$!
    # The marker must mean "ready for the power button": wait until acpid holds every
    # input event device open.
    acpid_ready() {
        for dev in /dev/input/event*; do
            held=""
            for fd in /proc/$acpid_pid/fd/*; do
                [ "$(readlink "$fd")" = "$dev" ] && held=1
            done
            [ -n "$held" ] || return 1
        done
    }
    tries=0
    until acpid_ready || [ "$tries" -ge 250 ]; do
        usleep 20000
        tries=$((tries + 1))
    done
fi
echo "SMOKE-BOOT-OK $token"
if [ -n "$stay" ]; then
    while :; do sleep 3600; done
fi
poweroff -f
"#;

/// The initramfs `/init`: mount the kernel filesystems, load the modules, then either hand
/// over to `root=` or prove the boot right here.
fn init_script() -> String {
    let prelude = r#"#!/bin/sh
# ferrostack tiny initramfs
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r module; do
    insmod "/lib/modules/$module" || echo "ferrostack: insmod $module failed"
done < /etc/modules
root=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        root=*) root="${arg#root=}" ;;
    esac
done
if [ -n "$root" ]; then
    # virtio_blk registers the disk asynchronously: give it up to 10 s.
    tries=0
    while [ ! -b "$root" ] && [ "$tries" -lt 200 ]; do
        usleep 50000
        tries=$((tries + 1))
    done
    if mount -t ext4 "$root" /newroot; then
        umount /sys
        umount /proc
        mount --move /dev /newroot/dev
        exec switch_root /newroot /sbin/init
    fi
    echo "SMOKE-BOOT-FAIL cannot mount root $root"
    poweroff -f
fi
"#;
    format!("{prelude}{PROVE}")
}

/// The root filesystem's `/sbin/init`.
fn root_init_script() -> String {
    format!(
        "#!/bin/sh\n# ferrostack tiny root\nexport PATH=/bin\nmount -t proc proc /proc\n{PROVE}"
    )
}

/// What busybox udhcpc runs with the lease in its environment: configure the address and
/// the default route, and leave the address and host name for the init to print and serve.
const UDHCPC_SCRIPT: &str = r#"#!/bin/sh
case "$1" in
    deconfig) ifconfig "$interface" 0.0.0.0 up ;;
    bound|renew)
        ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
        for gw in $router; do
            route add default gw "$gw" dev "$interface" 2>/dev/null
            break
        done
        echo "$ip" > /var/run/ferrostack-ip
        [ -z "$hostname" ] || echo "$hostname" > /var/run/ferrostack-hostname
        ;;
esac
exit 0
"#;

/// busybox acpid runs `/etc/acpi/PWRF/00000080` when the power button is pressed.
const POWER_BUTTON_SCRIPT: &str = "#!/bin/sh\npoweroff -f\n";

/// The initramfs as a newc cpio (not yet compressed).
fn initramfs(busybox: &[u8], modules: &[PathBuf]) -> Result<Vec<u8>> {
    let mut cpio = Cpio::new();
    for dir in [
        "bin",
        "dev",
        "etc",
        "etc/acpi",
        "etc/acpi/PWRF",
        "lib",
        "lib/modules",
        "newroot",
        "proc",
        "sys",
        "var",
        "var/log",
        "var/run",
    ] {
        cpio.dir(dir);
    }
    // The kernel opens /dev/console for init before anything is mounted.
    cpio.char_device("dev/console", 0o600, 5, 1);
    cpio.file("bin/busybox", 0o755, busybox);
    for applet in APPLETS {
        cpio.symlink(&format!("bin/{applet}"), "busybox");
    }
    let mut order = String::new();
    for module in modules {
        let name = module
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| Error::invalid(module.display().to_string(), "has no file name"))?;
        let bytes = std::fs::read(module).map_err(|err| Error::io("cannot read", module, err))?;
        cpio.file(&format!("lib/modules/{name}"), 0o644, &bytes);
        order.push_str(name);
        order.push('\n');
    }
    cpio.file("etc/modules", 0o644, order.as_bytes());
    cpio.file(
        "etc/acpi/PWRF/00000080",
        0o755,
        POWER_BUTTON_SCRIPT.as_bytes(),
    );
    cpio.file("etc/udhcpc.script", 0o755, UDHCPC_SCRIPT.as_bytes());
    cpio.file("init", 0o755, init_script().as_bytes());
    Ok(cpio.finish())
}

fn write_gzip(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let file = std::fs::File::create(path).map_err(|err| Error::io("cannot create", path, err))?;
    let mut encoder = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish()?.flush())
        .map_err(|err| Error::io("cannot write", path, err))
}

/// Size of the ext4 root filesystem.
const ROOT_MIB: u32 = 64;
/// Size of the FAT boot partition (kernel of about 14 MiB plus the initramfs).
const BOOT_MIB: u32 = 40;

/// Lays out the root tree in a folder and turns it into an ext4 image with `mkfs.ext4 -d`.
async fn make_root_fs(mkfs: &Path, busybox: &[u8], scratch: &Path, raw: &Path) -> Result<()> {
    let tree = scratch.join("root-tree");
    let write = |relative: &str, data: &[u8], mode: u32| -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        let path = tree.join(relative);
        std::fs::write(&path, data).map_err(|err| Error::io("cannot write", &path, err))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|err| Error::io("cannot chmod", &path, err))
    };
    for dir in [
        "bin",
        "sbin",
        "dev",
        "proc",
        "sys",
        "etc/acpi/PWRF",
        "var/log",
        "var/run",
        "tmp",
    ] {
        let path = tree.join(dir);
        std::fs::create_dir_all(&path).map_err(|err| Error::io("cannot create", &path, err))?;
    }
    write("bin/busybox", busybox, 0o755)?;
    for applet in APPLETS {
        let link = tree.join("bin").join(applet);
        std::os::unix::fs::symlink("busybox", &link)
            .map_err(|err| Error::io("cannot link", &link, err))?;
    }
    write("sbin/init", root_init_script().as_bytes(), 0o755)?;
    write("etc/udhcpc.script", UDHCPC_SCRIPT.as_bytes(), 0o755)?;
    write(
        "etc/acpi/PWRF/00000080",
        POWER_BUTTON_SCRIPT.as_bytes(),
        0o755,
    )?;
    ToolCommand::new(mkfs)
        .arg("-q")
        .arg("-F")
        .arg("-L")
        .arg("tiny-root")
        .arg("-E")
        .arg("root_owner=0:0")
        .arg("-d")
        .path_arg(&tree)
        .path_arg(raw)
        .arg(format!("{ROOT_MIB}M"))
        .run()
        .await
        .map(drop)
}

/// syslinux's boot configuration: boot the kernel with the root on partition 2.
fn syslinux_cfg(token: &str) -> String {
    format!(
        "DEFAULT tiny\nPROMPT 0\nTIMEOUT 0\nLABEL tiny\n  LINUX /vmlinuz\n  INITRD /initrd.gz\n  APPEND {}\n",
        kernel_append(token, Some("/dev/vda2"))
    )
}

/// Where syslinux's MBR boot code lives on Debian (package syslinux-common).
const MBR_BIN: &str = "/usr/lib/syslinux/mbr/mbr.bin";

/// Assembles the self-booting disk: MBR (syslinux mbr.bin + partition table), a FAT boot
/// partition made with mtools and `syslinux --install`, and the ext4 root.
async fn make_bootable_disk(
    image: &TinyImage,
    root_raw: &Path,
    scratch: &Path,
    disk: &Path,
) -> Result<()> {
    use std::io::{Seek as _, SeekFrom, Write as _};
    let mformat = programs::MFORMAT.locate(None)?;
    let mcopy = programs::MCOPY.locate(None)?;
    let syslinux = programs::SYSLINUX.locate(None)?;
    let mbr_code = std::fs::read(MBR_BIN).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => Error::MissingProgram {
            program: MBR_BIN.to_owned(),
            package: "syslinux-common".to_owned(),
            configured: None,
        },
        _ => Error::io("cannot read", MBR_BIN, err),
    })?;

    const FIRST_SECTOR: u32 = 2048;
    let boot_sectors = BOOT_MIB * 2048;
    let root_len = std::fs::metadata(root_raw)
        .map_err(|err| Error::io("cannot stat", root_raw, err))?
        .len();
    let root_sectors = u32::try_from(root_len / 512)
        .map_err(|_| Error::invalid(root_raw.display().to_string(), "is too large for an MBR"))?;

    let boot = scratch.join("boot.fat");
    let cfg = scratch.join("syslinux.cfg");
    std::fs::write(&cfg, syslinux_cfg(&image.token))
        .map_err(|err| Error::io("cannot write", &cfg, err))?;
    for command in boot_partition_commands(
        &boot,
        boot_sectors,
        FIRST_SECTOR,
        image,
        &cfg,
        (&mformat, &syslinux, &mcopy),
    ) {
        command.run().await?;
    }

    let boot_flag = mbr::Partition {
        kind: 0x0e,
        bootable: true,
        start: FIRST_SECTOR,
        sectors: boot_sectors,
    };
    let root_part = mbr::Partition {
        kind: 0x83,
        bootable: false,
        start: FIRST_SECTOR + boot_sectors,
        sectors: root_sectors,
    };
    let sector = mbr::sector(
        &mbr_code[..mbr_code.len().min(440)],
        rand::random(),
        &[boot_flag, root_part],
    )
    .map_err(|problem| Error::invalid(MBR_BIN, problem))?;
    let place = |file: &mut std::fs::File, at: u32, from: &Path| -> Result<()> {
        let mut source =
            std::fs::File::open(from).map_err(|err| Error::io("cannot open", from, err))?;
        file.seek(SeekFrom::Start(u64::from(at) * 512))
            .and_then(|_| std::io::copy(&mut source, file))
            .map(drop)
            .map_err(|err| Error::io("cannot write", disk, err))
    };
    let mut file =
        std::fs::File::create(disk).map_err(|err| Error::io("cannot create", disk, err))?;
    file.write_all(&sector)
        .map_err(|err| Error::io("cannot write", disk, err))?;
    place(&mut file, boot_flag.start, &boot)?;
    place(&mut file, root_part.start, root_raw)?;
    file.set_len(u64::from(root_part.start + root_sectors) * 512)
        .map_err(|err| Error::io("cannot size", disk, err))
}

/// The mtools and syslinux commands that make the FAT boot partition as a file.
fn boot_partition_commands(
    boot: &Path,
    sectors: u32,
    hidden: u32,
    image: &TinyImage,
    cfg: &Path,
    (mformat, syslinux, mcopy): (&Path, &Path, &Path),
) -> Vec<ToolCommand> {
    vec![
        // -H: the sectors before the partition, which syslinux's boot sector adds to its reads.
        ToolCommand::new(mformat)
            .arg("-i")
            .path_arg(boot)
            .arg("-C")
            .arg("-T")
            .arg(sectors.to_string())
            .arg("-h")
            .arg("64")
            .arg("-s")
            .arg("32")
            .arg("-H")
            .arg(hidden.to_string())
            .arg("-v")
            .arg("TINYBOOT")
            .arg("::"),
        ToolCommand::new(syslinux).arg("--install").path_arg(boot),
        ToolCommand::new(mcopy)
            .arg("-i")
            .path_arg(boot)
            .path_arg(&image.kernel)
            .path_arg(&image.initrd)
            .path_arg(cfg)
            .arg("::"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> TinyImage {
        TinyImage {
            kernel: "/out/vmlinuz".into(),
            initrd: "/out/initrd.gz".into(),
            root_qcow2: "/out/root.qcow2".into(),
            bootable_qcow2: "/out/bootable.qcow2".into(),
            token: "t0k3n".into(),
            kernel_release: "6.1.0-56-cloud-amd64".into(),
        }
    }

    #[test]
    fn boot_partition_argv() {
        let commands = boot_partition_commands(
            Path::new("/s/boot.fat"),
            BOOT_MIB * 2048,
            2048,
            &image(),
            Path::new("/s/syslinux.cfg"),
            (
                Path::new("mformat"),
                Path::new("syslinux"),
                Path::new("mcopy"),
            ),
        );
        let argvs: Vec<_> = commands
            .into_iter()
            .map(|command| command.display())
            .collect();
        insta::assert_debug_snapshot!(argvs);
    }

    #[test]
    fn syslinux_cfg_boots_partition_two_with_the_token() {
        insta::assert_snapshot!(syslinux_cfg("t0k3n"));
    }

    #[test]
    fn scripts() {
        insta::assert_snapshot!("init", init_script());
        insta::assert_snapshot!("root_init", root_init_script());
        insta::assert_snapshot!("udhcpc_script", UDHCPC_SCRIPT);
    }

    #[test]
    fn kernel_append_carries_token_and_root() {
        assert_eq!(
            kernel_append("abc", None),
            "console=ttyS0 panic=-1 quiet smoke_token=abc"
        );
        assert_eq!(
            kernel_append("abc", Some("/dev/vda")),
            "console=ttyS0 panic=-1 quiet smoke_token=abc root=/dev/vda"
        );
        assert_eq!(boot_marker("abc"), "SMOKE-BOOT-OK abc");
        // OVMF leaves its screen-clearing sequences before the first line.
        let console = "[2J[01;01H[=3hFERROSTACK-PCI 8086:29c0\nnoise\n FERROSTACK-PCI 8086:100e \n\
                       FERROSTACK-FIRMWARE bios\nSMOKE-BOOT-OK abc\nFERROSTACK-FIRMWARE uefi\n";
        assert_eq!(pci_devices(console), ["8086:29c0", "8086:100e"]);
        assert_eq!(firmware(console).as_deref(), Some("bios"));
        assert_eq!(firmware("nothing"), None);
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn a_dynamic_busybox_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        // /bin/sh on Debian (dash) is dynamically linked.
        let dynamic = std::fs::read("/bin/sh").unwrap();
        let path = dir.path().join("busybox");
        std::fs::write(&path, dynamic).unwrap();
        let err = read_static_busybox(&path).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is dynamically linked; install the Debian package `busybox-static`"),
            "{err}"
        );
        let err = read_static_busybox(&dir.path().join("none")).unwrap_err();
        assert!(err.to_string().contains("`busybox-static`"), "{err}");
    }
}
