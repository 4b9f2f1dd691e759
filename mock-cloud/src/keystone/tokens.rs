//! Issued tokens: random opaque strings mapped to what they stand for.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use jiff::Timestamp;

use super::directory::Role;
use crate::auth::Caller;

/// What a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// What a token stands for. Its own string is the map key, never stored inside.
#[derive(Debug, Clone)]
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

/// The token store.
#[derive(Default)]
pub(crate) struct Tokens {
    map: RwLock<HashMap<String, Arc<Token>>>,
}

/// Past this many tokens, issuing one also drops the expired ones.
const PURGE_AT: usize = 10_000;

impl Tokens {
    /// Stores `token` under a new random string and returns that string.
    pub(crate) fn insert(&self, token: Token) -> String {
        let id = random_string();
        let mut map = self.map.write().expect("token store lock");
        if map.len() >= PURGE_AT {
            let now = Timestamp::now();
            map.retain(|_, t| t.is_valid_at(now));
        }
        map.insert(id.clone(), Arc::new(token));
        id
    }

    /// The token, if it exists and has not expired.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Token>> {
        let token = self
            .map
            .read()
            .expect("token store lock")
            .get(id)
            .cloned()?;
        token.is_valid_at(Timestamp::now()).then_some(token)
    }

    /// Revokes a token; whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        self.map
            .write()
            .expect("token store lock")
            .remove(id)
            .is_some()
    }

    /// Forgets every token.
    pub(crate) fn clear(&self) {
        self.map.write().expect("token store lock").clear();
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
