//! What Nova keeps beside servers: server groups, host aggregates and each server's instance
//! actions (the `server event` history). Behind a lock of its own, taken after Nova's state
//! lock when both are needed, and saved as each changes.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::db::{Change, Db, Table};

/// The compute host every server of this cloud runs on (Nova's fake driver has one).
pub(crate) const HOST: &str = "mock-compute";

/// A server group: its policy and the servers booted into it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServerGroup {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) project_id: String,
    pub(crate) user_id: String,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub(crate) policy: String,
    /// `max_server_per_host` (anti-affinity, 2.64+).
    #[serde(default)]
    pub(crate) rules: Map<String, Value>,
    pub(crate) members: Vec<String>,
}

/// A host aggregate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Aggregate {
    pub(crate) id: u64,
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) availability_zone: Option<String>,
    pub(crate) hosts: Vec<String>,
    /// Its metadata; `availability_zone` is one of them when set, as in Nova.
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Option<Timestamp>,
}

/// One step of an action, as the compute service reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ActionEvent {
    pub(crate) event: String,
    pub(crate) start_time: Timestamp,
    pub(crate) finish_time: Option<Timestamp>,
    pub(crate) result: Option<String>,
}

/// One instance action: what a request asked of a server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstanceAction {
    pub(crate) request_id: String,
    pub(crate) instance_uuid: String,
    pub(crate) action: String,
    pub(crate) project_id: String,
    pub(crate) user_id: String,
    pub(crate) start_time: Timestamp,
    pub(crate) updated_at: Timestamp,
    pub(crate) message: Option<String>,
    pub(crate) events: Vec<ActionEvent>,
}

impl InstanceAction {
    fn key(&self) -> String {
        format!("{} {}", self.instance_uuid, self.request_id)
    }
}

/// The state.
#[derive(Default)]
pub(crate) struct FleetState {
    pub(crate) groups: Vec<ServerGroup>,
    pub(crate) aggregates: Vec<Aggregate>,
    pub(crate) actions: Vec<InstanceAction>,
}

impl FleetState {
    /// The next aggregate id: Nova's are integers, never reused while the cloud runs.
    pub(crate) fn next_aggregate_id(&self) -> u64 {
        self.aggregates.iter().map(|a| a.id).max().unwrap_or(0) + 1
    }
}

/// The state behind its lock, with the database it is saved in.
pub(crate) struct Fleet {
    state: Mutex<FleetState>,
    db: Db,
}

/// The compute events an action's request runs through (what `server event show` lists).
fn events_of(action: &str) -> &'static [&'static str] {
    match action {
        "create" => &[
            "conductor_schedule_and_build_instances",
            "compute__do_build_and_run_instance",
        ],
        "delete" => &["compute_terminate_instance"],
        "reboot" => &["compute_reboot_instance"],
        "stop" => &["compute_stop_instance"],
        "start" => &["compute_start_instance"],
        "pause" => &["compute_pause_instance"],
        "unpause" => &["compute_unpause_instance"],
        "suspend" => &["compute_suspend_instance"],
        "resume" => &["compute_resume_instance"],
        "rebuild" => &["compute_rebuild_instance"],
        "resize" => &["conductor_migrate_server", "compute_prep_resize"],
        "createImage" => &["compute_snapshot_instance"],
        "attach_interface" => &["compute_attach_interface"],
        "detach_interface" => &["compute_detach_interface"],
        _ => &[],
    }
}

impl Fleet {
    pub(crate) fn load(db: &Db) -> anyhow::Result<Fleet> {
        Ok(Fleet {
            state: Mutex::new(FleetState {
                groups: db.load(Table::NovaServerGroups)?,
                aggregates: db.load(Table::NovaAggregates)?,
                actions: db.load(Table::NovaInstanceActions)?,
            }),
            db: db.clone(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, FleetState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn submit(&self, change: Change) {
        if let Err(e) = self.db.submit(change) {
            tracing::error!(error = %e, "cannot save Nova's groups, aggregates or actions");
        }
    }

    /// Saves a server group (call with the lock held).
    pub(crate) fn save_group(&self, group: &ServerGroup) {
        self.submit(Change::new().put(Table::NovaServerGroups, &group.id, group));
    }

    pub(crate) fn forget_group(&self, id: &str) {
        self.submit(Change::new().delete(Table::NovaServerGroups, id));
    }

    pub(crate) fn save_aggregate(&self, aggregate: &Aggregate) {
        self.submit(Change::new().put(Table::NovaAggregates, &aggregate.id.to_string(), aggregate));
    }

    pub(crate) fn forget_aggregate(&self, id: u64) {
        self.submit(Change::new().delete(Table::NovaAggregates, &id.to_string()));
    }

    /// Records that the request being served asked `action` of `server` (owned by
    /// `project_id`), with its compute events, finished as the API hands them over.
    pub(crate) fn record(&self, server: &str, project_id: &str, caller: &Caller, action: &str) {
        let now = Timestamp::now();
        let request_id =
            crate::control::request_id().unwrap_or_else(|| format!("req-{}", uuid::Uuid::new_v4()));
        let record = InstanceAction {
            request_id,
            instance_uuid: server.to_owned(),
            action: action.to_owned(),
            project_id: project_id.to_owned(),
            user_id: caller.user_id.clone(),
            start_time: now,
            updated_at: now,
            message: None,
            events: events_of(action)
                .iter()
                .map(|event| ActionEvent {
                    event: (*event).to_owned(),
                    start_time: now,
                    finish_time: Some(now),
                    result: Some("Success".to_owned()),
                })
                .collect(),
        };
        let mut state = self.lock();
        self.submit(Change::new().put(Table::NovaInstanceActions, &record.key(), &record));
        state.actions.push(record);
    }

    /// A server is gone: it leaves its groups (its actions stay, as Nova keeps them).
    pub(crate) fn server_deleted(&self, server: &str) {
        let mut state = self.lock();
        let mut change = Change::new();
        for group in &mut state.groups {
            if group.members.iter().any(|m| m == server) {
                group.members.retain(|m| m != server);
                change = change.put(Table::NovaServerGroups, &group.id, &*group);
            }
        }
        self.submit(change);
    }

    /// Forgets everything (a reset).
    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        *state = FleetState::default();
        self.submit(
            [
                Table::NovaServerGroups,
                Table::NovaAggregates,
                Table::NovaInstanceActions,
            ]
            .into_iter()
            .fold(Change::new(), Change::clear),
        );
    }
}

/// Nova's timestamps in these APIs: microseconds, no zone.
pub(crate) fn nova_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()
}
