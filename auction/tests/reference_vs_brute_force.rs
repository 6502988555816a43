//! On random small markets, the reference agrees with a brute-force
//! evaluation of the spec at every whole price (price, volume, the tied
//! range and every order's fill), and every outcome satisfies the
//! invariants. Markets include invalid bids, which must be excluded and get
//! nothing. `PROPTEST_CASES` sets the count (default: 20,000 and 5,000 in release).

mod common;

use auction::market::{MarketFile, RawBid, RawOrder};
use auction::reference::clear_market_detailed;
use auction::validate::validate_market;
use auction::*;
use common::{as_brute, brute_force, cases, check_invariants};
use proptest::prelude::*;

/// A raw value: mostly in `0..=limit`, sometimes just outside, sometimes huge.
fn raw_value(limit: u32) -> impl Strategy<Value = i128> {
    let limit = i128::from(limit);
    prop_oneof![
        30 => 0..=limit,
        1 => Just(-1i128),
        1 => Just(limit + 1),
        1 => prop_oneof![Just(1i128 << 32), Just(-(1i128 << 63)), Just(1i128 << 64), Just(i128::MAX)],
    ]
}

fn raw_order(max_price: u32, max_quantity: u32) -> impl Strategy<Value = RawOrder> {
    (raw_value(max_price), raw_value(max_quantity))
        .prop_map(|(price, quantity)| RawOrder { price, quantity })
}

prop_compose! {
    fn market(max_price_top: u32)(
        max_price in 0..=max_price_top,
        max_quantity in 0u32..=12,
        k in 1u32..=4,
        seed in any::<[u8; 32]>(),
        names in proptest::collection::btree_set("[a-c]{1,3}", 0..=7),
    )(
        bids in names
            .into_iter()
            .map(|name| {
                let side = || proptest::collection::vec(raw_order(max_price, max_quantity), 0..=(k as usize + 1));
                (Just(name), side(), side()).prop_map(|(n, buy, sell)| RawBid {
                    bidder: BidderId(n),
                    buy,
                    sell,
                })
            })
            .collect::<Vec<_>>(),
        max_price in Just(max_price),
        max_quantity in Just(max_quantity),
        k in Just(k),
        seed in Just(seed),
        shuffle in any::<u64>(),
    ) -> MarketFile {
        let mut bids = bids;
        // File order need not be sorted by bidder id.
        if !bids.is_empty() {
            let n = bids.len();
            bids.rotate_left((shuffle % n as u64) as usize);
        }
        MarketFile {
            auction: AuctionParams { id: "prop".into(), max_price, max_quantity, max_orders_per_side: k },
            seed: Seed(seed),
            bids,
        }
    }
}

fn check(market: &MarketFile) {
    let (valid, excluded) = validate_market(market);
    let c = clear_market_detailed(market);
    let expected = brute_force(&market.auction, &market.seed, &valid);
    assert_eq!(as_brute(&c), expected);
    let excluded_ids: Vec<BidderId> = excluded.into_iter().map(|e| e.bidder).collect();
    check_invariants(&valid, &excluded_ids, &c);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(20_000, 500)))]

    /// Prices in `0..=40`: many ties, many empty sides.
    #[test]
    fn agrees_with_brute_force_on_small_price_ranges(m in market(40)) {
        check(&m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(5_000, 100)))]

    /// Prices in `0..=3000`: breakpoints far apart, wide tied ranges.
    #[test]
    fn agrees_with_brute_force_on_wider_price_ranges(m in market(3000)) {
        check(&m);
    }
}
