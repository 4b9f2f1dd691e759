//! Routers (a gateway on the external network, interfaces by subnet and by port) and
//! floating IPs (made on the external network, forwarded to a port through the project's
//! `router1`, and back).

use anyhow::{Context, Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::network::{ExternalGateway, FixedIp, HostRoute};

use super::{interface_ports, ip, network_with_subnet, public, sorted};
use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        network_case!("network.routers", routers),
        network_case!("network.floating_ips", floating_ips),
    ]
}

/// Whether `address` is one of the external network's (127.42.0.0/24).
fn is_public(address: std::net::IpAddr) -> bool {
    address.to_string().starts_with("127.42.0.")
}

/// A router with a gateway on `public` (its address Neutron's choice: choosing is the
/// admin's), an interface by subnet and one by port, static routes; in use it cannot go; the
/// interfaces removed, the gateway cleared, the router deleted.
async fn routers(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let routers = network.routers();
    let public = public(&network).await?;
    let (_, by_subnet) = network_with_subnet(f, &network, "a", "10.40.0.0/24").await?;
    let (net_b, sub_b) = network_with_subnet(f, &network, "b", "10.41.0.0/24").await?;

    let name = f.name("router");
    let router = routers
        .create(&name)
        .external_gateway(ExternalGateway::new(public.id.clone()))
        .send()
        .await?;
    expect::equal("name", router.name.as_str(), name.as_str())?;
    expect::equal("admin_state_up", router.admin_state_up, Some(true))?;
    let gateway = router
        .external_gateway_info
        .as_ref()
        .context("the router has no gateway")?;
    expect::equal("gateway network", &gateway.network_id, &public.id)?;
    expect::equal("gateway addresses", gateway.external_fixed_ips.len(), 1)?;
    let gateway_ip = gateway.external_fixed_ips[0]
        .ip_address
        .context("the gateway port has no address")?;
    ensure!(
        is_public(gateway_ip),
        "the gateway address {gateway_ip} is not one of public's"
    );

    // Choosing the gateway's address is the admin's (policy), not the member's.
    let chosen = routers
        .create(f.name("router-chosen"))
        .external_gateway(
            ExternalGateway::new(public.id.clone()).fixed_ip(FixedIp::address(ip("127.42.0.250"))),
        )
        .send()
        .await;
    expect::error(
        "the member choosing the gateway address",
        chosen,
        ErrorKind::Forbidden,
        Some(403),
    )?;

    let interface = routers
        .add_router_interface(router.id.clone(), by_subnet.id.clone())
        .await?;
    expect::equal("interface's router", &interface.id, &router.id)?;
    expect::equal(
        "interface's subnet",
        interface.subnet_id.as_ref(),
        Some(&by_subnet.id),
    )?;
    let port = network.ports().get(interface.port_id.clone()).await?;
    expect::equal(
        "interface port's owner",
        port.device_owner.as_str(),
        "network:router_interface",
    )?;
    expect::equal(
        "interface port's device",
        port.device_id.as_str(),
        router.id.as_str(),
    )?;
    expect::equal(
        "interface address (the subnet's gateway)",
        port.ip_addresses().collect::<Vec<_>>(),
        vec![ip("10.40.0.1")],
    )?;
    let twice = routers
        .add_router_interface(router.id.clone(), by_subnet.id.clone())
        .await;
    expect::error(
        "the same subnet twice",
        twice,
        ErrorKind::BadRequest,
        Some(400),
    )?;

    let by_port = network
        .ports()
        .create(net_b.id.clone())
        .name(f.name("b-port"))
        .fixed_ips(vec![FixedIp::new(ip("10.41.0.5"), sub_b.id.clone())])
        .send()
        .await?;
    let interface_b = routers
        .add_router_interface(router.id.clone(), by_port.id.clone())
        .await?;
    expect::equal("by port: its port", &interface_b.port_id, &by_port.id)?;
    expect::equal(
        "by port: its subnet",
        interface_b.subnet_id.as_ref(),
        Some(&sub_b.id),
    )?;
    let taken = network.ports().get(by_port.id.clone()).await?;
    expect::equal(
        "the port's new owner",
        taken.device_owner.as_str(),
        "network:router_interface",
    )?;
    expect::equal(
        "the router's interfaces",
        sorted(interface_ports(&network, &router.id).await?),
        sorted([&interface.port_id, &by_port.id]),
    )?;

    // Static routes through a neighbour on a connected subnet; one through nowhere refused.
    let routed = routers
        .update(router.id.clone())
        .routes(vec![HostRoute::new("10.99.0.0/24", ip("10.40.0.50"))])
        .send()
        .await?;
    expect::equal(
        "routes",
        routed.routes.clone(),
        vec![HostRoute::new("10.99.0.0/24", ip("10.40.0.50"))],
    )?;
    let nowhere = routers
        .update(router.id.clone())
        .routes(vec![HostRoute::new("10.98.0.0/24", ip("10.97.0.1"))])
        .send()
        .await;
    expect::neutron_error(
        "a route through no connected subnet",
        nowhere,
        ErrorKind::BadRequest,
        Some(400),
        "InvalidRoutes",
    )?;
    let unrouted = routers
        .update(router.id.clone())
        .routes(Vec::new())
        .send()
        .await?;
    expect::equal("routes cleared", unrouted.routes, vec![])?;

    let in_use = routers.delete(router.id.clone()).await;
    expect::neutron_error(
        "deleting a router with interfaces",
        in_use,
        ErrorKind::Conflict,
        Some(409),
        "RouterInUse",
    )?;

    // Removing by port deletes the port; by subnet, the port Neutron made.
    routers
        .remove_router_interface(router.id.clone(), by_port.id.clone())
        .await?;
    let after = network.ports().get(by_port.id.clone()).await;
    expect::error(
        "the port of an interface removed by port",
        after,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let removed = routers
        .remove_router_interface(router.id.clone(), by_subnet.id.clone())
        .await?;
    expect::equal(
        "removed interface's port",
        &removed.port_id,
        &interface.port_id,
    )?;
    let after = network.ports().get(interface.port_id.clone()).await;
    expect::error(
        "the port of an interface removed by subnet",
        after,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let again = routers
        .remove_router_interface(router.id.clone(), by_subnet.id.clone())
        .await;
    expect::error(
        "removing an interface that is gone",
        again,
        ErrorKind::NotFound,
        Some(404),
    )?;
    expect::equal(
        "interfaces left",
        interface_ports(&network, &router.id).await?,
        vec![],
    )?;

    let renamed = f.name("router-renamed");
    let cleared = routers
        .update(router.id.clone())
        .name(&renamed)
        .clear_external_gateway()
        .send()
        .await?;
    expect::equal("renamed", cleared.name.as_str(), renamed.as_str())?;
    expect::equal("gateway cleared", cleared.external_gateway_info, None)?;
    let listed = routers.list().name(&renamed).collect_all().await?;
    expect::equal(
        "listed by name",
        sorted(listed.iter().map(|r| &r.id)),
        vec![router.id.to_string()],
    )?;
    routers.delete(router.id.clone()).await?;
    let after = routers.get(router.id.clone()).await;
    expect::neutron_error(
        "showing a deleted router",
        after,
        ErrorKind::NotFound,
        Some(404),
        "RouterNotFound",
    )?;
    Ok(())
}

/// Floating IPs of the member: made on `public`, forwarded to a port on its `private`
/// network (behind the seeded `router1`), moved off it, deleted; one port, one floating IP;
/// a chosen address (the admin's to choose, once); one on a network that is not external
/// refused.
async fn floating_ips(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let fips = network.floating_ips();
    let public = public(&network).await?;
    let private = network.networks().find("private").await?;
    let router1 = network.routers().find("router1").await?;
    let port = network
        .ports()
        .create(private.id.clone())
        .name(f.name("port"))
        .send()
        .await?;
    let fixed = port
        .ip_addresses()
        .next()
        .context("the port has no address")?;

    let fip = fips
        .create(public.id.clone())
        .description(f.tag())
        .send()
        .await?;
    expect::equal("its network", &fip.floating_network_id, &public.id)?;
    ensure!(
        is_public(fip.floating_ip_address),
        "the floating IP {} is not one of public's",
        fip.floating_ip_address
    );
    expect::equal("port of a new floating IP", fip.port_id.as_ref(), None)?;
    expect::equal("router of a new floating IP", fip.router_id.as_ref(), None)?;
    let address = fip.floating_ip_address;
    expect::equal(
        "found by address",
        fips.find(&address.to_string()).await?.id,
        fip.id.clone(),
    )?;
    let by_address = fips
        .list()
        .floating_ip_address(address)
        .collect_all()
        .await?;
    expect::equal(
        "listed by address",
        sorted(by_address.iter().map(|i| &i.id)),
        vec![fip.id.to_string()],
    )?;

    let associated = fips.associate(fip.id.clone(), port.id.clone()).await?;
    expect::equal(
        "associated port",
        associated.port_id.as_ref(),
        Some(&port.id),
    )?;
    expect::equal("forwarded to", associated.fixed_ip_address, Some(fixed))?;
    expect::equal(
        "through the router",
        associated.router_id.as_ref(),
        Some(&router1.id),
    )?;
    let by_port = fips.list().port_id(port.id.clone()).collect_all().await?;
    expect::equal(
        "listed by port",
        sorted(by_port.iter().map(|i| &i.id)),
        vec![fip.id.to_string()],
    )?;

    let second = fips
        .create(public.id.clone())
        .description(f.tag())
        .send()
        .await?;
    let both = fips.associate(second.id.clone(), port.id.clone()).await;
    expect::neutron_error(
        "a second floating IP for the same address",
        both,
        ErrorKind::Conflict,
        Some(409),
        "FloatingIPPortAlreadyAssociated",
    )?;

    let alone = fips.disassociate(fip.id.clone()).await?;
    expect::equal("disassociated port", alone.port_id.as_ref(), None)?;
    expect::equal("disassociated address", alone.fixed_ip_address, None)?;
    expect::equal("disassociated router", alone.router_id.as_ref(), None)?;
    // Free again: the second one takes it, from the start this time.
    fips.delete(second.id.clone()).await?;
    let at_once = fips
        .create(public.id.clone())
        .port_id(port.id.clone())
        .description(f.tag())
        .send()
        .await?;
    expect::equal(
        "associated at creation",
        at_once.port_id.as_ref(),
        Some(&port.id),
    )?;
    expect::equal(
        "forwarded at creation",
        at_once.fixed_ip_address,
        Some(fixed),
    )?;

    fips.delete(fip.id.clone()).await?;
    let after = fips.get(fip.id.clone()).await;
    expect::neutron_error(
        "showing a deleted floating IP",
        after,
        ErrorKind::NotFound,
        Some(404),
        "FloatingIPNotFound",
    )?;

    // Choosing the address is the admin's; the same address twice is refused.
    let member_chose = fips
        .create(public.id.clone())
        .floating_ip_address(ip("127.42.0.251"))
        .description(f.tag())
        .send()
        .await;
    expect::error(
        "the member choosing the address",
        member_chose,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let admin_fips = f.admin.network().floating_ips();
    let chosen = admin_fips
        .create(public.id.clone())
        .floating_ip_address(ip("127.42.0.251"))
        .description(f.tag())
        .send()
        .await?;
    expect::equal(
        "the admin's chosen address",
        chosen.floating_ip_address,
        ip("127.42.0.251"),
    )?;
    let twice = admin_fips
        .create(public.id.clone())
        .floating_ip_address(ip("127.42.0.251"))
        .description(f.tag())
        .send()
        .await;
    expect::neutron_error(
        "the same address twice",
        twice,
        ErrorKind::Conflict,
        Some(409),
        "IpAddressAlreadyAllocated",
    )?;
    let described = admin_fips
        .update(chosen.id.clone())
        .description(format!("{} changed", f.tag()))
        .send()
        .await?;
    expect::equal(
        "new description",
        described.description,
        format!("{} changed", f.tag()),
    )?;

    let internal = fips
        .create(private.id.clone())
        .description(f.tag())
        .send()
        .await;
    expect::error(
        "a floating IP on a network that is not external",
        internal,
        ErrorKind::BadRequest,
        Some(400),
    )?;
    Ok(())
}
