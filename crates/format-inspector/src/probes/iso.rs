//! ISO 9660 and UDF: the first volume descriptor sits after a 32 KiB system area.

use crate::DiskFormat;
use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{le_u16, le_u32};
use crate::probes::Finding;

const DESCRIPTOR_AT: u64 = 32 * 1024;
const DESCRIPTOR_LEN: usize = 2048;
const IDENTIFIERS: [&[u8]; 3] = [b"CD001", b"NSR02", b"NSR03"];
const PRIMARY_VOLUME_DESCRIPTOR: u8 = 1;
/// Both-endian fields: the little-endian half comes first.
const VOLUME_SPACE_SIZE_AT: usize = 80;
const LOGICAL_BLOCK_SIZE_AT: usize = 128;

pub(crate) struct IsoProbe {
    regions: Regions,
    descriptor: RegionId,
}

impl IsoProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let descriptor = regions.add(DESCRIPTOR_AT, DESCRIPTOR_LEN);
        IsoProbe {
            regions,
            descriptor,
        }
    }
}

impl Probe for IsoProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        // Glance only calls it an ISO when the whole descriptor is there.
        if !self.regions.complete(self.descriptor) {
            return None;
        }
        let descriptor = self.regions.data(self.descriptor);
        let identifier = descriptor.get(1..6)?;
        if !IDENTIFIERS.contains(&identifier) {
            return None;
        }
        let virtual_size = if descriptor.first() == Some(&PRIMARY_VOLUME_DESCRIPTOR) {
            let blocks = u64::from(le_u32(descriptor, VOLUME_SPACE_SIZE_AT)?);
            let block_size = u64::from(le_u16(descriptor, LOGICAL_BLOCK_SIZE_AT)?);
            Some(blocks * block_size)
        } else {
            None
        };
        Some(Finding::safe(DiskFormat::Iso, virtual_size))
    }
}
