//! The inspection engine shared by streams and seekable readers.
//!
//! Every format has a probe that asks for a few byte *regions* (offset + length, each
//! length bounded by a constant). Bytes are offered to the probes by position, once, in
//! increasing order. A probe may ask for a new region only once a region it already has is
//! complete, and only at or after that region's end, so the new region always lies at or
//! after the bytes being offered. That is what makes the result the same whether the data
//! arrives as a stream of arbitrary chunks or is read with seeks that skip what nobody
//! wants.

use crate::probes::{self, Finding};
use crate::{DiskFormat, Inspection, SafetyCheck, SafetyError};

/// The last bytes of the data, kept for formats with a footer (vmdk keeps three sectors).
pub(crate) const TAIL_LEN: usize = 1536;

/// A span of the image that a probe wants to see.
#[derive(Debug)]
pub(crate) struct Region {
    offset: u64,
    want: usize,
    data: Vec<u8>,
}

impl Region {
    /// The offset of the next byte this region still needs, or `None` when complete.
    fn next_needed(&self) -> Option<u64> {
        if self.data.len() >= self.want {
            return None;
        }
        self.offset.checked_add(self.data.len() as u64)
    }

    /// Takes the bytes of `chunk` (which starts at `start`) that continue this region.
    /// Bytes that went by before the region existed are gone: the region stays short.
    fn capture(&mut self, start: u64, chunk: &[u8]) {
        let Some(next) = self.next_needed() else {
            return;
        };
        let end = start.saturating_add(chunk.len() as u64);
        if next < start || next >= end {
            return;
        }
        let from = (next - start) as usize;
        let take = (self.want - self.data.len()).min(chunk.len() - from);
        self.data.extend_from_slice(&chunk[from..from + take]);
    }
}

/// The regions of one probe, addressed by the index `add` returned.
#[derive(Debug, Default)]
pub(crate) struct Regions {
    list: Vec<Region>,
}

/// The handle of a region within its probe's [`Regions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RegionId(usize);

impl Regions {
    /// Asks for `want` bytes at `offset`. `want` must be one of the probe's constants (or
    /// clamped to one): nothing read from the image may size an allocation.
    pub(crate) fn add(&mut self, offset: u64, want: usize) -> RegionId {
        self.list.push(Region {
            offset,
            want,
            data: Vec::new(),
        });
        RegionId(self.list.len() - 1)
    }

    /// The bytes captured so far for `id` (fewer than asked if the data ended first).
    pub(crate) fn data(&self, id: RegionId) -> &[u8] {
        self.list.get(id.0).map_or(&[], |r| &r.data)
    }

    /// Where region `id` starts in the image.
    pub(crate) fn offset(&self, id: RegionId) -> u64 {
        self.list.get(id.0).map_or(0, |r| r.offset)
    }

    /// Whether every byte asked for `id` was captured.
    pub(crate) fn complete(&self, id: RegionId) -> bool {
        self.list
            .get(id.0)
            .is_some_and(|r| r.next_needed().is_none())
    }

    fn capture(&mut self, start: u64, chunk: &[u8]) {
        for region in &mut self.list {
            region.capture(start, chunk);
        }
    }

    fn next_needed(&self, pos: u64) -> Option<u64> {
        self.list
            .iter()
            .filter_map(Region::next_needed)
            .filter(|&next| next >= pos)
            .min()
    }

    fn len(&self) -> usize {
        self.list.len()
    }
}

/// What the engine knows about the data once it has all been offered.
pub(crate) struct End<'a> {
    /// The length of the data.
    pub(crate) size: u64,
    /// Its last bytes (all of it when shorter than [`TAIL_LEN`]).
    pub(crate) tail: &'a [u8],
}

/// One format's detector and safety checks.
pub(crate) trait Probe {
    /// The probe's regions, for the engine to fill.
    fn regions(&mut self) -> &mut Regions;
    /// Called after bytes were captured; may add regions (see the module comment).
    fn advance(&mut self) {}
    /// The probe's conclusion once all data was offered: `None` if the data is not this
    /// format.
    fn conclude(&self, end: &End<'_>) -> Option<Finding>;
}

/// All probes, fed together.
pub(crate) struct Engine {
    probes: Vec<Box<dyn Probe + Send>>,
}

/// How many times one chunk may make a probe add regions (qcow2 and vhdx chain at most two).
const MAX_CHAINED_REGIONS: usize = 4;

impl Engine {
    pub(crate) fn new() -> Self {
        Engine {
            probes: probes::all(),
        }
    }

    /// Offers `chunk`, which starts at `start`, to every probe.
    pub(crate) fn feed(&mut self, start: u64, chunk: &[u8]) {
        for probe in &mut self.probes {
            // A probe that added a region sees the same chunk again: the new region starts
            // at or after the end of a region that this very chunk completed.
            for _ in 0..MAX_CHAINED_REGIONS {
                let before = probe.regions().len();
                probe.regions().capture(start, chunk);
                probe.advance();
                if probe.regions().len() == before {
                    break;
                }
            }
        }
    }

    /// The lowest offset at or after `pos` that some probe still needs.
    pub(crate) fn next_needed(&mut self, pos: u64) -> Option<u64> {
        self.probes
            .iter_mut()
            .filter_map(|p| p.regions().next_needed(pos))
            .min()
    }

    /// Combines the probes' findings into the inspection of the whole data.
    pub(crate) fn conclude(&self, size: u64, tail: &[u8]) -> Inspection {
        let end = End { size, tail };
        let findings: Vec<Finding> = self
            .probes
            .iter()
            .filter_map(|p| p.conclude(&end))
            .collect();
        let matches: Vec<DiskFormat> = findings.iter().map(|f| f.format).collect();
        let chosen = match findings.as_slice() {
            [] => Finding {
                format: DiskFormat::Raw,
                virtual_size: Some(size),
                safety: Ok(()),
            },
            [only] => only.clone(),
            // A bootable ISO carries an MBR or GPT for USB sticks: Glance accepts the pair
            // and treats the image as an ISO.
            [a, b] if is_hybrid_iso(a.format, b.format) => {
                if a.format == DiskFormat::Iso {
                    a.clone()
                } else {
                    b.clone()
                }
            }
            [first, ..] => {
                let names: Vec<&str> = matches.iter().map(|f| f.as_str()).collect();
                Finding {
                    format: first.format,
                    virtual_size: first.virtual_size,
                    safety: Err(SafetyError::new(
                        first.format,
                        SafetyCheck::MultipleFormats,
                        format!(
                            "the data matches more than one format: {}",
                            names.join(", ")
                        ),
                    )),
                }
            }
        };
        Inspection {
            format: chosen.format,
            matches,
            virtual_size: chosen.virtual_size,
            safety: chosen.safety,
            data_size: size,
        }
    }
}

fn is_hybrid_iso(a: DiskFormat, b: DiskFormat) -> bool {
    let table = |f| matches!(f, DiskFormat::Gpt | DiskFormat::Mbr);
    (a == DiskFormat::Iso && table(b)) || (b == DiskFormat::Iso && table(a))
}

/// The last [`TAIL_LEN`] bytes of a stream, in a fixed buffer.
#[derive(Debug)]
pub(crate) struct Tail {
    ring: [u8; TAIL_LEN],
    /// Where the next byte goes.
    head: usize,
    /// How many bytes are held (at most `TAIL_LEN`).
    len: usize,
}

impl Tail {
    pub(crate) fn new() -> Self {
        Tail {
            ring: [0; TAIL_LEN],
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        // Only the last TAIL_LEN bytes of a chunk can survive; copy those, wrapping once.
        let part = &chunk[chunk.len().saturating_sub(TAIL_LEN)..];
        let first = part.len().min(TAIL_LEN - self.head);
        self.ring[self.head..self.head + first].copy_from_slice(&part[..first]);
        let rest = part.len() - first;
        self.ring[..rest].copy_from_slice(&part[first..]);
        self.head = (self.head + part.len()) % TAIL_LEN;
        self.len = (self.len + part.len()).min(TAIL_LEN);
    }

    /// The held bytes, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let start = (self.head + TAIL_LEN - self.len) % TAIL_LEN;
        let mut out = Vec::with_capacity(self.len);
        let first = self.len.min(TAIL_LEN - start);
        out.extend_from_slice(&self.ring[start..start + first]);
        out.extend_from_slice(&self.ring[..self.len - first]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_captures_across_chunks_and_misses_what_went_by() {
        let mut regions = Regions::default();
        let id = regions.add(3, 4);
        regions.capture(0, b"abcd");
        regions.capture(4, b"efgh");
        assert_eq!(regions.data(id), b"defg");
        assert!(regions.complete(id));

        let late = regions.add(2, 4);
        regions.capture(8, b"ijkl");
        assert!(regions.data(late).is_empty());
        assert_eq!(regions.next_needed(8), None);
    }

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut tail = Tail::new();
        tail.push(b"abc");
        assert_eq!(tail.to_vec(), b"abc");
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let mut tail = Tail::new();
        for chunk in data.chunks(7) {
            tail.push(chunk);
        }
        assert_eq!(tail.to_vec(), &data[data.len() - TAIL_LEN..]);
        let mut tail = Tail::new();
        tail.push(&data[..10]);
        tail.push(&data[10..]);
        assert_eq!(tail.to_vec(), &data[data.len() - TAIL_LEN..]);
    }
}
