//! What the Neutron commands (`security group`, `floating ip`, and the server's network
//! actions) share: openstacksdk's words for a lookup or a request that failed, which osc
//! prints as they are, and a resource's fields as Neutron sent them.

use anyhow::anyhow;
use ferrostack::request::ServiceType;
use ferrostack::session::Session;
use ferrostack::{Cloud, ErrorKind};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::commands::image::project;
use crate::commands::security_group::args::ProjectOption;
use crate::output::Cell;

/// openstacksdk's `find_*` failing: `No SecurityGroup found for web`, or `More than one
/// SecurityGroup exists with the name 'web'.`; `class` is the SDK's resource class.
/// Any other error is kept.
pub fn lookup_error(class: &str, name: &str, e: ferrostack::Error) -> anyhow::Error {
    let lookup = e.kind() == &ErrorKind::Lookup;
    if e.is_not_found() || (lookup && e.message().starts_with("no ")) {
        anyhow!("No {class} found for {name}")
    } else if lookup {
        anyhow!("More than one {class} exists with the name '{name}'.")
    } else {
        e.into()
    }
}

/// A failed Neutron request as openstacksdk words it (`ConflictException: 409: Client Error
/// for url: URL, MESSAGE`): osc prints that line, and scripts match on it. `path` is the
/// request's, under the `v2.0` endpoint. Errors that are not an HTTP answer are kept.
pub async fn http_error(cloud: &Cloud, path: &str, e: ferrostack::Error) -> anyhow::Error {
    http_error_at(cloud, &ServiceType::Network, path, e).await
}

/// [`http_error`] for any service: `path` is under its versioned endpoint.
pub async fn http_error_at(
    cloud: &Cloud,
    service: &ServiceType,
    path: &str,
    e: ferrostack::Error,
) -> anyhow::Error {
    request_error(cloud.session(), service, path, e).await
}

/// [`http_error_at`] for a service client's session.
pub async fn request_error(
    session: &Session,
    service: &ServiceType,
    path: &str,
    e: ferrostack::Error,
) -> anyhow::Error {
    let Some(status) = e.status() else {
        return e.into();
    };
    let class = match status {
        400 => "BadRequestException",
        403 => "ForbiddenException",
        404 => "NotFoundException",
        409 => "ConflictException",
        412 => "PreconditionFailedException",
        _ => "HttpException",
    };
    let side = if status >= 500 { "Server" } else { "Client" };
    let url = match session.endpoint(service).await {
        Ok(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
        Err(_) => path.to_owned(),
    };
    anyhow!(
        "{class}: {status}: {side} Error for url: {url}, {}",
        e.message()
    )
}

/// `--project [--project-domain]` as a project id, found as osc finds it; `None` without.
pub async fn project_id(cloud: &Cloud, option: &ProjectOption) -> anyhow::Result<Option<String>> {
    match &option.project {
        Some(name) => Ok(Some(
            project::id(cloud, name, option.project_domain.as_deref()).await?,
        )),
        None => Ok(None),
    }
}

/// A resource as Neutron sent it: the SDK's models serialize back under Neutron's names,
/// with every field they do not type kept as sent.
pub fn wire<T: Serialize>(resource: &T) -> Map<String, Value> {
    match serde_json::to_value(resource) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// One field as a plain cell, `None` when Neutron did not send it (as openstacksdk's
/// resources show an attribute they know but did not get).
pub fn plain(wire: &Map<String, Value>, key: &str) -> Cell {
    Cell::json(wire.get(key).cloned().unwrap_or(Value::Null))
}

/// The fields of a `show`: (osc's name, Neutron's key), each a plain cell.
pub fn plain_fields(
    wire: &Map<String, Value>,
    names: &[(&'static str, &str)],
) -> Vec<(&'static str, Cell)> {
    names
        .iter()
        .map(|(shown, key)| (*shown, plain(wire, key)))
        .collect()
}

/// osc's deletes of several things: `delete` runs for each name in turn, each failure is
/// told (`Failed to delete security group with name or ID 'x': ...`) and the others still
/// go; then "N of M groups failed to delete." when any failed.
pub async fn delete_each(
    names: &[String],
    label: &str,
    things: &str,
    delete: impl AsyncFn(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut failed = 0;
    for name in names {
        if let Err(e) = delete(name).await {
            failed += 1;
            eprintln!("Failed to delete {label} with name or ID '{name}': {e:#}");
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} {things} failed to delete.", names.len());
    }
    Ok(())
}
