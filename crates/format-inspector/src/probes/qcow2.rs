//! qcow2: the format of CVE-2024-32498. A backing file or an external data file makes qemu
//! open another file of the host and show it to the guest, so both are refused.
//!
//! Big-endian header: magic 0, version 4, backing file offset 8 and size 16, virtual size
//! 24; from version 3, incompatible features 72 and header length 100. Header extensions
//! follow the header, in the first cluster.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{be_u32, be_u64, shown};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"QFI\xfb";
/// The head of the file read for the header, its extensions and (usually) the backing file
/// name. qemu keeps them within the first cluster; clusters go up to 2 MiB, but qemu
/// itself writes them in the first few hundred bytes.
const HEAD_LEN: usize = 64 * 1024;
const V2_HEADER_LEN: usize = 72;
const V3_HEADER_LEN: usize = 104;
const BACKING_OFFSET_AT: usize = 8;
const BACKING_SIZE_AT: usize = 16;
const SIZE_AT: usize = 24;
const INCOMPATIBLE_AT: usize = 72;
const HEADER_LENGTH_AT: usize = 100;
/// qemu refuses longer backing file names.
const NAME_MAX: usize = 1023;
/// Incompatible features Glance knows: dirty, corrupt, external data file, compression type.
const KNOWN_INCOMPATIBLE: u64 = 0b1111;
const DATA_FILE_BIT: u64 = 1 << 2;
const EXT_END: u32 = 0;
const EXT_DATA_FILE: u32 = 0x4441_5441;
/// Header extensions walked at most (qemu writes a handful).
const MAX_EXTENSIONS: usize = 64;

pub(crate) struct Qcow2Probe {
    regions: Regions,
    head: RegionId,
    /// The backing file name, when it lies past the head.
    backing_name: Option<RegionId>,
}

impl Qcow2Probe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let head = regions.add(0, HEAD_LEN);
        Qcow2Probe {
            regions,
            head,
            backing_name: None,
        }
    }
}

impl Probe for Qcow2Probe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn advance(&mut self) {
        if self.backing_name.is_some() || !self.regions.complete(self.head) {
            return;
        }
        let head = self.regions.data(self.head);
        if !head.starts_with(MAGIC) {
            return;
        }
        let (Some(offset), Some(size)) = (
            be_u64(head, BACKING_OFFSET_AT),
            be_u32(head, BACKING_SIZE_AT),
        ) else {
            return;
        };
        // Names inside the head are read from it; a region here always starts past it.
        if offset >= HEAD_LEN as u64 {
            let len = (size as usize).min(NAME_MAX);
            self.backing_name = Some(self.regions.add(offset, len));
        }
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        let head = self.regions.data(self.head);
        if !head.starts_with(MAGIC) {
            return None;
        }
        let virtual_size = be_u64(head, SIZE_AT);
        Some(Finding {
            format: DiskFormat::Qcow2,
            virtual_size,
            safety: self.check(head),
        })
    }
}

impl Qcow2Probe {
    fn check(&self, head: &[u8]) -> Result<(), SafetyError> {
        let fail = |check, detail: String| Err(SafetyError::new(DiskFormat::Qcow2, check, detail));
        let truncated = || {
            fail(
                SafetyCheck::Structure,
                format!("qcow2 header is truncated ({} bytes)", head.len()),
            )
        };
        if head.len() < V2_HEADER_LEN {
            return truncated();
        }
        let version = be_u32(head, 4).unwrap_or(0);
        if version != 2 && version != 3 {
            return fail(
                SafetyCheck::Version,
                format!("qcow2 version {version} is not supported (only 2 and 3)"),
            );
        }
        if version == 3 && head.len() < V3_HEADER_LEN {
            return truncated();
        }
        let backing_offset = be_u64(head, BACKING_OFFSET_AT).unwrap_or(0);
        if backing_offset != 0 {
            let name = self.backing_name(head, backing_offset);
            return fail(
                SafetyCheck::BackingFile,
                match name {
                    Some(name) => format!("qcow2 names a backing file: {}", shown(name)),
                    None => "qcow2 names a backing file (its name lies outside the data)".into(),
                },
            );
        }
        if version == 2 {
            // Version 2 has no feature bits: bytes 72.. are already header extensions.
            return Ok(());
        }
        let incompatible = be_u64(head, INCOMPATIBLE_AT).unwrap_or(0);
        if incompatible & DATA_FILE_BIT != 0 {
            return fail(
                SafetyCheck::DataFile,
                match data_file_name(head) {
                    Some(name) => {
                        format!("qcow2 keeps its data in an external file: {}", shown(name))
                    }
                    None => "qcow2 keeps its data in an external file".into(),
                },
            );
        }
        let unknown = incompatible & !KNOWN_INCOMPATIBLE;
        if unknown != 0 {
            return fail(
                SafetyCheck::UnknownFeatures,
                format!("qcow2 sets unknown incompatible feature bits 0x{unknown:x}"),
            );
        }
        Ok(())
    }

    fn backing_name<'a>(&'a self, head: &'a [u8], offset: u64) -> Option<&'a [u8]> {
        let size = (be_u32(head, BACKING_SIZE_AT)? as usize).min(NAME_MAX);
        let name = match self.backing_name {
            Some(id) => self.regions.data(id),
            None => {
                let start = usize::try_from(offset).ok()?;
                head.get(start..start.checked_add(size)?)?
            }
        };
        (name.len() == size).then_some(name)
    }
}

/// The name in the external data file header extension, if the head holds one.
fn data_file_name(head: &[u8]) -> Option<&[u8]> {
    let mut at = be_u32(head, HEADER_LENGTH_AT)? as usize;
    for _ in 0..MAX_EXTENSIONS {
        let kind = be_u32(head, at)?;
        let len = be_u32(head, at + 4)? as usize;
        let body = at.checked_add(8)?;
        if kind == EXT_END {
            return None;
        }
        if kind == EXT_DATA_FILE {
            return head.get(body..body.checked_add(len.min(NAME_MAX))?);
        }
        // Extension bodies are padded to 8 bytes.
        at = body.checked_add(len.checked_next_multiple_of(8)?)?;
    }
    None
}
