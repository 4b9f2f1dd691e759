//! Neutron v2.0 over raw HTTP: discovery and extensions, the devstack seed and the default
//! group, policy between two projects, list queries and tags, and state across restarts.

mod neutron_support;

use mock_cloud::{MockCloud, Seed};
use neutron_support::{As, assert_error, call, cloud};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn catalog_versions_resources_and_extensions() {
    let cloud = cloud().await;
    let (_, catalog) = call(&cloud, None, Method::POST, "/identity/v3/auth/tokens", Some(json!({
        "auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo", "domain": {"id": "default"}, "password": "demo"}}},
                 "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}))).await;
    let network = catalog["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == "network")
        .expect("a network service");
    assert_eq!(network["name"], "neutron");
    assert_eq!(
        network["endpoints"][0]["url"],
        format!("{}/networking", cloud.base_url())
    );

    let demo = As::new(&cloud, "demo", "demo");
    for path in ["/networking", "/networking/"] {
        let (status, body) = call(&cloud, None, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body["versions"][0]["id"], "v2.0");
        assert_eq!(body["versions"][0]["status"], "CURRENT");
    }
    let (status, body) = call(&cloud, None, Method::POST, "/networking/", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, body) = call(
        &cloud,
        Some(&demo.token),
        Method::GET,
        "/networking/v2.0/",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let collections: Vec<&str> = body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["collection"].as_str().unwrap())
        .collect();
    assert!(
        collections.contains(&"floatingips") && collections.contains(&"security_groups"),
        "{body}"
    );

    let (status, body) = call(
        &cloud,
        Some(&demo.token),
        Method::GET,
        "/networking/v2.0",
        None,
    )
    .await;
    assert_eq!(
        (status, body["NeutronError"]["type"].clone()),
        (StatusCode::NOT_FOUND, json!("HTTPNotFound"))
    );
    let (status, body) = demo.get("/extensions").await;
    assert_eq!(status, StatusCode::OK);
    let aliases: Vec<&str> = body["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["alias"].as_str().unwrap())
        .collect();
    for alias in [
        "security-group",
        "router",
        "external-net",
        "standard-attr-tag",
        "pagination",
        "sorting",
        "port-security",
        "binding",
        "net-mtu",
        "quotas",
        "fip-port-details",
    ] {
        assert!(aliases.contains(&alias), "{alias} missing: {aliases:?}");
    }
    let (status, body) = demo.get("/extensions/router").await;
    assert_eq!(
        (status, body["extension"]["alias"].clone()),
        (StatusCode::OK, json!("router"))
    );
    let (status, body) = demo.get("/extensions/dns-integration").await;
    assert_eq!(
        (status, &body["code"], &body["title"]),
        (
            StatusCode::NOT_FOUND,
            &json!("404 Not Found"),
            &json!("Not Found")
        ),
        "webob's own error body, not a NeutronError: {body}"
    );
    let demo_project = cloud.project_id("demo").unwrap();
    let (status, body) = demo.get(&format!("/quotas/{demo_project}")).await;
    assert_eq!(
        (status, body["quota"]["floatingip"].clone()),
        (StatusCode::OK, json!(50))
    );
    let (_, body) = demo
        .get(&format!("/quotas/{demo_project}/details.json"))
        .await;
    assert_eq!(
        body["quota"]["network"]["used"], 1,
        "its private network: {body}"
    );
    let admin_project = cloud.project_id("admin").unwrap();
    assert_error(
        &demo.get(&format!("/quotas/{admin_project}")).await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    let (status, body) = demo.get("/networks.json").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // keystonemiddleware's 401, in Keystone's shape.
    let (status, body) = call(&cloud, None, Method::GET, "/networking/v2.0/networks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 401, "{body}");
    assert_error(
        &demo.get("/networks/nope").await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
}

#[tokio::test]
async fn devstack_seed_and_the_default_group_on_a_projects_first_call() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let (_, body) = demo.get("/networks?sort_key=name&sort_dir=asc").await;
    let names: Vec<&str> = body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["private", "public"], "{body}");
    let public = &body["networks"][1];
    assert_eq!(public["router:external"], true);
    assert_eq!(public["status"], "ACTIVE");
    assert_eq!(public["mtu"], 1442);
    assert_eq!(public["project_id"], cloud.project_id("admin").unwrap());
    let private = &body["networks"][0];
    assert_eq!(private["project_id"], cloud.project_id("demo").unwrap());
    assert_eq!(private["tenant_id"], private["project_id"]);

    let (_, body) = demo.get("/subnets?sort_key=name&sort_dir=asc").await;
    let subnets = body["subnets"].as_array().unwrap();
    let names: Vec<&str> = subnets
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["private-subnet", "public-subnet"],
        "an external network's subnet is seen by all: {body}"
    );
    assert_eq!(
        (&subnets[1]["enable_dhcp"], &subnets[1]["router:external"]),
        (&json!(false), &json!(true)),
        "no DHCP on loopback"
    );
    assert_eq!(subnets[0]["cidr"], "10.0.0.0/22");
    assert_eq!(subnets[0]["gateway_ip"], "10.0.0.1");
    assert_eq!(
        subnets[0]["allocation_pools"],
        json!([{"start": "10.0.0.2", "end": "10.0.3.254"}])
    );

    let (_, body) = demo.get("/routers").await;
    let router = &body["routers"][0];
    assert_eq!(router["name"], "router1");
    assert_eq!(router["external_gateway_info"]["network_id"], public["id"]);
    let gateway = router["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        .as_str()
        .unwrap();
    assert!(gateway.starts_with("127.42.0."), "{gateway}");
    let (_, body) = demo
        .get(&format!(
            "/ports?device_id={}",
            router["id"].as_str().unwrap()
        ))
        .await;
    let owners: Vec<&str> = body["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["device_owner"].as_str().unwrap())
        .collect();
    assert_eq!(
        owners,
        ["network:router_interface"],
        "the gateway port is no project's: {body}"
    );
    assert_eq!(body["ports"][0]["fixed_ips"][0]["ip_address"], "10.0.0.1");

    let (_, body) = demo.get("/security-groups").await;
    let groups = body["security_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{body}");
    let group = &groups[0];
    assert_eq!(
        (group["name"].as_str(), group["description"].as_str()),
        (Some("default"), Some("Default security group"))
    );
    let rules = group["security_group_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4, "{group}");
    for (direction, ethertype, remote) in [
        ("egress", "IPv4", Value::Null),
        ("egress", "IPv6", Value::Null),
        ("ingress", "IPv4", group["id"].clone()),
        ("ingress", "IPv6", group["id"].clone()),
    ] {
        assert!(
            rules.iter().any(|r| r["direction"] == direction
                && r["ethertype"] == ethertype
                && r["remote_group_id"] == remote
                && r["protocol"].is_null()
                && r["remote_ip_prefix"].is_null()),
            "{direction} {ethertype}: {rules:?}"
        );
    }
    let (_, body) = demo.get("/security-group-rules").await;
    assert_eq!(body["security_group_rules"].as_array().unwrap().len(), 4);
    let group_id = group["id"].as_str().unwrap();
    assert_error(
        &demo
            .post(
                "/security-groups",
                json!({"security_group": {"name": "Default"}}),
            )
            .await,
        StatusCode::CONFLICT,
        "SecurityGroupDefaultAlreadyExists",
    );
    assert_error(
        &demo.delete(&format!("/security-groups/{group_id}")).await,
        StatusCode::CONFLICT,
        "SecurityGroupCannotRemoveDefault",
    );
    assert_error(
        &demo
            .put(
                &format!("/security-groups/{group_id}"),
                json!({"security_group": {"name": "other"}}),
            )
            .await,
        StatusCode::CONFLICT,
        "SecurityGroupCannotUpdateDefault",
    );
    let (status, body) = demo
        .post(
            "/security-groups",
            json!({"security_group": {"name": "web"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rules = body["security_group"]["security_group_rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules.len(),
        2,
        "a new group has the two egress rules: {body}"
    );
    assert!(rules.iter().all(|r| r["direction"] == "egress"));

    // The admin project owns `public`, and has a `private` of its own too.
    let admin = As::new(&cloud, "admin", "admin");
    let (_, body) = admin.get("/networks?name=private").await;
    assert_eq!(
        body["networks"].as_array().unwrap().len(),
        2,
        "demo's and its own: {body}"
    );
}

#[tokio::test]
async fn projects_are_isolated_as_neutrons_policy_says() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let alt = As::new(&cloud, "alt", "alt");
    let admin = As::new(&cloud, "admin", "admin");
    let demo_private = demo.id_of("networks", "private").await;
    let alt_private = alt.id_of("networks", "private").await;
    assert_ne!(demo_private, alt_private);
    let public = demo.id_of("networks", "public").await;

    assert_error(
        &alt.get(&format!("/networks/{demo_private}")).await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    assert_error(
        &alt.post("/ports", json!({"port": {"network_id": demo_private}}))
            .await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    assert_error(
        &alt.post("/ports", json!({"port": {"network_id": public}}))
            .await,
        StatusCode::FORBIDDEN,
        "HTTPForbidden",
    );
    assert_error(
        &alt.put(
            &format!("/networks/{public}"),
            json!({"network": {"name": "mine"}}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    assert_error(
        &alt.delete(&format!("/networks/{public}")).await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    assert_error(
        &alt.post(
            "/networks",
            json!({"network": {"name": "x", "shared": true}}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    assert_error(
        &alt.post(
            "/networks",
            json!({"network": {"name": "x", "router:external": true}}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    let (status, body) = alt
        .post(
            "/networks",
            json!({"network": {"name": "x", "project_id": cloud.project_id("demo").unwrap()}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (_, body) = alt.get("/security-groups").await;
    assert_eq!(
        body["security_groups"].as_array().unwrap().len(),
        1,
        "its own default only: {body}"
    );
    let (_, body) = alt.get("/routers").await;
    assert_eq!(body["routers"].as_array().unwrap().len(), 1);

    // An admin sees every project's resources; a shared network is seen by all.
    let (_, body) = admin.get("/networks?name=private").await;
    assert_eq!(
        body["networks"].as_array().unwrap().len(),
        3,
        "demo's, alt's, its own: {body}"
    );
    let (status, body) = admin
        .post(
            "/networks",
            json!({"network": {"name": "common", "shared": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let common = body["network"]["id"].as_str().unwrap().to_owned();
    let (status, _) = alt.get(&format!("/networks/{common}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = admin
        .post(
            "/subnets",
            json!({"subnet": {"network_id": common, "ip_version": 4, "cidr": "10.9.0.0/24"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = alt
        .post("/ports", json!({"port": {"network_id": common}}))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a port on a shared network: {body}"
    );
    assert_eq!(body["port"]["project_id"], cloud.project_id("alt").unwrap());

    // A reader may look, not change.
    let reader_seed = Seed::parse(
        "users: [{name: rd, password: rd, roles: [{role: reader, project: demo}]}]",
        false,
    )
    .unwrap();
    cloud.apply_seed(&reader_seed).await.unwrap();
    let reader = As::new(&cloud, "rd", "demo");
    let (status, _) = reader.get(&format!("/networks/{demo_private}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &reader.post("/networks", json!({"network": {}})).await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
}
#[tokio::test]
async fn filters_fields_sorting_pages_and_tags() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    for (name, tags) in [
        ("n-c", json!(["red"])),
        ("n-a", json!(["red", "blue"])),
        ("n-e", json!([])),
        ("n-b", json!(["blue"])),
        ("n-d", json!(["red"])),
    ] {
        let (status, body) = demo
            .post(
                "/networks",
                json!({"network": {"name": name, "tags": tags}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let names = |body: &Value| -> Vec<String> {
        body["networks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, body) = demo
        .get("/networks?name=n-a&name=n-b&sort_key=name&sort_dir=asc")
        .await;
    assert_eq!(names(&body), ["n-a", "n-b"], "a repeated filter is an OR");
    let (_, body) = demo.get("/networks?tags=red,blue").await;
    assert_eq!(names(&body), ["n-a"]);
    let (_, body) = demo
        .get("/networks?tags-any=blue&sort_key=name&sort_dir=desc")
        .await;
    assert_eq!(names(&body), ["n-b", "n-a"]);
    let (_, body) = demo
        .get("/networks?not-tags-any=red&name=n-b&name=n-e&sort_key=name&sort_dir=asc")
        .await;
    assert_eq!(names(&body), ["n-b", "n-e"]);
    let (_, body) = demo.get("/networks?router:external=True").await;
    assert_eq!(names(&body), ["public"]);
    let (_, body) = demo.get("/networks?fields=id&fields=name&name=n-a").await;
    let keys: Vec<&String> = body["networks"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name"]);
    let (status, body) = demo.get("/networks?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = demo.get("/networks?sort_key=colour&sort_dir=asc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = demo.get("/networks?sort_key=name").await;
    assert_eq!(
        (status, &body["NeutronError"]["type"]),
        (StatusCode::BAD_REQUEST, &json!("HTTPBadRequest")),
        "a sort key needs its direction: {body}"
    );

    // Pages of two, following `networks_links` to the end: 7 networks (5 + private + public).
    let mut url = format!(
        "{}/networking/v2.0/networks?limit=2&sort_key=name&sort_dir=asc",
        cloud.base_url()
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = reqwest::Client::new()
            .get(&url)
            .header("x-auth-token", &demo.token)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        seen.extend(names(&body));
        pages += 1;
        match body["networks_links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
            Some(next) => url = next["href"].as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 10, "links loop");
    }
    assert_eq!(
        seen,
        ["n-a", "n-b", "n-c", "n-d", "n-e", "private", "public"]
    );
    assert_eq!(pages, 4);
    assert_error(
        &demo.get("/networks?limit=2&marker=nope").await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );

    // The tags sub-resource.
    let id = demo.id_of("networks", "n-e").await;
    let (status, body) = demo
        .put(
            &format!("/networks/{id}/tags"),
            json!({"tags": ["x", "y", "x"]}),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"tags": ["x", "y"]}))
    );
    let (status, _) = demo
        .put(&format!("/networks/{id}/tags/z"), json!(null))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = demo.get(&format!("/networks/{id}/tags/z")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &demo.get(&format!("/networks/{id}/tags/w")).await,
        StatusCode::NOT_FOUND,
        "TagNotFound",
    );
    let (_, body) = demo.get(&format!("/networks/{id}/tags")).await;
    assert_eq!(body, json!({"tags": ["x", "y", "z"]}));
    let (status, _) = demo.delete(&format!("/networks/{id}/tags/x")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &demo.delete(&format!("/networks/{id}/tags/x")).await,
        StatusCode::NOT_FOUND,
        "TagNotFound",
    );
    let (status, _) = demo.delete(&format!("/networks/{id}/tags")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = demo.get(&format!("/networks/{id}")).await;
    assert_eq!(body["network"]["tags"], json!([]));
    assert!(body["network"]["revision_number"].as_u64().unwrap() >= 3);
    let public = demo.id_of("networks", "public").await;
    assert_error(
        &demo
            .put(&format!("/networks/{public}/tags/mine"), json!(null))
            .await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
}

#[tokio::test]
async fn state_survives_a_restart_and_reset_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let (network, fip) = {
        let cloud = MockCloud::builder()
            .state_dir(dir.path())
            .start()
            .await
            .unwrap();
        let demo = As::new(&cloud, "demo", "demo");
        let (_, body) = demo
            .post("/networks", json!({"network": {"name": "kept"}}))
            .await;
        let network = body["network"]["id"].as_str().unwrap().to_owned();
        let public = demo.id_of("networks", "public").await;
        let (_, body) = demo
            .post(
                "/floatingips",
                json!({"floatingip": {"floating_network_id": public}}),
            )
            .await;
        let fip = body["floatingip"]["floating_ip_address"]
            .as_str()
            .unwrap()
            .to_owned();
        cloud.stop().await;
        (network, fip)
    };
    let cloud = MockCloud::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let demo = As::new(&cloud, "demo", "demo");
    let (status, _) = demo.get(&format!("/networks/{network}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = demo.get("/floatingips").await;
    assert_eq!(body["floatingips"][0]["floating_ip_address"], fip.as_str());
    let (_, body) = demo.get("/security-groups?name=default").await;
    assert_eq!(
        body["security_groups"].as_array().unwrap().len(),
        1,
        "not made twice: {body}"
    );
    let (_, body) = demo.get("/networks?name=private").await;
    assert_eq!(body["networks"].as_array().unwrap().len(), 1, "{body}");
    cloud.reset().await.unwrap();
    let demo = As::new(&cloud, "demo", "demo");
    assert_error(
        &demo.get(&format!("/networks/{network}")).await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    let (_, body) = demo.get("/floatingips").await;
    assert_eq!(body["floatingips"], json!([]));
    let (_, body) = demo.get("/networks?sort_key=name&sort_dir=asc").await;
    let names: Vec<&str> = body["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["private", "public"], "the seed again: {body}");
}
