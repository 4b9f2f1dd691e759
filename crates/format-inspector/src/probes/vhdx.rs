//! VHDX: little-endian, found through three hops. The region table at 192 KiB points at the
//! metadata region; its table points at the "virtual disk size" item.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{array, le_u16, le_u32, le_u64};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"vhdxfile";
const REGION_TABLE_AT: u64 = 192 * 1024;
const REGION_TABLE_LEN: usize = 64 * 1024;
const REGION_SIGNATURE: &[u8] = b"regi";
const REGION_ENTRIES_AT: usize = 16;
const REGION_ENTRY_LEN: usize = 32;
/// The metadata table: a 32-byte header and at most 2047 32-byte entries.
const METADATA_TABLE_LEN: usize = 64 * 1024;
const METADATA_SIGNATURE: &[u8] = b"metadata";
const METADATA_COUNT_AT: usize = 10;
const METADATA_ENTRY_LEN: usize = 32;
const MAX_ENTRIES: usize = 2047;
/// GUIDs as they lie on disk (the first three groups little-endian).
/// 8B7CA206-4790-4B9A-B8FE-575F050F886E
const METADATA_REGION_GUID: [u8; 16] = [
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
];
/// 2FA54224-CD1B-4876-B211-5DBED83BF4B8
const VIRTUAL_DISK_SIZE_GUID: [u8; 16] = [
    0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8,
];

pub(crate) struct VhdxProbe {
    regions: Regions,
    ident: RegionId,
    region_table: RegionId,
    metadata: Option<RegionId>,
    disk_size: Option<RegionId>,
    /// What made the hops stop, for the safety verdict.
    broken: Option<String>,
}

impl VhdxProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let ident = regions.add(0, MAGIC.len());
        let region_table = regions.add(REGION_TABLE_AT, REGION_TABLE_LEN);
        VhdxProbe {
            regions,
            ident,
            region_table,
            metadata: None,
            disk_size: None,
            broken: None,
        }
    }

    fn is_vhdx(&self) -> bool {
        self.regions.data(self.ident) == MAGIC
    }

    /// Finds the metadata region in the region table.
    fn find_metadata(&self) -> Result<u64, String> {
        let table = self.regions.data(self.region_table);
        if !table.starts_with(REGION_SIGNATURE) {
            return Err("vhdx region table signature is missing".into());
        }
        let count = le_u32(table, 8).unwrap_or(0) as usize;
        if count > MAX_ENTRIES {
            return Err(format!(
                "vhdx region table has {count} entries (limit {MAX_ENTRIES})"
            ));
        }
        for i in 0..count {
            let at = REGION_ENTRIES_AT + i * REGION_ENTRY_LEN;
            if array::<16>(table, at) == Some(METADATA_REGION_GUID) {
                let offset = le_u64(table, at + 16).ok_or("vhdx region table is truncated")?;
                // The metadata region lies after the headers (the spec puts it at 1 MiB or
                // later); earlier would point back at bytes already gone by.
                let headers_end = REGION_TABLE_AT + REGION_TABLE_LEN as u64;
                if offset < headers_end {
                    return Err(format!(
                        "vhdx metadata region at {offset} overlaps the headers"
                    ));
                }
                return Ok(offset);
            }
        }
        Err("vhdx has no metadata region".into())
    }

    /// Finds the virtual disk size item in the metadata table.
    fn find_disk_size(&self, metadata_at: u64, table: &[u8]) -> Result<u64, String> {
        if !table.starts_with(METADATA_SIGNATURE) {
            return Err("vhdx metadata signature is missing".into());
        }
        let count = le_u16(table, METADATA_COUNT_AT).unwrap_or(0) as usize;
        if count > MAX_ENTRIES {
            return Err(format!(
                "vhdx metadata table has {count} entries (limit {MAX_ENTRIES})"
            ));
        }
        for i in 0..count {
            let at = METADATA_ENTRY_LEN + i * METADATA_ENTRY_LEN;
            if array::<16>(table, at) == Some(VIRTUAL_DISK_SIZE_GUID) {
                let offset = le_u32(table, at + 16).ok_or("vhdx metadata table is truncated")?;
                // Items live after the 64 KiB table (the spec requires it).
                if (offset as usize) < METADATA_TABLE_LEN {
                    return Err(format!(
                        "vhdx disk size item at {offset} lies inside the table"
                    ));
                }
                return metadata_at
                    .checked_add(u64::from(offset))
                    .ok_or_else(|| "vhdx disk size item lies beyond any file".into());
            }
        }
        Err("vhdx metadata has no virtual disk size".into())
    }
}

impl Probe for VhdxProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn advance(&mut self) {
        if self.broken.is_some() || !self.is_vhdx() {
            return;
        }
        if self.metadata.is_none() && self.regions.complete(self.region_table) {
            match self.find_metadata() {
                Ok(offset) => self.metadata = Some(self.regions.add(offset, METADATA_TABLE_LEN)),
                Err(why) => self.broken = Some(why),
            }
        }
        if let (Some(metadata), None) = (self.metadata, self.disk_size)
            && self.regions.complete(metadata)
        {
            let at = self.regions.offset(metadata);
            match self.find_disk_size(at, self.regions.data(metadata)) {
                Ok(offset) => self.disk_size = Some(self.regions.add(offset, 8)),
                Err(why) => self.broken = Some(why),
            }
        }
    }

    fn conclude(&self, _end: &End<'_>) -> Option<Finding> {
        if !self.is_vhdx() {
            return None;
        }
        let size = self
            .disk_size
            .and_then(|id| le_u64(self.regions.data(id), 0));
        let safety = match (&self.broken, size) {
            (Some(why), _) => Err(why.clone()),
            (None, Some(_)) => Ok(()),
            (None, None) => Err("vhdx virtual disk size is not within the data".to_string()),
        };
        Some(Finding {
            format: DiskFormat::Vhdx,
            virtual_size: size,
            safety: safety
                .map_err(|why| SafetyError::new(DiskFormat::Vhdx, SafetyCheck::Structure, why)),
        })
    }
}
