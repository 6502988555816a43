//! Step 1, validation: the range check of every price and quantity, inside
//! the computation, and the one validity bit per bid that is made public.
//!
//! A value `v` of the ring is valid when `v <= limit` as a 64-bit unsigned
//! number (`limit < 2^32`). With `limit < 2^63` that is exactly
//! `msb(v) = 0` and `msb(limit - v) = 0`: if `v < 2^63`, `limit - v` wraps
//! to a number with the top bit set exactly when `v > limit`. Both top bits
//! come from one 64-bit comparison call; `fail = msb(v) OR msb(limit - v)`.
//!
//! Per bid, every one of its `4K` values must pass both checks: its `8K`
//! top bits must all be zero. At the semi-honest level one masked word per
//! bid is opened ([`shares::allzero`]): zero exactly when all its top bits
//! are, otherwise uniformly random, so it tells the validity bit and
//! nothing more; one round. At the abort level, whose every message must be
//! a checked multiplication or opening, a tree of ANDs over the bid's `4K`
//! `ok = NOT fail` bits computes the validity bit instead, one AND per
//! merge and one round per level (`1 + ceil(log2 4K)` levels), and that bit
//! is opened. Either way which of its values failed is never computed: an
//! invalid bid is published as excluded with the reason `invalid bid`.
//!
//! Cost per value: one 64-bit top-bit computation on two values (about
//! `2 * 3 * 64` bits sent per party, `1 + ceil(log2 63)` rounds); then one
//! round and one word per bid to each peer (semi-honest), or the tree's ANDs
//! and the opening of one bit per bid (abort). For K = 16: 8 rounds in all
//! at the semi-honest level, 15 before the masked check.

use super::bitvec::{and_batch, concat, gather, not, sign_batch};
use super::{ClearingError, LABEL_VALIDITY};
use crate::AuctionParams;
use shares::{ArithShares, Party, Security, Transport};

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
    if party.security() == Security::SemiHonest {
        return Ok(shares::allzero::open_all_zero(
            party,
            LABEL_VALIDITY,
            &[&signs[0], &signs[1]],
            per_bid,
        )?);
    }
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
