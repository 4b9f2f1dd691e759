//! The identity admin calls against the mock cloud's Keystone (which never imports this
//! SDK): a domain, its project, a user and a group, roles granted every way, the
//! assignments Keystone reports, implied roles, and the catalog's regions, services and
//! endpoints, from create to delete.

use ferrostack::ErrorKind;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::identity::{Actor, Grant, IdentityClient, Target};
use ferrostack::session::{RetryPolicy, Session};
use mock_cloud::MockCloud;

fn admin(cloud: &MockCloud) -> IdentityClient {
    let config = CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(cloud.auth_url()),
            username: Some("admin".into()),
            password: Some("admin".into()),
            user_domain_name: Some("Default".into()),
            project_name: Some("admin".into()),
            project_domain_name: Some("Default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    };
    IdentityClient::new(
        Session::builder(config)
            .retry(RetryPolicy::none())
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn domains_projects_users_groups_and_grants() {
    let cloud = MockCloud::start().await.unwrap();
    let id = admin(&cloud);
    let domain = id
        .domains()
        .create("acme")
        .description("Acme")
        .send()
        .await
        .unwrap();
    let err = id.domains().create("acme").send().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict, "{err}");
    let project = id
        .projects()
        .create("web")
        .domain_id(&domain.id)
        .tags(vec!["a".to_owned()])
        .send()
        .await
        .unwrap();
    assert_eq!(project.domain_id.as_deref(), Some(domain.id.as_str()));
    // The same name in another domain is another project.
    let other = id.projects().create("web").send().await.unwrap();
    assert_ne!(other.id, project.id);
    let found = id.projects().find("web", Some(&domain.id)).await.unwrap();
    assert_eq!(found.id, project.id);
    let several = id.projects().find("web", None).await.unwrap_err();
    assert_eq!(several.kind(), &ErrorKind::Lookup, "{several}");

    let user = id
        .users()
        .create("alice")
        .domain_id(&domain.id)
        .password("s3cret-Pw")
        .email("alice@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    let user = id
        .users()
        .update(&user.id)
        .enabled(false)
        .send()
        .await
        .unwrap();
    assert!(!user.enabled);
    let group = id
        .groups()
        .create("ops")
        .domain_id(&domain.id)
        .send()
        .await
        .unwrap();
    id.groups().add_user(&group.id, &user.id).await.unwrap();
    assert!(
        id.groups()
            .contains_user(&group.id, &user.id)
            .await
            .unwrap()
    );
    assert_eq!(id.groups().users(&group.id).await.unwrap().len(), 1);
    assert_eq!(id.users().groups(&user.id).await.unwrap()[0].id, group.id);

    let role = id.roles().create("auditor").send().await.unwrap();
    let reader = id.roles().find("reader", None).await.unwrap();
    let on_project = Grant::new(
        &role.id,
        Actor::User(user.id.clone()),
        Target::Project(project.id.clone()),
    );
    let inherited = Grant::new(
        &role.id,
        Actor::Group(group.id.clone()),
        Target::Domain(domain.id.clone()),
    )
    .inherited(true);
    let system = Grant::new(&role.id, Actor::User(user.id.clone()), Target::System);
    for grant in [&on_project, &inherited, &system] {
        assert!(!id.roles().check(grant).await.unwrap(), "{grant:?}");
        id.roles().grant(grant).await.unwrap();
        assert!(id.roles().check(grant).await.unwrap(), "{grant:?}");
    }
    let mine = id
        .role_assignments()
        .user_id(&user.id)
        .include_names()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let inherited_ones = id
        .role_assignments()
        .inherited()
        .collect_all()
        .await
        .unwrap();
    assert!(inherited_ones.iter().all(|a| a.is_inherited()));
    assert_eq!(inherited_ones.len(), 1);

    let rule = id
        .roles()
        .create_implied(&role.id, &reader.id)
        .await
        .unwrap();
    assert_eq!(rule.implies.id, reader.id);
    let rules = id.roles().inferences().await.unwrap();
    assert!(rules.iter().any(|r| r.prior_role.id == role.id));
    id.roles()
        .delete_implied(&role.id, &reader.id)
        .await
        .unwrap();

    for grant in [&on_project, &inherited, &system] {
        id.roles().revoke(grant).await.unwrap();
    }
    let err = id.roles().revoke(&on_project).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    id.groups().remove_user(&group.id, &user.id).await.unwrap();
    id.groups().delete(&group.id).await.unwrap();
    id.users().delete(&user.id).await.unwrap();
    id.roles().delete(&role.id).await.unwrap();
    id.projects().delete(&project.id).await.unwrap();
    let err = id.projects().get(&project.id).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // An enabled domain cannot be deleted.
    let err = id.domains().delete(&domain.id).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Forbidden, "{err}");
    id.domains()
        .update(&domain.id)
        .enabled(false)
        .send()
        .await
        .unwrap();
    id.domains().delete(&domain.id).await.unwrap();
}

#[tokio::test]
async fn regions_services_and_endpoints() {
    let cloud = MockCloud::start().await.unwrap();
    let id = admin(&cloud);
    let region = id
        .regions()
        .create("RegionTwo")
        .description("two")
        .send()
        .await
        .unwrap();
    assert_eq!(region.id, "RegionTwo");
    let service = id
        .services()
        .create("metering")
        .name("ceilometer")
        .send()
        .await
        .unwrap();
    assert_eq!(
        id.services().find("ceilometer").await.unwrap().id,
        service.id
    );
    let endpoint = id
        .endpoints()
        .create(&service.id, "public", "http://metering.example/v2")
        .region_id("RegionTwo")
        .send()
        .await
        .unwrap();
    let listed = id
        .endpoints()
        .list()
        .service_id(&service.id)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].region_id.as_deref(), Some("RegionTwo"));
    let endpoint = id
        .endpoints()
        .update(&endpoint.id)
        .enabled(false)
        .send()
        .await
        .unwrap();
    assert!(!endpoint.enabled);
    id.endpoints().delete(&endpoint.id).await.unwrap();
    id.services().delete(&service.id).await.unwrap();
    id.regions().delete("RegionTwo").await.unwrap();
    let err = id.regions().get("RegionTwo").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
