//! Every Neutron operation as a plain [`Request`] before anything is sent. Paths are
//! relative to the `.../v2.0` endpoint; bodies are `{"<resource>": {...}}`.

use serde_json::{Map, Value, json};

use super::ids::{PortId, RouterId, SubnetId};
use super::resource::{Query, Resource};
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType, segment};

fn neutron(method: http::Method, path: String) -> Request {
    Request::new(ServiceType::Network, method, path)
}

/// `/<collection>/<id>`; an empty id is refused (it would name the whole collection).
fn item_path<R: Resource>(id: &str) -> Result<String> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "a {} id must not be empty",
            R::LABEL
        )));
    }
    Ok(format!("{}/{}", R::PATH, segment(id)))
}

/// `GET /<collection>` with `query`.
pub(crate) fn list<R: Resource>(query: &Query) -> Request {
    let mut request = neutron(http::Method::GET, R::PATH.to_owned());
    request.query = query.pairs();
    request
}

/// `GET /<collection>/<id>`.
pub(crate) fn show<R: Resource>(id: &str) -> Result<Request> {
    Ok(neutron(http::Method::GET, item_path::<R>(id)?))
}

/// `POST /<collection>` with `{"<one>": body}`, once the resource has checked the body.
pub(crate) fn create<R: Resource>(body: &Map<String, Value>) -> Result<Request> {
    R::check(body)?;
    Ok(neutron(http::Method::POST, R::PATH.to_owned()).json(json!({ R::ONE: body })))
}

/// `PUT /<collection>/<id>` with `{"<one>": changes}`.
pub(crate) fn update<R: Resource>(id: &str, changes: &Map<String, Value>) -> Result<Request> {
    R::check(changes)?;
    Ok(neutron(http::Method::PUT, item_path::<R>(id)?).json(json!({ R::ONE: changes })))
}

/// `DELETE /<collection>/<id>`.
pub(crate) fn delete<R: Resource>(id: &str) -> Result<Request> {
    Ok(neutron(http::Method::DELETE, item_path::<R>(id)?))
}

/// A tag Neutron accepts: 1 to 255 characters, no comma (the tag filters split on commas).
fn checked_tag<R: Resource>(id: &str, tag: &str) -> Result<()> {
    if tag.is_empty() || tag.chars().count() > 255 || tag.contains(',') {
        return Err(Error::invalid_input(format!(
            "{} {id}: tag {tag:?} must be 1 to 255 characters without a comma",
            R::LABEL
        )));
    }
    Ok(())
}

/// `PUT /<collection>/<id>/tags` with every tag the resource is to have.
pub(crate) fn replace_tags<R: Resource>(id: &str, tags: &[String]) -> Result<Request> {
    for tag in tags {
        checked_tag::<R>(id, tag)?;
    }
    Ok(
        neutron(http::Method::PUT, format!("{}/tags", item_path::<R>(id)?))
            .json(json!({ "tags": tags }))
            .idempotent(true),
    )
}

/// `PUT /<collection>/<id>/tags/<tag>`.
pub(crate) fn add_tag<R: Resource>(id: &str, tag: &str) -> Result<Request> {
    checked_tag::<R>(id, tag)?;
    Ok(neutron(
        http::Method::PUT,
        format!("{}/tags/{}", item_path::<R>(id)?, segment(tag)),
    )
    .idempotent(true))
}

/// `DELETE /<collection>/<id>/tags/<tag>`.
pub(crate) fn remove_tag<R: Resource>(id: &str, tag: &str) -> Result<Request> {
    checked_tag::<R>(id, tag)?;
    Ok(neutron(
        http::Method::DELETE,
        format!("{}/tags/{}", item_path::<R>(id)?, segment(tag)),
    ))
}

/// `GET /extensions`.
pub(crate) fn extensions() -> Request {
    neutron(http::Method::GET, "/extensions".to_owned())
}

/// `GET /extensions/<alias>`.
pub(crate) fn extension(alias: &str) -> Result<Request> {
    if alias.trim().is_empty() {
        return Err(Error::invalid_input("an extension alias must not be empty"));
    }
    Ok(neutron(
        http::Method::GET,
        format!("/extensions/{}", segment(alias)),
    ))
}

/// What a router interface is made from or removed by: a subnet (Neutron makes a port with
/// the subnet's gateway address) or an existing port.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterfaceTarget {
    /// A subnet.
    Subnet(SubnetId),
    /// A port.
    Port(PortId),
}

impl From<SubnetId> for InterfaceTarget {
    fn from(id: SubnetId) -> Self {
        InterfaceTarget::Subnet(id)
    }
}

impl From<PortId> for InterfaceTarget {
    fn from(id: PortId) -> Self {
        InterfaceTarget::Port(id)
    }
}

/// `PUT /routers/<id>/add_router_interface` or `.../remove_router_interface`, with
/// `{"subnet_id"}` or `{"port_id"}` (not wrapped).
pub(crate) fn router_interface(
    router: &RouterId,
    add: bool,
    target: &InterfaceTarget,
) -> Result<Request> {
    let verb = if add {
        "add_router_interface"
    } else {
        "remove_router_interface"
    };
    let body = match target {
        InterfaceTarget::Subnet(id) => json!({ "subnet_id": id }),
        InterfaceTarget::Port(id) => json!({ "port_id": id }),
    };
    let path = item_path::<super::Router>(router.as_str())?;
    Ok(neutron(http::Method::PUT, format!("{path}/{verb}")).json(body))
}

#[cfg(test)]
mod tests;
