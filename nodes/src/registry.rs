//! The registered bidders of the running auction. Operators register
//! bidders by adding them to the auction file, until the close, without a
//! restart: the node reads the file again when it changes (and at once when
//! a bidder it does not know sends a bid), and takes the new reading only
//! when it adds bidders and nothing else (`AuctionInfo::check_update`).
//! Any other change is refused, said once in the log and in the status, and
//! the registry stays as it was.
//!
//! At the close the three nodes compare their registries' digests before
//! their bid lists; the registry they agreed on is then kept in the
//! database and no later edit of the file changes it.

use auction::BidderId;
use auction::auction_file::AuctionInfo;
use auction::wire::Digest;
use bytes::Bytes;
use ed25519_dalek::VerifyingKey;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::SystemTime;

struct Current {
    info: AuctionInfo,
    bytes: Bytes,
    /// Modification time and length of the file last read.
    stamp: Option<(SystemTime, u64)>,
    /// Why the last changed reading was refused, if it was.
    refused: Option<String>,
    /// Agreed at the close: no more reading.
    frozen: bool,
}

/// The registry and the file it comes from.
pub struct Registry {
    path: PathBuf,
    current: RwLock<Current>,
}

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Registry {
    /// The registry as first read from `path` (`info` and `bytes`).
    pub fn new(path: PathBuf, info: AuctionInfo, bytes: Bytes) -> Registry {
        let stamp = stamp(&path);
        Registry {
            path,
            current: RwLock::new(Current {
                info,
                bytes,
                stamp,
                refused: None,
                frozen: false,
            }),
        }
    }

    /// Reads the file again if it changed since it was last read, and takes
    /// what it adds. Returns the bidders added.
    pub fn refresh(&self) -> Vec<BidderId> {
        let now = stamp(&self.path);
        {
            let c = self.current.read().expect("registry lock");
            if c.frozen || now.is_none() || now == c.stamp {
                return vec![];
            }
        }
        let read = std::fs::read(&self.path)
            .map_err(|e| format!("reading it failed: {e}"))
            .and_then(|b| {
                AuctionInfo::from_bytes(&b)
                    .map(|i| (i, b))
                    .map_err(|e| e.to_string())
            });
        let mut c = self.current.write().expect("registry lock");
        c.stamp = now;
        let result = read.and_then(|(info, bytes)| {
            let added = c.info.check_update(&info)?;
            Ok((info, bytes, added))
        });
        match result {
            Ok((info, bytes, added)) => {
                if !added.is_empty() {
                    tracing::info!(
                        added = added.len(),
                        registered = info.bidders.len(),
                        "bidders registered from the auction file"
                    );
                }
                c.info = info;
                c.bytes = Bytes::from(bytes);
                c.refused = None;
                added
            }
            Err(e) => {
                let e = format!(
                    "the changed auction file {} is not taken: {e}; the registry stays as it was",
                    self.path.display()
                );
                if c.refused.as_deref() != Some(&e) {
                    tracing::error!(problem = %e, "auction file change refused");
                }
                c.refused = Some(e);
                vec![]
            }
        }
    }

    /// The key of `bidder`, reading the file again first when the bidder
    /// is not (yet) known.
    pub fn key(&self, bidder: &BidderId) -> Option<VerifyingKey> {
        if let Some(k) = self
            .current
            .read()
            .expect("registry lock")
            .info
            .bidders
            .get(bidder)
        {
            return Some(*k);
        }
        self.refresh();
        self.current
            .read()
            .expect("registry lock")
            .info
            .bidders
            .get(bidder)
            .copied()
    }

    /// Every registered bidder.
    pub fn bidders(&self) -> BTreeMap<BidderId, VerifyingKey> {
        self.current
            .read()
            .expect("registry lock")
            .info
            .bidders
            .clone()
    }

    /// The registry digest.
    pub fn digest(&self) -> Digest {
        self.current
            .read()
            .expect("registry lock")
            .info
            .registry_digest()
    }

    /// The auction file as last taken, as served to bidders.
    pub fn file_bytes(&self) -> Bytes {
        self.current.read().expect("registry lock").bytes.clone()
    }

    /// Why the last change of the file was refused, if it was.
    pub fn refused(&self) -> Option<String> {
        self.current.read().expect("registry lock").refused.clone()
    }

    /// Fixes the registry to the one agreed at the close.
    pub fn freeze(&self, bidders: BTreeMap<BidderId, VerifyingKey>) {
        let mut c = self.current.write().expect("registry lock");
        c.info.bidders = bidders;
        c.frozen = true;
    }
}

/// The database record of the registry agreed at the close.
pub const STORE_KEY: &str = "registry";

/// The registry as stored in the database at the close: bidder and key.
pub type Stored = Vec<(BidderId, auction::wire::PublicKey)>;

/// The stored form of `bidders`.
pub fn to_stored(bidders: &BTreeMap<BidderId, VerifyingKey>) -> Stored {
    bidders
        .iter()
        .map(|(id, k)| (id.clone(), auction::wire::PublicKey(*k)))
        .collect()
}

/// `bidders` from its stored form.
pub fn from_stored(s: Stored) -> BTreeMap<BidderId, VerifyingKey> {
    s.into_iter().map(|(id, k)| (id, k.0)).collect()
}
