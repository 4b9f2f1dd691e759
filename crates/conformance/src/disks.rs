//! The disk images the cases upload: random bytes, real images of every format qemu-img
//! makes, a minimal ISO 9660, and a qcow2 with a backing file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ferrostack_qemu::img::{CreateSpec, QemuImg};

/// The virtual size of the disks made with qemu-img: 1 GiB costs a few hundred KiB in the
/// sparse formats; raw disks are kept to 8 MiB, since every byte of them is uploaded.
fn virtual_size(format: &str) -> u64 {
    if format == "raw" { 8 << 20 } else { 1 << 30 }
}

/// `len` random bytes (raw data no inspector mistakes for a format).
pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::fill(&mut data[..]);
    data
}

/// Writes `data` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn qemu_img() -> Result<QemuImg> {
    QemuImg::locate().context(
        "the conformance suite makes real disk images with qemu-img (Debian: apt install qemu-utils)",
    )
}

/// A new empty disk in qemu-img's `format` (`qcow2`, `vmdk`, `vpc`, `vhdx`, `vdi`, `raw`)
/// at `dir/name`, with its virtual size as qemu-img reports it (vpc rounds it to a disk
/// geometry).
pub(crate) async fn qemu_disk(dir: &Path, name: &str, format: &str) -> Result<(PathBuf, u64)> {
    let path = dir.join(name);
    let qemu_img = qemu_img()?;
    qemu_img
        .create(&CreateSpec::new(&path, format).size(virtual_size(format)))
        .await
        .with_context(|| format!("qemu-img create -f {format} {}", path.display()))?;
    let info = qemu_img
        .info(&path, Some(format))
        .await
        .with_context(|| format!("qemu-img info {}", path.display()))?;
    Ok((path, info.virtual_size))
}

/// A qcow2 at `dir/name` whose backing file is another qcow2 beside it: what Glance refuses
/// as unsafe (a backing file can point anywhere on the compute host).
pub(crate) async fn qcow2_with_backing_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let (base, _) = qemu_disk(dir, &format!("{name}.base.qcow2"), "qcow2").await?;
    let path = dir.join(name);
    qemu_img()?
        .create(&CreateSpec::new(&path, "qcow2").backing(&base, "qcow2"))
        .await
        .with_context(|| format!("qemu-img create -b {} {}", base.display(), path.display()))?;
    Ok(path)
}

/// A minimal ISO 9660 image of `blocks` 2 KiB blocks: the 32 KiB system area, a primary
/// volume descriptor (which carries the volume size) and the set terminator.
pub(crate) fn iso(blocks: u32) -> Vec<u8> {
    const BLOCK: usize = 2048;
    let mut data = vec![0u8; BLOCK * blocks.max(18) as usize];
    let pvd = 16 * BLOCK;
    data[pvd] = 1;
    data[pvd + 1..pvd + 6].copy_from_slice(b"CD001");
    data[pvd + 6] = 1;
    // Both-endian fields: little-endian, then big-endian.
    data[pvd + 80..pvd + 84].copy_from_slice(&blocks.to_le_bytes());
    data[pvd + 84..pvd + 88].copy_from_slice(&blocks.to_be_bytes());
    data[pvd + 128..pvd + 130].copy_from_slice(&(BLOCK as u16).to_le_bytes());
    data[pvd + 130..pvd + 132].copy_from_slice(&(BLOCK as u16).to_be_bytes());
    let end = 17 * BLOCK;
    data[end] = 255;
    data[end + 1..end + 6].copy_from_slice(b"CD001");
    data[end + 6] = 1;
    data
}
