//! `fstack group create|delete|list|set|show|add user|remove user|contains user`, as
//! openstackclient 10.5.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::ErrorKind;
use ferrostack::identity::{Group, IdentityClient};

use super::{delete_each, found, keystone_error, plain, sdk_id, wire};
use crate::args::{ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack group ...`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add user to group.
    Add {
        #[command(subcommand)]
        command: GroupUserAdd,
    },
    /// Check user membership in group.
    Contains {
        #[command(subcommand)]
        command: GroupUserContains,
    },
    /// Create new group.
    Create(GroupCreate),
    /// Delete group(s).
    Delete(GroupDelete),
    /// List groups.
    List(GroupList),
    /// Remove user from group.
    Remove {
        #[command(subcommand)]
        command: GroupUserRemove,
    },
    /// Set group properties.
    Set(GroupSet),
    /// Display group details.
    Show(GroupShow),
}

/// `group add user`.
#[derive(Debug, Subcommand)]
pub enum GroupUserAdd {
    /// Add user to group.
    User(GroupUsers),
}

/// `group remove user`.
#[derive(Debug, Subcommand)]
pub enum GroupUserRemove {
    /// Remove user from group.
    User(GroupUsers),
}

/// `group contains user`.
#[derive(Debug, Subcommand)]
pub enum GroupUserContains {
    /// Check user membership in group.
    User(GroupUser),
}

/// `--group-domain` and `--user-domain`.
#[derive(Debug, Args)]
pub struct MemberDomains {
    /// Domain the group belongs to (name or ID).
    #[arg(long = "group-domain", value_name = "group-domain")]
    pub group_domain: Option<String>,
    /// Domain the user belongs to (name or ID).
    #[arg(long = "user-domain", value_name = "user-domain")]
    pub user_domain: Option<String>,
}

/// `group add user` / `group remove user`.
#[derive(Debug, Args)]
pub struct GroupUsers {
    /// Group (name or ID).
    #[arg(value_name = "group")]
    pub group: String,
    /// User(s) (name or ID).
    #[arg(value_name = "user", required = true)]
    pub users: Vec<String>,
    #[command(flatten)]
    pub domains: MemberDomains,
}

/// `group contains user`.
#[derive(Debug, Args)]
pub struct GroupUser {
    /// Group to check (name or ID).
    #[arg(value_name = "group")]
    pub group: String,
    /// User to check (name or ID).
    #[arg(value_name = "user")]
    pub user: String,
    #[command(flatten)]
    pub domains: MemberDomains,
}

/// `group create`.
#[derive(Debug, Args)]
pub struct GroupCreate {
    /// New group name.
    #[arg(value_name = "group-name")]
    pub name: String,
    /// Domain to contain new group (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// New group description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// Return existing group.
    #[arg(long = "or-show")]
    pub or_show: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `group delete`.
#[derive(Debug, Args)]
pub struct GroupDelete {
    /// Group(s) to delete (name or ID).
    #[arg(value_name = "group", required = true)]
    pub groups: Vec<String>,
    /// Domain containing group(s) (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
}

/// `group list`.
#[derive(Debug, Args)]
pub struct GroupList {
    /// Filter group list by <domain> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Filter group list by <user> (name or ID).
    #[arg(long, value_name = "user")]
    pub user: Option<String>,
    /// Domain the user belongs to (name or ID).
    #[arg(long = "user-domain", value_name = "user-domain")]
    pub user_domain: Option<String>,
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `group set`.
#[derive(Debug, Args)]
pub struct GroupSet {
    /// Group to modify (name or ID).
    #[arg(value_name = "group")]
    pub group: String,
    /// Domain containing <group> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// New group name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// New group description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
}

/// `group show`.
#[derive(Debug, Args)]
pub struct GroupShow {
    /// Group to display (name or ID).
    #[arg(value_name = "group")]
    pub group: String,
    /// Domain containing <group> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// osc's `find_group_id_sdk` (and `find_user_id_sdk`): the domain first, then the group.
async fn group_id(
    identity: &IdentityClient,
    group: &str,
    domain: Option<&str>,
    validate: bool,
) -> Result<String> {
    let domain = match domain {
        Some(d) => Some(sdk_id(identity, identity.domains().find(d), d, validate).await?),
        None => None,
    };
    sdk_id(
        identity,
        identity.groups().find(group, domain.as_deref()),
        group,
        validate,
    )
    .await
}

async fn user_id(
    identity: &IdentityClient,
    user: &str,
    domain: Option<&str>,
    validate: bool,
) -> Result<String> {
    let domain = match domain {
        Some(d) => Some(sdk_id(identity, identity.domains().find(d), d, validate).await?),
        None => None,
    };
    sdk_id(
        identity,
        identity.users().find(user, domain.as_deref()),
        user,
        validate,
    )
    .await
}

/// Runs one `group` command.
pub async fn run(ctx: &Context, command: GroupCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        GroupCommand::Add {
            command: GroupUserAdd::User(args),
        } => members(&identity, args, true).await,
        GroupCommand::Remove {
            command: GroupUserRemove::User(args),
        } => members(&identity, args, false).await,
        GroupCommand::Contains {
            command: GroupUserContains::User(args),
        } => {
            let user = user_id(
                &identity,
                &args.user,
                args.domains.user_domain.as_deref(),
                false,
            )
            .await?;
            let group = group_id(
                &identity,
                &args.group,
                args.domains.group_domain.as_deref(),
                false,
            )
            .await?;
            let member = match identity.groups().contains_user(&group, &user).await {
                Ok(member) => member,
                Err(e) if e.kind() == &ErrorKind::Forbidden => false,
                Err(e) => return Err(e.into()),
            };
            if member {
                print::write_stdout(&format!("{} in group {}\n", args.user, args.group))
            } else {
                eprintln!("{} not in group {}", args.user, args.group);
                Ok(())
            }
        }
        GroupCommand::Create(args) => {
            let mut create = identity.groups().create(&args.name);
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                create = create.description(d);
            }
            if let Some(d) = &args.domain {
                create =
                    create.domain_id(sdk_id(&identity, identity.domains().find(d), d, true).await?);
            }
            let group = match create.send().await {
                Ok(g) => g,
                // osc looks the existing one up with --domain as given.
                Err(e) if args.or_show && e.kind() == &ErrorKind::Conflict => {
                    found(
                        &identity,
                        &args.name,
                        identity.groups().find(&args.name, args.domain.as_deref()),
                    )
                    .await?
                }
                Err(e) => return Err(keystone_error(&identity, "/groups", e).await),
            };
            print::one(&args.output, group_fields(&group))
        }
        GroupCommand::Delete(args) => {
            delete_each(&args.groups, "group", "groups", async |name| {
                let id = group_id(&identity, name, args.domain.as_deref(), true).await?;
                match identity.groups().delete(&id).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(keystone_error(&identity, &format!("/groups/{id}"), e).await),
                }
            })
            .await
        }
        GroupCommand::List(args) => {
            let groups = if let Some(user) = &args.user {
                let user = user_id(&identity, user, args.user_domain.as_deref(), true).await?;
                identity.users().groups(&user).await
            } else {
                let mut list = identity.groups().list();
                if let Some(d) = &args.domain {
                    list = list
                        .domain_id(sdk_id(&identity, identity.domains().find(d), d, true).await?);
                }
                list.collect_all().await
            };
            let groups = match groups {
                Ok(g) => g,
                Err(e) => return Err(keystone_error(&identity, "/groups", e).await),
            };
            let rows = groups
                .iter()
                .map(|g| {
                    let mut row = vec![Cell::str(&g.id), Cell::str(&g.name)];
                    if args.long {
                        row.push(Cell::opt(g.domain_id.clone()));
                        row.push(Cell::opt(g.description.clone()));
                    }
                    row
                })
                .collect();
            let columns: &[&str] = if args.long {
                &["ID", "Name", "Domain ID", "Description"]
            } else {
                &["ID", "Name"]
            };
            print::list(&args.output, columns, rows)
        }
        GroupCommand::Set(args) => {
            let id = group_id(&identity, &args.group, args.domain.as_deref(), true).await?;
            let mut update = identity.groups().update(&id);
            if let Some(n) = args.name.as_deref().filter(|n| !n.is_empty()) {
                update = update.name(n);
            }
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                update = update.description(d);
            }
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => Err(keystone_error(&identity, &format!("/groups/{id}"), e).await),
            }
        }
        GroupCommand::Show(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            let group = found(
                &identity,
                &args.group,
                identity.groups().find(&args.group, domain.as_deref()),
            )
            .await?;
            print::one(&args.output, group_fields(&group))
        }
    }
}

/// `group add user` (`add`) or `group remove user`: each user in turn, failures told.
async fn members(identity: &IdentityClient, args: GroupUsers, add: bool) -> Result<()> {
    let group = group_id(
        identity,
        &args.group,
        args.domains.group_domain.as_deref(),
        true,
    )
    .await?;
    let mut failed = 0;
    for name in &args.users {
        let outcome = async {
            let user = user_id(identity, name, args.domains.user_domain.as_deref(), true).await?;
            let result = if add {
                identity.groups().add_user(&group, &user).await
            } else {
                identity.groups().remove_user(&group, &user).await
            };
            match result {
                Ok(()) => Ok(()),
                Err(e) => {
                    Err(keystone_error(identity, &format!("/groups/{group}/users/{user}"), e).await)
                }
            }
        }
        .await;
        if let Err(e) = outcome {
            failed += 1;
            let verb = if add { "added to" } else { "removed from" };
            eprintln!("{name} not {verb} group {}: {e:#}", args.group);
        }
    }
    if failed > 0 {
        let verb = if add { "added to" } else { "removed from" };
        bail!(
            "{failed} of {} users not {verb} group {}.",
            args.users.len(),
            args.group
        );
    }
    Ok(())
}

/// osc's fields of a group, in its order.
fn group_fields(group: &Group) -> Vec<(&'static str, Cell)> {
    let w = wire(group);
    vec![
        ("description", plain(&w, "description")),
        ("domain_id", plain(&w, "domain_id")),
        ("id", Cell::str(&group.id)),
        ("name", Cell::str(&group.name)),
    ]
}
