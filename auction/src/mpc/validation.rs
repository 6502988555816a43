//! Step 1, validation: the range check of every price and quantity, inside
//! the computation, and the one validity bit per bid that is opened.
//!
//! A value `v` of the ring is valid when `v <= limit` as a 64-bit unsigned
//! number (`limit < 2^32`). With `limit < 2^63` that is exactly
//! `msb(v) = 0` and `msb(limit - v) = 0`: if `v < 2^63`, `limit - v` wraps
//! to a number with the top bit set exactly when `v > limit`. Both top bits
//! come from one 64-bit comparison call; `fail = msb(v) OR msb(limit - v)`.
//!
//! Per bid, a tree over its `4K` checks in layout order computes, for each
//! block of checks, `(any failed, the first failure is a price)`:
//! `(a1, r1) . (a2, r2) = (a1 OR a2, a1 ? r1 : r2)`, two ANDs per merge,
//! one round per level, `ceil(log2 4K)` levels. Opened: `NOT any` per bid
//! (the validity bit), and `r` of the invalid bids only (the reason the
//! outcome publishes: "price out of range" or "quantity out of range").
//!
//! Cost per value: one 64-bit top-bit computation on two values (about
//! `2 * 3 * 64` bits sent per party), plus the tree's two ANDs.

use super::bitvec::{and_batch, gather, not, public_bits, sign_batch};
use super::{ClearingError, InvalidValue, LABEL_REASON, LABEL_VALIDITY};
use crate::AuctionParams;
use shares::{ArithShares, Party, Transport};

/// Checks every value of every bid; opens the validity bits and the reasons
/// of the invalid bids. `values` holds the bids' `4K` values each,
/// concatenated in bid order.
pub fn validate<T: Transport>(
    party: &mut Party<T>,
    params: &AuctionParams,
    values: &ArithShares,
    bids: usize,
) -> Result<Vec<Option<InvalidValue>>, ClearingError> {
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
    // fail = msb(v) OR msb(limit - v) = NOT(NOT a AND NOT b)
    let ok = and_batch(party, &[(&not(party, &signs[0]), &not(party, &signs[1]))])?;
    let fail = not(party, &ok[0]);

    // Leaves: (a, r) per check; r is public (even positions are prices).
    let mut width = per_bid; // blocks per bid at this level
    let mut any = fail;
    let mut first_is_price = public_bits(
        party,
        &(0..values.len()).map(|i| i % 2 == 0).collect::<Vec<_>>(),
    );
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
        let (a1, a2) = (gather(&any, &lo), gather(&any, &hi));
        let (r1, r2) = (gather(&first_is_price, &lo), gather(&first_is_price, &hi));
        let r_diff = r1.xor(&r2);
        let out = and_batch(
            party,
            &[(&not(party, &a1), &not(party, &a2)), (&a1, &r_diff)],
        )?;
        let merged_any = not(party, &out[0]);
        let merged_r = r2.xor(&out[1]);
        // Re-interleave per bid: merged blocks, then the odd one out.
        let new_width = half + width % 2;
        let mut idx_m = Vec::with_capacity(bids * new_width);
        let (ma, mr) = if width % 2 == 1 {
            let (oa, or) = (gather(&any, &odd), gather(&first_is_price, &odd));
            let all_a = super::bitvec::concat(&[&merged_any, &oa]);
            let all_r = super::bitvec::concat(&[&merged_r, &or]);
            for b in 0..bids {
                idx_m.extend((0..half).map(|t| b * half + t));
                idx_m.push(bids * half + b);
            }
            (gather(&all_a, &idx_m), gather(&all_r, &idx_m))
        } else {
            (merged_any, merged_r)
        };
        any = ma;
        first_is_price = mr;
        width = new_width;
    }
    let valid = party.open_bits(LABEL_VALIDITY, &not(party, &any))?;
    let invalid: Vec<usize> = (0..bids).filter(|&b| !valid[b]).collect();
    let mut out: Vec<Option<InvalidValue>> = vec![None; bids];
    if !invalid.is_empty() {
        let reasons = party.open_bits(LABEL_REASON, &gather(&first_is_price, &invalid))?;
        for (&b, &is_price) in invalid.iter().zip(&reasons) {
            out[b] = Some(if is_price {
                InvalidValue::Price
            } else {
                InvalidValue::Quantity
            });
        }
    }
    Ok(out)
}
