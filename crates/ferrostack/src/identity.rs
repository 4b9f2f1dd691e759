//! Keystone: the [`IdentityClient`] and its resource handles — [`Tokens`] (issue, validate,
//! revoke, the catalog), [`Users`] and [`Projects`] — with the user and project models.
//!
//! The token and catalog types are the session's own: [`crate::auth::Token`],
//! [`crate::auth::CatalogEntry`].
//!
//! ```no_run
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! let identity = cloud.identity();
//! let token = identity.tokens().issue().await?;
//! println!("expires {} for user {}", token.expires_at, token.user.id);
//! for entry in identity.tokens().catalog().await? {
//!     println!("{} ({:?})", entry.service_type, entry.name);
//! }
//! let me = identity.users().current().await?;
//! println!("{} in domain {:?}", me.name, me.domain_id);
//! # Ok(())
//! # }
//! ```

use crate::session::Session;

mod project;
pub mod requests;
mod tokens;
mod user;

pub use project::{Project, Projects};
pub use tokens::Tokens;
pub use user::{User, Users};

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

    /// Tokens: issue, validate, check, revoke, and the catalog of the session's token.
    pub fn tokens(&self) -> Tokens {
        Tokens::new(self.session.clone())
    }

    /// Users: by id, or the one the session authenticates as.
    pub fn users(&self) -> Users {
        Users::new(self.session.clone())
    }

    /// Projects: by id, or the one the session's token is scoped to.
    pub fn projects(&self) -> Projects {
        Projects::new(self.session.clone())
    }
}
