//! The leakage audit: every value any party opens during a whole clearing
//! passes the engine's one choke point, which records its label, its
//! audience and its size. The list must be exactly the published outputs
//! (one validity bit per bid in the computation, the volume, the price when
//! there is trade, the allocations when there is trade) plus the masked
//! values: the sort's openings of permutations under a fresh secret shuffle
//! (uniformly random) and, under abort, of digits XOR fresh random bits
//! (uniformly random), in number and kind. Nothing about why a bid is
//! invalid is opened: every excluded bid's published reason is `invalid
//! bid`. Opening anything else fails these tests.

mod mpc_common;

use auction::market::{MarketFile, RawBid, RawOrder};
use auction::mpc::{LABEL_ALLOCATION, LABEL_PRICE, LABEL_VALIDITY, LABEL_VOLUME, layout};
use auction::{AuctionParams, BidderId, Seed, reference};
use proptest::prelude::*;
use shares::{Opening, Security};

/// What may be opened in the clearing of `market`, derived from the
/// market's public shape and the published outcome only.
fn permitted(market: &MarketFile, security: Security) -> Vec<(String, usize)> {
    let outcome = reference::clear_market(market);
    let k = market.auction.max_orders_per_side as usize;
    // Bids with more than K orders are excluded before sharing: never in the
    // computation.
    let shared = market
        .bids
        .iter()
        .filter(|b| b.buy.len() <= k && b.sell.len() <= k)
        .count();
    let valid = outcome.allocations.len();
    let slots = valid * 2 * k;
    let mut list = Vec::new();
    if shared > 0 && k > 0 {
        list.push((LABEL_VALIDITY.to_string(), shared));
    }
    if slots == 0 {
        return list;
    }
    // The sort opens one masked permutation per digit of the price key and
    // one more (the original indices in sorted order), each under a fresh
    // shuffle; with a one-value price range there is nothing to sort.
    // Under abort, a digit may instead be opened XOR fresh random bits
    // (one value per slot), in the round of the previous digit's
    // permutation.
    let key_bits = layout::key_bits(market.auction.max_price) as usize;
    if key_bits > 0 {
        let masked = shares::sort::masked_digits(slots, key_bits, security);
        assert_eq!(
            masked.len() + 1,
            shares::sort::opened_permutations(slots, key_bits, security)
        );
        assert!(!masked[0], "the first digit has no opening before it");
        for m in &masked[1..] {
            list.push(("sort permutation".to_string(), slots));
            if *m {
                list.push(("sort masked digit".to_string(), slots));
            }
        }
        list.push(("sort permutation".to_string(), slots));
        list.push(("sort permutation".to_string(), slots));
    }
    list.push((LABEL_VOLUME.to_string(), 1));
    if outcome.price.is_some() {
        list.push((LABEL_PRICE.to_string(), 1));
        list.push((LABEL_ALLOCATION.to_string(), 2 * valid));
    }
    list
}

/// The openings as (kind, count); every one must be to all three parties.
/// The sort's openings are recognised by the engine's labels, which say
/// what is opened and why that is allowed.
fn kinds(opened: &[Opening]) -> Vec<(String, usize)> {
    opened
        .iter()
        .map(|o| {
            assert_eq!(o.to, None, "an opening to a single party: {o:?}");
            let kind = if o.label.starts_with("sort: ")
                && o.label
                    .ends_with("under a fresh secret shuffle (uniformly random permutation)")
            {
                "sort permutation".to_string()
            } else if o.label.starts_with("sort: ")
                && o.label
                    .ends_with("XOR fresh random bits (uniformly random)")
            {
                "sort masked digit".to_string()
            } else {
                o.label.to_string()
            };
            (kind, o.count)
        })
        .collect()
}

fn audit_as(market: &MarketFile, seed: u64, security: Security) {
    let expected = reference::clear_market(market);
    let runs = mpc_common::run_three_as(market, seed, security);
    let want = permitted(market, security);
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.outcome, expected, "party {i} at {security}");
        assert_eq!(
            kinds(&run.opened),
            want,
            "party {i} opened something else at {security}"
        );
    }
}

/// The audit at both levels: the abort level checks more, and opens the
/// same kinds of values (its sort has narrower digits, so more masked
/// permutations).
fn audit(market: &MarketFile, seed: u64) {
    audit_as(market, seed, Security::SemiHonest);
    audit_as(market, seed, Security::Abort);
}

fn order(price: i128, quantity: i128) -> RawOrder {
    RawOrder { price, quantity }
}

fn market(bids: Vec<(&str, Vec<RawOrder>, Vec<RawOrder>)>) -> MarketFile {
    MarketFile {
        auction: AuctionParams {
            id: "audit".into(),
            max_price: 100,
            max_quantity: 1000,
            max_orders_per_side: 4,
        },
        seed: Seed::ZERO,
        bids: bids
            .into_iter()
            .map(|(b, buy, sell)| RawBid {
                bidder: BidderId(b.into()),
                buy,
                sell,
            })
            .collect(),
    }
}

#[test]
fn market_with_trade() {
    let m = market(vec![
        ("s1", vec![], vec![order(10, 3), order(30, 3)]),
        ("s2", vec![], vec![order(20, 4)]),
        ("b1", vec![order(40, 2), order(25, 3)], vec![]),
        ("b2", vec![order(22, 5)], vec![]),
    ]);
    assert!(reference::clear_market(&m).price.is_some());
    audit(&m, 1);
}

#[test]
fn market_without_trade() {
    let m = market(vec![
        ("s", vec![], vec![order(30, 5)]),
        ("b", vec![order(20, 5)], vec![]),
    ]);
    assert!(reference::clear_market(&m).price.is_none());
    audit(&m, 2);
}

#[test]
fn market_with_invalid_bids() {
    let m = market(vec![
        ("s", vec![], vec![order(10, 5)]),
        ("b", vec![order(20, 5)], vec![]),
        ("neg-price", vec![order(-1, 5)], vec![]),
        ("big-quantity", vec![], vec![order(10, 1001)]),
        (
            "huge",
            vec![order(i128::from(u64::MAX) + 1, 1)],
            vec![order(5, -7)],
        ),
        ("too-many", vec![order(1, 1); 5], vec![]),
    ]);
    let o = reference::clear_market(&m);
    assert_eq!(o.excluded.len(), 4);
    assert!(
        o.excluded.iter().all(|e| e.reason == "invalid bid"),
        "{o:?}"
    );
    assert!(o.price.is_some());
    audit(&m, 3);
}

/// A bid whose bad value is a price and one whose bad value is a quantity
/// give the same openings and the same outcome: which value failed is
/// neither opened nor published.
#[test]
fn the_kind_of_bad_value_is_not_revealed() {
    let with_bad = |buy: Vec<RawOrder>| {
        market(vec![
            ("s", vec![], vec![order(10, 5)]),
            ("b", vec![order(20, 5)], vec![]),
            ("x", buy, vec![]),
        ])
    };
    let bad_price = with_bad(vec![order(101, 5), order(20, 1)]);
    let bad_quantity = with_bad(vec![order(20, 1001), order(20, 1)]);
    let a = mpc_common::run_three(&bad_price, 5);
    let b = mpc_common::run_three(&bad_quantity, 5);
    for i in 0..3 {
        assert_eq!(a[i].outcome, b[i].outcome, "party {i}");
        assert_eq!(kinds(&a[i].opened), kinds(&b[i].opened), "party {i}");
    }
    assert_eq!(a[0].outcome.excluded.len(), 1);
    assert_eq!(a[0].outcome.excluded[0].reason, "invalid bid");
    audit(&bad_price, 6);
    audit(&bad_quantity, 7);
}

#[test]
fn market_with_only_invalid_bids() {
    let m = market(vec![
        ("neg", vec![order(-1, 5)], vec![]),
        ("big", vec![], vec![order(101, 1)]),
    ]);
    audit(&m, 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    /// The same audit on random markets.
    #[test]
    fn openings_are_exactly_the_permitted_ones(seed in any::<u64>()) {
        let m = mpc_common::market(seed, 16);
        audit_as(&m, seed, Security::SemiHonest);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse::<u32>().ok()).map_or(30, |c| c.div_ceil(10))
    ))]

    /// The audit at the abort level on random markets (a tenth of the
    /// cases: each clearing proves every step).
    #[test]
    fn openings_at_the_abort_level_are_exactly_the_permitted_ones(seed in any::<u64>()) {
        let m = mpc_common::market(seed, 16);
        audit_as(&m, seed, Security::Abort);
    }
}
