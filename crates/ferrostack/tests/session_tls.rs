//! TLS: an untrusted server is refused, `cacert` trusts a private CA, `verify: false` trusts
//! anything, and `cert` + `key` present a client certificate to a server that asks for one.
//!
//! The certificates are made per test run with the `openssl` command line tool.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use ferrostack::ErrorKind;
use ferrostack::config::{AuthType, CloudConfig};
use ferrostack::request::ServiceType;
use ferrostack::session::{RetryPolicy, Session};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A private CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = Self { dir };
        pki.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=ferrostack test CA",
        ]);
        for (name, usage, san) in [
            (
                "server",
                "serverAuth",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
            ),
            ("client", "clientAuth", ""),
        ] {
            let ext = format!(
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage={usage}\n{san}"
            );
            std::fs::write(pki.path(&format!("{name}.ext")), ext).unwrap();
            pki.openssl(&[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={name}"),
            ]);
            pki.openssl(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-out",
                &format!("{name}.pem"),
                "-extfile",
                &format!("{name}.ext"),
            ]);
        }
        pki
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| {
                panic!("these tests make their certificates with the openssl tool ({e}); install it: apt-get install openssl")
            });
        assert!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn certs(&self, name: &str) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_file_iter(self.path(name))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn key(&self, name: &str) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_file(self.path(name)).unwrap()
    }
}

/// An HTTPS server on 127.0.0.1:0 answering `connections` connections with a Glance version
/// document, then stopping. Requires a client certificate signed by the CA when asked to.
fn serve(pki: &Pki, require_client_cert: bool, connections: usize) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(pki.certs("ca.pem"));
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = Arc::new(
        builder
            .with_single_cert(pki.certs("server.pem"), pki.key("server.key"))
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/v2", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(tcp) = stream else { continue };
            let connection = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, tcp);
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            // A failed handshake shows up here as a read error: on to the next connection.
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            if request.is_empty() {
                continue;
            }
            let body = r#"{"version":{"id":"v2.17","status":"CURRENT","links":[]}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    url
}

/// The error and every source under it, for checking why a connection failed.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn session(url: &str, tune: impl FnOnce(&mut CloudConfig)) -> Session {
    let mut config = CloudConfig::new();
    config.auth_type = AuthType::None;
    config.endpoint_overrides.insert("image".into(), url.into());
    tune(&mut config);
    Session::builder(config)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn server_certificates_are_verified_unless_told_otherwise() {
    let pki = Pki::new();
    let url = serve(&pki, false, 3);
    let err = session(&url, |_| {})
        .endpoint(&ServiceType::Image)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport, "{err:?}");
    assert!(
        chain(&err).contains("UnknownIssuer"),
        "refused for another reason: {}",
        chain(&err)
    );

    let trusted = session(&url, |c| c.cacert = Some(pki.path("ca.pem")));
    assert_eq!(
        trusted
            .endpoint(&ServiceType::Image)
            .await
            .unwrap()
            .as_str(),
        url
    );

    let insecure = session(&url, |c| c.verify = false);
    assert_eq!(
        insecure
            .endpoint(&ServiceType::Image)
            .await
            .unwrap()
            .as_str(),
        url
    );
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_configured() {
    let pki = Pki::new();
    let url = serve(&pki, true, 2);
    let err = session(&url, |c| c.cacert = Some(pki.path("ca.pem")))
        .endpoint(&ServiceType::Image)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Transport, "{err:?}");

    let with_cert = session(&url, |c| {
        c.cacert = Some(pki.path("ca.pem"));
        c.cert = Some(pki.path("client.pem"));
        c.key = Some(pki.path("client.key"));
    });
    assert_eq!(
        with_cert
            .endpoint(&ServiceType::Image)
            .await
            .unwrap()
            .as_str(),
        url
    );
}

#[test]
fn a_certificate_and_key_in_one_file_work_too() {
    let pki = Pki::new();
    let combined = pki.path("combined.pem");
    let mut pem = std::fs::read(pki.path("client.pem")).unwrap();
    pem.extend(std::fs::read(pki.path("client.key")).unwrap());
    std::fs::write(&combined, pem).unwrap();
    let mut config = CloudConfig::new();
    config.auth_type = AuthType::None;
    config.cert = Some(combined);
    Session::new(config).unwrap();
}
