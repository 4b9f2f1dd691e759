//! Keystone operations. SKELETON: filled in by the identity work.

use crate::session::Session;

/// A handle on Keystone. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    session: Session,
}

impl IdentityClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }
}
