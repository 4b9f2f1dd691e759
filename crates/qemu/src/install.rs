//! The virt-install step: boot a blank disk with an installer ISO and VNC on loopback, tell
//! where to connect, and wait for the guest to power off.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::vm::{Disk, Vm, VmBuilder};

/// What to install onto.
#[derive(Clone, Debug)]
pub struct InstallSpec {
    /// The target disk (written to: no snapshot).
    pub disk: PathBuf,
    /// Its format.
    pub disk_format: String,
    /// The installer ISO.
    pub iso: PathBuf,
    /// Guest memory in MiB.
    pub memory_mib: u32,
    /// Virtual CPUs.
    pub cpus: u32,
}

impl InstallSpec {
    /// Installs from `iso` onto `disk` (qcow2) with 1 GiB of memory and one CPU.
    pub fn new(disk: impl Into<PathBuf>, iso: impl Into<PathBuf>) -> Self {
        InstallSpec {
            disk: disk.into(),
            disk_format: "qcow2".to_owned(),
            iso: iso.into(),
            memory_mib: 1024,
            cpus: 1,
        }
    }

    /// Sets the guest memory in MiB.
    pub fn memory_mib(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// The machine this installation runs.
    pub fn builder(&self) -> VmBuilder {
        VmBuilder::new()
            .memory_mib(self.memory_mib)
            .cpus(self.cpus)
            .disk(Disk::writable(&self.disk, &self.disk_format))
            .cdrom(&self.iso)
            .boot_cdrom_once()
            .vnc(true)
    }
}

/// A running installation.
#[derive(Debug)]
pub struct Installation {
    vm: Vm,
    vnc: SocketAddr,
}

/// Starts the installer and prints where to connect a VNC viewer.
pub async fn start(spec: &InstallSpec) -> Result<Installation> {
    for (what, path) in [("disk", &spec.disk), ("ISO", &spec.iso)] {
        if !path.is_file() {
            return Err(Error::invalid(
                format!("install {what} {}", path.display()),
                "does not exist",
            ));
        }
    }
    let vm = spec.builder().spawn().await?;
    let vnc = vm
        .vnc_address()
        .ok_or_else(|| Error::Qmp("qemu reported no VNC address".to_owned()))?;
    println!("installer running: connect a VNC viewer to {vnc}");
    Ok(Installation { vm, vnc })
}

impl Installation {
    /// Where a VNC viewer connects (`host:port`, on loopback).
    pub fn vnc_address(&self) -> SocketAddr {
        self.vnc
    }

    /// The machine, e.g. to read its console or talk QMP.
    pub fn vm(&mut self) -> &mut Vm {
        &mut self.vm
    }

    /// Waits for the guest to power off (or reboot: qemu runs with `-no-reboot`), for at most
    /// `deadline` when given. On timeout the installer keeps running (and stops on drop).
    pub async fn wait_for_poweroff(&mut self, deadline: Option<Duration>) -> Result<ExitStatus> {
        self.vm.wait(deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accel::Accel;
    use crate::vm::RunLayout;

    #[test]
    fn the_installer_boots_the_cdrom_once_onto_a_writable_disk_with_vnc() {
        let spec = InstallSpec::new("/images/blank.qcow2", "/isos/debian-12.iso").memory_mib(2048);
        let layout = RunLayout {
            accel: Accel::Tcg,
            qmp_socket: "/run/vm/qmp.sock".into(),
        };
        insta::assert_debug_snapshot!(spec.builder().argv(&layout).unwrap());
    }

    #[tokio::test]
    async fn a_missing_iso_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("disk.qcow2");
        std::fs::write(&disk, b"").unwrap();
        let iso = dir.path().join("missing.iso");
        let err = start(&InstallSpec::new(&disk, &iso)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("install ISO {}: does not exist", iso.display())
        );
    }
}
