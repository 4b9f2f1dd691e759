//! `fstack versions show`: every version of every service in the catalog, from each
//! endpoint's discovery document, as openstackclient prints it.

pub(crate) mod args;

use anyhow::Result;
use ferrostack::session::VersionsQuery;

use self::args::{VersionsCommand, VersionsShow};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// The columns of `versions show`.
const COLUMNS: [&str; 7] = [
    "Region Name",
    "Service Type",
    "Version",
    "Status",
    "Endpoint",
    "Min Microversion",
    "Max Microversion",
];

/// Runs one `versions` command.
pub async fn run(ctx: &Context, command: VersionsCommand) -> Result<()> {
    match command {
        VersionsCommand::Show(args) => show(ctx, args).await,
    }
}

async fn show(ctx: &Context, args: VersionsShow) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let interface = (!args.all_interfaces).then(|| args.interface.clone());
    let mut query = VersionsQuery::default().interface(interface);
    if let Some(region) = &args.region_name {
        query = query.region(region);
    }
    if let Some(service) = &args.service {
        query = query.service_type(service);
    }
    let status = args.status.as_deref().map(str::to_uppercase);
    let rows = cloud
        .session()
        .service_versions(&query)
        .await?
        .into_iter()
        .filter(|v| status.as_ref().is_none_or(|s| *s == v.status))
        .map(|v| {
            vec![
                Cell::str(v.region),
                Cell::str(v.service_type),
                Cell::str(v.version),
                Cell::str(v.status),
                Cell::str(v.url),
                Cell::opt(v.min_microversion),
                Cell::opt(v.max_microversion),
            ]
        })
        .collect();
    print::list(&args.output, &COLUMNS, rows)
}
