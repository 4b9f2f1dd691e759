//! `fstack flavor create|delete|list|set|show|unset`.

pub(crate) mod args;
mod write;

use anyhow::{Context as _, Result};
use ferrostack::compute::{ComputeClient, Flavor};
use serde_json::Value;

use self::args::{FlavorCommand, FlavorList, FlavorShow};
use crate::context::Context;
use crate::output::{Cell, python_repr};
use crate::print;

/// Runs one `flavor` command.
pub async fn run(ctx: &Context, command: FlavorCommand) -> Result<()> {
    match command {
        FlavorCommand::Create(args) => write::create(ctx, args).await,
        FlavorCommand::Delete(args) => write::delete(ctx, args).await,
        FlavorCommand::List(args) => list(ctx, args).await,
        FlavorCommand::Set(args) => write::set(ctx, args).await,
        FlavorCommand::Show(args) => show(ctx, args).await,
        FlavorCommand::Unset(args) => write::unset(ctx, args).await,
    }
}

/// A flavor by id or name, as openstacksdk's `find_flavor` finds one (and says when none).
pub(crate) async fn find(compute: &ComputeClient, name_or_id: &str) -> Result<Flavor> {
    compute.flavors().find(name_or_id).await.map_err(|e| {
        let none = e.is_not_found()
            || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "));
        if none {
            anyhow::anyhow!("No Flavor found for {name_or_id}")
        } else {
            e.into()
        }
    })
}

async fn list(ctx: &Context, args: FlavorList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    // is_public is three-valued: Nova's default (public ones, plus those given to the
    // caller's project), only private ones, or all (`None`).
    let mut listing = compute.flavors().list();
    if args.all {
        listing = listing.all();
    } else if args.private {
        listing = listing.is_public(false);
    } else {
        listing = listing.is_public(true);
    }
    if let Some(min) = args.min_disk.filter(|m| *m > 0) {
        listing = listing.min_disk(min);
    }
    if let Some(min) = args.min_ram.filter(|m| *m > 0) {
        listing = listing.min_ram(min);
    }
    let flavors = listing.collect_all().await.context("cannot list flavors")?;
    let mut columns = vec![
        "ID",
        "Name",
        "RAM",
        "Disk",
        "Ephemeral",
        "VCPUs",
        "Is Public",
    ];
    if args.long {
        columns.extend(["Swap", "RXTX Factor", "Properties"]);
    }
    let rows = flavors
        .iter()
        .map(|f| {
            let mut row = vec![
                Cell::str(f.id.to_string()),
                Cell::str(&f.name),
                Cell::json(f.ram),
                Cell::json(f.disk),
                Cell::json(f.ephemeral),
                Cell::json(f.vcpus),
                Cell::json(f.is_public),
            ];
            if args.long {
                row.extend([
                    Cell::json(f.swap),
                    Cell::json(f.rxtx_factor),
                    extra_specs(f),
                ]);
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn show(ctx: &Context, args: FlavorShow) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let flavor = find(&compute, &args.flavor).await?;
    // Who may use a private flavor is another call; public flavors have no list (None).
    let mut access = None;
    if !flavor.is_public {
        match compute.flavors().access(flavor.id.clone()).await {
            Ok(list) => access = Some(list.into_iter().map(|a| a.tenant_id).collect()),
            Err(e) => {
                let path = format!("/flavors/{}/os-flavor-access", flavor.id);
                let e = super::neutron::request_error(
                    compute.session(),
                    &ferrostack::request::ServiceType::Compute,
                    &path,
                    e,
                )
                .await;
                eprintln!(
                    "Failed to get access projects list for flavor '{}': {e:#}",
                    args.flavor
                );
            }
        }
    }
    let mut fields = flavor_fields(&flavor);
    fields.insert(2, ("access_project_ids", access_cell(access)));
    print::one(&args.output, fields)
}

/// osc's `access_project_ids`: a plain Python list (no formatter), so tables and `value`
/// show its `repr`; None for a public flavor.
fn access_cell(projects: Option<Vec<String>>) -> Cell {
    let Some(projects) = projects else {
        return Cell::json(Value::Null);
    };
    let machine = Value::from(projects);
    let repr = python_repr(&machine);
    Cell::Ordered {
        human: repr.clone(),
        machine,
        repr,
    }
}

/// osc's fields for a flavor: openstacksdk's attributes under their Nova names, sorted
/// (`flavor show` adds `access_project_ids` third).
pub fn flavor_fields(f: &Flavor) -> Vec<(&'static str, Cell)> {
    vec![
        ("OS-FLV-DISABLED:disabled", Cell::json(f.disabled)),
        ("OS-FLV-EXT-DATA:ephemeral", Cell::json(f.ephemeral)),
        ("description", Cell::opt(f.description.clone())),
        ("disk", Cell::json(f.disk)),
        ("id", Cell::str(f.id.to_string())),
        ("name", Cell::str(&f.name)),
        ("os-flavor-access:is_public", Cell::json(f.is_public)),
        ("properties", extra_specs(f)),
        ("ram", Cell::json(f.ram)),
        ("rxtx_factor", Cell::json(f.rxtx_factor)),
        ("swap", Cell::json(f.swap)),
        ("vcpus", Cell::json(f.vcpus)),
    ]
}

/// Extra specs as osc's `properties` (a `DictColumn`).
fn extra_specs(f: &Flavor) -> Cell {
    Cell::Dict(
        f.extra_specs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
