//! What a compute driver is told when a server's reachability changes: for each floating IP
//! on one of its ports, the TCP ports that the port's security groups let in from this
//! machine. A driver that can forward (qemu's user-mode NIC with `hostfwd`) forwards exactly
//! these, so that a port with no rule is closed, as on a real cloud.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use super::Kind;
use super::ipam::Cidr;
use super::store::{NeutronState, list_of, str_of};

/// Traffic to forward from a floating IP into one NIC of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForward {
    /// The floating IP (an address on this machine's loopback).
    pub floating_ip: Ipv4Addr,
    /// The NIC's fixed IP the floating IP is associated with.
    pub fixed_ip: Ipv4Addr,
    /// The NIC's MAC address.
    pub mac: String,
    /// TCP ports let in by the NIC's security groups, merged and sorted.
    pub tcp_ports: Vec<RangeInclusive<u16>>,
}

/// The address traffic from this machine comes from, which a rule's prefix must contain.
const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The forwards of server `device`.
pub(super) fn forwards(state: &NeutronState, device: &str) -> Vec<PortForward> {
    let ports = state
        .all(Kind::Port)
        .iter()
        .filter(|p| p["device_id"] == device && str_of(p, "device_owner").starts_with("compute:"));
    let mut out = Vec::new();
    for port in ports {
        let open = open_tcp(state, port);
        for fip in state
            .all(Kind::FloatingIp)
            .iter()
            .filter(|f| f["port_id"] == port["id"])
        {
            let (Ok(floating_ip), Ok(fixed_ip)) = (
                str_of(fip, "floating_ip_address").parse(),
                str_of(fip, "fixed_ip_address").parse(),
            ) else {
                continue;
            };
            out.push(PortForward {
                floating_ip,
                fixed_ip,
                mac: str_of(port, "mac_address").to_owned(),
                tcp_ports: open.clone(),
            });
        }
    }
    out
}

/// The TCP ports `port`'s groups let in from [`HOST`] (all of them without port security).
fn open_tcp(state: &NeutronState, port: &super::Doc) -> Vec<RangeInclusive<u16>> {
    if port["port_security_enabled"] == false {
        return vec![1..=65535];
    }
    let mut ranges: Vec<(u16, u16)> = list_of(port, "security_groups")
        .flat_map(|group| {
            state
                .all(Kind::SecurityGroupRule)
                .iter()
                .filter(move |r| r["security_group_id"] == group)
        })
        .filter(|r| r["direction"] == "ingress" && r["ethertype"] == "IPv4")
        .filter(|r| r["protocol"].is_null() || r["protocol"] == "tcp" || r["protocol"] == "6")
        // A rule from a group admits only that group's members; this machine is none.
        .filter(|r| r["remote_group_id"].is_null())
        .filter(|r| {
            r["remote_ip_prefix"]
                .as_str()
                .is_none_or(|p| Cidr::parse_loose(p).is_some_and(|c| c.contains(HOST)))
        })
        .map(|r| {
            let bound = |key: &str, default: u16| {
                r[key]
                    .as_u64()
                    .and_then(|v| u16::try_from(v).ok())
                    .unwrap_or(default)
            };
            (bound("port_range_min", 1), bound("port_range_max", 65535))
        })
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged.into_iter().map(|(a, b)| a..=b).collect()
}
