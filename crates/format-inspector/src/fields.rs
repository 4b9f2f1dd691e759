//! Reading fixed-width header fields out of captured bytes without ever panicking:
//! every accessor returns `None` when the field lies beyond what was captured.

/// Big-endian `u16` at `at`.
pub(crate) fn be_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(array(data, at)?))
}

/// Big-endian `u32` at `at`.
pub(crate) fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(array(data, at)?))
}

/// Big-endian `u64` at `at`.
pub(crate) fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(array(data, at)?))
}

/// Little-endian `u16` at `at`.
pub(crate) fn le_u16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(array(data, at)?))
}

/// Little-endian `u32` at `at`.
pub(crate) fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(array(data, at)?))
}

/// Little-endian `u64` at `at`.
pub(crate) fn le_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(array(data, at)?))
}

/// `N` bytes at `at`, if all of them were captured.
pub(crate) fn array<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The longest text taken from an image and shown to a person (a file name, a line).
const SHOWN_MAX: usize = 200;

/// Renders bytes taken from an image for an error message: printable ASCII as is,
/// anything else escaped, and at most [`SHOWN_MAX`] bytes, so a hostile file can neither
/// flood a log nor smuggle control characters into a terminal.
pub(crate) fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(SHOWN_MAX) {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > SHOWN_MAX {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_past_the_end_are_none() {
        let data = [1, 2, 3, 4];
        assert_eq!(be_u32(&data, 0), Some(0x0102_0304));
        assert_eq!(le_u16(&data, 2), Some(0x0403));
        assert_eq!(be_u32(&data, 1), None);
        assert_eq!(le_u64(&data, usize::MAX), None);
    }

    #[test]
    fn shown_escapes_and_caps() {
        assert_eq!(shown(b"/etc/passwd"), "/etc/passwd");
        assert_eq!(shown(b"a\nb\x1b"), "a\\x0ab\\x1b");
        let long = vec![b'a'; 500];
        assert_eq!(shown(&long).len(), SHOWN_MAX + 3);
    }
}
