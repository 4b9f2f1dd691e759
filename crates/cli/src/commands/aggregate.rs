//! `fstack aggregate create|delete|list|show|set|unset|add host|remove host`, with
//! openstackclient 10's flags, fields and words.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::compute::{Aggregate, ComputeClient, Microversion};
use ferrostack::request::ServiceType;
use serde_json::Value;

use crate::args::{KeyValue, ListOutput, ShowOutput};
use crate::commands::neutron::request_error;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Aggregates carry a `uuid` from here.
const AGGREGATE_UUID: Microversion = Microversion(2, 41);

/// `fstack aggregate ...`.
#[derive(Debug, Subcommand)]
pub enum AggregateCommand {
    /// Create a new aggregate.
    Create(AggregateCreate),
    /// Delete existing aggregate(s).
    Delete(AggregateDelete),
    /// List all aggregates.
    List(AggregateList),
    /// Display aggregate details.
    Show(AggregateShow),
    /// Set aggregate properties.
    Set(AggregateSet),
    /// Unset aggregate properties.
    Unset(AggregateUnset),
    /// Add a host to an aggregate.
    Add {
        #[command(subcommand)]
        command: AggregateHostCommand,
    },
    /// Remove a host from an aggregate.
    Remove {
        #[command(subcommand)]
        command: AggregateHostCommand,
    },
}

/// `aggregate add|remove host`.
#[derive(Debug, Subcommand)]
pub enum AggregateHostCommand {
    /// The host.
    Host(AggregateHost),
}

/// `aggregate add host`, `aggregate remove host`.
#[derive(Debug, Args)]
pub struct AggregateHost {
    /// Aggregate (name or ID).
    #[arg(value_name = "aggregate")]
    pub aggregate: String,
    /// The host.
    #[arg(value_name = "host")]
    pub host: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `aggregate create`.
#[derive(Debug, Args)]
pub struct AggregateCreate {
    /// New aggregate name.
    #[arg(value_name = "name")]
    pub name: String,
    /// Availability zone name.
    #[arg(long, value_name = "availability-zone")]
    pub zone: Option<String>,
    /// Property to add to this aggregate (repeatable).
    #[arg(long = "property", value_name = "key=value")]
    pub property: Vec<KeyValue>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `aggregate delete`.
#[derive(Debug, Args)]
pub struct AggregateDelete {
    /// Aggregate(s) to delete (name or ID).
    #[arg(value_name = "aggregate", required = true)]
    pub aggregates: Vec<String>,
}

/// `aggregate list`.
#[derive(Debug, Args)]
pub struct AggregateList {
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    /// Only aggregates in this availability zone.
    #[arg(long = "availability-zone", value_name = "availability-zone")]
    pub availability_zone: Option<String>,
    /// Only aggregates with this host.
    #[arg(long, value_name = "host")]
    pub host: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `aggregate show`.
#[derive(Debug, Args)]
pub struct AggregateShow {
    /// Aggregate to display (name or ID).
    #[arg(value_name = "aggregate")]
    pub aggregate: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `aggregate set`.
#[derive(Debug, Args)]
pub struct AggregateSet {
    /// Aggregate to modify (name or ID).
    #[arg(value_name = "aggregate")]
    pub aggregate: String,
    /// Set aggregate name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Set availability zone name.
    #[arg(long, value_name = "availability-zone")]
    pub zone: Option<String>,
    /// Property to set on this aggregate (repeatable).
    #[arg(long = "property", value_name = "key=value")]
    pub property: Vec<KeyValue>,
    /// Remove all properties from this aggregate.
    #[arg(long = "no-property")]
    pub no_property: bool,
}

/// `aggregate unset`.
#[derive(Debug, Args)]
pub struct AggregateUnset {
    /// Aggregate to modify (name or ID).
    #[arg(value_name = "aggregate")]
    pub aggregate: String,
    /// Property to remove from the aggregate (repeatable).
    #[arg(long = "property", value_name = "key")]
    pub property: Vec<String>,
}

/// Runs one `aggregate` command.
pub async fn run(ctx: &Context, command: AggregateCommand) -> Result<()> {
    match command {
        AggregateCommand::Create(args) => create(ctx, args).await,
        AggregateCommand::Delete(args) => delete(ctx, args).await,
        AggregateCommand::List(args) => list(ctx, args).await,
        AggregateCommand::Show(args) => show(ctx, args).await,
        AggregateCommand::Set(args) => set(ctx, args).await,
        AggregateCommand::Unset(args) => unset(ctx, args).await,
        AggregateCommand::Add {
            command: AggregateHostCommand::Host(args),
        } => host(ctx, args, true).await,
        AggregateCommand::Remove {
            command: AggregateHostCommand::Host(args),
        } => host(ctx, args, false).await,
    }
}

/// An SDK error of a Nova call to `path`, in openstacksdk's words.
async fn nova_error(compute: &ComputeClient, path: &str, e: ferrostack::Error) -> anyhow::Error {
    request_error(compute.session(), &ServiceType::Compute, path, e).await
}

/// An aggregate by id or name, in openstacksdk's words when none or several.
async fn find(compute: &ComputeClient, name_or_id: &str) -> Result<Aggregate> {
    compute.aggregates().find(name_or_id).await.map_err(|e| {
        if e.is_not_found()
            || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "))
        {
            anyhow::anyhow!("No Aggregate found for {name_or_id}")
        } else if e.kind() == &ferrostack::ErrorKind::Lookup {
            anyhow::anyhow!("More than one Aggregate exists with the name '{name_or_id}'.")
        } else {
            e.into()
        }
    })
}

async fn create(ctx: &Context, args: AggregateCreate) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut aggregate = match compute
        .aggregates()
        .create(&args.name, args.zone.as_deref().filter(|z| !z.is_empty()))
        .await
    {
        Ok(a) => a,
        Err(e) => return Err(nova_error(&compute, "/os-aggregates", e).await),
    };
    if !args.property.is_empty() {
        let path = format!("/os-aggregates/{}/action", aggregate.id);
        aggregate = match compute
            .aggregates()
            .set_metadata(aggregate.id, &pairs(&args.property))
            .await
        {
            Ok(a) => a,
            Err(e) => return Err(nova_error(&compute, &path, e).await),
        };
    }
    print::one(&args.output, aggregate_fields(&aggregate))
}

/// `--property` pairs, the later of a repeated key winning, in first-seen order.
fn pairs(props: &[KeyValue]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for kv in props {
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == kv.key) {
            slot.1 = Some(kv.value.clone());
        } else {
            out.push((kv.key.clone(), Some(kv.value.clone())));
        }
    }
    out
}

async fn delete(ctx: &Context, args: AggregateDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut failed = 0;
    for name in &args.aggregates {
        let result = async {
            let aggregate = find(&compute, name).await?;
            let path = format!("/os-aggregates/{}", aggregate.id);
            match compute.aggregates().delete(aggregate.id).await {
                Ok(()) => Ok(()),
                Err(e) => Err(nova_error(&compute, &path, e).await),
            }
        }
        .await;
        if let Err(e) = result {
            eprintln!("Failed to delete aggregate with name or ID '{name}': {e:#}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} aggregates failed to delete.",
            args.aggregates.len()
        );
    }
    Ok(())
}

async fn list(ctx: &Context, args: AggregateList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let version = compute.microversion().await?;
    let mut aggregates = compute.aggregates().list().await?;
    if let Some(zone) = &args.availability_zone {
        aggregates.retain(|a| a.availability_zone.as_deref() == Some(zone.as_str()));
    }
    if let Some(host) = &args.host {
        aggregates.retain(|a| a.hosts.contains(host));
    }
    let uuid = version >= AGGREGATE_UUID;
    let mut columns = vec!["ID"];
    if uuid {
        columns.push("UUID");
    }
    columns.extend(["Name", "Availability Zone"]);
    if args.long {
        columns.extend(["Properties", "Hosts"]);
    }
    let rows = aggregates
        .iter()
        .map(|a| {
            let mut row = vec![Cell::json(a.id)];
            if uuid {
                row.push(Cell::opt(a.uuid.clone()));
            }
            row.extend([Cell::str(&a.name), Cell::opt(a.availability_zone.clone())]);
            if args.long {
                row.extend([metadata(a, false), Cell::List(a.hosts.clone())]);
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn show(ctx: &Context, args: AggregateShow) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut aggregate = find(&compute, &args.aggregate).await?;
    // osc leaves the zone out of the properties here (it has its own field).
    aggregate.metadata.remove("availability_zone");
    print::one(&args.output, aggregate_fields(&aggregate))
}

async fn set(ctx: &Context, args: AggregateSet) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let aggregate = find(&compute, &args.aggregate).await?;
    let name = args.name.as_deref().filter(|n| !n.is_empty());
    let zone = args.zone.as_deref().filter(|z| !z.is_empty());
    if name.is_some() || zone.is_some() {
        let path = format!("/os-aggregates/{}", aggregate.id);
        if let Err(e) = compute.aggregates().update(aggregate.id, name, zone).await {
            return Err(nova_error(&compute, &path, e).await);
        }
    }
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    if args.no_property {
        changes.extend(
            aggregate
                .metadata
                .keys()
                .filter(|k| *k != "availability_zone")
                .map(|k| (k.clone(), None)),
        );
    }
    for (key, value) in pairs(&args.property) {
        if let Some(slot) = changes.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            changes.push((key, value));
        }
    }
    metadata_change(&compute, aggregate.id, &changes).await
}

async fn unset(ctx: &Context, args: AggregateUnset) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let aggregate = find(&compute, &args.aggregate).await?;
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for key in &args.property {
        if !changes.iter().any(|(k, _)| k == key) {
            changes.push((key.clone(), None));
        }
    }
    metadata_change(&compute, aggregate.id, &changes).await
}

async fn metadata_change(
    compute: &ComputeClient,
    id: u64,
    changes: &[(String, Option<String>)],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    match compute.aggregates().set_metadata(id, changes).await {
        Ok(_) => Ok(()),
        Err(e) => Err(nova_error(compute, &format!("/os-aggregates/{id}/action"), e).await),
    }
}

async fn host(ctx: &Context, args: AggregateHost, add: bool) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let aggregate = find(&compute, &args.aggregate).await?;
    let handle = compute.aggregates();
    let done = if add {
        handle.add_host(aggregate.id, &args.host).await
    } else {
        handle.remove_host(aggregate.id, &args.host).await
    };
    match done {
        Ok(aggregate) => print::one(&args.output, aggregate_fields(&aggregate)),
        Err(e) => {
            let path = format!("/os-aggregates/{}/action", aggregate.id);
            Err(nova_error(&compute, &path, e).await)
        }
    }
}

/// The metadata as osc's `properties` (a `DictColumn`), less the zone when `with_zone` is
/// false.
fn metadata(a: &Aggregate, with_zone: bool) -> Cell {
    Cell::Dict(
        a.metadata
            .iter()
            .filter(|(k, _)| with_zone || *k != "availability_zone")
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn nova_time(t: Option<jiff::Timestamp>) -> Cell {
    Cell::opt(t.map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()))
}

/// osc's fields of an aggregate: openstacksdk's attributes, `metadata` as `properties`,
/// sorted.
fn aggregate_fields(a: &Aggregate) -> Vec<(&'static str, Cell)> {
    let extra = |key: &str| a.extra.get(key).cloned().unwrap_or(Value::Null);
    let deleted = match extra("deleted") {
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(b),
        other => Value::Bool(!matches!(other, Value::String(ref s) if s.is_empty())),
    };
    vec![
        ("availability_zone", Cell::opt(a.availability_zone.clone())),
        ("created_at", nova_time(a.created_at)),
        ("deleted_at", Cell::json(extra("deleted_at"))),
        ("hosts", Cell::List(a.hosts.clone())),
        ("id", Cell::json(a.id)),
        ("is_deleted", Cell::json(deleted)),
        ("name", Cell::str(&a.name)),
        ("properties", metadata(a, true)),
        ("updated_at", nova_time(a.updated_at)),
        ("uuid", Cell::opt(a.uuid.clone())),
    ]
}
