//! Keystone v3. SKELETON: filled in by the keystone work.

use crate::app::AppState;
use crate::auth::Caller;
use crate::cloud::Options;

/// Identity state.
pub struct Keystone {}

impl Keystone {
    /// Seeds the default domain, projects, users and roles.
    pub fn new(base_url: &str, options: &Options) -> anyhow::Result<Self> {
        let _ = (base_url, options);
        Ok(Self {})
    }

    /// The caller a token stands for, if it is valid.
    pub fn validate(&self, token: &str) -> Option<Caller> {
        let _ = token;
        None
    }
}

/// Routes under `/identity`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
