//! The flags of `fstack security group ...` and `security group rule ...`, as
//! openstackclient 10 spells them.

use clap::{Args, Subcommand};

use crate::args::{ListOutput, ShowOutput};

/// `fstack security ...`.
#[derive(Debug, Subcommand)]
pub enum SecurityCommand {
    /// Security groups and their rules.
    Group {
        #[command(subcommand)]
        command: SecurityGroupCommand,
    },
}

/// `fstack security group ...`.
#[derive(Debug, Subcommand)]
pub enum SecurityGroupCommand {
    /// List security groups.
    List(GroupList),
    /// Show a security group.
    Show(GroupShow),
    /// Create a security group.
    Create(GroupCreate),
    /// Delete security groups.
    Delete(GroupDelete),
    /// Security group rules.
    Rule {
        #[command(subcommand)]
        command: RuleCommand,
    },
}

/// `security group list`.
#[derive(Debug, Args)]
pub struct GroupList {
    #[command(flatten)]
    pub project: ProjectOption,
    /// Only groups shared between projects.
    #[arg(long, conflicts_with = "no_share")]
    pub share: bool,
    /// Only groups not shared between projects.
    #[arg(long = "no-share")]
    pub no_share: bool,
    /// Only groups with all these tags (comma-separated).
    #[arg(long, value_name = "tag")]
    pub tags: Option<String>,
    /// Only groups with any of these tags (comma-separated).
    #[arg(long = "any-tags", value_name = "tag")]
    pub any_tags: Option<String>,
    /// Leave out groups with all these tags (comma-separated).
    #[arg(long = "not-tags", value_name = "tag")]
    pub not_tags: Option<String>,
    /// Leave out groups with any of these tags (comma-separated).
    #[arg(long = "not-any-tags", value_name = "tag")]
    pub not_any_tags: Option<String>,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `--project NAME_OR_ID [--project-domain D]`: whose (to list), or the owner (to create).
#[derive(Debug, Clone, Args)]
pub struct ProjectOption {
    /// The project (name or id): only its own when listing, the owner when creating (admin).
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// The domain of `--project` (name or id).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
}

/// `security group show`.
#[derive(Debug, Args)]
pub struct GroupShow {
    /// The group (name or id).
    #[arg(value_name = "group")]
    pub group: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `security group create`.
#[derive(Debug, Args)]
pub struct GroupCreate {
    /// The new group's name.
    #[arg(value_name = "name")]
    pub name: String,
    /// A description (default: the name, as osc sets it).
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    #[command(flatten)]
    pub project: ProjectOption,
    /// Stateful (the default).
    #[arg(long, conflicts_with = "stateless")]
    pub stateful: bool,
    /// Stateless.
    #[arg(long)]
    pub stateless: bool,
    /// A tag (repeatable).
    #[arg(long, value_name = "tag", conflicts_with = "no_tag")]
    pub tag: Vec<String>,
    /// No tags.
    #[arg(long = "no-tag")]
    pub no_tag: bool,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `security group delete`.
#[derive(Debug, Args)]
pub struct GroupDelete {
    /// The groups (names or ids).
    #[arg(required = true, value_name = "group")]
    pub groups: Vec<String>,
}

/// `fstack security group rule ...`.
#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// List security group rules.
    List(RuleList),
    /// Show a security group rule.
    Show(RuleShow),
    /// Create a security group rule.
    Create(RuleCreate),
    /// Delete security group rules.
    Delete(RuleDelete),
}

/// `security group rule list`.
#[derive(Debug, Args)]
pub struct RuleList {
    /// Only the rules of this group (name or id).
    #[arg(value_name = "group")]
    pub group: Option<String>,
    /// Only rules of this IP protocol.
    #[arg(long, value_name = "protocol")]
    pub protocol: Option<String>,
    /// Only rules of this ethertype (IPv4 or IPv6).
    #[arg(long, value_name = "ethertype")]
    pub ethertype: Option<String>,
    /// Only rules about incoming traffic.
    #[arg(long, conflicts_with = "egress")]
    pub ingress: bool,
    /// Only rules about outgoing traffic.
    #[arg(long)]
    pub egress: bool,
    /// Deprecated in osc: no longer needed.
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub project: ProjectOption,
    #[command(flatten)]
    pub output: ListOutput,
}

/// `security group rule show`.
#[derive(Debug, Args)]
pub struct RuleShow {
    /// The rule (id).
    #[arg(value_name = "rule")]
    pub rule: String,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `security group rule create`.
#[derive(Debug, Args)]
pub struct RuleCreate {
    /// The group to add the rule to (name or id).
    #[arg(value_name = "group")]
    pub group: String,
    /// The remote address block (CIDR; default 0.0.0.0/0 or ::/0).
    #[arg(
        long = "remote-ip",
        value_name = "ip-address",
        conflicts_with = "remote_group"
    )]
    pub remote_ip: Option<String>,
    /// The remote security group (name or id).
    #[arg(long = "remote-group", value_name = "group")]
    pub remote_group: Option<String>,
    /// The destination port or range (`137:139`), for TCP and UDP.
    #[arg(long = "dst-port", value_name = "port-range", value_parser = port_range)]
    pub dst_port: Option<(i64, i64)>,
    /// The IP protocol (tcp, udp, icmp, ..., a number 0-255, or any).
    #[arg(long, value_name = "protocol", value_parser = lowercase)]
    pub protocol: Option<String>,
    /// A description.
    #[arg(long, value_name = "description")]
    pub description: Option<String>,
    /// The ICMP type.
    #[arg(
        long = "icmp-type",
        value_name = "icmp-type",
        allow_negative_numbers = true
    )]
    pub icmp_type: Option<i64>,
    /// The ICMP code.
    #[arg(
        long = "icmp-code",
        value_name = "icmp-code",
        allow_negative_numbers = true
    )]
    pub icmp_code: Option<i64>,
    /// The rule is about incoming traffic (the default).
    #[arg(long, conflicts_with = "egress")]
    pub ingress: bool,
    /// The rule is about outgoing traffic.
    #[arg(long)]
    pub egress: bool,
    /// IPv4 or IPv6 (default: from the protocol).
    #[arg(long, value_name = "ethertype", value_parser = ethertype)]
    pub ethertype: Option<String>,
    #[command(flatten)]
    pub project: ProjectOption,
    #[command(flatten)]
    pub output: ShowOutput,
}

/// `security group rule delete`.
#[derive(Debug, Args)]
pub struct RuleDelete {
    /// The rules (ids).
    #[arg(required = true, value_name = "rule")]
    pub rules: Vec<String>,
}

/// osc_lib's `RangeAction`: `N` is `N:N`, `N:M` needs N <= M, in its words.
fn port_range(text: &str) -> Result<(i64, i64), String> {
    let number = |part: &str| {
        part.parse::<i64>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{part}'"))
    };
    match text.split(':').collect::<Vec<_>>().as_slice() {
        [one] => {
            let n = number(one)?;
            Ok((n, n))
        }
        [min, max] => {
            let (lo, hi) = (number(min)?, number(max)?);
            if lo <= hi {
                Ok((lo, hi))
            } else {
                Err(format!("Invalid range, {min} is not less than {max}"))
            }
        }
        _ => Err("Invalid range, too many values".to_owned()),
    }
}

/// osc lowercases protocols before anything else.
fn lowercase(text: &str) -> Result<String, String> {
    Ok(text.to_lowercase())
}

/// `--ethertype` in any case, then one of osc's two choices.
fn ethertype(text: &str) -> Result<String, String> {
    match text.to_lowercase().as_str() {
        "ipv4" => Ok("IPv4".to_owned()),
        "ipv6" => Ok("IPv6".to_owned()),
        _ => Err(format!(
            "invalid choice: '{text}' (choose from 'IPv4', 'IPv6')"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_read_as_osc_reads_them() {
        assert_eq!(port_range("22"), Ok((22, 22)));
        assert_eq!(port_range("137:139"), Ok((137, 139)));
        assert_eq!(
            port_range("24:22"),
            Err("Invalid range, 24 is not less than 22".to_owned())
        );
        assert!(port_range("x").unwrap_err().contains("'x'"));
        assert!(port_range("1:2:3").is_err());
        assert_eq!(ethertype("ipv6"), Ok("IPv6".to_owned()));
        assert!(ethertype("ipx").is_err());
    }
}
