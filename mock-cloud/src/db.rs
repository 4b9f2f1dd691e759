//! The state database: every service's metadata in SQLite (image bytes stay files, see
//! `glance::store`). With a state directory it is `STATE_DIR/state.sqlite3` in WAL mode with
//! full syncs; without one it is an in-memory SQLite, so both modes run the same code.
//!
//! The services keep their records in memory, behind their own locks, and describe each change
//! as a [`Change`] (rows to write or delete) submitted while that lock is still held: the
//! database sees changes in the order memory did. One thread owns the connection and commits
//! each change in one transaction (changes that queued up while it was syncing share one
//! commit), so no database work runs on the runtime's threads and concurrent requests never
//! wait for one another's fsync under a lock.
//!
//! A change is acknowledged only once it is durable: [`acknowledged`] holds a request's response
//! until every change the request submitted is committed (see `ticket`). A failed commit stops
//! all later writes (memory and disk would disagree), and every request that changed something
//! is then answered 503, naming the database.

mod lock;
mod ticket;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;
use axum::http::StatusCode;
use rusqlite::Connection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

pub(crate) use self::ticket::acknowledged;
use crate::errors::{ApiError, Service};

/// The tables: each row is one record, its key and its JSON document. Rows keep their insertion
/// order (`rowid`), which is the order the services list things in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    /// Glance's images (members, tags and properties inside).
    GlanceImages,
    /// Keystone's regions.
    KeystoneRegions,
    /// Keystone's domains.
    KeystoneDomains,
    /// Keystone's projects.
    KeystoneProjects,
    /// Keystone's users.
    KeystoneUsers,
    /// Keystone's role assignments.
    KeystoneAssignments,
    /// Keystone's application credentials.
    KeystoneApplicationCredentials,
    /// Keystone's groups (their members inside).
    KeystoneGroups,
    /// Keystone's roles.
    KeystoneRoles,
    /// Keystone's implied roles.
    KeystoneImpliedRoles,
    /// Keystone's catalog services.
    KeystoneServices,
    /// Keystone's catalog endpoints.
    KeystoneEndpoints,
    /// Keystone's issued tokens, by the sha256 of the token (never the token itself); a
    /// revoked token is a deleted row.
    KeystoneTokens,
    /// Nova's flavors.
    NovaFlavors,
    /// Nova's keypairs.
    NovaKeypairs,
    /// Nova's servers.
    NovaServers,
    /// What each server's driver was asked to boot, to take the server back after a restart.
    NovaBootSpecs,
    /// Counters (`nova.next_seq`).
    Counters,
    /// Neutron's resources (every kind, by id) and its bookkeeping rows (`neutron::store`).
    Neutron,
}

impl Table {
    /// Every table.
    pub(crate) const ALL: [Table; 19] = [
        Table::GlanceImages,
        Table::KeystoneRegions,
        Table::KeystoneDomains,
        Table::KeystoneProjects,
        Table::KeystoneUsers,
        Table::KeystoneAssignments,
        Table::KeystoneApplicationCredentials,
        Table::KeystoneGroups,
        Table::KeystoneRoles,
        Table::KeystoneImpliedRoles,
        Table::KeystoneServices,
        Table::KeystoneEndpoints,
        Table::KeystoneTokens,
        Table::NovaFlavors,
        Table::NovaKeypairs,
        Table::NovaServers,
        Table::NovaBootSpecs,
        Table::Counters,
        Table::Neutron,
    ];

    /// The SQL name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::GlanceImages => "glance_images",
            Table::KeystoneRegions => "keystone_regions",
            Table::KeystoneDomains => "keystone_domains",
            Table::KeystoneProjects => "keystone_projects",
            Table::KeystoneUsers => "keystone_users",
            Table::KeystoneAssignments => "keystone_role_assignments",
            Table::KeystoneApplicationCredentials => "keystone_application_credentials",
            Table::KeystoneGroups => "keystone_groups",
            Table::KeystoneRoles => "keystone_roles",
            Table::KeystoneImpliedRoles => "keystone_implied_roles",
            Table::KeystoneServices => "keystone_services",
            Table::KeystoneEndpoints => "keystone_endpoints",
            Table::KeystoneTokens => "keystone_tokens",
            Table::NovaFlavors => "nova_flavors",
            Table::NovaKeypairs => "nova_keypairs",
            Table::NovaServers => "nova_servers",
            Table::NovaBootSpecs => "nova_boot_specs",
            Table::Counters => "counters",
            Table::Neutron => "neutron",
        }
    }
}

/// The schema version (`PRAGMA user_version`): a database from a newer mock is refused.
const SCHEMA_VERSION: i64 = 1;

/// One write.
#[derive(Debug)]
enum Op {
    Put(Table, String, String),
    Delete(Table, String),
    Clear(Table),
}

/// Rows to write and delete together, in one transaction.
#[derive(Default)]
#[must_use = "a change does nothing until it is submitted"]
pub(crate) struct Change {
    ops: Vec<Op>,
    /// What runs on the database thread once the change is durable (never if it fails).
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change")
            .field("ops", &self.ops)
            .field("after_commit", &self.after_commit.len())
            .finish()
    }
}

impl Change {
    /// An empty change.
    pub(crate) fn new() -> Change {
        Change::default()
    }

    /// Writes `value` as the row `key` of `table` (replacing it in place).
    pub(crate) fn put(mut self, table: Table, key: &str, value: &impl Serialize) -> Change {
        // The records are plain structs with string keys: serde_json cannot fail on them.
        let doc = serde_json::to_string(value).expect("state records serialize to JSON");
        self.ops.push(Op::Put(table, key.to_owned(), doc));
        self
    }

    /// [`Change::put`] of a document already in JSON.
    pub(crate) fn put_json(mut self, table: Table, key: &str, doc: String) -> Change {
        self.ops.push(Op::Put(table, key.to_owned(), doc));
        self
    }

    /// Deletes the row `key` of `table`, if any.
    pub(crate) fn delete(mut self, table: Table, key: &str) -> Change {
        self.ops.push(Op::Delete(table, key.to_owned()));
        self
    }

    /// Deletes every row of `table`.
    pub(crate) fn clear(mut self, table: Table) -> Change {
        self.ops.push(Op::Clear(table));
        self
    }

    /// Runs `work` once the change is durable, on the database thread (so: quick, blocking
    /// work such as removing the files of a deleted record; a crash before the commit leaves
    /// them to the record that still names them).
    pub(crate) fn after_commit(mut self, work: impl FnOnce() + Send + 'static) -> Change {
        self.after_commit.push(Box::new(work));
        self
    }

    /// Whether it does nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.after_commit.is_empty()
    }
}

/// The state could not be saved: the database named, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StoreError(Arc<str>);

impl StoreError {
    /// The service's own 503 for it.
    pub(crate) fn to_api(&self, service: Service) -> ApiError {
        ApiError::new(service, StatusCode::SERVICE_UNAVAILABLE, self.0.to_string())
    }
}

/// What the database thread is asked to do.
enum Job {
    /// Commit a change; its sequence number is published once durable.
    Write(u64, Change),
    /// Read every row of a table (at start-up), after the writes before it; its sequence
    /// number is reached once it is answered.
    Read(
        u64,
        Table,
        mpsc::SyncSender<Result<Vec<(String, String)>, String>>,
    ),
}

/// How far the database thread got.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// Every change up to this sequence number is committed.
    committed: u64,
    /// The commit that failed, after which nothing more is written.
    failure: Option<Arc<str>>,
}

/// The submission side: the last sequence number handed out, and the queue.
struct Queue {
    last: u64,
    jobs: Option<mpsc::Sender<Job>>,
}

struct Shared {
    queue: Mutex<Queue>,
    progress: watch::Receiver<Progress>,
    /// `STATE_DIR/state.sqlite3`, or `None` in memory.
    path: Option<PathBuf>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// A handle on the state database. Cheap to clone; the database closes (and the state
/// directory's lock is released) when the last handle is dropped, after every change
/// submitted has been committed.
#[derive(Clone)]
pub(crate) struct Db(Arc<Shared>);

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.0.path).finish()
    }
}

/// The database's file in a state directory.
pub(crate) fn database_path(state_dir: &Path) -> PathBuf {
    state_dir.join("state.sqlite3")
}

impl Db {
    /// Opens the database of `state_dir`, after taking the directory's lock (a second cloud on
    /// the same directory is refused, naming the holder), or an in-memory one.
    pub(crate) fn open(state_dir: Option<&Path>) -> anyhow::Result<Db> {
        let (connection, lock, path) = match state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the state directory {}", dir.display())
                })?;
                let lock = lock::StateLock::acquire(dir)?;
                let path = database_path(dir);
                lock::create_private(&path)?;
                let connection = Connection::open(&path).with_context(|| {
                    format!("cannot open the state database {}", path.display())
                })?;
                (connection, Some(lock), Some(path))
            }
            None => (Connection::open_in_memory()?, None, None),
        };
        let label = path.as_ref().map_or_else(
            || "the in-memory state database".to_owned(),
            |p| p.display().to_string(),
        );
        worker::prepare(&connection).with_context(|| format!("cannot prepare {label}"))?;
        let (progress_tx, progress) = watch::channel(Progress::default());
        let (jobs_tx, jobs) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("mock-cloud-db".to_owned())
            .spawn(move || {
                worker::run(connection, jobs, progress_tx, label);
                // The lock goes last: no other cloud opens the directory while we still write.
                drop(lock);
            })
            .context("cannot start the state database thread")?;
        Ok(Db(Arc::new(Shared {
            queue: Mutex::new(Queue {
                last: 0,
                jobs: Some(jobs_tx),
            }),
            progress,
            path,
            worker: Mutex::new(Some(worker)),
        })))
    }

    /// Every row of `table`, decoded, in insertion order. For start-up: it blocks until the
    /// database thread has answered.
    pub(crate) fn load<T: DeserializeOwned>(&self, table: Table) -> anyhow::Result<Vec<T>> {
        Ok(self
            .load_keyed(table)?
            .into_iter()
            .map(|(_, value)| value)
            .collect())
    }

    /// [`Db::load`] with each row's key.
    pub(crate) fn load_keyed<T: DeserializeOwned>(
        &self,
        table: Table,
    ) -> anyhow::Result<Vec<(String, T)>> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(|seq| Job::Read(seq, table, reply))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let rows = answer
            .recv()
            .map_err(|_| anyhow::anyhow!("the state database thread stopped"))?
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", table.name()))?;
        rows.into_iter()
            .map(|(key, doc)| {
                let value = serde_json::from_str(&doc).with_context(|| {
                    format!(
                        "the row '{key}' of {} in {} is damaged",
                        table.name(),
                        self.label()
                    )
                })?;
                Ok((key, value))
            })
            .collect()
    }

    /// Queues `change` for commit, behind every change submitted before it. Call it while
    /// holding the lock of the records it describes. The request being served (if any) is
    /// answered only once it is committed (see [`acknowledged`]); elsewhere, [`Db::flush`].
    pub(crate) fn submit(&self, change: Change) -> Result<(), StoreError> {
        if change.is_empty() {
            return Ok(());
        }
        let failure = self.0.progress.borrow().failure.clone();
        let submitted = match failure {
            Some(failure) => Err(StoreError(failure)),
            None => self.send(|seq| Job::Write(seq, change)),
        };
        // A change that cannot be saved fails its request even where the caller cannot pass
        // the error on: no sequence number is ever reached.
        ticket::note(*submitted.as_ref().unwrap_or(&u64::MAX));
        submitted.map(|_| ())
    }

    /// Waits until every change submitted so far is durable.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let last = self.queue().last;
        self.wait(last).await
    }

    /// Waits until change `seq` (and every one before it) is durable.
    pub(crate) async fn wait(&self, seq: u64) -> Result<(), StoreError> {
        let mut progress = self.0.progress.clone();
        let reached = progress
            .wait_for(|p| p.committed >= seq || p.failure.is_some())
            .await
            .map(|p| (p.committed >= seq, p.failure.clone()));
        match reached {
            Ok((true, _)) => Ok(()),
            Ok((false, failure)) => Err(StoreError(failure.unwrap_or_else(|| "".into()))),
            Err(_) => Err(self.stopped()),
        }
    }

    /// The cloud stops: commits what is queued, then closes the database and releases the
    /// state directory's lock, whoever still holds a handle (a restart in this process finds
    /// the directory free). Changes submitted afterwards fail.
    pub(crate) fn close(&self) {
        self.0.close();
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.0.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a job its sequence number and queues it, atomically.
    fn send(&self, job: impl FnOnce(u64) -> Job) -> Result<u64, StoreError> {
        let mut queue = self.queue();
        let seq = queue.last + 1;
        let sent = queue
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job(seq)).is_ok());
        if !sent {
            return Err(self.stopped());
        }
        queue.last = seq;
        Ok(seq)
    }

    fn label(&self) -> String {
        self.0.path.as_ref().map_or_else(
            || "the in-memory state database".to_owned(),
            |p| p.display().to_string(),
        )
    }

    fn stopped(&self) -> StoreError {
        StoreError(format!("the state database {} is closed", self.label()).into())
    }
}

impl Shared {
    /// Closes the queue and waits for the thread, which commits what is queued, closes the
    /// database and releases the state directory's lock.
    fn close(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).jobs = None;
        if let Some(worker) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close();
    }
}

/// The value of counter `key`, if set.
pub(crate) fn counter(db: &Db, key: &str) -> anyhow::Result<Option<u64>> {
    let rows: Vec<(String, u64)> = db.load_keyed(Table::Counters)?;
    Ok(rows
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value))
}

/// A change that sets counter `key` to `value`.
pub(crate) fn set_counter(change: Change, key: &str, value: u64) -> Change {
    change.put(Table::Counters, key, &value)
}

#[cfg(test)]
mod tests {
    use super::ticket::acknowledge;
    use super::*;

    fn names(db: &Db) -> Vec<(String, String)> {
        db.load_keyed(Table::NovaFlavors).unwrap()
    }

    #[tokio::test]
    async fn changes_survive_a_reopen_in_order_and_updates_stay_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Db::open(Some(dir.path())).unwrap();
            for key in ["a", "b", "c"] {
                db.submit(Change::new().put(Table::NovaFlavors, key, &key.to_uppercase()))
                    .unwrap();
            }
            db.submit(
                Change::new()
                    .put(Table::NovaFlavors, "a", &"A2")
                    .delete(Table::NovaFlavors, "b"),
            )
            .unwrap();
            db.submit(Change::new().put(Table::GlanceImages, "i", &1))
                .unwrap();
            db.submit(Change::new().clear(Table::GlanceImages)).unwrap();
            db.flush().await.unwrap();
        }
        let db = Db::open(Some(dir.path())).unwrap();
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, d)| (k.to_string(), d.to_string()))
                .collect()
        };
        assert_eq!(names(&db), pairs(&[("a", "A2"), ("c", "C")]));
        assert!(db.load::<u32>(Table::GlanceImages).unwrap().is_empty());
        let mode: String = Connection::open(database_path(dir.path()))
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn a_request_is_answered_once_its_changes_are_durable() {
        let db = Db::open(None).unwrap();
        let answered = acknowledge(&db, async {
            db.submit(Change::new().put(Table::Counters, "n", &7u64))
                .unwrap();
            "answer"
        })
        .await
        .unwrap();
        assert_eq!(answered, "answer");
        assert_eq!(db.0.progress.borrow().committed, db.queue().last);
        assert_eq!(counter(&db, "n").unwrap(), Some(7));
    }

    #[tokio::test]
    async fn after_a_failed_commit_nothing_more_is_written_and_requests_are_told() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(Some(dir.path())).unwrap();
        // Pulled from under the cloud: the next write to it fails.
        Connection::open(database_path(dir.path()))
            .unwrap()
            .execute_batch("DROP TABLE nova_flavors")
            .unwrap();
        let result = acknowledge(&db, async {
            db.submit(Change::new().put(Table::NovaFlavors, "1", &"m1.tiny"))
        })
        .await;
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains(&database_path(dir.path()).display().to_string()),
            "{err}"
        );
        assert!(err.contains("no such table: nova_flavors"), "{err}");
        let later = db.submit(Change::new().put(Table::Counters, "n", &1u64));
        assert!(later.is_err(), "nothing is written after a failure");
        assert!(db.flush().await.is_err());
        assert_eq!(
            later.unwrap_err().to_api(Service::Compute).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Connection::open(database_path(dir.path()))
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = format!("{:#}", Db::open(Some(dir.path())).unwrap_err());
        assert!(err.contains("newer mock-cloud"), "{err}");
    }
}
