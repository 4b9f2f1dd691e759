//! Starting and stopping a cloud: embedded (`MockCloud::start`) or standalone (the binary).

pub mod seed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{self, AppState};
use crate::cloud::seed::Seed;

/// How a cloud is started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Persist metadata and image bytes here; in memory when `None`.
    pub state_dir: Option<PathBuf>,
    /// How long issued tokens live.
    pub token_ttl: Duration,
    /// Extra regions, projects, users, credentials and flavors on top of the defaults.
    pub seed: Option<Seed>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: None,
            token_ttl: Duration::from_secs(3600),
            seed: None,
        }
    }
}

/// Options for a cloud, then [`MockCloudBuilder::start`].
#[derive(Debug, Clone, Default)]
pub struct MockCloudBuilder {
    options: Options,
}

impl MockCloudBuilder {
    /// Where to listen (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.options.listen = addr;
        self
    }

    /// Persist state in `dir`.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.state_dir = Some(dir.into());
        self
    }

    /// Token lifetime.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.options.token_ttl = ttl;
        self
    }

    /// Adds a seed document on top of the defaults.
    pub fn seed(mut self, seed: Seed) -> Self {
        match &mut self.options.seed {
            Some(existing) => existing.merge(seed),
            None => self.options.seed = Some(seed),
        }
        self
    }

    /// Binds, builds the state and serves in the background until the cloud is dropped.
    pub async fn start(self) -> anyhow::Result<MockCloud> {
        let listener = TcpListener::bind(self.options.listen).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let state = AppState::new(base_url.clone(), self.options)?;
        let router = app::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MockCloud {
            addr,
            base_url,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running cloud. Stops when dropped.
pub struct MockCloud {
    addr: SocketAddr,
    base_url: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockCloud {
    /// Starts a cloud with default options on 127.0.0.1:0.
    pub async fn start() -> anyhow::Result<MockCloud> {
        Self::builder().start().await
    }

    /// A builder for options.
    pub fn builder() -> MockCloudBuilder {
        MockCloudBuilder::default()
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Keystone's URL, as a clouds.yaml `auth_url` (`.../identity/v3`).
    pub fn auth_url(&self) -> String {
        format!("{}/identity/v3", self.base_url)
    }

    /// The shared state, for the control plane's Rust methods.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A project-scoped token for a user of the default domain, issued without HTTP
    /// (`cloud.token("demo", "demo")`).
    pub fn token(&self, user: &str, project: &str) -> anyhow::Result<String> {
        self.state.keystone.issue_token(user, project)
    }

    /// Stops serving and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockCloud {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
