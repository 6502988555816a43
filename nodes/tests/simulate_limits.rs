//! `clearing-node simulate` on a market file whose K the nodes would never
//! take. A market file may state any `max_orders_per_side` (the reference
//! clears it); the three-party simulation lays out `4K` values per bid
//! before anything else, so K = 2^32 - 1 asked for 128 GiB and aborted the
//! process. It is refused with a message instead (found by fuzzing the
//! market-file decoder, `fuzz/`).

use auction::MarketFile;
use auction::auction_file::MAX_ORDERS_PER_SIDE;

fn market(k: u32) -> MarketFile {
    let mut m = MarketFile::parse(include_str!(
        "../../fixtures/cases/spec-1-middle/market.json"
    ))
    .unwrap();
    m.auction.max_orders_per_side = k;
    m
}

#[test]
fn a_k_beyond_what_nodes_take_is_refused_not_allocated() {
    for k in [MAX_ORDERS_PER_SIDE + 1, 100_000_000, u32::MAX] {
        let e = nodes::simulate::simulate(&market(k), shares::Security::Abort)
            .err()
            .unwrap_or_else(|| panic!("K = {k} was simulated"))
            .to_string();
        assert!(
            e.contains(&format!("max_orders_per_side {k}"))
                && e.contains(&MAX_ORDERS_PER_SIDE.to_string()),
            "{e}"
        );
    }
}
