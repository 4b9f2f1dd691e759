//! The qemu driver: `qemu-img` and `qemu-system-x86_64`, typed.
//!
//! - [`img`]: `qemu-img` create, info, convert, check, resize, measure.
//! - [`vm`]: [`VmBuilder`] and the running [`Vm`] (serial console, QMP, VNC, kill on drop;
//!   a cloud-init seed image is attached with [`VmBuilder::nocloud_seed`]; user-mode NICs
//!   with [`VmBuilder::nic`] and host forwards into them with [`Vm::hostfwd_add`]; the
//!   hardware of libvirt's domains: disk buses ([`DiskBus`]), NIC models ([`NicModel`]), the
//!   video card ([`Video`]), UEFI ([`Uefi`]), the clock ([`RtcBase`]), and what the host's
//!   qemu offers ([`HostQemu`])).
//! - [`install`]: boot a blank disk from an installer ISO over VNC, wait for power-off.
//! - [`command`]: finding host programs ([`Program`]) and running them.
//!
//! Building what the driver boots (the tiny image, cloud-init seeds) and installing the host
//! packages is fixture tooling, in the `ferrostack-testbed` crate.
//!
//! ```no_run
//! # async fn demo() -> ferrostack_qemu::Result<()> {
//! use std::time::Duration;
//! use ferrostack_qemu::{Disk, VmBuilder};
//! let mut vm = VmBuilder::new()
//!     .disk(Disk::snapshot("disk.qcow2", "qcow2"))
//!     .spawn()
//!     .await?;
//! vm.wait_for_line(|line| line.contains("login:"), Duration::from_secs(120)).await?;
//! # Ok(()) }
//! ```
//!
//! Host facts this crate is built around are in the project's QEMU.md: the apt trap
//! (handled by the testbed's `packages`) and the KVM trap (see [`Accel`]).

pub mod accel;
pub mod command;
pub mod error;
pub mod img;
pub mod install;
pub mod vm;

pub use accel::Accel;
pub use command::{Program, ToolCommand};
pub use error::{Error, Result};
pub use img::{
    CheckOutcome, CheckReport, ConvertSpec, CreateSpec, ImageInfo, MeasureSource, Measurement,
    QemuImg,
};
pub use install::{InstallSpec, Installation};
pub use vm::{
    Disk, DiskBus, HOTPLUG_PORTS, HostForward, HostQemu, Nic, NicModel, RtcBase, RunLayout,
    ScsiController, SystemInfo, Uefi, Video, Vm, VmBuilder, is_q35, machine_has_ide,
};
