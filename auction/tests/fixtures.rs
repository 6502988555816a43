//! Every hand-checked case in `fixtures/cases/`: the reference's outcome
//! equals `expected.json`, and the outcome satisfies the invariants.

mod common;

use auction::market::MarketFile;
use auction::reference::clear_market_detailed;
use auction::validate::validate_market;
use auction::{BidderId, Outcome};
use std::path::PathBuf;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases")
}

#[test]
fn every_fixture_clears_to_its_expected_outcome() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("fixtures/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    // The folder holds the spec's five examples and the branch cases.
    assert!(
        names.len() >= 17,
        "only {} fixture cases found",
        names.len()
    );
    for dir in names {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let market_text = std::fs::read_to_string(dir.join("market.json")).unwrap();
        let expected_text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        let market = MarketFile::parse(&market_text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let c = clear_market_detailed(&market);
        // Compared as JSON, so the published form (null price, field names)
        // is checked too.
        let expected: serde_json::Value = serde_json::from_str(&expected_text).unwrap();
        assert_eq!(
            serde_json::to_value(&c.outcome).unwrap(),
            expected,
            "case {name}"
        );
        let parsed: Outcome = serde_json::from_value(expected).unwrap();
        assert_eq!(c.outcome, parsed, "case {name}");

        let (valid, excluded) = validate_market(&market);
        let excluded: Vec<BidderId> = excluded.into_iter().map(|e| e.bidder).collect();
        common::check_invariants(&valid, &excluded, &c);
        // The brute force agrees too (every case has a small max_price).
        assert_eq!(
            common::as_brute(&c),
            common::brute_force(&market.auction, &market.seed, &valid),
            "case {name}"
        );
    }
}
