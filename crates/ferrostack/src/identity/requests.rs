//! Every Keystone operation as a plain [`Request`], before anything is sent.

use crate::auth::Auth;
use crate::request::{Request, ServiceType, segment};
use crate::secret::Secret;

/// `POST /auth/tokens`: a new token for `auth` (the body carries the secret).
pub fn issue(auth: &Auth) -> Request {
    auth.token_request()
}

/// `GET /auth/tokens`: the details of `token` (`X-Subject-Token`), catalog included unless
/// `nocatalog`.
pub fn validate(token: &Secret, nocatalog: bool) -> Request {
    let request = Request::get(ServiceType::Identity, "/auth/tokens")
        .header("X-Subject-Token", token.expose());
    if nocatalog {
        request.query("nocatalog", "")
    } else {
        request
    }
}

/// `HEAD /auth/tokens`: whether `token` is valid.
pub fn check(token: &Secret) -> Request {
    Request::head(ServiceType::Identity, "/auth/tokens").header("X-Subject-Token", token.expose())
}

/// `DELETE /auth/tokens`: revokes `token`.
pub fn revoke(token: &Secret) -> Request {
    Request::delete(ServiceType::Identity, "/auth/tokens").header("X-Subject-Token", token.expose())
}

/// `GET /auth/catalog`: the catalog of the caller's token.
pub fn catalog() -> Request {
    Request::get(ServiceType::Identity, "/auth/catalog")
}

/// `GET /users/{id}`.
pub fn user(id: &str) -> Request {
    Request::get(ServiceType::Identity, format!("/users/{}", segment(id)))
}

/// `GET /projects/{id}`.
pub fn project(id: &str) -> Request {
    Request::get(ServiceType::Identity, format!("/projects/{}", segment(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Credentials, DomainRef, ProjectRef, Scope, UserRef};

    fn snap(request: &Request) -> serde_json::Value {
        serde_json::to_value(request.redacted()).unwrap()
    }

    #[test]
    fn issue_request() {
        let auth = Auth {
            credentials: Credentials::Password {
                user: UserRef::Name {
                    name: "demo".into(),
                    domain: DomainRef::Name("Default".into()),
                },
                password: "hunter2".into(),
            },
            scope: Scope::Project(ProjectRef::Id("p-1".into())),
        };
        let text = snap(&issue(&auth)).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        insta::assert_json_snapshot!(snap(&issue(&auth)));
    }

    #[test]
    fn token_requests_redact_the_subject_token() {
        let token = Secret::new("gAAAA-subject");
        for request in [
            validate(&token, false),
            validate(&token, true),
            check(&token),
            revoke(&token),
        ] {
            let text = format!("{} {request:?}", snap(&request));
            assert!(!text.contains("gAAAA"), "{text}");
        }
        insta::assert_json_snapshot!("validate", snap(&validate(&token, false)));
        insta::assert_json_snapshot!("validate_nocatalog", snap(&validate(&token, true)));
        insta::assert_json_snapshot!("check", snap(&check(&token)));
        insta::assert_json_snapshot!("revoke", snap(&revoke(&token)));
    }

    #[test]
    fn catalog_user_project_requests() {
        insta::assert_json_snapshot!("catalog", snap(&catalog()));
        insta::assert_json_snapshot!("user", snap(&user("9f2e/x y")));
        insta::assert_json_snapshot!("project", snap(&project("6b1c")));
    }
}
