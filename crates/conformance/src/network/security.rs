//! Security groups and rules: the project's `default` group and its four rules, a group of
//! the case's own, rules made, refused (twice the same, a bad port range) and deleted, and a
//! group in use.

use anyhow::{Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::network::{Direction, EtherType, SecurityGroupRule};

use super::{network_with_subnet, project_id, sorted};
use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        network_case!("network.security_groups.default", default_group),
        network_case!("network.security_groups.rules", rules),
    ]
}

/// A rule as `(direction, ethertype, protocol, remote is the group itself)`, for comparing.
fn shape(rule: &SecurityGroupRule) -> (String, String, Option<String>, bool) {
    (
        rule.direction.to_string(),
        rule.ethertype
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        rule.protocol.clone(),
        rule.remote_group_id.as_ref() == Some(&rule.security_group_id),
    )
}

/// The `default` group Neutron gives every project: egress anywhere, ingress from the group
/// itself, for IPv4 and IPv6; a second one, and deleting it (in use or not), refused.
async fn default_group(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let groups = network.security_groups();
    let demo = project_id(&f.demo).await?;
    let defaults = groups.list().name("default").collect_all().await?;
    expect::equal("default groups", defaults.len(), 1)?;
    let default = &defaults[0];
    expect::equal(
        "its project",
        default.project_id.as_deref(),
        Some(demo.as_str()),
    )?;
    let mut shapes: Vec<_> = default.security_group_rules.iter().map(shape).collect();
    shapes.sort();
    let want = |direction: &str, ethertype: &str, from_itself: bool| {
        (
            direction.to_owned(),
            ethertype.to_owned(),
            None,
            from_itself,
        )
    };
    expect::equal(
        "its rules",
        shapes,
        vec![
            want("egress", "IPv4", false),
            want("egress", "IPv6", false),
            want("ingress", "IPv4", true),
            want("ingress", "IPv6", true),
        ],
    )?;
    for rule in &default.security_group_rules {
        ensure!(
            rule.port_range_min.is_none()
                && rule.port_range_max.is_none()
                && rule.remote_ip_prefix.is_none(),
            "a default rule is narrower than any port from anywhere: {rule:?}"
        );
    }
    let listed = network
        .security_group_rules()
        .list()
        .security_group_id(default.id.clone())
        .collect_all()
        .await?;
    expect::equal(
        "its rules, listed",
        sorted(listed.iter().map(|r| &r.id)),
        sorted(default.security_group_rules.iter().map(|r| &r.id)),
    )?;
    let shown = groups.get(default.id.clone()).await?;
    expect::equal("shown", &shown.id, &default.id)?;

    let second = groups.create("default").send().await;
    expect::error(
        "a second default group",
        second,
        ErrorKind::Conflict,
        Some(409),
    )?;
    // Deleting it: Neutron looks for ports in the group first (in use, even to a member),
    // then refuses the member the default group.
    let (made, _) = network_with_subnet(f, &network, "net", "10.32.0.0/24").await?;
    let port = network
        .ports()
        .create(made.id.clone())
        .name(f.name("port"))
        .send()
        .await?;
    expect::equal(
        "a new port's groups",
        port.security_groups.clone(),
        vec![default.id.clone()],
    )?;
    let deleted = groups.delete(default.id.clone()).await;
    expect::neutron_error(
        "the member deleting its default group in use",
        deleted,
        ErrorKind::Conflict,
        Some(409),
        "SecurityGroupInUse",
    )?;
    network.ports().delete(port.id).await?;
    // Other ports of the project may still be in it (a long-lived cloud's, or those the
    // differential check made before the suite): then it is still in use.
    let still_in = network
        .ports()
        .list()
        .security_group(default.id.clone())
        .collect_all()
        .await?;
    let expected = if still_in.is_empty() {
        "SecurityGroupCannotRemoveDefault"
    } else {
        "SecurityGroupInUse"
    };
    let deleted = groups.delete(default.id.clone()).await;
    let err = expect::error(
        "the member deleting its default group",
        deleted,
        ErrorKind::Conflict,
        Some(409),
    )?;
    expect::equal(
        &format!("its type, with {} other ports in the group", still_in.len()),
        err.error_type(),
        Some(expected),
    )?;
    Ok(())
}

/// A group of the case's own and its rules.
async fn rules(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let groups = network.security_groups();
    let rules = network.security_group_rules();
    let name = f.name("sg");
    let group = groups
        .create(&name)
        .description("made by the conformance suite")
        .send()
        .await?;
    expect::equal("name", group.name.as_str(), name.as_str())?;
    expect::equal(
        "description",
        group.description.as_str(),
        "made by the conformance suite",
    )?;
    let mut shapes: Vec<_> = group.security_group_rules.iter().map(shape).collect();
    shapes.sort();
    expect::equal(
        "a new group's rules",
        shapes,
        vec![
            ("egress".to_owned(), "IPv4".to_owned(), None, false),
            ("egress".to_owned(), "IPv6".to_owned(), None, false),
        ],
    )?;

    let ssh = || {
        rules
            .create(group.id.clone(), Direction::Ingress)
            .protocol("tcp")
            .port_range(22, 22)
            .remote_ip_prefix("0.0.0.0/0")
            .description(f.tag())
    };
    let rule = ssh().send().await?;
    expect::equal("rule's group", &rule.security_group_id, &group.id)?;
    expect::equal("direction", &rule.direction, &Direction::Ingress)?;
    expect::equal("ethertype", rule.ethertype.as_ref(), Some(&EtherType::Ipv4))?;
    expect::equal("protocol", rule.protocol.as_deref(), Some("tcp"))?;
    expect::equal(
        "ports",
        (rule.port_range_min, rule.port_range_max),
        (Some(22), Some(22)),
    )?;
    expect::equal(
        "prefix",
        rule.remote_ip_prefix.as_deref(),
        Some("0.0.0.0/0"),
    )?;
    expect::equal("shown", rules.get(rule.id.clone()).await?, rule.clone())?;

    let twice = ssh().send().await;
    expect::neutron_error(
        "the same rule twice",
        twice,
        ErrorKind::Conflict,
        Some(409),
        "SecurityGroupRuleExists",
    )?;
    let port_zero = rules
        .create(group.id.clone(), Direction::Ingress)
        .protocol("tcp")
        .port_range(0, 22)
        .description(f.tag())
        .send()
        .await;
    expect::neutron_error(
        "a port range from 0",
        port_zero,
        ErrorKind::BadRequest,
        Some(400),
        "SecurityGroupInvalidPortValue",
    )?;
    let no_protocol = rules
        .create(group.id.clone(), Direction::Ingress)
        .port_range(80, 80)
        .description(f.tag())
        .send()
        .await;
    expect::neutron_error(
        "ports without a protocol",
        no_protocol,
        ErrorKind::BadRequest,
        Some(400),
        "SecurityGroupProtocolRequiredWithPorts",
    )?;
    // A range that ends before it starts never leaves the SDK.
    let backwards = rules
        .create(group.id.clone(), Direction::Ingress)
        .protocol("tcp")
        .port_range(100, 50)
        .send()
        .await;
    expect::error(
        "a backwards range",
        backwards,
        ErrorKind::InvalidInput,
        None,
    )?;

    let ping = rules
        .create(group.id.clone(), Direction::Ingress)
        .protocol("icmp")
        .icmp_type(8)
        .description(f.tag())
        .send()
        .await?;
    expect::equal(
        "ICMP type and code",
        (ping.port_range_min, ping.port_range_max),
        (Some(8), None),
    )?;
    let dns = rules
        .create(group.id.clone(), Direction::Ingress)
        .protocol("udp")
        .port_range(53, 53)
        .remote_group_id(group.id.clone())
        .description(f.tag())
        .send()
        .await?;
    expect::equal(
        "remote group",
        dns.remote_group_id.as_ref(),
        Some(&group.id),
    )?;
    // An IPv6 prefix makes an IPv6 rule; an IPv4 one with it is refused.
    let v6 = rules
        .create(group.id.clone(), Direction::Egress)
        .protocol("tcp")
        .port_range(443, 443)
        .remote_ip_prefix("::/0")
        .description(f.tag())
        .send()
        .await?;
    expect::equal(
        "IPv6 ethertype",
        v6.ethertype.as_ref(),
        Some(&EtherType::Ipv6),
    )?;
    let mixed = rules
        .create(group.id.clone(), Direction::Egress)
        .ethertype(EtherType::Ipv4)
        .protocol("tcp")
        .port_range(443, 443)
        .remote_ip_prefix("::/0")
        .description(f.tag())
        .send()
        .await;
    expect::neutron_error(
        "an IPv4 rule from an IPv6 prefix",
        mixed,
        ErrorKind::BadRequest,
        Some(400),
        "SecurityGroupRuleParameterConflict",
    )?;
    let listed = rules
        .list()
        .security_group_id(group.id.clone())
        .direction(Direction::Ingress)
        .collect_all()
        .await?;
    expect::equal(
        "the group's ingress rules",
        sorted(listed.iter().map(|r| &r.id)),
        sorted([&rule.id, &ping.id, &dns.id]),
    )?;
    let tcp = rules
        .list()
        .security_group_id(group.id.clone())
        .direction(Direction::Ingress)
        .protocol("tcp")
        .collect_all()
        .await?;
    expect::equal(
        "the group's ingress tcp rules",
        sorted(tcp.iter().map(|r| &r.id)),
        vec![rule.id.to_string()],
    )?;

    rules.delete(rule.id.clone()).await?;
    let after = rules.get(rule.id.clone()).await;
    expect::neutron_error(
        "showing a deleted rule",
        after,
        ErrorKind::NotFound,
        Some(404),
        "SecurityGroupRuleNotFound",
    )?;

    let renamed = f.name("sg-renamed");
    let updated = groups
        .update(group.id.clone())
        .name(&renamed)
        .description("changed")
        .send()
        .await?;
    expect::equal("renamed", updated.name.as_str(), renamed.as_str())?;
    expect::equal("new description", updated.description.as_str(), "changed")?;

    let stateless = groups
        .create(f.name("stateless"))
        .stateful(false)
        .send()
        .await?;
    expect::equal("stateless", stateless.stateful, Some(false))?;

    // A group a port is in cannot go.
    let (made, _) = network_with_subnet(f, &network, "net", "10.31.0.0/24").await?;
    let port = network
        .ports()
        .create(made.id.clone())
        .name(f.name("port"))
        .security_groups(vec![group.id.clone()])
        .send()
        .await?;
    let in_use = groups.delete(group.id.clone()).await;
    expect::neutron_error(
        "deleting a group in use",
        in_use,
        ErrorKind::Conflict,
        Some(409),
        "SecurityGroupInUse",
    )?;
    network.ports().delete(port.id).await?;
    groups.delete(group.id.clone()).await?;
    let after = groups.get(group.id.clone()).await;
    expect::neutron_error(
        "showing a deleted group",
        after,
        ErrorKind::NotFound,
        Some(404),
        "SecurityGroupNotFound",
    )?;
    Ok(())
}
