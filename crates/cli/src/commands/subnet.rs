//! `fstack subnet list/show/create/delete`, as openstackclient 10 prints them.

pub(crate) mod args;

use std::net::IpAddr;

use anyhow::{Context as _, Result, bail};
use ferrostack::network::{AllocationPool, HostRoute, Subnet};

use self::args::{SubnetCommand, SubnetCreate, SubnetDelete, SubnetList, SubnetShow};
use crate::commands::network::display::{Field, Fmt, pair, parse_pairs};
use crate::commands::network::{
    find_and_delete, find_network, print_list, print_one, sent, tags_after_create,
};
use crate::context::Context;

/// Runs one `subnet` command.
pub async fn run(ctx: &Context, command: SubnetCommand) -> Result<()> {
    match command {
        SubnetCommand::List(args) => list(ctx, args).await,
        SubnetCommand::Show(args) => show(ctx, args).await,
        SubnetCommand::Create(args) => create(ctx, args).await,
        SubnetCommand::Delete(args) => delete(ctx, args).await,
    }
}

/// openstacksdk's `Subnet` attributes as osc's show names them.
const FIELDS: &[Field] = &[
    ("allocation_pools", Some("allocation_pools"), Fmt::Pools),
    ("cidr", Some("cidr"), Fmt::Plain),
    ("created_at", Some("created_at"), Fmt::Plain),
    ("description", Some("description"), Fmt::Plain),
    (
        "dns_nameservers",
        Some("dns_nameservers"),
        Fmt::UnsortedList,
    ),
    (
        "dns_publish_fixed_ip",
        Some("dns_publish_fixed_ip"),
        Fmt::Plain,
    ),
    ("enable_dhcp", Some("enable_dhcp"), Fmt::Plain),
    ("gateway_ip", Some("gateway_ip"), Fmt::Plain),
    ("host_routes", Some("host_routes"), Fmt::Routes),
    ("id", Some("id"), Fmt::Plain),
    ("ip_version", Some("ip_version"), Fmt::Plain),
    ("ipv6_address_mode", Some("ipv6_address_mode"), Fmt::Plain),
    ("ipv6_ra_mode", Some("ipv6_ra_mode"), Fmt::Plain),
    ("name", Some("name"), Fmt::Plain),
    ("network_id", Some("network_id"), Fmt::Plain),
    ("project_id", Some("project_id"), Fmt::Plain),
    ("revision_number", Some("revision_number"), Fmt::Plain),
    ("segment_id", Some("segment_id"), Fmt::Plain),
    ("service_types", Some("service_types"), Fmt::List),
    ("subnetpool_id", Some("subnetpool_id"), Fmt::Plain),
    ("tags", Some("tags"), Fmt::List),
    ("updated_at", Some("updated_at"), Fmt::Plain),
];

/// What osc hides, and wire keys of attributes it hides.
const HIDDEN: &[&str] = &[
    "tenant_id",
    "location",
    "prefixlen",
    "use_default_subnetpool",
];

async fn list(ctx: &Context, args: SubnetList) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let mut query = network.subnets().list();
    if let Some(version) = &args.ip_version {
        query = query.ip_version(version.parse().context("--ip-version")?);
    }
    if let Some(dhcp) = crate::commands::network::args::either(args.dhcp, args.no_dhcp) {
        query = query.enable_dhcp(dhcp);
    }
    if let Some(name) = &args.network {
        query = query.network_id(find_network(&network, name).await?.id);
    }
    if let Some(name) = args.name {
        query = query.name(name);
    }
    if let Some(cidr) = args.subnet_range {
        query = query.cidr(cidr);
    }
    let subnets = query.collect_all().await.context("cannot list subnets")?;
    let mut columns = vec![
        ("ID", "id", Fmt::Plain),
        ("Name", "name", Fmt::Plain),
        ("Network", "network_id", Fmt::Plain),
        ("Subnet", "cidr", Fmt::Plain),
    ];
    if args.long {
        columns.extend([
            ("Project", "project_id", Fmt::Plain),
            ("DHCP", "enable_dhcp", Fmt::Plain),
            ("Name Servers", "dns_nameservers", Fmt::UnsortedList),
            ("Allocation Pools", "allocation_pools", Fmt::Pools),
            ("Host Routes", "host_routes", Fmt::Routes),
            ("IP Version", "ip_version", Fmt::Plain),
            ("Gateway", "gateway_ip", Fmt::Plain),
            ("Service Types", "service_types", Fmt::List),
            ("Tags", "tags", Fmt::List),
        ]);
    }
    print_list(&args.output, &columns, &subnets)
}

async fn show(ctx: &Context, args: SubnetShow) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_subnet(&network, &args.subnet).await?;
    print_one(&args.output, &found, FIELDS, HIDDEN)
}

async fn create(ctx: &Context, args: SubnetCreate) -> Result<()> {
    let network = ctx.cloud().await?.network();
    // Everything given is checked before anything is asked of Neutron.
    let Some(cidr) = &args.subnet_range else {
        bail!("--subnet-range is required (subnet pools are not supported)");
    };
    let gateway = match args.gateway.to_lowercase().as_str() {
        "auto" => Gateway::Auto,
        "none" => Gateway::None,
        ip => Gateway::Ip(
            ip.parse()
                .with_context(|| format!("--gateway {ip}: not auto, none or an IP address"))?,
        ),
    };
    let pools = args
        .allocation_pools
        .iter()
        .map(|text| {
            let pairs = parse_pairs(
                "--allocation-pool",
                text,
                &["start", "end"],
                &["start", "end"],
            )?;
            let ip = |key| -> Result<IpAddr> {
                let value = pair(&pairs, key).unwrap_or_default();
                value
                    .parse()
                    .with_context(|| format!("--allocation-pool {key}={value}: not an IP address"))
            };
            Ok(AllocationPool::new(ip("start")?, ip("end")?))
        })
        .collect::<Result<Vec<_>>>()?;
    let routes = args
        .host_routes
        .iter()
        .map(|text| {
            let keys = ["destination", "gateway"];
            let pairs = parse_pairs("--host-route", text, &keys, &keys)?;
            let hop = pair(&pairs, "gateway").unwrap_or_default();
            let hop: IpAddr = hop
                .parse()
                .with_context(|| format!("--host-route gateway={hop}: not an IP address"))?;
            Ok(HostRoute::new(
                pair(&pairs, "destination").unwrap_or_default(),
                hop,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let net = find_network(&network, &args.network).await?;
    let mut create = network
        .subnets()
        .create(net.id, cidr.clone())
        .name(args.name.clone())
        .ip_version(args.ip_version);
    create = match gateway {
        Gateway::Auto => create,
        Gateway::None => create.no_gateway(),
        Gateway::Ip(ip) => create.gateway_ip(ip),
    };
    if let Some(dhcp) = crate::commands::network::args::either(args.dhcp, args.no_dhcp) {
        create = create.enable_dhcp(dhcp);
    }
    if !pools.is_empty() {
        create = create.allocation_pools(pools);
    }
    if !args.dns_nameservers.is_empty() {
        create = create.dns_nameservers(args.dns_nameservers.clone());
    }
    if !routes.is_empty() {
        create = create.host_routes(routes);
    }
    if let Some(d) = &args.description {
        create = create.description(d.clone());
    }
    let path = create.request()?.path;
    let mut made = sent(&network, &path, create.send().await).await?;
    if let Some(tags) = tags_after_create(&made.tags, &args.tags) {
        network
            .subnets()
            .set_tags(made.id.clone(), tags.clone())
            .await?;
        made.tags = tags;
    }
    print_one(&args.output, &made, FIELDS, HIDDEN)
}

enum Gateway {
    Auto,
    None,
    Ip(IpAddr),
}

async fn delete(ctx: &Context, args: SubnetDelete) -> Result<()> {
    delete_subnets(&ctx.cloud().await?.network(), &args.subnets).await
}

find_and_delete!(
    find_subnet,
    delete_subnets,
    Subnet,
    subnets,
    "Subnet",
    "subnet",
    "/subnets"
);
