//! Shared by the demo and bidder end-to-end tests: the programs under test
//! and a small market.
#![allow(dead_code)]

use auction::generate::{GenParams, generate};
use auction::{MarketFile, RawBid, RawOrder};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The demo binary (built by cargo for this package's tests).
pub fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_demo"))
}

/// A `bidder-client` binary (`bidder` or `auditor`) from the same target
/// folder. Cargo builds only this package's binaries for its tests, so they
/// are built here once (a no-op when up to date).
pub fn client_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let dir = demo().parent().expect("target folder").to_path_buf();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["build", "-q", "-p", "bidder-client", "--bins"]);
        if dir.file_name().is_some_and(|d| d == "release") {
            c.arg("--release");
        }
        let status = c.status().expect("running cargo build");
        assert!(
            status.success(),
            "building the bidder-client binaries failed"
        );
    });
    let p = dir.join(name);
    assert!(p.exists(), "{} was not built", p.display());
    p
}

/// A small sugar-beet-shaped market (`bidders` bidders, K = 4) with one
/// extra bid whose quantity is out of range, which must be excluded.
pub fn small_market(bidders: usize, seed: u64) -> MarketFile {
    let mut p = GenParams::sugar_beet();
    p.id = "small".into();
    p.seed = seed;
    p.bidders = bidders;
    p.max_orders_per_side = 4;
    let mut m = generate(&p);
    let q = i128::from(m.auction.max_quantity) + 1;
    m.bids.push(RawBid {
        bidder: auction::BidderId("zz-bad-quantity".into()),
        buy: vec![RawOrder {
            price: 2_500_000,
            quantity: q,
        }],
        sell: vec![],
    });
    m
}

/// Writes a market file.
pub fn write_market(dir: &Path, m: &MarketFile) -> PathBuf {
    let p = dir.join("market.json");
    std::fs::write(&p, m.to_json()).unwrap();
    p
}
