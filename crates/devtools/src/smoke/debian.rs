//! `cargo xtask smoke --distro debian`: the operator's week with a real operating system.
//!
//! Build the Debian image ([`ferrostack_testbed::debian`], its root cached under
//! `target/ferrostack-cache`), upload it as a self-booting qcow2 and as the aki/ari/ami trio
//! with the build's properties, import an SSH key made here as a keypair, make a security
//! group letting tcp/22 in, boot one server from each image on `private` with user data,
//! give each a floating IP from `public`, and log in over SSH with the key: Debian's
//! os-release, and the file the user data wrote. Everything made is deleted afterwards.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use ferrostack::Cloud;
use ferrostack::compute::{Flavor, NetworkAttachment, Networks, ServerId, ServerStatus};
use ferrostack::image::{ContainerFormat, DiskFormat, Image, ImageData};
use ferrostack::network::{Direction, FloatingIpId, SecurityGroupId};
use ferrostack_testbed::debian::{self, DebianImage, DebianSpec};
use tokio::time::Instant;

use super::{Run, cache_dir, describe_image, timed};
use crate::smoke::report::Report;

/// The least memory the Debian guest gets (cloud-init is Python).
const MIN_RAM_MIB: u64 = 1024;

/// From create until the key logs in (QEMU.md's TCG figures with the other core busy, two
/// guests at once).
const SSH_DEADLINE: Duration = Duration::from_secs(600);

/// Between two SSH attempts.
const POLL: Duration = Duration::from_secs(2);

/// What the cloud made for the Debian flow, deleted by the cleanup.
#[derive(Debug, Default)]
pub struct Extras {
    pub keypairs: Vec<String>,
    pub security_groups: Vec<SecurityGroupId>,
    pub floating_ips: Vec<FloatingIpId>,
}

/// The user data: a file with the run's token, which the login reads back.
fn user_data(token: &str) -> String {
    format!(
        "#cloud-config\nwrite_files:\n  - path: /var/tmp/ferrostack-smoke\n    content: \
         {token}\n"
    )
}

/// The smallest flavor the Debian guest boots in.
fn choose_flavor(flavors: &[Flavor]) -> Result<Flavor> {
    flavors
        .iter()
        .filter(|f| !f.disabled && f.ram >= MIN_RAM_MIB && f.disk >= 3)
        .min_by_key(|f| (f.ram, f.disk, f.vcpus))
        .cloned()
        .ok_or_else(|| {
            anyhow!("no flavor with at least {MIN_RAM_MIB} MiB and 3 GiB for the Debian image")
        })
}

/// Every step of the Debian flow; the first failure ends it.
pub async fn flow(token: &str, run: &mut Run, report: &mut Report, cloud: &Cloud) -> Result<()> {
    let flavors = cloud.compute().flavors().list().collect_all().await?;
    let flavor = choose_flavor(&flavors)?;
    let image_dir = run.dir.join("image");
    let image = timed(report, "build debian image", build(&image_dir), |image| {
        format!(
            "kernel {}, root {}, qcow2 {:.0} MiB",
            image.kernel_release,
            if image.root_cached {
                "cached"
            } else {
                "bootstrapped"
            },
            file_mib(&image.bootable_qcow2)
        )
    })
    .await?;

    let qcow2 = timed(
        report,
        "upload qcow2",
        upload_qcow2(cloud, &run.name, &image),
        describe_image,
    )
    .await?;
    run.images.push(qcow2.clone());
    let trio = timed(
        report,
        "upload trio",
        upload_trio(cloud, &run.name, &image),
        |trio| format!("aki + ari + ami, {}", describe_image(&trio[2])),
    )
    .await?;
    run.images.extend(trio.iter().cloned());

    let key = run.dir.join("id_ed25519");
    let access = timed(
        report,
        "keypair, ssh group",
        access(cloud, run, &key),
        |(keypair, _)| format!("keypair {keypair}, tcp/22 open"),
    )
    .await?;

    let started = Instant::now();
    let mut servers = Vec::new();
    for (what, image) in [("qcow2", &qcow2), ("ami", &trio[2])] {
        let name = format!("ferrostack-smoke-{}-{what}", run.name);
        let server = create_server(cloud, &name, image, &flavor, &access, token).await?;
        run.servers.push(server.clone());
        servers.push((what, server));
    }
    for (what, server) in servers {
        timed(
            report,
            &format!("boot {what} to ssh"),
            boot_to_ssh(cloud, &server, run, &key, token, started),
            |(address, os, after)| {
                format!(
                    "{}: `{os}` over ssh at {address} after {after:.0} s, user data ran",
                    flavor.name
                )
            },
        )
        .await?;
    }
    Ok(())
}

async fn build(out_dir: &Path) -> Result<DebianImage> {
    let release = debian::release("debian-12")?;
    let spec = DebianSpec::new(release, debian::host_mirror(), cache_dir(), out_dir);
    debian::build(&spec, &|stage| eprintln!("    {stage}"))
        .await
        .context("building the Debian image")
}

fn file_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / f64::from(1 << 20))
}

async fn upload_qcow2(cloud: &Cloud, run: &str, image: &DebianImage) -> Result<Image> {
    let mut create = cloud
        .image()
        .images()
        .create(format!("ferrostack-smoke-{run}-debian"))
        .disk_format(DiskFormat::Qcow2)
        .container_format(ContainerFormat::Bare)
        .property("created_by", "cargo xtask smoke");
    for (key, value) in &image.disk_properties {
        create = create.property(key, value);
    }
    Ok(create
        .data(ImageData::path(&image.bootable_qcow2))
        .send()
        .await?)
}

async fn upload_trio(cloud: &Cloud, run: &str, image: &DebianImage) -> Result<Vec<Image>> {
    let properties = image.ami_properties.clone();
    let trio = cloud
        .image()
        .images()
        .create_three_part(format!("ferrostack-smoke-{run}-debian-ami"))
        .machine_metadata(move |mut machine| {
            for (key, value) in &properties {
                machine = machine.property(key, value);
            }
            machine.property("created_by", "cargo xtask smoke")
        })
        .kernel(ImageData::path(&image.kernel))
        .ramdisk(ImageData::path(&image.initrd))
        .machine(ImageData::path(&image.root_raw))
        .send()
        .await?;
    Ok(vec![trio.kernel, trio.ramdisk, trio.machine])
}

/// The keypair (a key made here with ssh-keygen, its public half imported) and a security
/// group letting tcp/22 in.
async fn access(cloud: &Cloud, run: &mut Run, key: &Path) -> Result<(String, SecurityGroupId)> {
    let made = tokio::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "ferrostack-smoke",
            "-f",
        ])
        .arg(key)
        .output()
        .await
        .context("running ssh-keygen (package openssh-client)")?;
    if !made.status.success() {
        bail!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let public = std::fs::read_to_string(key.with_extension("pub"))
        .with_context(|| format!("reading {}.pub", key.display()))?;
    let name = format!("ferrostack-smoke-{}", run.name);
    cloud
        .compute()
        .keypairs()
        .create(name.as_str())
        .public_key(public.trim())
        .send()
        .await?;
    run.extras.keypairs.push(name.clone());
    let network = cloud.network();
    let group = network
        .security_groups()
        .create(format!("ferrostack-smoke-{}-ssh", run.name))
        .send()
        .await?;
    run.extras.security_groups.push(group.id.clone());
    network
        .security_group_rules()
        .create(group.id.clone(), Direction::Ingress)
        .protocol("tcp")
        .port_range(22, 22)
        .remote_ip_prefix("0.0.0.0/0")
        .send()
        .await?;
    Ok((name, group.id))
}

async fn create_server(
    cloud: &Cloud,
    name: &str,
    image: &Image,
    flavor: &Flavor,
    (keypair, group): &(String, SecurityGroupId),
    token: &str,
) -> Result<ServerId> {
    let private = cloud.network().networks().find("private").await?;
    let pending = cloud
        .compute()
        .servers()
        .create(name, image.id.clone(), flavor.id.clone())
        .networks(Networks::List(vec![NetworkAttachment::network(
            private.id.as_str(),
        )]))
        .key_name(keypair.as_str())
        .security_group(group.as_str())
        .user_data(user_data(token).into_bytes())
        .metadata("created-by", "cargo xtask smoke")
        .send()
        .await?;
    Ok(pending.id().clone())
}

/// Waits until the server runs, gives it a floating IP, and logs in over SSH with the key.
async fn boot_to_ssh(
    cloud: &Cloud,
    server: &ServerId,
    run: &mut Run,
    key: &Path,
    token: &str,
    started: Instant,
) -> Result<(String, String, f64)> {
    let compute = cloud.compute();
    compute
        .servers()
        .wait_for_status(server, ServerStatus::Active, SSH_DEADLINE)
        .await?;
    let network = cloud.network();
    let ports = network
        .ports()
        .list()
        .device_id(server.as_str())
        .collect_all()
        .await?;
    let port = ports
        .first()
        .ok_or_else(|| anyhow!("server {server} has no port"))?;
    let public = network.networks().find("public").await?;
    let fip = network
        .floating_ips()
        .create(public.id)
        .port_id(port.id.clone())
        .send()
        .await?;
    run.extras.floating_ips.push(fip.id.clone());
    let address = fip.floating_ip_address.to_string();
    loop {
        let out = ssh(
            key,
            &address,
            "cat /var/tmp/ferrostack-smoke; echo; . /etc/os-release; echo $PRETTY_NAME",
        )
        .await?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            let written = lines.next().unwrap_or_default().trim().to_owned();
            let os = lines.next().unwrap_or_default().trim().to_owned();
            if written != token {
                bail!("the user data's file holds {written:?}, not the run's token");
            }
            if !os.starts_with("Debian GNU/Linux") {
                bail!("the guest says it is {os:?}");
            }
            return Ok((address, os, started.elapsed().as_secs_f64()));
        }
        if started.elapsed() > SSH_DEADLINE {
            let console = compute
                .servers()
                .console_output(server, Some(30))
                .await
                .unwrap_or_default();
            bail!(
                "no SSH login to {address} within {} s: {}\n--- console tail\n{console}",
                SSH_DEADLINE.as_secs(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn ssh(key: &Path, address: &str, command: &str) -> Result<std::process::Output> {
    tokio::process::Command::new("ssh")
        .arg("-i")
        .arg(key)
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
        ])
        .arg(format!("debian@{address}"))
        .arg(command)
        .kill_on_drop(true)
        .output()
        .await
        .context("running ssh (package openssh-client)")
}

/// Deletes what [`flow`] made beyond servers and images: floating IPs (before the servers
/// go), then, after them, the security groups and keypairs. Returns the problems.
pub async fn cleanup_before_servers(cloud: &Cloud, extras: &mut Extras) -> Vec<String> {
    let mut problems = Vec::new();
    for id in std::mem::take(&mut extras.floating_ips) {
        match cloud.network().floating_ips().delete(id.clone()).await {
            Ok(()) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => problems.push(format!("floating IP {id}: {err}")),
        }
    }
    problems
}

/// See [`cleanup_before_servers`].
pub async fn cleanup_after_servers(cloud: &Cloud, extras: &mut Extras) -> Vec<String> {
    let mut problems = Vec::new();
    for id in std::mem::take(&mut extras.security_groups) {
        match cloud.network().security_groups().delete(id.clone()).await {
            Ok(()) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => problems.push(format!("security group {id}: {err}")),
        }
    }
    for name in std::mem::take(&mut extras.keypairs) {
        match cloud.compute().keypairs().delete(name.as_str()).await {
            Ok(()) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => problems.push(format!("keypair {name}: {err}")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_data_writes_the_token() {
        assert_eq!(
            user_data("3fa2c1d4e5f60718"),
            "#cloud-config\nwrite_files:\n  - path: /var/tmp/ferrostack-smoke\n    content: \
             3fa2c1d4e5f60718\n"
        );
    }

    #[test]
    fn the_flavor_is_the_smallest_that_boots_debian() {
        let flavor = |name: &str, ram: u64, disk: u64| -> Flavor {
            serde_json::from_value(serde_json::json!({
                "id": name, "name": name, "ram": ram, "disk": disk, "vcpus": 1
            }))
            .unwrap()
        };
        let flavors = [
            flavor("m1.tiny", 512, 1),
            flavor("m1.medium", 4096, 40),
            flavor("m1.small", 2048, 20),
        ];
        assert_eq!(choose_flavor(&flavors).unwrap().name, "m1.small");
        let err = choose_flavor(&flavors[..1]).unwrap_err().to_string();
        assert!(err.contains("1024 MiB"), "{err}");
    }
}
