//! The three-party clearing, run on threads over in-memory channels, equals
//! the reference on random markets (invalid bids, no trade, every price
//! branch, heavy ties, bidders on both sides, K = 1 to 16).

mod mpc_common;

use auction::reference;
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(3000)))]

    #[test]
    fn three_parties_equal_reference(seed in any::<u64>()) {
        let market = mpc_common::market(seed, 16);
        let expected = reference::clear_market(&market);
        let runs = mpc_common::run_three(&market, seed);
        for (i, run) in runs.iter().enumerate() {
            prop_assert_eq!(&run.outcome, &expected, "party {} on market {}", i, market.to_json());
        }
    }
}
