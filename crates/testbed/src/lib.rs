//! The testbed: what the tests, the smoke run and `fstack build` need around the qemu driver
//! ([`ferrostack_qemu`]), kept apart from it because it is fixture tooling, not driving qemu.
//!
//! - [`packages`]: check and install the host packages (qemu, the image tools) with apt, in a
//!   private apt state that knows the qemu-utils trap of QEMU.md.
//! - [`tiny`]: the tiny bootable image (kernel, busybox initramfs, ext4 root, self-booting
//!   disk), built offline from Debian packages, and its boot marker.
//! - [`debian`]: a Debian cloud image (cloud-init, SSH, GRUB on MBR, and the aki/ari/ami
//!   trio) built with mmdebstrap, its root cached.
//! - [`seed`]: a cloud-init NoCloud seed image, without root (the driver attaches it with
//!   [`VmBuilder::nocloud_seed`](ferrostack_qemu::VmBuilder::nocloud_seed)).
//! - [`programs`]: the host programs all this runs.
//!
//! The binary `host-packages` installs what the boot tests need:
//! `cargo run -p ferrostack-testbed --bin host-packages` (as root).
//!
//! The story in a few lines: build the tiny image, boot it, prove it booted.
//!
//! ```no_run
//! # async fn demo() -> ferrostack_qemu::Result<()> {
//! use std::time::Duration;
//! use ferrostack_qemu::{Disk, VmBuilder};
//! use ferrostack_testbed::{packages, tiny};
//! packages::ensure(&packages::all_packages(), "target/ferrostack-cache/apt".as_ref()).await?;
//! let image = tiny::build(&tiny::TinySpec::new("target/ferrostack-cache", "target/tiny")).await?;
//! let mut vm = VmBuilder::new()
//!     .disk(Disk::snapshot(&image.bootable_qcow2, "qcow2"))
//!     .spawn()
//!     .await?;
//! tiny::wait_for_boot_marker(&mut vm, &image.token, Duration::from_secs(120)).await?;
//! # Ok(()) }
//! ```
//!
//! Errors are the driver's [`ferrostack_qemu::Error`]: a missing program names its package.

pub mod debian;
pub mod packages;
pub mod programs;
pub mod seed;
pub mod tiny;

pub use seed::NoCloudSeed;
