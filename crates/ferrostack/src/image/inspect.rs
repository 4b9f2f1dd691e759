//! The format gate before an upload: what Glance would refuse, refused here first, before
//! an image is created or a byte sent.

use ferrostack_format_inspector as inspector;

use super::model::{ContainerFormat, DiskFormat};
use crate::error::{Error, ErrorKind, Result};

/// The Glance disk format for what the inspector found, when no format was declared.
/// GPT/MBR disks and plain bytes are `raw` to Glance.
pub(crate) fn glance_format(detected: inspector::DiskFormat) -> DiskFormat {
    use inspector::DiskFormat as D;
    match detected {
        D::Qcow2 => DiskFormat::Qcow2,
        D::Vmdk => DiskFormat::Vmdk,
        D::Vhd => DiskFormat::Vhd,
        D::Vhdx => DiskFormat::Vhdx,
        D::Vdi => DiskFormat::Vdi,
        D::Iso => DiskFormat::Iso,
        D::Qed => DiskFormat::Unknown("qed".into()),
        _ => DiskFormat::Raw,
    }
}

/// Applies Glance's decision table to an inspection: `Ok` with the disk format to use
/// (the declared one, or the detected one when none was declared), or an
/// [`ErrorKind::UnsafeImage`] error naming `what` and the inspector's reason.
pub(crate) fn check(
    what: &str,
    inspection: &inspector::Inspection,
    declared: Option<&DiskFormat>,
    container: &ContainerFormat,
) -> Result<DiskFormat> {
    let disk = declared
        .cloned()
        .unwrap_or_else(|| glance_format(inspection.format));
    match inspector::decide(disk.as_str(), container.as_str(), inspection) {
        inspector::Verdict::Accept { .. } => Ok(disk),
        inspector::Verdict::Refuse(refusal) => Err(Error::new(
            ErrorKind::UnsafeImage,
            format!(
                "refusing to upload {what} as {disk}/{container}: {refusal} (Glance would answer \
                 \"{}\"); nothing was created",
                refusal.glance_message()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qcow2(backing: bool) -> Vec<u8> {
        let mut image = vec![0u8; 4096];
        image[..4].copy_from_slice(b"QFI\xfb");
        image[4..8].copy_from_slice(&3u32.to_be_bytes());
        if backing {
            image[8..16].copy_from_slice(&512u64.to_be_bytes());
            image[16..20].copy_from_slice(&11u32.to_be_bytes());
            image[512..523].copy_from_slice(b"/etc/passwd");
        }
        image[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        image[100..104].copy_from_slice(&104u32.to_be_bytes());
        image
    }

    fn inspect(data: &[u8]) -> inspector::Inspection {
        inspector::inspect(std::io::Cursor::new(data)).unwrap()
    }

    #[test]
    fn the_detected_format_is_used_when_none_is_declared() {
        let bare = ContainerFormat::Bare;
        assert_eq!(
            check("x", &inspect(&qcow2(false)), None, &bare).unwrap(),
            DiskFormat::Qcow2
        );
        assert_eq!(
            check("x", &inspect(&[0u8; 1000]), None, &bare).unwrap(),
            DiskFormat::Raw
        );
    }

    #[test]
    fn a_mismatch_and_a_backing_file_are_refused_with_the_reason() {
        let bare = ContainerFormat::Bare;
        let err = check(
            "disk.img",
            &inspect(&qcow2(false)),
            Some(&DiskFormat::Vmdk),
            &bare,
        )
        .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::UnsafeImage);
        assert!(err.message().contains("disk.img"), "{err}");
        assert!(
            err.message()
                .contains("declared vmdk, but the data is qcow2"),
            "{err}"
        );
        let err = check("disk.img", &inspect(&qcow2(true)), None, &bare).unwrap_err();
        assert!(err.message().contains("/etc/passwd"), "{err}");
        assert!(
            err.message().contains("Image failed safety checks"),
            "{err}"
        );
    }

    #[test]
    fn a_kernel_of_plain_bytes_passes() {
        assert_eq!(
            check(
                "vmlinuz",
                &inspect(&[7u8; 2048]),
                Some(&DiskFormat::Aki),
                &ContainerFormat::Aki
            )
            .unwrap(),
            DiskFormat::Aki
        );
    }
}
