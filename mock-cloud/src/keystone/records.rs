//! Keystone's directory in the state database: one row per region, domain, project, user,
//! group, role, implied role, role assignment, application credential, service and endpoint. A change to the directory is saved as the rows that
//! differ (the directory is small: a few rows per seeded user), so every way of changing it —
//! seeds, application credentials, a reset — is saved the same way.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::directory::{Actor, Assignment, Directory, Target};
use super::secret_hash::Hasher;
use crate::cloud::seed::Seed;
use crate::db::{Change, Db, Table};

/// One row: where, its key, its JSON.
type Row = (Table, String, String);

fn row(table: Table, key: String, value: &impl serde::Serialize) -> Row {
    let doc = serde_json::to_string(value).expect("directory records serialize to JSON");
    (table, key, doc)
}

/// The key of an assignment's row. A user's assignment keeps the key a database written
/// before groups and inheritance had (`<user> <target> <role>`).
fn assignment_key(assignment: &Assignment) -> String {
    let target = match &assignment.target {
        Target::Project(id) => format!("project:{id}"),
        Target::Domain(id) => format!("domain:{id}"),
        Target::System => "system".to_owned(),
    };
    let actor = match assignment.actor() {
        Actor::User(id) => id.to_owned(),
        Actor::Group(id) => format!("group:{id}"),
    };
    let inherited = if assignment.inherited {
        " inherited"
    } else {
        ""
    };
    format!("{actor} {target} {}{inherited}", assignment.role)
}

/// The directory's rows, in the order of its lists (the order they are listed in).
fn rows(directory: &Directory) -> Vec<Row> {
    let mut rows = Vec::new();
    for region in &directory.regions {
        rows.push(row(Table::KeystoneRegions, region.id.clone(), region));
    }
    for domain in &directory.domains {
        rows.push(row(Table::KeystoneDomains, domain.id.clone(), domain));
    }
    for project in &directory.projects {
        rows.push(row(Table::KeystoneProjects, project.id.clone(), project));
    }
    for user in &directory.users {
        rows.push(row(Table::KeystoneUsers, user.id.clone(), user));
    }
    for group in &directory.groups {
        rows.push(row(Table::KeystoneGroups, group.id.clone(), group));
    }
    for role in &directory.roles {
        rows.push(row(Table::KeystoneRoles, role.id.clone(), role));
    }
    for implication in &directory.implications {
        let key = format!("{} {}", implication.prior, implication.implied);
        rows.push(row(Table::KeystoneImpliedRoles, key, implication));
    }
    for assignment in &directory.assignments {
        rows.push(row(
            Table::KeystoneAssignments,
            assignment_key(assignment),
            assignment,
        ));
    }
    for credential in &directory.application_credentials {
        rows.push(row(
            Table::KeystoneApplicationCredentials,
            credential.id.clone(),
            credential,
        ));
    }
    for service in &directory.services {
        rows.push(row(Table::KeystoneServices, service.id.clone(), service));
    }
    for endpoint in &directory.endpoints {
        rows.push(row(Table::KeystoneEndpoints, endpoint.id.clone(), endpoint));
    }
    rows
}

/// What turns `before` into `after`: the rows written, then the rows gone.
fn diff(before: &[Row], after: &[Row]) -> Change {
    let old: HashMap<(&str, &str), &str> = before
        .iter()
        .map(|(t, k, d)| ((t.name(), k.as_str()), d.as_str()))
        .collect();
    let new: HashMap<(&str, &str), &str> = after
        .iter()
        .map(|(t, k, d)| ((t.name(), k.as_str()), d.as_str()))
        .collect();
    let mut change = Change::new();
    for (table, key, doc) in after {
        if old.get(&(table.name(), key.as_str())) != Some(&doc.as_str()) {
            change = change.put_json(*table, key, doc.clone());
        }
    }
    for (table, key, _) in before {
        if !new.contains_key(&(table.name(), key.as_str())) {
            change = change.delete(*table, key);
        }
    }
    change
}

/// Every directory table, emptied (a reset).
fn cleared() -> Change {
    TABLES.into_iter().fold(Change::new(), Change::clear)
}

/// The tables [`rows`] writes.
const TABLES: [Table; 11] = [
    Table::KeystoneRegions,
    Table::KeystoneDomains,
    Table::KeystoneProjects,
    Table::KeystoneUsers,
    Table::KeystoneGroups,
    Table::KeystoneRoles,
    Table::KeystoneImpliedRoles,
    Table::KeystoneAssignments,
    Table::KeystoneApplicationCredentials,
    Table::KeystoneServices,
    Table::KeystoneEndpoints,
];

/// The directory as the state database has it, and the rows as they are there; `None` when
/// it has none yet. A database written before roles, groups and the catalog were kept gets
/// the bare directory's.
fn load(db: &Db, hasher: Hasher) -> anyhow::Result<Option<(Directory, Vec<Row>)>> {
    let domains = db.load(Table::KeystoneDomains)?;
    if domains.is_empty() {
        return Ok(None);
    }
    let mut stored = Vec::new();
    for table in TABLES {
        for (key, doc) in db.load_keyed::<serde_json::Value>(table)? {
            stored.push((table, key, doc.to_string()));
        }
    }
    let bare = Directory::bare(hasher);
    let mut directory = Directory::bare(hasher);
    directory.regions = db.load(Table::KeystoneRegions)?;
    directory.domains = domains;
    directory.projects = db.load(Table::KeystoneProjects)?;
    directory.users = db.load(Table::KeystoneUsers)?;
    directory.groups = db.load(Table::KeystoneGroups)?;
    let roles = db.load(Table::KeystoneRoles)?;
    if !roles.is_empty() {
        directory.roles = roles;
        directory.implications = db.load(Table::KeystoneImpliedRoles)?;
    }
    directory.assignments = db.load(Table::KeystoneAssignments)?;
    directory.application_credentials = db.load(Table::KeystoneApplicationCredentials)?;
    let services = db.load(Table::KeystoneServices)?;
    if services.is_empty() {
        // The catalog of a database that kept only region names: the cloud's own services
        // in each of them.
        let regions = std::mem::take(&mut directory.regions);
        directory.services = bare.services;
        directory.endpoints = Vec::new();
        for region in &regions {
            directory.add_region(&region.id);
        }
        directory.regions = regions;
    } else {
        directory.services = services;
        directory.endpoints = db.load(Table::KeystoneEndpoints)?;
    }
    Ok(Some((directory, stored)))
}

/// The directory behind its lock, saved after every change.
pub(crate) struct SavedDirectory {
    directory: RwLock<Directory>,
    db: Db,
}

impl SavedDirectory {
    /// The directory kept in the state database plus what `seed` adds that it lacks (a
    /// restart on a kept directory with the same seed changes nothing; what the state already
    /// has wins), or the defaults plus `seed` on a fresh one. Passwords and secrets are hashed
    /// with `hasher`; plain ones a legacy database kept are hashed and rewritten.
    pub(crate) fn open(
        db: &Db,
        seed: Option<&Seed>,
        hasher: Hasher,
    ) -> anyhow::Result<SavedDirectory> {
        let (before, directory) = match load(db, hasher)? {
            Some((mut directory, before)) => {
                // `before` is what the database holds: a legacy row (a plain secret, a role
                // kept by name, a region kept as a name) is rewritten.
                directory.upgrade_legacy_rows();
                if let Some(seed) = seed {
                    let missing = directory.missing_from(seed);
                    directory.apply(&missing)?;
                }
                (before, directory)
            }
            None => (Vec::new(), Directory::new(seed, hasher)?),
        };
        db.submit(diff(&before, &rows(&directory)))?;
        Ok(SavedDirectory {
            directory: RwLock::new(directory),
            db: db.clone(),
        })
    }

    /// The directory, to read.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The directory, to change: saved when the guard is dropped.
    pub(crate) fn write(&self) -> DirectoryMut<'_> {
        let guard = self.directory.write().unwrap_or_else(|e| e.into_inner());
        DirectoryMut {
            before: rows(&guard),
            guard,
            db: &self.db,
        }
    }

    /// Replaces the whole directory (a reset).
    pub(crate) fn replace(&self, fresh: Directory) -> anyhow::Result<()> {
        let mut guard = self.directory.write().unwrap_or_else(|e| e.into_inner());
        let change = rows(&fresh)
            .into_iter()
            .fold(cleared(), |change, (table, key, doc)| {
                change.put_json(table, &key, doc)
            });
        self.db.submit(change)?;
        *guard = fresh;
        Ok(())
    }
}

/// Write access to the directory; the rows that changed are saved on drop, before the lock is
/// released (so the database sees changes in the order they were made).
pub(crate) struct DirectoryMut<'a> {
    before: Vec<Row>,
    guard: RwLockWriteGuard<'a, Directory>,
    db: &'a Db,
}

impl Deref for DirectoryMut<'_> {
    type Target = Directory;
    fn deref(&self) -> &Directory {
        &self.guard
    }
}

impl DerefMut for DirectoryMut<'_> {
    fn deref_mut(&mut self) -> &mut Directory {
        &mut self.guard
    }
}

impl Drop for DirectoryMut<'_> {
    fn drop(&mut self) {
        let change = diff(&self.before, &rows(&self.guard));
        // A failure reaches the request through its ticket (see `db::ticket`).
        if let Err(e) = self.db.submit(change) {
            tracing::error!(error = %e, "cannot save Keystone's directory");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_directory_survives_a_reopen_and_a_seed_adds_only_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::parse(
            "projects: [{name: ci}]\nusers: [{name: alice, password: a, roles: [{role: member, project: ci}]}]",
            false,
        )
        .unwrap();
        {
            let db = Db::open(Some(dir.path())).unwrap();
            let saved = SavedDirectory::open(&db, Some(&seed), Hasher::default()).unwrap();
            let more = Seed::parse("users: [{name: bob, password: b}]", false).unwrap();
            saved.write().apply(&more).unwrap();
            db.flush().await.unwrap();
        }
        let db = Db::open(Some(dir.path())).unwrap();
        let saved = SavedDirectory::open(&db, Some(&seed), Hasher::default()).unwrap();
        let directory = saved.read();
        let names: Vec<&str> = directory.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["admin", "demo", "alice", "bob"]);
        let alice = directory.user("alice", "default").unwrap();
        let ci = directory.project("ci", "default").unwrap();
        assert_eq!(
            directory.effective_roles(&alice.id, &Target::Project(ci.id.clone()))[0].name,
            "member"
        );
    }

    #[test]
    fn a_diff_writes_what_changed_and_deletes_what_went() {
        let before = vec![
            (Table::KeystoneUsers, "a".to_owned(), "1".to_owned()),
            (Table::KeystoneUsers, "b".to_owned(), "2".to_owned()),
        ];
        let after = vec![
            (Table::KeystoneUsers, "a".to_owned(), "1".to_owned()),
            (Table::KeystoneUsers, "c".to_owned(), "3".to_owned()),
        ];
        assert_eq!(
            format!("{:?}", diff(&before, &after)),
            format!(
                "{:?}",
                Change::new()
                    .put_json(Table::KeystoneUsers, "c", "3".to_owned())
                    .delete(Table::KeystoneUsers, "b")
            )
        );
        assert!(diff(&after, &after).is_empty());
    }

    /// The files under `dir` whose bytes contain `needle`.
    fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(files_containing(&path, needle));
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
        found
    }

    #[tokio::test]
    async fn plain_secrets_of_a_legacy_database_are_hashed_and_leave_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let (password, secret) = ("legacy-pw-4711", "legacy-secret-4712");
        {
            let db = Db::open(Some(dir.path())).unwrap();
            let saved = SavedDirectory::open(&db, None, Hasher::default()).unwrap();
            let demo = saved.read().project("demo", "default").unwrap().id.clone();
            // The rows as a mock that kept secrets in plain text wrote them.
            let user = serde_json::json!({"id": "u1", "name": "old", "domain_id": "default",
                "password": password});
            let credential = serde_json::json!({"id": "c1", "name": "ci", "secret": secret,
                "user_id": "u1", "project_id": demo, "roles": null, "expires_at": null,
                "unrestricted": null});
            db.submit(Change::new().put(Table::KeystoneUsers, "u1", &user).put(
                Table::KeystoneApplicationCredentials,
                "c1",
                &credential,
            ))
            .unwrap();
            db.flush().await.unwrap();
        }
        assert!(!files_containing(dir.path(), password).is_empty());
        {
            let db = Db::open(Some(dir.path())).unwrap();
            let saved = SavedDirectory::open(&db, None, Hasher::default()).unwrap();
            let directory = saved.read();
            let user = directory.user("old", "default").unwrap();
            assert!(user.password_hash.verify(password));
            let credential = &directory.application_credentials[0];
            assert!(credential.secret_hash.verify(secret));
        }
        for needle in [password, secret] {
            assert_eq!(
                files_containing(dir.path(), needle),
                Vec::<std::path::PathBuf>::new()
            );
        }
    }
}
