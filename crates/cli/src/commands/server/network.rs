//! `server add|remove floating ip|security group|port|network`, as osc 10 does them: the
//! floating IP through Neutron (the server's ports, then the floating IP's `port_id`), the
//! groups through Nova's actions, ports and networks through `os-interface`.

use anyhow::{Result, anyhow, bail};
use ferrostack::Cloud;
use ferrostack::compute::{NetworkAttachment, Server};
use ferrostack::request::ServiceType;

use super::args::{
    AddFloating, AddFloatingIp, RemoveFloating, SecurityGroupWord, ServerAdd, ServerRemove,
    ServerSecurityGroups,
};
use crate::commands::floating_ip::{self, address, find_network, find_port};
use crate::commands::neutron::{http_error, http_error_at, lookup_error};
use crate::context::Context;
use crate::output::Cell;

/// A server by id or name, in openstacksdk's words when none matches (these commands use
/// the SDK's `find_server`, not osc_lib's lookup).
async fn find(cloud: &Cloud, name_or_id: &str) -> Result<Server> {
    cloud
        .compute()
        .servers()
        .find(name_or_id)
        .await
        .map_err(|e| lookup_error("Server", name_or_id, e))
}

/// Runs `server add ...`.
pub async fn add(ctx: &Context, command: ServerAdd) -> Result<()> {
    let cloud = ctx.cloud().await?;
    match command {
        ServerAdd::Floating {
            command: AddFloating::Ip(args),
        } => add_floating_ip(cloud, args).await,
        ServerAdd::Security {
            command: SecurityGroupWord::Group(args),
        } => security_groups(cloud, args, true).await,
        ServerAdd::Port(args) => {
            let server = find(cloud, &args.server).await?;
            let port = find_port(cloud, &args.port).await?;
            attach(cloud, &server, NetworkAttachment::port(port.id)).await
        }
        ServerAdd::Network(args) => {
            let server = find(cloud, &args.server).await?;
            let network = find_network(cloud, &args.network).await?;
            attach(cloud, &server, NetworkAttachment::network(network.id)).await
        }
        ServerAdd::Fixed {
            command: super::args::AddFixed::Ip(args),
        } => add_fixed_ip(cloud, args).await,
    }
}

/// `server add fixed ip`: a new interface on the network (with the address when given),
/// shown as osc shows the interface Nova answers.
async fn add_fixed_ip(cloud: &Cloud, args: super::args::AddFixedIp) -> Result<()> {
    let server = find(cloud, &args.server).await?;
    let network = find_network(cloud, &args.network).await?;
    let attachment = match args.fixed_ip_address {
        Some(ip) => NetworkAttachment::fixed_ip(network.id, ip),
        None => NetworkAttachment::network(network.id),
    };
    let interfaces = cloud.compute().interfaces(server.id.clone());
    let interface = match interfaces.create(attachment).send().await {
        Ok(interface) => interface,
        Err(e) => {
            let path = format!("/servers/{}/os-interface", server.id);
            return Err(http_error_at(cloud, &ServiceType::Compute, &path, e).await);
        }
    };
    let ips: Vec<Vec<(String, serde_json::Value)>> = interface
        .fixed_ips
        .iter()
        .map(|ip| {
            // The mock's order; Neutron (and so Nova) sends subnet_id first, which the
            // SDK's typed model does not keep.
            vec![
                (
                    "ip_address".to_owned(),
                    serde_json::json!(ip.ip_address.map(|a| a.to_string())),
                ),
                (
                    "subnet_id".to_owned(),
                    serde_json::json!(ip.subnet_id.as_ref().map(|s| s.as_str())),
                ),
            ]
        })
        .collect();
    let fixed_ips = Cell::list_of_dicts(&ips);
    let row = vec![
        Cell::str(interface.port_id.as_str()),
        Cell::str(server.id.as_str()),
        Cell::opt(interface.net_id.as_ref().map(|n| n.as_str().to_owned())),
        Cell::opt(interface.mac_addr.clone()),
        Cell::opt(interface.port_state.clone()),
        fixed_ips,
    ];
    let names = [
        "Port ID",
        "Server ID",
        "Network ID",
        "MAC Address",
        "Port State",
        "Fixed IPs",
    ];
    crate::print::one(&args.output, names.into_iter().zip(row).collect())
}

/// Runs `server remove ...`.
pub async fn remove(ctx: &Context, command: ServerRemove) -> Result<()> {
    let cloud = ctx.cloud().await?;
    match command {
        ServerRemove::Floating {
            command: RemoveFloating::Ip(args),
        } => {
            // As osc: the floating IP alone decides; the server is not looked up.
            let fip = floating_ip::find(cloud, &args.ip_address).await?;
            let path = format!("/floatingips/{}", fip.id);
            match cloud.network().floating_ips().disassociate(fip.id).await {
                Ok(_) => Ok(()),
                Err(e) => Err(http_error(cloud, &path, e).await),
            }
        }
        ServerRemove::Security {
            command: SecurityGroupWord::Group(args),
        } => security_groups(cloud, args, false).await,
        ServerRemove::Port(args) => {
            let server = find(cloud, &args.server).await?;
            let port = find_port(cloud, &args.port).await?;
            detach(cloud, &server, port.id.as_str()).await
        }
        ServerRemove::Network(args) => {
            let server = find(cloud, &args.server).await?;
            let network = find_network(cloud, &args.network).await?;
            let interfaces = cloud.compute().interfaces(server.id.clone());
            let path = format!("/servers/{}/os-interface", server.id);
            let attached = match interfaces.list().collect_all().await {
                Ok(attached) => attached,
                Err(e) => return Err(http_error_at(cloud, &ServiceType::Compute, &path, e).await),
            };
            for interface in attached {
                if interface.net_id.as_ref() == Some(&network.id) {
                    detach(cloud, &server, interface.port_id.as_str()).await?;
                }
            }
            Ok(())
        }
    }
}

/// `server add|remove security group`: each group in turn through Nova's action (Nova
/// takes a name or an id), each failure told, then how many failed, in osc's words.
async fn security_groups(cloud: &Cloud, args: ServerSecurityGroups, adding: bool) -> Result<()> {
    let server = find(cloud, &args.server).await?;
    let servers = cloud.compute().servers();
    let mut errors = 0;
    for group in &args.security_groups {
        let result = if adding {
            servers.add_security_group(&server.id, group).await
        } else {
            servers.remove_security_group(&server.id, group).await
        };
        if let Err(e) = result {
            errors += 1;
            let e = action_error(cloud, &server, e).await;
            let (verb, to) = if adding {
                ("add", "to")
            } else {
                ("remove", "from")
            };
            eprintln!(
                "Failed to {verb} security group with name or ID '{group}' {to} server '{}': {e}",
                server.id
            );
        }
    }
    if errors > 0 {
        let done = if adding { "added" } else { "removed" };
        bail!(
            "{errors} of {} security groups were not {done}.",
            args.security_groups.len()
        );
    }
    Ok(())
}

/// osc's `server add floating ip`: with `--fixed-ip-address`, the first port holding that
/// address; otherwise each port in turn, skipping those no router joins to the floating
/// IP's network (Neutron's 404), the last such error reported when none would do.
async fn add_floating_ip(cloud: &Cloud, args: AddFloatingIp) -> Result<()> {
    let fip = floating_ip::find(cloud, &args.ip_address).await?;
    let server = find(cloud, &args.server).await?;
    let neutron = cloud.network();
    let ports = neutron
        .ports()
        .list()
        .device_id(server.id.as_str())
        .collect_all()
        .await?;
    if ports.is_empty() {
        bail!("No attached ports found to associate floating IP with");
    }
    let path = format!("/floatingips/{}", fip.id);
    if let Some(text) = &args.fixed_ip_address {
        let ip = address("--fixed-ip-address", text)?;
        let port = ports
            .iter()
            .find(|p| p.ip_addresses().any(|a| a == ip))
            .ok_or_else(|| anyhow!("No port found for fixed IP address {text}"))?;
        let update = neutron
            .floating_ips()
            .update(fip.id.clone())
            .fixed_ip_address(ip)
            .port_id(port.id.clone());
        return match update.send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(http_error(cloud, &path, e).await),
        };
    }
    let mut last = None;
    for port in &ports {
        let update = neutron
            .floating_ips()
            .update(fip.id.clone())
            .port_id(port.id.clone());
        match update.send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => last = Some(e),
            Err(e) => return Err(http_error(cloud, &path, e).await),
        }
    }
    match last {
        Some(e) => Err(http_error(cloud, &path, e).await),
        None => Ok(()),
    }
}

/// `POST /servers/{id}/os-interface`.
async fn attach(cloud: &Cloud, server: &Server, attachment: NetworkAttachment) -> Result<()> {
    let interfaces = cloud.compute().interfaces(server.id.clone());
    match interfaces.create(attachment).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = format!("/servers/{}/os-interface", server.id);
            Err(http_error_at(cloud, &ServiceType::Compute, &path, e).await)
        }
    }
}

/// `DELETE /servers/{id}/os-interface/{port}`.
async fn detach(cloud: &Cloud, server: &Server, port: &str) -> Result<()> {
    let interfaces = cloud.compute().interfaces(server.id.clone());
    match interfaces.delete(port).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let path = format!("/servers/{}/os-interface/{port}", server.id);
            Err(http_error_at(cloud, &ServiceType::Compute, &path, e).await)
        }
    }
}

/// A failed server action (`POST /servers/{id}/action`) in openstacksdk's words.
async fn action_error(cloud: &Cloud, server: &Server, e: ferrostack::Error) -> anyhow::Error {
    let path = format!("/servers/{}/action", server.id);
    http_error_at(cloud, &ServiceType::Compute, &path, e).await
}
