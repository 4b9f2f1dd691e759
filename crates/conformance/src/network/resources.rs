//! Networks, subnets and ports: create, show, find, list with filters and `fields=`, tags,
//! update and delete, as a member of project demo on networks of its own.

use anyhow::{Context, Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::network::{AllocationPool, FixedIp, HostRoute, Status};

use super::{ip, network_with_subnet, project_id, sorted};
use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        network_case!("network.networks", networks),
        network_case!("network.subnets", subnets),
        network_case!("network.ports", ports),
    ]
}

/// A network's whole life: create, show, find, list (by name, `fields=`, tags), tags,
/// update, delete.
async fn networks(f: &Fixture) -> Result<()> {
    let networks = f.demo.network().networks();
    let demo = project_id(&f.demo).await?;
    let name = f.name("net");
    let made = networks
        .create(&name)
        .description("made by the conformance suite")
        .send()
        .await?;
    expect::equal("name", made.name.as_str(), name.as_str())?;
    expect::equal("project", made.project_id.as_deref(), Some(demo.as_str()))?;
    expect::equal("admin_state_up", made.admin_state_up, Some(true))?;
    ensure!(!made.shared, "a new network is shared");
    ensure!(!made.external, "a new network is external");
    ensure!(made.subnets.is_empty(), "a new network has subnets");

    let shown = networks.get(made.id.clone()).await?;
    expect::equal("shown id", &shown.id, &made.id)?;
    expect::equal(
        "shown description",
        shown.description.as_str(),
        "made by the conformance suite",
    )?;
    expect::equal(
        "found by name",
        networks.find(&name).await?.id,
        made.id.clone(),
    )?;
    let listed = networks.list().name(&name).collect_all().await?;
    expect::equal(
        "listed by name",
        sorted(listed.iter().map(|n| &n.id)),
        vec![made.id.to_string()],
    )?;
    let narrowed = networks
        .list()
        .name(&name)
        .fields(["name"])
        .collect_all()
        .await?;
    expect::equal("fields=name count", narrowed.len(), 1)?;
    expect::equal("fields=name name", narrowed[0].name.as_str(), name.as_str())?;
    ensure!(
        narrowed[0].status.is_none()
            && narrowed[0].project_id.is_none()
            && narrowed[0].description.is_empty(),
        "fields=name answered more than the id and the name: {:?}",
        narrowed[0]
    );

    // Tags: replace, add one, filter by them, remove one.
    let tag = |what: &str| format!("{}-{what}", f.tag());
    let (red, blue, green) = (tag("red"), tag("blue"), tag("green"));
    networks
        .set_tags(made.id.clone(), [red.clone(), blue.clone()])
        .await?;
    networks.add_tag(made.id.clone(), &green).await?;
    expect::equal(
        "tags",
        sorted(networks.get(made.id.clone()).await?.tags),
        sorted([&blue, &green, &red]),
    )?;
    let ids = |list: Vec<ferrostack::network::Network>| sorted(list.into_iter().map(|n| n.id));
    let just_it = vec![made.id.to_string()];
    let all_of = networks.list().tags([&red, &green]).collect_all().await?;
    expect::equal("tags=red,green", ids(all_of), just_it.clone())?;
    let any_of = networks
        .list()
        .tags_any([red.clone(), tag("none")])
        .collect_all()
        .await?;
    expect::equal("tags-any=red,none", ids(any_of), just_it.clone())?;
    let both = networks
        .list()
        .tags([&red, &tag("none")])
        .collect_all()
        .await?;
    expect::equal("tags=red,none", ids(both), vec![])?;
    let without = networks
        .list()
        .name(&name)
        .not_tags_any([&green])
        .collect_all()
        .await?;
    expect::equal("not-tags-any=green", ids(without), vec![])?;
    networks.remove_tag(made.id.clone(), &green).await?;
    expect::equal(
        "tags after removing one",
        sorted(networks.get(made.id.clone()).await?.tags),
        sorted([&blue, &red]),
    )?;

    let renamed = f.name("net-renamed");
    let updated = networks
        .update(made.id.clone())
        .name(&renamed)
        .description("changed")
        .admin_state_up(false)
        .send()
        .await?;
    expect::equal("new name", updated.name.as_str(), renamed.as_str())?;
    expect::equal("new description", updated.description.as_str(), "changed")?;
    expect::equal("new admin_state_up", updated.admin_state_up, Some(false))?;
    ensure!(
        updated.revision_number > made.revision_number,
        "the revision did not grow: {:?} then {:?}",
        made.revision_number,
        updated.revision_number
    );

    networks.delete(made.id.clone()).await?;
    let after = networks.get(made.id.clone()).await;
    expect::neutron_error(
        "showing a deleted network",
        after,
        ErrorKind::NotFound,
        Some(404),
        "NetworkNotFound",
    )?;
    let again = networks.delete(made.id.clone()).await;
    expect::error("deleting it again", again, ErrorKind::NotFound, Some(404))?;
    Ok(())
}

/// Subnets: the gateway and pools Neutron picks, chosen ones, none; list filters and
/// sorting; update; an overlapping range and a bad one refused. IPv4 only: the mock's IPAM
/// refuses IPv6 subnets (400, "serves IPv4 subnets only"), a known limit of the mock.
async fn subnets(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let subnets = network.subnets();
    let made = network.networks().create(f.name("net")).send().await?;
    let picked = subnets
        .create(made.id.clone(), "10.20.0.0/24")
        .name(f.name("picked"))
        .send()
        .await?;
    expect::equal("ip_version", picked.ip_version, 4)?;
    expect::equal("network", &picked.network_id, &made.id)?;
    expect::equal("cidr", picked.cidr.as_str(), "10.20.0.0/24")?;
    expect::equal("default gateway", picked.gateway_ip, Some(ip("10.20.0.1")))?;
    expect::equal(
        "default pools",
        picked.allocation_pools.clone(),
        vec![AllocationPool::new(ip("10.20.0.2"), ip("10.20.0.254"))],
    )?;
    ensure!(picked.enable_dhcp, "DHCP is off by default");

    let chosen = subnets
        .create(made.id.clone(), "10.21.0.0/24")
        .name(f.name("chosen"))
        .gateway_ip(ip("10.21.0.254"))
        .allocation_pools(vec![AllocationPool::new(
            ip("10.21.0.10"),
            ip("10.21.0.20"),
        )])
        .enable_dhcp(false)
        .dns_nameservers(vec!["10.21.0.53".to_owned()])
        .send()
        .await?;
    expect::equal("chosen gateway", chosen.gateway_ip, Some(ip("10.21.0.254")))?;
    expect::equal(
        "chosen pools",
        chosen.allocation_pools.clone(),
        vec![AllocationPool::new(ip("10.21.0.10"), ip("10.21.0.20"))],
    )?;
    ensure!(!chosen.enable_dhcp, "DHCP is on though turned off");
    expect::equal(
        "DNS servers",
        chosen.dns_nameservers.clone(),
        vec!["10.21.0.53".to_owned()],
    )?;

    let none = subnets
        .create(made.id.clone(), "10.22.0.0/24")
        .name(f.name("no-gateway"))
        .no_gateway()
        .send()
        .await?;
    expect::equal("no gateway", none.gateway_ip, None)?;
    expect::equal(
        "pools without a gateway",
        none.allocation_pools.clone(),
        vec![AllocationPool::new(ip("10.22.0.1"), ip("10.22.0.254"))],
    )?;

    let shown = network.networks().get(made.id.clone()).await?;
    expect::equal(
        "the network's subnets",
        sorted(shown.subnets),
        sorted([&picked.id, &chosen.id, &none.id]),
    )?;
    let by_cidr = subnets
        .list()
        .network_id(made.id.clone())
        .sort("cidr", ferrostack::network::SortDir::Desc)
        .collect_all()
        .await?;
    expect::equal(
        "subnets by cidr, descending",
        by_cidr.iter().map(|s| s.cidr.as_str()).collect::<Vec<_>>(),
        vec!["10.22.0.0/24", "10.21.0.0/24", "10.20.0.0/24"],
    )?;
    let one = subnets
        .list()
        .network_id(made.id.clone())
        .cidr("10.21.0.0/24")
        .collect_all()
        .await?;
    expect::equal(
        "by cidr",
        sorted(one.iter().map(|s| &s.id)),
        vec![chosen.id.to_string()],
    )?;
    expect::equal(
        "found by name",
        subnets.find(&chosen.name).await?.id,
        chosen.id.clone(),
    )?;

    let renamed = f.name("chosen-renamed");
    let updated = subnets
        .update(chosen.id.clone())
        .name(&renamed)
        .no_gateway()
        .send()
        .await?;
    expect::equal("renamed", updated.name.as_str(), renamed.as_str())?;
    expect::equal("gateway removed", updated.gateway_ip, None)?;

    let repooled = subnets
        .update(updated.id.clone())
        .allocation_pools(vec![
            AllocationPool::new(ip("10.21.0.30"), ip("10.21.0.39")),
            AllocationPool::new(ip("10.21.0.50"), ip("10.21.0.59")),
        ])
        .host_routes(vec![HostRoute::new("10.88.0.0/24", ip("10.21.0.5"))])
        .send()
        .await?;
    // Neutron answers the pools in no particular order (real Neutron's come from the
    // database unsorted), so they are compared sorted.
    let mut pools = repooled.allocation_pools.clone();
    pools.sort_by_key(|p| (p.start, p.end));
    expect::equal(
        "new pools",
        pools,
        vec![
            AllocationPool::new(ip("10.21.0.30"), ip("10.21.0.39")),
            AllocationPool::new(ip("10.21.0.50"), ip("10.21.0.59")),
        ],
    )?;
    expect::equal(
        "host routes",
        repooled.host_routes,
        vec![HostRoute::new("10.88.0.0/24", ip("10.21.0.5"))],
    )?;
    let pool_outside = subnets
        .create(made.id.clone(), "10.24.0.0/24")
        .name(f.name("pool-outside"))
        .allocation_pools(vec![AllocationPool::new(
            ip("10.25.0.10"),
            ip("10.25.0.20"),
        )])
        .send()
        .await;
    expect::neutron_error(
        "a pool outside the range",
        pool_outside,
        ErrorKind::BadRequest,
        Some(400),
        "OutOfBoundsAllocationPool",
    )?;

    let overlapping = subnets
        .create(made.id.clone(), "10.20.0.128/25")
        .name(f.name("overlap"))
        .send()
        .await;
    expect::error(
        "an overlapping range",
        overlapping,
        ErrorKind::BadRequest,
        Some(400),
    )?;
    let invalid = subnets
        .create(made.id.clone(), "10.23.0.0/33")
        .name(f.name("invalid"))
        .send()
        .await;
    expect::error("a /33", invalid, ErrorKind::BadRequest, Some(400))?;

    subnets.delete(picked.id.clone()).await?;
    let after = subnets.get(picked.id.clone()).await;
    expect::neutron_error(
        "showing a deleted subnet",
        after,
        ErrorKind::NotFound,
        Some(404),
        "SubnetNotFound",
    )?;
    Ok(())
}

/// Ports: chosen and picked addresses, a chosen MAC, the default group and another one;
/// filters; update; an address or MAC in use, an address off the subnet; delete.
async fn ports(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let ports = network.ports();
    let (made, subnet) = network_with_subnet(f, &network, "net", "10.30.0.0/24").await?;
    let defaults = network
        .security_groups()
        .list()
        .name("default")
        .collect_all()
        .await?;
    expect::equal("demo's default groups", defaults.len(), 1)?;
    let default = &defaults[0];

    let chosen = ports
        .create(made.id.clone())
        .name(f.name("chosen"))
        .fixed_ips(vec![FixedIp::new(ip("10.30.0.10"), subnet.id.clone())])
        .send()
        .await?;
    expect::equal(
        "chosen address",
        chosen.ip_addresses().collect::<Vec<_>>(),
        vec![ip("10.30.0.10")],
    )?;
    expect::equal(
        "its subnet",
        chosen.fixed_ips[0].subnet_id.as_ref(),
        Some(&subnet.id),
    )?;
    ensure!(
        chosen.mac_address.len() == 17 && chosen.mac_address.starts_with("fa:16:3e:"),
        "the MAC {:?} is not one of Neutron's (fa:16:3e:xx:xx:xx)",
        chosen.mac_address
    );
    expect::equal(
        "groups by default",
        chosen.security_groups.clone(),
        vec![default.id.clone()],
    )?;
    expect::equal("network", &chosen.network_id, &made.id)?;
    expect::equal("device owner", chosen.device_owner.as_str(), "")?;
    expect::equal(
        "status of an unbound port",
        chosen.status.clone(),
        Some(Status::Down),
    )?;

    let mac = "fa:16:3e:12:34:56";
    let picked = ports
        .create(made.id.clone())
        .name(f.name("picked"))
        .mac_address(mac)
        .fixed_ips(vec![FixedIp::on_subnet(subnet.id.clone())])
        .send()
        .await?;
    expect::equal("chosen MAC", picked.mac_address.as_str(), mac)?;
    let address = picked
        .ip_addresses()
        .next()
        .context("the port has no address")?;
    ensure!(
        address.to_string().starts_with("10.30.0.") && address != ip("10.30.0.10"),
        "picked address {address} is not a free one of 10.30.0.0/24"
    );

    let taken = ports
        .create(made.id.clone())
        .name(f.name("taken"))
        .fixed_ips(vec![FixedIp::address(ip("10.30.0.10"))])
        .send()
        .await;
    expect::neutron_error(
        "an address in use",
        taken,
        ErrorKind::Conflict,
        Some(409),
        "IpAddressAlreadyAllocated",
    )?;
    let same_mac = ports
        .create(made.id.clone())
        .name(f.name("same-mac"))
        .mac_address(mac)
        .send()
        .await;
    expect::neutron_error(
        "a MAC in use",
        same_mac,
        ErrorKind::Conflict,
        Some(409),
        "MacAddressInUse",
    )?;
    let outside = ports
        .create(made.id.clone())
        .name(f.name("outside"))
        .fixed_ips(vec![FixedIp::new(ip("10.99.0.5"), subnet.id.clone())])
        .send()
        .await;
    expect::neutron_error(
        "an address off the subnet",
        outside,
        ErrorKind::BadRequest,
        Some(400),
        "InvalidIpForSubnet",
    )?;

    let group = network
        .security_groups()
        .create(f.name("sg"))
        .send()
        .await?;
    let renamed = f.name("chosen-renamed");
    let updated = ports
        .update(chosen.id.clone())
        .name(&renamed)
        .security_groups(vec![group.id.clone()])
        .fixed_ips(vec![FixedIp::new(ip("10.30.0.11"), subnet.id.clone())])
        .send()
        .await?;
    expect::equal("renamed", updated.name.as_str(), renamed.as_str())?;
    expect::equal(
        "new groups",
        updated.security_groups.clone(),
        vec![group.id.clone()],
    )?;
    expect::equal(
        "new address",
        updated.ip_addresses().collect::<Vec<_>>(),
        vec![ip("10.30.0.11")],
    )?;
    let ids = |list: Vec<ferrostack::network::Port>| sorted(list.into_iter().map(|p| p.id));
    let by_address = ports
        .list()
        .fixed_ip_address(ip("10.30.0.11"))
        .network_id(made.id.clone())
        .collect_all()
        .await?;
    expect::equal("by address", ids(by_address), vec![chosen.id.to_string()])?;
    let by_group = ports
        .list()
        .security_group(group.id.clone())
        .collect_all()
        .await?;
    expect::equal("by group", ids(by_group), vec![chosen.id.to_string()])?;
    let by_mac = ports.list().mac_address(mac).collect_all().await?;
    expect::equal("by MAC", ids(by_mac), vec![picked.id.to_string()])?;
    let on_network = ports
        .list()
        .network_id(made.id.clone())
        .collect_all()
        .await?;
    expect::equal(
        "on the network",
        ids(on_network),
        sorted([&chosen.id, &picked.id]),
    )?;
    expect::equal(
        "found by name",
        ports.find(&renamed).await?.id,
        chosen.id.clone(),
    )?;

    ports.delete(picked.id.clone()).await?;
    let after = ports.get(picked.id.clone()).await;
    expect::neutron_error(
        "showing a deleted port",
        after,
        ErrorKind::NotFound,
        Some(404),
        "PortNotFound",
    )?;
    // The address of a deleted port is free again.
    let reused = ports
        .create(made.id.clone())
        .name(f.name("reused"))
        .fixed_ips(vec![FixedIp::address(address)])
        .send()
        .await
        .with_context(|| format!("taking {address} again once its port is gone"))?;
    expect::equal(
        "reused address",
        reused.ip_addresses().collect::<Vec<_>>(),
        vec![address],
    )?;
    Ok(())
}
