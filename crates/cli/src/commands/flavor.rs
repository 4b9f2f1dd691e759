//! `fstack flavor list|show`.

pub(crate) mod args;

use anyhow::{Context as _, Result};
use ferrostack::compute::Flavor;
use serde_json::Value;

use self::args::{FlavorCommand, FlavorList, FlavorShow};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `flavor` command.
pub async fn run(ctx: &Context, command: FlavorCommand) -> Result<()> {
    match command {
        FlavorCommand::List(args) => list(ctx, args).await,
        FlavorCommand::Show(args) => show(ctx, args).await,
    }
}

async fn list(ctx: &Context, args: FlavorList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let flavors = compute
        .flavors()
        .list()
        .collect_all()
        .await
        .context("cannot list flavors")?;
    // Nova lists public flavors (and, for admins, their projects' own) by default; osc's
    // --private and --all ask for the others, which the SDK's listing does not filter.
    let flavors: Vec<Flavor> = flavors
        .into_iter()
        .filter(|f| args.all || f.is_public != args.private)
        .filter(|f| args.min_disk.is_none_or(|min| f.disk >= min))
        .filter(|f| args.min_ram.is_none_or(|min| f.ram >= min))
        .collect();
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
    let flavor = compute
        .flavors()
        .find(&args.flavor)
        .await
        .map_err(|e| super::server::lookup_error("flavor", &args.flavor, e))?;
    print::one(&args.output, flavor_fields(&flavor))
}

/// osc's fields for a flavor: openstacksdk's attributes under their Nova names, sorted.
pub fn flavor_fields(f: &Flavor) -> Vec<(&'static str, Cell)> {
    vec![
        ("OS-FLV-DISABLED:disabled", Cell::json(f.disabled)),
        ("OS-FLV-EXT-DATA:ephemeral", Cell::json(f.ephemeral)),
        // Who may use a private flavor needs another call (os-flavor-access); public
        // flavors have no list, which osc shows as None.
        ("access_project_ids", Cell::json(Value::Null)),
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
