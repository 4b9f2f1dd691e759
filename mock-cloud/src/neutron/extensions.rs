//! `GET /v2.0/extensions[/{alias}]`: what an ML2 deployment with the L3 router plugin
//! advertises, limited to what this cloud really does (no `dns-integration`, no
//! `auto-allocated-topology`: clients check for them and take another path without).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::errors::ApiError;

/// Alias, name, description of every extension served.
const EXTENSIONS: [(&str, &str, &str); 23] = [
    (
        "security-group",
        "security-group",
        "The security groups extension.",
    ),
    (
        "router",
        "Neutron L3 Router",
        "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
    ),
    (
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
    ),
    (
        "ext-gw-mode",
        "Neutron L3 Configurable external gateway mode",
        "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
    ),
    (
        "extraroute",
        "Neutron Extra Route",
        "Extra routes configuration for L3 router",
    ),
    (
        "standard-attr-tag",
        "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
        "Enables to set tag on resources with standard attribute.",
    ),
    (
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    (
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
    ),
    (
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    (
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
    ),
    (
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
    ),
    (
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
    ),
    (
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
    ),
    (
        "empty-string-filtering",
        "Empty String Filtering Extension",
        "Allow filtering by attributes with empty string value",
    ),
    ("port-security", "Port Security", "Provides port security"),
    (
        "allowed-address-pairs",
        "Allowed Address Pairs",
        "Provides allowed address pairs",
    ),
    (
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
    ),
    (
        "net-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
    ),
    (
        "quotas",
        "Quota management support",
        "Expose functions for quotas management per project",
    ),
    (
        "fip-port-details",
        "Floating IP Port Details Extension",
        "Add port_details attribute to Floating IP resource",
    ),
    (
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
    ),
    (
        "security-groups-default-rules",
        "Security group default rules template",
        "Configure set of security group rules used as default security group rules for every new security group and the default security group of every project.",
    ),
    (
        "stateful-security-group",
        "Stateful security group",
        "Indicates if the security group is stateful or not",
    ),
];

fn render(alias: &str, name: &str, description: &str) -> Value {
    json!({
        "alias": alias,
        "name": name,
        "description": description,
        "updated": "2023-01-01T10:00:00-00:00",
        "links": [],
    })
}

/// The list.
pub(super) async fn list() -> Response {
    let extensions: Vec<Value> = EXTENSIONS.iter().map(|(a, n, d)| render(a, n, d)).collect();
    axum::Json(json!({"extensions": extensions})).into_response()
}

/// One extension, or 404 as Neutron answers for one it does not have: webob's own error
/// body (`code`, `title`, `message`), not a `NeutronError`.
pub(super) fn show(alias: &str) -> Result<Response, ApiError> {
    let found = EXTENSIONS
        .iter()
        .find(|(a, _, _)| *a == alias)
        .map(|(a, n, d)| axum::Json(json!({"extension": render(a, n, d)})).into_response());
    Ok(found.unwrap_or_else(|| {
        let body = json!({
            "code": "404 Not Found",
            "title": "Not Found",
            "message": format!(
                "The resource could not be found.<br /><br />\nExtension with alias {alias} does not exist\n\n"
            ),
        });
        let mut response = (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
        // Already in its shape: the service's error reshaping leaves it as it is.
        response.extensions_mut().insert(crate::errors::Shaped);
        response
    }))
}
