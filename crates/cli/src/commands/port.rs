//! `fstack port list/show/create/delete/set`, as openstackclient 10 prints them.

pub(crate) mod args;

use std::net::IpAddr;

use anyhow::{Context as _, Result};
use ferrostack::network::{FixedIp, NetworkClient, Port, SecurityGroupId};

use self::args::{PortCommand, PortCreate, PortDelete, PortFlags, PortList, PortSet, PortShow};
use crate::commands::network::args::either;
use crate::commands::network::display::{self, Field, Fmt, pair, parse_pairs};
use crate::commands::network::{
    find_and_delete, find_network, lookup_error, print_list, sent, tags_after_create,
    tags_after_set,
};
use crate::commands::subnet::find_subnet;
use crate::context::Context;
use crate::print;

/// Runs one `port` command.
pub async fn run(ctx: &Context, command: PortCommand) -> Result<()> {
    match command {
        PortCommand::List(args) => list(ctx, args).await,
        PortCommand::Show(args) => show(ctx, args).await,
        PortCommand::Create(args) => create(ctx, args).await,
        PortCommand::Delete(args) => delete(ctx, args).await,
        PortCommand::Set(args) => set(ctx, args).await,
    }
}

/// osc's port columns, in its own order (`_get_columns` in `port.py` lists them by hand:
/// nothing else is shown). `hints` is an attribute openstacksdk 4 does not fill.
const FIELDS: &[Field] = &[
    ("admin_state_up", Some("admin_state_up"), Fmt::AdminState),
    (
        "allowed_address_pairs",
        Some("allowed_address_pairs"),
        Fmt::ListDict,
    ),
    ("binding_host_id", Some("binding:host_id"), Fmt::Plain),
    ("binding_profile", Some("binding:profile"), Fmt::Dict),
    (
        "binding_vif_details",
        Some("binding:vif_details"),
        Fmt::Dict,
    ),
    ("binding_vif_type", Some("binding:vif_type"), Fmt::Plain),
    ("binding_vnic_type", Some("binding:vnic_type"), Fmt::Plain),
    ("created_at", Some("created_at"), Fmt::Plain),
    ("data_plane_status", Some("data_plane_status"), Fmt::Plain),
    ("description", Some("description"), Fmt::Plain),
    ("device_id", Some("device_id"), Fmt::Plain),
    ("device_owner", Some("device_owner"), Fmt::Plain),
    ("device_profile", Some("device_profile"), Fmt::Plain),
    ("dns_assignment", Some("dns_assignment"), Fmt::ListDict),
    ("dns_domain", Some("dns_domain"), Fmt::Plain),
    ("dns_name", Some("dns_name"), Fmt::Plain),
    ("extra_dhcp_opts", Some("extra_dhcp_opts"), Fmt::ListDict),
    ("fixed_ips", Some("fixed_ips"), Fmt::ListDict),
    (
        "hardware_offload_type",
        Some("hardware_offload_type"),
        Fmt::Plain,
    ),
    ("hints", None, Fmt::Plain),
    ("id", Some("id"), Fmt::Plain),
    ("ip_allocation", Some("ip_allocation"), Fmt::Plain),
    ("mac_address", Some("mac_address"), Fmt::Plain),
    ("name", Some("name"), Fmt::Plain),
    ("network_id", Some("network_id"), Fmt::Plain),
    (
        "numa_affinity_policy",
        Some("numa_affinity_policy"),
        Fmt::Plain,
    ),
    (
        "port_security_enabled",
        Some("port_security_enabled"),
        Fmt::Plain,
    ),
    ("project_id", Some("project_id"), Fmt::Plain),
    (
        "propagate_uplink_status",
        Some("propagate_uplink_status"),
        Fmt::Plain,
    ),
    ("pvlan_type", Some("pvlan_type"), Fmt::Plain),
    ("pvlan_community", Some("pvlan_community"), Fmt::Plain),
    ("resource_request", Some("resource_request"), Fmt::Plain),
    ("revision_number", Some("revision_number"), Fmt::Plain),
    (
        "qos_network_policy_id",
        Some("qos_network_policy_id"),
        Fmt::Plain,
    ),
    ("qos_policy_id", Some("qos_policy_id"), Fmt::Plain),
    ("security_group_ids", Some("security_groups"), Fmt::List),
    ("status", Some("status"), Fmt::Plain),
    ("tags", Some("tags"), Fmt::List),
    ("trunk_details", Some("trunk_details"), Fmt::Plain),
    ("trusted", Some("trusted"), Fmt::Plain),
    ("updated_at", Some("updated_at"), Fmt::Plain),
];

fn print_port(output: &crate::args::ShowOutput, port: &Port) -> Result<()> {
    print::one(output, display::show(&display::wire(port), FIELDS))
}

async fn list(ctx: &Context, args: PortList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let network = cloud.network();
    let mut query = network.ports().list();
    if let Some(owner) = args.device_owner {
        query = query.device_owner(owner);
    }
    if let Some(device) = args.device_id {
        query = query.device_id(device);
    }
    if let Some(router) = &args.router {
        query = query.device_id(
            crate::commands::router::find_router(&network, router)
                .await?
                .id,
        );
    }
    if let Some(server) = &args.server {
        let compute = cloud.compute();
        query = query.device_id(crate::commands::server::find(&compute, server).await?.id);
    }
    if let Some(net) = &args.network {
        query = query.network_id(find_network(&network, net).await?.id);
    }
    if let Some(mac) = args.mac_address {
        query = query.mac_address(mac);
    }
    if let Some(name) = args.name {
        query = query.name(name);
    }
    for text in &args.fixed_ips {
        let pairs = parse_pairs(
            "--fixed-ip",
            text,
            &["subnet", "ip-address", "ip-substring"],
            &[],
        )?;
        if let Some(subnet) = pair(&pairs, "subnet") {
            let id = find_subnet(&network, subnet).await?.id;
            query = query.filter("fixed_ips", format!("subnet_id={id}"));
        }
        if let Some(ip) = pair(&pairs, "ip-address") {
            query = query.filter("fixed_ips", format!("ip_address={ip}"));
        }
        if let Some(part) = pair(&pairs, "ip-substring") {
            query = query.filter("fixed_ips", format!("ip_address_substr={part}"));
        }
    }
    let ports = query.collect_all().await.context("cannot list ports")?;
    let mut columns = vec![
        ("ID", "id", Fmt::Plain),
        ("Name", "name", Fmt::Plain),
        ("MAC Address", "mac_address", Fmt::Plain),
        ("Fixed IP Addresses", "fixed_ips", Fmt::ListDict),
        ("Status", "status", Fmt::Plain),
    ];
    if args.long {
        columns.extend([
            ("Security Groups", "security_groups", Fmt::List),
            ("Device Owner", "device_owner", Fmt::Plain),
            ("Tags", "tags", Fmt::List),
            ("Trunk subports", "trunk_details", Fmt::SubPorts),
        ]);
    }
    print_list(&args.output, &columns, &ports)
}

async fn show(ctx: &Context, args: PortShow) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_port(&network, &args.port).await?;
    print_port(&args.output, &found)
}

/// `--fixed-ip subnet=<subnet>,ip-address=<ip-address>` values, subnets found by name or id.
async fn fixed_ips(network: &NetworkClient, texts: &[String]) -> Result<Vec<FixedIp>> {
    let mut ips = Vec::new();
    for text in texts {
        let pairs = parse_pairs("--fixed-ip", text, &["subnet", "ip-address"], &[])?;
        let address: Option<IpAddr> = pair(&pairs, "ip-address")
            .map(|ip| {
                ip.parse()
                    .with_context(|| format!("--fixed-ip ip-address={ip}: not an IP address"))
            })
            .transpose()?;
        let subnet = match pair(&pairs, "subnet") {
            Some(name) if !name.is_empty() => Some(find_subnet(network, name).await?.id),
            _ => None,
        };
        ips.push(match (address, subnet) {
            (Some(ip), Some(subnet)) => FixedIp::new(ip, subnet),
            (Some(ip), None) => FixedIp::address(ip),
            (None, Some(subnet)) => FixedIp::on_subnet(subnet),
            (None, None) => anyhow::bail!("--fixed-ip {text:?}: give subnet= or ip-address="),
        });
    }
    Ok(ips)
}

async fn security_groups(
    network: &NetworkClient,
    names: &[String],
) -> Result<Vec<SecurityGroupId>> {
    let mut ids = Vec::new();
    for name in names {
        let group = network
            .security_groups()
            .find(name)
            .await
            .map_err(|e| lookup_error("SecurityGroup", name, e))?;
        ids.push(group.id);
    }
    Ok(ids)
}

async fn create(ctx: &Context, args: PortCreate) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let net = find_network(&network, &args.network).await?;
    let f = &args.flags;
    let ips = fixed_ips(&network, &f.fixed_ips).await?;
    let groups = security_groups(&network, &f.security_groups).await?;
    // osc always sends admin_state_up (its --enable defaults to true).
    let mut create = network
        .ports()
        .create(net.id)
        .name(args.name.clone())
        .admin_state_up(!f.disable);
    if !ips.is_empty() {
        create = create.fixed_ips(ips);
    } else if f.no_fixed_ip {
        create = create.fixed_ips(Vec::<FixedIp>::new());
    }
    if !groups.is_empty() || f.no_security_group {
        create = create.security_groups(groups);
    }
    if let Some(secure) = either(f.enable_port_security, f.disable_port_security) {
        create = create.port_security_enabled(secure);
    }
    if let Some(mac) = &args.mac_address {
        create = create.mac_address(mac.clone());
    }
    if let Some(device) = &f.device {
        create = create.device_id(device.clone());
    }
    if let Some(owner) = &f.device_owner {
        create = create.device_owner(owner.clone());
    }
    if let Some(d) = &f.description {
        create = create.description(d.clone());
    }
    let path = create.request()?.path;
    let mut made = sent(&network, &path, create.send().await).await?;
    if let Some(tags) = tags_after_create(&made.tags, &args.tags) {
        network
            .ports()
            .set_tags(made.id.clone(), tags.clone())
            .await?;
        made.tags = tags;
    }
    print_port(&args.output, &made)
}

async fn set(ctx: &Context, args: PortSet) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let f: &PortFlags = &args.flags;
    let new_ips = fixed_ips(&network, &f.fixed_ips).await?;
    let found = find_port(&network, &args.port).await?;
    let new_groups = security_groups(&network, &f.security_groups).await?;
    let mut update = network.ports().update(found.id.clone());
    if let Some(name) = &args.name {
        update = update.name(name.clone());
    }
    // --fixed-ip and --security-group add to what the port has, unless --no-... clears it.
    if f.no_fixed_ip || !new_ips.is_empty() {
        let mut ips = if f.no_fixed_ip {
            Vec::new()
        } else {
            found.fixed_ips.clone()
        };
        ips.extend(new_ips);
        update = update.fixed_ips(ips);
    }
    if f.no_security_group || !new_groups.is_empty() {
        let mut groups = if f.no_security_group {
            Vec::new()
        } else {
            found.security_groups.clone()
        };
        groups.extend(new_groups);
        update = update.security_groups(groups);
    }
    if let Some(up) = either(f.enable, f.disable) {
        update = update.admin_state_up(up);
    }
    if let Some(secure) = either(f.enable_port_security, f.disable_port_security) {
        update = update.port_security_enabled(secure);
    }
    if let Some(device) = &f.device {
        update = update.device_id(device.clone());
    }
    if let Some(owner) = &f.device_owner {
        update = update.device_owner(owner.clone());
    }
    if let Some(d) = &f.description {
        update = update.description(d.clone());
    }
    let path = update.request()?.path;
    sent(&network, &path, update.send().await).await?;
    if let Some(tags) = tags_after_set(&found.tags, &args.tags) {
        network.ports().set_tags(found.id.clone(), tags).await?;
    }
    Ok(())
}

async fn delete(ctx: &Context, args: PortDelete) -> Result<()> {
    delete_ports(&ctx.cloud().await?.network(), &args.ports).await
}

find_and_delete!(
    find_port,
    delete_ports,
    Port,
    ports,
    "Port",
    "port",
    "/ports"
);
