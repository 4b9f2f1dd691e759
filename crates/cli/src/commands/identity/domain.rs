//! `fstack domain create|delete|list|set|show`, as openstackclient 10.5.

use anyhow::Result;
use clap::{Args, Subcommand};
use ferrostack::ErrorKind;
use ferrostack::identity::Domain;

use super::{delete_each, find_domain, keystone_error, wire};
use crate::args::{ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack domain ...`.
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Create new domain.
    Create(DomainCreate),
    /// Delete domain(s).
    Delete(DomainDelete),
    /// List domains.
    List(DomainList),
    /// Set domain properties.
    Set(DomainSet),
    /// Display domain details.
    Show(DomainShow),
}

/// `--enable` / `--disable`, neither by default.
#[derive(Debug, Args, Clone, Copy)]
pub struct EnableFlags {
    /// Enable.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable.
    #[arg(long)]
    pub disable: bool,
}

impl EnableFlags {
    /// What the flags ask for, if anything.
    pub fn value(self) -> Option<bool> {
        match (self.enable, self.disable) {
            (_, true) => Some(false),
            (true, _) => Some(true),
            _ => None,
        }
    }
}

/// `--immutable` / `--no-immutable`.
#[derive(Debug, Args, Clone, Copy)]
pub struct ImmutableFlags {
    /// Make resource immutable.
    #[arg(long, conflicts_with = "no_immutable")]
    pub immutable: bool,
    /// Make resource mutable (default).
    #[arg(long = "no-immutable")]
    pub no_immutable: bool,
}

impl ImmutableFlags {
    /// `{"immutable": ...}` when a flag was given.
    pub fn options(self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let value = match (self.immutable, self.no_immutable) {
            (true, _) => true,
            (_, true) => false,
            _ => return None,
        };
        let mut options = serde_json::Map::new();
        options.insert("immutable".to_owned(), value.into());
        Some(options)
    }
}

/// `domain create`.
#[derive(Debug, Args)]
pub struct DomainCreate {
    /// New domain name.
    #[arg(value_name = "domain-name")]
    pub name: String,
    /// New domain description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    /// Return existing domain.
    #[arg(long = "or-show")]
    pub or_show: bool,
    #[command(flatten)]
    pub immutable: ImmutableFlags,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `domain delete`.
#[derive(Debug, Args)]
pub struct DomainDelete {
    /// Domain(s) to delete (name or ID).
    #[arg(value_name = "domain", required = true)]
    pub domains: Vec<String>,
}

/// `domain list`.
#[derive(Debug, Args)]
pub struct DomainList {
    /// The domain name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// The domains that are enabled will be returned.
    #[arg(long)]
    pub enabled: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `domain set`.
#[derive(Debug, Args)]
pub struct DomainSet {
    /// Domain to modify (name or ID).
    #[arg(value_name = "domain")]
    pub domain: String,
    /// New domain name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// New domain description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    #[command(flatten)]
    pub immutable: ImmutableFlags,
}

/// `domain show`.
#[derive(Debug, Args)]
pub struct DomainShow {
    /// Domain to display (name or ID).
    #[arg(value_name = "domain")]
    pub domain: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `domain` command.
pub async fn run(ctx: &Context, command: DomainCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        DomainCommand::Create(args) => {
            let mut create = identity
                .domains()
                .create(&args.name)
                .enabled(args.enabled.value().unwrap_or(true));
            if let Some(d) = &args.description {
                create = create.description(d);
            }
            create = create.options(args.immutable.options().unwrap_or_default());
            let domain = match create.send().await {
                Ok(d) => d,
                Err(e) if args.or_show && e.kind() == &ErrorKind::Conflict => {
                    find_domain(&identity, &args.name).await?
                }
                Err(e) => return Err(keystone_error(&identity, "/domains", e).await),
            };
            print::one(&args.output, domain_fields(&domain))
        }
        DomainCommand::Delete(args) => {
            delete_each(&args.domains, "domain", "domains", async |name| {
                let domain = find_domain(&identity, name).await?;
                match identity.domains().delete(&domain.id).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        Err(keystone_error(&identity, &format!("/domains/{}", domain.id), e).await)
                    }
                }
            })
            .await
        }
        DomainCommand::List(args) => {
            let mut list = identity.domains().list();
            if let Some(name) = &args.name {
                list = list.name(name);
            }
            if args.enabled {
                list = list.enabled(true);
            }
            let domains = match list.collect_all().await {
                Ok(d) => d,
                Err(e) => return Err(keystone_error(&identity, "/domains", e).await),
            };
            let rows = domains
                .iter()
                .map(|d| {
                    vec![
                        Cell::str(&d.id),
                        Cell::str(&d.name),
                        Cell::json(d.enabled),
                        Cell::opt(d.description.clone()),
                    ]
                })
                .collect();
            print::list(
                &args.output,
                &["ID", "Name", "Enabled", "Description"],
                rows,
            )
        }
        DomainCommand::Set(args) => {
            let domain = find_domain(&identity, &args.domain).await?;
            let mut update = identity.domains().update(&domain.id);
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
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    Err(keystone_error(&identity, &format!("/domains/{}", domain.id), e).await)
                }
            }
        }
        DomainCommand::Show(args) => {
            let domain = find_domain(&identity, &args.domain).await?;
            print::one(&args.output, domain_fields(&domain))
        }
    }
}

/// osc's fields of a domain, in its order.
fn domain_fields(domain: &Domain) -> Vec<(&'static str, Cell)> {
    let w = wire(domain);
    vec![
        ("id", Cell::str(&domain.id)),
        ("name", Cell::str(&domain.name)),
        ("enabled", Cell::json(domain.enabled)),
        ("description", Cell::opt(domain.description.clone())),
        ("options", super::plain(&w, "options")),
    ]
}
