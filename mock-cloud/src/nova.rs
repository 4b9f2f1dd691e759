//! Nova v2.1 at `/compute`: discovery, microversions (2.1-2.96), flavors (and their extra
//! specs and access lists), keypairs, servers and their actions and consoles. Servers change
//! state through a [`driver::ComputeDriver`];
//! the default is the [`driver::fake::FakeDriver`].

mod aggregates;
pub(crate) mod driver;
pub(crate) mod flavors;
pub(crate) mod fleet;
pub(crate) mod image_meta;
pub(crate) mod images;
mod instance_actions;
pub(crate) mod instance_metadata;
pub(crate) mod keypairs;
pub(crate) mod limits;
mod media;
pub(crate) mod metadata;
pub(crate) mod metadata_service;
pub(crate) mod microversion;
pub(crate) mod network;
pub(crate) mod records;
pub(crate) mod restart;
pub(crate) mod server_groups;
pub(crate) mod servers;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use self::driver::ComputeDriver;
use self::driver::fake::FakeDriver;
use self::flavors::Flavor;
use self::keypairs::Keypair;
use self::servers::Server;
use crate::app::AppState;
use crate::cloud::Options;
use crate::cloud::seed::Seed;
use crate::db::{self, Change, Db, Table};
use crate::errors::{ApiError, Service};

/// Compute state: flavors, keypairs, servers, the driver that runs them, and the database
/// they are saved in.
pub(crate) struct Nova {
    driver: Arc<dyn ComputeDriver>,
    db: Db,
    inner: Mutex<NovaState>,
    /// Server groups, aggregates and instance actions (locked after `inner`).
    fleet: fleet::Fleet,
}

/// What the API remembers.
pub(crate) struct NovaState {
    /// Every flavor.
    pub(crate) flavors: Vec<Flavor>,
    /// Keypairs of every user.
    pub(crate) keypairs: Vec<Keypair>,
    /// Servers, in creation order.
    pub(crate) servers: Vec<Server>,
    /// The next server's creation number (orders listings) and address suffix.
    pub(crate) next_seq: u64,
}

fn initial_flavors(seed: Option<&Seed>) -> Vec<Flavor> {
    let mut flavors = flavors::defaults();
    add_flavors(&mut flavors, seed);
    flavors
}

/// Adds `seed`'s flavors (a flavor with an existing id replaces it).
fn add_flavors(flavors: &mut Vec<Flavor>, seed: Option<&Seed>) {
    for f in seed.map(|s| s.flavors.as_slice()).unwrap_or_default() {
        flavors.retain(|existing| existing.id != f.id);
        flavors.push(Flavor::from(f));
    }
}

/// A change writing every flavor of `flavors`, after clearing the table.
fn saved_flavors(change: Change, flavors: &[Flavor]) -> Change {
    flavors
        .iter()
        .fold(change.clear(Table::NovaFlavors), |change, flavor| {
            change.put(Table::NovaFlavors, &flavor.id, flavor)
        })
}

impl Nova {
    /// The state kept in the state database (servers taken back powered off, see
    /// [`restart`]) plus `options.seed`'s flavors, or the default flavors plus the seed's; and
    /// `options.compute_driver` (the fake driver when none is given).
    pub(crate) fn new(base_url: &str, options: &Options, db: &Db) -> anyhow::Result<Self> {
        let driver: Arc<dyn ComputeDriver> = match &options.compute_driver {
            Some(handle) => handle.0.clone(),
            None => Arc::new(FakeDriver::new(options.fake_driver_polls, base_url)),
        };
        let mut flavors: Vec<Flavor> = db.load(Table::NovaFlavors)?;
        if flavors.is_empty() {
            flavors = flavors::defaults();
        }
        add_flavors(&mut flavors, options.seed.as_ref());
        let mut servers: Vec<Server> = db.load(Table::NovaServers)?;
        let specs = db.load(Table::NovaBootSpecs)?;
        let mut change = saved_flavors(Change::new(), &flavors);
        for server in restart::take_back(driver.as_ref(), &mut servers, specs) {
            change = change.put(Table::NovaServers, &server.id, &server);
        }
        db.submit(change)?;
        let next_seq = db::counter(db, records::NEXT_SEQ)?
            .unwrap_or(1)
            .max(servers.iter().map(|s| s.seq + 1).max().unwrap_or(1));
        Ok(Self {
            driver,
            fleet: fleet::Fleet::load(db)?,
            db: db.clone(),
            inner: Mutex::new(NovaState {
                flavors,
                keypairs: db.load(Table::NovaKeypairs)?,
                servers,
                next_seq,
            }),
        })
    }

    /// The driver.
    pub(crate) fn driver(&self) -> &Arc<dyn ComputeDriver> {
        &self.driver
    }

    /// Server groups, aggregates and instance actions.
    pub(crate) fn fleet(&self) -> &fleet::Fleet {
        &self.fleet
    }

    /// The API state, locked. Never held across an await.
    pub(crate) fn lock(&self) -> MutexGuard<'_, NovaState> {
        self.inner.lock().expect("nova state lock")
    }

    /// Saves `server` after a change, while the state is still locked (the request is
    /// answered once it is durable; a failure becomes its answer).
    pub(crate) fn save(&self, server: &Server) {
        self.submit(Change::new().put(Table::NovaServers, &server.id, server));
    }

    /// Saves a change of the API state, while it is still locked.
    pub(crate) fn submit(&self, change: Change) {
        if let Err(e) = self.db.submit(change) {
            tracing::error!(error = %e, "cannot save Nova's state");
        }
    }

    /// Forgets servers and keypairs; flavors back to the defaults plus `seed`'s.
    pub(crate) fn reset(&self, seed: Option<&Seed>) -> anyhow::Result<()> {
        let mut inner = self.lock();
        inner.flavors = initial_flavors(seed);
        inner.keypairs.clear();
        inner.servers.clear();
        let change = [
            Table::NovaKeypairs,
            Table::NovaServers,
            Table::NovaBootSpecs,
        ]
        .into_iter()
        .fold(Change::new(), Change::clear);
        self.db.submit(saved_flavors(change, &inner.flavors))?;
        self.fleet.reset();
        self.driver.reset();
        Ok(())
    }

    /// Adds `seed`'s flavors (a flavor with an existing id replaces it).
    pub(crate) fn apply_seed(&self, seed: &Seed) -> anyhow::Result<()> {
        let mut inner = self.lock();
        add_flavors(&mut inner.flavors, Some(seed));
        self.db
            .submit(saved_flavors(Change::new(), &inner.flavors))?;
        Ok(())
    }

    /// Advances the driver `steps` steps; returns how many servers finished a transition.
    pub(crate) fn tick(&self, steps: u32) -> usize {
        let changed = self.driver.tick(steps);
        let mut inner = self.lock();
        for server in &mut inner.servers {
            let vm = self.driver.observe(&server.id, false);
            if server.reconcile(vm) {
                self.save(server);
            }
        }
        changed
    }

    /// Every flavor.
    pub(crate) fn flavors(&self) -> Vec<Flavor> {
        self.lock().flavors.clone()
    }

    /// A flavor by id.
    pub(crate) fn flavor(&self, id: &str) -> Option<Flavor> {
        self.lock().flavors.iter().find(|f| f.id == id).cloned()
    }
}

/// A Nova error.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError::new(Service::Compute, status, message)
}

/// 400 badRequest.
pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, message)
}

/// 404 itemNotFound.
pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    error(StatusCode::NOT_FOUND, message)
}

/// 409 conflictingRequest.
pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
    error(StatusCode::CONFLICT, message)
}

/// 403 forbidden, in Nova's policy words.
pub(crate) fn policy_forbids(rule: &str) -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        format!("Policy doesn't allow {rule} to be performed."),
    )
}

/// What must be escaped in a path segment or query value we build (RFC 3986 unreserved
/// characters stay as they are, so ids read naturally in links).
pub(crate) const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Nova's 202 without a body (actions, keypair deletes before 2.2): WebOb still declares
/// it `application/json`.
pub(crate) fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
    )
        .into_response()
}

/// Query pairs, in order (repeatable keys kept).
pub(crate) type ListQuery = Vec<(String, String)>;

/// One page of `items` after `marker`, at most `limit` long, and the `next` link when the page
/// is full. Unknown marker: 400.
pub(crate) fn page<'a, T>(
    items: &'a [T],
    id: impl Fn(&T) -> &str,
    query: &ListQuery,
    url: &str,
) -> Result<(&'a [T], Option<String>), ApiError> {
    let value = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let limit = match value("limit") {
        None => None,
        Some(text) => Some(crate::paging::parse_limit(text, 1000).map_err(bad_request)?),
    };
    let start = match value("marker") {
        None => 0,
        Some(marker) => {
            items
                .iter()
                .position(|item| id(item) == marker)
                .ok_or_else(|| bad_request(format!("marker [{marker}] not found")))?
                + 1
        }
    };
    let rest = &items[start..];
    let Some(limit) = limit else {
        return Ok((rest, None));
    };
    let page = &rest[..limit.min(rest.len())];
    let next = (limit > 0 && page.len() == limit).then(|| {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k != "marker")
            .cloned()
            .collect();
        pairs.push(("marker".to_owned(), id(&page[page.len() - 1]).to_owned()));
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, COMPONENT),
                    percent_encoding::utf8_percent_encode(v, COMPONENT)
                )
            })
            .collect();
        format!("{url}?{}", encoded.join("&"))
    });
    Ok((page, next))
}

/// Routes under `/compute`.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route(
            "/flavors",
            get(flavors::index).post(flavors::manage::create),
        )
        .route("/flavors/detail", get(flavors::detail))
        .route(
            "/flavors/{id}",
            get(flavors::show)
                .put(flavors::manage::update)
                .delete(flavors::manage::delete),
        )
        .route("/flavors/{id}/action", post(flavors::access::action))
        .route(
            "/flavors/{id}/os-flavor-access",
            get(flavors::access::index),
        )
        .route(
            "/flavors/{id}/os-extra_specs",
            get(flavors::extra_specs::index).post(flavors::extra_specs::create),
        )
        .route(
            "/flavors/{id}/os-extra_specs/{key}",
            get(flavors::extra_specs::show)
                .put(flavors::extra_specs::update)
                .delete(flavors::extra_specs::delete),
        )
        .route("/limits", get(limits::limits))
        .route("/os-availability-zone", get(limits::availability_zones))
        .route(
            "/os-availability-zone/detail",
            get(limits::availability_zones_detail),
        )
        .route("/os-keypairs", get(keypairs::index).post(keypairs::create))
        .route(
            "/os-keypairs/{name}",
            get(keypairs::show).delete(keypairs::delete),
        )
        .route("/servers", get(servers::index).post(servers::create))
        .route("/servers/detail", get(servers::detail))
        .route(
            "/servers/{id}",
            get(servers::show)
                .put(servers::update)
                .delete(servers::delete),
        )
        .route("/servers/{id}/action", post(servers::action))
        .route(
            "/servers/{id}/os-instance-actions",
            get(instance_actions::index),
        )
        .route(
            "/servers/{id}/os-instance-actions/{request_id}",
            get(instance_actions::show),
        )
        .route(
            "/os-server-groups",
            get(server_groups::index).post(server_groups::create),
        )
        .route(
            "/os-server-groups/{id}",
            get(server_groups::show).delete(server_groups::delete),
        )
        .route(
            "/os-aggregates",
            get(aggregates::index).post(aggregates::create),
        )
        .route(
            "/os-aggregates/{id}",
            get(aggregates::show)
                .put(aggregates::update)
                .delete(aggregates::delete),
        )
        .route("/os-aggregates/{id}/action", post(aggregates::action))
        .route("/os-hypervisors", get(aggregates::hypervisors))
        .route(
            "/os-hypervisors/detail",
            get(aggregates::hypervisors_detail),
        )
        .route("/os-hypervisors/{id}", get(aggregates::hypervisor_show))
        .route("/os-services", get(aggregates::services))
        .route(
            "/servers/{id}/metadata",
            get(metadata::index)
                .post(metadata::merge)
                .put(metadata::replace),
        )
        .route(
            "/servers/{id}/metadata/{key}",
            get(metadata::show)
                .put(metadata::set)
                .delete(metadata::delete),
        )
        .route(
            "/servers/{id}/remote-consoles",
            post(servers::remote_console),
        )
        .route(
            "/servers/{id}/os-interface",
            get(network::interfaces).post(network::attach),
        )
        .route(
            "/servers/{id}/os-interface/{port}",
            get(network::interface).delete(network::detach),
        );
    Router::new()
        .route("/", get(versions))
        .route("/v2.1", get(version))
        .route("/v2.1/", get(version))
        .nest("/v2.1", api)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            media::check,
        ))
        .layer(axum::middleware::from_fn(microversion::negotiate))
}

async fn unknown_route(method: Method, uri: OriginalUri) -> ApiError {
    ApiError::unknown_route(Service::Compute, method.as_str(), uri.path())
}

async fn method_not_allowed(method: Method, uri: OriginalUri) -> ApiError {
    ApiError::method_not_allowed(Service::Compute, method.as_str(), uri.path())
}

fn version_json(state: &AppState) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        "version": microversion::MAX.to_string(),
        "min_version": microversion::MIN.to_string(),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", state.base_url)}],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.compute+json;version=2.1",
        }],
    })
}

/// `GET /compute/`: the list Nova serves at its root has no `media-types` (only the
/// `/v2.1` document does).
async fn versions(State(state): State<AppState>) -> Response {
    let mut version = version_json(&state);
    if let Some(fields) = version.as_object_mut() {
        fields.remove("media-types");
    }
    axum::Json(json!({"versions": [version]})).into_response()
}

async fn version(State(state): State<AppState>) -> Response {
    axum::Json(json!({"version": version_json(&state)})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ListQuery {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_follow_markers_and_stop_on_a_short_page() {
        let items = ["a", "b", "c"];
        let (p, next) = page(
            &items,
            |s| s,
            &q(&[("limit", "2"), ("name", "x y")]),
            "http://h/l",
        )
        .unwrap();
        assert_eq!(p, ["a", "b"]);
        assert_eq!(
            next.as_deref(),
            Some("http://h/l?limit=2&name=x%20y&marker=b")
        );
        let (p, next) = page(&items, |s| s, &q(&[("limit", "2"), ("marker", "b")]), "u").unwrap();
        assert_eq!(p, ["c"]);
        assert!(next.is_none());
        assert_eq!(
            page(&items, |s| s, &q(&[("marker", "z")]), "u")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            page(&items, |s| s, &q(&[("limit", "-1")]), "u")
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            page(&items, |s| s, &q(&[("limit", "x")]), "u")
                .unwrap_err()
                .status,
            400
        );
    }
}
