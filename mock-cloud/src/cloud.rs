//! Starting and stopping a cloud: embedded (`MockCloud::start`) or standalone (the binary).

pub(crate) mod seed;
mod serve;
mod watchdog;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{self, AppState};
use crate::auth::Caller;
use crate::cloud::seed::Seed;
use crate::control::faults::{FaultRule, InstalledRule};
use crate::control::journal::JournalEntry;
use crate::nova::driver::{ComputeDriver, DriverHandle, Secret};
use crate::nova::metadata_service;

/// How a cloud is started.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Where to listen; port 0 picks a free port.
    pub(crate) listen: SocketAddr,
    /// Keep every service's state and the image bytes here; in memory when `None`.
    pub(crate) state_dir: Option<PathBuf>,
    /// How long issued tokens live.
    pub(crate) token_ttl: Duration,
    /// Extra regions, projects, users, credentials and flavors on top of the defaults.
    pub(crate) seed: Option<Seed>,
    /// The fake compute driver finishes a transition (boot, stop, start, reboot) after this
    /// many GETs of the server or ticks; 0 = at once. Default 1: BUILD right after create,
    /// ACTIVE at the first look, so `openstack server create --wait` never sleeps.
    pub(crate) fake_driver_polls: u32,
    /// Where Nova asks Glance about images (`http://host:port`, Glance under `/image`), over
    /// HTTP; this cloud's own Glance, in process, when `None`.
    pub(crate) image_endpoint: Option<String>,
    /// The compute driver; the fake one when `None`.
    pub(crate) compute_driver: Option<DriverHandle>,
    /// Folders whose files seed images sent to `POST /_mock/seed` may read.
    pub(crate) seed_folders: Vec<PathBuf>,
    /// How long a client may be silent while it sends a request (its headers, or its body
    /// while the cloud reads it) before the cloud gives up on it.
    pub(crate) idle_timeout: Duration,
    /// PBKDF2-SHA512 rounds of the hashes Keystone keeps of passwords and secrets.
    pub(crate) secret_hash_rounds: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: None,
            token_ttl: Duration::from_secs(3600),
            seed: None,
            fake_driver_polls: 1,
            image_endpoint: None,
            compute_driver: None,
            seed_folders: Vec::new(),
            idle_timeout: Duration::from_secs(60),
            secret_hash_rounds: crate::keystone::secret_hash::DEFAULT_ROUNDS,
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

    /// Keeps the whole cloud in `dir` (a SQLite database and the image bytes), across restarts
    /// and crashes: every acknowledged change is durable. A cloud holds its directory's lock
    /// while it runs; starting a second one on it fails, naming the holder.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.state_dir = Some(dir.into());
        self
    }

    /// Token lifetime.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.options.token_ttl = ttl;
        self
    }

    /// How long a client may be silent while it sends a request, its headers or (while the
    /// cloud reads it) its body, before its connection is closed or its upload fails; and how
    /// long a connection may stay with no byte moving while no request is being handled (an
    /// idle HTTP/2 connection, a response its client does not read) before it is closed
    /// (default 60 s).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.options.idle_timeout = idle;
        self
    }

    /// How many PBKDF2-SHA512 rounds Keystone's hashes of passwords and application-credential
    /// secrets take (default 1,000: quick enough for a token per test; only the hashes are
    /// kept, in memory and in the state directory). Hashes already kept verify whatever it is.
    pub fn secret_hash_rounds(mut self, rounds: u32) -> Self {
        self.options.secret_hash_rounds = rounds;
        self
    }

    /// How many polls or ticks a fake-driver transition takes (default 1).
    pub fn fake_driver_polls(mut self, polls: u32) -> Self {
        self.options.fake_driver_polls = polls;
        self
    }

    /// Runs servers with `driver` instead of the fake one (e.g. a qemu driver).
    pub fn compute_driver(mut self, driver: std::sync::Arc<dyn ComputeDriver>) -> Self {
        self.options.compute_driver = Some(DriverHandle(driver));
        self
    }

    /// Makes Nova ask another Glance about images (`http://host:port`, Glance under `/image`).
    pub fn image_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.options.image_endpoint = Some(endpoint.into());
        self
    }

    /// Lets seed images sent to `POST /_mock/seed` read files under `dir` (none may by
    /// default: the control plane must not serve the host's files as images). Seeds given to
    /// [`MockCloudBuilder::seed`] or [`MockCloud::apply_seed`] may read any file.
    pub fn seed_folder(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.seed_folders.push(dir.into());
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
        let idle = self.options.idle_timeout;
        let state = AppState::new(base_url.clone(), self.options)?;
        if let Some(seed) = &state.options.seed {
            state.seed_images(&seed.images).await?;
        }
        state.db.flush().await?;
        // The metadata service listens on loopback only, whatever the API's address: it
        // answers whoever holds the secret, as Neutron's metadata proxy does.
        let metadata_listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let metadata_addr = metadata_listener.local_addr()?;
        let metadata_secret = Secret::new(crate::keystone::tokens::random_string());
        let metadata_router = metadata_service::router(state.clone(), metadata_secret.clone());
        let (metadata_stop, metadata_stopped) = oneshot::channel::<()>();
        let metadata_task = tokio::spawn(serve::serve(
            metadata_listener,
            metadata_router,
            idle,
            metadata_stopped,
        ));
        let router = app::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve::serve(listener, router, idle, stopped));
        Ok(MockCloud {
            addr,
            base_url,
            state,
            stop: Some(stop),
            task: Some(task),
            metadata: Metadata {
                addr: metadata_addr,
                secret: metadata_secret,
                stop: Some(metadata_stop),
                task: Some(metadata_task),
            },
        })
    }
}

/// A user's password credentials, as a clouds.yaml `auth` section needs them. The password
/// stays out of Debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The project the user works in.
    pub project_name: String,
    /// The user's domain id.
    pub user_domain_id: String,
    /// The project's domain id.
    pub project_domain_id: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("project_name", &self.project_name)
            .field("user_domain_id", &self.user_domain_id)
            .field("project_domain_id", &self.project_domain_id)
            .finish()
    }
}

impl Credentials {
    fn new(username: &str, password: &str, project_name: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
            project_name: project_name.to_owned(),
            user_domain_id: "default".to_owned(),
            project_domain_id: "default".to_owned(),
        }
    }
}

/// A ready clouds.yaml naming `clouds` (name, credentials) at `auth_url`.
pub fn clouds_yaml(auth_url: &str, clouds: &[(&str, &Credentials)]) -> String {
    let mut out = String::from("clouds:\n");
    for (name, c) in clouds {
        out.push_str(&format!(
            "  {name}:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      password: {password}\n      project_name: {project}\n      user_domain_id: {ud}\n      project_domain_id: {pd}\n    region_name: RegionOne\n    interface: public\n    identity_api_version: 3\n",
            user = yaml_string(&c.username),
            password = yaml_string(&c.password),
            project = yaml_string(&c.project_name),
            ud = yaml_string(&c.user_domain_id),
            pd = yaml_string(&c.project_domain_id),
        ));
    }
    out
}

/// A YAML scalar that stays a string whatever it contains.
fn yaml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A running cloud. Stops when dropped.
pub struct MockCloud {
    addr: SocketAddr,
    base_url: String,
    pub(crate) state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    metadata: Metadata,
}

/// The metadata service's listener.
struct Metadata {
    addr: SocketAddr,
    secret: Secret,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Metadata {
    fn stop(&mut self) -> Option<JoinHandle<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take()
    }
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

    /// Where Nova's metadata service listens (always on 127.0.0.1, a port of its own). It
    /// answers as nova-api-metadata behind Neutron's metadata proxy: a request names its
    /// server with `X-Instance-ID`, signs it with `X-Instance-ID-Signature`
    /// ([`MockCloud::metadata_signature`]) and names the server's project with
    /// `X-Tenant-ID`.
    ///
    /// ```no_run
    /// # async fn demo(cloud: mock_cloud::MockCloud, server_id: &str, project_id: &str) -> anyhow::Result<()> {
    /// let meta_data = reqwest::Client::new()
    ///     .get(format!("{}/openstack/latest/meta_data.json", cloud.metadata_url()))
    ///     .header("X-Instance-ID", server_id)
    ///     .header("X-Instance-ID-Signature", cloud.metadata_signature(server_id))
    ///     .header("X-Tenant-ID", project_id)
    ///     .send()
    ///     .await?
    ///     .text()
    ///     .await?;
    /// # let _ = meta_data;
    /// # Ok(())
    /// # }
    /// ```
    pub fn metadata_addr(&self) -> SocketAddr {
        self.metadata.addr
    }

    /// `http://127.0.0.1:PORT` of the metadata service ([`MockCloud::metadata_addr`]).
    pub fn metadata_url(&self) -> String {
        format!("http://{}", self.metadata.addr)
    }

    /// The secret the metadata service shares with whoever proxies for the guests (Neutron's
    /// `metadata_proxy_shared_secret`). New for every cloud.
    pub fn metadata_proxy_shared_secret(&self) -> &str {
        self.metadata.secret.expose()
    }

    /// The `X-Instance-ID-Signature` of `instance_id`: the hex HMAC-SHA256 of the id under
    /// [`MockCloud::metadata_proxy_shared_secret`].
    pub fn metadata_signature(&self, instance_id: &str) -> String {
        metadata_service::signature(&self.metadata.secret, instance_id)
    }

    /// Keystone's URL, as a clouds.yaml `auth_url` (`.../identity/v3`).
    pub fn auth_url(&self) -> String {
        format!("{}/identity/v3", self.base_url)
    }

    /// The id of the project named `name` in the default domain (`cloud.project_id("demo")`),
    /// e.g. to check an image's `owner`.
    pub fn project_id(&self, name: &str) -> Option<String> {
        self.state.keystone.project_id(name)
    }

    /// Who `token` stands for, if Keystone would accept it now (known, not expired, not
    /// revoked): the user, the scope and the roles on it.
    pub fn validate_token(&self, token: &str) -> Option<Caller> {
        self.state.keystone.validate(token)
    }

    /// The default admin's credentials (admin/admin on project admin).
    pub fn admin(&self) -> Credentials {
        Credentials::new("admin", "admin", "admin")
    }

    /// The default demo user's credentials (demo/demo, member of project demo).
    pub fn demo(&self) -> Credentials {
        Credentials::new("demo", "demo", "demo")
    }

    /// Credentials of `user`: admin, demo, or a seeded user of the default domain with a
    /// project role (its first such project).
    pub fn credentials(&self, user: &str) -> Option<Credentials> {
        match user {
            "admin" => return Some(self.admin()),
            "demo" => return Some(self.demo()),
            _ => {}
        }
        let seed = self.state.options.seed.as_ref()?;
        let seeded = seed
            .users
            .iter()
            .find(|u| u.name == user && (u.domain == "default" || u.domain == "Default"))?;
        let project = seeded.roles.iter().find_map(|r| r.project.clone())?;
        Some(Credentials::new(&seeded.name, &seeded.password, &project))
    }

    /// A clouds.yaml with clouds `mock-admin` and `mock-demo`.
    pub fn clouds_yaml(&self) -> String {
        clouds_yaml(
            &self.auth_url(),
            &[("mock-admin", &self.admin()), ("mock-demo", &self.demo())],
        )
    }

    /// The `OS_*` environment of `user` (see [`MockCloud::credentials`]).
    pub fn env(&self, user: &str) -> Option<BTreeMap<String, String>> {
        let c = self.credentials(user)?;
        let pairs = [
            ("OS_AUTH_TYPE", "password".to_owned()),
            ("OS_AUTH_URL", self.auth_url()),
            ("OS_IDENTITY_API_VERSION", "3".to_owned()),
            ("OS_USERNAME", c.username),
            ("OS_PASSWORD", c.password),
            ("OS_PROJECT_NAME", c.project_name),
            ("OS_USER_DOMAIN_ID", c.user_domain_id),
            ("OS_PROJECT_DOMAIN_ID", c.project_domain_id),
            ("OS_REGION_NAME", "RegionOne".to_owned()),
            ("OS_INTERFACE", "public".to_owned()),
        ];
        Some(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A project-scoped token for a user of the default domain, issued without HTTP
    /// (`cloud.token("demo", "demo")`).
    pub fn token(&self, user: &str, project: &str) -> anyhow::Result<String> {
        self.state.keystone.issue_token(user, project)
    }

    /// The control token: `/_mock/*` answers only requests that send it as
    /// `Authorization: Bearer TOKEN` (or an admin's `X-Auth-Token`). New for every cloud.
    pub fn control_token(&self) -> &str {
        self.state.control.access.token()
    }

    /// Installs a fault rule; returns its id.
    pub fn add_fault(&self, rule: FaultRule) -> anyhow::Result<u64> {
        self.state
            .control
            .faults
            .add(rule)
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// Removes one fault rule; whether it existed.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.state.control.faults.remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.control.faults.clear();
    }

    /// The installed fault rules and their hits.
    pub fn faults(&self) -> Vec<InstalledRule> {
        self.state.control.faults.list()
    }

    /// Every service request so far (method, path, query, status, service, request id).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.control.journal.entries()
    }

    /// Back to a fresh cloud: the defaults plus the start-up seed (its images re-created), no
    /// tokens, no servers or keypairs, no other images, no fault rules, an empty journal.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.state.reset().await
    }

    /// Adds a seed document to the running cloud.
    pub async fn apply_seed(&self, seed: &Seed) -> anyhow::Result<()> {
        self.state.apply_seed(seed).await
    }

    /// Advances the fake compute driver `steps` steps; returns how many servers changed.
    pub fn tick(&self, steps: u32) -> usize {
        self.state.tick(steps)
    }

    /// Stops serving and waits for the server task to end.
    pub async fn stop(mut self) {
        let metadata = self.metadata.stop();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = metadata {
            let _ = task.await;
        }
        self.state.db.close();
    }
}

impl Drop for MockCloud {
    fn drop(&mut self) {
        // Real machines (the qemu driver) end with the cloud, not whenever its tasks wind down.
        self.state.nova.driver().shutdown();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(task) = self.metadata.stop() {
            task.abort();
        }
        self.state.db.close();
    }
}
