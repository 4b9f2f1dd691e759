//! One snapshot per Neutron request, built through the public builders.

use std::net::IpAddr;

use serde_json::json;

use super::*;
use crate::error::ErrorKind;
use crate::network::{
    AddressPair, AllocationPool, Direction, EtherType, ExternalGateway, FixedIp, HostRoute,
    Network, NetworkClient, SortDir, Status,
};

fn client() -> NetworkClient {
    NetworkClient::new(crate::testing::offline_session())
}

fn snap(request: Request) -> Value {
    serde_json::to_value(request.redacted()).unwrap()
}

const NET: &str = "3cb9bc59-5699-4588-a4b1-b87f96708bc6";
const SUBNET: &str = "4f1e2d3c-0b9a-4c8d-9e7f-6a5b4c3d2e1f";
const PORT: &str = "8d5a2b3c-1e4f-4a6b-8c9d-0e1f2a3b4c5d";
const SG: &str = "5c1b9e3a-4f6d-4b7e-9a2c-8d1e0f3a6b5c";
const ROUTER: &str = "f8a44de0-fc8e-45df-93c7-f79bf3b01c95";
const FIP: &str = "61cea855-49cb-4846-997d-801b70c71bdd";
const PUBLIC: &str = "6d3c4b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";

#[test]
fn networks() {
    let networks = client().networks();
    insta::assert_json_snapshot!(
        "list_networks",
        snap(
            networks
                .list()
                .name("private")
                .external(false)
                .shared(false)
                .status(Status::Active)
                .admin_state_up(true)
                .project_id("6f70656e")
                .tags(["a", "b"])
                .tags_any(["c"])
                .not_tags(["d", "e"])
                .not_tags_any(["f"])
                .fields(["name", "subnets"])
                .sort("name", SortDir::Asc)
                .sort("id", SortDir::Desc)
                .limit(2)
                .marker(NET)
                .request()
        )
    );
    insta::assert_json_snapshot!(
        "list_networks_by_ids",
        snap(
            networks
                .list()
                .ids([NET.into(), PUBLIC.into()])
                .filter("provider:network_type", "vxlan")
                .request()
        )
    );
    insta::assert_json_snapshot!("show_network", snap(show::<Network>("a b/c").unwrap()));
    insta::assert_json_snapshot!(
        "create_network",
        snap(
            networks
                .create("private")
                .admin_state_up(true)
                .shared(false)
                .external(false)
                .mtu(1450u32)
                .port_security_enabled(true)
                .description("the project's own")
                .availability_zone_hints(vec!["nova".to_owned()])
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_network",
        snap(
            networks
                .update(NET)
                .name("private-2")
                .external(true)
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!("delete_network", snap(delete::<Network>(NET).unwrap()));
    let err = show::<Network>(" ").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidInput);
    assert_eq!(err.message(), "a network id must not be empty");
}

#[test]
fn subnets() {
    let subnets = client().subnets();
    insta::assert_json_snapshot!(
        "list_subnets",
        snap(
            subnets
                .list()
                .network_id(NET)
                .ip_version(4)
                .cidr("10.0.0.0/24")
                .gateway_ip("10.0.0.1".parse().unwrap())
                .enable_dhcp(true)
                .name("private-subnet")
                .request()
        )
    );
    insta::assert_json_snapshot!(
        "create_subnet",
        snap(
            subnets
                .create(NET, "10.0.0.0/24")
                .name("private-subnet")
                .gateway_ip("10.0.0.1".parse::<IpAddr>().unwrap())
                .enable_dhcp(true)
                .allocation_pools(vec![AllocationPool::new(
                    "10.0.0.10".parse().unwrap(),
                    "10.0.0.99".parse().unwrap()
                )])
                .dns_nameservers(vec!["10.0.0.2".to_owned()])
                .host_routes(vec![HostRoute::new(
                    "10.1.0.0/24",
                    "10.0.0.254".parse().unwrap()
                )])
                .description("d")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "create_subnet_v6_no_gateway",
        snap(
            subnets
                .create(NET, "fd00::/64")
                .no_gateway()
                .ipv6_ra_mode("slaac")
                .ipv6_address_mode("slaac")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_subnet",
        snap(
            subnets
                .update(SUBNET)
                .name("renamed")
                .no_gateway()
                .request()
                .unwrap()
        )
    );
    let err = subnets
        .create(NET, "10.0.0.0/24")
        .ip_version(5u8)
        .request()
        .unwrap_err();
    assert_eq!(err.message(), "subnet: ip_version 5 must be 4 or 6");
}

#[test]
fn ports() {
    let ports = client().ports();
    insta::assert_json_snapshot!(
        "list_ports",
        snap(
            ports
                .list()
                .device_id("9168b536-cd40-4630-b43f-b259807c6e87")
                .network_id(NET)
                .device_owner("compute:nova")
                .mac_address("fa:16:3e:00:00:01")
                .status(Status::Down)
                .fixed_ip_address("10.0.0.5".parse().unwrap())
                .fixed_ip_subnet(SUBNET)
                .security_group(SG)
                .name("web-1")
                .fields(["mac_address"])
                .request()
        )
    );
    insta::assert_json_snapshot!(
        "create_port",
        snap(
            ports
                .create(NET)
                .name("web-1")
                .fixed_ips([
                    FixedIp::new("10.0.0.5".parse().unwrap(), SUBNET),
                    FixedIp::on_subnet(SUBNET),
                    FixedIp::address("10.0.0.6".parse().unwrap()),
                ])
                .security_groups([SG.into()])
                .port_security_enabled(true)
                .allowed_address_pairs([AddressPair::new("10.0.1.0/24")])
                .admin_state_up(true)
                .mac_address("fa:16:3e:00:00:01")
                .vnic_type("normal")
                .device_id("d")
                .device_owner("compute:nova")
                .dns_name("web-1")
                .description("d")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_port",
        snap(
            ports
                .update(PORT)
                .security_groups(Vec::new())
                .port_security_enabled(false)
                .request()
                .unwrap()
        )
    );
}

#[test]
fn routers() {
    let routers = client().routers();
    insta::assert_json_snapshot!(
        "list_routers",
        snap(
            routers
                .list()
                .name("router1")
                .status(Status::Active)
                .admin_state_up(true)
                .request()
        )
    );
    insta::assert_json_snapshot!(
        "create_router",
        snap(
            routers
                .create("router1")
                .external_gateway(
                    ExternalGateway::new(PUBLIC)
                        .enable_snat(true)
                        .fixed_ip(FixedIp::address("172.24.4.3".parse().unwrap()))
                )
                .admin_state_up(true)
                .description("d")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_router_gateway",
        snap(
            routers
                .update(ROUTER)
                .external_gateway(ExternalGateway::new(PUBLIC))
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_router_clear_gateway",
        snap(
            routers
                .update(ROUTER)
                .clear_external_gateway()
                .routes(vec![HostRoute::new(
                    "10.1.0.0/24",
                    "10.0.0.254".parse().unwrap()
                )])
                .request()
                .unwrap()
        )
    );
    let router = RouterId::new(ROUTER);
    insta::assert_json_snapshot!(
        "add_router_interface_subnet",
        snap(router_interface(&router, true, &SubnetId::new(SUBNET).into()).unwrap())
    );
    insta::assert_json_snapshot!(
        "remove_router_interface_port",
        snap(router_interface(&router, false, &PortId::new(PORT).into()).unwrap())
    );
}

#[test]
fn security_groups_and_rules() {
    let client = client();
    insta::assert_json_snapshot!(
        "list_security_groups",
        snap(
            client
                .security_groups()
                .list()
                .project_id("6f70656e")
                .fields(["id", "name", "description", "project_id", "tags", "shared"])
                .request()
        )
    );
    insta::assert_json_snapshot!(
        "create_security_group",
        snap(
            client
                .security_groups()
                .create("web")
                .description("web servers")
                .stateful(true)
                .project_id("6f70656e")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "update_security_group",
        snap(
            client
                .security_groups()
                .update(SG)
                .name("web-2")
                .request()
                .unwrap()
        )
    );
    let rules = client.security_group_rules();
    insta::assert_json_snapshot!(
        "list_security_group_rules",
        snap(
            rules
                .list()
                .security_group_id(SG)
                .direction(Direction::Ingress)
                .ethertype(EtherType::Ipv4)
                .protocol("tcp")
                .remote_group_id(SG)
                .request()
        )
    );
    // What `openstack security group rule create --protocol tcp --dst-port 22 default` sends.
    insta::assert_json_snapshot!(
        "create_security_group_rule_ssh",
        snap(
            rules
                .create(SG, Direction::Ingress)
                .protocol("tcp")
                .port_range(22, 22)
                .remote_ip_prefix("0.0.0.0/0")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "create_security_group_rule_v6_from_group",
        snap(
            rules
                .create(SG, Direction::Egress)
                .remote_ip_prefix("::/0")
                .description("any")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "create_security_group_rule_icmp",
        snap(
            rules
                .create(SG, Direction::Ingress)
                .ethertype(EtherType::Ipv4)
                .protocol("icmp")
                .port_range(8, 0)
                .remote_group_id(SG)
                .request()
                .unwrap()
        )
    );
    // osc's `--icmp-type 3` alone: every code of the type; and another project's rule.
    insta::assert_json_snapshot!(
        "create_security_group_rule_icmp_type_for_a_project",
        snap(
            rules
                .create(SG, Direction::Ingress)
                .protocol("icmp")
                .icmp_type(3)
                .remote_ip_prefix("0.0.0.0/0")
                .project_id("7b3c0d2e9f8a4b1c")
                .request()
                .unwrap()
        )
    );
    let backwards = rules
        .create(SG, Direction::Ingress)
        .protocol("tcp")
        .port_range(90, 80)
        .request()
        .unwrap_err();
    assert_eq!(
        backwards.message(),
        "security group rule: port range 90-80 ends before it starts"
    );
    let icmp = rules
        .create(SG, Direction::Ingress)
        .protocol("icmp")
        .port_range(300, 0)
        .request()
        .unwrap_err();
    assert_eq!(
        icmp.message(),
        "security group rule: ICMP type 300 and code 0 must be 0 to 255"
    );
}

#[test]
fn floating_ips() {
    let fips = client().floating_ips();
    insta::assert_json_snapshot!(
        "list_floating_ips",
        snap(
            fips.list()
                .floating_ip_address("172.24.4.10".parse().unwrap())
                .floating_network_id(PUBLIC)
                .port_id(PORT)
                .fixed_ip_address("10.0.0.5".parse().unwrap())
                .router_id(ROUTER)
                .status(Status::Active)
                .request()
        )
    );
    // `openstack floating ip create public`
    insta::assert_json_snapshot!(
        "create_floating_ip",
        snap(fips.create(PUBLIC).request().unwrap())
    );
    insta::assert_json_snapshot!(
        "create_floating_ip_full",
        snap(
            fips.create(PUBLIC)
                .floating_ip_address("172.24.4.10".parse::<IpAddr>().unwrap())
                .subnet_id(SUBNET)
                .port_id(PORT)
                .fixed_ip_address("10.0.0.5".parse::<IpAddr>().unwrap())
                .description("d")
                .dns_name("web")
                .dns_domain("example.org.")
                .project_id("6f70656e")
                .request()
                .unwrap()
        )
    );
    insta::assert_json_snapshot!(
        "associate_floating_ip",
        snap(
            fips.update(FIP)
                .port_id(PORT)
                .fixed_ip_address("10.0.0.5".parse::<IpAddr>().unwrap())
                .request()
                .unwrap()
        )
    );
    // `openstack server remove floating ip` / `floating ip unset --port`
    insta::assert_json_snapshot!(
        "disassociate_floating_ip",
        snap(
            fips.update(FIP)
                .fixed_ip_address("10.0.0.5".parse::<IpAddr>().unwrap())
                .no_port()
                .request()
                .unwrap()
        )
    );
}

#[test]
fn extensions_and_tags() {
    insta::assert_json_snapshot!("list_extensions", snap(extensions()));
    insta::assert_json_snapshot!(
        "show_extension",
        snap(extension("standard-attr-tag").unwrap())
    );
    let tags = vec!["web".to_owned(), "prod".to_owned()];
    insta::assert_json_snapshot!(
        "replace_tags",
        snap(replace_tags::<Network>(NET, &tags).unwrap())
    );
    insta::assert_json_snapshot!("add_tag", snap(add_tag::<Network>(NET, "a b").unwrap()));
    insta::assert_json_snapshot!(
        "remove_tag",
        snap(remove_tag::<Network>(NET, "web").unwrap())
    );
    let err = add_tag::<Network>(NET, "a,b").unwrap_err();
    assert_eq!(
        err.message(),
        format!("network {NET}: tag \"a,b\" must be 1 to 255 characters without a comma")
    );
    assert!(extension("").is_err());
    assert_eq!(
        json!(extensions().service),
        json!("network"),
        "requests go to the network service"
    );
}
