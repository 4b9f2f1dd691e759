//! `fstack region|service|endpoint create|delete|list|set|show`, as openstackclient 10.5.

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ferrostack::ErrorKind;
use ferrostack::identity::{Endpoint, IdentityClient, Region, Service};

use super::domain::EnableFlags;
use super::{found, get_error, keystone_error, lookup, plain, wire};
use crate::args::{ListOutput, ShowOutput};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `fstack region ...`.
#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// Create new region.
    Create(RegionCreate),
    /// Delete region(s).
    Delete(RegionDelete),
    /// List regions.
    List(RegionList),
    /// Set region properties.
    Set(RegionSet),
    /// Display region details.
    Show(RegionShow),
}

/// `region create`.
#[derive(Debug, Args)]
pub struct RegionCreate {
    /// New region ID.
    #[arg(value_name = "region-id")]
    pub region: String,
    /// Parent region ID.
    #[arg(long = "parent-region", value_name = "region-id")]
    pub parent_region: Option<String>,
    /// New region description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `region delete`.
#[derive(Debug, Args)]
pub struct RegionDelete {
    /// Region ID(s) to delete.
    #[arg(value_name = "region-id", required = true)]
    pub regions: Vec<String>,
}

/// `region list`.
#[derive(Debug, Args)]
pub struct RegionList {
    /// Filter by parent region ID.
    #[arg(long = "parent-region", value_name = "region-id")]
    pub parent_region: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `region set`.
#[derive(Debug, Args)]
pub struct RegionSet {
    /// Region to modify.
    #[arg(value_name = "region-id")]
    pub region: String,
    /// New parent region ID.
    #[arg(long = "parent-region", value_name = "region-id")]
    pub parent_region: Option<String>,
    /// New region description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
}

/// `region show`.
#[derive(Debug, Args)]
pub struct RegionShow {
    /// Region to display.
    #[arg(value_name = "region-id")]
    pub region: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// Runs one `region` command.
pub async fn run_region(ctx: &Context, command: RegionCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        RegionCommand::Create(args) => {
            let mut create = identity.regions().create(&args.region);
            if let Some(p) = &args.parent_region {
                create = create.parent_region_id(p);
            }
            if let Some(d) = &args.description {
                create = create.description(d);
            }
            let region = match create.send().await {
                Ok(r) => r,
                Err(e) => return Err(keystone_error(&identity, "/regions", e).await),
            };
            print::one(&args.output, region_fields(&region))
        }
        RegionCommand::Delete(args) => {
            let mut failed = 0;
            for id in &args.regions {
                if let Err(e) = identity.regions().delete(id).await {
                    let e = keystone_error(&identity, &format!("/regions/{id}"), e).await;
                    eprintln!("Failed to delete region with ID '{id}': {e:#}");
                    failed += 1;
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} regions failed to delete.",
                    args.regions.len()
                );
            }
            Ok(())
        }
        RegionCommand::List(args) => {
            let mut list = identity.regions().list();
            if let Some(p) = &args.parent_region {
                list = list.parent_region_id(p);
            }
            let regions = match list.collect_all().await {
                Ok(r) => r,
                Err(e) => return Err(keystone_error(&identity, "/regions", e).await),
            };
            let rows = regions
                .iter()
                .map(|r| {
                    vec![
                        Cell::str(&r.id),
                        Cell::opt(r.parent_region_id.clone()),
                        Cell::opt(r.description.clone()),
                    ]
                })
                .collect();
            print::list(
                &args.output,
                &["Region", "Parent Region", "Description"],
                rows,
            )
        }
        RegionCommand::Set(args) => {
            let mut update = identity.regions().update(&args.region);
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                update = update.description(d);
            }
            if let Some(p) = args.parent_region.as_deref().filter(|p| !p.is_empty()) {
                update = update.parent_region_id(p);
            }
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    Err(keystone_error(&identity, &format!("/regions/{}", args.region), e).await)
                }
            }
        }
        RegionCommand::Show(args) => {
            let region = get_region(&identity, &args.region).await?;
            print::one(&args.output, region_fields(&region))
        }
    }
}

fn region_fields(region: &Region) -> Vec<(&'static str, Cell)> {
    let w = wire(region);
    vec![
        ("region", Cell::str(&region.id)),
        ("description", plain(&w, "description")),
        ("parent_region", plain(&w, "parent_region_id")),
    ]
}

/// `fstack service ...`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create new service.
    Create(ServiceCreate),
    /// Delete service(s).
    Delete(ServiceDelete),
    /// List services.
    List(ServiceList),
    /// Set service properties.
    Set(ServiceSet),
    /// Display service details.
    Show(ServiceShow),
}

/// `service create`.
#[derive(Debug, Args)]
pub struct ServiceCreate {
    /// New service type (compute, image, identity, volume, etc).
    #[arg(value_name = "type")]
    pub service_type: String,
    /// New service name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// New service description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `service delete`.
#[derive(Debug, Args)]
pub struct ServiceDelete {
    /// Service(s) to delete (type, name or ID).
    #[arg(value_name = "service", required = true)]
    pub services: Vec<String>,
}

/// `service list`.
#[derive(Debug, Args)]
pub struct ServiceList {
    /// List additional fields in output.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `service set`.
#[derive(Debug, Args)]
pub struct ServiceSet {
    /// Service to modify (type, name or ID).
    #[arg(value_name = "service")]
    pub service: String,
    /// New service type (compute, image, identity, volume, etc).
    #[arg(long = "type", value_name = "type")]
    pub service_type: Option<String>,
    /// New service name.
    #[arg(long, value_name = "service-name")]
    pub name: Option<String>,
    /// New service description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
}

/// `service show`.
#[derive(Debug, Args)]
pub struct ServiceShow {
    /// Service to display (type, name or ID).
    #[arg(value_name = "service")]
    pub service: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// osc's `find_service_sdk`: by id, then name, then type.
async fn find_service(identity: &IdentityClient, name_type_or_id: &str) -> Result<Service> {
    match identity.services().find(name_type_or_id).await {
        Ok(s) => return Ok(s),
        Err(e) if e.kind() == &ErrorKind::Lookup && e.message().starts_with("No ") => {}
        Err(e) => return Err(lookup(e)),
    }
    let found = identity
        .services()
        .list()
        .service_type(name_type_or_id)
        .collect_all()
        .await?;
    match found.len() {
        0 => bail!("No service with a type, name or ID of '{name_type_or_id}' exists."),
        1 => Ok(found.into_iter().next().expect("one")),
        _ => bail!(
            "Multiple service matches found for '{name_type_or_id}', use an ID to be more specific."
        ),
    }
}

/// Runs one `service` command.
pub async fn run_service(ctx: &Context, command: ServiceCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        ServiceCommand::Create(args) => {
            let mut create = identity
                .services()
                .create(&args.service_type)
                .enabled(args.enabled.value().unwrap_or(true));
            if let Some(n) = &args.name {
                create = create.name(n);
            }
            if let Some(d) = &args.description {
                create = create.description(d);
            }
            let service = match create.send().await {
                Ok(s) => s,
                Err(e) => return Err(keystone_error(&identity, "/services", e).await),
            };
            print::one(&args.output, service_fields(&service))
        }
        ServiceCommand::Delete(args) => {
            let mut failed = 0;
            for name in &args.services {
                let outcome = async {
                    let service = find_service(&identity, name).await?;
                    match identity.services().delete(&service.id).await {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            Err(
                                keystone_error(&identity, &format!("/services/{}", service.id), e)
                                    .await,
                            )
                        }
                    }
                }
                .await;
                if let Err(e) = outcome {
                    failed += 1;
                    eprintln!("Failed to delete consumer with type, name or ID '{name}': {e:#}");
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} services failed to delete.",
                    args.services.len()
                );
            }
            Ok(())
        }
        ServiceCommand::List(args) => {
            let services = match identity.services().list().collect_all().await {
                Ok(s) => s,
                Err(e) => return Err(keystone_error(&identity, "/services", e).await),
            };
            let rows = services
                .iter()
                .map(|s| {
                    let mut row = vec![
                        Cell::str(&s.id),
                        Cell::opt(s.name.clone()),
                        Cell::str(&s.service_type),
                    ];
                    if args.long {
                        row.push(Cell::opt(s.description.clone()));
                        row.push(Cell::json(s.enabled));
                    }
                    row
                })
                .collect();
            let columns: &[&str] = if args.long {
                &["ID", "Name", "Type", "Description", "Enabled"]
            } else {
                &["ID", "Name", "Type"]
            };
            print::list(&args.output, columns, rows)
        }
        ServiceCommand::Set(args) => {
            let service = find_service(&identity, &args.service).await?;
            let mut update = identity.services().update(&service.id);
            if let Some(t) = args.service_type.as_deref().filter(|t| !t.is_empty()) {
                update = update.service_type(t);
            }
            if let Some(n) = args.name.as_deref().filter(|n| !n.is_empty()) {
                update = update.name(n);
            }
            if let Some(d) = args.description.as_deref().filter(|d| !d.is_empty()) {
                update = update.description(d);
            }
            if let Some(enabled) = args.enabled.value() {
                update = update.enabled(enabled);
            }
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    Err(keystone_error(&identity, &format!("/services/{}", service.id), e).await)
                }
            }
        }
        ServiceCommand::Show(args) => {
            let service = find_service(&identity, &args.service).await?;
            print::one(&args.output, service_fields(&service))
        }
    }
}

fn service_fields(service: &Service) -> Vec<(&'static str, Cell)> {
    let w = wire(service);
    vec![
        ("id", Cell::str(&service.id)),
        ("name", plain(&w, "name")),
        ("type", Cell::str(&service.service_type)),
        ("enabled", Cell::json(service.enabled)),
        ("description", plain(&w, "description")),
    ]
}

/// `fstack endpoint ...`.
#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Create new endpoint.
    Create(EndpointCreate),
    /// Delete endpoint(s).
    Delete(EndpointDelete),
    /// List endpoints.
    List(EndpointList),
    /// Set endpoint properties.
    Set(EndpointSet),
    /// Display endpoint details.
    Show(EndpointShow),
}

/// An endpoint's interface.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Interface {
    /// admin.
    Admin,
    /// public.
    Public,
    /// internal.
    Internal,
}

impl Interface {
    fn as_str(self) -> &'static str {
        match self {
            Interface::Admin => "admin",
            Interface::Public => "public",
            Interface::Internal => "internal",
        }
    }
}

/// `endpoint create`.
#[derive(Debug, Args)]
pub struct EndpointCreate {
    /// Service to be associated with new endpoint (name or ID).
    #[arg(value_name = "service")]
    pub service: String,
    /// New endpoint interface type (admin, public or internal).
    #[arg(value_name = "interface", value_enum)]
    pub interface: Interface,
    /// New endpoint URL.
    #[arg(value_name = "url")]
    pub url: String,
    /// New endpoint region ID.
    #[arg(long, value_name = "region-id")]
    pub region: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `endpoint delete`.
#[derive(Debug, Args)]
pub struct EndpointDelete {
    /// Endpoint(s) to delete (ID only).
    #[arg(value_name = "endpoint-id", required = true)]
    pub endpoints: Vec<String>,
}

/// `endpoint list`.
#[derive(Debug, Args)]
pub struct EndpointList {
    /// Filter by service (type, name or ID).
    #[arg(long, value_name = "service")]
    pub service: Option<String>,
    /// Filter by interface type (admin, public or internal).
    #[arg(long, value_name = "interface", value_enum)]
    pub interface: Option<Interface>,
    /// Filter by region ID.
    #[arg(long, value_name = "region-id")]
    pub region: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `endpoint set`.
#[derive(Debug, Args)]
pub struct EndpointSet {
    /// Endpoint to modify (ID only).
    #[arg(value_name = "endpoint-id")]
    pub endpoint: String,
    /// New endpoint region ID.
    #[arg(long, value_name = "region-id")]
    pub region: Option<String>,
    /// New endpoint interface type (admin, public or internal).
    #[arg(long, value_name = "interface", value_enum)]
    pub interface: Option<Interface>,
    /// New endpoint URL.
    #[arg(long, value_name = "url")]
    pub url: Option<String>,
    /// New endpoint service (name or ID).
    #[arg(long, value_name = "service")]
    pub service: Option<String>,
    #[command(flatten)]
    pub enabled: EnableFlags,
}

/// `endpoint show`.
#[derive(Debug, Args)]
pub struct EndpointShow {
    /// Endpoint to display (endpoint ID, service ID, service name, service type).
    #[arg(value_name = "endpoint")]
    pub endpoint: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

async fn get_region(identity: &IdentityClient, id: &str) -> Result<Region> {
    match identity.regions().get(id).await {
        Ok(r) => Ok(r),
        Err(e) => Err(get_error(identity, "Region", &format!("/regions/{id}"), id, e).await),
    }
}

/// openstacksdk's `find_endpoint(id, ignore_missing=False)`: endpoints have no name.
async fn find_endpoint(identity: &IdentityClient, id: &str) -> Result<Endpoint> {
    match identity.endpoints().get(id).await {
        Ok(e) => Ok(e),
        Err(e) if e.is_not_found() => bail!("No Endpoint found for {id}"),
        Err(e) => Err(keystone_error(identity, &format!("/endpoints/{id}"), e).await),
    }
}

/// Runs one `endpoint` command.
pub async fn run_endpoint(ctx: &Context, command: EndpointCommand) -> Result<()> {
    let identity = ctx.cloud().await?.identity();
    match command {
        EndpointCommand::Create(args) => {
            let service = find_service(&identity, &args.service).await?;
            let mut create = identity
                .endpoints()
                .create(&service.id, args.interface.as_str(), &args.url)
                .enabled(args.enabled.value().unwrap_or(true));
            if let Some(region) = &args.region {
                create = create.region_id(get_region(&identity, region).await?.id);
            }
            let endpoint = match create.send().await {
                Ok(e) => e,
                Err(e) => return Err(keystone_error(&identity, "/endpoints", e).await),
            };
            print::one(&args.output, endpoint_fields(&endpoint, &service))
        }
        EndpointCommand::Delete(args) => {
            let mut failed = 0;
            for id in &args.endpoints {
                let outcome = async {
                    let endpoint = find_endpoint(&identity, id).await?;
                    match identity.endpoints().delete(&endpoint.id).await {
                        Ok(()) => Ok(()),
                        Err(e) => Err(keystone_error(
                            &identity,
                            &format!("/endpoints/{}", endpoint.id),
                            e,
                        )
                        .await),
                    }
                }
                .await;
                if let Err(e) = outcome {
                    failed += 1;
                    eprintln!("Failed to delete endpoint with ID '{id}': {e:#}");
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} endpoints failed to delete.",
                    args.endpoints.len()
                );
            }
            Ok(())
        }
        EndpointCommand::List(args) => {
            let mut list = identity.endpoints().list();
            if let Some(s) = &args.service {
                list = list.service_id(find_service(&identity, s).await?.id);
            }
            if let Some(i) = args.interface {
                list = list.interface(i.as_str());
            }
            if let Some(r) = &args.region {
                list = list.region_id(get_region(&identity, r).await?.id);
            }
            let endpoints = match list.collect_all().await {
                Ok(e) => e,
                Err(e) => return Err(keystone_error(&identity, "/endpoints", e).await),
            };
            let mut rows = Vec::new();
            for ep in &endpoints {
                let service = found(
                    &identity,
                    &ep.service_id,
                    identity.services().find(&ep.service_id),
                )
                .await?;
                rows.push(vec![
                    Cell::str(&ep.id),
                    Cell::opt(ep.region_id.clone()),
                    Cell::str(service.name.clone().unwrap_or_default()),
                    Cell::str(&service.service_type),
                    Cell::json(ep.enabled),
                    Cell::str(&ep.interface),
                    Cell::str(&ep.url),
                ]);
            }
            print::list(
                &args.output,
                &[
                    "ID",
                    "Region",
                    "Service Name",
                    "Service Type",
                    "Enabled",
                    "Interface",
                    "URL",
                ],
                rows,
            )
        }
        EndpointCommand::Set(args) => {
            let endpoint = find_endpoint(&identity, &args.endpoint).await?;
            let mut update = identity.endpoints().update(&endpoint.id);
            if let Some(r) = &args.region {
                update = update.region_id(get_region(&identity, r).await?.id);
            }
            if let Some(i) = args.interface {
                update = update.interface(i.as_str());
            }
            if let Some(u) = args.url.as_deref().filter(|u| !u.is_empty()) {
                update = update.url(u);
            }
            if let Some(s) = &args.service {
                update = update.service_id(find_service(&identity, s).await?.id);
            }
            if let Some(enabled) = args.enabled.value() {
                update = update.enabled(enabled);
            }
            match update.send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    Err(keystone_error(&identity, &format!("/endpoints/{}", endpoint.id), e).await)
                }
            }
        }
        EndpointCommand::Show(args) => {
            let endpoint = find_endpoint(&identity, &args.endpoint).await?;
            let service = find_service(&identity, &endpoint.service_id).await?;
            print::one(&args.output, endpoint_fields(&endpoint, &service))
        }
    }
}

/// osc's fields of an endpoint: `region` and `region_id` both the region's id, then the
/// service's name and type.
fn endpoint_fields(endpoint: &Endpoint, service: &Service) -> Vec<(&'static str, Cell)> {
    let w = wire(endpoint);
    vec![
        ("enabled", Cell::json(endpoint.enabled)),
        ("id", Cell::str(&endpoint.id)),
        ("interface", Cell::str(&endpoint.interface)),
        ("region", plain(&w, "region_id")),
        ("region_id", plain(&w, "region_id")),
        ("service_id", Cell::str(&endpoint.service_id)),
        ("url", Cell::str(&endpoint.url)),
        (
            "service_name",
            Cell::str(service.name.clone().unwrap_or_default()),
        ),
        ("service_type", Cell::str(&service.service_type)),
    ]
}
