//! Neutron: networks, subnets and ports; routers and floating IPs; security groups and their
//! rules; lists (pages, sorting, `fields=`), extensions, error kinds and the policy between
//! two projects. Every case needs a network service (skipped without one).
//!
//! Both backends start from the same topology (devstack's, see the mock's
//! `neutron/topology.rs` and devtools' `real_neutron.rs`): the external network `public`
//! (127.42.0.0/24) and, for the projects admin and demo, `private`, `private-subnet` and
//! `router1` between them, and the `default` security group.

use std::net::IpAddr;

use anyhow::{Context, Result, ensure};
use ferrostack::Cloud;
use ferrostack::network::{Network, NetworkClient, PortId, Subnet};

use crate::{Case, Fixture};

mod errors;
mod l3;
mod listing;
mod policy;
mod resources;
mod security;

pub(crate) fn cases() -> Vec<Case> {
    let mut all = resources::cases();
    all.extend(security::cases());
    all.extend(l3::cases());
    all.extend(listing::cases());
    all.extend(errors::cases());
    all.extend(policy::cases());
    all
}

/// An id no resource has.
pub(crate) const NO_SUCH_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The project the cloud's token is scoped to.
pub(crate) async fn project_id(cloud: &Cloud) -> Result<String> {
    let token = cloud.identity().tokens().current().await?;
    Ok(token
        .project_id()
        .context("the token is not scoped to a project")?
        .to_owned())
}

/// The seeded external network `public`, as `network`'s caller sees it.
pub(crate) async fn public(network: &NetworkClient) -> Result<Network> {
    let public = network
        .networks()
        .find("public")
        .await
        .context("finding the external network `public`")?;
    ensure!(public.external, "network `public` is not router:external");
    Ok(public)
}

/// A network named after `what` (see [`Fixture::name`]) with one subnet `cidr`, made by
/// `network`'s caller.
pub(crate) async fn network_with_subnet(
    f: &Fixture,
    network: &NetworkClient,
    what: &str,
    cidr: &str,
) -> Result<(Network, Subnet)> {
    let made = network
        .networks()
        .create(f.name(what))
        .send()
        .await
        .with_context(|| format!("creating network {what}"))?;
    let subnet = network
        .subnets()
        .create(made.id.clone(), cidr)
        .name(f.name(&format!("{what}-subnet")))
        .send()
        .await
        .with_context(|| format!("creating subnet {cidr} on network {what}"))?;
    Ok((made, subnet))
}

/// An address literal of the suite's own (never a user's input).
pub(crate) fn ip(text: &str) -> IpAddr {
    text.parse().expect("the suite's addresses parse")
}

/// Ids, sorted, for comparing sets.
pub(crate) fn sorted<I: IntoIterator<Item = S>, S: ToString>(ids: I) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
    ids.sort();
    ids
}

/// `Ok` for a success or a 404 (gone already); the error otherwise.
fn gone(result: ferrostack::Result<()>) -> ferrostack::Result<()> {
    match result {
        Err(err) if err.is_not_found() => Ok(()),
        other => other,
    }
}

/// Deletes, as the admin (who sees every project's), what the case made in Neutron, in
/// dependency order: floating IPs and rules by description, then by name the routers
/// (their interfaces first), ports, networks (their subnets go with them) and groups.
pub(crate) async fn clean_up(f: &Fixture, problems: &mut Vec<String>) {
    let network = f.admin.network();
    let prefix = f.tag();
    let mut fail = |what: String, err: &dyn std::fmt::Display| {
        problems.push(format!("{what}: {err}"));
    };

    match network.floating_ips().list().collect_all().await {
        Ok(fips) => {
            for fip in fips.iter().filter(|i| i.description.starts_with(prefix)) {
                if let Err(err) = gone(network.floating_ips().delete(fip.id.clone()).await) {
                    fail(format!("floating IP {}", fip.id), &err);
                }
            }
        }
        Err(err) => fail("listing floating IPs".into(), &err),
    }

    match network.routers().list().collect_all().await {
        Ok(routers) => {
            for router in routers.iter().filter(|r| r.name.starts_with(prefix)) {
                let interfaces = network
                    .ports()
                    .list()
                    .device_id(router.id.to_string())
                    .device_owner("network:router_interface")
                    .collect_all()
                    .await;
                match interfaces {
                    Ok(ports) => {
                        for port in ports {
                            let removed = network
                                .routers()
                                .remove_router_interface(router.id.clone(), port.id.clone())
                                .await
                                .map(drop);
                            if let Err(err) = gone(removed) {
                                fail(format!("router {} interface {}", router.id, port.id), &err);
                            }
                        }
                    }
                    Err(err) => fail(format!("listing router {}'s interfaces", router.id), &err),
                }
                if let Err(err) = gone(network.routers().delete(router.id.clone()).await) {
                    fail(format!("router {}", router.id), &err);
                }
            }
        }
        Err(err) => fail("listing routers".into(), &err),
    }

    match network.ports().list().collect_all().await {
        Ok(ports) => {
            for port in ports.iter().filter(|p| p.name.starts_with(prefix)) {
                if let Err(err) = gone(network.ports().delete(port.id.clone()).await) {
                    fail(format!("port {}", port.id), &err);
                }
            }
        }
        Err(err) => fail("listing ports".into(), &err),
    }

    match network.networks().list().collect_all().await {
        Ok(networks) => {
            for made in networks.iter().filter(|n| n.name.starts_with(prefix)) {
                if let Err(err) = gone(network.networks().delete(made.id.clone()).await) {
                    fail(format!("network {}", made.id), &err);
                }
            }
        }
        Err(err) => fail("listing networks".into(), &err),
    }

    match network.security_group_rules().list().collect_all().await {
        Ok(rules) => {
            for rule in rules.iter().filter(|r| r.description.starts_with(prefix)) {
                let deleted = network.security_group_rules().delete(rule.id.clone()).await;
                if let Err(err) = gone(deleted) {
                    fail(format!("security group rule {}", rule.id), &err);
                }
            }
        }
        Err(err) => fail("listing security group rules".into(), &err),
    }

    match network.security_groups().list().collect_all().await {
        Ok(groups) => {
            for group in groups.iter().filter(|g| g.name.starts_with(prefix)) {
                if let Err(err) = gone(network.security_groups().delete(group.id.clone()).await) {
                    fail(format!("security group {}", group.id), &err);
                }
            }
        }
        Err(err) => fail("listing security groups".into(), &err),
    }
}

/// Checks, as the admin, that nothing of the case is left in Neutron.
pub(crate) async fn left_behind(f: &Fixture, problems: &mut Vec<String>) {
    let network = f.admin.network();
    let prefix = f.tag();
    let mut left: Vec<String> = Vec::new();
    let mut check = |what: &str, listed: ferrostack::Result<Vec<String>>| match listed {
        Ok(ids) if ids.is_empty() => {}
        Ok(ids) => left.push(format!("{what} {}", ids.join(", "))),
        Err(err) => left.push(format!("listing {what}: {err}")),
    };
    let named = |name: &str, id: String| name.starts_with(prefix).then_some(id);

    let networks = network.networks().list().collect_all().await;
    check(
        "networks",
        networks.map(|all| {
            all.into_iter()
                .filter_map(|n| named(&n.name, n.id.to_string()))
                .collect()
        }),
    );
    let subnets = network.subnets().list().collect_all().await;
    check(
        "subnets",
        subnets.map(|all| {
            all.into_iter()
                .filter_map(|s| named(&s.name, s.id.to_string()))
                .collect()
        }),
    );
    let ports = network.ports().list().collect_all().await;
    check(
        "ports",
        ports.map(|all| {
            all.into_iter()
                .filter_map(|p| named(&p.name, p.id.to_string()))
                .collect()
        }),
    );
    let routers = network.routers().list().collect_all().await;
    check(
        "routers",
        routers.map(|all| {
            all.into_iter()
                .filter_map(|r| named(&r.name, r.id.to_string()))
                .collect()
        }),
    );
    let groups = network.security_groups().list().collect_all().await;
    check(
        "security groups",
        groups.map(|all| {
            all.into_iter()
                .filter_map(|g| named(&g.name, g.id.to_string()))
                .collect()
        }),
    );
    let rules = network.security_group_rules().list().collect_all().await;
    check(
        "security group rules",
        rules.map(|all| {
            all.into_iter()
                .filter_map(|r| named(&r.description, r.id.to_string()))
                .collect()
        }),
    );
    let fips = network.floating_ips().list().collect_all().await;
    check(
        "floating IPs",
        fips.map(|all| {
            all.into_iter()
                .filter_map(|i| named(&i.description, i.id.to_string()))
                .collect()
        }),
    );
    if !left.is_empty() {
        problems.push(format!("left after clean-up: {}", left.join("; ")));
    }
}

/// The ids of `router`'s interface ports (`device_owner` `network:router_interface`).
pub(crate) async fn interface_ports(
    network: &NetworkClient,
    router: &ferrostack::network::RouterId,
) -> Result<Vec<PortId>> {
    let ports = network
        .ports()
        .list()
        .device_id(router.to_string())
        .device_owner("network:router_interface")
        .collect_all()
        .await
        .context("listing the router's interface ports")?;
    Ok(ports.into_iter().map(|p| p.id).collect())
}
