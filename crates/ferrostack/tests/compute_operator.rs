//! The operator's compute calls against the mock cloud: server groups (a server booted
//! into one is a member), host aggregates, a server's instance actions, hypervisors and
//! services; and what the SDK refuses before sending.

use std::io::Cursor;

use ferrostack::compute::Microversion;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::image::{ContainerFormat, DiskFormat, ImageData};
use ferrostack::{Cloud, ErrorKind};
use mock_cloud::MockCloud;

fn login(mock: &MockCloud, user: &str) -> Cloud {
    let config = CloudConfig {
        name: Some("mock".into()),
        auth_type: AuthType::Password,
        auth: AuthConfig {
            auth_url: Some(mock.auth_url()),
            username: Some(user.into()),
            password: Some(user.into()),
            user_domain_id: Some("default".into()),
            project_name: Some(user.into()),
            project_domain_id: Some("default".into()),
            ..AuthConfig::default()
        },
        ..CloudConfig::new()
    };
    Cloud::new(config).expect("a session")
}

#[tokio::test]
async fn server_groups_aggregates_and_actions() {
    let mock = MockCloud::start().await.unwrap();
    let demo = login(&mock, "demo");
    let admin = login(&mock, "admin");
    let compute = demo.compute();

    let group = compute
        .server_groups()
        .create("web", "anti-affinity", None)
        .await
        .unwrap();
    assert_eq!(group.effective_policy(), Some("anti-affinity"));
    assert_eq!(
        compute.server_groups().find("web").await.unwrap().id,
        group.id
    );
    let err = compute
        .server_groups()
        .find("nothing-named-so")
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Lookup, "{err}");
    let old = compute.with_microversion(Microversion(2, 1));
    let err = old
        .server_groups()
        .create("soft", "soft-affinity", None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("2.15"),
        "refused before sending: {err}"
    );

    let image = demo
        .image()
        .images()
        .create("disk")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .data(ImageData::reader(Cursor::new(vec![0u8; 4096])).size(4096))
        .send()
        .await
        .unwrap();
    let server = compute
        .servers()
        .create("vm", image.id.clone(), "1")
        .send()
        .await
        .unwrap();
    let actions = compute
        .instance_actions(server.id().clone())
        .list()
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].action, "create");
    let create = compute
        .instance_actions(server.id().clone())
        .get(&actions[0].request_id)
        .await
        .unwrap();
    assert!(!create.events.is_empty());
    assert_eq!(create.events[0].result.as_deref(), Some("Success"));

    let aggregates = admin.compute().aggregates();
    let made = aggregates.create("fast", Some("zone-a")).await.unwrap();
    assert_eq!(made.availability_zone.as_deref(), Some("zone-a"));
    let with_host = aggregates.add_host(made.id, "mock-compute").await.unwrap();
    assert_eq!(with_host.hosts, ["mock-compute"]);
    let tagged = aggregates
        .set_metadata(made.id, &[("ssd".into(), Some("true".into()))])
        .await
        .unwrap();
    assert_eq!(tagged.metadata.get("ssd").map(String::as_str), Some("true"));
    assert_eq!(aggregates.find("fast").await.unwrap().id, made.id);
    let err = aggregates.delete(made.id).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::BadRequest,
        "not while it has a host: {err}"
    );
    aggregates
        .remove_host(made.id, "mock-compute")
        .await
        .unwrap();
    aggregates.delete(made.id).await.unwrap();
    let err = demo.compute().aggregates().list().await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Forbidden, "{err}");

    let hypervisors = admin.compute().hosts().hypervisors(true).await.unwrap();
    assert_eq!(hypervisors[0]["hypervisor_hostname"], "mock-compute");
    let services = admin.compute().hosts().services().await.unwrap();
    assert_eq!(services.len(), 3);
}
