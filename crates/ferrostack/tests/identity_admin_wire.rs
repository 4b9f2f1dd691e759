//! Keystone's admin calls against a wiremock Keystone: the envelopes, finding a name within a
//! domain, pagination over `links.next`, and the errors (404, 409, 403) as their categories.

mod session_support;

use ferrostack::ErrorKind;
use ferrostack::identity::{Actor, Grant, IdentityClient, Target};
use serde_json::json;
use session_support::*;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn identity(cloud: &Cloud) -> IdentityClient {
    IdentityClient::new(cloud.session(cloud.config()))
}

fn keystone_error(code: u16, title: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code)
        .insert_header("x-openstack-request-id", "req-keystone-1")
        .set_body_json(json!({"error": {"code": code, "title": title, "message": message}}))
}

fn project(id: &str, name: &str, domain: &str) -> serde_json::Value {
    json!({"id": id, "name": name, "domain_id": domain, "enabled": true, "description": "",
           "parent_id": domain, "is_domain": false, "tags": [], "options": {},
           "links": {"self": "x"}})
}

#[tokio::test]
async fn find_looks_a_name_up_within_the_domain_after_a_404_by_id() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/projects/web"))
        .respond_with(keystone_error(
            404,
            "Not Found",
            "Could not find project: web.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/projects"))
        .and(query_param("name", "web"))
        .and(query_param("domain_id", "d-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "projects": [project("p-2", "web", "d-2")],
            "links": {"self": "x", "next": null, "previous": null}
        })))
        .mount(&cloud.server)
        .await;
    let found = identity(&cloud)
        .projects()
        .find("web", Some("d-2"))
        .await
        .unwrap();
    assert_eq!(found.id, "p-2");
    assert_eq!(found.domain_id.as_deref(), Some("d-2"));
}

#[tokio::test]
async fn find_names_none_and_several_as_openstacksdk_does() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/users/nobody"))
        .respond_with(keystone_error(
            404,
            "Not Found",
            "Could not find user: nobody.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/users"))
        .and(query_param("name", "nobody"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"users": [], "links": {"next": null}})),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/users/alice"))
        .respond_with(keystone_error(
            404,
            "Not Found",
            "Could not find user: alice.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/users"))
        .and(query_param("name", "alice"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": [
            {"id": "u-1", "name": "alice", "domain_id": "d-1", "enabled": true},
            {"id": "u-2", "name": "alice", "domain_id": "d-2", "enabled": true}
        ], "links": {"next": null}})))
        .mount(&cloud.server)
        .await;
    let users = identity(&cloud).users();
    let none = users.find("nobody", None).await.unwrap_err();
    assert_eq!(none.kind(), &ErrorKind::Lookup);
    assert_eq!(none.message(), "No User found for nobody");
    let several = users.find("alice", None).await.unwrap_err();
    assert_eq!(several.kind(), &ErrorKind::Lookup);
    assert_eq!(
        several.message(),
        "More than one User exists with the name 'alice'."
    );
}

#[tokio::test]
async fn lists_follow_keystones_next_link() {
    let cloud = Cloud::start().await;
    let base = cloud.uri();
    Mock::given(method("GET"))
        .and(path("/identity/v3/roles"))
        .and(query_param("marker", "r-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "roles": [{"id": "r-2", "name": "member"}],
            "links": {"self": "x", "next": null}
        })))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "roles": [{"id": "r-1", "name": "admin", "domain_id": null}],
            "links": {"self": "x", "next": format!("{base}/identity/v3/roles?marker=r-1")}
        })))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let roles = identity(&cloud).roles().list().collect_all().await.unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["admin", "member"]);
}

#[tokio::test]
async fn a_name_taken_is_a_conflict_with_keystones_message() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path("/identity/v3/projects"))
        .and(body_partial_json(json!({"project": {"name": "web"}})))
        .respond_with(keystone_error(
            409,
            "Conflict",
            "Conflict occurred attempting to store project - Duplicate entry found with name web at domain ID default.",
        ))
        .mount(&cloud.server)
        .await;
    let err = identity(&cloud)
        .projects()
        .create("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.request_id(), Some("req-keystone-1"));
    assert!(
        err.message()
            .contains("Duplicate entry found with name web"),
        "{err}"
    );
}

#[tokio::test]
async fn a_forbidden_grant_and_a_missing_one() {
    let cloud = Cloud::start().await;
    Mock::given(method("PUT"))
        .and(path("/identity/v3/projects/p-1/users/u-1/roles/r-1"))
        .respond_with(keystone_error(
            403,
            "Forbidden",
            "You are not authorized to perform the requested action: identity:create_grant.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/identity/v3/projects/p-1/users/u-1/roles/r-1"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&cloud.server)
        .await;
    Mock::given(method("HEAD"))
        .and(path(
            "/identity/v3/OS-INHERIT/domains/d-1/groups/g-1/roles/r-1/inherited_to_projects",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/identity/v3/system/users/u-1/roles/r-1"))
        .respond_with(keystone_error(
            404,
            "Not Found",
            "Could not find role assignment.",
        ))
        .mount(&cloud.server)
        .await;
    let roles = identity(&cloud).roles();
    let on_project = Grant::new(
        "r-1",
        Actor::User("u-1".into()),
        Target::Project("p-1".into()),
    );
    let err = roles.grant(&on_project).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Forbidden);
    assert!(err.message().contains("identity:create_grant"), "{err}");
    assert!(!roles.check(&on_project).await.unwrap());
    let inherited = Grant::new(
        "r-1",
        Actor::Group("g-1".into()),
        Target::Domain("d-1".into()),
    )
    .inherited(true);
    assert!(roles.check(&inherited).await.unwrap());
    let err = roles
        .revoke(&Grant::new(
            "r-1",
            Actor::User("u-1".into()),
            Target::System,
        ))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn role_assignments_decode_names_scopes_and_inheritance() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/identity/v3/role_assignments"))
        .and(query_param("user.id", "u-1"))
        .and(query_param("include_names", "True"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "role_assignments": [
                {"role": {"id": "r-1", "name": "member"},
                 "user": {"id": "u-1", "name": "alice", "domain": {"id": "default", "name": "Default"}},
                 "scope": {"project": {"id": "p-1", "name": "web", "domain": {"id": "default", "name": "Default"}}},
                 "links": {"assignment": "x"}},
                {"role": {"id": "r-2", "name": "reader", "domain": {"id": "d-1", "name": "acme"}},
                 "user": {"id": "u-1"},
                 "scope": {"domain": {"id": "d-1"}, "OS-INHERIT:inherited_to": "projects"}},
                {"role": {"id": "r-3"}, "user": {"id": "u-1"}, "scope": {"system": {"all": true}}}
            ],
            "links": {"self": "x", "next": null}
        })))
        .mount(&cloud.server)
        .await;
    let found = identity(&cloud)
        .role_assignments()
        .user_id("u-1")
        .include_names()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    let project = found[0].scope.project.as_ref().unwrap();
    assert_eq!(project.name.as_deref(), Some("web"));
    assert!(!found[0].is_inherited());
    assert!(found[1].is_inherited());
    assert_eq!(found[1].scope.domain.as_ref().unwrap().id, "d-1");
    assert_eq!(found[2].scope.system, Some(json!({"all": true})));
}

#[tokio::test]
async fn a_user_created_with_a_password_sends_it_and_never_logs_it() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path("/identity/v3/users"))
        .and(body_partial_json(
            json!({"user": {"name": "alice", "password": PASSWORD}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"user": {
            "id": "u-1", "name": "alice", "domain_id": "default", "enabled": true,
            "password_expires_at": null, "options": {}, "links": {"self": "x"}
        }})))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let create = identity(&cloud).users().create("alice").password(PASSWORD);
    assert_no_secrets("a user create's Debug", &format!("{create:?}"));
    assert_no_secrets("its request's Debug", &format!("{:?}", create.request()));
    let user = create.send().await.unwrap();
    assert_eq!(user.id, "u-1");
    assert_no_secrets("the user", &format!("{user:?}"));
}
