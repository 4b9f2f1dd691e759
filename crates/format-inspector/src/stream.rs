//! Inspection of bytes as they pass, for uploads.

use crate::Inspection;
use crate::engine::{Engine, Tail};

/// Inspects an image from its bytes as they stream past, in chunks of any size.
///
/// It keeps only the bounded regions the formats ask for and the last 1.5 KiB; once those
/// are captured, [`feed`](Self::feed) only counts bytes. Call [`finish`](Self::finish) after
/// the last chunk.
///
/// ```
/// use ferrostack_format_inspector::{decide, StreamInspector, Verdict};
///
/// let mut inspector = StreamInspector::new();
/// for chunk in [&[0u8; 300][..], &[0u8; 700][..]] {
///     inspector.feed(chunk); // as each chunk of the upload arrives
/// }
/// let inspection = inspector.finish();
/// assert_eq!(inspection.data_size, 1000);
/// assert!(matches!(decide("raw", "bare", &inspection), Verdict::Accept { .. }));
/// ```
pub struct StreamInspector {
    engine: Engine,
    tail: Tail,
    /// Bytes fed so far.
    pos: u64,
    /// The next offset any probe needs (`None`: none ever will). Chunks that end before it
    /// skip the probes entirely.
    next_needed: Option<u64>,
}

impl StreamInspector {
    /// A new inspector, before the first byte.
    pub fn new() -> Self {
        let mut engine = Engine::new();
        let next_needed = engine.next_needed(0);
        StreamInspector {
            engine,
            tail: Tail::new(),
            pos: 0,
            next_needed,
        }
    }

    /// Offers the next chunk of the image.
    pub fn feed(&mut self, chunk: &[u8]) {
        let start = self.pos;
        let end = start.saturating_add(chunk.len() as u64);
        if self.next_needed.is_some_and(|next| next < end) {
            self.engine.feed(start, chunk);
            self.next_needed = self.engine.next_needed(end);
        }
        self.tail.push(chunk);
        self.pos = end;
    }

    /// How many bytes were fed.
    pub fn bytes_fed(&self) -> u64 {
        self.pos
    }

    /// The inspection of everything fed.
    pub fn finish(self) -> Inspection {
        self.engine.conclude(self.pos, &self.tail.to_vec())
    }
}

impl Default for StreamInspector {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for StreamInspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamInspector")
            .field("bytes_fed", &self.pos)
            .finish_non_exhaustive()
    }
}
