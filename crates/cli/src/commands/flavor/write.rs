//! `flavor create|delete|set|unset`: what openstackclient 10 sends, in its order, and its
//! words on stderr when a step fails.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use ferrostack::compute::{ComputeClient, Flavor};
use ferrostack::request::ServiceType;

use super::args::{FlavorCreate, FlavorDelete, FlavorSet, FlavorUnset};
use super::{find, flavor_fields};
use crate::commands::image::project;
use crate::commands::neutron::request_error;
use crate::context::Context;
use crate::print;

/// An SDK error of a Nova call to `path`, in openstacksdk's words
/// (`ConflictException: 409: Client Error for url: ..., <Nova's message>`).
async fn nova_error(compute: &ComputeClient, path: &str, e: ferrostack::Error) -> anyhow::Error {
    request_error(compute.session(), &ServiceType::Compute, path, e).await
}

/// The project `--project` names, found as openstackclient's `find_project_id_sdk` finds
/// it: none found is an error without words when `validate`, else the value itself.
async fn project_id(
    ctx: &Context,
    name: &str,
    domain: Option<&str>,
    validate: bool,
) -> Result<String> {
    match project::lookup(ctx.cloud().await?, name, domain).await? {
        Some(id) => Ok(id),
        None if validate => bail!(""),
        None => Ok(name.to_owned()),
    }
}

fn specs(pairs: &[crate::args::KeyValue]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect()
}

pub(super) async fn create(ctx: &Context, args: FlavorCreate) -> Result<()> {
    let public = !args.private;
    if args.project.is_some() && public {
        bail!("--project is only allowed with --private");
    }
    let cloud = ctx.cloud().await?;
    let compute = cloud.compute();
    let mut builder = compute
        .flavors()
        .create(&args.name, args.ram, args.vcpus, args.disk)
        .ephemeral(args.ephemeral)
        .swap(args.swap)
        .public(public);
    match args.id.as_deref() {
        Some("auto") => eprintln!(
            "Passing '--id auto' is deprecated. Nova will automatically assign a UUID-like ID \
             if no ID is provided. Omit the '--id' parameter instead."
        ),
        Some(id) => builder = builder.id(id),
        None => {}
    }
    // osc leaves out a factor of 0 and an empty description, as Python's truthiness does.
    if let Some(factor) = args.rxtx_factor.filter(|f| *f != 0.0) {
        builder = builder.rxtx_factor(factor);
    }
    if let Some(description) = args.description.as_deref().filter(|d| !d.is_empty()) {
        if compute.microversion().await? < ferrostack::compute::Microversion::FLAVOR_DESCRIPTION {
            bail!("The --description parameter requires server support for API microversion 2.55");
        }
        builder = builder.description(description);
    }
    let mut flavor = match builder.send().await {
        Ok(flavor) => flavor,
        Err(e) => return Err(nova_error(&compute, "/flavors", e).await),
    };
    if let Some(name) = &args.project {
        let added = async {
            let project_id = project_id(ctx, name, args.project_domain.as_deref(), true).await?;
            let path = format!("/flavors/{}/action", flavor.id);
            match compute
                .flavors()
                .add_access(flavor.id.clone(), &project_id)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(nova_error(&compute, &path, e).await),
            }
        }
        .await;
        if let Err(e) = added {
            eprintln!("Failed to add project {name} access to flavor: {e:#}");
        }
    }
    if !args.property.is_empty() {
        let path = format!("/flavors/{}/os-extra_specs", flavor.id);
        match compute
            .flavors()
            .set_extra_specs(flavor.id.clone(), specs(&args.property))
            .await
        {
            Ok(set) => flavor.extra_specs = set,
            Err(e) => {
                let e = nova_error(&compute, &path, e).await;
                eprintln!("Failed to set flavor properties: {e:#}");
            }
        }
    }
    print::one(&args.output, flavor_fields(&flavor))
}

pub(super) async fn delete(ctx: &Context, args: FlavorDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut failed = 0;
    for name in &args.flavors {
        let result = async {
            let flavor = find(&compute, name).await?;
            let path = format!("/flavors/{}", flavor.id);
            match compute.flavors().delete(flavor.id.clone()).await {
                Ok(()) => Ok(()),
                Err(e) => Err(nova_error(&compute, &path, e).await),
            }
        }
        .await;
        if let Err(e) = result {
            eprintln!("Failed to delete flavor with name or ID '{name}': {e:#}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} flavors failed to delete.",
            args.flavors.len()
        );
    }
    Ok(())
}

/// The project's id for `--project`, refusing a public flavor as osc does.
async fn access_project(
    ctx: &Context,
    flavor: &Flavor,
    name: &str,
    domain: Option<&str>,
    refusal: &str,
    validate: bool,
) -> Result<String> {
    if flavor.is_public {
        bail!("{refusal}");
    }
    project_id(ctx, name, domain, validate).await
}

pub(super) async fn set(ctx: &Context, args: FlavorSet) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let flavor = find(&compute, &args.flavor).await?;
    if let Some(description) = args.description.as_deref().filter(|d| !d.is_empty()) {
        if compute.microversion().await? < ferrostack::compute::Microversion::FLAVOR_DESCRIPTION {
            bail!("The --description parameter requires server support for API microversion 2.55");
        }
        let path = format!("/flavors/{}", flavor.id);
        if let Err(e) = compute
            .flavors()
            .set_description(flavor.id.clone(), Some(description))
            .await
        {
            return Err(nova_error(&compute, &path, e).await);
        }
    }
    let mut failed = false;
    if args.no_property {
        for key in flavor.extra_specs.keys() {
            let path = format!("/flavors/{}/os-extra_specs/{key}", flavor.id);
            if let Err(e) = compute
                .flavors()
                .unset_extra_spec(flavor.id.clone(), key)
                .await
            {
                let e = nova_error(&compute, &path, e).await;
                eprintln!("Failed to clear flavor properties: {e:#}");
                failed = true;
                break;
            }
        }
    }
    if !args.property.is_empty() {
        let path = format!("/flavors/{}/os-extra_specs", flavor.id);
        if let Err(e) = compute
            .flavors()
            .set_extra_specs(flavor.id.clone(), specs(&args.property))
            .await
        {
            let e = nova_error(&compute, &path, e).await;
            eprintln!("Failed to set flavor properties: {e:#}");
            failed = true;
        }
    }
    if let Some(name) = &args.project {
        let added = async {
            let project_id = access_project(
                ctx,
                &flavor,
                name,
                args.project_domain.as_deref(),
                "Cannot set access for a public flavor",
                true,
            )
            .await?;
            let path = format!("/flavors/{}/action", flavor.id);
            match compute
                .flavors()
                .add_access(flavor.id.clone(), &project_id)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(nova_error(&compute, &path, e).await),
            }
        }
        .await;
        if let Err(e) = added {
            eprintln!("Failed to set flavor access to project: {e:#}");
            failed = true;
        }
    }
    if failed {
        bail!("Command Failed: One or more of the operations failed");
    }
    Ok(())
}

pub(super) async fn unset(ctx: &Context, args: FlavorUnset) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let flavor = find(&compute, &args.flavor).await?;
    let mut failed = false;
    for key in &args.property {
        let path = format!("/flavors/{}/os-extra_specs/{key}", flavor.id);
        match compute
            .flavors()
            .unset_extra_spec(flavor.id.clone(), key)
            .await
        {
            Ok(()) => {}
            // openstackclient says nothing of a key the flavor does not have.
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                let e = nova_error(&compute, &path, e).await;
                eprintln!("Failed to unset flavor property: {e:#}");
                failed = true;
            }
        }
    }
    if let Some(name) = &args.project {
        let removed = async {
            let project_id = access_project(
                ctx,
                &flavor,
                name,
                args.project_domain.as_deref(),
                "Cannot remove access for a public flavor",
                false,
            )
            .await?;
            let path = format!("/flavors/{}/action", flavor.id);
            match compute
                .flavors()
                .remove_access(flavor.id.clone(), &project_id)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(nova_error(&compute, &path, e).await),
            }
        }
        .await;
        if let Err(e) = removed {
            eprintln!("Failed to remove flavor access from project: {e:#}");
            failed = true;
        }
    }
    if failed {
        bail!("Command Failed: One or more of the operations failed");
    }
    Ok(())
}
