//! Keystone's admin API over HTTP: domains, projects, users, groups, roles, implied roles,
//! grants, role assignments, regions, services and endpoints; what each change does to
//! tokens and the catalog; Keystone's errors for bad input; and all of it after a restart.

use mock_cloud::MockCloud;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A token for `user` (in `domain`) scoped to `project` of the same domain.
async fn token(
    cloud: &MockCloud,
    user: &str,
    password: &str,
    domain: &str,
    project: &str,
) -> Result<String, (StatusCode, Value)> {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": domain}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": domain}}},
    }});
    let response = http()
        .post(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let token = response
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_owned());
    match token {
        Some(token) if status == StatusCode::CREATED => Ok(token),
        _ => Err((status, response.json().await.unwrap_or(Value::Null))),
    }
}

async fn admin(cloud: &MockCloud) -> String {
    token(cloud, "admin", "admin", "default", "admin")
        .await
        .unwrap()
}

/// `method path` with `token` and an optional JSON body: the status and the body.
async fn call(
    cloud: &MockCloud,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http()
        .request(method, format!("{}/identity/v3{path}", cloud.base_url()))
        .header("x-auth-token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(cloud: &MockCloud, token: &str, path: &str, body: Value) -> Value {
    let (status, body) = call(cloud, token, Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {body}");
    body
}

fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

fn names(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_operator_builds_a_domain_and_its_users_get_tokens_with_their_roles() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = admin(&cloud).await;

    let domain = post(
        &cloud,
        &admin,
        "/domains",
        json!({"domain": {"name": "acme", "description": "ACME"}}),
    )
    .await;
    let domain_id = domain["domain"]["id"].as_str().unwrap().to_owned();
    assert_eq!(domain["domain"]["enabled"], true);
    assert_eq!(domain["domain"]["description"], "ACME");

    let project = post(&cloud, &admin, "/projects", json!({"project": {
        "name": "web", "domain_id": domain_id, "description": "site", "tags": ["prod"], "owner": "ops"}})).await;
    let project = &project["project"];
    let project_id = project["id"].as_str().unwrap().to_owned();
    assert_eq!(project["parent_id"], domain_id.as_str());
    assert_eq!(project["is_domain"], false);
    assert_eq!(project["tags"], json!(["prod"]));
    assert_eq!(
        project["owner"], "ops",
        "extra attributes come back at the top level"
    );

    let child = post(
        &cloud,
        &admin,
        "/projects",
        json!({"project": {"name": "web-eu", "parent_id": project_id}}),
    )
    .await;
    assert_eq!(child["project"]["domain_id"], domain_id.as_str());
    assert_eq!(child["project"]["parent_id"], project_id.as_str());

    let user = post(&cloud, &admin, "/users", json!({"user": {
        "name": "alice", "domain_id": domain_id, "password": "wonderland", "email": "a@acme.example",
        "default_project_id": project_id}})).await;
    let user = &user["user"];
    let user_id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["email"], "a@acme.example");
    assert_eq!(user["default_project_id"], project_id.as_str());
    assert!(user.get("password").is_none(), "{user}");

    // No role yet: no project token.
    let (status, _) = token(&cloud, "alice", "wonderland", &domain_id, "web")
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let role = post(
        &cloud,
        &admin,
        "/roles",
        json!({"role": {"name": "deployer", "description": "ships"}}),
    )
    .await;
    let role_id = role["role"]["id"].as_str().unwrap().to_owned();
    let member_id = {
        let (_, body) = call(&cloud, &admin, Method::GET, "/roles?name=member", None).await;
        body["roles"][0]["id"].as_str().unwrap().to_owned()
    };
    let (status, body) = call(
        &cloud,
        &admin,
        Method::PUT,
        &format!("/roles/{role_id}/implies/{member_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["role_inference"]["prior_role"]["name"], "deployer");
    assert_eq!(body["role_inference"]["implies"]["name"], "member");

    let grant = format!("/projects/{project_id}/users/{user_id}/roles/{role_id}");
    let (status, _) = call(&cloud, &admin, Method::PUT, &grant, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&cloud, &admin, Method::HEAD, &grant, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let alice = token(&cloud, "alice", "wonderland", &domain_id, "web")
        .await
        .unwrap();
    let (status, body) = call(&cloud, &admin, Method::GET, "/auth/tokens", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let response = http()
        .get(format!("{}/identity/v3/auth/tokens", cloud.base_url()))
        .header("x-auth-token", &admin)
        .header("x-subject-token", &alice)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let roles: Vec<&str> = body["token"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["member", "reader", "deployer"]);

    // The assignment as granted, and what it amounts to.
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?user.id={user_id}"),
        None,
    )
    .await;
    let rows = body["role_assignments"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["role"]["id"], role_id.as_str());
    assert_eq!(rows[0]["scope"]["project"]["id"], project_id.as_str());
    assert!(
        rows[0]["links"]["assignment"]
            .as_str()
            .unwrap()
            .ends_with(&grant)
    );
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?user.id={user_id}&effective&include_names"),
        None,
    )
    .await;
    let rows = body["role_assignments"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "deployer, member and reader: {body}");
    assert_eq!(rows[0]["user"]["name"], "alice");
    assert_eq!(rows[0]["user"]["domain"]["name"], "acme");
    assert_eq!(rows[0]["scope"]["project"]["name"], "web");

    // A group's inherited grant on the domain reaches every project in it.
    let group = post(
        &cloud,
        &admin,
        "/groups",
        json!({"group": {"name": "readers", "domain_id": domain_id}}),
    )
    .await;
    let group_id = group["group"]["id"].as_str().unwrap().to_owned();
    let bob = post(
        &cloud,
        &admin,
        "/users",
        json!({"user": {"name": "bob", "domain_id": domain_id, "password": "builder"}}),
    )
    .await;
    let bob_id = bob["user"]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &cloud,
        &admin,
        Method::PUT,
        &format!("/groups/{group_id}/users/{bob_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let reader_id = {
        let (_, body) = call(&cloud, &admin, Method::GET, "/roles?name=reader", None).await;
        body["roles"][0]["id"].as_str().unwrap().to_owned()
    };
    let inherited = format!(
        "/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/{reader_id}/inherited_to_projects"
    );
    let (status, _) = call(&cloud, &admin, Method::PUT, &inherited, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    token(&cloud, "bob", "builder", &domain_id, "web-eu")
        .await
        .unwrap();
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?group.id={group_id}"),
        None,
    )
    .await;
    assert_eq!(
        body["role_assignments"][0]["scope"]["OS-INHERIT:inherited_to"], "projects",
        "{body}"
    );
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?user.id={bob_id}&effective"),
        None,
    )
    .await;
    assert_eq!(
        body["role_assignments"].as_array().unwrap().len(),
        2,
        "web and web-eu: {body}"
    );
    assert!(
        body["role_assignments"][0]["links"]["membership"].is_string(),
        "{body}"
    );
    let (status, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?group.id={group_id}&effective"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Disabling the user stops its tokens at once, and its next login.
    let (status, _) = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("/users/{user_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &cloud,
        &admin,
        Method::PATCH,
        &format!("/users/{user_id}"),
        Some(json!({"user": {"enabled": false}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &cloud,
        &alice,
        Method::GET,
        &format!("/users/{user_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = token(&cloud, "alice", "wonderland", &domain_id, "web")
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A domain is disabled before it goes, and takes everything in it along.
    let (status, body) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/domains/{domain_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        error_message(&body),
        "Cannot delete a domain that is enabled, please disable it first."
    );
    let (status, body) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/projects/{project_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not a leaf: {body}");
    call(
        &cloud,
        &admin,
        Method::PATCH,
        &format!("/domains/{domain_id}"),
        Some(json!({"domain": {"enabled": false}})),
    )
    .await;
    let (status, _) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/domains/{domain_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for path in [
        format!("/projects/{project_id}"),
        format!("/users/{bob_id}"),
        format!("/groups/{group_id}"),
    ] {
        let (status, _) = call(&cloud, &admin, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?role.id={role_id}"),
        None,
    )
    .await;
    assert_eq!(body["role_assignments"], json!([]));
}

#[tokio::test]
async fn bad_input_gets_keystones_errors_and_changes_nothing() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = admin(&cloud).await;
    let demo = token(&cloud, "demo", "demo", "default", "demo")
        .await
        .unwrap();

    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"project": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_message(&body), "'name' is a required property");
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"project": {"name": "x", "enabled": "yes"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_message(&body),
        "Invalid input for field 'enabled': 'yes' is not of type 'boolean'"
    );
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"project": {"name": "x", "domain_id": "nowhere"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_message(&body), "Could not find domain: nowhere.");
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/projects",
        Some(json!({"project": {"name": "demo"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error_message(&body).starts_with("Conflict occurred attempting to store project - it is not permitted to have two projects"), "{body}");
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/users",
        Some(json!({"user": {"name": "demo", "password": "p4ss-w0rd"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_message(&body),
        "Conflict occurred attempting to store user - Duplicate entry found with name demo at domain ID default."
    );
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/users",
        Some(json!({"user": {"name": "eve", "password": 12345}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        !error_message(&body).contains("12345"),
        "a password is never repeated: {body}"
    );
    let (status, body) = call(
        &cloud,
        &admin,
        Method::POST,
        "/roles",
        Some(json!({"role": {"name": "member"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = call(&cloud, &admin, Method::GET, "/projects/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_message(&body), "Could not find project: nope.");
    let (status, body) = call(
        &cloud,
        &admin,
        Method::PATCH,
        "/projects/nope",
        Some(json!({"project": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty update: {body}");
    let (status, _) = call(
        &cloud,
        &admin,
        Method::PUT,
        "/projects/nope/users/nobody/roles/none",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, roles) = call(&cloud, &admin, Method::GET, "/roles?name=admin", None).await;
    let admin_role = roles["roles"][0]["id"].as_str().unwrap().to_owned();
    let (_, roles) = call(&cloud, &admin, Method::GET, "/roles?name=reader", None).await;
    let reader_role = roles["roles"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &cloud,
        &admin,
        Method::PUT,
        &format!("/roles/{reader_role}/implies/{admin_role}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin is never implied");
    let (status, body) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/roles/{admin_role}/implies/{reader_role}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error_message(&body),
        format!("{admin_role} does not imply {reader_role}.")
    );
    let demo_project = cloud.project_id("demo").unwrap();
    let (_, users) = call(&cloud, &admin, Method::GET, "/users?name=demo", None).await;
    let demo_user = users["users"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/projects/{demo_project}/users/{demo_user}/roles/{admin_role}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        error_message(&body).starts_with("Could not find role assignment with role:"),
        "{body}"
    );

    // A member is not an admin.
    for (method, path, body) in [
        (Method::GET, "/projects", None),
        (
            Method::POST,
            "/projects",
            Some(json!({"project": {"name": "mine"}})),
        ),
        (
            Method::POST,
            "/users",
            Some(json!({"user": {"name": "mine"}})),
        ),
        (
            Method::POST,
            "/roles",
            Some(json!({"role": {"name": "mine"}})),
        ),
        (Method::GET, "/role_assignments", None),
        (
            Method::POST,
            "/domains",
            Some(json!({"domain": {"name": "mine"}})),
        ),
        (Method::GET, "/endpoints", None),
    ] {
        let (status, body) = call(&cloud, &demo, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert!(
            error_message(&body)
                .starts_with("You are not authorized to perform the requested action: identity:"),
            "{body}"
        );
    }
    // Nothing of that was made.
    let (_, body) = call(&cloud, &admin, Method::GET, "/projects", None).await;
    assert_eq!(names(&body, "projects"), ["admin", "demo"]);
    let (_, body) = call(&cloud, &admin, Method::GET, "/users", None).await;
    assert_eq!(names(&body, "users"), ["admin", "demo"]);
}

#[tokio::test]
async fn the_catalog_follows_services_and_endpoints() {
    let cloud = MockCloud::start().await.unwrap();
    let admin = admin(&cloud).await;
    let (_, body) = call(&cloud, &admin, Method::GET, "/services?type=compute", None).await;
    assert_eq!(body["services"][0]["name"], "nova");
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        "/endpoints?interface=public",
        None,
    )
    .await;
    assert_eq!(body["endpoints"].as_array().unwrap().len(), 4);
    assert!(
        body["endpoints"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with(cloud.base_url()),
        "{body}"
    );

    let region = post(
        &cloud,
        &admin,
        "/regions",
        json!({"region": {"id": "RegionTwo", "description": "second"}}),
    )
    .await;
    assert_eq!(region["region"]["id"], "RegionTwo");
    let (status, _) = call(
        &cloud,
        &admin,
        Method::POST,
        "/regions",
        Some(json!({"region": {"id": "RegionTwo"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let service = post(
        &cloud,
        &admin,
        "/services",
        json!({"service": {"type": "volumev3", "name": "cinder", "description": "blocks"}}),
    )
    .await;
    let service_id = service["service"]["id"].as_str().unwrap().to_owned();
    let (status, body) = call(&cloud, &admin, Method::POST, "/endpoints", Some(json!({"endpoint": {
        "service_id": service_id, "interface": "public", "url": "not a url", "region_id": "RegionTwo"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(&cloud, &admin, Method::POST, "/endpoints", Some(json!({"endpoint": {
        "service_id": service_id, "interface": "public", "url": "http://127.0.0.1:9/v3/$(project_id)s", "region_id": "RegionNine"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let endpoint = post(&cloud, &admin, "/endpoints", json!({"endpoint": {
        "service_id": service_id, "interface": "public", "url": "http://127.0.0.1:9/v3/$(project_id)s", "region_id": "RegionTwo"}})).await;
    let endpoint_id = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();

    let project = cloud.project_id("admin").unwrap();
    let catalog = |token: String| {
        let cloud = &cloud;
        async move {
            let (_, body) = call(cloud, &token, Method::GET, "/auth/catalog", None).await;
            body["catalog"].as_array().unwrap().clone()
        }
    };
    let services = catalog(admin.clone()).await;
    let volume = services
        .iter()
        .find(|s| s["type"] == "volumev3")
        .expect("the new service");
    assert_eq!(volume["name"], "cinder");
    assert_eq!(
        volume["endpoints"][0]["url"],
        format!("http://127.0.0.1:9/v3/{project}")
    );
    assert_eq!(volume["endpoints"][0]["region"], "RegionTwo");

    let (status, body) = call(&cloud, &admin, Method::DELETE, "/regions/RegionTwo", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    call(
        &cloud,
        &admin,
        Method::PATCH,
        &format!("/services/{service_id}"),
        Some(json!({"service": {"enabled": false}})),
    )
    .await;
    assert!(
        catalog(admin.clone())
            .await
            .iter()
            .all(|s| s["type"] != "volumev3")
    );
    let (status, _) = call(
        &cloud,
        &admin,
        Method::DELETE,
        &format!("/services/{service_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/endpoints/{endpoint_id}"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a service's endpoints go with it"
    );
    let (status, _) = call(&cloud, &admin, Method::DELETE, "/regions/RegionTwo", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn what_an_admin_made_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (project_id, group_id, role_id) = {
        let cloud = MockCloud::builder()
            .state_dir(dir.path())
            .start()
            .await
            .unwrap();
        let admin = admin(&cloud).await;
        let project = post(
            &cloud,
            &admin,
            "/projects",
            json!({"project": {"name": "kept"}}),
        )
        .await;
        let project_id = project["project"]["id"].as_str().unwrap().to_owned();
        let user = post(
            &cloud,
            &admin,
            "/users",
            json!({"user": {"name": "carol", "password": "c4rol-pw"}}),
        )
        .await;
        let user_id = user["user"]["id"].as_str().unwrap().to_owned();
        let group = post(
            &cloud,
            &admin,
            "/groups",
            json!({"group": {"name": "team"}}),
        )
        .await;
        let group_id = group["group"]["id"].as_str().unwrap().to_owned();
        call(
            &cloud,
            &admin,
            Method::PUT,
            &format!("/groups/{group_id}/users/{user_id}"),
            None,
        )
        .await;
        let role = post(
            &cloud,
            &admin,
            "/roles",
            json!({"role": {"name": "operator"}}),
        )
        .await;
        let role_id = role["role"]["id"].as_str().unwrap().to_owned();
        let (status, _) = call(
            &cloud,
            &admin,
            Method::PUT,
            &format!("/projects/{project_id}/groups/{group_id}/roles/{role_id}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        cloud.stop().await;
        (project_id, group_id, role_id)
    };
    let cloud = MockCloud::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let carol = token(&cloud, "carol", "c4rol-pw", "default", "kept")
        .await
        .unwrap();
    let admin = admin(&cloud).await;
    let (_, body) = call(
        &cloud,
        &admin,
        Method::GET,
        &format!("/role_assignments?scope.project.id={project_id}"),
        None,
    )
    .await;
    let rows = body["role_assignments"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["group"]["id"], group_id.as_str());
    assert_eq!(rows[0]["role"]["id"], role_id.as_str());
    let (status, _) = call(
        &cloud,
        &carol,
        Method::GET,
        &format!("/projects/{project_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = call(&cloud, &admin, Method::GET, "/roles", None).await;
    assert_eq!(
        names(&body, "roles"),
        [
            "admin", "manager", "member", "reader", "service", "operator"
        ]
    );
}
