//! `fstack floating ip list|show|create|delete|set|unset`.
//!
//! The fields are openstacksdk's `FloatingIP` attributes as osc shows them, sorted, with
//! `name` standing for the address (the SDK's name attribute) and `port_details` as a dict.

pub(crate) mod args;

use std::net::IpAddr;

use anyhow::{Context as _, Result};
use ferrostack::Cloud;
use ferrostack::network::{FloatingIp, Network, Port};

use self::args::{FipCreate, FipList, FipSet, FloatingCommand, FloatingIpCommand};
use super::neutron::{
    delete_each, http_error, lookup_error, plain, plain_fields, project_id, wire,
};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `floating` command.
pub async fn run(ctx: &Context, command: FloatingCommand) -> Result<()> {
    let FloatingCommand::Ip { command } = command;
    match command {
        FloatingIpCommand::List(args) => list(ctx, args).await,
        FloatingIpCommand::Show(args) => {
            let cloud = ctx.cloud().await?;
            let fip = find(cloud, &args.floating_ip).await?;
            print::one(&args.output, fip_fields(&fip, true))
        }
        FloatingIpCommand::Create(args) => create(ctx, args).await,
        FloatingIpCommand::Delete(args) => {
            let cloud = ctx.cloud().await?;
            delete_each(
                &args.floating_ips,
                "floating IP",
                "floating IPs",
                async |name| {
                    let fip = find(cloud, name).await?;
                    match cloud.network().floating_ips().delete(fip.id.clone()).await {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            let path = format!("/floatingips/{}", fip.id);
                            Err(http_error(cloud, &path, e).await)
                        }
                    }
                },
            )
            .await
        }
        FloatingIpCommand::Set(args) => set(ctx, args).await,
        FloatingIpCommand::Unset(args) => {
            let cloud = ctx.cloud().await?;
            let fip = find(cloud, &args.floating_ip).await?;
            if args.port {
                let path = format!("/floatingips/{}", fip.id);
                let update = cloud.network().floating_ips().update(fip.id).no_port();
                if let Err(e) = update.send().await {
                    return Err(http_error(cloud, &path, e).await);
                }
            }
            Ok(())
        }
    }
}

/// A floating IP by id or address, with openstacksdk's words when none matches.
pub async fn find(cloud: &Cloud, id_or_address: &str) -> Result<FloatingIp> {
    cloud
        .network()
        .floating_ips()
        .find(id_or_address)
        .await
        .map_err(|e| lookup_error("FloatingIP", id_or_address, e))
}

/// A network by id or name (`find_network`).
pub async fn find_network(cloud: &Cloud, name_or_id: &str) -> Result<Network> {
    cloud
        .network()
        .networks()
        .find(name_or_id)
        .await
        .map_err(|e| lookup_error("Network", name_or_id, e))
}

/// A port by id or name (`find_port`).
pub async fn find_port(cloud: &Cloud, name_or_id: &str) -> Result<Port> {
    cloud
        .network()
        .ports()
        .find(name_or_id)
        .await
        .map_err(|e| lookup_error("Port", name_or_id, e))
}

/// An address flag's value.
pub fn address(flag: &str, text: &str) -> Result<IpAddr> {
    text.parse()
        .with_context(|| format!("{flag} {text}: not an IP address"))
}

async fn list(ctx: &Context, args: FipList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let mut query = cloud.network().floating_ips().list();
    // A repeated filter is an OR on Neutron, as osc sends it.
    for name in &args.networks {
        query = query.filter("floating_network_id", find_network(cloud, name).await?.id);
    }
    for name in &args.ports {
        query = query.filter("port_id", find_port(cloud, name).await?.id);
    }
    if let Some(ip) = &args.fixed_ip_address {
        query = query.filter("fixed_ip_address", ip.as_str());
    }
    if let Some(ip) = &args.floating_ip_address {
        query = query.filter("floating_ip_address", ip.as_str());
    }
    if let Some(status) = &args.status {
        query = query.filter("status", status.as_str());
    }
    if let Some(project) = project_id(cloud, &args.project).await? {
        query = query.project_id(project);
    }
    let fips = query
        .collect_all()
        .await
        .map_err(|e| anyhow::Error::from(e).context("cannot list floating IPs"))?;
    let mut columns = vec![
        "ID",
        "Floating IP Address",
        "Fixed IP Address",
        "Port",
        "Floating Network",
        "Project",
    ];
    let mut keys = vec![
        "id",
        "floating_ip_address",
        "fixed_ip_address",
        "port_id",
        "floating_network_id",
        "project_id",
    ];
    if args.long {
        columns.extend([
            "Router",
            "Status",
            "Description",
            "Tags",
            "DNS Name",
            "DNS Domain",
        ]);
        keys.extend([
            "router_id",
            "status",
            "description",
            "tags",
            "dns_name",
            "dns_domain",
        ]);
    }
    let rows = fips
        .iter()
        .map(|fip| {
            let wire = wire(fip);
            keys.iter().map(|key| plain(&wire, key)).collect()
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn create(ctx: &Context, args: FipCreate) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let network = find_network(cloud, &args.network).await?;
    let fips = cloud.network().floating_ips();
    let mut request = fips.create(network.id);
    if let Some(name) = &args.port {
        request = request.port_id(find_port(cloud, name).await?.id);
    }
    if let Some(ip) = &args.floating_ip_address {
        request = request.floating_ip_address(address("--floating-ip-address", ip)?);
    }
    if let Some(ip) = &args.fixed_ip_address {
        request = request.fixed_ip_address(address("--fixed-ip-address", ip)?);
    }
    if let Some(description) = &args.description {
        request = request.description(description.as_str());
    }
    if let Some(project) = project_id(cloud, &args.project).await? {
        request = request.project_id(project);
    }
    let mut fip = match request.send().await {
        Ok(fip) => fip,
        Err(e) => return Err(http_error(cloud, "/floatingips", e).await),
    };
    // Tags are set after the create, as osc sets them.
    if !args.tag.is_empty() {
        let path = format!("/floatingips/{}/tags", fip.id);
        if let Err(e) = fips.set_tags(fip.id.clone(), args.tag.clone()).await {
            return Err(http_error(cloud, &path, e).await);
        }
        fip.tags = args.tag.clone();
    }
    print::one(&args.output, fip_fields(&fip, false))
}

async fn set(ctx: &Context, args: FipSet) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let fip = find(cloud, &args.floating_ip).await?;
    let path = format!("/floatingips/{}", fip.id);
    let mut update = cloud.network().floating_ips().update(fip.id);
    let mut changed = false;
    if let Some(name) = &args.port {
        update = update.port_id(find_port(cloud, name).await?.id);
        changed = true;
    }
    if let Some(ip) = &args.fixed_ip_address {
        update = update.fixed_ip_address(address("--fixed-ip-address", ip)?);
        changed = true;
    }
    // As osc: an empty description is no change.
    if let Some(description) = args.description.as_ref().filter(|d| !d.is_empty()) {
        update = update.description(description.as_str());
        changed = true;
    }
    if changed && let Err(e) = update.send().await {
        return Err(http_error(cloud, &path, e).await);
    }
    Ok(())
}

/// `floating ip show` (and create): openstacksdk's attributes, sorted. Only `show` formats
/// `port_details` (osc's `DictColumn`: `{}` for none in the machine formats); create
/// prints it as it came.
fn fip_fields(fip: &FloatingIp, show: bool) -> Vec<(&'static str, Cell)> {
    let wire = wire(fip);
    let mut fields = plain_fields(
        &wire,
        &[
            ("created_at", "created_at"),
            ("description", "description"),
            ("dns_domain", "dns_domain"),
            ("dns_name", "dns_name"),
            ("fixed_ip_address", "fixed_ip_address"),
            ("floating_ip_address", "floating_ip_address"),
            ("floating_network_id", "floating_network_id"),
            ("id", "id"),
            ("name", "floating_ip_address"),
            ("port_details", "port_details"),
            ("port_forwardings", "port_forwardings"),
            ("port_id", "port_id"),
            ("project_id", "project_id"),
            ("qos_policy_id", "qos_policy_id"),
            ("revision_number", "revision_number"),
            ("router_id", "router_id"),
            ("status", "status"),
            ("subnet_id", "subnet_id"),
            ("tags", "tags"),
            ("updated_at", "updated_at"),
        ],
    );
    if !show {
        return fields;
    }
    let details = match wire.get("port_details") {
        Some(serde_json::Value::Object(details)) => Cell::Dict(
            details
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => Cell::Formatted {
            human: "None".to_owned(),
            machine: serde_json::json!({}),
        },
    };
    if let Some(field) = fields.iter_mut().find(|(n, _)| *n == "port_details") {
        field.1 = details;
    }
    fields
}
