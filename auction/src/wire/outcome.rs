//! The outcome every node signs and the published bundle that carries it
//! with everything needed to check it.

use super::hex_bytes::fixed_hex;
use super::{
    BidSetEntry, Digest, FORMAT, SeedReveal, Sig, TAG_OUTCOME, WireError, bid_set_digest,
    put_str_vec, seed_commitment, seed_from_reveals,
};
use crate::types::{Allocation, BidderId, Exclusion, Outcome};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    let seed: [u8; 32] = fixed_hex("seed", &outcome.seed)?;
    let mut m = TAG_OUTCOME.to_vec();
    m.extend_from_slice(&auction_hash.0);
    m.extend_from_slice(&bid_set.0);
    m.extend_from_slice(&seed);
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
    /// The node index.
    pub node: u8,
    /// Its signature over [`outcome_message`].
    pub signature: Sig,
}

/// The published result: the outcome and everything needed to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBundle {
    /// [`FORMAT`].
    pub format: u32,
    /// The auction hash: SHA-256 of the auction's terms
    /// ([`crate::auction_file::terms_message`]).
    pub auction_hash: Digest,
    /// The agreed bid set, in bidder-id order.
    pub bid_set: Vec<BidSetEntry>,
    /// [`bid_set_digest`] of `bid_set`.
    pub bid_set_digest: Digest,
    /// The three seed contributions, in node order.
    pub seed_reveals: Vec<SeedReveal>,
    /// The outcome in the spec's form (its `seed` is the seed).
    pub outcome: Outcome,
    /// The nodes' signatures over [`outcome_message`], in node order.
    pub signatures: Vec<NodeSignature>,
}

impl OutcomeBundle {
    /// The message every node signs.
    pub fn message(&self) -> Result<Vec<u8>, WireError> {
        outcome_message(&self.auction_hash, &self.bid_set_digest, &self.outcome)
    }

    /// Every bid of the set whose bidder is not registered in `bidders` or
    /// whose signature does not verify with the registered key, described.
    pub fn bidder_signature_failures(
        &self,
        bidders: &BTreeMap<BidderId, VerifyingKey>,
    ) -> Vec<String> {
        self.bid_set
            .iter()
            .filter_map(|e| match bidders.get(&e.bidder) {
                None => Some(format!(
                    "bidder {} in the bid set is not registered",
                    e.bidder
                )),
                Some(key) => e.verify(&self.outcome.auction, key).err(),
            })
            .collect()
    }

    /// Checks the bundle's internal consistency, every bidder's signature
    /// against the registry `bidders` and all three node signatures against
    /// the nodes' keys (index order). Returns what failed.
    pub fn verify(
        &self,
        node_keys: &[VerifyingKey; 3],
        bidders: &BTreeMap<BidderId, VerifyingKey>,
    ) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "bundle format {}, this code reads {FORMAT}",
                self.format
            ));
        }
        if bid_set_digest(&self.bid_set) != self.bid_set_digest {
            return Err("bid-set digest does not match the bid set".into());
        }
        if let Some(e) = self.bidder_signature_failures(bidders).into_iter().next() {
            return Err(e);
        }
        if self.seed_reveals.len() != 3 {
            return Err(format!(
                "{} seed reveals, expected 3",
                self.seed_reveals.len()
            ));
        }
        let mut values = [[0u8; 32]; 3];
        for (i, r) in self.seed_reveals.iter().enumerate() {
            if r.node as usize != i {
                return Err(format!("seed reveal {i} is for node {}", r.node));
            }
            if seed_commitment(&self.auction_hash, &self.bid_set_digest, r.node, &r.value.0)
                != r.commitment
            {
                return Err(format!(
                    "seed reveal of node {i} does not open its commitment"
                ));
            }
            values[i] = r.value.0;
        }
        if hex::encode(seed_from_reveals(&values)) != self.outcome.seed {
            return Err("seed is not the hash of the three revealed values".into());
        }
        let m = self.message().map_err(|e| e.to_string())?;
        if self.signatures.len() != 3 {
            return Err(format!("{} signatures, expected 3", self.signatures.len()));
        }
        for (i, s) in self.signatures.iter().enumerate() {
            if s.node as usize != i {
                return Err(format!("signature {i} is from node {}", s.node));
            }
            node_keys[i]
                .verify_strict(&m, &s.signature.0)
                .map_err(|_| format!("signature of node {i} does not verify"))?;
        }
        Ok(())
    }
}
