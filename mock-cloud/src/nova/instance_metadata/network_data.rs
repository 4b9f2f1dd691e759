//! `network_data.json` as Nova's `netutils.get_network_metadata` builds it from the instance's
//! ports: one link per port (`tap` + the port id, Nova's device name), one network per subnet
//! (`ipv4_dhcp` for a subnet with DHCP, else `ipv4` with the address, netmask, routes and DNS),
//! and the subnets' DNS servers as services. The mock's ports carry one IPv4 subnet each
//! ([`BootNic`]); IPv6 subnets are not described.

use std::net::Ipv4Addr;

use super::tree::Tree;
use crate::nova::driver::BootNic;

/// The VIF types Nova names in a link; every other is `phy` (`LEGACY_EXPOSED_VIF_TYPES`).
const EXPOSED_VIF_TYPES: &[&str] = &[
    "bridge",
    "dvs",
    "ethernet",
    "hw_veb",
    "hyperv",
    "ovs",
    "tap",
    "vhostuser",
    "vif",
];

/// The length of a device name Nova gives an interface (`NIC_NAME_LEN`).
const NIC_NAME_LEN: usize = 14;

/// The document for `nics`; `None` (Nova then serves `{}`) when there is none.
pub(crate) fn network_data(nics: &[BootNic]) -> Option<Tree> {
    if nics.is_empty() {
        return None;
    }
    let mut links = Vec::new();
    let mut networks = Vec::new();
    let mut services: Vec<Tree> = Vec::new();
    for (index, nic) in nics.iter().enumerate() {
        let link_id: String = format!("tap{}", nic.port_id)
            .chars()
            .take(NIC_NAME_LEN)
            .collect();
        let kind = if EXPOSED_VIF_TYPES.contains(&nic.vif_type.as_str()) {
            nic.vif_type.as_str()
        } else {
            "phy"
        };
        links.push(
            Tree::map()
                .with("id", &link_id)
                .with("vif_id", &nic.port_id)
                .with("type", kind)
                .with("mtu", nic.mtu)
                .with("ethernet_mac_address", &nic.mac),
        );
        let dns: Vec<Tree> = nic
            .dns_nameservers
            .iter()
            .map(|address| Tree::map().with("type", "dns").with("address", address))
            .collect();
        let network = Tree::map().with("id", format!("network{index}"));
        let network = if nic.dhcp {
            network
                .with("type", "ipv4_dhcp")
                .with("link", &link_id)
                .with("network_id", &nic.network_id)
        } else {
            let mut routes: Vec<Tree> = nic
                .gateway
                .map(|gateway| route("0.0.0.0", "0.0.0.0", &gateway.to_string()))
                .into_iter()
                .collect();
            routes.extend(nic.host_routes.iter().map(|host_route| {
                let (network, netmask) = split_cidr(&host_route.destination);
                route(&network, &netmask, &host_route.nexthop)
            }));
            network
                .with("type", "ipv4")
                .with("link", &link_id)
                .with("ip_address", nic.fixed_ip.to_string())
                .with("netmask", split_cidr(&nic.cidr).1)
                .with("routes", routes)
                .with("network_id", &nic.network_id)
                .with("services", dns.clone())
        };
        networks.push(network);
        for service in dns {
            if !services.contains(&service) {
                services.push(service);
            }
        }
    }
    Some(
        Tree::map()
            .with("links", links)
            .with("networks", networks)
            .with("services", services),
    )
}

fn route(network: &str, netmask: &str, gateway: &str) -> Tree {
    Tree::map()
        .with("network", network)
        .with("netmask", netmask)
        .with("gateway", gateway)
}

/// The network address and dotted netmask of an IPv4 CIDR (as netaddr prints them); the
/// text itself and an empty mask for what is not one.
fn split_cidr(cidr: &str) -> (String, String) {
    let parsed = cidr.split_once('/').and_then(|(address, prefix)| {
        let address: Ipv4Addr = address.parse().ok()?;
        let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
        let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
        Some((
            Ipv4Addr::from(u32::from(address) & mask).to_string(),
            Ipv4Addr::from(mask).to_string(),
        ))
    });
    parsed.unwrap_or_else(|| (cidr.to_owned(), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nova::driver::BootRoute;

    #[test]
    fn masks_come_from_prefixes() {
        assert_eq!(
            split_cidr("10.0.0.0/22"),
            ("10.0.0.0".to_owned(), "255.255.252.0".to_owned())
        );
        assert_eq!(
            split_cidr("192.168.7.9/0"),
            ("0.0.0.0".to_owned(), "0.0.0.0".to_owned())
        );
        assert_eq!(split_cidr("10.1.2.3/32").1, "255.255.255.255".to_owned());
        assert_eq!(split_cidr("junk"), ("junk".to_owned(), String::new()));
    }

    #[test]
    fn a_subnet_without_dhcp_is_a_static_network_with_its_routes() {
        let nic = BootNic {
            port_id: "0123456789abcdef".into(),
            mac: "fa:16:3e:00:00:09".into(),
            fixed_ip: [192, 168, 5, 9].into(),
            cidr: "192.168.5.0/24".into(),
            gateway: Some([192, 168, 5, 1].into()),
            network_id: "net".into(),
            vif_type: "unbound".into(),
            mtu: Some(1500),
            dhcp: false,
            dns_nameservers: vec!["192.168.5.2".into()],
            host_routes: vec![BootRoute {
                destination: "10.9.0.0/16".into(),
                nexthop: "192.168.5.254".into(),
            }],
        };
        let doc = network_data(&[nic]).unwrap();
        assert_eq!(
            doc.json(),
            "{\"links\": [{\"id\": \"tap0123456789a\", \"vif_id\": \"0123456789abcdef\", \
             \"type\": \"phy\", \"mtu\": 1500, \"ethernet_mac_address\": \"fa:16:3e:00:00:09\"}], \
             \"networks\": [{\"id\": \"network0\", \"type\": \"ipv4\", \"link\": \"tap0123456789a\", \
             \"ip_address\": \"192.168.5.9\", \"netmask\": \"255.255.255.0\", \"routes\": \
             [{\"network\": \"0.0.0.0\", \"netmask\": \"0.0.0.0\", \"gateway\": \"192.168.5.1\"}, \
             {\"network\": \"10.9.0.0\", \"netmask\": \"255.255.0.0\", \"gateway\": \"192.168.5.254\"}], \
             \"network_id\": \"net\", \"services\": [{\"type\": \"dns\", \"address\": \"192.168.5.2\"}]}], \
             \"services\": [{\"type\": \"dns\", \"address\": \"192.168.5.2\"}]}"
        );
        assert_eq!(network_data(&[]), None);
    }
}
