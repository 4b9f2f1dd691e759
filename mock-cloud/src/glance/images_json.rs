//! Glance's state from before the state database: `STATE_DIR/glance/images.json`, one document
//! with every image (members, tags, properties, size and hashes inside; the bytes already in
//! `glance/data/`, where they still belong). A state directory that has one is imported once,
//! at start-up: its images join the database, and once that is durable the file is renamed
//! `images.json.imported`, so it is never imported twice. A file that cannot be read is a
//! start-up error that names it, before anything in the directory is touched.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::image::Image;
use crate::db::{Change, Table};

/// The legacy file's name, under `STATE_DIR/glance/`.
const FILE: &str = "images.json";

/// What it is renamed to once imported.
const IMPORTED: &str = "images.json.imported";

/// The only version the legacy store ever wrote.
const VERSION: u32 = 1;

/// The legacy document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    images: Vec<Image>,
}

/// A legacy file, read and checked, not yet imported.
#[derive(Debug)]
pub(crate) struct LegacyImages {
    path: PathBuf,
    images: Vec<Image>,
}

/// The legacy file of `state_dir`, if it has one. Reading changes nothing.
pub(crate) fn read(state_dir: Option<&Path>) -> anyhow::Result<Option<LegacyImages>> {
    let Some(dir) = state_dir else {
        return Ok(None);
    };
    let path = dir.join("glance").join(FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let unreadable = || {
        format!(
            "cannot import the image metadata {} of an older mock-cloud (nothing was changed; \
             repair the file, or remove it to start without those images)",
            path.display()
        )
    };
    let document: Document = serde_json::from_slice(&bytes).with_context(unreadable)?;
    if document.version != VERSION {
        return Err(anyhow::anyhow!(
            "it is version {}; this mock-cloud imports version {VERSION}",
            document.version
        ))
        .with_context(unreadable);
    }
    let mut ids = std::collections::HashSet::new();
    if let Some(twice) = document.images.iter().find(|i| !ids.insert(&i.id)) {
        return Err(anyhow::anyhow!("the image {} is in it twice", twice.id))
            .with_context(unreadable);
    }
    Ok(Some(LegacyImages {
        path,
        images: document.images,
    }))
}

impl LegacyImages {
    /// Adds to `images` (what the database has) every legacy image it lacks — an import that
    /// a crash interrupted before the rename is not repeated — and returns the change that
    /// saves them and, once that is durable, renames the file.
    pub(crate) fn import(self, images: &mut BTreeMap<String, Image>) -> Change {
        let mut change = Change::new();
        for image in self.images {
            if !images.contains_key(&image.id) {
                change = change.put(Table::GlanceImages, &image.id, &image);
                images.insert(image.id.clone(), image);
            }
        }
        let from = self.path;
        change.after_commit(move || {
            let to = from.with_file_name(IMPORTED);
            match fs::rename(&from, &to) {
                Ok(()) => {
                    tracing::info!(file = %to.display(), "imported the legacy image metadata")
                }
                // The images are in the database: the next start skips them.
                Err(error) => tracing::error!(
                    file = %from.display(), %error,
                    "imported the legacy image metadata but cannot rename it"
                ),
            }
        })
    }
}
