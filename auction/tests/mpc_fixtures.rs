//! Every hand-checked fixture of `fixtures/cases/`, cleared by three parties
//! on threads, equals its expected outcome (and the reference).

mod mpc_common;

use auction::{MarketFile, Outcome, reference};
use std::path::PathBuf;

#[test]
fn three_parties_clear_every_fixture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("market.json").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "only {} fixtures in {}",
        cases.len(),
        dir.display()
    );
    for (i, case) in cases.iter().enumerate() {
        let text = std::fs::read_to_string(case.join("market.json")).unwrap();
        let market = MarketFile::parse(&text).unwrap();
        let expected: Outcome =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        assert_eq!(
            reference::clear_market(&market),
            expected,
            "{}",
            case.display()
        );
        for (p, run) in mpc_common::run_three(&market, i as u64).iter().enumerate() {
            assert_eq!(run.outcome, expected, "party {p} on {}", case.display());
        }
    }
}
