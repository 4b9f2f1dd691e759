//! `fstack vm install|boot`: qemu-system, locally.
//!
//! qemu runs in its own process group (the terminal's Ctrl-C does not reach it), so these
//! commands catch Ctrl-C, SIGTERM and SIGHUP themselves and kill qemu before they exit:
//! no VM outlives the command that started it.

pub(crate) mod args;
mod console;
mod interrupts;

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use ferrostack_qemu::{Disk, InstallSpec, QemuImg, Vm, VmBuilder};
use tokio::sync::broadcast::error::RecvError;

use self::args::{VmBoot, VmCommand, VmInstall};
use self::console::ConsoleTail;
pub use self::interrupts::{Interrupts, Stop};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// How long `vm boot --wait-for` waits when no --timeout is given (QEMU.md: a tiny image
/// boots in about 4 s under TCG, twice that on a busy host; a real OS takes longer).
const DEFAULT_WAIT_FOR_TIMEOUT: Duration = Duration::from_secs(120);

/// What the Linux kernel prints when it panics.
const KERNEL_PANIC: &str = "Kernel panic - not syncing";

/// Console lines shown with a failure.
const TAIL_LINES: usize = 25;

/// Runs one `vm` command.
pub async fn run(ctx: &Context, command: VmCommand) -> Result<()> {
    match command {
        VmCommand::Install(args) => install(args).await,
        VmCommand::Boot(args) => boot(args, ctx.global().timeout).await,
    }
}

/// `vm install --disk D --cdrom ISO`: the virt-install step.
async fn install(args: VmInstall) -> Result<()> {
    let mut interrupts = Interrupts::listen()?;
    require_file(&args.disk, "--disk")?;
    require_file(&args.cdrom, "--cdrom")?;
    let disk_format = disk_format(&QemuImg::locate()?, &args.disk).await?;
    let spec = InstallSpec {
        disk: args.disk.clone(),
        disk_format: disk_format.clone(),
        iso: args.cdrom.clone(),
        memory_mib: args.memory,
        cpus: args.cpus,
    };
    let mut vm = start(spec.builder(), &mut interrupts).await?;
    let vnc = vm
        .vnc_address()
        .context("qemu did not report where its VNC server listens")?;
    let display = vnc.port().checked_sub(5900).map(u32::from);
    print::one(
        &args.output,
        vec![
            ("disk", Cell::str(args.disk.display().to_string())),
            ("disk_format", Cell::str(disk_format.as_str())),
            ("cdrom", Cell::str(args.cdrom.display().to_string())),
            ("vnc_address", Cell::str(vnc.to_string())),
            ("vnc_display", Cell::json(display)),
            ("vnc_url", Cell::str(format!("vnc://{vnc}"))),
            ("pid", Cell::json(vm.pid())),
        ],
    )?;
    let viewer = match display {
        Some(display) => format!("{vnc} (display {}:{display})", vnc.ip()),
        None => vnc.to_string(),
    };
    eprintln!(
        "fstack: installer running: connect a VNC viewer to {viewer}; waiting for the guest \
         to power off (Ctrl-C stops it)"
    );
    let started = Instant::now();
    let status = tokio::select! {
        status = vm.wait(None) => status?,
        stop = interrupts.recv() => stop_vm(vm, stop).await,
    };
    if !status.success() {
        bail!(
            "qemu ended with {status} after {}; {} may be incomplete",
            elapsed(started),
            args.disk.display()
        );
    }
    eprintln!(
        "fstack: the guest powered off after {}; upload the disk with: fstack image create \
         NAME --disk-format {disk_format} --container-format bare --file {}",
        elapsed(started),
        args.disk.display()
    );
    Ok(())
}

/// `vm boot`: stream the console; stop at --wait-for, a power-off, a panic or the timeout.
/// `timeout` is the global `--timeout SECONDS`.
async fn boot(args: VmBoot, timeout: Option<f64>) -> Result<()> {
    let mut interrupts = Interrupts::listen()?;
    let timeout = match timeout {
        Some(seconds) if !(seconds > 0.0 && seconds.is_finite()) => {
            bail!("--timeout {seconds}: give a number of seconds above 0")
        }
        timeout => timeout.map(Duration::from_secs_f64),
    };
    let mut builder = VmBuilder::new().memory_mib(args.memory).cpus(args.cpus);
    if !args.disk.is_empty() {
        let qemu_img = QemuImg::locate()?;
        for disk in &args.disk {
            require_file(disk, "--disk")?;
            // Never let qemu probe: a raw image that looks like qcow2 would be misread.
            let format = disk_format(&qemu_img, disk).await?;
            builder = builder.disk(Disk::snapshot(disk, format));
        }
    }
    if let Some(kernel) = &args.kernel {
        require_file(kernel, "--kernel")?;
        builder = builder.kernel(kernel);
    }
    if let Some(initrd) = &args.initrd {
        require_file(initrd, "--initrd")?;
        builder = builder.initrd(initrd);
    }
    if let Some(append) = &args.append {
        if !append
            .split_whitespace()
            .any(|w| w.starts_with("console=ttyS0"))
        {
            eprintln!(
                "fstack: --append has no console=ttyS0: the kernel's messages will not reach \
                 the serial console"
            );
        }
        builder = builder.append(append);
    }
    if let Some(log) = &args.serial_log {
        builder = builder.serial_log(log);
    }
    let limit = timeout.or(args.wait_for.is_some().then_some(DEFAULT_WAIT_FOR_TIMEOUT));

    let mut vm = start(builder, &mut interrupts).await?;
    eprintln!(
        "fstack: qemu is running (pid {}); the serial console follows",
        vm.pid()
    );
    let started = Instant::now();
    let ending = follow(
        &mut vm,
        args.wait_for.as_deref(),
        limit.map(|limit| started + limit),
        &mut interrupts,
    )
    .await;
    let took = elapsed(started);
    match ending {
        Ending::Marker => {
            eprintln!(
                "fstack: the console showed {:?} after {took}; stopping the VM",
                args.wait_for.unwrap_or_default()
            );
            let _ = vm.kill().await;
            Ok(())
        }
        Ending::PoweredOff(status) => match (&args.wait_for, status.success()) {
            (None, true) => {
                eprintln!("fstack: the guest powered off after {took}");
                Ok(())
            }
            (Some(text), _) => Err(failure(
                &vm,
                format!(
                    "the guest stopped (qemu {status}) after {took}, before a console line \
                     containing {text:?}"
                ),
            )),
            (None, false) => Err(failure(
                &vm,
                format!("qemu ended with {status} after {took}"),
            )),
        },
        Ending::Panic(line) => {
            let error = failure(
                &vm,
                format!("the guest kernel panicked after {took}: {}", line.trim()),
            );
            let _ = vm.kill().await;
            Err(error)
        }
        Ending::Timeout => {
            let limit = limit.unwrap_or_default().as_secs_f64();
            let reason = match &args.wait_for {
                Some(text) => format!("no console line containing {text:?} within {limit} s"),
                None => format!("the guest was still running after {limit} s (--timeout)"),
            };
            let error = failure(&vm, reason);
            let _ = vm.kill().await;
            Err(error)
        }
        Ending::Stopped(stop) => stop_vm(vm, stop).await,
        Ending::Broken(error) => Err(error),
    }
}

/// How a followed boot ended.
enum Ending {
    /// The --wait-for line appeared.
    Marker,
    /// qemu exited on its own (the guest powered off, or rebooted: qemu runs with -no-reboot).
    PoweredOff(ExitStatus),
    /// The kernel's panic line.
    Panic(String),
    /// The deadline passed.
    Timeout,
    /// A signal arrived.
    Stopped(Stop),
    /// Waiting for qemu failed.
    Broken(anyhow::Error),
}

/// Streams the console to stdout until the boot ends one way or another.
async fn follow(
    vm: &mut Vm,
    wait_for: Option<&str>,
    deadline: Option<Instant>,
    interrupts: &mut Interrupts,
) -> Ending {
    // The broadcast only says "there is more"; the serial log is what is read, so that every
    // line is shown exactly once whatever the timing.
    let mut wake = vm.subscribe();
    let mut wake_open = true;
    let mut tail = ConsoleTail::new(vm.serial_log().to_owned());
    let deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    loop {
        let lines = tail.new_lines(false);
        if let Some(ending) = show(&mut tail, &lines, wait_for) {
            return ending;
        }
        tokio::select! {
            woke = wake.recv(), if wake_open => {
                wake_open = !matches!(woke, Err(RecvError::Closed));
            }
            status = vm.wait(None) => {
                let status = match status {
                    Ok(status) => status,
                    Err(error) => return Ending::Broken(error.into()),
                };
                // The guest may print its last lines (the marker, then power off) just before
                // qemu exits: wait for the console to be read to its end, then look at them.
                let _ = vm.wait_for_line(|_| false, Duration::from_secs(5)).await;
                let lines = tail.new_lines(true);
                return show(&mut tail, &lines, wait_for).unwrap_or(Ending::PoweredOff(status));
            }
            () = &mut deadline => return Ending::Timeout,
            stop = interrupts.recv() => return Ending::Stopped(stop),
        }
    }
}

/// Prints `lines`, stopping at the first that ends the boot (it is printed too).
fn show(tail: &mut ConsoleTail, lines: &[String], wait_for: Option<&str>) -> Option<Ending> {
    for (index, line) in lines.iter().enumerate() {
        let ending = if line.contains(KERNEL_PANIC) {
            Some(Ending::Panic(line.clone()))
        } else if wait_for.is_some_and(|text| is_marker(line, text)) {
            Some(Ending::Marker)
        } else {
            None
        };
        if ending.is_some() {
            tail.print(&lines[..=index]);
            return ending;
        }
    }
    tail.print(lines);
    None
}

/// Whether a console line shows the awaited text. The kernel echoes its command line (which
/// may carry the very token the guest prints when it is up): that echo does not count.
fn is_marker(line: &str, text: &str) -> bool {
    line.contains(text) && !line.contains("ommand line:")
}

/// Starts qemu; Ctrl-C while it starts stops it too.
async fn start(builder: VmBuilder, interrupts: &mut Interrupts) -> Result<Vm> {
    tokio::select! {
        vm = builder.spawn() => vm.context("cannot start the VM"),
        stop = interrupts.recv() => {
            // Dropping the half-started VM killed qemu.
            eprintln!("fstack: {stop} while qemu was starting; it was stopped");
            std::process::exit(stop.exit_code());
        }
    }
}

/// Kills qemu after a signal, says so, and exits as the shell expects.
async fn stop_vm(mut vm: Vm, stop: Stop) -> ! {
    let _ = vm.kill().await;
    drop(vm);
    eprintln!("fstack: {stop}; the VM was stopped");
    std::process::exit(stop.exit_code());
}

/// A failed boot, with the end of the console.
fn failure(vm: &Vm, reason: String) -> anyhow::Error {
    let tail = vm.console_tail(TAIL_LINES);
    if tail.trim().is_empty() {
        return anyhow!(
            "vm boot: {reason}; the serial console printed nothing (a --kernel boot needs \
             console=ttyS0 in --append)"
        );
    }
    let tail: Vec<String> = tail.lines().map(|line| format!("  {line}")).collect();
    anyhow!(
        "vm boot: {reason}; last console lines:\n{}",
        tail.join("\n")
    )
}

/// The format qemu should read a disk in, from `qemu-img info`.
async fn disk_format(qemu_img: &QemuImg, disk: &Path) -> Result<String> {
    let info = qemu_img
        .info(disk, None)
        .await
        .with_context(|| format!("--disk {}: cannot read its format", disk.display()))?;
    Ok(info.format)
}

fn require_file(path: &PathBuf, flag: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => bail!("{flag} {}: not a file", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{flag} {}: no such file", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("{flag} {}: cannot read it", path.display())),
    }
}

fn elapsed(since: Instant) -> String {
    format!("{:.1} s", since.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_echoing_its_command_line_is_not_the_marker() {
        let text = "SMOKE-BOOT-OK abc";
        assert!(is_marker("SMOKE-BOOT-OK abc", text));
        assert!(is_marker("[    4.2] init: SMOKE-BOOT-OK abc!", text));
        assert!(!is_marker(
            "[    0.000000] Command line: console=ttyS0 note=SMOKE-BOOT-OK abc",
            text
        ));
        assert!(!is_marker(
            "[    0.01] Kernel command line: console=ttyS0 note=SMOKE-BOOT-OK abc",
            text
        ));
        assert!(!is_marker("SMOKE-BOOT-OK abd", text));
    }
}
