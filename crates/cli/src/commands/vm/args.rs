//! The flags of `fstack vm ...` (ours).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::ShowOutput;

/// `fstack vm ...` (ours): qemu-system, locally.
#[derive(Debug, Subcommand)]
pub enum VmCommand {
    /// Install an OS from an ISO onto a disk: the ISO boots once, its screen is served over
    /// VNC on loopback, and the command waits for the guest to power off (Ctrl-C stops it).
    Install(VmInstall),
    /// Boot a disk image, or a kernel and initrd, and stream the serial console to stdout.
    /// Disks are attached in snapshot mode: a boot never changes them.
    Boot(VmBoot),
}

/// `vm install`.
#[derive(Debug, Args)]
pub struct VmInstall {
    /// The disk to install onto (written to; `fstack disk create` makes one).
    #[arg(long, value_name = "FILE")]
    pub disk: PathBuf,
    /// The installer ISO.
    #[arg(long, value_name = "ISO")]
    pub cdrom: PathBuf,
    /// Memory in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub memory: u32,
    /// Virtual CPUs.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub cpus: u32,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `vm boot`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("boot_source").required(true).multiple(true).args(["disk", "kernel"]))]
pub struct VmBoot {
    /// A disk image (repeatable; the first is /dev/vda).
    #[arg(long, value_name = "FILE")]
    pub disk: Vec<PathBuf>,
    /// A kernel to boot directly.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,
    /// An initrd for --kernel.
    #[arg(long, value_name = "FILE", requires = "kernel")]
    pub initrd: Option<PathBuf>,
    /// The kernel command line for --kernel (add `console=ttyS0` to see the console).
    #[arg(long, value_name = "CMDLINE", requires = "kernel")]
    pub append: Option<String>,
    /// Memory in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub memory: u32,
    /// Virtual CPUs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cpus: u32,
    /// Stop with success at the first console line containing TEXT (lines where the kernel
    /// echoes its command line do not count).
    #[arg(long = "wait-for", value_name = "TEXT")]
    pub wait_for: Option<String>,
    // `--timeout SECONDS` is the global option: the boot gives up after it (default: 120 s
    // with --wait-for, no limit without).
    /// Also write the raw serial console to this file.
    #[arg(long = "serial-log", value_name = "FILE")]
    pub serial_log: Option<PathBuf>,
}
