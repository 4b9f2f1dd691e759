//! The qemu driver: each server is a real `qemu-system-x86_64` booting its Glance image.

use std::path::PathBuf;

use futures::future::{BoxFuture, FutureExt};

use super::{BootSpec, ComputeDriver, DriverError, RemoteConsole, VmState};
use ferrostack_qemu::Program;

/// A compute driver that boots each server's image under qemu.
#[derive(Debug)]
pub struct QemuDriver {
    work_dir: PathBuf,
    qemu: PathBuf,
}

impl QemuDriver {
    /// A driver keeping per-server files (overlays, serial logs) under `work_dir` (created if
    /// missing). Fails, naming the package to install, when `qemu-system-x86_64` is absent.
    pub fn new(work_dir: impl Into<PathBuf>) -> Result<QemuDriver, DriverError> {
        let work_dir = work_dir.into();
        let qemu = Program::QEMU_SYSTEM_X86_64
            .locate(None)
            .map_err(|err| DriverError(format!("qemu driver: {err}")))?;
        std::fs::create_dir_all(&work_dir).map_err(|err| {
            DriverError(format!(
                "qemu driver: cannot create the work folder {}: {err}",
                work_dir.display()
            ))
        })?;
        Ok(QemuDriver { work_dir, qemu })
    }
}

fn not_yet() -> DriverError {
    DriverError("qemu driver: not implemented yet".to_owned())
}

impl ComputeDriver for QemuDriver {
    fn name(&self) -> &'static str {
        "qemu"
    }

    fn create(&self, _spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
        let _ = (&self.work_dir, &self.qemu);
        async { Err(not_yet()) }.boxed()
    }

    fn start<'a>(&'a self, _server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Err(not_yet()) }.boxed()
    }

    fn stop<'a>(&'a self, _server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Err(not_yet()) }.boxed()
    }

    fn reboot<'a>(
        &'a self,
        _server_id: &'a str,
        _hard: bool,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Err(not_yet()) }.boxed()
    }

    fn delete<'a>(&'a self, _server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Ok(()) }.boxed()
    }

    fn observe(&self, _server_id: &str, _poll: bool) -> VmState {
        VmState::Unknown
    }

    fn tick(&self, _steps: u32) -> usize {
        0
    }

    fn console_output<'a>(
        &'a self,
        _server_id: &'a str,
        _length: Option<usize>,
    ) -> BoxFuture<'a, Result<String, DriverError>> {
        async { Err(not_yet()) }.boxed()
    }

    fn vnc_console<'a>(
        &'a self,
        _server_id: &'a str,
    ) -> BoxFuture<'a, Result<RemoteConsole, DriverError>> {
        async { Err(not_yet()) }.boxed()
    }

    fn reset(&self) {}
}
