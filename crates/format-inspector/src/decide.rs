//! Glance's upload decision table, as one function.

use std::fmt;

use crate::{DiskFormat, Inspection, SafetyCheck, SafetyError};

/// Glance's 415 message for an image that failed a safety check.
pub const GLANCE_SAFETY_MESSAGE: &str = "Image failed safety checks";

/// Glance's 415 message for data that is not the declared format:
/// `Image disk_format qcow2 does not match stream data raw`.
pub fn glance_mismatch_message(declared: &str, detected: DiskFormat) -> String {
    format!(
        "Image disk_format {declared} does not match stream data {}",
        detected.glance_name()
    )
}

/// Whether Glance has an inspector for a declared disk format. Kernel, ramdisk and
/// machine images of the Amazon style (`aki`, `ari`, `ami`) and `ploop` hold bytes it
/// cannot read, so their data is not checked against the declaration.
fn inspectable(disk_format: &str) -> bool {
    DiskFormat::ALL
        .iter()
        .any(|format| format.glance_name() == disk_format)
}

/// Glance's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The image may be stored.
    Accept {
        /// The virtual size Glance records (`None` when it records none).
        virtual_size: Option<u64>,
        /// What the data turned out to be (may differ from the declared format: `raw`
        /// may hold anything that passes its checks).
        detected: DiskFormat,
    },
    /// The image must be refused (Glance: 415, image back to `queued`).
    Refuse(Refusal),
}

/// Why an upload is refused. `Display` is a sentence for a person;
/// [`glance_message`](Self::glance_message) is what Glance itself answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The data is not what the image declares.
    Mismatch {
        /// The declared `disk_format` (or `container_format`, when the data is a disk
        /// image that claims to be in a container).
        declared: String,
        /// What the data is.
        detected: DiskFormat,
    },
    /// The data failed a safety check.
    Unsafe(SafetyError),
}

impl Refusal {
    /// The message Glance puts in its 415 answer.
    pub fn glance_message(&self) -> String {
        match self {
            Refusal::Mismatch { declared, detected } => {
                glance_mismatch_message(declared, *detected)
            }
            Refusal::Unsafe(_) => GLANCE_SAFETY_MESSAGE.to_string(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Mismatch { declared, detected } => {
                write!(f, "declared {declared}, but the data is {detected}")
            }
            Refusal::Unsafe(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Glance's decision for data declared with `disk_format` and `container_format`.
///
/// - Data that matches several formats (a header hidden inside another) is refused.
/// - Only `bare` containers are inspected; other containers (ovf, ova, docker, compressed)
///   and the disk formats Glance has no inspector for (`aki`, `ari`, `ami`, `ploop`) pass,
///   unless their bytes are a bare disk image of a format qemu interprets
///   ([`DiskFormat::is_rich`]).
/// - The detected format equals the declared one (`gpt` covers mbr, a hybrid ISO is an
///   ISO): accepted with the header's virtual size if it passes the safety checks.
/// - Declared `raw`: any data is accepted, but the safety checks of what it turns out to
///   be still run (a qcow2 with a backing file is refused even when declared raw).
/// - Anything else is a mismatch ("declared qcow2, but the data is raw").
///
/// ```
/// use ferrostack_format_inspector::{decide, StreamInspector, Verdict, Refusal};
///
/// let mut inspector = StreamInspector::new();
/// inspector.feed(&[0u8; 4096]);
/// let raw = inspector.finish();
/// let Verdict::Refuse(why) = decide("qcow2", "bare", &raw) else { panic!() };
/// assert_eq!(why.to_string(), "declared qcow2, but the data is raw");
/// assert_eq!(why.glance_message(), "Image disk_format qcow2 does not match stream data raw");
/// ```
pub fn decide(disk_format: &str, container_format: &str, inspection: &Inspection) -> Verdict {
    let detected = inspection.format;
    let refuse_unsafe = || match &inspection.safety {
        Err(why) => Some(Verdict::Refuse(Refusal::Unsafe(why.clone()))),
        Ok(()) => None,
    };
    let mismatch = |declared: &str| {
        Verdict::Refuse(Refusal::Mismatch {
            declared: declared.to_string(),
            detected,
        })
    };

    // A header hidden in another format is refused whatever the image declares.
    if let Err(why) = &inspection.safety
        && why.check() == SafetyCheck::MultipleFormats
    {
        return Verdict::Refuse(Refusal::Unsafe(why.clone()));
    }

    let not_inspected = container_format != "bare" || !inspectable(disk_format);
    if not_inspected {
        if !detected.is_rich() {
            return Verdict::Accept {
                virtual_size: None,
                detected,
            };
        }
        // A bare disk image posing as a container or a kernel: refuse, for the most
        // telling reason.
        if let Some(unsafe_verdict) = refuse_unsafe() {
            return unsafe_verdict;
        }
        let declared = if container_format != "bare" {
            container_format
        } else {
            disk_format
        };
        return mismatch(declared);
    }

    if disk_format == "raw" {
        return refuse_unsafe().unwrap_or(Verdict::Accept {
            // qemu will read the bytes as they are: the guest sees all of them.
            virtual_size: Some(inspection.data_size),
            detected,
        });
    }
    if !detected.matches_declared(disk_format) {
        return mismatch(disk_format);
    }
    refuse_unsafe().unwrap_or(Verdict::Accept {
        virtual_size: inspection.virtual_size,
        detected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SafetyCheck;

    fn inspection(format: DiskFormat, safety: Result<(), SafetyError>) -> Inspection {
        Inspection {
            format,
            matches: vec![format],
            virtual_size: Some(1 << 30),
            safety,
            data_size: 4096,
        }
    }

    fn backing() -> Result<(), SafetyError> {
        Err(SafetyError::new(
            DiskFormat::Qcow2,
            SafetyCheck::BackingFile,
            "qcow2 names a backing file: /etc/passwd",
        ))
    }

    #[test]
    fn a_matching_safe_image_is_accepted_with_its_virtual_size() {
        let verdict = decide("qcow2", "bare", &inspection(DiskFormat::Qcow2, Ok(())));
        assert_eq!(
            verdict,
            Verdict::Accept {
                virtual_size: Some(1 << 30),
                detected: DiskFormat::Qcow2
            }
        );
    }

    #[test]
    fn raw_holds_anything_safe_and_records_the_data_size() {
        let verdict = decide("raw", "bare", &inspection(DiskFormat::Qcow2, Ok(())));
        assert_eq!(
            verdict,
            Verdict::Accept {
                virtual_size: Some(4096),
                detected: DiskFormat::Qcow2
            }
        );
    }

    #[test]
    fn an_unsafe_image_in_a_container_is_refused_for_its_safety() {
        let Verdict::Refuse(why) = decide("raw", "ovf", &inspection(DiskFormat::Qcow2, backing()))
        else {
            panic!("accepted a qcow2 with a backing file in an ovf container");
        };
        assert_eq!(why.to_string(), "qcow2 names a backing file: /etc/passwd");
        assert_eq!(why.glance_message(), GLANCE_SAFETY_MESSAGE);
    }

    #[test]
    fn a_kernel_image_of_plain_bytes_is_accepted_without_a_size() {
        let verdict = decide("aki", "bare", &inspection(DiskFormat::Raw, Ok(())));
        assert_eq!(
            verdict,
            Verdict::Accept {
                virtual_size: None,
                detected: DiskFormat::Raw
            }
        );
    }

    #[test]
    fn a_ploop_image_is_not_inspected_but_a_disk_image_posing_as_one_is_refused() {
        let verdict = decide("ploop", "bare", &inspection(DiskFormat::Raw, Ok(())));
        assert_eq!(
            verdict,
            Verdict::Accept {
                virtual_size: None,
                detected: DiskFormat::Raw
            }
        );
        let Verdict::Refuse(why) = decide("ploop", "bare", &inspection(DiskFormat::Qcow2, Ok(())))
        else {
            panic!("accepted a qcow2 declared ploop");
        };
        assert_eq!(why.to_string(), "declared ploop, but the data is qcow2");
    }

    #[test]
    fn glance_names_an_mbr_disk_gpt_in_its_message() {
        let Verdict::Refuse(why) = decide("qcow2", "bare", &inspection(DiskFormat::Mbr, Ok(())))
        else {
            panic!("accepted an mbr disk declared qcow2");
        };
        assert_eq!(why.to_string(), "declared qcow2, but the data is mbr");
        assert_eq!(
            why.glance_message(),
            "Image disk_format qcow2 does not match stream data gpt"
        );
    }
}
