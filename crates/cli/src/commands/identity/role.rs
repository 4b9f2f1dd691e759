//! `fstack role create|delete|list|set|show|add|remove`, `role assignment list` and
//! `implied role create|delete|list`, as openstackclient 10.5.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::ErrorKind;
use ferrostack::identity::{
    Actor, AssignmentRef, Grant, IdentityClient, Role, RoleAssignment, Target,
};

use super::{delete_each, find_domain, found, keystone_error, plain, sdk_id, wire};
use crate::args::{ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack role ...`.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Adds a role assignment to a user or group on the system, a domain, or a project.
    Add(RoleGrant),
    /// Create new role.
    Create(RoleCreate),
    /// Delete role(s).
    Delete(RoleDelete),
    /// List roles.
    List(RoleList),
    /// Removes a role assignment from system/domain/project : user/group.
    Remove(RoleGrant),
    /// Set role properties.
    Set(RoleSet),
    /// Display role details.
    Show(RoleShow),
    /// Role assignments.
    Assignment {
        #[command(subcommand)]
        command: AssignmentCommand,
    },
}

/// `fstack role assignment ...`.
#[derive(Debug, Subcommand)]
pub enum AssignmentCommand {
    /// List role assignments.
    List(AssignmentList),
}

/// `fstack implied ...`.
#[derive(Debug, Subcommand)]
pub enum ImpliedCommand {
    /// Implied roles.
    Role {
        #[command(subcommand)]
        command: ImpliedRoleCommand,
    },
}

/// `fstack implied role ...`.
#[derive(Debug, Subcommand)]
pub enum ImpliedRoleCommand {
    /// Creates an association between prior and implied roles.
    Create(ImpliedRoleArgs),
    /// Deletes an association between prior and implied roles.
    Delete(ImpliedRoleArgs),
    /// List implied roles.
    List(ImpliedRoleList),
}

/// `implied role create|delete`.
#[derive(Debug, Args)]
pub struct ImpliedRoleArgs {
    /// Role (name or ID) that implies another role.
    #[arg(value_name = "role")]
    pub role: String,
    /// <role> (name or ID) implied by another role.
    #[arg(long = "implied-role", value_name = "role", required = true)]
    pub implied_role: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `implied role list`.
#[derive(Debug, Args)]
pub struct ImpliedRoleList {
    #[command(flatten)]
    pub output: ListOutput,
}

/// Who and where of `role add|remove` and `role assignment list`.
#[derive(Debug, Args)]
pub struct Scope {
    /// Include <system> (all).
    #[arg(long, value_name = "system", conflicts_with_all = ["domain", "project"])]
    pub system: Option<String>,
    /// Include <domain> (name or ID).
    #[arg(long, value_name = "domain", conflicts_with = "project")]
    pub domain: Option<String>,
    /// Include <project> (name or ID).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Include <user> (name or ID).
    #[arg(long, value_name = "user", conflicts_with = "group")]
    pub user: Option<String>,
    /// Include <group> (name or ID).
    #[arg(long, value_name = "group")]
    pub group: Option<String>,
    /// Domain the group belongs to (name or ID).
    #[arg(long = "group-domain", value_name = "group-domain")]
    pub group_domain: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Domain the user belongs to (name or ID).
    #[arg(long = "user-domain", value_name = "user-domain")]
    pub user_domain: Option<String>,
    /// Specifies if the role grant is inheritable to the sub projects.
    #[arg(long)]
    pub inherited: bool,
    /// Domain the role belongs to (name or ID).
    #[arg(long = "role-domain", value_name = "role-domain")]
    pub role_domain: Option<String>,
}

/// `role add|remove`.
#[derive(Debug, Args)]
pub struct RoleGrant {
    /// Role to add or remove (name or ID).
    #[arg(value_name = "role")]
    pub role: String,
    #[command(flatten)]
    pub scope: Scope,
}

/// `role assignment list`.
#[derive(Debug, Args)]
pub struct AssignmentList {
    /// Returns only effective role assignments.
    #[arg(long)]
    pub effective: bool,
    /// Role to filter (name or ID).
    #[arg(long, value_name = "role")]
    pub role: Option<String>,
    /// Display names instead of IDs.
    #[arg(long)]
    pub names: bool,
    /// Only list assignments for the authenticated user.
    #[arg(long = "auth-user")]
    pub auth_user: bool,
    /// Only list assignments for the project to which the authenticated user's token is scoped.
    #[arg(long = "auth-project")]
    pub auth_project: bool,
    #[command(flatten)]
    pub scope: Scope,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `role create`.
#[derive(Debug, Args)]
pub struct RoleCreate {
    /// New role name.
    #[arg(value_name = "role-name")]
    pub name: String,
    /// Add description about the role.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// Domain the role belongs to (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Return existing role.
    #[arg(long = "or-show")]
    pub or_show: bool,
    #[command(flatten)]
    pub immutable: super::domain::ImmutableFlags,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `role delete`.
#[derive(Debug, Args)]
pub struct RoleDelete {
    /// Role(s) to delete (name or ID).
    #[arg(value_name = "role", required = true)]
    pub roles: Vec<String>,
    /// Domain the role belongs to (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
}

/// `role list`.
#[derive(Debug, Args)]
pub struct RoleList {
    /// Include <domain> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `role set`.
#[derive(Debug, Args)]
pub struct RoleSet {
    /// Role to modify (name or ID).
    #[arg(value_name = "role")]
    pub role: String,
    /// Add description about the role.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// Domain the role belongs to (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Set role name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    #[command(flatten)]
    pub immutable: super::domain::ImmutableFlags,
}

/// `role show`.
#[derive(Debug, Args)]
pub struct RoleShow {
    /// Role to display (name or ID).
    #[arg(value_name = "role")]
    pub role: String,
    /// Domain the role belongs to (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `role` command.
pub async fn run(ctx: &Context, command: RoleCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        RoleCommand::Add(args) => grant(&identity, args, true).await,
        RoleCommand::Remove(args) => grant(&identity, args, false).await,
        RoleCommand::Create(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            let mut create = identity.roles().create(&args.name);
            if let Some(domain) = &domain {
                create = create.domain_id(domain);
            }
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                create = create.description(d);
            }
            if let Some(options) = args.immutable.options() {
                create = create.options(options);
            }
            let role = match create.send().await {
                Ok(r) => r,
                // osc looks the existing one up by the --domain as given.
                Err(e) if args.or_show && e.kind() == &ErrorKind::Conflict => {
                    found(
                        &identity,
                        &args.name,
                        identity.roles().find(&args.name, args.domain.as_deref()),
                    )
                    .await?
                }
                Err(e) => return Err(keystone_error(&identity, "/roles", e).await),
            };
            print::one(&args.output, role_fields(&role))
        }
        RoleCommand::Delete(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            delete_each(&args.roles, "role", "roles", async |name| {
                let id = sdk_id(
                    &identity,
                    identity.roles().find(name, domain.as_deref()),
                    name,
                    true,
                )
                .await?;
                match identity.roles().delete(&id).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(keystone_error(&identity, &format!("/roles/{id}"), e).await),
                }
            })
            .await
        }
        RoleCommand::List(args) => {
            let domain = match &args.domain {
                Some(d) => Some(find_domain(&identity, d).await?),
                None => None,
            };
            let mut list = identity.roles().list();
            if let Some(domain) = &domain {
                list = list.domain_id(&domain.id);
            }
            let roles = match list.collect_all().await {
                Ok(r) => r,
                Err(e) => return Err(keystone_error(&identity, "/roles", e).await),
            };
            let rows = roles
                .iter()
                .map(|r| {
                    let mut row = vec![Cell::str(&r.id), Cell::str(&r.name)];
                    if let Some(domain) = &domain {
                        row.push(Cell::str(&domain.name));
                    }
                    row
                })
                .collect();
            let columns: &[&str] = if domain.is_some() {
                &["ID", "Name", "Domain"]
            } else {
                &["ID", "Name"]
            };
            print::list(&args.output, columns, rows)
        }
        RoleCommand::Set(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            let id = sdk_id(
                &identity,
                identity.roles().find(&args.role, domain.as_deref()),
                &args.role,
                true,
            )
            .await?;
            let mut update = identity.roles().update(&id);
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                update = update.description(d);
            }
            if let Some(n) = args.name.as_deref().filter(|n| !n.is_empty()) {
                update = update.name(n);
            }
            if let Some(options) = args.immutable.options() {
                update = update.options(options);
            }
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => Err(keystone_error(&identity, &format!("/roles/{id}"), e).await),
            }
        }
        RoleCommand::Show(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            let role = found(
                &identity,
                &args.role,
                identity.roles().find(&args.role, domain.as_deref()),
            )
            .await?;
            print::one(&args.output, role_fields(&role))
        }
        RoleCommand::Assignment {
            command: AssignmentCommand::List(args),
        } => assignments(ctx, &identity, args).await,
    }
}

/// osc's fields of a role, in its order.
fn role_fields(role: &Role) -> Vec<(&'static str, Cell)> {
    let w = wire(role);
    vec![
        ("id", Cell::str(&role.id)),
        ("name", Cell::str(&role.name)),
        ("domain_id", plain(&w, "domain_id")),
        ("description", plain(&w, "description")),
    ]
}

/// `--domain X` of a user, group or project option: the domain's id as `_find_sdk_id` finds it.
async fn domain_of(
    identity: &IdentityClient,
    domain: Option<&str>,
    validate: bool,
) -> Result<Option<String>> {
    match domain {
        Some(d) => Ok(Some(
            sdk_id(identity, identity.domains().find(d), d, validate).await?,
        )),
        None => Ok(None),
    }
}

/// `role add` (`add`) or `role remove`: the actor and target as osc resolves them.
async fn grant(identity: &IdentityClient, args: RoleGrant, add: bool) -> Result<()> {
    let s = &args.scope;
    if s.user.is_none() && s.domain.is_none() && s.group.is_none() && s.project.is_none() {
        if add {
            bail!(
                "Role not added, incorrect set of arguments provided. See openstack --help for more details"
            );
        }
        bail!("Incorrect set of arguments provided. See openstack --help for more details");
    }
    let role_domain = domain_of(identity, s.role_domain.as_deref(), true).await?;
    let role = sdk_id(
        identity,
        identity.roles().find(&args.role, role_domain.as_deref()),
        &args.role,
        true,
    )
    .await?;
    // Removing does not insist that the user, group or project still exist.
    let validate = add;
    let actor = match (&s.user, &s.group) {
        (Some(user), _) => {
            let domain = domain_of(identity, s.user_domain.as_deref(), validate).await?;
            Actor::User(
                sdk_id(
                    identity,
                    identity.users().find(user, domain.as_deref()),
                    user,
                    validate,
                )
                .await?,
            )
        }
        (None, Some(group)) => {
            let domain = domain_of(identity, s.group_domain.as_deref(), validate).await?;
            Actor::Group(
                sdk_id(
                    identity,
                    identity.groups().find(group, domain.as_deref()),
                    group,
                    validate,
                )
                .await?,
            )
        }
        (None, None) => bail!(
            "Role not added, incorrect set of arguments provided. See openstack --help for more details"
        ),
    };
    let target = match (&s.system, &s.domain, &s.project) {
        (Some(_), _, _) => Target::System,
        (None, Some(domain), _) => Target::Domain(
            sdk_id(identity, identity.domains().find(domain), domain, validate).await?,
        ),
        (None, None, Some(project)) => {
            let domain = domain_of(identity, s.project_domain.as_deref(), validate).await?;
            Target::Project(
                sdk_id(
                    identity,
                    identity.projects().find(project, domain.as_deref()),
                    project,
                    validate,
                )
                .await?,
            )
        }
        (None, None, None) => bail!(
            "Role not added, incorrect set of arguments provided. See openstack --help for more details"
        ),
    };
    let inherited = s.inherited && target != Target::System;
    if s.inherited && target == Target::System && add {
        eprintln!(
            "'--inherited' was given, which is not supported when adding a system role. This will be an error in a future release."
        );
    }
    let grant = Grant::new(role, actor, target).inherited(inherited);
    let outcome = if add {
        identity.roles().grant(&grant).await
    } else {
        identity.roles().revoke(&grant).await
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => {
            let path = ferrostack::identity::requests::grant(&grant)
                .map(|r| r.path)
                .unwrap_or_default();
            Err(keystone_error(identity, &path, e).await)
        }
    }
}

async fn assignments(ctx: &Context, identity: &IdentityClient, args: AssignmentList) -> Result<()> {
    let s = &args.scope;
    let mut list = identity.role_assignments();
    let role_domain = domain_of(identity, s.role_domain.as_deref(), true).await?;
    if let Some(role) = &args.role {
        list = list.role_id(
            sdk_id(
                identity,
                identity.roles().find(role, role_domain.as_deref()),
                role,
                true,
            )
            .await?,
        );
    }
    let user_domain = domain_of(identity, s.user_domain.as_deref(), true).await?;
    if let Some(user) = &s.user {
        list = list.user_id(
            sdk_id(
                identity,
                identity.users().find(user, user_domain.as_deref()),
                user,
                true,
            )
            .await?,
        );
    } else if args.auth_user {
        let token = identity.tokens().current().await?;
        let id = token.user.id.clone();
        list = list.user_id(sdk_id(identity, identity.users().find(&id, None), &id, true).await?);
    }
    if s.system.is_some() {
        list = list.system();
    }
    if let Some(domain) = &s.domain {
        list =
            list.domain_id(sdk_id(identity, identity.domains().find(domain), domain, true).await?);
    }
    let project_domain = domain_of(identity, s.project_domain.as_deref(), true).await?;
    if let Some(project) = &s.project {
        let project = token_project(ctx, project).await;
        list = list.project_id(
            sdk_id(
                identity,
                identity
                    .projects()
                    .find(&project, project_domain.as_deref()),
                &project,
                true,
            )
            .await?,
        );
    } else if args.auth_project {
        let token = identity.tokens().current().await?;
        let Some(id) = token.project_id().map(str::to_owned) else {
            bail!("missing auth info");
        };
        list = list
            .project_id(sdk_id(identity, identity.projects().find(&id, None), &id, true).await?);
    }
    let group_domain = domain_of(identity, s.group_domain.as_deref(), true).await?;
    if let Some(group) = &s.group {
        list = list.group_id(
            sdk_id(
                identity,
                identity.groups().find(group, group_domain.as_deref()),
                group,
                true,
            )
            .await?,
        );
    }
    if args.effective {
        list = list.effective();
    }
    if args.names {
        list = list.include_names();
    }
    if s.inherited {
        list = list.inherited();
    }
    let found = match list.collect_all().await {
        Ok(found) => found,
        Err(e) => return Err(keystone_error(identity, "/role_assignments", e).await),
    };
    let rows = found
        .iter()
        .map(|a| assignment_row(a, args.names))
        .collect();
    print::list(
        &args.output,
        &[
            "Role",
            "User",
            "Group",
            "Project",
            "Domain",
            "System",
            "Inherited",
        ],
        rows,
    )
}

/// osc's `_get_token_resource(client, 'project', name)`: the id of the token's project when
/// `name` is its name, else `name` as given.
async fn token_project(ctx: &Context, name: &str) -> String {
    let Ok(cloud) = ctx.cloud().await else {
        return name.to_owned();
    };
    match cloud.identity().tokens().current().await {
        Ok(token) => match &token.project {
            Some(p) if p.name.as_deref() == Some(name) => p.id.clone(),
            _ => name.to_owned(),
        },
        Err(_) => name.to_owned(),
    }
}

/// One row of `role assignment list`: ids, or with `--names` `name@domain`.
fn assignment_row(a: &RoleAssignment, names: bool) -> Vec<Cell> {
    let show = |r: Option<&AssignmentRef>| -> Cell {
        let Some(r) = r else {
            return Cell::str("");
        };
        if !names {
            return Cell::str(&r.id);
        }
        let name = r.name.clone().unwrap_or_default();
        match &r.domain {
            Some(d) => Cell::str(format!("{name}@{}", d.name.clone().unwrap_or_default())),
            None => Cell::str(name),
        }
    };
    let system = a
        .scope
        .system
        .as_ref()
        .is_some_and(|s| !s.is_null() && s != &serde_json::json!({}));
    vec![
        show(Some(&a.role)),
        show(a.user.as_ref()),
        show(a.group.as_ref()),
        show(a.scope.project.as_ref()),
        show(a.scope.domain.as_ref()),
        Cell::str(if system { "all" } else { "" }),
        Cell::json(a.is_inherited()),
    ]
}

/// Runs one `implied role` command.
pub async fn run_implied(ctx: &Context, command: ImpliedCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    let ImpliedCommand::Role { command } = command;
    match command {
        ImpliedRoleCommand::Create(args) => {
            let (prior, implied) = role_ids(&identity, &args).await?;
            let rule = match identity.roles().create_implied(&prior, &implied).await {
                Ok(rule) => rule,
                Err(e) => return Err(implied_error(e)),
            };
            print::one(
                &args.output,
                vec![
                    ("implies", Cell::str(&rule.implies.id)),
                    ("prior_role", Cell::str(&rule.prior_role.id)),
                ],
            )
        }
        ImpliedRoleCommand::Delete(args) => {
            let (prior, implied) = role_ids(&identity, &args).await?;
            identity
                .roles()
                .delete_implied(&prior, &implied)
                .await
                .map_err(implied_error)
        }
        ImpliedRoleCommand::List(args) => {
            let rules = identity.roles().inferences().await.map_err(implied_error)?;
            let mut rows = Vec::new();
            for rule in &rules {
                for implied in &rule.implies {
                    rows.push(vec![
                        Cell::str(&rule.prior_role.id),
                        Cell::opt(rule.prior_role.name.clone()),
                        Cell::str(&implied.id),
                        Cell::opt(implied.name.clone()),
                    ]);
                }
            }
            print::list(
                &args.output,
                &[
                    "Prior Role ID",
                    "Prior Role Name",
                    "Implied Role ID",
                    "Implied Role Name",
                ],
                rows,
            )
        }
    }
}

/// keystoneclient's words for a failed request: `MESSAGE (HTTP 404) (Request-ID: req-...)`.
fn implied_error(e: ferrostack::Error) -> anyhow::Error {
    match e.status() {
        Some(status) => {
            let mut text = format!("{} (HTTP {status})", e.message());
            if let Some(id) = e.request_id() {
                text.push_str(&format!(" (Request-ID: {id})"));
            }
            anyhow::anyhow!(text)
        }
        None => e.into(),
    }
}

/// osc's `_get_role_ids`: both roles looked for, by name or id, in one list of every role;
/// one not found is sent as `None`, as keystoneclient sends it.
async fn role_ids(identity: &IdentityClient, args: &ImpliedRoleArgs) -> Result<(String, String)> {
    let roles = identity
        .roles()
        .list()
        .collect_all()
        .await
        .map_err(implied_error)?;
    let mut prior = None;
    let mut implied = None;
    for role in &roles {
        let matches = |x: &str| role.name == x || role.id == x;
        if matches(&args.role) {
            prior = Some(role.id.clone());
        } else if matches(&args.implied_role) {
            implied = Some(role.id.clone());
        }
    }
    Ok((
        prior.unwrap_or_else(|| "None".to_owned()),
        implied.unwrap_or_else(|| "None".to_owned()),
    ))
}
