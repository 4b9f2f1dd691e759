//! The host programs the image builders and the apt installer run, and the Debian package
//! that ships each (qemu's own programs are in [`ferrostack_qemu::Program`]).

use ferrostack_qemu::Program;

/// `mkfs.ext4`.
pub const MKFS_EXT4: Program = Program::new("mkfs.ext4", "e2fsprogs");
/// `mformat` (mtools).
pub const MFORMAT: Program = Program::new("mformat", "mtools");
/// `mcopy` (mtools).
pub const MCOPY: Program = Program::new("mcopy", "mtools");
/// `syslinux` (the mtools-based installer that works on an image file).
pub const SYSLINUX: Program = Program::new("syslinux", "syslinux");
/// `apt-get`.
pub const APT_GET: Program = Program::new("apt-get", "apt");
/// `apt-cache`.
pub const APT_CACHE: Program = Program::new("apt-cache", "apt");
/// `dpkg-deb`.
pub const DPKG_DEB: Program = Program::new("dpkg-deb", "dpkg");
/// `tar`.
pub const TAR: Program = Program::new("tar", "tar");
/// `mmdebstrap`, which bootstraps a Debian root without mounts.
pub const MMDEBSTRAP: Program = Program::new("mmdebstrap", "mmdebstrap");
/// `grub-mkimage`, which makes GRUB's core image.
pub const GRUB_MKIMAGE: Program = Program::new("grub-mkimage", "grub-common");
