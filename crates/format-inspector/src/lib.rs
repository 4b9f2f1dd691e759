//! Know what a disk image really is, and refuse the dangerous ones, as Glance does.
//!
//! Since CVE-2024-32498 Glance and Nova inspect every image: a qcow2 with a backing file or
//! an external data file makes the host read one of its own files into a guest, and a vmdk
//! descriptor can do the same. This crate recognises raw, qcow2, qed, vmdk, vhd, vhdx, vdi,
//! iso, gpt/mbr and luks, reads their virtual size, runs Glance's safety checks, and
//! applies Glance's upload decision table.
//!
//! It reads only a few bounded regions of an image (never the whole of it, and never an
//! amount taken from the image itself), either from a file or from bytes streaming past:
//!
//! - [`inspect_file`] / [`inspect`]: a file or any `Read + Seek` (the SDK, before upload;
//!   the qemu driver, before boot).
//! - [`StreamInspector`]: bytes as they pass (the mock cloud, while receiving an upload).
//! - [`decide`]: Glance's verdict for the declared `disk_format` and `container_format`.
//!
//! ```
//! use ferrostack_format_inspector::{decide, StreamInspector, Verdict};
//!
//! // A qcow2 v3 header naming a backing file, as an upload would stream it.
//! let mut image = vec![0u8; 4096];
//! image[..4].copy_from_slice(b"QFI\xfb");
//! image[4..8].copy_from_slice(&3u32.to_be_bytes());
//! image[8..16].copy_from_slice(&512u64.to_be_bytes()); // backing file name offset
//! image[16..20].copy_from_slice(&11u32.to_be_bytes()); // and length
//! image[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes()); // 1 GiB virtual size
//! image[100..104].copy_from_slice(&104u32.to_be_bytes()); // header length
//! image[512..523].copy_from_slice(b"/etc/passwd");
//!
//! let mut inspector = StreamInspector::new();
//! for chunk in image.chunks(1000) {
//!     inspector.feed(chunk);
//! }
//! let inspection = inspector.finish();
//! assert_eq!(inspection.format.as_str(), "qcow2");
//! assert_eq!(inspection.virtual_size, Some(1 << 30));
//!
//! match decide("qcow2", "bare", &inspection) {
//!     Verdict::Refuse(refusal) => {
//!         assert_eq!(refusal.to_string(), "qcow2 names a backing file: /etc/passwd");
//!         assert_eq!(refusal.glance_message(), "Image failed safety checks");
//!     }
//!     Verdict::Accept { .. } => unreachable!("a backing file is never accepted"),
//! }
//! ```

mod decide;
mod engine;
mod fields;
mod format;
mod probes;
mod safety;
mod stream;

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use decide::{GLANCE_SAFETY_MESSAGE, Refusal, Verdict, decide, glance_mismatch_message};
pub use format::DiskFormat;
pub use safety::{SafetyCheck, SafetyError};
pub use stream::StreamInspector;

use engine::{Engine, TAIL_LEN};

/// What the inspector found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inspection {
    /// The format of the data: [`DiskFormat::Raw`] when nothing else matched, the ISO of
    /// a hybrid ISO, or the first of several formats that matched (then `safety` fails).
    pub format: DiskFormat,
    /// Every format other than raw whose signature matched (at most one, except for a
    /// hybrid ISO and for hostile files).
    pub matches: Vec<DiskFormat>,
    /// The size of the disk a guest would see, in bytes, when the format says it (for raw,
    /// gpt and mbr: the length of the data).
    pub virtual_size: Option<u64>,
    /// Glance's safety checks for `format`.
    pub safety: Result<(), SafetyError>,
    /// The length of the data in bytes.
    pub data_size: u64,
}

impl Inspection {
    /// Whether the image passed every safety check.
    pub fn is_safe(&self) -> bool {
        self.safety.is_ok()
    }
}

/// The largest single read: regions are read in pieces of at most this size.
const READ_LEN: usize = 64 * 1024;
/// Reads at most; every read completes a region or moves past it, so this is never reached
/// by the regions the probes ask for (a few MiB in all), and it bounds the work regardless.
const MAX_READS: usize = 256;

/// Inspects a seekable reader, reading only the regions the formats need.
///
/// The result is the same as feeding the whole data to a [`StreamInspector`]. The reader's
/// position afterwards is unspecified.
///
/// ```
/// use std::io::Cursor;
/// use ferrostack_format_inspector::{inspect, DiskFormat};
///
/// let inspection = inspect(Cursor::new(vec![0u8; 1 << 20]))?;
/// assert_eq!(inspection.format, DiskFormat::Raw);
/// assert_eq!(inspection.virtual_size, Some(1 << 20));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn inspect<R: Read + Seek>(mut reader: R) -> io::Result<Inspection> {
    let size = reader.seek(SeekFrom::End(0))?;
    let mut engine = Engine::new();
    let mut buf = vec![0u8; READ_LEN];
    let mut pos = 0;
    for _ in 0..MAX_READS {
        let Some(next) = engine.next_needed(pos) else {
            break;
        };
        if next >= size {
            break;
        }
        let len = (size - next).min(READ_LEN as u64) as usize;
        reader.seek(SeekFrom::Start(next))?;
        let got = read_up_to(&mut reader, &mut buf[..len])?;
        if got == 0 {
            break;
        }
        engine.feed(next, &buf[..got]);
        pos = next + got as u64;
    }
    let tail_len = size.min(TAIL_LEN as u64) as usize;
    reader.seek(SeekFrom::Start(size - tail_len as u64))?;
    let got = read_up_to(&mut reader, &mut buf[..tail_len])?;
    Ok(engine.conclude(size, &buf[..got]))
}

/// Reads until `buf` is full or the reader ends.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Inspects the image file at `path`.
///
/// ```no_run
/// use ferrostack_format_inspector::{decide, inspect_file, Verdict};
///
/// let inspection = inspect_file("cirros.qcow2")?;
/// if let Verdict::Refuse(why) = decide("qcow2", "bare", &inspection) {
///     eprintln!("not uploading cirros.qcow2: {why}");
/// }
/// # Ok::<(), ferrostack_format_inspector::ReadError>(())
/// ```
pub fn inspect_file(path: impl AsRef<Path>) -> Result<Inspection, ReadError> {
    let path = path.as_ref();
    let error = |source| ReadError {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(error)?;
    inspect(io::BufReader::with_capacity(READ_LEN, file)).map_err(error)
}

/// An image file could not be read.
#[derive(Debug)]
pub struct ReadError {
    path: PathBuf,
    source: io::Error,
}

impl ReadError {
    /// The file that could not be read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read image file {}", self.path.display())
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_file_is_named() {
        let err = inspect_file("/nonexistent/disk.qcow2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read image file /nonexistent/disk.qcow2"
        );
        assert_eq!(err.path(), Path::new("/nonexistent/disk.qcow2"));
        assert!(std::error::Error::source(&err).is_some());
    }
}
