//! The session and the identity operations against the mock cloud's Keystone: a second,
//! independent implementation of the wire (it never imports this SDK).

use ferrostack::ErrorKind;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::identity::IdentityClient;
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::{RetryPolicy, Session};
use mock_cloud::MockCloud;

fn demo(auth_url: String) -> CloudConfig {
    CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(auth_url),
            username: Some("demo".into()),
            password: Some("demo".into()),
            user_domain_name: Some("Default".into()),
            project_name: Some("demo".into()),
            project_domain_name: Some("Default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    }
}

fn session(config: CloudConfig) -> Session {
    Session::builder(config)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn token_issue_and_catalog_list() {
    let cloud = MockCloud::start().await.unwrap();
    for auth_url in [cloud.auth_url(), format!("{}/identity", cloud.base_url())] {
        let identity = IdentityClient::new(session(demo(auth_url.clone())));
        let token = identity.tokens().issue().await.unwrap();
        assert_eq!(token.user.name.as_deref(), Some("demo"), "{auth_url}");
        assert_eq!(
            token.project.as_ref().and_then(|p| p.name.as_deref()),
            Some("demo")
        );
        assert!(token.expires_at > jiff::Timestamp::now());
        assert!(!token.roles.is_empty());
        let catalog = identity.tokens().catalog().await.unwrap();
        let types: Vec<&str> = catalog.iter().map(|e| e.service_type.as_str()).collect();
        for wanted in ["identity", "image", "compute"] {
            assert!(types.contains(&wanted), "{types:?}");
        }
        assert_eq!(
            identity
                .session()
                .endpoint(&ServiceType::Identity)
                .await
                .unwrap()
                .as_str(),
            cloud.auth_url()
        );
        let user = identity.users().current().await.unwrap();
        assert_eq!(user.name, "demo");
        let project = identity.projects().current().await.unwrap();
        assert_eq!(project.name, "demo");
    }
}

#[tokio::test]
async fn validate_check_revoke_and_recover_from_a_revoked_session_token() {
    let cloud = MockCloud::start().await.unwrap();
    let identity = IdentityClient::new(session(demo(cloud.auth_url())));
    let other = identity.tokens().issue().await.unwrap();
    let validated = identity.tokens().validate(&other.id).await.unwrap();
    assert_eq!(validated.user.id, other.user.id);
    assert_eq!(validated.audit_ids, other.audit_ids);
    assert!(identity.tokens().check(&other.id).await.unwrap());
    identity.tokens().revoke(&other.id).await.unwrap();
    assert!(!identity.tokens().check(&other.id).await.unwrap());

    // Revoke the session's own token: the next call sees a 401, re-authenticates once, and
    // succeeds with the new token.
    let own = identity.tokens().current().await.unwrap();
    identity.tokens().revoke(&own.id).await.unwrap();
    let catalog = identity.tokens().catalog().await.unwrap();
    assert!(!catalog.is_empty());
    let renewed = identity.tokens().current().await.unwrap();
    assert_ne!(renewed.id, own.id);
}

#[tokio::test]
async fn wrong_password_is_unauthorized_with_keystones_message() {
    let cloud = MockCloud::start().await.unwrap();
    let mut config = demo(cloud.auth_url());
    config.auth.password = Some("not-the-password".into());
    let err = session(config).token().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.service(), Some(&ServiceType::Identity));
    assert!(err.request_id().is_some(), "{err:?}");
    assert!(!err.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn unknown_routes_come_back_as_keystone_errors() {
    let cloud = MockCloud::start().await.unwrap();
    let session = session(demo(cloud.auth_url()));
    let err = session
        .send(Request::get(ServiceType::Identity, "/no-such-route"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(501));
    assert!(err.message().contains("/no-such-route"), "{err}");
    assert!(err.request_id().is_some_and(|id| id.starts_with("req-")));
}

#[tokio::test]
async fn a_clouds_yaml_entry_works_end_to_end() {
    let cloud = MockCloud::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clouds_yaml = format!(
        "clouds:\n  mock:\n    auth:\n      auth_url: {}\n      username: demo\n      password: demo\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: internal\n",
        cloud.auth_url()
    );
    std::fs::write(dir.path().join("clouds.yaml"), clouds_yaml).unwrap();
    let source = ferrostack::config::ConfigSource {
        current_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let config = ferrostack::config::load(&source, Some("mock")).unwrap();
    let sdk = ferrostack::Cloud::new(config).unwrap();
    let token = sdk.identity().tokens().issue().await.unwrap();
    assert_eq!(token.user.name.as_deref(), Some("demo"));
    // The image endpoint for the region and interface asked for.
    let image = sdk.session().endpoint(&ServiceType::Image).await.unwrap();
    assert!(image.as_str().ends_with("/image/v2"), "{image}");
    let entry = token
        .catalog
        .iter()
        .find(|e| e.service_type == "image")
        .unwrap();
    let chosen = entry
        .endpoints
        .iter()
        .find(|e| e.interface == "internal" && e.in_region("RegionOne"))
        .unwrap();
    assert!(
        image.as_str().starts_with(chosen.url.trim_end_matches('/')),
        "{image} is not under {}",
        chosen.url
    );
}
