//! The qemu driver ([`QemuDriver`]): each server is a real `qemu-system-x86_64` booting its
//! Glance image.

mod config_drive;
mod console;
mod forwards;
mod hardware;
mod machine;
pub(crate) mod plan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferrostack_qemu::{HostQemu, Program, QemuImg};
use futures::future::{BoxFuture, FutureExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use ferrostack_qemu::{Nic, NicModel};

use self::machine::{Command, Machine, Phase, Settings};
use self::plan::BootPlan;
use super::{BootNic, BootSpec, ComputeDriver, DriverError, RemoteConsole, VmState};

/// How long a guest gets to power off on the ACPI button by default (stop, soft reboot).
pub(crate) const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A compute driver that boots each server's image under qemu (feature `qemu`).
///
/// - A qcow2 or raw image boots as the server's disk; an ami boots with its `kernel_id` and
///   `ramdisk_id` images as kernel and initrd and itself as `/dev/vda`, with the kernel command
///   line of its `os_command_line` property (default `console=ttyS0 root=/dev/vda`).
/// - Every image file is checked with the format inspector first, as Glance and Nova do: an
///   unsafe image is never booted, the refusal becomes the server's fault. A vmdk, vhd, vhdx
///   or vdi root is then converted to raw in the server's folder (`qemu-img convert` told the
///   declared format), as Nova does.
/// - The image's properties make the machine, as Nova's libvirt driver makes it: `pc` unless
///   `hw_machine_type` says otherwise (Nova's x86 default), the root disk on `hw_disk_bus`
///   (virtio, scsi on `hw_scsi_model`'s controller, sata, ide, usb, fdc), CD-ROMs on
///   `hw_cdrom_bus`, every NIC of model `hw_vif_model` (virtio, e1000, e1000e, igb, rtl8139,
///   ne2k_pci, pcnet, vmxnet3), the video card of `hw_video_model` (default virtio), OVMF for
///   `hw_firmware_type=uefi` (the server keeps its own variable store) and the RTC in local
///   time for `os_type=windows`. What Nova or libvirt refuses (xen, an IDE disk on a q35, a
///   machine type this qemu lacks, ...) is the server's fault, in their words.
/// - The guest writes to a qcow2 overlay in the server's folder under the work folder; the
///   Glance file is never written. Flavor RAM and vCPUs become the machine's.
/// - The server is ACTIVE while qemu runs, SHUTOFF once the guest powers off or is stopped
///   (ACPI power button, then a kill after the grace period), ERROR when qemu cannot start,
///   the image is refused or the guest's kernel panics. A run is always reported as ACTIVE
///   at least once, even when the guest powers off before anyone looks.
/// - Each Neutron port is a user-mode (slirp) NIC with the port's MAC whose DHCP hands the guest
///   the port's fixed IP (`restrict=on`: the guest reaches nothing). A floating IP on the port
///   (an address in 127.0.0.0/8) forwards each TCP port the security groups let in
///   (`FIP:port` to the fixed IP), changed while the machine runs: no rule, no forward. A
///   range of more than 64 ports forwards only 22, 23, 80, 443 and 8080. A kernel boot gets
///   `ferrostack_server=<id>` on its command line.
/// - A config drive (an ISO9660 `config-2` image of the server's metadata, made with
///   `genisoimage` as Nova makes it, on the machine's SATA cdrom) is attached when the request
///   asks for one, when the image says `img_config_drive=mandatory`, and for every new server
///   while [`QemuDriver::force_config_drive`] is on, which it is by default: a guest here
///   cannot reach a metadata service (its user-mode network reaches nothing, and
///   169.254.169.254 is not in it), so the drive is where cloud-init finds its key, user data
///   and network. The drive is made at the first boot and kept (as Nova keeps
///   `disk.config`); a `genisoimage` that fails, or is missing, is the server's fault.
/// - The console output is the serial log of every run; the VNC console URL is
///   `vnc://127.0.0.1:PORT`; reboot and start start a new qemu (it runs with `-no-reboot`).
/// - Deleting a server, resetting or dropping the cloud, or dropping the driver kills its
///   qemu processes at once: no orphan qemu.
///
/// ```no_run
/// use std::sync::Arc;
/// use mock_cloud::{MockCloud, QemuDriver};
///
/// # async fn demo() -> anyhow::Result<()> {
/// let driver = QemuDriver::new("target/mock-cloud-instances")?;
/// let cloud = MockCloud::builder()
///     .compute_driver(Arc::new(driver))
///     .start()
///     .await?;
/// # let _ = cloud;
/// # Ok(())
/// # }
/// ```
pub struct QemuDriver {
    work_dir: PathBuf,
    settings: Arc<Settings>,
    machines: Mutex<HashMap<String, Entry>>,
    force_config_drive: bool,
}

/// A server's machine, and how to reach its task.
struct Entry {
    machine: Arc<Machine>,
    /// Its NICs, which host forwards go into.
    nics: Vec<Nic>,
    /// What a NIC attached later is made with: the host name DHCP hands out, the card.
    hostname: String,
    nic_model: NicModel,
    /// The index of the next NIC's netdev id: never one the machine had before, so that a
    /// NIC still leaving is not confused with the next one.
    next_nic: usize,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for QemuDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QemuDriver")
            .field("work_dir", &self.work_dir)
            .field("qemu", &self.settings.qemu)
            .field("force_config_drive", &self.force_config_drive)
            .field("machines", &self.lock().len())
            .finish()
    }
}

impl QemuDriver {
    /// A driver keeping each server's files (disk overlay, config drive, serial logs) in a
    /// folder of `work_dir`, which is created when missing. Fails, naming the Debian package to
    /// install, when `qemu-system-x86_64` or `qemu-img` is absent; a missing `genisoimage`
    /// (package `genisoimage`) fails only the servers that need a config drive, naming it.
    /// Asks qemu for its machine types and devices (two runs, about 0.1 s, blocking), as
    /// libvirt reads its capabilities.
    pub fn new(work_dir: impl Into<PathBuf>) -> Result<QemuDriver, DriverError> {
        let work_dir = work_dir.into();
        let qemu = Program::QEMU_SYSTEM_X86_64
            .locate(None)
            .map_err(|err| DriverError(format!("qemu driver: {err}")))?;
        let qemu_img =
            QemuImg::locate().map_err(|err| DriverError(format!("qemu driver: {err}")))?;
        // What libvirt reads into its capabilities: the machine types and devices qemu has.
        let host = HostQemu::probe(&qemu).map_err(|err| {
            DriverError(format!(
                "qemu driver: cannot list what {} offers: {err}",
                qemu.display()
            ))
        })?;
        std::fs::create_dir_all(&work_dir).map_err(|err| {
            DriverError(format!(
                "qemu driver: cannot create the work folder {}: {err}",
                work_dir.display()
            ))
        })?;
        // Overlays name their backing file by absolute path.
        let work_dir = std::fs::canonicalize(&work_dir).map_err(|err| {
            DriverError(format!(
                "qemu driver: cannot resolve the work folder {}: {err}",
                work_dir.display()
            ))
        })?;
        Ok(QemuDriver {
            work_dir,
            settings: Arc::new(Settings {
                qemu,
                qemu_img,
                shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
                genisoimage: config_drive::GENISOIMAGE
                    .locate(None)
                    .map_err(|err| err.to_string()),
                host,
            }),
            machines: Mutex::new(HashMap::new()),
            force_config_drive: true,
        })
    }

    /// Whether every new server gets a config drive, asked for or not (Nova's
    /// `force_config_drive`; default on, unlike Nova's, because the guests of this driver
    /// have no metadata service to ask). A server booted before keeps what it had.
    pub fn force_config_drive(mut self, force: bool) -> Self {
        self.force_config_drive = force;
        self
    }

    /// Makes config drives with this program instead of the `genisoimage` found on `PATH`
    /// (Nova's `mkisofs_cmd`); it takes genisoimage's arguments.
    pub fn genisoimage(mut self, program: impl Into<PathBuf>) -> Self {
        let program = program.into();
        if let Some(settings) = Arc::get_mut(&mut self.settings) {
            settings.genisoimage = config_drive::GENISOIMAGE
                .locate(Some(&program))
                .map_err(|err| err.to_string());
        }
        self
    }

    /// How long a guest gets to power off on the ACPI button (stop, soft reboot) before
    /// qemu is killed (default 10 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        if let Some(settings) = Arc::get_mut(&mut self.settings) {
            settings.shutdown_grace = grace;
        }
        self
    }

    /// The folder holding one folder per server.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The pid of the qemu running server `server_id`, if one runs (for tests and tools
    /// that check for orphans).
    pub fn pid(&self, server_id: &str) -> Option<u32> {
        self.machine(server_id)?.pid()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.machines
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn machine(&self, server_id: &str) -> Option<Arc<Machine>> {
        self.lock()
            .get(server_id)
            .map(|entry| entry.machine.clone())
    }

    /// The server's plan, checked against what this host's qemu offers.
    fn plan(&self, spec: &BootSpec) -> Result<BootPlan, DriverError> {
        let plan = BootPlan::from_spec(spec)?;
        plan.check_host(&self.settings.host)?;
        Ok(plan)
    }

    /// Marks the transition begun and hands the order to the machine's task.
    fn order(&self, server_id: &str, phase: Phase, command: Command) -> Result<(), DriverError> {
        let machines = self.lock();
        let entry = machines
            .get(server_id)
            .ok_or_else(|| no_machine(server_id))?;
        entry.machine.begin(phase);
        entry.commands.send(command).map_err(|_| {
            DriverError(format!(
                "qemu driver: the machine of server {server_id} has stopped"
            ))
        })
    }

    /// Runs `machine`'s task (booting it now when `boot`), replacing any machine the server had.
    fn adopt(&self, spec: &BootSpec, machine: Arc<Machine>, plan: BootPlan, boot: bool) {
        let server_id = &spec.server_id;
        let (commands, orders) = mpsc::unbounded_channel();
        let nics = plan.nics.clone();
        let nic_model = plan.hardware.nic_model;
        let task = tokio::spawn(machine::supervise(
            machine.clone(),
            plan,
            self.settings.clone(),
            orders,
            boot,
        ));
        let entry = Entry {
            machine,
            next_nic: nics.len(),
            nics,
            hostname: spec.hostname.clone(),
            nic_model,
            commands,
            task,
        };
        if let Some(old) = self.lock().insert(server_id.to_owned(), entry) {
            old.machine.kill_now();
            old.task.abort();
        }
    }

    /// Kills every machine now and removes their folders.
    fn end_all(&self) {
        let entries: Vec<Entry> = self.lock().drain().map(|(_, entry)| entry).collect();
        for entry in entries {
            entry.machine.kill_now();
            entry.task.abort();
            let _ = std::fs::remove_dir_all(entry.machine.dir());
        }
    }
}

impl Entry {
    /// Makes the NICs follow the server's ports `ports`: a port the machine has keeps its
    /// NIC (and netdev id), a new one gets a NIC of its own. Whether anything changed. A port
    /// that cannot be a NIC (its subnet too small) is logged and left out, as at boot.
    fn follow(&mut self, server_id: &str, ports: &[BootNic]) -> bool {
        let mut nics = Vec::with_capacity(ports.len());
        for port in ports {
            if let Some(nic) = self
                .nics
                .iter()
                .find(|nic| nic.mac.eq_ignore_ascii_case(&port.mac))
            {
                nics.push(nic.clone());
                continue;
            }
            match plan::user_nic(self.next_nic, port, &self.hostname) {
                Ok(nic) => {
                    self.next_nic += 1;
                    nics.push(nic.model(self.nic_model));
                }
                Err(err) => {
                    tracing::warn!(server = %server_id, port = %port.port_id, %err, "the port gets no NIC");
                }
            }
        }
        let changed = nics != self.nics;
        self.nics = nics;
        changed
    }
}

fn no_machine(server_id: &str) -> DriverError {
    DriverError(format!("qemu driver: no machine for server {server_id}"))
}

impl Drop for QemuDriver {
    fn drop(&mut self) {
        self.end_all();
    }
}

impl ComputeDriver for QemuDriver {
    fn name(&self) -> &'static str {
        "qemu"
    }

    fn create(&self, spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
        let result = self.plan(&spec).map(|mut plan| {
            if self.force_config_drive && plan.config_drive.is_none() {
                plan.config_drive = config_drive::contents(&spec, true);
            }
            let machine = Machine::new(self.work_dir.join(&spec.server_id));
            self.adopt(&spec, machine, plan, true);
        });
        async move { result }.boxed()
    }

    fn start<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let result = self.order(server_id, Phase::Booting, Command::Start);
        async move { result }.boxed()
    }

    fn stop<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let result = self.order(server_id, Phase::Stopping, Command::Stop);
        async move { result }.boxed()
    }

    fn reboot<'a>(
        &'a self,
        server_id: &'a str,
        hard: bool,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        let result = self.order(server_id, Phase::Booting, Command::Reboot { hard });
        async move { result }.boxed()
    }

    fn delete<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let entry = self.lock().remove(server_id);
        async move {
            let Some(entry) = entry else {
                return Ok(());
            };
            entry.machine.kill_now();
            entry.task.abort();
            // A qemu still being started dies with the task's future.
            let _ = entry.task.await;
            match tokio::fs::remove_dir_all(entry.machine.dir()).await {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(err) => Err(DriverError(format!(
                    "qemu driver: cannot remove {}: {err}",
                    entry.machine.dir().display()
                ))),
            }
        }
        .boxed()
    }

    fn observe(&self, server_id: &str, _poll: bool) -> VmState {
        match self.machine(server_id) {
            Some(machine) => machine.report(),
            None => VmState::Unknown,
        }
    }

    fn tick(&self, _steps: u32) -> usize {
        // Real machines move on their own.
        0
    }

    fn console_output<'a>(
        &'a self,
        server_id: &'a str,
        length: Option<usize>,
    ) -> BoxFuture<'a, Result<String, DriverError>> {
        let machine = self.machine(server_id);
        async move {
            let machine = machine.ok_or_else(|| no_machine(server_id))?;
            Ok(console::read(machine.dir(), machine.runs(), length).await)
        }
        .boxed()
    }

    fn vnc_console<'a>(
        &'a self,
        server_id: &'a str,
    ) -> BoxFuture<'a, Result<RemoteConsole, DriverError>> {
        let result = match self.machine(server_id) {
            None => Err(no_machine(server_id)),
            Some(machine) => machine
                .vnc()
                .map(|addr| RemoteConsole {
                    url: format!("vnc://{addr}"),
                })
                .ok_or_else(|| {
                    DriverError(format!(
                        "qemu driver: server {server_id} is not running, so it has no VNC console"
                    ))
                }),
        };
        async move { result }.boxed()
    }

    fn reset(&self) {
        self.end_all();
    }

    /// Forwards `FIP:port` to the NIC's fixed IP for each port let in (ranges wider than 64
    /// ports on 22, 23, 80, 443 and 8080 only), now when the machine runs and on every later
    /// boot.
    fn network_changed(&self, server_id: &str, nics: &[BootNic], forwards: &[crate::PortForward]) {
        let mut machines = self.lock();
        let Some(entry) = machines.get_mut(server_id) else {
            return;
        };
        if entry.follow(server_id, nics) {
            // A task that is gone has nothing running to plug into.
            let _ = entry.commands.send(Command::Nics(entry.nics.clone()));
        }
        entry
            .machine
            .want(forwards::wanted(server_id, &entry.nics, forwards));
        let _ = entry.commands.send(Command::Forwards);
    }

    fn shutdown(&self) {
        self.end_all();
    }

    fn forces_config_drive(&self) -> bool {
        self.force_config_drive
    }

    /// The machine comes back off: its qemu died with the cloud. Its folder (the overlay and
    /// the serial logs of earlier runs) is kept when it is still there; the next start
    /// prepares a fresh disk from the image, as a first boot does.
    fn restore(&self, spec: BootSpec, fault: Option<String>) -> Result<(), DriverError> {
        let plan = self.plan(&spec)?;
        let machine = Machine::restored(self.work_dir.join(&spec.server_id), fault);
        self.adopt(&spec, machine, plan, false);
        Ok(())
    }
}
