//! VDI (VirtualBox): a 512-byte little-endian header, signature at 0x40.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{le_u32, le_u64};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const SIGNATURE: u32 = 0xbeda_107f;
const SIGNATURE_AT: usize = 0x40;
const DISK_SIZE_AT: usize = 0x170;
const HEADER_LEN: usize = 512;

pub(crate) struct VdiProbe {
    regions: Regions,
    header: RegionId,
}

impl VdiProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let header = regions.add(0, HEADER_LEN);
        VdiProbe { regions, header }
    }
}

impl Probe for VdiProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        let header = self.regions.data(self.header);
        if le_u32(header, SIGNATURE_AT)? != SIGNATURE {
            return None;
        }
        let Some(size) = le_u64(header, DISK_SIZE_AT) else {
            return Some(Finding {
                format: DiskFormat::Vdi,
                virtual_size: None,
                safety: Err(SafetyError::new(
                    DiskFormat::Vdi,
                    SafetyCheck::Structure,
                    format!("vdi header is truncated ({} bytes)", header.len()),
                )),
            });
        };
        Some(Finding::safe(DiskFormat::Vdi, Some(size)))
    }
}
