//! The formats the inspector recognises, named as Glance and qemu name them.

use std::fmt;

/// A disk-image format recognised in the bytes of an image.
///
/// [`as_str`](Self::as_str) gives the name used in reports; [`glance_name`](Self::glance_name)
/// the `disk_format` Glance uses for it, and [`qemu_driver`](Self::qemu_driver) the block
/// driver qemu must be told to use (never let qemu probe an image).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DiskFormat {
    /// Nothing recognised: plain bytes.
    Raw,
    /// QEMU copy-on-write v2/v3 (`QFI\xfb`).
    Qcow2,
    /// QEMU enhanced disk (`QED\0`), recognised only to be refused.
    Qed,
    /// VMware disk: a hosted sparse extent (`KDMV`) or a text descriptor.
    Vmdk,
    /// Microsoft Virtual PC (`conectix`); qemu calls it `vpc`.
    Vhd,
    /// Microsoft Hyper-V (`vhdxfile`).
    Vhdx,
    /// VirtualBox (`0xbeda107f` at 0x40).
    Vdi,
    /// ISO 9660 or UDF (`CD001`/`NSR02`/`NSR03` at 32 KiB + 1).
    Iso,
    /// A disk with a GUID partition table behind a protective MBR.
    Gpt,
    /// A disk with a legacy MBR partition table (`0xAA55` at 510).
    Mbr,
    /// LUKS encrypted volume (`LUKS\xba\xbe`).
    Luks,
}

impl DiskFormat {
    /// Every format, in the order findings are reported.
    pub const ALL: [DiskFormat; 11] = [
        DiskFormat::Raw,
        DiskFormat::Qcow2,
        DiskFormat::Qed,
        DiskFormat::Vmdk,
        DiskFormat::Vhd,
        DiskFormat::Vhdx,
        DiskFormat::Vdi,
        DiskFormat::Iso,
        DiskFormat::Gpt,
        DiskFormat::Mbr,
        DiskFormat::Luks,
    ];

    /// The short name: `"qcow2"`, `"raw"`, `"vmdk"`, `"vhd"`, `"vhdx"`, `"vdi"`, `"iso"`,
    /// `"qed"`, `"gpt"`, `"mbr"` or `"luks"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiskFormat::Raw => "raw",
            DiskFormat::Qcow2 => "qcow2",
            DiskFormat::Qed => "qed",
            DiskFormat::Vmdk => "vmdk",
            DiskFormat::Vhd => "vhd",
            DiskFormat::Vhdx => "vhdx",
            DiskFormat::Vdi => "vdi",
            DiskFormat::Iso => "iso",
            DiskFormat::Gpt => "gpt",
            DiskFormat::Mbr => "mbr",
            DiskFormat::Luks => "luks",
        }
    }

    /// The name Glance reports for this format: like [`as_str`](Self::as_str), except that
    /// Glance's `gpt` inspector covers legacy MBR disks too.
    pub fn glance_name(self) -> &'static str {
        match self {
            DiskFormat::Mbr => "gpt",
            other => other.as_str(),
        }
    }

    /// The qemu block driver that reads this format (`-f` for `qemu-img`, `format=` for
    /// `-drive`). ISO, GPT and MBR images are raw to qemu.
    pub fn qemu_driver(self) -> &'static str {
        match self {
            DiskFormat::Vhd => "vpc",
            DiskFormat::Iso | DiskFormat::Gpt | DiskFormat::Mbr => "raw",
            other => other.as_str(),
        }
    }

    /// A format that qemu interprets (a container of blocks with its own metadata), as
    /// opposed to bytes laid out as they are on a disk (raw, iso, gpt, mbr).
    ///
    /// Glance lets an image declared `raw`, `aki`, `ari` or `ami` hold any bytes, but such
    /// bytes must not turn out to be one of these.
    pub fn is_rich(self) -> bool {
        !matches!(
            self,
            DiskFormat::Raw | DiskFormat::Iso | DiskFormat::Gpt | DiskFormat::Mbr
        )
    }

    /// Whether an image declared with Glance `disk_format` `declared` may hold data of this
    /// format: the names are equal, or the declared `gpt` holds an MBR disk.
    pub fn matches_declared(self, declared: &str) -> bool {
        self.glance_name() == declared
    }
}

impl fmt::Display for DiskFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let names: Vec<_> = DiskFormat::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "raw", "qcow2", "qed", "vmdk", "vhd", "vhdx", "vdi", "iso", "gpt", "mbr", "luks"
            ]
        );
        assert_eq!(DiskFormat::Mbr.glance_name(), "gpt");
        assert_eq!(DiskFormat::Vhd.qemu_driver(), "vpc");
        assert!(DiskFormat::Mbr.matches_declared("gpt"));
        assert!(!DiskFormat::Qcow2.matches_declared("raw"));
    }
}
