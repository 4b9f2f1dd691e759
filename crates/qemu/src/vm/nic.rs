//! User-mode (slirp) NICs: one `-netdev user` + `-device <model>` per NIC, laid out so
//! that the guest's DHCP lease is exactly the address it was given (a Neutron port's fixed IP),
//! and host forwards into them, added and removed over QMP while the machine runs.

use std::net::{Ipv4Addr, SocketAddrV4};

use serde_json::{Value, json};

use super::hardware::NicModel;
use crate::error::{Error, Result};

/// A user-mode NIC: the guest sees a network `network/prefix_len` with the built-in DHCP
/// server handing it `address`, and nothing outside (`restrict=on`): only host forwards
/// ([`crate::Vm::hostfwd_add`]) reach it.
///
/// ```
/// use ferrostack_qemu::Nic;
/// let nic = Nic::user("port0", "fa:16:3e:12:34:56", [10, 0, 0, 5].into(), [10, 0, 0, 0].into(), 22)
///     .gateway([10, 0, 0, 1].into())
///     .hostname("vm1");
/// # let _ = nic;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nic {
    /// The netdev id (letters, digits, `-`, `_`, `.`; a letter first), which host forwards name.
    pub id: String,
    /// The MAC address (`aa:bb:cc:dd:ee:ff`).
    pub mac: String,
    /// The guest's address: the first (and only) lease of slirp's DHCP server.
    pub address: Ipv4Addr,
    /// The network the address is in.
    pub network: Ipv4Addr,
    /// Its prefix length (8 to 29: slirp needs three addresses of its own besides the guest's
    /// network and broadcast ones).
    pub prefix_len: u8,
    /// The guest's default gateway (slirp's own address), when the subnet has one.
    pub gateway: Option<Ipv4Addr>,
    /// The host name DHCP hands out.
    pub hostname: Option<String>,
    /// The emulated card (virtio by default).
    pub model: NicModel,
}

impl Nic {
    /// A NIC on `network/prefix_len` whose guest gets `address`.
    pub fn user(
        id: impl Into<String>,
        mac: impl Into<String>,
        address: Ipv4Addr,
        network: Ipv4Addr,
        prefix_len: u8,
    ) -> Self {
        Nic {
            id: id.into(),
            mac: mac.into(),
            address,
            network,
            prefix_len,
            gateway: None,
            hostname: None,
            model: NicModel::Virtio,
        }
    }

    /// The emulated card the guest sees (its MAC and network stay the same).
    pub fn model(mut self, model: NicModel) -> Self {
        self.model = model;
        self
    }

    /// The guest's default gateway.
    pub fn gateway(mut self, gateway: Ipv4Addr) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// The host name DHCP hands out.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    fn what(&self) -> String {
        format!("NIC {}", self.id)
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix_len))
    }

    fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask() == u32::from(self.network)
    }

    /// The usable addresses of the network (not the network or broadcast address).
    fn usable(&self) -> impl DoubleEndedIterator<Item = Ipv4Addr> {
        let first = u32::from(self.network) + 1;
        let last = (u32::from(self.network) | !self.mask()) - 1;
        (first..=last).map(Ipv4Addr::from)
    }

    /// slirp's own addresses: `host` (the gateway) and `dns`. slirp refuses a DHCP start equal
    /// to either, and by default takes x.x.x.2 and x.x.x.3, which Neutron hands out as fixed
    /// IPs: so the gateway is the subnet's (or the lowest free address), and DNS the highest
    /// usable address that is neither the guest's nor the gateway.
    fn slirp_addresses(&self) -> Result<(Ipv4Addr, Ipv4Addr)> {
        let host = match self.gateway {
            Some(gateway) => gateway,
            None => self
                .usable()
                .find(|addr| *addr != self.address)
                .ok_or_else(|| Error::invalid(self.what(), "its network has no room"))?,
        };
        let dns = self
            .usable()
            .rev()
            .find(|addr| *addr != self.address && *addr != host)
            .ok_or_else(|| Error::invalid(self.what(), "its network has no room for DNS"))?;
        Ok((host, dns))
    }

    fn check(&self) -> Result<()> {
        let what = self.what();
        let mut chars = self.id.chars();
        if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::invalid(
                what,
                "the id must start with a letter and hold only letters, digits, '-', '_', '.'",
            ));
        }
        let octets: Vec<&str> = self.mac.split(':').collect();
        if octets.len() != 6
            || !octets
                .iter()
                .all(|o| o.len() == 2 && o.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(Error::invalid(
                what,
                format!("MAC address '{}' is not aa:bb:cc:dd:ee:ff", self.mac),
            ));
        }
        if !(8..=29).contains(&self.prefix_len) {
            return Err(Error::invalid(
                what,
                format!("prefix length /{} is outside /8../29", self.prefix_len),
            ));
        }
        let cidr = format!("{}/{}", self.network, self.prefix_len);
        if u32::from(self.network) & !self.mask() != 0 {
            return Err(Error::invalid(what, format!("{cidr} has host bits set")));
        }
        if !self.usable().any(|addr| addr == self.address) {
            return Err(Error::invalid(
                what,
                format!("address {} is not a host address of {cidr}", self.address),
            ));
        }
        if let Some(gateway) = self.gateway
            && (!self.contains(gateway) || gateway == self.address)
        {
            return Err(Error::invalid(
                what,
                format!(
                    "gateway {gateway} must be another address of {cidr} than {}",
                    self.address
                ),
            ));
        }
        if let Some(hostname) = &self.hostname {
            let ok = !hostname.is_empty()
                && hostname.len() <= 63
                && hostname
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(Error::invalid(
                    what,
                    format!("host name '{hostname}' is not 1-63 letters, digits and '-'"),
                ));
            }
        }
        Ok(())
    }

    /// The id of the NIC's device (its netdev is [`Nic::id`]): what `device_del` names.
    pub fn device_id(&self) -> String {
        format!("nic-{}", self.id)
    }

    /// slirp's settings, in `-netdev user` order: `(key, value)` pairs after `id`.
    fn user_settings(&self) -> Result<Vec<(&'static str, String)>> {
        self.check()?;
        let (host, dns) = self.slirp_addresses()?;
        let mut settings = vec![
            ("net", format!("{}/{}", self.network, self.prefix_len)),
            ("host", host.to_string()),
            ("dns", dns.to_string()),
            ("dhcpstart", self.address.to_string()),
            ("restrict", "on".to_owned()),
        ];
        if let Some(hostname) = &self.hostname {
            settings.push(("hostname", hostname.clone()));
        }
        Ok(settings)
    }

    /// The `-netdev` and `-device` arguments, the device on PCI bus `bus` when given.
    pub(crate) fn args(&self, bus: Option<&str>) -> Result<[String; 4]> {
        let mut netdev = format!("user,id={}", self.id);
        for (key, value) in self.user_settings()? {
            netdev.push_str(&format!(",{key}={value}"));
        }
        let mut device = format!(
            "{},id={},netdev={},mac={}",
            self.model.device(),
            self.device_id(),
            self.id,
            self.mac
        );
        if let Some(bus) = bus {
            device.push_str(&format!(",bus={bus}"));
        }
        Ok(["-netdev".to_owned(), netdev, "-device".to_owned(), device])
    }

    /// The arguments of QMP `netdev_add` for this NIC (the same settings as `-netdev`).
    pub(crate) fn netdev_add_arguments(&self) -> Result<Value> {
        let mut arguments = json!({ "type": "user", "id": self.id });
        for (key, value) in self.user_settings()? {
            arguments[key] = if key == "restrict" {
                Value::Bool(true)
            } else {
                Value::String(value)
            };
        }
        Ok(arguments)
    }

    /// The arguments of QMP `device_add` for this NIC, on PCI bus `bus` when given.
    pub(crate) fn device_add_arguments(&self, bus: Option<&str>) -> Value {
        let mut arguments = json!({
            "driver": self.model.device(),
            "id": self.device_id(),
            "netdev": self.id,
            "mac": self.mac,
        });
        if let Some(bus) = bus {
            arguments["bus"] = Value::String(bus.to_owned());
        }
        arguments
    }
}

/// A TCP forward from an address of this host into a NIC's guest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostForward {
    /// The NIC's netdev id ([`Nic::id`]).
    pub netdev: String,
    /// Where the host listens: always in 127.0.0.0/8.
    pub host: SocketAddrV4,
    /// Where in the guest connections go.
    pub guest: SocketAddrV4,
}

impl HostForward {
    /// The rule `netdev`: `host` → `guest`.
    pub fn tcp(netdev: impl Into<String>, host: SocketAddrV4, guest: SocketAddrV4) -> Self {
        HostForward {
            netdev: netdev.into(),
            host,
            guest,
        }
    }

    /// Refuses a host address outside loopback: a forward must never open this machine to
    /// its network. Also checks the netdev id, which goes into a monitor command line.
    pub(crate) fn check(&self) -> Result<()> {
        if !self.host.ip().is_loopback() {
            return Err(Error::invalid(
                format!("host forward {}", self.host),
                "the host address must be in 127.0.0.0/8 (forwards never leave loopback)",
            ));
        }
        if self.host.port() == 0 || self.guest.port() == 0 {
            return Err(Error::invalid(
                format!("host forward {} -> {}", self.host, self.guest),
                "port 0 cannot be forwarded",
            ));
        }
        if self.netdev.is_empty()
            || !self
                .netdev
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::invalid(
                format!("host forward {}", self.host),
                format!("'{}' is not a netdev id", self.netdev),
            ));
        }
        Ok(())
    }

    /// The HMP `hostfwd_add` command line.
    pub(crate) fn add_command(&self) -> String {
        format!(
            "hostfwd_add {} tcp:{}-{}",
            self.netdev, self.host, self.guest
        )
    }

    /// The HMP `hostfwd_remove` command line.
    pub(crate) fn remove_command(&self) -> String {
        format!("hostfwd_remove {} tcp:{}", self.netdev, self.host)
    }
}

/// HMP answers in text, and a failed command is still a QMP success: `hostfwd_add` prints
/// nothing when it worked, and a reason when it did not.
pub(crate) fn check_add_reply(forward: &HostForward, reply: &str) -> Result<()> {
    let reply = reply.trim();
    if reply.is_empty() {
        Ok(())
    } else {
        Err(Error::Qmp(format!(
            "hostfwd_add {} -> {} on {}: {reply}",
            forward.host, forward.guest, forward.netdev
        )))
    }
}

/// `hostfwd_remove` prints "host forwarding rule for ... removed" when it worked.
pub(crate) fn check_remove_reply(forward: &HostForward, reply: &str) -> Result<()> {
    let reply = reply.trim();
    if reply.ends_with(" removed") {
        Ok(())
    } else {
        Err(Error::Qmp(format!(
            "hostfwd_remove {} on {}: {reply}",
            forward.host, forward.netdev
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic(address: [u8; 4]) -> Nic {
        Nic::user(
            "port0",
            "fa:16:3e:00:00:01",
            address.into(),
            [10, 0, 0, 0].into(),
            22,
        )
    }

    #[test]
    fn slirp_never_takes_the_guest_s_address() {
        // Neutron's first fixed IPs are slirp's defaults for host (.2) and DNS (.3).
        for last in [2, 3, 4] {
            let nic = nic([10, 0, 0, last]).gateway([10, 0, 0, 1].into());
            let (host, dns) = nic.slirp_addresses().unwrap();
            assert_eq!(host, Ipv4Addr::new(10, 0, 0, 1));
            assert_eq!(dns, Ipv4Addr::new(10, 0, 3, 254));
        }
        let top = nic([10, 0, 3, 254]).gateway([10, 0, 0, 1].into());
        assert_eq!(
            top.slirp_addresses().unwrap().1,
            Ipv4Addr::new(10, 0, 3, 253)
        );
        // No gateway: the lowest address that is not the guest's.
        let gatewayless = nic([10, 0, 0, 1]);
        assert_eq!(
            gatewayless.slirp_addresses().unwrap().0,
            Ipv4Addr::new(10, 0, 0, 2)
        );
        let small = Nic::user(
            "p",
            "fa:16:3e:00:00:01",
            [192, 168, 9, 6].into(),
            [192, 168, 9, 0].into(),
            29,
        )
        .gateway([192, 168, 9, 1].into());
        assert_eq!(
            small.slirp_addresses().unwrap(),
            ([192, 168, 9, 1].into(), [192, 168, 9, 5].into())
        );
    }

    #[test]
    fn a_hot_plugged_nic_gets_the_settings_of_the_command_line() {
        let nic = nic([10, 0, 0, 5])
            .gateway([10, 0, 0, 1].into())
            .hostname("vm-1")
            .model(NicModel::E1000);
        let [_, netdev, _, device] = nic.args(Some("nicport1")).unwrap();
        assert_eq!(
            netdev,
            "user,id=port0,net=10.0.0.0/22,host=10.0.0.1,dns=10.0.3.254,dhcpstart=10.0.0.5,\
             restrict=on,hostname=vm-1"
        );
        assert_eq!(
            device,
            "e1000,id=nic-port0,netdev=port0,mac=fa:16:3e:00:00:01,bus=nicport1"
        );
        assert_eq!(
            nic.netdev_add_arguments().unwrap(),
            json!({
                "type": "user", "id": "port0", "net": "10.0.0.0/22", "host": "10.0.0.1",
                "dns": "10.0.3.254", "dhcpstart": "10.0.0.5", "restrict": true,
                "hostname": "vm-1",
            })
        );
        assert_eq!(
            nic.device_add_arguments(Some("nicport1")),
            json!({
                "driver": "e1000", "id": "nic-port0", "netdev": "port0",
                "mac": "fa:16:3e:00:00:01", "bus": "nicport1",
            })
        );
        assert_eq!(nic.device_add_arguments(None).get("bus"), None);
        // A bad NIC is refused before anything is sent.
        let bad = Nic {
            mac: "nope".into(),
            ..nic
        };
        assert!(bad.netdev_add_arguments().is_err());
    }

    #[test]
    fn bad_nics_are_refused_naming_the_nic() {
        let refuse = |nic: Nic| nic.args(None).unwrap_err().to_string();
        assert_eq!(
            refuse(Nic {
                id: "0port".into(),
                ..nic([10, 0, 0, 5])
            }),
            "NIC 0port: the id must start with a letter and hold only letters, digits, '-', '_', '.'"
        );
        assert_eq!(
            refuse(Nic {
                mac: "fa:16:3e:00:00".into(),
                ..nic([10, 0, 0, 5])
            }),
            "NIC port0: MAC address 'fa:16:3e:00:00' is not aa:bb:cc:dd:ee:ff"
        );
        assert_eq!(
            refuse(nic([10, 0, 4, 5])),
            "NIC port0: address 10.0.4.5 is not a host address of 10.0.0.0/22"
        );
        assert_eq!(
            refuse(nic([10, 0, 3, 255])),
            "NIC port0: address 10.0.3.255 is not a host address of 10.0.0.0/22"
        );
        assert_eq!(
            refuse(nic([10, 0, 0, 5]).gateway([10, 0, 0, 5].into())),
            "NIC port0: gateway 10.0.0.5 must be another address of 10.0.0.0/22 than 10.0.0.5"
        );
        assert_eq!(
            refuse(nic([10, 0, 0, 5]).hostname("a,b")),
            "NIC port0: host name 'a,b' is not 1-63 letters, digits and '-'"
        );
        assert_eq!(
            refuse(Nic {
                prefix_len: 30,
                ..nic([10, 0, 0, 5])
            }),
            "NIC port0: prefix length /30 is outside /8../29"
        );
        assert_eq!(
            refuse(Nic {
                network: [10, 0, 0, 1].into(),
                ..nic([10, 0, 0, 5])
            }),
            "NIC port0: 10.0.0.1/22 has host bits set"
        );
    }

    #[test]
    fn forwards_stay_on_loopback() {
        let guest = SocketAddrV4::new([10, 0, 0, 5].into(), 80);
        let fwd = HostForward::tcp(
            "port0",
            SocketAddrV4::new([127, 42, 0, 7].into(), 80),
            guest,
        );
        fwd.check().unwrap();
        assert_eq!(
            fwd.add_command(),
            "hostfwd_add port0 tcp:127.42.0.7:80-10.0.0.5:80"
        );
        assert_eq!(
            fwd.remove_command(),
            "hostfwd_remove port0 tcp:127.42.0.7:80"
        );
        for host in [[0, 0, 0, 0], [10, 0, 0, 1], [192, 168, 1, 1]] {
            let err = HostForward::tcp("port0", SocketAddrV4::new(host.into(), 80), guest)
                .check()
                .unwrap_err();
            assert!(
                err.to_string().ends_with(
                    "the host address must be in 127.0.0.0/8 (forwards never leave loopback)"
                ),
                "{err}"
            );
        }
        let err = HostForward::tcp("port0 x", fwd.host, guest)
            .check()
            .unwrap_err();
        assert!(
            err.to_string().ends_with("'port0 x' is not a netdev id"),
            "{err}"
        );
        let err = HostForward::tcp("port0", SocketAddrV4::new([127, 0, 0, 1].into(), 0), guest)
            .check()
            .unwrap_err();
        assert!(
            err.to_string().ends_with("port 0 cannot be forwarded"),
            "{err}"
        );
    }

    #[test]
    fn hmp_replies_are_read_as_text() {
        let fwd = HostForward::tcp(
            "port0",
            SocketAddrV4::new([127, 42, 0, 7].into(), 80),
            SocketAddrV4::new([10, 0, 0, 5].into(), 80),
        );
        check_add_reply(&fwd, "").unwrap();
        let err = check_add_reply(
            &fwd,
            "Could not set up host forwarding rule 'tcp:127.42.0.7:80-10.0.0.5:80'\r\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "QMP: hostfwd_add 127.42.0.7:80 -> 10.0.0.5:80 on port0: Could not set up host \
             forwarding rule 'tcp:127.42.0.7:80-10.0.0.5:80'"
        );
        check_remove_reply(
            &fwd,
            "host forwarding rule for tcp:127.42.0.7:80 removed\r\n",
        )
        .unwrap();
        let err = check_remove_reply(
            &fwd,
            "host forwarding rule for tcp:127.42.0.7:80 not found\r\n",
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("not found"), "{err}");
        assert!(check_add_reply(&fwd, "unrecognized netdev id 'port0'\r\n").is_err());
    }
}
