//! Booting one server and proving it booted: create it, wait until it runs, read its console
//! until the run's marker appears, with deadlines, and the console tail when it does not.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use ferrostack::compute::{ComputeClient, Flavor, Networks, Server, ServerId, ServerStatus};
use ferrostack::image::ImageId;
use tokio::time::Instant;

use super::console::{self, Verdict};

/// The least memory the tiny image boots in (the cloud kernel and a busybox initramfs).
pub const MIN_RAM_MIB: u64 = 256;

/// How many console lines a failure shows.
const TAIL_LINES: usize = 30;

/// The smallest usable flavor with at least [`MIN_RAM_MIB`] of memory: fewest MiB, then
/// fewest GiB of disk, then fewest vCPUs (the image is tiny, and the host has 2 cores).
pub fn choose_flavor(flavors: &[Flavor]) -> Result<&Flavor> {
    flavors
        .iter()
        .filter(|f| !f.disabled && f.ram >= MIN_RAM_MIB && f.vcpus >= 1)
        .min_by_key(|f| (f.ram, f.disk, f.vcpus))
        .ok_or_else(|| {
            let seen: Vec<String> = flavors
                .iter()
                .map(|f| format!("{} ({} MiB)", f.name, f.ram))
                .collect();
            anyhow!(
                "no flavor with at least {MIN_RAM_MIB} MiB of memory for the tiny image; the cloud \
                 offers: {}",
                if seen.is_empty() {
                    "none".to_owned()
                } else {
                    seen.join(", ")
                }
            )
        })
}

/// How long to wait, and how often to look.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// From create until the server runs (ACTIVE, or already SHUTOFF after its boot).
    pub running: Duration,
    /// From running until the marker (QEMU.md: give a TCG boot 120 s; more with a busy host).
    pub marker: Duration,
    /// Between two looks at the server or its console.
    pub poll: Duration,
}

/// A server that printed the marker.
#[derive(Clone, Debug)]
pub struct Booted {
    /// How long until it ran.
    pub running_after: Duration,
    /// How long until the marker, from create.
    pub marker_after: Duration,
    /// The status when the marker was seen (ACTIVE, or SHUTOFF for a guest that powers off).
    pub status: ServerStatus,
}

/// Creates a server `name` from `image` and proves it booted. The new server's id is pushed
/// to `made` as soon as Nova answers, so that it is cleaned up whatever happens next.
pub async fn boot_to_marker(
    compute: &ComputeClient,
    name: &str,
    image: &ImageId,
    flavor: &Flavor,
    marker: &str,
    deadlines: Deadlines,
    made: &mut Vec<ServerId>,
) -> Result<Booted> {
    let started = Instant::now();
    let pending = compute
        .servers()
        .create(name, image.clone(), flavor.id.clone())
        // The tiny guest has no network stack: asking for none keeps real clouds simple too.
        .networks(Networks::None)
        .metadata("created-by", "cargo xtask smoke")
        .send()
        .await?;
    let id = pending.id().clone();
    made.push(id.clone());

    let server = wait_running(compute, &id, deadlines).await?;
    let running_after = started.elapsed();
    let label = server.label();

    let deadline = Instant::now() + deadlines.marker;
    let mut status = server.status;
    loop {
        let output = compute.servers().console_output(&id, None).await?;
        match console::verdict(&output, marker) {
            Verdict::Booted => {
                return Ok(Booted {
                    running_after,
                    marker_after: started.elapsed(),
                    status,
                });
            }
            Verdict::Failed(line) => bail!(failure(
                &label,
                &format!("the boot failed: {line}"),
                &output
            )),
            Verdict::Pending => {}
        }
        // A guest that stopped without the marker will never print it: say so now. The
        // console is read again after the status, so a marker written just before a power-off
        // is not missed.
        if status == ServerStatus::Shutoff || status == ServerStatus::Error {
            let output = compute.servers().console_output(&id, None).await?;
            if console::verdict(&output, marker) == Verdict::Booted {
                continue;
            }
            let server = compute.servers().get(id.clone()).await?;
            bail!(failure(
                &label,
                &format!(
                    "it went {} without printing `{marker}`{}",
                    server.status,
                    fault(&server)
                ),
                &output
            ));
        }
        if Instant::now() >= deadline {
            bail!(failure(
                &label,
                &format!(
                    "no `{marker}` on its console within {} s of running (status {status})",
                    deadlines.marker.as_secs()
                ),
                &output
            ));
        }
        tokio::time::sleep(deadlines.poll).await;
        status = compute.servers().get(id.clone()).await?.status;
    }
}

/// Polls until the server runs. ACTIVE is running; SHUTOFF counts too, since the tiny image
/// powers off after its marker and a quick guest can get there between two looks (a server
/// never reaches SHUTOFF without having run). ERROR fails at once with Nova's fault.
async fn wait_running(
    compute: &ComputeClient,
    id: &ServerId,
    deadlines: Deadlines,
) -> Result<Server> {
    let deadline = Instant::now() + deadlines.running;
    loop {
        let server = compute.servers().get(id.clone()).await?;
        let settled = server.task_state.is_none();
        match server.status {
            ServerStatus::Active | ServerStatus::Shutoff if settled => return Ok(server),
            ServerStatus::Error => {
                let output = compute
                    .servers()
                    .console_output(id, None)
                    .await
                    .unwrap_or_default();
                bail!(failure(
                    &server.label(),
                    &format!("it went to ERROR{}", fault(&server)),
                    &output
                ));
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            bail!(
                "server {} did not become ACTIVE within {} s (last seen: {}{})",
                server.label(),
                deadlines.running.as_secs(),
                server.status,
                server
                    .task_state
                    .map(|t| format!(", task {t}"))
                    .unwrap_or_default()
            );
        }
        tokio::time::sleep(deadlines.poll).await;
    }
}

/// `: <Nova's fault message>` when the server has one.
fn fault(server: &Server) -> String {
    server
        .fault
        .as_ref()
        .filter(|f| !f.message.is_empty())
        .map(|f| format!(": {}", f.message))
        .unwrap_or_default()
}

/// A failed boot: what happened, then the console tail.
fn failure(label: &str, what: &str, console: &str) -> String {
    let tail = console::tail(console, TAIL_LINES);
    let tail = if tail.trim().is_empty() {
        "(the console is empty)".to_owned()
    } else {
        tail
    };
    format!(
        "server {label}: {what}\n--- console of {label}, last {TAIL_LINES} lines ---\n{tail}\n--- end of console ---"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(name: &str, ram: u64, disk: u64, disabled: bool) -> Flavor {
        serde_json::from_value(serde_json::json!({
            "id": name, "name": name, "vcpus": 1, "ram": ram, "disk": disk,
            "OS-FLV-DISABLED:disabled": disabled,
        }))
        .unwrap()
    }

    #[test]
    fn the_smallest_flavor_with_enough_memory_is_chosen() {
        let flavors = [
            flavor("m1.small", 2048, 20, false),
            flavor("m1.nano", 128, 1, false),
            flavor("m1.tiny", 512, 1, false),
            flavor("m1.off", 256, 1, true),
            flavor("m1.tiny-big-disk", 512, 10, false),
        ];
        assert_eq!(choose_flavor(&flavors).unwrap().name, "m1.tiny");
    }

    #[test]
    fn no_fitting_flavor_is_an_error_that_lists_what_there_is() {
        let err = choose_flavor(&[flavor("m1.nano", 128, 1, false)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no flavor with at least 256 MiB of memory for the tiny image; the cloud offers: \
             m1.nano (128 MiB)"
        );
        let err = choose_flavor(&[]).unwrap_err();
        assert!(err.to_string().ends_with("the cloud offers: none"), "{err}");
    }

    #[test]
    fn a_failure_names_the_server_and_shows_the_console_tail() {
        let console = (1..=40)
            .map(|n| format!("line {n}\r\n"))
            .collect::<String>();
        let text = failure("smoke-qcow2 (abc)", "it went SHUTOFF", &console);
        assert!(
            text.starts_with(
                "server smoke-qcow2 (abc): it went SHUTOFF\n\
                 --- console of smoke-qcow2 (abc), last 30 lines ---\nline 11\nline 12\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("line 40\n--- end of console ---"), "{text}");
        let empty = failure("s", "it went to ERROR", "");
        assert!(empty.contains("(the console is empty)"), "{empty}");
    }
}
