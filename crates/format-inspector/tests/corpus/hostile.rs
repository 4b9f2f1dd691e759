//! Hand-built images: the hostile shapes qemu-img would never write, and a few honest ones
//! (iso, mbr, gpt) that it cannot write. Each builder returns the bytes of one file.

const MIB: usize = 1 << 20;

/// The builder named in the verdict table's `built NAME` source.
pub fn build(name: &str) -> Option<Vec<u8>> {
    Some(match name {
        "empty" => Vec::new(),
        "text" => b"just some notes, no disk image.\n".repeat(128),
        "pattern" => pattern(),
        "qcow2-backing-passwd" => {
            let mut image = qcow2(3, 1 << 30, 0);
            set_be64(&mut image, 8, 512);
            set_be32(&mut image, 16, 11);
            image[512..523].copy_from_slice(b"/etc/passwd");
            image
        }
        "qcow2-backing-far" => {
            let mut image = qcow2(3, 1 << 30, 0);
            set_be64(&mut image, 8, 1 << 62);
            set_be32(&mut image, 16, u32::MAX);
            image
        }
        "qcow2-truncated" => qcow2(3, 1 << 30, 0)[..40].to_vec(),
        "qcow2-v4" => qcow2(4, 1 << 30, 0),
        "qcow2-v1" => qcow2(1, 1 << 30, 0),
        "qcow2-huge" => qcow2(3, u64::MAX, 0),
        "qcow2-unknown-feature" => qcow2(3, 1 << 30, 1 << 5),
        "qcow2-data-file" => {
            let mut image = qcow2(3, 1 << 30, 1 << 2);
            // Header extension: external data file name, then the end marker.
            set_be32(&mut image, 104, 0x4441_5441);
            set_be32(&mut image, 108, 8);
            image[112..120].copy_from_slice(b"/dev/sda");
            image
        }
        "qcow2-in-iso" => {
            let mut image = iso(64);
            let header = qcow2(3, 1 << 30, 0);
            image[..512].copy_from_slice(&header[..512]);
            image
        }
        "iso" => iso(64),
        "iso-hybrid" => {
            let mut image = iso(64);
            mbr_entry(&mut image, 0, 0x80, 0x17, 0, 64 * 4);
            set_signature(&mut image);
            image
        }
        "vmdk-extent-path" => vmdk(&descriptor(
            "monolithicSparse",
            "RW 32768 SPARSE \"/etc/shadow\"",
            "",
        )),
        "vmdk-bad-line" => vmdk(&descriptor(
            "monolithicSparse",
            "RW 32768 SPARSE \"disk.vmdk\"",
            "run /bin/sh",
        )),
        "vmdk-flat-type" => vmdk(&descriptor(
            "monolithicFlat",
            "RW 32768 FLAT \"disk-flat.vmdk\" 0",
            "",
        )),
        "vmdk-no-extent" => vmdk(&descriptor("monolithicSparse", "", "")),
        "vmdk-descriptor-moved" => {
            let mut image = vmdk(&descriptor(
                "monolithicSparse",
                "RW 32768 SPARSE \"disk.vmdk\"",
                "",
            ));
            set_le64(&mut image, 28, 5);
            image
        }
        "vmdk-footer-good" => vmdk_with_footer(32768),
        "vmdk-footer-mismatch" => vmdk_with_footer(1 << 40),
        "vmdk-text-flat" => {
            descriptor("monolithicFlat", "RW 32768 FLAT \"/dev/sda\" 0", "").into_bytes()
        }
        "vmdk-text-sparse" => {
            descriptor("monolithicSparse", "RW 32768 SPARSE \"other.vmdk\"", "").into_bytes()
        }
        "mbr" => {
            let mut image = vec![0; MIB];
            mbr_entry(&mut image, 0, 0x80, 0x83, 2048, 0);
            set_signature(&mut image);
            image
        }
        "mbr-bad-flag" => {
            let mut image = vec![0; MIB];
            mbr_entry(&mut image, 0, 0x80, 0x83, 2048, 0);
            mbr_entry(&mut image, 1, 0x7f, 0x83, 4096, 0);
            set_signature(&mut image);
            image
        }
        "mbr-empty" => {
            let mut image = vec![0; MIB];
            set_signature(&mut image);
            image
        }
        "fat" => {
            let mut image = vec![0; MIB];
            image[0x10] = 2;
            image[0x15] = 0xF8;
            set_signature(&mut image);
            image
        }
        "gpt" => gpt(|_| {}),
        "gpt-extra-partition" => gpt(|image| mbr_entry(image, 1, 0x00, 0x83, 2048, 0)),
        "gpt-bad-start" => gpt(|image| set_le32(image, 446 + 8, 2)),
        "luks-v2" => {
            let mut image = vec![0; 16 * 1024];
            image[..6].copy_from_slice(b"LUKS\xba\xbe");
            image[6..8].copy_from_slice(&2u16.to_be_bytes());
            image
        }
        "vhd-truncated" => b"conectix".to_vec(),
        "vhdx-ident-only" => {
            let mut image = vec![0; 320 * 1024];
            image[..8].copy_from_slice(b"vhdxfile");
            image
        }
        "vhdx-many-regions" => {
            let mut image = vec![0; 320 * 1024];
            image[..8].copy_from_slice(b"vhdxfile");
            image[192 * 1024..192 * 1024 + 4].copy_from_slice(b"regi");
            set_le32(&mut image, 192 * 1024 + 8, 5000);
            image
        }
        "vhdx-metadata-backwards" => {
            let mut image = vec![0; 320 * 1024];
            image[..8].copy_from_slice(b"vhdxfile");
            let table = 192 * 1024;
            image[table..table + 4].copy_from_slice(b"regi");
            set_le32(&mut image, table + 8, 1);
            image[table + 16..table + 32].copy_from_slice(&[
                0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f,
                0x88, 0x6e,
            ]);
            set_le64(&mut image, table + 32, 4096);
            image
        }
        "vdi-huge" => {
            let mut image = vec![0; 4096];
            set_le32(&mut image, 0x40, 0xbeda_107f);
            set_le64(&mut image, 0x170, u64::MAX);
            image
        }
        "qcow2-v3-truncated" => qcow2(3, 1 << 30, 0)[..90].to_vec(),
        "luks-truncated" => b"LUKS\xba\xbe\x00\x01".to_vec(),
        "luks-payload-past-end" => {
            let mut image = vec![0; 16 * 1024];
            image[..6].copy_from_slice(b"LUKS\xba\xbe");
            image[6..8].copy_from_slice(&1u16.to_be_bytes());
            set_be32(&mut image, 104, 4096);
            image
        }
        "vdi-truncated" => {
            let mut image = vec![0; 0x100];
            set_le32(&mut image, 0x40, 0xbeda_107f);
            image
        }
        "vmdk-truncated" => vmdk(&descriptor(
            "monolithicSparse",
            "RW 1 SPARSE \"a.vmdk\"",
            "",
        ))[..40]
            .to_vec(),
        "vmdk-version-9" => {
            let mut image = vmdk(&descriptor(
                "monolithicSparse",
                "RW 1 SPARSE \"a.vmdk\"",
                "",
            ));
            set_le32(&mut image, 4, 9);
            image
        }
        "vmdk-empty-descriptor" => {
            let mut image = vmdk("");
            set_le64(&mut image, 36, 0);
            image
        }
        "vmdk-binary-descriptor" => {
            let mut image = vmdk(&descriptor(
                "monolithicSparse",
                "RW 1 SPARSE \"a.vmdk\"",
                "",
            ));
            image[520] = 0xff;
            image
        }
        "vmdk-no-create-type" => vmdk("# Disk DescriptorFile\nversion=1\nRW 1 SPARSE \"a.vmdk\"\n"),
        "vmdk-footer-missing" => {
            let mut image = vmdk(&descriptor("streamOptimized", "RW 1 SPARSE \"a.vmdk\"", ""));
            set_le64(&mut image, 56, u64::MAX);
            image.truncate(1024);
            image
        }
        "vmdk-footer-bad-marker" => {
            let mut image = vmdk_with_footer(32768);
            let len = image.len();
            set_le32(&mut image, len - 1536 + 12, 7);
            image
        }
        "vmdk-footer-no-eos" => {
            let mut image = vmdk_with_footer(32768);
            let len = image.len();
            image[len - 1] = 1;
            image
        }
        "vmdk-footer-other-descriptor" => {
            let mut image = vmdk_with_footer(32768);
            let len = image.len();
            set_le64(&mut image, len - 1024 + 36, 40);
            image
        }
        "vmdk-footer-chained" => {
            let mut image = vmdk_with_footer(32768);
            let len = image.len();
            set_le64(&mut image, len - 1024 + 56, u64::MAX);
            image
        }
        "gpt-bad-chs" => gpt(|image| image[446 + 2] = 0x03),
        "vhdx-no-metadata-region" => vhdx(|image| image[192 * 1024 + 16] ^= 0xff),
        "vhdx-bad-metadata" => vhdx(|image| image[MIB..MIB + 8].copy_from_slice(b"notmeta!")),
        "vhdx-size-inside-table" => vhdx(|image| set_le32(image, MIB + 32 + 16, 4096)),
        "vhdx-no-disk-size" => vhdx(|image| image[MIB + 32] ^= 0xff),
        "vhdx-cut-short" => {
            let mut image = vhdx(|_| {});
            image.truncate(MIB + 1000);
            image
        }
        "vhdx-good" => vhdx(|_| {}),
        _ => return None,
    })
}

/// 16 MiB of raw data with something in it, to convert into compressed images.
fn pattern() -> Vec<u8> {
    let mut image = vec![0; 16 * MIB];
    for (i, byte) in image.iter_mut().enumerate().step_by(7) {
        *byte = (i % 251) as u8;
    }
    image
}

/// A qcow2 header of one 64 KiB cluster (no tables: enough for inspectors, not for qemu).
fn qcow2(version: u32, size: u64, incompatible: u64) -> Vec<u8> {
    let mut image = vec![0; 64 * 1024];
    image[..4].copy_from_slice(b"QFI\xfb");
    set_be32(&mut image, 4, version);
    set_be32(&mut image, 20, 16);
    set_be64(&mut image, 24, size);
    if version >= 3 {
        set_be64(&mut image, 72, incompatible);
        set_be32(&mut image, 96, 4);
        set_be32(&mut image, 100, 104);
    }
    image
}

/// An ISO 9660 image of `blocks` 2 KiB blocks: a primary volume descriptor and a terminator.
fn iso(blocks: u32) -> Vec<u8> {
    let mut image = vec![0; blocks as usize * 2048];
    let pvd = 32 * 1024;
    image[pvd] = 1;
    image[pvd + 1..pvd + 6].copy_from_slice(b"CD001");
    image[pvd + 6] = 1;
    set_le32(&mut image, pvd + 80, blocks);
    set_be32(&mut image, pvd + 84, blocks);
    image[pvd + 128..pvd + 130].copy_from_slice(&2048u16.to_le_bytes());
    image[pvd + 130..pvd + 132].copy_from_slice(&2048u16.to_be_bytes());
    let end = pvd + 2048;
    image[end] = 0xff;
    image[end + 1..end + 6].copy_from_slice(b"CD001");
    image[end + 6] = 1;
    image
}

fn gpt(tweak: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut image = vec![0; MIB];
    mbr_entry(&mut image, 0, 0x00, 0xEE, 1, 0);
    // A protective entry starts at CHS 0/0/2.
    image[446 + 1..446 + 4].copy_from_slice(&[0x00, 0x02, 0x00]);
    set_signature(&mut image);
    image[512..520].copy_from_slice(b"EFI PART");
    tweak(&mut image);
    image
}

fn mbr_entry(image: &mut [u8], index: usize, boot: u8, kind: u8, start_lba: u32, sectors: u32) {
    let at = 446 + index * 16;
    image[at] = boot;
    image[at + 4] = kind;
    set_le32(image, at + 8, start_lba);
    set_le32(image, at + 12, sectors);
}

fn set_signature(image: &mut [u8]) {
    image[510] = 0x55;
    image[511] = 0xAA;
}

fn descriptor(create_type: &str, extent: &str, extra: &str) -> String {
    format!(
        "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n\
         createType=\"{create_type}\"\n{extra}\n\n# Extent description\n{extent}\n\n\
         # The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\n"
    )
}

/// A hosted sparse extent header for 16 MiB, its descriptor at sector 1 (20 sectors).
fn vmdk(descriptor: &str) -> Vec<u8> {
    let mut image = vec![0; 64 * 1024];
    vmdk_header(&mut image[..512], 32768, 26);
    image[512..512 + descriptor.len()].copy_from_slice(descriptor.as_bytes());
    image
}

fn vmdk_header(header: &mut [u8], capacity: u64, gd_offset: u64) {
    header[..4].copy_from_slice(b"KDMV");
    set_le32(header, 4, 3);
    set_le64(header, 12, capacity);
    set_le64(header, 20, 128);
    set_le64(header, 28, 1);
    set_le64(header, 36, 20);
    set_le32(header, 44, 512);
    set_le64(header, 56, gd_offset);
}

/// A streamOptimized-style vmdk whose grain directory is "at the end": the footer, whose
/// capacity is `footer_capacity`, is what qemu would believe.
fn vmdk_with_footer(footer_capacity: u64) -> Vec<u8> {
    let mut image = vmdk(&descriptor(
        "streamOptimized",
        "RW 32768 SPARSE \"disk.vmdk\"",
        "",
    ));
    set_le64(&mut image, 56, u64::MAX);
    let mut marker = vec![0; 512];
    set_le32(&mut marker, 12, 3);
    let mut footer = vec![0; 512];
    vmdk_header(&mut footer, footer_capacity, 100);
    let eos = vec![0; 512];
    image.extend_from_slice(&marker);
    image.extend_from_slice(&footer);
    image.extend_from_slice(&eos);
    image
}

/// A vhdx skeleton of 2 MiB: ident, region table with the metadata region at 1 MiB, whose
/// table holds the virtual disk size item at 64 KiB (16 MiB). `tweak` breaks it.
fn vhdx(tweak: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut image = vec![0; 2 * MIB];
    image[..8].copy_from_slice(b"vhdxfile");
    let table = 192 * 1024;
    image[table..table + 4].copy_from_slice(b"regi");
    set_le32(&mut image, table + 8, 1);
    image[table + 16..table + 32].copy_from_slice(&[
        0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88,
        0x6e,
    ]);
    set_le64(&mut image, table + 32, MIB as u64);
    image[MIB..MIB + 8].copy_from_slice(b"metadata");
    image[MIB + 10..MIB + 12].copy_from_slice(&1u16.to_le_bytes());
    image[MIB + 32..MIB + 48].copy_from_slice(&[
        0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4,
        0xb8,
    ]);
    set_le32(&mut image, MIB + 48, 64 * 1024);
    set_le32(&mut image, MIB + 52, 8);
    set_le64(&mut image, MIB + 64 * 1024, 16 * MIB as u64);
    tweak(&mut image);
    image
}

fn set_be32(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn set_be64(image: &mut [u8], at: usize, value: u64) {
    image[at..at + 8].copy_from_slice(&value.to_be_bytes());
}

fn set_le32(image: &mut [u8], at: usize, value: u32) {
    image[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn set_le64(image: &mut [u8], at: usize, value: u64) {
    image[at..at + 8].copy_from_slice(&value.to_le_bytes());
}
