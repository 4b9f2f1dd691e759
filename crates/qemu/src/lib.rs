//! The qemu driver: `qemu-img` and `qemu-system-x86_64`, typed, plus the tiny bootable image
//! the smoke test boots.
//!
//! - [`img`]: `qemu-img` create, info, convert, check, resize, measure.
//! - [`vm`]: [`VmBuilder`] and the running [`Vm`] (serial console, QMP, VNC, kill on drop).
//! - [`install`]: boot a blank disk from an installer ISO over VNC, wait for power-off.
//! - [`seed`]: a cloud-init NoCloud seed image, without root.
//! - [`tiny`]: the tiny image (kernel, busybox initramfs, ext4 root, self-booting disk).
//! - [`packages`]: check and install the host packages all this needs.
//!
//! The story in a few lines: build the tiny image, boot it, prove it booted.
//!
//! ```no_run
//! # async fn demo() -> ferrostack_qemu::Result<()> {
//! use std::time::Duration;
//! use ferrostack_qemu::{Disk, VmBuilder, packages, tiny};
//! packages::ensure(&packages::all_packages(), "target/ferrostack-cache/apt".as_ref()).await?;
//! let image = tiny::build(&tiny::TinySpec::new("target/ferrostack-cache", "target/tiny")).await?;
//! let mut vm = VmBuilder::new()
//!     .disk(Disk::snapshot(&image.bootable_qcow2, "qcow2"))
//!     .spawn()
//!     .await?;
//! vm.wait_for_boot_marker(&image.token, Duration::from_secs(120)).await?;
//! # Ok(()) }
//! ```
//!
//! Host facts this crate is built around are in the project's QEMU.md: the apt trap
//! (see [`packages`]) and the KVM trap (see [`Accel`]).

pub mod accel;
pub mod command;
pub mod error;
pub mod img;
pub mod install;
pub mod packages;
pub mod seed;
pub mod tiny;
pub mod vm;

pub use accel::Accel;
pub use command::{Program, ToolCommand};
pub use error::{Error, Result};
pub use img::{
    CheckOutcome, CheckReport, ConvertSpec, CreateSpec, ImageInfo, MeasureSource, Measurement,
    QemuImg,
};
pub use install::{InstallSpec, Installation};
pub use seed::NoCloudSeed;
pub use vm::{Disk, RunLayout, Vm, VmBuilder};
