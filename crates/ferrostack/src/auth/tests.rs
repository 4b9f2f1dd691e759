//! The request bodies of every way to authenticate, and the errors of incomplete configs.

use super::*;
use crate::config::AuthConfig;

fn config(auth_type: AuthType, auth: AuthConfig) -> CloudConfig {
    CloudConfig {
        name: Some("devstack".into()),
        auth_type,
        auth,
        ..CloudConfig::new()
    }
}

fn snapshot(auth: &Auth) -> Value {
    serde_json::to_value(auth.token_request().redacted()).unwrap()
}

#[test]
fn password_by_name_project_by_name() {
    let c = config(
        AuthType::Password,
        AuthConfig {
            username: Some("admin".into()),
            password: Some("hunter2".into()),
            user_domain_name: Some("Default".into()),
            project_name: Some("admin".into()),
            project_domain_id: Some("default".into()),
            ..Default::default()
        },
    );
    let auth = Auth::from_config(&c).unwrap().unwrap();
    let req = auth.token_request();
    let crate::request::Body::Json(body) = &req.body else {
        panic!("no body")
    };
    assert_eq!(
        body["auth"]["identity"]["password"]["user"]["password"],
        "hunter2"
    );
    insta::assert_json_snapshot!(snapshot(&auth));
}

#[test]
fn password_by_id_domain_scope() {
    let c = config(
        AuthType::Password,
        AuthConfig {
            user_id: Some("u-1".into()),
            password: Some("hunter2".into()),
            domain_name: Some("Default".into()),
            ..Default::default()
        },
    );
    insta::assert_json_snapshot!(snapshot(&Auth::from_config(&c).unwrap().unwrap()));
}

#[test]
fn password_defaults_fill_domains_and_system_scope_wins() {
    let c = config(
        AuthType::Password,
        AuthConfig {
            username: Some("admin".into()),
            password: Some("hunter2".into()),
            default_domain_id: Some("default".into()),
            project_name: Some("admin".into()),
            system_scope: Some("all".into()),
            ..Default::default()
        },
    );
    let auth = Auth::from_config(&c).unwrap().unwrap();
    assert_eq!(auth.scope, Scope::System);
    insta::assert_json_snapshot!(snapshot(&auth));
    let c = config(
        AuthType::Password,
        AuthConfig {
            system_scope: None,
            ..c.auth
        },
    );
    let auth = Auth::from_config(&c).unwrap().unwrap();
    assert_eq!(
        auth.scope,
        Scope::Project(ProjectRef::Name {
            name: "admin".into(),
            domain: DomainRef::Id("default".into())
        })
    );
}

#[test]
fn token_unscoped() {
    let c = config(
        AuthType::Token,
        AuthConfig {
            token: Some("gAAAA-existing".into()),
            ..Default::default()
        },
    );
    insta::assert_json_snapshot!(snapshot(&Auth::from_config(&c).unwrap().unwrap()));
}

#[test]
fn application_credentials_never_carry_a_scope() {
    let c = config(
        AuthType::ApplicationCredential,
        AuthConfig {
            application_credential_id: Some("ac-1".into()),
            application_credential_secret: Some("s3cr3t".into()),
            project_id: Some("p-1".into()),
            ..Default::default()
        },
    );
    let auth = Auth::from_config(&c).unwrap().unwrap();
    assert_eq!(auth.scope, Scope::Unscoped);
    insta::assert_json_snapshot!("application_credential_by_id", snapshot(&auth));
    let c = config(
        AuthType::ApplicationCredential,
        AuthConfig {
            application_credential_name: Some("ci".into()),
            application_credential_secret: Some("s3cr3t".into()),
            username: Some("demo".into()),
            user_domain_id: Some("default".into()),
            ..Default::default()
        },
    );
    insta::assert_json_snapshot!(
        "application_credential_by_name",
        snapshot(&Auth::from_config(&c).unwrap().unwrap())
    );
}

#[test]
fn none_needs_no_credentials() {
    let c = config(AuthType::None, AuthConfig::default());
    assert_eq!(Auth::from_config(&c).unwrap(), None);
}

#[test]
fn missing_pieces_name_the_cloud_and_key() {
    let cases = [
        (
            AuthType::Password,
            AuthConfig {
                username: Some("admin".into()),
                user_domain_name: Some("Default".into()),
                ..Default::default()
            },
            "auth.password",
        ),
        (
            AuthType::Password,
            AuthConfig {
                username: Some("admin".into()),
                password: Some("x".into()),
                ..Default::default()
            },
            "auth.user_domain_name",
        ),
        (
            AuthType::Password,
            AuthConfig {
                user_id: Some("u".into()),
                password: Some("x".into()),
                project_name: Some("demo".into()),
                ..Default::default()
            },
            "auth.project_domain_name",
        ),
        (AuthType::Token, AuthConfig::default(), "auth.token"),
        (
            AuthType::ApplicationCredential,
            AuthConfig {
                application_credential_id: Some("ac".into()),
                ..Default::default()
            },
            "auth.application_credential_secret",
        ),
        (
            AuthType::ApplicationCredential,
            AuthConfig {
                application_credential_secret: Some("x".into()),
                ..Default::default()
            },
            "auth.application_credential_id",
        ),
    ];
    for (auth_type, auth, key) in cases {
        let err = Auth::from_config(&config(auth_type, auth)).unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::Config);
        assert!(err.message().contains(key), "{err}");
        assert!(err.message().contains("cloud devstack"), "{err}");
    }
}

#[test]
fn debug_never_shows_secrets() {
    let c = config(
        AuthType::ApplicationCredential,
        AuthConfig {
            application_credential_id: Some("ac-1".into()),
            application_credential_secret: Some("s3cr3t".into()),
            ..Default::default()
        },
    );
    let auth = Auth::from_config(&c).unwrap().unwrap();
    let text = format!("{auth:?} {:?}", auth.token_request());
    assert!(!text.contains("s3cr3t"), "{text}");
}
