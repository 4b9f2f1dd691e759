//! Glance: every image operation of the SDK, grouped by what it is about.

use anyhow::{Context, Result, ensure};
use ferrostack::image::{Image, ImageData, ImageId, Images};

use crate::Case;

mod change;
mod lifecycle;
mod list;
mod share;
mod upload;

pub(crate) fn cases() -> Vec<Case> {
    let mut all = upload::cases();
    all.extend(list::cases());
    all.extend(change::cases());
    all.extend(share::cases());
    all.extend(lifecycle::cases());
    all
}

/// Image data held in memory, with its length sent along (`Content-Length`).
pub(crate) fn bytes(data: &[u8]) -> ImageData {
    ImageData::reader(std::io::Cursor::new(data.to_vec())).size(data.len() as u64)
}

/// Downloads the image's data and checks it is exactly `expected` (the SDK checks the hash
/// Glance reports on the way).
pub(crate) async fn download_equals(images: &Images, id: &ImageId, expected: &[u8]) -> Result<()> {
    let mut data = Vec::new();
    let download = images
        .download_to_writer(id, &mut data)
        .await
        .with_context(|| format!("downloading image {id}"))?;
    ensure!(
        data == expected,
        "image {id}: downloaded {} bytes that differ from the {} uploaded",
        data.len(),
        expected.len()
    );
    ensure!(
        download.verified_with.is_some(),
        "image {id}: the download was not verified against any hash"
    );
    Ok(())
}

/// The ids of `images`, sorted.
pub(crate) fn ids(images: &[Image]) -> Vec<String> {
    let mut ids: Vec<String> = images.iter().map(|i| i.id.to_string()).collect();
    ids.sort();
    ids
}
