//! `devtools bench probe ...`: the Rust side of each comparison, run from the release build as
//! a process of its own, and the wrapper that measures every process the bench runs.
//!
//! - `measure -- CMD ARGS...`: runs CMD, prints `{seconds, max_rss_kib, code, stdout, stderr}`.
//! - `upload --cloud NAME --file PATH --name NAME`: the SDK's create-and-upload (hashed, verified).
//! - `download --cloud NAME --id ID --to PATH`: the SDK's verified download to a file.
//! - `list --cloud NAME`: streams every image; prints the count.
//! - `load ...` and `growth ...`: closed-loop loads of concurrent clients (see `load.rs`).
//!
//! Clouds come from clouds.yaml (`OS_CLIENT_CONFIG_FILE`), as for the peers.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ferrostack::Cloud;
use ferrostack::image::{ContainerFormat, DiskFormat, ImageData};
use futures::TryStreamExt;
use serde_json::json;

/// Runs one probe.
pub fn run(args: &[String]) -> Result<()> {
    let Some((probe, rest)) = args.split_first() else {
        bail!("bench probe: which probe? (measure, upload, download, list, load, growth)");
    };
    if probe == "measure" {
        return measure(rest);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let answer = match probe.as_str() {
        "upload" => runtime.block_on(upload(rest))?,
        "download" => runtime.block_on(download(rest))?,
        "list" => runtime.block_on(list(rest))?,
        "load" => runtime.block_on(super::load::load(rest))?,
        "growth" => runtime.block_on(super::load::growth(rest))?,
        other => bail!("bench probe: unknown probe `{other}`"),
    };
    println!("{answer}");
    Ok(())
}

/// The value of `--key` in `args`, required.
pub(super) fn arg<'a>(args: &'a [String], key: &str) -> Result<&'a str> {
    let pos = args
        .iter()
        .position(|a| a == key)
        .with_context(|| format!("bench probe: {key} is required"))?;
    args.get(pos + 1)
        .map(String::as_str)
        .with_context(|| format!("bench probe: {key} needs a value"))
}

pub(super) fn parsed<T: std::str::FromStr>(args: &[String], key: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let raw = arg(args, key)?;
    raw.parse()
        .map_err(|e| anyhow::anyhow!("bench probe: {key} {raw}: {e}"))
}

/// Spawns the command after `--`, waits, and reports its wall time and peak RSS.
fn measure(args: &[String]) -> Result<()> {
    let command = match args.split_first() {
        Some((dashes, command)) if dashes == "--" => command,
        _ => args,
    };
    let (program, rest) = command
        .split_first()
        .context("bench probe measure: no command given after --")?;
    let started = Instant::now();
    let out = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {program}"))?;
    let seconds = started.elapsed().as_secs_f64();
    // This process's only child was the command: the children's peak is the command's.
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .context("getrusage")?;
    let answer = json!({
        "seconds": seconds,
        "max_rss_kib": usage.max_rss(),
        "cpu_seconds": seconds_of(usage.user_time()) + seconds_of(usage.system_time()),
        "code": out.status.code(),
        "stdout": String::from_utf8_lossy(&out.stdout),
        "stderr": String::from_utf8_lossy(&out.stderr),
    });
    println!("{answer}");
    Ok(())
}

fn seconds_of(t: nix::sys::time::TimeVal) -> f64 {
    t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6
}

async fn upload(args: &[String]) -> Result<serde_json::Value> {
    let cloud = Cloud::from_cloud(arg(args, "--cloud")?)?;
    let file = arg(args, "--file")?;
    let started = Instant::now();
    let image = cloud
        .image()
        .images()
        .create(arg(args, "--name")?)
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .data(ImageData::path(file))
        .send()
        .await
        .with_context(|| format!("uploading {file}"))?;
    Ok(json!({
        "id": image.id.to_string(),
        "size": image.size,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

async fn download(args: &[String]) -> Result<serde_json::Value> {
    let cloud = Cloud::from_cloud(arg(args, "--cloud")?)?;
    let id = arg(args, "--id")?;
    let started = Instant::now();
    let done = cloud
        .image()
        .images()
        .download_to_path(id, arg(args, "--to")?)
        .await
        .with_context(|| format!("downloading image {id}"))?;
    Ok(json!({
        "bytes": done.bytes,
        "verified_with": done.verified_with,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

async fn list(args: &[String]) -> Result<serde_json::Value> {
    let cloud = Cloud::from_cloud(arg(args, "--cloud")?)?;
    let started = Instant::now();
    let count = cloud
        .image()
        .images()
        .list()
        .stream()
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .context("listing images")?;
    Ok(json!({"count": count, "seconds": started.elapsed().as_secs_f64()}))
}
