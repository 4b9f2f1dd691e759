//! Any bytes, streamed in chunks of any size or read with seeks, must inspect without a
//! panic, to the same result both ways, and get a verdict for every declared format.

#![no_main]

use std::io::Cursor;

use ferrostack_format_inspector::{StreamInspector, decide, inspect};
use libfuzzer_sys::fuzz_target;

const DECLARED: [(&str, &str); 8] = [
    ("raw", "bare"),
    ("qcow2", "bare"),
    ("vmdk", "bare"),
    ("iso", "bare"),
    ("gpt", "bare"),
    ("vhdx", "bare"),
    ("aki", "bare"),
    ("raw", "ovf"),
];

fuzz_target!(|input: &[u8]| {
    // The first two bytes choose the chunk size; the rest is the image.
    let (chunk, image) = match input {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])).max(1), rest),
        _ => (1, input),
    };
    let seek = inspect(Cursor::new(image)).expect("reading memory cannot fail");
    let mut stream = StreamInspector::new();
    for part in image.chunks(chunk) {
        stream.feed(part);
    }
    let streamed = stream.finish();
    assert_eq!(seek, streamed, "stream and seek inspection disagree");
    for (disk, container) in DECLARED {
        let verdict = decide(disk, container, &seek);
        // Reasons are built from image bytes: they must render.
        let _ = format!("{verdict:?}");
    }
});
