//! The session's token at work: leased from the cache for each call, fetched from Keystone
//! when needed, and renewed once on a 401.

use super::{Response, Session, Upload};
use crate::auth::cache::Lease;
use crate::auth::{Token, TokenEnvelope};
use crate::error::{Error, ErrorKind, Result};
use crate::request::{Request, ServiceType};

impl Session {
    /// The cached token, renewed when it expires within the margin.
    pub(super) async fn lease(&self) -> Result<Option<Lease>> {
        if self.inner.auth.is_none() {
            return Ok(None);
        }
        Ok(Some(self.inner.tokens.get(|| self.authenticate()).await?))
    }

    /// `POST /auth/tokens` with the session's credentials.
    pub(super) async fn authenticate(&self) -> Result<Token> {
        let auth = self.inner.auth.as_ref().ok_or_else(|| {
            Error::invalid_input(format!(
                "cloud {}: auth_type none has no credentials to authenticate with",
                self.cloud_name()
            ))
        })?;
        let base = self.auth_endpoint().await?;
        let response = self
            .execute(&auth.token_request(), &base, None, None)
            .await?;
        let id = response.header("x-subject-token").map(str::to_owned);
        let request_id = response.request_id().map(str::to_owned);
        let mut token = response.json::<TokenEnvelope>().await?.token;
        token.id = id
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    "Keystone issued a token without an X-Subject-Token header",
                )
                .with_service(ServiceType::Identity)
                .with_request_id(request_id)
            })?
            .into();
        tracing::debug!(
            user = %token.user.id,
            project = ?token.project_id(),
            expires_at = %token.expires_at,
            "authenticated"
        );
        Ok(token)
    }

    /// Sends with the session's token; a 401 renews the token (once, shared with every
    /// concurrent caller that saw the same token rejected) and sends again.
    pub(super) async fn dispatch(
        &self,
        request: Request,
        stream: Option<Upload>,
    ) -> Result<Response> {
        let base = self.endpoint(&request.service).await?;
        let lease = self.lease().await?;
        let streamed = stream.is_some();
        let token = lease.as_ref().map(|l| l.token.id.expose().to_owned());
        let result = self
            .execute(&request, &base, token.as_deref(), stream)
            .await;
        let Some(lease) = lease else { return result };
        match result {
            Err(err) if err.status() == Some(401) => {
                let renewed = self
                    .inner
                    .tokens
                    .renew(lease.generation, || self.authenticate())
                    .await?;
                if streamed {
                    // The body is gone; the next call gets the new token.
                    return Err(err);
                }
                self.execute(&request, &base, Some(renewed.token.id.expose()), None)
                    .await
            }
            other => other,
        }
    }
}
