//! Neutron v2.0 over raw HTTP: ports and IPAM, routers and their interfaces, security-group
//! rules, floating IPs, with Neutron's error types and statuses.

mod neutron_support;

use neutron_support::{As, assert_error, cloud};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn ports_take_addresses_from_the_subnet_and_l3_ports_stay() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let private = demo.id_of("networks", "private").await;
    let subnet = demo.id_of("subnets", "private-subnet").await;
    let default = demo.id_of("security-groups", "default").await;
    let (status, body) = demo
        .post(
            "/ports",
            json!({"port": {"network_id": private, "name": "p1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let port = &body["port"];
    assert_eq!(
        port["fixed_ips"],
        json!([{"subnet_id": subnet, "ip_address": "10.0.0.2"}])
    );
    assert!(
        port["mac_address"]
            .as_str()
            .unwrap()
            .starts_with("fa:16:3e:")
    );
    assert_eq!(port["security_groups"], json!([default]));
    assert_eq!(port["port_security_enabled"], true);
    assert_eq!(port["status"], "DOWN");
    assert_eq!(port["binding:vnic_type"], "normal");
    assert_eq!(port["device_owner"], "");

    assert_error(
        &demo
            .post(
                "/ports",
                json!({"port": {"network_id": private, "fixed_ips": [{"ip_address": "10.0.0.2"}]}}),
            )
            .await,
        StatusCode::CONFLICT,
        "IpAddressAlreadyAllocated",
    );
    assert_error(
        &demo.post("/ports", json!({"port": {"network_id": private, "fixed_ips": [{"subnet_id": subnet, "ip_address": "10.9.9.9"}]}})).await,
        StatusCode::BAD_REQUEST,
        "InvalidIpForSubnet",
    );
    let (status, body) = demo
        .post(
            "/ports",
            json!({"port": {"network_id": private, "fixed_ips": [{"ip_address": "10.0.1.7"}]}}),
        )
        .await;
    assert_eq!(
        (status, body["port"]["fixed_ips"][0]["ip_address"].clone()),
        (StatusCode::CREATED, json!("10.0.1.7"))
    );
    assert_error(
        &demo
            .post(
                "/ports",
                json!({"port": {"network_id": private, "colour": "red"}}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "HTTPBadRequest",
    );
    assert_error(
        &demo
            .post(
                "/ports",
                json!({"port": {"network_id": private, "security_groups": ["nope"]}}),
            )
            .await,
        StatusCode::NOT_FOUND,
        "SecurityGroupNotFound",
    );
    let (status, body) = demo
        .post(
            "/ports",
            json!({"port": {"network_id": private, "port_security_enabled": false}}),
        )
        .await;
    assert_eq!(
        (status, body["port"]["security_groups"].clone()),
        (StatusCode::CREATED, json!([]))
    );

    let (_, body) = demo
        .get("/ports?device_owner=network:router_interface")
        .await;
    let interface = body["ports"][0]["id"].as_str().unwrap().to_owned();
    assert_error(
        &demo.delete(&format!("/ports/{interface}")).await,
        StatusCode::CONFLICT,
        "L3PortInUse",
    );
    assert_error(
        &demo.delete(&format!("/subnets/{subnet}")).await,
        StatusCode::CONFLICT,
        "SubnetInUse",
    );
    assert_error(
        &demo.delete(&format!("/networks/{private}")).await,
        StatusCode::CONFLICT,
        "NetworkInUse",
    );
    // Ports use the default group: Neutron says "in use" before "default".
    assert_error(
        &demo.delete(&format!("/security-groups/{default}")).await,
        StatusCode::CONFLICT,
        "SecurityGroupInUse",
    );

    // A /30 holds two addresses: the third port finds none.
    let (_, body) = demo
        .post("/networks", json!({"network": {"name": "tiny"}}))
        .await;
    let tiny = body["network"]["id"].as_str().unwrap().to_owned();
    let (status, body) = demo.post("/subnets", json!({"subnet": {"network_id": tiny, "ip_version": 4, "cidr": "192.168.7.0/30", "gateway_ip": null}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["subnet"]["gateway_ip"], Value::Null);
    assert_eq!(
        body["subnet"]["allocation_pools"],
        json!([{"start": "192.168.7.1", "end": "192.168.7.2"}])
    );
    let (_, body) = demo.get(&format!("/networks/{tiny}")).await;
    assert_eq!(body["network"]["subnets"].as_array().unwrap().len(), 1);
    for _ in 0..2 {
        let (status, _) = demo
            .post("/ports", json!({"port": {"network_id": tiny}}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_error(
        &demo
            .post("/ports", json!({"port": {"network_id": tiny}}))
            .await,
        StatusCode::CONFLICT,
        "IpAddressGenerationFailure",
    );
    assert_error(
        &demo
            .post(
                "/subnets",
                json!({"subnet": {"network_id": tiny, "ip_version": 4, "cidr": "192.168.7.0/29"}}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
    );
    let (status, body) = demo
        .post(
            "/subnets",
            json!({"subnet": {"network_id": tiny, "ip_version": 4, "cidr": "not-a-cidr"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Neutron serves no DHCP on loopback: such a subnet needs enable_dhcp false.
    let loopback = json!({"network_id": tiny, "ip_version": 4, "cidr": "127.9.0.0/24"});
    assert_error(
        &demo.post("/subnets", json!({ "subnet": loopback })).await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
    );
    let mut without_dhcp = loopback.clone();
    without_dhcp["enable_dhcp"] = json!(false);
    let (status, body) = demo
        .post("/subnets", json!({ "subnet": without_dhcp }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["subnet"]["id"].as_str().unwrap();
    assert_error(
        &demo
            .put(
                &format!("/subnets/{id}"),
                json!({"subnet": {"enable_dhcp": true}}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
    );

    // A bulk create is whole or nothing.
    let (_, before) = demo.get("/networks").await;
    let (status, body) = demo
        .post(
            "/networks",
            json!({"networks": [{"name": "b1"}, {"name": "b2", "shared": true}]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, after) = demo.get("/networks").await;
    assert_eq!(before, after);
    let (status, body) = demo
        .post(
            "/networks",
            json!({"networks": [{"name": "b1"}, {"name": "b2"}]}),
        )
        .await;
    assert_eq!(
        (status, body["networks"].as_array().map(Vec::len)),
        (StatusCode::CREATED, Some(2))
    );
}

#[tokio::test]
async fn routers_attach_and_detach_subnets() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let public = demo.id_of("networks", "public").await;
    let private = demo.id_of("networks", "private").await;
    let subnet = demo.id_of("subnets", "private-subnet").await;
    let (status, body) = demo
        .post(
            "/routers",
            json!({"router": {"name": "r2", "external_gateway_info": {"network_id": private}}}),
        )
        .await;
    assert_error(&(status, body), StatusCode::BAD_REQUEST, "BadRequest");
    let (status, body) = demo
        .post("/routers", json!({"router": {"name": "r2"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["router"]["external_gateway_info"], Value::Null);
    let r2 = body["router"]["id"].as_str().unwrap().to_owned();
    let (status, body) = demo
        .put(
            &format!("/routers/{r2}"),
            json!({"router": {"external_gateway_info": {"network_id": public}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["router"]["external_gateway_info"]["enable_snat"], true);
    let path = format!("/routers/{r2}/add_router_interface");
    assert_error(
        &demo.put(&path, json!({})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    );
    assert_error(
        &demo
            .put(&path, json!({"subnet_id": subnet, "port_id": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    );
    // router1 already holds the gateway address of private-subnet.
    assert_error(
        &demo.put(&path, json!({"subnet_id": subnet})).await,
        StatusCode::CONFLICT,
        "IpAddressAlreadyAllocated",
    );
    let (_, body) = demo
        .post("/networks", json!({"network": {"name": "n2"}}))
        .await;
    let n2 = body["network"]["id"].as_str().unwrap().to_owned();
    let (_, body) = demo
        .post(
            "/subnets",
            json!({"subnet": {"network_id": n2, "ip_version": 4, "cidr": "10.5.0.0/24"}}),
        )
        .await;
    let s2 = body["subnet"]["id"].as_str().unwrap().to_owned();
    let (status, body) = demo.put(&path, json!({"subnet_id": s2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], r2.as_str());
    assert_eq!(body["subnet_id"], s2.as_str());
    assert_eq!(body["network_id"], n2.as_str());
    assert!(
        body["port_id"].is_string() && body.get("router").is_none(),
        "not wrapped: {body}"
    );
    let (_, body) = demo.put(&path, json!({"subnet_id": s2})).await;
    assert_eq!(
        body["NeutronError"]["message"],
        format!("Bad router request: Router already has a port on subnet {s2}.")
    );
    assert_error(
        &demo.delete(&format!("/routers/{r2}")).await,
        StatusCode::CONFLICT,
        "RouterInUse",
    );
    let remove = format!("/routers/{r2}/remove_router_interface");
    let (status, body) = demo.put(&remove, json!({"subnet_id": s2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_error(
        &demo.put(&remove, json!({"subnet_id": s2})).await,
        StatusCode::NOT_FOUND,
        "RouterInterfaceNotFoundForSubnet",
    );
    let (status, _) = demo.delete(&format!("/routers/{r2}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &demo.get(&format!("/routers/{r2}")).await,
        StatusCode::NOT_FOUND,
        "RouterNotFound",
    );
}

/// As real Neutron 29 answers (found by the conformance suite's network.routers case): the
/// gateway's address is the admin's to choose, and a static route's next hop must be on a
/// subnet of the router's, and not one of its own addresses.
#[tokio::test]
async fn gateway_addresses_are_the_admins_and_routes_need_a_connected_next_hop() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let admin = As::new(&cloud, "admin", "admin");
    let public = demo.id_of("networks", "public").await;
    let chosen = json!({"network_id": public,
        "external_fixed_ips": [{"ip_address": "127.42.0.250"}]});
    let (status, body) = demo
        .post(
            "/routers",
            json!({"router": {"name": "chosen", "external_gateway_info": chosen}}),
        )
        .await;
    assert_error(
        &(status, body),
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    let (_, body) = demo.get("/routers?name=chosen").await;
    assert_eq!(body["routers"], json!([]), "a refused router was kept");
    let router1 = demo.id_of("routers", "router1").await;
    assert_error(
        &demo
            .put(
                &format!("/routers/{router1}"),
                json!({"router": {"external_gateway_info": chosen}}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    let (status, body) = admin
        .post(
            "/routers",
            json!({"router": {"name": "chosen", "external_gateway_info": chosen}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"],
        "127.42.0.250"
    );

    // router1 is on private-subnet (10.0.0.0/22, itself at 10.0.0.1) and on public.
    let path = format!("/routers/{router1}");
    let routes = |nexthop: &str| json!({"router": {"routes": [{"destination": "10.99.0.0/24", "nexthop": nexthop}]}});
    assert_error(
        &demo.put(&path, routes("10.97.0.1")).await,
        StatusCode::BAD_REQUEST,
        "InvalidRoutes",
    );
    assert_error(
        &demo.put(&path, routes("10.0.0.1")).await,
        StatusCode::BAD_REQUEST,
        "InvalidRoutes",
    );
    let (status, body) = demo.put(&path, routes("10.0.0.50")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["router"]["routes"][0]["nexthop"], "10.0.0.50");
    let (status, body) = demo.put(&path, routes("127.42.0.9")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a next hop on the gateway's subnet: {body}"
    );
    let (status, body) = demo.put(&path, json!({"router": {"routes": []}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["router"]["routes"], json!([]));
}

#[tokio::test]
async fn security_group_rules_are_checked_as_neutron_checks_them() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let group = demo.id_of("security-groups", "default").await;
    let rule = |extra: Value| {
        let mut body =
            json!({"security_group_id": group, "direction": "ingress", "ethertype": "IPv4"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        json!({"security_group_rule": body})
    };
    let (status, body) = demo
        .post("/security-group-rules", rule(json!({"protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created = &body["security_group_rule"];
    assert_eq!(created["port_range_min"], 80);
    assert_eq!(created["protocol"], "tcp");
    assert_eq!(created["belongs_to_default_sg"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    let duplicate = demo
        .post("/security-group-rules", rule(json!({"protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"})))
        .await;
    assert_error(&duplicate, StatusCode::CONFLICT, "SecurityGroupRuleExists");
    assert_eq!(
        duplicate.1["NeutronError"]["message"],
        format!("Security group rule already exists. Rule id is {id}.")
    );
    let (_, body) = demo.get(&format!("/security-groups/{group}")).await;
    assert_eq!(
        body["security_group"]["security_group_rules"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    for (extra, kind) in [
        (
            json!({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}),
            "SecurityGroupInvalidPortRange",
        ),
        (
            json!({"protocol": "tcp", "port_range_min": 0, "port_range_max": 80}),
            "SecurityGroupInvalidPortValue",
        ),
        (
            json!({"protocol": "tcp", "port_range_min": 1, "port_range_max": 70000}),
            "SecurityGroupInvalidPortValue",
        ),
        (
            json!({"protocol": "banana"}),
            "SecurityGroupRuleInvalidProtocol",
        ),
        (json!({"protocol": 300}), "SecurityGroupRuleInvalidProtocol"),
        (
            json!({"port_range_min": 22, "port_range_max": 22}),
            "SecurityGroupProtocolRequiredWithPorts",
        ),
        (
            json!({"protocol": "gre", "port_range_min": 22, "port_range_max": 22}),
            "SecurityGroupInvalidProtocolForPortRange",
        ),
        (
            json!({"protocol": "icmp", "port_range_min": 300}),
            "SecurityGroupInvalidIcmpValue",
        ),
        (
            json!({"protocol": "icmp", "port_range_max": 0}),
            "SecurityGroupMissingIcmpType",
        ),
        (
            json!({"remote_ip_prefix": "::/0"}),
            "SecurityGroupRuleParameterConflict",
        ),
        (
            json!({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}),
            "SecurityGroupRuleParameterConflict",
        ),
        (
            json!({"ethertype": "IPv5"}),
            "SecurityGroupRuleInvalidEtherType",
        ),
        (
            json!({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": group}),
            "SecurityGroupRemoteGroupAndRemoteIpPrefix",
        ),
        (json!({"direction": "sideways"}), "HTTPBadRequest"),
    ] {
        assert_error(
            &demo
                .post("/security-group-rules", rule(extra.clone()))
                .await,
            StatusCode::BAD_REQUEST,
            kind,
        );
    }
    assert_error(
        &demo
            .post(
                "/security-group-rules",
                rule(json!({"remote_group_id": "nope"})),
            )
            .await,
        StatusCode::NOT_FOUND,
        "SecurityGroupNotFound",
    );
    let (status, body) = demo
        .post(
            "/security-group-rules",
            rule(json!({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = demo.post("/security-group-rules", rule(json!({"ethertype": "IPv6", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "::/0"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = demo.delete(&format!("/security-group-rules/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &demo.get(&format!("/security-group-rules/{id}")).await,
        StatusCode::NOT_FOUND,
        "SecurityGroupRuleNotFound",
    );
    // Another project's group is not there for it.
    let alt = As::new(&cloud, "alt", "alt");
    assert_error(
        &alt.post("/security-group-rules", rule(json!({}))).await,
        StatusCode::NOT_FOUND,
        "SecurityGroupNotFound",
    );
}

#[tokio::test]
async fn floating_ips_need_an_external_network_and_a_router() {
    let cloud = cloud().await;
    let demo = As::new(&cloud, "demo", "demo");
    let public = demo.id_of("networks", "public").await;
    let private = demo.id_of("networks", "private").await;
    assert_error(
        &demo
            .post(
                "/floatingips",
                json!({"floatingip": {"floating_network_id": private}}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    );
    assert_error(
        &demo
            .post(
                "/floatingips",
                json!({"floatingip": {"floating_network_id": "nope"}}),
            )
            .await,
        StatusCode::NOT_FOUND,
        "NetworkNotFound",
    );
    let (status, body) = demo
        .post(
            "/floatingips",
            json!({"floatingip": {"floating_network_id": public}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let fip = body["floatingip"].clone();
    let fip_id = fip["id"].as_str().unwrap().to_owned();
    assert!(
        fip["floating_ip_address"]
            .as_str()
            .unwrap()
            .starts_with("127.42.0."),
        "{fip}"
    );
    assert_eq!(
        (fip["status"].as_str(), fip["port_id"].as_str()),
        (Some("DOWN"), None)
    );
    assert_eq!(fip["project_id"], cloud.project_id("demo").unwrap());
    assert!(
        fip.get("name").is_none(),
        "clients take the address for its name: {fip}"
    );
    let address = fip["floating_ip_address"].as_str().unwrap().to_owned();
    // Choosing the address is the admin's (policy create_floatingip:floating_ip_address);
    // the admin cannot have one that is taken.
    let chosen =
        json!({"floatingip": {"floating_network_id": public, "floating_ip_address": address}});
    assert_error(
        &demo.post("/floatingips", chosen.clone()).await,
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
    );
    let admin = As::new(&cloud, "admin", "admin");
    assert_error(
        &admin.post("/floatingips", chosen).await,
        StatusCode::CONFLICT,
        "IpAddressAlreadyAllocated",
    );

    // A network no router reaches.
    let (_, body) = demo
        .post("/networks", json!({"network": {"name": "island"}}))
        .await;
    let island = body["network"]["id"].as_str().unwrap().to_owned();
    demo.post(
        "/subnets",
        json!({"subnet": {"network_id": island, "ip_version": 4, "cidr": "10.7.0.0/24"}}),
    )
    .await;
    let (_, body) = demo
        .post("/ports", json!({"port": {"network_id": island}}))
        .await;
    let lonely = body["port"]["id"].as_str().unwrap().to_owned();
    assert_error(
        &demo
            .put(
                &format!("/floatingips/{fip_id}"),
                json!({"floatingip": {"port_id": lonely}}),
            )
            .await,
        StatusCode::NOT_FOUND,
        "ExternalGatewayForFloatingIPNotFound",
    );
    assert_error(
        &demo
            .put(
                &format!("/floatingips/{fip_id}"),
                json!({"floatingip": {"port_id": "nope"}}),
            )
            .await,
        StatusCode::NOT_FOUND,
        "PortNotFound",
    );
    let (_, body) = demo
        .post("/ports", json!({"port": {"network_id": private}}))
        .await;
    let port = body["port"].clone();
    let port_id = port["id"].as_str().unwrap().to_owned();
    let (status, body) = demo
        .put(
            &format!("/floatingips/{fip_id}"),
            json!({"floatingip": {"port_id": port_id}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let associated = &body["floatingip"];
    assert_eq!(associated["status"], "ACTIVE");
    assert_eq!(
        associated["fixed_ip_address"],
        port["fixed_ips"][0]["ip_address"]
    );
    assert_eq!(
        associated["router_id"],
        demo.id_of("routers", "router1").await.as_str()
    );
    assert_eq!(
        associated["port_details"]["mac_address"],
        port["mac_address"]
    );
    let (_, body) = demo
        .post(
            "/floatingips",
            json!({"floatingip": {"floating_network_id": public}}),
        )
        .await;
    let second = body["floatingip"]["id"].as_str().unwrap().to_owned();
    assert_error(
        &demo
            .put(
                &format!("/floatingips/{second}"),
                json!({"floatingip": {"port_id": port_id}}),
            )
            .await,
        StatusCode::CONFLICT,
        "FloatingIPPortAlreadyAssociated",
    );
    let subnet = demo.id_of("subnets", "private-subnet").await;
    let router = demo.id_of("routers", "router1").await;
    assert_error(
        &demo
            .put(
                &format!("/routers/{router}/remove_router_interface"),
                json!({"subnet_id": subnet}),
            )
            .await,
        StatusCode::CONFLICT,
        "RouterInterfaceInUseByFloatingIP",
    );
    assert_error(
        &demo
            .put(
                &format!("/routers/{router}"),
                json!({"router": {"external_gateway_info": {}}}),
            )
            .await,
        StatusCode::CONFLICT,
        "RouterExternalGatewayInUseByFloatingIp",
    );
    let (status, body) = demo
        .put(
            &format!("/floatingips/{fip_id}"),
            json!({"floatingip": {"port_id": null}}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["floatingip"]["status"].clone(),
            body["floatingip"]["port_id"].clone()
        ),
        (StatusCode::OK, json!("DOWN"), Value::Null)
    );
    // Deleting the port disassociates; deleting the floating IP frees its address.
    demo.put(
        &format!("/floatingips/{second}"),
        json!({"floatingip": {"port_id": port_id}}),
    )
    .await;
    demo.delete(&format!("/ports/{port_id}")).await;
    let (_, body) = demo.get(&format!("/floatingips/{second}")).await;
    assert_eq!(body["floatingip"]["port_id"], Value::Null);
    let (status, _) = demo.delete(&format!("/floatingips/{fip_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = admin
        .post(
            "/floatingips",
            json!({"floatingip": {"floating_network_id": public, "floating_ip_address": address}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let alt = As::new(&cloud, "alt", "alt");
    assert_error(
        &alt.get(&format!("/floatingips/{second}")).await,
        StatusCode::NOT_FOUND,
        "FloatingIPNotFound",
    );
}
