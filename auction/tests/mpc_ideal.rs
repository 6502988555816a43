//! The ideal twin of the three-party clearing equals the reference on random
//! markets and on every worked example of the spec.

mod mpc_common;

use auction::mpc::{deal, ideal};
use auction::reference;
use auction::validate::{BidError, check_bid};
use proptest::prelude::*;

fn ideal_outcome(market: &auction::MarketFile) -> auction::Outcome {
    let laid = deal::lay_out(market);
    ideal::clear(
        &market.auction,
        &market.seed,
        &laid.bidders,
        &laid.values,
        laid.excluded,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn ideal_equals_reference(seed in any::<u64>()) {
        let market = mpc_common::market(seed, 16);
        let expected = reference::clear_market(&market);
        prop_assert_eq!(ideal_outcome(&market), expected, "market: {}", market.to_json());
    }
}

/// The generator reaches every case the property tests are meant to cover;
/// without this, "equal on random markets" could mean "equal on easy ones".
#[test]
fn random_markets_cover_every_branch() {
    let (mut no_trade, mut buy_pressure, mut sell_pressure, mut middle) = (0, 0, 0, 0);
    let (mut range_excluded, mut count_excluded, mut both_sides, mut k16) = (0, 0, 0, 0);
    for seed in 0..3000u64 {
        let market = mpc_common::market(seed, 16);
        let c = reference::clear_market_detailed(&market);
        match (c.outcome.price, c.trace) {
            (Some(p), Some(t)) if t.demand > t.supply && p == t.hi => buy_pressure += 1,
            (Some(p), Some(t)) if t.demand < t.supply && p == t.lo => sell_pressure += 1,
            (Some(_), Some(_)) => middle += 1,
            _ => no_trade += 1,
        }
        for e in &c.outcome.excluded {
            assert_eq!(e.reason, "invalid bid", "seed {seed}");
        }
        for raw in &market.bids {
            match check_bid(&market.auction, raw) {
                Err(BidError::OutOfRange { .. }) => range_excluded += 1,
                Err(BidError::TooManyOrders { .. }) => count_excluded += 1,
                Ok(_) => {}
            }
        }
        assert_eq!(
            c.outcome.excluded.len(),
            market
                .bids
                .iter()
                .filter(|b| check_bid(&market.auction, b).is_err())
                .count(),
            "seed {seed}"
        );
        both_sides += market
            .bids
            .iter()
            .filter(|b| !b.buy.is_empty() && !b.sell.is_empty())
            .count();
        k16 += usize::from(market.auction.max_orders_per_side == 16);
    }
    for (what, n) in [
        ("no trade", no_trade),
        ("buy pressure", buy_pressure),
        ("sell pressure", sell_pressure),
        ("middle of the range", middle),
        ("out-of-range exclusions", range_excluded),
        ("too-many-orders exclusions", count_excluded),
        ("bidders on both sides", both_sides),
        ("K = 16 markets", k16),
    ] {
        assert!(n >= 30, "only {n} cases of {what} in 3000 random markets");
    }
}
