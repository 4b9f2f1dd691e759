//! The image properties Nova reads into enum fields of its `ImageMetaProps` before anything
//! else looks at them. Nova lower-cases some of them and maps legacy names (VMware's) on the
//! way; a value outside the field's enum makes `POST /servers` answer 400
//! `Invalid image metadata. Error: Field value <value> is invalid`. The qemu driver reads the
//! values through [`get`] too, so that the API and the driver coerce them alike.

use std::collections::BTreeMap;

/// One enum field of `ImageMetaProps`.
struct Field {
    property: &'static str,
    values: &'static [&'static str],
    /// Nova lower-cases the value first.
    lower: bool,
    /// Legacy spellings Nova maps (after lower-casing).
    legacy: &'static [(&'static str, &'static str)],
}

/// Nova's `DiskBus`.
const DISK_BUSES: &[&str] = &[
    "fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml",
];

const FIELDS: &[Field] = &[
    Field {
        property: "hw_disk_bus",
        values: DISK_BUSES,
        lower: false,
        legacy: &[],
    },
    Field {
        property: "hw_cdrom_bus",
        values: DISK_BUSES,
        lower: false,
        legacy: &[],
    },
    Field {
        property: "hw_vif_model",
        // nova.network.model.VIF_MODEL_ALL.
        values: &[
            "virtio",
            "ne2k_pci",
            "pcnet",
            "rtl8139",
            "e1000",
            "e1000e",
            "netfront",
            "spapr-vlan",
            "lan9118",
            "sriov",
            "vmxnet",
            "vmxnet3",
            "igb",
        ],
        lower: true,
        legacy: &[
            ("virtuale1000", "e1000"),
            ("virtuale1000e", "e1000e"),
            ("virtualpcnet32", "pcnet"),
            ("virtualsriovethernetcard", "sriov"),
            ("virtualvmxnet", "vmxnet"),
            ("virtualvmxnet3", "vmxnet3"),
        ],
    },
    Field {
        property: "hw_video_model",
        values: &[
            "cirrus", "qxl", "vga", "vmvga", "xen", "virtio", "gop", "none", "bochs",
        ],
        lower: false,
        legacy: &[],
    },
    Field {
        property: "hw_scsi_model",
        values: &[
            "buslogic",
            "ibmvscsi",
            "lsilogic",
            "lsisas1068",
            "lsisas1078",
            "virtio-scsi",
            "vmpvscsi",
        ],
        lower: true,
        legacy: &[("lsilogicsas", "lsisas1068"), ("paravirtual", "vmpvscsi")],
    },
    Field {
        property: "hw_firmware_type",
        values: &["uefi", "bios"],
        lower: false,
        legacy: &[],
    },
    Field {
        property: "os_type",
        values: &["linux", "windows"],
        lower: true,
        legacy: &[],
    },
];

/// The message of Nova's 400 for a value outside its field's enum.
pub(crate) fn invalid(value: &str) -> String {
    format!("Invalid image metadata. Error: Field value {value} is invalid")
}

/// `property` of an image as `ImageMetaProps` holds it: `Ok(None)` when the image does not
/// set it, the coerced value, or Nova's 400 message. A property that is no enum field of
/// Nova's comes back as it is.
pub(crate) fn get(
    properties: &BTreeMap<String, String>,
    property: &str,
) -> Result<Option<String>, String> {
    let Some(value) = properties.get(property) else {
        return Ok(None);
    };
    let Some(field) = FIELDS.iter().find(|field| field.property == property) else {
        return Ok(Some(value.clone()));
    };
    let mut value = if field.lower {
        value.to_lowercase()
    } else {
        value.clone()
    };
    if let Some((_, modern)) = field.legacy.iter().find(|(old, _)| *old == value) {
        value = (*modern).to_owned();
    }
    if field.values.contains(&value.as_str()) {
        Ok(Some(value))
    } else {
        Err(invalid(&value))
    }
}

/// What `POST /servers` answers for an image whose properties Nova cannot read: the first
/// enum field (in property order) with a value outside its enum.
pub(crate) fn check(properties: &BTreeMap<String, String>) -> Result<(), String> {
    for property in properties.keys() {
        get(properties, property)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn values_are_coerced_as_nova_does() {
        let image = props(&[
            ("hw_vif_model", "VirtualE1000"),
            ("hw_scsi_model", "paravirtual"),
            ("os_type", "Windows"),
            ("hw_disk_bus", "ide"),
            ("hw_machine_type", "Q35"),
        ]);
        assert_eq!(get(&image, "hw_vif_model"), Ok(Some("e1000".into())));
        assert_eq!(get(&image, "hw_scsi_model"), Ok(Some("vmpvscsi".into())));
        assert_eq!(get(&image, "os_type"), Ok(Some("windows".into())));
        assert_eq!(get(&image, "hw_disk_bus"), Ok(Some("ide".into())));
        // A string field of Nova's is not an enum: kept as it is.
        assert_eq!(get(&image, "hw_machine_type"), Ok(Some("Q35".into())));
        assert_eq!(get(&image, "hw_video_model"), Ok(None));
        assert_eq!(check(&image), Ok(()));
    }

    #[test]
    fn a_value_outside_the_enum_is_nova_s_400() {
        // DiskBus does not lower-case; VIFModel does before it checks.
        assert_eq!(
            check(&props(&[("hw_disk_bus", "IDE")])),
            Err("Invalid image metadata. Error: Field value IDE is invalid".into())
        );
        assert_eq!(
            check(&props(&[("hw_vif_model", "E1001")])),
            Err("Invalid image metadata. Error: Field value e1001 is invalid".into())
        );
        for (property, value) in [
            ("hw_cdrom_bus", "floppy"),
            ("hw_video_model", "matrox"),
            ("hw_scsi_model", "aha1542"),
            ("hw_firmware_type", "coreboot"),
            ("os_type", "beos"),
        ] {
            assert_eq!(
                check(&props(&[(property, value), ("other", "anything")])),
                Err(invalid(value)),
                "{property}"
            );
        }
    }
}
