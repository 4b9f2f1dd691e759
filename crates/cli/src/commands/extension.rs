//! `fstack extension list`, as openstackclient 10 prints it.

pub(crate) mod args;

use anyhow::Result;
use ferrostack::request::{Request, ServiceType};
use serde_json::{Value, json};

use self::args::{ExtensionCommand, ExtensionList};
use crate::commands::network::display::Fmt;
use crate::commands::network::print_list;
use crate::context::Context;

/// Runs one `extension` command.
pub async fn run(ctx: &Context, command: ExtensionCommand) -> Result<()> {
    match command {
        ExtensionCommand::List(args) => list(ctx, args).await,
    }
}

async fn list(ctx: &Context, args: ExtensionList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let all = !args.compute && !args.network;
    // Rows in osc's attribute names: name, alias, description, namespace, updated_at, links.
    let mut rows: Vec<Value> = Vec::new();
    if args.compute || all {
        #[derive(serde::Deserialize)]
        struct Page {
            extensions: Vec<Value>,
        }
        let request = Request::get(ServiceType::Compute, "/extensions");
        match cloud.session().send_json::<Page>(request).await {
            Ok(page) => rows.extend(page.extensions.into_iter().map(|e| {
                json!({
                    "name": e.get("name"), "alias": e.get("alias"),
                    "description": e.get("description"), "namespace": e.get("namespace"),
                    "updated_at": e.get("updated"), "links": e.get("links"),
                })
            })),
            // osc warns and goes on with the other services.
            Err(_) => eprintln!("Extensions list not supported by Compute API"),
        }
    }
    if args.network || all {
        match cloud.network().extensions().await {
            Ok(extensions) => rows.extend(extensions.into_iter().map(|e| {
                json!({
                    "name": e.name, "alias": e.alias, "description": e.description,
                    // openstacksdk's network Extension has no namespace: osc prints ''.
                    "namespace": "", "updated_at": e.updated, "links": e.links,
                })
            })),
            Err(_) => eprintln!("Failed to retrieve extensions list from Network API"),
        }
    }
    let mut columns = vec![
        ("Name", "name", Fmt::Plain),
        ("Alias", "alias", Fmt::Plain),
        ("Description", "description", Fmt::Plain),
    ];
    if args.long {
        columns.extend([
            ("Namespace", "namespace", Fmt::Plain),
            ("Updated At", "updated_at", Fmt::Plain),
            ("Links", "links", Fmt::Plain),
        ]);
    }
    print_list(&args.output, &columns, &rows)
}
