//! Following the serial log qemu's console is written to, line by line, exactly once each.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;

/// Reads what was appended to the serial log since the last call.
pub struct ConsoleTail {
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
    /// Set once stdout is gone (`| head`): the boot goes on, the printing stops.
    stdout_closed: bool,
}

impl ConsoleTail {
    /// Follows `path` from its start (it may not exist yet).
    pub fn new(path: PathBuf) -> Self {
        ConsoleTail {
            path,
            offset: 0,
            pending: Vec::new(),
            stdout_closed: false,
        }
    }

    /// The complete lines written since the last call, without their `\r\n`; with `last`,
    /// also an unterminated final line.
    pub fn new_lines(&mut self, last: bool) -> Vec<String> {
        if let Ok(mut file) = std::fs::File::open(&self.path)
            && file.seek(SeekFrom::Start(self.offset)).is_ok()
        {
            let mut chunk = Vec::new();
            if let Ok(read) = file.read_to_end(&mut chunk) {
                self.offset += read as u64;
                self.pending.extend_from_slice(&chunk);
            }
        }
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(clean(&raw));
        }
        if last && !self.pending.is_empty() {
            lines.push(clean(&std::mem::take(&mut self.pending)));
        }
        lines
    }

    /// Prints lines on stdout as they came.
    pub fn print(&mut self, lines: &[String]) {
        if self.stdout_closed || lines.is_empty() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let written = lines
            .iter()
            .try_for_each(|line| writeln!(stdout, "{line}"))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            self.stdout_closed = true;
        }
    }
}

fn clean(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_end_matches(['\n', '\r'])
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_comes_once_and_partial_lines_wait() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serial.log");
        let mut tail = ConsoleTail::new(log.clone());
        assert!(tail.new_lines(false).is_empty(), "no file yet");
        std::fs::write(&log, b"Linux version 6.1\r\nSMOKE-BO").unwrap();
        assert_eq!(tail.new_lines(false), ["Linux version 6.1"]);
        let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        file.write_all(b"OT-OK abc\r\n\r\nlogin: ").unwrap();
        assert_eq!(tail.new_lines(false), ["SMOKE-BOOT-OK abc", ""]);
        assert_eq!(tail.new_lines(true), ["login: "]);
        assert!(tail.new_lines(true).is_empty());
    }
}
