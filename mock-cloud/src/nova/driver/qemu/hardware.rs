//! The machine's hardware, decided from the image's properties as Nova's libvirt driver and
//! libvirt decide it (`nova/virt/libvirt/blockinfo.py`, `vif.py`, `driver.py`):
//!
//! - `hw_machine_type`, default `pc`: Nova's x86 default (`libvirt_utils.get_machine_type`);
//!   checked against the machine types of the host's qemu, as libvirt's capabilities are.
//! - `hw_disk_bus` (default virtio) and `hw_cdrom_bus` (default `ide`, `sata` on a q35, as
//!   Nova picks it): the buses Nova allows for virt type `qemu` are virtio, scsi, ide, usb,
//!   fdc and sata; xen, lxc and uml are Nova's "Requested hardware ... is not supported". q35
//!   has no IDE controller: Nova lets `ide` through and libvirt refuses the domain.
//! - `hw_scsi_model`: the controller of a scsi disk; libvirt's default is `lsilogic`.
//! - `hw_vif_model` (default virtio): Nova's list for virt type `qemu`; a model qemu-system-x86_64
//!   lacks (lan9118, spapr-vlan) is refused as qemu would.
//! - `hw_video_model` (default virtio, Nova's x86 default without SPICE): Nova's list, then what
//!   libvirt's qemu supports (xen and gop are not; qxl only with the SPICE module installed).
//! - `hw_firmware_type=uefi`: OVMF; `os_type=windows`: the RTC in local time.
//!
//! The driver stands for a Nova compute with `[libvirt] virt_type = qemu` (TCG), so the
//! messages name the `qemu` virt driver even when the host's KVM is used.

use std::collections::BTreeMap;

use ferrostack_qemu::{
    DiskBus, HostQemu, NicModel, RtcBase, ScsiController, Video, is_q35, machine_has_ide,
};

use crate::nova::driver::DriverError;
use crate::nova::image_meta;

/// Nova's virt type for this driver, as its messages name it.
pub(crate) const VIRT_TYPE: &str = "qemu";

/// Nova's default machine type on x86_64.
pub(crate) const DEFAULT_MACHINE: &str = "pc";

/// libvirt's words when a q35 is given an IDE disk.
const NO_IDE: &str = "unsupported configuration: IDE controllers are unsupported for this QEMU binary or machine type";

/// What the image asks of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hardware {
    /// `-machine`.
    pub(crate) machine: String,
    /// The root disk's bus.
    pub(crate) disk_bus: DiskBus,
    /// Where a CD-ROM goes.
    pub(crate) cdrom_bus: DiskBus,
    /// The SCSI controller the image names (`hw_scsi_model`), present even without a SCSI
    /// disk, as libvirt adds it; `None`: libvirt's default model, for SCSI disks only.
    pub(crate) scsi_controller: Option<ScsiController>,
    /// Every NIC's model.
    pub(crate) nic_model: NicModel,
    /// The video card.
    pub(crate) video: Video,
    /// UEFI (OVMF) instead of the BIOS.
    pub(crate) uefi: bool,
    /// The RTC's base.
    pub(crate) rtc: RtcBase,
}

/// An image's properties, read the way the driver needs them: each refusal names the image,
/// the property and its value.
struct Properties<'a> {
    label: &'a str,
    properties: &'a BTreeMap<String, String>,
}

impl Properties<'_> {
    fn refuse(&self, property: &str, value: &str, why: impl std::fmt::Display) -> DriverError {
        DriverError(format!(
            "qemu driver: image {}: {property}={value}: {why}",
            self.label
        ))
    }

    /// The value after Nova's coercion; Nova's 400 message (which the API has already
    /// answered for a new server) when it is outside the enum.
    fn get(&self, property: &str) -> Result<Option<String>, DriverError> {
        image_meta::get(self.properties, property).map_err(|why| {
            let value = self.properties.get(property).cloned().unwrap_or_default();
            self.refuse(property, &value, why)
        })
    }

    fn unsupported(&self, property: &str, value: &str) -> DriverError {
        self.refuse(
            property,
            value,
            format!(
                "Requested hardware '{value}' is not supported by the '{VIRT_TYPE}' virt driver"
            ),
        )
    }

    /// A disk or CD-ROM bus: Nova's list for virt type qemu.
    fn bus(&self, property: &str) -> Result<Option<DiskBus>, DriverError> {
        let Some(value) = self.get(property)? else {
            return Ok(None);
        };
        DiskBus::from_name(&value)
            .map(Some)
            .ok_or_else(|| self.unsupported(property, &value))
    }
}

impl Hardware {
    /// Decides the hardware of a machine booting the image labelled `label` with
    /// `properties`.
    pub(crate) fn from_image(
        label: &str,
        properties: &BTreeMap<String, String>,
    ) -> Result<Hardware, DriverError> {
        let image = Properties { label, properties };
        let machine = image
            .get("hw_machine_type")?
            .map(|machine| machine.trim().to_owned())
            .filter(|machine| !machine.is_empty())
            .unwrap_or_else(|| DEFAULT_MACHINE.to_owned());
        let disk_bus = image.bus("hw_disk_bus")?.unwrap_or_default();
        if disk_bus == DiskBus::Ide && !machine_has_ide(&machine) {
            return Err(image.refuse(
                "hw_disk_bus",
                "ide",
                format!("machine type {machine}: {NO_IDE}"),
            ));
        }
        let cdrom_bus = match image.bus("hw_cdrom_bus")? {
            Some(bus @ (DiskBus::Virtio | DiskBus::Fdc)) => {
                return Err(image.refuse(
                    "hw_cdrom_bus",
                    bus.name(),
                    "a CD-ROM cannot be on this bus (libvirt attaches CD-ROMs on ide, sata, \
                     scsi or usb)",
                ));
            }
            Some(bus) => bus,
            None if is_q35(&machine) => DiskBus::Sata,
            None => DiskBus::Ide,
        };
        let scsi_controller = match image.get("hw_scsi_model")? {
            None => None,
            Some(model) => Some(ScsiController::from_name(&model).ok_or_else(|| {
                image.refuse(
                    "hw_scsi_model",
                    &model,
                    format!("unsupported configuration: Unsupported controller model: {model}"),
                )
            })?),
        };
        let nic_model = match image.get("hw_vif_model")? {
            None => NicModel::Virtio,
            Some(model) => match NicModel::from_name(&model) {
                Some(nic) => nic,
                // In Nova's list for virt type qemu, but for other architectures.
                None if matches!(model.as_str(), "lan9118" | "spapr-vlan") => {
                    return Err(image.refuse(
                        "hw_vif_model",
                        &model,
                        format!("qemu-system-x86_64 has no NIC model {model}"),
                    ));
                }
                None => return Err(image.unsupported("hw_vif_model", &model)),
            },
        };
        let video = match image.properties.get("hw_video_model") {
            None => Video::Virtio,
            Some(model) => {
                // The driver's own check, before libvirt's.
                if image_meta::get(image.properties, "hw_video_model").is_err() {
                    return Err(image.refuse(
                        "hw_video_model",
                        model,
                        format!("Provided video model ({model}) is not supported."),
                    ));
                }
                Video::from_name(model).ok_or_else(|| {
                    image.refuse("hw_video_model", model, unsupported_video(model))
                })?
            }
        };
        let uefi = image.get("hw_firmware_type")?.as_deref() == Some("uefi");
        let rtc = match image.get("os_type")?.as_deref() {
            // Windows expects the RTC in local time (Nova's _set_clock).
            Some("windows") => RtcBase::LocalTime,
            _ => RtcBase::Utc,
        };
        Ok(Hardware {
            machine,
            disk_bus,
            cdrom_bus,
            scsi_controller,
            nic_model,
            video,
            uefi,
            rtc,
        })
    }

    /// Refuses, as libvirt would from the host's capabilities, a machine type or a device this
    /// host's qemu lacks. `label` names the image.
    pub(crate) fn check_host(&self, label: &str, host: &HostQemu) -> Result<(), DriverError> {
        let refuse = |property: &str, value: &str, why: String| {
            DriverError(format!(
                "qemu driver: image {label}: {property}={value}: {why}"
            ))
        };
        if !host.has_machine(&self.machine) {
            let known: Vec<String> = host
                .machines
                .iter()
                .map(|machine| format!("'{machine}'"))
                .collect();
            return Err(refuse(
                "hw_machine_type",
                &self.machine,
                format!(
                    "'{}' is not valid/supported machine type, Supported machine types are: [{}]",
                    self.machine,
                    known.join(", ")
                ),
            ));
        }
        if let Some(device) = self.video.device()
            && !host.has_device(device)
        {
            let mut why = unsupported_video(self.video.name());
            if self.video == Video::Qxl {
                why.push_str(
                    " (qemu's qxl-vga is in the Debian package qemu-system-modules-spice)",
                );
            }
            return Err(refuse("hw_video_model", self.video.name(), why));
        }
        if !host.has_device(self.nic_model.device()) {
            return Err(refuse(
                "hw_vif_model",
                self.nic_model.name(),
                format!(
                    "qemu-system-x86_64 has no NIC model {}",
                    self.nic_model.device()
                ),
            ));
        }
        if let Some(model) = self.scsi_controller
            && !host.has_device(model.device())
        {
            return Err(refuse(
                "hw_scsi_model",
                model.name(),
                format!(
                    "unsupported configuration: Unsupported controller model: {}",
                    model.name()
                ),
            ));
        }
        Ok(())
    }
}

/// libvirt's words for a video model its qemu cannot give.
fn unsupported_video(model: &str) -> String {
    format!(
        "unsupported configuration: domain configuration does not support video model '{model}'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = "'win' (i1)";

    fn hardware(pairs: &[(&str, &str)]) -> Result<Hardware, String> {
        let properties = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Hardware::from_image(IMAGE, &properties).map_err(|err| err.0)
    }

    fn host() -> HostQemu {
        HostQemu {
            machines: ["pc", "pc-i440fx-10.0", "q35", "pc-q35-10.0"]
                .map(str::to_owned)
                .to_vec(),
            devices: [
                "virtio-net-pci",
                "e1000",
                "rtl8139",
                "VGA",
                "cirrus-vga",
                "virtio-vga",
                "lsi53c895a",
            ]
            .map(str::to_owned)
            .into(),
        }
    }

    #[test]
    fn without_properties_the_machine_is_nova_s_default() {
        assert_eq!(
            hardware(&[]).unwrap(),
            Hardware {
                machine: "pc".into(),
                disk_bus: DiskBus::Virtio,
                cdrom_bus: DiskBus::Ide,
                scsi_controller: None,
                nic_model: NicModel::Virtio,
                video: Video::Virtio,
                uefi: false,
                rtc: RtcBase::Utc,
            }
        );
    }

    #[test]
    fn the_properties_choose_the_devices() {
        let windows = hardware(&[
            ("hw_disk_bus", "ide"),
            ("hw_vif_model", "e1000"),
            ("hw_video_model", "cirrus"),
            ("os_type", "Windows"),
        ])
        .unwrap();
        assert_eq!(
            (
                windows.disk_bus,
                windows.nic_model,
                windows.video,
                windows.rtc
            ),
            (
                DiskBus::Ide,
                NicModel::E1000,
                Video::Cirrus,
                RtcBase::LocalTime
            )
        );
        let q35 = hardware(&[
            ("hw_machine_type", "pc-q35-10.0"),
            ("hw_disk_bus", "scsi"),
            ("hw_scsi_model", "virtio-scsi"),
            ("hw_firmware_type", "uefi"),
        ])
        .unwrap();
        assert_eq!(q35.machine, "pc-q35-10.0");
        assert_eq!(q35.cdrom_bus, DiskBus::Sata, "Nova's CD-ROM bus on a q35");
        assert_eq!(q35.scsi_controller, Some(ScsiController::VirtioScsi));
        assert!(q35.uefi);
        assert_eq!(
            hardware(&[("hw_cdrom_bus", "scsi"), ("hw_firmware_type", "bios")])
                .unwrap()
                .cdrom_bus,
            DiskBus::Scsi
        );
        for bus in ["virtio", "scsi", "sata", "ide", "usb", "fdc"] {
            assert_eq!(
                hardware(&[("hw_disk_bus", bus)]).unwrap().disk_bus.name(),
                bus
            );
        }
        for model in [
            "virtio", "e1000", "e1000e", "igb", "rtl8139", "ne2k_pci", "pcnet", "vmxnet3",
        ] {
            assert_eq!(
                hardware(&[("hw_vif_model", model)])
                    .unwrap()
                    .nic_model
                    .name(),
                model
            );
        }
        for video in ["vga", "cirrus", "vmvga", "virtio", "bochs", "qxl", "none"] {
            assert_eq!(
                hardware(&[("hw_video_model", video)]).unwrap().video.name(),
                video
            );
        }
    }

    #[test]
    fn bad_values_are_refused_as_nova_and_libvirt_refuse_them() {
        let refuse = |pairs: &[(&str, &str)]| hardware(pairs).unwrap_err();
        assert_eq!(
            refuse(&[("hw_disk_bus", "xen")]),
            "qemu driver: image 'win' (i1): hw_disk_bus=xen: Requested hardware 'xen' is not \
             supported by the 'qemu' virt driver"
        );
        assert_eq!(
            refuse(&[("hw_disk_bus", "floppy")]),
            "qemu driver: image 'win' (i1): hw_disk_bus=floppy: Invalid image metadata. Error: \
             Field value floppy is invalid"
        );
        assert_eq!(
            refuse(&[("hw_machine_type", "q35"), ("hw_disk_bus", "ide")]),
            "qemu driver: image 'win' (i1): hw_disk_bus=ide: machine type q35: unsupported \
             configuration: IDE controllers are unsupported for this QEMU binary or machine type"
        );
        assert_eq!(
            refuse(&[("hw_cdrom_bus", "virtio")]),
            "qemu driver: image 'win' (i1): hw_cdrom_bus=virtio: a CD-ROM cannot be on this bus \
             (libvirt attaches CD-ROMs on ide, sata, scsi or usb)"
        );
        assert!(
            refuse(&[("hw_cdrom_bus", "uml")])
                .ends_with("Requested hardware 'uml' is not supported by the 'qemu' virt driver")
        );
        assert_eq!(
            refuse(&[("hw_vif_model", "netfront")]),
            "qemu driver: image 'win' (i1): hw_vif_model=netfront: Requested hardware \
             'netfront' is not supported by the 'qemu' virt driver"
        );
        assert_eq!(
            refuse(&[("hw_vif_model", "lan9118")]),
            "qemu driver: image 'win' (i1): hw_vif_model=lan9118: qemu-system-x86_64 has no \
             NIC model lan9118"
        );
        assert_eq!(
            refuse(&[("hw_vif_model", "tulip")]),
            "qemu driver: image 'win' (i1): hw_vif_model=tulip: Invalid image metadata. Error: \
             Field value tulip is invalid"
        );
        assert_eq!(
            refuse(&[("hw_video_model", "matrox")]),
            "qemu driver: image 'win' (i1): hw_video_model=matrox: Provided video model \
             (matrox) is not supported."
        );
        assert_eq!(
            refuse(&[("hw_video_model", "xen")]),
            "qemu driver: image 'win' (i1): hw_video_model=xen: unsupported configuration: \
             domain configuration does not support video model 'xen'"
        );
        assert_eq!(
            refuse(&[("hw_scsi_model", "buslogic")]),
            "qemu driver: image 'win' (i1): hw_scsi_model=buslogic: unsupported configuration: \
             Unsupported controller model: buslogic"
        );
        assert_eq!(
            refuse(&[("hw_firmware_type", "coreboot")]),
            "qemu driver: image 'win' (i1): hw_firmware_type=coreboot: Invalid image metadata. \
             Error: Field value coreboot is invalid"
        );
        assert_eq!(
            refuse(&[("os_type", "BeOS")]),
            "qemu driver: image 'win' (i1): os_type=BeOS: Invalid image metadata. Error: Field \
             value beos is invalid"
        );
    }

    #[test]
    fn what_the_host_s_qemu_lacks_is_refused() {
        let check = |pairs: &[(&str, &str)]| hardware(pairs).unwrap().check_host(IMAGE, &host());
        assert_eq!(check(&[("hw_vif_model", "e1000")]), Ok(()));
        assert_eq!(check(&[("hw_machine_type", "pc-q35-10.0")]), Ok(()));
        assert_eq!(
            check(&[("hw_machine_type", "pc-q35-1.4")]).unwrap_err().0,
            "qemu driver: image 'win' (i1): hw_machine_type=pc-q35-1.4: 'pc-q35-1.4' is not \
             valid/supported machine type, Supported machine types are: ['pc', \
             'pc-i440fx-10.0', 'q35', 'pc-q35-10.0']"
        );
        assert_eq!(
            check(&[("hw_video_model", "qxl")]).unwrap_err().0,
            "qemu driver: image 'win' (i1): hw_video_model=qxl: unsupported configuration: \
             domain configuration does not support video model 'qxl' (qemu's qxl-vga is in the \
             Debian package qemu-system-modules-spice)"
        );
        assert_eq!(
            check(&[("hw_vif_model", "vmxnet3")]).unwrap_err().0,
            "qemu driver: image 'win' (i1): hw_vif_model=vmxnet3: qemu-system-x86_64 has no NIC \
             model vmxnet3"
        );
        assert_eq!(
            check(&[("hw_scsi_model", "virtio-scsi")]).unwrap_err().0,
            "qemu driver: image 'win' (i1): hw_scsi_model=virtio-scsi: unsupported \
             configuration: Unsupported controller model: virtio-scsi"
        );
    }
}
