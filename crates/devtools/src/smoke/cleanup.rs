//! Cleaning up after a smoke run: servers (waiting until they are gone), images, the embedded
//! cloud and any qemu it left; or, with `--keep`, keeping the embedded cloud up until Ctrl-C.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ferrostack::compute::{ComputeClient, ServerId};
use mock_cloud::ComputeDriver;

use super::{Embedded, Run, count};

/// Deletes the servers (waiting until they are gone), then the images, stops the embedded
/// cloud and makes sure none of its qemu processes is left; removes the run's files when the
/// run passed (a failed run keeps them for a look). Every part is tried even when one fails.
pub async fn cleanup(run: &mut Run, passed: bool) -> Result<String> {
    let mut problems = Vec::new();
    let servers = std::mem::take(&mut run.servers);
    let images = std::mem::take(&mut run.images);
    let mut servers_deleted = 0;
    let mut images_deleted = 0;
    if let Some(cloud) = &run.cloud {
        let compute = cloud.compute();
        problems.extend(super::debian::cleanup_before_servers(cloud, &mut run.extras).await);
        for id in &servers {
            match delete_server(&compute, id).await {
                Ok(()) => servers_deleted += 1,
                Err(err) => {
                    // The embedded driver can still be told directly, so no VM outlives us.
                    if let Some(embedded) = &run.embedded {
                        let _ = embedded.driver.delete(id.as_str()).await;
                    }
                    problems.push(format!("server {id}: {err:#}"));
                }
            }
        }
        problems.extend(super::debian::cleanup_after_servers(cloud, &mut run.extras).await);
        // The ami first: it names the kernel and ramdisk.
        for image in images.iter().rev() {
            match cloud.image().images().delete(image.id.clone()).await {
                Ok(()) => images_deleted += 1,
                Err(err) if err.is_not_found() => images_deleted += 1,
                Err(err) => problems.push(format!("image {}: {err}", image.id)),
            }
        }
    }
    let mut stopped = String::new();
    if let Some(embedded) = run.embedded.take() {
        let vms_dir = embedded.vms_dir.clone();
        stop_embedded(embedded).await;
        let killed = kill_leftover_qemu(&vms_dir).await;
        if !killed.is_empty() {
            problems.push(format!(
                "qemu processes outlived the cloud and were killed: {killed:?}"
            ));
        }
        stopped = ", cloud stopped".to_owned();
    }
    if passed && problems.is_empty() {
        std::fs::remove_dir_all(&run.dir)
            .with_context(|| format!("removing {}", run.dir.display()))?;
    } else if run.dir.exists() {
        eprintln!("smoke: the run's files are kept in {}", run.dir.display());
    }
    if !problems.is_empty() {
        bail!("cleanup left things behind: {}", problems.join("; "));
    }
    Ok(format!(
        "{} and {} deleted{stopped}",
        count(servers_deleted, "server"),
        count(images_deleted, "image")
    ))
}

async fn delete_server(compute: &ComputeClient, id: &ServerId) -> Result<()> {
    match compute.servers().delete(id.clone()).await {
        Err(err) if err.is_not_found() => return Ok(()),
        other => other?,
    }
    compute
        .servers()
        .wait_for_delete(id, Duration::from_secs(120))
        .await
        .map_err(Into::into)
}

/// Stops serving, then drops the last handles on the driver, which stops its VMs.
async fn stop_embedded(embedded: Embedded) {
    let Embedded { mock, driver, .. } = embedded;
    mock.stop().await;
    drop(driver);
}

/// The qemu processes running from `vms_dir` (the driver names its files by canonical path).
fn qemu_pids(vms_dir: &Path) -> Vec<u32> {
    let vms_dir = std::fs::canonicalize(vms_dir).unwrap_or_else(|_| vms_dir.to_owned());
    let needle = vms_dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            // A dead, unreaped qemu has an empty command line: it holds nothing.
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            let is_qemu = cmdline
                .split('\0')
                .next()
                .is_some_and(|program| program.contains("qemu-system"));
            (is_qemu && cmdline.contains(&needle)).then_some(pid)
        })
        .collect()
}

/// Kills (by pid) any qemu still running from `vms_dir` a few seconds after the cloud
/// stopped, returning their pids. The driver should leave none (a dropped `Vm` is killed at
/// once and reaped by a task): this is the guarantee that a smoke run never leaves a VM.
async fn kill_leftover_qemu(vms_dir: &Path) -> Vec<u32> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !qemu_pids(vms_dir).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    qemu_pids(vms_dir)
        .into_iter()
        .filter(|pid| crate::signal::send(*pid, crate::signal::Signal::KILL))
        .collect()
}

/// `--keep` with the embedded cloud: it lives only as long as this process, so keep it up
/// (with a clouds.yaml to reach it) until Ctrl-C.
pub async fn keep_running(run: &mut Run) -> Result<()> {
    let Some(embedded) = run.embedded.take() else {
        return Ok(());
    };
    let clouds_yaml = run.dir.join("clouds.yaml");
    std::fs::write(&clouds_yaml, embedded.mock.clouds_yaml())
        .with_context(|| format!("writing {}", clouds_yaml.display()))?;
    eprintln!(
        "\nThe embedded cloud stays up at {} with what this run made (--keep). Try:\n  \
         OS_CLIENT_CONFIG_FILE={} openstack --os-cloud mock-demo server list\n\
         Press Ctrl-C to stop it and its VMs.",
        embedded.mock.base_url(),
        clouds_yaml.display()
    );
    tokio::signal::ctrl_c().await?;
    let vms_dir = embedded.vms_dir.clone();
    stop_embedded(embedded).await;
    kill_leftover_qemu(&vms_dir).await;
    eprintln!(
        "stopped the embedded cloud and its VMs; the run's files stay in {}",
        run.dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_leftover_scan_of_a_folder_no_qemu_uses_kills_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(qemu_pids(dir.path()).is_empty());
        assert!(kill_leftover_qemu(dir.path()).await.is_empty());
    }
}
