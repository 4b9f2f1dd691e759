//! The interoperable import: stage the data (or give Glance a URL), ask Glance to import
//! it, and wait until the image is active.

use super::Images;
use super::create::CreateImage;
use super::model::{Image, ImageId, ImageStatus, ImportInfo, ImportMethodName};
use super::requests::{self, ImportMethod};
use super::upload::{DeleteOnDrop, ImageData, check, prepare, send_data};
use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;

impl Images {
    /// Asks Glance to import data into an image (`POST /v2/images/{id}/import`).
    pub async fn import(&self, id: impl Into<ImageId>, method: ImportMethod) -> Result<()> {
        self.session
            .send(requests::import(&id.into(), &method))
            .await?;
        Ok(())
    }

    async fn require(&self, method: ImportMethodName) -> Result<()> {
        let info: ImportInfo = self.session.send_json(requests::import_info()).await?;
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

    /// [`CreateImage::import_data`]: stage, import, wait until active, check the hashes.
    pub(crate) async fn create_and_import(
        &self,
        create: CreateImage,
        data: ImageData,
    ) -> Result<Image> {
        self.require(ImportMethodName::GlanceDirect).await?;
        let prepared = prepare(
            data,
            create.disk_format.as_ref(),
            create.container_format.as_ref(),
            create.options.skip_inspection,
        )
        .await?;
        let create = create
            .disk_format(prepared.disk_format.clone())
            .container_format(prepared.container_format.clone());
        let (options, wait) = (create.options.clone(), create.wait);
        let image = self.post(create.request()?).await?;
        let mut guard = DeleteOnDrop::new(&self.session, &image.id, options.keep_on_failure);
        let outcome = async {
            let request = requests::stage(&image.id, prepared.size);
            let sent =
                send_data(&self.session, request, prepared, options.progress.clone()).await?;
            self.import(&image.id, ImportMethod::GlanceDirect).await?;
            let active = self
                .wait_for_status(&image.id, ImageStatus::Active, wait)
                .await?;
            check(&active, &sent).await?;
            Ok(active)
        }
        .await;
        guard.disarm();
        match outcome {
            Ok(image) => Ok(image),
            Err(err) => Err(self.abandon(&image, err, options.keep_on_failure).await),
        }
    }

    /// [`CreateImage::import_url`]: the `web-download` import, then wait until active.
    pub(crate) async fn create_from_url(&self, create: CreateImage, uri: String) -> Result<Image> {
        self.require(ImportMethodName::WebDownload).await?;
        let (keep_on_failure, wait) = (create.options.keep_on_failure, create.wait);
        let image = self.post(create.request()?).await?;
        let mut guard = DeleteOnDrop::new(&self.session, &image.id, keep_on_failure);
        let outcome = async {
            self.import(&image.id, ImportMethod::WebDownload { uri })
                .await?;
            self.wait_for_status(&image.id, ImageStatus::Active, wait)
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
