//! What every Keystone resource shares: its names on the wire, and get / find / list /
//! create / update / delete over the `{"<resource>": {...}}` envelope. Each resource handle
//! is a thin typed layer on these.

use futures::{Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::requests;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};
use crate::session::Session;

/// A Keystone resource type: where it lives and what its envelope is called.
pub(crate) trait Resource: DeserializeOwned + Send + 'static {
    /// The envelope of one (`project`).
    const ONE: &'static str;
    /// The envelope of a list (`projects`).
    const MANY: &'static str;
    /// The collection's path (`/projects`, `/OS-INHERIT/...` never).
    const PATH: &'static str;
    /// How lookup errors name the type, as openstacksdk does (`Project`).
    const LABEL: &'static str;

    /// The id.
    fn id(&self) -> &str;
    /// What [`find`] matches a name against.
    fn name(&self) -> Option<&str>;
}

/// Every item of a list, following Keystone's `links.next`.
pub(crate) fn stream<R: Resource>(
    session: Session,
    request: Request,
) -> impl Stream<Item = Result<R>> + Send + Unpin + 'static {
    crate::paginate::paginate::<R>(session, request, R::MANY, "links").boxed()
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
        Error::decode(e.inner().to_string(), path).with_service(ServiceType::Identity)
    })
}

/// `{"<key>": ...}` decoded, a failure naming the JSON path (`project.enabled`).
pub(crate) fn unwrap_key<T: DeserializeOwned>(mut value: Value, key: &str) -> Result<T> {
    let inner = value.get_mut(key).map(Value::take).ok_or_else(|| {
        Error::decode(format!("the answer has no {key:?} object"), key)
            .with_service(ServiceType::Identity)
    })?;
    decode_at(inner, key)
}

/// Sends `request` and decodes the `key` of its answer.
pub(crate) async fn send_key<T: DeserializeOwned>(
    session: &Session,
    request: Request,
    key: &str,
) -> Result<T> {
    let response = session.send(request).await?;
    let request_id = response.request_id().map(str::to_owned);
    let value: Value = response.json().await?;
    unwrap_key(value, key).map_err(|e| e.with_request_id(request_id))
}

/// One by id.
pub(crate) async fn get<R: Resource>(session: &Session, id: &str) -> Result<R> {
    send_key(session, requests::show(R::PATH, R::LABEL, id)?, R::ONE).await
}

/// By id, else by exact name within `domain_id` when given (openstacksdk's `find`, which
/// osc uses: `GET /<path>/<name>`, and on 404 `GET /<path>?name=<name>[&domain_id=...]`).
/// None is [`ErrorKind::Lookup`] worded as openstacksdk words it (`No Project found for
/// x`), several too (`More than one Project exists with the name 'x'.`).
pub(crate) async fn find<R: Resource>(
    session: &Session,
    name_or_id: &str,
    domain_id: Option<&str>,
) -> Result<R> {
    if !name_or_id.trim().is_empty() {
        match get::<R>(session, name_or_id).await {
            Err(err) if err.is_not_found() => {}
            other => return other,
        }
    }
    let mut query = vec![("name".to_owned(), name_or_id.to_owned())];
    if let Some(domain) = domain_id {
        query.push(("domain_id".to_owned(), domain.to_owned()));
    }
    let named: Vec<R> = stream::<R>(session.clone(), requests::list(R::PATH, &query))
        .try_filter(|r| {
            futures::future::ready(r.name() == Some(name_or_id) || r.id() == name_or_id)
        })
        .try_collect()
        .await?;
    one_named::<R>(name_or_id, named)
}

/// Exactly one match, or a `Lookup` error worded as openstacksdk's.
pub(crate) fn one_named<R: Resource>(name: &str, mut found: Vec<R>) -> Result<R> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::new(
            ErrorKind::Lookup,
            format!("No {} found for {name}", R::LABEL),
        )
        .with_service(ServiceType::Identity)),
        _ => Err(Error::new(
            ErrorKind::Lookup,
            format!("More than one {} exists with the name '{name}'.", R::LABEL),
        )
        .with_service(ServiceType::Identity)),
    }
}

/// `POST /<path>` with `{"<one>": body}`.
pub(crate) async fn create<R: Resource>(session: &Session, body: &Map<String, Value>) -> Result<R> {
    send_key(session, requests::create(R::PATH, R::ONE, body), R::ONE).await
}

/// `PATCH /<path>/<id>` with `{"<one>": changes}`.
pub(crate) async fn update<R: Resource>(
    session: &Session,
    id: &str,
    changes: &Map<String, Value>,
) -> Result<R> {
    let request = requests::update(R::PATH, R::ONE, R::LABEL, id, changes)?;
    send_key(session, request, R::ONE).await
}

/// `DELETE /<path>/<id>`.
pub(crate) async fn delete<R: Resource>(session: &Session, id: &str) -> Result<()> {
    let request = requests::delete(R::PATH, R::LABEL, id)?;
    session.send(request).await.map(drop)
}

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

/// Setters of list filters: `name(key)`, each taking `impl Into<String>`.
macro_rules! query_setters {
    ($($(#[$doc:meta])* $method:ident($key:literal);)*) => {
        $(
            $(#[$doc])*
            pub fn $method(mut self, value: impl Into<String>) -> Self {
                self.query.retain(|(k, _)| k != $key);
                self.query.push(($key.to_owned(), value.into()));
                self
            }
        )*
    };
}

pub(crate) use query_setters;

/// A list builder: `$List` over `$R`, with a `query` of filters; gives it `request`,
/// `stream`, `collect_all` and a `filter` for any other key.
macro_rules! list_builder {
    ($(#[$doc:meta])* $List:ident, $R:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until .stream() or .collect_all()"]
        pub struct $List {
            session: $crate::session::Session,
            query: Vec<(String, String)>,
        }

        impl $List {
            pub(crate) fn new(session: $crate::session::Session) -> Self {
                Self {
                    session,
                    query: Vec::new(),
                }
            }

            /// Any other filter Keystone knows (`key=value`).
            pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
                self.query.push((key.into(), value.into()));
                self
            }

            /// The first request, as it will be sent.
            pub fn request(&self) -> $crate::request::Request {
                $crate::identity::requests::list(
                    <$R as $crate::identity::resource::Resource>::PATH,
                    &self.query,
                )
            }

            /// Every match, page after page, following Keystone's `links.next`.
            pub fn stream(
                self,
            ) -> impl futures::Stream<Item = $crate::error::Result<$R>> + Send + Unpin + 'static
            {
                let request = self.request();
                $crate::identity::resource::stream::<$R>(self.session, request)
            }

            /// Every match, all pages collected.
            pub async fn collect_all(self) -> $crate::error::Result<Vec<$R>> {
                futures::TryStreamExt::try_collect(self.stream()).await
            }
        }
    };
}

pub(crate) use list_builder;

/// A create or update builder: `$Builder` over `$R` with a JSON `body`; gives it
/// `request` and `send`. `create` builders POST, `update` ones PATCH `id`.
macro_rules! write_builder {
    ($(#[$doc:meta])* create $Builder:ident, $R:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until .send().await"]
        pub struct $Builder {
            session: $crate::session::Session,
            body: serde_json::Map<String, serde_json::Value>,
        }

        impl $Builder {
            /// The request, as it will be sent.
            pub fn request(&self) -> $crate::request::Request {
                $crate::identity::requests::create(
                    <$R as $crate::identity::resource::Resource>::PATH,
                    <$R as $crate::identity::resource::Resource>::ONE,
                    &self.body,
                )
            }

            /// Sends the `POST` and answers what Keystone made; a name already taken is
            /// `ErrorKind::Conflict`.
            pub async fn send(self) -> $crate::error::Result<$R> {
                $crate::identity::resource::create::<$R>(&self.session, &self.body).await
            }
        }
    };
    ($(#[$doc:meta])* update $Builder:ident, $R:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until .send().await"]
        pub struct $Builder {
            session: $crate::session::Session,
            id: String,
            body: serde_json::Map<String, serde_json::Value>,
        }

        impl $Builder {
            /// The request, as it will be sent; an empty id is refused.
            pub fn request(&self) -> $crate::error::Result<$crate::request::Request> {
                $crate::identity::requests::update(
                    <$R as $crate::identity::resource::Resource>::PATH,
                    <$R as $crate::identity::resource::Resource>::ONE,
                    <$R as $crate::identity::resource::Resource>::LABEL,
                    &self.id,
                    &self.body,
                )
            }

            /// Sends the `PATCH` and answers the resource as it now is.
            pub async fn send(self) -> $crate::error::Result<$R> {
                $crate::identity::resource::update::<$R>(&self.session, &self.id, &self.body)
                    .await
            }
        }
    };
}

pub(crate) use write_builder;

/// The verbs every Keystone resource handle has: `get`, `find` (`$domained`: whether a name
/// is unique within a domain only), `delete`. `$R` is the resource.
macro_rules! handle_common {
    ($R:ty) => {
        /// One by id; a 404 is `ErrorKind::NotFound`.
        pub async fn get(&self, id: &str) -> $crate::error::Result<$R> {
            $crate::identity::resource::get::<$R>(&self.session, id).await
        }

        /// Deletes one by id; a 404 is `ErrorKind::NotFound`.
        pub async fn delete(&self, id: &str) -> $crate::error::Result<()> {
            $crate::identity::resource::delete::<$R>(&self.session, id).await
        }
    };
    ($R:ty, find) => {
        $crate::identity::resource::handle_common!($R);

        /// By id, else by exact name; none or several is `ErrorKind::Lookup`.
        pub async fn find(&self, name_or_id: &str) -> $crate::error::Result<$R> {
            $crate::identity::resource::find::<$R>(&self.session, name_or_id, None).await
        }
    };
    ($R:ty, find_in_domain) => {
        $crate::identity::resource::handle_common!($R);

        /// By id, else by exact name within `domain_id` when given (names are unique only
        /// within a domain); none or several is `ErrorKind::Lookup`.
        pub async fn find(
            &self,
            name_or_id: &str,
            domain_id: Option<&str>,
        ) -> $crate::error::Result<$R> {
            $crate::identity::resource::find::<$R>(&self.session, name_or_id, domain_id).await
        }
    };
}

pub(crate) use handle_common;
