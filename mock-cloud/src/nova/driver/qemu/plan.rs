//! What to boot, decided from a [`BootSpec`] before anything runs: which files, in which
//! format (and which to convert first), with which kernel command line, memory, CPUs and
//! hardware ([`Hardware`], from the image's properties). Pure, so every rule is a unit test;
//! the qemu argv it leads to is snapshot-tested.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ferrostack_qemu::{Disk, DiskBus, HostQemu, Nic, SystemInfo, Uefi, VmBuilder};

use super::config_drive;
use super::hardware::Hardware;
use crate::nova::driver::{BootImage, BootNic, BootSpec, DriverError};
use crate::nova::instance_metadata::Instance;

/// The kernel command line of an ami booted without an `os_command_line` property, its root
/// on a virtio disk.
pub(crate) const DEFAULT_COMMAND_LINE: &str = "console=ttyS0 root=/dev/vda";

/// The default command line for a root disk on `bus`: the root device named as Nova names it
/// (`hd` for ide, `sd` for scsi, sata and usb, `fd` for fdc), whatever the guest's kernel
/// calls it.
fn default_command_line(bus: DiskBus) -> String {
    let prefix = match bus {
        DiskBus::Virtio => "vd",
        DiskBus::Ide => "hd",
        DiskBus::Scsi | DiskBus::Sata | DiskBus::Usb => "sd",
        DiskBus::Fdc => "fd",
    };
    DEFAULT_COMMAND_LINE.replace("/dev/vda", &format!("/dev/{prefix}a"))
}

/// The image property that carries an ami's kernel command line (Glance/Nova libvirt).
pub(crate) const COMMAND_LINE_PROPERTY: &str = "os_command_line";

/// What the driver appends to a kernel command line to tell the guest its server id (the
/// tiny image's web server answers with it).
pub(crate) const SERVER_ARG: &str = "ferrostack_server";

/// One Glance image file the machine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageFile {
    /// Glance id.
    pub(crate) id: String,
    /// How messages name it: `'name' (id)`, or the id alone.
    pub(crate) label: String,
    /// Where Glance keeps its bytes.
    pub(crate) path: PathBuf,
    /// The declared `disk_format`, checked against the bytes before boot.
    pub(crate) disk_format: String,
    /// The declared `container_format`.
    pub(crate) container_format: String,
}

/// Everything needed to start the server's qemu, from its [`BootSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BootPlan {
    /// The root disk's image (`/dev/vda` when its bus is virtio).
    pub(crate) root: ImageFile,
    /// The format qemu reads the root image in (`qcow2` or `raw`; never probed): `raw` for
    /// an image converted before boot.
    pub(crate) root_format: &'static str,
    /// The `qemu-img` format of a root image that is converted to raw before boot (vmdk, vpc,
    /// vhdx, vdi), as Nova does with `force_raw_images`.
    pub(crate) convert_from: Option<&'static str>,
    /// The kernel (`kernel_id`), for a direct kernel boot.
    pub(crate) kernel: Option<ImageFile>,
    /// The initrd (`ramdisk_id`), with the kernel only.
    pub(crate) ramdisk: Option<ImageFile>,
    /// The kernel command line, with the kernel only.
    pub(crate) append: Option<String>,
    /// Guest memory (the flavor's RAM).
    pub(crate) memory_mib: u32,
    /// Virtual CPUs (the flavor's).
    pub(crate) cpus: u32,
    /// The root disk's size from the flavor, when it sets one (bytes).
    pub(crate) flavor_disk_bytes: Option<u64>,
    /// One user-mode NIC per port, `port0` first.
    pub(crate) nics: Vec<Nic>,
    /// The server's id: the machine's SMBIOS serial and system uuid, as Nova/libvirt set them.
    pub(crate) server_id: String,
    /// What its config drive holds, when it gets one (see `config_drive`).
    pub(crate) config_drive: Option<Instance>,
    /// Machine type, buses, NIC model, video, firmware and clock, from the image's properties.
    pub(crate) hardware: Hardware,
}

/// The files of a prepared machine, in its own folder: links to the Glance files and the
/// copy-on-write overlay the guest writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreparedFiles {
    /// The qcow2 overlay over the root image: the guest's `/dev/vda`.
    pub(crate) overlay: PathBuf,
    /// The kernel to load.
    pub(crate) kernel: Option<PathBuf>,
    /// The initrd to load.
    pub(crate) ramdisk: Option<PathBuf>,
    /// The config drive, attached as a read-only cdrom.
    pub(crate) config_drive: Option<PathBuf>,
    /// The UEFI firmware and the machine's own variable store, when it boots UEFI.
    pub(crate) uefi: Option<Uefi>,
}

impl ImageFile {
    fn of(image: &BootImage, role: &str) -> Result<ImageFile, DriverError> {
        let label = match &image.name {
            Some(name) => format!("'{name}' ({})", image.id),
            None => image.id.clone(),
        };
        let path = image.data_path.clone().ok_or_else(|| {
            DriverError(format!(
                "qemu driver: the {role} image {label} has no data on this host \
                 (the qemu driver boots images of this cloud's own Glance)"
            ))
        })?;
        Ok(ImageFile {
            id: image.id.clone(),
            label,
            path,
            disk_format: image.disk_format.clone().unwrap_or_default(),
            container_format: image
                .container_format
                .clone()
                .unwrap_or_else(|| "bare".to_owned()),
        })
    }
}

/// The SMBIOS system information Nova's libvirt driver gives an instance: cloud-init's
/// ds-identify enables the OpenStack datasource on x86 only for product `OpenStack Nova`, and
/// compares the system uuid with the instance id to tell a new instance from a reboot.
fn nova_system_info(server_id: &str) -> SystemInfo {
    SystemInfo {
        manufacturer: Some("OpenStack Foundation".to_owned()),
        product: Some("OpenStack Nova".to_owned()),
        version: None,
        serial: Some(server_id.to_owned()),
        // qemu refuses a system uuid that is not one; Nova's ids always are.
        uuid: uuid::Uuid::parse_str(server_id)
            .is_ok()
            .then(|| server_id.to_owned()),
        family: Some("Virtual Machine".to_owned()),
    }
}

impl BootPlan {
    /// Decides what to boot. Refuses, with the image named, what the driver cannot boot:
    /// an image without bytes here, a kernel or ramdisk booted on its own, a disk format
    /// qemu would have to guess, hardware properties Nova or libvirt refuse.
    pub(crate) fn from_spec(spec: &BootSpec) -> Result<BootPlan, DriverError> {
        let root = ImageFile::of(&spec.image, "root")?;
        let (root_format, convert_from) = match root.disk_format.as_str() {
            "qcow2" => ("qcow2", None),
            // An ami's bytes are a raw filesystem or disk (Glance does not inspect them).
            "raw" | "ami" => ("raw", None),
            // Nova converts what is not raw before boot (force_raw_images), naming the
            // declared format to qemu-img; Glance's vhd is qemu's vpc.
            "vmdk" => ("raw", Some("vmdk")),
            "vhd" => ("raw", Some("vpc")),
            "vhdx" => ("raw", Some("vhdx")),
            "vdi" => ("raw", Some("vdi")),
            "aki" | "ari" => {
                let what = if root.disk_format == "aki" {
                    "a kernel"
                } else {
                    "a ramdisk"
                };
                return Err(DriverError(format!(
                    "qemu driver: image {} is {what} ({}), not a disk; boot the ami image \
                     that names it as kernel_id/ramdisk_id",
                    root.label, root.disk_format
                )));
            }
            "" => {
                return Err(DriverError(format!(
                    "qemu driver: image {} has no disk_format",
                    root.label
                )));
            }
            other => {
                return Err(DriverError(format!(
                    "qemu driver: image {} is {other}; this driver boots qcow2, raw, ami, \
                     vmdk, vhd, vhdx and vdi images",
                    root.label
                )));
            }
        };
        let hardware = Hardware::from_image(&root.label, &spec.image.properties)?;
        let kernel = spec
            .kernel
            .as_ref()
            .map(|image| ImageFile::of(image, "kernel"))
            .transpose()?;
        // Like Nova, a ramdisk means something only next to a kernel.
        let ramdisk = match (&kernel, &spec.ramdisk) {
            (Some(_), Some(image)) => Some(ImageFile::of(image, "ramdisk")?),
            _ => None,
        };
        let append = kernel.as_ref().map(|_| {
            let line = spec
                .image
                .properties
                .get(COMMAND_LINE_PROPERTY)
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .unwrap_or_else(|| default_command_line(hardware.disk_bus));
            format!("{line} {SERVER_ARG}={}", spec.server_id)
        });
        let nics = spec
            .nics
            .iter()
            .enumerate()
            .map(|(index, nic)| {
                user_nic(index, nic, &spec.hostname).map(|user| user.model(hardware.nic_model))
            })
            .collect::<Result<_, _>>()?;
        Ok(BootPlan {
            root,
            root_format,
            convert_from,
            kernel,
            ramdisk,
            append,
            memory_mib: u32::try_from(spec.ram_mb.max(1)).unwrap_or(u32::MAX),
            cpus: spec.vcpus.max(1),
            flavor_disk_bytes: (spec.disk_gb > 0).then(|| spec.disk_gb.saturating_mul(1 << 30)),
            nics,
            server_id: spec.server_id.clone(),
            config_drive: config_drive::contents(spec, false),
            hardware,
        })
    }

    /// Refuses what the host's qemu cannot give this plan (a machine type, a device model),
    /// as libvirt refuses it from its capabilities.
    pub(crate) fn check_host(&self, host: &HostQemu) -> Result<(), DriverError> {
        self.hardware.check_host(&self.root.label, host)
    }

    /// Every image file, root first, with the role it plays.
    #[cfg(test)]
    pub(crate) fn images(&self) -> impl Iterator<Item = &ImageFile> {
        std::iter::once(&self.root)
            .chain(self.kernel.as_ref())
            .chain(self.ramdisk.as_ref())
    }

    /// The size of the overlay: the flavor's disk, but never smaller than the image.
    pub(crate) fn overlay_size(&self, image_virtual_size: Option<u64>) -> Option<u64> {
        let flavor = self.flavor_disk_bytes?;
        Some(flavor.max(image_virtual_size.unwrap_or(0)))
    }

    /// The machine, ready to spawn: the overlay as the writable root disk on the image's bus
    /// (first to boot), the direct kernel boot when there is a kernel, the image's hardware,
    /// VNC on loopback, the serial console into `serial_log`.
    pub(crate) fn vm_builder(
        &self,
        qemu: &Path,
        files: &PreparedFiles,
        serial_log: &Path,
    ) -> VmBuilder {
        let hardware = &self.hardware;
        let mut builder = VmBuilder::new()
            .qemu_binary(qemu)
            .machine(&hardware.machine)
            .memory_mib(self.memory_mib)
            .cpus(self.cpus)
            .disk(
                Disk::writable(&files.overlay, "qcow2")
                    .bus(hardware.disk_bus)
                    .boot_index(1),
            )
            .cdrom_bus(hardware.cdrom_bus)
            .video(hardware.video)
            .rtc(hardware.rtc)
            .vnc(true)
            .serial_log(serial_log)
            .system_info(nova_system_info(&self.server_id));
        if let Some(model) = hardware.scsi_controller {
            builder = builder.scsi_controller(model);
        }
        if let Some(uefi) = &files.uefi {
            builder = builder.uefi(uefi.clone());
        }
        for nic in &self.nics {
            builder = builder.nic(nic.clone());
        }
        if let Some(drive) = &files.config_drive {
            builder = builder.cdrom(drive);
        }
        if let Some(kernel) = &files.kernel {
            builder = builder.kernel(kernel);
            if let Some(ramdisk) = &files.ramdisk {
                builder = builder.initrd(ramdisk);
            }
            if let Some(append) = &self.append {
                builder = builder.append(append);
            }
        }
        builder
    }
}

/// The netdev id of the NIC at `index` (what host forwards name).
pub(crate) fn netdev_id(index: usize) -> String {
    format!("port{index}")
}

/// A port as a user-mode NIC: its MAC, its fixed IP as the one DHCP lease, its subnet's range
/// and gateway, the server's host name (cut to a DNS label).
pub(crate) fn user_nic(index: usize, nic: &BootNic, hostname: &str) -> Result<Nic, DriverError> {
    let bad = |why: String| DriverError(format!("qemu driver: port {}: {why}", nic.port_id));
    let (network, prefix) = nic
        .cidr
        .split_once('/')
        .ok_or_else(|| bad(format!("subnet {} is not a CIDR", nic.cidr)))?;
    let network: Ipv4Addr = network
        .parse()
        .map_err(|_| bad(format!("subnet {} is not an IPv4 CIDR", nic.cidr)))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| bad(format!("subnet {} has no prefix length", nic.cidr)))?;
    if !(8..=29).contains(&prefix) {
        return Err(bad(format!(
            "subnet {} is too small or too large for a user-mode NIC (/8 to /29)",
            nic.cidr
        )));
    }
    let mut user = Nic::user(netdev_id(index), &nic.mac, nic.fixed_ip, network, prefix);
    if let Some(gateway) = nic.gateway.filter(|gateway| *gateway != nic.fixed_ip) {
        user = user.gateway(gateway);
    }
    let label: String = hostname.chars().take(63).collect();
    let label = label.trim_matches('-');
    if !label.is_empty() {
        user = user.hostname(label);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ferrostack_qemu::{Accel, RunLayout};

    use super::*;

    fn image(id: &str, disk_format: &str, properties: &[(&str, &str)]) -> BootImage {
        BootImage {
            id: id.to_owned(),
            name: Some(format!("{id}-name")),
            disk_format: Some(disk_format.to_owned()),
            container_format: Some(if disk_format.starts_with('a') {
                disk_format.to_owned()
            } else {
                "bare".to_owned()
            }),
            size: Some(1),
            data_path: Some(PathBuf::from(format!("/glance/{id}"))),
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn spec(root: BootImage) -> BootSpec {
        BootSpec {
            server_id: "s1".into(),
            name: "vm".into(),
            vcpus: 1,
            ram_mb: 512,
            disk_gb: 1,
            image: root,
            kernel: None,
            ramdisk: None,
            metadata: BTreeMap::new(),
            user_data: None,
            public_key: None,
            hostname: "vm".into(),
            nics: Vec::new(),
            ..BootSpec::default()
        }
    }

    fn boot_nic(last: u8) -> BootNic {
        BootNic {
            port_id: format!("p{last}"),
            mac: format!("fa:16:3e:00:00:{last:02x}"),
            fixed_ip: [10, 0, 0, last].into(),
            cidr: "10.0.0.0/22".into(),
            gateway: Some([10, 0, 0, 1].into()),
            ..BootNic::default()
        }
    }

    fn ami(properties: &[(&str, &str)]) -> BootSpec {
        BootSpec {
            kernel: Some(image("k", "aki", &[])),
            ramdisk: Some(image("r", "ari", &[])),
            ..spec(image("m", "ami", properties))
        }
    }

    fn argv(plan: &BootPlan) -> Vec<String> {
        let files = PreparedFiles {
            overlay: PathBuf::from("/work/s1/disk.qcow2"),
            kernel: plan
                .kernel
                .as_ref()
                .map(|_| PathBuf::from("/work/s1/kernel")),
            ramdisk: plan
                .ramdisk
                .as_ref()
                .map(|_| PathBuf::from("/work/s1/ramdisk")),
            config_drive: plan
                .config_drive
                .as_ref()
                .map(|_| PathBuf::from("/work/s1/disk.config")),
            uefi: plan.hardware.uefi.then(|| Uefi {
                code: PathBuf::from(Uefi::DEBIAN_CODE),
                vars: PathBuf::from("/work/s1/nvram.fd"),
            }),
        };
        let layout = RunLayout {
            accel: Accel::Tcg,
            qmp_socket: PathBuf::from("/run/vm/qmp.sock"),
        };
        plan.vm_builder(
            Path::new("/usr/bin/qemu-system-x86_64"),
            &files,
            Path::new("/work/s1/serial-0.log"),
        )
        .argv(&layout)
        .unwrap()
    }

    #[test]
    fn argv_qcow2_boots_its_overlay_with_the_flavor_memory() {
        let plan = BootPlan::from_spec(&BootSpec {
            ram_mb: 2048,
            vcpus: 2,
            ..spec(image("q", "qcow2", &[]))
        })
        .unwrap();
        assert_eq!(plan.root_format, "qcow2");
        assert_eq!(plan.append, None);
        insta::assert_debug_snapshot!(argv(&plan));
    }

    #[test]
    fn argv_ami_boots_its_kernel_and_ramdisk_with_os_command_line() {
        let plan = BootPlan::from_spec(&ami(&[(
            "os_command_line",
            "console=ttyS0 panic=-1 root=/dev/vda smoke_stay=1",
        )]))
        .unwrap();
        assert_eq!(plan.root_format, "raw");
        insta::assert_debug_snapshot!(argv(&plan));
    }

    #[test]
    fn argv_one_user_nic_per_port() {
        let plan = BootPlan::from_spec(&BootSpec {
            hostname: "web-1".into(),
            nics: vec![boot_nic(3), boot_nic(2)],
            ..ami(&[])
        })
        .unwrap();
        insta::assert_debug_snapshot!(argv(&plan));
    }

    #[test]
    fn argv_config_drive_is_a_read_only_cdrom() {
        let plan = BootPlan::from_spec(&BootSpec {
            config_drive: true,
            nics: vec![boot_nic(3)],
            ..spec(image("q", "qcow2", &[]))
        })
        .unwrap();
        assert_eq!(
            plan.config_drive.as_ref().map(|i| i.uuid.as_str()),
            Some("s1")
        );
        insta::assert_debug_snapshot!(argv(&plan));
        let mandatory = BootPlan::from_spec(&spec(image(
            "q",
            "qcow2",
            &[("img_config_drive", "mandatory")],
        )))
        .unwrap();
        assert!(mandatory.config_drive.is_some());
        let none = BootPlan::from_spec(&spec(image("q", "qcow2", &[]))).unwrap();
        assert!(none.config_drive.is_none());
    }

    #[test]
    fn ports_that_cannot_be_a_user_nic_are_refused() {
        let refuse = |nic: BootNic| {
            BootPlan::from_spec(&BootSpec {
                nics: vec![nic],
                ..spec(image("q", "qcow2", &[]))
            })
            .unwrap_err()
            .0
        };
        assert_eq!(
            refuse(BootNic {
                cidr: "10.0.0.0".into(),
                ..boot_nic(3)
            }),
            "qemu driver: port p3: subnet 10.0.0.0 is not a CIDR"
        );
        assert_eq!(
            refuse(BootNic {
                cidr: "fd00::/64".into(),
                ..boot_nic(3)
            }),
            "qemu driver: port p3: subnet fd00::/64 is not an IPv4 CIDR"
        );
        assert_eq!(
            refuse(BootNic {
                cidr: "10.0.0.0/30".into(),
                ..boot_nic(3)
            }),
            "qemu driver: port p3: subnet 10.0.0.0/30 is too small or too large for a \
             user-mode NIC (/8 to /29)"
        );
        // A host name that is no DNS label is cut to one; an empty one is left out.
        let long = BootPlan::from_spec(&BootSpec {
            hostname: format!("-{}", "a".repeat(80)),
            nics: vec![boot_nic(3)],
            ..spec(image("q", "qcow2", &[]))
        })
        .unwrap();
        assert_eq!(long.nics[0].hostname.as_deref(), Some(&*"a".repeat(62)));
        let nameless = BootPlan::from_spec(&BootSpec {
            hostname: String::new(),
            nics: vec![boot_nic(3)],
            ..spec(image("q", "qcow2", &[]))
        })
        .unwrap();
        assert_eq!(nameless.nics[0].hostname, None);
    }

    #[test]
    fn an_ami_without_os_command_line_gets_the_default() {
        let plan = BootPlan::from_spec(&ami(&[])).unwrap();
        let default = format!("{DEFAULT_COMMAND_LINE} ferrostack_server=s1");
        assert_eq!(plan.append.as_deref(), Some(&*default));
        let blank = BootPlan::from_spec(&ami(&[("os_command_line", "  ")])).unwrap();
        assert_eq!(blank.append.as_deref(), Some(&*default));
        // The root device as Nova names it on the image's bus.
        for (bus, root) in [
            ("ide", "/dev/hda"),
            ("sata", "/dev/sda"),
            ("fdc", "/dev/fda"),
        ] {
            let plan = BootPlan::from_spec(&ami(&[("hw_disk_bus", bus)])).unwrap();
            assert_eq!(
                plan.append.unwrap(),
                format!("console=ttyS0 root={root} ferrostack_server=s1")
            );
        }
        assert_eq!(
            plan.images().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["m", "k", "r"]
        );
    }

    #[test]
    fn a_ramdisk_without_a_kernel_is_ignored() {
        let plan = BootPlan::from_spec(&BootSpec {
            ramdisk: Some(image("r", "ari", &[])),
            ..spec(image("m", "ami", &[]))
        })
        .unwrap();
        assert_eq!((plan.kernel, plan.ramdisk, plan.append), (None, None, None));
    }

    #[test]
    fn what_cannot_boot_is_refused_with_the_image_named() {
        let refuse = |spec: BootSpec| BootPlan::from_spec(&spec).unwrap_err().0;
        assert_eq!(
            refuse(spec(image("k", "aki", &[]))),
            "qemu driver: image 'k-name' (k) is a kernel (aki), not a disk; boot the ami image \
             that names it as kernel_id/ramdisk_id"
        );
        assert!(refuse(spec(image("r", "ari", &[]))).contains("is a ramdisk (ari)"));
        assert_eq!(
            refuse(spec(image("v", "iso", &[]))),
            "qemu driver: image 'v-name' (v) is iso; this driver boots qcow2, raw, ami, vmdk, \
             vhd, vhdx and vdi images"
        );
        // The image's hardware properties are read here too.
        assert_eq!(
            refuse(spec(image("w", "qcow2", &[("hw_disk_bus", "xen")]))),
            "qemu driver: image 'w-name' (w): hw_disk_bus=xen: Requested hardware 'xen' is not \
             supported by the 'qemu' virt driver"
        );
        let mut nameless = image("n", "qcow2", &[]);
        nameless.name = None;
        nameless.data_path = None;
        assert_eq!(
            refuse(spec(nameless.clone())),
            "qemu driver: the root image n has no data on this host (the qemu driver boots \
             images of this cloud's own Glance)"
        );
        nameless.data_path = Some(PathBuf::from("/x"));
        nameless.disk_format = None;
        assert_eq!(
            refuse(spec(nameless)),
            "qemu driver: image n has no disk_format"
        );
        let mut kernel_elsewhere = ami(&[]);
        kernel_elsewhere.kernel.as_mut().unwrap().data_path = None;
        assert!(refuse(kernel_elsewhere).contains("the kernel image 'k-name' (k) has no data"));
    }

    #[test]
    fn argv_ide_disk_and_e1000_nic_as_for_a_windows_guest() {
        let plan = BootPlan::from_spec(&BootSpec {
            nics: vec![boot_nic(3)],
            ..spec(image(
                "win",
                "qcow2",
                &[
                    ("hw_disk_bus", "ide"),
                    ("hw_vif_model", "e1000"),
                    ("os_type", "windows"),
                ],
            ))
        })
        .unwrap();
        insta::assert_debug_snapshot!(argv(&plan));
    }

    #[test]
    fn argv_q35_uefi_sata_rtl8139_cirrus() {
        let plan = BootPlan::from_spec(&BootSpec {
            nics: vec![boot_nic(3)],
            ..ami(&[
                ("hw_machine_type", "q35"),
                ("hw_firmware_type", "uefi"),
                ("hw_disk_bus", "sata"),
                ("hw_vif_model", "rtl8139"),
                ("hw_video_model", "cirrus"),
            ])
        })
        .unwrap();
        insta::assert_debug_snapshot!(argv(&plan));
    }

    #[test]
    fn argv_scsi_disk_on_the_named_controller() {
        let plan = BootPlan::from_spec(&spec(image(
            "s",
            "qcow2",
            &[("hw_disk_bus", "scsi"), ("hw_scsi_model", "virtio-scsi")],
        )))
        .unwrap();
        let argv = argv(&plan);
        let devices: Vec<&str> = argv
            .windows(2)
            .filter(|pair| pair[0] == "-device")
            .map(|pair| pair[1].as_str())
            .collect();
        assert!(devices.contains(&"virtio-scsi-pci,id=scsi0"), "{devices:?}");
        assert!(
            devices.contains(&"scsi-hd,bus=scsi0.0,drive=disk0,bootindex=1"),
            "{devices:?}"
        );
    }

    #[test]
    fn formats_nova_converts_are_converted_to_raw_naming_qemu_s_format() {
        for (glance, qemu) in [
            ("vmdk", "vmdk"),
            ("vhd", "vpc"),
            ("vhdx", "vhdx"),
            ("vdi", "vdi"),
        ] {
            let plan = BootPlan::from_spec(&spec(image("c", glance, &[]))).unwrap();
            assert_eq!(
                (plan.root_format, plan.convert_from),
                ("raw", Some(qemu)),
                "{glance}"
            );
        }
        let plan = BootPlan::from_spec(&spec(image("q", "qcow2", &[]))).unwrap();
        assert_eq!(plan.convert_from, None);
    }

    #[test]
    fn the_host_check_names_the_image() {
        let plan = BootPlan::from_spec(&spec(image(
            "v",
            "qcow2",
            &[("hw_machine_type", "pc-q35-0.1")],
        )))
        .unwrap();
        let host = HostQemu {
            machines: vec!["pc".into()],
            devices: ["virtio-net-pci", "virtio-vga"].map(str::to_owned).into(),
        };
        assert_eq!(
            plan.check_host(&host).unwrap_err().0,
            "qemu driver: image 'v-name' (v): hw_machine_type=pc-q35-0.1: 'pc-q35-0.1' is not \
             valid/supported machine type, Supported machine types are: ['pc']"
        );
    }

    #[test]
    fn the_overlay_takes_the_flavor_disk_but_never_shrinks_the_image() {
        let plan = BootPlan::from_spec(&spec(image("q", "qcow2", &[]))).unwrap();
        assert_eq!(plan.overlay_size(Some(4096)), Some(1 << 30));
        assert_eq!(plan.overlay_size(Some(2 << 30)), Some(2 << 30));
        let diskless = BootPlan::from_spec(&BootSpec {
            disk_gb: 0,
            ..spec(image("q", "qcow2", &[]))
        })
        .unwrap();
        assert_eq!(diskless.overlay_size(Some(4096)), None);
    }
}
