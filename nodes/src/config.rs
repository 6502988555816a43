//! The node config (TOML), and reading the auction file (JSON) that all
//! three nodes share; its format, checks and hash (compared on every
//! connection) are `auction::auction_file`'s.

use anyhow::{Context, bail};
use auction::auction_file::AuctionInfo;
use serde::{Deserialize, Serialize};
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
        // `components` drops the `.` inside: `init` writes `data = "."`.
        if c.data.is_relative() {
            c.data = base.join(&c.data).components().collect();
        }
        if c.auction.is_relative() {
            c.auction = base.join(&c.auction).components().collect();
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

/// Reads and checks an auction file (format and checks:
/// `auction::auction_file`).
pub fn load_auction(path: &Path) -> anyhow::Result<AuctionInfo> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading auction file {}", path.display()))?;
    AuctionInfo::from_bytes(&bytes).with_context(|| format!("auction file {}", path.display()))
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
