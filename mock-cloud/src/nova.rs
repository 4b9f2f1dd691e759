//! Compute service. SKELETON: filled in by the nova work.

use crate::app::AppState;
use crate::cloud::Options;

/// Compute state.
pub struct Nova {}

impl Nova {
    /// Empty state (or state loaded from the state directory).
    pub fn new(base_url: &str, options: &Options) -> anyhow::Result<Self> {
        let _ = (base_url, options);
        Ok(Self {})
    }
}

/// Routes under `/compute`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
