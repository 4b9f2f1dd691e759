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

    /// Forgets servers and keypairs; flavors back to the defaults plus `seed`'s.
    pub fn reset(&self, seed: Option<&crate::cloud::seed::Seed>) {
        let _ = seed;
    }

    /// Adds `seed`'s flavors.
    pub fn apply_seed(&self, seed: &crate::cloud::seed::Seed) {
        let _ = seed;
    }

    /// Advances the driver.
    pub fn tick(&self, steps: u32) -> usize {
        let _ = steps;
        0
    }
}

/// Routes under `/compute`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
