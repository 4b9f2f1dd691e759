//! Independent Rust clients against the mock cloud: the `openstack` (0.6) and `osauth` (0.5)
//! crates, written by other people from their own reading of the OpenStack APIs, run their
//! token, catalog, image and server calls against an embedded [`MockCloud`]. A mock that only
//! our own SDK can talk to would prove little; this is the same idea as proving an S3 fake with
//! the official AWS SDK.
//!
//! Known limits of these crates, and how the tests keep away from them:
//! - their image status enum has no `uploading` or `importing` (and their container format enum
//!   no `compressed`): a listing that contains such an image fails to parse as a whole. The
//!   images made here are uploaded in one `PUT /file` (never staged), so they go from `queued`
//!   straight to `active`, and no test here stages or imports while listing.
//! - they send no compute microversion when creating a server (so 2.1, where `networks` may be
//!   an empty list), and resolving a network needs Neutron, which the mock does not serve: the
//!   server is made without networks.

use mock_cloud::{MockCloud, Seed};
use openstack::waiter::Waiter;
use osauth::common::IdOrName;
use osauth::identity::{ApplicationCredential, Password, Token};
use osauth::services::{COMPUTE, IMAGE};
use osauth::{ApiVersion, ErrorKind, Session};
use serde_json::{Value, json};

/// admin/admin on project admin, by name, as a clouds.yaml would say it.
fn admin_password(cloud: &MockCloud) -> Password {
    Password::new(cloud.auth_url(), "admin", "admin", "Default")
        .expect("a valid auth URL")
        .with_project_scope(
            IdOrName::Name("admin".into()),
            IdOrName::Name("Default".into()),
        )
}

/// Bytes that no format inspector recognises: a plain raw disk.
fn raw_bytes() -> Vec<u8> {
    (0..64 * 1024u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Creates and uploads a raw image through osauth alone (POST /v2/images, PUT /file).
async fn upload_image(session: &Session, name: &str) -> String {
    let created: Value = session
        .post(IMAGE, &["images"])
        .json(
            &json!({"name": name, "disk_format": "raw", "container_format": "bare",
            "visibility": "private", "os_distro": "rust-clients"}),
        )
        .fetch()
        .await
        .expect("osauth creates an image");
    let id = created["id"]
        .as_str()
        .expect("the image has an id")
        .to_owned();
    session
        .put(IMAGE, &["images", &id, "file"])
        .header("Content-Type", "application/octet-stream")
        .body(raw_bytes())
        .send()
        .await
        .expect("osauth uploads the image data");
    id
}

#[tokio::test]
async fn osauth_password_token_catalog_and_discovery() {
    let cloud = MockCloud::start().await.unwrap();
    let session = Session::new(admin_password(&cloud))
        .await
        .expect("osauth authenticates with a password");

    // The catalog leads to the unversioned Glance URL; discovery picks v2 from its 300.
    let image = session
        .get_endpoint(IMAGE, &["images"])
        .await
        .expect("osauth finds the image endpoint");
    assert_eq!(
        image.as_str(),
        format!("{}/image/v2/images", cloud.base_url())
    );

    // Nova's version document gives the microversion range.
    let (min, max) = session
        .get_api_versions(COMPUTE)
        .await
        .expect("compute discovery works")
        .expect("compute has microversions");
    assert_eq!(min, ApiVersion(2, 1));
    assert!(max >= ApiVersion(2, 37), "max microversion {max}");

    // A plain authenticated call through the catalog.
    let flavors: Value = session
        .get_json(COMPUTE, &["flavors"])
        .await
        .expect("osauth lists flavors");
    assert!(
        flavors["flavors"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["name"] == "m1.tiny")),
        "{flavors}"
    );
}

#[tokio::test]
async fn osauth_token_rescoping_and_application_credentials() {
    let seed = Seed::parse(
        "application_credentials: [{id: rust-clients-cred, name: rust-clients, secret: s3cret, \
         user: demo, project: demo}]",
        false,
    )
    .unwrap();
    let cloud = MockCloud::builder().seed(seed).start().await.unwrap();

    // An existing token, rescoped to a project by osauth's token method.
    let token = cloud.token("admin", "admin").unwrap();
    let auth = Token::new(cloud.auth_url(), token)
        .expect("a valid auth URL")
        .with_project_scope(
            IdOrName::Name("admin".into()),
            IdOrName::Name("Default".into()),
        );
    let session = Session::new(auth).await.expect("osauth rescopes a token");
    let images: Value = session.get_json(IMAGE, &["images"]).await.unwrap();
    assert!(images["images"].is_array(), "{images}");

    // An application credential by id: the token is scoped to the credential's project.
    let auth = ApplicationCredential::new(cloud.auth_url(), "rust-clients-cred", "s3cret")
        .expect("a valid auth URL");
    let session = Session::new(auth)
        .await
        .expect("osauth authenticates with an application credential");
    let id = upload_image(&session, "made-with-an-app-credential").await;
    let image: Value = session.get_json(IMAGE, &["images", &id]).await.unwrap();
    let demo_project = cloud.project_id("demo").expect("the seeded demo project");
    assert_eq!(image["owner"], demo_project.as_str());

    // A wrong secret is a 401, which osauth reports as an authentication failure.
    let auth = ApplicationCredential::new(cloud.auth_url(), "rust-clients-cred", "wrong")
        .expect("a valid auth URL");
    let error = Session::new(auth)
        .await
        .expect_err("a wrong secret is refused");
    assert_eq!(error.kind(), ErrorKind::AuthenticationFailed, "{error}");
}

#[tokio::test]
async fn openstack_lists_and_looks_up_images() {
    let cloud = MockCloud::start().await.unwrap();
    let os = openstack::Cloud::new(admin_password(&cloud))
        .await
        .expect("openstack authenticates");
    let session = Session::new(admin_password(&cloud)).await.unwrap();
    let first = upload_image(&session, "rc-first").await;
    let second = upload_image(&session, "rc-second").await;

    let all = os.list_images().await.expect("openstack lists images");
    let names: Vec<&str> = all.iter().map(|i| i.name().as_str()).collect();
    assert!(
        names.contains(&"rc-first") && names.contains(&"rc-second"),
        "{names:?}"
    );

    // Lookup by id and by name (a 404 on the name as id, then a name filter).
    let by_id = os.get_image(&first).await.expect("lookup by id");
    assert_eq!(by_id.name(), "rc-first");
    assert_eq!(by_id.size(), Some(raw_bytes().len() as u64));
    let by_name = os.get_image("rc-second").await.expect("lookup by name");
    assert_eq!(by_name.id(), &second);

    // Filters and paging (the crate pages by itself unless given a limit or a marker).
    let filtered = os
        .find_images()
        .with_name("rc-first")
        .all()
        .await
        .expect("filter by name");
    assert_eq!(filtered.len(), 1);
    let active = os
        .find_images()
        .with_status(openstack::image::ImageStatus::Active)
        .all()
        .await
        .expect("filter by status");
    assert_eq!(active.len(), 2);
    let page = os
        .find_images()
        .with_limit(1)
        .all()
        .await
        .expect("one page of one");
    assert_eq!(page.len(), 1);
    let rest = os
        .find_images()
        .with_marker(page[0].id().as_str())
        .all()
        .await
        .expect("the page after a marker");
    assert_eq!(rest.len(), 1);
    assert_ne!(rest[0].id(), page[0].id());

    let missing = os
        .get_image("no-such-image")
        .await
        .expect_err("an unknown name is not found");
    assert_eq!(missing.kind(), ErrorKind::ResourceNotFound, "{missing}");
}

#[tokio::test]
async fn openstack_creates_waits_for_and_deletes_a_server() {
    let cloud = MockCloud::start().await.unwrap();
    let os = openstack::Cloud::new(admin_password(&cloud))
        .await
        .expect("openstack authenticates");
    let session = Session::new(admin_password(&cloud)).await.unwrap();
    let image = upload_image(&session, "rc-boot").await;

    let flavor = os.get_flavor("m1.tiny").await.expect("flavor by name");
    assert!(flavor.vcpu_count() >= 1);

    let waiter = os
        .new_server("rc-server", "m1.tiny")
        .with_image(image.as_str())
        .with_metadata("made-by", "openstack-crate")
        .create()
        .await
        .expect("openstack creates a server");
    let server = waiter.wait().await.expect("the server becomes ACTIVE");
    assert_eq!(server.status(), openstack::compute::ServerStatus::Active);
    assert_eq!(server.name(), "rc-server");
    assert_eq!(server.image_id(), Some(&image));

    let listed = os.list_servers().await.expect("openstack lists servers");
    assert!(listed.iter().any(|s| s.id() == server.id()));

    let id = server.id().clone();
    server
        .delete()
        .await
        .expect("openstack deletes the server")
        .wait()
        .await
        .expect("the server goes away");
    let gone = os
        .get_server(&id)
        .await
        .expect_err("a deleted server is not found");
    assert_eq!(gone.kind(), ErrorKind::ResourceNotFound, "{gone}");
}
