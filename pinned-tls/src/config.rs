//! The rustls configurations: a client that accepts one pinned server, a
//! server without client certificates, and a server that admits only pinned
//! clients. Protocol versions are rustls's safe defaults; ALPN is left to
//! the caller (the HTTPS client asks for `http/1.1`, the peer links for
//! nothing).

use crate::{Fingerprint, Pinned, provider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ServerConfig};
use std::sync::Arc;

/// A certificate and its private key: what one side presents.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The self-signed certificate (DER).
    pub cert: &'a CertificateDer<'static>,
    /// Its private key.
    pub key: &'a PrivateKeyDer<'static>,
}

/// A client that accepts only the server certificate with fingerprint
/// `server`, and presents `own` when given (the peers' mutual TLS).
pub fn client_config(
    server: Fingerprint,
    own: Option<Credentials<'_>>,
) -> Result<ClientConfig, rustls::Error> {
    let b = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned::new(vec![server])));
    match own {
        Some(c) => b.with_client_auth_cert(vec![c.cert.clone()], c.key.clone_key()),
        None => Ok(b.with_no_client_auth()),
    }
}

/// A server presenting `own` that asks for no client certificate.
pub fn server_config(own: Credentials<'_>) -> Result<ServerConfig, rustls::Error> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![own.cert.clone()], own.key.clone_key())
}

/// A server presenting `own` that requires a client certificate and admits
/// only those whose fingerprints are in `clients`.
pub fn mutual_server_config(
    own: Credentials<'_>,
    clients: Vec<Fingerprint>,
) -> Result<ServerConfig, rustls::Error> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(Pinned::new(clients)))
        .with_single_cert(vec![own.cert.clone()], own.key.clone_key())
}

/// A server presenting `own` that requires a client certificate and admits
/// those whose fingerprints `admit` accepts, asked on every handshake.
pub fn admitting_server_config(
    own: Credentials<'_>,
    admit: impl Fn(&Fingerprint) -> bool + Send + Sync + 'static,
) -> Result<ServerConfig, rustls::Error> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(Pinned::admitting(admit)))
        .with_single_cert(vec![own.cert.clone()], own.key.clone_key())
}
