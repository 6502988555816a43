//! TLS with pinned self-signed certificates (rustls, ring provider). No
//! certificate authority: every party knows the SHA-256 fingerprint of the
//! certificate it expects from the auction file, and accepts exactly that.

use crate::identity::{Identity, fingerprint};
use auction::wire::Digest;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    ClientConfig, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};
use std::sync::Arc;

/// The crypto provider everywhere: ring.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

/// Which fingerprints are accepted.
type Allowed = Arc<dyn Fn(&Digest) -> bool + Send + Sync>;

/// Accepts only certificates whose fingerprint `allowed` accepts.
struct Pinned {
    allowed: Allowed,
    algs: WebPkiSupportedAlgorithms,
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pinned")
    }
}

impl Pinned {
    fn check(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let fp = fingerprint(cert);
        if (self.allowed)(&fp) {
            Ok(())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {fp} is not the pinned one"
            )))
        }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|_| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|_| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The bidder API's server config: no client certificate, HTTP/1.1.
pub fn api_server(id: &Identity) -> anyhow::Result<ServerConfig> {
    let mut c = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![id.cert.clone()], id.tls_key.clone_key())?;
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

/// The peer link's server config: a client certificate is required and
/// `peers` must accept its fingerprint (asked on every connection: the
/// auctions a node serves, and so its peers, change while it runs).
pub fn peer_server(
    id: &Identity,
    peers: impl Fn(&Digest) -> bool + Send + Sync + 'static,
) -> anyhow::Result<ServerConfig> {
    let verifier = Arc::new(Pinned {
        allowed: Arc::new(peers),
        algs: algorithms(),
    });
    Ok(ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![id.cert.clone()], id.tls_key.clone_key())?)
}

/// A client config that accepts only the server certificate `server`, and
/// presents `id`'s certificate when given (peer links).
pub fn pinned_client(server: Digest, id: Option<&Identity>) -> anyhow::Result<ClientConfig> {
    let verifier = Arc::new(Pinned {
        allowed: Arc::new(move |fp| *fp == server),
        algs: algorithms(),
    });
    let b = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut c = match id {
        Some(id) => b.with_client_auth_cert(vec![id.cert.clone()], id.tls_key.clone_key())?,
        None => b.with_no_client_auth(),
    };
    c.alpn_protocols = if id.is_none() {
        vec![b"http/1.1".to_vec()]
    } else {
        vec![]
    };
    Ok(c)
}

/// The server name used on every connection; certificates are pinned, so
/// it only has to be well-formed.
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("clearing-node").expect("valid name")
}
