//! `fstack security group list|show|create|delete` and `security group rule ...`.
//!
//! The fields are openstacksdk's `SecurityGroup` and `SecurityGroupRule` attributes as osc
//! shows them, sorted, under osc's names (`is_shared`, `rules`, `ether_type`); rules are
//! in `security_group/rule.rs`.

pub(crate) mod args;
mod rule;

use anyhow::Result;
use ferrostack::Cloud;
use ferrostack::network::SecurityGroup;
use serde_json::{Map, Value};

use self::args::{GroupCreate, GroupDelete, GroupList, SecurityCommand, SecurityGroupCommand};
use super::neutron::{delete_each, http_error, lookup_error, plain, project_id, wire};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `security` command.
pub async fn run(ctx: &Context, command: SecurityCommand) -> Result<()> {
    let SecurityCommand::Group { command } = command;
    match command {
        SecurityGroupCommand::List(args) => list(ctx, args).await,
        SecurityGroupCommand::Show(args) => {
            let cloud = ctx.cloud().await?;
            let group = find(cloud, &args.group).await?;
            print::one(&args.output, group_fields(&group))
        }
        SecurityGroupCommand::Create(args) => create(ctx, args).await,
        SecurityGroupCommand::Delete(args) => delete(ctx, args).await,
        SecurityGroupCommand::Rule { command } => rule::run(ctx, command).await,
    }
}

/// A group by id or name, with openstacksdk's words when none or several match.
pub async fn find(cloud: &Cloud, name_or_id: &str) -> Result<SecurityGroup> {
    cloud
        .network()
        .security_groups()
        .find(name_or_id)
        .await
        .map_err(|e| lookup_error("SecurityGroup", name_or_id, e))
}

async fn list(ctx: &Context, args: GroupList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    // The fields osc asks for; Neutron filters everything else.
    let mut query = cloud.network().security_groups().list().fields([
        "id",
        "name",
        "description",
        "project_id",
        "tags",
        "shared",
    ]);
    if let Some(project) = project_id(cloud, &args.project).await? {
        query = query.project_id(project);
    }
    if args.share || args.no_share {
        query = query.filter("shared", if args.share { "True" } else { "False" });
    }
    let split = |tags: &Option<String>| -> Option<Vec<String>> {
        tags.as_ref()
            .map(|t| t.split(',').map(str::to_owned).collect())
    };
    if let Some(tags) = split(&args.tags) {
        query = query.tags(tags);
    }
    if let Some(tags) = split(&args.any_tags) {
        query = query.tags_any(tags);
    }
    if let Some(tags) = split(&args.not_tags) {
        query = query.not_tags(tags);
    }
    if let Some(tags) = split(&args.not_any_tags) {
        query = query.not_tags_any(tags);
    }
    let groups = query
        .collect_all()
        .await
        .map_err(|e| anyhow::Error::from(e).context("cannot list security groups"))?;
    let rows = groups
        .iter()
        .map(|g| {
            let wire = wire(g);
            vec![
                plain(&wire, "id"),
                plain(&wire, "name"),
                plain(&wire, "description"),
                plain(&wire, "project_id"),
                plain(&wire, "tags"),
                plain(&wire, "shared"),
            ]
        })
        .collect();
    print::list(
        &args.output,
        &["ID", "Name", "Description", "Project", "Tags", "Shared"],
        rows,
    )
}

async fn create(ctx: &Context, args: GroupCreate) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let groups = cloud.network().security_groups();
    // As osc: the description defaults to the name.
    let description = args
        .description
        .clone()
        .unwrap_or_else(|| args.name.clone());
    let mut request = groups.create(&args.name).description(description);
    if args.stateful {
        request = request.stateful(true);
    }
    if args.stateless {
        request = request.stateful(false);
    }
    if let Some(project) = project_id(cloud, &args.project).await? {
        request = request.project_id(project);
    }
    let mut group = match request.send().await {
        Ok(group) => group,
        Err(e) => return Err(http_error(cloud, "/security-groups", e).await),
    };
    // Tags are set after the create, as osc sets them.
    if !args.tag.is_empty() {
        let path = format!("/security-groups/{}/tags", group.id);
        if let Err(e) = groups.set_tags(group.id.clone(), args.tag.clone()).await {
            return Err(http_error(cloud, &path, e).await);
        }
        group.tags = args.tag.clone();
    }
    print::one(&args.output, group_fields(&group))
}

async fn delete(ctx: &Context, args: GroupDelete) -> Result<()> {
    let cloud = ctx.cloud().await?;
    delete_each(&args.groups, "security group", "groups", async |name| {
        let group = find(cloud, name).await?;
        match cloud
            .network()
            .security_groups()
            .delete(group.id.clone())
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => {
                let path = format!("/security-groups/{}", group.id);
                Err(http_error(cloud, &path, e).await)
            }
        }
    })
    .await
}

/// `security group show` (and create): openstacksdk's attributes, sorted, `rules` as osc
/// formats them.
fn group_fields(group: &SecurityGroup) -> Vec<(&'static str, Cell)> {
    let wire = wire(group);
    vec![
        ("created_at", plain(&wire, "created_at")),
        ("description", plain(&wire, "description")),
        ("id", plain(&wire, "id")),
        ("is_shared", plain(&wire, "shared")),
        ("name", plain(&wire, "name")),
        ("project_id", plain(&wire, "project_id")),
        ("revision_number", plain(&wire, "revision_number")),
        ("rules", rules_cell(&wire)),
        ("stateful", plain(&wire, "stateful")),
        ("tags", plain(&wire, "tags")),
        ("updated_at", plain(&wire, "updated_at")),
    ]
}

/// osc's `NetworkSecurityGroupRulesColumn`: in tables one `k='v'` line per rule, without
/// the empty values and the group and project ids the reader knows; the rules as sent
/// elsewhere.
fn rules_cell(wire: &Map<String, Value>) -> Cell {
    let rules = wire
        .get("security_group_rules")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let human = rules
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .map(|rule| {
                    let pairs: Vec<(String, Value)> = rule
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, v)| {
                            !falsy(v)
                                && !matches!(
                                    k.as_str(),
                                    "security_group_id" | "tenant_id" | "project_id"
                                )
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    Cell::Dict(pairs).human()
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    Cell::Formatted {
        human,
        machine: rules,
    }
}

/// Python's falsy values: None, False, 0, "", [] and {}.
fn falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rules_leave_out_what_osc_trims() {
        let wire = json!({"security_group_rules": [{
            "id": "r1", "direction": "ingress", "protocol": null, "port_range_min": 0,
            "security_group_id": "g", "project_id": "p", "tenant_id": "p",
            "belongs_to_default_sg": true, "description": "",
        }]});
        let cell = rules_cell(wire.as_object().unwrap());
        assert_eq!(
            cell.human(),
            "belongs_to_default_sg='True', direction='ingress', id='r1'"
        );
        assert_eq!(cell.machine()[0]["tenant_id"], json!("p"));
    }
}
