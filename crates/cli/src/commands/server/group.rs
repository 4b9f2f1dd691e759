//! `fstack server group create|delete|list|show`, with openstackclient 10's flags, fields
//! and words.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::compute::{ComputeClient, Microversion, ServerGroup};
use serde_json::Value;

use crate::args::{KeyValue, ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Nova's `policy` and `rules` replace `policies` here.
const GROUP_POLICY: Microversion = Microversion(2, 64);
/// The soft policies start here.
const SOFT_POLICIES: Microversion = Microversion(2, 15);

/// `fstack server group ...`.
#[derive(Debug, Subcommand)]
pub enum ServerGroupCommand {
    /// Create a new server group.
    Create(GroupCreate),
    /// Delete existing server group(s).
    Delete(GroupDelete),
    /// List all server groups.
    List(GroupList),
    /// Display server group details.
    Show(GroupShow),
}

/// `server group create`.
#[derive(Debug, Args)]
pub struct GroupCreate {
    /// New server group name.
    #[arg(value_name = "name")]
    pub name: String,
    /// The group's policy (the soft ones need compute API 2.15 or later).
    #[arg(long, value_name = "policy", default_value = "affinity", value_parser = policy)]
    pub policy: String,
    /// A rule for the policy (repeatable; only `max_server_per_host`, for anti-affinity).
    #[arg(long = "rule", value_name = "key=value")]
    pub rules: Vec<KeyValue>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `server group delete`.
#[derive(Debug, Args)]
pub struct GroupDelete {
    /// Server group(s) to delete (name or ID).
    #[arg(value_name = "server-group", required = true)]
    pub groups: Vec<String>,
}

/// `server group list`.
#[derive(Debug, Args)]
pub struct GroupList {
    /// Display information from all projects (admin only).
    #[arg(long = "all-projects")]
    pub all_projects: bool,
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `server group show`.
#[derive(Debug, Args)]
pub struct GroupShow {
    /// Server group to display (name or ID).
    #[arg(value_name = "server-group")]
    pub group: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

const POLICIES: [&str; 4] = [
    "affinity",
    "anti-affinity",
    "soft-affinity",
    "soft-anti-affinity",
];

/// One of the four policies, refused otherwise in argparse's words.
fn policy(text: &str) -> Result<String, String> {
    if POLICIES.contains(&text) {
        Ok(text.to_owned())
    } else {
        let choices: Vec<String> = POLICIES.iter().map(|p| format!("'{p}'")).collect();
        Err(format!(
            "invalid choice: '{text}' (choose from {})",
            choices.join(", ")
        ))
    }
}

/// Runs one `server group` command.
pub async fn run(ctx: &Context, command: ServerGroupCommand) -> Result<()> {
    match command {
        ServerGroupCommand::Create(args) => create(ctx, args).await,
        ServerGroupCommand::Delete(args) => delete(ctx, args).await,
        ServerGroupCommand::List(args) => list(ctx, args).await,
        ServerGroupCommand::Show(args) => show(ctx, args).await,
    }
}

/// A group by id or name, in openstacksdk's words when none or several.
async fn find(compute: &ComputeClient, name_or_id: &str) -> Result<ServerGroup> {
    compute.server_groups().find(name_or_id).await.map_err(|e| {
        if e.is_not_found()
            || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "))
        {
            anyhow::anyhow!("No ServerGroup found for {name_or_id}")
        } else if e.kind() == &ferrostack::ErrorKind::Lookup {
            anyhow::anyhow!("More than one ServerGroup exists with the name '{name_or_id}'.")
        } else {
            e.into()
        }
    })
}

async fn create(ctx: &Context, args: GroupCreate) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let version = compute.microversion().await?;
    if args.policy.starts_with("soft-") && version < SOFT_POLICIES {
        bail!(
            "--os-compute-api-version 2.15 or greater is required to support the {} policy",
            args.policy
        );
    }
    if !args.rules.is_empty() && version < GROUP_POLICY {
        bail!("--os-compute-api-version 2.64 or greater is required to support the --rule option");
    }
    // Later pairs win, as in a Python dict.
    let mut max = None;
    for rule in &args.rules {
        if rule.key != "max_server_per_host" {
            bail!(
                "--rule {}={}: the only rule Nova knows is max_server_per_host",
                rule.key,
                rule.value
            );
        }
        match rule.value.parse::<u32>() {
            Ok(n) if n > 0 => max = Some(n),
            _ => bail!(
                "--rule max_server_per_host={}: not a positive whole number",
                rule.value
            ),
        }
    }
    let group = match compute
        .server_groups()
        .create(&args.name, &args.policy, max)
        .await
    {
        Ok(group) => group,
        Err(e) => {
            return Err(super::super::neutron::request_error(
                compute.session(),
                &ferrostack::request::ServiceType::Compute,
                "/os-server-groups",
                e,
            )
            .await);
        }
    };
    print::one(&args.output, group_fields(&group, version))
}

async fn delete(ctx: &Context, args: GroupDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut failed = 0;
    for name in &args.groups {
        let result = async {
            let group = find(&compute, name).await?;
            compute.server_groups().delete(&group.id).await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = result {
            eprintln!("{e:#}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} server groups failed to delete.",
            args.groups.len()
        );
    }
    Ok(())
}

async fn list(ctx: &Context, args: GroupList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let version = compute.microversion().await?;
    let groups = compute.server_groups().list(args.all_projects).await?;
    let new = version >= GROUP_POLICY;
    let mut columns = vec!["ID", "Name", if new { "Policy" } else { "Policies" }];
    if args.long {
        columns.extend(["Members", "Project Id", "User Id"]);
    }
    let rows = groups
        .iter()
        .map(|g| {
            let mut row = vec![Cell::str(&g.id), Cell::str(&g.name), policy_cell(g, new)];
            if args.long {
                row.extend([
                    Cell::List(g.members.clone()),
                    Cell::opt(g.project_id.clone()),
                    Cell::opt(g.user_id.clone()),
                ]);
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn show(ctx: &Context, args: GroupShow) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let version = compute.microversion().await?;
    let group = find(&compute, &args.group).await?;
    print::one(&args.output, group_fields(&group, version))
}

/// `policy` (a string) from 2.64, `policies` (a list) before.
fn policy_cell(g: &ServerGroup, new: bool) -> Cell {
    if new {
        Cell::opt(g.effective_policy().map(str::to_owned))
    } else {
        Cell::List(g.policies.clone())
    }
}

/// osc's fields of a group, sorted: openstacksdk's attributes less `metadata`, and less
/// `policies` from 2.64 or `policy` and `rules` before.
fn group_fields(g: &ServerGroup, version: Microversion) -> Vec<(&'static str, Cell)> {
    let new = version >= GROUP_POLICY;
    let mut fields = vec![
        ("id", Cell::str(&g.id)),
        ("members", Cell::List(g.members.clone())),
        ("name", Cell::str(&g.name)),
    ];
    if new {
        fields.push(("policy", policy_cell(g, true)));
    } else {
        fields.push(("policies", policy_cell(g, false)));
    }
    fields.push(("project_id", Cell::opt(g.project_id.clone())));
    if new {
        let rules = g
            .rules
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect::<Vec<(String, Value)>>();
        fields.push(("rules", Cell::Dict(rules)));
    }
    fields.push(("user_id", Cell::opt(g.user_id.clone())));
    fields
}
