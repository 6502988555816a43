//! Random small markets for the clearing's property tests: invalid bids,
//! no trade, heavy ties, bidders on both sides, K = 1 to 16.
#![allow(dead_code)]

use auction::market::{MarketFile, RawBid, RawOrder};
use auction::{AuctionParams, BidderId, Seed};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random market drawn from `seed`. `max_k` bounds K (16 at most).
pub fn market(seed: u64, max_k: u32) -> MarketFile {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let k = match r.gen_range(0..10) {
        0..=2 => 1,
        3..=5 => 2,
        6..=7 => 3,
        _ => r.gen_range(1..=max_k),
    }
    .min(max_k);
    let max_price = match r.gen_range(0..10) {
        0 => 0,
        1 => 1,
        2..=5 => r.gen_range(2..=12),
        6..=8 => r.gen_range(13..=1000),
        _ => u32::MAX - r.gen_range(0..3),
    };
    let max_quantity = match r.gen_range(0..10) {
        0 => 0,
        1 => 1,
        2..=7 => r.gen_range(2..=10),
        8 => r.gen_range(11..=100_000),
        _ => u32::MAX,
    };
    let params = AuctionParams {
        id: format!("prop-{seed}"),
        max_price,
        max_quantity,
        max_orders_per_side: k,
    };
    let mut s = [0u8; 32];
    r.fill(&mut s);
    let seed_bytes = if r.gen_bool(0.2) { Seed::ZERO } else { Seed(s) };
    let per_bid_slots = 2 * k as usize;
    let max_bidders = (48 / per_bid_slots).clamp(2, 8);
    let bidders = r.gen_range(0..=max_bidders);
    // A few price levels so that ties are common.
    let levels: Vec<i128> = (0..r.gen_range(1..=4))
        .map(|_| i128::from(r.gen_range(0..=max_price)))
        .collect();
    let invalid_rate = if r.gen_bool(0.5) { 0.0 } else { 0.05 };
    let mut ids: Vec<usize> = (0..bidders * 3).collect();
    let mut bids = Vec::new();
    for _ in 0..bidders {
        let id = ids.swap_remove(r.gen_range(0..ids.len()));
        let bidder = BidderId(format!("{}{}", ["b", "a-", "Z", "m"][id % 4], id));
        let role = r.gen_range(0..4); // buyer, seller, both, mixed
        let side = |active: bool, r: &mut ChaCha8Rng| -> Vec<RawOrder> {
            let n = if !active {
                0
            } else if r.gen_bool(0.05) {
                k as usize + 1
            } else {
                r.gen_range(0..=k as usize)
            };
            (0..n)
                .map(|_| RawOrder {
                    price: value(r, &levels, max_price, invalid_rate),
                    quantity: if r.gen_bool(0.15) {
                        0
                    } else {
                        value(r, &[], max_quantity, invalid_rate)
                    },
                })
                .collect()
        };
        let buy = side(role != 1, &mut r);
        let sell = side(role != 0, &mut r);
        bids.push(RawBid { bidder, buy, sell });
    }
    MarketFile {
        auction: params,
        seed: seed_bytes,
        bids,
    }
}

fn value(r: &mut ChaCha8Rng, levels: &[i128], max: u32, invalid_rate: f64) -> i128 {
    if r.gen_bool(invalid_rate) {
        return match r.gen_range(0..6) {
            0 => -1,
            1 => i128::from(max) + 1,
            2 => -i128::from(r.gen_range(1..u64::MAX)),
            3 => i128::from(r.gen_range(u64::from(max) + 1..=u64::MAX)),
            4 => i128::from(u64::MAX) + 7,
            _ => i128::from(i64::MIN),
        };
    }
    if !levels.is_empty() && r.gen_bool(0.7) {
        levels[r.gen_range(0..levels.len())]
    } else {
        i128::from(r.gen_range(0..=max))
    }
}

/// What one party saw: the outcome, and every opening (label, count).
pub struct PartyRun {
    pub outcome: auction::Outcome,
    pub opened: Vec<shares::Opening>,
}

/// Clears `market` with three parties on threads over in-memory channels.
pub fn run_three(market: &MarketFile, seed: u64) -> [PartyRun; 3] {
    run_three_as(market, seed, shares::Security::SemiHonest)
}

/// [`run_three`] at `security`.
pub fn run_three_as(market: &MarketFile, seed: u64, security: shares::Security) -> [PartyRun; 3] {
    use auction::mpc;
    use shares::{MemTransport, Party};
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let inputs = mpc::deal::deal_market(market, &mut rng);
    let transports = MemTransport::triple(std::time::Duration::from_secs(60));
    let handles: Vec<_> = transports
        .into_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (t, input))| {
            std::thread::spawn(move || {
                let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed ^ (i as u64 + 1) << 32);
                let mut party = Party::setup(t, &mut rng).expect("setup");
                party.set_security(security);
                let outcome = mpc::clear(&mut party, &input).expect("clearing");
                PartyRun {
                    outcome,
                    opened: party.opened().to_vec(),
                }
            })
        })
        .collect();
    let mut runs = handles.into_iter().map(|h| h.join().expect("party thread"));
    [
        runs.next().unwrap(),
        runs.next().unwrap(),
        runs.next().unwrap(),
    ]
}
