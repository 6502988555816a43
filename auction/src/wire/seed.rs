//! The jointly drawn seed: each node's commitment to its contribution,
//! the published reveals, and the seed they give.

use super::{Digest, TAG_SEED_COMMIT};
use crate::Seed;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use shares::PartyId;

/// A node's commitment to its seed contribution:
/// `SHA-256(TAG_SEED_COMMIT || auction hash || bid-set digest || node u8 || value)`.
pub fn seed_commitment(
    auction_hash: &Digest,
    bid_set: &Digest,
    node: PartyId,
    value: &[u8; 32],
) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_SEED_COMMIT);
    h.update(auction_hash.0);
    h.update(bid_set.0);
    h.update([u8::from(node)]);
    h.update(value);
    Digest(h.finalize().into())
}

/// The seed: `SHA-256(r0 || r1 || r2)`, the revealed values in node order.
pub fn seed_from_reveals(reveals: &[[u8; 32]; 3]) -> Seed {
    let mut h = Sha256::new();
    for r in reveals {
        h.update(r);
    }
    Seed(h.finalize().into())
}

/// A node's seed contribution, published after the clearing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedReveal {
    /// The node.
    pub node: PartyId,
    /// Its commitment, [`seed_commitment`].
    pub commitment: Digest,
    /// The value it committed to, 64 hex digits.
    pub value: Digest,
}
