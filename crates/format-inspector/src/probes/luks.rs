//! LUKS: version 1 only (qemu reads no other), big-endian header.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{be_u16, be_u32};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"LUKS\xba\xbe";
const VERSION_AT: usize = 6;
/// Where the encrypted payload starts, in 512-byte sectors.
const PAYLOAD_OFFSET_AT: usize = 104;
const HEADER_LEN: usize = 592;

pub(crate) struct LuksProbe {
    regions: Regions,
    header: RegionId,
}

impl LuksProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let header = regions.add(0, HEADER_LEN);
        LuksProbe { regions, header }
    }
}

impl Probe for LuksProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, end: &End<'_>) -> Option<Finding> {
        let header = self.regions.data(self.header);
        if !header.starts_with(MAGIC) {
            return None;
        }
        let fail = |check, detail: String| Finding {
            format: DiskFormat::Luks,
            virtual_size: None,
            safety: Err(SafetyError::new(DiskFormat::Luks, check, detail)),
        };
        let (Some(version), Some(payload)) = (
            be_u16(header, VERSION_AT),
            be_u32(header, PAYLOAD_OFFSET_AT),
        ) else {
            return Some(fail(
                SafetyCheck::Structure,
                format!("luks header is truncated ({} bytes)", header.len()),
            ));
        };
        if version != 1 {
            return Some(fail(
                SafetyCheck::Version,
                format!("luks version {version} is not supported (only 1)"),
            ));
        }
        // What the guest sees is what follows the encrypted payload's start.
        let Some(virtual_size) = end.size.checked_sub(u64::from(payload) * 512) else {
            return Some(fail(
                SafetyCheck::Structure,
                format!("luks payload starts at sector {payload}, past the end of the data"),
            ));
        };
        Some(Finding::safe(DiskFormat::Luks, Some(virtual_size)))
    }
}
