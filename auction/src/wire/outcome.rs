//! The outcome every node signs and the published bundle that carries it
//! with everything needed to check it.

use super::hex_bytes::fixed_hex;
use super::{BidSetEntry, Digest, SeedReveal, Sig, TAG_OUTCOME, WireError, put_str_vec};
use crate::Seed;
use crate::types::{Allocation, Exclusion, Outcome};
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// The message each node signs over an outcome: `TAG_OUTCOME || auction hash
/// || bid-set digest || seed (32 bytes) || auction id || price flag u8 (0: no
/// trade, 1: price u32be follows) || volume u64be || allocation count u32be ||
/// per allocation: bidder || bought u64be || sold u64be || exclusion count
/// u32be || per exclusion: bidder || reason`.
pub fn outcome_message(
    auction_hash: &Digest,
    bid_set: &Digest,
    outcome: &Outcome,
) -> Result<Vec<u8>, WireError> {
    let seed = Seed(fixed_hex("seed", &outcome.seed)?);
    let mut m = TAG_OUTCOME.to_vec();
    m.extend_from_slice(&auction_hash.0);
    m.extend_from_slice(&bid_set.0);
    m.extend_from_slice(seed.as_bytes());
    put_str_vec(&mut m, &outcome.auction);
    match outcome.price {
        None => m.push(0),
        Some(p) => {
            m.push(1);
            m.extend_from_slice(&p.0.to_be_bytes());
        }
    }
    m.extend_from_slice(&outcome.volume.0.to_be_bytes());
    m.extend_from_slice(&(outcome.allocations.len() as u32).to_be_bytes());
    for Allocation {
        bidder,
        bought,
        sold,
    } in &outcome.allocations
    {
        put_str_vec(&mut m, &bidder.0);
        m.extend_from_slice(&bought.0.to_be_bytes());
        m.extend_from_slice(&sold.0.to_be_bytes());
    }
    m.extend_from_slice(&(outcome.excluded.len() as u32).to_be_bytes());
    for Exclusion { bidder, reason } in &outcome.excluded {
        put_str_vec(&mut m, &bidder.0);
        put_str_vec(&mut m, reason);
    }
    Ok(m)
}

/// One node's signature on the outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSignature {
    /// The node.
    pub node: PartyId,
    /// Its signature over [`outcome_message`].
    pub signature: Sig,
}

/// The published result: the outcome and everything needed to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBundle {
    /// [`FORMAT`](super::FORMAT).
    pub format: u32,
    /// The auction hash: SHA-256 of the auction's terms
    /// ([`crate::auction_file::terms_message`]).
    pub auction_hash: Digest,
    /// The agreed bid set, in bidder-id order.
    pub bid_set: Vec<BidSetEntry>,
    /// [`bid_set_digest`](super::bid_set_digest) of `bid_set`.
    pub bid_set_digest: Digest,
    /// The three seed contributions, in node order.
    pub seed_reveals: Vec<SeedReveal>,
    /// The outcome in the spec's form (its `seed` is the seed).
    pub outcome: Outcome,
    /// The nodes' signatures over [`outcome_message`], one of each node
    /// (published in node order; the order carries no meaning).
    pub signatures: Vec<NodeSignature>,
}

impl OutcomeBundle {
    /// The message every node signs.
    pub fn message(&self) -> Result<Vec<u8>, WireError> {
        outcome_message(&self.auction_hash, &self.bid_set_digest, &self.outcome)
    }
}
