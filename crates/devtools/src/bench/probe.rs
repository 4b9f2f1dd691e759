//! `devtools bench probe ...`: the Rust side of each comparison, run from the release build as
//! a process of its own, and the wrapper that measures every process the bench runs.
//!
//! - `measure -- CMD ARGS...`: runs CMD, prints `{seconds, max_rss_kib, code, stdout, stderr}`.
//! - `upload --cloud NAME --file PATH --name NAME`: the SDK's create-and-upload (hashed, verified).
//! - `download --cloud NAME --id ID --to PATH`: the SDK's verified download to a file.
//! - `list --cloud NAME`: streams every image; prints the count.
//! - `load --auth-url URL --image-url URL --kind token|images --clients N --seconds S`:
//!   a closed-loop load of N clients; prints requests/s and latency quantiles.
//!
//! Clouds come from clouds.yaml (`OS_CLIENT_CONFIG_FILE`), as for the peers.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ferrostack::Cloud;
use ferrostack::image::{ContainerFormat, DiskFormat, ImageData};
use futures::TryStreamExt;
use serde_json::json;

use super::report::quantile;

/// Runs one probe.
pub fn run(args: &[String]) -> Result<()> {
    let Some((probe, rest)) = args.split_first() else {
        bail!("bench probe: which probe? (measure, upload, download, list, load)");
    };
    if probe == "measure" {
        return measure(rest);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let answer = match probe.as_str() {
        "upload" => runtime.block_on(upload(rest))?,
        "download" => runtime.block_on(download(rest))?,
        "list" => runtime.block_on(list(rest))?,
        "load" => runtime.block_on(load(rest))?,
        other => bail!("bench probe: unknown probe `{other}`"),
    };
    println!("{answer}");
    Ok(())
}

/// The value of `--key` in `args`, required.
fn arg<'a>(args: &'a [String], key: &str) -> Result<&'a str> {
    let pos = args
        .iter()
        .position(|a| a == key)
        .with_context(|| format!("bench probe: {key} is required"))?;
    args.get(pos + 1)
        .map(String::as_str)
        .with_context(|| format!("bench probe: {key} needs a value"))
}

fn parsed<T: std::str::FromStr>(args: &[String], key: &str) -> Result<T>
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

/// What one load client does per request.
#[derive(Clone)]
enum Kind {
    /// POST /v3/auth/tokens with a password (admin on project admin).
    Token {
        url: String,
        body: serde_json::Value,
    },
    /// GET /v2/images with a token.
    Images { url: String, token: String },
}

impl Kind {
    async fn once(&self, http: &reqwest::Client) -> bool {
        let sent = match self {
            Kind::Token { url, body } => http.post(url).json(body).send().await,
            Kind::Images { url, token } => http.get(url).header("X-Auth-Token", token).send().await,
        };
        match sent {
            // The body is read whole, as a client would.
            Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
            Err(_) => false,
        }
    }
}

async fn load(args: &[String]) -> Result<serde_json::Value> {
    let auth_url = arg(args, "--auth-url")?.trim_end_matches('/').to_owned();
    let image_url = arg(args, "--image-url")?.trim_end_matches('/').to_owned();
    let clients: usize = parsed(args, "--clients")?;
    let seconds: f64 = parsed(args, "--seconds")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": "admin"}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}});
    let tokens_url = format!("{auth_url}/auth/tokens");
    let kind = match arg(args, "--kind")? {
        "token" => Kind::Token {
            url: tokens_url,
            body,
        },
        "images" => {
            let resp = http.post(&tokens_url).json(&body).send().await?;
            let token = resp
                .headers()
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .with_context(|| format!("no token from {tokens_url}: {}", resp.status()))?;
            Kind::Images {
                url: format!("{image_url}/v2/images"),
                token,
            }
        }
        other => bail!("bench probe load: --kind {other}: expected token or images"),
    };
    // One warm-up request per client opens its connection before the clock starts.
    for _ in 0..clients {
        kind.once(&http).await;
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, kind) = (http.clone(), kind.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if kind.once(&http).await {
                        latencies.push(t.elapsed().as_secs_f64() * 1e3);
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if latencies.is_empty() {
        bail!("bench probe load: every request failed ({errors} errors)");
    }
    latencies.sort_by(f64::total_cmp);
    Ok(json!({
        "requests": latencies.len(),
        "errors": errors,
        "per_second": latencies.len() as f64 / elapsed,
        "p50_ms": quantile(&latencies, 0.5),
        "p99_ms": quantile(&latencies, 0.99),
    }))
}
