//! Step 1, validation: the range check of every price and quantity, inside
//! the computation, and the one validity bit per bid that is opened.
//!
//! A value `v` of the ring is valid when `v <= limit` as a 64-bit unsigned
//! number (`limit < 2^32`). With `limit < 2^63` that is exactly
//! `msb(v) = 0` and `msb(limit - v) = 0`: if `v < 2^63`, `limit - v` wraps
//! to a number with the top bit set exactly when `v > limit`. Both top bits
//! come from one 64-bit comparison call; `fail = msb(v) OR msb(limit - v)`.
//!
//! Per bid, a tree of ANDs over its `4K` checks' `ok = NOT fail` bits
//! computes whether every value is in range: one AND per merge, one round
//! per level, `ceil(log2 4K)` levels. Opened: that one validity bit per bid
//! and nothing else. An invalid bid is published as excluded with the
//! reason `invalid bid`; which of its values failed is never computed.
//!
//! Cost per value: one 64-bit top-bit computation on two values (about
//! `2 * 3 * 64` bits sent per party), plus the tree's AND.

use super::bitvec::{and_batch, concat, gather, not, sign_batch};
use super::{ClearingError, LABEL_VALIDITY};
use crate::AuctionParams;
use shares::{ArithShares, Party, Transport};

/// Checks every value of every bid and opens one validity bit per bid
/// (`true`: valid). `values` holds the bids' `4K` values each, concatenated
/// in bid order.
pub fn validate<T: Transport>(
    party: &mut Party<T>,
    params: &AuctionParams,
    values: &ArithShares,
    bids: usize,
) -> Result<Vec<bool>, ClearingError> {
    if bids == 0 {
        return Ok(Vec::new());
    }
    let me = party.id();
    let per_bid = values.len() / bids;
    let limits: Vec<u64> = (0..values.len())
        .map(|i| {
            u64::from(if i % 2 == 0 {
                params.max_price
            } else {
                params.max_quantity
            })
        })
        .collect();
    let mut headroom = values.neg();
    headroom.add_public_assign(me, &limits); // limit - v
    let signs = sign_batch(party, &[values, &headroom], 64)?;
    // ok = NOT msb(v) AND NOT msb(limit - v)
    let mut ok = and_batch(party, &[(&not(party, &signs[0]), &not(party, &signs[1]))])?
        .pop()
        .expect("one pair");

    // The tree: per bid, AND neighbouring blocks until one bit is left.
    let mut width = per_bid; // blocks per bid at this level
    while width > 1 {
        let half = width / 2;
        let (mut lo, mut hi, mut odd) = (Vec::new(), Vec::new(), Vec::new());
        for b in 0..bids {
            for t in 0..half {
                lo.push(b * width + 2 * t);
                hi.push(b * width + 2 * t + 1);
            }
            if width % 2 == 1 {
                odd.push(b * width + width - 1);
            }
        }
        let merged = and_batch(party, &[(&gather(&ok, &lo), &gather(&ok, &hi))])?
            .pop()
            .expect("one pair");
        // Re-interleave per bid: merged blocks, then the odd one out.
        let new_width = half + width % 2;
        ok = if width % 2 == 1 {
            let all = concat(&[&merged, &gather(&ok, &odd)]);
            let mut idx = Vec::with_capacity(bids * new_width);
            for b in 0..bids {
                idx.extend((0..half).map(|t| b * half + t));
                idx.push(bids * half + b);
            }
            gather(&all, &idx)
        } else {
            merged
        };
        width = new_width;
    }
    Ok(party.open_bits(LABEL_VALIDITY, &ok)?)
}
