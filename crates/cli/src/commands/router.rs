//! `fstack router list/show/create/delete/set/unset/add/remove`, as openstackclient 10
//! prints them.

pub(crate) mod args;

use anyhow::{Context as _, Result, bail};
use ferrostack::network::{ExternalGateway, NetworkClient, Router};
use serde_json::{Value, json};

use self::args::{
    GatewayFlags, RouterCommand, RouterCreate, RouterDelete, RouterInterface, RouterList,
    RouterSet, RouterShow, RouterUnset,
};
use crate::args::ShowOutput;
use crate::commands::network::args::either;
use crate::commands::network::display::{self, Field, Fmt, pair, parse_pairs};
use crate::commands::network::{
    find_and_delete, find_network, one_fields, print_list, sent, tags_after_create, tags_after_set,
};
use crate::commands::port::find_port;
use crate::commands::subnet::find_subnet;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `router` command.
pub async fn run(ctx: &Context, command: RouterCommand) -> Result<()> {
    match command {
        RouterCommand::List(args) => list(ctx, args).await,
        RouterCommand::Show(args) => show(ctx, args).await,
        RouterCommand::Create(args) => create(ctx, args).await,
        RouterCommand::Delete(args) => delete(ctx, args).await,
        RouterCommand::Set(args) => set(ctx, args).await,
        RouterCommand::Unset(args) => unset(ctx, args).await,
        RouterCommand::Add { what } => interface(ctx, what, true).await,
        RouterCommand::Remove { what } => interface(ctx, what, false).await,
    }
}

/// openstacksdk's `Router` attributes as osc's show names them. `distributed` and `ha` are
/// shown only when Neutron sends them; `revision_number` is read from the wire key of that
/// name (the SDK's own attribute reads `revision`, which Neutron never sends).
const FIELDS: &[Field] = &[
    ("admin_state_up", Some("admin_state_up"), Fmt::AdminState),
    (
        "availability_zone_hints",
        Some("availability_zone_hints"),
        Fmt::List,
    ),
    ("availability_zones", Some("availability_zones"), Fmt::List),
    ("created_at", Some("created_at"), Fmt::Plain),
    ("description", Some("description"), Fmt::Plain),
    ("distributed", Some("distributed"), Fmt::Plain),
    ("enable_ndp_proxy", Some("enable_ndp_proxy"), Fmt::Plain),
    (
        "external_gateway_info",
        Some("external_gateway_info"),
        Fmt::Json,
    ),
    ("flavor_id", Some("flavor_id"), Fmt::Plain),
    ("ha", Some("ha"), Fmt::Plain),
    ("id", Some("id"), Fmt::Plain),
    ("interfaces_info", Some("interfaces_info"), Fmt::Json),
    ("name", Some("name"), Fmt::Plain),
    ("project_id", Some("project_id"), Fmt::Plain),
    ("revision_number", Some("revision_number"), Fmt::Plain),
    ("routes", Some("routes"), Fmt::Routes),
    ("status", Some("status"), Fmt::Plain),
    ("tags", Some("tags"), Fmt::List),
    ("updated_at", Some("updated_at"), Fmt::Plain),
];

const HIDDEN: &[&str] = &["tenant_id", "location", "revision", "evpn_vni"];

/// A router as osc's show prints it; `interfaces` (show only) as its `interfaces_info`.
fn print_router(output: &ShowOutput, router: &Router, interfaces: Option<Cell>) -> Result<()> {
    let doc = display::wire(router);
    let has = |key: &str| doc.get(key).is_some_and(|v| !v.is_null());
    let (ha, distributed) = (has("ha"), has("distributed"));
    let fields: Vec<Field> = FIELDS
        .iter()
        .copied()
        .filter(|f| match f.0 {
            "ha" => ha,
            "distributed" => distributed,
            "interfaces_info" => false,
            _ => true,
        })
        .collect();
    let mut hidden = HIDDEN.to_vec();
    hidden.extend(["ha", "distributed"]);
    let mut shown = one_fields(&doc, &fields, &hidden);
    if let Some(cell) = interfaces {
        shown.push(("interfaces_info".to_owned(), cell));
        shown.sort_by(|a, b| a.0.cmp(&b.0));
    }
    print::one(
        output,
        shown.iter().map(|(n, c)| (n.as_str(), c.clone())).collect(),
    )
}

async fn list(ctx: &Context, args: RouterList) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let mut query = network.routers().list();
    if let Some(name) = args.name {
        query = query.name(name);
    }
    if let Some(up) = either(args.enable, args.disable) {
        query = query.admin_state_up(up);
    }
    let routers = query.collect_all().await.context("cannot list routers")?;
    let mut columns = vec![
        ("ID", "id", Fmt::Plain),
        ("Name", "name", Fmt::Plain),
        ("Status", "status", Fmt::Plain),
        ("State", "admin_state_up", Fmt::AdminState),
        ("Project", "project_id", Fmt::Plain),
    ];
    // osc adds these columns when any router has the attribute.
    if routers.iter().any(|r| r.distributed.is_some()) {
        columns.push(("Distributed", "distributed", Fmt::Plain));
    }
    if routers.iter().any(|r| r.ha.is_some()) {
        columns.push(("HA", "ha", Fmt::Plain));
    }
    if args.long {
        columns.push(("Routes", "routes", Fmt::Routes));
        columns.push(("External gateway info", "external_gateway_info", Fmt::Json));
        if network
            .find_extension("router_availability_zone")
            .await?
            .is_some()
        {
            columns.push(("Availability zones", "availability_zones", Fmt::List));
        }
        columns.push(("Tags", "tags", Fmt::List));
    }
    print_list(&args.output, &columns, &routers)
}

async fn show(ctx: &Context, args: RouterShow) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_router(&network, &args.router).await?;
    // osc lists the router's ports for its interfaces: every fixed IP but the gateway's.
    let ports = network
        .ports()
        .list()
        .device_id(found.id.to_string())
        .collect_all()
        .await
        .context("cannot list the router's ports")?;
    let info: Vec<(String, Option<String>, Option<String>)> = ports
        .iter()
        .filter(|p| p.device_owner != "network:router_gateway")
        .flat_map(|p| {
            p.fixed_ips.iter().map(|ip| {
                (
                    p.id.to_string(),
                    ip.ip_address.map(|a| a.to_string()),
                    ip.subnet_id.as_ref().map(ToString::to_string),
                )
            })
        })
        .collect();
    print_router(&args.output, &found, Some(interfaces_info(&info)))
}

/// osc's `interfaces_info`: dicts keyed `port_id`, `ip_address`, `subnet_id` in that order,
/// through `json.dumps` in tables and `str()` in `-f value`.
fn interfaces_info(info: &[(String, Option<String>, Option<String>)]) -> Cell {
    const KEYS: [&str; 3] = ["port_id", "ip_address", "subnet_id"];
    let values = |(port, ip, subnet): &(String, Option<String>, Option<String>)| {
        [json!(port), json!(ip), json!(subnet)]
    };
    let ordered: Vec<Value> = info
        .iter()
        .map(|i| crate::output::ordered(&KEYS, values(i).into_iter()))
        .collect();
    let human = display::py_json(&Value::Array(ordered.clone()));
    let repr: Vec<String> = info
        .iter()
        .map(|i| {
            let pairs: Vec<String> = KEYS
                .iter()
                .zip(values(i))
                .map(|(k, v)| format!("'{k}': {}", crate::output::python_repr(&v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        })
        .collect();
    Cell::Ordered {
        human,
        machine: Value::Array(ordered),
        repr: format!("[{}]", repr.join(", ")),
    }
}

/// The gateway `--external-gateway`, `--fixed-ip` and `--enable/--disable-snat` describe;
/// without --external-gateway the others are refused, as osc refuses them.
async fn gateway(
    network: &NetworkClient,
    flags: &GatewayFlags,
    verb: &str,
) -> Result<Option<ExternalGateway>> {
    let snat = either(flags.enable_snat, flags.disable_snat);
    let Some(name) = &flags.external_gateway else {
        if snat.is_some() || !flags.fixed_ips.is_empty() {
            bail!(
                "You must specify '--external-gateway' in order to {verb} SNAT or fixed-ip values"
            );
        }
        return Ok(None);
    };
    let net = find_network(network, name).await?;
    let mut gw = ExternalGateway::new(net.id);
    if let Some(snat) = snat {
        gw = gw.enable_snat(snat);
    }
    for text in &flags.fixed_ips {
        let pairs = parse_pairs("--fixed-ip", text, &["subnet", "ip-address"], &[])?;
        let ip = pair(&pairs, "ip-address")
            .map(|ip| {
                ip.parse()
                    .with_context(|| format!("--fixed-ip ip-address={ip}: not an IP address"))
            })
            .transpose()?;
        let subnet = match pair(&pairs, "subnet") {
            Some(s) if !s.is_empty() => Some(find_subnet(network, s).await?.id),
            _ => None,
        };
        gw = gw.fixed_ip(match (ip, subnet) {
            (Some(ip), Some(s)) => ferrostack::network::FixedIp::new(ip, s),
            (Some(ip), None) => ferrostack::network::FixedIp::address(ip),
            (None, Some(s)) => ferrostack::network::FixedIp::on_subnet(s),
            (None, None) => bail!("--fixed-ip {text:?}: give subnet= or ip-address="),
        });
    }
    Ok(Some(gw))
}

async fn create(ctx: &Context, args: RouterCreate) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let gw = gateway(&network, &args.gateway, "specify").await?;
    let mut create = network
        .routers()
        .create(&args.name)
        .admin_state_up(!args.disable);
    if let Some(d) = &args.description {
        create = create.description(d.clone());
    }
    if let Some(gw) = gw {
        create = create.external_gateway(gw);
    }
    let path = create.request()?.path;
    let mut made = sent(&network, &path, create.send().await).await?;
    if let Some(tags) = tags_after_create(&made.tags, &args.tags) {
        network
            .routers()
            .set_tags(made.id.clone(), tags.clone())
            .await?;
        made.tags = tags;
    }
    print_router(&args.output, &made, None)
}

async fn set(ctx: &Context, args: RouterSet) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_router(&network, &args.router).await?;
    let gw = gateway(&network, &args.gateway, "update the").await?;
    let mut update = network.routers().update(found.id.clone());
    if let Some(name) = &args.name {
        update = update.name(name.clone());
    }
    if let Some(d) = &args.description {
        update = update.description(d.clone());
    }
    if let Some(up) = either(args.enable, args.disable) {
        update = update.admin_state_up(up);
    }
    if let Some(gw) = gw {
        update = update.external_gateway(gw);
    }
    let path = update.request()?.path;
    sent(&network, &path, update.send().await).await?;
    if let Some(tags) = tags_after_set(&found.tags, &args.tags) {
        network.routers().set_tags(found.id.clone(), tags).await?;
    }
    Ok(())
}

async fn unset(ctx: &Context, args: RouterUnset) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_router(&network, &args.router).await?;
    if args.external_gateway {
        let update = network
            .routers()
            .update(found.id.clone())
            .clear_external_gateway();
        let path = update.request()?.path;
        sent(&network, &path, update.send().await).await?;
    }
    Ok(())
}

async fn interface(ctx: &Context, what: RouterInterface, add: bool) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let verb = if add {
        "add_router_interface"
    } else {
        "remove_router_interface"
    };
    let routers = network.routers();
    let (router, result) = match what {
        RouterInterface::Subnet { router, subnet } => {
            // osc looks the subnet up first, then the router.
            let subnet = find_subnet(&network, &subnet).await?;
            let router = find_router(&network, &router).await?;
            let result = if add {
                routers
                    .add_router_interface(router.id.clone(), subnet.id)
                    .await
            } else {
                routers
                    .remove_router_interface(router.id.clone(), subnet.id)
                    .await
            };
            (router, result)
        }
        RouterInterface::Port { router, port } => {
            let port = find_port(&network, &port).await?;
            let router = find_router(&network, &router).await?;
            let result = if add {
                routers
                    .add_router_interface(router.id.clone(), port.id)
                    .await
            } else {
                routers
                    .remove_router_interface(router.id.clone(), port.id)
                    .await
            };
            (router, result)
        }
    };
    sent(&network, &format!("/routers/{}/{verb}", router.id), result)
        .await
        .map(drop)
}

async fn delete(ctx: &Context, args: RouterDelete) -> Result<()> {
    delete_routers(&ctx.cloud().await?.network(), &args.routers).await
}

find_and_delete!(
    find_router,
    delete_routers,
    Router,
    routers,
    "Router",
    "router",
    "/routers"
);
