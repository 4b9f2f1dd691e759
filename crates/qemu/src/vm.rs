//! `Vm`: a builder over `qemu-system-x86_64`, and the running machine it starts.
//!
//! The argv is built as plain data first ([`VmBuilder::argv`], snapshot-tested), then spawned.
//! The running [`Vm`] captures the serial console to a file and a stream, speaks QMP over a
//! unix socket in a private folder, and kills qemu's whole process group when dropped.

mod console;
mod hardware;
mod nic;
mod qmp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::UnixListener;
use tokio::process::Child;
use tokio::sync::broadcast;

use self::console::Console;
pub use self::hardware::{
    DiskBus, HostQemu, NicModel, RtcBase, ScsiController, Uefi, Video, is_q35, machine_has_ide,
};
use self::hardware::{Drive, drive_args, drive_path};
pub use self::nic::{HostForward, Nic};
pub use self::qmp::Qmp;
use crate::accel::Accel;
use crate::command::{Program, shell_quote};
use crate::error::{Error, Result};

/// How long qemu gets to connect to the QMP socket after it starts.
const QMP_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a qemu that closed QMP during setup gets to exit before the QMP error stands
/// on its own (it exits in milliseconds when it is dying).
const EXIT_AFTER_QMP_CLOSED: Duration = Duration::from_secs(5);

/// One disk: virtio by default, or on another [`DiskBus`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disk {
    /// The image file.
    pub path: PathBuf,
    /// Its format ("qcow2", "raw"); always given, since probing raw images is unsafe.
    pub format: String,
    /// Write changes to a temporary overlay, so that a run never changes the image.
    pub snapshot: bool,
    /// Attach read-only.
    pub read_only: bool,
    /// The bus it hangs on.
    pub bus: DiskBus,
    /// Its place in the firmware's boot order (1 first), when it has one.
    pub boot_index: Option<u32>,
}

impl Disk {
    /// A disk in snapshot mode (the image is left untouched), the safe default for boots.
    pub fn snapshot(path: impl Into<PathBuf>, format: impl Into<String>) -> Self {
        Disk {
            path: path.into(),
            format: format.into(),
            snapshot: true,
            read_only: false,
            bus: DiskBus::Virtio,
            boot_index: None,
        }
    }

    /// A disk the guest writes to (an installation target).
    pub fn writable(path: impl Into<PathBuf>, format: impl Into<String>) -> Self {
        Disk {
            snapshot: false,
            ..Disk::snapshot(path, format)
        }
    }

    /// Puts the disk on `bus` instead of virtio.
    pub fn bus(mut self, bus: DiskBus) -> Self {
        self.bus = bus;
        self
    }

    /// Gives the disk a place in the boot order (1 boots first).
    pub fn boot_index(mut self, index: u32) -> Self {
        self.boot_index = Some(index);
        self
    }
}

/// The parts of the argv that only exist once a run is set up (so that the rest is pure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLayout {
    /// The accelerator resolved for this host.
    pub accel: Accel,
    /// The QMP socket qemu connects to.
    pub qmp_socket: PathBuf,
}

/// Everything about a machine, before it runs.
///
/// ```no_run
/// # async fn demo() -> ferrostack_qemu::Result<()> {
/// use std::time::Duration;
/// use ferrostack_qemu::VmBuilder;
/// let mut vm = VmBuilder::new()
///     .memory_mib(256)
///     .kernel("vmlinuz")
///     .initrd("initrd.gz")
///     .append("console=ttyS0 panic=-1 smoke_token=abc")
///     .spawn()
///     .await?;
/// vm.wait_for_line(|line| line == "SMOKE-BOOT-OK abc", Duration::from_secs(120)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct VmBuilder {
    qemu: Option<PathBuf>,
    machine: String,
    memory_mib: u32,
    cpus: u32,
    accel: Option<Accel>,
    disks: Vec<Disk>,
    cdrom: Option<PathBuf>,
    boot_cdrom_once: bool,
    kernel: Option<PathBuf>,
    initrd: Option<PathBuf>,
    append: Option<String>,
    nocloud_seed: Option<PathBuf>,
    vnc: bool,
    serial_log: Option<PathBuf>,
    nics: Vec<Nic>,
    hotplug_ports: u8,
    system_info: Option<SystemInfo>,
    scsi_controller: Option<ScsiController>,
    cdrom_bus: Option<DiskBus>,
    video: Option<Video>,
    rtc: Option<RtcBase>,
    uefi: Option<Uefi>,
}

/// SMBIOS system information (type 1), what the guest reads from its DMI tables: cloud-init
/// recognises an OpenStack machine by its product name, and an instance by its system uuid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemInfo {
    /// `manufacturer` (Nova: `OpenStack Foundation`).
    pub manufacturer: Option<String>,
    /// `product` (Nova: `OpenStack Nova`).
    pub product: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `serial` (Nova: the instance's uuid).
    pub serial: Option<String>,
    /// `uuid`, the system uuid (Nova: the instance's uuid).
    pub uuid: Option<String>,
    /// `family` (Nova: `Virtual Machine`).
    pub family: Option<String>,
}

impl SystemInfo {
    /// The `-smbios` value: one argv element, a comma inside a value doubled as qemu wants.
    fn arg(&self) -> String {
        let fields = [
            ("manufacturer", &self.manufacturer),
            ("product", &self.product),
            ("version", &self.version),
            ("serial", &self.serial),
            ("uuid", &self.uuid),
            ("family", &self.family),
        ];
        let mut arg = "type=1".to_owned();
        for (key, value) in fields {
            if let Some(value) = value {
                arg.push_str(&format!(",{key}={}", value.replace(',', ",,")));
            }
        }
        arg
    }
}

impl Default for VmBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl VmBuilder {
    /// A q35 machine with 256 MiB, one CPU, no network, the accelerator chosen at spawn.
    pub fn new() -> Self {
        VmBuilder {
            qemu: None,
            machine: "q35".to_owned(),
            memory_mib: 256,
            cpus: 1,
            accel: None,
            disks: Vec::new(),
            cdrom: None,
            boot_cdrom_once: false,
            kernel: None,
            initrd: None,
            append: None,
            nocloud_seed: None,
            vnc: false,
            serial_log: None,
            nics: Vec::new(),
            hotplug_ports: HOTPLUG_PORTS,
            system_info: None,
            scsi_controller: None,
            cdrom_bus: None,
            video: None,
            rtc: None,
            uefi: None,
        }
    }

    /// The machine type (`-machine`): `q35` by default; `pc` (i440FX) has an IDE controller.
    pub fn machine(mut self, machine: impl Into<String>) -> Self {
        self.machine = machine.into();
        self
    }

    /// Gives the machine a SCSI controller of this model, which disks on [`DiskBus::Scsi`]
    /// hang on. Without, SCSI disks get libvirt's default ([`ScsiController::LsiLogic`]).
    pub fn scsi_controller(mut self, model: ScsiController) -> Self {
        self.scsi_controller = Some(model);
        self
    }

    /// Puts the CD-ROM ([`VmBuilder::cdrom`]) on `bus`; without, qemu's default place
    /// (`-drive media=cdrom`: IDE on `pc`, AHCI on q35).
    pub fn cdrom_bus(mut self, bus: DiskBus) -> Self {
        self.cdrom_bus = Some(bus);
        self
    }

    /// The video card instead of qemu's default VGA.
    pub fn video(mut self, video: Video) -> Self {
        self.video = Some(video);
        self
    }

    /// What the real-time clock keeps (`-rtc base=`); qemu's default is UTC.
    pub fn rtc(mut self, base: RtcBase) -> Self {
        self.rtc = Some(base);
        self
    }

    /// Boots UEFI firmware instead of the BIOS.
    pub fn uefi(mut self, uefi: Uefi) -> Self {
        self.uefi = Some(uefi);
        self
    }

    /// Sets the SMBIOS system information (type 1) the guest sees.
    pub fn system_info(mut self, info: SystemInfo) -> Self {
        self.system_info = Some(info);
        self
    }

    /// Runs this `qemu-system-x86_64` instead of the one on `PATH`.
    pub fn qemu_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.qemu = Some(path.into());
        self
    }

    /// Guest memory in MiB.
    pub fn memory_mib(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Number of virtual CPUs.
    pub fn cpus(mut self, cpus: u32) -> Self {
        self.cpus = cpus;
        self
    }

    /// Forces an accelerator instead of probing the host ([`Accel::detect`]).
    pub fn accel(mut self, accel: Accel) -> Self {
        self.accel = Some(accel);
        self
    }

    /// Attaches a disk (in order: the first virtio disk is `/dev/vda`).
    pub fn disk(mut self, disk: Disk) -> Self {
        self.disks.push(disk);
        self
    }

    /// Attaches an ISO as the CD-ROM.
    pub fn cdrom(mut self, iso: impl Into<PathBuf>) -> Self {
        self.cdrom = Some(iso.into());
        self
    }

    /// Boots from the CD-ROM first, once (later reboots use the disk): the installer setup.
    pub fn boot_cdrom_once(mut self) -> Self {
        self.boot_cdrom_once = true;
        self
    }

    /// Boots this kernel directly.
    pub fn kernel(mut self, path: impl Into<PathBuf>) -> Self {
        self.kernel = Some(path.into());
        self
    }

    /// The initial ramdisk for [`VmBuilder::kernel`].
    pub fn initrd(mut self, path: impl Into<PathBuf>) -> Self {
        self.initrd = Some(path.into());
        self
    }

    /// The kernel command line for [`VmBuilder::kernel`].
    pub fn append(mut self, cmdline: impl Into<String>) -> Self {
        self.append = Some(cmdline.into());
        self
    }

    /// Attaches a cloud-init NoCloud seed image (built by the testbed crate's `seed`) read-only.
    pub fn nocloud_seed(mut self, path: impl Into<PathBuf>) -> Self {
        self.nocloud_seed = Some(path.into());
        self
    }

    /// Serves the display over VNC on 127.0.0.1 (the first free display number).
    pub fn vnc(mut self, enabled: bool) -> Self {
        self.vnc = enabled;
        self
    }

    /// Writes the serial console here (default: `serial.log` in the run's private folder).
    pub fn serial_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.serial_log = Some(path.into());
        self
    }

    /// Adds a user-mode (slirp) NIC, in order (the first is the guest's `eth0`). Without any,
    /// the machine has no network at all.
    pub fn nic(mut self, nic: Nic) -> Self {
        self.nics.push(nic);
        self
    }

    /// How many NICs a q35 can take while it runs ([`Vm::nic_add`]), besides its own:
    /// each NIC sits on a PCI Express root port of its own, as libvirt places devices on a
    /// q35, so that it can also be unplugged, and `ports` more root ports stay free. An
    /// i440FX (`pc`) takes NICs on its PCI bus as they come. Default [`HOTPLUG_PORTS`].
    pub fn hotplug_ports(mut self, ports: u8) -> Self {
        self.hotplug_ports = ports;
        self
    }

    /// The PCI Express root ports of a q35 for its NICs (none on other machines).
    fn nic_ports(&self) -> Vec<String> {
        if !is_q35(&self.machine) {
            return Vec::new();
        }
        (0..self.nics.len() + usize::from(self.hotplug_ports))
            .map(|index| format!("nicport{index}"))
            .collect()
    }

    /// The arguments (without the program) for a run laid out as `layout`.
    pub fn argv(&self, layout: &RunLayout) -> Result<Vec<String>> {
        if self.kernel.is_none() && (self.initrd.is_some() || self.append.is_some()) {
            return Err(Error::invalid(
                "VmBuilder",
                "initrd and append need a kernel (call .kernel(...))",
            ));
        }
        let mut argv: Vec<String> = Vec::new();
        let mut push = |words: &[&str]| argv.extend(words.iter().map(|word| (*word).to_owned()));
        push(&["-machine", &self.machine, "-accel", layout.accel.as_str()]);
        push(&[
            "-m",
            &self.memory_mib.to_string(),
            "-smp",
            &self.cpus.to_string(),
        ]);
        if self.nics.is_empty() {
            // No network (saves the iPXE ROM).
            push(&["-nic", "none"]);
        }
        let ports = self.nic_ports();
        for (index, port) in ports.iter().enumerate() {
            // chassis numbers PCI Express slots; each root port needs its own.
            argv.push("-device".to_owned());
            argv.push(format!("pcie-root-port,id={port},chassis={}", index + 1));
        }
        for (index, nic) in self.nics.iter().enumerate() {
            if self.nics[..index].iter().any(|other| other.id == nic.id) {
                return Err(Error::invalid(
                    format!("NIC {}", nic.id),
                    "two NICs have this id",
                ));
            }
            argv.extend(nic.args(ports.get(index).map(String::as_str))?);
        }
        let mut push = |words: &[&str]| argv.extend(words.iter().map(|word| (*word).to_owned()));
        if let Some(info) = &self.system_info {
            push(&["-smbios", &info.arg()]);
        }
        if let Some(uefi) = &self.uefi {
            argv.extend(uefi.args());
        }
        let mut push = |words: &[&str]| argv.extend(words.iter().map(|word| (*word).to_owned()));
        if let Some(rtc) = self.rtc {
            push(&["-rtc", rtc.arg()]);
        }
        // No reboot, so that a guest reboot or panic ends qemu.
        push(&["-no-reboot"]);
        // The serial console on stdout (stdin is /dev/null), no monitor there.
        push(&["-serial", "stdio", "-monitor", "none"]);
        if self.vnc {
            // The first free display from 0 on; the port is read back over QMP.
            push(&["-vnc", "127.0.0.1:0,to=99"]);
        } else {
            push(&["-display", "none"]);
        }
        if let Some(video) = self.video {
            argv.extend(video.args());
        }
        let mut push = |words: &[&str]| argv.extend(words.iter().map(|word| (*word).to_owned()));
        let qmp_chardev = format!("socket,id=qmp,path={}", drive_path(&layout.qmp_socket));
        push(&["-chardev", &qmp_chardev, "-mon", "chardev=qmp,mode=control"]);
        let mut drives: Vec<Drive<'_>> = self
            .disks
            .iter()
            .enumerate()
            .map(|(index, disk)| Drive {
                id: format!("disk{index}"),
                path: &disk.path,
                format: &disk.format,
                bus: disk.bus,
                cdrom: false,
                snapshot: disk.snapshot,
                read_only: disk.read_only,
                boot_index: disk.boot_index,
            })
            .collect();
        if let (Some(iso), Some(bus)) = (&self.cdrom, self.cdrom_bus) {
            drives.push(Drive {
                id: "cdrom0".to_owned(),
                path: iso,
                format: "raw",
                bus,
                cdrom: true,
                snapshot: false,
                read_only: true,
                boot_index: None,
            });
        }
        argv.extend(drive_args(&self.machine, self.scsi_controller, &drives)?);
        let mut push = |words: &[&str]| argv.extend(words.iter().map(|word| (*word).to_owned()));
        if let Some(seed) = &self.nocloud_seed {
            let seed_drive = format!("file={},if=virtio,format=raw,readonly=on", drive_path(seed));
            push(&["-drive", &seed_drive]);
        }
        if let (Some(iso), None) = (&self.cdrom, self.cdrom_bus) {
            let cdrom_drive = format!("file={},media=cdrom,readonly=on", drive_path(iso));
            push(&["-drive", &cdrom_drive]);
        }
        if self.boot_cdrom_once {
            push(&["-boot", "once=d"]);
        }
        if let Some(kernel) = &self.kernel {
            push(&["-kernel", &kernel.to_string_lossy()]);
        }
        if let Some(initrd) = &self.initrd {
            push(&["-initrd", &initrd.to_string_lossy()]);
        }
        if let Some(append) = &self.append {
            push(&["-append", append]);
        }
        Ok(argv)
    }

    /// Starts qemu and waits until it has connected to QMP (and reported its VNC port).
    pub async fn spawn(self) -> Result<Vm> {
        let program = Program::QEMU_SYSTEM_X86_64.locate(self.qemu.as_deref())?;
        let run_dir = tempfile::Builder::new()
            .prefix("ferrostack-vm-")
            .tempdir()
            .map_err(|err| Error::io("cannot create a run folder in", std::env::temp_dir(), err))?;
        let layout = RunLayout {
            accel: self.accel.unwrap_or_else(Accel::detect),
            qmp_socket: run_dir.path().join("qmp.sock"),
        };
        let argv = self.argv(&layout)?;
        let nic_ports = self
            .nic_ports()
            .into_iter()
            .enumerate()
            .map(|(index, port)| (port, self.nics.get(index).map(|nic| nic.id.clone())))
            .collect();
        let command_line = std::iter::once(program.to_string_lossy().into_owned())
            .chain(argv.iter().cloned())
            .map(|word| shell_quote(&word))
            .collect::<Vec<_>>()
            .join(" ");
        // qemu connects to us: binding first means no polling for a socket to appear.
        let listener = UnixListener::bind(&layout.qmp_socket)
            .map_err(|err| Error::io("cannot listen on", &layout.qmp_socket, err))?;
        tracing::info!(command = %command_line, "starting qemu");
        // Killed by the kernel when the thread that started it goes (a runtime's worker: the
        // process ending, even SIGKILLed), so that no owner leaves a qemu running: util-linux's
        // `setpriv --pdeathsig` sets that and execs qemu in place (same pid, same argv after).
        let mut command = match Program::SETPRIV.locate(None) {
            Ok(setpriv) => {
                let mut command = tokio::process::Command::new(setpriv);
                command.args(["--pdeathsig", "KILL", "--"]).arg(&program);
                command
            }
            Err(_) => tokio::process::Command::new(&program),
        };
        command
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group, so that drop can kill anything qemu started too.
            .process_group(0);
        let mut child = command.spawn().map_err(|source| Error::Spawn {
            command: command_line.clone(),
            source,
        })?;
        let pid = child.id().unwrap_or_default();
        let serial_log = self
            .serial_log
            .clone()
            .unwrap_or_else(|| run_dir.path().join("serial.log"));
        let console = Console::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        tokio::spawn(console.clone().pump(stdout, serial_log.clone()));
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr_task = tokio::spawn(async move {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text).await;
            String::from_utf8_lossy(&text).trim().to_owned()
        });
        let mut vm = Vm {
            child: Some(child),
            pid,
            command_line,
            console,
            serial_log,
            stderr_task: Some(stderr_task),
            qmp: None,
            vnc: None,
            nics: self.nics.clone(),
            nic_ports,
            _run_dir: run_dir,
        };
        let stream = {
            let child = vm.child.as_mut().expect("just spawned");
            tokio::select! {
                accepted = tokio::time::timeout(QMP_CONNECT_TIMEOUT, listener.accept()) => match accepted {
                    Ok(Ok((stream, _))) => stream,
                    Ok(Err(err)) => return Err(Error::io("cannot accept QMP on", &layout.qmp_socket, err)),
                    Err(_) => return Err(Error::Timeout { what: "qemu connecting to QMP".to_owned(), after: QMP_CONNECT_TIMEOUT }),
                },
                status = child.wait() => {
                    let status = status.map_err(|err| Error::io("cannot wait for qemu", &program, err))?;
                    return Err(vm.exited_error(status).await);
                }
            }
        };
        // qemu connects to its chardevs before it opens its disks: a missing or unreadable
        // disk shows here as a closed QMP socket, and qemu's stderr says why.
        if let Err(err) = vm.finish_setup(stream, self.vnc).await {
            return Err(vm.setup_error(err, &program).await);
        }
        Ok(vm)
    }
}

/// Reads the listening address out of a `query-vnc` answer.
fn parse_vnc_address(answer: &Value) -> Result<SocketAddr> {
    let host = answer.get("host").and_then(Value::as_str);
    let service = answer.get("service").and_then(Value::as_str);
    match (host, service) {
        (Some(host), Some(service)) => format!("{host}:{service}")
            .parse()
            .map_err(|err| Error::Qmp(format!("query-vnc address {host}:{service}: {err}"))),
        _ => Err(Error::Qmp(format!(
            "query-vnc answered without host/service: {answer}"
        ))),
    }
}

/// The PCI Express root ports a q35 keeps free for NICs plugged in while it runs.
pub const HOTPLUG_PORTS: u8 = 4;

/// A running qemu. Dropping it kills qemu (its whole process group) at once and reaps it: in
/// a task of the current runtime, or before `drop` returns off a runtime. [`Vm::kill`]
/// waits for the reaping.
#[derive(Debug)]
pub struct Vm {
    child: Option<Child>,
    pid: u32,
    command_line: String,
    console: Arc<Console>,
    serial_log: PathBuf,
    stderr_task: Option<tokio::task::JoinHandle<String>>,
    qmp: Option<Qmp>,
    vnc: Option<SocketAddr>,
    /// The NICs the machine has now: its own, then those added since, less those removed.
    nics: Vec<Nic>,
    /// A q35's PCI Express root ports for NICs, and the NIC on each (empty on other machines).
    nic_ports: Vec<(String, Option<String>)>,
    // Held for its Drop: removes the QMP socket and the default serial log.
    _run_dir: tempfile::TempDir,
}

impl Vm {
    /// qemu's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The command line qemu was started with.
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    /// Where a VNC client connects (when VNC was enabled).
    pub fn vnc_address(&self) -> Option<SocketAddr> {
        self.vnc
    }

    /// The file the serial console is written to.
    pub fn serial_log(&self) -> &Path {
        &self.serial_log
    }

    /// Every console line so far (without line endings).
    pub fn console_lines(&self) -> Vec<String> {
        self.console.lines_since(0)
    }

    /// The last `count` console lines, joined by newlines.
    pub fn console_tail(&self, count: usize) -> String {
        self.console.tail(count)
    }

    /// A live stream of console lines from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.console.subscribe()
    }

    /// Waits for a console line for which `matches` is true (lines already seen count) and
    /// returns it. Fails with [`Error::BootFailed`] if qemu ends first or `deadline` passes.
    pub async fn wait_for_line(
        &mut self,
        matches: impl Fn(&str) -> bool,
        deadline: Duration,
    ) -> Result<String> {
        let mut progress = self.console.watch();
        let mut seen = 0;
        let search = async {
            loop {
                let now = *progress.borrow_and_update();
                if let Some(line) = self
                    .console
                    .lines_since(seen)
                    .into_iter()
                    .find(|line| matches(line))
                {
                    return Some(line);
                }
                seen = now.lines;
                if now.closed || progress.changed().await.is_err() {
                    return None;
                }
            }
        };
        match tokio::time::timeout(deadline, search).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => {
                let status = match self.child.as_mut() {
                    Some(child) => child.wait().await.map(|status| status.to_string()),
                    None => Ok("no process".to_owned()),
                }
                .unwrap_or_else(|err| err.to_string());
                Err(Error::BootFailed {
                    reason: format!("qemu ended ({status}) before the expected console line"),
                    console_tail: self.console.tail(30),
                })
            }
            Err(_) => Err(Error::BootFailed {
                reason: format!("no expected console line within {deadline:?}"),
                console_tail: self.console.tail(30),
            }),
        }
    }

    /// Runs a QMP command and returns its `return` value.
    pub async fn qmp(&mut self, command: &str, arguments: Option<Value>) -> Result<Value> {
        match self.qmp.as_mut() {
            Some(qmp) => qmp.execute(command, arguments).await,
            None => Err(Error::Qmp("no QMP session".to_owned())),
        }
    }

    /// Forwards TCP connections to `forward.host` (an address in 127.0.0.0/8; anything else is
    /// refused) into the guest behind NIC `forward.netdev`, while the machine runs. Fails
    /// with qemu's own words when the address is in use or the NIC unknown.
    pub async fn hostfwd_add(&mut self, forward: &HostForward) -> Result<()> {
        forward.check()?;
        let reply = self.human_monitor(&forward.add_command()).await?;
        nic::check_add_reply(forward, &reply)
    }

    /// Removes the forward of `forward.host` on NIC `forward.netdev`; fails when there is none.
    pub async fn hostfwd_remove(&mut self, forward: &HostForward) -> Result<()> {
        forward.check()?;
        let reply = self.human_monitor(&forward.remove_command()).await?;
        nic::check_remove_reply(forward, &reply)
    }

    /// The NICs the machine has now.
    pub fn nics(&self) -> &[Nic] {
        &self.nics
    }

    /// Plugs `nic` into the running machine (QMP `netdev_add`, then `device_add`); a guest
    /// with PCI hot-plug sees a new card. On a q35 it takes a free root port, and fails when
    /// none is left ([`VmBuilder::hotplug_ports`]). A failure leaves nothing half-made.
    pub async fn nic_add(&mut self, nic: Nic) -> Result<()> {
        let what = format!("NIC {}", nic.id);
        if self.nics.iter().any(|other| other.id == nic.id) {
            return Err(Error::invalid(
                what,
                "the machine already has a NIC with this id",
            ));
        }
        let netdev = nic.netdev_add_arguments()?;
        let port = if self.nic_ports.is_empty() {
            None
        } else {
            let free = self.nic_ports.iter().position(|(_, used)| used.is_none());
            let Some(free) = free else {
                return Err(Error::invalid(
                    what,
                    format!(
                        "every one of the machine's {} PCI Express root ports for NICs is taken",
                        self.nic_ports.len()
                    ),
                ));
            };
            Some(free)
        };
        let bus = port.map(|index| self.nic_ports[index].0.clone());
        self.qmp("netdev_add", Some(netdev)).await?;
        let device = nic.device_add_arguments(bus.as_deref());
        if let Err(err) = self.qmp("device_add", Some(device)).await {
            let id = serde_json::json!({ "id": nic.id });
            if let Err(also) = self.qmp("netdev_del", Some(id)).await {
                tracing::warn!(nic = %nic.id, %also, "cannot take back the netdev of a NIC that did not plug in");
            }
            return Err(err);
        }
        if let Some(index) = port {
            self.nic_ports[index].1 = Some(nic.id.clone());
        }
        self.nics.push(nic);
        Ok(())
    }

    /// Unplugs NIC `id` (QMP `device_del`), waits up to `deadline` for the guest to let it
    /// go (the `DEVICE_DELETED` event: PCI hot-unplug needs the guest's consent), then removes
    /// its netdev, and with it the host forwards into it. When the guest does not let go, the
    /// NIC stays and the error says so.
    pub async fn nic_remove(&mut self, id: &str, deadline: Duration) -> Result<()> {
        let Some(index) = self.nics.iter().position(|nic| nic.id == id) else {
            return Err(Error::invalid(
                format!("NIC {id}"),
                "the machine has no such NIC",
            ));
        };
        let device = self.nics[index].device_id();
        self.qmp("device_del", Some(serde_json::json!({ "id": device })))
            .await?;
        let qmp = self
            .qmp
            .as_mut()
            .ok_or_else(|| Error::Qmp("no QMP session".to_owned()))?;
        let deleted = |event: &Value| {
            event["event"] == "DEVICE_DELETED" && event["data"]["device"] == device.as_str()
        };
        qmp.wait_event(deleted, deadline).await.map_err(|_| {
            Error::Qmp(format!(
                "the guest did not let NIC {id} go within {deadline:?} (device_del needs the \
                 guest's PCI hot-plug)"
            ))
        })?;
        self.qmp("netdev_del", Some(serde_json::json!({ "id": id })))
            .await?;
        self.nics.remove(index);
        for (_, used) in &mut self.nic_ports {
            if used.as_deref() == Some(id) {
                *used = None;
            }
        }
        Ok(())
    }

    /// Runs an HMP command over QMP and returns its text output.
    async fn human_monitor(&mut self, command_line: &str) -> Result<String> {
        let answer = self
            .qmp(
                "human-monitor-command",
                Some(serde_json::json!({ "command-line": command_line })),
            )
            .await?;
        answer.as_str().map(str::to_owned).ok_or_else(|| {
            Error::Qmp(format!(
                "human-monitor-command answered with no text: {answer}"
            ))
        })
    }

    /// The run state qemu reports (`query-status`): "running", "paused", "shutdown" ...
    pub async fn query_status(&mut self) -> Result<String> {
        let answer = self.qmp("query-status", None).await?;
        answer
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Qmp(format!("query-status answered without status: {answer}")))
    }

    /// Whether qemu is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Waits for qemu to exit on its own, for at most `deadline` (forever when `None`).
    pub async fn wait(&mut self, deadline: Option<Duration>) -> Result<ExitStatus> {
        let child = self
            .child
            .as_mut()
            .ok_or_else(|| Error::Qmp("qemu was already reaped".to_owned()))?;
        let waiting = child.wait();
        let status = match deadline {
            Some(deadline) => {
                tokio::time::timeout(deadline, waiting)
                    .await
                    .map_err(|_| Error::Timeout {
                        what: "the guest powering off".to_owned(),
                        after: deadline,
                    })?
            }
            None => waiting.await,
        };
        status.map_err(|err| {
            Error::io(
                "cannot wait for qemu",
                PathBuf::from(&self.command_line),
                err,
            )
        })
    }

    /// Presses the ACPI power button (`system_powerdown`), waits up to `grace` for the guest
    /// to power off, then kills qemu. Returns qemu's exit status.
    pub async fn power_off(&mut self, grace: Duration) -> Result<ExitStatus> {
        if self.is_running() {
            if let Err(err) = self.qmp("system_powerdown", None).await {
                tracing::warn!(%err, "system_powerdown failed; killing qemu");
            } else if let Ok(status) = self.wait(Some(grace)).await {
                return Ok(status);
            }
        }
        self.kill().await
    }

    /// Kills qemu's process group now and reaps it.
    pub async fn kill(&mut self) -> Result<ExitStatus> {
        self.kill_group();
        self.wait(None).await
    }

    fn kill_group(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        // Only while it is unreaped: a reaped pid may already belong to someone else.
        if let Ok(None) = child.try_wait() {
            if let Some(pid) = i32::try_from(self.pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
            let _ = child.start_kill();
        }
    }

    /// The QMP handshake, and the VNC address when VNC is on.
    async fn finish_setup(&mut self, stream: tokio::net::UnixStream, vnc: bool) -> Result<()> {
        self.qmp = Some(Qmp::handshake(stream).await?);
        if vnc {
            let answer = self.qmp("query-vnc", None).await?;
            self.vnc = Some(parse_vnc_address(&answer)?);
        }
        Ok(())
    }

    /// The error for a setup step that failed: qemu's own exit status and stderr when it
    /// exits (it closes QMP as it dies), else `err`.
    async fn setup_error(&mut self, err: Error, program: &Path) -> Error {
        let Some(child) = self.child.as_mut() else {
            return err;
        };
        match tokio::time::timeout(EXIT_AFTER_QMP_CLOSED, child.wait()).await {
            Ok(Ok(status)) => self.exited_error(status).await,
            Ok(Err(wait)) => Error::io("cannot wait for qemu", program, wait),
            Err(_) => err,
        }
    }

    /// The error for a qemu that exited while it was being set up.
    async fn exited_error(&mut self, status: ExitStatus) -> Error {
        let stderr = match self.stderr_task.take() {
            Some(task) => task.await.unwrap_or_default(),
            None => String::new(),
        };
        Error::CommandFailed {
            command: self.command_line.clone(),
            status: status.to_string(),
            stderr,
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // SIGKILL to the whole group takes effect at once; what remains is to reap qemu once
        // the kernel has torn it down, so that no zombie outlives it.
        self.kill_group();
        let Some(mut child) = self.child.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            // On a runtime, the wait is a task: a blocking wait in Drop would stall the
            // worker (and every task on it) until the kernel is done.
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = child.wait().await;
                });
            }
            // Off a runtime nothing else runs on this thread: wait here, bounded in case the
            // process is stuck in the kernel (then tokio's orphan queue takes it).
            Err(_) => {
                for _ in 0..5000 {
                    match child.try_wait() {
                        Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                        _ => break,
                    }
                }
            }
        }
    }
}

/// A `Vm` moves into tasks: a mock cloud runs several at once.
const _: fn() = || {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Vm>();
    assert_send::<VmBuilder>();
};

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Vm` around any child process (here a `sleep`), as `spawn` would make it.
    fn vm_of(program: &str, args: &[&str]) -> Vm {
        let child = tokio::process::Command::new(program)
            .args(args)
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .unwrap();
        let run_dir = tempfile::tempdir().unwrap();
        Vm {
            pid: child.id().unwrap(),
            child: Some(child),
            command_line: program.to_owned(),
            console: Console::new(),
            serial_log: run_dir.path().join("serial.log"),
            stderr_task: None,
            qmp: None,
            vnc: None,
            nics: Vec::new(),
            nic_ports: Vec::new(),
            _run_dir: run_dir,
        }
    }

    /// Whether a process (a zombie included) is there.
    fn exists(pid: u32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[tokio::test]
    async fn drop_kills_at_once_and_reaps_without_blocking_the_runtime() {
        let vm = vm_of("sleep", &["600"]);
        let pid = vm.pid();
        drop(vm);
        // This single-threaded runtime has not run anything since the drop: had Drop not
        // returned before the process was reaped, it would be gone already.
        assert!(
            exists(pid),
            "Drop waited for the kernel on the runtime's thread"
        );
        // The runtime reaps it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while exists(pid) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{pid} was never reaped"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[test]
    fn drop_off_a_runtime_reaps_before_it_returns() {
        // A runtime to spawn on, left before the drop.
        let vm = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { vm_of("sleep", &["600"]) });
        let pid = vm.pid();
        drop(vm);
        assert!(!exists(pid), "{pid} outlived its Vm");
    }

    fn layout() -> RunLayout {
        RunLayout {
            accel: Accel::Tcg,
            qmp_socket: PathBuf::from("/run/vm/qmp.sock"),
        }
    }

    #[test]
    fn argv_kernel_and_initrd_boot() {
        let builder = VmBuilder::new()
            .kernel("/cache/vmlinuz")
            .initrd("/cache/initrd.gz")
            .append("console=ttyS0 panic=-1 quiet smoke_token=t0k3n");
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    #[test]
    fn argv_smbios_system_info_is_one_element_with_commas_doubled() {
        let info = SystemInfo {
            manufacturer: Some("OpenStack Foundation".into()),
            product: Some("OpenStack Nova".into()),
            serial: Some("a,b".into()),
            ..SystemInfo::default()
        };
        let argv = VmBuilder::new().system_info(info).argv(&layout()).unwrap();
        let at = argv.iter().position(|word| word == "-smbios").unwrap();
        assert_eq!(
            argv[at + 1],
            "type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,serial=a,,b"
        );
    }

    #[test]
    fn argv_disks_seed_and_vnc() {
        let builder = VmBuilder::new()
            .memory_mib(512)
            .cpus(2)
            .accel(Accel::Kvm)
            .disk(Disk::snapshot("/images/root,1.qcow2", "qcow2"))
            .disk(Disk {
                read_only: true,
                ..Disk::writable("/images/data.raw", "raw")
            })
            .nocloud_seed("/run/vm/seed.img")
            .vnc(true);
        let layout = RunLayout {
            accel: Accel::Kvm,
            ..layout()
        };
        insta::assert_debug_snapshot!(builder.argv(&layout).unwrap());
    }

    #[test]
    fn argv_installer() {
        let builder = VmBuilder::new()
            .memory_mib(1024)
            .disk(Disk::writable("/images/blank.qcow2", "qcow2"))
            .cdrom("/isos/debian.iso")
            .boot_cdrom_once()
            .vnc(true);
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    fn nic(id: &str, last: u8) -> Nic {
        Nic::user(
            id,
            format!("fa:16:3e:00:00:{last:02x}"),
            [10, 0, 0, last].into(),
            [10, 0, 0, 0].into(),
            22,
        )
        .gateway([10, 0, 0, 1].into())
    }

    #[test]
    fn argv_user_nics() {
        let builder = VmBuilder::new()
            .kernel("/cache/vmlinuz")
            .nic(nic("port0", 3).hostname("vm-1"))
            .nic(nic("port1", 2));
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    #[test]
    fn argv_windows_style_machine_ide_disk_e1000_cirrus_localtime() {
        let builder = VmBuilder::new()
            .machine("pc")
            .disk(
                Disk::writable("/work/s1/disk.qcow2", "qcow2")
                    .bus(DiskBus::Ide)
                    .boot_index(1),
            )
            .cdrom("/work/s1/disk.config")
            .cdrom_bus(DiskBus::Ide)
            .nic(nic("port0", 3).model(NicModel::E1000))
            .video(Video::Cirrus)
            .rtc(RtcBase::LocalTime)
            .vnc(true);
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    #[test]
    fn argv_q35_uefi_sata_disk_scsi_cdrom_and_no_video() {
        let builder = VmBuilder::new()
            .machine("pc-q35-10.0")
            .uefi(Uefi {
                code: Uefi::DEBIAN_CODE.into(),
                vars: "/work/s1/nvram,vars.fd".into(),
            })
            .disk(
                Disk::writable("/work/s1/disk.qcow2", "qcow2")
                    .bus(DiskBus::Sata)
                    .boot_index(1),
            )
            .scsi_controller(ScsiController::VirtioScsi)
            .cdrom("/work/s1/disk.config")
            .cdrom_bus(DiskBus::Scsi)
            .nic(nic("port0", 3).model(NicModel::Rtl8139))
            .video(Video::None)
            .rtc(RtcBase::Utc);
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    #[test]
    fn argv_every_nic_model_keeps_the_mac_and_network() {
        for model in NicModel::ALL {
            let argv = VmBuilder::new()
                .nic(nic("port0", 3).model(model))
                .argv(&layout())
                .unwrap();
            let at = argv.iter().position(|word| word == "-netdev").unwrap();
            assert!(argv[at + 1].starts_with("user,id=port0,net=10.0.0.0/22"));
            assert_eq!(argv[at + 2], "-device");
            // A q35's NIC sits on a root port of its own (the first of five: one + four free).
            assert_eq!(
                argv[at + 3],
                format!(
                    "{},id=nic-port0,netdev=port0,mac=fa:16:3e:00:00:03,bus=nicport0",
                    model.device()
                )
            );
            let ports = argv
                .iter()
                .filter(|word| word.starts_with("pcie-root-port,"))
                .count();
            assert_eq!(ports, 1 + usize::from(HOTPLUG_PORTS));
        }
    }

    #[test]
    fn argv_usb_and_floppy_disks() {
        let builder = VmBuilder::new()
            .machine("pc")
            .disk(
                Disk::snapshot("/images/usb.qcow2", "qcow2")
                    .bus(DiskBus::Usb)
                    .boot_index(1),
            )
            .disk(Disk::snapshot("/images/floppy.raw", "raw").bus(DiskBus::Fdc));
        insta::assert_debug_snapshot!(builder.argv(&layout()).unwrap());
    }

    #[test]
    fn an_ide_disk_on_q35_is_refused() {
        let err = VmBuilder::new()
            .disk(Disk::snapshot("/images/d.qcow2", "qcow2").bus(DiskBus::Ide))
            .argv(&layout())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "disk /images/d.qcow2: machine type q35 has no IDE controller"
        );
    }

    #[test]
    fn bad_nics_are_refused() {
        let twice = VmBuilder::new().nic(nic("port0", 3)).nic(nic("port0", 4));
        assert_eq!(
            twice.argv(&layout()).unwrap_err().to_string(),
            "NIC port0: two NICs have this id"
        );
        let outside = VmBuilder::new().nic(nic("port0", 3).gateway([10, 9, 0, 1].into()));
        assert!(outside.argv(&layout()).is_err());
    }

    #[test]
    fn initrd_without_kernel_is_refused() {
        let err = VmBuilder::new().initrd("i").argv(&layout()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "VmBuilder: initrd and append need a kernel (call .kernel(...))"
        );
    }

    #[test]
    fn vnc_address_comes_from_query_vnc() {
        let answer = serde_json::json!({"enabled": true, "host": "127.0.0.1", "service": "5901", "family": "ipv4", "clients": []});
        assert_eq!(
            parse_vnc_address(&answer).unwrap(),
            "127.0.0.1:5901".parse().unwrap()
        );
        let err = parse_vnc_address(&serde_json::json!({"enabled": false})).unwrap_err();
        assert!(err.to_string().contains("without host/service"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_qemu_names_its_package() {
        let err = VmBuilder::new()
            .qemu_binary("/nonexistent/qemu-system-x86_64")
            .spawn()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("qemu-system-x86"), "{err}");
    }
}
