//! The processes of a real service stack (Nova's, Neutron's): started with their output in a
//! log file under the stack's folder, waited for, and stopped in reverse order of their
//! start, on drop too. Only the processes started here are ever signalled.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::signal::{self, Signal};
use xtask::prerequisites::Venv;
use xtask::run;

/// The running processes of one stack, and its folder.
pub struct Supervisor {
    /// The stack's folder: configuration, databases and logs.
    pub dir: PathBuf,
    /// How long a service may take to come up.
    deadline: Duration,
    processes: Vec<Service>,
}

struct Service {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Supervisor {
    /// A supervisor for a fresh, empty `dir` (cleared if it exists); services get `deadline`
    /// to come up.
    pub fn fresh(dir: &Path, deadline: Duration) -> Result<Supervisor> {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        fs::create_dir_all(dir)?;
        Ok(Supervisor {
            dir: dir.canonicalize()?,
            deadline,
            processes: Vec::new(),
        })
    }

    /// The process ids, for a signal handler that must stop them before `Drop` can run.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(|s| s.child.id()).collect()
    }

    /// Runs a service's management command to its end, its output in `<program>.log`.
    pub fn manage(&self, venv: &Venv, program: &str, conf: &Path, args: &[&str]) -> Result<()> {
        let log_path = self.dir.join(format!("{program}.log"));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        run(Command::new(venv.bin().join(program))
            .arg("--config-file")
            .arg(conf)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log))
        .with_context(|| format!("{program} {} (see {})", args.join(" "), log_path.display()))
    }

    /// Starts `command` as the service `name`, its output in `<name>.out`.
    pub fn spawn(&mut self, name: &'static str, command: &mut Command) -> Result<()> {
        let log = self.dir.join(format!("{name}.out"));
        let out = fs::File::create(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.processes.push(Service { name, child, log });
        Ok(())
    }

    /// One gunicorn worker with threads, no control socket (REAL-OPENSTACK.md pitfalls 3, 4),
    /// serving `app` (a module in the stack's folder) on loopback `port`.
    pub fn spawn_gunicorn(
        &mut self,
        venv: &Venv,
        name: &'static str,
        port: u16,
        app: &str,
        env: &[(&str, &Path)],
    ) -> Result<()> {
        let dir = self.dir.clone();
        let mut command = Command::new(venv.bin().join("gunicorn"));
        command
            .args([
                "--no-control-socket",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--bind",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--chdir")
            .arg(&dir)
            .arg(app);
        for (key, value) in env {
            command.env(key, value);
        }
        self.spawn(name, &mut command)
    }

    /// Polls `probe` until it succeeds, failing early (with the log tail) if a process of
    /// the stack died, and after the deadline.
    pub fn wait_for(
        &mut self,
        name: &str,
        mut probe: impl FnMut() -> std::result::Result<(), String>,
    ) -> Result<()> {
        let deadline = Instant::now() + self.deadline;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            match probe() {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            if let Some(dead) = self
                .processes
                .iter_mut()
                .find_map(|s| match s.child.try_wait() {
                    Ok(Some(status)) => Some((s.name, status, s.log.clone())),
                    _ => None,
                })
            {
                bail!(
                    "{} exited ({}) while waiting for {name}; log tail ({}):\n{}",
                    dead.0,
                    dead.1,
                    dead.2.display(),
                    tail(&dead.2)
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let log = self
            .processes
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.log.clone())
            .unwrap_or_else(|| self.dir.join(format!("{name}.log")));
        bail!(
            "{name} was not ready within {:?} (last: {last}); log tail ({}):\n{}",
            self.deadline,
            log.display(),
            tail(&log)
        )
    }

    /// Stops the services in reverse order of their start: SIGTERM, then SIGKILL after 15 s.
    pub fn stop_all(&mut self) {
        while let Some(mut service) = self.processes.pop() {
            signal::send(service.child.id(), Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = service.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if let Ok(None) = service.child.try_wait() {
                eprintln!("{} did not stop on SIGTERM; killing it", service.name);
                let _ = service.child.kill();
                let _ = service.child.wait();
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The port of `http://127.0.0.1:PORT`.
pub fn port_of(url: &str) -> Result<u16> {
    url.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("no port in {url}"))
}

/// The status of a GET without a token, or why there was none.
pub fn http_status(url: &str) -> std::result::Result<u16, String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?
        .get(url)
        .send()
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

/// The last 30 lines of a log.
pub fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(30).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}
