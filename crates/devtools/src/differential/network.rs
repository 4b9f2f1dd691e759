//! The Neutron cases (`cargo xtask conformance --with-neutron`).

use serde_json::json;

use super::{Case, Svc, Who, case};

/// An id no resource has.
const NO_SUCH_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The network cases, in order: discovery and extensions; the seeded topology (`public`,
/// each project's `private`, `router1` and `default` group with its four rules); networks,
/// subnets, ports, routers (gateway, add/remove interface), security groups and rules,
/// floating IPs (create, associate, disassociate), paging, sorting, `fields=`, filters, tags,
/// and policy between the projects admin and demo; good and bad inputs. Both backends are
/// seeded alike (real Neutron by `real_neutron.rs`, the mock by its own topology), and each
/// case checks the status, the key structure, the Neutron error type and, where it matters,
/// which resources a list holds.
pub fn cases() -> Vec<Case> {
    use Svc::Network as N;
    use Who::{Admin, Bogus, Demo, Nobody};
    let networks = |name: &str, query: &str| {
        case(name, N, Demo, "GET", &format!("/v2.0/networks{query}")).compare("/networks[].name")
    };
    let rule = |name: &str, body: serde_json::Value| {
        let mut rule = json!({"security_group_id": "{sg}", "direction": "ingress",
            "ethertype": "IPv4"});
        if let (Some(rule), Some(extra)) = (rule.as_object_mut(), body.as_object()) {
            rule.extend(extra.clone());
        }
        case(name, N, Demo, "POST", "/v2.0/security-group-rules")
            .json(json!({ "security_group_rule": rule }))
    };
    vec![
        // discovery
        case("network root", N, Nobody, "GET", "/"),
        case("v2.0 resources", N, Admin, "GET", "/v2.0/")
            .compare("/resources[].collection")
            .deliberate_values(
                "Neutron lists its core collections (networks, ports, subnetpools, subnets); \
                 the mock lists the seven it serves, and serves no subnet pools",
            ),
        case("networks without token", N, Nobody, "GET", "/v2.0/networks"),
        case(
            "networks with bogus token",
            N,
            Bogus,
            "GET",
            "/v2.0/networks",
        ),
        case("extensions", N, Admin, "GET", "/v2.0/extensions"),
        case(
            "extension router",
            N,
            Demo,
            "GET",
            "/v2.0/extensions/router",
        ),
        case(
            "extension security-group",
            N,
            Demo,
            "GET",
            "/v2.0/extensions/security-group",
        ),
        case(
            "extension unknown",
            N,
            Demo,
            "GET",
            "/v2.0/extensions/no-such",
        ),
        // the seeded topology, as each project first sees it
        networks("networks as demo", ""),
        case("networks as admin", N, Admin, "GET", "/v2.0/networks").compare("/networks[].name"),
        networks("network public by name", "?name=public")
            .capture("public", "/networks/0/id")
            .compare("/networks/0/router:external"),
        networks("network private by name", "?name=private").capture("private", "/networks/0/id"),
        case(
            "subnets as demo",
            N,
            Demo,
            "GET",
            "/v2.0/subnets?name=private-subnet",
        )
        .capture("private_subnet", "/subnets/0/id")
        .compare("/subnets[].cidr")
        .compare("/subnets[].gateway_ip"),
        case(
            "public subnet",
            N,
            Demo,
            "GET",
            "/v2.0/subnets?name=public-subnet",
        )
        .compare("/subnets[].cidr"),
        case("routers as demo", N, Demo, "GET", "/v2.0/routers")
            .capture("router1", "/routers/0/id")
            .compare("/routers[].name"),
        case("router1 show", N, Demo, "GET", "/v2.0/routers/{router1}"),
        case("ports as demo", N, Demo, "GET", "/v2.0/ports").compare("/ports[].device_owner"),
        case(
            "security groups as demo",
            N,
            Demo,
            "GET",
            "/v2.0/security-groups",
        )
        .capture("default_sg", "/security_groups/0/id")
        .compare("/security_groups[].name"),
        case(
            "default group show",
            N,
            Demo,
            "GET",
            "/v2.0/security-groups/{default_sg}",
        )
        .compare("/security_group/security_group_rules[].direction")
        .compare("/security_group/security_group_rules[].ethertype"),
        case(
            "default group rules",
            N,
            Demo,
            "GET",
            "/v2.0/security-group-rules?security_group_id={default_sg}",
        )
        .compare("/security_group_rules[].direction")
        .compare("/security_group_rules[].protocol")
        .compare("/security_group_rules[].remote_ip_prefix"),
        // networks
        case("network create", N, Demo, "POST", "/v2.0/networks")
            .json(json!({"network": {"name": "diff-net"}}))
            .capture("net", "/network/id")
            .compare("/network/status"),
        case("network create empty", N, Demo, "POST", "/v2.0/networks")
            .json(json!({"network": {}}))
            .capture("net_empty", "/network/id"),
        case("network create no body", N, Demo, "POST", "/v2.0/networks"),
        case(
            "network create unknown attribute",
            N,
            Demo,
            "POST",
            "/v2.0/networks",
        )
        .json(json!({"network": {"name": "diff-bad", "bogus": 1}})),
        case(
            "network create external as member",
            N,
            Demo,
            "POST",
            "/v2.0/networks",
        )
        .json(json!({"network": {"name": "diff-ext", "router:external": true}})),
        case(
            "network create bad mtu type",
            N,
            Demo,
            "POST",
            "/v2.0/networks",
        )
        .json(json!({"network": {"name": "diff-bad", "admin_state_up": "maybe"}})),
        case("network show", N, Demo, "GET", "/v2.0/networks/{net}"),
        case(
            "network show fields",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{net}?fields=id&fields=name",
        ),
        case(
            "network show .json",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{net}.json",
        ),
        case("network update", N, Demo, "PUT", "/v2.0/networks/{net}")
            .json(json!({"network": {"name": "diff-net-2", "description": "renamed"}}))
            .compare("/network/name"),
        case(
            "network update id refused",
            N,
            Demo,
            "PUT",
            "/v2.0/networks/{net}",
        )
        .json(json!({"network": {"id": NO_SUCH_ID}})),
        case(
            "network show unknown",
            N,
            Demo,
            "GET",
            &format!("/v2.0/networks/{NO_SUCH_ID}"),
        ),
        case(
            "network delete unknown",
            N,
            Demo,
            "DELETE",
            &format!("/v2.0/networks/{NO_SUCH_ID}"),
        ),
        // policy between the projects
        case(
            "shared network by admin",
            N,
            Admin,
            "POST",
            "/v2.0/networks",
        )
        .json(json!({"network": {"name": "diff-shared", "shared": true}}))
        .capture("shared_net", "/network/id"),
        case("admin's own network", N, Admin, "POST", "/v2.0/networks")
            .json(json!({"network": {"name": "diff-admin-only"}}))
            .capture("admin_net", "/network/id"),
        networks("member sees own, shared and external", ""),
        case(
            "member cannot see admin's network",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{admin_net}",
        ),
        case(
            "member sees the shared network",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{shared_net}",
        ),
        case(
            "member cannot rename the shared network",
            N,
            Demo,
            "PUT",
            "/v2.0/networks/{shared_net}",
        )
        .json(json!({"network": {"name": "taken"}})),
        case(
            "member cannot delete the shared network",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{shared_net}",
        ),
        case(
            "member cannot delete public",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{public}",
        ),
        case(
            "member cannot delete admin's network",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{admin_net}",
        ),
        case(
            "admin sees demo's network",
            N,
            Admin,
            "GET",
            "/v2.0/networks/{net}",
        ),
        case(
            "member subnet on admin's network",
            N,
            Demo,
            "POST",
            "/v2.0/subnets",
        )
        .json(
            json!({"subnet": {"network_id": "{admin_net}", "ip_version": 4,
            "cidr": "192.168.90.0/24"}}),
        ),
        // subnets
        case("subnet create", N, Demo, "POST", "/v2.0/subnets")
            .json(
                json!({"subnet": {"name": "diff-subnet", "network_id": "{net}",
                "ip_version": 4, "cidr": "192.168.77.0/24"}}),
            )
            .capture("subnet", "/subnet/id")
            .compare("/subnet/gateway_ip")
            .compare("/subnet/allocation_pools"),
        case("subnet invalid cidr", N, Demo, "POST", "/v2.0/subnets")
            .json(json!({"subnet": {"network_id": "{net}", "ip_version": 4,
                "cidr": "192.168.300.0/24"}})),
        case("subnet overlapping cidr", N, Demo, "POST", "/v2.0/subnets")
            .json(json!({"subnet": {"network_id": "{net}", "ip_version": 4,
                "cidr": "192.168.77.128/25"}})),
        case("subnet version mismatch", N, Demo, "POST", "/v2.0/subnets")
            .json(json!({"subnet": {"network_id": "{net}", "ip_version": 6,
                "cidr": "192.168.79.0/24"}})),
        case("subnet gateway outside", N, Demo, "POST", "/v2.0/subnets").json(
            json!({"subnet": {"network_id": "{net_empty}", "ip_version": 4,
                "cidr": "192.168.78.0/24", "gateway_ip": "10.9.9.1"}}),
        ),
        case(
            "subnet on unknown network",
            N,
            Demo,
            "POST",
            "/v2.0/subnets",
        )
        .json(json!({"subnet": {"network_id": NO_SUCH_ID, "ip_version": 4,
                "cidr": "192.168.80.0/24"}})),
        case(
            "subnet loopback with dhcp",
            N,
            Demo,
            "POST",
            "/v2.0/subnets",
        )
        .json(json!({"subnet": {"network_id": "{net}", "ip_version": 4,
                "cidr": "127.9.0.0/24"}})),
        case("subnet without cidr", N, Demo, "POST", "/v2.0/subnets")
            .json(json!({"subnet": {"network_id": "{net}", "ip_version": 4}})),
        case("subnet show", N, Demo, "GET", "/v2.0/subnets/{subnet}"),
        case("subnet update", N, Demo, "PUT", "/v2.0/subnets/{subnet}")
            .json(json!({"subnet": {"name": "diff-subnet-2",
                "dns_nameservers": ["192.0.2.53"]}}))
            .compare("/subnet/dns_nameservers"),
        case(
            "subnets of a network",
            N,
            Demo,
            "GET",
            "/v2.0/subnets?network_id={net}",
        )
        .compare("/subnets[].name"),
        // ports
        case("port create", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": "{net}", "name": "diff-port"}}))
            .capture("port", "/port/id")
            .compare("/port/status")
            .compare("/port/device_owner"),
        case("port create fixed ip", N, Demo, "POST", "/v2.0/ports")
            .json(
                json!({"port": {"network_id": "{net}", "name": "diff-port-2",
                "fixed_ips": [{"subnet_id": "{subnet}", "ip_address": "192.168.77.50"}]}}),
            )
            .capture("port2", "/port/id")
            .compare("/port/fixed_ips"),
        case("port ip in use", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": "{net}",
                "fixed_ips": [{"subnet_id": "{subnet}", "ip_address": "192.168.77.50"}]}})),
        case("port ip outside subnet", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": "{net}",
                "fixed_ips": [{"subnet_id": "{subnet}", "ip_address": "10.1.1.1"}]}})),
        case("port on unknown network", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": NO_SUCH_ID}})),
        case("port without network", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"name": "diff-nowhere"}})),
        case("port show", N, Demo, "GET", "/v2.0/ports/{port}").compare("/port/security_groups"),
        case("port update", N, Demo, "PUT", "/v2.0/ports/{port}")
            .json(json!({"port": {"name": "diff-port-1", "admin_state_up": false}}))
            .compare("/port/admin_state_up"),
        case(
            "ports by fixed ip",
            N,
            Demo,
            "GET",
            "/v2.0/ports?fixed_ips=ip_address%3D192.168.77.50",
        )
        .compare("/ports[].name"),
        case(
            "ports by device owner",
            N,
            Demo,
            "GET",
            "/v2.0/ports?device_owner=network:router_interface",
        )
        .compare("/ports[].device_owner"),
        case("port delete", N, Demo, "DELETE", "/v2.0/ports/{port2}"),
        case(
            "port delete again",
            N,
            Demo,
            "DELETE",
            "/v2.0/ports/{port2}",
        ),
        // routers
        case("router create", N, Demo, "POST", "/v2.0/routers")
            .json(json!({"router": {"name": "diff-router"}}))
            .capture("router", "/router/id")
            .compare("/router/external_gateway_info"),
        case(
            "router set gateway",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}",
        )
        .json(json!({"router": {"external_gateway_info": {"network_id": "{public}"}}}))
        .compare("/router/external_gateway_info/network_id"),
        case(
            "router gateway on a non-external network",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}",
        )
        .json(json!({"router": {"external_gateway_info": {"network_id": "{net}"}}})),
        case(
            "router add interface",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/add_router_interface",
        )
        .json(json!({"subnet_id": "{subnet}"}))
        .capture("router_port", "/port_id")
        .compare("/subnet_ids"),
        case(
            "router add interface again",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/add_router_interface",
        )
        .json(json!({"subnet_id": "{subnet}"})),
        case(
            "router add interface subnet and port",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/add_router_interface",
        )
        .json(json!({"subnet_id": "{subnet}", "port_id": "{port}"})),
        case(
            "router add interface nothing",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/add_router_interface",
        )
        .json(json!({})),
        case("router show", N, Demo, "GET", "/v2.0/routers/{router}"),
        case(
            "router interface port",
            N,
            Demo,
            "GET",
            "/v2.0/ports/{router_port}",
        )
        .compare("/port/device_owner")
        .compare("/port/fixed_ips"),
        case(
            "router delete in use",
            N,
            Demo,
            "DELETE",
            "/v2.0/routers/{router}",
        ),
        case(
            "network delete in use",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{net}",
        ),
        case(
            "router show unknown",
            N,
            Demo,
            "GET",
            &format!("/v2.0/routers/{NO_SUCH_ID}"),
        ),
        // security groups and rules
        case("group create", N, Demo, "POST", "/v2.0/security-groups")
            .json(json!({"security_group": {"name": "diff-sg", "description": "diff"}}))
            .capture("sg", "/security_group/id")
            .compare("/security_group/security_group_rules[].direction")
            .compare("/security_group/security_group_rules[].ethertype"),
        case(
            "group named default",
            N,
            Demo,
            "POST",
            "/v2.0/security-groups",
        )
        .json(json!({"security_group": {"name": "default"}})),
        case("group update", N, Demo, "PUT", "/v2.0/security-groups/{sg}")
            .json(json!({"security_group": {"name": "diff-sg-2"}}))
            .compare("/security_group/name"),
        rule(
            "rule tcp 22",
            json!({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
                "remote_ip_prefix": "0.0.0.0/0"}),
        )
        .capture("rule", "/security_group_rule/id")
        .compare("/security_group_rule/port_range_min"),
        rule(
            "rule duplicate",
            json!({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
                "remote_ip_prefix": "0.0.0.0/0"}),
        ),
        rule(
            "rule bad port range",
            json!({"protocol": "tcp", "port_range_min": 30, "port_range_max": 20}),
        ),
        rule("rule bad protocol", json!({"protocol": "bogus"})),
        rule("rule ports without protocol", json!({"port_range_min": 22})),
        rule("rule bad ethertype", json!({"ethertype": "IPv5"})),
        rule("rule bad direction", json!({"direction": "sideways"})),
        rule(
            "rule bad prefix",
            json!({"protocol": "tcp", "remote_ip_prefix": "10.0.0.300/8"}),
        ),
        rule("rule icmp", json!({"protocol": "icmp"})).compare("/security_group_rule/protocol"),
        rule(
            "rule from a group",
            json!({"protocol": "tcp", "port_range_min": 80, "port_range_max": 80,
                "remote_group_id": "{sg}"}),
        ),
        rule(
            "rule on unknown group",
            json!({"protocol": "udp", "security_group_id": NO_SUCH_ID}),
        ),
        case(
            "rule show",
            N,
            Demo,
            "GET",
            "/v2.0/security-group-rules/{rule}",
        ),
        case(
            "rules of the group",
            N,
            Demo,
            "GET",
            "/v2.0/security-group-rules?security_group_id={sg}",
        )
        .compare("/security_group_rules[].protocol"),
        case(
            "rule delete",
            N,
            Demo,
            "DELETE",
            "/v2.0/security-group-rules/{rule}",
        ),
        case(
            "rule delete again",
            N,
            Demo,
            "DELETE",
            "/v2.0/security-group-rules/{rule}",
        ),
        case(
            "default group delete refused",
            N,
            Demo,
            "DELETE",
            "/v2.0/security-groups/{default_sg}",
        ),
        case(
            "group show unknown",
            N,
            Demo,
            "GET",
            &format!("/v2.0/security-groups/{NO_SUCH_ID}"),
        ),
        // floating IPs
        case("floating ip create", N, Demo, "POST", "/v2.0/floatingips")
            .json(json!({"floatingip": {"floating_network_id": "{public}"}}))
            .capture("fip", "/floatingip/id")
            .compare("/floatingip/port_id")
            .compare("/floatingip/status"),
        case(
            "floating ip on a non-external network",
            N,
            Demo,
            "POST",
            "/v2.0/floatingips",
        )
        .json(json!({"floatingip": {"floating_network_id": "{net}"}})),
        case(
            "floating ip on an unknown network",
            N,
            Demo,
            "POST",
            "/v2.0/floatingips",
        )
        .json(json!({"floatingip": {"floating_network_id": NO_SUCH_ID}})),
        case(
            "floating ip associate",
            N,
            Demo,
            "PUT",
            "/v2.0/floatingips/{fip}",
        )
        .json(json!({"floatingip": {"port_id": "{port}"}}))
        .compare("/floatingip/port_id"),
        case("second floating ip", N, Demo, "POST", "/v2.0/floatingips")
            .json(json!({"floatingip": {"floating_network_id": "{public}"}}))
            .capture("fip2", "/floatingip/id"),
        case(
            "second floating ip on the same port",
            N,
            Demo,
            "PUT",
            "/v2.0/floatingips/{fip2}",
        )
        .json(json!({"floatingip": {"port_id": "{port}"}})),
        case("lone network", N, Demo, "POST", "/v2.0/networks")
            .json(json!({"network": {"name": "diff-lone"}}))
            .capture("lone", "/network/id"),
        case("lone subnet", N, Demo, "POST", "/v2.0/subnets")
            .json(json!({"subnet": {"network_id": "{lone}", "ip_version": 4,
                "cidr": "192.168.88.0/24"}})),
        case("lone port", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": "{lone}"}}))
            .capture("lone_port", "/port/id"),
        case(
            "floating ip to an unrouted port",
            N,
            Demo,
            "PUT",
            "/v2.0/floatingips/{fip2}",
        )
        .json(json!({"floatingip": {"port_id": "{lone_port}"}})),
        case(
            "floating ip show",
            N,
            Demo,
            "GET",
            "/v2.0/floatingips/{fip}",
        ),
        case("floating ips", N, Demo, "GET", "/v2.0/floatingips")
            .compare("/floatingips[].status")
            .deliberate_values(
                "an associated floating IP is ACTIVE in the mock, as an L3 agent makes it; \
                 real Neutron here runs no agents and leaves it DOWN",
            ),
        case(
            "floating ip disassociate",
            N,
            Demo,
            "PUT",
            "/v2.0/floatingips/{fip}",
        )
        .json(json!({"floatingip": {"port_id": null}}))
        .compare("/floatingip/port_id"),
        case(
            "floating ip delete",
            N,
            Demo,
            "DELETE",
            "/v2.0/floatingips/{fip2}",
        ),
        case(
            "floating ip show deleted",
            N,
            Demo,
            "GET",
            "/v2.0/floatingips/{fip2}",
        ),
        // paging, sorting, fields, filters
        // Neutron lists in id order by default, the mock in creation order: pages compare
        // with a sort key.
        case(
            "networks page",
            N,
            Admin,
            "GET",
            "/v2.0/networks?limit=2&sort_key=name&sort_dir=asc",
        )
        .compare("/networks[*].name"),
        networks("networks sort key without direction", "?sort_key=name"),
        networks("networks sorted by name", "?sort_key=name&sort_dir=asc")
            .compare("/networks[*].name"),
        networks("networks sorted down", "?sort_key=name&sort_dir=desc")
            .compare("/networks[*].name"),
        networks("networks first page", "?limit=2&sort_key=name&sort_dir=asc")
            .compare("/networks[*].name")
            .capture("page_end", "/networks/1/id"),
        networks(
            "networks next page",
            "?limit=2&sort_key=name&sort_dir=asc&marker={page_end}",
        )
        .compare("/networks[*].name"),
        networks(
            "networks bad marker",
            &format!("?limit=2&marker={NO_SUCH_ID}"),
        ),
        networks("networks bad sort key", "?sort_key=bogus"),
        networks("networks bad sort dir", "?sort_key=name&sort_dir=sideways"),
        networks("networks bad limit", "?limit=many"),
        networks("networks fields", "?fields=id&fields=name"),
        networks("networks by two names", "?name=public&name=diff-net-2"),
        networks("networks external", "?router:external=true"),
        networks("networks unknown filter", "?bogus=1"),
        networks("networks shared", "?shared=true"),
        // tags
        case("tags replace", N, Demo, "PUT", "/v2.0/networks/{net}/tags")
            .json(json!({"tags": ["red", "blue"]}))
            .compare("/tags"),
        case("tag add", N, Demo, "PUT", "/v2.0/networks/{net}/tags/green"),
        case(
            "tag check",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{net}/tags/green",
        ),
        case(
            "tag check missing",
            N,
            Demo,
            "GET",
            "/v2.0/networks/{net}/tags/gold",
        ),
        case("tags list", N, Demo, "GET", "/v2.0/networks/{net}/tags"),
        networks("networks tagged", "?tags=red,blue"),
        networks("networks tagged any", "?tags-any=green,gold"),
        networks("networks not tagged", "?not-tags=red"),
        case(
            "tag delete",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{net}/tags/green",
        ),
        case(
            "tag delete missing",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{net}/tags/gold",
        ),
        case("tags clear", N, Demo, "DELETE", "/v2.0/networks/{net}/tags"),
        case(
            "tags on a rule",
            N,
            Demo,
            "PUT",
            "/v2.0/security-group-rules/{rule}/tags",
        )
        .json(json!({"tags": ["x"]})),
        // tearing down, in order
        case(
            "subnet delete in use",
            N,
            Demo,
            "DELETE",
            "/v2.0/subnets/{subnet}",
        ),
        case("port in a group", N, Demo, "POST", "/v2.0/ports")
            .json(json!({"port": {"network_id": "{lone}", "security_groups": ["{sg}"]}}))
            .capture("sg_port", "/port/id")
            .compare("/port/security_groups"),
        case(
            "group delete in use",
            N,
            Demo,
            "DELETE",
            "/v2.0/security-groups/{sg}",
        ),
        case(
            "port in a group delete",
            N,
            Demo,
            "DELETE",
            "/v2.0/ports/{sg_port}",
        ),
        case(
            "port delete with floating ip",
            N,
            Demo,
            "DELETE",
            "/v2.0/ports/{port}",
        ),
        case(
            "floating ip after its port",
            N,
            Demo,
            "GET",
            "/v2.0/floatingips/{fip}",
        )
        .compare("/floatingip/port_id"),
        case(
            "router remove interface",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/remove_router_interface",
        )
        .json(json!({"subnet_id": "{subnet}"})),
        case(
            "router remove interface again",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}/remove_router_interface",
        )
        .json(json!({"subnet_id": "{subnet}"})),
        case(
            "router clear gateway",
            N,
            Demo,
            "PUT",
            "/v2.0/routers/{router}",
        )
        .json(json!({"router": {"external_gateway_info": {}}}))
        .compare("/router/external_gateway_info"),
        case("router delete", N, Demo, "DELETE", "/v2.0/routers/{router}"),
        case("subnet delete", N, Demo, "DELETE", "/v2.0/subnets/{subnet}"),
        case(
            "group delete",
            N,
            Demo,
            "DELETE",
            "/v2.0/security-groups/{sg}",
        ),
        case("network delete", N, Demo, "DELETE", "/v2.0/networks/{net}"),
        case(
            "network delete again",
            N,
            Demo,
            "DELETE",
            "/v2.0/networks/{net}",
        ),
        networks("networks at the end", ""),
    ]
}
