//! One server's machine: the state the API observes, and the task that runs its qemu.
//!
//! The running [`Vm`] lives in the shared state (behind a plain mutex, never held across an
//! await), so that deleting the server, resetting the cloud or dropping the driver kills and
//! reaps it at once, synchronously. qemu's exit is watched by a small thread blocked in
//! `waitid(P_PIDFD, WNOWAIT)`, which needs no access to the `Vm` and leaves the reaping to it;
//! the task takes the `Vm` out of the shared state only for a QMP command.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferrostack_format_inspector::{Verdict, decide, inspect_file};
use ferrostack_qemu::img::{ConvertSpec, CreateSpec};
use ferrostack_qemu::{HostForward, HostQemu, Nic, QemuImg, Uefi, Vm};
use futures::FutureExt;
use tokio::sync::{broadcast, mpsc, watch};

use super::plan::{BootPlan, ImageFile, PreparedFiles};
use super::{config_drive, console};
use crate::nova::driver::VmState;

/// How long a QMP command may take before qemu counts as unresponsive.
const QMP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a guest gets to let go of an unplugged NIC (ACPI or PCIe hot-unplug), as
/// libvirt waits for `DEVICE_DELETED` before it calls a detach failed.
const UNPLUG_DEADLINE: Duration = Duration::from_secs(20);

/// What every machine of a driver shares.
#[derive(Debug)]
pub(crate) struct Settings {
    /// `qemu-system-x86_64`.
    pub(crate) qemu: PathBuf,
    /// `qemu-img`, for the overlays.
    pub(crate) qemu_img: QemuImg,
    /// How long a guest gets to power off on the ACPI button before qemu is killed.
    pub(crate) shutdown_grace: Duration,
    /// `genisoimage`, for config drives; why not, when it is missing.
    pub(crate) genisoimage: Result<PathBuf, String>,
    /// The machine types and devices `qemu` offers.
    pub(crate) host: HostQemu,
}

/// What the machine is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Preparing its disk or starting qemu (create, start, reboot).
    Booting,
    /// qemu runs.
    Running,
    /// Powering off (stop).
    Stopping,
    /// Powered off: by the guest, or stopped.
    Off,
    /// It could not boot, or it crashed; the reason becomes the server's fault.
    Failed(String),
}

/// An order for the machine's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Boot a machine that is off.
    Start,
    /// Power off: the ACPI button, then a kill after the grace period.
    Stop,
    /// Power off (soft: gracefully; hard: kill) and boot again; qemu runs with -no-reboot,
    /// so a reboot is a new qemu.
    Reboot {
        /// Kill rather than ask the guest.
        hard: bool,
    },
    /// The wanted host forwards changed ([`Machine::want`]): make the running qemu's match.
    Forwards,
    /// The server's NICs are now these (an interface attached or detached): the running qemu
    /// gets them plugged in and out, and every later boot has them.
    Nics(Vec<Nic>),
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// The running qemu, when there is one and no QMP command has it.
    vm: Option<Vm>,
    /// The machine reached `Running` and nobody has observed that yet: the API passes
    /// through ACTIVE even when the guest powers off before anyone looks (as Nova's database
    /// does, which records ACTIVE when the spawn finishes).
    unreported_run: bool,
    vnc: Option<SocketAddr>,
    /// qemu starts so far; run N's serial console is `serial-N.log`.
    runs: u32,
    /// Deleted: whatever the task still starts is killed at once.
    gone: bool,
    /// The host forwards the machine should have whenever it runs.
    wanted: BTreeSet<HostForward>,
}

/// One server's machine.
#[derive(Debug)]
pub(crate) struct Machine {
    dir: PathBuf,
    state: Mutex<State>,
}

impl Machine {
    /// A machine about to boot, with its files in `dir`.
    pub(crate) fn new(dir: PathBuf) -> Arc<Machine> {
        Arc::new(Machine {
            dir,
            state: Mutex::new(State {
                phase: Phase::Booting,
                vm: None,
                unreported_run: false,
                vnc: None,
                runs: 0,
                gone: false,
                wanted: BTreeSet::new(),
            }),
        })
    }

    /// A machine taken back after the cloud restarted: powered off (or failed, with that
    /// reason), its earlier runs' serial logs still counted.
    pub(crate) fn restored(dir: PathBuf, fault: Option<String>) -> Arc<Machine> {
        let runs = (0..)
            .take_while(|run| console::serial_log(&dir, *run).exists())
            .count();
        Arc::new(Machine {
            dir,
            state: Mutex::new(State {
                phase: fault.map_or(Phase::Off, Phase::Failed),
                vm: None,
                unreported_run: false,
                vnc: None,
                runs: u32::try_from(runs).unwrap_or(u32::MAX),
                gone: false,
                wanted: BTreeSet::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Its folder (overlay, links, serial logs).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the API should record now. Cheap: one lock, no I/O.
    pub(crate) fn report(&self) -> VmState {
        let mut state = self.lock();
        let running = match state.phase {
            Phase::Booting | Phase::Stopping => return VmState::Transitioning,
            Phase::Running => true,
            Phase::Off | Phase::Failed(_) => state.unreported_run,
        };
        if running {
            state.unreported_run = false;
            return VmState::Running;
        }
        match &state.phase {
            Phase::Failed(reason) => VmState::Failed(reason.clone()),
            _ => VmState::Shutdown,
        }
    }

    /// Marks a transition as begun (before its command reaches the task), so that the API
    /// never sees the state from before the request.
    pub(crate) fn begin(&self, phase: Phase) {
        let mut state = self.lock();
        if !state.gone {
            state.phase = phase;
        }
    }

    /// Sets the host forwards the machine should have (the task applies them: send it
    /// [`Command::Forwards`]).
    pub(crate) fn want(&self, forwards: BTreeSet<HostForward>) {
        self.lock().wanted = forwards;
    }

    /// The server's id (the machine's folder is named after it), for the logs.
    fn server_id(&self) -> String {
        self.dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Makes the running qemu's host forwards the wanted ones: removes the stale, adds the
    /// new. A forward that cannot be made (its address in use) is logged with the server and
    /// the address, and tried again on the next change.
    async fn sync_forwards(&self, live: &mut Live) {
        let wanted = self.lock().wanted.clone();
        if wanted == live.forwards {
            return;
        }
        let Some(mut vm) = self.lock().vm.take() else {
            return;
        };
        let server = self.server_id();
        let stale: Vec<HostForward> = live.forwards.difference(&wanted).cloned().collect();
        for forward in stale {
            match tokio::time::timeout(QMP_TIMEOUT, vm.hostfwd_remove(&forward)).await {
                Ok(Ok(())) => {
                    live.forwards.remove(&forward);
                }
                Ok(Err(err)) => {
                    // qemu has no such rule: there is nothing left to remove.
                    tracing::warn!(%server, host = %forward.host, %err, "cannot remove a host forward");
                    live.forwards.remove(&forward);
                }
                Err(_) => {
                    tracing::warn!(%server, host = %forward.host, "qemu did not answer hostfwd_remove");
                }
            }
        }
        let new: Vec<HostForward> = wanted.difference(&live.forwards).cloned().collect();
        for forward in new {
            match tokio::time::timeout(QMP_TIMEOUT, vm.hostfwd_add(&forward)).await {
                Ok(Ok(())) => {
                    tracing::info!(%server, host = %forward.host, guest = %forward.guest, "forwarding");
                    live.forwards.insert(forward);
                }
                Ok(Err(err)) => {
                    tracing::warn!(%server, host = %forward.host, guest = %forward.guest, %err, "cannot forward");
                }
                Err(_) => {
                    tracing::warn!(%server, host = %forward.host, "qemu did not answer hostfwd_add");
                }
            }
        }
        self.put_back(vm);
    }

    /// Gives back the qemu a QMP exchange took out of the state; a machine deleted meanwhile
    /// has it killed instead (outside the lock: Vm's Drop reaps it).
    fn put_back(&self, vm: Vm) {
        let mut state = self.lock();
        if state.gone {
            drop(state);
            drop(vm);
        } else {
            state.vm = Some(vm);
        }
    }

    /// Plugs NICs in and out of the running qemu until it has `wanted`. A NIC unplugged
    /// takes its host forwards with it. What fails (no free slot, a guest that does not let
    /// go) is logged with the server and the NIC; the next boot has exactly `wanted`.
    async fn sync_nics(&self, live: &mut Live, wanted: &[Nic]) {
        let Some(mut vm) = self.lock().vm.take() else {
            return;
        };
        let server = self.server_id();
        let gone: Vec<String> = vm
            .nics()
            .iter()
            .filter(|nic| !wanted.iter().any(|w| w.id == nic.id))
            .map(|nic| nic.id.clone())
            .collect();
        for id in gone {
            match vm.nic_remove(&id, UNPLUG_DEADLINE).await {
                Ok(()) => {
                    tracing::info!(%server, nic = %id, "NIC unplugged");
                    live.forwards.retain(|forward| forward.netdev != id);
                }
                Err(err) => tracing::warn!(%server, nic = %id, %err, "cannot unplug a NIC"),
            }
        }
        let new: Vec<Nic> = wanted
            .iter()
            .filter(|nic| !vm.nics().iter().any(|had| had.id == nic.id))
            .cloned()
            .collect();
        for nic in new {
            let (id, mac) = (nic.id.clone(), nic.mac.clone());
            match tokio::time::timeout(QMP_TIMEOUT, vm.nic_add(nic)).await {
                Ok(Ok(())) => tracing::info!(%server, nic = %id, %mac, "NIC plugged in"),
                Ok(Err(err)) => {
                    tracing::warn!(%server, nic = %id, %mac, %err, "cannot plug a NIC in");
                }
                Err(_) => {
                    tracing::warn!(%server, nic = %id, "qemu did not answer netdev_add/device_add")
                }
            }
        }
        self.put_back(vm);
    }

    /// How many runs have a serial log.
    pub(crate) fn runs(&self) -> u32 {
        self.lock().runs
    }

    /// Where VNC listens, while qemu runs.
    pub(crate) fn vnc(&self) -> Option<SocketAddr> {
        let state = self.lock();
        (state.phase == Phase::Running)
            .then_some(state.vnc)
            .flatten()
    }

    /// The pid of the running qemu.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.lock().vm.as_ref().map(Vm::pid)
    }

    /// Deleted: kills qemu now (and reaps it) and makes the task drop anything it starts.
    pub(crate) fn kill_now(&self) {
        let vm = {
            let mut state = self.lock();
            state.gone = true;
            state.vm.take()
        };
        // Vm's Drop kills qemu's process group and reaps it before returning.
        drop(vm);
    }

    fn settle(&self, phase: Phase) {
        let mut state = self.lock();
        if !state.gone {
            if phase != Phase::Running {
                state.vnc = None;
            }
            state.phase = phase;
        }
    }

    /// Whether a start, stop or reboot is queued for the task (it will settle the phase).
    fn transition_pending(&self) -> bool {
        matches!(self.lock().phase, Phase::Booting | Phase::Stopping)
    }

    fn kill_vm(&self) {
        let vm = self.lock().vm.take();
        drop(vm);
    }

    /// Prepares the disk when needed, then starts qemu. `None` when it did not start (the
    /// phase then says why).
    async fn boot(
        &self,
        plan: &BootPlan,
        settings: &Settings,
        files: &mut Option<PreparedFiles>,
    ) -> Option<Live> {
        self.settle(Phase::Booting);
        let prepared = match files {
            Some(prepared) => prepared,
            None => match prepare(plan, settings, &self.dir).await {
                Ok(prepared) => files.insert(prepared),
                Err(reason) => {
                    self.settle(Phase::Failed(reason));
                    return None;
                }
            },
        };
        let run = {
            let mut state = self.lock();
            state.runs += 1;
            state.runs - 1
        };
        let builder = plan.vm_builder(
            &settings.qemu,
            prepared,
            &console::serial_log(&self.dir, run),
        );
        let vm = match builder.spawn().await {
            Ok(vm) => vm,
            Err(err) => {
                self.settle(Phase::Failed(start_failure(err)));
                return None;
            }
        };
        let exited = match watch_exit(vm.pid()) {
            Ok(exited) => exited,
            Err(err) => {
                let pid = vm.pid();
                drop(vm);
                self.settle(Phase::Failed(format!(
                    "qemu driver: cannot watch qemu (pid {pid}): {err}"
                )));
                return None;
            }
        };
        let console = vm.subscribe();
        {
            let mut state = self.lock();
            if state.gone {
                drop(state);
                drop(vm);
                return None;
            }
            state.vnc = vm.vnc_address();
            state.vm = Some(vm);
            state.phase = Phase::Running;
            state.unreported_run = true;
        }
        // A new qemu has none of the forwards of the last one.
        let mut live = Live {
            exited,
            console,
            forwards: BTreeSet::new(),
        };
        self.sync_forwards(&mut live).await;
        Some(live)
    }

    /// Presses the ACPI power button and waits up to `grace` for the guest to power off,
    /// then kills qemu (which also reaps it).
    async fn power_off(&self, live: &mut Live, grace: Duration) {
        let taken = self.lock().vm.take();
        if let Some(mut vm) = taken {
            let pressed = tokio::time::timeout(QMP_TIMEOUT, vm.qmp("system_powerdown", None))
                .await
                .is_ok_and(|answer| answer.is_ok());
            {
                let mut state = self.lock();
                if state.gone {
                    drop(state);
                    drop(vm);
                    return;
                }
                state.vm = Some(vm);
            }
            if pressed
                && tokio::time::timeout(grace, exit_of(&mut live.exited))
                    .await
                    .is_err()
            {
                tracing::info!(dir = %self.dir.display(), ?grace, "the guest ignored the power button; killing qemu");
            }
        }
        self.kill_vm();
    }

    /// qemu ended on its own: reap it and say why, from its exit status and its console.
    fn finish_run(&self) {
        let mut state = self.lock();
        let Some(mut vm) = state.vm.take() else {
            return;
        };
        // Reaps the exited process, so that wait() answers at once.
        let still_running = vm.is_running();
        let status = if still_running {
            None
        } else {
            vm.wait(None).now_or_never().and_then(Result::ok)
        };
        let panic = vm
            .console_lines()
            .iter()
            .rev()
            .find(|line| console::is_panic(line))
            .map(|line| console::panic_reason(line).to_owned());
        state.vnc = None;
        if !matches!(state.phase, Phase::Booting | Phase::Stopping) && !state.gone {
            state.phase = match (panic, status) {
                (Some(reason), _) => Phase::Failed(panicked(&reason)),
                (None, Some(status)) if status.success() => Phase::Off,
                (None, Some(status)) => {
                    Phase::Failed(format!("qemu stopped unexpectedly ({status})"))
                }
                (None, None) => Phase::Failed("qemu stopped unexpectedly".to_owned()),
            };
        }
        drop(state);
        drop(vm);
    }
}

fn panicked(reason: &str) -> String {
    format!("The guest's kernel panicked: {reason}")
}

/// The fault of a qemu that did not start.
fn start_failure(err: ferrostack_qemu::Error) -> String {
    match err {
        ferrostack_qemu::Error::CommandFailed { status, stderr, .. } => {
            format!("qemu could not start the machine ({status}): {stderr}")
        }
        other => format!("qemu could not start the machine: {other}"),
    }
}

/// Resolves once qemu has exited: a thread waits for it without reaping it (the `Vm` reaps).
fn watch_exit(pid: u32) -> std::io::Result<watch::Receiver<bool>> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::other(format!("not a pid: {pid}")))?;
    // A pidfd names this very process, even if its pid were reused after it is reaped.
    let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())?;
    let (exited, receiver) = watch::channel(false);
    std::thread::Builder::new()
        .name(format!("qemu-{pid:?}-exit"))
        .spawn(move || {
            let options =
                rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT;
            // Returns when qemu has exited (or is already reaped: ECHILD).
            while let Err(rustix::io::Errno::INTR) =
                rustix::process::waitid(rustix::process::WaitId::PidFd(pidfd.as_fd()), options)
            {
            }
            let _ = exited.send(true);
        })?;
    Ok(receiver)
}

/// A qemu that runs, as the task watches it.
#[derive(Debug)]
struct Live {
    exited: watch::Receiver<bool>,
    console: broadcast::Receiver<String>,
    /// The host forwards this qemu has.
    forwards: BTreeSet<HostForward>,
}

/// Resolves once qemu has exited (and at once, every time after that).
async fn exit_of(exited: &mut watch::Receiver<bool>) {
    // An error means the watching thread is gone, which it only is once qemu has exited.
    let _ = exited.wait_for(|exited| *exited).await;
}

/// Resolves with the reason when the console shows a kernel panic.
async fn panic_of(console: &mut broadcast::Receiver<String>) -> String {
    loop {
        match console.recv().await {
            Ok(line) if console::is_panic(&line) => {
                return console::panic_reason(&line).to_owned();
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

enum Event {
    Command(Option<Command>),
    Exited,
    Panicked(String),
}

/// The machine's task: boots it (unless `boot` is false: a machine taken back after a
/// restart waits, powered off, for an order), then follows orders and watches qemu until the
/// server is deleted (the task is aborted) or the driver is gone (the channel closes).
pub(crate) async fn supervise(
    machine: Arc<Machine>,
    mut plan: BootPlan,
    settings: Arc<Settings>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    boot: bool,
) {
    let mut files = None;
    let mut run = if boot {
        machine.boot(&plan, &settings, &mut files).await
    } else {
        None
    };
    loop {
        let event = match run.as_mut() {
            Some(live) => tokio::select! {
                command = commands.recv() => Event::Command(command),
                () = exit_of(&mut live.exited) => Event::Exited,
                reason = panic_of(&mut live.console) => Event::Panicked(reason),
            },
            None => Event::Command(commands.recv().await),
        };
        match event {
            Event::Command(None) => {
                machine.kill_now();
                return;
            }
            Event::Command(Some(Command::Stop)) => {
                if let Some(mut live) = run.take() {
                    machine.power_off(&mut live, settings.shutdown_grace).await;
                }
                machine.settle(Phase::Off);
            }
            Event::Command(Some(Command::Start)) => {
                if run.is_some() {
                    machine.settle(Phase::Running);
                } else {
                    run = machine.boot(&plan, &settings, &mut files).await;
                }
            }
            Event::Command(Some(Command::Reboot { hard })) => {
                if let Some(mut live) = run.take() {
                    if hard {
                        machine.kill_vm();
                    } else {
                        machine.power_off(&mut live, settings.shutdown_grace).await;
                    }
                }
                run = machine.boot(&plan, &settings, &mut files).await;
            }
            Event::Command(Some(Command::Forwards)) => {
                if let Some(live) = run.as_mut() {
                    machine.sync_forwards(live).await;
                }
            }
            Event::Command(Some(Command::Nics(nics))) => {
                if let Some(live) = run.as_mut() {
                    machine.sync_nics(live, &nics).await;
                }
                plan.nics = nics;
            }
            Event::Exited => {
                run = None;
                machine.finish_run();
            }
            Event::Panicked(reason) => {
                // Without panic=-1 a panicked kernel spins forever: end it, say why.
                run = None;
                machine.kill_vm();
                if !machine.transition_pending() {
                    machine.settle(Phase::Failed(panicked(&reason)));
                }
            }
        }
    }
}

/// Makes the machine's folder: links to the image files (so that deleting the image in
/// Glance does not pull the disk from under a server), checked with the format inspector,
/// the root image converted to raw when it is in a format Nova converts, a qcow2 overlay over
/// the root image (so that the Glance file is never written), and the UEFI variable store.
async fn prepare(
    plan: &BootPlan,
    settings: &Settings,
    dir: &Path,
) -> Result<PreparedFiles, String> {
    tokio::fs::create_dir_all(dir).await.map_err(|err| {
        format!(
            "qemu driver: cannot create the machine folder {}: {err}",
            dir.display()
        )
    })?;
    let root = link(&plan.root, &dir.join("root-image")).await;
    let root_size = check(&plan.root, &root).await?;
    let root = match plan.convert_from {
        Some(format) => convert_to_raw(&plan.root, format, &root, &settings.qemu_img, dir).await?,
        None => root,
    };
    let mut kernel = None;
    if let Some(image) = &plan.kernel {
        let path = link(image, &dir.join("kernel")).await;
        check(image, &path).await?;
        kernel = Some(path);
    }
    let mut ramdisk = None;
    if let Some(image) = &plan.ramdisk {
        let path = link(image, &dir.join("ramdisk")).await;
        check(image, &path).await?;
        ramdisk = Some(path);
    }
    let uefi = if plan.hardware.uefi {
        let code = Path::new(Uefi::DEBIAN_CODE);
        let template = Path::new(Uefi::DEBIAN_VARS_TEMPLATE);
        Some(uefi_files(&plan.root, code, template, dir).await?)
    } else {
        None
    };
    let overlay = dir.join("disk.qcow2");
    let _ = tokio::fs::remove_file(&overlay).await;
    let mut create = CreateSpec::new(&overlay, "qcow2").backing(&root, plan.root_format);
    if let Some(size) = plan.overlay_size(root_size) {
        create = create.size(size);
    }
    settings.qemu_img.create(&create).await.map_err(|err| {
        format!(
            "qemu driver: cannot make the disk of image {}: {err}",
            plan.root.label
        )
    })?;
    let config_drive = match &plan.config_drive {
        Some(instance) => Some(config_drive::ensure(&settings.genisoimage, instance, dir).await?),
        None => None,
    };
    Ok(PreparedFiles {
        overlay,
        kernel,
        ramdisk,
        config_drive,
        uefi,
    })
}

/// Converts the root image (already passed by the format inspector) to raw in the machine's
/// folder, as Nova's `fetch_to_raw` does: the declared format is named to qemu-img, never
/// probed, and a failed conversion leaves no file behind.
async fn convert_to_raw(
    image: &ImageFile,
    format: &str,
    source: &Path,
    qemu_img: &QemuImg,
    dir: &Path,
) -> Result<PathBuf, String> {
    let target = dir.join("root-image.raw");
    let partial = dir.join("root-image.raw.part");
    let _ = tokio::fs::remove_file(&partial).await;
    let spec = ConvertSpec::new(source, &partial, "raw").source_format(format);
    if let Err(err) = qemu_img.convert(&spec).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(format!(
            "qemu driver: image {} is unacceptable: Unable to convert image to raw: {err}",
            image.label
        ));
    }
    tokio::fs::rename(&partial, &target).await.map_err(|err| {
        format!(
            "qemu driver: cannot keep the converted image {}: {err}",
            target.display()
        )
    })?;
    Ok(target)
}

/// The UEFI firmware and the machine's own variable store (`nvram.fd` in its folder, copied
/// from the template once and kept across reboots, as libvirt keeps a domain's nvram). A
/// missing firmware file names the package that ships it.
async fn uefi_files(
    image: &ImageFile,
    code: &Path,
    template: &Path,
    dir: &Path,
) -> Result<Uefi, String> {
    for file in [code, template] {
        if !tokio::fs::try_exists(file).await.unwrap_or(false) {
            return Err(format!(
                "qemu driver: image {} boots UEFI (hw_firmware_type=uefi), but the firmware \
                 file {} is missing; install the Debian package `{}`",
                image.label,
                file.display(),
                Uefi::DEBIAN_PACKAGE
            ));
        }
    }
    let vars = dir.join("nvram.fd");
    if !tokio::fs::try_exists(&vars).await.unwrap_or(false) {
        let partial = dir.join("nvram.fd.part");
        let copied = match tokio::fs::copy(template, &partial).await {
            Ok(_) => tokio::fs::rename(&partial, &vars).await,
            Err(err) => Err(err),
        };
        if let Err(err) = copied {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(format!(
                "qemu driver: cannot copy the UEFI variable store {} to {}: {err}",
                template.display(),
                vars.display()
            ));
        }
    }
    Ok(Uefi {
        code: code.to_owned(),
        vars,
    })
}

/// A hard link to the image file in the machine's folder; the Glance file itself when the
/// link cannot be made (another file system).
async fn link(image: &ImageFile, at: &Path) -> PathBuf {
    let _ = tokio::fs::remove_file(at).await;
    match tokio::fs::hard_link(&image.path, at).await {
        Ok(()) => at.to_owned(),
        Err(_) => image.path.clone(),
    }
}

/// Inspects an image file as Glance would and refuses what is unsafe to hand to qemu.
/// Returns the size of the disk the guest would see.
async fn check(image: &ImageFile, path: &Path) -> Result<Option<u64>, String> {
    let file = path.to_owned();
    let inspection = tokio::task::spawn_blocking(move || inspect_file(&file))
        .await
        .map_err(|err| format!("qemu driver: inspecting image {}: {err}", image.label))?
        .map_err(|err| {
            let why = std::error::Error::source(&err)
                .map(ToString::to_string)
                .unwrap_or_default();
            format!(
                "qemu driver: cannot read image {} ({}): {why}",
                image.label,
                image.path.display()
            )
        })?;
    match decide(&image.disk_format, &image.container_format, &inspection) {
        Verdict::Accept { virtual_size, .. } => Ok(virtual_size.or(Some(inspection.data_size))),
        Verdict::Refuse(why) => Err(format!(
            "qemu driver: refusing to boot image {}: {why}",
            image.label
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine_in(phase: Phase, unreported_run: bool) -> Arc<Machine> {
        let machine = Machine::new(PathBuf::from("/nonexistent"));
        {
            let mut state = machine.lock();
            state.phase = phase;
            state.unreported_run = unreported_run;
        }
        machine
    }

    #[test]
    fn a_run_is_reported_once_even_when_the_guest_is_already_off() {
        let machine = machine_in(Phase::Off, true);
        assert_eq!(machine.report(), VmState::Running);
        assert_eq!(machine.report(), VmState::Shutdown);
        let failed = machine_in(Phase::Failed("boom".into()), true);
        assert_eq!(failed.report(), VmState::Running);
        assert_eq!(failed.report(), VmState::Failed("boom".into()));
        let never_ran = machine_in(Phase::Failed("refused".into()), false);
        assert_eq!(never_ran.report(), VmState::Failed("refused".into()));
    }

    #[test]
    fn transitions_report_as_transitioning_and_a_deleted_machine_stays_put() {
        let machine = machine_in(Phase::Running, true);
        assert_eq!(machine.report(), VmState::Running);
        machine.begin(Phase::Stopping);
        assert_eq!(machine.report(), VmState::Transitioning);
        assert!(machine.transition_pending());
        machine.kill_now();
        machine.settle(Phase::Off);
        machine.begin(Phase::Booting);
        assert_eq!(machine.report(), VmState::Transitioning, "gone: unchanged");
        assert_eq!(machine.vnc(), None);
        assert_eq!(machine.pid(), None);
    }

    #[test]
    fn start_failures_name_qemu_s_complaint() {
        let err = ferrostack_qemu::Error::CommandFailed {
            command: "qemu-system-x86_64 -kernel k".into(),
            status: "exit status: 1".into(),
            stderr: "qemu: linux kernel too old to load a ram disk".into(),
        };
        assert_eq!(
            start_failure(err),
            "qemu could not start the machine (exit status: 1): qemu: linux kernel too old to \
             load a ram disk"
        );
    }

    fn image_file(path: &Path, disk_format: &str) -> ImageFile {
        ImageFile {
            id: "i1".into(),
            label: "'evil' (i1)".into(),
            path: path.to_owned(),
            disk_format: disk_format.into(),
            container_format: "bare".into(),
        }
    }

    #[tokio::test]
    async fn a_failed_conversion_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let qemu_img = QemuImg::locate()
            .unwrap_or_else(|err| panic!("this test converts with qemu-img: {err}"));
        // Not a vmdk at all: qemu-img, told the format, refuses it.
        let source = dir.path().join("root-image");
        std::fs::write(&source, vec![0x5a; 4096]).unwrap();
        let err = convert_to_raw(
            &image_file(&source, "vmdk"),
            "vmdk",
            &source,
            &qemu_img,
            dir.path(),
        )
        .await
        .unwrap_err();
        assert!(
            err.starts_with(
                "qemu driver: image 'evil' (i1) is unacceptable: Unable to convert image to raw: "
            ),
            "{err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, ["root-image"]);
    }

    #[tokio::test]
    async fn uefi_needs_ovmf_and_keeps_the_machine_s_variable_store() {
        let dir = tempfile::tempdir().unwrap();
        let image = image_file(Path::new("/glance/i1"), "qcow2");
        let code = dir.path().join("CODE.fd");
        let template = dir.path().join("VARS.fd");
        let err = uefi_files(&image, &code, &template, dir.path())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            format!(
                "qemu driver: image 'evil' (i1) boots UEFI (hw_firmware_type=uefi), but the \
                 firmware file {} is missing; install the Debian package `ovmf`",
                code.display()
            )
        );
        std::fs::write(&code, b"code").unwrap();
        std::fs::write(&template, b"empty").unwrap();
        let machine = dir.path().join("machine");
        std::fs::create_dir(&machine).unwrap();
        let uefi = uefi_files(&image, &code, &template, &machine)
            .await
            .unwrap();
        assert_eq!(uefi.code, code);
        assert_eq!(uefi.vars, machine.join("nvram.fd"));
        assert_eq!(std::fs::read(&uefi.vars).unwrap(), b"empty");
        // What the guest wrote survives the next boot.
        std::fs::write(&uefi.vars, b"boot entries").unwrap();
        let again = uefi_files(&image, &code, &template, &machine)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&again.vars).unwrap(), b"boot entries");
    }

    #[tokio::test]
    async fn unsafe_images_are_refused_before_boot() {
        let dir = tempfile::tempdir().unwrap();
        // A qcow2 v3 header naming a backing file: the host would read /etc/passwd to a guest.
        let mut evil = vec![0u8; 4096];
        evil[..4].copy_from_slice(b"QFI\xfb");
        evil[4..8].copy_from_slice(&3u32.to_be_bytes());
        evil[8..16].copy_from_slice(&512u64.to_be_bytes());
        evil[16..20].copy_from_slice(&11u32.to_be_bytes());
        evil[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        evil[100..104].copy_from_slice(&104u32.to_be_bytes());
        evil[512..523].copy_from_slice(b"/etc/passwd");
        let path = dir.path().join("evil");
        std::fs::write(&path, &evil).unwrap();
        let err = check(&image_file(&path, "qcow2"), &path).await.unwrap_err();
        assert_eq!(
            err,
            "qemu driver: refusing to boot image 'evil' (i1): qcow2 names a backing file: /etc/passwd"
        );
        // Declared raw, the same bytes are still refused.
        let err = check(&image_file(&path, "raw"), &path).await.unwrap_err();
        assert!(err.contains("backing file"), "{err}");
        // A raw disk passes, its size being the file's.
        let plain = dir.path().join("plain");
        std::fs::write(&plain, vec![0u8; 8192]).unwrap();
        assert_eq!(
            check(&image_file(&plain, "raw"), &plain).await.unwrap(),
            Some(8192)
        );
        // Bytes that are not what they claim to be.
        let err = check(&image_file(&plain, "qcow2"), &plain)
            .await
            .unwrap_err();
        assert!(
            err.ends_with("declared qcow2, but the data is raw"),
            "{err}"
        );
        let missing = dir.path().join("missing");
        let err = check(&image_file(&missing, "raw"), &missing)
            .await
            .unwrap_err();
        assert!(
            err.starts_with("qemu driver: cannot read image 'evil' (i1)"),
            "{err}"
        );
    }
}
