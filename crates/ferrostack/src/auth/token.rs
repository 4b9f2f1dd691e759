//! Keystone tokens: the secret itself and what Keystone says about it.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::catalog::CatalogEntry;
use crate::secret::Secret;

/// A token and its details: what `openstack token issue` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Token {
    /// The token itself (from the `X-Subject-Token` header); redacted when printed.
    #[serde(skip_deserializing, default)]
    pub id: Secret,
    /// When the token stops working.
    #[serde(deserialize_with = "keystone_time")]
    pub expires_at: jiff::Timestamp,
    /// When the token was issued.
    #[serde(default, deserialize_with = "keystone_time_opt")]
    pub issued_at: Option<jiff::Timestamp>,
    /// The methods that proved the identity (`password`, `token`, `application_credential`).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Who the token is for.
    pub user: Principal,
    /// The project the token is scoped to, when project-scoped.
    #[serde(default)]
    pub project: Option<Principal>,
    /// The domain the token is scoped to, when domain-scoped.
    #[serde(default)]
    pub domain: Option<NamedRef>,
    /// The system scope (`{"all": true}`), when system-scoped.
    #[serde(default)]
    pub system: Option<serde_json::Value>,
    /// The roles the token carries on its scope.
    #[serde(default)]
    pub roles: Vec<NamedRef>,
    /// The service catalog (absent for unscoped tokens and `?nocatalog`).
    #[serde(default)]
    pub catalog: Vec<CatalogEntry>,
    /// Audit ids, for matching the token in Keystone's logs without its value.
    #[serde(default)]
    pub audit_ids: Vec<String>,
}

impl Token {
    /// Whether the token expires within `margin` from now (or has expired).
    pub fn expires_within(&self, margin: Duration) -> bool {
        let margin = jiff::SignedDuration::try_from(margin).unwrap_or(jiff::SignedDuration::MAX);
        let limit = jiff::Timestamp::now()
            .checked_add(margin)
            .unwrap_or(jiff::Timestamp::MAX);
        self.expires_at <= limit
    }

    /// The project id, when project-scoped.
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_ref().map(|p| p.id.as_str())
    }
}

/// A user or project: id, name and owning domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Principal {
    /// The id.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The owning domain.
    #[serde(default)]
    pub domain: Option<NamedRef>,
}

/// An `{"id", "name"}` reference (a domain, a role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NamedRef {
    /// The id.
    #[serde(default)]
    pub id: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The `{"token": {...}}` envelope of Keystone's token responses.
#[derive(Deserialize)]
pub(crate) struct TokenEnvelope {
    pub(crate) token: Token,
}

/// Keystone writes `2026-11-28T13:26:59.000000Z`; older releases dropped the `Z`. A time
/// without an offset is UTC.
pub(crate) fn parse_keystone_time(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn keystone_time<'de, D: Deserializer<'de>>(d: D) -> Result<jiff::Timestamp, D::Error> {
    let text = String::deserialize(d)?;
    parse_keystone_time(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}")))
}

fn keystone_time_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<jiff::Timestamp>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => parse_keystone_time(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keystone_time_form() {
        for text in [
            "2026-11-28T13:26:59.000000Z",
            "2026-11-28T13:26:59Z",
            "2026-11-28T13:26:59.000000",
            "2026-11-28T13:26:59+00:00",
        ] {
            let ts = parse_keystone_time(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(ts.to_string(), "2026-11-28T13:26:59Z", "{text}");
        }
        assert_eq!(parse_keystone_time("tomorrow"), None);
    }

    #[test]
    fn expiry_margin() {
        let body = |expires: jiff::Timestamp| {
            serde_json::from_value::<Token>(serde_json::json!({
                "expires_at": expires.to_string(),
                "user": {"id": "u"},
            }))
            .unwrap()
        };
        let soon = body(jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30));
        assert!(soon.expires_within(Duration::from_secs(60)));
        assert!(!soon.expires_within(Duration::ZERO));
        let past = body(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(30));
        assert!(past.expires_within(Duration::ZERO));
    }
}
