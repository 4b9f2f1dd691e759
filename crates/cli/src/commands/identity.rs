//! The Keystone command groups (`domain`, `project`, `user`, `group`, `role`, `implied
//! role`, `role assignment`, `region`, `service`, `endpoint`) and what they share: names
//! resolved within a domain as openstackclient resolves them, openstacksdk's words for a
//! failed lookup or request, enable/disable flags.

pub(crate) mod catalog;
pub(crate) mod domain;
pub(crate) mod group;
pub(crate) mod project;
pub(crate) mod role;
pub(crate) mod user;

use anyhow::{Result, anyhow};
use ferrostack::identity::IdentityClient;
use ferrostack::request::ServiceType;
use ferrostack::{Error, ErrorKind};
use serde::Serialize;
use serde_json::{Map, Value};

use super::neutron::request_error;
use crate::output::Cell;

/// A failed Keystone request as openstacksdk words it (`ConflictException: 409: Client
/// Error for url: URL, MESSAGE`); a lookup error as its `find_*` does (`No Project found
/// for x`). `path` is the request's, under `/v3`.
pub async fn keystone_error(identity: &IdentityClient, path: &str, e: Error) -> anyhow::Error {
    if e.kind() == &ErrorKind::Lookup {
        return anyhow!("{}", e.message());
    }
    request_error(identity.session(), &ServiceType::Identity, path, e).await
}

/// openstacksdk's `get_<resource>(id)` failing: a 404 as `No Region found for x: Client Error
/// for url: URL, MESSAGE`, anything else as [`keystone_error`].
pub async fn get_error(
    identity: &IdentityClient,
    class: &str,
    path: &str,
    id: &str,
    e: Error,
) -> anyhow::Error {
    if !e.is_not_found() {
        return keystone_error(identity, path, e).await;
    }
    let url = match identity.session().endpoint(&ServiceType::Identity).await {
        Ok(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
        Err(_) => path.to_owned(),
    };
    anyhow!(
        "No {class} found for {id}: Client Error for url: {url}, {}",
        e.message()
    )
}

/// openstackclient's `_find_sdk_id`: the id of what `find` finds; a 403 gives the value back
/// as an id, and so does a miss when `validate` is off. A miss when it is on fails with
/// openstackclient's empty `CommandError`.
pub async fn sdk_id<F, T>(
    identity: &IdentityClient,
    found: F,
    name_or_id: &str,
    validate: bool,
) -> Result<String>
where
    F: Future<Output = ferrostack::Result<T>>,
    T: HasId,
{
    match found.await {
        Ok(t) => Ok(t.id().to_owned()),
        Err(e) if e.kind() == &ErrorKind::Forbidden => Ok(name_or_id.to_owned()),
        Err(e) if e.kind() == &ErrorKind::Lookup && e.message().starts_with("No ") => {
            if validate {
                Err(anyhow!(""))
            } else {
                Ok(name_or_id.to_owned())
            }
        }
        Err(e) if e.kind() == &ErrorKind::Lookup => Err(anyhow!("{}", e.message())),
        Err(e) => Err(keystone_error(identity, &format!("{}/{name_or_id}", T::PATH), e).await),
    }
}

/// What a `find` answers, its errors as openstacksdk words them: a miss or several
/// (`No Project found for x`), a failed request (`HttpException: 501: ...` for the lookup by id).
pub async fn found<F, T>(identity: &IdentityClient, name_or_id: &str, find: F) -> Result<T>
where
    F: Future<Output = ferrostack::Result<T>>,
    T: HasId,
{
    match find.await {
        Ok(t) => Ok(t),
        Err(e) => Err(keystone_error(identity, &format!("{}/{name_or_id}", T::PATH), e).await),
    }
}

/// What [`sdk_id`] takes the id of.
pub trait HasId {
    /// Keystone's collection (`/projects`).
    const PATH: &'static str;
    /// The id.
    fn id(&self) -> &str;
}

macro_rules! has_id {
    ($($t:ty => $path:literal),*) => {
        $(impl HasId for $t {
            const PATH: &'static str = $path;
            fn id(&self) -> &str {
                &self.id
            }
        })*
    };
}

has_id!(
    ferrostack::identity::Domain => "/domains",
    ferrostack::identity::Project => "/projects",
    ferrostack::identity::User => "/users",
    ferrostack::identity::Group => "/groups",
    ferrostack::identity::Role => "/roles",
    ferrostack::identity::Service => "/services"
);

/// `find_domain(name_or_id, ignore_missing=False)`: the domain, or openstacksdk's words.
pub async fn find_domain(
    identity: &IdentityClient,
    name_or_id: &str,
) -> Result<ferrostack::identity::Domain> {
    found(identity, name_or_id, identity.domains().find(name_or_id)).await
}

/// A lookup's error as openstacksdk words it; any other as it is.
pub fn lookup(e: Error) -> anyhow::Error {
    if e.kind() == &ErrorKind::Lookup {
        anyhow!("{}", e.message())
    } else {
        e.into()
    }
}

/// A resource as Keystone sent it, under Keystone's names.
pub fn wire<T: Serialize>(resource: &T) -> Map<String, Value> {
    match serde_json::to_value(resource) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// One field as a plain cell; `None` when Keystone did not send it, as openstacksdk shows
/// an attribute it knows but did not get.
pub fn plain(wire: &Map<String, Value>, key: &str) -> Cell {
    Cell::json(wire.get(key).cloned().unwrap_or(Value::Null))
}

/// osc's deletes of several things: each failure told (`Failed to delete project with name
/// or ID 'x': ...`), the others still go, then `N of M projects failed to delete.`
pub async fn delete_each(
    names: &[String],
    label: &str,
    things: &str,
    delete: impl AsyncFn(&str) -> Result<()>,
) -> Result<()> {
    super::neutron::delete_each(names, label, things, delete).await
}
