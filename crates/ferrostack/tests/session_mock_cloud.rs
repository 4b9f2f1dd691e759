//! The session against the mock cloud (an independent implementation of the wire): its
//! discovery documents, its services' error bodies, and its fault rules driving retries.

use ferrostack::ErrorKind;
use ferrostack::config::{AuthConfig, AuthType, CloudConfig};
use ferrostack::request::{Request, ServiceType};
use ferrostack::session::{RetryPolicy, Session};
use mock_cloud::{Fault, FaultRule, MockCloud, Service};

fn session(cloud: &MockCloud) -> Session {
    let config = CloudConfig {
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
    };
    Session::builder(config)
        .retry(RetryPolicy {
            max_attempts: 3,
            base: std::time::Duration::from_millis(1),
            cap: std::time::Duration::from_millis(4),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// The statuses the mock recorded for `method` `path`, in order.
fn statuses(cloud: &MockCloud, method: &str, path: &str) -> Vec<u16> {
    cloud
        .journal()
        .into_iter()
        .filter(|e| e.method == method && e.path == path)
        .map(|e| e.status)
        .collect()
}

#[tokio::test]
async fn endpoints_and_microversions_come_from_the_catalog_and_discovery() {
    let cloud = MockCloud::start().await.unwrap();
    let session = session(&cloud);
    let base = cloud.base_url();
    let image = session.endpoint(&ServiceType::Image).await.unwrap();
    assert_eq!(image.as_str(), format!("{base}/image/v2"));
    let compute = session.endpoint(&ServiceType::Compute).await.unwrap();
    assert_eq!(compute.as_str(), format!("{base}/compute/v2.1"));
    let (min, max) = session
        .microversion_range(&ServiceType::Compute)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(min, "2.1");
    assert!(max.starts_with("2."), "{max}");
    assert_eq!(
        session
            .microversion_range(&ServiceType::Image)
            .await
            .unwrap(),
        None
    );
    let flavors: serde_json::Value = session
        .send_json(Request::get(ServiceType::Compute, "/flavors").microversion("2.61"))
        .await
        .unwrap();
    assert!(flavors["flavors"].is_array(), "{flavors}");
    let images: serde_json::Value = session
        .send_json(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert!(images["images"].is_array(), "{images}");
}

#[tokio::test]
async fn the_mock_services_errors_are_parsed() {
    let cloud = MockCloud::start().await.unwrap();
    let session = session(&cloud);
    let missing = "00000000-0000-0000-0000-000000000000";
    for service in [ServiceType::Image, ServiceType::Compute] {
        let path = match service {
            ServiceType::Image => format!("/images/{missing}"),
            _ => format!("/servers/{missing}"),
        };
        let err = session
            .send(Request::get(service.clone(), path))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::NotFound, "{service}: {err}");
        assert_eq!(err.service(), Some(&service));
        assert!(
            err.request_id().is_some_and(|id| id.starts_with("req-")),
            "{err:?}"
        );
        assert!(!err.message().is_empty());
        assert!(!err.message().contains('{'), "raw body in {err}");
    }
}

#[tokio::test]
async fn fault_rules_drive_retries() {
    let cloud = MockCloud::start().await.unwrap();
    let session = session(&cloud);
    session.endpoint(&ServiceType::Image).await.unwrap();
    session.endpoint(&ServiceType::Compute).await.unwrap();

    // Two 503s, then the real answer: three requests, success.
    cloud
        .add_fault(
            FaultRule::new(Fault::status(503))
                .service(Service::Image)
                .method("GET")
                .path("/image/v2/images")
                .times(2),
        )
        .unwrap();
    session
        .send(Request::get(ServiceType::Image, "/images"))
        .await
        .unwrap();
    assert_eq!(statuses(&cloud, "GET", "/image/v2/images"), [503, 503, 200]);

    // A POST that got a 503 is not sent again.
    cloud
        .add_fault(
            FaultRule::new(Fault::status(503))
                .service(Service::Compute)
                .method("POST")
                .path("/compute/v2.1/servers")
                .times(1),
        )
        .unwrap();
    let err = session
        .send(
            Request::post(ServiceType::Compute, "/servers")
                .json(serde_json::json!({"server": {"name": "vm"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unavailable);
    assert_eq!(statuses(&cloud, "POST", "/compute/v2.1/servers"), [503]);

    // A dropped connection: a GET is tried again, a POST is not.
    cloud.clear_faults();
    cloud
        .add_fault(
            FaultRule::new(Fault::Drop)
                .method("GET")
                .path("/compute/v2.1/flavors")
                .times(1),
        )
        .unwrap();
    session
        .send(Request::get(ServiceType::Compute, "/flavors"))
        .await
        .unwrap();
    cloud
        .add_fault(
            FaultRule::new(Fault::Drop)
                .method("POST")
                .path("/compute/v2.1/servers")
                .times(1),
        )
        .unwrap();
    let err = session
        .send(
            Request::post(ServiceType::Compute, "/servers")
                .json(serde_json::json!({"server": {"name": "vm"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport, "{err:?}");
    // The journal records a dropped request with status 0.
    assert_eq!(statuses(&cloud, "GET", "/compute/v2.1/flavors"), [0, 200]);
    assert_eq!(statuses(&cloud, "POST", "/compute/v2.1/servers"), [503, 0]);
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_waited_out() {
    let cloud = MockCloud::start().await.unwrap();
    let session = session(&cloud);
    cloud
        .add_fault(
            FaultRule::new(Fault::Status {
                status: 429,
                message: None,
                retry_after: Some(1),
            })
            .service(Service::Compute)
            .method("GET")
            .path("/compute/v2.1/flavors")
            .times(1),
        )
        .unwrap();
    session
        .send(Request::get(ServiceType::Compute, "/flavors"))
        .await
        .unwrap();
    assert_eq!(statuses(&cloud, "GET", "/compute/v2.1/flavors"), [429, 200]);
}
