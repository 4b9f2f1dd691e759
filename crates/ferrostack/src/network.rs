//! Neutron v2.0: networks, subnets, ports, routers, security groups and their rules,
//! floating IPs, and the extensions a cloud offers.
//!
//! [`NetworkClient`] is the service; [`Networks`], [`Subnets`], [`Ports`], [`Routers`],
//! [`SecurityGroups`], [`SecurityGroupRules`] and [`FloatingIps`] are its resource handles,
//! each with the verbs every ferrostack client has (`get`, `find`, `list`, `create`,
//! `update`, `delete`, `wait_for_delete`, and `wait_for_status` where Neutron's agents
//! change the status) and the tag calls.
//!
//! ```no_run
//! # async fn demo(cloud: ferrostack::Cloud) -> ferrostack::Result<()> {
//! use ferrostack::network::{Direction, FixedIp};
//! let network = cloud.network();
//! let private = network.networks().find("private").await?;
//! let public = network.networks().find("public").await?;
//!
//! // Let SSH in through the project's default group.
//! let default = network.security_groups().find("default").await?;
//! network
//!     .security_group_rules()
//!     .create(default.id, Direction::Ingress)
//!     .protocol("tcp")
//!     .port_range(22, 22)
//!     .remote_ip_prefix("0.0.0.0/0")
//!     .send()
//!     .await?;
//!
//! // A port with an address of our choosing, and a floating IP forwarded to it.
//! let subnet = network.subnets().get(private.subnets[0].clone()).await?;
//! let port = network
//!     .ports()
//!     .create(private.id)
//!     .fixed_ips([FixedIp::new("10.0.0.10".parse().unwrap(), subnet.id)])
//!     .send()
//!     .await?;
//! let fip = network.floating_ips().create(public.id).port_id(port.id).send().await?;
//! println!("ssh to {}", fip.floating_ip_address);
//! # Ok(())
//! # }
//! ```
//!
//! Neutron is not version-discovered: as openstacksdk and gophercloud do, `v2.0` is
//! appended to the catalog's `network` URL (unless it already ends in it), and a
//! `network_endpoint_override` is used as it is. Errors keep Neutron's own name for what
//! went wrong in [`Error::error_type`](crate::Error::error_type) (`IpAddressInUse`,
//! `FloatingIPPortAlreadyAssociated`, `SecurityGroupRuleExists`, ...), beside the
//! [`ErrorKind`](crate::ErrorKind) its status maps to.

use crate::error::Result;
use crate::session::Session;

mod floating_ip;
mod floating_ips;
mod ids;
mod model;
mod networks;
mod port;
mod ports;
mod requests;
mod resource;
mod router;
mod routers;
mod rules;
mod security_group;
mod security_groups;
mod subnets;
mod waiters;
mod wire;

pub use floating_ip::{FloatingIp, PortDetails};
pub use floating_ips::{CreateFloatingIp, FloatingIps, ListFloatingIps, UpdateFloatingIp};
pub use ids::{
    FloatingIpId, NetworkId, PortId, RouterId, SecurityGroupId, SecurityGroupRuleId, SubnetId,
};
pub use model::{AllocationPool, Extension, HostRoute, Network, Status, Subnet};
pub use networks::{CreateNetwork, ListNetworks, Networks, UpdateNetwork};
pub use port::{AddressPair, FixedIp, Port};
pub use ports::{CreatePort, ListPorts, Ports, UpdatePort};
pub use requests::InterfaceTarget;
pub use resource::SortDir;
pub use router::{ExternalGateway, Router, RouterInterface};
pub use routers::{CreateRouter, ListRouters, Routers, UpdateRouter};
pub use rules::{CreateSecurityGroupRule, ListSecurityGroupRules, SecurityGroupRules};
pub use security_group::{Direction, EtherType, SecurityGroup, SecurityGroupRule};
pub use security_groups::{
    CreateSecurityGroup, ListSecurityGroups, SecurityGroups, UpdateSecurityGroup,
};
pub use subnets::{CreateSubnet, ListSubnets, Subnets, UpdateSubnet};

/// Neutron, the network service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NetworkClient {
    session: Session,
}

impl NetworkClient {
    /// A handle over a session.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session underneath.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Networks.
    pub fn networks(&self) -> Networks {
        Networks::new(self.clone())
    }

    /// Subnets.
    pub fn subnets(&self) -> Subnets {
        Subnets::new(self.clone())
    }

    /// Ports.
    pub fn ports(&self) -> Ports {
        Ports::new(self.clone())
    }

    /// Routers, their gateways and interfaces.
    pub fn routers(&self) -> Routers {
        Routers::new(self.clone())
    }

    /// Security groups.
    pub fn security_groups(&self) -> SecurityGroups {
        SecurityGroups::new(self.clone())
    }

    /// Security group rules.
    pub fn security_group_rules(&self) -> SecurityGroupRules {
        SecurityGroupRules::new(self.clone())
    }

    /// Floating IPs.
    pub fn floating_ips(&self) -> FloatingIps {
        FloatingIps::new(self.clone())
    }

    /// The extensions this Neutron offers (`GET /v2.0/extensions`).
    pub async fn extensions(&self) -> Result<Vec<Extension>> {
        #[derive(serde::Deserialize)]
        struct Page {
            extensions: serde_json::Value,
        }
        let page: Page = self.session.send_json(requests::extensions()).await?;
        resource::decode_at(page.extensions, "extensions")
    }

    /// One extension by alias (`GET /v2.0/extensions/{alias}`), or `None` when the cloud
    /// does not offer it: how a client asks "can this Neutron do X?". After a 404 the list
    /// is searched by alias or name, as openstacksdk's `find_extension` does.
    pub async fn find_extension(&self, alias: &str) -> Result<Option<Extension>> {
        #[derive(serde::Deserialize)]
        struct One {
            extension: serde_json::Value,
        }
        match self
            .session
            .send_json::<One>(requests::extension(alias)?)
            .await
        {
            Ok(one) => return resource::decode_at(one.extension, "extension").map(Some),
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err),
        }
        Ok(self
            .extensions()
            .await?
            .into_iter()
            .find(|e| e.alias == alias || e.name == alias))
    }
}
