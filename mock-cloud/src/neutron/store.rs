//! Neutron's state: every resource document by kind, in creation order, saved row by row in
//! the state database. A write runs on a copy-on-failure basis: it either applies whole or
//! leaves nothing behind (a failed bulk create or server boot makes no half a port).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Doc, Kind, topology};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Db, Table};
use crate::errors::ApiError;

/// One row of the `neutron` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    /// A resource.
    Resource { kind: Kind, doc: Doc },
    /// A port Nova made for a server (deleted with it; a port the user gave is only unbound).
    NovaPort { id: String },
    /// A project whose defaults (default group, devstack topology) exist.
    Project { id: String },
    /// The cloud-wide `public` network exists.
    Seeded,
}

/// What the API remembers.
#[derive(Debug, Clone, Default)]
pub(crate) struct NeutronState {
    docs: BTreeMap<Kind, Vec<Doc>>,
    /// Ports Nova created.
    pub(crate) nova_ports: BTreeSet<String>,
    /// Projects whose defaults exist.
    ready: BTreeSet<String>,
    seeded: bool,
    /// The rows this write changes.
    ops: Vec<(String, Option<Record>)>,
    /// The servers (device ids) whose network this write changed.
    touched: BTreeSet<String>,
}

impl NeutronState {
    /// Every resource of `kind`, in creation order.
    pub(crate) fn all(&self, kind: Kind) -> &[Doc] {
        self.docs.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    /// The resource `id` of `kind`.
    pub(crate) fn get(&self, kind: Kind, id: &str) -> Option<&Doc> {
        self.all(kind).iter().find(|d| str_of(d, "id") == id)
    }

    /// Adds a resource.
    pub(crate) fn insert(&mut self, kind: Kind, doc: Doc) {
        self.touch(kind, &doc);
        self.ops.push((
            str_of(&doc, "id").to_owned(),
            Some(Record::Resource {
                kind,
                doc: doc.clone(),
            }),
        ));
        self.docs.entry(kind).or_default().push(doc);
    }

    /// Replaces the resource with `doc`'s id, bumping its revision and `updated_at`.
    pub(crate) fn replace(&mut self, kind: Kind, mut doc: Doc) {
        let id = str_of(&doc, "id").to_owned();
        let revision = doc
            .get("revision_number")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        doc.insert("revision_number".into(), json!(revision + 1));
        doc.insert("updated_at".into(), json!(super::now()));
        if let Some(old) = self.get(kind, &id).cloned() {
            self.touch(kind, &old);
        }
        self.touch(kind, &doc);
        self.ops.push((
            id.clone(),
            Some(Record::Resource {
                kind,
                doc: doc.clone(),
            }),
        ));
        if let Some(slot) = self
            .docs
            .entry(kind)
            .or_default()
            .iter_mut()
            .find(|d| str_of(d, "id") == id)
        {
            *slot = doc;
        }
    }

    /// Removes a resource; what it was.
    pub(crate) fn remove(&mut self, kind: Kind, id: &str) -> Option<Doc> {
        let list = self.docs.entry(kind).or_default();
        let index = list.iter().position(|d| str_of(d, "id") == id)?;
        let doc = list.remove(index);
        self.touch(kind, &doc);
        self.ops.push((id.to_owned(), None));
        if self.nova_ports.remove(id) {
            self.ops.push((format!("nova-port/{id}"), None));
        }
        Some(doc)
    }

    /// Marks `port` as Nova's own.
    pub(crate) fn mark_nova_port(&mut self, port: &str) {
        self.nova_ports.insert(port.to_owned());
        self.ops.push((
            format!("nova-port/{port}"),
            Some(Record::NovaPort { id: port.into() }),
        ));
    }

    /// Notes the servers whose network a change of this resource changes.
    fn touch(&mut self, kind: Kind, doc: &Doc) {
        match kind {
            Kind::Port if str_of(doc, "device_owner").starts_with("compute:") => {
                self.touched.insert(str_of(doc, "device_id").to_owned());
            }
            Kind::FloatingIp => {
                let device = doc
                    .get("port_id")
                    .and_then(Value::as_str)
                    .and_then(|p| self.get(Kind::Port, p))
                    .map(|p| str_of(p, "device_id").to_owned());
                self.touched.extend(device);
            }
            // A group's rules decide what a driver forwards to the ports in it.
            Kind::SecurityGroup | Kind::SecurityGroupRule => {
                let group = match kind {
                    Kind::SecurityGroup => str_of(doc, "id"),
                    _ => str_of(doc, "security_group_id"),
                };
                let devices: Vec<String> = self
                    .all(Kind::Port)
                    .iter()
                    .filter(|p| str_of(p, "device_owner").starts_with("compute:"))
                    .filter(|p| list_of(p, "security_groups").any(|g| g == group))
                    .map(|p| str_of(p, "device_id").to_owned())
                    .collect();
                self.touched.extend(devices);
            }
            _ => {}
        }
    }
}

/// A string attribute (`""` when absent or not a string).
pub(crate) fn str_of<'a>(doc: &'a Doc, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The strings of a list attribute.
pub(crate) fn list_of<'a>(doc: &'a Doc, key: &str) -> impl Iterator<Item = &'a str> {
    doc.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Neutron's state and the database it is saved in.
pub(crate) struct Neutron {
    db: Db,
    /// The project that owns `public` (Keystone's `admin`).
    admin_project: String,
    inner: Mutex<NeutronState>,
}

impl Neutron {
    /// The state kept in the database, and `public` if it was never made.
    pub(crate) fn new(db: &Db, admin_project: Option<String>) -> anyhow::Result<Self> {
        let mut state = NeutronState::default();
        let rows: Vec<Record> = db.load(Table::Neutron)?;
        for row in rows {
            match row {
                Record::Resource { kind, doc } => state.docs.entry(kind).or_default().push(doc),
                Record::NovaPort { id } => {
                    state.nova_ports.insert(id);
                }
                Record::Project { id } => {
                    state.ready.insert(id);
                }
                Record::Seeded => state.seeded = true,
            }
        }
        let neutron = Self {
            db: db.clone(),
            admin_project: admin_project.unwrap_or_default(),
            inner: Mutex::new(state),
        };
        {
            let mut state = neutron.lock();
            neutron.seed(&mut state);
            neutron.commit(&mut state, Change::new())?;
        }
        Ok(neutron)
    }

    fn lock(&self) -> MutexGuard<'_, NeutronState> {
        self.inner.lock().expect("neutron state lock")
    }

    /// Makes `public` and its subnet once.
    fn seed(&self, state: &mut NeutronState) {
        if !state.seeded {
            topology::seed_public(state, &self.admin_project);
            state.seeded = true;
            state.ops.push(("seeded".into(), Some(Record::Seeded)));
        }
    }

    /// Submits the rows this write changed (after `change`).
    fn commit(
        &self,
        state: &mut NeutronState,
        change: Change,
    ) -> Result<(), crate::db::StoreError> {
        let change = state
            .ops
            .drain(..)
            .fold(change, |change, (key, row)| match row {
                Some(row) => change.put(Table::Neutron, &key, &row),
                None => change.delete(Table::Neutron, &key),
            });
        if change.is_empty() {
            return Ok(());
        }
        self.db.submit(change)
    }

    /// Back to a fresh cloud: only `public` and its subnet.
    pub(crate) fn reset(&self) -> anyhow::Result<()> {
        let mut state = self.lock();
        *state = NeutronState::default();
        self.seed(&mut state);
        self.commit(&mut state, Change::new().clear(Table::Neutron))?;
        Ok(())
    }

    /// Server `device`'s network as Nova sees it now (its metadata shows it).
    pub(crate) fn network_info_of(&self, device: &str) -> super::server_ports::NetworkInfo {
        super::server_ports::network_info(&self.lock(), device)
    }

    /// A look at the state, after the caller's project got its defaults.
    pub(crate) fn read<T>(
        &self,
        app: &AppState,
        caller: &Caller,
        look: impl FnOnce(&NeutronState) -> T,
    ) -> Result<T, ApiError> {
        self.write(app, caller, |state| Ok(look(state)))
    }

    /// Runs `work` on the state: either all of it applies and is saved, or (on error) none.
    /// The caller's project gets its defaults first, as Neutron makes the default group on a
    /// project's first call. The servers whose network changed are told afterwards.
    pub(crate) fn write<T>(
        &self,
        app: &AppState,
        caller: &Caller,
        work: impl FnOnce(&mut NeutronState) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.write_for(app, caller.project_id.as_deref(), work)
    }

    /// [`Neutron::write`] for `project` (none: the cloud itself, as when Nova deletes a
    /// server's ports).
    pub(crate) fn write_for<T>(
        &self,
        app: &AppState,
        project: Option<&str>,
        work: impl FnOnce(&mut NeutronState) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (result, touched) = {
            let mut state = self.lock();
            if let Some(project) = project.map(str::to_owned)
                && !state.ready.contains(&project)
            {
                topology::project_defaults(&mut state, &project);
                state.ready.insert(project.clone());
                state.ops.push((
                    format!("project/{project}"),
                    Some(Record::Project {
                        id: project.clone(),
                    }),
                ));
            }
            let before = state.clone();
            let result = work(&mut state);
            match &result {
                Ok(_) => {
                    if let Err(e) = self.commit(&mut state, Change::new()) {
                        *state = before;
                        return Err(e.to_api(crate::errors::Service::Network));
                    }
                }
                Err(_) => {
                    // Keep the project's defaults (made before the work) but nothing of the work.
                    *state = before;
                    if let Err(e) = self.commit(&mut state, Change::new()) {
                        tracing::error!(error = %e, "cannot save Neutron's state");
                    }
                }
            }
            let touched = std::mem::take(&mut state.touched);
            let infos: Vec<_> = touched
                .into_iter()
                .filter(|device| !device.is_empty())
                .map(|device| {
                    let info = super::server_ports::network_info(&state, &device);
                    (device, info)
                })
                .collect();
            (result, infos)
        };
        for (device, info) in touched {
            app.nova.network_changed(&device, info);
        }
        result
    }
}
