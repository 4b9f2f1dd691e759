//! QED: recognised only to be refused, as Glance does (no cloud service supports it, and
//! it has backing files of its own).

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::le_u64;
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"QED\0";
/// The header is 64 bytes; the image size is a little-endian u64 at 48.
const HEADER_LEN: usize = 64;
const IMAGE_SIZE_AT: usize = 48;

pub(crate) struct QedProbe {
    regions: Regions,
    header: RegionId,
}

impl QedProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let header = regions.add(0, HEADER_LEN);
        QedProbe { regions, header }
    }
}

impl Probe for QedProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        let header = self.regions.data(self.header);
        if !header.starts_with(MAGIC) {
            return None;
        }
        Some(Finding {
            format: DiskFormat::Qed,
            virtual_size: le_u64(header, IMAGE_SIZE_AT),
            safety: Err(SafetyError::new(
                DiskFormat::Qed,
                SafetyCheck::Banned,
                "qed images are never accepted",
            )),
        })
    }
}
