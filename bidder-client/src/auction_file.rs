//! The auction file as a bidder or an auditor reads it: the parameters, the
//! three nodes (addresses, identity keys, pinned TLS fingerprints) and the
//! registered bidders. Its SHA-256 over the exact bytes is the auction hash
//! that receipts and outcomes carry.
//!
//! The format is the one `clearing-node` writes and reads (`nodes/` config);
//! this is the client's read-only view of it.

use auction::wire::{Digest, PublicKey};
use auction::{AuctionParams, BidderId};
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

/// An auction file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuctionFileError {
    /// The file could not be read.
    #[error("reading auction file {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not the auction file's shape.
    #[error("auction file {path}: {message}")]
    Malformed {
        /// The path.
        path: String,
        /// What was wrong.
        message: String,
    },
}

/// One node as the auction file lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct NodeEntry {
    /// 0, 1 or 2.
    pub index: u8,
    /// The bidder API's address.
    pub api: SocketAddr,
    /// The peer link's address (not used by clients).
    pub peer: SocketAddr,
    /// The node's identity key: receipts and outcomes.
    pub public_key: PublicKey,
    /// SHA-256 of the node's TLS certificate (DER), pinned by clients.
    pub cert_fingerprint: Digest,
}

#[derive(Clone, Debug, Deserialize)]
struct BidderEntry {
    id: BidderId,
    public_key: PublicKey,
}

#[derive(Clone, Debug, Deserialize)]
struct Raw {
    auction: AuctionParams,
    open_unix: u64,
    close_unix: u64,
    nodes: Vec<NodeEntry>,
    bidders: Vec<BidderEntry>,
}

/// A loaded auction file.
#[derive(Clone, Debug)]
pub struct AuctionInfo {
    /// The parameters.
    pub params: AuctionParams,
    /// Bidding opens (Unix seconds).
    pub open_unix: u64,
    /// Bidding closes (Unix seconds).
    pub close_unix: u64,
    /// The three nodes in index order.
    pub nodes: [NodeEntry; 3],
    /// Registered bidders and their keys.
    pub bidders: BTreeMap<BidderId, VerifyingKey>,
    /// SHA-256 of the file's bytes.
    pub hash: Digest,
}

impl AuctionInfo {
    /// Reads an auction file.
    pub fn load(path: &Path) -> Result<AuctionInfo, AuctionFileError> {
        let bytes = std::fs::read(path).map_err(|source| AuctionFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|message| AuctionFileError::Malformed {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses an auction file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<AuctionInfo, String> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if raw.nodes.len() != 3 {
            return Err(format!(
                "{} nodes listed, exactly 3 required",
                raw.nodes.len()
            ));
        }
        for (i, n) in raw.nodes.iter().enumerate() {
            if n.index as usize != i {
                return Err(format!("node at position {i} has index {}", n.index));
            }
        }
        let mut bidders = BTreeMap::new();
        for b in raw.bidders {
            if bidders.insert(b.id.clone(), b.public_key.0).is_some() {
                return Err(format!("bidder {} is registered twice", b.id));
            }
        }
        let nodes: [NodeEntry; 3] = raw.nodes.try_into().expect("three nodes");
        Ok(AuctionInfo {
            params: raw.auction,
            open_unix: raw.open_unix,
            close_unix: raw.close_unix,
            nodes,
            bidders,
            hash: Digest(Sha256::digest(bytes).into()),
        })
    }

    /// The nodes' identity keys in index order.
    pub fn node_keys(&self) -> [VerifyingKey; 3] {
        std::array::from_fn(|i| self.nodes[i].public_key.0)
    }

    /// The node whose API listens at `addr`, if any.
    pub fn node_at(&self, addr: SocketAddr) -> Option<&NodeEntry> {
        self.nodes.iter().find(|n| n.api == addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(bidder_key: &VerifyingKey) -> String {
        let k = hex::encode(
            ed25519_dalek::SigningKey::from_bytes(&[1; 32])
                .verifying_key()
                .as_bytes(),
        );
        let nodes: Vec<_> = (0..3)
            .map(|i| {
                serde_json::json!({"index": i, "api": format!("127.0.0.{}:900{i}", i + 1),
                    "peer": format!("127.0.0.{}:910{i}", i + 1), "public_key": k,
                    "cert_fingerprint": "00".repeat(32)})
            })
            .collect();
        serde_json::json!({
            "auction": {"id": "a", "max_price": 100, "max_quantity": 50, "max_orders_per_side": 2},
            "open_unix": 1, "close_unix": 2, "nodes": nodes,
            "bidders": [{"id": "b1", "public_key": hex::encode(bidder_key.as_bytes())}],
        })
        .to_string()
    }

    #[test]
    fn reads_the_nodes_and_hashes_the_bytes() {
        let bk = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
        let text = sample(&bk);
        let a = AuctionInfo::from_bytes(text.as_bytes()).unwrap();
        assert_eq!(a.nodes[2].api, "127.0.0.3:9002".parse().unwrap());
        assert_eq!(a.bidders[&BidderId("b1".into())], bk);
        assert_eq!(a.hash.0, <[u8; 32]>::from(Sha256::digest(text.as_bytes())));
        let two = text.replacen("\"index\":2", "\"index\":1", 1);
        assert!(
            AuctionInfo::from_bytes(two.as_bytes())
                .unwrap_err()
                .contains("position 2")
        );
    }
}
