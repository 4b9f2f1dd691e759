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

    /// How long before its expiry the token is due for renewal, for a renewal `margin`: the
    /// margin, or half the token's lifetime when that is shorter, so that a token living
    /// less than twice the margin still serves half its life. The lifetime is Keystone's
    /// (`expires_at - issued_at`); without a usable `issued_at`, what is left now.
    pub fn renewal_margin(&self, margin: Duration) -> Duration {
        let to_duration = |d: jiff::SignedDuration| Duration::try_from(d).unwrap_or_default();
        let lifetime = match self.issued_at.filter(|issued| *issued <= self.expires_at) {
            Some(issued) => self.expires_at.duration_since(issued),
            None => self.expires_at.duration_since(jiff::Timestamp::now()),
        };
        margin.min(to_duration(lifetime) / 2)
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

    #[test]
    fn the_renewal_margin_is_at_most_half_the_lifetime() {
        let issued = "2026-11-28T11:00:00Z".parse::<jiff::Timestamp>().unwrap();
        let lived = |secs: i64| {
            let mut token: Token = serde_json::from_value(serde_json::json!({
                "expires_at": (issued + jiff::SignedDuration::from_secs(secs)).to_string(),
                "issued_at": issued.to_string(),
                "user": {"id": "u"},
            }))
            .unwrap();
            token.id = "t".into();
            token
        };
        let margin = Duration::from_secs(120);
        assert_eq!(lived(3600).renewal_margin(margin), margin);
        assert_eq!(lived(240).renewal_margin(margin), margin);
        assert_eq!(lived(60).renewal_margin(margin), Duration::from_secs(30));
        assert_eq!(lived(0).renewal_margin(margin), Duration::ZERO);
        let mut bogus = lived(60);
        bogus.issued_at = Some(issued + jiff::SignedDuration::from_secs(600));
        // An issued_at after the expiry says nothing: what is left now counts (nothing).
        assert_eq!(bogus.renewal_margin(margin), Duration::ZERO);
    }
}
