//! The node's TLS configurations, built by `pinned_tls` from the node's
//! [`Identity`]: no certificate authority; every party knows the SHA-256
//! fingerprint of the certificate it expects from the auction file, and
//! accepts exactly that.

use crate::identity::Identity;
use auction::wire::Digest;
use pinned_tls::{Credentials, Fingerprint};
use rustls::{ClientConfig, ServerConfig};

pub use pinned_tls::{provider, server_name};

fn credentials(id: &Identity) -> Credentials<'_> {
    Credentials {
        cert: &id.cert,
        key: &id.tls_key,
    }
}

fn pin(fingerprint: Digest) -> Fingerprint {
    Fingerprint(fingerprint.0)
}

/// The bidder API's server config: no client certificate, HTTP/1.1.
pub fn api_server(id: &Identity) -> anyhow::Result<ServerConfig> {
    let mut c = pinned_tls::server_config(credentials(id))?;
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
    Ok(pinned_tls::admitting_server_config(
        credentials(id),
        move |fp| peers(&Digest(fp.0)),
    )?)
}

/// A client config that accepts only the server certificate `server`, and
/// presents `id`'s certificate when given (peer links, which speak no
/// ALPN protocol); without `id` it asks for HTTP/1.1 (the bidder API).
pub fn pinned_client(server: Digest, id: Option<&Identity>) -> anyhow::Result<ClientConfig> {
    let mut c = pinned_tls::client_config(pin(server), id.map(credentials))?;
    if id.is_none() {
        c.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Ok(c)
}
