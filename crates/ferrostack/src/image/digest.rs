//! The digests Glance reports for image data: the md5 `checksum`, and `os_hash_value` in
//! the operator's `os_hash_algo` (`sha512` unless configured otherwise), each computed with
//! the fastest implementation at hand. Uploads and downloads both verify with them.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

/// The algorithm Glance reports as `os_hash_algo` unless its operator chose another.
pub(crate) const GLANCE_DEFAULT: &str = "sha512";

/// One running digest.
pub(crate) enum Hasher {
    Md5(Md5),
    // sha256, sha384 and sha512 with ring (BoringSSL's assembly): sha512 about a third
    // faster than sha2's here, and sha512 is what costs most in an upload.
    Ring(ring::digest::Context),
    Sha224(sha2::Sha224),
}

impl Hasher {
    /// A digest in `algo`, as Glance names it (`md5`, `sha224`, `sha256`, `sha384`,
    /// `sha512`); `None` for one we do not have.
    pub(crate) fn new(algo: &str) -> Option<Self> {
        use ring::digest::{Context, SHA256, SHA384, SHA512};
        Some(match algo.to_ascii_lowercase().as_str() {
            "md5" => Self::Md5(Md5::new()),
            "sha224" => Self::Sha224(sha2::Sha224::new()),
            "sha256" => Self::Ring(Context::new(&SHA256)),
            "sha384" => Self::Ring(Context::new(&SHA384)),
            "sha512" => Self::Ring(Context::new(&SHA512)),
            _ => return None,
        })
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::Md5(h) => h.update(data),
            Self::Ring(h) => h.update(data),
            Self::Sha224(h) => h.update(data),
        }
    }

    /// The digest, lowercase hex.
    pub(crate) fn finish(self) -> String {
        match self {
            Self::Md5(h) => hex::encode(h.finalize()),
            Self::Ring(h) => hex::encode(h.finish()),
            Self::Sha224(h) => hex::encode(h.finalize()),
        }
    }
}

/// The `algo` digest of the first `bytes` bytes of the file at `path` (blocking), or
/// `Ok(None)` when the file is shorter than that now.
pub(crate) fn of_file(path: &Path, algo: &str, bytes: u64) -> io::Result<Option<String>> {
    let mut hasher = Hasher::new(algo).ok_or_else(|| {
        io::Error::new(io::ErrorKind::Unsupported, format!("no {algo} digest here"))
    })?;
    let mut file = File::open(path)?.take(bytes);
    let mut buf = vec![0; 1 << 20];
    let mut read = 0u64;
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => {
                hasher.update(&buf[..n]);
                read += n as u64;
            }
        }
    }
    Ok((read == bytes).then(|| hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(algo: &str, data: &[u8]) -> String {
        let mut h = Hasher::new(algo).unwrap();
        h.update(data);
        h.finish()
    }

    #[test]
    fn every_algorithm_glance_names_that_we_have_gives_the_known_digest() {
        assert_eq!(hex_of("md5", b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex_of("SHA256", b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex_of("sha224", b"abc"),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert!(hex_of("sha512", b"abc").starts_with("ddaf35a193617aba"));
        assert!(hex_of("sha384", b"abc").starts_with("cb00753f45a35e8b"));
        assert!(Hasher::new("blake9").is_none());
    }

    #[test]
    fn a_file_is_hashed_only_as_far_as_asked_and_a_shorter_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d");
        std::fs::write(&path, b"abcdef").unwrap();
        assert_eq!(
            of_file(&path, "md5", 3).unwrap().unwrap(),
            hex_of("md5", b"abc")
        );
        assert_eq!(of_file(&path, "md5", 7).unwrap(), None);
        assert!(of_file(&path, "blake9", 3).is_err());
    }
}
