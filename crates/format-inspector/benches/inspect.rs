//! How fast bytes pass through a stream inspection: a 1 GiB qcow2 image, generated in
//! memory, fed in 1 MiB chunks as an upload would arrive. The inspector looks only at its
//! regions (the first 256 KiB and the last 1.5 KiB), so this measures the cost it adds to
//! an upload that is otherwise only copying bytes.
//!
//! `cargo bench -p ferrostack-format-inspector --bench inspect`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferrostack_format_inspector::{DiskFormat, StreamInspector};

const IMAGE_LEN: u64 = 1 << 30;
const CHUNK_LEN: usize = 1 << 20;

/// The first chunk carries a qcow2 v3 header; the others are filler with some data in it.
fn chunks() -> (Vec<u8>, Vec<u8>) {
    let mut first = vec![0u8; CHUNK_LEN];
    first[..4].copy_from_slice(b"QFI\xfb");
    first[4..8].copy_from_slice(&3u32.to_be_bytes());
    first[20..24].copy_from_slice(&16u32.to_be_bytes());
    first[24..32].copy_from_slice(&(64u64 << 30).to_be_bytes());
    first[100..104].copy_from_slice(&104u32.to_be_bytes());
    let filler: Vec<u8> = (0..CHUNK_LEN).map(|i| (i % 251) as u8).collect();
    (first, filler)
}

fn stream_1gib(c: &mut Criterion) {
    let (first, filler) = chunks();
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Bytes(IMAGE_LEN));
    group.sample_size(10);
    group.bench_function("qcow2_1GiB_in_1MiB_chunks", |b| {
        b.iter(|| {
            let mut inspector = StreamInspector::new();
            inspector.feed(black_box(&first));
            for _ in 1..IMAGE_LEN / CHUNK_LEN as u64 {
                inspector.feed(black_box(&filler));
            }
            let inspection = inspector.finish();
            assert_eq!(inspection.format, DiskFormat::Qcow2);
            inspection
        })
    });
    group.finish();
}

criterion_group!(benches, stream_1gib);
criterion_main!(benches);
