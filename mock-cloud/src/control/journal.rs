//! The request journal: what was asked and what was answered. Never tokens, never bodies.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::errors::Service;

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// The HTTP method.
    pub method: String,
    /// The path, service prefix included (`/compute/v2.1/servers`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status answered; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// The service addressed, if the path names one.
    pub service: Option<Service>,
    /// The `x-openstack-request-id` answered.
    pub request_id: String,
    /// The injected fault, if a rule fired.
    pub fault: Option<String>,
}

/// The most recent entries kept; older ones are forgotten.
const CAPACITY: usize = 10_000;

/// The journal.
#[derive(Default)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
    seq: Mutex<u64>,
}

impl Journal {
    /// Records an entry, numbering it.
    pub(crate) fn record(&self, mut entry: JournalEntry) {
        let mut entries = self.entries.lock().expect("journal lock");
        let mut seq = self.seq.lock().expect("journal seq lock");
        *seq += 1;
        entry.seq = *seq;
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Every entry kept, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.entries
            .lock()
            .expect("journal lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.entries.lock().expect("journal lock").clear();
    }
}
