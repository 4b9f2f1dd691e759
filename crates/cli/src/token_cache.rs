//! The token cache: the token (and its catalog) of one cloud and scope, kept on disk between
//! runs, so that a second `fstack` command makes no request to Keystone at all.
//!
//! - Where: `$XDG_CACHE_HOME/fstack/` (else `~/.cache/fstack/`), a folder of mode 0700 holding
//!   a random key (`key`, 32 bytes, mode 0600, made on first use) and one file of mode 0600 per
//!   cloud and scope.
//! - Which file: the HMAC-SHA256, under the folder's key, of what decides the token (cloud
//!   name, auth URL, auth type, user or application credential, scope). The same value is
//!   written inside the file, so a renamed or foreign file is never taken for ours.
//! - Whose: beside the token, the HMAC-SHA256 of the same and the password (or
//!   application-credential secret) the token was got with. A command with other
//!   credentials (a mistyped password) does not match it, so it authenticates, and fails as
//!   it should, instead of riding on the cached token. The secret itself is never written:
//!   without the key, the file holds nothing to test a guessed password against.
//! - When: a token is used unless it is due for renewal ([`MARGIN`], or half its lifetime
//!   when that is shorter); the session replaces it when a service answers 401 (revoked),
//!   and the new one is written back.
//! - How: written to a temporary file in the same folder, then renamed over the old one, so a
//!   crash leaves the old file or the new one, never half of one. An unreadable, corrupt or
//!   foreign file is ignored (and replaced on the next write), never an error.
//! - Not cached: `auth_type: token` (the caller already holds a token) and `none`.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrostack::Secret;
use ferrostack::auth::Token;
use ferrostack::auth::{Auth, Credentials};
use ferrostack::config::AuthType;
use ferrostack::config::CloudConfig;
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A cached token is used only if it is not due for renewal this long before it expires (or
/// half its lifetime, for a short-lived one): a command should not start with a token about
/// to die.
pub const MARGIN: Duration = Duration::from_secs(120);

/// The format written in every file; anything else is not ours.
const FORMAT: &str = "fstack-token-cache/2";

/// The file holding the cache's key.
const KEY_FILE: &str = "key";

/// The cache's key: random, made once per cache folder.
type Key = [u8; 32];

/// One cloud's and scope's cache file.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
    /// What decides which token (no secret in it).
    identity: String,
    /// The password or application-credential secret the token is got with.
    secret: Secret,
}

/// What a cache file holds. The token's id is kept apart because the SDK's `Token`
/// serializes it redacted, on purpose.
#[derive(Serialize, Deserialize)]
struct Entry {
    format: String,
    /// The keyed hash of the identity: the file's name.
    key: String,
    /// The keyed hash of the identity and the secret.
    credentials: String,
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
        let (identity, secret) = identity(config)?;
        Some(Self {
            dir: dir.to_path_buf(),
            identity,
            secret,
        })
    }

    /// The folder this cache reads and writes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of this cloud and scope, once the folder has its key.
    pub fn path(&self) -> Option<PathBuf> {
        let key = read_key(&self.dir).ok()?;
        Some(self.file(&key))
    }

    fn file(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.json", self.name(key)))
    }

    /// The file's name: the keyed hash of the identity.
    fn name(&self, key: &Key) -> String {
        hex::encode(self.mac(key, "file").finalize().into_bytes())
    }

    /// The keyed hash of the identity and the secret, as it is stored.
    fn credentials(&self, key: &Key) -> String {
        let mut mac = self.mac(key, "credentials");
        mac.update(self.secret.expose().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `stored` is the keyed hash of this identity and secret (compared in
    /// constant time).
    fn same_credentials(&self, key: &Key, stored: &str) -> bool {
        let Ok(stored) = hex::decode(stored) else {
            return false;
        };
        let mut mac = self.mac(key, "credentials");
        mac.update(self.secret.expose().as_bytes());
        mac.verify_slice(&stored).is_ok()
    }

    /// An HMAC under `key` over `purpose` and the identity.
    fn mac(&self, key: &Key, purpose: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("{purpose}\n{}\n", self.identity).as_bytes());
        mac
    }

    /// The cached token, if there is one of ours, got with the same credentials, and not
    /// due for renewal. Anything else (no key or file, unreadable, corrupt, foreign, other
    /// credentials, expiring) is `None`.
    pub fn load(&self) -> Option<Token> {
        let key = read_key(&self.dir).ok()?;
        let path = self.file(&key);
        let text = fs::read(&path).ok()?;
        let entry: Entry = match serde_json::from_slice(&text) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "token cache unreadable; ignored");
                return None;
            }
        };
        if entry.format != FORMAT || entry.key != self.name(&key) || entry.token_id.is_empty() {
            tracing::debug!(path = %path.display(), "token cache of another kind; ignored");
            return None;
        }
        if !self.same_credentials(&key, &entry.credentials) {
            tracing::debug!(path = %path.display(), "cached token was got with other credentials; ignored");
            return None;
        }
        let mut token = entry.token;
        if token.expires_within(token.renewal_margin(MARGIN)) {
            tracing::debug!(expires_at = %token.expires_at, "cached token expires soon; ignored");
            return None;
        }
        token.id = entry.token_id.into();
        tracing::debug!(expires_at = %token.expires_at, "using the cached token");
        Some(token)
    }

    /// Writes `token` atomically: a private temporary file in the same folder, renamed over
    /// the old one. The folder (mode 0700) and its key are made when missing.
    pub fn store(&self, token: &Token) -> std::io::Result<()> {
        let dir = &self.dir;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // An existing folder may have been made with the umask's mode: tighten it.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let key = key(dir)?;
        let name = self.name(&key);
        let entry = Entry {
            format: FORMAT.to_owned(),
            key: name.clone(),
            credentials: self.credentials(&key),
            token_id: token.id.expose().to_owned(),
            token: token.clone(),
        };
        let body = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = write_private(&temp, &body).and_then(|()| fs::rename(&temp, self.file(&key)));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// Writes `body` to a new file of mode 0600 at `path`, synced.
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // A leftover temporary file of a crashed run keeps its mode: set it again.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(body)?;
    file.sync_all()
}

/// The folder's key, when it has one.
fn read_key(dir: &Path) -> std::io::Result<Key> {
    let bytes = fs::read(dir.join(KEY_FILE))?;
    bytes
        .try_into()
        .map_err(|_| std::io::Error::other("the token cache key is not 32 bytes"))
}

/// The folder's key, made when missing. A new key is written to a temporary file and
/// hard-linked into place, which fails if another command made one first: then that one
/// is used, so two commands starting together agree on the key.
fn key(dir: &Path) -> std::io::Result<Key> {
    match read_key(dir) {
        Ok(key) => return Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        // A damaged key only orphans the files made with it: replace it.
        Err(_) => fs::remove_file(dir.join(KEY_FILE))?,
    }
    let mut key = Key::default();
    rand::fill(&mut key);
    let temp = dir.join(format!(".key.{}.tmp", std::process::id()));
    let linked = write_private(&temp, &key).and_then(|()| fs::hard_link(&temp, dir.join(KEY_FILE)));
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(dir),
        Err(e) => Err(e),
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

/// What decides which token a configuration gets (never a secret), and the secret it is
/// got with; `None` for authentications that are not cached.
fn identity(config: &CloudConfig) -> Option<(String, Secret)> {
    if matches!(config.auth_type, AuthType::None | AuthType::Token) {
        return None;
    }
    let auth = Auth::from_config(config).ok()??;
    // `Debug` of these types names users, credentials and scopes; secrets inside print as
    // `<redacted>`, and none of them is included here anyway.
    let (who, secret) = match &auth.credentials {
        Credentials::Password { user, password } => (format!("password {user:?}"), password),
        Credentials::ApplicationCredential { credential, secret } => {
            (format!("application_credential {credential:?}"), secret)
        }
        _ => return None,
    };
    let identity = format!(
        "cloud={}\nauth_url={}\nidentity={who}\nscope={:?}\n",
        config.name.as_deref().unwrap_or(""),
        config.auth.auth_url.as_deref().unwrap_or(""),
        auth.scope,
    );
    Some((identity, secret.clone()))
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

    /// The cache of `config` in `dir`.
    fn cache(dir: &Path, config: &CloudConfig) -> TokenCache {
        TokenCache::in_dir(dir, config).unwrap()
    }

    #[test]
    fn files_follow_user_and_scope_and_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let demo = cache(dir.path(), &config("demo", "demo"));
        assert_eq!(demo.path(), None, "no key yet, so no file");
        demo.store(&token("t", 3600)).unwrap();
        let path = demo.path().unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(name.len(), 64);
        let other = |user: &str, project: &str| cache(dir.path(), &config(user, project)).path();
        assert_ne!(other("admin", "demo"), Some(path.clone()));
        assert_ne!(other("demo", "other"), Some(path.clone()));
        let mut changed = config("demo", "demo");
        changed.auth.password = Some("changed".into());
        assert_eq!(cache(dir.path(), &changed).path(), Some(path));
        let mut token_auth = config("demo", "demo");
        token_auth.auth_type = AuthType::Token;
        token_auth.auth.token = Some("t".into());
        assert!(TokenCache::in_dir(dir.path(), &token_auth).is_none());
    }

    #[test]
    fn a_token_got_with_another_password_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        cache(dir.path(), &config("demo", "demo"))
            .store(&token("tok", 3600))
            .unwrap();
        let mut wrong = config("demo", "demo");
        wrong.auth.password = Some("hunter3".into());
        assert!(cache(dir.path(), &wrong).load().is_none());
        assert_eq!(
            cache(dir.path(), &config("demo", "demo"))
                .load()
                .unwrap()
                .id
                .expose(),
            "tok"
        );
    }

    #[test]
    fn the_key_is_private_random_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("fstack");
        cache(&folder, &config("demo", "demo"))
            .store(&token("t", 3600))
            .unwrap();
        let key = fs::read(folder.join(KEY_FILE)).unwrap();
        assert_eq!(key.len(), 32);
        assert_ne!(key, vec![0u8; 32]);
        let mode = fs::metadata(folder.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        cache(&folder, &config("admin", "admin"))
            .store(&token("u", 3600))
            .unwrap();
        assert_eq!(fs::read(folder.join(KEY_FILE)).unwrap(), key, "made once");
        // Another folder, another key: its files are named differently.
        let elsewhere = dir.path().join("elsewhere");
        let there = cache(&elsewhere, &config("demo", "demo"));
        there.store(&token("t", 3600)).unwrap();
        assert_ne!(
            there.path().unwrap().file_name(),
            cache(&folder, &config("demo", "demo"))
                .path()
                .unwrap()
                .file_name()
        );
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
        assert_eq!(mode(&cache.path().unwrap()), 0o600);
        let mut left: Vec<String> = fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left.len(),
            2,
            "the key and the file, no temporary file: {left:?}"
        );
        assert_eq!(left[1], KEY_FILE);
    }

    #[test]
    fn expiring_corrupt_and_foreign_files_are_ignored_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::in_dir(dir.path(), &config("demo", "demo")).unwrap();
        let mut soon = token("soon", 60);
        soon.issued_at = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3600));
        cache.store(&soon).unwrap();
        assert!(cache.load().is_none(), "expires within the margin");
        // A short-lived token is good for half its life.
        cache.store(&token("short", 60)).unwrap();
        assert_eq!(cache.load().unwrap().id.expose(), "short");
        let path = cache.path().unwrap();
        fs::write(&path, b"{\"format\": trunc").unwrap();
        assert!(cache.load().is_none(), "corrupt");
        let other = TokenCache::in_dir(dir.path(), &config("admin", "admin")).unwrap();
        other.store(&token("admins", 3600)).unwrap();
        fs::copy(other.path().unwrap(), &path).unwrap();
        assert!(cache.load().is_none(), "another key's file");
        cache.store(&token("fresh", 3600)).unwrap();
        assert_eq!(cache.load().unwrap().id.expose(), "fresh");
    }

    #[test]
    fn the_file_never_holds_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::in_dir(dir.path(), &config("demo", "demo")).unwrap();
        cache.store(&token("tok", 3600)).unwrap();
        let text = fs::read_to_string(cache.path().unwrap()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        let bare = hex::encode(<Sha256 as sha2::Digest>::digest(b"hunter2"));
        assert!(!text.contains(&bare), "{text}");
    }
}
