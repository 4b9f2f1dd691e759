//! Issued tokens: random opaque strings mapped to what they stand for.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::directory::Role;
use crate::auth::Caller;
use crate::db::{Change, Db, Table};

/// What a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Scope {
    /// No scope: only good for listing projects and rescoping.
    Unscoped,
    /// A project.
    Project {
        id: String,
        name: String,
        domain_id: String,
    },
    /// A domain.
    Domain { id: String },
    /// The whole system (`{"all": true}`).
    System,
}

/// What a token stands for. Its own string is never stored, inside or as a key: the store
/// knows each token by its sha256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub(crate) user_id: String,
    pub(crate) user_name: String,
    pub(crate) user_domain_id: String,
    pub(crate) scope: Scope,
    pub(crate) methods: Vec<String>,
    pub(crate) roles: Vec<Role>,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) audit_ids: Vec<String>,
    /// `(id, name)` of the application credential the token came from.
    pub(crate) application_credential: Option<(String, String)>,
}

impl Token {
    /// Whether the token is still good at `now`.
    pub(crate) fn is_valid_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }

    /// The caller this token stands for.
    pub(crate) fn caller(&self) -> Caller {
        let (project_id, project_name, domain_id, system) = match &self.scope {
            Scope::Unscoped => (None, None, None, false),
            Scope::Project { id, name, .. } => (Some(id.clone()), Some(name.clone()), None, false),
            Scope::Domain { id } => (None, None, Some(id.clone()), false),
            Scope::System => (None, None, None, true),
        };
        Caller {
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            user_domain_id: self.user_domain_id.clone(),
            project_id,
            project_name,
            domain_id,
            system,
            roles: self.roles.iter().map(|r| r.name.clone()).collect(),
        }
    }
}

/// A new random opaque string: 32 random bytes, URL-safe base64. Cheap to make.
pub(crate) fn random_string() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The token store, keyed by the sha256 of each token (so that no bearer token is ever at rest
/// in the state database), and saved there: tokens survive a restart, as Keystone's fernet
/// tokens do, and a revoked one stays revoked.
pub(crate) struct Tokens {
    map: RwLock<HashMap<String, Arc<Token>>>,
    db: Db,
}

/// Past this many tokens, issuing one also drops the expired ones.
const PURGE_AT: usize = 10_000;

/// The key a token is known by: its sha256, hex.
fn key_of(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Tokens {
    /// The unexpired tokens of the state database (the expired ones are deleted).
    pub(crate) fn load(db: &Db) -> anyhow::Result<Tokens> {
        let now = Timestamp::now();
        let (live, expired): (Vec<_>, Vec<_>) = db
            .load_keyed::<Token>(Table::KeystoneTokens)?
            .into_iter()
            .partition(|(_, token)| token.is_valid_at(now));
        let change = expired.iter().fold(Change::new(), |change, (key, _)| {
            change.delete(Table::KeystoneTokens, key)
        });
        db.submit(change)?;
        Ok(Tokens {
            map: RwLock::new(
                live.into_iter()
                    .map(|(key, token)| (key, Arc::new(token)))
                    .collect(),
            ),
            db: db.clone(),
        })
    }

    /// Stores `token` under a new random string and returns that string.
    pub(crate) fn insert(&self, token: Token) -> String {
        let id = random_string();
        let key = key_of(&id);
        let mut map = self.map.write().expect("token store lock");
        let mut change = Change::new();
        if map.len() >= PURGE_AT {
            let now = Timestamp::now();
            map.retain(|key, t| {
                let valid = t.is_valid_at(now);
                if !valid {
                    change = std::mem::take(&mut change).delete(Table::KeystoneTokens, key);
                }
                valid
            });
        }
        change = change.put(Table::KeystoneTokens, &key, &token);
        self.save(change);
        map.insert(key, Arc::new(token));
        id
    }

    /// The token, if it exists and has not expired.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Token>> {
        let token = self
            .map
            .read()
            .expect("token store lock")
            .get(&key_of(id))
            .cloned()?;
        token.is_valid_at(Timestamp::now()).then_some(token)
    }

    /// Revokes a token; whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let key = key_of(id);
        let mut map = self.map.write().expect("token store lock");
        let existed = map.remove(&key).is_some();
        if existed {
            self.save(Change::new().delete(Table::KeystoneTokens, &key));
        }
        existed
    }

    /// Forgets every token.
    pub(crate) fn clear(&self) {
        let mut map = self.map.write().expect("token store lock");
        map.clear();
        self.save(Change::new().clear(Table::KeystoneTokens));
    }

    /// Submits a change; a failure is the request's answer (see `db::ticket`).
    fn save(&self, change: Change) {
        if let Err(e) = self.db.submit(change) {
            tracing::error!(error = %e, "cannot save the token store");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_differ_and_are_url_safe() {
        let a = random_string();
        assert_ne!(a, random_string());
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
