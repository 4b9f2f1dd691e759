//! Glance operations. SKELETON: filled in by the image work.

use crate::session::Session;

/// A handle on Glance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ImageClient {
    session: Session,
}

impl ImageClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }
}
