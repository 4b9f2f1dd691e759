//! The upload format gate (Glance since CVE-2024-32498, WIRE.md "Format inspection"): the
//! stream is inspected on its way to storage with `ferrostack-format-inspector`, and at the
//! end Glance's decision table says whether the bytes may be stored.

use ferrostack_format_inspector::{StreamInspector, Verdict, decide};

use super::image::media_type_refused;
use crate::errors::ApiError;

/// Watches an upload and decides, at the end, whether Glance would store it.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    inspector: StreamInspector,
}

/// What the gate found in an accepted stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// The disk's virtual size, when Glance records one.
    pub(crate) virtual_size: Option<u64>,
}

impl Gate {
    /// A gate that has seen nothing yet.
    pub(crate) fn new() -> Gate {
        Gate::default()
    }

    /// Sees the next chunk of the stream (the inspector keeps only bounded regions).
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        self.inspector.feed(chunk);
    }

    /// Glance's decision for a stream declared `disk_format` in `container_format`: the 415s
    /// "Image disk_format X does not match stream data Y" and "Image failed safety checks".
    pub(crate) fn verdict(
        self,
        disk_format: &str,
        container_format: &str,
    ) -> Result<Accepted, ApiError> {
        let inspection = self.inspector.finish();
        match decide(disk_format, container_format, &inspection) {
            Verdict::Accept { virtual_size, .. } => Ok(Accepted { virtual_size }),
            Verdict::Refuse(refusal) => {
                tracing::info!(%refusal, disk_format, container_format, "upload refused by the format gate");
                Err(media_type_refused(
                    "application/octet-stream",
                    &refusal.glance_message(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qcow2(backing_offset: u64) -> Vec<u8> {
        let mut h = vec![0u8; 4096];
        h[0..4].copy_from_slice(b"QFI\xfb");
        h[4..8].copy_from_slice(&3u32.to_be_bytes());
        h[8..16].copy_from_slice(&backing_offset.to_be_bytes());
        h[16..20].copy_from_slice(&(if backing_offset > 0 { 11u32 } else { 0 }).to_be_bytes());
        h[20..24].copy_from_slice(&16u32.to_be_bytes());
        h[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        h[100..104].copy_from_slice(&104u32.to_be_bytes());
        if backing_offset > 0 {
            h[512..523].copy_from_slice(b"/etc/passwd");
        }
        h
    }

    fn verdict(bytes: &[u8], disk: &str) -> Result<Accepted, String> {
        let mut gate = Gate::new();
        for chunk in bytes.chunks(1000) {
            gate.feed(chunk);
        }
        gate.verdict(disk, "bare").map_err(|e| {
            assert_eq!(e.status, axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
            let prefix = "The request media type application/octet-stream is not supported by \
                          this server.\n<br /><br />\n";
            e.message
                .strip_prefix(prefix)
                .expect("WebOb's 415 wording")
                .to_owned()
        })
    }

    #[test]
    fn glance_decisions_become_415s() {
        assert_eq!(
            verdict(&qcow2(0), "qcow2").unwrap().virtual_size,
            Some(1 << 30)
        );
        assert_eq!(
            verdict(&[7u8; 4096], "qcow2").unwrap_err(),
            "Image disk_format qcow2 does not match stream data raw"
        );
        assert_eq!(
            verdict(&qcow2(512), "qcow2").unwrap_err(),
            "Image failed safety checks"
        );
        assert!(verdict(&qcow2(0), "raw").is_ok());
        assert!(verdict(b"kernel", "aki").is_ok());
    }
}
