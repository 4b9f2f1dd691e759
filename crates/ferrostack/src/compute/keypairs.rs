//! The [`Keypairs`] handle, and its list and create builders.

use futures::{Stream, TryStreamExt};

use super::ComputeClient;
use super::ids::KeypairName;
use super::keypair::{Keypair, KeypairEnvelope, KeypairType};
use super::microversion::Microversion;
use super::requests::{self, KeypairQuery, KeypairSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

/// Nova's keypairs (the caller's own unless an admin asks for another user's). Cheap to
/// clone; get one from [`ComputeClient::keypairs`].
#[derive(Debug, Clone)]
pub struct Keypairs {
    compute: ComputeClient,
}

impl Keypairs {
    pub(crate) fn new(compute: ComputeClient) -> Self {
        Self { compute }
    }

    /// One keypair by name (a keypair's name is its id).
    pub async fn get(&self, name: impl Into<KeypairName>) -> Result<Keypair> {
        let request = requests::show_keypair(&name.into(), self.compute.microversion().await?);
        let envelope: KeypairEnvelope = self.compute.session.send_json(request).await?;
        Ok(envelope.keypair)
    }

    /// The caller's keypairs: set filters on the builder, then [`ListKeypairs::stream`] or
    /// [`ListKeypairs::collect_all`].
    pub fn list(&self) -> ListKeypairs {
        ListKeypairs {
            compute: self.compute.clone(),
            query: KeypairQuery::default(),
        }
    }

    /// A keypair named `name`: import a public key with [`CreateKeypair::public_key`], or
    /// leave it out to have Nova generate the pair; then [`CreateKeypair::send`].
    pub fn create(&self, name: impl Into<KeypairName>) -> CreateKeypair {
        CreateKeypair {
            compute: self.compute.clone(),
            spec: KeypairSpec {
                name: name.into(),
                public_key: None,
                kind: Some(KeypairType::Ssh),
            },
        }
    }

    /// Deletes a keypair.
    pub async fn delete(&self, name: impl Into<KeypairName>) -> Result<()> {
        let request = requests::delete_keypair(&name.into(), self.compute.microversion().await?);
        self.compute.session.send(request).await?;
        Ok(())
    }
}

/// Which keypairs to list. Nothing is sent before [`ListKeypairs::stream`] or
/// [`ListKeypairs::collect_all`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .stream() or .collect_all()"]
pub struct ListKeypairs {
    compute: ComputeClient,
    query: KeypairQuery,
}

impl ListKeypairs {
    /// Another user's keypairs (admin; compute microversion 2.10 or later).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.query.user_id = Some(user_id.into());
        self
    }

    /// The page size (compute microversion 2.35 or later); the stream follows every page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.query.limit = Some(limit);
        self
    }

    /// The first request, as it would be sent at `version`, or an error naming a filter
    /// that version does not know.
    pub fn request(&self, version: Microversion) -> Result<Request> {
        requests::list_keypairs(&self.query, version)
    }

    /// Every matching keypair, page after page, following `keypairs_links`.
    pub fn stream(self) -> impl Stream<Item = Result<Keypair>> + Send + Unpin + 'static {
        let query = self.query;
        self.compute
            .paginated::<KeypairEnvelope>(
                move |version| requests::list_keypairs(&query, version),
                "keypairs",
                "keypairs_links",
            )
            .map_ok(|e| e.keypair)
    }

    /// Every matching keypair, all pages collected.
    pub async fn collect_all(self) -> Result<Vec<Keypair>> {
        self.stream().try_collect().await
    }
}

/// A keypair being created, made by [`Keypairs::create`]; nothing is sent before
/// [`CreateKeypair::send`].
///
/// ```no_run
/// # async fn demo(keypairs: ferrostack::compute::Keypairs) -> ferrostack::Result<()> {
/// let imported = keypairs
///     .create("laptop")
///     .public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ... me@laptop")
///     .send()
///     .await?;
/// let generated = keypairs.create("ci").send().await?;
/// let private_key = generated.private_key.expect("Nova generated the pair");
/// # let _ = (imported, private_key);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send().await"]
pub struct CreateKeypair {
    compute: ComputeClient,
    spec: KeypairSpec,
}

impl CreateKeypair {
    /// Imports this public key (OpenSSH form) instead of having Nova generate a pair.
    pub fn public_key(mut self, key: impl Into<String>) -> Self {
        self.spec.public_key = Some(key.into());
        self
    }

    /// `ssh` (the default) or `x509` (sent from compute microversion 2.2).
    pub fn kind(mut self, kind: KeypairType) -> Self {
        self.spec.kind = Some(kind);
        self
    }

    /// The request, as it would be sent at `version` (a generated pair is asked for at 2.91
    /// at the newest: Nova stopped generating keys at 2.92).
    pub fn request(&self, version: Microversion) -> Result<Request> {
        requests::create_keypair(&self.spec, version)
    }

    /// Sends `POST /os-keypairs`. A generated pair's answer carries the private key
    /// ([`Keypair::private_key`]), which Nova does not keep; an answer without one is an
    /// error rather than a keypair nobody can use.
    pub async fn send(self) -> Result<Keypair> {
        let request = self.request(self.compute.microversion().await?)?;
        let envelope: KeypairEnvelope = self.compute.session.send_json(request).await?;
        let keypair = envelope.keypair;
        if self.spec.public_key.is_none() && keypair.private_key.is_none() {
            return Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "Nova generated keypair {} without a private key",
                    keypair.name
                ),
            )
            .with_service(ServiceType::Compute));
        }
        Ok(keypair)
    }
}
