//! From what Neutron lets in ([`PortForward`]s) to the host forwards a machine should have:
//! `FIP:port -> fixed IP:port` on the NIC of the port the floating IP is on. Pure, so the cap
//! on wide ranges is a unit test.

use std::collections::BTreeSet;
use std::net::SocketAddrV4;
use std::ops::RangeInclusive;

use ferrostack_qemu::{HostForward, Nic};

use crate::PortForward;

/// A range of at most this many ports is forwarded port by port.
pub(crate) const WHOLE_RANGE_MAX: usize = 64;

/// Of a wider range (a rule opening 1-65535, say), only these ports are forwarded: each
/// forward is a listening socket of qemu's, and a range of thousands would be thousands of
/// sockets for a guest that serves a handful of ports.
pub(crate) const WELL_KNOWN_PORTS: &[u16] = &[22, 23, 80, 443, 8080];

/// The ports of `range` that are forwarded, and whether the range was cut to
/// [`WELL_KNOWN_PORTS`].
fn ports_of(range: &RangeInclusive<u16>) -> (Vec<u16>, bool) {
    if range.len() <= WHOLE_RANGE_MAX {
        (range.clone().collect(), false)
    } else {
        let known = WELL_KNOWN_PORTS
            .iter()
            .copied()
            .filter(|port| range.contains(port))
            .collect();
        (known, true)
    }
}

/// The host forwards of server `server_id`, whose NICs are `nics`, for `forwards`. A floating
/// IP off loopback, or on a NIC the machine does not have, is logged and left out.
pub(crate) fn wanted(
    server_id: &str,
    nics: &[Nic],
    forwards: &[PortForward],
) -> BTreeSet<HostForward> {
    let mut wanted = BTreeSet::new();
    for forward in forwards {
        let Some(nic) = nics
            .iter()
            .find(|nic| nic.mac.eq_ignore_ascii_case(&forward.mac))
        else {
            tracing::warn!(server = %server_id, floating_ip = %forward.floating_ip, mac = %forward.mac, "no NIC of the machine has this MAC; nothing forwarded");
            continue;
        };
        if !forward.floating_ip.is_loopback() {
            tracing::warn!(server = %server_id, floating_ip = %forward.floating_ip, "the floating IP is not in 127.0.0.0/8; nothing forwarded");
            continue;
        }
        for range in &forward.tcp_ports {
            let (ports, cut) = ports_of(range);
            if cut {
                tracing::info!(
                    server = %server_id,
                    floating_ip = %forward.floating_ip,
                    range = %format!("{}-{}", range.start(), range.end()),
                    forwarded = ?ports,
                    "a range wider than {WHOLE_RANGE_MAX} ports is forwarded on its well-known ports only"
                );
            }
            for port in ports {
                wanted.insert(HostForward::tcp(
                    &nic.id,
                    SocketAddrV4::new(forward.floating_ip, port),
                    SocketAddrV4::new(nic.address, port),
                ));
            }
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic(id: &str, mac: &str, last: u8) -> Nic {
        Nic::user(id, mac, [10, 0, 0, last].into(), [10, 0, 0, 0].into(), 22)
    }

    fn forward(fip: [u8; 4], mac: &str, ports: &[RangeInclusive<u16>]) -> PortForward {
        PortForward {
            floating_ip: fip.into(),
            fixed_ip: [10, 0, 0, 9].into(),
            mac: mac.to_owned(),
            tcp_ports: ports.to_vec(),
        }
    }

    fn rules(set: &BTreeSet<HostForward>) -> Vec<String> {
        set.iter()
            .map(|f| format!("{} {}->{}", f.netdev, f.host, f.guest))
            .collect()
    }

    #[test]
    fn each_port_of_a_narrow_range_goes_to_the_nic_of_its_mac() {
        let nics = [
            nic("port0", "fa:16:3e:00:00:01", 3),
            nic("port1", "fa:16:3e:00:00:02", 4),
        ];
        let set = wanted(
            "s",
            &nics,
            &[forward(
                [127, 42, 0, 7],
                "FA:16:3E:00:00:02",
                &[22..=22, 80..=81],
            )],
        );
        assert_eq!(
            rules(&set),
            [
                "port1 127.42.0.7:22->10.0.0.4:22",
                "port1 127.42.0.7:80->10.0.0.4:80",
                "port1 127.42.0.7:81->10.0.0.4:81",
            ]
        );
    }

    #[test]
    fn a_wide_range_is_cut_to_the_well_known_ports_inside_it() {
        let nics = [nic("port0", "fa:16:3e:00:00:01", 3)];
        let all = wanted(
            "s",
            &nics,
            &[forward([127, 42, 0, 7], "fa:16:3e:00:00:01", &[1..=65535])],
        );
        assert_eq!(
            all.iter().map(|f| f.host.port()).collect::<Vec<_>>(),
            WELL_KNOWN_PORTS
        );
        let edge = 1000..=(1000 + WHOLE_RANGE_MAX as u16 - 1);
        let whole = wanted(
            "s",
            &nics,
            &[forward([127, 42, 0, 7], "fa:16:3e:00:00:01", &[edge])],
        );
        assert_eq!(whole.len(), WHOLE_RANGE_MAX);
        let high = wanted(
            "s",
            &nics,
            &[forward(
                [127, 42, 0, 7],
                "fa:16:3e:00:00:01",
                &[10000..=20000],
            )],
        );
        assert!(high.is_empty());
    }

    #[test]
    fn what_cannot_be_forwarded_is_left_out() {
        let nics = [nic("port0", "fa:16:3e:00:00:01", 3)];
        assert!(
            wanted(
                "s",
                &nics,
                &[forward([127, 42, 0, 7], "fa:16:3e:00:00:09", &[22..=22])]
            )
            .is_empty()
        );
        assert!(
            wanted(
                "s",
                &nics,
                &[forward([172, 24, 4, 7], "fa:16:3e:00:00:01", &[22..=22])]
            )
            .is_empty()
        );
    }
}
