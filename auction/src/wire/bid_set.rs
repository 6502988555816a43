//! The agreed bid set and its digest, and the digest of the bidder
//! registry the nodes compare at the close.

use super::{Digest, Sig, TAG_BID_SET, TAG_REGISTRY, Version, bid_message, put_str};
use crate::types::BidderId;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

/// One bid in the agreed set: the version all three nodes hold with the same
/// commitments and the same bidder signature. The signature travels with it
/// into the published bundle, so anyone can check against the auction
/// file's registry that the bidder sent exactly this bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidSetEntry {
    /// The bidder.
    pub bidder: BidderId,
    /// The version.
    pub version: Version,
    /// The three bundle commitments.
    pub commitments: [Digest; 3],
    /// The bidder's signature over [`bid_message`] of this entry. Nodes
    /// always publish it; a bundle that lacks it fails verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Sig>,
}

impl BidSetEntry {
    /// Checks the bidder's signature over this entry for auction `auction`.
    pub fn verify(&self, auction: &str, bidder_key: &VerifyingKey) -> Result<(), String> {
        let Some(signature) = &self.signature else {
            return Err(format!(
                "bidder {} version {}: no bidder signature",
                self.bidder, self.version
            ));
        };
        let m = bid_message(auction, &self.bidder, self.version, &self.commitments);
        bidder_key.verify_strict(&m, &signature.0).map_err(|_| {
            format!(
                "the signature of bidder {} over version {} does not verify with its registered key",
                self.bidder, self.version
            )
        })
    }
}

/// `SHA-256(TAG_BID_SET || count u32be || per entry: bidder || version u64be
/// || c0 || c1 || c2 || signature)`, entries in the given (bidder-id)
/// order; a missing signature counts as 64 zero bytes (which never verify).
pub fn bid_set_digest(entries: &[BidSetEntry]) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_BID_SET);
    h.update((entries.len() as u32).to_be_bytes());
    for e in entries {
        put_str(&mut h, &e.bidder.0);
        h.update(e.version.to_be_bytes());
        for c in &e.commitments {
            h.update(c.0);
        }
        h.update(e.signature.map_or([0; 64], |s| s.0.to_bytes()));
    }
    Digest(h.finalize().into())
}

/// The registry digest: `SHA-256(TAG_REGISTRY || count u32be || per
/// bidder in id order: bidder || public key (32 bytes))`. The three nodes
/// compare it at the close; bidders may be registered until then.
pub fn registry_digest(bidders: &BTreeMap<BidderId, VerifyingKey>) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_REGISTRY);
    h.update((bidders.len() as u32).to_be_bytes());
    for (id, key) in bidders {
        put_str(&mut h, &id.0);
        h.update(key.as_bytes());
    }
    Digest(h.finalize().into())
}
