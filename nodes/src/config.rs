//! The node config (TOML) and the auction file (JSON) that all three nodes
//! share, with the file's hash that they compare on every connection.

use anyhow::{Context, bail};
use auction::AuctionParams;
use auction::BidderId;
use auction::wire::{Digest, PublicKey};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One operator's node config: `node.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's index in the auction file, 0, 1 or 2.
    pub index: u8,
    /// Where the bidder API (HTTPS) listens.
    pub api_listen: SocketAddr,
    /// Where the peer link (mutual TLS) listens.
    pub peer_listen: SocketAddr,
    /// The data folder: keys, certificate, database.
    pub data: PathBuf,
    /// The auction file.
    pub auction: PathBuf,
}

impl NodeConfig {
    /// Reads a config file; relative paths are taken from the file's folder.
    pub fn load(path: &Path) -> anyhow::Result<NodeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading node config {}", path.display()))?;
        let mut c: NodeConfig =
            toml::from_str(&text).with_context(|| format!("node config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        if c.data.is_relative() {
            c.data = base.join(&c.data);
        }
        if c.auction.is_relative() {
            c.auction = base.join(&c.auction);
        }
        if c.index > 2 {
            bail!(
                "node config {}: index {} is not 0, 1 or 2",
                path.display(),
                c.index
            );
        }
        Ok(c)
    }
}

/// One of the three nodes, as the auction file lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    /// 0, 1 or 2; also its position in the list.
    pub index: u8,
    /// Bidder API address (host:port) bidders use.
    pub api: SocketAddr,
    /// Peer link address.
    pub peer: SocketAddr,
    /// The node's Ed25519 identity key: receipts and outcomes.
    pub public_key: PublicKey,
    /// SHA-256 of the node's TLS certificate (DER), 64 hex digits; pinned by
    /// bidders and peers.
    pub cert_fingerprint: Digest,
}

/// A registered bidder.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidderEntry {
    /// The bidder's id.
    pub id: BidderId,
    /// Its Ed25519 public key.
    pub public_key: PublicKey,
}

/// The auction file: the same bytes at all three nodes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuctionFile {
    /// The spec's parameters and the auction id.
    pub auction: AuctionParams,
    /// Bids are taken from this time on (Unix seconds).
    pub open_unix: u64,
    /// Bids are taken until this time (Unix seconds, exclusive).
    pub close_unix: u64,
    /// The three nodes, in index order.
    pub nodes: Vec<NodeEntry>,
    /// The registered bidders.
    pub bidders: Vec<BidderEntry>,
}

/// An auction file as loaded: its contents, its hash and an index of bidders.
#[derive(Clone, Debug)]
pub struct Auction {
    /// The parsed file.
    pub file: AuctionFile,
    /// SHA-256 of the file's bytes.
    pub hash: Digest,
    /// Registered bidders' keys.
    pub bidders: BTreeMap<BidderId, VerifyingKey>,
}

impl Auction {
    /// Reads and checks an auction file.
    pub fn load(path: &Path) -> anyhow::Result<Auction> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading auction file {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("auction file {}", path.display()))
    }

    /// Parses and checks an auction file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Auction> {
        let file: AuctionFile = serde_json::from_slice(bytes)?;
        let p = &file.auction;
        if p.max_orders_per_side == 0 || p.max_orders_per_side > 1024 {
            bail!(
                "max_orders_per_side {} is not in 1..=1024",
                p.max_orders_per_side
            );
        }
        if file.close_unix <= file.open_unix {
            bail!(
                "close_unix {} is not after open_unix {}",
                file.close_unix,
                file.open_unix
            );
        }
        if file.nodes.len() != 3 {
            bail!("{} nodes listed, exactly 3 required", file.nodes.len());
        }
        for (i, n) in file.nodes.iter().enumerate() {
            if n.index as usize != i {
                bail!(
                    "node at position {i} has index {}; list the nodes in index order",
                    n.index
                );
            }
        }
        let mut bidders = BTreeMap::new();
        for b in &file.bidders {
            auction::wire::check_bidder_id(&b.id)?;
            if bidders.insert(b.id.clone(), b.public_key.0).is_some() {
                bail!("bidder {} is registered twice", b.id);
            }
        }
        Ok(Auction {
            hash: Digest(Sha256::digest(bytes).into()),
            file,
            bidders,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &AuctionParams {
        &self.file.auction
    }

    /// The node entry at `index`.
    pub fn node(&self, index: u8) -> &NodeEntry {
        &self.file.nodes[index as usize]
    }

    /// The nodes' identity keys in index order.
    pub fn node_keys(&self) -> [VerifyingKey; 3] {
        std::array::from_fn(|i| self.file.nodes[i].public_key.0)
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
