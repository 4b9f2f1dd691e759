//! The hardware a machine gets besides memory and CPUs, in libvirt's terms: the bus each disk
//! and CD-ROM hangs on (and the controllers that takes), the NIC model, the video card, the
//! firmware and the clock; and what the host's qemu offers of it ([`HostQemu`]).
//!
//! Every drive is a `-drive if=none` backend plus a `-device` frontend, as libvirt writes
//! them, so that the bus is explicit and the root disk can carry a boot index.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The bus of a disk or CD-ROM (libvirt's `<target bus=...>`, Nova's `hw_disk_bus` and
/// `hw_cdrom_bus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DiskBus {
    /// `virtio-blk-pci` (disks only).
    #[default]
    Virtio,
    /// A disk or CD-ROM on the machine's SCSI controller ([`ScsiController`]).
    Scsi,
    /// AHCI: the ICH9 controller q35 has built in, or an `ich9-ahci` added on other machines.
    Sata,
    /// The PIIX IDE controller of the i440FX (`pc`) machines; q35 has none.
    Ide,
    /// `usb-storage` on a `qemu-xhci` controller.
    Usb,
    /// A floppy drive on the ISA floppy controller (disks only).
    Fdc,
}

impl DiskBus {
    /// Every bus.
    pub const ALL: [DiskBus; 6] = [
        DiskBus::Virtio,
        DiskBus::Scsi,
        DiskBus::Sata,
        DiskBus::Ide,
        DiskBus::Usb,
        DiskBus::Fdc,
    ];

    /// libvirt's (and Nova's) name: `virtio`, `scsi`, `sata`, `ide`, `usb`, `fdc`.
    pub fn name(self) -> &'static str {
        match self {
            DiskBus::Virtio => "virtio",
            DiskBus::Scsi => "scsi",
            DiskBus::Sata => "sata",
            DiskBus::Ide => "ide",
            DiskBus::Usb => "usb",
            DiskBus::Fdc => "fdc",
        }
    }

    /// The bus named `name` (libvirt's names).
    pub fn from_name(name: &str) -> Option<DiskBus> {
        DiskBus::ALL.into_iter().find(|bus| bus.name() == name)
    }
}

/// The model of the machine's SCSI controller (libvirt's `<controller type='scsi' model=...>`,
/// Nova's `hw_scsi_model`). libvirt's default on x86 is `lsilogic` when qemu has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ScsiController {
    /// LSI 53C895A (`lsi53c895a`).
    #[default]
    LsiLogic,
    /// LSI SAS 1068 (`mptsas1068`).
    LsiSas1068,
    /// LSI MegaRAID SAS 1078 (`megasas`).
    LsiSas1078,
    /// `virtio-scsi-pci`.
    VirtioScsi,
    /// VMware paravirtual SCSI (`pvscsi`).
    VmPvScsi,
}

impl ScsiController {
    /// Every model.
    pub const ALL: [ScsiController; 5] = [
        ScsiController::LsiLogic,
        ScsiController::LsiSas1068,
        ScsiController::LsiSas1078,
        ScsiController::VirtioScsi,
        ScsiController::VmPvScsi,
    ];

    /// libvirt's (and Nova's) name, e.g. `virtio-scsi`.
    pub fn name(self) -> &'static str {
        match self {
            ScsiController::LsiLogic => "lsilogic",
            ScsiController::LsiSas1068 => "lsisas1068",
            ScsiController::LsiSas1078 => "lsisas1078",
            ScsiController::VirtioScsi => "virtio-scsi",
            ScsiController::VmPvScsi => "vmpvscsi",
        }
    }

    /// The model named `name` (libvirt's names).
    pub fn from_name(name: &str) -> Option<ScsiController> {
        ScsiController::ALL
            .into_iter()
            .find(|model| model.name() == name)
    }

    /// The qemu device.
    pub fn device(self) -> &'static str {
        match self {
            ScsiController::LsiLogic => "lsi53c895a",
            ScsiController::LsiSas1068 => "mptsas1068",
            ScsiController::LsiSas1078 => "megasas",
            ScsiController::VirtioScsi => "virtio-scsi-pci",
            ScsiController::VmPvScsi => "pvscsi",
        }
    }
}

/// The model of a NIC (libvirt's `<model type=...>`, Nova's `hw_vif_model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NicModel {
    /// `virtio-net-pci`.
    #[default]
    Virtio,
    /// Intel 82540EM (`e1000`, PCI id 8086:100e).
    E1000,
    /// Intel 82574L (`e1000e`).
    E1000e,
    /// Intel 82576 (`igb`).
    Igb,
    /// Realtek RTL8139 (`rtl8139`).
    Rtl8139,
    /// NE2000 (`ne2k_pci`).
    Ne2kPci,
    /// AMD PCnet (`pcnet`).
    Pcnet,
    /// VMware vmxnet3 (`vmxnet3`).
    Vmxnet3,
}

impl NicModel {
    /// Every model.
    pub const ALL: [NicModel; 8] = [
        NicModel::Virtio,
        NicModel::E1000,
        NicModel::E1000e,
        NicModel::Igb,
        NicModel::Rtl8139,
        NicModel::Ne2kPci,
        NicModel::Pcnet,
        NicModel::Vmxnet3,
    ];

    /// libvirt's (and Nova's) name, e.g. `ne2k_pci`.
    pub fn name(self) -> &'static str {
        match self {
            NicModel::Virtio => "virtio",
            NicModel::E1000 => "e1000",
            NicModel::E1000e => "e1000e",
            NicModel::Igb => "igb",
            NicModel::Rtl8139 => "rtl8139",
            NicModel::Ne2kPci => "ne2k_pci",
            NicModel::Pcnet => "pcnet",
            NicModel::Vmxnet3 => "vmxnet3",
        }
    }

    /// The model named `name` (libvirt's names).
    pub fn from_name(name: &str) -> Option<NicModel> {
        NicModel::ALL.into_iter().find(|model| model.name() == name)
    }

    /// The qemu device.
    pub fn device(self) -> &'static str {
        match self {
            NicModel::Virtio => "virtio-net-pci",
            other => other.name(),
        }
    }
}

/// The video card (libvirt's `<video><model type=...>`, Nova's `hw_video_model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Video {
    /// The standard VGA (`VGA`).
    Vga,
    /// Cirrus CLGD 54xx (`cirrus-vga`).
    Cirrus,
    /// VMware SVGA (`vmware-svga`).
    Vmvga,
    /// virtio-gpu with VGA compatibility (`virtio-vga`): Nova's default on x86.
    Virtio,
    /// `bochs-display`.
    Bochs,
    /// QXL (`qxl-vga`; Debian ships it in `qemu-system-modules-spice`).
    Qxl,
    /// No video card at all.
    None,
}

impl Video {
    /// Every model.
    pub const ALL: [Video; 7] = [
        Video::Vga,
        Video::Cirrus,
        Video::Vmvga,
        Video::Virtio,
        Video::Bochs,
        Video::Qxl,
        Video::None,
    ];

    /// libvirt's (and Nova's) name, e.g. `vmvga`.
    pub fn name(self) -> &'static str {
        match self {
            Video::Vga => "vga",
            Video::Cirrus => "cirrus",
            Video::Vmvga => "vmvga",
            Video::Virtio => "virtio",
            Video::Bochs => "bochs",
            Video::Qxl => "qxl",
            Video::None => "none",
        }
    }

    /// The model named `name` (libvirt's names).
    pub fn from_name(name: &str) -> Option<Video> {
        Video::ALL.into_iter().find(|video| video.name() == name)
    }

    /// The qemu device (`None` for no card).
    pub fn device(self) -> Option<&'static str> {
        match self {
            Video::Vga => Some("VGA"),
            Video::Cirrus => Some("cirrus-vga"),
            Video::Vmvga => Some("vmware-svga"),
            Video::Virtio => Some("virtio-vga"),
            Video::Bochs => Some("bochs-display"),
            Video::Qxl => Some("qxl-vga"),
            Video::None => None,
        }
    }

    pub(crate) fn args(self) -> Vec<String> {
        // `-vga none` first, so that qemu adds no default card beside the chosen one.
        let mut args = vec!["-vga".to_owned(), "none".to_owned()];
        if let Some(device) = self.device() {
            args.extend(["-device".to_owned(), device.to_owned()]);
        }
        args
    }
}

/// What the guest's real-time clock keeps (libvirt's `<clock offset=...>`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RtcBase {
    /// UTC (every guest but Windows).
    #[default]
    Utc,
    /// The host's local time: what Windows expects.
    LocalTime,
}

impl RtcBase {
    pub(crate) fn arg(self) -> &'static str {
        match self {
            RtcBase::Utc => "base=utc",
            RtcBase::LocalTime => "base=localtime",
        }
    }
}

/// UEFI firmware: the code read-only, and the machine's own copy of the variable store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uefi {
    /// The firmware code (read-only pflash unit 0).
    pub code: PathBuf,
    /// The machine's variable store (writable pflash unit 1): a copy of the template, never
    /// the template itself.
    pub vars: PathBuf,
}

impl Uefi {
    /// Debian's OVMF code without Secure Boot (the firmware qemu's descriptor
    /// `60-edk2-x86_64.json` names, which libvirt picks for a plain UEFI guest).
    pub const DEBIAN_CODE: &'static str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    /// The empty variable store that goes with [`Uefi::DEBIAN_CODE`]: copy it per machine.
    pub const DEBIAN_VARS_TEMPLATE: &'static str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    /// The Debian package that ships both.
    pub const DEBIAN_PACKAGE: &'static str = "ovmf";

    pub(crate) fn args(&self) -> Vec<String> {
        vec![
            "-drive".to_owned(),
            format!(
                "if=pflash,format=raw,unit=0,readonly=on,file={}",
                drive_path(&self.code)
            ),
            "-drive".to_owned(),
            format!(
                "if=pflash,format=raw,unit=1,file={}",
                drive_path(&self.vars)
            ),
        ]
    }
}

/// A path inside a `-drive` option: commas are doubled, as qemu's option parser expects.
pub(crate) fn drive_path(path: &Path) -> String {
    path.to_string_lossy().replace(',', ",,")
}

/// Whether a machine type has an IDE controller: the i440FX family (`pc`, `pc-i440fx-*`, the
/// old `pc-X.Y`) and `isapc`. q35 and microvm have none.
pub fn machine_has_ide(machine: &str) -> bool {
    machine == "pc" || machine == "isapc" || (machine.starts_with("pc-") && !is_q35(machine))
}

/// Whether a machine type is a q35 (Nova's own test: the name contains `q35`).
pub fn is_q35(machine: &str) -> bool {
    machine.contains("q35")
}

/// One drive as the argv lays it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Drive<'a> {
    /// The backend's id (`disk0`, `cdrom0`).
    pub id: String,
    pub path: &'a Path,
    pub format: &'a str,
    pub bus: DiskBus,
    pub cdrom: bool,
    pub snapshot: bool,
    pub read_only: bool,
    pub boot_index: Option<u32>,
}

impl Drive<'_> {
    fn what(&self) -> String {
        let kind = if self.cdrom { "CD-ROM" } else { "disk" };
        format!("{kind} {}", self.path.display())
    }

    fn backend(&self) -> String {
        let mut arg = format!(
            "file={},if=none,id={},format={}",
            drive_path(self.path),
            self.id,
            self.format
        );
        if self.cdrom {
            arg.push_str(",media=cdrom");
        }
        if self.snapshot {
            arg.push_str(",snapshot=on");
        }
        if self.read_only {
            arg.push_str(",readonly=on");
        }
        arg
    }
}

/// Ports per AHCI controller (ICH9 has six).
const SATA_PORTS: usize = 6;

/// The controllers and the `-drive`/`-device` pairs of `drives` on a `machine`. A SCSI
/// controller `scsi` is there even without SCSI drives (as libvirt adds the controller an
/// image names); without one, SCSI drives get libvirt's default model. Refuses what the machine cannot hold: IDE without an IDE controller,
/// more drives than a bus has places, a CD-ROM on virtio or on a floppy controller.
pub(crate) fn drive_args(
    machine: &str,
    scsi: Option<ScsiController>,
    drives: &[Drive<'_>],
) -> Result<Vec<String>> {
    let mut controllers: Vec<String> = Vec::new();
    if let Some(model) = scsi {
        controllers.push(format!("{},id=scsi0", model.device()));
    }
    let mut devices: Vec<String> = Vec::new();
    let mut used = [0usize; DiskBus::ALL.len()];
    let mut fdc_boot: Vec<String> = Vec::new();
    let q35 = is_q35(machine);
    for drive in drives {
        let slot = {
            let count = &mut used[DiskBus::ALL
                .iter()
                .position(|bus| *bus == drive.bus)
                .unwrap_or_default()];
            *count += 1;
            *count - 1
        };
        let first = slot == 0;
        let full = |places: usize| {
            Error::invalid(
                drive.what(),
                format!(
                    "the {} bus has room for {places} drives only",
                    drive.bus.name()
                ),
            )
        };
        let frontend = match drive.bus {
            DiskBus::Virtio => {
                if drive.cdrom {
                    return Err(Error::invalid(
                        drive.what(),
                        "a CD-ROM cannot be on the virtio bus",
                    ));
                }
                format!("virtio-blk-pci,drive={}", drive.id)
            }
            DiskBus::Scsi => {
                if first && scsi.is_none() {
                    let model = ScsiController::default();
                    controllers.push(format!("{},id=scsi0", model.device()));
                }
                let kind = if drive.cdrom { "scsi-cd" } else { "scsi-hd" };
                format!("{kind},bus=scsi0.0,drive={}", drive.id)
            }
            DiskBus::Sata => {
                if slot >= SATA_PORTS {
                    return Err(full(SATA_PORTS));
                }
                // q35's own AHCI controller names its ports ide.0 to ide.5.
                let port = if q35 {
                    format!("ide.{slot}")
                } else {
                    if first {
                        controllers.push("ich9-ahci,id=sata0".to_owned());
                    }
                    format!("sata0.{slot}")
                };
                let kind = if drive.cdrom { "ide-cd" } else { "ide-hd" };
                format!("{kind},bus={port},drive={}", drive.id)
            }
            DiskBus::Ide => {
                if !machine_has_ide(machine) {
                    return Err(Error::invalid(
                        drive.what(),
                        format!("machine type {machine} has no IDE controller"),
                    ));
                }
                if slot >= 4 {
                    return Err(full(4));
                }
                let kind = if drive.cdrom { "ide-cd" } else { "ide-hd" };
                format!(
                    "{kind},bus=ide.{},unit={},drive={}",
                    slot / 2,
                    slot % 2,
                    drive.id
                )
            }
            DiskBus::Usb => {
                if first {
                    controllers.push("qemu-xhci,id=usb".to_owned());
                }
                format!("usb-storage,bus=usb.0,drive={}", drive.id)
            }
            DiskBus::Fdc => {
                if drive.cdrom {
                    return Err(Error::invalid(
                        drive.what(),
                        "a CD-ROM cannot be on the floppy controller",
                    ));
                }
                if slot >= 2 {
                    return Err(full(2));
                }
                // q35 has no floppy controller of its own.
                if first && q35 {
                    controllers.push("isa-fdc,id=fdc0".to_owned());
                }
                // A floppy drive has no boot index of its own: its controller does.
                if let Some(index) = drive.boot_index {
                    let unit = if slot == 0 { 'A' } else { 'B' };
                    fdc_boot.push(format!("isa-fdc.bootindex{unit}={index}"));
                }
                format!("floppy,unit={slot},drive={}", drive.id)
            }
        };
        let frontend = match drive.boot_index {
            Some(index) if drive.bus != DiskBus::Fdc => format!("{frontend},bootindex={index}"),
            _ => frontend,
        };
        devices.extend(["-drive".to_owned(), drive.backend()]);
        devices.extend(["-device".to_owned(), frontend]);
    }
    let mut argv: Vec<String> = Vec::new();
    for controller in controllers {
        argv.extend(["-device".to_owned(), controller]);
    }
    argv.extend(devices);
    for global in fdc_boot {
        argv.extend(["-global".to_owned(), global]);
    }
    Ok(argv)
}

/// What the host's `qemu-system-x86_64` offers: its machine types and device models (what
/// libvirt reads into its capabilities).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostQemu {
    /// Machine types, aliases included (`pc`, `pc-i440fx-10.0`, `q35`, ...), in qemu's order.
    pub machines: Vec<String>,
    /// Device models, aliases included (`e1000`, `virtio-net-pci`, `ahci`, ...).
    pub devices: BTreeSet<String>,
}

impl HostQemu {
    /// Asks `qemu` (`-machine help`, `-device help`). Blocks for the two short runs.
    pub fn probe(qemu: &Path) -> Result<HostQemu> {
        let run = |what: &str| -> Result<String> {
            let command = crate::ToolCommand::new(qemu).arg(what).arg("help");
            let output = std::process::Command::new(qemu)
                .args([what, "help"])
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|source| Error::Spawn {
                    command: command.display(),
                    source,
                })?;
            if !output.status.success() {
                return Err(command.failed(&output));
            }
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        };
        Ok(HostQemu::from_help(&run("-machine")?, &run("-device")?))
    }

    /// Reads the output of `qemu-system-x86_64 -machine help` and `-device help`.
    pub fn from_help(machine_help: &str, device_help: &str) -> HostQemu {
        let machines = machine_help
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_alphanumeric()))
            .filter(|line| !line.starts_with("Supported machines"))
            .filter_map(|line| line.split_whitespace().next())
            // `none` is qemu's empty board, nothing a guest boots on (libvirt lists it not).
            .filter(|name| *name != "none")
            .map(str::to_owned)
            .collect();
        let quoted = |line: &str, key: &str| -> Option<String> {
            let rest = &line[line.find(key)? + key.len()..];
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        };
        let devices = device_help
            .lines()
            .flat_map(|line| [quoted(line, "name "), quoted(line, "alias ")])
            .flatten()
            .collect();
        HostQemu { machines, devices }
    }

    /// Whether qemu knows the machine type `name`.
    pub fn has_machine(&self, name: &str) -> bool {
        self.machines.iter().any(|machine| machine == name)
    }

    /// Whether qemu has the device model `name`.
    pub fn has_device(&self, name: &str) -> bool {
        self.devices.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drive(id: &str, bus: DiskBus, cdrom: bool) -> Drive<'static> {
        Drive {
            id: id.to_owned(),
            path: Path::new("/images/d.qcow2"),
            format: "qcow2",
            bus,
            cdrom,
            snapshot: false,
            read_only: cdrom,
            boot_index: None,
        }
    }

    #[test]
    fn names_round_trip() {
        for bus in DiskBus::ALL {
            assert_eq!(DiskBus::from_name(bus.name()), Some(bus));
        }
        for model in NicModel::ALL {
            assert_eq!(NicModel::from_name(model.name()), Some(model));
        }
        for video in Video::ALL {
            assert_eq!(Video::from_name(video.name()), Some(video));
        }
        for model in ScsiController::ALL {
            assert_eq!(ScsiController::from_name(model.name()), Some(model));
        }
        assert_eq!(DiskBus::from_name("floppy"), None);
        assert_eq!(NicModel::Virtio.device(), "virtio-net-pci");
        assert_eq!(NicModel::Ne2kPci.device(), "ne2k_pci");
    }

    #[test]
    fn machines_with_and_without_ide() {
        for machine in ["pc", "pc-i440fx-10.0", "pc-1.0", "isapc"] {
            assert!(machine_has_ide(machine), "{machine}");
        }
        for machine in ["q35", "pc-q35-10.0", "microvm"] {
            assert!(!machine_has_ide(machine), "{machine}");
        }
    }

    #[test]
    fn each_bus_gets_its_controller_once() {
        let drives = [
            drive("disk0", DiskBus::Scsi, false),
            drive("cdrom0", DiskBus::Scsi, true),
            drive("disk1", DiskBus::Sata, false),
            drive("disk2", DiskBus::Usb, false),
        ];
        let argv = drive_args("pc", Some(ScsiController::VirtioScsi), &drives).unwrap();
        let controllers: Vec<&str> = argv
            .chunks(2)
            .filter(|pair| pair[0] == "-device" && !pair[1].contains("drive="))
            .map(|pair| pair[1].as_str())
            .collect();
        assert_eq!(
            controllers,
            [
                "virtio-scsi-pci,id=scsi0",
                "ich9-ahci,id=sata0",
                "qemu-xhci,id=usb"
            ]
        );
        // q35 has its own AHCI controller.
        let argv = drive_args("q35", None, &drives[2..3]).unwrap();
        assert_eq!(argv[3], "ide-hd,bus=ide.0,drive=disk1");
    }

    #[test]
    fn ide_fills_master_and_slave_of_both_channels() {
        let drives: Vec<Drive<'_>> = (0..4)
            .map(|n| drive(&format!("disk{n}"), DiskBus::Ide, n == 3))
            .collect();
        let argv = drive_args("pc", None, &drives).unwrap();
        let frontends: Vec<&str> = argv
            .chunks(2)
            .filter(|pair| pair[0] == "-device")
            .map(|pair| pair[1].as_str())
            .collect();
        assert_eq!(
            frontends,
            [
                "ide-hd,bus=ide.0,unit=0,drive=disk0",
                "ide-hd,bus=ide.0,unit=1,drive=disk1",
                "ide-hd,bus=ide.1,unit=0,drive=disk2",
                "ide-cd,bus=ide.1,unit=1,drive=disk3",
            ]
        );
    }

    #[test]
    fn what_a_machine_cannot_hold_is_refused_naming_the_drive() {
        let refuse = |machine: &str, drives: &[Drive<'_>]| {
            drive_args(machine, None, drives).unwrap_err().to_string()
        };
        assert_eq!(
            refuse("q35", &[drive("disk0", DiskBus::Ide, false)]),
            "disk /images/d.qcow2: machine type q35 has no IDE controller"
        );
        assert_eq!(
            refuse("pc", &[drive("cdrom0", DiskBus::Virtio, true)]),
            "CD-ROM /images/d.qcow2: a CD-ROM cannot be on the virtio bus"
        );
        assert_eq!(
            refuse("pc", &[drive("cdrom0", DiskBus::Fdc, true)]),
            "CD-ROM /images/d.qcow2: a CD-ROM cannot be on the floppy controller"
        );
        let five: Vec<Drive<'_>> = (0..5)
            .map(|n| drive(&format!("disk{n}"), DiskBus::Ide, false))
            .collect();
        assert_eq!(
            refuse("pc", &five),
            "disk /images/d.qcow2: the ide bus has room for 4 drives only"
        );
    }

    #[test]
    fn a_floppy_boots_through_its_controller() {
        let mut floppy = drive("disk0", DiskBus::Fdc, false);
        floppy.boot_index = Some(1);
        let argv = drive_args("q35", None, &[floppy]).unwrap();
        assert_eq!(
            argv,
            [
                "-device",
                "isa-fdc,id=fdc0",
                "-drive",
                "file=/images/d.qcow2,if=none,id=disk0,format=qcow2",
                "-device",
                "floppy,unit=0,drive=disk0",
                "-global",
                "isa-fdc.bootindexA=1",
            ]
        );
    }

    #[test]
    fn host_capabilities_are_read_from_qemu_s_help() {
        let machines = "Supported machines are:\n\
            microvm              microvm (i386)\n\
            pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-10.0)\n\
            pc-i440fx-10.0       Standard PC (i440FX + PIIX, 1996) (default)\n\
            q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-10.0)\n\
            none                 empty machine\n";
        let devices = "Network devices:\n\
            name \"e1000\", bus PCI, alias \"e1000-82540em\", desc \"Intel Gigabit Ethernet\"\n\
            name \"virtio-net-pci\", bus PCI, alias \"virtio-net\"\n\
            \n\
            Display devices:\n\
            name \"VGA\", bus PCI\n";
        let host = HostQemu::from_help(machines, devices);
        assert_eq!(host.machines, ["microvm", "pc", "pc-i440fx-10.0", "q35"]);
        assert!(host.has_machine("pc") && !host.has_machine("none"));
        for device in [
            "e1000",
            "e1000-82540em",
            "virtio-net-pci",
            "virtio-net",
            "VGA",
        ] {
            assert!(host.has_device(device), "{device}");
        }
        assert!(!host.has_device("qxl-vga"));
    }

    #[test]
    fn probing_a_missing_qemu_names_the_command() {
        let err = HostQemu::probe(Path::new("/nonexistent/qemu-system-x86_64")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not start `/nonexistent/qemu-system-x86_64 -machine help`"
        );
    }
}
