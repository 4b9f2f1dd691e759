//! `fstack network list`.

pub(crate) mod args;

use anyhow::{Context as _, Result};

use self::args::{NetworkCommand, NetworkList};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `network` command.
pub async fn run(ctx: &Context, command: NetworkCommand) -> Result<()> {
    match command {
        NetworkCommand::List(args) => list(ctx, args).await,
    }
}

async fn list(ctx: &Context, args: NetworkList) -> Result<()> {
    let network = ctx.cloud().await?.network();
    // Every filter runs on Neutron, as osc sends them; the rows keep Neutron's order.
    let mut query = network.networks().list();
    if args.external || args.internal {
        query = query.external(args.external);
    }
    if args.share || args.no_share {
        query = query.shared(args.share);
    }
    if let Some(name) = args.name {
        query = query.name(name);
    }
    let networks = query.collect_all().await.context("cannot list networks")?;
    let rows = networks
        .iter()
        .map(|n| {
            vec![
                Cell::str(n.id.to_string()),
                Cell::str(&n.name),
                Cell::List(n.subnets.iter().map(ToString::to_string).collect()),
            ]
        })
        .collect();
    print::list(&args.output, &["ID", "Name", "Subnets"], rows)
}
