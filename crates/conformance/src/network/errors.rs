//! What Neutron answers when it cannot: every kind of resource not found, a network or
//! subnet still in use, names that match nothing; each error's kind, status and Neutron's
//! own type as the SDK keeps it.

use anyhow::Result;
use ferrostack::ErrorKind;

use super::{NO_SUCH_ID, network_with_subnet};
use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        network_case!("network.errors.not_found", not_found),
        network_case!("network.errors.in_use", in_use),
    ]
}

/// `result` is a 404 whose Neutron type is `kind`.
fn is_not_found<T>(what: &str, result: ferrostack::Result<T>, kind: &str) -> Result<()> {
    let err = expect::error(what, result, ErrorKind::NotFound, Some(404))?;
    expect::equal(&format!("{what}: its type"), err.error_type(), Some(kind))
}

/// An id nothing has, for every resource; a name nothing has.
async fn not_found(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    is_not_found(
        "network",
        network.networks().get(NO_SUCH_ID).await,
        "NetworkNotFound",
    )?;
    is_not_found(
        "subnet",
        network.subnets().get(NO_SUCH_ID).await,
        "SubnetNotFound",
    )?;
    is_not_found(
        "port",
        network.ports().get(NO_SUCH_ID).await,
        "PortNotFound",
    )?;
    is_not_found(
        "router",
        network.routers().get(NO_SUCH_ID).await,
        "RouterNotFound",
    )?;
    is_not_found(
        "security group",
        network.security_groups().get(NO_SUCH_ID).await,
        "SecurityGroupNotFound",
    )?;
    is_not_found(
        "security group rule",
        network.security_group_rules().get(NO_SUCH_ID).await,
        "SecurityGroupRuleNotFound",
    )?;
    is_not_found(
        "floating IP",
        network.floating_ips().get(NO_SUCH_ID).await,
        "FloatingIPNotFound",
    )?;
    is_not_found(
        "deleting a port",
        network.ports().delete(NO_SUCH_ID).await,
        "PortNotFound",
    )?;
    is_not_found(
        "a port on a network",
        network
            .ports()
            .create(NO_SUCH_ID)
            .name(f.name("port"))
            .send()
            .await,
        "NetworkNotFound",
    )?;
    let named = network.networks().find(&f.name("nothing")).await;
    expect::error("finding a name nothing has", named, ErrorKind::Lookup, None)?;
    Ok(())
}

/// A network with a port on it, and its subnet, cannot go; once the port is gone both can.
async fn in_use(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let (made, subnet) = network_with_subnet(f, &network, "net", "10.60.0.0/24").await?;
    let port = network
        .ports()
        .create(made.id.clone())
        .name(f.name("port"))
        .send()
        .await?;
    expect::neutron_error(
        "deleting a network with a port",
        network.networks().delete(made.id.clone()).await,
        ErrorKind::Conflict,
        Some(409),
        "NetworkInUse",
    )?;
    expect::neutron_error(
        "deleting a subnet with a port",
        network.subnets().delete(subnet.id.clone()).await,
        ErrorKind::Conflict,
        Some(409),
        "SubnetInUse",
    )?;
    network.ports().delete(port.id).await?;
    network.subnets().delete(subnet.id).await?;
    network.networks().delete(made.id).await?;
    Ok(())
}
