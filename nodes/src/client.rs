//! One request to a node's bidder API over HTTPS, pinning the node's
//! certificate by fingerprint (`pinned_tls`'s client): used by the tests,
//! the operator's `status` and tools. The intake benchmark keeps
//! [`Client`]s of its own.

use auction::wire::Digest;
use bytes::Bytes;
use pinned_tls::Fingerprint;
use std::net::SocketAddr;

pub use pinned_tls::https::Client;

/// A client of the bidder API at `addr` whose certificate has `fingerprint`.
pub fn api_client(addr: SocketAddr, fingerprint: Digest) -> Client {
    Client::new(addr, Fingerprint(fingerprint.0))
}

/// One request on a fresh connection; returns the status and body.
pub async fn call(
    addr: SocketAddr,
    fingerprint: Digest,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<(u16, Bytes)> {
    Ok(api_client(addr, fingerprint)
        .request(method, path, body.map(Bytes::from))
        .await?)
}
