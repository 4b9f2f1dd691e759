//! `cargo xtask smoke [--cloud NAME] [--keep]`: the project's main job, offline, in one command.
//!
//! An operator's first week, proved end to end: make a bootable image, upload it to OpenStack,
//! start an instance, check that it really works.
//!
//! 1. The host packages (qemu, busybox-static, e2fsprogs, mtools, syslinux) are installed when
//!    missing ([`ferrostack_testbed::packages::ensure`], which knows the apt trap in QEMU.md).
//! 2. The tiny image is built with a fresh per-run token (downloads cached under
//!    `target/ferrostack-cache`, outputs under `target/smoke/<run>`).
//! 3. An embedded mock cloud starts with the qemu compute driver, unless `--cloud NAME` names
//!    a clouds.yaml cloud to use instead.
//! 4. With the SDK, the image is uploaded twice: as a self-booting qcow2 disk, and as the
//!    aki/ari/ami trio (kernel, ramdisk and a raw root disk linked by `kernel_id` and
//!    `ramdisk_id`, the kernel command line in `os_command_line`). One server boots from
//!    each; each must print `SMOKE-BOOT-OK <token>` on its console before a deadline.
//! 5. Everything made is deleted (servers, then images), unless `--keep`, and the embedded
//!    cloud and its VMs are stopped. On failure too.
//!
//! The report has one line per step with its time, and is also written as JSON to
//! `target/bench/smoke.json`. A failed boot exits non-zero with the server's console tail.

mod boot;
mod cleanup;
mod console;
mod debian;
mod report;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use ferrostack::Cloud;
use ferrostack::compute::{Flavor, ServerId, ServerStatus};
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::image::{ContainerFormat, DiskFormat, Image, ImageData};
use ferrostack_qemu::{ConvertSpec, QemuImg};
use ferrostack_testbed::packages;
use ferrostack_testbed::tiny::{self, TinyImage, TinySpec};
use mock_cloud::{MockCloud, QemuDriver};
use tokio::time::Instant;

use self::boot::Deadlines;
use self::cleanup::{cleanup, keep_running};
use self::report::{Outcome, Report};
use xtask::{step, workspace_root};

/// What the command line asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// A clouds.yaml cloud to run against instead of the embedded mock cloud.
    pub cloud: Option<String>,
    /// Leave the servers, images and files in place (and the embedded cloud up until Ctrl-C).
    pub keep: bool,
    /// `--distro debian`: the Debian cloud image, logged in to over SSH, instead of the tiny
    /// image's boot marker.
    pub debian: bool,
}

impl Options {
    /// Parses `[--cloud NAME] [--keep] [--distro debian]`, naming the argument at fault.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--keep" => options.keep = true,
                "--distro" => match args.next().map(String::as_str) {
                    Some("debian" | "debian-12") => options.debian = true,
                    other => bail!(
                        "smoke: --distro {}: the smoke run builds `debian` (Debian 12)",
                        other.unwrap_or("needs a value")
                    ),
                },
                "--cloud" => {
                    let name = args
                        .next()
                        .filter(|name| !name.is_empty() && !name.starts_with("--"))
                        .context("smoke: --cloud needs the name of a cloud in clouds.yaml")?;
                    if options.cloud.replace(name.clone()).is_some() {
                        bail!("smoke: --cloud is given twice");
                    }
                }
                other => bail!(
                    "smoke: unknown argument `{other}` (usage: cargo xtask smoke [--cloud NAME] [--keep] [--distro debian])"
                ),
            }
        }
        Ok(options)
    }
}

/// Runs the smoke test; an error when any step failed (after cleaning up).
pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(smoke(options))
}

/// Where downloads (apt state, the kernel package) are kept between runs.
fn cache_dir() -> PathBuf {
    workspace_root().join("target/ferrostack-cache")
}

/// Makes sure the Debian `wanted` packages are installed (as root, with apt), saying which
/// step needs them and what it installs.
pub fn ensure_packages(purpose: &str, wanted: &[&str]) -> Result<()> {
    step(format!("host packages for {purpose}"));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let said = runtime.block_on(install_missing(wanted))?;
    eprintln!("    {said}");
    Ok(())
}

async fn host_packages() -> Result<String> {
    install_missing(&packages::all_packages()).await
}

async fn install_missing(wanted: &[&str]) -> Result<String> {
    let installed = packages::ensure(wanted, &cache_dir().join("apt")).await?;
    Ok(if installed.packages.is_empty() {
        format!("all present: {}", wanted.join(" "))
    } else {
        format!("installed {}", installed.packages.join(" "))
    })
}

/// Seconds with one decimal, as the report prints them.
fn secs(took: Duration) -> String {
    format!("{:.1} s", took.as_secs_f64())
}

/// How fast to look at a server: the embedded cloud answers in microseconds, a real one is
/// asked politely.
fn deadlines(embedded: bool) -> Deadlines {
    Deadlines {
        running: Duration::from_secs(if embedded { 120 } else { 600 }),
        // QEMU.md: a TCG boot takes 3-6 s, about double with the other core busy; give it
        // 120 s, and a margin for a machine shared with builds.
        marker: Duration::from_secs(180),
        poll: Duration::from_millis(if embedded { 250 } else { 2000 }),
    }
}

/// The embedded cloud and the driver running its VMs.
struct Embedded {
    mock: MockCloud,
    driver: Arc<QemuDriver>,
    vms_dir: PathBuf,
}

/// What this run made, so that cleanup finds it whatever failed.
struct Run {
    name: String,
    dir: PathBuf,
    cloud: Option<Cloud>,
    embedded: Option<Embedded>,
    servers: Vec<ServerId>,
    images: Vec<Image>,
    /// Keypairs, security groups and floating IPs (the Debian flow).
    extras: debian::Extras,
}

async fn smoke(options: Options) -> Result<()> {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    let token = tiny::random_token();
    let name = run_name(&now.strftime("%Y%m%d-%H%M%S").to_string(), &token);
    let where_ = match &options.cloud {
        Some(cloud) => format!("cloud `{cloud}` (clouds.yaml)"),
        None => "an embedded mock-cloud (qemu driver)".to_owned(),
    };
    if options.debian {
        step(format!(
            "smoke run {name} against {where_}: build Debian 12, upload it, boot it with a \
             keypair and user data, log in over SSH through a floating IP"
        ));
    } else {
        step(format!(
            "smoke run {name} against {where_}: build, upload, boot, prove `{}`",
            tiny::boot_marker(&token)
        ));
    }
    let mut report = Report::new(
        &name,
        &now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        &where_,
        &token,
    );
    let mut run = Run {
        dir: workspace_root().join("target/smoke").join(&name),
        name,
        cloud: None,
        embedded: None,
        servers: Vec::new(),
        images: Vec::new(),
        extras: debian::Extras::default(),
    };

    // Ctrl-C stops the flow where it is; the cleanup below still runs.
    let outcome = tokio::select! {
        outcome = flow(&options, &token, &mut run, &mut report) => outcome,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nsmoke: interrupted (Ctrl-C); cleaning up");
            Err(anyhow!("interrupted (Ctrl-C)"))
        }
    };

    let cleanup_started = Instant::now();
    let cleaned = if options.keep {
        let kept = format!(
            "--keep: {}, {} and {} kept",
            count(run.servers.len(), "server"),
            count(run.images.len(), "image"),
            run.dir.display()
        );
        report.record("cleanup", Duration::ZERO, Outcome::Skipped, &kept);
        Ok(())
    } else {
        let cleaned = cleanup(&mut run, outcome.is_ok()).await;
        match &cleaned {
            Ok(detail) => report.record("cleanup", cleanup_started.elapsed(), Outcome::Ok, detail),
            Err(err) => report.record(
                "cleanup",
                cleanup_started.elapsed(),
                Outcome::Failed,
                &format!("{err:#}"),
            ),
        }
        cleaned.map(drop)
    };

    report.finish(started.elapsed(), outcome.is_ok());
    println!("\n{report}");
    let json = workspace_root().join(if options.debian {
        "target/bench/smoke-debian.json"
    } else {
        "target/bench/smoke.json"
    });
    report.write_json(&json)?;
    eprintln!("report written to {}", json.display());

    if options.keep {
        keep_running(&mut run).await?;
    }
    outcome?;
    cleaned.context("the smoke test passed, but cleaning up failed")
}

/// `YYYYMMDD-HHMMSS-<first 6 of the token>`: sorts by time, unique per run.
fn run_name(stamp: &str, token: &str) -> String {
    format!("{stamp}-{}", &token[..token.len().min(6)])
}

/// Every step up to the boots; the first failure ends it, except that both boots are tried.
async fn flow(options: &Options, token: &str, run: &mut Run, report: &mut Report) -> Result<()> {
    timed(report, "host packages", host_packages(), String::clone).await?;

    // The cloud first: a wrong clouds.yaml entry fails in a second, not after a build.
    let (cloud, embedded, flavor) = timed(
        report,
        "start cloud",
        connect(options.cloud.as_deref(), &run.dir),
        |(_, embedded, flavor)| match embedded {
            Some(embedded) => format!(
                "mock-cloud at {}, flavor {}",
                embedded.mock.base_url(),
                flavor.name
            ),
            None => format!("authenticated, flavor {}", flavor.name),
        },
    )
    .await?;
    let is_embedded = embedded.is_some();
    run.cloud = Some(cloud.clone());
    run.embedded = embedded;
    if options.debian {
        return debian::flow(token, run, report, &cloud).await;
    }
    let compute = cloud.compute();

    let image_dir = run.dir.join("image");
    let (image, root_raw) = timed(
        report,
        "build image",
        build_image(token, &image_dir),
        |(image, _)| format!("kernel {}, token {}", image.kernel_release, image.token),
    )
    .await?;

    let qcow2 = timed(
        report,
        "upload qcow2",
        upload_qcow2(&cloud, &run.name, &image.bootable_qcow2),
        describe_image,
    )
    .await?;
    run.images.push(qcow2.clone());

    let trio = timed(
        report,
        "upload trio",
        upload_trio(&cloud, &run.name, &image, &root_raw),
        |trio| {
            format!(
                "aki + ari + ami, {}",
                describe_image(trio.last().expect("three parts"))
            )
        },
    )
    .await?;
    run.images.extend(trio.iter().cloned());
    let machine = trio.last().expect("three parts").id.clone();

    let marker = tiny::boot_marker(token);
    let mut failures = Vec::new();
    for (what, image_id) in [("qcow2", qcow2.id.clone()), ("ami", machine)] {
        let booted = timed(
            report,
            &format!("boot {what} to marker"),
            boot::boot_to_marker(
                &compute,
                &format!("ferrostack-smoke-{}-{what}", run.name),
                &image_id,
                &flavor,
                &marker,
                deadlines(is_embedded),
                &mut run.servers,
            ),
            |booted| {
                let after = match booted.status {
                    ServerStatus::Shutoff => ", then powered off",
                    _ => "",
                };
                format!(
                    "{}: running after {}, marker after {}{after}",
                    flavor.name,
                    secs(booted.running_after),
                    secs(booted.marker_after)
                )
            },
        )
        .await;
        if let Err(err) = booted {
            failures.push(format!("{err:#}"));
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} of 2 servers did not prove their boot:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

/// Runs one step, records its time and outcome, and passes its result on.
async fn timed<T>(
    report: &mut Report,
    name: &str,
    work: impl Future<Output = Result<T>>,
    detail: impl FnOnce(&T) -> String,
) -> Result<T> {
    eprintln!("--> {name}");
    let started = Instant::now();
    let result = work.await;
    let took = started.elapsed();
    match &result {
        Ok(value) => report.record(name, took, Outcome::Ok, &detail(value)),
        Err(err) => report.record(name, took, Outcome::Failed, &format!("{err:#}")),
    }
    result
}

/// Builds the tiny image with `token`, plus the raw root disk the ami needs: Glance (and the
/// SDK before it) refuse qcow2 bytes under `disk_format=ami`, as a rich format qemu would
/// interpret.
async fn build_image(token: &str, out_dir: &Path) -> Result<(TinyImage, PathBuf)> {
    let mut spec = TinySpec::new(cache_dir(), out_dir);
    spec.token = token.to_owned();
    let image = tiny::build(&spec)
        .await
        .context("building the tiny image")?;
    let root_raw = out_dir.join("root.raw");
    QemuImg::configured(None)?
        .convert(&ConvertSpec::new(&image.root_qcow2, &root_raw, "raw").source_format("qcow2"))
        .await
        .context("converting the root disk to raw for the ami")?;
    Ok((image, root_raw))
}

/// The cloud to run against: a clouds.yaml cloud, or a mock cloud started here with the qemu
/// driver (its VMs and state under `run_dir`); and the flavor the servers get.
async fn connect(cloud: Option<&str>, run_dir: &Path) -> Result<(Cloud, Option<Embedded>, Flavor)> {
    let (cloud, embedded) = match cloud {
        Some(name) => (
            Cloud::from_cloud(name).with_context(|| format!("loading cloud `{name}`"))?,
            None,
        ),
        None => {
            let vms_dir = run_dir.join("vms");
            let driver = Arc::new(
                QemuDriver::new(&vms_dir)
                    .map_err(|err| anyhow!("starting the qemu driver: {err}"))?,
            );
            let mock = MockCloud::builder()
                .state_dir(run_dir.join("cloud"))
                .compute_driver(driver.clone())
                .start()
                .await
                .context("starting the embedded mock cloud")?;
            let cloud = Cloud::new(demo_config(&mock.auth_url()))?;
            (
                cloud,
                Some(Embedded {
                    mock,
                    driver,
                    vms_dir,
                }),
            )
        }
    };
    // Authenticates and finds Nova: a wrong cloud fails here, not in the middle of an upload.
    let flavors = cloud
        .compute()
        .flavors()
        .list()
        .collect_all()
        .await
        .context("listing the compute flavors")?;
    let flavor = boot::choose_flavor(&flavors)?.clone();
    Ok((cloud, embedded, flavor))
}

/// The embedded cloud's demo user, as an operator would log in.
fn demo_config(auth_url: &str) -> CloudConfig {
    CloudConfig {
        name: Some("mock-demo".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(auth_url.to_owned()),
            username: Some("demo".into()),
            password: Some("demo".into()),
            user_domain_id: Some("default".into()),
            project_name: Some("demo".into()),
            project_domain_id: Some("default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    }
}

/// The self-booting disk: boots with no kernel or ramdisk from the cloud.
async fn upload_qcow2(cloud: &Cloud, run: &str, disk: &Path) -> Result<Image> {
    Ok(cloud
        .image()
        .images()
        .create(format!("ferrostack-smoke-{run}-qcow2"))
        .disk_format(DiskFormat::Qcow2)
        .container_format(ContainerFormat::Bare)
        .property("created_by", "cargo xtask smoke")
        .data(ImageData::path(disk))
        .send()
        .await?)
}

/// The aki/ari/ami trio; the ami carries the kernel command line, with `smoke_stay=1` so the
/// guest stays up after its marker and the deletion of a running server is exercised too.
async fn upload_trio(
    cloud: &Cloud,
    run: &str,
    image: &TinyImage,
    root_raw: &Path,
) -> Result<Vec<Image>> {
    let command_line = format!(
        "{} smoke_stay=1",
        tiny::kernel_append(&image.token, Some("/dev/vda"))
    );
    let trio = cloud
        .image()
        .images()
        .create_three_part(format!("ferrostack-smoke-{run}-ami"))
        .machine_metadata(|machine| {
            machine
                .property("os_command_line", command_line)
                .property("created_by", "cargo xtask smoke")
        })
        .kernel(ImageData::path(&image.kernel))
        .ramdisk(ImageData::path(&image.initrd))
        .machine(ImageData::path(root_raw))
        .send()
        .await?;
    Ok(vec![trio.kernel, trio.ramdisk, trio.machine])
}

/// `ID (12.3 MiB)`.
fn describe_image(image: &Image) -> String {
    let size = image
        .size
        .map(|bytes| format!(" ({:.1} MiB)", bytes as f64 / f64::from(1 << 20)))
        .unwrap_or_default();
    format!("{}{size}", image.id)
}

/// `1 server`, `2 servers`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn no_arguments_mean_the_embedded_cloud_and_a_full_cleanup() {
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
    }

    #[test]
    fn cloud_and_keep_are_read_in_any_order() {
        let expected = Options {
            cloud: Some("prod".into()),
            keep: true,
            debian: false,
        };
        assert_eq!(
            Options::parse(&args(&["--cloud", "prod", "--keep"])).unwrap(),
            expected
        );
        assert_eq!(
            Options::parse(&args(&["--keep", "--cloud", "prod"])).unwrap(),
            expected
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = |list: &[&str]| Options::parse(&args(list)).unwrap_err().to_string();
        assert_eq!(
            err(&["--cloud"]),
            "smoke: --cloud needs the name of a cloud in clouds.yaml"
        );
        assert_eq!(
            err(&["--cloud", "--keep"]),
            "smoke: --cloud needs the name of a cloud in clouds.yaml"
        );
        assert_eq!(
            err(&["--cloud", "a", "--cloud", "b"]),
            "smoke: --cloud is given twice"
        );
        assert_eq!(
            err(&["--distro", "ubuntu"]),
            "smoke: --distro ubuntu: the smoke run builds `debian` (Debian 12)"
        );
        assert!(
            Options::parse(&args(&["--distro", "debian"]))
                .unwrap()
                .debian
        );
        assert_eq!(
            err(&["--kep"]),
            "smoke: unknown argument `--kep` (usage: cargo xtask smoke [--cloud NAME] [--keep] [--distro debian])"
        );
    }

    #[test]
    fn a_run_is_named_by_its_time_and_token() {
        assert_eq!(
            run_name("20261128-180102", "3fa2c1d4e5f60718"),
            "20261128-180102-3fa2c1"
        );
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(1, "server"), "1 server");
        assert_eq!(count(0, "image"), "0 images");
        assert_eq!(count(4, "image"), "4 images");
    }

    #[test]
    fn image_sizes_read_in_mebibytes() {
        let image: Image = serde_json::from_value(serde_json::json!({
            "id": "abc", "status": "active", "size": 3 * 1024 * 1024 / 2
        }))
        .unwrap();
        assert_eq!(describe_image(&image), "abc (1.5 MiB)");
    }
}
