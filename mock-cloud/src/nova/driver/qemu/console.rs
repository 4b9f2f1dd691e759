//! The server's console output, as Nova's libvirt driver serves it: the serial log of every
//! run of the machine (a reboot or a start appends a new run), the last 100 KiB at most,
//! control characters removed, the last `length` lines when asked.

use std::path::{Path, PathBuf};

use crate::nova::driver::tail_lines;

/// Nova's libvirt driver returns at most this much of the log (`MAX_CONSOLE_BYTES`).
pub(crate) const MAX_CONSOLE_BYTES: usize = 100 * 1024;

/// The serial log of run `run` (0 for the first boot) in the machine's folder.
pub(crate) fn serial_log(dir: &Path, run: u32) -> PathBuf {
    dir.join(format!("serial-{run}.log"))
}

/// Reads the serial logs of runs `0..runs` (a run that never got a log is skipped) and
/// returns the console output.
pub(crate) async fn read(dir: &Path, runs: u32, length: Option<usize>) -> String {
    let mut log = Vec::new();
    for run in 0..runs {
        if let Ok(bytes) = tokio::fs::read(serial_log(dir, run)).await {
            log.extend_from_slice(&bytes);
        }
    }
    output(&log, length)
}

/// The console output of the raw serial bytes `log`.
pub(crate) fn output(log: &[u8], length: Option<usize>) -> String {
    let kept = &log[log.len().saturating_sub(MAX_CONSOLE_BYTES)..];
    let text = String::from_utf8_lossy(kept);
    // What Nova's API removes (`[\x00-\x08\x0B-\x1F]`): serial lines end in \r\n, and the
    // guest may send escape sequences; tabs and newlines stay.
    let clean: String = text
        .chars()
        .filter(|c| !matches!(*c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}'))
        .collect();
    tail_lines(&clean, length)
}

/// Whether a console line is the kernel saying it panicked.
pub(crate) fn is_panic(line: &str) -> bool {
    line.contains("Kernel panic - not syncing")
}

/// What the kernel says in its panic line, after `Kernel panic - not syncing:` (and without
/// its timestamp).
pub(crate) fn panic_reason(line: &str) -> &str {
    let after = line
        .split_once("Kernel panic - not syncing")
        .map_or(line, |(_, rest)| rest);
    after.trim_start_matches(':').trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_drops_carriage_returns_and_escapes_and_keeps_the_tail() {
        let log = b"Linux version 6.1\r\n\x1b[0mSMOKE-BOOT-OK abc\r\n\tindented\r\n";
        assert_eq!(
            output(log, None),
            "Linux version 6.1\n[0mSMOKE-BOOT-OK abc\n\tindented\n"
        );
        assert_eq!(output(log, Some(1)), "\tindented\n");
        assert_eq!(output(b"", Some(5)), "");
    }

    #[test]
    fn output_is_capped_at_nova_s_maximum() {
        let mut log = b"first line\n".to_vec();
        log.extend(std::iter::repeat_n(b'x', MAX_CONSOLE_BYTES));
        let out = output(&log, None);
        assert_eq!(out.len(), MAX_CONSOLE_BYTES);
        assert!(!out.contains("first"));
    }

    #[tokio::test]
    async fn runs_are_read_in_order_and_missing_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(serial_log(dir.path(), 0), "boot one\r\n").unwrap();
        std::fs::write(serial_log(dir.path(), 2), "boot three\r\n").unwrap();
        assert_eq!(read(dir.path(), 3, None).await, "boot one\nboot three\n");
        assert_eq!(read(dir.path(), 3, Some(1)).await, "boot three\n");
        assert_eq!(read(dir.path(), 0, None).await, "");
    }

    #[test]
    fn panics_are_recognised_and_stripped_of_their_timestamp() {
        let line = "[    1.520000] Kernel panic - not syncing: No working init found.";
        assert!(is_panic(line));
        assert!(!is_panic("SMOKE-BOOT-OK abc"));
        assert_eq!(panic_reason(line), "No working init found.");
        assert_eq!(panic_reason("Kernel panic - not syncing: x "), "x");
    }
}
