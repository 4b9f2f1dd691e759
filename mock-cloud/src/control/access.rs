//! Who may drive the control plane. `/_mock/*` can make admins, read every user's requests
//! and wipe a persisted cloud, so it answers only
//! - a request carrying the control token (`Authorization: Bearer TOKEN`; made at start,
//!   printed by `mock-cloud serve`, written beside its clouds.yaml, and
//!   [`MockCloud::control_token`](crate::MockCloud::control_token) for an embedded cloud), or
//!   an admin token of this cloud's Keystone (`X-Auth-Token`);
//! - with a JSON body, if any: a web page can send `text/plain` or a form to localhost
//!   without asking, but not `application/json`;
//! - and seed images read files only from the folders the cloud was started with.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::control_error;
use crate::app::AppState;
use crate::cloud::seed::Seed;

/// The largest control-plane body (a seed of ten thousand images is about 1.5 MB).
pub(crate) const MAX_BODY: usize = 16 << 20;

/// The control token and the folders seed images may read from.
pub(crate) struct Access {
    token: String,
    seed_folders: Vec<PathBuf>,
}

impl Access {
    /// A fresh random token; `seed_folders` as given (each resolved once they are used).
    pub(crate) fn new(seed_folders: Vec<PathBuf>) -> Self {
        Self {
            token: crate::keystone::tokens::random_string(),
            seed_folders,
        }
    }

    /// The control token.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Whether `presented` is the control token, compared in constant time.
    fn is_token(&self, presented: &str) -> bool {
        let (a, b) = (self.token.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Refuses a seed sent over HTTP whose images read a file outside the allowed folders
    /// (names the image and the file); otherwise the seed, its files resolved, so that what
    /// was checked is what is read.
    pub(crate) fn check_seed_files(&self, mut seed: Seed) -> Result<Seed, (StatusCode, String)> {
        for image in &mut seed.images {
            let Some(file) = &image.file else { continue };
            let resolved = std::fs::canonicalize(file).map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!(
                        "seed image '{}': cannot open {}: {e}",
                        image.name,
                        file.display()
                    ),
                )
            })?;
            if !self
                .seed_folders
                .iter()
                .any(|folder| inside(&resolved, folder))
            {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "seed image '{}': {} is outside the folders seed files may come from over \
                     HTTP ({}); start the cloud with --seed-folder DIR (MockCloudBuilder::seed_folder) \
                     or seed it from the command line",
                        image.name,
                        file.display(),
                        if self.seed_folders.is_empty() {
                            "none".to_owned()
                        } else {
                            self.seed_folders
                                .iter()
                                .map(|f| f.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                ));
            }
            image.file = Some(resolved);
        }
        Ok(seed)
    }
}

/// Whether the resolved `path` lies under `folder` (resolved too: a symlinked folder counts
/// as where it points).
fn inside(path: &Path, folder: &Path) -> bool {
    std::fs::canonicalize(folder).is_ok_and(|folder| path.starts_with(folder))
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Who the request is, for the control plane: `Ok` for the control token or a Keystone admin.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|token| state.control.access.is_token(token.trim())) {
        return Ok(());
    }
    let keystone = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .and_then(|token| state.keystone.validate(token));
    match keystone {
        Some(caller) if caller.is_admin() => Ok(()),
        Some(_) => Err(control_error(
            StatusCode::FORBIDDEN,
            "The control plane takes the control token or an admin token; this token has no \
             admin role.",
        )),
        None => {
            let mut response = control_error(
                StatusCode::UNAUTHORIZED,
                "The control plane needs its token: `Authorization: Bearer TOKEN` (printed by \
                 mock-cloud serve and written beside its clouds.yaml; MockCloud::control_token \
                 for an embedded cloud), or `X-Auth-Token` with an admin token of this cloud.",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mock-cloud control plane\""),
            );
            Err(response)
        }
    }
}

/// The middleware in front of every `/_mock` route.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(refusal) = authorize(&state, request.headers()) {
        return refusal;
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        // axum's limit, or the client's stream failing (a stall past the idle timeout).
        Err(e) if e.to_string().contains("length limit") => {
            return control_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("A control-plane body is at most {MAX_BODY} bytes."),
            );
        }
        Err(e) => {
            return control_error(
                StatusCode::BAD_REQUEST,
                format!("Cannot read the request body: {e}"),
            );
        }
    };
    let typed_json = content_type.as_deref().is_some_and(is_json);
    if (content_type.is_some() || !bytes.is_empty()) && !typed_json {
        return control_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "The control plane takes JSON bodies only (Content-Type: application/json), not {}.",
                content_type
                    .as_deref()
                    .unwrap_or("a body without a Content-Type")
            ),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/Merge-Patch+JSON"));
        for other in [
            "text/plain",
            "application/yaml",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }

    #[test]
    fn the_token_compares_whole() {
        let access = Access::new(Vec::new());
        let token = access.token().to_owned();
        assert!(access.is_token(&token));
        assert!(!access.is_token(&token[..token.len() - 1]));
        assert!(!access.is_token(""));
        assert_ne!(
            Access::new(Vec::new()).token(),
            token,
            "a new token per cloud"
        );
    }

    #[test]
    fn seed_files_only_from_allowed_folders() {
        let allowed = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let inside_file = allowed.path().join("cirros.img");
        let outside_file = elsewhere.path().join("secret");
        std::fs::write(&inside_file, b"x").unwrap();
        std::fs::write(&outside_file, b"x").unwrap();
        // A link inside the folder to a file outside it is outside.
        let link = allowed.path().join("link");
        std::os::unix::fs::symlink(&outside_file, &link).unwrap();
        let seed = |file: &Path| {
            Seed::parse(
                &format!("images: [{{name: i, file: {}}}]", file.display()),
                false,
            )
            .unwrap()
        };
        let access = Access::new(vec![allowed.path().to_owned()]);
        let checked = access.check_seed_files(seed(&inside_file)).unwrap();
        assert_eq!(
            checked.images[0].file.as_deref(),
            Some(std::fs::canonicalize(&inside_file).unwrap().as_path())
        );
        for refused in [
            &outside_file,
            &link,
            &allowed
                .path()
                .join("../")
                .join(elsewhere.path().file_name().unwrap())
                .join("secret"),
        ] {
            let (status, err) = access.check_seed_files(seed(refused)).unwrap_err();
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert!(
                err.contains("seed image 'i'") && err.contains("outside"),
                "{err}"
            );
        }
        let (_, err) = Access::new(Vec::new())
            .check_seed_files(seed(Path::new("/etc/passwd")))
            .unwrap_err();
        assert!(
            err.contains("/etc/passwd") && err.contains("(none)"),
            "{err}"
        );
        let (status, _) = access
            .check_seed_files(seed(&allowed.path().join("missing")))
            .unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
