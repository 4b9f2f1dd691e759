//! The networks devstack makes, made here: the external network `public` on a loopback range
//! (so that a floating IP is an address of this machine), and for each project, on its first
//! Neutron call, the `default` security group and a `private` network, `private-subnet` and
//! `router1` from it to `public`.

use serde_json::{Value, json};

use super::resources::{Actor, create_one};
use super::security_groups::make_group;
use super::store::{NeutronState, str_of};
use super::{Doc, Kind};

/// The external network's range: all of 127/8 reaches `lo` on Linux.
pub(crate) const PUBLIC_CIDR: &str = "127.42.0.0/24";
/// Each project's private range (devstack's `FIXED_RANGE`).
pub(crate) const PRIVATE_CIDR: &str = "10.0.0.0/22";

fn attrs(value: Value) -> Doc {
    value.as_object().cloned().unwrap_or_default()
}

/// Creates `kind` from `value` as `actor`; the seed's own inputs cannot be refused.
fn make(state: &mut NeutronState, actor: &Actor, kind: Kind, value: Value) -> Doc {
    create_one(state, actor, kind, &attrs(value)).expect("the seed topology is valid")
}

/// `public` and `public-subnet` (without DHCP, which Neutron refuses on loopback, as
/// devstack makes it), owned by `admin_project`.
pub(super) fn seed_public(state: &mut NeutronState, admin_project: &str) {
    let admin = Actor {
        project: admin_project.to_owned(),
        admin: true,
    };
    let public = make(
        state,
        &admin,
        Kind::Network,
        json!({"name": "public", "router:external": true}),
    );
    make(
        state,
        &admin,
        Kind::Subnet,
        json!({"name": "public-subnet", "network_id": public["id"], "ip_version": 4, "cidr": PUBLIC_CIDR,
            "enable_dhcp": false}),
    );
}

/// A project's defaults: the `default` group, `private`, `private-subnet`, `router1`.
pub(super) fn project_defaults(state: &mut NeutronState, project: &str) {
    let actor = Actor {
        project: project.to_owned(),
        admin: true,
    };
    make_group(state, &actor, &Doc::new(), true).expect("the default group is valid");
    let private = make(state, &actor, Kind::Network, json!({"name": "private"}));
    let subnet = make(
        state,
        &actor,
        Kind::Subnet,
        json!({"name": "private-subnet", "network_id": private["id"], "ip_version": 4, "cidr": PRIVATE_CIDR}),
    );
    let public = state
        .all(Kind::Network)
        .iter()
        .find(|n| n["name"] == "public" && n["router:external"] == true)
        .map(|n| str_of(n, "id").to_owned());
    let gateway = public.map_or(Value::Null, |id| json!({"network_id": id}));
    // With `public` gone or out of addresses, the router has no gateway.
    let before = state.clone();
    let with_gateway = json!({"name": "router1", "external_gateway_info": gateway});
    let router = match create_one(state, &actor, Kind::Router, &attrs(with_gateway)) {
        Ok(router) => router,
        Err(_) => {
            *state = before;
            make(state, &actor, Kind::Router, json!({"name": "router1"}))
        }
    };
    super::routers::attach_subnet(state, &actor, &router, str_of(&subnet, "id"))
        .expect("a new router takes its project's new subnet");
}
