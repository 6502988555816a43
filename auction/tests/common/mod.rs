//! Shared by the auction crate's tests: the brute-force clearing over every
//! whole price, the invariants every outcome must satisfy, and the test
//! length.
#![allow(dead_code)]

use auction::priority::priority_key;
use auction::reference::Clearing;
use auction::*;
use std::collections::BTreeSet;

/// `PROPTEST_CASES` if set, else `release` cases in release builds and
/// `debug` in debug builds.
pub fn cases(release: u32, debug: u32) -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Ok(v) => v.parse().expect("PROPTEST_CASES is a number"),
        Err(_) if cfg!(debug_assertions) => debug,
        Err(_) => release,
    }
}

/// What the brute force finds, straight from the spec's words.
#[derive(Debug, PartialEq, Eq)]
pub struct Brute {
    pub price: Option<u32>,
    pub volume: u64,
    /// (V*, U*, lo, hi) when V* > 0.
    pub steps: Option<(u64, u64, u32, u32)>,
    /// fills[bid][side][slot], bids as given.
    pub fills: Vec<[Vec<u64>; 2]>,
}

fn d(bids: &[Bid], x: u32) -> u64 {
    bids.iter()
        .flat_map(|b| &b.buy)
        .filter(|o| o.price.0 >= x)
        .map(|o| u64::from(o.quantity.0))
        .sum()
}

fn s(bids: &[Bid], x: u32) -> u64 {
    bids.iter()
        .flat_map(|b| &b.sell)
        .filter(|o| o.price.0 <= x)
        .map(|o| u64::from(o.quantity.0))
        .sum()
}

/// The spec evaluated at every whole price in `0..=max_price`, and the fills
/// by sorting every tradeable order of the long side on the full priority.
pub fn brute_force(params: &AuctionParams, seed: &Seed, bids: &[Bid]) -> Brute {
    let mut fills: Vec<[Vec<u64>; 2]> = bids
        .iter()
        .map(|b| [vec![0; b.buy.len()], vec![0; b.sell.len()]])
        .collect();
    let ds: Vec<(u64, u64)> = (0..=params.max_price)
        .map(|x| (d(bids, x), s(bids, x)))
        .collect();
    let v_star = ds.iter().map(|&(d, s)| d.min(s)).max().unwrap();
    if v_star == 0 {
        return Brute {
            price: None,
            volume: 0,
            steps: None,
            fills,
        };
    }
    let u_star = ds
        .iter()
        .filter(|&&(d, s)| d.min(s) == v_star)
        .map(|&(d, s)| d.abs_diff(s))
        .min()
        .unwrap();
    let t: Vec<u32> = (0..=params.max_price)
        .filter(|&x| {
            let (d, s) = ds[x as usize];
            d.min(s) == v_star && d.abs_diff(s) == u_star
        })
        .collect();
    let (lo, hi) = (t[0], *t.last().unwrap());
    assert_eq!(
        t.len() as u64,
        u64::from(hi - lo) + 1,
        "T is not an interval: {t:?}"
    );
    let p = if ds[hi as usize].0 > ds[hi as usize].1 {
        hi
    } else if ds[lo as usize].0 < ds[lo as usize].1 {
        lo
    } else {
        ((u64::from(lo) + u64::from(hi)) / 2) as u32
    };
    let (dp, sp) = ds[p as usize];
    let x = dp.min(sp);
    assert_eq!(x, v_star);
    for (side, total) in [(Side::Buy, dp), (Side::Sell, sp)] {
        let si = side as usize;
        // (price rank, key, bidder, slot, bid index, quantity)
        let mut orders: Vec<(i64, u64, &BidderId, u32, usize, u64)> = Vec::new();
        for (bi, b) in bids.iter().enumerate() {
            let list = if side == Side::Buy { &b.buy } else { &b.sell };
            for (slot, o) in list.iter().enumerate() {
                let tradeable = match side {
                    Side::Buy => o.price.0 >= p,
                    Side::Sell => o.price.0 <= p,
                };
                if tradeable {
                    let rank = match side {
                        Side::Buy => -i64::from(o.price.0),
                        Side::Sell => i64::from(o.price.0),
                    };
                    let key = priority_key(seed, &b.bidder, side, slot as u32);
                    orders.push((
                        rank,
                        key,
                        &b.bidder,
                        slot as u32,
                        bi,
                        u64::from(o.quantity.0),
                    ));
                }
            }
        }
        orders.sort();
        let mut left = x.min(total);
        for (_, _, _, slot, bi, q) in orders {
            let f = q.min(left);
            fills[bi][si][slot as usize] = f;
            left -= f;
        }
        assert_eq!(left, 0);
    }
    Brute {
        price: Some(p),
        volume: x,
        steps: Some((v_star, u_star, lo, hi)),
        fills,
    }
}

/// The reference's clearing in the brute force's shape.
pub fn as_brute(c: &Clearing) -> Brute {
    Brute {
        price: c.outcome.price.map(|p| p.0),
        volume: c.outcome.volume.0,
        steps: c
            .trace
            .map(|t| (t.max_volume.0, t.min_surplus.0, t.lo.0, t.hi.0)),
        fills: c
            .fills
            .iter()
            .map(|f| {
                [
                    f.buy.iter().map(|q| u64::from(q.0)).collect(),
                    f.sell.iter().map(|q| u64::from(q.0)).collect(),
                ]
            })
            .collect(),
    }
}

/// Checks every invariant of an outcome: `valid` are the valid bids in the
/// order `c.fills` follows; `excluded` the bidders left out.
pub fn check_invariants(valid: &[Bid], excluded: &[BidderId], c: &Clearing) {
    let o = &c.outcome;
    assert_eq!(c.fills.len(), valid.len());
    let mut bought_total = 0u64;
    let mut sold_total = 0u64;
    for (b, f) in valid.iter().zip(&c.fills) {
        assert_eq!(b.bidder, f.bidder);
        assert_eq!(f.buy.len(), b.buy.len());
        assert_eq!(f.sell.len(), b.sell.len());
        for (side, orders, fills) in [(Side::Buy, &b.buy, &f.buy), (Side::Sell, &b.sell, &f.sell)] {
            for (slot, (ord, fill)) in orders.iter().zip(fills.iter()).enumerate() {
                assert!(
                    fill.0 <= ord.quantity.0,
                    "{} {side} slot {slot} overfilled",
                    b.bidder
                );
                if fill.0 > 0 {
                    let p = o.price.expect("a fill without a price").0;
                    match side {
                        Side::Buy => assert!(ord.price.0 >= p, "buy filled above its limit"),
                        Side::Sell => assert!(ord.price.0 <= p, "sell filled below its limit"),
                    }
                }
            }
        }
        bought_total += f.buy.iter().map(|q| u64::from(q.0)).sum::<u64>();
        sold_total += f.sell.iter().map(|q| u64::from(q.0)).sum::<u64>();
    }
    assert_eq!(bought_total, o.volume.0, "sum(bought) != volume");
    assert_eq!(sold_total, o.volume.0, "sum(sold) != volume");
    let a_bought: u64 = o.allocations.iter().map(|a| a.bought.0).sum();
    let a_sold: u64 = o.allocations.iter().map(|a| a.sold.0).sum();
    assert_eq!((a_bought, a_sold), (o.volume.0, o.volume.0));

    // Allocations: every valid bidder once, sorted, equal to its fills;
    // excluded bidders get nothing.
    let ids: Vec<&BidderId> = o.allocations.iter().map(|a| &a.bidder).collect();
    let mut sorted: Vec<&BidderId> = valid.iter().map(|b| &b.bidder).collect();
    sorted.sort();
    assert_eq!(ids, sorted);
    let excluded_set: BTreeSet<&BidderId> = excluded.iter().collect();
    assert!(
        ids.iter().all(|id| !excluded_set.contains(id)),
        "an excluded bidder was allocated"
    );
    let ex_ids: BTreeSet<&BidderId> = o.excluded.iter().map(|e| &e.bidder).collect();
    assert_eq!(ex_ids, excluded_set);
    for a in &o.allocations {
        let f = c.fills.iter().find(|f| f.bidder == a.bidder).unwrap();
        assert_eq!(
            a.bought.0,
            f.buy.iter().map(|q| u64::from(q.0)).sum::<u64>()
        );
        assert_eq!(a.sold.0, f.sell.iter().map(|q| u64::from(q.0)).sum::<u64>());
    }

    let Some(p) = o.price else {
        assert_eq!(o.volume.0, 0);
        assert!(
            c.fills
                .iter()
                .all(|f| f.buy.iter().chain(&f.sell).all(|q| q.0 == 0))
        );
        return;
    };
    // Tradeable orders per side: (limit, quantity, fill).
    let tradeable = |side: Side| -> Vec<(u32, u32, u32)> {
        valid
            .iter()
            .zip(&c.fills)
            .flat_map(|(b, f)| {
                let (orders, fills) = match side {
                    Side::Buy => (&b.buy, &f.buy),
                    Side::Sell => (&b.sell, &f.sell),
                };
                orders
                    .iter()
                    .zip(fills.iter())
                    .map(|(o, f)| (o.price.0, o.quantity.0, f.0))
            })
            .filter(|&(price, _, _)| match side {
                Side::Buy => price >= p.0,
                Side::Sell => price <= p.0,
            })
            .collect()
    };
    let buys = tradeable(Side::Buy);
    let sells = tradeable(Side::Sell);
    let dp: u64 = buys.iter().map(|o| u64::from(o.1)).sum();
    let sp: u64 = sells.iter().map(|o| u64::from(o.1)).sum();
    assert_eq!(o.volume.0, dp.min(sp));
    assert!(o.volume.0 > 0, "a price without trade");
    for (side, orders, total) in [(Side::Buy, &buys, dp), (Side::Sell, &sells, sp)] {
        if total <= o.volume.0 {
            // The short side fills completely.
            assert!(
                orders.iter().all(|&(_, q, f)| q == f),
                "short {side} side not filled"
            );
        } else {
            // Long side: an order with a strictly better limit is full before
            // a worse one gets anything.
            let better = |a: u32, b: u32| match side {
                Side::Buy => a > b,
                Side::Sell => a < b,
            };
            for &(pa, qa, fa) in orders.iter() {
                for &(pb, _, fb) in orders.iter() {
                    if better(pa, pb) && fb > 0 {
                        assert_eq!(fa, qa, "price priority broken on the {side} side");
                    }
                }
            }
        }
    }
}
