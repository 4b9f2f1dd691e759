//! `fstack catalog list|show`: the catalog of the session's token (from the token cache
//! when there is one, so these commands may make no request at all).

pub(crate) mod args;

use anyhow::{Context as _, Result, bail};
use ferrostack::auth::{CatalogEndpoint, CatalogEntry};
use serde_json::{Value, json};

use self::args::CatalogCommand;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `catalog` command.
pub async fn run(ctx: &Context, command: CatalogCommand) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let token = cloud
        .identity()
        .tokens()
        .current()
        .await
        .context("cannot read the catalog")?;
    match command {
        CatalogCommand::List(args) => {
            let rows = token
                .catalog
                .iter()
                .map(|entry| {
                    vec![
                        Cell::opt(entry.name.clone()),
                        Cell::str(&entry.service_type),
                        endpoints(&entry.endpoints),
                    ]
                })
                .collect();
            print::list(&args.output, &["Name", "Type", "Endpoints"], rows)
        }
        CatalogCommand::Show(args) => {
            // As osc: by type or by name, the first match.
            let Some(entry) = token.catalog.iter().find(|e| {
                e.service_type == args.service || e.name.as_deref() == Some(&args.service)
            }) else {
                bail!("service {} not found", args.service);
            };
            print::one(&args.output, entry_fields(entry))
        }
    }
}

fn entry_fields(entry: &CatalogEntry) -> Vec<(&'static str, Cell)> {
    vec![
        ("endpoints", endpoints(&entry.endpoints)),
        ("id", Cell::opt(entry.id.clone())),
        ("name", Cell::opt(entry.name.clone())),
        ("type", Cell::str(&entry.service_type)),
    ]
}

/// osc's `EndpointsColumn`: `region\n  interface: url\n` per endpoint in tables, the
/// endpoints themselves elsewhere.
fn endpoints(list: &[CatalogEndpoint]) -> Cell {
    let mut human = String::new();
    for e in list {
        let region = e
            .region_id
            .as_deref()
            .or(e.region.as_deref())
            .unwrap_or("<none>");
        human.push_str(&format!("{region}\n  {}: {}\n", e.interface, e.url));
    }
    let machine = list
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "interface": e.interface,
                "region": e.region,
                "region_id": e.region_id,
                "url": e.url,
            })
        })
        .collect::<Vec<Value>>();
    Cell::Formatted {
        human,
        machine: Value::Array(machine),
    }
}
