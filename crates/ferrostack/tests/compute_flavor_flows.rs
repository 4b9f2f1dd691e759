//! Flavor writes through the compute client against the mock cloud: an admin creates a
//! private flavor, gives a project access, sets and removes extra specs, describes and
//! deletes it; a member is refused and sees the flavor only once given access.

use std::collections::BTreeMap;

use ferrostack::compute::Microversion;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::{Cloud, ErrorKind};
use mock_cloud::MockCloud;

fn login(mock: &MockCloud, user: &str, project: &str) -> Cloud {
    let config = CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(mock.auth_url()),
            username: Some(user.into()),
            password: Some(user.into()),
            user_domain_id: Some("default".into()),
            project_name: Some(project.into()),
            project_domain_id: Some("default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    };
    Cloud::new(config).expect("a session")
}

#[tokio::test]
async fn an_admin_manages_a_private_flavor_end_to_end() {
    let mock = MockCloud::start().await.expect("the mock cloud starts");
    let admin = login(&mock, "admin", "admin").compute();
    let demo = login(&mock, "demo", "demo").compute();
    let demo_project = mock.project_id("demo").unwrap();
    let flavors = admin.flavors();

    let flavor = flavors
        .create("m1.private", 512, 2, 5)
        .id("priv-1")
        .ephemeral(1)
        .swap(128)
        .rxtx_factor(2.0)
        .public(false)
        .description("for the demo project")
        .send()
        .await
        .unwrap();
    assert_eq!(flavor.id.as_str(), "priv-1");
    assert_eq!((flavor.ram, flavor.vcpus, flavor.disk), (512, 2, 5));
    assert_eq!((flavor.ephemeral, flavor.swap), (1, 128));
    assert_eq!(flavor.rxtx_factor, Some(2.0));
    assert!(!flavor.is_public);
    assert_eq!(flavor.description.as_deref(), Some("for the demo project"));

    // The same name again: Nova's 409.
    let err = flavors
        .create("m1.private", 512, 2, 5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(err.message(), "Flavor with name m1.private already exists.");

    // A member may not create, and does not see the private flavor yet.
    let err = demo
        .flavors()
        .create("mine", 64, 1, 0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Forbidden);
    let err = demo.flavors().get("priv-1").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");

    assert!(flavors.access("priv-1").await.unwrap().is_empty());
    let access = flavors.add_access("priv-1", &demo_project).await.unwrap();
    assert_eq!(access.len(), 1);
    assert_eq!(access[0].tenant_id, demo_project);
    assert_eq!(access[0].flavor_id.as_str(), "priv-1");
    let err = flavors
        .add_access("priv-1", &demo_project)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(
        demo.flavors().find("m1.private").await.unwrap().id,
        flavor.id
    );

    let set = flavors
        .set_extra_specs(
            "priv-1",
            BTreeMap::from([
                ("hw:cpu_policy".to_owned(), "dedicated".to_owned()),
                ("a".to_owned(), "b".to_owned()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(flavors.extra_spec("priv-1", "a").await.unwrap(), "b");
    flavors.unset_extra_spec("priv-1", "a").await.unwrap();
    let specs = demo.flavors().extra_specs("priv-1").await.unwrap();
    assert_eq!(
        specs,
        BTreeMap::from([("hw:cpu_policy".to_owned(), "dedicated".to_owned())])
    );
    let err = flavors.extra_spec("priv-1", "a").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        admin.flavors().get("priv-1").await.unwrap().extra_specs,
        specs
    );

    let described = flavors
        .set_description("priv-1", Some("changed"))
        .await
        .unwrap();
    assert_eq!(described.description.as_deref(), Some("changed"));
    let cleared = flavors.set_description("priv-1", None).await.unwrap();
    assert_eq!(cleared.description, None);
    // Pinned before 2.55, the description is refused before anything is sent.
    let err = admin
        .with_microversion(Microversion(2, 54))
        .flavors()
        .set_description("priv-1", Some("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput);

    let access = flavors
        .remove_access("priv-1", &demo_project)
        .await
        .unwrap();
    assert!(access.is_empty());
    assert!(
        demo.flavors()
            .get("priv-1")
            .await
            .unwrap_err()
            .is_not_found()
    );

    flavors.delete("priv-1").await.unwrap();
    assert!(flavors.get("priv-1").await.unwrap_err().is_not_found());
    assert!(flavors.delete("priv-1").await.unwrap_err().is_not_found());
    // A public flavor has no access list.
    assert!(flavors.access("1").await.unwrap_err().is_not_found());
}
