//! The auction file (JSON): the parameters, the bidding window, the three
//! nodes (addresses, identity keys, pinned TLS fingerprints) and the
//! registered bidders.
//!
//! Two digests come from it. The *auction hash* covers the auction's terms:
//! everything but the bidder registry, in a fixed binary encoding
//! ([`terms_message`]), so reformatting the file changes nothing. Peer
//! hellos, receipts and outcomes carry it, and a node's database is pinned
//! to it. The *registry digest* ([`crate::wire::registry_digest`]) covers
//! the registered bidders: operators may register more bidders until the
//! close without a restart, and at the close the three nodes compare their
//! registries before they compare bids.
//!
//! This module parses and checks bytes only; reading the file is the
//! caller's (`clearing-node`, `bidder`, `auditor`), which adds the path to
//! the error.

use crate::wire::{Digest, PublicKey, Trusted, WireError, check_bidder_id};
use crate::{AuctionParams, BidderId};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The largest `max_orders_per_side` an auction file may set.
pub const MAX_ORDERS_PER_SIDE: u32 = 1024;

/// What is wrong with an auction file's contents.
#[derive(Debug, thiserror::Error)]
pub enum AuctionFileError {
    /// Not JSON of the auction file's shape.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// `max_orders_per_side` out of range.
    #[error("max_orders_per_side {0} is not in 1..={MAX_ORDERS_PER_SIDE}")]
    MaxOrders(u32),
    /// The bidding window is empty.
    #[error(
        "close_unix {} is not after open_unix {}: bidding must close after it opens",
        crate::time::rfc3339(*close),
        crate::time::rfc3339(*open)
    )]
    Window {
        /// `open_unix`.
        open: u64,
        /// `close_unix`.
        close: u64,
    },
    /// Not exactly three nodes.
    #[error("{0} nodes listed, exactly 3 required")]
    NodeCount(usize),
    /// A node listed out of index order.
    #[error("node at position {position} has index {index}; list the nodes in index order")]
    NodeOrder {
        /// Position in the list.
        position: usize,
        /// The index it gives.
        index: u8,
    },
    /// A registered bidder's id is not a valid id.
    #[error("registered bidder {:?}: {reason}", id.0)]
    BidderId {
        /// The id as written.
        id: BidderId,
        /// Why it is refused.
        reason: WireError,
    },
    /// A bidder is registered more than once.
    #[error("bidder {0} is registered twice")]
    DuplicateBidder(BidderId),
    /// The auction id is empty.
    #[error("auction.id is empty; give the auction a name (it is in every signed message)")]
    EmptyId,
    /// Two nodes listen on one address.
    #[error(
        "address {addr} is listed twice (node {a} and node {b}); every API and peer address must be its own"
    )]
    SharedAddress {
        /// The first node.
        a: u8,
        /// The second node.
        b: u8,
        /// The address they share.
        addr: SocketAddr,
    },
    /// A public key that anyone can sign for (a small-order point such as
    /// all zeros): no signature with it proves anything.
    #[error("{whose}: public key {key} is a weak (small-order) key; generate a real key")]
    WeakKey {
        /// `node N` or `bidder ID`.
        whose: String,
        /// The key as hex.
        key: String,
    },
    /// A node's `page` is not an origin browsers can use.
    #[error("node {index}: page {page:?} {reason}")]
    Page {
        /// The node's index.
        index: u8,
        /// The value as written.
        page: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// One of the three nodes, as the auction file lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    /// 0, 1 or 2; also its position in the list.
    pub index: u8,
    /// Bidder API address (host:port) bidders use.
    pub api: SocketAddr,
    /// Peer link address (not used by clients).
    pub peer: SocketAddr,
    /// The node's Ed25519 identity key: receipts and outcomes.
    pub public_key: PublicKey,
    /// SHA-256 of the node's TLS certificate (DER), 64 hex digits; pinned by
    /// bidders and peers.
    pub cert_fingerprint: Digest,
    /// The origin where browsers reach this node's bidder page and API:
    /// `https://host[:port]` (served with the operator's certificate chain),
    /// or `http://` on a loopback address for a local demo. Optional: when
    /// absent it is `https://` and the `api` address. The page sends each
    /// node its bundle at that node's origin, and every node lets the three
    /// origins call its API (CORS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl NodeEntry {
    /// The origin where browsers reach this node: `page`, or
    /// `https://` and the `api` address.
    pub fn page_origin(&self) -> String {
        match &self.page {
            Some(p) => p.clone(),
            None => format!("https://{}", self.api),
        }
    }
}

/// Checks that `s` is a web origin a browser can send bids from and to:
/// `https://host[:port]`, or `http://` with a loopback host (`127.x.x.x`,
/// `localhost`, `[::1]`), with no path, query or trailing slash. Returns
/// what is wrong.
pub fn check_page_origin(s: &str) -> Result<(), &'static str> {
    let (https, rest) = if let Some(r) = s.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = s.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("must start with https:// (or http:// on a loopback address)");
    };
    if rest.is_empty() {
        return Err("names no host");
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return Err("must be an origin only: scheme, host and port, no path or trailing slash");
    }
    if rest.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("must be written in lower case, as browsers send it");
    }
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let Some((h, after)) = r.split_once(']') else {
            return Err("has a malformed IPv6 address");
        };
        match after {
            "" => (h, None),
            p => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err("has a malformed IPv6 address"),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err("names no host");
    }
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err("has a port that is not a number in 1..=65535");
    }
    if !https {
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err("uses http:// on a host that is not loopback; use https://");
        }
    }
    Ok(())
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

/// The auction file as written: the same bytes at all three nodes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuctionFile {
    /// The spec's parameters and the auction id.
    pub auction: AuctionParams,
    /// Bids are taken from this time on: Unix seconds, or RFC 3339 with
    /// the zone (`"2026-12-01T09:00:00+01:00"`); the key may also be `open`.
    #[serde(alias = "open", deserialize_with = "crate::time::unix_or_rfc3339")]
    pub open_unix: u64,
    /// Bids are taken until this time (exclusive), written as `open_unix`;
    /// the key may also be `close`.
    #[serde(alias = "close", deserialize_with = "crate::time::unix_or_rfc3339")]
    pub close_unix: u64,
    /// The three nodes, in index order.
    pub nodes: Vec<NodeEntry>,
    /// The registered bidders.
    pub bidders: Vec<BidderEntry>,
}

/// The bytes the auction hash is the SHA-256 of: the terms, without the
/// bidder registry. `"triad/v2/auction\0" || str(id) || u32be(max_price) ||
/// u32be(max_quantity) || u32be(K) || u64be(open) || u64be(close)`, then
/// per node in index order: `str(api) || str(peer) || public key (32) ||
/// certificate fingerprint (32) || str(page or "")`; `str(s)` is
/// `u32be(length) || UTF-8`, addresses as written by Rust (`127.0.0.1:8443`,
/// `[::1]:8443`).
pub fn terms_message(info: &AuctionInfo) -> Vec<u8> {
    fn put(m: &mut Vec<u8>, s: &str) {
        m.extend_from_slice(&(s.len() as u32).to_be_bytes());
        m.extend_from_slice(s.as_bytes());
    }
    let p = &info.params;
    let mut m = b"triad/v2/auction\0".to_vec();
    put(&mut m, &p.id);
    for v in [p.max_price, p.max_quantity, p.max_orders_per_side] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&info.open_unix.to_be_bytes());
    m.extend_from_slice(&info.close_unix.to_be_bytes());
    for n in &info.nodes {
        put(&mut m, &n.api.to_string());
        put(&mut m, &n.peer.to_string());
        m.extend_from_slice(n.public_key.0.as_bytes());
        m.extend_from_slice(&n.cert_fingerprint.0);
        put(&mut m, n.page.as_deref().unwrap_or(""));
    }
    m
}

/// A checked auction file: its contents, its hash and an index of bidders.
#[derive(Clone, Debug)]
pub struct AuctionInfo {
    /// The parameters.
    pub params: AuctionParams,
    /// Bidding opens (Unix seconds).
    pub open_unix: u64,
    /// Bidding closes (Unix seconds, exclusive).
    pub close_unix: u64,
    /// The three nodes in index order.
    pub nodes: [NodeEntry; 3],
    /// Registered bidders and their keys.
    pub bidders: BTreeMap<BidderId, VerifyingKey>,
    /// The auction hash: SHA-256 of [`terms_message`].
    pub hash: Digest,
}

impl AuctionInfo {
    /// Parses and checks an auction file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<AuctionInfo, AuctionFileError> {
        let file: AuctionFile = serde_json::from_slice(bytes)?;
        let p = &file.auction;
        if p.id.is_empty() {
            return Err(AuctionFileError::EmptyId);
        }
        if p.max_orders_per_side == 0 || p.max_orders_per_side > MAX_ORDERS_PER_SIDE {
            return Err(AuctionFileError::MaxOrders(p.max_orders_per_side));
        }
        if file.close_unix <= file.open_unix {
            return Err(AuctionFileError::Window {
                open: file.open_unix,
                close: file.close_unix,
            });
        }
        let nodes: [NodeEntry; 3] = file
            .nodes
            .try_into()
            .map_err(|n: Vec<NodeEntry>| AuctionFileError::NodeCount(n.len()))?;
        let weak = |whose: String, k: &PublicKey| {
            if k.0.is_weak() {
                Err(AuctionFileError::WeakKey {
                    whose,
                    key: k.to_hex(),
                })
            } else {
                Ok(())
            }
        };
        let mut addresses: BTreeMap<SocketAddr, u8> = BTreeMap::new();
        for (position, n) in nodes.iter().enumerate() {
            weak(format!("node {}", n.index), &n.public_key)?;
            for addr in [n.api, n.peer] {
                if let Some(&a) = addresses.get(&addr) {
                    return Err(AuctionFileError::SharedAddress {
                        a,
                        b: n.index,
                        addr,
                    });
                }
                addresses.insert(addr, n.index);
            }
            if n.index as usize != position {
                return Err(AuctionFileError::NodeOrder {
                    position,
                    index: n.index,
                });
            }
            if let Some(page) = &n.page
                && let Err(reason) = check_page_origin(page)
            {
                return Err(AuctionFileError::Page {
                    index: n.index,
                    page: page.clone(),
                    reason,
                });
            }
        }
        let mut bidders = BTreeMap::new();
        for b in file.bidders {
            if let Err(reason) = check_bidder_id(&b.id) {
                return Err(AuctionFileError::BidderId { id: b.id, reason });
            }
            weak(format!("bidder {}", b.id), &b.public_key)?;
            if bidders.insert(b.id.clone(), b.public_key.0).is_some() {
                return Err(AuctionFileError::DuplicateBidder(b.id));
            }
        }
        let mut info = AuctionInfo {
            params: file.auction,
            open_unix: file.open_unix,
            close_unix: file.close_unix,
            nodes,
            bidders,
            hash: Digest::default(),
        };
        info.hash = Digest(Sha256::digest(terms_message(&info)).into());
        Ok(info)
    }

    /// The registry digest of the registered bidders
    /// ([`crate::wire::registry_digest`]).
    pub fn registry_digest(&self) -> Digest {
        crate::wire::registry_digest(&self.bidders)
    }

    /// Checks that `newer`, a later reading of this auction's file, only
    /// registers more bidders: the same terms (auction hash), and every
    /// bidder registered here still registered with the same key. Returns
    /// the bidders it adds.
    pub fn check_update(&self, newer: &AuctionInfo) -> Result<Vec<BidderId>, String> {
        if newer.hash != self.hash {
            return Err(format!(
                "its terms changed (auction hash {} instead of {}): only bidders may be added to a running auction",
                newer.hash, self.hash
            ));
        }
        for (id, key) in &self.bidders {
            match newer.bidders.get(id) {
                None => {
                    return Err(format!(
                        "bidder {id} is no longer registered; a registration cannot be withdrawn"
                    ));
                }
                Some(k) if k != key => {
                    return Err(format!(
                        "bidder {id} has another key; a registered key cannot be changed"
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(newer
            .bidders
            .keys()
            .filter(|id| !self.bidders.contains_key(*id))
            .cloned()
            .collect())
    }

    /// The node entry at `index` (0, 1 or 2).
    pub fn node(&self, index: u8) -> &NodeEntry {
        &self.nodes[index as usize]
    }

    /// The nodes' identity keys in index order.
    pub fn node_keys(&self) -> [VerifyingKey; 3] {
        std::array::from_fn(|i| self.nodes[i].public_key.0)
    }

    /// The three nodes' page origins, in index order ([`NodeEntry::page_origin`]).
    pub fn page_origins(&self) -> [String; 3] {
        std::array::from_fn(|i| self.nodes[i].page_origin())
    }

    /// The node whose bidder API listens at `addr`, if any.
    pub fn node_at(&self, addr: SocketAddr) -> Option<&NodeEntry> {
        self.nodes.iter().find(|n| n.api == addr)
    }

    /// What an outcome bundle of this auction is checked against
    /// ([`OutcomeBundle::checks`](crate::wire::OutcomeBundle::checks)):
    /// these terms, these nodes' keys, this file's registry.
    pub fn trusted(&self) -> Trusted<'_> {
        self.trusted_with(&self.bidders)
    }

    /// As [`AuctionInfo::trusted`], with the registry `bidders` (a node's,
    /// which may have grown since the file was read).
    pub fn trusted_with<'a>(
        &'a self,
        bidders: &'a BTreeMap<BidderId, VerifyingKey>,
    ) -> Trusted<'a> {
        Trusted {
            auction_hash: &self.hash,
            params: &self.params,
            node_keys: self.node_keys(),
            bidders,
        }
    }
}

/// An auction id as one URL path segment: unreserved characters as they
/// are, every other byte `%XX`. A node serves several auctions and its API
/// names each by id (`/v1/auctions/{id}/…`).
pub fn id_segment(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of `route` (`bids`, `outcome`, `status`, …) of auction `id` on
/// a node's API.
pub fn api_path(id: &str, route: &str) -> String {
    format!("/v1/auctions/{}/{route}", id_segment(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(bidder_key: &VerifyingKey) -> serde_json::Value {
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
    }

    fn error(v: &serde_json::Value) -> String {
        AuctionInfo::from_bytes(v.to_string().as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_the_nodes_and_hashes_the_bytes() {
        let bk = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
        let text = sample(&bk).to_string();
        let a = AuctionInfo::from_bytes(text.as_bytes()).unwrap();
        assert_eq!(a.nodes[2].api, "127.0.0.3:9002".parse().unwrap());
        assert_eq!(a.node_at(a.nodes[1].api).unwrap().index, 1);
        assert_eq!(a.bidders[&BidderId("b1".into())], bk);
        assert_eq!(
            a.hash.0,
            <[u8; 32]>::from(Sha256::digest(terms_message(&a)))
        );
        // The hash is of the terms: reformatting the file or registering
        // another bidder leaves it, changing a term does not.
        let pretty = serde_json::to_string_pretty(&sample(&bk)).unwrap();
        assert_eq!(
            AuctionInfo::from_bytes(pretty.as_bytes()).unwrap().hash,
            a.hash
        );
        let mut more = sample(&bk);
        let other = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
        more["bidders"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": "b2", "public_key": hex::encode(other.as_bytes())}));
        let b = AuctionInfo::from_bytes(more.to_string().as_bytes()).unwrap();
        assert_eq!(b.hash, a.hash);
        assert_ne!(b.registry_digest(), a.registry_digest());
        assert_eq!(a.check_update(&b), Ok(vec![BidderId("b2".into())]));
        let e = b.check_update(&a).unwrap_err();
        assert!(e.contains("bidder b2 is no longer registered"), "{e}");
        let mut rekeyed = sample(&other);
        rekeyed["bidders"][0]["id"] = "b1".into();
        let c = AuctionInfo::from_bytes(rekeyed.to_string().as_bytes()).unwrap();
        assert!(a.check_update(&c).unwrap_err().contains("another key"));
        let mut later = sample(&bk);
        later["close_unix"] = 3.into();
        let d = AuctionInfo::from_bytes(later.to_string().as_bytes()).unwrap();
        assert_ne!(d.hash, a.hash);
        assert!(a.check_update(&d).unwrap_err().contains("terms changed"));
    }

    #[test]
    fn page_origins_are_checked_and_default_to_the_api_address() {
        for ok in [
            "https://beet.example.org",
            "https://beet.example.org:8443",
            "https://[2001:db8::1]:8443",
            "http://127.0.0.1:8080",
            "http://127.0.0.2",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_page_origin(ok), Ok(()), "{ok}");
        }
        for bad in [
            "beet.example.org",
            "https://",
            "https://beet.example.org/",
            "https://Beet.example.org",
            "https://beet.example.org:0",
            "https://beet.example.org:99999",
            "https://beet.example.org:x",
            "http://10.0.0.1:8080",
            "http://beet.example.org",
            "ftp://beet.example.org",
        ] {
            assert!(check_page_origin(bad).is_err(), "{bad}");
        }
        let bk = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
        let mut v = sample(&bk);
        v["nodes"][0]["page"] = "http://127.0.0.1:8080".into();
        let a = AuctionInfo::from_bytes(v.to_string().as_bytes()).unwrap();
        assert_eq!(
            a.page_origins(),
            [
                "http://127.0.0.1:8080".to_string(),
                "https://127.0.0.2:9001".into(),
                "https://127.0.0.3:9002".into()
            ]
        );
    }

    #[test]
    fn names_what_is_wrong() {
        let bk = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
        let good = sample(&bk);

        let mut v = good.clone();
        v["nodes"][2]["index"] = 1.into();
        assert!(
            error(&v).contains("position 2 has index 1"),
            "{}",
            error(&v)
        );

        let mut v = good.clone();
        v["nodes"].as_array_mut().unwrap().pop();
        assert_eq!(error(&v), "2 nodes listed, exactly 3 required");

        let mut v = good.clone();
        v["auction"]["max_orders_per_side"] = 0.into();
        assert!(error(&v).contains("max_orders_per_side 0"), "{}", error(&v));

        let mut v = good.clone();
        v["close_unix"] = 1.into();
        assert_eq!(
            error(&v),
            "close_unix 1970-01-01T00:00:01Z is not after open_unix 1970-01-01T00:00:01Z: bidding must close after it opens"
        );
        // RFC 3339 with its zone, under either key.
        let mut v = good.clone();
        let o = v.as_object_mut().unwrap();
        o.remove("open_unix");
        o.remove("close_unix");
        o.insert("open".into(), "2026-12-01T09:00:00+01:00".into());
        o.insert("close".into(), "2026-12-02T09:00:00+01:00".into());
        let a = AuctionInfo::from_bytes(v.to_string().as_bytes()).unwrap();
        assert_eq!((a.open_unix, a.close_unix), (1_796_112_000, 1_796_198_400));
        let mut v = good.clone();
        v["close_unix"] = "tomorrow".into();
        assert!(error(&v).contains("not an RFC 3339 time"), "{}", error(&v));

        let mut v = good.clone();
        let b = v["bidders"][0].clone();
        v["bidders"].as_array_mut().unwrap().push(b);
        assert_eq!(error(&v), "bidder b1 is registered twice");

        let mut v = good.clone();
        v["bidders"][0]["id"] = "".into();
        assert!(error(&v).contains("bidder id must be"), "{}", error(&v));

        let mut v = good.clone();
        v["nodes"][1]["page"] = "http://beet.example.org:8080".into();
        assert_eq!(
            error(&v),
            "node 1: page \"http://beet.example.org:8080\" uses http:// on a host that is not loopback; use https://"
        );
        v["nodes"][1]["page"] = "https://beet.example.org/bid".into();
        assert!(error(&v).contains("origin only"), "{}", error(&v));

        let mut v = good.clone();
        v["auction"]["id"] = "".into();
        assert!(error(&v).contains("auction.id is empty"), "{}", error(&v));

        let mut v = good.clone();
        v["nodes"][2]["api"] = v["nodes"][0]["api"].clone();
        assert_eq!(
            error(&v),
            "address 127.0.0.1:9000 is listed twice (node 0 and node 2); every API and peer address must be its own"
        );
        let mut v = good.clone();
        v["nodes"][1]["peer"] = v["nodes"][1]["api"].clone();
        assert!(
            error(&v).contains("listed twice (node 1 and node 1)"),
            "{}",
            error(&v)
        );

        let mut v = good.clone();
        v["bidders"][0]["public_key"] = "00".repeat(32).into();
        assert!(
            error(&v).contains("bidder b1: public key 0000") && error(&v).contains("weak"),
            "{}",
            error(&v)
        );
        let mut v = good.clone();
        // The identity point: every signature "verifies".
        v["nodes"][0]["public_key"] = format!("01{}", "00".repeat(31)).into();
        assert!(error(&v).contains("node 0: public key 01"), "{}", error(&v));

        let mut v = good;
        v["extra"] = 1.into();
        assert!(error(&v).contains("unknown field `extra`"), "{}", error(&v));
    }
}
