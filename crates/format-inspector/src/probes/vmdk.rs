//! vmdk: a hosted sparse extent (`KDMV` header, text descriptor at sector 1) or a bare text
//! descriptor. The descriptor can point qemu at any file of the host, so Glance accepts
//! only single-file sparse disks whose descriptor lines it understands and whose extents
//! name no path.
//!
//! Little-endian header: magic 0, version 4, capacity (sectors) 12, descriptor offset 28
//! and size 36 (sectors), grain directory offset 56.

use crate::engine::{End, Probe, RegionId, Regions, TAIL_LEN};
use crate::fields::{le_u32, le_u64, shown};
use crate::probes::Finding;
use crate::{DiskFormat, SafetyCheck, SafetyError};

const MAGIC: &[u8] = b"KDMV";
const SECTOR: u64 = 512;
const HEADER_LEN: usize = 512;
/// The fields compared between header and footer end here.
const SPARSE_FIELDS_LEN: usize = 64;
const VERSION_AT: usize = 4;
const CAPACITY_AT: usize = 12;
const DESCRIPTOR_OFFSET_AT: usize = 28;
const DESCRIPTOR_SIZE_AT: usize = 36;
const GD_OFFSET_AT: usize = 56;
/// The descriptor qemu accepts: right after the header, at most 1 MiB - 1.
const DESCRIPTOR_AT: u64 = 512;
const DESCRIPTOR_MAX: usize = (1 << 20) - 1;
/// A grain directory "at the end" means the real header is the footer.
const GD_AT_END: u64 = u64::MAX;
const MARKER_EOS: u32 = 0;
const MARKER_FOOTER: u32 = 3;
/// createType values longer than this are not looked at.
const CREATE_TYPE_MAX: usize = 64;
const ALLOWED_TYPES: [&str; 2] = ["monolithicsparse", "streamoptimized"];
const EXTENT_ACCESS: [&str; 3] = ["rw", "rdonly", "noaccess"];

pub(crate) struct VmdkProbe {
    regions: Regions,
    header: RegionId,
    /// The embedded descriptor, or the rest of a text descriptor after its first 512 bytes.
    descriptor: Option<RegionId>,
    /// Why a sparse header could not be followed to its descriptor.
    broken: Option<String>,
}

impl VmdkProbe {
    pub(crate) fn new() -> Self {
        let mut regions = Regions::default();
        let header = regions.add(0, HEADER_LEN);
        VmdkProbe {
            regions,
            header,
            descriptor: None,
            broken: None,
        }
    }
}

impl Probe for VmdkProbe {
    fn regions(&mut self) -> &mut Regions {
        &mut self.regions
    }

    fn advance(&mut self) {
        if self.descriptor.is_some() || self.broken.is_some() || !self.regions.complete(self.header)
        {
            return;
        }
        let header = self.regions.data(self.header);
        if header.starts_with(MAGIC) {
            match descriptor_size(header) {
                Ok(size) => self.descriptor = Some(self.regions.add(DESCRIPTOR_AT, size)),
                Err(why) => self.broken = Some(why),
            }
        } else if is_text(header) {
            let rest = DESCRIPTOR_MAX - HEADER_LEN;
            self.descriptor = Some(self.regions.add(HEADER_LEN as u64, rest));
        }
    }

    fn conclude(&self, end: &End<'_>) -> Option<Finding> {
        let header = self.regions.data(self.header);
        if header.starts_with(MAGIC) {
            return Some(self.conclude_sparse(header, end));
        }
        // A text descriptor: only a vmdk if it names a createType.
        if !is_text(header) {
            return None;
        }
        let mut text = header.to_vec();
        if let Some(id) = self.descriptor {
            text.extend_from_slice(self.regions.data(id));
        }
        let descriptor = Descriptor::parse(&text)?;
        descriptor.create_type.as_ref()?;
        let safety = descriptor.check().and_then(|()| {
            Err(fail(
                SafetyCheck::Descriptor,
                "vmdk is a bare descriptor: its extents are other files".into(),
            ))
        });
        Some(Finding {
            format: DiskFormat::Vmdk,
            virtual_size: None,
            safety,
        })
    }
}

impl VmdkProbe {
    fn conclude_sparse(&self, header: &[u8], end: &End<'_>) -> Finding {
        let virtual_size = le_u64(header, CAPACITY_AT).and_then(|s| s.checked_mul(SECTOR));
        let finding = |safety| Finding {
            format: DiskFormat::Vmdk,
            virtual_size,
            safety,
        };
        if header.len() < SPARSE_FIELDS_LEN {
            return finding(Err(fail(
                SafetyCheck::Structure,
                format!("vmdk header is truncated ({} bytes)", header.len()),
            )));
        }
        if let Some(why) = &self.broken {
            return finding(Err(fail(SafetyCheck::Structure, why.clone())));
        }
        let descriptor = self
            .descriptor
            .map(|id| self.regions.data(id))
            .unwrap_or(&[]);
        let Some(descriptor) = Descriptor::parse(descriptor) else {
            return finding(Err(fail(
                SafetyCheck::Descriptor,
                "vmdk descriptor is not ASCII text".into(),
            )));
        };
        let mut safety = descriptor.check();
        if safety.is_ok() && le_u64(header, GD_OFFSET_AT) == Some(GD_AT_END) {
            safety = check_footer(header, end.tail);
        }
        finding(safety)
    }
}

fn fail(check: SafetyCheck, detail: String) -> SafetyError {
    SafetyError::new(DiskFormat::Vmdk, check, detail)
}

/// The size of the embedded descriptor, which must follow the header as qemu requires.
fn descriptor_size(header: &[u8]) -> Result<usize, String> {
    let version = le_u32(header, VERSION_AT).unwrap_or(0);
    if !(1..=3).contains(&version) {
        return Err(format!(
            "vmdk version {version} is not supported (only 1 to 3)"
        ));
    }
    let offset = le_u64(header, DESCRIPTOR_OFFSET_AT).unwrap_or(0);
    if offset.checked_mul(SECTOR) != Some(DESCRIPTOR_AT) {
        return Err(format!("vmdk descriptor is at sector {offset}, not 1"));
    }
    let sectors = le_u64(header, DESCRIPTOR_SIZE_AT).unwrap_or(0);
    let size = sectors.saturating_mul(SECTOR).min(DESCRIPTOR_MAX as u64) as usize;
    if size == 0 {
        return Err("vmdk has an empty descriptor".into());
    }
    Ok(size)
}

/// Whether bytes look like the start of a text file (a descriptor), as Glance judges it.
fn is_text(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

/// A descriptor, lower-cased as Glance reads it.
struct Descriptor {
    text: String,
    create_type: Option<String>,
}

impl Descriptor {
    /// The text up to its NUL padding; `None` if it is not ASCII.
    fn parse(bytes: &[u8]) -> Option<Descriptor> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let text = std::str::from_utf8(&bytes[..end])
            .ok()
            .filter(|t| t.is_ascii())?;
        let text = text.to_ascii_lowercase();
        let create_type = text.find("createtype=\"").and_then(|at| {
            let value = &text[at + "createtype=\"".len()..];
            let close = value.find('"')?;
            (close < CREATE_TYPE_MAX).then(|| value[..close].to_string())
        });
        Some(Descriptor { text, create_type })
    }

    /// Glance's descriptor rules: a single-file sparse createType, only comment, `ddb`,
    /// `key=value` and extent lines, at least one extent, and no `/` in any extent.
    fn check(&self) -> Result<(), SafetyError> {
        let bad = |detail| Err(fail(SafetyCheck::Descriptor, detail));
        match self.create_type.as_deref() {
            Some(kind) if ALLOWED_TYPES.contains(&kind) => {}
            Some(kind) => {
                return bad(format!(
                    "vmdk createType \"{}\" is not allowed (only monolithicSparse and streamOptimized)",
                    shown(kind.as_bytes())
                ));
            }
            None => return bad("vmdk descriptor has no createType".into()),
        }
        let mut extents = 0;
        for (number, line) in self.text.split('\n').enumerate() {
            let line = line.trim();
            let is_field =
                line.split('=').next().is_some_and(|key| !key.contains(' ')) && line.contains('=');
            let first_word = line.split(' ').next().unwrap_or("");
            if line.is_empty() || line.starts_with('#') || line.starts_with("ddb") || is_field {
                continue;
            }
            if EXTENT_ACCESS.contains(&first_word) {
                if line.contains('/') {
                    return bad(format!(
                        "vmdk extent names a path: {}",
                        shown(line.as_bytes())
                    ));
                }
                extents += 1;
                continue;
            }
            return bad(format!(
                "vmdk descriptor line {} is not allowed: {}",
                number + 1,
                shown(line.as_bytes())
            ));
        }
        if extents == 0 {
            return bad("vmdk descriptor names no extent".into());
        }
        Ok(())
    }
}

/// A footer (a header copy between a footer marker and an end-of-stream marker, in the last
/// three sectors) takes precedence in qemu, so it must say what the header says.
fn check_footer(header: &[u8], tail: &[u8]) -> Result<(), SafetyError> {
    let bad = |detail: &str| Err(fail(SafetyCheck::Footer, format!("vmdk footer {detail}")));
    if tail.len() < TAIL_LEN {
        return bad("is missing: the data ends too soon");
    }
    let sector = |i: usize| &tail[i * 512..(i + 1) * 512];
    let (marker, footer, eos) = (sector(0), sector(1), sector(2));
    let is_marker = |s: &[u8], kind: u32, value_zero: bool| {
        le_u32(s, 8) == Some(0)
            && le_u32(s, 12) == Some(kind)
            && s[16..].iter().all(|&b| b == 0)
            && (!value_zero || le_u64(s, 0) == Some(0))
    };
    if !is_marker(marker, MARKER_FOOTER, false) {
        return bad("marker is invalid");
    }
    if !is_marker(eos, MARKER_EOS, true) {
        return bad("is not followed by an end-of-stream marker");
    }
    let same = |at: usize, len: usize| header.get(at..at + len) == footer.get(at..at + len);
    if !same(0, 4) {
        return bad("signature differs from the header");
    }
    if !same(VERSION_AT, 4) {
        return bad("version differs from the header");
    }
    if !same(CAPACITY_AT, 8) {
        return bad("capacity differs from the header");
    }
    if !same(DESCRIPTOR_OFFSET_AT, 16) {
        return bad("names a different descriptor than the header");
    }
    if le_u64(footer, GD_OFFSET_AT) == Some(GD_AT_END) {
        return bad("points at yet another footer");
    }
    Ok(())
}
