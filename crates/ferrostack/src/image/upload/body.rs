//! The body of an upload: the data read in chunks ahead of the socket, each chunk handed to
//! the HTTP body and to one thread per digest at once (shared, never copied).
//!
//! Digests cost several times the CPU of sending (sha512 most), so they run beside the
//! socket write, each on a blocking thread of its own, instead of in the task hyper polls
//! for the body. A file is read on a blocking thread with plain `read` calls straight into
//! each chunk's buffer (tokio's `File` reads into a buffer of its own and copies). Short
//! queues keep memory flat: the reader waits for the slowest of them.

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use crate::image::digest::Hasher;

/// Bytes per chunk read from the source and sent.
const CHUNK: usize = 512 * 1024;
/// Chunks waiting for each thread and the body: with those being worked on, a few MiB at
/// most.
const QUEUE: usize = 4;

/// Where the data is read from.
pub(crate) enum Reader {
    /// A file, read on a blocking thread.
    File(File),
    /// Any stream of bytes, read on the runtime.
    Stream(Box<dyn AsyncRead + Send + Unpin>),
}

/// The body stream's items.
type Chunk = io::Result<Bytes>;

/// The digests and length of everything read, once the reader is done.
pub(crate) struct Hashed {
    /// Length in bytes.
    pub(crate) bytes: u64,
    /// Each algorithm asked for, with its digest (lowercase hex).
    pub(crate) digests: Vec<(&'static str, String)>,
}

/// The threads of one upload, to be asked for their results after the body was sent.
pub(crate) struct Pipeline {
    reader: JoinHandle<io::Result<u64>>,
    hashers: Vec<(&'static str, JoinHandle<String>)>,
    /// A read error as the HTTP client met it in the body.
    read_error: Arc<Mutex<Option<String>>>,
}

/// Why the data could not be read or hashed.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Reading the source failed.
    Read(io::Error),
    /// A thread ended early (only a panic can do that).
    Lost,
}

/// Starts reading `reader`, at most `limit` bytes (the `Content-Length` sent, so that a
/// file growing meanwhile cannot make the body longer than promised), and hashing it in
/// each of `algos` (names [`Hasher::new`] knows); the stream is the HTTP body, in order.
/// `progress` is told the bytes taken by the HTTP client so far, as it takes them.
pub(crate) fn start(
    reader: Reader,
    limit: Option<u64>,
    algos: &[&'static str],
    mut progress: impl FnMut(u64) + Send + 'static,
) -> (impl Stream<Item = Chunk> + Send + 'static, Pipeline) {
    let limit = limit.unwrap_or(u64::MAX);
    let (body_feed, mut body_chunks) = mpsc::channel::<Chunk>(QUEUE);
    let mut digests = Vec::new();
    let mut hashers = Vec::new();
    for &algo in algos {
        let mut hasher = Hasher::new(algo).expect("only algorithms we have are asked for");
        let (feed, chunks) = mpsc::channel::<Bytes>(QUEUE);
        digests.push(feed);
        let thread = tokio::task::spawn_blocking(move || {
            each_chunk(chunks, |chunk| hasher.update(chunk));
            hasher.finish()
        });
        hashers.push((algo, thread));
    }
    let feeds = Feeds {
        digests,
        body: body_feed,
    };
    let reader = match reader {
        Reader::File(file) => {
            tokio::task::spawn_blocking(move || read_file(file.take(limit), &feeds))
        }
        Reader::Stream(stream) => tokio::spawn(read_stream(stream.take(limit), feeds)),
    };
    let read_error = Arc::new(Mutex::new(None));
    let met = read_error.clone();
    let mut taken = 0u64;
    let body = futures::stream::poll_fn(move |cx| body_chunks.poll_recv(cx)).map(move |chunk| {
        match &chunk {
            Ok(bytes) => {
                taken += bytes.len() as u64;
                progress(taken);
            }
            Err(e) => *met.lock().expect("never poisoned") = Some(e.to_string()),
        }
        chunk
    });
    (
        body,
        Pipeline {
            reader,
            hashers,
            read_error,
        },
    )
}

impl Pipeline {
    /// The read error that ended the body, if one did: the cause of a failed request.
    pub(crate) fn read_error(&self) -> Option<String> {
        self.read_error.lock().expect("never poisoned").clone()
    }

    /// Waits for the reader and the hashers: what they saw, or why reading failed. Only
    /// after a request that succeeded: the body was then taken to its end, so the reader
    /// has nothing left to hand over. (After a failure, dropping the pipeline is enough: the
    /// threads end once the HTTP client drops the body.)
    pub(crate) async fn finish(self) -> Result<Hashed, BodyError> {
        let bytes = self
            .reader
            .await
            .map_err(|_| BodyError::Lost)?
            .map_err(BodyError::Read)?;
        let mut digests = Vec::with_capacity(self.hashers.len());
        for (algo, thread) in self.hashers {
            digests.push((algo, thread.await.map_err(|_| BodyError::Lost)?));
        }
        Ok(Hashed { bytes, digests })
    }
}

/// The ways out of the reader. Dropping them ends the hashers.
struct Feeds {
    digests: Vec<mpsc::Sender<Bytes>>,
    body: mpsc::Sender<Chunk>,
}

/// What the reader does when one of its ways out is gone.
enum Handed {
    /// All took the chunk.
    Taken,
    /// The body was dropped (the request ended early): stop reading, it is not an error.
    Gone,
}

impl Feeds {
    fn hand_blocking(&self, chunk: Bytes) -> Handed {
        let taken = self
            .digests
            .iter()
            .all(|feed| feed.blocking_send(chunk.clone()).is_ok())
            && self.body.blocking_send(Ok(chunk)).is_ok();
        if taken { Handed::Taken } else { Handed::Gone }
    }

    async fn hand(&self, chunk: Bytes) -> Handed {
        for feed in &self.digests {
            if feed.send(chunk.clone()).await.is_err() {
                return Handed::Gone;
            }
        }
        match self.body.send(Ok(chunk)).await {
            Ok(()) => Handed::Taken,
            Err(_) => Handed::Gone,
        }
    }
}

/// Reads `file` to its end in [`CHUNK`]s; the bytes handed on. A read error goes into the
/// body too, so that the request fails rather than ends short.
fn read_file(mut file: impl Read, feeds: &Feeds) -> io::Result<u64> {
    let mut bytes = 0;
    loop {
        let mut buf = Vec::with_capacity(CHUNK);
        // read_to_end fills the spare capacity without zeroing it first, in one `read`
        // per chunk for a regular file.
        match (&mut file).take(CHUNK as u64).read_to_end(&mut buf) {
            Ok(0) => return Ok(bytes),
            Ok(n) => {
                if let Handed::Gone = feeds.hand_blocking(Bytes::from(buf)) {
                    return Ok(bytes);
                }
                bytes += n as u64;
            }
            Err(e) => {
                let _ = feeds
                    .body
                    .blocking_send(Err(io::Error::new(e.kind(), e.to_string())));
                return Err(e);
            }
        }
    }
}

/// Reads `stream` to its end in [`CHUNK`]s, like [`read_file`].
async fn read_stream(stream: impl AsyncRead + Unpin, feeds: Feeds) -> io::Result<u64> {
    let mut bytes = 0;
    let mut chunks = ReaderStream::with_capacity(stream, CHUNK);
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(chunk) => {
                let n = chunk.len() as u64;
                if let Handed::Gone = feeds.hand(chunk).await {
                    return Ok(bytes);
                }
                bytes += n;
            }
            Err(e) => {
                let _ = feeds
                    .body
                    .send(Err(io::Error::new(e.kind(), e.to_string())))
                    .await;
                return Err(e);
            }
        }
    }
    Ok(bytes)
}

/// Runs `f` on every chunk until the feed closes.
fn each_chunk(mut chunks: mpsc::Receiver<Bytes>, mut f: impl FnMut(&[u8])) {
    while let Some(chunk) = chunks.blocking_recv() {
        f(&chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use sha2::Sha512;

    const BOTH: &[&str] = &["md5", "sha512"];

    fn data() -> Vec<u8> {
        // More than a queue's worth of chunks, the last one short.
        (0..(3 * QUEUE * CHUNK + 777))
            .map(|i| (i * 13 + i / 1021) as u8)
            .collect()
    }

    async fn send_all(
        reader: Reader,
        limit: Option<u64>,
    ) -> (Vec<u8>, Vec<u64>, Result<Hashed, BodyError>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let told = seen.clone();
        let (body, pipeline) = start(reader, limit, BOTH, move |n| told.lock().unwrap().push(n));
        let mut sent = Vec::new();
        let mut body = Box::pin(body);
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => sent.extend_from_slice(&chunk),
                Err(_) => break,
            }
        }
        let progress = seen.lock().unwrap().clone();
        (sent, progress, pipeline.finish().await)
    }

    fn check(data: &[u8], sent: &[u8], hashed: &Hashed) {
        assert!(sent == data, "the body differs from the data");
        assert_eq!(hashed.bytes, data.len() as u64);
        assert_eq!(
            hashed.digests,
            [
                ("md5", hex::encode(Md5::digest(data))),
                ("sha512", hex::encode(Sha512::digest(data)))
            ]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_is_sent_whole_and_hashed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.raw");
        let data = data();
        std::fs::write(&path, &data).unwrap();
        let file = File::open(&path).unwrap();
        let (sent, progress, hashed) = send_all(Reader::File(file), None).await;
        check(&data, &sent, &hashed.unwrap());
        assert_eq!(progress.last(), Some(&(data.len() as u64)));
        assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_longer_than_announced_is_sent_only_as_far_as_announced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.raw");
        let data = data();
        std::fs::write(&path, &data).unwrap();
        let announced = CHUNK as u64 + 5;
        let file = File::open(&path).unwrap();
        let (sent, _, hashed) = send_all(Reader::File(file), Some(announced)).await;
        check(&data[..announced as usize], &sent, &hashed.unwrap());
    }

    #[tokio::test]
    async fn a_stream_is_sent_whole_and_hashed_in_order() {
        let data = data();
        let reader = Reader::Stream(Box::new(std::io::Cursor::new(data.clone())));
        let (sent, _, hashed) = send_all(reader, Some(data.len() as u64)).await;
        check(&data, &sent, &hashed.unwrap());
    }

    #[tokio::test]
    async fn an_empty_source_is_an_empty_body_with_the_empty_digests() {
        let reader = Reader::Stream(Box::new(tokio::io::empty()));
        let (sent, progress, hashed) = send_all(reader, None).await;
        check(b"", &sent, &hashed.unwrap());
        assert!(progress.is_empty());
    }

    /// A source that fails after its first bytes.
    struct Failing(bool);

    impl AsyncRead for Failing {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            if self.0 {
                return std::task::Poll::Ready(Err(io::Error::other("disk on fire")));
            }
            self.0 = true;
            buf.put_slice(b"first");
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_read_error_fails_the_body_and_is_reported() {
        let reader = Reader::Stream(Box::new(Failing(false)));
        let (body, pipeline) = start(reader, None, BOTH, |_| {});
        let items: Vec<Chunk> = body.collect().await;
        assert!(matches!(items.last(), Some(Err(e)) if e.to_string() == "disk on fire"));
        assert_eq!(pipeline.read_error().as_deref(), Some("disk on fire"));
        match pipeline.finish().await {
            Err(BodyError::Read(e)) => assert_eq!(e.to_string(), "disk on fire"),
            other => panic!("expected the read error, got {:?}", other.map(|h| h.bytes)),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_body_stops_the_reader_without_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.raw");
        std::fs::write(&path, data()).unwrap();
        let (body, pipeline) = start(Reader::File(File::open(&path).unwrap()), None, BOTH, |_| {});
        let mut body = Box::pin(body);
        body.next().await.unwrap().unwrap();
        drop(body);
        // Hashes of a partial read are of no use, but the threads must all end.
        let hashed = pipeline.finish().await.unwrap();
        assert!(hashed.bytes < data().len() as u64);
    }
}
