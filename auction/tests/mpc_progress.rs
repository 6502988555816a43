//! The clearing's progress reports (`auction::mpc::clear_observed`): every
//! step in order, one sort pass per bit of the price key, and the same
//! sequence whatever the bids (trade, no trade, no valid bid at all), so
//! that showing it (the nodes' live view does) tells nothing about them.

use auction::market::{MarketFile, RawBid, RawOrder};
use auction::mpc::{self, Progress};
use auction::{AuctionParams, BidderId, Seed};
use rand::SeedableRng;
use shares::{MemTransport, Party};
use std::sync::Mutex;

fn observed(market: &MarketFile) -> [(auction::Outcome, Vec<Progress>); 3] {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let inputs = mpc::deal::deal_market(market, &mut rng);
    let transports = MemTransport::triple(std::time::Duration::from_secs(60));
    let handles: Vec<_> = transports
        .into_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (t, input))| {
            std::thread::spawn(move || {
                let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(i as u64 + 100);
                let mut party = Party::setup(t, &mut rng).expect("setup");
                let seen = Mutex::new(Vec::new());
                let outcome =
                    mpc::clear_observed(&mut party, &input, &|p| seen.lock().unwrap().push(p))
                        .expect("clearing");
                (outcome, seen.into_inner().unwrap())
            })
        })
        .collect();
    let mut it = handles.into_iter().map(|h| h.join().expect("party"));
    [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
}

fn market(bids: Vec<RawBid>) -> MarketFile {
    MarketFile {
        auction: AuctionParams {
            id: "progress".into(),
            max_price: 1000,
            max_quantity: 100,
            max_orders_per_side: 2,
        },
        seed: Seed::ZERO,
        bids,
    }
}

fn bid(id: &str, buy: &[(i128, i128)], sell: &[(i128, i128)]) -> RawBid {
    let o = |v: &[(i128, i128)]| {
        v.iter()
            .map(|&(price, quantity)| RawOrder { price, quantity })
            .collect()
    };
    RawBid {
        bidder: BidderId(id.into()),
        buy: o(buy),
        sell: o(sell),
    }
}

fn expected(passes: usize) -> Vec<Progress> {
    let mut v = vec![Progress::Validation];
    v.extend((1..=passes).map(|pass| Progress::Sort { pass, passes }));
    v.extend([
        Progress::Price,
        Progress::Fills,
        Progress::Allocations,
        Progress::Done,
    ]);
    v
}

#[test]
fn every_step_in_order_and_the_same_whatever_the_bids() {
    // max_price 1000: a 10-bit price key, 10 sort passes.
    let want = expected(10);
    let trade = market(vec![
        bid("a", &[(700, 10)], &[]),
        bid("b", &[], &[(300, 8), (600, 4)]),
    ]);
    let no_trade = market(vec![
        bid("a", &[(100, 10)], &[]),
        bid("b", &[], &[(900, 8)]),
    ]);
    let none_valid = market(vec![bid("a", &[(1001, 10)], &[])]);
    for (name, m) in [
        ("trade", &trade),
        ("no trade", &no_trade),
        ("no valid bid", &none_valid),
    ] {
        let runs = observed(m);
        let reference = auction::reference::clear_market(m);
        for (i, (outcome, seen)) in runs.iter().enumerate() {
            assert_eq!(outcome, &reference, "{name}: party {i}");
            assert_eq!(seen, &want, "{name}: party {i}");
        }
    }
    // The names the nodes show.
    let names: Vec<&str> = want.iter().map(|p| p.name()).collect();
    assert_eq!(names.first(), Some(&"validation"));
    assert_eq!(names.last(), Some(&"done"));
}
