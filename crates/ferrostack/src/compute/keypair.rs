//! Keypairs: the SSH (or x509) public keys Nova injects into servers.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::KeypairName;
use super::wire;
use crate::secret::Secret;

/// A keypair (`GET /os-keypairs`, `GET /os-keypairs/{name}`, and the answer of a create).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Keypair {
    /// The name, unique for its user.
    pub name: KeypairName,
    /// The public key, in OpenSSH form (or PEM for x509).
    pub public_key: String,
    /// The key's fingerprint.
    #[serde(default)]
    pub fingerprint: String,
    /// `ssh` or `x509` (2.2 and later; before, always ssh).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KeypairType>,
    /// The owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When it was created (shown by `GET /os-keypairs/{name}`).
    #[serde(
        default,
        deserialize_with = "wire::timestamp_opt",
        serialize_with = "wire::timestamp_opt_out"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// The private key, only in the answer that generated it: Nova keeps no copy, so this
    /// is the one chance to save it. Printed as `<redacted>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<Secret>,
    /// Every other field (`id`, `deleted`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The kind of a keypair.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeypairType {
    /// An SSH key.
    Ssh,
    /// An x509 certificate (for Windows guests).
    X509,
    /// Anything else.
    Unknown(String),
}

impl KeypairType {
    /// The type as Nova writes it.
    pub fn as_str(&self) -> &str {
        match self {
            KeypairType::Ssh => "ssh",
            KeypairType::X509 => "x509",
            KeypairType::Unknown(other) => other,
        }
    }
}

impl fmt::Display for KeypairType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KeypairType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KeypairType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "ssh" => KeypairType::Ssh,
            "x509" => KeypairType::X509,
            _ => KeypairType::Unknown(text),
        })
    }
}

/// The `{"keypair": {...}}` envelope (also each item of a list).
#[derive(Deserialize)]
pub(crate) struct KeypairEnvelope {
    pub(crate) keypair: Keypair,
}
