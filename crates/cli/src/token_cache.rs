//! The token cache: the token (and its catalog) of one cloud and scope, kept on disk between
//! runs, so that a second `fstack` command makes no request to Keystone at all.
//!
//! - Where: `$XDG_CACHE_HOME/fstack/` (else `~/.cache/fstack/`), a folder of mode 0700 holding
//!   one file of mode 0600 per cloud and scope.
//! - Which file: the SHA-256 of what decides the token (cloud name, auth URL, auth type, user or
//!   application credential, scope), never of a password or secret. The same key is written
//!   inside the file, so a renamed or foreign file is never taken for ours.
//! - When: a token is used if it does not expire within [`MARGIN`]; the session replaces it
//!   when a service answers 401 (revoked), and the new one is written back.
//! - How: written to a temporary file in the same folder, then renamed over the old one, so a
//!   crash leaves the old file or the new one, never half of one. An unreadable, corrupt or
//!   foreign file is ignored (and replaced on the next write), never an error.
//! - Not cached: `auth_type: token` (the caller already holds a token) and `none`.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrostack::auth::Token;
use ferrostack::auth::{Auth, Credentials};
use ferrostack::config::AuthType;
use ferrostack::config::CloudConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A cached token is used only if it is still valid this long from now: the SDK renews tokens
/// this close to expiry anyway, and a command should not start with a token about to die.
pub const MARGIN: Duration = Duration::from_secs(120);

/// The format written in every file; anything else is not ours.
const FORMAT: &str = "fstack-token-cache/1";

/// One cloud's and scope's cache file.
#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
    key: String,
}

/// What a cache file holds. The token's id is kept apart because the SDK's `Token`
/// serializes it redacted, on purpose.
#[derive(Serialize, Deserialize)]
struct Entry {
    format: String,
    key: String,
    token_id: String,
    token: Token,
}

impl TokenCache {
    /// The cache for `config`, in the folder the environment names; `None` when its
    /// authentication is not worth caching or no cache folder can be found.
    pub fn for_config(config: &CloudConfig) -> Option<Self> {
        Self::in_dir(&default_dir()?, config)
    }

    /// The cache for `config` in `dir` (tests choose the folder).
    pub fn in_dir(dir: &Path, config: &CloudConfig) -> Option<Self> {
        let key = cache_key(config)?;
        Some(Self {
            path: dir.join(format!("{key}.json")),
            key,
        })
    }

    /// The file this cache reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached token, if there is one of ours that is valid for at least [`MARGIN`].
    /// Anything else (no file, unreadable, corrupt, foreign, expiring) is `None`.
    pub fn load(&self) -> Option<Token> {
        let text = fs::read(&self.path).ok()?;
        let entry: Entry = match serde_json::from_slice(&text) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::debug!(path = %self.path.display(), error = %e, "token cache unreadable; ignored");
                return None;
            }
        };
        if entry.format != FORMAT || entry.key != self.key || entry.token_id.is_empty() {
            tracing::debug!(path = %self.path.display(), "token cache of another kind; ignored");
            return None;
        }
        let mut token = entry.token;
        if token.expires_within(MARGIN) {
            tracing::debug!(expires_at = %token.expires_at, "cached token expires soon; ignored");
            return None;
        }
        token.id = entry.token_id.into();
        tracing::debug!(expires_at = %token.expires_at, "using the cached token");
        Some(token)
    }

    /// Writes `token` atomically: a private temporary file in the same folder, renamed over
    /// the old one. The folder is made (mode 0700) when missing.
    pub fn store(&self, token: &Token) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // An existing folder may have been made with the umask's mode: tighten it.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let entry = Entry {
            format: FORMAT.to_owned(),
            key: self.key.clone(),
            token_id: token.id.expose().to_owned(),
            token: token.clone(),
        };
        let body = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        let temp = dir.join(format!(".{}.{}.tmp", self.key, std::process::id()));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)?;
            // A leftover temporary file of a crashed run keeps its mode: set it again.
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            file.write_all(&body)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// `$XDG_CACHE_HOME/fstack` when that is an absolute path (as the XDG spec asks), else
/// `$HOME/.cache/fstack`.
fn default_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(dir) => dir,
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("fstack"))
}

/// The hex SHA-256 of what decides which token a configuration gets; `None` for
/// authentications that are not cached. Secrets are never part of it.
fn cache_key(config: &CloudConfig) -> Option<String> {
    if matches!(config.auth_type, AuthType::None | AuthType::Token) {
        return None;
    }
    let auth = Auth::from_config(config).ok()??;
    // `Debug` of these types names users, credentials and scopes; secrets inside print as
    // `<redacted>`, and none of them is included here anyway.
    let who = match &auth.credentials {
        Credentials::Password { user, .. } => format!("password {user:?}"),
        Credentials::ApplicationCredential { credential, .. } => {
            format!("application_credential {credential:?}")
        }
        _ => return None,
    };
    let material = format!(
        "cloud={}\nauth_url={}\nidentity={who}\nscope={:?}\n",
        config.name.as_deref().unwrap_or(""),
        config.auth.auth_url.as_deref().unwrap_or(""),
        auth.scope,
    );
    Some(hex::encode(Sha256::digest(material.as_bytes())))
}

#[cfg(test)]
mod tests {
    use ferrostack::config::AuthConfig;

    use super::*;

    fn config(user: &str, project: &str) -> CloudConfig {
        CloudConfig {
            name: Some("mock".into()),
            auth_type: AuthType::Password,
            auth: AuthConfig {
                auth_url: Some("http://k/v3".into()),
                username: Some(user.into()),
                password: Some("hunter2".into()),
                user_domain_id: Some("default".into()),
                project_name: Some(project.into()),
                project_domain_id: Some("default".into()),
                ..AuthConfig::default()
            },
            ..CloudConfig::new()
        }
    }

    fn token(id: &str, valid_for_secs: i64) -> Token {
        let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(valid_for_secs);
        let mut token: Token = serde_json::from_value(serde_json::json!({
            "expires_at": expires.to_string(),
            "issued_at": jiff::Timestamp::now().to_string(),
            "methods": ["password"],
            "user": {"id": "u1", "name": "demo", "domain": {"id": "default"}},
            "project": {"id": "p1", "name": "demo"},
            "catalog": [{"type": "compute", "name": "nova", "id": "c", "endpoints": [
                {"id": "e", "interface": "public", "region": "RegionOne", "url": "http://n/v2.1"}]}],
        }))
        .unwrap();
        token.id = id.into();
        token
    }

    #[test]
    fn keys_follow_user_and_scope_but_not_the_password() {
        let a = cache_key(&config("demo", "demo")).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, cache_key(&config("admin", "demo")).unwrap());
        assert_ne!(a, cache_key(&config("demo", "other")).unwrap());
        let mut other_password = config("demo", "demo");
        other_password.auth.password = Some("changed".into());
        assert_eq!(a, cache_key(&other_password).unwrap());
        let mut token_auth = config("demo", "demo");
        token_auth.auth_type = AuthType::Token;
        token_auth.auth.token = Some("t".into());
        assert_eq!(cache_key(&token_auth), None);
    }

    #[test]
    fn a_stored_token_comes_back_with_its_id_and_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("fstack");
        let cache = TokenCache::in_dir(&folder, &config("demo", "demo")).unwrap();
        assert!(cache.load().is_none());
        let saved = token("tok-1", 3600);
        cache.store(&saved).unwrap();
        let loaded = cache.load().unwrap();
        assert_eq!(loaded.id.expose(), "tok-1");
        assert_eq!(loaded.catalog, saved.catalog);
        assert_eq!(loaded.expires_at, saved.expires_at);
        assert_eq!(loaded.project_id(), Some("p1"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(cache.path()), 0o600);
        let leftovers: Vec<_> = fs::read_dir(&folder).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn expiring_corrupt_and_foreign_files_are_ignored_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::in_dir(dir.path(), &config("demo", "demo")).unwrap();
        cache.store(&token("soon", 60)).unwrap();
        assert!(cache.load().is_none(), "expires within the margin");
        fs::write(cache.path(), b"{\"format\": trunc").unwrap();
        assert!(cache.load().is_none(), "corrupt");
        let other = TokenCache::in_dir(dir.path(), &config("admin", "admin")).unwrap();
        other.store(&token("admins", 3600)).unwrap();
        fs::copy(other.path(), cache.path()).unwrap();
        assert!(cache.load().is_none(), "another key's file");
        cache.store(&token("fresh", 3600)).unwrap();
        assert_eq!(cache.load().unwrap().id.expose(), "fresh");
    }

    #[test]
    fn the_file_never_holds_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::in_dir(dir.path(), &config("demo", "demo")).unwrap();
        cache.store(&token("tok", 3600)).unwrap();
        let text = fs::read_to_string(cache.path()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }
}
