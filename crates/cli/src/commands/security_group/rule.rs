//! `security group rule list|show|create|delete`: osc's checks of the ports and ICMP flags
//! before anything is sent, its defaults (ingress, the ethertype from the protocol, a remote
//! prefix of everything), and its columns (`Port Range` as `22:22` or `type=8:code=0`).

use anyhow::{Result, bail};
use ferrostack::Cloud;
use ferrostack::network::{Direction, EtherType, SecurityGroupRule};
use serde_json::{Map, Value};

use super::args::{RuleCommand, RuleCreate, RuleList};
use super::find;
use crate::commands::neutron::{
    delete_each, http_error, lookup_error, plain, plain_fields, project_id, wire,
};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `security group rule` command.
pub async fn run(ctx: &Context, command: RuleCommand) -> Result<()> {
    match command {
        RuleCommand::List(args) => list(ctx, args).await,
        RuleCommand::Show(args) => {
            let cloud = ctx.cloud().await?;
            let rule = get(cloud, &args.rule).await?;
            let mut wire = wire(&rule);
            // Rules from before Neutron filled the prefix in: osc shows what they mean.
            if wire.get("remote_ip_prefix").is_none_or(is_empty) {
                wire.insert("remote_ip_prefix".into(), remote_ip_prefix(&wire));
            }
            print::one(&args.output, rule_fields(&wire))
        }
        RuleCommand::Create(args) => create(ctx, args).await,
        RuleCommand::Delete(args) => {
            let cloud = ctx.cloud().await?;
            delete_each(&args.rules, "security group rule", "rules", async |id| {
                let rule = get(cloud, id).await?;
                let rules = cloud.network().security_group_rules();
                match rules.delete(rule.id.clone()).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let path = format!("/security-group-rules/{}", rule.id);
                        Err(http_error(cloud, &path, e).await)
                    }
                }
            })
            .await
        }
    }
}

/// A rule by id (rules have no names).
async fn get(cloud: &Cloud, id: &str) -> Result<SecurityGroupRule> {
    cloud
        .network()
        .security_group_rules()
        .get(id)
        .await
        .map_err(|e| lookup_error("SecurityGroupRule", id, e))
}

async fn list(ctx: &Context, args: RuleList) -> Result<()> {
    if args.long {
        eprintln!("The --long option has been deprecated and is no longer needed");
    }
    let cloud = ctx.cloud().await?;
    let mut query = cloud.network().security_group_rules().list();
    if let Some(group) = &args.group {
        query = query.security_group_id(find(cloud, group).await?.id);
    }
    if args.ingress {
        query = query.direction(Direction::Ingress);
    }
    if args.egress {
        query = query.direction(Direction::Egress);
    }
    if let Some(protocol) = &args.protocol {
        query = query.protocol(protocol.to_lowercase());
    }
    // osc reads --ethertype and sends nothing for it: so does this.
    if let Some(project) = project_id(cloud, &args.project).await? {
        query = query.project_id(project);
    }
    let rules = query
        .collect_all()
        .await
        .map_err(|e| anyhow::Error::from(e).context("cannot list security group rules"))?;
    let mut columns = vec![
        "ID",
        "IP Protocol",
        "Ethertype",
        "IP Range",
        "Port Range",
        "Direction",
        "Remote Security Group",
        "Remote Address Group",
    ];
    let all_groups = args.group.is_none();
    if all_groups {
        columns.push("Security Group");
    }
    let rows = rules
        .iter()
        .map(|rule| {
            let wire = wire(rule);
            let mut row = vec![
                plain(&wire, "id"),
                plain(&wire, "protocol"),
                plain(&wire, "ethertype"),
                Cell::json(remote_ip_prefix(&wire)),
                Cell::str(port_range(&wire)),
                plain(&wire, "direction"),
                plain(&wire, "remote_group_id"),
                plain(&wire, "remote_address_group_id"),
            ];
            if all_groups {
                row.push(plain(&wire, "security_group_id"));
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn create(ctx: &Context, args: RuleCreate) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let group = find(cloud, &args.group).await?;
    let protocol = args.protocol.clone().filter(|p| p != "any");
    let direction = if args.egress {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    let ethertype = match args.ethertype.as_deref() {
        Some("IPv6") => EtherType::Ipv6,
        Some(_) => EtherType::Ipv4,
        None if is_ipv6_protocol(protocol.as_deref()) => EtherType::Ipv6,
        None => EtherType::Ipv4,
    };
    // osc's checks, in its order and words (a zero type or code counts as not given).
    let typed = args.icmp_type.is_some_and(|t| t != 0) || args.icmp_code.is_some_and(|c| c != 0);
    if args.dst_port.is_some() && typed {
        bail!("Argument --dst-port not allowed with arguments --icmp-type and --icmp-code");
    }
    if args.icmp_type.is_none() && args.icmp_code.is_some() {
        bail!("Argument --icmp-type required with argument --icmp-code");
    }
    let icmp = is_icmp_protocol(protocol.as_deref());
    if !icmp && typed {
        bail!("ICMP IP protocol required with arguments --icmp-type and --icmp-code");
    }
    let mut request = cloud
        .network()
        .security_group_rules()
        .create(group.id.clone(), direction)
        .ethertype(ethertype.clone());
    if let Some(protocol) = &protocol {
        request = request.protocol(protocol.as_str());
    }
    if let Some(description) = &args.description {
        request = request.description(description.as_str());
    }
    // As osc: the ports are ignored for ICMP, and a negative type or code is left out.
    if let Some((min, max)) = args.dst_port.filter(|_| !icmp) {
        request = request.port_range(port(min)?, port(max)?);
    }
    if let Some(kind) = args.icmp_type.filter(|t| *t >= 0) {
        request = request.icmp_type(icmp_value("--icmp-type", kind)?);
    }
    if let Some(code) = args.icmp_code.filter(|c| *c >= 0) {
        request = request.icmp_code(icmp_value("--icmp-code", code)?);
    }
    request = if let Some(remote) = &args.remote_group {
        request.remote_group_id(find(cloud, remote).await?.id)
    } else if let Some(prefix) = &args.remote_ip {
        request.remote_ip_prefix(prefix.as_str())
    } else if ethertype == EtherType::Ipv6 {
        request.remote_ip_prefix("::/0")
    } else {
        request.remote_ip_prefix("0.0.0.0/0")
    };
    if let Some(project) = project_id(cloud, &args.project).await? {
        request = request.project_id(project);
    }
    let rule = match request.send().await {
        Ok(rule) => rule,
        Err(e) => return Err(http_error(cloud, "/security-group-rules", e).await),
    };
    print::one(&args.output, rule_fields(&wire(&rule)))
}

/// A port of `--dst-port`: the SDK takes 0 to 65535, and says so before sending.
fn port(n: i64) -> Result<u16> {
    u16::try_from(n).map_err(|_| anyhow::anyhow!("--dst-port: port {n} is not 0 to 65535"))
}

/// An ICMP type or code: 0 to 255.
fn icmp_value(flag: &str, n: i64) -> Result<u8> {
    u8::try_from(n).map_err(|_| anyhow::anyhow!("{flag} {n}: an ICMP {} is 0 to 255", &flag[7..]))
}

/// `security group rule show` (and create): openstacksdk's attributes, sorted.
fn rule_fields(wire: &Map<String, Value>) -> Vec<(&'static str, Cell)> {
    plain_fields(
        wire,
        &[
            ("belongs_to_default_sg", "belongs_to_default_sg"),
            ("created_at", "created_at"),
            ("description", "description"),
            ("direction", "direction"),
            ("ether_type", "ethertype"),
            ("id", "id"),
            ("normalized_cidr", "normalized_cidr"),
            ("port_range_max", "port_range_max"),
            ("port_range_min", "port_range_min"),
            ("project_id", "project_id"),
            ("protocol", "protocol"),
            ("remote_address_group_id", "remote_address_group_id"),
            ("remote_group_id", "remote_group_id"),
            ("remote_ip_prefix", "remote_ip_prefix"),
            ("revision_number", "revision_number"),
            ("security_group_id", "security_group_id"),
            ("updated_at", "updated_at"),
        ],
    )
}

fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// osc's `format_remote_ip_prefix`: no prefix means everything of the rule's ethertype.
fn remote_ip_prefix(wire: &Map<String, Value>) -> Value {
    match wire.get("remote_ip_prefix") {
        Some(Value::Null) | None => match wire.get("ethertype").and_then(Value::as_str) {
            Some("IPv4") => Value::from("0.0.0.0/0"),
            Some("IPv6") => Value::from("::/0"),
            _ => Value::Null,
        },
        Some(prefix) => prefix.clone(),
    }
}

/// osc's `format_network_port_range`: `type=8:code=0` for ICMP, `22:24` for ports, empty
/// for none.
fn port_range(wire: &Map<String, Value>) -> String {
    let get = |key: &str| wire.get(key).and_then(Value::as_u64).filter(|n| *n != 0);
    let (min, max) = (get("port_range_min"), get("port_range_max"));
    let protocol = wire.get("protocol").and_then(Value::as_str);
    if is_icmp_protocol(protocol) {
        let mut text = String::new();
        if let Some(kind) = min {
            text += &format!("type={kind}");
        }
        if let Some(code) = max {
            text += &format!(":code={code}");
        }
        return text;
    }
    match (min, max) {
        (None, None) => String::new(),
        (Some(lo), Some(hi)) => format!("{lo}:{hi}"),
        (Some(one), None) | (None, Some(one)) => format!("{one}:{one}"),
    }
}

fn is_icmp_protocol(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("icmp" | "icmpv6" | "ipv6-icmp" | "1" | "58"))
}

fn is_ipv6_protocol(protocol: Option<&str>) -> bool {
    protocol.is_some_and(|p| {
        p.starts_with("ipv6-") || matches!(p, "icmpv6" | "41" | "43" | "44" | "58" | "59" | "60")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn port_ranges_and_prefixes_read_as_osc_shows_them() {
        let icmp = rule(json!({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}));
        assert_eq!(port_range(&icmp), "type=8");
        let tcp = rule(json!({"protocol": "tcp", "port_range_min": 22, "port_range_max": 24}));
        assert_eq!(port_range(&tcp), "22:24");
        let any = rule(json!({"protocol": null, "ethertype": "IPv6", "remote_ip_prefix": null}));
        assert_eq!(port_range(&any), "");
        assert_eq!(remote_ip_prefix(&any), json!("::/0"));
        assert!(is_ipv6_protocol(Some("ipv6-icmp")) && !is_ipv6_protocol(Some("tcp")));
    }
}
