//! The closed-loop load probes (`devtools bench probe load` and `... growth`): concurrent
//! clients, each sending its next request when the last one answered, against one cloud.
//!
//! - `load --mix KIND=N,KIND=N --seconds S [--bytes B]`: clients of several kinds at once
//!   (`token`, `images`, `upload`), for S seconds; requests/s, MB/s and latency quantiles per
//!   kind. An `upload` client creates an image, PUTs B bytes to it and deletes it; the PUT is
//!   the request counted and timed.
//! - `growth --levels 0,1000,10000 --clients N --window W --list-seconds S`: creates images
//!   until each level, then times W more creates and S seconds of image lists there: whether
//!   creates and lists slow down as the store fills.
//!
//! Both take `--auth-url` (Keystone v3) and `--image-url` (Glance's root) and act as admin.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use super::measure::Tools;
use super::mock::Endpoints;
use super::report::quantile;

/// Runs `probe` (`load` or `growth`) from the release build against one cloud, with `args`
/// after the cloud's URLs: its JSON answer.
pub fn spawn(tools: &Tools, cloud: &Endpoints, probe: &str, args: &[String]) -> Result<Value> {
    let out = std::process::Command::new(&tools.devtools)
        .args(["bench", "probe", probe, "--auth-url", &cloud.auth_url])
        .args(["--image-url", &cloud.image_url])
        .args(args)
        .output()
        .context("running the load probe")?;
    if !out.status.success() {
        bail!(
            "bench probe {probe} {} against {}: {}",
            args.join(" "),
            cloud.auth_url,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("the load probe's answer")
}

/// What one client does per request.
#[derive(Clone, Debug)]
enum Kind {
    /// POST /v3/auth/tokens with a password (admin on project admin).
    Token,
    /// GET /v2/images (the first page, the server's default limit).
    Images,
    /// POST /v2/images, PUT its file, DELETE it; the PUT is what is timed.
    Upload(Bytes),
    /// POST /v2/images.
    Create,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Images => "images",
            Kind::Upload(_) => "upload",
            Kind::Create => "create",
        }
    }
}

/// The cloud as the probes call it: URLs, an admin token, one HTTP client with a pool.
#[derive(Clone)]
struct Target {
    http: reqwest::Client,
    tokens_url: String,
    images_url: String,
    auth_body: Value,
    token: String,
}

impl Target {
    async fn connect(args: &[String], clients: usize) -> Result<Target> {
        let auth_url = super::probe::arg(args, "--auth-url")?.trim_end_matches('/');
        let image_url = super::probe::arg(args, "--image-url")?.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .timeout(Duration::from_secs(300))
            .build()?;
        let auth_body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": "admin"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}});
        let tokens_url = format!("{auth_url}/auth/tokens");
        let resp = http.post(&tokens_url).json(&auth_body).send().await?;
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .with_context(|| format!("no token from {tokens_url}: {}", resp.status()))?;
        Ok(Target {
            http,
            tokens_url,
            images_url: format!("{image_url}/v2/images"),
            auth_body,
            token,
        })
    }

    /// One request of `kind`: its latency (the PUT's, for an upload), or `None` if any call
    /// of it failed. Every body is read whole, as a client would.
    async fn once(&self, kind: &Kind) -> Option<Duration> {
        let ok = |resp: reqwest::Result<reqwest::Response>| async move {
            let resp = resp.ok()?;
            let good = resp.status().is_success();
            let body = resp.bytes().await.ok()?;
            good.then_some(body)
        };
        let started = Instant::now();
        match kind {
            Kind::Token => {
                ok(self
                    .http
                    .post(&self.tokens_url)
                    .json(&self.auth_body)
                    .send()
                    .await)
                .await?;
                Some(started.elapsed())
            }
            Kind::Images => {
                ok(self
                    .authed(reqwest::Method::GET, &self.images_url)
                    .send()
                    .await)
                .await?;
                Some(started.elapsed())
            }
            Kind::Create => {
                self.create().await?;
                Some(started.elapsed())
            }
            Kind::Upload(data) => {
                let id = self.create().await?;
                let file = format!("{}/{id}/file", self.images_url);
                let started = Instant::now();
                let put = ok(self
                    .authed(reqwest::Method::PUT, &file)
                    .header("Content-Type", "application/octet-stream")
                    .body(data.clone())
                    .send()
                    .await)
                .await;
                let took = started.elapsed();
                let image = format!("{}/{id}", self.images_url);
                let deleted = ok(self.authed(reqwest::Method::DELETE, &image).send().await).await;
                put.and(deleted).map(|_| took)
            }
        }
    }

    fn authed(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("X-Auth-Token", &self.token)
    }

    /// POST /v2/images: the new image's id.
    async fn create(&self) -> Option<String> {
        let resp = self
            .authed(reqwest::Method::POST, &self.images_url)
            .json(&json!({"name": "bench-load", "disk_format": "raw", "container_format": "bare"}))
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let image: Value = resp.json().await.ok()?;
        image["id"].as_str().map(str::to_owned)
    }
}

/// What the clients of one kind did in one run.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.latencies_ms.extend(other.latencies_ms);
        self.errors += other.errors;
    }

    fn json(mut self, seconds: f64, bytes_each: usize) -> Value {
        self.latencies_ms.sort_by(f64::total_cmp);
        let n = self.latencies_ms.len();
        json!({
            "requests": n,
            "errors": self.errors,
            "per_second": n as f64 / seconds,
            "megabytes_per_second": (n * bytes_each) as f64 / seconds / 1e6,
            "p50_ms": quantile(&self.latencies_ms, 0.5),
            "p99_ms": quantile(&self.latencies_ms, 0.99),
        })
    }
}

/// How a run of clients ends: at a deadline, or once a shared count of requests is taken.
#[derive(Clone)]
enum Until {
    Deadline(Instant),
    Tickets(Arc<AtomicUsize>, usize),
}

impl Until {
    fn another(&self) -> bool {
        match self {
            Until::Deadline(at) => Instant::now() < *at,
            Until::Tickets(taken, total) => taken.fetch_add(1, Ordering::Relaxed) < *total,
        }
    }
}

/// Runs `clients` of each kind at once until `until`; each kind's tally and the wall time.
async fn drive(
    target: &Target,
    kinds: &[(Kind, usize)],
    until: Until,
) -> Result<(Vec<Tally>, f64)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, (kind, clients)) in kinds.iter().enumerate() {
        for _ in 0..*clients {
            let (target, kind, until) = (target.clone(), kind.clone(), until.clone());
            tasks.push((
                index,
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    while until.another() {
                        match target.once(&kind).await {
                            Some(took) => tally.latencies_ms.push(took.as_secs_f64() * 1e3),
                            None => tally.errors += 1,
                        }
                    }
                    tally
                }),
            ));
        }
    }
    let mut tallies: Vec<Tally> = kinds.iter().map(|_| Tally::default()).collect();
    for (index, task) in tasks {
        tallies[index].add(task.await?);
    }
    Ok((tallies, started.elapsed().as_secs_f64()))
}

/// As many requests as there are clients, all at once, so that each client's connection is
/// open before the clock starts.
async fn warm_up(target: &Target, kinds: &[(Kind, usize)], clients: usize) -> Result<()> {
    let tickets = Until::Tickets(Arc::new(AtomicUsize::new(0)), clients);
    drive(target, kinds, tickets).await.map(drop)
}

/// `--mix images=8,upload=8` (or the older `--kind images --clients 8`).
fn mix(args: &[String], upload: &Bytes) -> Result<Vec<(Kind, usize)>> {
    let text = match super::probe::arg(args, "--mix") {
        Ok(mix) => mix.to_owned(),
        Err(_) => format!(
            "{}={}",
            super::probe::arg(args, "--kind")?,
            super::probe::arg(args, "--clients")?
        ),
    };
    text.split(',')
        .map(|part| {
            let (kind, clients) = part
                .split_once('=')
                .with_context(|| format!("bench probe load: --mix {part}: expected KIND=N"))?;
            let kind = match kind {
                "token" => Kind::Token,
                "images" => Kind::Images,
                "upload" => Kind::Upload(upload.clone()),
                "create" => Kind::Create,
                other => bail!(
                    "bench probe load: kind {other}: expected token, images, upload or create"
                ),
            };
            let clients = clients
                .parse()
                .with_context(|| format!("bench probe load: --mix {part}: N is not a count"))?;
            Ok((kind, clients))
        })
        .collect()
}

/// `probe load`: prints `{seconds, kinds: {KIND: {requests, errors, per_second,
/// megabytes_per_second, p50_ms, p99_ms}}}`.
pub async fn load(args: &[String]) -> Result<Value> {
    let seconds: f64 = super::probe::parsed(args, "--seconds")?;
    let bytes: usize = super::probe::parsed(args, "--bytes").unwrap_or(4 << 20);
    // Random, so nothing on the way can compress or skip it.
    let mut upload = vec![0u8; bytes];
    rand::fill(&mut upload[..]);
    let upload = Bytes::from(upload);
    let kinds = mix(args, &upload)?;
    let clients = kinds.iter().map(|(_, n)| n).sum();
    let target = Target::connect(args, clients).await?;
    warm_up(&target, &kinds, clients).await?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (tallies, elapsed) = drive(&target, &kinds, Until::Deadline(deadline)).await?;
    let mut report = serde_json::Map::new();
    for ((kind, _), tally) in kinds.iter().zip(tallies) {
        if tally.latencies_ms.is_empty() {
            bail!(
                "bench probe load: every {} request failed ({} errors)",
                kind.name(),
                tally.errors
            );
        }
        let each = if let Kind::Upload(data) = kind {
            data.len()
        } else {
            0
        };
        report.insert(kind.name().to_owned(), tally.json(elapsed, each));
    }
    Ok(json!({"seconds": elapsed, "kinds": report}))
}

/// `probe growth`: prints `{levels: [{images, creates_per_second, create_p99_ms,
/// list_per_second, list_p99_ms, errors}]}`, `images` being how many the probe had made
/// when that level's creates began.
pub async fn growth(args: &[String]) -> Result<Value> {
    let levels: Vec<usize> = super::probe::arg(args, "--levels")?
        .split(',')
        .map(|l| l.parse().context("bench probe growth: --levels are counts"))
        .collect::<Result<_>>()?;
    let clients: usize = super::probe::parsed(args, "--clients")?;
    let window: usize = super::probe::parsed(args, "--window")?;
    let list_seconds: f64 = super::probe::parsed(args, "--list-seconds")?;
    let target = Target::connect(args, clients).await?;
    let creators = [(Kind::Create, clients)];
    let listers = [(Kind::Images, clients)];
    warm_up(&target, &listers, clients).await?;
    let mut made = 0;
    let mut rows = Vec::new();
    for level in levels {
        if level > made {
            let fill = Until::Tickets(Arc::new(AtomicUsize::new(0)), level - made);
            let (tallies, _) = drive(&target, &creators, fill).await?;
            made += tallies[0].latencies_ms.len();
        }
        let at = made;
        let timed = Until::Tickets(Arc::new(AtomicUsize::new(0)), window);
        let (mut creates, create_seconds) = drive(&target, &creators, timed).await?;
        let created = creates.pop().context("one kind")?;
        made += created.latencies_ms.len();
        let deadline = Instant::now() + Duration::from_secs_f64(list_seconds);
        let (mut lists, list_seconds) = drive(&target, &listers, Until::Deadline(deadline)).await?;
        let listed = lists.pop().context("one kind")?;
        let errors = created.errors + listed.errors;
        let creates = created.json(create_seconds, 0);
        let lists = listed.json(list_seconds, 0);
        rows.push(json!({
            "images": at,
            "creates_per_second": creates["per_second"],
            "create_p99_ms": creates["p99_ms"],
            "list_per_second": lists["per_second"],
            "list_p99_ms": lists["p99_ms"],
            "errors": errors,
        }));
    }
    Ok(json!({ "levels": rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_mix_names_each_kind_and_its_clients() {
        let data = Bytes::from_static(b"data");
        let kinds = mix(&args(&["--mix", "upload=8,images=8"]), &data).unwrap();
        let named: Vec<_> = kinds.iter().map(|(k, n)| (k.name(), *n)).collect();
        assert_eq!(named, [("upload", 8), ("images", 8)]);
        let older = mix(&args(&["--kind", "token", "--clients", "1"]), &data).unwrap();
        assert_eq!(older[0].0.name(), "token");
        let err = mix(&args(&["--mix", "images"]), &data).unwrap_err();
        assert!(err.to_string().contains("expected KIND=N"), "{err}");
        let err = mix(&args(&["--mix", "servers=2"]), &data).unwrap_err();
        assert!(err.to_string().contains("kind servers"), "{err}");
    }

    #[test]
    fn tickets_run_out_after_the_count_across_clients() {
        let until = Until::Tickets(Arc::new(AtomicUsize::new(0)), 3);
        let other = until.clone();
        assert!(until.another() && other.another() && until.another());
        assert!(!other.another() && !until.another());
    }
}
