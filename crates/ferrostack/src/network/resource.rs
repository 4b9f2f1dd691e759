//! What every Neutron resource shares: its names on the wire, the list query (filters,
//! `fields=`, tags, sorting, pages), and get / find / list / create / update / delete over
//! the `{"<resource>": {...}}` envelope. Each resource handle is a thin typed layer on these.

use futures::{Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::requests;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};
use crate::session::Session;

/// A Neutron resource type: where it lives and what its envelope is called.
pub(crate) trait Resource: DeserializeOwned + Send + 'static {
    /// The envelope of one (`network`, `security_group`, `floatingip`).
    const ONE: &'static str;
    /// The envelope of a list (`networks`, `security_groups`, `floatingips`).
    const MANY: &'static str;
    /// The list's links (`networks_links`).
    const LINKS: &'static str;
    /// The collection's path (`/networks`, `/security-groups`).
    const PATH: &'static str;
    /// How messages name one (`network`, `security group`).
    const LABEL: &'static str;
    /// The list filter [`find`] looks a name up with (`name`; a floating IP's address).
    const NAME_FILTER: &'static str = "name";
    /// The fields the model cannot do without, asked for whenever `fields=` narrows a list.
    const REQUIRED: &'static [&'static str] = &["id"];

    /// The id.
    fn id(&self) -> &str;
    /// What [`find`] matches a name against.
    fn name(&self) -> String;
    /// Refuses a create or update body Neutron would refuse, before anything is sent.
    fn check(_body: &Map<String, Value>) -> Result<()> {
        Ok(())
    }
}

/// A sort direction (`sort_dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDir {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl SortDir {
    fn as_str(self) -> &'static str {
        match self {
            SortDir::Asc => "asc",
            SortDir::Desc => "desc",
        }
    }
}

/// The query of a list: server-side filters in order (a repeated key is an OR), the fields
/// to return, sort keys, the page size and where to start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    filters: Vec<(String, String)>,
    fields: Vec<String>,
    sort: Vec<(String, SortDir)>,
    limit: Option<u32>,
    marker: Option<String>,
}

impl Query {
    /// `key=value`, replacing an earlier value of `key`.
    pub(crate) fn set(&mut self, key: &str, value: impl Into<String>) {
        self.filters.retain(|(k, _)| k != key);
        self.filters.push((key.to_owned(), value.into()));
    }

    /// `key=a&key=b`: any of the values, replacing earlier values of `key`.
    pub(crate) fn set_any<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filters.retain(|(k, _)| k != key);
        self.filters
            .extend(values.into_iter().map(|v| (key.to_owned(), v.into())));
    }

    /// Adds `key=value` beside earlier values of `key`.
    pub(crate) fn push(&mut self, key: &str, value: impl Into<String>) {
        self.filters.push((key.to_owned(), value.into()));
    }

    pub(crate) fn field(&mut self, field: String) {
        if !self.fields.contains(&field) {
            self.fields.push(field);
        }
    }

    pub(crate) fn sort(&mut self, key: String, dir: SortDir) {
        self.sort.push((key, dir));
    }

    pub(crate) fn limit(&mut self, limit: u32) {
        self.limit = Some(limit);
    }

    pub(crate) fn marker(&mut self, marker: String) {
        self.marker = Some(marker);
    }

    /// The query string: filters, then `fields`, `sort_key`/`sort_dir` pairs, `limit`, `marker`.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.filters.clone();
        pairs.extend(self.fields.iter().map(|f| ("fields".to_owned(), f.clone())));
        for (key, dir) in &self.sort {
            pairs.push(("sort_key".to_owned(), key.clone()));
            pairs.push(("sort_dir".to_owned(), dir.as_str().to_owned()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit".to_owned(), limit.to_string()));
        }
        if let Some(marker) = &self.marker {
            pairs.push(("marker".to_owned(), marker.clone()));
        }
        pairs
    }
}

/// Tags joined as Neutron's tag filters take them (`tags=a,b`).
pub(crate) fn tag_list<I, S>(tags: I) -> String
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    tags.into_iter()
        .map(Into::into)
        .collect::<Vec<_>>()
        .join(",")
}

/// Every item of a list, following `<collection>_links`.
pub(crate) fn stream<R: Resource>(
    session: Session,
    request: Request,
) -> impl Stream<Item = Result<R>> + Send + Unpin + 'static {
    crate::paginate::paginate::<R>(session, request, R::MANY, R::LINKS).boxed()
}

/// `{"<one>": {...}}` decoded, a failure naming the JSON path (`network.mtu`).
pub(crate) fn unwrap_one<R: Resource>(mut value: Value) -> Result<R> {
    let one = value.get_mut(R::ONE).map(Value::take).ok_or_else(|| {
        Error::decode(format!("the answer has no {:?} object", R::ONE), R::ONE)
            .with_service(ServiceType::Network)
    })?;
    decode_at(one, R::ONE)
}

/// `value` decoded as `T`, a failure naming the JSON path under `root`.
pub(crate) fn decode_at<T: DeserializeOwned>(value: Value, root: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            root.to_owned()
        } else if path.starts_with('[') {
            format!("{root}{path}")
        } else {
            format!("{root}.{path}")
        };
        Error::decode(e.inner().to_string(), path).with_service(ServiceType::Network)
    })
}

/// Sends `request` and decodes the one resource it answers.
pub(crate) async fn send_one<R: Resource>(session: &Session, request: Request) -> Result<R> {
    let response = session.send(request).await?;
    let request_id = response.request_id().map(str::to_owned);
    let value: Value = response.json().await?;
    unwrap_one(value).map_err(|e| e.with_request_id(request_id))
}

/// One by id.
pub(crate) async fn get<R: Resource>(session: &Session, id: &str) -> Result<R> {
    send_one(session, requests::show::<R>(id)?).await
}

/// By id, else by exact name (openstacksdk's `find`: `GET /<path>/<name>`, and on 404 a
/// list filtered by name, checked again here).
pub(crate) async fn find<R: Resource>(session: &Session, name_or_id: &str) -> Result<R> {
    match get::<R>(session, name_or_id).await {
        Err(err) if err.is_not_found() => {}
        other => return other,
    }
    let mut query = Query::default();
    query.set(R::NAME_FILTER, name_or_id);
    let named: Vec<R> = stream::<R>(session.clone(), requests::list::<R>(&query))
        .try_filter(|r| futures::future::ready(r.name() == name_or_id || r.id() == name_or_id))
        .try_collect()
        .await?;
    one_named::<R>(name_or_id, named)
}

/// Exactly one match, or a `Lookup` error that says how many there were.
pub(crate) fn one_named<R: Resource>(name: &str, mut found: Vec<R>) -> Result<R> {
    let what = R::LABEL;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::new(
            ErrorKind::Lookup,
            format!("no {what} with id or name {name:?}"),
        )
        .with_service(ServiceType::Network)),
        n => Err(Error::new(
            ErrorKind::Lookup,
            format!(
                "{n} {what}s are named {name:?} ({}); use an id",
                found.iter().map(R::id).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_service(ServiceType::Network)),
    }
}

/// `POST /<path>` with `{"<one>": body}`.
pub(crate) async fn create<R: Resource>(session: &Session, body: &Map<String, Value>) -> Result<R> {
    send_one(session, requests::create::<R>(body)?).await
}

/// `PUT /<path>/<id>` with `{"<one>": changes}`; with no changes, the resource as it is.
pub(crate) async fn update<R: Resource>(
    session: &Session,
    id: &str,
    changes: &Map<String, Value>,
) -> Result<R> {
    if changes.is_empty() {
        return get(session, id).await;
    }
    send_one(session, requests::update::<R>(id, changes)?).await
}

/// `DELETE /<path>/<id>`.
pub(crate) async fn delete<R: Resource>(session: &Session, id: &str) -> Result<()> {
    session.send(requests::delete::<R>(id)?).await.map(drop)
}

/// The builder methods every list has: tags, `fields=`, sorting, pages, the owner, and
/// any other filter by name. `$R` is the resource, `$query` the builder's query field.
macro_rules! list_common {
    ($R:ty) => {
        /// `project_id`: one project's (an admin sees every project's otherwise).
        pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
            self.query.set("project_id", project_id);
            self
        }

        /// `tags`: those with every one of these tags.
        pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.query
                .set("tags", $crate::network::resource::tag_list(tags));
            self
        }

        /// `tags-any`: those with at least one of these tags.
        pub fn tags_any<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.query
                .set("tags-any", $crate::network::resource::tag_list(tags));
            self
        }

        /// `not-tags`: those without all of these tags together.
        pub fn not_tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.query
                .set("not-tags", $crate::network::resource::tag_list(tags));
            self
        }

        /// `not-tags-any`: those with none of these tags.
        pub fn not_tags_any<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.query
                .set("not-tags-any", $crate::network::resource::tag_list(tags));
            self
        }

        /// `fields`: only these fields in the answer (repeatable). The id, and what the
        /// model cannot do without (a port's network, a subnet's range, ...), are always
        /// asked for too; other fields left out decode as empty.
        pub fn fields<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
            for required in <$R as $crate::network::resource::Resource>::REQUIRED {
                self.query.field((*required).to_owned());
            }
            for field in fields {
                self.query.field(field.into());
            }
            self
        }

        /// `sort_key` and `sort_dir` (repeatable: the first key sorts first).
        pub fn sort(mut self, key: impl Into<String>, dir: $crate::network::SortDir) -> Self {
            self.query.sort(key.into(), dir);
            self
        }

        /// `limit`: the page size; the stream follows every page regardless.
        pub fn limit(mut self, limit: u32) -> Self {
            self.query.limit(limit);
            self
        }

        /// `marker`: start after this id.
        pub fn marker(mut self, id: impl Into<String>) -> Self {
            self.query.marker(id.into());
            self
        }

        /// Any other filter Neutron knows (`key=value`; repeat for any of several values).
        pub fn filter(mut self, key: impl AsRef<str>, value: impl Into<String>) -> Self {
            self.query.push(key.as_ref(), value);
            self
        }

        /// The first request, as it will be sent.
        pub fn request(&self) -> $crate::request::Request {
            $crate::network::requests::list::<$R>(&self.query)
        }

        /// Every match, page after page as the stream is read, following the
        /// `<collection>_links` `next` link and stopping on a link already followed.
        pub fn stream(
            self,
        ) -> impl futures::Stream<Item = $crate::error::Result<$R>> + Send + Unpin + 'static {
            let request = self.request();
            $crate::network::resource::stream::<$R>(self.client.session, request)
        }

        /// Every match, all pages collected.
        pub async fn collect_all(self) -> $crate::error::Result<Vec<$R>> {
            futures::TryStreamExt::try_collect(self.stream()).await
        }
    };
}

pub(crate) use list_common;

/// Setters that put one typed field into a create or update body: `name(key: Type)`,
/// each taking `impl Into<Type>`.
macro_rules! body_setters {
    ($($(#[$doc:meta])* $method:ident($key:literal: $ty:ty);)*) => {
        $(
            $(#[$doc])*
            pub fn $method(mut self, value: impl Into<$ty>) -> Self {
                let value: $ty = value.into();
                self.body.insert(
                    $key.to_owned(),
                    serde_json::to_value(value).expect("a field serializes"),
                );
                self
            }
        )*
    };
}

pub(crate) use body_setters;

/// The verbs every named resource's handle has: `get`, `find`, `delete`,
/// `wait_for_delete`. `$R` is the resource, `$Id` its id.
macro_rules! handle_common {
    ($R:ty, $Id:ty) => {
        /// One by id; a 404 is `ErrorKind::NotFound`.
        pub async fn get(&self, id: impl Into<$Id>) -> $crate::error::Result<$R> {
            let id: $Id = id.into();
            $crate::network::resource::get::<$R>(&self.client.session, id.as_str()).await
        }

        /// By id, else by exact name; none or several is `ErrorKind::Lookup`.
        pub async fn find(&self, name_or_id: &str) -> $crate::error::Result<$R> {
            $crate::network::resource::find::<$R>(&self.client.session, name_or_id).await
        }

        /// Deletes one; a 409 (still in use) keeps Neutron's type in
        /// [`Error::error_type`](crate::Error::error_type).
        pub async fn delete(&self, id: impl Into<$Id>) -> $crate::error::Result<()> {
            let id: $Id = id.into();
            $crate::network::resource::delete::<$R>(&self.client.session, id.as_str()).await
        }

        /// Waits until it is gone (a 404).
        pub async fn wait_for_delete(
            &self,
            id: impl Into<$Id>,
            wait: impl Into<$crate::wait::Wait>,
        ) -> $crate::error::Result<()> {
            let id: $Id = id.into();
            $crate::network::waiters::wait_for_delete::<$R>(
                &self.client.session,
                id.as_str(),
                wait.into(),
            )
            .await
        }
    };
}

pub(crate) use handle_common;

/// The tag calls of the resources `standard-attr-tag` covers. `$R` is the resource, `$Id`
/// its id.
macro_rules! handle_tags {
    ($R:ty, $Id:ty) => {
        /// Replaces every tag (`PUT .../tags`).
        pub async fn set_tags<I: IntoIterator<Item = S>, S: Into<String>>(
            &self,
            id: impl Into<$Id>,
            tags: I,
        ) -> $crate::error::Result<()> {
            let id: $Id = id.into();
            let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
            let request = $crate::network::requests::replace_tags::<$R>(id.as_str(), &tags)?;
            self.client.session.send(request).await.map(drop)
        }

        /// Adds one tag (`PUT .../tags/{tag}`).
        pub async fn add_tag(&self, id: impl Into<$Id>, tag: &str) -> $crate::error::Result<()> {
            let id: $Id = id.into();
            let request = $crate::network::requests::add_tag::<$R>(id.as_str(), tag)?;
            self.client.session.send(request).await.map(drop)
        }

        /// Removes one tag (`DELETE .../tags/{tag}`).
        pub async fn remove_tag(&self, id: impl Into<$Id>, tag: &str) -> $crate::error::Result<()> {
            let id: $Id = id.into();
            let request = $crate::network::requests::remove_tag::<$R>(id.as_str(), tag)?;
            self.client.session.send(request).await.map(drop)
        }
    };
}

pub(crate) use handle_tags;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::network::{
        FloatingIp, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet,
    };

    /// What a list narrowed by `fields=` answers: the required fields and no more.
    fn narrowed<R: Resource>() -> Result<R> {
        let mut one = Map::new();
        for field in R::REQUIRED {
            let value = match *field {
                "ip_version" => json!(4),
                "cidr" => json!("10.0.0.0/24"),
                "floating_ip_address" => json!("127.42.0.7"),
                "direction" => json!("ingress"),
                _ => json!("x"),
            };
            one.insert((*field).to_owned(), value);
        }
        unwrap_one(json!({ R::ONE: one }))
    }

    #[test]
    fn every_model_decodes_from_its_required_fields_alone() {
        narrowed::<Network>().unwrap();
        narrowed::<Subnet>().unwrap();
        narrowed::<Port>().unwrap();
        narrowed::<Router>().unwrap();
        narrowed::<SecurityGroup>().unwrap();
        narrowed::<SecurityGroupRule>().unwrap();
        narrowed::<FloatingIp>().unwrap();
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = unwrap_one::<Port>(json!({"port": {"id": "p", "network_id": "n",
            "fixed_ips": [{"ip_address": "not an address"}]}}))
        .unwrap_err();
        assert_eq!(err.json_path(), Some("port.fixed_ips[0].ip_address"));
        let err = unwrap_one::<Port>(json!({"ports": []})).unwrap_err();
        assert!(err.message().contains("no \"port\" object"), "{err}");
    }
}
