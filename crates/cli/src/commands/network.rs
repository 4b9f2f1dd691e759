//! `fstack network list/show/create/delete/set`, and what the other Neutron command groups
//! (subnet, port, router) share: lookups and errors worded as osc words them, the
//! delete-several loop, tags set after a create.

pub(crate) mod args;
pub(crate) mod display;

use anyhow::{Context as _, Result};
use ferrostack::network::{Network, NetworkClient};
use ferrostack::request::ServiceType;

use super::neutron::request_error;

use self::args::{
    NetworkCommand, NetworkCreate, NetworkDelete, NetworkList, NetworkSet, NetworkShow,
    TagsForCreate, TagsForSet, either,
};
use self::display::{Field, Fmt};
use crate::args::ShowOutput;
use crate::context::Context;
use crate::print;

/// Runs one `network` command.
pub async fn run(ctx: &Context, command: NetworkCommand) -> Result<()> {
    match command {
        NetworkCommand::List(args) => list(ctx, args).await,
        NetworkCommand::Show(args) => show(ctx, args).await,
        NetworkCommand::Create(args) => create(ctx, args).await,
        NetworkCommand::Delete(args) => delete(ctx, args).await,
        NetworkCommand::Set(args) => set(ctx, args).await,
    }
}

/// The attributes openstacksdk's `Network` has, as osc's show names them, sorted; the
/// ones it hides (`tenant_id`, `location`) left out. Wire fields it does not know are added.
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
    ("dns_domain", Some("dns_domain"), Fmt::Plain),
    ("id", Some("id"), Fmt::Plain),
    ("ipv4_address_scope", Some("ipv4_address_scope"), Fmt::Plain),
    ("ipv6_address_scope", Some("ipv6_address_scope"), Fmt::Plain),
    ("is_default", Some("is_default"), Fmt::Plain),
    ("is_vlan_qinq", Some("vlan_qinq"), Fmt::Plain),
    ("is_vlan_transparent", Some("vlan_transparent"), Fmt::Plain),
    ("mtu", Some("mtu"), Fmt::Plain),
    ("name", Some("name"), Fmt::Plain),
    (
        "port_security_enabled",
        Some("port_security_enabled"),
        Fmt::Plain,
    ),
    ("project_id", Some("project_id"), Fmt::Plain),
    (
        "provider:network_type",
        Some("provider:network_type"),
        Fmt::Plain,
    ),
    (
        "provider:physical_network",
        Some("provider:physical_network"),
        Fmt::Plain,
    ),
    (
        "provider:segmentation_id",
        Some("provider:segmentation_id"),
        Fmt::Plain,
    ),
    ("pvlan", Some("pvlan"), Fmt::Plain),
    ("qos_policy_id", Some("qos_policy_id"), Fmt::Plain),
    ("revision_number", Some("revision_number"), Fmt::Plain),
    (
        "router:external",
        Some("router:external"),
        Fmt::RouterExternal,
    ),
    ("segments", Some("segments"), Fmt::Plain),
    ("shared", Some("shared"), Fmt::Plain),
    ("status", Some("status"), Fmt::Plain),
    ("subnets", Some("subnets"), Fmt::List),
    ("tags", Some("tags"), Fmt::List),
    ("updated_at", Some("updated_at"), Fmt::Plain),
];

/// Wire keys the SDK consumes or osc hides, beyond those in [`FIELDS`].
const HIDDEN: &[&str] = &["tenant_id", "location"];

async fn list(ctx: &Context, args: NetworkList) -> Result<()> {
    let network = ctx.cloud().await?.network();
    // Every filter runs on Neutron, as osc sends them; the rows keep Neutron's order.
    let mut query = network.networks().list();
    if let Some(external) = either(args.external, args.internal) {
        query = query.external(external);
    }
    if let Some(shared) = either(args.share, args.no_share) {
        query = query.shared(shared);
    }
    if let Some(up) = either(args.enable, args.disable) {
        query = query.admin_state_up(up);
    }
    if let Some(status) = &args.status {
        query = query.status(status.as_str().into());
    }
    if let Some(name) = args.name {
        query = query.name(name);
    }
    let networks = query.collect_all().await.context("cannot list networks")?;
    let columns: &[(&str, &str, Fmt)] = if args.long {
        &[
            ("ID", "id", Fmt::Plain),
            ("Name", "name", Fmt::Plain),
            ("Status", "status", Fmt::Plain),
            ("Project", "project_id", Fmt::Plain),
            ("State", "admin_state_up", Fmt::AdminState),
            ("Shared", "shared", Fmt::Plain),
            ("Subnets", "subnets", Fmt::List),
            ("Network Type", "provider:network_type", Fmt::Plain),
            ("Router Type", "router:external", Fmt::RouterExternal),
            ("Availability Zones", "availability_zones", Fmt::List),
            ("Tags", "tags", Fmt::List),
        ]
    } else {
        &[
            ("ID", "id", Fmt::Plain),
            ("Name", "name", Fmt::Plain),
            ("Subnets", "subnets", Fmt::List),
        ]
    };
    print_list(&args.output, columns, &networks)
}

/// Prints resources as a list: `(header, wire key, formatter)` per column.
pub(crate) fn print_list<T: serde::Serialize>(
    output: &crate::args::ListOutput,
    columns: &[(&str, &str, Fmt)],
    items: &[T],
) -> Result<()> {
    let headers: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let keys: Vec<(&str, Fmt)> = columns.iter().map(|c| (c.1, c.2)).collect();
    let rows = items
        .iter()
        .map(|item| display::row(&display::wire(item), &keys))
        .collect();
    print::list(output, &headers, rows)
}

/// Prints one resource as osc's show does: `fields` in order, then the wire fields openstacksdk
/// does not know, all sorted by name.
pub(crate) fn print_one<T: serde::Serialize>(
    output: &ShowOutput,
    item: &T,
    fields: &[Field],
    hidden: &[&str],
) -> Result<()> {
    let shown = one_fields(item, fields, hidden);
    print::one(
        output,
        shown.iter().map(|(n, c)| (n.as_str(), c.clone())).collect(),
    )
}

/// The fields [`print_one`] prints.
pub(crate) fn one_fields<T: serde::Serialize>(
    item: &T,
    fields: &[Field],
    hidden: &[&str],
) -> Vec<(String, crate::output::Cell)> {
    let doc = display::wire(item);
    let mut shown: Vec<(String, crate::output::Cell)> = display::show(&doc, fields)
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c))
        .collect();
    if let Some(map) = doc.as_object() {
        for (key, value) in map {
            let known = fields
                .iter()
                .any(|f| f.1 == Some(key.as_str()) || f.0 == key);
            if !known && !hidden.contains(&key.as_str()) {
                shown.push((key.clone(), display::cell(value, Fmt::Plain)));
            }
        }
    }
    shown.sort_by(|a, b| a.0.cmp(&b.0));
    shown
}

async fn show(ctx: &Context, args: NetworkShow) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_network(&network, &args.network).await?;
    print_one(&args.output, &found, FIELDS, HIDDEN)
}

async fn create(ctx: &Context, args: NetworkCreate) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let network = cloud.network();
    let f = &args.flags;
    // osc always sends admin_state_up (its --enable defaults to true).
    let mut create = network
        .networks()
        .create(&args.name)
        .admin_state_up(!f.disable);
    if let Some(shared) = either(f.share, f.no_share) {
        create = create.shared(shared);
    }
    if let Some(external) = either(f.external, f.internal) {
        create = create.external(external);
    }
    if let Some(secure) = either(f.enable_port_security, f.disable_port_security) {
        create = create.port_security_enabled(secure);
    }
    if let Some(d) = &f.description {
        create = create.description(d.clone());
    }
    if let Some(mtu) = f.mtu {
        create = create.mtu(mtu);
    }
    if let Some(project) = &args.project {
        let id = crate::commands::image::project::id(cloud, project, None).await?;
        create = create.project_id(id);
    }
    let path = create.request()?.path;
    let mut made = sent(&network, &path, create.send().await).await?;
    if let Some(tags) = tags_after_create(&made.tags, &args.tags) {
        network
            .networks()
            .set_tags(made.id.clone(), tags.clone())
            .await?;
        made.tags = tags;
    }
    print_one(&args.output, &made, FIELDS, HIDDEN)
}

async fn set(ctx: &Context, args: NetworkSet) -> Result<()> {
    let network = ctx.cloud().await?.network();
    let found = find_network(&network, &args.network).await?;
    let f = &args.flags;
    let mut update = network.networks().update(found.id.clone());
    if let Some(name) = &args.name {
        update = update.name(name.clone());
    }
    if let Some(up) = either(f.enable, f.disable) {
        update = update.admin_state_up(up);
    }
    if let Some(shared) = either(f.share, f.no_share) {
        update = update.shared(shared);
    }
    if let Some(external) = either(f.external, f.internal) {
        update = update.external(external);
    }
    if let Some(secure) = either(f.enable_port_security, f.disable_port_security) {
        update = update.port_security_enabled(secure);
    }
    if let Some(d) = &f.description {
        update = update.description(d.clone());
    }
    if let Some(mtu) = f.mtu {
        update = update.mtu(mtu);
    }
    let path = update.request()?.path;
    sent(&network, &path, update.send().await).await?;
    if let Some(tags) = tags_after_set(&found.tags, &args.tags) {
        network.networks().set_tags(found.id.clone(), tags).await?;
    }
    Ok(())
}

async fn delete(ctx: &Context, args: NetworkDelete) -> Result<()> {
    delete_networks(&ctx.cloud().await?.network(), &args.networks).await
}

pub(crate) use super::neutron::lookup_error;

/// `$find(network, name_or_id)`: one resource by name or id, a miss worded as openstacksdk's
/// `find_<x>` words it; and `$delete(network, names)`: osc's delete-several loop for it.
macro_rules! find_and_delete {
    ($find:ident, $delete:ident, $Model:ty, $handle:ident, $class:literal, $what:literal, $path:literal) => {
        /// One by name or id, the error as openstacksdk words it.
        pub(crate) async fn $find(
            network: &ferrostack::network::NetworkClient,
            name_or_id: &str,
        ) -> anyhow::Result<$Model> {
            network
                .$handle()
                .find(name_or_id)
                .await
                .map_err(|e| $crate::commands::network::lookup_error($class, name_or_id, e))
        }

        /// Deletes each, as osc's delete command does.
        async fn $delete(
            network: &ferrostack::network::NetworkClient,
            names: &[String],
        ) -> anyhow::Result<()> {
            $crate::commands::neutron::delete_each(
                names,
                $what,
                concat!($what, "s"),
                async |name| {
                    let found = $find(network, name).await?;
                    let path = format!(concat!($path, "/{}"), found.id);
                    let result = network.$handle().delete(found.id).await;
                    $crate::commands::network::sent(network, &path, result).await
                },
            )
            .await
        }
    };
}

pub(crate) use find_and_delete;

find_and_delete!(
    find_network,
    delete_networks,
    Network,
    networks,
    "Network",
    "network",
    "/networks"
);

/// The result of a Neutron request, an error as openstacksdk prints it: `ConflictException:
/// 409: Client Error for url: <url>, <Neutron's message>`. `path` is the request's, under
/// the network endpoint.
pub(crate) async fn sent<T>(
    network: &NetworkClient,
    path: &str,
    result: ferrostack::Result<T>,
) -> Result<T> {
    match result {
        Ok(value) => Ok(value),
        Err(e) => Err(request_error(network.session(), &ServiceType::Network, path, e).await),
    }
}

/// The tags to set after a create (`--tag`, `--no-tag`), if they differ from what it has.
pub(crate) fn tags_after_create(current: &[String], flags: &TagsForCreate) -> Option<Vec<String>> {
    tags_after_set(
        current,
        &TagsForSet {
            tags: flags.tags.clone(),
            no_tag: flags.no_tag,
        },
    )
}

/// osc's `update_tags_for_set`: `--no-tag` clears, `--tag` adds; `None` when nothing changes.
pub(crate) fn tags_after_set(current: &[String], flags: &TagsForSet) -> Option<Vec<String>> {
    let mut tags: Vec<String> = if flags.no_tag {
        Vec::new()
    } else {
        current.to_vec()
    };
    for tag in &flags.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    let same = {
        let (mut a, mut b) = (tags.clone(), current.to_vec());
        a.sort();
        b.sort();
        a == b
    };
    (!same || (flags.no_tag && !current.is_empty())).then_some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tags: &[&str], no_tag: bool) -> TagsForSet {
        TagsForSet {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            no_tag,
        }
    }

    #[test]
    fn tags_change_as_osc_changes_them() {
        let current = vec!["a".to_owned()];
        // --tag adds; an existing tag changes nothing.
        assert_eq!(
            tags_after_set(&current, &set(&["b"], false)),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(tags_after_set(&current, &set(&["a"], false)), None);
        // --no-tag clears, --no-tag --tag replaces.
        assert_eq!(tags_after_set(&current, &set(&[], true)), Some(vec![]));
        assert_eq!(
            tags_after_set(&current, &set(&["c"], true)),
            Some(vec!["c".into()])
        );
        assert_eq!(tags_after_set(&[], &set(&[], true)), None);
        assert_eq!(tags_after_set(&[], &set(&[], false)), None);
    }

    #[test]
    fn lookups_are_worded_as_openstacksdk_words_them() {
        let none = ferrostack::Error::new(
            ferrostack::ErrorKind::Lookup,
            "no network with id or name \"x\"",
        );
        assert_eq!(
            lookup_error("Network", "x", none).to_string(),
            "No Network found for x"
        );
        let two =
            ferrostack::Error::new(ferrostack::ErrorKind::Lookup, "2 networks are named \"x\"");
        assert_eq!(
            lookup_error("Network", "x", two).to_string(),
            "More than one Network exists with the name 'x'."
        );
    }
}
