//! A node's signed acknowledgement that it stored a submission.

use super::{Digest, Sig, Submission, TAG_RECEIPT, Version, put_str_vec};
use crate::types::BidderId;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use shares::PartyId;

/// A node's acknowledgement that it stored a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The auction id.
    pub auction: String,
    /// The auction file's hash.
    pub auction_hash: Digest,
    /// The bidder.
    pub bidder: BidderId,
    /// The version stored.
    pub version: Version,
    /// The three bundle commitments, as signed by the bidder.
    pub commitments: [Digest; 3],
    /// The node that stored it.
    pub node: PartyId,
    /// The node's signature over [`Receipt::message`].
    pub signature: Sig,
}

impl Receipt {
    /// `TAG_RECEIPT || auction hash || auction id || bidder || version u64be
    /// || c0 || c1 || c2 || node u8`.
    pub fn message(&self) -> Vec<u8> {
        receipt_message(
            &self.auction,
            &self.auction_hash,
            &self.bidder,
            self.version,
            &self.commitments,
            self.node,
        )
    }

    /// Makes a signed receipt for a stored submission.
    pub fn sign(sub: &Submission, auction_hash: Digest, key: &SigningKey) -> Receipt {
        let m = receipt_message(
            &sub.auction,
            &auction_hash,
            &sub.bidder,
            sub.version,
            &sub.commitments,
            sub.node,
        );
        Receipt {
            auction: sub.auction.clone(),
            auction_hash,
            bidder: sub.bidder.clone(),
            version: sub.version,
            commitments: sub.commitments,
            node: sub.node,
            signature: Sig(key.sign(&m)),
        }
    }

    /// Checks the node's signature.
    pub fn verify(&self, node_key: &VerifyingKey) -> bool {
        node_key
            .verify_strict(&self.message(), &self.signature.0)
            .is_ok()
    }
}

fn receipt_message(
    auction: &str,
    auction_hash: &Digest,
    bidder: &BidderId,
    version: Version,
    commitments: &[Digest; 3],
    node: PartyId,
) -> Vec<u8> {
    let mut m = TAG_RECEIPT.to_vec();
    m.extend_from_slice(&auction_hash.0);
    put_str_vec(&mut m, auction);
    put_str_vec(&mut m, &bidder.0);
    m.extend_from_slice(&version.to_be_bytes());
    for c in commitments {
        m.extend_from_slice(&c.0);
    }
    m.push(u8::from(node));
    m
}
