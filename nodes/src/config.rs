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
    /// This node's index in the auction file of `auction`, 0, 1 or 2
    /// (auctions added with `clearing-node add` find it by this node's key).
    #[serde(default)]
    pub index: u8,
    /// Where the bidder API (HTTPS) listens.
    pub api_listen: SocketAddr,
    /// Where the peer link (mutual TLS) listens.
    pub peer_listen: SocketAddr,
    /// The data folder: keys, certificate, database.
    pub data: PathBuf,
    /// The auction file of the auction this node was set up for, if any; its
    /// database is `DATA/node.db`. Further auctions are added with
    /// `clearing-node add` (`crate::sites`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auction: Option<PathBuf>,
    /// The certificate chain (PEM, leaf first, as ACME clients write
    /// `fullchain.pem`) the bidder API shows browsers, for the host name of
    /// this node's `page` in the auction file. Clients that pin (the
    /// `bidder` and `auditor` programs, the peers) still get the pinned
    /// self-signed certificate: they ask for the server name
    /// `clearing-node`. Reread when the files change (renewals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_cert_chain: Option<PathBuf>,
    /// The private key of `api_cert_chain` (PEM: PKCS#8, SEC1 or PKCS#1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<PathBuf>,
    /// A plain-HTTP listener for the bidder page, the live view and the API,
    /// for a local demo in the browser without a certificate: refused unless
    /// the address is loopback (127.0.0.0/8 or ::1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_listen: Option<SocketAddr>,
    /// Origins besides the three nodes' own page origins whose pages may
    /// call this node's API from a browser (CORS), e.g.
    /// `["https://auction.example.org"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_origins: Vec<String>,
    /// For demonstrations of the live view: milliseconds to wait after each
    /// step of the clearing is reported, so that a watcher can follow it.
    /// 0 (the default) in production.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clearing_pace_ms: u64,
    /// Timeouts and the connection cap of the bidder API: the
    /// `[api_limits]` table, every key optional (`crate::http::ApiLimits`).
    #[serde(default, skip_serializing_if = "crate::http::ApiLimits::is_default")]
    pub api_limits: crate::http::ApiLimits,
    /// The clearing's protocol variant: `abort` (the default: every step is
    /// verified and a peer that deviates is caught before anything is
    /// opened) or `semi-honest` (trusts the peers; for comparison only).
    /// All three nodes must use the same; a clearing link between nodes
    /// that differ is refused.
    #[serde(default, skip_serializing_if = "is_abort")]
    pub security: shares::Security,
}

fn is_abort(s: &shares::Security) -> bool {
    *s == shares::Security::Abort
}

fn is_zero(v: &u64) -> bool {
    *v == 0
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
        if let Some(a) = &mut c.auction
            && a.is_relative()
        {
            *a = base.join(&*a).components().collect();
        }
        for p in [&mut c.api_cert_chain, &mut c.api_key]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p).components().collect();
            }
        }
        if c.api_cert_chain.is_some() != c.api_key.is_some() {
            bail!(
                "node config {}: give both api_cert_chain and api_key, or neither",
                path.display()
            );
        }
        if let Some(a) = c.page_listen
            && !a.ip().is_loopback()
        {
            bail!(
                "node config {}: page_listen {a} is not a loopback address; the plain-HTTP page listener is for a local demo only (serve browsers over HTTPS with api_cert_chain and api_key)",
                path.display()
            );
        }
        for o in &c.page_origins {
            if let Err(why) = auction::auction_file::check_page_origin(o) {
                bail!(
                    "node config {}: page_origins entry {o:?} {why}",
                    path.display()
                );
            }
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
