//! A server's network interfaces (`os-interface`): the [`Interfaces`] handle and the
//! [`Interface`] model. `openstack server add/remove port|network` use these.

use std::collections::BTreeMap;

use futures::{Stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::ComputeClient;
use super::create::NetworkAttachment;
use super::ids::ServerId;
use super::microversion::Microversion;
use super::requests;
use crate::error::Result;
use crate::network::{FixedIp, NetworkId, PortId};
use crate::request::Request;

/// One of a server's interfaces: a Neutron port plugged into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interface {
    /// The port.
    pub port_id: PortId,
    /// The port's network.
    #[serde(default)]
    pub net_id: Option<NetworkId>,
    /// The port's MAC address.
    #[serde(default)]
    pub mac_addr: Option<String>,
    /// The port's status (`ACTIVE`, `DOWN`, ...), as Neutron reported it.
    #[serde(default)]
    pub port_state: Option<String>,
    /// The port's addresses.
    #[serde(default)]
    pub fixed_ips: Vec<FixedIp>,
    /// The device tag (2.70 and later).
    #[serde(default)]
    pub tag: Option<String>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct InterfaceEnvelope {
    #[serde(rename = "interfaceAttachment")]
    interface: Interface,
}

/// The interfaces of one server. Cheap to clone; get one from
/// [`ComputeClient::interfaces`].
///
/// ```no_run
/// # async fn demo(compute: ferrostack::compute::ComputeClient) -> ferrostack::Result<()> {
/// use ferrostack::compute::{NetworkAttachment, ServerId};
/// let interfaces = compute.interfaces(ServerId::new("9168b536-cd40-4630-b43f-b259807c6e87"));
/// // `openstack server add network`
/// let new = interfaces
///     .create(NetworkAttachment::network("3cb9bc59-5699-4588-a4b1-b87f96708bc6"))
///     .send()
///     .await?;
/// for interface in interfaces.list().collect_all().await? {
///     println!("{} {:?}", interface.port_id, interface.mac_addr);
/// }
/// interfaces.delete(new.port_id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Interfaces {
    compute: ComputeClient,
    server: ServerId,
}

impl Interfaces {
    pub(crate) fn new(compute: ComputeClient, server: ServerId) -> Self {
        Self { compute, server }
    }

    /// One interface by its port.
    pub async fn get(&self, port: impl Into<PortId>) -> Result<Interface> {
        let request = requests::show_interface(
            &self.server,
            &port.into(),
            self.compute.microversion().await?,
        )?;
        let envelope: InterfaceEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.interface)
    }

    /// Every interface of the server (`GET .../os-interface`, one page).
    pub fn list(&self) -> ListInterfaces {
        ListInterfaces {
            interfaces: self.clone(),
        }
    }

    /// Plugs a new port on a network (optionally with a fixed IP), or an existing port,
    /// into the server; then [`CreateInterface::send`].
    pub fn create(&self, attachment: NetworkAttachment) -> CreateInterface {
        CreateInterface {
            interfaces: self.clone(),
            attachment,
            tag: None,
        }
    }

    /// Unplugs the port (`DELETE .../os-interface/{port}`; Nova answers 202 and finishes in
    /// the background). A port Nova made for the server is deleted with it.
    pub async fn delete(&self, port: impl Into<PortId>) -> Result<()> {
        let request = requests::detach_interface(
            &self.server,
            &port.into(),
            self.compute.microversion().await?,
        )?;
        self.compute.session.send(request).await.map(drop)
    }
}

/// The interfaces of a server; nothing is sent before [`ListInterfaces::stream`] or
/// [`ListInterfaces::collect_all`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListInterfaces {
    interfaces: Interfaces,
}

impl ListInterfaces {
    /// The request, as it would be sent at `version`.
    pub fn request(&self, version: Microversion) -> Request {
        requests::list_interfaces(&self.interfaces.server, version)
    }

    /// Every interface (Nova answers them in one page).
    pub fn stream(self) -> impl Stream<Item = Result<Interface>> + Send + Unpin + 'static {
        #[derive(Deserialize)]
        struct Page {
            #[serde(rename = "interfaceAttachments")]
            interfaces: Vec<Interface>,
        }
        let Interfaces { compute, server } = self.interfaces;
        futures::stream::once(async move {
            let request = requests::list_interfaces(&server, compute.microversion().await?);
            let page: Page = compute.session.send_json(request).await?;
            Ok::<_, crate::Error>(futures::stream::iter(page.interfaces.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    /// Every interface, collected.
    pub async fn collect_all(self) -> Result<Vec<Interface>> {
        self.stream().try_collect().await
    }
}

/// An interface being plugged in by [`Interfaces::create`]; nothing is sent before
/// [`CreateInterface::send`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateInterface {
    interfaces: Interfaces,
    attachment: NetworkAttachment,
    tag: Option<String>,
}

impl CreateInterface {
    /// A device tag the guest sees in its metadata (compute 2.49 and later).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The request, as it would be sent at `version`.
    pub fn request(&self, version: Microversion) -> Result<Request> {
        requests::attach_interface(
            &self.interfaces.server,
            &self.attachment,
            self.tag.as_deref(),
            version,
        )
    }

    /// Sends `POST .../os-interface` and answers the new interface.
    pub async fn send(self) -> Result<Interface> {
        let compute = &self.interfaces.compute;
        let request = self.request(compute.microversion().await?)?;
        let envelope: InterfaceEnvelope = compute.session.send_json(request).await?;
        Ok(envelope.interface)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_decode_from_novas_sample() {
        let page = serde_json::json!({"interfaceAttachments": [{
            "fixed_ips": [{"ip_address": "192.168.1.3", "subnet_id": "f8a6e8f8-c2ec-497c-9f23-da9616de54ef"}],
            "mac_addr": "fa:16:3e:4c:2c:30", "net_id": "3cb9bc59-5699-4588-a4b1-b87f96708bc6",
            "port_id": "ce531f90-199f-48c0-816c-13e38010b442", "port_state": "ACTIVE",
            "tag": null, "new": 1
        }]});
        let list: Vec<Interface> =
            serde_json::from_value(page["interfaceAttachments"].clone()).unwrap();
        assert_eq!(
            list[0].port_id.as_str(),
            "ce531f90-199f-48c0-816c-13e38010b442"
        );
        assert_eq!(list[0].mac_addr.as_deref(), Some("fa:16:3e:4c:2c:30"));
        assert_eq!(
            list[0].fixed_ips[0].ip_address,
            Some("192.168.1.3".parse().unwrap())
        );
        assert_eq!(list[0].extra["new"], 1);
    }
}
