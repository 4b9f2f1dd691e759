//! The serial console: every byte to a log file, every line to a history and a broadcast.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};

/// What readers share with the task that reads qemu's serial output.
#[derive(Debug)]
pub(crate) struct Console {
    lines: Mutex<Vec<String>>,
    /// Bumped on every new line; `closed` once the output ended.
    progress: watch::Sender<Progress>,
    stream: broadcast::Sender<String>,
}

/// How far the console has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    pub(crate) lines: usize,
    pub(crate) closed: bool,
}

impl Console {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Console {
            lines: Mutex::new(Vec::new()),
            progress: watch::Sender::new(Progress::default()),
            stream: broadcast::Sender::new(1024),
        })
    }

    /// Reads `output` to its end, appending raw bytes to `log` and publishing each line
    /// (without its `\r\n`).
    pub(crate) async fn pump(self: Arc<Self>, mut output: impl AsyncRead + Unpin, log: PathBuf) {
        let mut file = match tokio::fs::File::create(&log).await {
            Ok(file) => Some(file),
            Err(err) => {
                tracing::warn!(path = %log.display(), %err, "cannot write the serial log");
                None
            }
        };
        let mut pending = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            let read = match output.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            let chunk = &buffer[..read];
            if let Some(file) = file.as_mut() {
                // Flushed per chunk so that the log is readable while the guest runs.
                let _ = file.write_all(chunk).await;
                let _ = file.flush().await;
            }
            pending.extend_from_slice(chunk);
            while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                self.publish(&line);
            }
        }
        if !pending.is_empty() {
            self.publish(&pending);
        }
        self.progress.send_modify(|progress| progress.closed = true);
    }

    fn publish(&self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let line = text.trim_end_matches(['\n', '\r']).to_owned();
        let count = {
            let mut lines = self
                .lines
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            lines.push(line.clone());
            lines.len()
        };
        // Nobody listening is fine: the history keeps every line.
        let _ = self.stream.send(line);
        self.progress.send_modify(|progress| progress.lines = count);
    }

    /// Lines from index `from` on.
    pub(crate) fn lines_since(&self, from: usize) -> Vec<String> {
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        lines
            .get(from..)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    /// The last `count` lines, joined.
    pub(crate) fn tail(&self, count: usize) -> String {
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let start = lines.len().saturating_sub(count);
        lines[start..].join("\n")
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<String> {
        self.stream.subscribe()
    }

    pub(crate) fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_split_on_crlf_logged_raw_and_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serial.log");
        let console = Console::new();
        let mut stream = console.subscribe();
        let input: &[u8] = b"Linux version 6.1\r\nSMOKE-BOOT-OK abc\r\npartial";
        console.clone().pump(input, log.clone()).await;
        assert_eq!(
            console.lines_since(0),
            ["Linux version 6.1", "SMOKE-BOOT-OK abc", "partial"]
        );
        assert_eq!(console.lines_since(2), ["partial"]);
        assert_eq!(stream.recv().await.unwrap(), "Linux version 6.1");
        assert_eq!(std::fs::read(&log).unwrap(), input);
        assert!(console.watch().borrow().closed);
        assert_eq!(console.tail(2), "SMOKE-BOOT-OK abc\npartial");
    }
}
