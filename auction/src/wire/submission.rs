//! What a bidder sends to a node: the signed submission, and how a bid
//! becomes three of them (layout, sharing, salts, commitments, signature).

use super::{
    Digest, FORMAT, MAX_BIDDER_ID_LEN, Salt, ShareBundle, Sig, TAG_BID, Version, WireError,
    put_str_vec,
};
use crate::market::RawBid;
use crate::share_layout::{value_count, value_index};
use crate::types::{AuctionParams, Bid, BidderId, Side};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use shares::PartyId;
use shares::client::share_arith;

/// The message a bidder signs: `TAG_BID || auction id || bidder id ||
/// version u64be || c0 || c1 || c2`, strings as `u32be length || UTF-8`,
/// `c_j` the commitment to bundle `j`.
pub fn bid_message(
    auction: &str,
    bidder: &BidderId,
    version: Version,
    commitments: &[Digest; 3],
) -> Vec<u8> {
    let mut m = TAG_BID.to_vec();
    put_str_vec(&mut m, auction);
    put_str_vec(&mut m, &bidder.0);
    m.extend_from_slice(&version.to_be_bytes());
    for c in commitments {
        m.extend_from_slice(&c.0);
    }
    m
}

/// What a bidder sends to one node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// [`FORMAT`].
    pub format: u32,
    /// The auction id.
    pub auction: String,
    /// The bidder.
    pub bidder: BidderId,
    /// Higher replaces lower until the close.
    pub version: Version,
    /// The node this bundle is for.
    pub node: PartyId,
    /// This node's components and salt.
    pub bundle: ShareBundle,
    /// The commitments to the bundles for nodes 0, 1 and 2.
    pub commitments: [Digest; 3],
    /// The bidder's signature over [`bid_message`].
    pub signature: Sig,
}

impl Submission {
    /// The signed message.
    pub fn message(&self) -> Vec<u8> {
        bid_message(&self.auction, &self.bidder, self.version, &self.commitments)
    }

    /// Every check a node makes that needs no state: format, auction id,
    /// addressee, bidder id length, shape, commitment, signature.
    pub fn verify(
        &self,
        params: &AuctionParams,
        node: PartyId,
        bidder_key: &VerifyingKey,
    ) -> Result<(), WireError> {
        if self.format != FORMAT {
            return Err(WireError::Format(self.format));
        }
        if self.auction != params.id {
            return Err(WireError::WrongAuction {
                got: self.auction.clone(),
                expected: params.id.clone(),
            });
        }
        if self.node != node {
            return Err(WireError::WrongNode {
                got: self.node,
                expected: node,
            });
        }
        check_bidder_id(&self.bidder)?;
        self.bundle.check_shape(params.max_orders_per_side)?;
        if self.bundle.commitment(node) != self.commitments[node.index()] {
            return Err(WireError::CommitmentMismatch { node });
        }
        bidder_key
            .verify_strict(&self.message(), &self.signature.0)
            .map_err(|_| WireError::BadSignature(self.bidder.clone()))
    }
}

/// Checks a bidder id's length.
pub fn check_bidder_id(bidder: &BidderId) -> Result<(), WireError> {
    let n = bidder.0.len();
    if n == 0 || n > MAX_BIDDER_ID_LEN {
        return Err(WireError::BidderIdLength(n));
    }
    Ok(())
}

/// Lays a validated bid out as `4K` ring values in the share layout
/// ([`crate::share_layout`]).
pub fn layout(bid: &Bid, k: u32) -> Result<Vec<u64>, WireError> {
    layout_raw(&RawBid::from(bid), k)
}

/// Lays a bid as written out as `4K` ring values in the share layout
/// ([`crate::share_layout`]), each price and quantity taken into the ring by
/// [`crate::market::ring_value`], in range or not. Clients, the demo's
/// faulty clients and the test dealer all lay bids out with it. Fails only
/// when a side holds more than K orders, which no bundle can carry.
pub fn layout_raw(raw: &RawBid, k: u32) -> Result<Vec<u64>, WireError> {
    let k_us = k as usize;
    let mut values = vec![0; value_count(k_us)];
    for (side, orders) in [(Side::Buy, &raw.buy), (Side::Sell, &raw.sell)] {
        if orders.len() > k_us {
            return Err(WireError::TooManyOrders {
                bidder: raw.bidder.clone(),
                side: match side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                },
                got: orders.len(),
                k,
            });
        }
        for (slot, o) in orders.iter().enumerate() {
            let (pi, qi) = value_index(k_us, side, slot);
            values[pi] = o.ring_price();
            values[qi] = o.ring_quantity();
        }
    }
    Ok(values)
}

/// Turns a validated bid into the three signed submissions, one per node.
/// Validation of the bid's values against the parameters is the caller's
/// (`auction::validate`); this only checks it fits in K slots.
pub fn prepare_submissions<R: RngCore + CryptoRng>(
    params: &AuctionParams,
    bid: &Bid,
    version: Version,
    key: &SigningKey,
    rng: &mut R,
) -> Result<[Submission; 3], WireError> {
    let values = layout(bid, params.max_orders_per_side)?;
    prepare_submissions_from_values(&params.id, &bid.bidder, &values, version, key, rng)
}

/// Shares and signs raw ring values already in the share layout. A correct
/// client only shares validated bids; tools use this to share exactly what a
/// faulty client would (the clearing's own range check must catch it).
pub fn prepare_submissions_from_values<R: RngCore + CryptoRng>(
    auction: &str,
    bidder: &BidderId,
    values: &[u64],
    version: Version,
    key: &SigningKey,
    rng: &mut R,
) -> Result<[Submission; 3], WireError> {
    check_bidder_id(bidder)?;
    // The one sharing of `shares` (format and vectors in
    // `shares/docs/sharing.md`); bundle `i` goes to node `i`.
    // Each bundle gets a fresh salt, which only its node will see.
    let bundles = share_arith(values, rng).map(|mut b| ShareBundle {
        own: std::mem::take(&mut b.own),
        next: std::mem::take(&mut b.next),
        salt: Salt::random(rng),
    });
    Ok(sign_bundles(auction, bidder, version, bundles, key))
}

/// Signs three bundles as they are (consistent or not): the commitments,
/// the bid message, and one submission per node.
pub fn sign_bundles(
    auction: &str,
    bidder: &BidderId,
    version: Version,
    bundles: [ShareBundle; 3],
    key: &SigningKey,
) -> [Submission; 3] {
    let commitments: [Digest; 3] = PartyId::ALL.map(|p| bundles[p.index()].commitment(p));
    let signature = Sig(key.sign(&bid_message(auction, bidder, version, &commitments)));
    let mut it = bundles.into_iter();
    std::array::from_fn(|i| Submission {
        format: FORMAT,
        auction: auction.to_string(),
        bidder: bidder.clone(),
        version,
        node: PartyId::ALL[i],
        bundle: it.next().expect("three bundles"),
        commitments,
        signature,
    })
}
