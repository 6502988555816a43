//! `clearing-node simulate MARKET.json` (three parties over loopback TCP)
//! prints exactly what `auditor reference MARKET.json` prints, byte for
//! byte: on every hand-checked fixture, on generated markets (the full
//! sugar-beet-like market included) and on markets holding values a correct
//! client would refuse.
//!
//! The two programs are taken from the target folder this test runs from;
//! `cargo test --workspace` builds them (the CI command).

use auction::generate::{GenParams, generate};
use auction::market::{MarketFile, RawOrder};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} is missing: build the workspace's programs first (cargo test --workspace builds them)",
        p.display()
    );
    p
}

fn stdout_of(program: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("running the program");
    assert!(
        out.status.success(),
        "{} {:?} failed: {}",
        program.display(),
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn same_output(file: &Path) {
    let f = file.to_str().expect("utf-8 path");
    for extra in [None, Some("--compact")] {
        let mut args = vec![f];
        args.extend(extra);
        let reference = stdout_of(&bin("auditor"), &[&["reference"][..], &args].concat());
        let simulated = stdout_of(&bin("clearing-node"), &[&["simulate"][..], &args].concat());
        assert!(!reference.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&simulated),
            String::from_utf8_lossy(&reference),
            "simulate and auditor reference differ on {f} {extra:?}"
        );
    }
}

#[test]
fn every_fixture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("fixtures/cases") {
        let market = e.expect("entry").path().join("market.json");
        if market.exists() {
            same_output(&market);
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} fixtures");
}

#[test]
fn generated_markets() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut small = GenParams::sugar_beet();
    small.bidders = 40;
    small.seed = 11;
    let mut padded = GenParams::with_slots(2048);
    padded.seed = 12;
    // Values a correct client would refuse: negative, too large, beyond 64
    // bits, too many orders.
    let mut bad = generate(&small);
    bad.bids[0].buy.push(RawOrder {
        price: -5,
        quantity: 1,
    });
    bad.bids[1].sell.insert(
        0,
        RawOrder {
            price: 10,
            quantity: i128::from(u64::MAX) + 3,
        },
    );
    bad.bids[2].buy = vec![
        RawOrder {
            price: 1,
            quantity: 1
        };
        17
    ];
    bad.bids[3].sell.push(RawOrder {
        price: i128::from(bad.auction.max_price) + 1,
        quantity: 1,
    });
    bad.bids[4].buy.push(RawOrder {
        price: 100,
        quantity: -1,
    });
    let markets: Vec<(&str, MarketFile)> = vec![
        ("beet.json", generate(&GenParams::sugar_beet())),
        ("small.json", generate(&small)),
        ("padded.json", generate(&padded)),
        ("bad.json", bad),
    ];
    for (name, m) in markets {
        let path = dir.path().join(name);
        std::fs::write(&path, m.to_json()).expect("writing the market");
        same_output(&path);
    }
}
