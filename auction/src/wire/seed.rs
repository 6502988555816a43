//! The jointly drawn seed: each node's commitment to its contribution,
//! the published reveals, and the seed they give.

use super::{Digest, TAG_SEED_COMMIT};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A node's commitment to its seed contribution:
/// `SHA-256(TAG_SEED_COMMIT || auction hash || bid-set digest || node u8 || value)`.
pub fn seed_commitment(
    auction_hash: &Digest,
    bid_set: &Digest,
    node: u8,
    value: &[u8; 32],
) -> Digest {
    let mut h = Sha256::new();
    h.update(TAG_SEED_COMMIT);
    h.update(auction_hash.0);
    h.update(bid_set.0);
    h.update([node]);
    h.update(value);
    Digest(h.finalize().into())
}

/// The seed: `SHA-256(r0 || r1 || r2)`, the revealed values in node order.
pub fn seed_from_reveals(reveals: &[[u8; 32]; 3]) -> [u8; 32] {
    let mut h = Sha256::new();
    for r in reveals {
        h.update(r);
    }
    h.finalize().into()
}

/// A node's seed contribution, published after the clearing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedReveal {
    /// The node index.
    pub node: u8,
    /// Its commitment, [`seed_commitment`].
    pub commitment: Digest,
    /// The value it committed to, 64 hex digits.
    pub value: Digest,
}
