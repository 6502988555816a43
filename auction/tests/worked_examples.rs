//! The worked examples of `docs/clearing.md` (K = 4, max_price = 100,
//! seed = 32 zero bytes), and the priority key's known answers.

use auction::priority::priority_key;
use auction::reference::{clear, clear_detailed};
use auction::*;

fn params() -> AuctionParams {
    AuctionParams {
        id: "spec".into(),
        max_price: 100,
        max_quantity: 1000,
        max_orders_per_side: 4,
    }
}

fn ord(price: u32, q: u32) -> Order {
    Order {
        price: Price(price),
        quantity: Quantity(q),
    }
}

fn bid(bidder: &str, buy: &[(u32, u32)], sell: &[(u32, u32)]) -> Bid {
    Bid {
        bidder: BidderId(bidder.into()),
        buy: buy.iter().map(|&(p, q)| ord(p, q)).collect(),
        sell: sell.iter().map(|&(p, q)| ord(p, q)).collect(),
    }
}

/// (bidder, bought, sold) for every allocation, in outcome order.
fn allocs(o: &Outcome) -> Vec<(&str, u64, u64)> {
    o.allocations
        .iter()
        .map(|a| (a.bidder.0.as_str(), a.bought.0, a.sold.0))
        .collect()
}

#[test]
fn priority_key_known_answers() {
    // First 8 bytes of SHA-256(32 zero bytes || "b1" || 00 || 'B' || 00000000),
    // computed with `sha256sum`.
    let b1 = priority_key(&Seed::ZERO, &BidderId("b1".into()), Side::Buy, 0);
    let b2 = priority_key(&Seed::ZERO, &BidderId("b2".into()), Side::Buy, 0);
    assert_eq!(b1, 0x5314_b6f7_11c2_e3be);
    assert_eq!(b2, 0xd16f_35d3_3241_10f9);
    // Every input byte matters.
    let other = [
        priority_key(&Seed([1; 32]), &BidderId("b1".into()), Side::Buy, 0),
        priority_key(&Seed::ZERO, &BidderId("b1".into()), Side::Sell, 0),
        priority_key(&Seed::ZERO, &BidderId("b1".into()), Side::Buy, 1),
    ];
    assert!(other.iter().all(|&k| k != b1));
}

#[test]
fn middle_of_a_zero_surplus_range() {
    let o = clear(
        &params(),
        &Seed::ZERO,
        &[bid("s", &[], &[(10, 5)]), bid("b", &[(20, 5)], &[])],
        vec![],
    );
    assert_eq!(o.price, Some(Price(15)));
    assert_eq!(o.volume, Volume(5));
    assert_eq!(allocs(&o), vec![("b", 5, 0), ("s", 0, 5)]);
}

#[test]
fn buy_pressure_shares_by_priority_key() {
    let bids = [
        bid("s", &[], &[(10, 5)]),
        bid("b1", &[(20, 4)], &[]),
        bid("b2", &[(20, 4)], &[]),
    ];
    let c = clear_detailed(&params(), &Seed::ZERO, &bids, vec![]);
    let t = c.trace.unwrap();
    assert_eq!((t.lo, t.hi), (Price(10), Price(20)));
    assert_eq!(c.outcome.price, Some(Price(20)));
    assert_eq!(c.outcome.volume, Volume(5));
    // b1's key (0x5314...) is smaller than b2's (0xd16f...): b1 fills first.
    assert_eq!(
        allocs(&c.outcome),
        vec![("b1", 4, 0), ("b2", 1, 0), ("s", 0, 5)]
    );
}

#[test]
fn sell_pressure() {
    let o = clear(
        &params(),
        &Seed::ZERO,
        &[bid("s", &[], &[(10, 6)]), bid("b", &[(20, 4)], &[])],
        vec![],
    );
    assert_eq!(o.price, Some(Price(10)));
    assert_eq!(o.volume, Volume(4));
    assert_eq!(allocs(&o), vec![("b", 4, 0), ("s", 0, 4)]);
}

#[test]
fn no_trade() {
    let o = clear(
        &params(),
        &Seed::ZERO,
        &[bid("s", &[], &[(30, 5)]), bid("b", &[(20, 5)], &[])],
        vec![],
    );
    assert_eq!(o.price, None);
    assert_eq!(o.volume, Volume(0));
    assert_eq!(allocs(&o), vec![("b", 0, 0), ("s", 0, 0)]);
    let json = serde_json::to_value(&o).unwrap();
    assert!(json["price"].is_null());
}

#[test]
fn several_orders_per_bidder() {
    let bids = [
        bid("s1", &[], &[(10, 3), (30, 3)]),
        bid("s2", &[], &[(20, 4)]),
        bid("b1", &[(40, 2), (25, 3)], &[]),
        bid("b2", &[(22, 5)], &[]),
    ];
    let c = clear_detailed(&params(), &Seed::ZERO, &bids, vec![]);
    assert_eq!(c.outcome.price, Some(Price(22)));
    assert_eq!(c.outcome.volume, Volume(7));
    assert_eq!(
        allocs(&c.outcome),
        vec![("b1", 5, 0), ("b2", 2, 0), ("s1", 0, 3), ("s2", 0, 4)]
    );
    // Per order: s1's order at 30 cannot trade at 22.
    assert_eq!(c.fills[0].sell, vec![Quantity(3), Quantity(0)]);
    assert_eq!(c.fills[2].buy, vec![Quantity(2), Quantity(3)]);
    assert_eq!(c.fills[3].buy, vec![Quantity(2)]);
}
