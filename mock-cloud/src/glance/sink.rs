//! Where received image bytes go: a file, md5 and sha512, each on a blocking thread of its
//! own beside the others, all fed the request body's own chunks (shared, never copied).
//!
//! Hashing is most of what receiving costs (md5 and sha512 together take several times the
//! CPU of reading the socket and writing the file), so the three run side by side instead of
//! one after the other on the task that reads the body. Chunks are gathered into batches of
//! about [`BATCH`] bytes: each thread wakes once per batch, and the file gets one `writev`
//! of up to [`BATCH`] bytes instead of one write per chunk. A short queue per thread keeps
//! memory flat: the reader waits for the slowest of the three.

use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::sync::Arc;

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Bytes gathered before a batch goes to the threads.
pub(crate) const BATCH: usize = 1 << 20;
/// Batches waiting for each thread: with the one it works on and the one filling, a few MiB
/// in memory per upload at most.
const QUEUE: usize = 2;

/// Chunks of the body, in order.
type Batch = Arc<Vec<Bytes>>;

/// The threads an upload's bytes go to.
pub(crate) struct Sink {
    batch: Vec<Bytes>,
    batched: usize,
    feeds: Vec<mpsc::Sender<Batch>>,
    md5: JoinHandle<String>,
    sha512: JoinHandle<String>,
    file: JoinHandle<io::Result<()>>,
}

/// What the threads made of everything sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Digests {
    /// Hex md5 (Glance's `checksum`).
    pub(crate) md5: String,
    /// Hex sha512 (Glance's `os_hash_value`).
    pub(crate) sha512: String,
}

/// Why the bytes did not all arrive in the file.
#[derive(Debug)]
pub(crate) enum SinkError {
    /// Writing the file failed.
    Write(io::Error),
    /// A thread ended early (only a panic can do that).
    Lost,
}

impl Sink {
    /// Starts the threads writing to `file`; `sync` makes [`Sink::finish`] fsync it.
    pub(crate) fn start(file: File, sync: bool) -> Sink {
        let (md5_feed, md5_batches) = mpsc::channel(QUEUE);
        let (sha512_feed, sha512_batches) = mpsc::channel(QUEUE);
        let (file_feed, file_batches) = mpsc::channel(QUEUE);
        Sink {
            batch: Vec::new(),
            batched: 0,
            feeds: vec![md5_feed, sha512_feed, file_feed],
            md5: tokio::task::spawn_blocking(move || {
                let mut md5 = Md5::new();
                each_chunk(md5_batches, |chunk| md5.update(chunk));
                hex::encode(md5.finalize())
            }),
            sha512: tokio::task::spawn_blocking(move || {
                // ring's SHA-512 (BoringSSL's assembly) is the fastest at hand: about a
                // third faster than sha2's here, and the slowest of the three threads.
                let mut sha512 = ring::digest::Context::new(&ring::digest::SHA512);
                each_chunk(sha512_batches, |chunk| sha512.update(chunk));
                hex::encode(sha512.finish())
            }),
            file: tokio::task::spawn_blocking(move || write_batches(file, file_batches, sync)),
        }
    }

    /// Takes the next chunk of the body; waits while the threads are a full queue behind.
    pub(crate) async fn push(&mut self, chunk: Bytes) -> Result<(), SinkError> {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= BATCH {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), SinkError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch: Batch = Arc::new(std::mem::take(&mut self.batch));
        self.batched = 0;
        for feed in &self.feeds {
            if feed.send(batch.clone()).await.is_err() {
                // A thread stopped taking batches: the file's, on a failed write.
                return Err(self.stopped().await);
            }
        }
        Ok(())
    }

    /// Why a thread stopped early. Closing every feed first lets the file's thread end too.
    async fn stopped(&mut self) -> SinkError {
        self.feeds.clear();
        match (&mut self.file).await {
            Ok(Err(e)) => SinkError::Write(e),
            _ => SinkError::Lost,
        }
    }

    /// Sends what is left, waits for every thread, and answers the digests once the file
    /// holds every byte (fsynced if asked).
    pub(crate) async fn finish(mut self) -> Result<Digests, SinkError> {
        self.send().await?;
        let Sink {
            feeds,
            md5,
            sha512,
            file,
            ..
        } = self;
        // Closing the feeds ends the threads once they have taken everything.
        drop(feeds);
        file.await
            .map_err(|_| SinkError::Lost)?
            .map_err(SinkError::Write)?;
        Ok(Digests {
            md5: md5.await.map_err(|_| SinkError::Lost)?,
            sha512: sha512.await.map_err(|_| SinkError::Lost)?,
        })
    }
}

/// Runs `f` on every chunk of every batch until the feed closes.
fn each_chunk(mut batches: mpsc::Receiver<Batch>, mut f: impl FnMut(&[u8])) {
    while let Some(batch) = batches.blocking_recv() {
        for chunk in batch.iter() {
            f(chunk);
        }
    }
}

/// Zero runs of the stream are left as holes rather than written, aligned on blocks of this
/// many bytes: a 2 GiB raw disk that is mostly empty takes the disk space of its data only.
/// Holes read back as zeros, so what is stored is byte for byte what was sent.
const HOLE: usize = 64 * 1024;

/// Writes each batch with as few `writev` calls as the kernel allows, skipping every piece
/// that is all zeros (a hole the file gets by seeking past it), then fsyncs if asked.
/// Returning (early, on an error) closes the feed, which the sender notices.
fn write_batches(mut file: File, mut batches: mpsc::Receiver<Batch>, sync: bool) -> io::Result<()> {
    // `offset` is how far into the stream we are; `cursor` is where the file's is.
    let (mut offset, mut cursor) = (0u64, 0u64);
    while let Some(batch) = batches.blocking_recv() {
        let mut run: Vec<IoSlice<'_>> = Vec::new();
        for chunk in batch.iter() {
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                // Up to the next HOLE boundary of the stream.
                let room = HOLE - (offset % HOLE as u64) as usize;
                let (piece, after) = rest.split_at(room.min(rest.len()));
                if is_zero(piece) {
                    write_all_vectored(&mut file, &mut run)?;
                } else {
                    if run.is_empty() && cursor != offset {
                        file.seek(SeekFrom::Start(offset))?;
                    }
                    run.push(IoSlice::new(piece));
                    cursor = offset + piece.len() as u64;
                }
                offset += piece.len() as u64;
                rest = after;
            }
        }
        write_all_vectored(&mut file, &mut run)?;
    }
    if cursor != offset {
        // The stream ended in a hole: the file still has the stream's length.
        file.set_len(offset)?;
    }
    if sync {
        file.sync_all()?;
    }
    Ok(())
}

/// Whether every byte of `piece` is zero (word-wide ORs: the compiler vectorises them).
fn is_zero(piece: &[u8]) -> bool {
    piece
        .chunks(256)
        .all(|block| block.iter().fold(0u8, |acc, &b| acc | b) == 0)
}

/// Writes all of `run` at the file's cursor, and empties it.
fn write_all_vectored(file: &mut File, run: &mut Vec<IoSlice<'_>>) -> io::Result<()> {
    let mut rest = &mut run[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference digests, from the crates the mock used before.
    fn expected(data: &[u8]) -> Digests {
        use sha2::Sha512;
        Digests {
            md5: hex::encode(Md5::digest(data)),
            sha512: hex::encode(Sha512::digest(data)),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_byte_reaches_the_file_and_both_digests_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        // Uneven chunks that cross batch boundaries, more than a queue's worth of batches.
        let data: Vec<u8> = (0..(5 * BATCH + 12345))
            .map(|i| (i * 7 + i / 4093) as u8)
            .collect();
        let mut sink = Sink::start(File::create(&path).unwrap(), true);
        for chunk in data.chunks(100_003) {
            sink.push(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        let digests = sink.finish().await.unwrap();
        assert_eq!(digests, expected(&data));
        assert!(std::fs::read(&path).unwrap() == data);
    }

    #[tokio::test]
    async fn an_empty_body_has_the_empty_digests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let sink = Sink::start(File::create(&path).unwrap(), false);
        assert_eq!(sink.finish().await.unwrap(), expected(b""));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_not_hidden() {
        // A file opened read-only: the first write fails.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, b"").unwrap();
        let mut sink = Sink::start(File::open(&path).unwrap(), false);
        let mut outcome = Ok(());
        for _ in 0..(QUEUE + 4) {
            outcome = sink.push(Bytes::from(vec![1u8; BATCH])).await;
            if outcome.is_err() {
                break;
            }
        }
        let err = match outcome {
            Err(e) => e,
            Ok(()) => sink.finish().await.unwrap_err(),
        };
        assert!(matches!(err, SinkError::Write(_)), "{err:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn zero_runs_become_holes_and_read_back_as_zeros() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        // Data, 8 MiB of zeros, data cut across a HOLE boundary, and a stream that ends in
        // zeros: the file keeps the stream's length.
        let mut data = vec![7u8; 3000];
        data.resize(3000 + 8 * BATCH, 0);
        data.extend((0..2 * HOLE).map(|i| (i % 251) as u8 | 1));
        data.resize(data.len() + 3 * BATCH + 17, 0);
        let mut sink = Sink::start(File::create(&path).unwrap(), false);
        for chunk in data.chunks(40_961) {
            sink.push(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        assert_eq!(sink.finish().await.unwrap(), expected(&data));
        assert!(std::fs::read(&path).unwrap() == data);
        let allocated = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!(
            allocated < 1024 * 1024,
            "{allocated} bytes allocated for {} of data",
            3000 + 2 * HOLE
        );
    }
}
