//! The release-built mock cloud as a process of its own (`mock-cloud serve`), so that its
//! speed is release speed and its memory is its own; and the few HTTP calls the bench makes
//! outside the measured commands (seeding, deleting what a run made, reading the journal).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::measure::Tools;
use crate::real_cloud::issue_token;
use crate::signal::{self, Signal};

/// A running `mock-cloud serve`, stopped on drop.
pub struct MockProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The clouds.yaml it wrote (`mock-admin`, `mock-demo`).
    pub clouds_yaml: PathBuf,
    /// What its control plane (`/_mock/*`) asks for, from the file beside the clouds.yaml.
    control_token: String,
}

impl MockProcess {
    /// Starts a fresh in-memory cloud on a free port; its log goes to `dir/mock-cloud.log`.
    pub fn start(tools: &Tools, dir: &Path) -> Result<MockProcess> {
        Self::spawn(tools, dir, false)
    }

    /// Starts a fresh cloud that keeps its state in `dir/state` (emptied first), as
    /// `mock-cloud serve --state-dir` does for a user: every change is written durably.
    pub fn start_persistent(tools: &Tools, dir: &Path) -> Result<MockProcess> {
        let state = dir.join("state");
        if state.exists() {
            std::fs::remove_dir_all(&state)
                .with_context(|| format!("emptying {}", state.display()))?;
        }
        Self::spawn(tools, dir, true)
    }

    fn spawn(tools: &Tools, dir: &Path, persistent: bool) -> Result<MockProcess> {
        std::fs::create_dir_all(dir)?;
        let clouds_yaml = dir.join("clouds.yaml");
        let log = std::fs::File::create(dir.join("mock-cloud.log"))?;
        let mut command = Command::new(&tools.mock_cloud);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--clouds-yaml"])
            .arg(&clouds_yaml);
        if persistent {
            command.arg("--state-dir").arg(dir.join("state"));
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", tools.mock_cloud.display()))?;
        let mut stdout = BufReader::new(child.stdout.take().context("mock-cloud stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let Some(base_url) = line.trim().strip_prefix("mock-cloud listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "mock-cloud did not start (first line {line:?}; see {})",
                dir.join("mock-cloud.log").display()
            );
        };
        // Written before the first line was printed.
        let token_file = dir.join("mock-cloud.token");
        let control_token = match std::fs::read_to_string(&token_file) {
            Ok(token) => token,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e).with_context(|| format!("reading {}", token_file.display()));
            }
        };
        Ok(MockProcess {
            base_url: base_url.to_owned(),
            child,
            _stdout: stdout,
            clouds_yaml,
            control_token,
        })
    }

    /// Keystone v3's URL.
    pub fn auth_url(&self) -> String {
        format!("{}/identity/v3", self.base_url)
    }

    /// Glance's root.
    pub fn image_url(&self) -> String {
        format!("{}/image", self.base_url)
    }

    /// Both roots, for the load probes and the bench's own calls.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            auth_url: self.auth_url(),
            image_url: self.image_url(),
        }
    }

    /// The resident memory of the process now, KiB.
    pub fn rss_kib(&self) -> Result<f64> {
        rss_kib(self.child.id())
    }

    /// Adds `count` public images without data (`POST /_mock/seed`); their ids.
    pub fn seed_images(&self, count: usize, prefix: &str) -> Result<()> {
        let images: Vec<Value> = (0..count)
            .map(|i| {
                json!({"name": format!("{prefix}-{i:05}"), "visibility": "public",
                            "disk_format": "raw", "container_format": "bare"})
            })
            .collect();
        let resp = http()
            .post(format!("{}/_mock/seed", self.base_url))
            .bearer_auth(&self.control_token)
            .json(&json!({ "images": images }))
            .send()
            .context("POST /_mock/seed")?;
        if !resp.status().is_success() {
            bail!(
                "seeding {count} images: {}: {}",
                resp.status(),
                resp.text().unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Empties the request journal.
    pub fn clear_journal(&self) -> Result<()> {
        http()
            .delete(format!("{}/_mock/journal", self.base_url))
            .bearer_auth(&self.control_token)
            .send()?
            .error_for_status()?;
        Ok(())
    }

    /// The requests journalled since the last clear: (method, path, query).
    pub fn journal(&self) -> Result<Vec<(String, String, String)>> {
        let doc: Value = http()
            .get(format!("{}/_mock/journal", self.base_url))
            .bearer_auth(&self.control_token)
            .send()?
            .error_for_status()?
            .json()?;
        Ok(doc["entries"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                        (s("method"), s("path"), s("query"))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        signal::send(self.child.id(), Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking client for the bench's own calls.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("a default reqwest client builds")
}

/// A cloud's two roots, for the bench's own calls on it.
pub struct Endpoints {
    /// Keystone v3.
    pub auth_url: String,
    /// Glance's root.
    pub image_url: String,
}

impl Endpoints {
    /// Deletes an image as admin (what a run made must not pile up in memory or on disk).
    pub fn delete_image(&self, id: &str) -> Result<()> {
        let http = http();
        let token = issue_token(&http, &self.auth_url, "admin", "admin", "admin")?;
        let resp = http
            .delete(format!("{}/v2/images/{id}", self.image_url))
            .header("X-Auth-Token", token)
            .send()?;
        if !resp.status().is_success() {
            bail!("deleting image {id}: {}", resp.status());
        }
        Ok(())
    }

    /// One token and one image list, as a client's first call does; Ok once both answer.
    pub fn first_token_and_list(&self) -> Result<()> {
        let http = http();
        let token = issue_token(&http, &self.auth_url, "admin", "admin", "admin")?;
        let resp = http
            .get(format!("{}/v2/images", self.image_url))
            .header("X-Auth-Token", token)
            .send()?;
        if !resp.status().is_success() {
            bail!("GET /v2/images: {}", resp.status());
        }
        Ok(())
    }
}

/// `VmRSS` of a process, KiB.
pub fn rss_kib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in /proc/{pid}/status"))
}

/// The summed RSS of every process working in `dir` (gunicorn's masters and workers run with
/// `--chdir` into the real cloud's own folder; their command lines are rewritten by
/// setproctitle, so the folder is what names them), KiB; and how many there were.
pub fn rss_of_processes_in(dir: &Path) -> Result<(f64, usize)> {
    let dir = dir.canonicalize()?;
    let mut total = 0.0;
    let mut count = 0;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir)
            && let Ok(rss) = rss_kib(pid)
        {
            total += rss;
            count += 1;
        }
    }
    Ok((total, count))
}
