//! VHD (qemu: vpc). A dynamic VHD starts with a copy of its 512-byte big-endian footer.
//! A fixed VHD has its footer only at the end; qemu and Glance both see those as raw.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{array, be_u16, be_u64};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"conectix";
const FOOTER_LEN: usize = 512;
const CREATOR_APP_AT: usize = 28;
const CURRENT_SIZE_AT: usize = 48;
const GEOMETRY_AT: usize = 56;

pub(crate) struct VhdProbe {
    regions: Regions,
    footer: RegionId,
}

impl VhdProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let footer = regions.add(0, FOOTER_LEN);
        VhdProbe { regions, footer }
    }
}

impl Probe for VhdProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        let footer = self.regions.data(self.footer);
        if !footer.starts_with(MAGIC) {
            return None;
        }
        if footer.len() < FOOTER_LEN {
            return Some(Finding {
                format: DiskFormat::Vhd,
                virtual_size: None,
                safety: Err(SafetyError::new(
                    DiskFormat::Vhd,
                    SafetyCheck::Structure,
                    format!("vhd footer is truncated ({} bytes)", footer.len()),
                )),
            });
        }
        Some(Finding::safe(DiskFormat::Vhd, virtual_size(footer)))
    }
}

/// The size qemu reports. Virtual PC and old qemu sized disks by their CHS geometry;
/// Hyper-V, disk2vhd, XenServer and newer qemu by the footer's current size. A geometry at
/// its maximum means the disk is larger than CHS can say, so the current size is used.
fn virtual_size(footer: &[u8]) -> Option<u64> {
    let current = be_u64(footer, CURRENT_SIZE_AT)?;
    let creator: [u8; 4] = array(footer, CREATOR_APP_AT)?;
    let cylinders = u64::from(be_u16(footer, GEOMETRY_AT)?);
    let heads = u64::from(*footer.get(GEOMETRY_AT + 2)?);
    let sectors = u64::from(*footer.get(GEOMETRY_AT + 3)?);
    let sized_by_footer = matches!(&creator, b"qem2" | b"win " | b"d2v " | b"tap\0" | b"CTXS");
    let max_geometry = cylinders == 65535 && heads == 16 && sectors == 255;
    if sized_by_footer || max_geometry {
        Some(current)
    } else {
        Some(cylinders * heads * sectors * 512)
    }
}
