//! The [`Servers`] handle: the verbs every ferrostack client has, for Nova servers, the
//! server actions (start, stop, reboot, consoles) and the list and update builders.

use futures::{Stream, TryStreamExt};
use serde::Deserialize;

use super::create::{CreateServer, ServerSpec};
use super::ids::{FlavorId, ServerId};
use super::microversion::Microversion;
use super::requests::{self, RebootKind, ServerQuery, VncConsole};
use super::server::{self, Server, ServerStatus};
use super::{ComputeClient, one_named, regex_escape, waiters};
use crate::error::{Error, ErrorKind, Result};
use crate::image::ImageId;
use crate::request::{Request, ServiceType};
use crate::session::Response;
use crate::wait::Wait;

/// Nova's servers. Cheap to clone; get one from [`ComputeClient::servers`].
#[derive(Debug, Clone)]
pub struct Servers {
    pub(crate) compute: ComputeClient,
}

impl Servers {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    /// One server by id.
    pub async fn get(&self, id: impl Into<ServerId>) -> Result<Server> {
        let request = requests::show_server(&id.into(), self.compute.microversion().await?);
        let envelope: server::ServerEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.server)
    }

    /// A server by id, else by exact name (Nova's `name` filter is a regular expression, so
    /// the name is anchored and escaped, and the answers are checked again here).
    pub async fn find(&self, name_or_id: &str) -> Result<Server> {
        match self.get(name_or_id).await {
            Err(err) if err.is_not_found() => {}
            other => return other,
        }
        let named: Vec<Server> = self
            .list()
            .name_regex(format!("^{}$", regex_escape(name_or_id)))
            .stream()
            .try_filter(|s| futures::future::ready(s.name == name_or_id))
            .try_collect()
            .await?;
        one_named("server", name_or_id, named, |s| s.id.to_string())
    }

    /// Servers with details (`GET /servers/detail`): set filters on the builder, then
    /// [`ListServers::stream`] or [`ListServers::collect_all`].
    pub fn list(&self) -> ListServers {
        ListServers {
            servers: self.clone(),
            query: ServerQuery::default(),
        }
    }

    /// A server to create: the required parts here, the rest as setters on the builder,
    /// then [`CreateServer::send`].
    pub fn create(
        &self,
        name: impl Into<String>,
        image: impl Into<ImageId>,
        flavor: impl Into<FlavorId>,
    ) -> CreateServer {
        CreateServer::new(self.clone(), ServerSpec::new(name, image, flavor))
    }

    /// Changes to a server's own fields (`PUT /servers/{id}`): set them on the builder, then
    /// [`UpdateServer::send`].
    pub fn update(&self, id: impl Into<ServerId>) -> UpdateServer {
        UpdateServer {
            servers: self.clone(),
            id: id.into(),
            name: None,
        }
    }

    /// Merges `metadata` into the server's (`openstack server set --property`): keys it
    /// names are replaced, the others kept. Answers the server's metadata after the merge.
    pub async fn set_metadata(
        &self,
        id: impl Into<ServerId>,
        metadata: &std::collections::BTreeMap<String, String>,
    ) -> Result<std::collections::BTreeMap<String, String>> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            metadata: std::collections::BTreeMap<String, String>,
        }
        let request = requests::merge_server_metadata(
            &id.into(),
            metadata,
            self.compute.microversion().await?,
        )?;
        let envelope: Envelope = self.compute.session.send_json(request).await?;
        Ok(envelope.metadata)
    }

    /// Removes one metadata key (`openstack server unset --property`); a missing key is
    /// Nova's 404.
    pub async fn delete_metadata(&self, id: impl Into<ServerId>, key: &str) -> Result<()> {
        let request =
            requests::delete_server_metadata(&id.into(), key, self.compute.microversion().await?);
        self.compute.session.send(request).await?;
        Ok(())
    }

    /// Deletes a server. Nova deletes in the background: see [`Servers::wait_for_delete`].
    /// A locked server, or one mid-task, is a `Conflict` error that says which state.
    pub async fn delete(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::delete_server(&id, self.compute.microversion().await?);
        self.act(&id, "delete", request).await.map(drop)
    }

    /// Boots a SHUTOFF server (`os-start`). A server in another state is a `Conflict` error
    /// that says which state.
    pub async fn start(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::start(&id, self.compute.microversion().await?);
        self.act(&id, "start", request).await.map(drop)
    }

    /// Shuts an ACTIVE server down (`os-stop`).
    pub async fn stop(&self, id: impl Into<ServerId>) -> Result<()> {
        let id = id.into();
        let request = requests::stop(&id, self.compute.microversion().await?);
        self.act(&id, "stop", request).await.map(drop)
    }

    /// Reboots a server, softly (through the guest) or hard (power cycle).
    pub async fn reboot(&self, id: impl Into<ServerId>, kind: RebootKind) -> Result<()> {
        let id = id.into();
        let request = requests::reboot(&id, kind, self.compute.microversion().await?);
        let verb = match kind {
            RebootKind::Soft => "reboot",
            RebootKind::Hard => "hard-reboot",
        };
        self.act(&id, verb, request).await.map(drop)
    }

    /// The console log: its last `lines` lines, or all of it.
    pub async fn console_output(&self, id: &ServerId, lines: Option<u32>) -> Result<String> {
        #[derive(Deserialize)]
        struct Output {
            output: String,
        }
        let request = requests::console_output(id, lines, self.compute.microversion().await?);
        let response = self.act(id, "read the console of", request).await?;
        Ok(response.json::<Output>().await?.output)
    }

    /// A URL for a VNC console in a browser (noVNC unless asked otherwise).
    pub async fn remote_console(&self, id: &ServerId, kind: VncConsole) -> Result<String> {
        #[derive(Deserialize)]
        struct Console {
            url: String,
        }
        #[derive(Deserialize)]
        struct Answer {
            // `remote_console` from 2.6, `console` from the older action.
            #[serde(alias = "console")]
            remote_console: Console,
        }
        let request = requests::remote_console(id, kind, self.compute.microversion().await?);
        let response = self.act(id, "open a console on", request).await?;
        Ok(response.json::<Answer>().await?.remote_console.url)
    }

    /// Waits until the server has `status` and no task in progress; fails at once if it
    /// goes to ERROR (unless ERROR is what is awaited), with Nova's fault message. Polls
    /// every second doubling to 10 s unless `wait` says otherwise.
    pub async fn wait_for_status(
        &self,
        id: &ServerId,
        status: ServerStatus,
        wait: impl Into<Wait>,
    ) -> Result<Server> {
        waiters::wait_for_status(self, id, status, wait.into()).await
    }

    /// Waits until the server is gone (404, or DELETED).
    pub async fn wait_for_delete(&self, id: &ServerId, wait: impl Into<Wait>) -> Result<()> {
        waiters::wait_for_delete(self, id, wait.into()).await
    }

    /// Sends an action; a 409 becomes a `Conflict` error that names the server and the
    /// state that forbids the action, not only Nova's wording.
    async fn act(&self, id: &ServerId, verb: &str, request: Request) -> Result<Response> {
        match self.compute.session.send(request).await {
            Err(err) if err.is_conflict() => Err(self.explain_conflict(id, verb, err).await),
            other => other,
        }
    }

    /// "server web-1 (ID) is SHUTOFF, cannot stop: <Nova's words>", with the original
    /// status, service and request id. The state is read again; if that fails too, the
    /// message names the id only.
    async fn explain_conflict(&self, id: &ServerId, verb: &str, err: Error) -> Error {
        let state = match self.get(id.clone()).await {
            Ok(server) => {
                let task = server
                    .task_state
                    .as_deref()
                    .map(|t| format!(" (task: {t})"))
                    .unwrap_or_default();
                format!("server {} is {}{task}", server.label(), server.status)
            }
            Err(_) => format!("server {id} is in a state that does not allow it"),
        };
        let mut mapped = Error::new(
            ErrorKind::Conflict,
            format!("{state}, cannot {verb}: {}", err.message()),
        )
        .with_service(ServiceType::Compute)
        .with_request_id(err.request_id().map(str::to_owned));
        if let Some(status) = err.status() {
            mapped = mapped.with_status(status);
        }
        mapped
    }
}

/// Which servers to list (`GET /servers/detail`): every filter runs on the server, and
/// unset ones are not sent. Nothing is sent before [`ListServers::stream`] or
/// [`ListServers::collect_all`].
///
/// ```no_run
/// # async fn demo(servers: ferrostack::compute::Servers) -> ferrostack::Result<()> {
/// use futures::TryStreamExt;
/// use ferrostack::compute::ServerStatus;
/// let mut broken = servers.list().status(ServerStatus::Error).stream();
/// while let Some(server) = broken.try_next().await? {
///     println!("{} {:?}", server.label(), server.fault.map(|f| f.message));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListServers {
    servers: Servers,
    query: ServerQuery,
}

impl ListServers {
    /// `name`: a regular expression Nova matches against names (`^web-1$` for exactly;
    /// [`Servers::find`] escapes a literal name for you).
    pub fn name_regex(mut self, pattern: impl Into<String>) -> Self {
        self.query.name = Some(pattern.into());
        self
    }

    /// `status`.
    pub fn status(mut self, status: ServerStatus) -> Self {
        self.query.status = Some(status);
        self
    }

    /// `image`: servers booted from this image.
    pub fn image(mut self, image: impl Into<ImageId>) -> Self {
        self.query.image = Some(image.into());
        self
    }

    /// `flavor`: servers of this flavor id.
    pub fn flavor(mut self, flavor: impl Into<FlavorId>) -> Self {
        self.query.flavor = Some(flavor.into());
        self
    }

    /// `changes-since`: servers changed (deleted ones included) since then.
    pub fn changes_since(mut self, time: jiff::Timestamp) -> Self {
        self.query.changes_since = Some(time);
        self
    }

    /// `all_tenants`: every project's servers (admin only).
    pub fn all_projects(mut self, all: bool) -> Self {
        self.query.all_tenants = all;
        self
    }

    /// `project_id`: one project's servers (admin only, with [`ListServers::all_projects`]).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.query.project_id = Some(project_id.into());
        self
    }

    /// `ip`: a regular expression over IPv4 addresses.
    pub fn ip_regex(mut self, pattern: impl Into<String>) -> Self {
        self.query.ip = Some(pattern.into());
        self
    }

    /// `host` (admin only).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.query.host = Some(host.into());
        self
    }

    /// `limit`: the page size; the stream follows every page regardless.
    pub fn limit(mut self, limit: u32) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// The first request, as it would be sent at `version`.
    pub fn request(&self, version: Microversion) -> Request {
        requests::list_servers(&self.query, version)
    }

    /// Every matching server, page after page as the stream is read, following
    /// `servers_links` and stopping on a link already followed.
    pub fn stream(self) -> impl Stream<Item = Result<Server>> + Send + Unpin + 'static {
        let query = self.query;
        self.servers.compute.paginated(
            move |version| Ok(requests::list_servers(&query, version)),
            "servers",
            "servers_links",
        )
    }

    /// Every matching server, all pages collected.
    pub async fn collect_all(self) -> Result<Vec<Server>> {
        self.stream().try_collect().await
    }
}

/// Changes to a server's own fields, made by [`Servers::update`]; nothing is sent before
/// [`UpdateServer::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct UpdateServer {
    servers: Servers,
    id: ServerId,
    name: Option<String>,
}

impl UpdateServer {
    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sends `PUT /servers/{id}` and answers the updated server; with nothing to change,
    /// answers the server as it is.
    pub async fn send(self) -> Result<Server> {
        let Some(name) = &self.name else {
            return self.servers.get(self.id).await;
        };
        let request =
            requests::rename_server(&self.id, name, self.servers.compute.microversion().await?)?;
        let envelope: server::ServerEnvelope =
            self.servers.compute.session.send_json(request).await?;
        Ok(envelope.server)
    }
}
