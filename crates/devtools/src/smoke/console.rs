//! Reading a guest's serial console: did it print the run's marker, did it say it failed,
//! and its last lines for an error message.

/// What a console log says about a boot so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The marker is there, on a line of its own: the guest booted.
    Booted,
    /// The guest or its kernel said the boot failed (the line that says so).
    Failed(String),
    /// Neither yet.
    Pending,
}

/// Lines that prove a boot failed, whatever comes later: the tiny image's own failure line
/// and a kernel panic (`panic=-1` makes qemu exit right after it, without a marker).
const FAILURE_SIGNS: &[&str] = &["SMOKE-BOOT-FAIL", "Kernel panic"];

/// Reads `console` for `marker` (`SMOKE-BOOT-OK <token>`).
///
/// Only a whole line counts: without `quiet` the kernel echoes its command line, token
/// included, and a marker of another run (another token) must not pass. Serial lines end in
/// `\r\n`.
pub fn verdict(console: &str, marker: &str) -> Verdict {
    let mut failure = None;
    for line in console.lines() {
        let line = line.trim();
        if line == marker {
            return Verdict::Booted;
        }
        if failure.is_none() && FAILURE_SIGNS.iter().any(|sign| line.contains(sign)) {
            failure = Some(line.to_owned());
        }
    }
    failure.map_or(Verdict::Pending, Verdict::Failed)
}

/// The last `lines` lines of `console`, carriage returns removed, for an error message.
pub fn tail(console: &str, lines: usize) -> String {
    let all: Vec<&str> = console
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "SMOKE-BOOT-OK 0123abcd0123abcd";

    #[test]
    fn the_marker_counts_only_as_a_whole_line() {
        let booted = "[    0.0] Linux version 6.1\r\nSMOKE-BOOT-OK 0123abcd0123abcd\r\n";
        assert_eq!(verdict(booted, MARKER), Verdict::Booted);
        // The kernel echoing its command line, and another run's marker, prove nothing.
        let echoed = "Kernel command line: console=ttyS0 smoke_token=0123abcd0123abcd\r\n\
                      SMOKE-BOOT-OK ffffffffffffffff\r\n\
                      SMOKE-BOOT-OK 0123abcd0123abcd-and-more\r\n";
        assert_eq!(verdict(echoed, MARKER), Verdict::Pending);
        assert_eq!(verdict("", MARKER), Verdict::Pending);
    }

    #[test]
    fn a_panic_or_the_images_failure_line_is_a_failed_boot() {
        let panic = "[    1.2] Kernel panic - not syncing: No working init found.\r\n";
        assert_eq!(
            verdict(panic, MARKER),
            Verdict::Failed("[    1.2] Kernel panic - not syncing: No working init found.".into())
        );
        let no_root = "SMOKE-BOOT-FAIL cannot mount root /dev/vda\r\n";
        assert_eq!(
            verdict(no_root, MARKER),
            Verdict::Failed("SMOKE-BOOT-FAIL cannot mount root /dev/vda".into())
        );
    }

    #[test]
    fn the_tail_is_the_last_lines_without_carriage_returns() {
        assert_eq!(tail("a\r\nb\r\nc\r\n", 2), "b\nc");
        assert_eq!(tail("a\r\nb", 10), "a\nb");
        assert_eq!(tail("", 5), "");
    }
}
