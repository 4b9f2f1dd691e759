//! IPv4 address management as Neutron's built-in IPAM does it: a subnet's CIDR, its gateway
//! (the first address unless told), its allocation pools (the rest, minus network and
//! broadcast), and fixed IPs handed out lowest first from the pools.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

/// An IPv4 network: base address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub(crate) base: Ipv4Addr,
    pub(crate) prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/24`; the host bits must be zero, as Neutron's validator requires of a subnet.
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let cidr = Cidr::parse_loose(text)?;
        (cidr.base.to_bits() & !cidr.mask() == 0).then_some(cidr)
    }

    /// A prefix whose host bits may be set (a rule's remote prefix, normalised afterwards);
    /// a bare address is a /32.
    pub(crate) fn parse_loose(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, prefix.parse::<u8>().ok()?),
            None => (text, 32),
        };
        let base: Ipv4Addr = addr.parse().ok()?;
        (prefix <= 32).then_some(Cidr { base, prefix })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    /// The network address of this prefix (host bits cleared).
    pub(crate) fn network(self) -> Cidr {
        Cidr {
            base: Ipv4Addr::from_bits(self.base.to_bits() & self.mask()),
            prefix: self.prefix,
        }
    }

    /// Whether `ip` is inside.
    pub(crate) fn contains(self, ip: Ipv4Addr) -> bool {
        ip.to_bits() & self.mask() == self.base.to_bits() & self.mask()
    }

    /// Whether the two overlap.
    pub(crate) fn overlaps(self, other: Cidr) -> bool {
        self.contains(other.base) || other.contains(self.base)
    }

    /// The first and last usable host (network and broadcast excluded below /31).
    pub(crate) fn hosts(self) -> (u32, u32) {
        let first = self.base.to_bits() & self.mask();
        let last = first | !self.mask();
        if self.prefix >= 31 {
            (first, last)
        } else {
            (first + 1, last - 1)
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The default pools of `cidr` with gateway `gateway`: every host but the gateway, as
/// one or two ranges.
pub(crate) fn default_pools(cidr: Cidr, gateway: Option<Ipv4Addr>) -> Vec<(u32, u32)> {
    let (first, last) = cidr.hosts();
    match gateway.map(Ipv4Addr::to_bits) {
        Some(g) if g == first => vec![(first + 1, last)],
        Some(g) if g == last => vec![(first, last - 1)],
        Some(g) if g > first && g < last => vec![(first, g - 1), (g + 1, last)],
        _ => vec![(first, last)],
    }
    .into_iter()
    .filter(|(a, b)| a <= b)
    .collect()
}

/// Pools as Neutron shows them.
pub(crate) fn pools_json(pools: &[(u32, u32)]) -> Value {
    pools
        .iter()
        .map(|(a, b)| json!({"start": Ipv4Addr::from_bits(*a).to_string(), "end": Ipv4Addr::from_bits(*b).to_string()}))
        .collect()
}

/// Pools read back from a subnet document.
pub(crate) fn pools_of(subnet: &Value) -> Vec<(u32, u32)> {
    subnet["allocation_pools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let start: Ipv4Addr = p["start"].as_str()?.parse().ok()?;
            let end: Ipv4Addr = p["end"].as_str()?.parse().ok()?;
            Some((start.to_bits(), end.to_bits()))
        })
        .collect()
}

/// The lowest address of `pools` not in `used`.
pub(crate) fn next_free(pools: &[(u32, u32)], used: &[Ipv4Addr]) -> Option<Ipv4Addr> {
    let mut used: Vec<u32> = used.iter().map(|ip| ip.to_bits()).collect();
    used.sort_unstable();
    pools.iter().find_map(|&(start, end)| {
        let mut candidate = start;
        for &taken in used.iter().filter(|&&u| u >= start && u <= end) {
            if taken == candidate {
                candidate += 1;
            } else if taken > candidate {
                break;
            }
        }
        (candidate <= end).then(|| Ipv4Addr::from_bits(candidate))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_leave_out_the_gateway_and_allocation_goes_lowest_first() {
        let cidr = Cidr::parse("10.0.0.0/22").unwrap();
        assert!(Cidr::parse("10.0.0.1/22").is_none());
        let gateway = Ipv4Addr::new(10, 0, 0, 1);
        let pools = default_pools(cidr, Some(gateway));
        assert_eq!(
            pools_json(&pools),
            json!([{"start": "10.0.0.2", "end": "10.0.3.254"}])
        );
        let middle = default_pools(
            Cidr::parse("10.1.0.0/24").unwrap(),
            Some(Ipv4Addr::new(10, 1, 0, 9)),
        );
        assert_eq!(middle.len(), 2);
        let used = [Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 4)];
        assert_eq!(next_free(&pools, &used), Some(Ipv4Addr::new(10, 0, 0, 3)));
        let tiny = default_pools(
            Cidr::parse("10.2.0.0/30").unwrap(),
            Some(Ipv4Addr::new(10, 2, 0, 1)),
        );
        assert_eq!(next_free(&tiny, &[Ipv4Addr::new(10, 2, 0, 2)]), None);
        assert!(cidr.overlaps(Cidr::parse("10.0.2.0/24").unwrap()));
        assert_eq!(
            Cidr::parse_loose("10.0.0.7/8")
                .unwrap()
                .network()
                .to_string(),
            "10.0.0.0/8"
        );
    }
}
