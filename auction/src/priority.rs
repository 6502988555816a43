//! Random priority keys: the tie-break among orders at the same limit price
//! on the long side (spec, "Random priority key").
//!
//! An order's key is the first 8 bytes, big-endian, of
//! `SHA-256(seed || bidder_id as UTF-8 || 0x00 || side || slot)`, where `side`
//! is `B` (0x42) or `S` (0x53) and `slot` is 4 bytes big-endian. Anyone who
//! holds the published seed can recompute every key.

use crate::{BidderId, Seed, Side};
use sha2::{Digest, Sha256};

/// The priority key of the order in `slot` of `bidder`'s `side`; smaller keys
/// fill first among orders at the same limit price.
pub fn priority_key(seed: &Seed, bidder: &BidderId, side: Side, slot: u32) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(bidder.0.as_bytes());
    h.update([0u8, side.tag()]);
    h.update(slot.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}
