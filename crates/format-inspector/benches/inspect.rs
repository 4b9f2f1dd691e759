//! How fast a 1 GiB image passes through stream inspection. The image is generated in
//! memory, chunk by chunk: every 64 KiB chunk is copied into a receive buffer (what an
//! upload does at the very least) and then fed to the inspector. The `copy_only` baseline
//! does the same without inspection, so the difference is the inspector's cost. The
//! inspector looks only at its regions (the first 256 KiB) and keeps the last 1.5 KiB.
//!
//! `cargo bench -p ferrostack-format-inspector --bench inspect`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferrostack_format_inspector::{DiskFormat, StreamInspector};

const IMAGE_LEN: usize = 1 << 30;
const CHUNK_LEN: usize = 64 * 1024;

/// The source of the image: a qcow2 v3 header in the first chunk, filler after it.
struct Image {
    first: Vec<u8>,
    filler: Vec<u8>,
}

impl Image {
    fn new() -> Self {
        let mut first = vec![0u8; CHUNK_LEN];
        first[..4].copy_from_slice(b"QFI\xfb");
        first[4..8].copy_from_slice(&3u32.to_be_bytes());
        first[20..24].copy_from_slice(&16u32.to_be_bytes());
        first[24..32].copy_from_slice(&(64u64 << 30).to_be_bytes());
        first[100..104].copy_from_slice(&104u32.to_be_bytes());
        let filler = (0..CHUNK_LEN).map(|i| (i % 251) as u8).collect();
        Image { first, filler }
    }

    /// Passes every chunk of the image through `buffer`, calling `sink` on each.
    fn pass(&self, buffer: &mut [u8], mut sink: impl FnMut(&[u8])) {
        for i in 0..IMAGE_LEN / CHUNK_LEN {
            let source = if i == 0 { &self.first } else { &self.filler };
            buffer.copy_from_slice(black_box(source));
            sink(black_box(&*buffer));
        }
    }
}

fn stream_1gib(c: &mut Criterion) {
    let image = Image::new();
    let mut buffer = vec![0u8; CHUNK_LEN];
    let mut group = c.benchmark_group("stream_1GiB_64KiB_chunks");
    group.throughput(Throughput::Bytes(IMAGE_LEN as u64));
    group.sample_size(10);
    group.bench_function("copy_only", |b| {
        b.iter(|| {
            let mut seen = 0usize;
            image.pass(&mut buffer, |chunk| seen += chunk.len());
            seen
        })
    });
    group.bench_function("copy_and_inspect", |b| {
        b.iter(|| {
            let mut inspector = StreamInspector::new();
            image.pass(&mut buffer, |chunk| inspector.feed(chunk));
            let inspection = inspector.finish();
            assert_eq!(inspection.format, DiskFormat::Qcow2);
            inspection
        })
    });
    group.finish();
}

criterion_group!(benches, stream_1gib);
criterion_main!(benches);
