//! `fstack server create|list|show|delete|start|stop|reboot`.
//!
//! The fields and columns are openstackclient's, which come from openstacksdk's `Server`
//! resource: every attribute it knows, `None` when Nova did not send it, under Nova's names,
//! sorted. Values that osc formats (power state, addresses, flavor, image) are rendered the
//! same way in tables and carried the same way in the machine formats.

pub(crate) mod args;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ferrostack::compute::{
    ComputeClient, Microversion, NetworkAttachment, Networks, RebootKind, Server, ServerFlavor,
    ServerQuery, ServerStatus, Wait,
};
use ferrostack::image::ImageId;
use ferrostack::wait::Backoff;
use ferrostack::{Cloud, Secret};
use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::{Map, Value, json};

use self::args::{ServerCommand, ServerCreate, ServerDelete, ServerList, ServerReboot};
use crate::context::Context;
use crate::output::Cell;
use crate::{print, progress};

/// What osc shows for a server booted from a volume, in place of an image.
const BOOTED_FROM_VOLUME: &str = "N/A (booted from volume)";

/// How long `--wait` waits: osc waits forever; an hour is longer than any real build and
/// still ends a script that would otherwise hang.
const WAIT_LIMIT: Duration = Duration::from_secs(3600);

/// Runs one `server` command.
pub async fn run(ctx: &Context, command: ServerCommand) -> Result<()> {
    match command {
        ServerCommand::Create(args) => create(ctx, *args).await,
        ServerCommand::List(args) => list(ctx, args).await,
        ServerCommand::Show(args) => {
            let cloud = ctx.cloud().await?;
            let compute = cloud.compute();
            let server = find(&compute, &args.server).await?;
            let fields = server_fields(cloud, &compute, &server, None).await?;
            print::one(&args.output, fields)
        }
        ServerCommand::Delete(args) => delete(ctx, args).await,
        ServerCommand::Start(args) => {
            let compute = ctx.cloud().await?.compute();
            for name in &args.servers {
                let server = find(&compute, name).await?;
                compute.start_server(server.id.clone()).await?;
            }
            Ok(())
        }
        ServerCommand::Stop(args) => {
            let compute = ctx.cloud().await?.compute();
            for name in &args.servers {
                let server = find(&compute, name).await?;
                compute.stop_server(server.id.clone()).await?;
            }
            Ok(())
        }
        ServerCommand::Reboot(args) => reboot(ctx, args).await,
    }
}

/// A server by id or name; the error names what was asked for.
pub async fn find(compute: &ComputeClient, name_or_id: &str) -> Result<Server> {
    compute
        .find_server(name_or_id)
        .await
        .map_err(|e| lookup_error("server", name_or_id, e))
}

/// Polls quickly at first (the mock and small clouds build in a second), then every 5 s as
/// osc does.
fn wait_policy() -> Wait {
    Wait::new(WAIT_LIMIT).backoff(Backoff {
        initial: Duration::from_millis(200),
        factor: 2.0,
        max: Duration::from_secs(5),
    })
}

async fn create(ctx: &Context, args: ServerCreate) -> Result<()> {
    let networks = networks(&args)?;
    let user_data = match &args.user_data {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("Can't open '{}'", path.display()))?)
        }
        None => None,
    };
    let cloud = ctx.cloud().await?;
    let compute = cloud.compute();
    let image = cloud
        .image()
        .find(&args.image)
        .await
        .map_err(|e| lookup_error("image", &args.image, e))?;
    let flavor = compute
        .find_flavor(&args.flavor)
        .await
        .map_err(|e| lookup_error("flavor", &args.flavor, e))?;
    let mut request = compute
        .create_server(&args.name, image.id.clone(), flavor.id.clone())
        .networks(networks);
    if let Some(key) = &args.key_name {
        request = request.key_name(key.as_str());
    }
    if let Some(data) = user_data {
        request = request.user_data(data);
    }
    for p in &args.property {
        request = request.metadata(&p.key, &p.value);
    }
    if let Some(zone) = &args.availability_zone {
        request = request.availability_zone(zone);
    }
    if args.use_config_drive {
        request = request.config_drive(true);
    }
    let pending = request
        .send()
        .await
        .with_context(|| format!("Error creating server: {}", args.name))?;
    let server = if args.wait {
        let spinner =
            progress::spinner(ctx, &format!("Waiting for {} to become ACTIVE", args.name));
        let result = compute.wait_active(pending.id(), wait_policy()).await;
        spinner.finish();
        result.with_context(|| format!("Error creating server: {}", args.name))?
    } else {
        pending.show().await?
    };
    let created = pending.created();
    let extra = CreateExtras {
        admin_pass: created.admin_pass.clone(),
        security_groups: created.extra.get("security_groups").cloned(),
    };
    let fields = server_fields(cloud, &compute, &server, Some(extra)).await?;
    print::one(&args.output, fields)
}

/// `--nic` (and `--no-network`, `--auto-network`) as the SDK's networks.
fn networks(args: &ServerCreate) -> Result<Networks> {
    if args.no_network {
        return Ok(Networks::None);
    }
    if args.auto_network || args.nic.is_empty() {
        return Ok(Networks::Auto);
    }
    if args.nic.len() == 1 {
        match args.nic[0].as_str() {
            "none" => return Ok(Networks::None),
            "auto" => return Ok(Networks::Auto),
            _ => {}
        }
    }
    let mut list = Vec::new();
    for nic in &args.nic {
        if nic == "none" || nic == "auto" {
            bail!("--nic {nic}: 'none' and 'auto' cannot be combined with other --nic options");
        }
        let mut net = None;
        let mut port = None;
        let mut ip = None;
        for part in nic.split(',') {
            let (key, value) = part.split_once('=').with_context(|| {
                format!(
                    "--nic {nic}: expected net-id=, port-id=, v4-fixed-ip= or v6-fixed-ip= entries"
                )
            })?;
            match key {
                "net-id" => net = Some(value.to_owned()),
                "port-id" => port = Some(value.to_owned()),
                "v4-fixed-ip" | "v6-fixed-ip" => {
                    ip = Some(value.parse().with_context(|| {
                        format!("--nic {nic}: {key} {value:?} is not an IP address")
                    })?)
                }
                other => bail!(
                    "--nic {nic}: unknown key {other:?} (expected net-id, port-id, v4-fixed-ip or v6-fixed-ip)"
                ),
            }
        }
        list.push(match (net, port) {
            (Some(_), Some(_)) => bail!("--nic {nic}: either net-id or port-id, not both"),
            (Some(id), None) => NetworkAttachment::Network { id, fixed_ip: ip },
            (None, Some(id)) => NetworkAttachment::Port(id),
            (None, None) => bail!("--nic {nic}: net-id or port-id is required"),
        });
    }
    Ok(Networks::List(list))
}

/// osc's words for a name or id that matches nothing ("No image with a name or ID of 'x'
/// exists."); the SDK's own error otherwise (several matches, a failed request), which
/// already says what it was doing.
pub fn lookup_error(what: &str, name: &str, e: ferrostack::Error) -> anyhow::Error {
    let none = e.is_not_found()
        || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "));
    if none {
        anyhow::anyhow!("No {what} with a name or ID of '{name}' exists.")
    } else {
        e.into()
    }
}

async fn list(ctx: &Context, args: ServerList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let compute = cloud.compute();
    let version = compute.microversion().await?;
    let mut query = ServerQuery {
        name: args.name.clone(),
        status: args.status.as_deref().map(ServerStatus::from),
        all_tenants: args.all_projects,
        limit: args.limit,
        ..ServerQuery::default()
    };
    if let Some(flavor) = &args.flavor {
        let found = compute
            .find_flavor(flavor)
            .await
            .map_err(|e| lookup_error("flavor", flavor, e))?;
        query.flavor = Some(found.id);
    }
    if let Some(image) = &args.image {
        let found = cloud
            .image()
            .find(image)
            .await
            .map_err(|e| lookup_error("image", image, e))?;
        query.image = Some(found.id);
    }
    let stream = compute.list_servers(query);
    // osc's --limit is the most servers to show (one page), not only a page size.
    let servers: Vec<Server> = match args.limit {
        Some(n) => stream.take(n as usize).try_collect().await?,
        None => stream.try_collect().await?,
    };

    let images = if args.no_name_lookup {
        HashMap::new()
    } else {
        image_names(cloud, &servers).await
    };
    let embedded = version >= Microversion::EMBEDDED_FLAVOR;
    let flavors = if embedded || args.no_name_lookup {
        HashMap::new()
    } else {
        compute
            .list_flavors()
            .await
            .map(|all| {
                all.into_iter()
                    .map(|f| (f.id.to_string(), f.name))
                    .collect()
            })
            // Names are a nicety: osc shows the ids' column empty rather than fail.
            .unwrap_or_default()
    };

    let mut columns = vec!["ID", "Name", "Status"];
    if args.long {
        columns.extend(["Task State", "Power State"]);
    }
    columns.push("Networks");
    if args.long {
        columns.extend(["Image Name", "Image ID"]);
    } else {
        columns.push("Image");
    }
    if embedded {
        columns.push("Flavor");
    } else if args.long {
        columns.extend(["Flavor Name", "Flavor ID"]);
    } else {
        columns.push("Flavor");
    }
    if args.long {
        columns.extend(["Availability Zone", "Host", "Properties"]);
        if version >= Microversion(2, 96) {
            columns.push("Pinned Availability Zone");
        }
    }
    if args.all_projects {
        columns.push("Project ID");
    }
    let host_status = args.long
        && version >= Microversion(2, 16)
        && servers
            .iter()
            .any(|s| s.extra.get("host_status").is_some_and(|v| !v.is_null()));
    if host_status {
        columns.push("Host Status");
    }

    let rows = servers
        .iter()
        .map(|s| {
            let wire = wire(s);
            let get = |key: &str| Cell::json(wire.get(key).cloned().unwrap_or(Value::Null));
            let (image_name, image_id) = match &s.image {
                Some(image) => (
                    images
                        .get(&image.id.to_string())
                        .cloned()
                        .unwrap_or_default(),
                    image.id.to_string(),
                ),
                None => (BOOTED_FROM_VOLUME.to_owned(), BOOTED_FROM_VOLUME.to_owned()),
            };
            let flavor_id = s
                .flavor
                .as_ref()
                .and_then(|f| f.id())
                .map(|id| id.to_string());
            let flavor_name = match &s.flavor {
                Some(ServerFlavor::Embedded(e)) => e.original_name.clone(),
                Some(ServerFlavor::Link { id, .. }) => {
                    flavors.get(&id.to_string()).cloned().unwrap_or_default()
                }
                None => String::new(),
            };
            let mut row = vec![
                Cell::str(s.id.to_string()),
                Cell::str(&s.name),
                Cell::str(s.status.as_str()),
            ];
            if args.long {
                row.push(Cell::opt(s.task_state.clone()));
                row.push(power_state(wire.get("OS-EXT-STS:power_state")));
            }
            row.push(addresses(wire.get("addresses")));
            if args.long {
                row.push(Cell::str(image_name));
                row.push(Cell::str(image_id));
            } else if args.no_name_lookup {
                row.push(Cell::str(image_id));
            } else {
                row.push(Cell::str(image_name));
            }
            if embedded {
                row.push(Cell::str(flavor_name));
            } else if args.long {
                row.push(Cell::str(flavor_name));
                row.push(Cell::opt(flavor_id));
            } else if args.no_name_lookup {
                row.push(Cell::opt(flavor_id));
            } else {
                row.push(Cell::str(flavor_name));
            }
            if args.long {
                row.push(get("OS-EXT-AZ:availability_zone"));
                let host = wire.get("OS-EXT-SRV-ATTR:hypervisor_hostname").cloned();
                row.push(Cell::Formatted {
                    human: host
                        .as_ref()
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    machine: host.unwrap_or(Value::Null),
                });
                row.push(metadata(s));
                if version >= Microversion(2, 96) {
                    row.push(get("pinned_availability_zone"));
                }
            }
            if args.all_projects {
                row.push(Cell::opt(s.tenant_id.clone()));
            }
            if host_status {
                row.push(get("host_status"));
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

/// The names of the servers' images, by id; an image that cannot be read has no name
/// (osc leaves the column empty rather than fail the listing).
async fn image_names(cloud: &Cloud, servers: &[Server]) -> HashMap<String, String> {
    let mut ids: Vec<ImageId> = servers
        .iter()
        .filter_map(|s| s.image.as_ref().map(|i| i.id.clone()))
        .collect();
    ids.sort_by_key(|id| id.to_string());
    ids.dedup();
    let images = cloud.image();
    let mut names = HashMap::new();
    for id in ids {
        if let Ok(image) = images.get(id.clone()).await {
            names.insert(id.to_string(), image.name.unwrap_or_default());
        }
    }
    names
}

async fn delete(ctx: &Context, args: ServerDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut deleted = Vec::new();
    for name in &args.servers {
        let result = async {
            let server = find(&compute, name).await?;
            compute.delete_server(server.id.clone()).await?;
            anyhow::Ok(server)
        }
        .await;
        match result {
            Ok(server) => deleted.push(server),
            Err(e) => eprintln!("Failed to delete server with name or ID '{name}': {e:#}"),
        }
    }
    if args.wait {
        for server in &deleted {
            let spinner = progress::spinner(ctx, &format!("Waiting for {} to go", server.label()));
            let result = compute.wait_deleted(&server.id, wait_policy()).await;
            spinner.finish();
            result.with_context(|| format!("Error deleting server: {}", server.id))?;
        }
    }
    let failed = args.servers.len() - deleted.len();
    if failed > 0 {
        bail!(
            "{failed} of {} servers failed to delete.",
            args.servers.len()
        );
    }
    Ok(())
}

async fn reboot(ctx: &Context, args: ServerReboot) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let server = find(&compute, &args.server).await?;
    let kind = if args.hard {
        RebootKind::Hard
    } else {
        RebootKind::Soft
    };
    compute.reboot_server(server.id.clone(), kind).await?;
    if args.wait {
        let spinner = progress::spinner(ctx, &format!("Waiting for {} to reboot", server.label()));
        let result = compute.wait_active(&server.id, wait_policy()).await;
        spinner.finish();
        result.with_context(|| format!("Error rebooting server: {}", server.id))?;
        print::write_stdout("Complete\n")?;
    }
    Ok(())
}

/// What only the answer to `POST /servers` carries.
struct CreateExtras {
    admin_pass: Option<Secret>,
    security_groups: Option<Value>,
}

/// A server as Nova sent it: the SDK's model serializes back under Nova's names, with
/// every field it does not type kept as sent.
fn wire(server: &Server) -> Map<String, Value> {
    match serde_json::to_value(server) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The attributes of openstacksdk's `Server` shown by `server show`, as (osc's name, Nova's
/// name). Absent ones are shown as None, as the SDK's resource does.
const PLAIN_FIELDS: &[(&str, &str)] = &[
    ("OS-DCF:diskConfig", "OS-DCF:diskConfig"),
    ("OS-EXT-AZ:availability_zone", "OS-EXT-AZ:availability_zone"),
    ("OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:host"),
    ("OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:hostname"),
    (
        "OS-EXT-SRV-ATTR:hypervisor_hostname",
        "OS-EXT-SRV-ATTR:hypervisor_hostname",
    ),
    (
        "OS-EXT-SRV-ATTR:instance_name",
        "OS-EXT-SRV-ATTR:instance_name",
    ),
    ("OS-EXT-SRV-ATTR:kernel_id", "OS-EXT-SRV-ATTR:kernel_id"),
    (
        "OS-EXT-SRV-ATTR:launch_index",
        "OS-EXT-SRV-ATTR:launch_index",
    ),
    ("OS-EXT-SRV-ATTR:ramdisk_id", "OS-EXT-SRV-ATTR:ramdisk_id"),
    (
        "OS-EXT-SRV-ATTR:reservation_id",
        "OS-EXT-SRV-ATTR:reservation_id",
    ),
    (
        "OS-EXT-SRV-ATTR:root_device_name",
        "OS-EXT-SRV-ATTR:root_device_name",
    ),
    ("OS-EXT-SRV-ATTR:user_data", "OS-EXT-SRV-ATTR:user_data"),
    ("OS-EXT-STS:task_state", "OS-EXT-STS:task_state"),
    ("OS-EXT-STS:vm_state", "OS-EXT-STS:vm_state"),
    ("OS-SRV-USG:launched_at", "OS-SRV-USG:launched_at"),
    ("OS-SRV-USG:terminated_at", "OS-SRV-USG:terminated_at"),
    ("accessIPv4", "accessIPv4"),
    ("accessIPv6", "accessIPv6"),
    ("config_drive", "config_drive"),
    ("created", "created"),
    ("description", "description"),
    ("hostId", "hostId"),
    ("host_status", "host_status"),
    ("id", "id"),
    ("key_name", "key_name"),
    ("locked", "locked"),
    ("locked_reason", "locked_reason"),
    ("name", "name"),
    ("progress", "progress"),
    ("project_id", "tenant_id"),
    ("server_groups", "server_groups"),
    ("status", "status"),
    ("trusted_image_certificates", "trusted_image_certificates"),
    ("updated", "updated"),
    ("user_id", "user_id"),
];

/// `server show` (and `server create`): osc's fields, sorted by name.
async fn server_fields(
    cloud: &Cloud,
    compute: &ComputeClient,
    server: &Server,
    created: Option<CreateExtras>,
) -> Result<Vec<(&'static str, Cell)>> {
    let wire = wire(server);
    let version = compute.microversion().await?;
    let mut fields: BTreeMap<&'static str, Cell> = BTreeMap::new();
    for (shown, key) in PLAIN_FIELDS {
        fields.insert(
            shown,
            Cell::json(wire.get(*key).cloned().unwrap_or(Value::Null)),
        );
    }
    if version >= Microversion(2, 96) {
        fields.insert(
            "pinned_availability_zone",
            Cell::json(
                wire.get("pinned_availability_zone")
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        );
    }
    fields.insert(
        "OS-EXT-STS:power_state",
        power_state(wire.get("OS-EXT-STS:power_state")),
    );
    fields.insert("addresses", addresses(wire.get("addresses")));
    fields.insert("image", Cell::str(image_label(cloud, server).await));
    fields.insert("flavor", flavor_cell(compute, server).await);
    fields.insert("properties", metadata(server));
    let tags = wire
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    fields.insert("tags", Cell::List(tags));
    let volumes = wire
        .get("os-extended-volumes:volumes_attached")
        .cloned()
        .unwrap_or_else(|| json!([]));
    fields.insert("volumes_attached", list_of_dicts(&volumes));
    if let Some(fault) = wire.get("fault").filter(|f| !f.is_null()) {
        fields.insert("fault", Cell::json(fault.clone()));
    }
    let created = created.unwrap_or(CreateExtras {
        admin_pass: None,
        security_groups: None,
    });
    // Only in the create answer, when the cloud sets a password: shown once, as osc does.
    if let Some(pass) = &created.admin_pass {
        fields.insert("adminPass", Cell::str(pass.expose()));
    }
    if let Some(groups) = created
        .security_groups
        .as_ref()
        .or(wire.get("security_groups"))
        .filter(|g| !g.is_null())
    {
        fields.insert("security_groups", list_of_dicts(groups));
    }
    Ok(fields.into_iter().collect())
}

/// osc's `PowerStateColumn`: the name in tables, Nova's integer elsewhere.
fn power_state(value: Option<&Value>) -> Cell {
    const NAMES: [&str; 8] = [
        "NOSTATE",
        "Running",
        "",
        "Paused",
        "Shutdown",
        "",
        "Crashed",
        "Suspended",
    ];
    let machine = value.cloned().unwrap_or(Value::Null);
    let human = machine
        .as_u64()
        .and_then(|code| NAMES.get(code as usize))
        .copied()
        .unwrap_or("N/A")
        .to_owned();
    Cell::Formatted { human, machine }
}

/// osc's `AddressesColumn`: `net=10.0.0.3, fd00::3; other=...` in tables, `{net: [addr]}`
/// elsewhere.
fn addresses(value: Option<&Value>) -> Cell {
    let mut machine = Map::new();
    let mut human = Vec::new();
    if let Some(Value::Object(networks)) = value {
        for (network, list) in networks {
            let addrs: Vec<String> = list
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|a| a.get("addr").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            human.push(format!("{network}={}", addrs.join(", ")));
            machine.insert(network.clone(), json!(addrs));
        }
    }
    Cell::Formatted {
        human: human.join("; "),
        machine: Value::Object(machine),
    }
}

/// Metadata as osc's `properties` (a `DictColumn`).
fn metadata(server: &Server) -> Cell {
    Cell::Dict(
        server
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// osc's `ListDictColumn`: one `k='v'` line per item in tables, the list elsewhere.
fn list_of_dicts(value: &Value) -> Cell {
    let items = value.as_array().cloned().unwrap_or_default();
    let human = items
        .iter()
        .map(|item| {
            let pairs: Vec<(String, Value)> = item
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            Cell::Dict(pairs).human()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Cell::Formatted {
        human,
        machine: Value::Array(items),
    }
}

/// `name (id)` of the server's image, its id alone when Glance cannot say, or osc's
/// words for a server booted from a volume.
async fn image_label(cloud: &Cloud, server: &Server) -> String {
    match &server.image {
        Some(image) => match cloud.image().get(image.id.clone()).await {
            Ok(found) => format!("{} ({})", found.name.unwrap_or_default(), image.id),
            Err(_) => image.id.to_string(),
        },
        None => BOOTED_FROM_VOLUME.to_owned(),
    }
}

/// The flavor as osc shows it: from 2.47 the embedded copy as openstacksdk's `Flavor`
/// resource (its attributes in its order, the name standing in for the id it lacks);
/// before, `name (id)` from a lookup.
async fn flavor_cell(compute: &ComputeClient, server: &Server) -> Cell {
    match &server.flavor {
        Some(ServerFlavor::Embedded(e)) => {
            let specs: Map<String, Value> = e
                .extra_specs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let pairs: Vec<(String, Value)> = vec![
                ("name".into(), json!(e.original_name)),
                ("original_name".into(), json!(e.original_name)),
                ("description".into(), Value::Null),
                ("disk".into(), json!(e.disk)),
                ("is_public".into(), json!(true)),
                ("ram".into(), json!(e.ram)),
                ("vcpus".into(), json!(e.vcpus)),
                ("swap".into(), json!(e.swap)),
                ("ephemeral".into(), json!(e.ephemeral)),
                ("is_disabled".into(), Value::Null),
                ("rxtx_factor".into(), Value::Null),
                ("extra_specs".into(), Value::Object(specs)),
                ("id".into(), json!(e.original_name)),
                ("location".into(), Value::Null),
            ];
            // A Dict keeps openstacksdk's order for `-f value`, where scripts see it.
            Cell::Dict(pairs)
        }
        Some(ServerFlavor::Link { id, .. }) => match compute.show_flavor(id.clone()).await {
            Ok(flavor) => Cell::str(format!("{} ({id})", flavor.name)),
            Err(_) => Cell::str(id.to_string()),
        },
        None => Cell::str(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_states_and_addresses_read_as_osc_shows_them() {
        let cell = power_state(Some(&json!(4)));
        assert_eq!(cell.human(), "Shutdown");
        assert_eq!(cell.machine(), json!(4));
        assert_eq!(power_state(None).human(), "N/A");
        let cell = addresses(Some(&json!({
            "private": [{"addr": "10.0.0.3", "version": 4}, {"addr": "fd00::3", "version": 6}],
            "public": [{"addr": "172.24.4.9", "version": 4}],
        })));
        assert_eq!(cell.human(), "private=10.0.0.3, fd00::3; public=172.24.4.9");
        assert_eq!(
            cell.machine(),
            json!({"private": ["10.0.0.3", "fd00::3"], "public": ["172.24.4.9"]})
        );
    }

    fn create_args(line: &str) -> ServerCreate {
        use clap::Parser as _;
        let cli = crate::args::Cli::try_parse_from(
            [
                "fstack", "server", "create", "--image", "i", "--flavor", "f", "vm",
            ]
            .into_iter()
            .chain(line.split_whitespace()),
        )
        .unwrap();
        match cli.command {
            crate::args::Command::Server {
                command: ServerCommand::Create(args),
            } => *args,
            _ => unreachable!(),
        }
    }

    #[test]
    fn nics_become_networks() {
        assert_eq!(networks(&create_args("")).unwrap(), Networks::Auto);
        assert_eq!(
            networks(&create_args("--nic none")).unwrap(),
            Networks::None
        );
        assert_eq!(
            networks(&create_args("--no-network")).unwrap(),
            Networks::None
        );
        assert_eq!(
            networks(&create_args(
                "--nic net-id=n1,v4-fixed-ip=10.0.0.5 --nic port-id=p1"
            ))
            .unwrap(),
            Networks::List(vec![
                NetworkAttachment::fixed_ip("n1", "10.0.0.5".parse().unwrap()),
                NetworkAttachment::port("p1"),
            ])
        );
        for (bad, said) in [
            ("--nic none --nic auto", "cannot be combined"),
            ("--nic net-id=n,port-id=p", "not both"),
            ("--nic v4-fixed-ip=1.2.3.4", "net-id or port-id is required"),
            ("--nic net-id=n,v4-fixed-ip=nope", "is not an IP address"),
            ("--nic foo=bar", "unknown key \"foo\""),
            ("--nic garbage", "expected net-id="),
        ] {
            let err = networks(&create_args(bad)).unwrap_err().to_string();
            assert!(err.contains(said), "{bad}: {err}");
        }
    }
}
