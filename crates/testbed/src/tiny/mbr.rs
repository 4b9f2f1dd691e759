//! A classic MBR partition table, written directly (no sfdisk): the boot code goes in the
//! first 440 bytes, four 16-byte entries at 446, the 0x55AA signature at 510.

/// One primary partition, in 512-byte sectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The partition type (0x0e FAT16 LBA, 0x83 Linux).
    pub kind: u8,
    /// Whether the BIOS boot code should boot it (the active flag).
    pub bootable: bool,
    /// The first sector.
    pub start: u32,
    /// The number of sectors.
    pub sectors: u32,
}

/// The first sector of a disk: `boot_code` (at most 440 bytes, e.g. syslinux's mbr.bin),
/// a disk signature and up to four partitions.
pub fn sector(
    boot_code: &[u8],
    disk_id: u32,
    partitions: &[Partition],
) -> Result<[u8; 512], String> {
    if boot_code.len() > 440 {
        return Err(format!(
            "boot code is {} bytes; an MBR holds 440",
            boot_code.len()
        ));
    }
    if partitions.len() > 4 {
        return Err(format!("{} partitions; an MBR holds 4", partitions.len()));
    }
    let mut sector = [0u8; 512];
    sector[..boot_code.len()].copy_from_slice(boot_code);
    sector[440..444].copy_from_slice(&disk_id.to_le_bytes());
    for (index, partition) in partitions.iter().enumerate() {
        let entry = &mut sector[446 + index * 16..446 + (index + 1) * 16];
        entry[0] = if partition.bootable { 0x80 } else { 0 };
        // CHS fields set to the "use LBA" maximum, as every tool does for modern disks.
        entry[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
        entry[4] = partition.kind;
        entry[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
        entry[8..12].copy_from_slice(&partition.start.to_le_bytes());
        entry[12..16].copy_from_slice(&partition.sectors.to_le_bytes());
    }
    sector[510] = 0x55;
    sector[511] = 0xAA;
    Ok(sector)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_signature_land_where_the_bios_looks() {
        let boot = Partition {
            kind: 0x0e,
            bootable: true,
            start: 2048,
            sectors: 65536,
        };
        let root = Partition {
            kind: 0x83,
            bootable: false,
            start: 67584,
            sectors: 131072,
        };
        let sector = sector(&[0xFA; 440], 0x1234_5678, &[boot, root]).unwrap();
        assert_eq!(sector[439], 0xFA);
        assert_eq!(&sector[440..444], &[0x78, 0x56, 0x34, 0x12]);
        assert_eq!(
            &sector[446..462],
            &[
                0x80, 0xFE, 0xFF, 0xFF, 0x0e, 0xFE, 0xFF, 0xFF, 0x00, 0x08, 0, 0, 0, 0, 1, 0
            ]
        );
        assert_eq!(sector[462], 0);
        assert_eq!(sector[466], 0x83);
        assert_eq!(&sector[510..], &[0x55, 0xAA]);
    }

    #[test]
    fn oversized_boot_code_is_refused() {
        assert_eq!(
            sector(&[0; 446], 0, &[]).unwrap_err(),
            "boot code is 446 bytes; an MBR holds 440"
        );
    }
}
