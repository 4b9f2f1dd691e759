//! Reading `depends=` out of kernel modules, to insmod them in order without kmod.
//!
//! The Debian kernel package ships no modules.dep, so the order comes from each `.ko`'s
//! `.modinfo` ELF section (NUL-separated `key=value` strings).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ferrostack_qemu::{Error, Result};

/// The `.modinfo` strings of an ELF64 little-endian kernel module.
pub fn modinfo(elf: &[u8]) -> Result<Vec<String>, String> {
    let read = |at: usize, len: usize| -> Result<u64, String> {
        let bytes = elf
            .get(at..at + len)
            .ok_or_else(|| format!("truncated at byte {at}"))?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |value, byte| (value << 8) | u64::from(*byte)))
    };
    if elf.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return Err("not a 64-bit little-endian ELF file".to_owned());
    }
    let to_usize =
        |value: u64| usize::try_from(value).map_err(|_| "offset out of range".to_owned());
    let section_table = to_usize(read(0x28, 8)?)?;
    let entry_size = to_usize(read(0x3A, 2)?)?;
    let count = to_usize(read(0x3C, 2)?)?;
    let names_index = to_usize(read(0x3E, 2)?)?;
    let section = |index: usize| -> Result<(u64, usize, usize), String> {
        let base = section_table + index * entry_size;
        Ok((
            read(base, 4)?,
            to_usize(read(base + 0x18, 8)?)?,
            to_usize(read(base + 0x20, 8)?)?,
        ))
    };
    let (_, names_offset, names_size) = section(names_index)?;
    let names = elf
        .get(names_offset..names_offset + names_size)
        .ok_or("section names out of bounds")?;
    for index in 0..count {
        let (name_at, offset, size) = section(index)?;
        let name_at = to_usize(name_at)?;
        let name = names.get(name_at..).unwrap_or_default();
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if name == b".modinfo" {
            let data = elf
                .get(offset..offset + size)
                .ok_or(".modinfo out of bounds")?;
            return Ok(data
                .split(|&byte| byte == 0)
                .filter(|entry| !entry.is_empty())
                .map(|entry| String::from_utf8_lossy(entry).into_owned())
                .collect());
        }
    }
    Err("no .modinfo section".to_owned())
}

/// The module names in a `depends=` value.
pub fn depends(modinfo: &[String]) -> Vec<String> {
    modinfo
        .iter()
        .filter_map(|entry| entry.strip_prefix("depends="))
        .flat_map(|list| list.split(','))
        .filter(|name| !name.is_empty())
        .map(normalize)
        .collect()
}

/// Module names use `_` and `-` interchangeably; file names mostly `_`.
fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// Every `.ko` under `modules_dir`, by normalized module name.
pub fn index(modules_dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![modules_dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|err| Error::io("cannot list", &dir, err))?;
        for entry in entries {
            let path = entry
                .map_err(|err| Error::io("cannot list", &dir, err))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".ko"))
            {
                found.insert(normalize(name), path);
            }
        }
    }
    Ok(found)
}

/// `wanted` and everything they depend on, dependencies first: the insmod order.
pub fn load_order(wanted: &[&str], index: &BTreeMap<String, PathBuf>) -> Result<Vec<PathBuf>> {
    fn visit(
        name: &str,
        index: &BTreeMap<String, PathBuf>,
        done: &mut BTreeSet<String>,
        visiting: &mut BTreeSet<String>,
        order: &mut Vec<PathBuf>,
    ) -> Result<()> {
        if done.contains(name) {
            return Ok(());
        }
        if !visiting.insert(name.to_owned()) {
            return Err(Error::invalid(
                format!("kernel module {name}"),
                "depends on itself",
            ));
        }
        let path = index.get(name).ok_or_else(|| {
            Error::invalid(
                format!("kernel module {name}"),
                "is not in the kernel package",
            )
        })?;
        let elf = std::fs::read(path).map_err(|err| Error::io("cannot read", path, err))?;
        let info =
            modinfo(&elf).map_err(|problem| Error::invalid(path.display().to_string(), problem))?;
        for dependency in depends(&info) {
            visit(&dependency, index, done, visiting, order)?;
        }
        visiting.remove(name);
        done.insert(name.to_owned());
        order.push(path.clone());
        Ok(())
    }
    let mut order = Vec::new();
    let (mut done, mut visiting) = (BTreeSet::new(), BTreeSet::new());
    for name in wanted {
        visit(
            &normalize(name),
            index,
            &mut done,
            &mut visiting,
            &mut order,
        )?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 with a section-name table and one `.modinfo` section.
    fn fake_module(modinfo: &[u8]) -> Vec<u8> {
        let names = b"\0.shstrtab\0.modinfo\0";
        let mut elf = vec![0u8; 64];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        let names_at = elf.len();
        elf.extend_from_slice(names);
        let info_at = elf.len();
        elf.extend_from_slice(modinfo);
        let table_at = elf.len();
        let header = |name: u32, offset: usize, size: usize| {
            let mut h = vec![0u8; 64];
            h[..4].copy_from_slice(&name.to_le_bytes());
            h[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
            h[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
            h
        };
        elf.extend(header(0, 0, 0));
        elf.extend(header(1, names_at, names.len()));
        elf.extend(header(11, info_at, modinfo.len()));
        elf[0x28..0x30].copy_from_slice(&(table_at as u64).to_le_bytes());
        elf[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        elf[0x3C..0x3E].copy_from_slice(&3u16.to_le_bytes());
        elf[0x3E..0x40].copy_from_slice(&1u16.to_le_bytes());
        elf
    }

    #[test]
    fn depends_come_from_the_modinfo_section() {
        let elf = fake_module(b"license=GPL\0depends=virtio,virtio_ring\0name=virtio_blk\0");
        let info = modinfo(&elf).unwrap();
        assert_eq!(
            info,
            [
                "license=GPL",
                "depends=virtio,virtio_ring",
                "name=virtio_blk"
            ]
        );
        assert_eq!(depends(&info), ["virtio", "virtio_ring"]);
        assert_eq!(depends(&["depends=".to_owned()]), Vec::<String>::new());
    }

    #[test]
    fn a_non_elf_file_is_refused() {
        assert_eq!(
            modinfo(b"hello").unwrap_err(),
            "not a 64-bit little-endian ELF file"
        );
    }

    #[test]
    fn load_order_puts_dependencies_first_once() {
        let dir = tempfile::tempdir().unwrap();
        let modules: &[(&str, &[u8])] = &[
            ("virtio", b"depends=\0"),
            ("virtio_ring", b"depends=\0"),
            (
                "virtio_pci",
                b"depends=virtio_pci_modern_dev,virtio,virtio_ring\0",
            ),
            ("virtio_pci_modern_dev", b"depends=\0"),
            ("virtio_blk", b"depends=virtio,virtio_ring\0"),
        ];
        for (name, info) in modules {
            std::fs::write(dir.path().join(format!("{name}.ko")), fake_module(info)).unwrap();
        }
        let index = index(dir.path()).unwrap();
        let order = load_order(&["virtio_pci", "virtio_blk"], &index).unwrap();
        let names: Vec<_> = order
            .iter()
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "virtio_pci_modern_dev",
                "virtio",
                "virtio_ring",
                "virtio_pci",
                "virtio_blk"
            ]
        );
        let err = load_order(&["virtio_net"], &index).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel module virtio_net: is not in the kernel package"
        );
    }
}
