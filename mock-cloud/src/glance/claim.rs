//! A transfer's hold on an image: PUT /file, PUT /stage and POST /import take a queued image
//! into `saving`, `uploading` or `importing`, and whatever ends the transfer early (a refused
//! stream, a storage error, a dropped handler) puts it back to `queued`.

use jiff::Timestamp;

use super::Glance;
use super::data::{FAILED_IMPORT, IMPORTING_TO_STORES};
use super::image::{STORE, Status, bad_request, image_not_found};
use super::store::clear_data_fields;
use crate::errors::ApiError;

/// A queued image taken for a transfer: `saving` (PUT /file), `uploading` (PUT /stage) or
/// `importing` (POST /import). Dropped before [`Claim::keep`] (the transfer failed, or its
/// handler was dropped: client reset, shutdown, HTTP/2 cancel), it puts the image back to
/// `queued`.
pub(super) struct Claim<'a> {
    glance: &'a Glance,
    id: &'a str,
    status: Status,
    kept: bool,
}

impl<'a> Claim<'a> {
    /// Guards image `id`, now in `status`.
    pub(super) fn new(glance: &'a Glance, id: &'a str, status: Status) -> Claim<'a> {
        Claim {
            glance,
            id,
            status,
            kept: false,
        }
    }

    /// The transfer succeeded: the image stays where it is.
    pub(super) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.kept {
            release(self.glance, self.id, self.status);
        }
    }
}

/// Moves a queued image to `to` (saving or uploading), marking the data slot as taken.
pub(super) fn claim<'a>(
    glance: &'a Glance,
    id: &'a str,
    to: Status,
) -> Result<(Claim<'a>, (String, String)), ApiError> {
    let mut images = glance.lock();
    let mut image = images.get_mut(id).ok_or_else(|| image_not_found(id))?;
    let formats = (image.disk_format.clone(), image.container_format.clone());
    if to == Status::Saving && (formats.0.is_none() || formats.1.is_none()) {
        return Err(bad_request(
            "Properties disk_format and container_format must be set prior to saving data.",
        ));
    }
    image.status.check_transition(to)?;
    image.status = to;
    image.updated_at = Timestamp::now();
    glance.save(&image)?;
    Ok((
        Claim::new(glance, id, to),
        (formats.0.unwrap_or_default(), formats.1.unwrap_or_default()),
    ))
}

/// After a failed transfer: the image goes back to `queued` if it is still in `from`; a failed
/// import's staged data is gone, and the import properties say where it failed.
fn release(glance: &Glance, id: &str, from: Status) {
    let mut images = glance.lock();
    if let Some(mut image) = images.get_mut(id)
        && image.status == from
    {
        image.status = Status::Queued;
        image.staged = None;
        clear_data_fields(&mut image);
        if from == Status::Importing {
            let _ = std::fs::remove_file(glance.store().staging_path(id));
            image
                .properties
                .insert(IMPORTING_TO_STORES.to_owned(), String::new());
            image
                .properties
                .insert(FAILED_IMPORT.to_owned(), STORE.to_owned());
        }
        image.updated_at = Timestamp::now();
        let _ = glance.save(&image);
    }
}
