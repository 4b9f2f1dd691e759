//! What a server's network needs from both services: floating IPs, added and removed
//! through Neutron as `openstack server add/remove floating ip` does (Nova's own
//! `addFloatingIp` is gone since 2.44), and the security group actions.

use std::net::IpAddr;

use super::Servers;
use super::ids::ServerId;
use super::requests;
use crate::error::{Error, ErrorKind, Result};
use crate::network::{FloatingIp, NetworkClient, Port};
use crate::request::ServiceType;

impl Servers {
    fn neutron(&self) -> NetworkClient {
        NetworkClient::new(self.compute.session.clone())
    }

    /// Forwards a floating IP (by id or address) to the server, as `openstack server add
    /// floating ip` does: the server's ports are listed (`device_id`), and the floating IP's
    /// `port_id` is set to each in turn until Neutron accepts one; a port whose network no
    /// router joins to the floating IP's (404 `ExternalGatewayForFloatingIPNotFound`) is
    /// skipped. With `fixed_address`, only the port holding that address is tried, and the
    /// floating IP forwards to that address.
    pub async fn add_floating_ip(
        &self,
        id: &ServerId,
        floating_ip: &str,
        fixed_address: Option<IpAddr>,
    ) -> Result<FloatingIp> {
        let neutron = self.neutron();
        let fip = neutron.floating_ips().find(floating_ip).await?;
        let ports: Vec<Port> = neutron
            .ports()
            .list()
            .device_id(id.as_str())
            .collect_all()
            .await?;
        let candidates: Vec<&Port> = ports
            .iter()
            .filter(|p| fixed_address.is_none_or(|ip| p.ip_addresses().any(|a| a == ip)))
            .collect();
        let mut unreachable = None;
        for port in candidates {
            let mut update = neutron
                .floating_ips()
                .update(fip.id.clone())
                .port_id(port.id.clone());
            if let Some(ip) = fixed_address {
                update = update.fixed_ip_address(ip);
            }
            match update.send().await {
                Ok(associated) => return Ok(associated),
                Err(err) if err.error_type() == Some("ExternalGatewayForFloatingIPNotFound") => {
                    unreachable = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(unreachable.unwrap_or_else(|| {
            let which = match fixed_address {
                Some(ip) => format!("with the address {ip}"),
                None => "at all".to_owned(),
            };
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "server {id} has no port {which} to forward floating IP {} to",
                    fip.floating_ip_address
                ),
            )
            .with_service(ServiceType::Network)
        }))
    }

    /// Stops forwarding a floating IP (by id or address) to the server (`port_id: null`),
    /// as `openstack server remove floating ip` does. A floating IP Neutron says is
    /// forwarded to another server is refused, untouched.
    pub async fn remove_floating_ip(&self, id: &ServerId, floating_ip: &str) -> Result<FloatingIp> {
        let fips = self.neutron().floating_ips();
        let fip = fips.find(floating_ip).await?;
        if let Some(details) = &fip.port_details
            && !details.device_id.is_empty()
            && details.device_id != id.as_str()
        {
            return Err(Error::invalid_input(format!(
                "floating IP {} is forwarded to {}, not to server {id}",
                fip.floating_ip_address, details.device_id
            )));
        }
        fips.disassociate(fip.id).await
    }

    /// Adds the server's ports to a security group, by name or id (`addSecurityGroup`).
    pub async fn add_security_group(&self, id: &ServerId, group: &str) -> Result<()> {
        let request = requests::add_security_group(id, group, self.compute.microversion().await?)?;
        self.compute.session.send(request).await.map(drop)
    }

    /// Takes the server's ports out of a security group (`removeSecurityGroup`).
    pub async fn remove_security_group(&self, id: &ServerId, group: &str) -> Result<()> {
        let request =
            requests::remove_security_group(id, group, self.compute.microversion().await?)?;
        self.compute.session.send(request).await.map(drop)
    }
}
