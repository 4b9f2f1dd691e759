//! MBR and GPT disks, told apart by the protective partition (type 0xEE) a GPT disk puts in
//! its MBR. Glance's rules: boot flags 0x00 or 0x80 only; a protective entry starts at
//! CHS 0/0/2 and LBA 1 and stands alone; at least one partition.

use crate::engine::{End, Probe, RegionId, Regions};
use crate::fields::{le_u16, le_u32};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const SECTOR_LEN: usize = 512;
const SIGNATURE: u16 = 0xAA55;
const SIGNATURE_AT: usize = 510;
const ENTRIES_AT: usize = 446;
const ENTRY_LEN: usize = 16;
const PROTECTIVE: u8 = 0xEE;
/// A FAT boot sector also ends in 0xAA55; two FATs on a fixed disk give it away.
const FAT_COUNT_AT: usize = 0x10;
const FAT_MEDIA_AT: usize = 0x15;
const MEDIA_FIXED_DISK: u8 = 0xF8;

pub(crate) struct PartitionTableProbe {
    regions: Regions,
    sector: RegionId,
}

impl PartitionTableProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let sector = regions.add(0, SECTOR_LEN);
        PartitionTableProbe { regions, sector }
    }
}

impl Probe for PartitionTableProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn conclude(&self, end: &End<'_>) -> Option<Finding> {
        let sector = self.regions.data(self.sector);
        if le_u16(sector, SIGNATURE_AT)? != SIGNATURE {
            return None;
        }
        let is_fat = sector.get(FAT_COUNT_AT) == Some(&2)
            && sector.get(FAT_MEDIA_AT) == Some(&MEDIA_FIXED_DISK);
        if is_fat {
            return None;
        }
        let entries: Vec<&[u8]> = (0..4)
            .filter_map(|i| {
                sector.get(ENTRIES_AT + i * ENTRY_LEN..ENTRIES_AT + (i + 1) * ENTRY_LEN)
            })
            .collect();
        let format = if entries.iter().any(|e| e[4] == PROTECTIVE) {
            DiskFormat::Gpt
        } else {
            DiskFormat::Mbr
        };
        // A partitioned disk is raw to qemu: the guest sees every byte.
        Some(Finding {
            format,
            virtual_size: Some(end.size),
            safety: check(format, &entries),
        })
    }
}

fn check(format: DiskFormat, entries: &[&[u8]]) -> Result<(), SafetyError> {
    let fail = |detail: String| {
        Err(SafetyError::new(
            format,
            SafetyCheck::PartitionTable,
            detail,
        ))
    };
    let mut used = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let (boot, kind) = (entry[0], entry[4]);
        if boot != 0x00 && boot != 0x80 {
            return fail(format!(
                "{format} partition {i} has an invalid boot flag 0x{boot:02x}"
            ));
        }
        if kind != 0 {
            used.push(i);
        }
        if kind == PROTECTIVE {
            let chs = (entry[1], entry[2], entry[3]);
            if chs != (0x00, 0x02, 0x00) {
                return fail(format!(
                    "gpt protective partition {i} starts at CHS {}/{}/{}, not 0/2/0",
                    chs.0, chs.1, chs.2
                ));
            }
            let lba = le_u32(entry, 8).unwrap_or(0);
            if lba != 1 {
                return fail(format!(
                    "gpt protective partition {i} starts at LBA {lba}, not 1"
                ));
            }
        }
    }
    if format == DiskFormat::Gpt && used != [0] {
        return fail("gpt protective mbr defines partitions besides the protective one".into());
    }
    if used.is_empty() {
        return fail("mbr defines no partitions".into());
    }
    Ok(())
}
