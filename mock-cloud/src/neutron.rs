//! Neutron v2.0 at `/networking` (devstack's path): networks, subnets (with IPAM), ports,
//! routers, security groups and their rules, floating IPs, tags, the extensions an ML2
//! deployment advertises, and Neutron's `{"NeutronError":{type,message,detail}}` errors.
//!
//! Resources are kept as their wire documents (Neutron's API layer is itself generic over
//! attribute maps): filters, `fields=`, sorting, paging and tags are one code path for every
//! collection, and each resource's own rules live in its file.
//!
//! Policy as Neutron's: an admin sees everything; a member sees its project's resources, shared
//! networks and external ones; what a caller cannot see is 404, what it sees but may not
//! change is 403. A project's `default` security group (and, as devstack makes it, its
//! `private` network, subnet and router) appears on the project's first Neutron call.
//!
//! The reference is Neutron 29 with ML2 and the router, qos, segments, port_forwarding and
//! auto_allocate plugins (`cargo xtask conformance --with-neutron`). Deliberate differences
//! (the differential check marks the cases that meet them and fails if they change):
//! - `GET /v2.0/` lists the seven collections served here; Neutron lists its core ones
//!   (networks, ports, subnetpools, subnets), and this cloud has no subnet pools;
//! - an associated floating IP is `ACTIVE`, as an L3 agent makes it; the reference runs no
//!   agents and leaves it `DOWN`.
//!
//! Not compared, since they are the backends' own choices: which free address a port or a
//! floating IP gets (Neutron picks at random, the mock the lowest), MTUs (VXLAN's 1450 there,
//! 1442 here), segmentation ids, and the order of a list without `sort_key` (Neutron's is
//! by id, the mock's by creation).

mod extensions;
mod floating_ips;
pub(crate) mod hooks;
mod ipam;
mod networks;
mod ports;
mod query;
mod quotas;
mod resources;
mod routers;
mod security_groups;
pub(crate) mod server_ports;
mod store;
mod subnets;
mod tags;
mod topology;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

pub(crate) use self::store::Neutron;
use crate::app::AppState;
use crate::errors::{ApiError, Service};

/// A resource document in its wire form.
pub(crate) type Doc = Map<String, Value>;

/// The collections this Neutron serves.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// `networks`.
    Network,
    /// `subnets`.
    Subnet,
    /// `ports`.
    Port,
    /// `routers`.
    Router,
    /// `security-groups`.
    SecurityGroup,
    /// `security-group-rules`.
    SecurityGroupRule,
    /// `floatingips`.
    FloatingIp,
}

impl Kind {
    /// Every collection, in the order `GET /v2.0/` lists them.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::Network,
        Kind::Subnet,
        Kind::Port,
        Kind::Router,
        Kind::SecurityGroup,
        Kind::SecurityGroupRule,
        Kind::FloatingIp,
    ];

    /// The body key of one resource (`network`, `security_group`).
    pub(crate) fn singular(self) -> &'static str {
        match self {
            Kind::Network => "network",
            Kind::Subnet => "subnet",
            Kind::Port => "port",
            Kind::Router => "router",
            Kind::SecurityGroup => "security_group",
            Kind::SecurityGroupRule => "security_group_rule",
            Kind::FloatingIp => "floatingip",
        }
    }

    /// The body key of a list (`networks`, `security_groups`).
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::Network => "networks",
            Kind::Subnet => "subnets",
            Kind::Port => "ports",
            Kind::Router => "routers",
            Kind::SecurityGroup => "security_groups",
            Kind::SecurityGroupRule => "security_group_rules",
            Kind::FloatingIp => "floatingips",
        }
    }

    /// The URL segment (`security-groups`).
    pub(crate) fn path(self) -> &'static str {
        match self {
            Kind::SecurityGroup => "security-groups",
            Kind::SecurityGroupRule => "security-group-rules",
            other => other.plural(),
        }
    }

    /// The collection at URL segment `segment` (a `.json` suffix is accepted, as Neutron does).
    pub(crate) fn from_path(segment: &str) -> Option<Kind> {
        let segment = segment.strip_suffix(".json").unwrap_or(segment);
        Kind::ALL.into_iter().find(|k| k.path() == segment)
    }

    /// Whether its resources take tags (`standard-attr-tag`); rules do not.
    pub(crate) fn taggable(self) -> bool {
        self != Kind::SecurityGroupRule
    }

    /// The `NotFound` exception Neutron raises for this kind, and its message.
    pub(crate) fn not_found(self, id: &str) -> ApiError {
        let (kind, message) = match self {
            Kind::Network => (
                "NetworkNotFound",
                format!("Network {id} could not be found."),
            ),
            Kind::Subnet => ("SubnetNotFound", format!("Subnet {id} could not be found.")),
            Kind::Port => ("PortNotFound", format!("Port {id} could not be found.")),
            Kind::Router => ("RouterNotFound", format!("Router {id} could not be found")),
            Kind::SecurityGroup => (
                "SecurityGroupNotFound",
                format!("Security group {id} does not exist"),
            ),
            Kind::SecurityGroupRule => (
                "SecurityGroupRuleNotFound",
                format!("Security group rule {id} does not exist"),
            ),
            Kind::FloatingIp => (
                "FloatingIPNotFound",
                format!("Floating IP {id} could not be found"),
            ),
        };
        error(StatusCode::NOT_FOUND, kind, message)
    }
}

/// A Neutron error: status, exception class, message.
pub(crate) fn error(
    status: StatusCode,
    kind: &'static str,
    message: impl Into<String>,
) -> ApiError {
    ApiError::new(Service::Network, status, message).neutron_type(kind)
}

/// 400 from webob (`HTTPBadRequest`): malformed bodies, unknown attributes, filters.
pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "HTTPBadRequest", message)
}

/// 400 `InvalidInput` (an attribute's validator said no).
pub(crate) fn invalid_input(message: impl Into<String>) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        format!("Invalid input for operation: {}.", message.into()),
    )
}

/// 409 with Neutron's exception class.
pub(crate) fn conflict(kind: &'static str, message: impl Into<String>) -> ApiError {
    error(StatusCode::CONFLICT, kind, message)
}

/// 403 `PolicyNotAuthorized` for `action` (e.g. `update_network`).
pub(crate) fn policy_forbids(action: &str) -> ApiError {
    error(
        StatusCode::FORBIDDEN,
        "PolicyNotAuthorized",
        format!("({action}) is disallowed by policy"),
    )
}

/// Neutron's timestamp form (`2026-01-02T03:04:05Z`).
pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Routes under `/networking`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(versions).fallback(root_method))
        .route("/v2.0/", get(resource_list))
        .route("/v2.0", get(without_slash))
        .merge(resources::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn unknown_route(method: Method, uri: OriginalUri) -> ApiError {
    ApiError::unknown_route(Service::Network, method.as_str(), uri.path())
}

async fn method_not_allowed(method: Method, uri: OriginalUri) -> ApiError {
    ApiError::method_not_allowed(Service::Network, method.as_str(), uri.path())
        .neutron_type("HTTPMethodNotAllowed")
}

/// Every other method at the root is 405, as Neutron's root controller answers.
pub(crate) async fn root_method(method: Method, uri: OriginalUri) -> ApiError {
    method_not_allowed(method, uri).await
}

/// `GET /networking/`: the one version.
pub(crate) async fn versions(State(state): State<AppState>) -> Response {
    axum::Json(json!({"versions": [{
        "id": "v2.0",
        "status": "CURRENT",
        "links": [{"href": format!("{}/networking/v2.0/", state.base_url), "rel": "self"}],
    }]}))
    .into_response()
}

/// `GET /networking/v2.0`: Neutron serves the resource list only with the slash.
async fn without_slash() -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "HTTPNotFound",
        "The resource could not be found.",
    )
}

/// `GET /networking/v2.0/`: the collections (Neutron answers 404 without the slash).
async fn resource_list(State(state): State<AppState>) -> Response {
    let resources: Vec<Value> = Kind::ALL
        .iter()
        .map(|kind| {
            json!({
                "name": kind.singular(),
                "collection": kind.plural(),
                "links": [{"rel": "self", "href": format!("{}/networking/v2.0/{}", state.base_url, kind.path())}],
            })
        })
        .collect();
    axum::Json(json!({"resources": resources})).into_response()
}
