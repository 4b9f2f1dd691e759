//! Nova operations. SKELETON: filled in by the compute work.

use crate::session::Session;

/// A handle on Nova. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ComputeClient {
    session: Session,
}

impl ComputeClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }
}
