//! The conformance suite: one set of SDK calls for identity and image, each a named async
//! case that takes a [`Target`] (cloud configs for an admin and a demo user), run against real
//! Keystone + Glance and against the mock cloud alike.
//!
//! A case returns `Ok(())` or an error with context saying what disagreed.

/// Where the suite runs: the cloud configurations it needs.
#[derive(Debug, Clone)]
pub struct Target {
    /// A short name for reports (`real`, `mock`).
    pub name: String,
    /// An admin on project `admin`.
    pub admin: ferrostack::CloudConfig,
    /// A member on project `demo`.
    pub demo: ferrostack::CloudConfig,
}
