//! What an upload sent, and the check of what Glance reports against it.
//!
//! Only the digest that Glance will report is computed on the way: `os_hash_value` in
//! sha512, its default `os_hash_algo`. Size and sha512 together say more than the md5
//! `checksum` could, and md5 beside sha512 would cost about 40 % more CPU on the client for
//! nothing (on two cores, that is time taken from the cloud's own hashing). When Glance
//! reports another algorithm (its operator chose one), or only md5 (before multihash), a
//! file is read once more and hashed in that algorithm after the upload. A stream cannot be
//! read again, so it is hashed in md5 and sha512 both on the way.

use std::path::PathBuf;

use crate::error::{Error, ErrorKind, Result};
use crate::image::digest::{self, GLANCE_DEFAULT, Hasher};
use crate::image::model::Image;
use crate::request::ServiceType;

/// What was sent: its length, its digests, and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sent {
    pub(crate) bytes: u64,
    /// Algorithm and lowercase hex digest, for each computed.
    pub(crate) digests: Vec<(String, String)>,
    /// The file the data was read from, to hash again in an algorithm not computed on the
    /// way; `None` for a stream.
    pub(crate) file: Option<PathBuf>,
}

/// The digests to compute on the way, for a file (`true`) or a stream.
pub(crate) fn on_the_way(from_file: bool) -> &'static [&'static str] {
    if from_file {
        &[GLANCE_DEFAULT]
    } else {
        &["md5", GLANCE_DEFAULT]
    }
}

impl Sent {
    fn digest(&self, algo: &str) -> Option<&str> {
        self.digests
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(algo))
            .map(|(_, d)| d.as_str())
    }

    /// `N bytes, sha512 HEX`: for messages about data that arrived.
    pub(crate) fn summary(&self) -> String {
        let digests: Vec<String> = self
            .digests
            .iter()
            .map(|(a, d)| format!("{a} {d}"))
            .collect();
        match digests.is_empty() {
            true => format!("{} bytes", self.bytes),
            false => format!("{} bytes, {}", self.bytes, digests.join(", ")),
        }
    }
}

/// The algorithm Glance's report of `image` is to be checked in that `sent` lacks: its
/// `os_hash_algo` when we have that algorithm, else md5 for a `checksum` alone.
fn missing(image: &Image, sent: &Sent) -> Option<String> {
    let wanted = match (&image.os_hash_algo, &image.os_hash_value) {
        (Some(algo), Some(_)) if Hasher::new(algo).is_some() => algo.to_ascii_lowercase(),
        _ if image.checksum.is_some() => "md5".to_owned(),
        _ => return None,
    };
    sent.digest(&wanted).is_none().then_some(wanted)
}

/// Checks what Glance reports of `image` against `sent`, first hashing the file again in
/// the algorithm Glance reports if it was not computed on the way.
pub(crate) async fn check(image: &Image, sent: &Sent) -> Result<()> {
    let Some(algo) = missing(image, sent) else {
        return compare(image, sent);
    };
    let Some(file) = sent.file.clone() else {
        return compare(image, sent);
    };
    let label = file.display().to_string();
    let bytes = sent.bytes;
    let wanted = algo.clone();
    let hashed = tokio::task::spawn_blocking(move || digest::of_file(&file, &wanted, bytes))
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("hashing {label}: {e}")))?;
    let digest = match hashed {
        Ok(Some(digest)) => digest,
        Ok(None) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "checking the upload: {label} is shorter now than the {bytes} bytes sent, \
                     so it changed during the upload"
                ),
            ));
        }
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("checking the upload: hashing {label} in {algo}: {e}"),
            ));
        }
    };
    tracing::debug!(%algo, file = %label, "Glance reports a digest not computed on the way; hashed the file again");
    let mut sent = sent.clone();
    sent.digests.push((algo, digest));
    compare(image, &sent)
}

/// Compares what Glance reports with what was sent: the size, and each digest Glance
/// reports that was computed (`os_hash_value`, the md5 `checksum`).
pub(crate) fn compare(image: &Image, sent: &Sent) -> Result<()> {
    let mut mismatches = Vec::new();
    if let Some(size) = image.size.filter(|s| *s != sent.bytes) {
        mismatches.push(format!("size {size} bytes, but {} were sent", sent.bytes));
    }
    let mut reported = Vec::new();
    if let (Some(algo), Some(value)) = (&image.os_hash_algo, &image.os_hash_value) {
        reported.push((algo.as_str(), value.as_str()));
    }
    if let Some(md5) = &image.checksum
        && !image
            .os_hash_algo
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("md5"))
    {
        reported.push(("md5", md5.as_str()));
    }
    let mut compared = 0;
    for (algo, value) in reported {
        let Some(ours) = sent.digest(algo) else {
            continue;
        };
        compared += 1;
        if !value.eq_ignore_ascii_case(ours) {
            mismatches.push(format!("{algo} {value}, but the data sent has {ours}"));
        }
    }
    if !mismatches.is_empty() {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!("Glance reports {}", mismatches.join("; ")),
        )
        .with_service(ServiceType::Image));
    }
    if compared == 0 {
        tracing::warn!(image = %image.id, "Glance reports no digest we can check; only the size was verified");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(size: u64, md5: &str, algo: &str, value: &str) -> Image {
        serde_json::from_value(serde_json::json!({
            "id": "i", "status": "active", "size": size, "checksum": md5,
            "os_hash_algo": algo, "os_hash_value": value
        }))
        .unwrap()
    }

    fn hex_of(algo: &str, data: &[u8]) -> String {
        let mut h = Hasher::new(algo).unwrap();
        h.update(data);
        h.finish()
    }

    fn sent(algos: &[&str], file: Option<PathBuf>) -> Sent {
        Sent {
            bytes: 3,
            digests: algos
                .iter()
                .map(|a| (a.to_string(), hex_of(a, b"abc")))
                .collect(),
            file,
        }
    }

    #[test]
    fn a_file_is_hashed_on_the_way_only_in_what_glance_reports_by_default() {
        assert_eq!(on_the_way(true), ["sha512"]);
        assert_eq!(on_the_way(false), ["md5", "sha512"]);
    }

    #[test]
    fn matching_digests_pass_and_each_mismatch_is_named() {
        let s = sent(&["md5", "sha512"], None);
        let (md5, sha512) = (hex_of("md5", b"abc"), hex_of("sha512", b"abc"));
        compare(&image(3, &md5, "sha512", &sha512), &s).unwrap();
        compare(&image(3, &md5.to_uppercase(), "sha512", &sha512), &s).unwrap();
        let err = compare(&image(4, "00", "sha512", &sha512), &s).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Integrity);
        assert!(
            err.message().contains("size 4 bytes, but 3 were sent"),
            "{err}"
        );
        assert!(err.message().contains("md5 00, but"), "{err}");
        assert!(!err.message().contains("sha512"), "{err}");
        let err = compare(&image(3, &md5, "sha512", "ab"), &s).unwrap_err();
        assert!(
            err.message()
                .contains("sha512 ab, but the data sent has ddaf"),
            "{err}"
        );
    }

    #[test]
    fn sha512_alone_is_checked_when_md5_was_not_computed() {
        let s = sent(&["sha512"], None);
        let sha512 = hex_of("sha512", b"abc");
        // A wrong md5 is not ours to judge without its digest; sha512 and size are.
        compare(&image(3, "00", "sha512", &sha512), &s).unwrap();
        assert!(compare(&image(3, "00", "sha512", "00"), &s).is_err());
        assert_eq!(missing(&image(3, "00", "sha512", &sha512), &s), None);
    }

    #[tokio::test]
    async fn another_algorithm_is_hashed_again_from_the_file_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.raw");
        std::fs::write(&path, b"abc").unwrap();
        let s = sent(&["sha512"], Some(path.clone()));
        let sha256 = hex_of("sha256", b"abc");
        let md5 = hex_of("md5", b"abc");
        check(&image(3, &md5, "sha256", &sha256), &s).await.unwrap();
        let err = check(&image(3, &md5, "sha256", "00"), &s)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Integrity);
        assert!(err.message().contains("sha256 00, but"), "{err}");
        // Glance before multihash reports md5 only: the file is hashed in md5.
        let old: Image = serde_json::from_value(serde_json::json!({
            "id": "i", "status": "active", "size": 3, "checksum": "00"
        }))
        .unwrap();
        assert!(
            check(&old, &s)
                .await
                .unwrap_err()
                .message()
                .contains("md5 00, but")
        );
        // A file that shrank since cannot be checked, and says why.
        std::fs::write(&path, b"a").unwrap();
        let err = check(&image(3, &md5, "sha256", &sha256), &s)
            .await
            .unwrap_err();
        assert!(err.message().contains("changed during the upload"), "{err}");
    }

    #[test]
    fn the_summary_names_the_bytes_and_digests() {
        let s = sent(&["sha512"], None);
        assert!(
            s.summary().starts_with("3 bytes, sha512 ddaf35a1"),
            "{}",
            s.summary()
        );
    }
}
