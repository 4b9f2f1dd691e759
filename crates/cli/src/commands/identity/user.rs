//! `fstack user create|delete|list|set|show`, as openstackclient 10.5.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use ferrostack::identity::{IdentityClient, User};
use ferrostack::{ErrorKind, Secret};

use super::domain::EnableFlags;
use super::{delete_each, find_domain, found, keystone_error, lookup, plain, wire};
use crate::args::{ListOutput, ShowOutput, secret};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create new user.
    Create(UserCreate),
    /// Delete user(s).
    Delete(UserDelete),
    /// List users.
    List(UserList),
    /// Set user properties.
    Set(UserSet),
    /// Display user details.
    Show(UserShow),
}

/// What `user create` and `user set` share.
#[derive(Debug, Args)]
pub struct UserFields {
    /// Default project (name or ID).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Set user password.
    #[arg(long, value_name = "password", value_parser = secret)]
    pub password: Option<Secret>,
    /// Prompt interactively for password.
    #[arg(long = "password-prompt")]
    pub password_prompt: bool,
    /// Set user email address.
    #[arg(long, value_name = "email-address")]
    pub email: Option<String>,
    /// User description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// Do not lock out the user after failed attempts.
    #[arg(long = "ignore-lockout-failure-attempts")]
    pub ignore_lockout_failure_attempts: bool,
    /// Lock out the user after failed attempts.
    #[arg(long = "no-ignore-lockout-failure-attempts")]
    pub no_ignore_lockout_failure_attempts: bool,
    /// Let the password never expire.
    #[arg(long = "ignore-password-expiry")]
    pub ignore_password_expiry: bool,
    /// Let the password expire.
    #[arg(long = "no-ignore-password-expiry")]
    pub no_ignore_password_expiry: bool,
    /// Do not ask for a new password on first use.
    #[arg(long = "ignore-change-password-upon-first-use")]
    pub ignore_change_password_upon_first_use: bool,
    /// Ask for a new password on first use.
    #[arg(long = "no-ignore-change-password-upon-first-use")]
    pub no_ignore_change_password_upon_first_use: bool,
    /// Do not let the user change their password.
    #[arg(long = "enable-lock-password")]
    pub enable_lock_password: bool,
    /// Let the user change their password.
    #[arg(long = "disable-lock-password")]
    pub disable_lock_password: bool,
    /// Require multi-factor authentication.
    #[arg(long = "enable-multi-factor-auth")]
    pub enable_multi_factor_auth: bool,
    /// Do not require multi-factor authentication.
    #[arg(long = "disable-multi-factor-auth")]
    pub disable_multi_factor_auth: bool,
    /// A multi-factor authentication rule (comma-separated methods; repeatable).
    #[arg(long = "multi-factor-auth-rule", value_name = "rule")]
    pub multi_factor_auth_rules: Vec<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
}

impl UserFields {
    /// osc's `_get_options_for_user`.
    fn options(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut options = serde_json::Map::new();
        let pairs = [
            (
                "ignore_lockout_failure_attempts",
                self.ignore_lockout_failure_attempts,
                self.no_ignore_lockout_failure_attempts,
            ),
            (
                "ignore_password_expiry",
                self.ignore_password_expiry,
                self.no_ignore_password_expiry,
            ),
            (
                "ignore_change_password_upon_first_use",
                self.ignore_change_password_upon_first_use,
                self.no_ignore_change_password_upon_first_use,
            ),
            (
                "lock_password",
                self.enable_lock_password,
                self.disable_lock_password,
            ),
            (
                "multi_factor_auth_enabled",
                self.enable_multi_factor_auth,
                self.disable_multi_factor_auth,
            ),
        ];
        for (key, on, off) in pairs {
            if on {
                options.insert(key.to_owned(), true.into());
            }
            if off {
                options.insert(key.to_owned(), false.into());
            }
        }
        if !self.multi_factor_auth_rules.is_empty() {
            let rules: Vec<Vec<String>> = self
                .multi_factor_auth_rules
                .iter()
                .map(|r| r.split(',').map(str::to_owned).collect())
                .collect();
            options.insert(
                "multi_factor_auth_rules".to_owned(),
                serde_json::json!(rules),
            );
        }
        options
    }

    /// `--password`, or `--password-prompt`'s answer.
    fn password(&self) -> Result<Option<Secret>> {
        if let Some(p) = &self.password {
            return Ok(Some(p.clone()));
        }
        if self.password_prompt {
            return prompt_password().map(Some);
        }
        Ok(None)
    }
}

/// osc_lib's `get_password`: twice, without echo, on a terminal only.
fn prompt_password() -> Result<Secret> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("No terminal detected attempting to read password");
    }
    let read = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        let old = rustix::termios::tcgetattr(&stdin)?;
        let mut quiet = old.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet)?;
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &old)?;
        eprintln!();
        read?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = read("User Password:")?;
    let second = read("Repeat User Password:")?;
    if first != second {
        bail!("The passwords entered were not the same");
    }
    Ok(Secret::new(first))
}

const NO_PASSWORD: &str =
    "No password was supplied, authentication will fail when a user does not have a password.";

/// `user create`.
#[derive(Debug, Args)]
pub struct UserCreate {
    /// New user name.
    #[arg(value_name = "name")]
    pub name: String,
    /// Default domain (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub fields: UserFields,
    /// Return existing user.
    #[arg(long = "or-show")]
    pub or_show: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `user delete`.
#[derive(Debug, Args)]
pub struct UserDelete {
    /// User(s) to delete (name or ID).
    #[arg(value_name = "user", required = true)]
    pub users: Vec<String>,
    /// Domain owning <user> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
}

/// `user list`.
#[derive(Debug, Args)]
pub struct UserList {
    /// Filter users by <domain> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    /// Filter users by <group> membership (name or ID).
    #[arg(long, value_name = "group", conflicts_with = "project")]
    pub group: Option<String>,
    /// Filter users by <project> (name or ID).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    /// List only enabled users.
    #[arg(long, conflicts_with = "disabled")]
    pub enabled: bool,
    /// List only disabled users.
    #[arg(long)]
    pub disabled: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `user set`.
#[derive(Debug, Args)]
pub struct UserSet {
    /// User to modify (name or ID).
    #[arg(value_name = "user")]
    pub user: String,
    /// Set user name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Domain the user belongs to (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub fields: UserFields,
}

/// `user show`.
#[derive(Debug, Args)]
pub struct UserShow {
    /// User to display (name or ID).
    #[arg(value_name = "user")]
    pub user: String,
    /// Domain owning <user> (name or ID).
    #[arg(long, value_name = "domain")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `user` command.
pub async fn run(ctx: &Context, command: UserCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        UserCommand::Create(args) => create(&identity, args).await,
        UserCommand::Delete(args) => {
            let domain = match &args.domain {
                Some(d) => identity.domains().find(d).await.ok().map(|d| d.id),
                None => None,
            };
            delete_each(&args.users, "user", "users", async |name| {
                let user = found(
                    &identity,
                    name,
                    identity.users().find(name, domain.as_deref()),
                )
                .await?;
                match identity.users().delete(&user.id).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        Err(keystone_error(&identity, &format!("/users/{}", user.id), e).await)
                    }
                }
            })
            .await
        }
        UserCommand::List(args) => list(&identity, args).await,
        UserCommand::Set(args) => set(&identity, args).await,
        UserCommand::Show(args) => {
            let domain = match &args.domain {
                Some(d) => identity.domains().find(d).await.ok().map(|d| d.id),
                None => None,
            };
            let user = found(
                &identity,
                &args.user,
                identity.users().find(&args.user, domain.as_deref()),
            )
            .await?;
            print::one(&args.output, user_fields(&user))
        }
    }
}

/// `--project [--project-domain]` as osc's user commands find it.
async fn default_project(identity: &IdentityClient, fields: &UserFields) -> Result<Option<String>> {
    let Some(project) = &fields.project else {
        return Ok(None);
    };
    let domain = match &fields.project_domain {
        Some(d) => Some(find_domain(identity, d).await?.id),
        None => None,
    };
    let project = found(
        identity,
        project,
        identity.projects().find(project, domain.as_deref()),
    )
    .await?;
    Ok(Some(project.id))
}

async fn create(identity: &IdentityClient, args: UserCreate) -> Result<()> {
    let domain = match &args.domain {
        Some(d) => Some(find_domain(identity, d).await?.id),
        None => None,
    };
    let mut create = identity.users().create(&args.name);
    if let Some(domain) = &domain {
        create = create.domain_id(domain);
    }
    if let Some(project) = default_project(identity, &args.fields).await? {
        create = create.default_project_id(project);
    }
    let f = &args.fields;
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        create = create.description(d);
    }
    if let Some(e) = f.email.as_deref().filter(|e| !e.is_empty()) {
        create = create.email(e);
    }
    create = create.enabled(!f.enabled.disable);
    match f.password()? {
        Some(p) if !p.is_empty() => create = create.password(p),
        _ => eprintln!("{NO_PASSWORD}"),
    }
    let options = f.options();
    if !options.is_empty() {
        create = create.options(options);
    }
    let user = match create.send().await {
        Ok(u) => u,
        Err(e) if args.or_show && e.kind() == &ErrorKind::Conflict => {
            found(
                identity,
                &args.name,
                identity.users().find(&args.name, domain.as_deref()),
            )
            .await?
        }
        Err(e) => return Err(keystone_error(identity, "/users", e).await),
    };
    print::one(&args.output, user_fields(&user))
}

async fn list(identity: &IdentityClient, args: UserList) -> Result<()> {
    let domain = match &args.domain {
        Some(d) => Some(find_domain(identity, d).await?.id),
        None => None,
    };
    let users: Vec<User> = if let Some(project) = &args.project {
        let project = found(
            identity,
            project,
            identity.projects().find(project, domain.as_deref()),
        )
        .await?;
        let assignments = identity
            .role_assignments()
            .project_id(&project.id)
            .collect_all()
            .await
            .map_err(anyhow::Error::from)?;
        let ids: BTreeSet<String> = assignments
            .into_iter()
            .filter_map(|a| a.user.map(|u| u.id))
            .collect();
        let mut users = Vec::new();
        for id in ids {
            users.push(identity.users().get(&id).await.map_err(lookup)?);
        }
        users
    } else if let Some(group) = &args.group {
        let group = found(
            identity,
            group,
            identity.groups().find(group, args.domain.as_deref()),
        )
        .await?;
        identity
            .groups()
            .users(&group.id)
            .await
            .map_err(anyhow::Error::from)?
    } else {
        let mut list = identity.users().list();
        if let Some(domain) = &domain {
            list = list.domain_id(domain);
        }
        if args.enabled {
            list = list.enabled(true);
        } else if args.disabled {
            list = list.enabled(false);
        }
        match list.collect_all().await {
            Ok(u) => u,
            Err(e) => return Err(keystone_error(identity, "/users", e).await),
        }
    };
    let rows = users
        .iter()
        .map(|u| {
            let mut row = vec![Cell::str(&u.id), Cell::str(&u.name)];
            if args.long {
                row.extend([
                    Cell::opt(u.default_project_id.clone()),
                    Cell::opt(u.domain_id.clone()),
                    Cell::opt(u.description.clone()),
                    Cell::opt(u.email.clone()),
                    Cell::json(u.enabled),
                ]);
            }
            row
        })
        .collect();
    let columns: &[&str] = if args.long {
        &[
            "ID",
            "Name",
            "Project",
            "Domain",
            "Description",
            "Email",
            "Enabled",
        ]
    } else {
        &["ID", "Name"]
    };
    print::list(&args.output, columns, rows)
}

async fn set(identity: &IdentityClient, args: UserSet) -> Result<()> {
    let f = &args.fields;
    let password = f.password()?;
    if password.as_ref().is_some_and(Secret::is_empty) {
        eprintln!("{NO_PASSWORD}");
    }
    let domain = match &args.domain {
        Some(d) => Some(find_domain(identity, d).await?.id),
        None => None,
    };
    let user = found(
        identity,
        &args.user,
        identity.users().find(&args.user, domain.as_deref()),
    )
    .await?;
    let mut update = identity.users().update(&user.id);
    if let Some(name) = args.name.as_deref().filter(|n| !n.is_empty()) {
        update = update.name(name);
    }
    if let Some(e) = f.email.as_deref().filter(|e| !e.is_empty()) {
        update = update.email(e);
    }
    if let Some(p) = password.filter(|p| !p.is_empty()) {
        update = update.password(p);
    }
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        update = update.description(d);
    }
    if let Some(project) = default_project(identity, f).await? {
        update = update.default_project_id(project);
    }
    update = update.enabled(f.enabled.value().unwrap_or(user.enabled));
    let options = f.options();
    if !options.is_empty() {
        update = update.options(options);
    }
    match update.send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(keystone_error(identity, &format!("/users/{}", user.id), e).await),
    }
}

/// osc's fields of a user, in its order.
pub fn user_fields(user: &User) -> Vec<(&'static str, Cell)> {
    let w = wire(user);
    vec![
        ("default_project_id", plain(&w, "default_project_id")),
        ("domain_id", plain(&w, "domain_id")),
        ("email", plain(&w, "email")),
        ("enabled", Cell::json(user.enabled)),
        ("id", Cell::str(&user.id)),
        ("name", Cell::str(&user.name)),
        ("description", plain(&w, "description")),
        ("password_expires_at", plain(&w, "password_expires_at")),
        ("options", plain(&w, "options")),
    ]
}
