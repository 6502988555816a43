//! TLS with pinned self-signed certificates (rustls, ring provider).
//!
//! There is no certificate authority: every node's certificate is
//! self-signed, and whoever connects to a node (a bidder, an auditor, the
//! operator's tools, another node) knows the SHA-256 [`Fingerprint`] of the
//! certificate to expect from the auction file, and accepts exactly that
//! one. The peers' mutual TLS uses the same rule the other way round: a node
//! accepts a client certificate only when its fingerprint is one of the
//! other nodes'. Names and dates in the certificate play no part; the name
//! every client asks for is [`SERVER_NAME`], so that a node that also holds
//! a browser-facing certificate knows to serve the pinned one.
//!
//! - [`Pinned`]: the verifier, server and client side;
//! - [`client_config`], [`server_config`], [`mutual_server_config`]: the
//!   rustls configurations;
//! - [`https::Client`]: an HTTPS/1.1 client for one pinned server, with a
//!   small pool of kept-alive connections.
#![deny(missing_docs, unsafe_code)]

mod config;
pub mod https;
mod verifier;

pub use config::{
    Credentials, admitting_server_config, client_config, mutual_server_config, server_config,
};
pub use verifier::Pinned;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::sync::Arc;

/// The server name every pinning client asks for. Certificates are pinned,
/// so it only has to be well-formed, and the same everywhere.
pub const SERVER_NAME: &str = "clearing-node";

/// [`SERVER_NAME`] as rustls takes it.
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from(SERVER_NAME).expect("a valid DNS name")
}

/// The crypto provider of every connection: ring.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 of a certificate's DER bytes: what the auction file lists for
/// each node, and all that a pinning peer checks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of the certificate `der`.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl From<[u8; 32]> for Fingerprint {
    fn from(bytes: [u8; 32]) -> Fingerprint {
        Fingerprint(bytes)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}
