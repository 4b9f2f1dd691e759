//! The three-part image: a kernel (aki), a ramdisk (ari) and a machine image (ami) that
//! names the other two in `kernel_id` and `ramdisk_id`, made and uploaded as one set.

use super::Images;
use super::create::{CreateImage, Fill};
use super::model::{ContainerFormat, DiskFormat, Image, Visibility};
use super::upload::{DeleteOnDrop, ImageData};
use crate::error::{Error, Result};

/// The three images of a kernel + ramdisk + machine image, linked together.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ThreePartImage {
    /// The kernel (aki/aki).
    pub kernel: Image,
    /// The ramdisk (ari/ari).
    pub ramdisk: Image,
    /// The machine image (ami/ami), with `kernel_id` and `ramdisk_id` naming the others.
    pub machine: Image,
}

/// A kernel + ramdisk + machine image set being made: each part is named, so a kernel
/// cannot be passed where the ramdisk belongs. Made by [`Images::create_three_part`];
/// nothing is sent before [`CreateThreePart::send`].
///
/// ```no_run
/// # async fn demo(images: ferrostack::image::Images) -> ferrostack::Result<()> {
/// use ferrostack::image::ImageData;
/// let set = images
///     .create_three_part("tiny")
///     .kernel(ImageData::path("vmlinuz"))
///     .ramdisk(ImageData::path("initrd.img"))
///     .machine(ImageData::path("root.img"))
///     .send()
///     .await?;
/// println!("boot {} (kernel {})", set.machine.id, set.kernel.id);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateThreePart {
    machine: CreateImage,
    kernel_data: Option<ImageData>,
    ramdisk_data: Option<ImageData>,
    machine_data: Option<ImageData>,
}

impl CreateThreePart {
    /// The kernel's data (uploaded as `NAME-kernel`, aki/aki).
    pub fn kernel(mut self, data: ImageData) -> Self {
        self.kernel_data = Some(data);
        self
    }

    /// The ramdisk's data (uploaded as `NAME-ramdisk`, ari/ari).
    pub fn ramdisk(mut self, data: ImageData) -> Self {
        self.ramdisk_data = Some(data);
        self
    }

    /// The machine image's data (uploaded as `NAME`, ami/ami).
    pub fn machine(mut self, data: ImageData) -> Self {
        self.machine_data = Some(data);
        self
    }

    /// Who may see the three images.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.machine = self.machine.visibility(visibility);
        self
    }

    /// Any other metadata of the machine image (properties, tags, protection, ...); the
    /// kernel and ramdisk share only its visibility.
    pub fn machine_metadata(mut self, change: impl FnOnce(CreateImage) -> CreateImage) -> Self {
        self.machine = change(self.machine);
        self
    }

    /// Keeps the parts already made when a later one fails, instead of deleting them.
    pub fn keep_on_failure(mut self, keep: bool) -> Self {
        self.machine = self.machine.keep_on_failure(keep);
        self
    }

    /// Uploads without checking the data's format first. Glance still checks it.
    pub fn skip_inspection(mut self, skip: bool) -> Self {
        self.machine = self.machine.skip_inspection(skip);
        self
    }

    /// Called as each part's data is sent, with its bytes so far and its total when known.
    pub fn progress(mut self, progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.machine = self.machine.progress(progress);
        self
    }

    /// Uploads the kernel, then the ramdisk, then the machine image linked to both. If any
    /// part fails, the parts already made are deleted too (unless
    /// [`CreateThreePart::keep_on_failure`]); the error says which part failed and what
    /// became of the others. All three parts are required.
    pub async fn send(self) -> Result<ThreePartImage> {
        let CreateThreePart {
            machine,
            kernel_data,
            ramdisk_data,
            machine_data,
        } = self;
        let missing = |part: &str| {
            Error::invalid_input(format!(
                "three-part image {:?}: the {part} is missing (set it with .{part}(..))",
                machine.name().unwrap_or("image")
            ))
        };
        let kernel_data = kernel_data.ok_or_else(|| missing("kernel"))?;
        let ramdisk_data = ramdisk_data.ok_or_else(|| missing("ramdisk"))?;
        let machine_data = machine_data.ok_or_else(|| missing("machine"))?;
        let images = machine.images.clone();
        let base = machine.name().unwrap_or("image").to_owned();
        let keep = machine.options.keep_on_failure;
        let part = |suffix: &str, disk: DiskFormat, container: ContainerFormat| {
            machine
                .part(format!("{base}-{suffix}"))
                .disk_format(disk)
                .container_format(container)
        };
        let kernel_part = part("kernel", DiskFormat::Aki, ContainerFormat::Aki);
        let ramdisk_part = part("ramdisk", DiskFormat::Ari, ContainerFormat::Ari);
        let kernel = images
            .create_and_upload(kernel_part, kernel_data)
            .await
            .map_err(|err| err.context("three-part image: the kernel failed"))?;
        let mut kernel_guard = DeleteOnDrop::new(&images.session, &kernel.id, keep);
        let ramdisk = match images.create_and_upload(ramdisk_part, ramdisk_data).await {
            Ok(ramdisk) => ramdisk,
            Err(err) => {
                kernel_guard.disarm();
                return Err(images
                    .abandon_parts(err, "the ramdisk", &[&kernel], keep)
                    .await);
            }
        };
        let mut ramdisk_guard = DeleteOnDrop::new(&images.session, &ramdisk.id, keep);
        let machine = machine
            .disk_format(DiskFormat::Ami)
            .container_format(ContainerFormat::Ami)
            .kernel_id(&kernel.id)
            .ramdisk_id(&ramdisk.id);
        let outcome = images.create_and_upload(machine, machine_data).await;
        kernel_guard.disarm();
        ramdisk_guard.disarm();
        match outcome {
            Ok(machine) => Ok(ThreePartImage {
                kernel,
                ramdisk,
                machine,
            }),
            Err(err) => Err(images
                .abandon_parts(err, "the machine image", &[&kernel, &ramdisk], keep)
                .await),
        }
    }
}

impl CreateImage {
    /// This image as the machine image of a kernel + ramdisk + machine image set, with all
    /// the metadata set so far: for callers that build the metadata before they know
    /// whether it is one image or three. Data set with [`CreateImage::data`] is dropped: give
    /// each part's with [`CreateThreePart::kernel`], [`CreateThreePart::ramdisk`] and
    /// [`CreateThreePart::machine`].
    pub fn into_three_part(mut self) -> CreateThreePart {
        self.fill = Fill::Nothing;
        CreateThreePart {
            machine: self,
            kernel_data: None,
            ramdisk_data: None,
            machine_data: None,
        }
    }
}

impl Images {
    /// A kernel + ramdisk + machine image set named `name` (the machine image; the others
    /// are `NAME-kernel` and `NAME-ramdisk`): set each part on the builder, then
    /// [`CreateThreePart::send`].
    pub fn create_three_part(&self, name: impl Into<String>) -> CreateThreePart {
        self.create(name).into_three_part()
    }

    /// Deletes (or keeps) the parts of a three-part image already made when `which` part
    /// failed, and says so in the error.
    async fn abandon_parts(&self, err: Error, which: &str, parts: &[&Image], keep: bool) -> Error {
        let mut fates = Vec::new();
        for part in parts {
            let fate = if keep {
                "kept".to_owned()
            } else {
                match self.delete(&part.id).await {
                    Ok(()) => "deleted".to_owned(),
                    Err(e) => format!("not deleted ({e})"),
                }
            };
            fates.push(format!("{} {fate}", part.label()));
        }
        err.context(format!(
            "three-part image: {which} failed, so {}",
            fates.join(", ")
        ))
    }
}
