//! Image service. SKELETON: filled in by the glance work.

use crate::app::AppState;
use crate::cloud::Options;

/// Image state.
pub struct Glance {}

impl Glance {
    /// Empty state (or state loaded from the state directory).
    pub fn new(base_url: &str, options: &Options) -> anyhow::Result<Self> {
        let _ = (base_url, options);
        Ok(Self {})
    }
}

/// Routes under `/image`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
