//! The control plane under `/_mock/`. SKELETON: filled in by the control-plane work.

use axum::Router;

use crate::app::AppState;
use crate::cloud::Options;

/// Fault rules and the request journal.
pub struct Control {}

impl Control {
    /// An empty control plane.
    pub fn new(options: &Options) -> Self {
        let _ = options;
        Self {}
    }
}

/// Routes under `/_mock`.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// Wraps every route with request ids, fault injection and the journal.
pub fn layer(routes: Router<AppState>, state: AppState) -> Router<AppState> {
    let _ = state;
    routes
}
