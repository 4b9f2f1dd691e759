//! `fstack server create|list|show|delete|start|stop|reboot|add|remove|ssh`.
//!
//! The fields and columns are openstackclient's, which come from openstacksdk's `Server`
//! resource: every attribute it knows, `None` when Nova did not send it, under Nova's names,
//! sorted. Values that osc formats (power state, addresses, flavor, image) are rendered the
//! same way in tables and carried the same way in the machine formats.
//!
//! Creating lives in `server/create.rs`, listing in `server/list.rs`, the shown fields in
//! `server/fields.rs`, the network actions in `server/network.rs`, `ssh` in
//! `server/ssh.rs`; the lookups, waits and actions that the others share stay here.

pub(crate) mod args;
mod create;
mod event;
mod fields;
pub(crate) mod group;
mod list;
mod network;
mod ssh;

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ferrostack::compute::{ComputeClient, RebootKind, Server, ServerStatus};
use ferrostack::wait::{Backoff, Wait};

use self::args::{ServerCommand, ServerDelete, ServerReboot};
use self::create::create;
use self::fields::server_fields;
use self::list::list;
use crate::context::Context;
use crate::{print, progress};

/// How long `--wait` waits: osc waits forever; an hour is longer than any real build and
/// still ends a script that would otherwise hang.
const WAIT_LIMIT: Duration = Duration::from_secs(3600);

/// Runs one `server` command.
pub async fn run(ctx: &Context, command: ServerCommand) -> Result<()> {
    match command {
        ServerCommand::Create(args) => create(ctx, *args).await,
        ServerCommand::List(args) => list(ctx, args).await,
        ServerCommand::Show(args) => {
            let cloud = ctx.cloud().await?;
            let compute = cloud.compute();
            let server = find(&compute, &args.server).await?;
            let fields = server_fields(cloud, &compute, &server, None).await?;
            print::one(&args.output, fields)
        }
        ServerCommand::Delete(args) => delete(ctx, args).await,
        ServerCommand::Start(args) => {
            let compute = ctx.cloud().await?.compute();
            for name in &args.servers {
                let server = find(&compute, name).await?;
                compute.servers().start(server.id.clone()).await?;
            }
            Ok(())
        }
        ServerCommand::Stop(args) => {
            let compute = ctx.cloud().await?.compute();
            for name in &args.servers {
                let server = find(&compute, name).await?;
                compute.servers().stop(server.id.clone()).await?;
            }
            Ok(())
        }
        ServerCommand::Reboot(args) => reboot(ctx, args).await,
        ServerCommand::Add { command } => network::add(ctx, command).await,
        ServerCommand::Remove { command } => network::remove(ctx, command).await,
        ServerCommand::Ssh(args) => ssh::ssh(ctx, args).await,
        ServerCommand::Set(args) => set(ctx, args).await,
        ServerCommand::Unset(args) => unset(ctx, args).await,
        ServerCommand::Group { command } => group::run(ctx, command).await,
        ServerCommand::Event { command } => event::run(ctx, command).await,
    }
}

/// `server set`: the name first, then the properties, as osc does; prints nothing.
async fn set(ctx: &Context, args: args::ServerSet) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let server = find(&compute, &args.server).await?;
    if let Some(name) = &args.name {
        compute
            .servers()
            .update(server.id.clone())
            .name(name.as_str())
            .send()
            .await?;
    }
    if !args.property.is_empty() {
        let metadata = args
            .property
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        compute
            .servers()
            .set_metadata(server.id.clone(), &metadata)
            .await?;
    }
    Ok(())
}

/// `server unset --property KEY...`: each key removed in turn; prints nothing.
async fn unset(ctx: &Context, args: args::ServerUnset) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let server = find(&compute, &args.server).await?;
    for key in &args.property {
        let removed = compute
            .servers()
            .delete_metadata(server.id.clone(), key)
            .await;
        if let Err(e) = removed {
            // openstacksdk's words: `NotFoundException: 404: Client Error for url: ...`.
            let path = format!("/servers/{}/metadata/{key}", server.id.as_str());
            return Err(super::neutron::request_error(
                compute.session(),
                &ferrostack::request::ServiceType::Compute,
                &path,
                e,
            )
            .await);
        }
    }
    Ok(())
}

/// A server by id or name; the error names what was asked for.
pub async fn find(compute: &ComputeClient, name_or_id: &str) -> Result<Server> {
    compute
        .servers()
        .find(name_or_id)
        .await
        .map_err(|e| lookup_error("server", name_or_id, e))
}

/// Polls quickly at first (the mock and small clouds build in a second), then every 5 s as
/// osc does.
pub fn wait_policy() -> Wait {
    Wait::new(WAIT_LIMIT).backoff(Backoff::exponential(
        Duration::from_millis(200),
        2.0,
        Duration::from_secs(5),
    ))
}

/// osc's words for a name or id that matches nothing ("No image with a name or ID of 'x'
/// exists."); the SDK's own error otherwise (several matches, a failed request), which
/// already says what it was doing.
pub fn lookup_error(what: &str, name: &str, e: ferrostack::Error) -> anyhow::Error {
    let none = e.is_not_found()
        || (e.kind() == &ferrostack::ErrorKind::Lookup && e.message().starts_with("no "));
    if none {
        anyhow::anyhow!("No {what} with a name or ID of '{name}' exists.")
    } else {
        e.into()
    }
}

async fn delete(ctx: &Context, args: ServerDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut deleted = Vec::new();
    for name in &args.servers {
        let result = async {
            let server = find(&compute, name).await?;
            compute.servers().delete(server.id.clone()).await?;
            anyhow::Ok(server)
        }
        .await;
        match result {
            Ok(server) => deleted.push(server),
            Err(e) => eprintln!("Failed to delete server with name or ID '{name}': {e:#}"),
        }
    }
    if args.wait {
        for server in &deleted {
            let spinner = progress::spinner(ctx, &format!("Waiting for {} to go", server.label()));
            let result = compute
                .servers()
                .wait_for_delete(&server.id, wait_policy())
                .await;
            spinner.finish();
            result.with_context(|| format!("Error deleting server: {}", server.id))?;
        }
    }
    let failed = args.servers.len() - deleted.len();
    if failed > 0 {
        bail!(
            "{failed} of {} servers failed to delete.",
            args.servers.len()
        );
    }
    Ok(())
}

async fn reboot(ctx: &Context, args: ServerReboot) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let server = find(&compute, &args.server).await?;
    let kind = if args.hard {
        RebootKind::Hard
    } else {
        RebootKind::Soft
    };
    compute.servers().reboot(server.id.clone(), kind).await?;
    if args.wait {
        let spinner = progress::spinner(ctx, &format!("Waiting for {} to reboot", server.label()));
        let result = compute
            .servers()
            .wait_for_status(&server.id, ServerStatus::Active, wait_policy())
            .await;
        spinner.finish();
        result.with_context(|| format!("Error rebooting server: {}", server.id))?;
        print::write_stdout("Complete\n")?;
    }
    Ok(())
}
