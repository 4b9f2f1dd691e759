//! Sizes as qemu-img reads and prints them: `10G`, `512M`, `1.5G` in, `1 GiB` out.

use anyhow::{Result, bail};

const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Parses a size the way qemu-img does: a number, optionally with a fraction, and a suffix
/// `K`, `M`, `G`, `T`, `P`, `E` (powers of 1024; `k` too, and `B` or `iB` after it), or none
/// (bytes). Results are whole bytes.
pub fn parse(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let shift = match suffix {
        "" | "b" | "B" => 0,
        _ => {
            let mut chars = suffix.chars();
            let letter = chars.next().map(|c| c.to_ascii_uppercase());
            let rest = chars.as_str();
            let shift = match letter {
                Some('K') => 10,
                Some('M') => 20,
                Some('G') => 30,
                Some('T') => 40,
                Some('P') => 50,
                Some('E') => 60,
                _ => return Err(invalid()),
            };
            if !matches!(rest, "" | "B" | "iB") {
                return Err(invalid());
            }
            shift
        }
    };
    let bytes = if let Some((whole, fraction)) = number.split_once('.') {
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let bytes = value * f64::from(1u32 << (shift / 2)) * f64::from(1u32 << (shift - shift / 2));
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            bail!("is too large");
        }
        bytes.round() as u64
    } else {
        let value: u64 = number.parse().map_err(|_| invalid())?;
        value
            .checked_mul(1u64 << shift)
            .ok_or_else(|| anyhow::anyhow!("is too large"))?
    };
    Ok(bytes)
}

fn invalid() -> anyhow::Error {
    anyhow::anyhow!(
        "expected a number of bytes with an optional suffix K, M, G, T, P or E (powers of \
         1024), e.g. 10G or 512M"
    )
}

/// What `disk resize` was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeChange {
    /// `20G`.
    To(u64),
    /// `+1G`.
    Grow(u64),
    /// `-512M`.
    Shrink(u64),
}

impl SizeChange {
    /// `SIZE`, `+SIZE` or `-SIZE`.
    pub fn parse(text: &str) -> Result<SizeChange> {
        let text = text.trim();
        Ok(if let Some(rest) = text.strip_prefix('+') {
            SizeChange::Grow(parse(rest)?)
        } else if let Some(rest) = text.strip_prefix('-') {
            SizeChange::Shrink(parse(rest)?)
        } else {
            SizeChange::To(parse(text)?)
        })
    }

    /// The new size of an image of `current` bytes.
    pub fn apply(self, current: u64) -> Result<u64> {
        match self {
            SizeChange::To(bytes) => Ok(bytes),
            SizeChange::Grow(bytes) => current
                .checked_add(bytes)
                .ok_or_else(|| anyhow::anyhow!("the new size is too large")),
            SizeChange::Shrink(bytes) => match current.checked_sub(bytes) {
                Some(0) | None => bail!("cannot shrink it by {bytes} bytes"),
                Some(size) => Ok(size),
            },
        }
    }
}

/// `1 GiB`, `196 KiB`, `1.5 GiB`, `512 B`: three significant digits at most, as qemu-img
/// prints sizes.
pub fn human_size(bytes: u64) -> String {
    let mut unit = 0;
    let mut value = bytes as f64;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let decimals = if unit == 0 || value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    format!("{text} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_qemu_img_reads_them() {
        assert_eq!(parse("1073741824").unwrap(), 1 << 30);
        assert_eq!(parse("10G").unwrap(), 10 << 30);
        assert_eq!(parse("512M").unwrap(), 512 << 20);
        assert_eq!(parse("64k").unwrap(), 64 << 10);
        assert_eq!(parse("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse("1T").unwrap(), 1 << 40);
        assert_eq!(parse("100B").unwrap(), 100);
        for bad in ["", "G", "1X", "1GB2", "ten", "-1G", ".", "1.2.3G", "1 G x"] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("suffix K, M, G"), "{bad:?}: {err}");
        }
        assert!(parse("16E").unwrap_err().to_string().contains("too large"));
    }

    #[test]
    fn resizes_are_absolute_or_relative() {
        assert_eq!(
            SizeChange::parse("+1G").unwrap().apply(1 << 30).unwrap(),
            2 << 30
        );
        assert_eq!(
            SizeChange::parse("-512M").unwrap().apply(1 << 30).unwrap(),
            1 << 29
        );
        assert_eq!(
            SizeChange::parse("20G").unwrap().apply(1).unwrap(),
            20 << 30
        );
        let err = SizeChange::parse("-1G")
            .unwrap()
            .apply(1 << 30)
            .unwrap_err();
        assert!(err.to_string().contains("cannot shrink it"), "{err}");
    }

    #[test]
    fn sizes_print_as_qemu_img_prints_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(200704), "196 KiB");
        assert_eq!(human_size(1 << 30), "1 GiB");
        assert_eq!(human_size(3 << 29), "1.5 GiB");
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(1_100_000), "1.05 MiB");
        assert_eq!(human_size(12_345_678), "11.8 MiB");
    }
}
