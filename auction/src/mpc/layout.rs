//! The public layout of the order slots: which ring values of which share
//! vector belong to which order (the bid's share layout,
//! [`crate::share_layout`]), and the public order in which the slots enter
//! the oblivious sort.
//!
//! Everything here is computed from public facts only (bidder ids, sides,
//! slot numbers, the seed, the opened validity bits), so every party
//! computes the same layout without exchanging a message.
//!
//! # Why this pre-order
//!
//! The slots enter the stable sort by limit price in this order: all sell
//! slots in priority order (priority key, then bidder id, then slot), then
//! all buy slots in *reverse* priority order. Because the sort is stable:
//!
//! - at one price, sells come before buys, so the breakpoint
//!   `b = p` (sell) or `b = p + 1` (buy) never decreases along the sorted
//!   list, although only the price is sorted on;
//! - sells at one price stay in priority order, so scanning the sorted list
//!   forwards visits sells in the spec's fill priority (lowest limit first,
//!   then priority key, bidder id, slot);
//! - buys at one price are in reverse priority order, so scanning the sorted
//!   list backwards visits buys in the spec's fill priority (highest limit
//!   first, then priority key, bidder id, slot).

use crate::priority::priority_key;
use crate::{BidderId, Seed, Side};

/// Where a slot's price and quantity sit in a bid's `4K` share values:
/// the bid's share layout, defined in [`crate::share_layout`].
pub use crate::share_layout::value_index;

/// One order slot: which bid (an index into the party input's bidder list),
/// which side, which slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotRef {
    /// Index of the bid in the party input.
    pub bid: u32,
    /// The side.
    pub side: Side,
    /// The 0-based slot on that side.
    pub slot: u32,
}

/// The pre-order of every slot of the given bids (indices into `bidders`):
/// sells in priority order, then buys in reverse priority order. See the
/// module documentation for why.
pub fn preorder(seed: &Seed, bidders: &[BidderId], bids: &[u32], k: u32) -> Vec<SlotRef> {
    let keyed = |side: Side| -> Vec<(u64, u32, u32)> {
        let mut v: Vec<(u64, u32, u32)> = Vec::with_capacity(bids.len() * k as usize);
        for &b in bids {
            for slot in 0..k {
                v.push((
                    priority_key(seed, &bidders[b as usize], side, slot),
                    b,
                    slot,
                ));
            }
        }
        // Priority: key, then bidder id, then slot (the side is fixed here).
        v.sort_unstable_by(|x, y| {
            (x.0, &bidders[x.1 as usize], x.2).cmp(&(y.0, &bidders[y.1 as usize], y.2))
        });
        v
    };
    let sells = keyed(Side::Sell);
    let buys = keyed(Side::Buy);
    let slot = |side| move |&(_, bid, slot): &(u64, u32, u32)| SlotRef { bid, side, slot };
    sells
        .iter()
        .map(slot(Side::Sell))
        .chain(buys.iter().rev().map(slot(Side::Buy)))
        .collect()
}

/// The number of bits of the sort key: enough for every price in
/// `0..=max_price`.
pub fn key_bits(max_price: u32) -> u32 {
    32 - max_price.leading_zeros()
}
