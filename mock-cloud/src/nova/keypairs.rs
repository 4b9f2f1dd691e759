//! Keypairs, per user: import a public key, or (before 2.92) have one generated.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::microversion::Microversion;
use super::records;
use super::{ListQuery, bad_request, conflict, not_found, page, policy_forbids};
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::{Change, Table};
use crate::errors::ApiError;

/// A keypair.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Keypair {
    /// Its owner.
    pub(crate) user_id: String,
    /// Its name, unique per user.
    pub(crate) name: String,
    /// The OpenSSH public key line.
    pub(crate) public_key: String,
    /// MD5 of the key blob, colon-separated hex (as Nova shows it).
    pub(crate) fingerprint: String,
    /// `ssh` or `x509`.
    pub(crate) kind: String,
    /// When it was made.
    pub(crate) created_at: Timestamp,
}

impl Keypair {
    fn summary(&self, version: Microversion) -> Value {
        let mut v = json!({
            "name": self.name,
            "public_key": self.public_key,
            "fingerprint": self.fingerprint,
        });
        if version.at_least(2) {
            v["type"] = json!(self.kind);
        }
        v
    }
}

/// The colon-separated MD5 of an OpenSSH public key's blob, or why it is not one.
pub(crate) fn fingerprint(public_key: &str) -> Result<String, String> {
    let mut words = public_key.split_whitespace();
    let (Some(kind), Some(blob)) = (words.next(), words.next()) else {
        return Err("Keypair data is invalid: failed to generate fingerprint".to_owned());
    };
    let known =
        ["ssh-rsa", "ssh-ed25519", "ssh-dss"].contains(&kind) || kind.starts_with("ecdsa-sha2-");
    // The blob must decode and begin with its own (length-prefixed) key type, as Nova's
    // parse with `cryptography` demands; "ssh-rsa nonsense" is refused.
    let blob = STANDARD
        .decode(blob)
        .ok()
        .filter(|blob| known && names_its_type(blob, kind))
        .ok_or_else(|| "Keypair data is invalid: failed to generate fingerprint".to_owned())?;
    let digest = Md5::digest(&blob);
    Ok(digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// Whether an OpenSSH key blob starts with the string `kind`.
fn names_its_type(blob: &[u8], kind: &str) -> bool {
    let Some((len, rest)) = blob.split_first_chunk::<4>() else {
        return false;
    };
    let len = u32::from_be_bytes(*len) as usize;
    rest.get(..len) == Some(kind.as_bytes())
}

/// A new key pair as Nova's `crypto.generate_key_pair` makes one: RSA 2048, the private key
/// in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), the public key as an OpenSSH line ending in
/// `Generated-by-Nova`. A real key: ssh logs in with it.
fn generated() -> Result<(String, String), String> {
    use rsa::pkcs1::{EncodeRsaPrivateKey as _, LineEnding};
    use rsa::traits::PublicKeyParts as _;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .map_err(|err| format!("cannot generate a key pair: {err}"))?;
    let private = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|err| format!("cannot encode the key pair: {err}"))?;
    let mut blob = Vec::new();
    let mut put = |part: &[u8]| {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    };
    put(b"ssh-rsa");
    put(&mpint(&key.e().to_bytes_be()));
    put(&mpint(&key.n().to_bytes_be()));
    let public = format!("ssh-rsa {} Generated-by-Nova", STANDARD.encode(&blob));
    Ok((public, private.to_string()))
}

/// An SSH `mpint` of a positive big-endian number: a zero byte first when the top bit is set.
fn mpint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        Some(first) if first & 0x80 != 0 => [&[0u8][..], &trimmed].concat(),
        _ => trimmed,
    }
}

fn valid_name(name: &str, version: Microversion) -> bool {
    let extra: &[char] = if version.at_least(92) {
        &['_', '-', ' ', '@', '.']
    } else {
        &['_', '-', ' ']
    };
    !name.is_empty()
        && name.len() <= 255
        && !name.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// `GET /os-keypairs`; from 2.35 with `limit`/`marker` (a key name) and `keypairs_links`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let inner = state.nova.lock();
    let mine: Vec<&Keypair> = inner
        .keypairs
        .iter()
        .filter(|k| k.user_id == caller.user_id)
        .collect();
    let query = if version.at_least(35) {
        query
    } else {
        ListQuery::new()
    };
    let url = format!("{}/compute/v2.1/os-keypairs", state.base_url);
    let (items, next) = page(&mine, |k| k.name.as_str(), &query, &url)?;
    let keypairs: Vec<Value> = items
        .iter()
        .map(|k| json!({"keypair": k.summary(version)}))
        .collect();
    let mut out = json!({"keypairs": keypairs});
    if let Some(next) = next {
        out["keypairs_links"] = json!([{"rel": "next", "href": next}]);
    }
    Ok(axum::Json(out).into_response())
}

/// `POST /os-keypairs`: 200 before 2.2, 201 from 2.2.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !caller.can_write() {
        return Err(policy_forbids("os_compute_api:os-keypairs:create"));
    }
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| bad_request(format!("Malformed request body: {e}")))?;
    let keypair = body
        .get("keypair")
        .filter(|k| k.is_object())
        .ok_or_else(|| {
            bad_request(
                "Invalid input for field/attribute keypair. 'keypair' is a required property",
            )
        })?;
    let name = keypair.get("name").and_then(Value::as_str).ok_or_else(|| {
        bad_request("Invalid input for field/attribute name. 'name' is a required property")
    })?;
    if !valid_name(name, version) {
        return Err(bad_request(
            "Keypair data is invalid: Keypair name contains unsafe characters",
        ));
    }
    let kind = match keypair.get("type").and_then(Value::as_str) {
        Some(kind) if version.at_least(2) => {
            if kind != "ssh" && kind != "x509" {
                return Err(bad_request(format!(
                    "Invalid input for field/attribute type. Value: {kind}. '{kind}' is not one of ['ssh', 'x509']"
                )));
            }
            kind.to_owned()
        }
        _ => "ssh".to_owned(),
    };
    let (public_key, private_key) = match keypair.get("public_key").and_then(Value::as_str) {
        // Kept as sent, as Nova keeps it; the fingerprint is of the key itself.
        Some(key) => (key.to_owned(), None),
        None if version.at_least(92) => {
            return Err(bad_request(
                "Invalid input for field/attribute keypair. 'public_key' is a required property",
            ));
        }
        None => {
            let (public, private) = generated().map_err(bad_request)?;
            (public, Some(private))
        }
    };
    let fingerprint = fingerprint(&public_key).map_err(bad_request)?;
    let created = Keypair {
        user_id: caller.user_id.clone(),
        name: name.to_owned(),
        public_key,
        fingerprint,
        kind,
        created_at: Timestamp::now(),
    };
    {
        let mut inner = state.nova.lock();
        if inner
            .keypairs
            .iter()
            .any(|k| k.user_id == caller.user_id && k.name == name)
        {
            return Err(conflict(format!("Key pair '{name}' already exists.")));
        }
        state
            .nova
            .submit(records::put_keypair(Change::new(), &created));
        inner.keypairs.push(created.clone());
    }
    let mut out = created.summary(version);
    out["user_id"] = json!(caller.user_id);
    if let Some(private) = private_key {
        out["private_key"] = json!(private);
    }
    let status = if version.at_least(2) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(json!({"keypair": out}))).into_response())
}

/// `GET /os-keypairs/{name}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let inner = state.nova.lock();
    let (index, keypair) = inner
        .keypairs
        .iter()
        .enumerate()
        .find(|(_, k)| k.user_id == caller.user_id && k.name == name)
        .ok_or_else(|| {
            not_found(format!(
                "Keypair {name} not found for user {}",
                caller.user_id
            ))
        })?;
    let mut out = keypair.summary(version);
    out["user_id"] = json!(keypair.user_id);
    out["id"] = json!(index + 1);
    out["created_at"] = json!(
        keypair
            .created_at
            .strftime("%Y-%m-%dT%H:%M:%S.%6f")
            .to_string()
    );
    out["updated_at"] = Value::Null;
    out["deleted"] = json!(false);
    out["deleted_at"] = Value::Null;
    Ok(axum::Json(json!({"keypair": out})).into_response())
}

/// `DELETE /os-keypairs/{name}`: 202 before 2.2, 204 from 2.2.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if !caller.can_write() {
        return Err(policy_forbids("os_compute_api:os-keypairs:delete"));
    }
    let mut inner = state.nova.lock();
    let Some(index) = inner
        .keypairs
        .iter()
        .position(|k| k.user_id == caller.user_id && k.name == name)
    else {
        return Err(not_found(format!(
            "Keypair {name} not found for user {}",
            caller.user_id
        )));
    };
    let gone = inner.keypairs.remove(index);
    state
        .nova
        .submit(Change::new().delete(Table::NovaKeypairs, &records::keypair_key(&gone)));
    Ok(if version.at_least(2) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        super::accepted()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_a_fingerprint() {
        let (public, private) = generated().unwrap();
        assert!(public.starts_with("ssh-rsa ") && public.ends_with(" Generated-by-Nova"));
        assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert_eq!(mpint(&[0x00, 0x7f]), vec![0x7f]);
        assert_eq!(mpint(&[0x80]), vec![0x00, 0x80]);
        let fp = fingerprint(&public).unwrap();
        assert_eq!(fp.len(), 47);
        assert!(fingerprint("ssh-rsa not*base64").is_err());
        assert!(fingerprint("bogus AAAA").is_err());
        assert!(fingerprint("").is_err());
    }

    #[test]
    fn names() {
        assert!(valid_name("my key_1-a", Microversion(1)));
        assert!(!valid_name("a/b", Microversion(1)));
        assert!(!valid_name("a@b.c", Microversion(2)));
        assert!(valid_name("a@b.c", Microversion(92)));
        assert!(!valid_name("  ", Microversion(2)));
    }
}
