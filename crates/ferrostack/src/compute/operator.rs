//! The operator's side of Nova: [`ServerGroups`], host [`Aggregates`], a server's
//! [`InstanceActions`] (its event history), and the [`Hosts`] (hypervisors and compute
//! services). Each is a cheap handle from [`ComputeClient`], with the same verbs as the other
//! handles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::ServerId;
use super::requests::operator::{self as requests, ServerGroupSpec};
use super::wire;
use super::{ComputeClient, one_named};
use crate::error::Result;

/// A server group (`/os-server-groups`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerGroup {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The policy, from 2.64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The policies (one), before 2.64.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// The servers in it.
    #[serde(default)]
    pub members: Vec<String>,
    /// The rules (`max_server_per_host`), from 2.64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<serde_json::Map<String, serde_json::Value>>,
    /// Its project (from 2.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Its user (from 2.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl ServerGroup {
    /// The policy, whichever microversion answered.
    pub fn effective_policy(&self) -> Option<&str> {
        self.policy
            .as_deref()
            .or_else(|| self.policies.first().map(String::as_str))
    }
}

#[derive(Deserialize)]
struct ServerGroupEnvelope {
    server_group: ServerGroup,
}

#[derive(Deserialize)]
struct ServerGroupList {
    server_groups: Vec<ServerGroup>,
}

/// Server groups of the caller's project (every project's for an admin who asks). Get one
/// from [`ComputeClient::server_groups`].
#[derive(Debug, Clone)]
pub struct ServerGroups {
    compute: ComputeClient,
}

impl ServerGroups {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    /// A new group with `policy` (`affinity`, `anti-affinity`, and from 2.15
    /// `soft-affinity`, `soft-anti-affinity`); `max_server_per_host` is an anti-affinity
    /// rule (2.64 and later).
    pub async fn create(
        &self,
        name: &str,
        policy: &str,
        max_server_per_host: Option<u32>,
    ) -> Result<ServerGroup> {
        let spec = ServerGroupSpec {
            name: name.to_owned(),
            policy: policy.to_owned(),
            max_server_per_host,
        };
        let request = requests::create_server_group(&spec, self.compute.microversion().await?)?;
        let envelope: ServerGroupEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.server_group)
    }

    /// The caller's project's groups, or every project's (`all_projects`, admin).
    pub async fn list(&self, all_projects: bool) -> Result<Vec<ServerGroup>> {
        let request =
            requests::list_server_groups(all_projects, self.compute.microversion().await?);
        let list: ServerGroupList = self.compute.session.send_json(request).await?;
        Ok(list.server_groups)
    }

    /// One group by id.
    pub async fn get(&self, id: &str) -> Result<ServerGroup> {
        let request = requests::show_server_group(id, self.compute.microversion().await?)?;
        let envelope: ServerGroupEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.server_group)
    }

    /// One group by id, or else by its name among the groups the caller sees (a name two
    /// groups share is an error naming both).
    pub async fn find(&self, name_or_id: &str) -> Result<ServerGroup> {
        match self.get(name_or_id).await {
            Ok(group) => return Ok(group),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        let named: Vec<ServerGroup> = self
            .list(false)
            .await?
            .into_iter()
            .filter(|g| g.name == name_or_id)
            .collect();
        one_named("server group", name_or_id, named, |g| g.id.clone())
    }

    /// Deletes a group.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let request = requests::delete_server_group(id, self.compute.microversion().await?)?;
        self.compute.session.send(request).await?;
        Ok(())
    }
}

/// A host aggregate (`/os-aggregates`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Aggregate {
    /// Its id.
    pub id: u64,
    /// Its UUID (from 2.41).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Its name.
    pub name: String,
    /// The availability zone it makes, if any.
    #[serde(default)]
    pub availability_zone: Option<String>,
    /// Its hosts.
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub hosts: Vec<String>,
    /// Its metadata.
    #[serde(default, deserialize_with = "wire::map_or_null")]
    pub metadata: BTreeMap<String, String>,
    /// When it was made.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// When it last changed.
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub updated_at: Option<jiff::Timestamp>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct AggregateEnvelope {
    aggregate: Aggregate,
}

#[derive(Deserialize)]
struct AggregateList {
    aggregates: Vec<Aggregate>,
}

/// Host aggregates (admin). Get one from [`ComputeClient::aggregates`].
#[derive(Debug, Clone)]
pub struct Aggregates {
    compute: ComputeClient,
}

impl Aggregates {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    async fn one(&self, request: crate::request::Request) -> Result<Aggregate> {
        let envelope: AggregateEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.aggregate)
    }

    /// Every aggregate.
    pub async fn list(&self) -> Result<Vec<Aggregate>> {
        let request = requests::list_aggregates(self.compute.microversion().await?);
        let list: AggregateList = self.compute.session.send_json(request).await?;
        Ok(list.aggregates)
    }

    /// One aggregate by id.
    pub async fn get(&self, id: u64) -> Result<Aggregate> {
        self.one(requests::show_aggregate(
            id,
            self.compute.microversion().await?,
        ))
        .await
    }

    /// One aggregate by id (digits) or name.
    pub async fn find(&self, name_or_id: &str) -> Result<Aggregate> {
        if let Ok(id) = name_or_id.parse::<u64>() {
            match self.get(id).await {
                Ok(found) => return Ok(found),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let named: Vec<Aggregate> = self
            .list()
            .await?
            .into_iter()
            .filter(|a| a.name == name_or_id)
            .collect();
        one_named("aggregate", name_or_id, named, |a| a.id.to_string())
    }

    /// A new aggregate, optionally making an availability zone.
    pub async fn create(&self, name: &str, availability_zone: Option<&str>) -> Result<Aggregate> {
        let request = requests::create_aggregate(
            name,
            availability_zone,
            self.compute.microversion().await?,
        )?;
        self.one(request).await
    }

    /// Renames an aggregate or moves it to another availability zone.
    pub async fn update(
        &self,
        id: u64,
        name: Option<&str>,
        availability_zone: Option<&str>,
    ) -> Result<Aggregate> {
        let request = requests::update_aggregate(
            id,
            name,
            availability_zone,
            self.compute.microversion().await?,
        )?;
        self.one(request).await
    }

    /// Adds a compute host.
    pub async fn add_host(&self, id: u64, host: &str) -> Result<Aggregate> {
        let request = requests::aggregate_host(id, true, host, self.compute.microversion().await?)?;
        self.one(request).await
    }

    /// Removes a compute host.
    pub async fn remove_host(&self, id: u64, host: &str) -> Result<Aggregate> {
        let request =
            requests::aggregate_host(id, false, host, self.compute.microversion().await?)?;
        self.one(request).await
    }

    /// Sets metadata keys (`Some`) and removes others (`None`).
    pub async fn set_metadata(
        &self,
        id: u64,
        metadata: &[(String, Option<String>)],
    ) -> Result<Aggregate> {
        let request =
            requests::set_aggregate_metadata(id, metadata, self.compute.microversion().await?)?;
        self.one(request).await
    }

    /// Deletes an aggregate (it must have no hosts).
    pub async fn delete(&self, id: u64) -> Result<()> {
        let request = requests::delete_aggregate(id, self.compute.microversion().await?);
        self.compute.session.send(request).await?;
        Ok(())
    }
}

/// One step of an instance action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionEvent {
    /// What ran (`compute_reboot_instance`).
    pub event: String,
    /// When it started.
    #[serde(default)]
    pub start_time: Option<String>,
    /// When it finished, if it has.
    #[serde(default)]
    pub finish_time: Option<String>,
    /// `Success` or `Error`, once finished.
    #[serde(default)]
    pub result: Option<String>,
    /// Every other field (`traceback`, `host`, `hostId`, `details`), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One instance action: what a request asked of a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceAction {
    /// The action (`create`, `reboot`, `delete`, ...).
    pub action: String,
    /// The request it was asked in.
    pub request_id: String,
    /// The server.
    pub instance_uuid: String,
    /// Who asked.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The server's project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// When.
    #[serde(default)]
    pub start_time: Option<String>,
    /// Why it failed, if it did.
    #[serde(default)]
    pub message: Option<String>,
    /// Its events (only when shown one by one).
    #[serde(default, deserialize_with = "wire::list_or_null")]
    pub events: Vec<ActionEvent>,
    /// Every other field (`updated_at`), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ActionList {
    #[serde(rename = "instanceActions")]
    actions: Vec<InstanceAction>,
}

#[derive(Deserialize)]
struct ActionEnvelope {
    #[serde(rename = "instanceAction")]
    action: InstanceAction,
}

/// The actions asked of one server, newest first (`openstack server event`). Get one from
/// [`ComputeClient::instance_actions`]; a deleted server's need microversion 2.21.
#[derive(Debug, Clone)]
pub struct InstanceActions {
    compute: ComputeClient,
    server: ServerId,
}

impl InstanceActions {
    pub(crate) fn new(compute: ComputeClient, server: ServerId) -> Self {
        Self { compute, server }
    }

    /// Every action, newest first.
    pub async fn list(&self) -> Result<Vec<InstanceAction>> {
        let request =
            requests::list_instance_actions(&self.server, self.compute.microversion().await?);
        let list: ActionList = self.compute.session.send_json(request).await?;
        Ok(list.actions)
    }

    /// One action, with its events.
    pub async fn get(&self, request_id: &str) -> Result<InstanceAction> {
        let request = requests::show_instance_action(
            &self.server,
            request_id,
            self.compute.microversion().await?,
        )?;
        let envelope: ActionEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.action)
    }
}

/// The compute hosts as the operator sees them (admin): hypervisors and services, as JSON
/// objects (their fields change from microversion to microversion). Get one from
/// [`ComputeClient::hosts`].
#[derive(Debug, Clone)]
pub struct Hosts {
    compute: ComputeClient,
}

impl Hosts {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    /// The hypervisors, with their details when `detail`.
    pub async fn hypervisors(&self, detail: bool) -> Result<Vec<serde_json::Value>> {
        #[derive(Deserialize)]
        struct List {
            hypervisors: Vec<serde_json::Value>,
        }
        let request = requests::list_hypervisors(detail, self.compute.microversion().await?);
        let list: List = self.compute.session.send_json(request).await?;
        Ok(list.hypervisors)
    }

    /// The compute services (scheduler, conductor, compute) and their state.
    pub async fn services(&self) -> Result<Vec<serde_json::Value>> {
        #[derive(Deserialize)]
        struct List {
            services: Vec<serde_json::Value>,
        }
        let request = requests::list_services(self.compute.microversion().await?);
        let list: List = self.compute.session.send_json(request).await?;
        Ok(list.services)
    }
}
