//! Image data coming down (`openstack image save`): streamed to a path or any `AsyncWrite`,
//! verified as openstacksdk does (`os_hash_algo`/`os_hash_value`, else md5 against
//! `checksum`/`Content-MD5`). A file is written beside its destination and renamed only
//! once verified, so a corrupt or interrupted download never leaves a file behind.

use std::path::{Path, PathBuf};

use base64::Engine;
use futures::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::digest::Hasher;
use super::model::{Image, ImageId};
use super::{Images, requests};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;

/// A finished download.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Download {
    /// The image, as it was when the download started.
    pub image: Image,
    /// The bytes written.
    pub bytes: u64,
    /// The hash the data was verified with (`sha512`, `md5`...), or `None` when Glance
    /// reported no hash at all.
    pub verified_with: Option<String>,
}

/// The hash to verify with, and the value it must have.
struct Expected {
    algo: String,
    hasher: Hasher,
    value: String,
}

/// `os_hash_value` when its algorithm is one we have; else the md5 `checksum`; else the
/// `Content-MD5` header (hex as Glance sends it, or base64 as HTTP defines it).
fn expected(image: &Image, content_md5: Option<&str>) -> Option<Expected> {
    if let (Some(algo), Some(value)) = (&image.os_hash_algo, &image.os_hash_value)
        && let Some(hasher) = Hasher::new(algo)
    {
        return Some(Expected {
            algo: algo.clone(),
            hasher,
            value: value.to_ascii_lowercase(),
        });
    }
    let md5 = image.checksum.clone().or_else(|| {
        let header = content_md5?.trim();
        if header.len() == 32 && header.chars().all(|c| c.is_ascii_hexdigit()) {
            Some(header.to_owned())
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(header)
                .ok()
                .map(hex::encode)
        }
    })?;
    Some(Expected {
        algo: "md5".into(),
        hasher: Hasher::new("md5").expect("md5 is always there"),
        value: md5.to_ascii_lowercase(),
    })
}

/// Removes a temporary file unless it was kept (renamed into place): on error and on
/// cancellation alike.
struct TempFile {
    path: Option<PathBuf>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Images {
    /// Downloads an image's data into the file at `path`, verified. The data goes to a
    /// temporary file in the same directory, renamed to `path` once verified; on any
    /// failure (an [`ErrorKind::Integrity`] mismatch included) it is removed.
    pub async fn download_to_path(
        &self,
        id: impl Into<ImageId>,
        path: impl AsRef<Path>,
    ) -> Result<Download> {
        let path = path.as_ref();
        let name = path.file_name().ok_or_else(|| {
            Error::invalid_input(format!(
                "image download: {} is not a file path",
                path.display()
            ))
        })?;
        let temp_path = path.with_file_name(format!(
            ".{}.{:016x}.part",
            name.to_string_lossy(),
            rand::random::<u64>()
        ));
        let io = |what: &str, p: &Path, e: std::io::Error| {
            Error::new(ErrorKind::Io, format!("{what} {}: {e}", p.display()))
        };
        let mut file = tokio::fs::File::create(&temp_path)
            .await
            .map_err(|e| io("creating", &temp_path, e))?;
        let mut temp = TempFile {
            path: Some(temp_path.clone()),
        };
        let download = self
            .download_to_writer(id, &mut file)
            .await
            .map_err(|err| err.context(format!("{} was not written", path.display())))?;
        file.sync_all()
            .await
            .map_err(|e| io("writing", &temp_path, e))?;
        drop(file);
        tokio::fs::rename(&temp_path, path)
            .await
            .map_err(|e| io("renaming the download to", path, e))?;
        temp.path = None;
        Ok(download)
    }

    /// Downloads an image's data into `writer`, verified at the end. On a mismatch the
    /// data has been written already: the error ([`ErrorKind::Integrity`]) says not to
    /// trust it.
    pub async fn download_to_writer<W: AsyncWrite + Unpin>(
        &self,
        id: impl Into<ImageId>,
        writer: &mut W,
    ) -> Result<Download> {
        let image = self.get(id).await?;
        let response = self.session.send(requests::download(&image.id)).await?;
        if response.status() == 204 {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "image {} has no data (status {})",
                    image.label(),
                    image.status
                ),
            )
            .with_service(ServiceType::Image)
            .with_status(204)
            .with_request_id(response.request_id().map(str::to_owned)));
        }
        let request_id = response.request_id().map(str::to_owned);
        let mut expected = expected(&image, response.header("content-md5"));
        let mut bytes = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                Error::transport(format!(
                    "reading the data of image {} failed after {bytes} bytes",
                    image.label()
                ))
                .with_service(ServiceType::Image)
                .with_request_id(request_id.clone())
                .with_source(e)
            })?;
            if let Some(expected) = &mut expected {
                expected.hasher.update(&chunk);
            }
            bytes += chunk.len() as u64;
            writer
                .write_all(&chunk)
                .await
                .map_err(|e| Error::new(ErrorKind::Io, format!("writing image data: {e}")))?;
        }
        writer
            .flush()
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("writing image data: {e}")))?;
        let verified_with = match expected {
            None => {
                tracing::warn!(image = %image.id, "Glance reported no hash; download not verified");
                None
            }
            Some(expected) => {
                let got = expected.hasher.finish();
                if got != expected.value {
                    return Err(Error::new(
                        ErrorKind::Integrity,
                        format!(
                            "the data of image {} does not match its {}: Glance reports {}, \
                             the {bytes} bytes received hash to {got}",
                            image.label(),
                            expected.algo,
                            expected.value
                        ),
                    )
                    .with_service(ServiceType::Image)
                    .with_request_id(request_id));
                }
                Some(expected.algo)
            }
        };
        Ok(Download {
            image,
            bytes,
            verified_with,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(value: serde_json::Value) -> Image {
        let mut doc = serde_json::json!({"id": "i", "status": "active"});
        doc.as_object_mut()
            .unwrap()
            .extend(value.as_object().unwrap().clone());
        serde_json::from_value(doc).unwrap()
    }

    #[test]
    fn the_strongest_reported_hash_is_chosen() {
        use md5::{Digest, Md5};
        let both = image(serde_json::json!({
            "checksum": "AA", "os_hash_algo": "sha512", "os_hash_value": "BB"
        }));
        let e = expected(&both, None).unwrap();
        assert_eq!((e.algo.as_str(), e.value.as_str()), ("sha512", "bb"));
        let unknown_algo = image(serde_json::json!({
            "checksum": "aa", "os_hash_algo": "blake9", "os_hash_value": "bb"
        }));
        assert_eq!(expected(&unknown_algo, None).unwrap().algo, "md5");
        let none = image(serde_json::json!({}));
        assert!(expected(&none, None).is_none());
        let md5 = hex::encode(Md5::digest(b"x"));
        assert_eq!(expected(&none, Some(&md5)).unwrap().value, md5);
        let b64 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(b"x"));
        assert_eq!(expected(&none, Some(&b64)).unwrap().value, md5);
    }
}
