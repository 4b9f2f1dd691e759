//! The database thread: it owns the connection, commits changes in order (those queued
//! behind a commit share the next one), answers start-up reads, and publishes how far it got.

use std::sync::Arc;
use std::sync::mpsc;

use rusqlite::{Connection, params};
use tokio::sync::watch;

use super::{Change, Job, Op, Progress, SCHEMA_VERSION, Table};

/// WAL with full syncs (a commit survives a crash of the process and of the machine), the
/// tables, and the schema version check.
pub(super) fn prepare(connection: &Connection) -> anyhow::Result<()> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    anyhow::ensure!(
        version <= SCHEMA_VERSION,
        "it was written by a newer mock-cloud (schema {version}; this one knows {SCHEMA_VERSION})"
    );
    // In memory the journal mode stays `memory`; on disk it becomes `wal`.
    let _mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    for table in Table::ALL {
        connection.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {} (key TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL)",
            table.name()
        ))?;
    }
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// At most this many queued changes share one commit.
const MAX_BATCH: usize = 256;

/// The database thread: commits changes in order, answers reads, until every handle is gone.
pub(super) fn run(
    mut connection: Connection,
    jobs: mpsc::Receiver<Job>,
    progress: watch::Sender<Progress>,
    label: String,
) {
    let mut failed = false;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut writes: Vec<(u64, Change)> = Vec::new();
        for job in batch {
            match job {
                Job::Write(seq, change) => writes.push((seq, change)),
                Job::Read(seq, table, reply) => {
                    commit(&mut connection, &mut writes, &progress, &label, &mut failed);
                    let _ = reply.send(read(&connection, table).map_err(|e| e.to_string()));
                    if !failed {
                        progress.send_modify(|p| p.committed = seq);
                    }
                }
            }
        }
        commit(&mut connection, &mut writes, &progress, &label, &mut failed);
    }
}

/// Commits `writes` in one transaction and publishes how far it got; after a failure, nothing.
fn commit(
    connection: &mut Connection,
    writes: &mut Vec<(u64, Change)>,
    progress: &watch::Sender<Progress>,
    label: &str,
    failed: &mut bool,
) {
    let Some(last) = writes.last().map(|(seq, _)| *seq) else {
        return;
    };
    let changes = std::mem::take(writes);
    if *failed {
        return;
    }
    match apply(connection, changes) {
        Ok(after_commit) => {
            for work in after_commit {
                work();
            }
            progress.send_modify(|p| p.committed = last);
        }
        Err(e) => {
            *failed = true;
            tracing::error!(database = %label, error = %e, "cannot save the cloud's state");
            let message: Arc<str> = format!(
                "The cloud could not save its state in {label}: {e}. Changes from now on are \
                 not kept; restart mock-cloud."
            )
            .into();
            progress.send_modify(|p| p.failure = Some(message));
        }
    }
}

/// Applies `changes` in one transaction; what is to run after the commit.
fn apply(
    connection: &mut Connection,
    changes: Vec<(u64, Change)>,
) -> rusqlite::Result<Vec<Box<dyn FnOnce() + Send>>> {
    let transaction = connection.transaction()?;
    let mut after_commit = Vec::new();
    for (_, change) in changes {
        after_commit.extend(change.after_commit);
        for op in change.ops {
            match op {
                Op::Put(table, key, doc) => {
                    transaction
                        .prepare_cached(&format!(
                            "INSERT INTO {} (key, doc) VALUES (?1, ?2) \
                             ON CONFLICT(key) DO UPDATE SET doc = excluded.doc",
                            table.name()
                        ))?
                        .execute(params![key, doc])?;
                }
                Op::Delete(table, key) => {
                    transaction
                        .prepare_cached(&format!("DELETE FROM {} WHERE key = ?1", table.name()))?
                        .execute(params![key])?;
                }
                Op::Clear(table) => {
                    transaction.execute(&format!("DELETE FROM {}", table.name()), [])?;
                }
            }
        }
    }
    transaction.commit()?;
    Ok(after_commit)
}

fn read(connection: &Connection, table: Table) -> rusqlite::Result<Vec<(String, String)>> {
    let mut statement = connection.prepare(&format!(
        "SELECT key, doc FROM {} ORDER BY rowid",
        table.name()
    ))?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}
