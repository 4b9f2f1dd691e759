//! Where image bytes and metadata live: a directory (the state directory's `glance/`, or a
//! private temporary one when the cloud runs in memory).
//!
//! Every write is crash-safe: bytes go to `tmp/`, are fsynced, then renamed into `data/`;
//! metadata is rewritten whole the same way after each change. On load, an image whose bytes
//! are missing or do not match its recorded size and sha512 is not left active.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use super::image::{Image, Status};

/// The on-disk metadata document.
#[derive(Serialize, Deserialize)]
struct Metadata {
    /// Format version, for a future migration.
    version: u32,
    images: Vec<Image>,
}

/// The image store.
#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
    /// Metadata is written only when the cloud has a state directory.
    persistent: bool,
}

impl Store {
    /// A store under `state_dir/glance`, or a fresh temporary directory (removed on drop).
    pub(crate) fn open(state_dir: Option<&Path>) -> anyhow::Result<Store> {
        let (root, persistent) = match state_dir {
            Some(dir) => (dir.join("glance"), true),
            None => (
                std::env::temp_dir().join(format!("mock-cloud-glance-{}", uuid::Uuid::new_v4())),
                false,
            ),
        };
        for sub in ["data", "staging", "tmp"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir)
                .with_context(|| format!("creating the image store {}", dir.display()))?;
        }
        // Anything left in tmp/ is a write that never finished: it never became visible.
        if let Ok(entries) = fs::read_dir(root.join("tmp")) {
            for entry in entries.flatten() {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Store { root, persistent })
    }

    /// Whether what is written here outlives the process (a state directory).
    pub(crate) fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// The stored bytes of an image.
    pub(crate) fn data_path(&self, id: &str) -> PathBuf {
        self.root.join("data").join(id)
    }

    /// The staged bytes of an image (PUT /stage).
    pub(crate) fn staging_path(&self, id: &str) -> PathBuf {
        self.root.join("staging").join(id)
    }

    /// A fresh path for a write in progress.
    pub(crate) fn tmp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Moves a finished (already fsynced) temporary file to `dest` and makes the rename durable.
    pub(crate) fn commit_file(&self, tmp: &Path, dest: &Path) -> io::Result<()> {
        fs::rename(tmp, dest)?;
        sync_dir(dest.parent().unwrap_or(&self.root))
    }

    /// Deletes an image's stored and staged bytes, if any.
    pub(crate) fn remove_bytes(&self, id: &str) {
        let _ = fs::remove_file(self.data_path(id));
        let _ = fs::remove_file(self.staging_path(id));
    }

    /// Writes the metadata of every image atomically (no-op in memory).
    pub(crate) fn save(&self, images: &BTreeMap<String, Image>) -> io::Result<()> {
        if !self.persistent {
            return Ok(());
        }
        let doc = Metadata {
            version: 1,
            images: images.values().cloned().collect(),
        };
        let bytes = serde_json::to_vec_pretty(&doc).map_err(io::Error::other)?;
        let tmp = self.tmp_path();
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        self.commit_file(&tmp, &self.root.join("images.json"))
    }

    /// Reads the metadata back, repairing what a crash may have left: images caught mid-upload
    /// go back to `queued`, active images whose bytes are missing or altered become `killed`.
    pub(crate) fn load(&self) -> anyhow::Result<BTreeMap<String, Image>> {
        let mut images = BTreeMap::new();
        if !self.persistent {
            return Ok(images);
        }
        let path = self.root.join("images.json");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(images),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let doc: Metadata = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing the image metadata {}", path.display()))?;
        for mut image in doc.images {
            self.repair(&mut image);
            images.insert(image.id.clone(), image);
        }
        // Bytes no image claims (a crash between rename and metadata write) are dropped.
        if let Ok(entries) = fs::read_dir(self.root.join("data")) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !images.get(&name).is_some_and(Image::has_data) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(images)
    }

    fn repair(&self, image: &mut Image) {
        match image.status {
            Status::Active | Status::Deactivated => {
                let intact = image.size.is_some_and(|size| {
                    file_digest(&self.data_path(&image.id)).is_ok_and(|(len, sha)| {
                        len == size && image.os_hash_value.as_deref() == Some(&sha)
                    })
                });
                if !intact {
                    tracing::warn!(image = %image.id, "stored bytes missing or altered: image killed");
                    image.status = Status::Killed;
                }
            }
            Status::Saving | Status::Importing => {
                image.status = Status::Queued;
                clear_data_fields(image);
                image.staged = None;
                let _ = fs::remove_file(self.staging_path(&image.id));
            }
            Status::Uploading => {
                let staged = image.staged.as_ref().is_some_and(|s| {
                    fs::metadata(self.staging_path(&image.id)).is_ok_and(|m| m.len() == s.size)
                });
                if !staged {
                    image.status = Status::Queued;
                    image.staged = None;
                }
            }
            _ => {}
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if !self.persistent {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// Forgets size, hashes and virtual size (the data is gone).
pub(crate) fn clear_data_fields(image: &mut Image) {
    image.size = None;
    image.virtual_size = None;
    image.checksum = None;
    image.os_hash_algo = None;
    image.os_hash_value = None;
}

/// Length and sha512 hex of a file, read in chunks.
fn file_digest(path: &Path) -> io::Result<(u64, String)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha512::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((len, hex::encode(hasher.finalize())))
}

/// Makes a rename inside `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn active_image(store: &Store, id: &str, bytes: &[u8]) -> Image {
        fs::write(store.data_path(id), bytes).unwrap();
        let mut image = Image::new(id.into(), None, Timestamp::UNIX_EPOCH);
        image.status = Status::Active;
        image.size = Some(bytes.len() as u64);
        image.os_hash_value = Some(hex::encode(Sha512::digest(bytes)));
        image
    }

    #[test]
    fn metadata_round_trips_and_damaged_images_are_not_active() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path())).unwrap();
        let mut images = BTreeMap::new();
        images.insert("good".into(), active_image(&store, "good", b"hello"));
        images.insert("altered".into(), active_image(&store, "altered", b"hello"));
        images.insert("missing".into(), active_image(&store, "missing", b"hello"));
        let mut saving = Image::new("saving".into(), None, Timestamp::UNIX_EPOCH);
        saving.status = Status::Saving;
        images.insert("saving".into(), saving);
        store.save(&images).unwrap();
        fs::write(store.data_path("altered"), b"hellO").unwrap();
        fs::remove_file(store.data_path("missing")).unwrap();
        fs::write(store.data_path("orphan"), b"x").unwrap();
        fs::write(store.tmp_path(), b"half").unwrap();
        drop(store);

        let store = Store::open(Some(dir.path())).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded["good"].status, Status::Active);
        assert_eq!(loaded["altered"].status, Status::Killed);
        assert_eq!(loaded["missing"].status, Status::Killed);
        assert_eq!(loaded["saving"].status, Status::Queued);
        assert!(!store.data_path("orphan").exists());
        assert_eq!(
            fs::read_dir(dir.path().join("glance/tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn memory_store_removes_its_directory() {
        let store = Store::open(None).unwrap();
        let root = store.root.clone();
        assert!(root.exists());
        assert!(store.load().unwrap().is_empty());
        drop(store);
        assert!(!root.exists());
    }
}
