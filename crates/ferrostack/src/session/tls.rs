//! The session's TLS configuration: rustls with the ring provider, chosen here rather than
//! installed process-wide, and the trust and client certificate the cloud configuration asks for.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::config::CloudConfig;
use crate::error::{Error, Result};

/// The rustls client configuration for `config`: trust the `cacert` bundle only when one is
/// given (as requests does with `verify=<bundle>`), else the system's roots; trust anything
/// with `verify: false`; present `cert` (+ `key`) when set. ALPN offers h2 and HTTP/1.1.
pub(super) fn client_config(config: &CloudConfig) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config("TLS: no protocol version to offer").with_source(e))?;
    let roots = config.cacert.as_deref().map(private_roots).transpose()?;
    let verified = if !config.verify {
        tracing::warn!(cloud = ?config.name, "TLS certificate verification is off (verify: false)");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(
                provider.signature_verification_algorithms,
            )))
    } else if let Some(roots) = roots {
        builder.with_root_certificates(roots)
    } else {
        let system = rustls_platform_verifier::Verifier::new(provider).map_err(|e| {
            Error::config("TLS: the system's trusted certificates could not be loaded")
                .with_source(e)
        })?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(system))
    };
    let mut tls = match (&config.cert, &config.key) {
        (Some(cert), key) => {
            let (chain, private_key) = client_identity(cert, key.as_deref())?;
            verified
                .with_client_auth_cert(chain, private_key)
                .map_err(|e| not_an_identity(cert, key.as_deref()).with_source(e))?
        }
        (None, Some(key)) => {
            return Err(Error::config(format!(
                "key {} is set but cert is not: a client key needs its certificate",
                key.display()
            )));
        }
        (None, None) => verified.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

/// The certificates of a `cacert` bundle, and nothing else.
fn private_roots(cacert: &Path) -> Result<rustls::RootCertStore> {
    let pem = read(cacert, "cacert")?;
    let not_a_bundle = || {
        Error::config(format!(
            "cacert {}: not a PEM certificate bundle",
            cacert.display()
        ))
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| not_a_bundle().with_source(e))?;
    if certs.is_empty() {
        return Err(Error::config(format!(
            "cacert {}: no certificate in the file",
            cacert.display()
        )));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| not_a_bundle().with_source(e))?;
    }
    Ok(roots)
}

/// The client certificate chain and private key, from `cert` alone or `cert` and `key`.
fn client_identity(
    cert: &Path,
    key: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let mut pem = read(cert, "cert")?;
    if let Some(key) = key {
        pem.push(b'\n');
        pem.extend(read(key, "key")?);
    }
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| not_an_identity(cert, key).with_source(e))?;
    let private_key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| not_an_identity(cert, key).with_source(e))?;
    if chain.is_empty() {
        return Err(not_an_identity(cert, key));
    }
    Ok((chain, private_key))
}

fn not_an_identity(cert: &Path, key: Option<&Path>) -> Error {
    Error::config(format!(
        "cert {}{}: not a PEM certificate and private key",
        cert.display(),
        key.map(|k| format!(" with key {}", k.display()))
            .unwrap_or_default()
    ))
}

fn read(path: &Path, key: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::config(format!("{key} {}: {e}", path.display())))
}

/// `verify: false`: any server certificate is accepted, but the handshake's signatures are
/// still checked, so the connection is at least with the holder of the certificate shown.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
