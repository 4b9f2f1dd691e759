//! The `limit` of Glance's and Nova's lists, read as they read it: Python's `int()`, then
//! capped at the service's maximum. Python's integers have no size, so a limit past every
//! machine integer is no error: it is just more than the maximum.

/// The limit `text` asks for, capped at `max`; Glance's and Nova's words when it is no
/// integer or is negative.
pub(crate) fn parse_limit(text: &str, max: usize) -> Result<usize, &'static str> {
    const NOT_AN_INTEGER: &str = "limit param must be an integer";
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // Digits, with single underscores between them (`1_000`), as int() takes them.
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(NOT_AN_INTEGER);
    }
    let zero = digits.bytes().all(|b| b == b'0' || b == b'_');
    if negative && !zero {
        return Err("limit param must be positive");
    }
    let value = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .try_fold(0usize, |n, d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        });
    Ok(value.map_or(max, |n| n.min(max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_python_reads_them() {
        assert_eq!(parse_limit("25", 1000), Ok(25));
        assert_eq!(parse_limit(" 7 ", 1000), Ok(7));
        assert_eq!(parse_limit("+3", 1000), Ok(3));
        assert_eq!(parse_limit("1_000_000", 1000), Ok(1000));
        assert_eq!(parse_limit("99999999999999999999999", 1000), Ok(1000));
        assert_eq!(parse_limit("-0", 1000), Ok(0));
        assert_eq!(parse_limit("-1", 1000), Err("limit param must be positive"));
        for bad in ["", "x", "1.5", "1__0", "_1", "1_", "0x10", "--1"] {
            assert_eq!(
                parse_limit(bad, 1000),
                Err("limit param must be an integer"),
                "{bad}"
            );
        }
    }
}
