//! Keystone operations against a wiremock Keystone: token issue, validate, check, revoke,
//! the catalog, the current user and project.

mod session_support;

use ferrostack::identity::IdentityClient;
use ferrostack::{ErrorKind, Secret};
use session_support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

async fn identity(cloud: &Cloud) -> IdentityClient {
    IdentityClient::new(cloud.session(cloud.config()))
}

#[tokio::test]
async fn issue_returns_a_fresh_token_with_its_details() {
    let cloud = Cloud::start().await;
    let identity = identity(&cloud).await;
    let current = identity.tokens().current().await.unwrap();
    let issued = identity.tokens().issue().await.unwrap();
    assert_eq!(current.id.expose(), token(1));
    assert_eq!(issued.id.expose(), token(2));
    assert_eq!(cloud.tokens_issued(), 2);
    assert_eq!(issued.user.id, "ee4dfb6e5540447cb3741905149d9b6e");
    assert_eq!(issued.user.name.as_deref(), Some("demo"));
    assert_eq!(
        issued.project_id(),
        Some("a6944d763bf64ee6a275f1263fae0352")
    );
    let roles: Vec<_> = issued
        .roles
        .iter()
        .filter_map(|r| r.name.as_deref())
        .collect();
    assert_eq!(roles, ["member", "reader"]);
    assert_eq!(issued.methods, ["password"]);
    assert!(issued.expires_at > jiff::Timestamp::now());
    assert_eq!(issued.catalog.len(), 3);
    // The session keeps using its own token.
    assert_eq!(
        identity.tokens().current().await.unwrap().id.expose(),
        token(1)
    );
    assert_no_secrets("a token's Debug", &format!("{issued:?}"));
    assert_no_secrets("a token's JSON", &serde_json::to_string(&issued).unwrap());
}

#[tokio::test]
async fn validate_check_and_revoke_send_the_subject_token() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    let subject = token(50);
    let body = fixture("token-project.json", &base)
        .replace("{{expires_at}}", "2099-01-01T00:00:00.000000Z");
    Mock::given(method("GET"))
        .and(path("/identity/v3/auth/tokens"))
        .and(header("x-subject-token", subject.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Subject-Token", subject.as_str())
                .set_body_raw(body, "application/json"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/identity/v3/auth/tokens"))
        .and(header("x-subject-token", subject.as_str()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&cloud.server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/identity/v3/auth/tokens"))
        .and(header("x-subject-token", token(51).as_str()))
        .respond_with(ResponseTemplate::new(404))
        .mount(&cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/identity/v3/auth/tokens"))
        .and(header("x-subject-token", subject.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .mount(&cloud.server)
        .await;
    let identity = identity(&cloud).await;
    let subject_secret = Secret::new(subject.clone());
    let validated = identity.tokens().validate(&subject_secret).await.unwrap();
    assert_eq!(validated.id, subject_secret);
    assert_eq!(validated.expires_at.to_string(), "2099-01-01T00:00:00Z");
    assert!(identity.tokens().check(&subject_secret).await.unwrap());
    assert!(!identity.tokens().check(&token(51).into()).await.unwrap());
    identity.tokens().revoke(&subject_secret).await.unwrap();
    for request in cloud.received_at("GET", "/identity/v3/auth/tokens").await {
        // The caller's own token authorises; the subject is the one looked at.
        assert_eq!(auth_token(&request), Some(token(1)));
    }
    assert_eq!(
        cloud
            .received_at("DELETE", "/identity/v3/auth/tokens")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn the_catalog_is_typed() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/auth/catalog"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("catalog.json", &cloud.uri()), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    let catalog = identity(&cloud).await.tokens().catalog().await.unwrap();
    let rows: Vec<_> = catalog
        .iter()
        .map(|e| (e.service_type.as_str(), e.name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(rows, [("identity", "keystone"), ("image", "glance")]);
    let glance = &catalog[1].endpoints[0];
    assert_eq!(glance.interface, "public");
    assert_eq!(glance.region_id.as_deref(), Some("RegionOne"));
    assert_eq!(glance.url, format!("{}/image", cloud.uri()));
}

#[tokio::test]
async fn current_user_and_project() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/identity/v3/users/ee4dfb6e5540447cb3741905149d9b6e"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("user.json", &base), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/identity/v3/projects/a6944d763bf64ee6a275f1263fae0352",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("project.json", &base), "application/json"),
        )
        .mount(&cloud.server)
        .await;
    let identity = identity(&cloud).await;
    let user = identity.users().current().await.unwrap();
    assert_eq!(user.name, "demo");
    assert_eq!(user.domain_id.as_deref(), Some("default"));
    assert_eq!(user.email.as_deref(), Some("demo@example.org"));
    let project = identity.projects().current().await.unwrap();
    assert_eq!(project.name, "demo");
    assert_eq!(project.description.as_deref(), Some("Demo project"));
    assert!(!project.is_domain);
}

#[tokio::test]
async fn an_unscoped_token_has_no_current_project() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    // Keystone answers an unscoped request with a token without project or catalog.
    let unscoped: serde_json::Value = {
        let mut v: serde_json::Value = serde_json::from_str(
            &fixture("token-project.json", &base)
                .replace("{{expires_at}}", "2099-01-01T00:00:00.000000Z"),
        )
        .unwrap();
        let token = v["token"].as_object_mut().unwrap();
        token.remove("project");
        token.remove("catalog");
        token.remove("roles");
        v
    };
    Mock::given(method("POST"))
        .and(path("/keystone/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", token(1).as_str())
                .set_body_json(unscoped),
        )
        .mount(&cloud.server)
        .await;
    let mut config = cloud.config();
    config.auth.auth_url = Some(format!("{base}/keystone/v3"));
    config.auth.project_name = None;
    let identity = IdentityClient::new(cloud.session(config));
    let err = identity.projects().current().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput);
    assert!(err.message().contains("not scoped to a project"), "{err}");
    // Without a catalog, Keystone itself is still reachable at the auth URL.
    assert_eq!(
        identity
            .session()
            .endpoint(&ferrostack::request::ServiceType::Identity)
            .await
            .unwrap()
            .as_str(),
        format!("{base}/keystone/v3")
    );
    let err = identity
        .session()
        .endpoint(&ferrostack::request::ServiceType::Image)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::EndpointNotFound);
    assert!(err.message().contains("no catalog"), "{err}");
}
