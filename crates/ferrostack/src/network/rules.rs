//! The [`SecurityGroupRules`] handle: rules are made and deleted, never changed.

use serde_json::{Map, Value, json};

use super::NetworkClient;
use super::ids::{SecurityGroupId, SecurityGroupRuleId};
use super::requests;
use super::resource::{self, Query, Resource, list_common};
use super::security_group::{Direction, EtherType, SecurityGroupRule};
use crate::error::{Error, Result};
use crate::request::Request;

impl Resource for SecurityGroupRule {
    const ONE: &'static str = "security_group_rule";
    const MANY: &'static str = "security_group_rules";
    const LINKS: &'static str = "security_group_rules_links";
    const PATH: &'static str = "/security-group-rules";
    const LABEL: &'static str = "security group rule";
    const REQUIRED: &'static [&'static str] = &["id", "security_group_id", "direction"];

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn name(&self) -> String {
        self.id.to_string()
    }

    fn check(body: &Map<String, Value>) -> Result<()> {
        let port = |key: &str| body.get(key).and_then(Value::as_u64);
        let icmp = body
            .get("protocol")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with("icmp") || p == "ipv6-icmp");
        match (port("port_range_min"), port("port_range_max")) {
            // For ICMP the two are a type and a code, not a range.
            (Some(t), Some(c)) if icmp && (t > 255 || c > 255) => Err(Error::invalid_input(
                format!("security group rule: ICMP type {t} and code {c} must be 0 to 255"),
            )),
            (Some(min), Some(max)) if !icmp && min > max => Err(Error::invalid_input(format!(
                "security group rule: port range {min}-{max} ends before it starts"
            ))),
            _ => Ok(()),
        }
    }
}

/// Neutron's security group rules. Cheap to clone; get one from
/// [`NetworkClient::security_group_rules`].
#[derive(Debug, Clone)]
pub struct SecurityGroupRules {
    client: NetworkClient,
}

impl SecurityGroupRules {
    pub(crate) fn new(client: NetworkClient) -> Self {
        Self { client }
    }

    /// One by id; a 404 is `ErrorKind::NotFound`.
    pub async fn get(&self, id: impl Into<SecurityGroupRuleId>) -> Result<SecurityGroupRule> {
        let id = id.into();
        resource::get::<SecurityGroupRule>(&self.client.session, id.as_str()).await
    }

    /// The rules the caller can see: set filters, then [`ListSecurityGroupRules::stream`]
    /// or [`ListSecurityGroupRules::collect_all`].
    pub fn list(&self) -> ListSecurityGroupRules {
        ListSecurityGroupRules {
            client: self.client.clone(),
            query: Query::default(),
        }
    }

    /// A rule in `group` for traffic going `direction`: any protocol, port and peer unless
    /// set on the builder, then [`CreateSecurityGroupRule::send`]. The same rule twice is a
    /// `Conflict` (`SecurityGroupRuleExists`).
    pub fn create(
        &self,
        group: impl Into<SecurityGroupId>,
        direction: Direction,
    ) -> CreateSecurityGroupRule {
        let mut body = Map::new();
        body.insert("security_group_id".to_owned(), json!(group.into()));
        body.insert("direction".to_owned(), json!(direction));
        CreateSecurityGroupRule {
            client: self.client.clone(),
            body,
        }
    }

    /// Deletes a rule.
    pub async fn delete(&self, id: impl Into<SecurityGroupRuleId>) -> Result<()> {
        let id = id.into();
        resource::delete::<SecurityGroupRule>(&self.client.session, id.as_str()).await
    }
}

/// Which rules to list (`GET /v2.0/security-group-rules`); every filter runs on the server.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListSecurityGroupRules {
    client: NetworkClient,
    query: Query,
}

impl ListSecurityGroupRules {
    list_common!(SecurityGroupRule);

    /// `security_group_id`: the rules of this group.
    pub fn security_group_id(mut self, group: impl Into<SecurityGroupId>) -> Self {
        self.query
            .set("security_group_id", String::from(group.into()));
        self
    }

    /// `direction`.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.query.set("direction", direction.as_str());
        self
    }

    /// `ethertype`.
    pub fn ethertype(mut self, ethertype: EtherType) -> Self {
        self.query.set("ethertype", ethertype.as_str());
        self
    }

    /// `protocol`.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.query.set("protocol", protocol);
        self
    }

    /// `remote_group_id`.
    pub fn remote_group_id(mut self, group: impl Into<SecurityGroupId>) -> Self {
        self.query
            .set("remote_group_id", String::from(group.into()));
        self
    }
}

/// A rule being created by [`SecurityGroupRules::create`]; nothing is sent before
/// [`CreateSecurityGroupRule::send`].
///
/// ```
/// # fn demo(rules: ferrostack::network::SecurityGroupRules) -> ferrostack::Result<()> {
/// use ferrostack::network::Direction;
/// // `openstack security group rule create --protocol tcp --dst-port 80 default`
/// let request = rules
///     .create("5c1b9e3a-4f6d-4b7e-9a2c-8d1e0f3a6b5c", Direction::Ingress)
///     .protocol("tcp")
///     .port_range(80, 80)
///     .remote_ip_prefix("0.0.0.0/0")
///     .request()?;
/// assert_eq!(request.path, "/security-group-rules");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateSecurityGroupRule {
    client: NetworkClient,
    body: Map<String, Value>,
}

impl CreateSecurityGroupRule {
    /// `ethertype`; by default IPv6 when the remote prefix is an IPv6 one, else IPv4.
    pub fn ethertype(mut self, ethertype: EtherType) -> Self {
        self.body.insert("ethertype".to_owned(), json!(ethertype));
        self
    }

    /// `protocol`: `tcp`, `udp`, `icmp`, `ipv6-icmp`, ... or a number as text.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.body
            .insert("protocol".to_owned(), json!(protocol.into()));
        self
    }

    /// `port_range_min` and `port_range_max`: ports `min` to `max` (for ICMP: the type and
    /// the code).
    pub fn port_range(mut self, min: u16, max: u16) -> Self {
        self.body.insert("port_range_min".to_owned(), json!(min));
        self.body.insert("port_range_max".to_owned(), json!(max));
        self
    }

    /// For an ICMP rule, the type alone (`port_range_min`): every code of it.
    pub fn icmp_type(mut self, kind: u8) -> Self {
        self.body.insert("port_range_min".to_owned(), json!(kind));
        self
    }

    /// For an ICMP rule, the code (`port_range_max`), beside [`Self::icmp_type`].
    pub fn icmp_code(mut self, code: u8) -> Self {
        self.body.insert("port_range_max".to_owned(), json!(code));
        self
    }

    /// `project_id`: the owning project, when not the caller's (admin).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.body
            .insert("project_id".to_owned(), json!(project_id.into()));
        self
    }

    /// `remote_ip_prefix`: traffic from (or to) this prefix only.
    pub fn remote_ip_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.body
            .insert("remote_ip_prefix".to_owned(), json!(prefix.into()));
        self
    }

    /// `remote_group_id`: traffic from (or to) the ports of this group only.
    pub fn remote_group_id(mut self, group: impl Into<SecurityGroupId>) -> Self {
        self.body
            .insert("remote_group_id".to_owned(), json!(group.into()));
        self
    }

    /// `description`.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body
            .insert("description".to_owned(), json!(description.into()));
        self
    }

    /// The body with the ethertype the remote prefix implies, when none was set.
    fn body(&self) -> Map<String, Value> {
        let mut body = self.body.clone();
        if !body.contains_key("ethertype") {
            let v6 = body
                .get("remote_ip_prefix")
                .and_then(Value::as_str)
                .is_some_and(|p| p.contains(':'));
            let ethertype = if v6 { EtherType::Ipv6 } else { EtherType::Ipv4 };
            body.insert("ethertype".to_owned(), json!(ethertype));
        }
        body
    }

    /// The request, as it will be sent, or an error naming what Neutron would refuse.
    pub fn request(&self) -> Result<Request> {
        requests::create::<SecurityGroupRule>(&self.body())
    }

    /// Sends `POST /v2.0/security-group-rules` and answers the new rule.
    pub async fn send(self) -> Result<SecurityGroupRule> {
        resource::create::<SecurityGroupRule>(&self.client.session, &self.body()).await
    }
}
