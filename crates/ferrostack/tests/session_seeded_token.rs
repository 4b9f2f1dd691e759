//! A session started with a saved token (the CLI's token cache): it makes no token request
//! while the token is good, re-authenticates when a service rejects it, and never shows it.

use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::Session;
use mock_cloud::MockCloud;

fn config(cloud: &MockCloud) -> CloudConfig {
    CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(cloud.auth_url()),
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

/// How many `POST /auth/tokens` the cloud has answered.
fn token_requests(cloud: &MockCloud) -> usize {
    cloud
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/auth/tokens"))
        .count()
}

#[tokio::test]
async fn a_seeded_token_is_used_without_authenticating() {
    let cloud = MockCloud::start().await.unwrap();
    let first = Session::new(config(&cloud)).unwrap();
    assert!(
        first.cached_token().await.is_none(),
        "nothing before the first call"
    );
    let token = first.token().await.unwrap().unwrap();
    assert_eq!(token_requests(&cloud), 1);

    let builder = Session::builder(config(&cloud)).token((*token).clone());
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains(token.id.expose()),
        "the token in Debug: {shown}"
    );
    let second = builder.build().unwrap();
    second
        .send(Request::get(ServiceType::Compute, "/flavors"))
        .await
        .unwrap();
    assert_eq!(
        token_requests(&cloud),
        1,
        "the seeded token and its catalog sufficed"
    );
    let held = second.cached_token().await.unwrap();
    assert_eq!(held.id.expose(), token.id.expose());
}

#[tokio::test]
async fn a_rejected_seeded_token_is_replaced() {
    let cloud = MockCloud::start().await.unwrap();
    let first = Session::new(config(&cloud)).unwrap();
    let token = first.token().await.unwrap().unwrap();
    ferrostack::Cloud::from_session(first.clone())
        .identity()
        .tokens()
        .revoke(&token.id)
        .await
        .unwrap();

    let second = Session::builder(config(&cloud))
        .token((*token).clone())
        .build()
        .unwrap();
    second
        .send(Request::get(ServiceType::Compute, "/flavors"))
        .await
        .unwrap();
    let held = second.cached_token().await.unwrap();
    assert_ne!(
        held.id.expose(),
        token.id.expose(),
        "a fresh token replaced it"
    );
    assert_eq!(token_requests(&cloud), 2);
}
