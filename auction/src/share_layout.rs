//! The share layout of one bid: which of its ring values holds which
//! order's price and quantity. The one definition; the bidder's sharing
//! ([`crate::wire::layout_raw`]), the nodes' shape check
//! ([`crate::wire::ShareBundle::check_shape`]) and the clearing program
//! ([`crate::mpc`]) all read it from here, and `auction/docs/wire.md` and
//! the page's `wire.js` follow it.
//!
//! A bid with K slots per side is [`value_count`]`(K) = 4K` values of
//! `Z_2^64`: for slot `0..K` the buy price and the buy quantity, then for
//! slot `0..K` the sell price and the sell quantity. A missing order is
//! padding, price 0 and quantity 0. With K = 2, a bid to buy 100 at 700
//! and to sell 5 at 900 is
//!
//! ```text
//! index  0    1    2  3  4    5  6  7
//! value  700  100  0  0  900  5  0  0
//!        buy slot 0  buy 1   sell 0  sell 1
//! ```
//!
//! Each value is then shared on its own (`shares::client::share_arith`), so
//! the layout holds for every share component alike.

use crate::types::Side;

/// How many ring values a bid with `k` slots per side takes: `4k`.
pub fn value_count(k: usize) -> usize {
    4 * k
}

/// Where the price and the quantity of slot `slot` of side `side` sit among
/// a bid's [`value_count`]`(k)` values: `(price index, quantity index)`.
pub fn value_index(k: usize, side: Side, slot: usize) -> (usize, usize) {
    let base = match side {
        Side::Buy => 2 * slot,
        Side::Sell => 2 * k + 2 * slot,
    };
    (base, base + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_one_slot() {
        let k = 3;
        let mut seen = vec![false; value_count(k)];
        for side in [Side::Buy, Side::Sell] {
            for slot in 0..k {
                let (p, q) = value_index(k, side, slot);
                assert_eq!(q, p + 1);
                for i in [p, q] {
                    assert!(!seen[i], "value {i} taken twice");
                    seen[i] = true;
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(value_index(k, Side::Buy, 0), (0, 1));
        assert_eq!(value_index(k, Side::Sell, 0), (2 * k, 2 * k + 1));
    }
}
