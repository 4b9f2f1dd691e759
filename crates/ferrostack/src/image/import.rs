//! The interoperable import: stage the data (or give Glance a URL), ask Glance to import
//! it, and wait until the image is active.

use std::time::Duration;

use super::ImageClient;
use super::create::ImageCreate;
use super::model::{Image, ImageId, ImageStatus, ImportInfo, ImportMethodName};
use super::requests::{self, ImportMethod};
use super::upload::{DeleteOnDrop, ImageData, UploadOptions, prepare, send_data, verify};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;

impl ImageClient {
    /// The import methods this cloud offers (`GET /v2/info/import`).
    pub async fn import_info(&self) -> Result<ImportInfo> {
        self.session.send_json(requests::import_info()).await
    }

    /// Stages data for a `glance-direct` import (`PUT /v2/images/{id}/stage`), streamed and
    /// inspected like an upload. The image's formats must be set.
    pub async fn stage(
        &self,
        id: impl Into<ImageId>,
        data: ImageData,
        options: UploadOptions,
    ) -> Result<()> {
        let image = self.get(id).await?;
        self.stage_for(&image, data, &options).await.map(|_| ())
    }

    async fn stage_for(
        &self,
        image: &Image,
        data: ImageData,
        options: &UploadOptions,
    ) -> Result<super::upload::Sent> {
        let prepared = prepare(
            data,
            image.disk_format.as_ref(),
            image.container_format.as_ref(),
            options.skip_inspection,
        )
        .await?;
        let request = requests::stage(&image.id, prepared.size);
        send_data(&self.session, request, prepared, options.progress.clone()).await
    }

    /// Asks Glance to import data into an image (`POST /v2/images/{id}/import`).
    pub async fn import(&self, id: impl Into<ImageId>, method: ImportMethod) -> Result<()> {
        self.session
            .send(requests::import(&id.into(), &method))
            .await?;
        Ok(())
    }

    async fn require(&self, method: ImportMethodName) -> Result<()> {
        let info = self.import_info().await?;
        if info.offers(&method) {
            return Ok(());
        }
        let offered: Vec<&str> = info
            .import_methods
            .value
            .iter()
            .map(|m| m.as_str())
            .collect();
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "this cloud does not offer the {method} import (it offers: {})",
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                }
            ),
        )
        .with_service(ServiceType::Image))
    }

    /// Creates an image and fills it with the interoperable import's `glance-direct`
    /// method: stage, import, wait (up to `timeout`) until active, then check the hashes.
    /// Inspection and clean-up on failure are as for
    /// [`ImageClient::create_and_upload`].
    pub async fn create_and_import(
        &self,
        create: ImageCreate,
        data: ImageData,
        options: UploadOptions,
        timeout: Duration,
    ) -> Result<Image> {
        self.require(ImportMethodName::GlanceDirect).await?;
        let prepared = prepare(
            data,
            create.disk_format.as_ref(),
            create.container_format.as_ref(),
            options.skip_inspection,
        )
        .await?;
        let create = create
            .disk_format(prepared.disk_format.clone())
            .container_format(prepared.container_format.clone());
        let image = self.create(create).await?;
        let mut guard = DeleteOnDrop::new(&self.session, &image.id, options.keep_on_failure);
        let outcome = async {
            let request = requests::stage(&image.id, prepared.size);
            let sent =
                send_data(&self.session, request, prepared, options.progress.clone()).await?;
            self.import(&image.id, ImportMethod::GlanceDirect).await?;
            let active = self
                .wait_for_status(&image.id, ImageStatus::Active, timeout)
                .await?;
            verify(&active, &sent)?;
            Ok(active)
        }
        .await;
        guard.disarm();
        match outcome {
            Ok(image) => Ok(image),
            Err(err) => Err(self.abandon(&image, err, options.keep_on_failure).await),
        }
    }

    /// Creates an image that Glance fills from `uri` (the `web-download` method, where the
    /// cloud offers it) and waits until it is active. The image is deleted if the import
    /// fails, unless `keep_on_failure`.
    pub async fn create_from_url(
        &self,
        create: ImageCreate,
        uri: impl Into<String>,
        keep_on_failure: bool,
        timeout: Duration,
    ) -> Result<Image> {
        self.require(ImportMethodName::WebDownload).await?;
        let image = self.create(create).await?;
        let mut guard = DeleteOnDrop::new(&self.session, &image.id, keep_on_failure);
        let outcome = async {
            self.import(&image.id, ImportMethod::WebDownload { uri: uri.into() })
                .await?;
            self.wait_for_status(&image.id, ImageStatus::Active, timeout)
                .await
        }
        .await;
        guard.disarm();
        match outcome {
            Ok(image) => Ok(image),
            Err(err) => Err(self.abandon(&image, err, keep_on_failure).await),
        }
    }
}
