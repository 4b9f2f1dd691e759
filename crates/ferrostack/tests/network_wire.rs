//! The network client against Neutron on wiremock: `v2.0` joined to the catalog's URL
//! without discovery, lists that follow `<collection>_links` and stop on a repeated link,
//! `NeutronError` bodies mapped to error kinds with Neutron's type kept, `find` and
//! `find_extension` fallbacks, and floating-IP association.

mod session_support;

use ferrostack::ErrorKind;
use ferrostack::network::{NetworkClient, SortDir};
use futures::TryStreamExt;
use serde_json::{Value, json};
use session_support::Cloud;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const NETS: &str = "/networking/v2.0/networks";

fn network(id: &str, name: &str) -> Value {
    json!({
        "id": id, "name": name, "status": "ACTIVE", "admin_state_up": true, "shared": false,
        "router:external": name == "public", "subnets": [], "mtu": 1450,
        "port_security_enabled": true, "project_id": "p1", "tenant_id": "p1",
        "availability_zones": ["nova"], "availability_zone_hints": [], "description": "",
        "tags": [], "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z",
        "revision_number": 1, "ipv4_address_scope": null, "l2_adjacency": true,
        "status_new_in_some_release": "x"
    })
}

fn neutron_error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-openstack-request-id", "req-neutron-1")
        .set_body_json(json!({"NeutronError": {"type": kind, "message": message, "detail": ""}}))
}

fn client(cloud: &Cloud) -> NetworkClient {
    NetworkClient::new(cloud.session(cloud.config()))
}

// ---------------------------------------------------------------------------------------------
// The endpoint

#[tokio::test]
async fn v2_0_is_appended_to_the_catalog_url_without_discovery() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"networks": [network("n1", "private"), network("n2", "public")]}),
        ))
        .mount(&cloud.server)
        .await;
    let nets = client(&cloud)
        .networks()
        .list()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(nets.len(), 2);
    assert!(nets[1].external);
    assert_eq!(nets[0].extra["status_new_in_some_release"], "x");
    assert_eq!(nets[0].extra["tenant_id"], "p1");
    // Nothing but the list reached Neutron: no version document was asked for.
    let at_neutron: Vec<String> = cloud
        .received()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| p.starts_with("/networking"))
        .collect();
    assert_eq!(at_neutron, vec![NETS.to_owned()]);
}

#[tokio::test]
async fn a_catalog_url_already_naming_v2_0_is_used_as_it_is() {
    let cloud = Cloud::with_network("/networking/v2.0/").await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"networks": [network("n1", "a")]})),
        )
        .mount(&cloud.server)
        .await;
    let nets = client(&cloud)
        .networks()
        .list()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(nets.len(), 1);
    assert_eq!(cloud.received_at("GET", NETS).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Pagination

/// Answers `GET /networks` by marker: no marker is page 1, `n1` page 2, `n2` page 3; page 2
/// links to page 3, or back to itself when `repeat` is set.
struct Pages {
    base: String,
    repeat: bool,
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let marker = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "marker")
            .map(|(_, v)| v.into_owned());
        let next = |marker: &str| {
            json!([{"rel": "next", "href": format!("{}{NETS}?limit=1&sort_key=name&sort_dir=asc&marker={marker}", self.base)},
                   {"rel": "previous", "href": format!("{}{NETS}?limit=1&page_reverse=True", self.base)}])
        };
        let body = match marker.as_deref() {
            None => json!({"networks": [network("n1", "a")], "networks_links": next("n1")}),
            Some("n1") if self.repeat => {
                json!({"networks": [network("n2", "b")], "networks_links": next("n1")})
            }
            Some("n1") => json!({"networks": [network("n2", "b")], "networks_links": next("n2")}),
            _ => json!({"networks": [network("n3", "c")], "networks_links": [
                {"rel": "previous", "href": format!("{}{NETS}?limit=1&marker=n3&page_reverse=True", self.base)}]}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[tokio::test]
async fn lists_follow_the_next_link_until_there_is_none() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .respond_with(Pages {
            base: cloud.uri(),
            repeat: false,
        })
        .mount(&cloud.server)
        .await;
    let names: Vec<String> = client(&cloud)
        .networks()
        .list()
        .sort("name", SortDir::Asc)
        .limit(1)
        .stream()
        .map_ok(|n| n.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["a", "b", "c"]);
    let sent = cloud.received_at("GET", NETS).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[0].url.query(),
        Some("sort_key=name&sort_dir=asc&limit=1")
    );
    // The followed link's own query, as Neutron wrote it.
    assert_eq!(
        sent[2].url.query(),
        Some("limit=1&sort_key=name&sort_dir=asc&marker=n2")
    );
}

#[tokio::test]
async fn a_repeated_next_link_stops_the_list() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .respond_with(Pages {
            base: cloud.uri(),
            repeat: true,
        })
        .mount(&cloud.server)
        .await;
    let names: Vec<String> = client(&cloud)
        .networks()
        .list()
        .limit(1)
        .stream()
        .map_ok(|n| n.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(cloud.received_at("GET", NETS).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Errors and lookups

#[tokio::test]
async fn neutron_errors_map_to_kinds_and_keep_their_type() {
    let cloud = Cloud::with_network("/networking").await;
    let message = "Unable to complete operation for network n1. The IP address 10.0.0.5 is in use.";
    Mock::given(method("POST"))
        .and(path("/networking/v2.0/ports"))
        .respond_with(neutron_error(409, "IpAddressInUse", message))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/routers/r9"))
        .respond_with(neutron_error(
            404,
            "RouterNotFound",
            "Router r9 could not be found",
        ))
        .mount(&cloud.server)
        .await;
    let network = client(&cloud);
    let err = network
        .ports()
        .create("n1")
        .fixed_ips([ferrostack::network::FixedIp::address(
            "10.0.0.5".parse().unwrap(),
        )])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(err.error_type(), Some("IpAddressInUse"));
    assert_eq!(err.message(), message);
    assert_eq!(err.request_id(), Some("req-neutron-1"));
    assert_eq!(
        err.to_string(),
        format!("network: {message} (HTTP 409, request req-neutron-1)")
    );
    let err = network.routers().get("r9").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.error_type(), Some("RouterNotFound"));
}

#[tokio::test]
async fn find_tries_the_id_then_the_exact_name() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("GET"))
        .and(path(format!("{NETS}/public")))
        .respond_with(neutron_error(
            404,
            "NetworkNotFound",
            "Network public could not be found.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .and(query_param("name", "public"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"networks": [network("n2", "public")]})),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(NETS))
        .and(query_param("name", "twice"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"networks": [network("n3", "twice"), network("n4", "twice")]}),
            ),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path_prefix_404(NETS))
        .respond_with(neutron_error(404, "NetworkNotFound", "not found"))
        .with_priority(10)
        .mount(&cloud.server)
        .await;
    let networks = client(&cloud).networks();
    let public = networks.find("public").await.unwrap();
    assert_eq!(public.id.as_str(), "n2");
    let err = networks.find("twice").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);
    assert_eq!(
        err.message(),
        "2 networks are named \"twice\" (n3, n4); use an id"
    );
}

/// Any `GET` under `prefix/` (a network by id that no other mock knows).
fn path_prefix_404(prefix: &str) -> wiremock::matchers::PathRegexMatcher {
    wiremock::matchers::path_regex(format!("^{prefix}/[^/]+$"))
}

#[tokio::test]
async fn extensions_are_listed_and_found_by_alias() {
    let cloud = Cloud::with_network("/networking").await;
    let tag = json!({"alias": "standard-attr-tag", "name": "Tag support",
        "description": "Enables to set tag on resources with standard attribute.",
        "updated": "2017-01-01T00:00:00-00:00", "links": []});
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/extensions/standard-attr-tag"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"extension": tag})))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/extensions/qos"))
        .respond_with(neutron_error(
            404,
            "ExtensionNotFound",
            "Extension with alias qos does not exist",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/extensions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"extensions": [
            tag, {"alias": "router", "name": "Neutron L3 Router", "description": "",
                  "updated": null, "links": [], "new_field": 1}]})),
        )
        .mount(&cloud.server)
        .await;
    let network = client(&cloud);
    let all = network.extensions().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].extra["new_field"], 1);
    let found = network.find_extension("standard-attr-tag").await.unwrap();
    assert_eq!(found.unwrap().name, "Tag support");
    assert!(network.find_extension("qos").await.unwrap().is_none());
    // A 404 falls back to the list, as openstacksdk's find does.
    assert_eq!(
        cloud
            .received_at("GET", "/networking/v2.0/extensions")
            .await
            .len(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// Floating IPs

fn floating_ip(port: Option<&str>) -> Value {
    json!({"floatingip": {
        "id": "f1", "floating_ip_address": "127.42.0.7", "floating_network_id": "n2",
        "router_id": port.map(|_| "r1"), "port_id": port,
        "fixed_ip_address": port.map(|_| "10.0.0.5"),
        "status": if port.is_some() { "ACTIVE" } else { "DOWN" },
        "project_id": "p1", "tenant_id": "p1", "description": "", "tags": [],
        "port_details": port.map(|p| json!({"name": "", "network_id": "n1",
            "mac_address": "fa:16:3e:00:00:01", "admin_state_up": true, "status": "ACTIVE",
            "device_id": "s1", "device_owner": "compute:nova", "id": p})),
        "port_forwardings": [], "revision_number": 2,
        "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:01Z"
    }})
}

#[tokio::test]
async fn floating_ips_are_created_associated_and_disassociated() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("POST"))
        .and(path("/networking/v2.0/floatingips"))
        .and(body_json(
            json!({"floatingip": {"floating_network_id": "n2"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(floating_ip(None)))
        .mount(&cloud.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(json!({"floatingip": {"port_id": "p1"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(Some("p1"))))
        .mount(&cloud.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(json!({"floatingip": {"port_id": null}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(None)))
        .mount(&cloud.server)
        .await;
    let fips = client(&cloud).floating_ips();
    let fip = fips.create("n2").send().await.unwrap();
    assert_eq!(fip.status, Some(ferrostack::network::Status::Down));
    assert_eq!(fip.port_id, None);
    let fip = fips.associate(fip.id, "p1").await.unwrap();
    assert_eq!(fip.port_id.as_ref().map(|p| p.as_str()), Some("p1"));
    assert_eq!(fip.fixed_ip_address, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(fip.port_details.unwrap().device_id, "s1");
    let fip = fips.disassociate(fip.id).await.unwrap();
    assert_eq!(fip.port_id, None);
}

fn port(id: &str, ip: &str) -> Value {
    json!({"id": id, "name": "", "network_id": "n1", "mac_address": "fa:16:3e:00:00:01",
        "fixed_ips": [{"ip_address": ip, "subnet_id": "sn1"}], "device_id": "s1",
        "device_owner": "compute:nova", "status": "ACTIVE", "admin_state_up": true,
        "security_groups": ["sg1"], "binding:vnic_type": "normal", "project_id": "p1"})
}

/// The floating IP `127.42.0.7` found by address, and the server `s1`'s two ports: `p0` on a
/// network no router reaches, `p1` reachable.
async fn mount_server_with_two_ports(cloud: &Cloud) {
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/floatingips/127.42.0.7"))
        .respond_with(neutron_error(
            404,
            "FloatingIPNotFound",
            "Floating IP 127.42.0.7 could not be found",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/floatingips"))
        .and(query_param("floating_ip_address", "127.42.0.7"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"floatingips": [floating_ip(None)["floatingip"]]})),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/ports"))
        .and(query_param("device_id", "s1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ports": [port("p0", "10.9.0.5"), port("p1", "10.0.0.5")]})),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(json!({"floatingip": {"port_id": "p0"}})))
        .respond_with(neutron_error(
            404,
            "ExternalGatewayForFloatingIPNotFound",
            "External network n2 is not reachable from subnet sn0.  Therefore, cannot associate Port p0 with a Floating IP.",
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(json!({"floatingip": {"port_id": "p1"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(Some("p1"))))
        .mount(&cloud.server)
        .await;
}

fn fip_bodies(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_floating_ip_is_added_to_a_server_through_neutron_as_openstackclient_does() {
    let cloud = Cloud::with_network("/networking").await;
    mount_server_with_two_ports(&cloud).await;
    let servers = ferrostack::compute::ComputeClient::new(cloud.session(cloud.config())).servers();
    let fip = servers
        .add_floating_ip(&"s1".into(), "127.42.0.7", None)
        .await
        .unwrap();
    assert_eq!(fip.port_id.as_ref().map(|p| p.as_str()), Some("p1"));
    // The unreachable port was tried first and skipped; nothing went to Nova.
    let puts = cloud
        .received_at("PUT", "/networking/v2.0/floatingips/f1")
        .await;
    assert_eq!(
        fip_bodies(&puts),
        [
            json!({"floatingip": {"port_id": "p0"}}),
            json!({"floatingip": {"port_id": "p1"}})
        ]
    );
    assert!(
        !cloud
            .received()
            .await
            .iter()
            .any(|r| r.url.path().contains("/servers"))
    );
}

#[tokio::test]
async fn a_fixed_address_picks_its_port_and_no_port_is_a_clear_error() {
    let cloud = Cloud::with_network("/networking").await;
    mount_server_with_two_ports(&cloud).await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(
            json!({"floatingip": {"port_id": "p1", "fixed_ip_address": "10.0.0.5"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(Some("p1"))))
        .mount(&cloud.server)
        .await;
    let servers = ferrostack::compute::ComputeClient::new(cloud.session(cloud.config())).servers();
    let id = ferrostack::compute::ServerId::new("s1");
    servers
        .add_floating_ip(&id, "127.42.0.7", Some("10.0.0.5".parse().unwrap()))
        .await
        .unwrap();
    let err = servers
        .add_floating_ip(&id, "127.42.0.7", Some("10.0.0.99".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(
        err.message(),
        "server s1 has no port with the address 10.0.0.99 to forward floating IP 127.42.0.7 to"
    );
    let puts = cloud
        .received_at("PUT", "/networking/v2.0/floatingips/f1")
        .await;
    assert_eq!(puts.len(), 1, "only the port holding 10.0.0.5 was tried");
}

#[tokio::test]
async fn a_floating_ip_is_removed_with_a_null_port_unless_it_is_another_servers() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(Some("p1"))))
        .mount(&cloud.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/networking/v2.0/floatingips/f1"))
        .and(body_json(json!({"floatingip": {"port_id": null}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(floating_ip(None)))
        .mount(&cloud.server)
        .await;
    let servers = ferrostack::compute::ComputeClient::new(cloud.session(cloud.config())).servers();
    let err = servers
        .remove_floating_ip(&"s2".into(), "f1")
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        "floating IP 127.42.0.7 is forwarded to s1, not to server s2"
    );
    assert!(
        cloud
            .received_at("PUT", "/networking/v2.0/floatingips/f1")
            .await
            .is_empty()
    );
    let fip = servers
        .remove_floating_ip(&"s1".into(), "f1")
        .await
        .unwrap();
    assert_eq!(fip.port_id, None);
}

#[tokio::test]
async fn security_groups_and_interfaces_go_to_nova() {
    let cloud = Cloud::with_network("/networking").await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers/s1/action"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers/s1/os-interface"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"interfaceAttachments": [
            {"port_id": "p1", "net_id": "n1", "mac_addr": "fa:16:3e:00:00:01",
             "port_state": "ACTIVE", "fixed_ips": [{"ip_address": "10.0.0.5", "subnet_id": "sn1"}]}]})))
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers/s1/os-interface"))
        .and(body_json(json!({"interfaceAttachment": {"net_id": "n1"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"interfaceAttachment":
            {"port_id": "p2", "net_id": "n1", "mac_addr": "fa:16:3e:00:00:02",
             "port_state": "DOWN", "fixed_ips": [{"ip_address": "10.0.0.6", "subnet_id": "sn1"}]}})))
        .mount(&cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/compute/v2.1/servers/s1/os-interface/p2"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&cloud.server)
        .await;
    let compute = ferrostack::compute::ComputeClient::new(cloud.session(cloud.config()));
    let id = ferrostack::compute::ServerId::new("s1");
    compute
        .servers()
        .add_security_group(&id, "web")
        .await
        .unwrap();
    compute
        .servers()
        .remove_security_group(&id, "web")
        .await
        .unwrap();
    let actions = cloud
        .received_at("POST", "/compute/v2.1/servers/s1/action")
        .await;
    assert_eq!(
        fip_bodies(&actions),
        [
            json!({"addSecurityGroup": {"name": "web"}}),
            json!({"removeSecurityGroup": {"name": "web"}})
        ]
    );
    let interfaces = compute.interfaces(id);
    let all = interfaces.list().collect_all().await.unwrap();
    assert_eq!(all[0].mac_addr.as_deref(), Some("fa:16:3e:00:00:01"));
    let new = interfaces
        .create(ferrostack::compute::NetworkAttachment::network("n1"))
        .send()
        .await
        .unwrap();
    assert_eq!(new.port_id.as_str(), "p2");
    interfaces.delete(new.port_id).await.unwrap();
    assert_eq!(
        cloud
            .received_at("DELETE", "/compute/v2.1/servers/s1/os-interface/p2")
            .await
            .len(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Waiters

/// Answers each GET with the next of `answers`, the last one repeating.
struct Sequence(Vec<ResponseTemplate>, std::sync::atomic::AtomicUsize);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0[n.min(self.0.len() - 1)].clone()
    }
}

fn fast(timeout: std::time::Duration) -> ferrostack::wait::Wait {
    ferrostack::wait::Wait::new(timeout).backoff(ferrostack::wait::Backoff::fixed(
        std::time::Duration::from_millis(1),
    ))
}

#[tokio::test]
async fn waiters_poll_until_the_status_and_fail_fast_on_error() {
    use ferrostack::network::Status;
    let cloud = Cloud::with_network("/networking").await;
    let with_status = |status: &str| {
        let mut body = json!({"port": port("p1", "10.0.0.5")});
        body["port"]["status"] = status.into();
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/ports/p1"))
        .respond_with(Sequence(
            vec![
                with_status("DOWN"),
                with_status("BUILD"),
                with_status("ACTIVE"),
            ],
            Default::default(),
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/ports/p2"))
        .respond_with(Sequence(
            vec![with_status("DOWN"), with_status("ERROR")],
            Default::default(),
        ))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/networking/v2.0/ports/p3"))
        .respond_with(Sequence(
            vec![
                with_status("ACTIVE"),
                neutron_error(404, "PortNotFound", "Port p3 could not be found."),
            ],
            Default::default(),
        ))
        .mount(&cloud.server)
        .await;
    let ports = client(&cloud).ports();
    let wait = std::time::Duration::from_secs(10);
    let up = ports
        .wait_for_status("p1", Status::Active, fast(wait))
        .await
        .unwrap();
    assert_eq!(up.status, Some(Status::Active));
    assert_eq!(
        cloud
            .received_at("GET", "/networking/v2.0/ports/p1")
            .await
            .len(),
        3
    );
    let err = ports
        .wait_for_status("p2", Status::Active, fast(wait))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::FailureState);
    assert_eq!(
        err.message(),
        "port p2 went to ERROR while waiting for ACTIVE"
    );
    ports.wait_for_delete("p3", fast(wait)).await.unwrap();
}
