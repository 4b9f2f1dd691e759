//! `fstack server event list|show`: a server's instance actions, as openstackclient 10
//! shows them.

use anyhow::Result;
use clap::{Args, Subcommand};
use ferrostack::compute::{ComputeClient, InstanceAction};
use ferrostack::request::ServiceType;
use serde_json::Value;

use crate::args::{ListOutput, ShowOutput};
use crate::commands::neutron::request_error;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack server event ...`.
#[derive(Debug, Subcommand)]
pub enum ServerEventCommand {
    /// List recent events of a server (a deleted one by ID, with compute API 2.21).
    List(EventList),
    /// Show server event details (a deleted server's by ID, with compute API 2.21).
    Show(EventShow),
}

/// `server event list`.
#[derive(Debug, Args)]
pub struct EventList {
    /// Server to list events (name or ID).
    #[arg(value_name = "server")]
    pub server: String,
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `server event show`.
#[derive(Debug, Args)]
pub struct EventShow {
    /// Server to show event details (name or ID).
    #[arg(value_name = "server")]
    pub server: String,
    /// Request ID of the event to show (ID only).
    #[arg(value_name = "request-id")]
    pub request_id: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `server event` command.
pub async fn run(ctx: &Context, command: ServerEventCommand) -> Result<()> {
    match command {
        ServerEventCommand::List(args) => list(ctx, args).await,
        ServerEventCommand::Show(args) => show(ctx, args).await,
    }
}

/// Whether `text` is a UUID in some spelling Python's `uuid.UUID` reads back the same
/// (32 hex digits, dashes anywhere in the canonical places or none, optional braces).
fn uuid_like(text: &str) -> bool {
    let inner = text
        .strip_prefix("urn:uuid:")
        .unwrap_or(text)
        .trim_start_matches('{')
        .trim_end_matches('}');
    let hex: String = inner.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// The server's id: found by name or id, or else the text itself when it looks like a
/// UUID (a deleted server's).
async fn server_id(compute: &ComputeClient, name_or_id: &str) -> Result<String> {
    match compute.servers().find(name_or_id).await {
        Ok(server) => Ok(server.id.to_string()),
        Err(e) => {
            let none = e.is_not_found()
                || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "));
            if none && uuid_like(name_or_id) {
                Ok(name_or_id.to_owned())
            } else if none {
                anyhow::bail!("No Server found for {name_or_id}")
            } else {
                Err(e.into())
            }
        }
    }
}

async fn list(ctx: &Context, args: EventList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let id = server_id(&compute, &args.server).await?;
    let actions = match compute.instance_actions(id.clone()).list().await {
        Ok(actions) => actions,
        Err(e) => {
            let path = format!("/servers/{id}/os-instance-actions");
            return Err(request_error(compute.session(), &ServiceType::Compute, &path, e).await);
        }
    };
    let mut columns = vec!["Request ID", "Server ID", "Action", "Start Time"];
    if args.long {
        columns.extend(["Message", "Project ID", "User ID"]);
    }
    let rows = actions
        .iter()
        .map(|a| {
            let mut row = vec![
                Cell::str(&a.request_id),
                Cell::str(&id),
                Cell::str(&a.action),
                Cell::opt(a.start_time.clone()),
            ];
            if args.long {
                row.extend([
                    Cell::opt(a.message.clone()),
                    Cell::opt(a.project_id.clone()),
                    Cell::opt(a.user_id.clone()),
                ]);
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn show(ctx: &Context, args: EventShow) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let id = server_id(&compute, &args.server).await?;
    let action = match compute
        .instance_actions(id.clone())
        .get(&args.request_id)
        .await
    {
        Ok(action) => action,
        Err(e) => {
            let path = format!("/servers/{id}/os-instance-actions/{}", args.request_id);
            let missing = e.is_not_found();
            let e = request_error(compute.session(), &ServiceType::Compute, &path, e).await;
            // openstacksdk fetches the action as a resource without an id, so a 404 comes
            // out as its `ResourceNotFound` for `None` (the rest of the words as usual).
            let text = format!("{e:#}");
            return match text.strip_prefix("NotFoundException: 404") {
                Some(rest) if missing => {
                    Err(anyhow::anyhow!("No ServerAction found for None{rest}"))
                }
                _ => Err(e),
            };
        }
    };
    print::one(&args.output, action_fields(&action))
}

/// osc's fields of an action, sorted: openstacksdk's attributes (`id` is the request id).
fn action_fields(a: &InstanceAction) -> Vec<(&'static str, Cell)> {
    let events: Vec<Vec<(String, Value)>> = a
        .events
        .iter()
        .map(|e| {
            let extra = |key: &str| e.extra.get(key).cloned().unwrap_or(Value::Null);
            let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
            vec![
                ("details".to_owned(), extra("details")),
                ("event".to_owned(), Value::String(e.event.clone())),
                ("finish_time".to_owned(), opt(&e.finish_time)),
                ("host".to_owned(), extra("host")),
                ("host_id".to_owned(), extra("hostId")),
                ("result".to_owned(), opt(&e.result)),
                ("start_time".to_owned(), opt(&e.start_time)),
                ("traceback".to_owned(), extra("traceback")),
            ]
        })
        .collect();
    // openstacksdk's action has no `updated_at` (Nova's, from 2.58), so osc never shows it.
    vec![
        ("action", Cell::str(&a.action)),
        ("events", Cell::list_of_dicts(&events)),
        ("id", Cell::str(&a.request_id)),
        ("message", Cell::opt(a.message.clone())),
        ("project_id", Cell::opt(a.project_id.clone())),
        ("request_id", Cell::str(&a.request_id)),
        ("start_time", Cell::opt(a.start_time.clone())),
        ("user_id", Cell::opt(a.user_id.clone())),
    ]
}
