//! `fstack project create|delete|list|set|show`, as openstackclient 10.5.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::ErrorKind;
use ferrostack::identity::{IdentityClient, Project};
use serde_json::Value;

use super::domain::{EnableFlags, ImmutableFlags};
use super::{delete_each, found, keystone_error, lookup, plain, sdk_id, wire};
use crate::args::{KeyValue, ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack project ...`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create new project.
    Create(ProjectCreate),
    /// Delete project(s).
    Delete(ProjectDelete),
    /// List projects.
    List(ProjectList),
    /// Set project properties.
    Set(ProjectSet),
    /// Display project details.
    Show(ProjectShow),
}

/// `project create`.
#[derive(Debug, Args)]
pub struct ProjectCreate {
    /// New project name.
    #[arg(value_name = "project-name")]
    pub name: String,
    /// Domain owning the project (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Parent of the project (name or ID).
    #[arg(long, value_name = "project")]
    pub parent: Option<String>,
    /// Project description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    /// Add a property to <name> (repeat option to set multiple properties).
    #[arg(long = "property", value_name = "key=value")]
    pub properties: Vec<KeyValue>,
    /// Return existing project.
    #[arg(long = "or-show")]
    pub or_show: bool,
    #[command(flatten)]
    pub immutable: ImmutableFlags,
    /// Tag to be added to the project (repeat option to set multiple tags).
    #[arg(long = "tag", value_name = "tag")]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `project delete`.
#[derive(Debug, Args)]
pub struct ProjectDelete {
    /// Project(s) to delete (name or ID).
    #[arg(value_name = "project", required = true)]
    pub projects: Vec<String>,
    /// Domain owning <project> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
}

/// `project list`.
#[derive(Debug, Args)]
pub struct ProjectList {
    /// Filter projects by <domain> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Filter projects whose parent is <parent> (name or ID).
    #[arg(long, value_name = "parent")]
    pub parent: Option<String>,
    /// Filter projects by <user> (name or ID).
    #[arg(long, value_name = "user")]
    pub user: Option<String>,
    /// List projects for the authenticated user.
    #[arg(long = "my-projects")]
    pub my_projects: bool,
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    /// Sort output by selected keys and directions (asc or desc).
    #[arg(long, value_name = "key>[:<direction>")]
    pub sort: Option<String>,
    /// List only enabled projects.
    #[arg(long, conflicts_with = "disabled")]
    pub enabled: bool,
    /// List only disabled projects.
    #[arg(long)]
    pub disabled: bool,
    /// List projects which have all given tag(s) (comma-separated).
    #[arg(long, value_name = "tag[,tag,...]")]
    pub tags: Option<String>,
    /// List projects which have any given tag(s) (comma-separated).
    #[arg(long = "tags-any", value_name = "tag[,tag,...]")]
    pub tags_any: Option<String>,
    /// Exclude projects which have all given tag(s) (comma-separated).
    #[arg(long = "not-tags", value_name = "tag[,tag,...]")]
    pub not_tags: Option<String>,
    /// Exclude projects which have any given tag(s) (comma-separated).
    #[arg(long = "not-tags-any", value_name = "tag[,tag,...]")]
    pub not_tags_any: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `project set`.
#[derive(Debug, Args)]
pub struct ProjectSet {
    /// Project to modify (name or ID).
    #[arg(value_name = "project")]
    pub project: String,
    /// Set project name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Domain owning <project> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Set project description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    /// Set a property on <project> (repeat option to set multiple properties).
    #[arg(long = "property", value_name = "key=value")]
    pub properties: Vec<KeyValue>,
    #[command(flatten)]
    pub immutable: ImmutableFlags,
    /// Tag to be added to the project (repeat option to set multiple tags).
    #[arg(long = "tag", value_name = "tag")]
    pub tags: Vec<String>,
    /// Clear tags associated with the project.
    #[arg(long = "clear-tags")]
    pub clear_tags: bool,
    /// Tag to be deleted from the project (repeat option to delete multiple tags).
    #[arg(long = "remove-tag", value_name = "tag")]
    pub remove_tags: Vec<String>,
}

/// `project show`.
#[derive(Debug, Args)]
pub struct ProjectShow {
    /// Project to display (name or ID).
    #[arg(value_name = "project")]
    pub project: String,
    /// Domain owning <project> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `project` command.
pub async fn run(ctx: &Context, command: ProjectCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        ProjectCommand::Create(args) => create(&identity, args).await,
        ProjectCommand::Delete(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, false).await?),
                None => None,
            };
            delete_each(&args.projects, "project", "projects", async |name| {
                let id = sdk_id(
                    &identity,
                    identity.projects().find(name, domain.as_deref()),
                    name,
                    true,
                )
                .await?;
                match identity.projects().delete(&id).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(keystone_error(&identity, &format!("/projects/{id}"), e).await),
                }
            })
            .await
        }
        ProjectCommand::List(args) => list(ctx, &identity, args).await,
        ProjectCommand::Set(args) => set(&identity, args).await,
        ProjectCommand::Show(args) => {
            let domain = match &args.domain {
                Some(d) => Some(sdk_id(&identity, identity.domains().find(d), d, true).await?),
                None => None,
            };
            let project = found(
                &identity,
                &args.project,
                identity.projects().find(&args.project, domain.as_deref()),
            )
            .await?;
            print_project(&args.output, &project)
        }
    }
}

/// A `--property` value as osc sends it: a string, but `is_domain`'s true/false/none.
fn property_value(kv: &KeyValue) -> Value {
    if kv.key == "is_domain" {
        match kv.value.to_lowercase().as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            "none" => return Value::Null,
            _ => {}
        }
    }
    Value::String(kv.value.clone())
}

async fn create(identity: &IdentityClient, args: ProjectCreate) -> Result<()> {
    let mut create = identity.projects().create(&args.name);
    for kv in &args.properties {
        create = create.property(&kv.key, property_value(kv));
    }
    if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
        create = create.description(d);
    }
    let domain = match &args.domain {
        Some(d) => Some(sdk_id(identity, identity.domains().find(d), d, true).await?),
        None => None,
    };
    if let Some(domain) = &domain {
        create = create.domain_id(domain);
    }
    if let Some(parent) = &args.parent {
        let id = sdk_id(
            identity,
            identity.projects().find(parent, domain.as_deref()),
            parent,
            true,
        )
        .await?;
        create = create.parent_id(id);
    }
    create = create.enabled(args.enabled.value().unwrap_or(true));
    if !args.tags.is_empty() {
        let mut tags: Vec<String> = Vec::new();
        for tag in &args.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        create = create.tags(tags);
    }
    if let Some(options) = args.immutable.options() {
        create = create.options(options);
    }
    let project = match create.send().await {
        Ok(p) => p,
        Err(e) if args.or_show && e.kind() == &ErrorKind::Conflict => {
            found(
                identity,
                &args.name,
                identity.projects().find(&args.name, domain.as_deref()),
            )
            .await?
        }
        Err(e) => return Err(keystone_error(identity, "/projects", e).await),
    };
    print_project(&args.output, &project)
}

async fn list(ctx: &Context, identity: &IdentityClient, args: ProjectList) -> Result<()> {
    let mut list = identity.projects().list();
    let domain = match &args.domain {
        Some(d) => Some(sdk_id(identity, identity.domains().find(d), d, true).await?),
        None => None,
    };
    if let Some(domain) = &domain {
        list = list.domain_id(domain);
    }
    if let Some(parent) = &args.parent {
        let id = sdk_id(
            identity,
            identity.projects().find(parent, domain.as_deref()),
            parent,
            true,
        )
        .await?;
        list = list.parent_id(id);
    }
    let mut user = match &args.user {
        Some(u) => Some(
            sdk_id(
                identity,
                identity.users().find(u, domain.as_deref()),
                u,
                true,
            )
            .await?,
        ),
        None => None,
    };
    if args.enabled {
        list = list.enabled(true);
    } else if args.disabled {
        list = list.enabled(false);
    }
    for (value, set) in [
        (&args.tags, ListTag::All),
        (&args.tags_any, ListTag::Any),
        (&args.not_tags, ListTag::NotAll),
        (&args.not_tags_any, ListTag::NotAny),
    ] {
        if let Some(value) = value {
            list = set.apply(list, value);
        }
    }
    if args.my_projects {
        user = Some(current_user_id(ctx).await?);
    }
    let result = match &user {
        Some(user) => identity.projects().of_user(user).await,
        None => list.collect_all().await,
    };
    let mut projects = match result {
        Ok(p) => p,
        Err(e) if e.kind() == &ErrorKind::Forbidden && user.is_none() => {
            let me = current_user_id(ctx).await?;
            identity
                .projects()
                .of_user(&me)
                .await
                .map_err(anyhow::Error::from)?
        }
        Err(e) => return Err(keystone_error(identity, "/projects", e).await),
    };
    if let Some(sort) = &args.sort {
        sort_items(&mut projects, sort)?;
    }
    let rows = projects
        .iter()
        .map(|p| {
            let mut row = vec![Cell::str(&p.id), Cell::str(&p.name)];
            if args.long {
                row.push(Cell::opt(p.domain_id.clone()));
                row.push(Cell::opt(p.description.clone()));
                row.push(Cell::json(p.enabled));
            }
            row
        })
        .collect();
    let columns: &[&str] = if args.long {
        &["ID", "Name", "Domain ID", "Description", "Enabled"]
    } else {
        &["ID", "Name"]
    };
    print::list(&args.output, columns, rows)
}

/// A tag filter of `project list`.
#[derive(Clone, Copy)]
enum ListTag {
    All,
    Any,
    NotAll,
    NotAny,
}

impl ListTag {
    fn apply(
        self,
        list: ferrostack::identity::ListProjects,
        value: &str,
    ) -> ferrostack::identity::ListProjects {
        match self {
            ListTag::All => list.tags(value),
            ListTag::Any => list.tags_any(value),
            ListTag::NotAll => list.not_tags(value),
            ListTag::NotAny => list.not_tags_any(value),
        }
    }
}

/// The id of the user the session authenticates as.
pub async fn current_user_id(ctx: &Context) -> Result<String> {
    let cloud = ctx.cloud().await?;
    let token = cloud.identity().tokens().current().await?;
    Ok(token.user.id.clone())
}

/// osc_lib's `sort_items`: `key[:asc|desc],...`, each key a field of the item, its
/// errors worded as osc_lib's.
fn sort_items(projects: &mut [Project], sort: &str) -> Result<()> {
    for part in sort.trim().split(',').rev() {
        let (key, descending) = match part.split_once(':') {
            None => (part, false),
            Some(("", _)) => bail!("'<empty string>'' is not a valid sort key"),
            Some((key, "asc")) => (key, false),
            Some((key, "desc")) => (key, true),
            Some((key, direction)) => {
                let direction = if direction.is_empty() {
                    "<empty string>"
                } else {
                    direction
                };
                bail!(
                    "'{direction}' is not a valid sort direction for sort key {key}, use 'asc' or 'desc' instead"
                )
            }
        };
        projects.sort_by(|a, b| {
            let (a, b) = (wire(a), wire(b));
            let ordering = crate::output::python_str(a.get(key).unwrap_or(&Value::Null)).cmp(
                &crate::output::python_str(b.get(key).unwrap_or(&Value::Null)),
            );
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    Ok(())
}

async fn set(identity: &IdentityClient, args: ProjectSet) -> Result<()> {
    let domain = match &args.domain {
        Some(d) => Some(sdk_id(identity, identity.domains().find(d), d, false).await?),
        None => None,
    };
    let project = match identity
        .projects()
        .find(&args.project, domain.as_deref())
        .await
    {
        Ok(p) => Some(p),
        Err(e) if e.kind() == &ErrorKind::Lookup && e.message().starts_with("No ") => None,
        Err(e) => return Err(lookup(e)),
    };
    let id = project
        .as_ref()
        .map_or_else(|| args.project.clone(), |p| p.id.clone());
    let mut update = identity.projects().update(&id);
    if let Some(name) = args.name.as_deref().filter(|n| !n.is_empty()) {
        update = update.name(name);
    }
    if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
        update = update.description(d);
    }
    if let Some(enabled) = args.enabled.value() {
        update = update.enabled(enabled);
    }
    if let Some(options) = args.immutable.options() {
        update = update.options(options);
    }
    for kv in &args.properties {
        update = update.property(&kv.key, Value::String(kv.value.clone()));
    }
    if !args.tags.is_empty() || !args.remove_tags.is_empty() || args.clear_tags {
        let existing: std::collections::BTreeSet<String> = project
            .as_ref()
            .map(|p| p.tags.iter().cloned().collect())
            .unwrap_or_default();
        let tags: Vec<String> = if args.clear_tags {
            Vec::new()
        } else if !args.tags.is_empty() {
            existing
                .into_iter()
                .chain(args.tags.iter().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        } else {
            existing
                .into_iter()
                .filter(|t| !args.remove_tags.contains(t))
                .collect()
        };
        update = update.tags(tags);
    }
    match update.send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(keystone_error(identity, &format!("/projects/{id}"), e).await),
    }
}

/// osc's fields of a project: openstacksdk's attributes and the custom properties Keystone
/// sent, sorted, `is_enabled` shown as `enabled`, `links` hidden.
pub fn project_fields(project: &Project) -> Vec<(String, Cell)> {
    let w = wire(project);
    let mut names: std::collections::BTreeSet<String> = [
        "description",
        "domain_id",
        "enabled",
        "id",
        "is_domain",
        "name",
        "options",
        "parent_id",
        "tags",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    names.extend(w.keys().filter(|k| *k != "links").cloned());
    names
        .into_iter()
        .map(|name| {
            let cell = plain(&w, &name);
            (name, cell)
        })
        .collect()
}

/// Prints a project as osc's `show` does.
fn print_project(out: &crate::args::ShowOutput, project: &Project) -> Result<()> {
    let fields = project_fields(project);
    print::one(
        out,
        fields
            .iter()
            .map(|(name, cell)| (name.as_str(), cell.clone()))
            .collect(),
    )
}
